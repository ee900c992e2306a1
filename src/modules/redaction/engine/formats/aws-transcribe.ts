/**
 * Amazon Transcribe batch output (`{"jobName","results":{"transcripts","items","speaker_labels"?,
 * "channel_labels"?,"audio_segments"?}}`). Items become utterances split at each change of speaker
 * (`speaker_label` on the item, else from `speaker_labels.segments`, else `channel_label`), with
 * word timings, so the audio spans to silence are word-accurate and a card number read across
 * turns is joined.
 *
 * Redaction writes the same JSON with every copy of the text redacted: `items[].alternatives[].content`,
 * `transcripts[].transcript`, `audio_segments[].transcript` and `channel_labels` items. Parts the
 * engine does not know (e.g. `results.segments` of alternative transcriptions) are dropped rather
 * than passed through, and named in `bulwark_redactions.dropped`; the findings and the audio spans
 * to silence go to `bulwark_redactions` at the top level.
 */
import { InputError } from '../input.ts';
import type { RedactionPolicy } from '../mask.ts';
import { type AudioSpan, detectCall, padAndMerge, redactCall } from '../pipeline.ts';
import type { Utterance } from '../transcript.ts';
import type { Finding } from '../types.ts';
import { baseName, isObject, type ProgressFn, parseJsonAt, redactionOf } from './common.ts';

type Json = Record<string, unknown>;
type Item = {
  type: 'pronunciation' | 'punctuation';
  content: string;
  start: number | null;
  end: number | null;
  speaker: string | null;
  raw: Json;
};
/** An utterance with, per word, the index of the item it came from and its character offset. */
type Turn = { utterance: Utterance; items: number[]; at: number[] };
type AwsDocument = { root: Json; results: Json; items: Item[]; turns: Turn[] };

const fieldError = (name: string, field: string, problem: string) =>
  new InputError(`field "${field}" ${problem}`, name);

function time(v: unknown, name: string, field: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'number' ? v : Number.NaN;
  if (!Number.isFinite(n) || n < 0) throw fieldError(name, field, 'must be a time in seconds, at least 0');
  return n;
}

function parseItems(results: Json, name: string): Item[] {
  if (!Array.isArray(results.items))
    throw fieldError(name, 'results.items', 'must be an array (is this Amazon Transcribe batch output?)');
  return results.items.map((raw: unknown, i): Item => {
    const at = `results.items[${i}]`;
    if (!isObject(raw)) throw fieldError(name, at, 'must be an object');
    const type = raw.type;
    if (type !== 'pronunciation' && type !== 'punctuation')
      throw fieldError(name, `${at}.type`, 'must be "pronunciation" or "punctuation"');
    const alts = raw.alternatives;
    if (!Array.isArray(alts) || alts.length === 0 || !isObject(alts[0]))
      throw fieldError(name, `${at}.alternatives`, 'must be a non-empty array of objects');
    alts.forEach((a: unknown, k) => {
      if (!isObject(a) || typeof a.content !== 'string')
        throw fieldError(name, `${at}.alternatives[${k}].content`, 'must be a string');
    });
    const timed = type === 'pronunciation' || raw.start_time !== undefined;
    const speaker = raw.speaker_label ?? null;
    if (speaker !== null && typeof speaker !== 'string')
      throw fieldError(name, `${at}.speaker_label`, 'must be a string');
    return {
      type,
      content: (alts[0] as Json).content as string,
      start: timed ? time(raw.start_time, name, `${at}.start_time`) : null,
      end: timed ? time(raw.end_time, name, `${at}.end_time`) : null,
      speaker: speaker ?? (typeof raw.channel_label === 'string' ? raw.channel_label : null),
      raw,
    };
  });
}

/** Speaker of each timed item from `speaker_labels.segments[].items` (keyed by start and end time). */
function segmentSpeakers(results: Json): Map<string, string> {
  const out = new Map<string, string>();
  const labels = results.speaker_labels;
  if (!isObject(labels) || !Array.isArray(labels.segments)) return out;
  for (const seg of labels.segments) {
    if (!isObject(seg) || !Array.isArray(seg.items)) continue;
    for (const it of seg.items) {
      if (!isObject(it)) continue;
      const who = typeof it.speaker_label === 'string' ? it.speaker_label : seg.speaker_label;
      if (typeof who === 'string') out.set(`${Number(it.start_time)}|${Number(it.end_time)}`, who);
    }
  }
  return out;
}

