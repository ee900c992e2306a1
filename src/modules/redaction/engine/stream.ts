/**
 * Incremental redaction of free text arriving in chunks (stdin to stdout, HTTP bodies). Output is
 * emitted only up to a cut point that no entity can cross, so a number split across chunks never
 * leaks part of itself; the tail that could still grow into an entity is held back.
 *
 * How a cut is chosen: a "safe gap" is whitespace between two plain words (spoken-token kind
 * `word`: not a digit run, number word, filler, "and" or self-correction marker), so no digit or
 * spoken-number run can cross it. A cut is the last safe gap that (1) has at least
 * {@link HOLD_TOKENS} tokens after it, so every detector sees its full right context (spoken card
 * cues look 10 tokens ahead, structured ones 4), and (2) lies inside no finding of `detect` over the
 * buffer (names, addresses and health terms are made of plain words). Detection runs over the
 * buffer plus at least {@link CONTEXT_TOKENS} tokens of already-emitted text, starting at a safe gap,
 * so cues before a number (the widest: a card cue 40 tokens back, a CVV up to 30 tokens after a PAN)
 * are seen exactly as in a one-shot run.
 *
 * Guarantee: the detectors are local (every rule looks at most 40 tokens back and 10 ahead), so the
 * concatenated output equals `redactText(text, policy).text` for every chunking; the tests check
 * this over every split point. If that locality ever broke (a finding reaching back past text
 * already emitted), the part not yet emitted is still redacted, clipped at the cut (fail closed):
 * no digit of a finding is ever emitted after the cut that would otherwise have covered it.
 */
import { detect } from './detect.ts';
import { applyOperators, type RedactionPolicy } from './mask.ts';
import type { SpokenTokens } from './spoken-tokens.ts';
import * as spokenTokens from './spoken-tokens.ts';
import { DetectionLimitError, type Finding } from './types.ts';

// Module-local copies: some loaders (vitest, tsx) turn each imported binding read into a getter call.
const { isSpace, K, tokenizeSpoken } = spokenTokens;

export { createTranscriptRedactor, type TranscriptRedactor } from './stream-transcript.ts';

/** Tokens that must follow a cut point (right context of every detector, plus margin). */
export const HOLD_TOKENS = 25;
/** Tokens of already-emitted text kept as left context (card cue window is 40). */
export const CONTEXT_TOKENS = 128;
/** Default bound on text held back without a safe cut point. */
export const DEFAULT_MAX_HOLDBACK_CHARS = 64 * 1024;
/** Below this much pending text every push tries to cut; above it, attempts back off geometrically. */
const EAGER_CHARS = 4096;

/** An incremental redactor: `push` returns text that can no longer change, `end` the rest. */
export type TextRedactor = { push(chunk: string): string; end(): string };

/** Options of {@link createTextRedactor}. */
export type TextRedactorOptions = { maxHoldbackChars?: number };

/** Index `k` of each token that starts a safe gap (whitespace between two plain words). */
function safeGaps(buf: string, tokens: SpokenTokens): number[] {
  const { kind, start, end } = tokens;
  const n = tokens.length;
  const gaps: number[] = [];
  let prevWord = -1; // index of the last non-separator token before k
  let after = 0; // first non-separator token at or after k
  for (let k = 0; k < n; k++) {
    if (k > 0 && prevWord >= 0 && start[k]! > end[k - 1]! && isSpace(buf.charCodeAt(start[k]! - 1))) {
      if (after < k) after = k;
      while (after < n && kind[after] === K.sep) after++;
      if (kind[prevWord] === K.word && after < n && kind[after] === K.word) gaps.push(k);
    }
    if (kind[k] !== K.sep) prevWord = k;
  }
  return gaps;
}

const inside = (pos: number, findings: readonly Finding[]): boolean =>
  findings.some((f) => f.start < pos && pos < f.end);

