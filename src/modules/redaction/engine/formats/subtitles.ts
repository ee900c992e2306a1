/**
 * WebVTT and SubRip (SRT) subtitles, as written by Whisper and most captioning tools. Each cue
 * (optional identifier, `00:01:02.345 --> 00:01:04.000`, one or more text lines) becomes an
 * utterance of one call (call id: the file's base name; speaker: the first `<v Speaker>` voice tag,
 * else "unknown"), so a card number read across cues is joined like one read across turns. Markup
 * (`<v …>`, `<i>`, inline timestamps) is removed before detection and kept on redaction. VTT NOTE
 * blocks are scanned and redacted too; STYLE and REGION blocks pass through. Redaction writes the
 * same file back: headers, identifiers, timings and line endings as they were, cue text redacted.
 */
import { detect } from '../detect.ts';
import { splitLines } from '../input.ts';
import { applyOperators, type RedactionPolicy } from '../mask.ts';
import { type AudioSpan, detectCall } from '../pipeline.ts';
import type { Utterance } from '../transcript.ts';
import type { Finding } from '../types.ts';
import { baseName, formatError, type ProgressFn } from './common.ts';

export type SubtitleFormat = 'vtt' | 'srt';

/** One cue: `text` is its raw lines joined by `\n`; `plain` is that text without markup, `map` plain→raw. */
export type Cue = {
  number: number;
  line: number;
  start: number;
  end: number;
  speaker: string;
  text: string;
  plain: string;
  /** raw [start, end) of each plain character */
  map: Array<[number, number]>;
  /** index of the first text line in the document's lines, and how many there are */
  first: number;
  count: number;
};
type Note = { line: number; first: number; count: number };
type SubtitleDocument = { lines: string[]; eols: string[]; cues: Cue[]; notes: Note[] };

const TIMESTAMP = /^(?:(\d{1,}):)?(\d{2}):(\d{2})[.,](\d{1,3})$/;
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&nbsp;': ' ' };

function seconds(ts: string, name: string, line: number, column: number): number {
  const m = TIMESTAMP.exec(ts);
  if (!m || Number(m[2]) > 59 || Number(m[3]) > 59)
    throw formatError(name, line, column, 'malformed timestamp (expected HH:MM:SS.mmm or HH:MM:SS,mmm)');
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(`0.${m[4]}`);
}

/** Removes markup, decoding the common entities, with a map back to the raw text. */
function plainText(raw: string): { plain: string; map: Array<[number, number]> } {
  let plain = '';
  const map: Array<[number, number]> = [];
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === '<') {
      const close = raw.indexOf('>', i);
      if (close !== -1) {
        i = close + 1;
        continue;
      }
    }
    if (c === '&') {
      const semi = raw.indexOf(';', i);
      const entity = semi !== -1 && semi - i <= 6 ? ENTITIES[raw.slice(i, semi + 1)] : undefined;
      if (entity) {
        plain += entity;
        map.push([i, semi + 1]);
        i = semi + 1;
        continue;
      }
    }
    // A line break inside a cue reads as a space (same length, so offsets hold).
    plain += c === '\n' ? ' ' : c;
    map.push([i, i + 1]);
    i += 1;
  }
  return { plain, map };
}

/**
 * A timing line where none may be means a blank line is missing, and the cue after it would be
 * passed through unread (header, STYLE and REGION blocks are not scanned): refuse it.
 */
function refuseTiming(lines: string[], from: number, to: number, name: string): void {
  for (let i = from; i < to; i++)
    if (lines[i]!.includes('-->'))
      throw formatError(
        name,
        i + 1,
        lines[i]!.indexOf('-->') + 1,
        'unexpected "-->" (a blank line missing before a cue?)',
      );
}

/**
 * Parses VTT or SRT. Throws InputError at `name:line[:column]` for a missing WEBVTT header, a block
 * without a timing line, a malformed timestamp or an end before its start.
 */
export function parseSubtitles(text: string, format: SubtitleFormat, name: string): SubtitleDocument {
  const raw = splitLines(text, name).filter((l) => l.length > 0);
  const eols = raw.map((l) => /\r?\n$/.exec(l)?.[0] ?? '');
  const doc: SubtitleDocument = {
    lines: raw.map((l, k) => l.slice(0, l.length - eols[k]!.length)),
    eols,
    cues: [],
    notes: [],
  };
  // Parsed without a byte-order mark; written back with it.
  const lines = doc.lines.slice();
  if (lines[0]?.charCodeAt(0) === 0xfeff) lines[0] = lines[0].slice(1);
  let k = 0;
  if (format === 'vtt') {
    if (!/^WEBVTT(?:[ \t].*)?$/.test(lines[0] ?? ''))
      throw formatError(name, 1, 1, 'not a WebVTT file (the first line must be "WEBVTT")');
    // The header block runs to the first blank line.
    while (k < lines.length && lines[k]!.trim() !== '') k += 1;
    refuseTiming(lines, 0, k, name);
  }
  while (k < lines.length) {
    if (lines[k]!.trim() === '') {
      k += 1;
      continue;
    }
    const start = k;
    while (k < lines.length && lines[k]!.trim() !== '') k += 1;
    const block = lines.slice(start, k);
    const head = block[0]!;
    if (format === 'vtt' && /^NOTE(?:[ \t]|$)/.test(head)) {
      refuseTiming(lines, start, k, name);
      doc.notes.push({ line: start + 1, first: start, count: block.length });
      continue;
    }
    if (format === 'vtt' && /^(?:STYLE|REGION)[ \t]*$/.test(head)) {
      refuseTiming(lines, start, k, name);
      continue;
    }
    const t = head.includes('-->') ? 0 : 1;
    const timing = block[t];
    if (timing === undefined || !timing.includes('-->'))
      throw formatError(
        name,
        start + 1 + (block.length > 1 ? 1 : 0),
        null,
        'expected a cue timing line like "00:01:02.345 --> 00:01:04.000"',
      );
    const line = start + t + 1;
    if (format === 'srt' && t === 1 && !/^\s*\d+\s*$/.test(head))
      throw formatError(name, start + 1, 1, 'expected a cue number');
    const m = /^(\s*)(\S+)(\s+-->\s+)(\S+)/.exec(timing);
    if (!m) throw formatError(name, line, 1, 'malformed cue timing (expected "start --> end")');
    const from = seconds(m[2]!, name, line, m[1]!.length + 1);
    const to = seconds(m[4]!, name, line, m[1]!.length + m[2]!.length + m[3]!.length + 1);
    if (to < from) throw formatError(name, line, null, 'cue ends before it starts');
    refuseTiming(lines, start + t + 1, k, name);
    const textLines = block.slice(t + 1);
    const cueText = textLines.join('\n');
    const { plain, map } = plainText(cueText);
    const voice = /<v(?:\.[^\s>]*)?[ \t]+([^>]+)>/.exec(cueText);
    doc.cues.push({
      number: doc.cues.length + 1,
      line,
      start: from,
      end: to,
      speaker: voice ? voice[1]!.trim() : 'unknown',
      text: cueText,
      plain,
      map,
      first: start + t + 1,
      count: textLines.length,
    });
  }
  return doc;
}