/** Parses and validates the JSON, then groups the items into turns. Throws InputError naming the field. */
export function parseAwsTranscribe(text: string, name: string): AwsDocument {
  const root = parseJsonAt(text, name, 'malformed JSON');
  if (!isObject(root)) throw fieldError(name, '$', 'must be an object');
  const results = root.results;
  if (!isObject(results))
    throw fieldError(name, 'results', 'must be an object (is this Amazon Transcribe batch output?)');
  const items = parseItems(results, name);
  const bySegment = segmentSpeakers(results);
  const callId = typeof root.jobName === 'string' && root.jobName !== '' ? root.jobName : baseName(name);
  const turns: Turn[] = [];
  let turn: Turn | null = null;
  let speaker = 'unknown';
  let lastEnd = 0;
  items.forEach((item, i) => {
    if (item.start !== null) {
      speaker = item.speaker ?? bySegment.get(`${item.start}|${item.end}`) ?? speaker;
    }
    if (!turn || (item.type === 'pronunciation' && turn.utterance.speaker !== speaker)) {
      const start = item.start ?? lastEnd;
      turn = {
        utterance: { call_id: callId, speaker, start, end: start, text: '', words: [] },
        items: [],
        at: [],
      };
      turns.push(turn);
    }
    const u = turn.utterance;
    if (item.type === 'pronunciation' && u.text !== '') u.text += ' ';
    turn.at.push(u.text.length);
    turn.items.push(i);
    u.text += item.content;
    const start = item.start ?? lastEnd;
    const end = item.end ?? lastEnd;
    // Punctuation is kept as a zero-length word so it is redacted with its neighbours if need be.
    u.words!.push({ w: item.content, start, end });
    lastEnd = Math.max(lastEnd, end);
    u.end = Math.max(u.end, end);
  });
  return { root, results, items, turns };
}

/** The call as canonical utterances (words are the pronunciation items; punctuation stays in the text). */
export function awsToUtterances(text: string, name: string): Utterance[] {
  const doc = parseAwsTranscribe(text, name);
  return doc.turns.map((t) => ({
    ...t.utterance,
    words: t.utterance.words!.filter((_, k) => doc.items[t.items[k]!]!.type === 'pronunciation'),
  }));
}

export type AwsUtteranceFindings = {
  utterance: number;
  speaker: string;
  start: number;
  end: number;
  /** indices into `results.items` of the items that hold part of a finding */
  items: number[];
  findings: Finding[];
  audio: AudioSpan[];
};

function touched(turn: Turn, findings: Finding[]): number[] {
  const out: number[] = [];
  turn.items.forEach((item, k) => {
    const from = turn.at[k]!;
    const to = from + turn.utterance.words![k]!.w.length;
    if (findings.some((f) => from < f.end && to > f.start)) out.push(item);
  });
  return out;
}

/** Findings per utterance (only those with findings), offsets into the utterance text, word-accurate audio. */
export function detectAwsTranscribe(
  text: string,
  name: string,
  onProgress?: ProgressFn,
): AwsUtteranceFindings[] {
  const doc = parseAwsTranscribe(text, name);
  const results = detectCall(doc.turns.map((t) => t.utterance));
  onProgress?.(text.length, text.length);
  return results
    .filter((r) => r.findings.length > 0)
    .map((r) => {
      const t = doc.turns[r.index]!;
      return {
        utterance: r.index + 1,
        speaker: t.utterance.speaker,
        start: t.utterance.start,
        end: t.utterance.end,
        items: touched(t, r.findings),
        findings: r.findings,
        audio: r.audio,
      };
    });
}

const pick = (o: Json, keys: string[]): Json => {
  const out: Json = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
};
const safeKey = (k: string) => (/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(k) ? k : '(unnamed)');
const PLACEHOLDER = /^\[[A-Z_]+\]$/;

/** Joins item contents as Transcribe does (punctuation attached), one placeholder per redacted run. */
function joinContents(contents: Array<{ type: string; content: string }>): string {
  let out = '';
  let last = '';
  for (const c of contents) {
    if (PLACEHOLDER.test(c.content) && c.content === last) continue;
    if (c.type === 'pronunciation' && out !== '') out += ' ';
    out += c.content;
    last = c.content;
  }
  return out;
}

/**
 * Redacts Amazon Transcribe output (see the module comment for what is written where).
 * @example JSON.parse(redactAwsTranscribe(json, 'call.json').output).bulwark_redactions.silence
 */