/** Redacts `buf[from, to)` with the findings that touch it, clipped to it (shifted to its offsets). */
function redactSlice(
  buf: string,
  from: number,
  to: number,
  findings: readonly Finding[],
  policy?: RedactionPolicy,
): string {
  const local = findings
    .filter((f) => f.end > from && f.start < to)
    .map((f) => ({ ...f, start: Math.max(f.start, from) - from, end: Math.min(f.end, to) - from }));
  return applyOperators(buf.slice(from, to), local, policy).text;
}

/**
 * Creates an incremental redactor for free text. Concatenating every `push` result and the `end`
 * result gives the same text as `redactText(all, policy).text`, however the input is cut.
 * Hold-back: the last {@link HOLD_TOKENS} tokens, back to the nearest safe gap.
 * @throws DetectionLimitError (from `push`) when more than `maxHoldbackChars` (default 64 KiB) are
 *   pending with no safe cut point; the redactor then refuses further input (fail closed)
 * @example const r = createTextRedactor(); r.push('card 4111 1111 ') + r.push('1111 1111') + r.end()
 * // 'card [PAN]'
 */
export function createTextRedactor(
  policy?: RedactionPolicy,
  options: TextRedactorOptions = {},
): TextRedactor {
  const max = options.maxHoldbackChars ?? DEFAULT_MAX_HOLDBACK_CHARS;
  // `buf` starts at a safe gap (or the start of input); `buf.slice(0, done)` is emitted context.
  let buf = '';
  let done = 0;
  let nextAttempt = 0;
  let failed = false;

  const fail = (): never => {
    failed = true;
    buf = '';
    done = 0;
    throw new DetectionLimitError(
      `more than ${max} characters held back with no safe cut point; input withheld`,
    );
  };

  const tryCut = (): string => {
    const tokens = tokenizeSpoken(buf);
    const gaps = safeGaps(buf, tokens);
    const candidates = gaps.filter((k) => tokens.start[k]! > done && tokens.length - k >= HOLD_TOKENS);
    if (candidates.length === 0) return '';
    const findings = detect(buf);
    let cut = -1;
    for (let i = candidates.length - 1; i >= 0 && cut < 0; i--) {
      const k = candidates[i]!;
      if (!inside(tokens.start[k]!, findings)) cut = k;
    }
    if (cut < 0) return '';
    const pos = tokens.start[cut]!;
    const out = redactSlice(buf, done, pos, findings, policy);
    done = pos;
    // Keep CONTEXT_TOKENS tokens of emitted text, starting at a safe gap outside every finding.
    let keepFrom = 0;
    for (let i = gaps.length - 1; i >= 0; i--) {
      const k = gaps[i]!;
      if (k <= cut - CONTEXT_TOKENS && !inside(tokens.start[k]!, findings)) {
        keepFrom = tokens.start[k]!;
        break;
      }
    }
    buf = buf.slice(keepFrom);
    done -= keepFrom;
    return out;
  };

  return {
    push(chunk: string): string {
      if (failed) fail();
      buf += chunk;
      let pending = buf.length - done;
      if (pending < nextAttempt && pending <= max) return '';
      const out = tryCut();
      pending = buf.length - done;
      if (pending > max) fail();
      // Re-scanning a large buffer on every tiny chunk would be quadratic; back off geometrically.
      nextAttempt = out === '' && pending >= EAGER_CHARS ? pending + (pending >> 3) : 0;
      return out;
    },
    end(): string {
      if (failed) fail();
      const out = redactSlice(buf, done, buf.length, detect(buf), policy);
      buf = '';
      done = 0;
      nextAttempt = 0;
      return out;
    },
  };
}

/**
 * Redacts an async stream of text chunks (for example `process.stdin` with an encoding set),
 * yielding redacted text as soon as it can no longer change.
 * @throws DetectionLimitError as {@link createTextRedactor}; stop writing output when it is thrown
 */
export async function* redactTextStream(
  source: AsyncIterable<string>,
  policy?: RedactionPolicy,
  options?: TextRedactorOptions,
): AsyncGenerator<string> {
  const redactor = createTextRedactor(policy, options);
  for await (const chunk of source) {
    const out = redactor.push(chunk);
    if (out !== '') yield out;
  }
  const rest = redactor.end();
  if (rest !== '') yield rest;
}
