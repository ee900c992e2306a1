import * as detectModule from './detect.ts';
import type { RedactionPolicy } from './mask.ts';
import * as mask from './mask.ts';
import * as structured from './structured.ts';
import type { Utterance, UtteranceWord } from './transcript.ts';
import * as transcript from './transcript.ts';
import type { Finding } from './types.ts';

// Module-local copies: some loaders (vitest, tsx) turn each imported binding read into a getter call.
const { mergeFindings } = detectModule;
const { applyOperatorsText } = mask;
const { detectStructured } = structured;
const { analyzeTranscript, audioSpansOf } = transcript;

export type AudioSpan = { start: number; end: number };
export type UtteranceResult = { index: number; findings: Finding[]; audio: AudioSpan[] };

/** Audio spans closer than this are merged, and each is padded by it on both sides (about 250 ms). */
export const AUDIO_PAD_SECONDS = 0.25;

/** Pads each span and merges spans that then touch, clamped at zero. */
export function padAndMerge(spans: AudioSpan[], pad = AUDIO_PAD_SECONDS): AudioSpan[] {
  const sorted = spans
    .map((s) => ({ start: Math.max(0, s.start - pad), end: s.end + pad }))
    .sort((a, b) => a.start - b.start);
  const out: AudioSpan[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out.map((s) => ({ start: round3(s.start), end: round3(s.end) }));
}
const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Findings per utterance of a call: structured and spoken entities within each turn, plus card
 * numbers spoken across several turns. Each result carries the audio spans to silence.
 */
export function detectCall(utterances: Utterance[]): UtteranceResult[] {
  // A file may hold several calls: a number is only ever joined across turns of one call.
  const first = utterances[0]?.call_id;
  if (utterances.some((u) => u.call_id !== first)) {
    const byCall = new Map<string, number[]>();
    utterances.forEach((u, i) => {
      const list = byCall.get(u.call_id);
      if (list) list.push(i);
      else byCall.set(u.call_id, [i]);
    });
    const results: UtteranceResult[] = new Array(utterances.length);
    for (const indices of byCall.values())
      detectOneCall(indices.map((i) => utterances[i]!)).forEach((r, k) => {
        results[indices[k]!] = { ...r, index: indices[k]! };
      });
    return results;
  }
  return detectOneCall(utterances);
}

function detectOneCall(utterances: Utterance[]): UtteranceResult[] {
  // One spoken analysis per utterance serves both the call-level and the per-text findings.
  const { multi: perTurn, single } = analyzeTranscript(utterances, {}, true);
  const multi: Array<Finding[] | undefined> = new Array(utterances.length);
  for (const r of perTurn) multi[r.index] = r.findings;
  const out: UtteranceResult[] = [];
  for (let index = 0; index < utterances.length; index++) {
    const u = utterances[index]!;
    // Exactly `detect(u.text)`: structured and single-text spoken findings merged.
    const structuredFindings = detectStructured(u.text, {});
    const spoken = single[index]!;
    const turn = multi[index];
    // Most turns hold nothing: skip the merges and the audio mapping.
    if (structuredFindings.length === 0 && spoken.length === 0 && turn === undefined) {
      out.push({ index, findings: [], audio: [] });
      continue;
    }
    const own = mergeFindings(structuredFindings, spoken);
    const findings = mergeFindings(own, turn ?? []);
    out.push({ index, findings, audio: padAndMerge(audioSpansOf(u, findings)) });
  }
  return out;
}

/**
 * Redacts a call: each utterance's text and its word list (a word inside a redacted span is
 * replaced too, or the word timings would leak the digits), with the audio spans to silence.
 */
export function redactCall(
  utterances: Utterance[],
  policy?: RedactionPolicy,
): Array<{ utterance: Utterance; result: UtteranceResult }> {
  return detectCall(utterances).map((result) => {
    const u = utterances[result.index]!;
    const text = applyOperatorsText(u.text, result.findings, policy);
    const redacted: Utterance = { ...u, text };
    if (u.words) redacted.words = redactWords(u.text, u.words, result.findings);
    return { utterance: redacted, result };
  });
}

/** Each word copied, or replaced by `[TYPE]` when it lies in a finding (words are located in order). */
function redactWords(text: string, words: UtteranceWord[], findings: Finding[]): UtteranceWord[] {
  const out: UtteranceWord[] = [];
  // A turn with nothing found (most turns) keeps every word: no need to locate them.
  if (findings.length === 0) {
    for (let k = 0; k < words.length; k++) out.push({ ...words[k]! });
    return out;
  }
  let cursor = 0;
  for (const w of words) {
    const at = locate(text, w.w, cursor);
    // A word we cannot place in the text is withheld whenever the turn holds a finding (fail closed).
    if (at === -1) {
      out.push(findings.length > 0 ? { ...w, w: '[REDACTED]' } : { ...w });
      continue;
    }
    cursor = at + w.w.length;
    const hit = findings.length === 0 ? undefined : firstOverlap(findings, at, cursor);
    out.push(hit ? { ...w, w: `[${hit.type}]` } : { ...w });
  }
  return out;
}

/**
 * `text.indexOf(word, from)`, answered without a search when the word sits right after the
 * spaces at `from` (the usual case: word lists follow their text).
 */
function locate(text: string, word: string, from: number): number {
  let at = from;
  while (at < text.length && text.charCodeAt(at) === 32) at++;
  // Exactly indexOf's answer: nothing before `at` can start the word unless it starts with a space.
  if (word.length > 0 && word.charCodeAt(0) !== 32 && text.startsWith(word, at)) return at;
  return text.indexOf(word, from);
}

/** The first finding overlapping `[start, end)`, if any. */
function firstOverlap(findings: Finding[], start: number, end: number): Finding | undefined {
  for (const f of findings) if (start < f.end && end > f.start) return f;
  return undefined;
}