export function redactAwsTranscribe(
  text: string,
  name: string,
  policy?: RedactionPolicy,
  onProgress?: ProgressFn,
): { output: string; findings: number; silence: AudioSpan[] } {
  const doc = parseAwsTranscribe(text, name);
  const redacted = redactCall(
    doc.turns.map((t) => t.utterance),
    policy,
  );
  onProgress?.(text.length, text.length);
  const contents = doc.items.map((it) => it.content);
  const findings: Array<ReturnType<typeof redactionOf> & { speaker_label: string }> = [];
  const spans: AudioSpan[] = [];
  redacted.forEach(({ utterance, result }, u) => {
    const turn = doc.turns[u]!;
    utterance.words!.forEach((w, k) => {
      contents[turn.items[k]!] = w.w;
    });
    for (const f of result.findings) findings.push({ ...redactionOf(f), speaker_label: utterance.speaker });
    spans.push(...result.audio);
  });
  const dropped: string[] = [];
  const keep = (o: Json, keys: string[], at: string): Json => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) dropped.push(`${at}${safeKey(k)}`);
    return pick(o, keys);
  };

  const items = doc.items.map((it, i) => {
    const out = keep(
      it.raw,
      [
        'id',
        'start_time',
        'end_time',
        'type',
        'speaker_label',
        'channel_label',
        'vocabulary_filter_match',
        'language_code',
        'alternatives',
      ],
      'results.items[].',
    );
    // Only the first alternative was scanned; any other is dropped.
    const alt = pick((it.raw.alternatives as Json[])[0]!, ['confidence']);
    out.alternatives = [{ ...alt, content: contents[i] }];
    return out;
  });
  const fullText = redacted.map((r) => r.utterance.text).join(' ');
  const byId = new Map<unknown, number>();
  doc.items.forEach((it, i) => {
    if (it.raw.id !== undefined) byId.set(it.raw.id, i);
  });
  const contentOf = (i: number) => ({ type: doc.items[i]!.type, content: contents[i]! });

  const results: Json = {};
  const known = [
    'language_code',
    'transcripts',
    'items',
    'speaker_labels',
    'channel_labels',
    'audio_segments',
  ];
  for (const k of Object.keys(doc.results)) if (!known.includes(k)) dropped.push(`results.${safeKey(k)}`);
  if (typeof doc.results.language_code === 'string') results.language_code = doc.results.language_code;
  results.transcripts = (Array.isArray(doc.results.transcripts) ? doc.results.transcripts : [{}]).map(() => ({
    transcript: fullText,
  }));
  results.items = items;
  const labels = doc.results.speaker_labels;
  if (isObject(labels)) {
    results.speaker_labels = {
      ...pick(labels, ['channel_label', 'speakers']),
      segments: (Array.isArray(labels.segments) ? labels.segments : []).filter(isObject).map((s) => ({
        ...pick(s, ['start_time', 'end_time', 'speaker_label']),
        items: (Array.isArray(s.items) ? s.items : [])
          .filter(isObject)
          .map((it) => pick(it, ['start_time', 'end_time', 'speaker_label'])),
      })),
    };
  }
  const channels = doc.results.channel_labels;
  if (isObject(channels)) {
    const byTime = new Map<string, number>();
    doc.items.forEach((it, i) => {
      byTime.set(`${it.type}|${it.start}|${it.end}|${it.content}`, i);
    });
    results.channel_labels = {
      ...pick(channels, ['number_of_channels']),
      channels: (Array.isArray(channels.channels) ? channels.channels : []).filter(isObject).map((c) => ({
        ...pick(c, ['channel_label']),
        items: (Array.isArray(c.items) ? c.items : []).filter(isObject).map((it) => {
          const alt =
            Array.isArray(it.alternatives) && isObject(it.alternatives[0]) ? it.alternatives[0] : {};
          const start = it.start_time === undefined ? null : Number(it.start_time);
          const end = it.end_time === undefined ? null : Number(it.end_time);
          const match = byTime.get(`${it.type}|${start}|${end}|${alt.content}`);
          return {
            ...pick(it, ['start_time', 'end_time', 'type', 'speaker_label']),
            alternatives: [
              { ...pick(alt, ['confidence']), content: match === undefined ? '[REDACTED]' : contents[match] },
            ],
          };
        }),
      })),
    };
  }
  if (Array.isArray(doc.results.audio_segments)) {
    results.audio_segments = doc.results.audio_segments.filter(isObject).map((s) => {
      const ids = Array.isArray(s.items) ? s.items.map((id) => byId.get(id)) : [];
      let members: number[];
      if (ids.length > 0 && ids.every((i) => i !== undefined)) members = ids as number[];
      else {
        const from = Number(s.start_time);
        const to = Number(s.end_time);
        members = doc.items.flatMap((it, i) =>
          it.start !== null && it.start >= from && it.start < to ? [i] : [],
        );
      }
      const transcript = members.length > 0 ? joinContents(members.map(contentOf)) : '[REDACTED]';
      return {
        ...pick(s, ['id', 'start_time', 'end_time', 'speaker_label', 'channel_label', 'items']),
        transcript,
      };
    });
  }
  const root = keep(doc.root, ['jobName', 'accountId', 'status', 'results'], '');
  root.results = results;
  const silence = padAndMerge(spans, 0);
  root.bulwark_redactions = { findings, silence, dropped: [...new Set(dropped)] };
  return { output: `${JSON.stringify(root, null, 2)}\n`, findings: findings.length, silence };
}