const utterancesOf = (doc: SubtitleDocument, name: string): Utterance[] =>
  doc.cues.map((c) => ({
    call_id: baseName(name),
    speaker: c.speaker,
    start: c.start,
    end: c.end,
    text: c.plain,
  }));

/** The cues of a subtitle file as canonical utterances (markup removed). */
export function subtitlesToUtterances(text: string, format: SubtitleFormat, name: string): Utterance[] {
  return utterancesOf(parseSubtitles(text, format, name), name);
}

/** Findings in plain-text offsets moved onto the raw cue text (markup inside a finding goes with it). */
function toRaw(cue: Cue, findings: Finding[]): Finding[] {
  return findings.map((f) => ({ ...f, start: cue.map[f.start]![0], end: cue.map[f.end - 1]![1] }));
}

export type CueFindings = {
  cue: number;
  line: number;
  start: number;
  end: number;
  speaker: string;
  findings: Finding[];
  audio: AudioSpan[];
};
export type SubtitleReport = { cues: CueFindings[]; notes: Array<{ line: number; findings: Finding[] }> };

function scan(text: string, format: SubtitleFormat, name: string, onProgress?: ProgressFn) {
  const doc = parseSubtitles(text, format, name);
  const results = detectCall(utterancesOf(doc, name));
  onProgress?.(text.length, text.length);
  const notes = doc.notes.map((n) => ({
    note: n,
    findings: detect(doc.lines.slice(n.first, n.first + n.count).join('\n')),
  }));
  return { doc, results, notes };
}

/**
 * Findings per cue (only cues with findings), with offsets into the cue's raw text (its lines
 * joined by `\n`) and the padded audio spans to silence; NOTE blocks with findings are listed apart.
 */
export function detectSubtitles(
  text: string,
  format: SubtitleFormat,
  name: string,
  onProgress?: ProgressFn,
): SubtitleReport {
  const { doc, results, notes } = scan(text, format, name, onProgress);
  return {
    cues: results
      .filter((r) => r.findings.length > 0)
      .map((r) => {
        const c = doc.cues[r.index]!;
        return {
          cue: c.number,
          line: c.line,
          start: c.start,
          end: c.end,
          speaker: c.speaker,
          findings: toRaw(c, r.findings),
          audio: r.audio,
        };
      }),
    notes: notes
      .filter((n) => n.findings.length > 0)
      .map((n) => ({ line: n.note.line, findings: n.findings })),
  };
}

/**
 * Redacts cue text (and NOTE blocks) and writes the file back in its own format; everything else is
 * unchanged. A line left empty by a `drop` operator is removed, so the cue structure holds.
 */
export function redactSubtitles(
  text: string,
  format: SubtitleFormat,
  name: string,
  policy?: RedactionPolicy,
  onProgress?: ProgressFn,
): { output: string; findings: number; silence: AudioSpan[] } {
  const { doc, results, notes } = scan(text, format, name, onProgress);
  const replaced = new Map<number, { count: number; lines: string[] }>();
  let findings = 0;
  const replace = (first: number, count: number, raw: string, f: Finding[]) => {
    findings += f.length;
    if (f.length === 0) return;
    const lines = applyOperators(raw, f, policy)
      .text.split('\n')
      .filter((l) => l.trim() !== '');
    replaced.set(first, { count, lines });
  };
  for (const r of results) {
    const c = doc.cues[r.index]!;
    replace(c.first, c.count, c.text, toRaw(c, r.findings));
  }
  for (const n of notes)
    replace(
      n.note.first,
      n.note.count,
      doc.lines.slice(n.note.first, n.note.first + n.note.count).join('\n'),
      n.findings,
    );
  let out = '';
  for (let k = 0; k < doc.lines.length; k++) {
    const r = replaced.get(k);
    if (!r) {
      out += doc.lines[k]! + doc.eols[k]!;
      continue;
    }
    const eol = doc.eols[k + r.count - 1] || '\n';
    for (const l of r.lines) out += l + eol;
    k += r.count - 1;
  }
  // The last line had no line ending: keep it that way.
  if (doc.eols[doc.eols.length - 1] === '' && out.endsWith('\n')) out = out.replace(/\r?\n$/, '');
  return { output: out, findings, silence: results.flatMap((r) => r.audio) };
}
