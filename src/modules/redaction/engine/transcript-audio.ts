/** Maps a finding's character range in an utterance to the audio time range to silence. */

import type { Utterance } from './transcript-format.ts';

/**
 * The audio span (seconds) that covers `finding` in `utterance`. With word timings, the words are
 * located in order in `text` and the span runs from the first to the last word overlapping the
 * finding. It falls back to the whole utterance (fail closed) when there are no timings, a word
 * cannot be located, or the located words do not reach both ends of the finding.
 */
export function audioSpans(
  utterance: Utterance,
  finding: { start: number; end: number },
): { start: number; end: number } {
  const whole = { start: utterance.start, end: utterance.end };
  const words = utterance.words;
  if (!words || words.length === 0) return whole;
  const { text } = utterance;
  let cursor = 0;
  let charLo = Number.POSITIVE_INFINITY;
  let charHi = Number.NEGATIVE_INFINITY;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const w of words) {
    if (w.w.length === 0) continue;
    const at = locate(text, w.w, cursor);
    if (at < 0) return whole;
    cursor = at + w.w.length;
    if (at < finding.end && cursor > finding.start) {
      charLo = Math.min(charLo, at);
      charHi = Math.max(charHi, cursor);
      lo = Math.min(lo, w.start);
      hi = Math.max(hi, w.end);
    }
    if (at >= finding.end) break;
  }
  if (charLo > finding.start || charHi < finding.end) return whole;
  return { start: lo, end: hi };
}

/**
 * `findings.map((f) => audioSpans(utterance, f))`, locating the words in `text` once for all the
 * findings instead of once per finding (a turn reading a card out holds several findings and many
 * words). Word positions do not depend on the finding, so each span is exactly what
 * {@link audioSpans} gives.
 */
export function audioSpansOf(
  utterance: Utterance,
  findings: ReadonlyArray<{ start: number; end: number }>,
): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  const words = utterance.words;
  if (!words || words.length === 0 || findings.length < 2) {
    for (const f of findings) out.push(audioSpans(utterance, f));
    return out;
  }
  const { text } = utterance;
  // at[k]: where word k starts (-1 for an empty word, which is skipped); words from `located` on
  // were never placed (the first of them is not found), and a finding that reaches one is whole.
  const at: number[] = [];
  let located = words.length;
  let cursor = 0;
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!.w;
    if (w.length === 0) {
      at.push(-1);
      continue;
    }
    const p = locate(text, w, cursor);
    if (p < 0) {
      located = k;
      break;
    }
    at.push(p);
    cursor = p + w.length;
  }
  for (const f of findings) out.push(spanFrom(utterance, words, at, located, f));
  return out;
}

function spanFrom(
  utterance: Utterance,
  words: NonNullable<Utterance['words']>,
  at: number[],
  located: number,
  finding: { start: number; end: number },
): { start: number; end: number } {
  let charLo = Number.POSITIVE_INFINITY;
  let charHi = Number.NEGATIVE_INFINITY;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    if (w.w.length === 0) continue;
    if (k >= located) return { start: utterance.start, end: utterance.end };
    const from = at[k]!;
    const to = from + w.w.length;
    if (from < finding.end && to > finding.start) {
      charLo = Math.min(charLo, from);
      charHi = Math.max(charHi, to);
      lo = Math.min(lo, w.start);
      hi = Math.max(hi, w.end);
    }
    if (from >= finding.end) break;
  }
  if (charLo > finding.start || charHi < finding.end) return { start: utterance.start, end: utterance.end };
  return { start: lo, end: hi };
}

/**
 * `text.indexOf(word, from)` for a non-empty word, answered without a search when the word sits
 * right after the spaces at `from` (the usual case: word lists follow their text). Exactly
 * indexOf's answer: nothing before `at` can start the word unless the word starts with a space.
 */
function locate(text: string, word: string, from: number): number {
  let at = from;
  while (at < text.length && text.charCodeAt(at) === 32) at++;
  if (word.charCodeAt(0) !== 32 && text.startsWith(word, at)) return at;
  return text.indexOf(word, from);
}
