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
    const at = text.indexOf(w.w, cursor);
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
