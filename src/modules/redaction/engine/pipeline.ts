import { mergeFindings } from './detect.ts';
import { applyOperators, type RedactionPolicy } from './mask.ts';
import { detectStructured } from './structured.ts';
import { analyzeTranscript, audioSpans, type Utterance } from './transcript.ts';
import type { Finding } from './types.ts';

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
  const multi = new Map(perTurn.map((r) => [r.index, r.findings]));
  return utterances.map((u, index) => {
    // Exactly `detect(u.text)`: structured and single-text spoken findings merged.
    const own = mergeFindings(detectStructured(u.text, {}), single[index]!);
    const findings = mergeFindings(own, multi.get(index) ?? []);
    return { index, findings, audio: padAndMerge(findings.map((f) => audioSpans(u, f))) };
  });
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
    const text = applyOperators(u.text, result.findings, policy).text;
    const redacted: Utterance = { ...u, text };
    if (u.words) {
      let cursor = 0;
      redacted.words = u.words.map((w) => {
        const at = u.text.indexOf(w.w, cursor);
        // A word we cannot place in the text is withheld whenever the turn holds a finding (fail closed).
        if (at === -1) return result.findings.length > 0 ? { ...w, w: '[REDACTED]' } : { ...w };
        cursor = at + w.w.length;
        const hit = result.findings.find((f) => at < f.end && at + w.w.length > f.start);
        return hit ? { ...w, w: `[${hit.type}]` } : { ...w };
      });
    }
    return { utterance: redacted, result };
  });
}
