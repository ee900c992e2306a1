/**
 * Spoken-number normaliser: turns spoken / ASR text into runs of digits, each digit mapped back to
 * the source characters that spoke it. A run is a maximal stretch of number tokens; any word that is
 * not a number word, filler, separator or self-correction breaks it.
 *
 * Supported forms (case-insensitive):
 * - digit words: zero / oh / o / nought / naught / nil → 0, one … nine;
 * - "double X" / "triple X" / "quadruple X" with X a digit word or one ASCII digit;
 * - teens and tens: "nineteen" → 19, "twenty" → 20, "forty five" / "forty-five" → 45;
 * - hundreds and thousands inside a group: "four hundred" → 400, "four hundred and twelve" → 412,
 *   "forty five hundred" → 4500, "two thousand twenty seven" → 2027;
 * - ASCII digits mixed with words ("4 five 3 2", "45 32");
 * - fillers (um, uh, er, erm, ah, hmm, like, "you know", "let me see") and punctuation are skipped;
 *   "slash" / "dash" / "hyphen" are separators;
 * - counts are not digits: a number word after "last" / "first" / "next" or before "digit(s)" /
 *   "numbers" ("the three digits on the back") breaks the run instead.
 *
 * Self-corrections: a marker phrase of up to 6 tokens containing a head word (sorry, no, wait,
 * actually, oops, correction, "I mean"; optionally with that's / it's / that is) between two numbers,
 * e.g. "seven sorry that's one", "seven, no wait, five", "four five three two, sorry, four five three
 * three". The correction B (the digits after the marker, up to the next pause) replaces the last
 * min(|B|, |G|) digits, where G is the digit group before the marker (digits since the last pause:
 * punctuation, filler, separator or ASCII-digit-token boundary). With an explicit "not X"
 * ("sorry, that's seven not one") B replaces the last |X| digits and X is dropped.
 */

import type { SpokenTokens } from './spoken-tokens.ts';
import * as spokenTokens from './spoken-tokens.ts';
import { DetectionLimitError } from './types.ts';

// Module-local copies: some loaders (vitest, tsx) turn each imported binding read into a getter call.
const { allocInt32, allocUint8, K, tokenizeSpoken } = spokenTokens;

/** A UTF-16 range `[start, end)` of the source text. */
export type Span = { start: number; end: number };

const NO_U8 = new Uint8Array(0);
const NO_I32 = new Int32Array(0);

/** The first `n` entries of `a` in shared column memory; short columns copied by a loop (no subarray view). */
function copyU8(a: Uint8Array, n: number): Uint8Array {
  const b = allocUint8(n);
  if (n > 64) b.set(a.subarray(0, n));
  else for (let i = 0; i < n; i++) b[i] = a[i]!;
  return b;
}
function copyI32(a: Int32Array, n: number): Int32Array {
  const b = allocInt32(n);
  if (n > 64) b.set(a.subarray(0, n));
  else for (let i = 0; i < n; i++) b[i] = a[i]!;
  return b;
}

/**
 * Per-digit columns of all runs of one text, stored back to back: run `r` owns entries
 * `[r.offset, r.offset + r.length)`. `digit` holds 0–9; `chunkStart` is 1 where a digit starts a
 * spoken chunk ("forty five" is one chunk of two digits).
 */
export class RunStore {
  n = 0;
  digit: Uint8Array;
  /** Source characters `[spanStart, spanEnd)` that spoke each digit (a word emitting several digits is partitioned). */
  spanStart: Int32Array;
  spanEnd: Int32Array;
  /** Source range `[coverStart, coverEnd)` a redaction must cover for each digit (widened over self-corrected words). */
  coverStart: Int32Array;
  coverEnd: Int32Array;
  chunkStart: Uint8Array;
  /** Index of the token that spoke each digit. */
  tokenIndex: Int32Array;

  constructor(cap: number) {
    // No helper closures: under tsx each closure creation is a defineProperty call, and a store is
    // made for every utterance that speaks a number.
    this.digit = cap === 0 ? NO_U8 : new Uint8Array(cap);
    this.spanStart = cap === 0 ? NO_I32 : new Int32Array(cap);
    this.spanEnd = cap === 0 ? NO_I32 : new Int32Array(cap);
    this.coverStart = cap === 0 ? NO_I32 : new Int32Array(cap);
    this.coverEnd = cap === 0 ? NO_I32 : new Int32Array(cap);
    this.chunkStart = cap === 0 ? NO_U8 : new Uint8Array(cap);
    this.tokenIndex = cap === 0 ? NO_I32 : new Int32Array(cap);
  }

  reserve(extra: number): void {
    if (this.n + extra <= this.digit.length) return;
    let cap = Math.max(64, this.digit.length * 2);
    while (cap < this.n + extra) cap *= 2;
    // One helper per element type keeps each copy monomorphic (fast).
    const u8 = (a: Uint8Array): Uint8Array => {
      const b = new Uint8Array(cap);
      b.set(a.subarray(0, this.n));
      return b;
    };
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a.subarray(0, this.n));
      return b;
    };
    this.digit = u8(this.digit);
    this.spanStart = i32(this.spanStart);
    this.spanEnd = i32(this.spanEnd);
    this.coverStart = i32(this.coverStart);
    this.coverEnd = i32(this.coverEnd);
    this.chunkStart = u8(this.chunkStart);
    this.tokenIndex = i32(this.tokenIndex);
  }

  /** A copy holding exactly the `n` entries, in shared column memory (see spoken-tokens.ts). */
  compact(): RunStore {
    const c = new RunStore(0);
    const n = this.n;
    c.n = n;
    c.digit = copyU8(this.digit, n);
    c.chunkStart = copyU8(this.chunkStart, n);
    c.spanStart = copyI32(this.spanStart, n);
    c.spanEnd = copyI32(this.spanEnd, n);
    c.coverStart = copyI32(this.coverStart, n);
    c.coverEnd = copyI32(this.coverEnd, n);
    c.tokenIndex = copyI32(this.tokenIndex, n);
    return c;
  }

  /** Removes entries `[from, from + k)`, moving the rest (up to `n`) down. */
  remove(from: number, k: number): void {
    for (const a of [
      this.digit,
      this.spanStart,
      this.spanEnd,
      this.coverStart,
      this.coverEnd,
      this.chunkStart,
      this.tokenIndex,
    ]) {
      a.copyWithin(from, from + k, this.n);
    }
    this.n -= k;
  }
}

/** A maximal run of spoken digits; its per-digit data is in `store` from `offset` on. */
export class SpokenRun {
  constructor(
    public store: RunStore,
    readonly offset: number,
    /** The digits spoken, as text. */
    readonly digits: string,
    /** First and last token (inclusive) that belong to the number. */
    readonly firstToken: number,
    readonly lastToken: number,
  ) {}

  private col(a: Int32Array): number[] {
    return Array.from(a.subarray(this.offset, this.offset + this.digits.length));
  }
  get spanStart(): number[] {
    return this.col(this.store.spanStart);
  }
  get spanEnd(): number[] {
    return this.col(this.store.spanEnd);
  }
  get coverStart(): number[] {
    return this.col(this.store.coverStart);
  }
  get coverEnd(): number[] {
    return this.col(this.store.coverEnd);
  }
  get tokenIndex(): number[] {
    return this.col(this.store.tokenIndex);
  }
  get chunkStart(): boolean[] {
    return Array.from(
      this.store.chunkStart.subarray(this.offset, this.offset + this.digits.length),
      (v) => v === 1,
    );
  }
}

/** Result of normalising one text. */
export type SpokenNumbers = { tokens: SpokenTokens; runs: SpokenRun[] };

const MAX_MARKER_TOKENS = 6;

/**
 * The digits of one chunk being parsed (no object per digit): digit, source span and token of
 * each. The parser appends to it and rolls back by resetting `n`.
 */
class Emissions {
  n = 0;
  d: Int32Array = new Int32Array(64);
  s: Int32Array = new Int32Array(64);
  e: Int32Array = new Int32Array(64);
  tok: Int32Array = new Int32Array(64);

  private grow(min: number): void {
    let cap = this.d.length;
    while (cap < min) cap *= 2;
    const g = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a.subarray(0, this.n));
      return b;
    };
    this.d = g(this.d);
    this.s = g(this.s);
    this.e = g(this.e);
    this.tok = g(this.tok);
  }

  reserve(extra: number): void {
    if (this.n + extra > this.d.length) this.grow(this.n + extra);
  }

  push(d: number, s: number, e: number, tok: number): void {
    if (this.n === this.d.length) this.grow(this.n + 1);
    const k = this.n++;
    this.d[k] = d;
    this.s[k] = s;
    this.e[k] = e;
    this.tok[k] = tok;
  }

  /** Inserts `count` free slots at `at`, shifting the entries after it (at most a few). */
  open(at: number, count: number): void {
    this.reserve(count);
    for (let k = this.n - 1; k >= at; k--) {
      this.d[k + count] = this.d[k]!;
      this.s[k + count] = this.s[k]!;
      this.e[k + count] = this.e[k]!;
      this.tok[k + count] = this.tok[k]!;
    }
    this.n += count;
  }
}

/**
 * Writes `n` digits spread evenly over `[start, end)` at `at` (all share it when it is too short):
 * digit `k` is `digit(k)`.
 */
function partitionInto(
  out: Emissions,
  at: number,
  n: number,
  start: number,
  end: number,
  tok: number,
  digit: (k: number) => number,
): void {
  const len = end - start;
  for (let k = 0; k < n; k++) {
    const j = at + k;
    out.d[j] = digit(k);
    out.tok[j] = tok;
    if (n === 1 || len < n) {
      out.s[j] = start;
      out.e[j] = end;
    } else {
      out.s[j] = start + Math.floor((k * len) / n);
      out.e[j] = start + Math.floor(((k + 1) * len) / n);
    }
  }
}

const ZERO = (): number => 0;

/**
 * Working memory reused from call to call (the parser is not re-entrant): chunk digits, and the
 * runs of a text while they are built. Kept only while small; results are copied out.
 */
const KEEP_ENTRIES = 1 << 16;
let sharedEmissions = new Emissions();
let sharedStore = new RunStore(1024);

class Parser {
  readonly out = sharedEmissions;
  private readonly kind: Uint8Array;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  private readonly val: Int16Array;
  private readonly text: string;
  readonly n: number;
  /** Value of the last `value()` parse. */
  private v = 0;

  constructor(tokens: SpokenTokens) {
    this.kind = tokens.kind;
    this.start = tokens.start;
    this.end = tokens.end;
    this.val = tokens.value;
    this.text = tokens.text;
    this.n = tokens.length;
  }

  private k(i: number): number {
    return i < this.n ? this.kind[i]! : -1;
  }

  /** `value` written with two digits over token `i`, appended. */
  private twoDigits(value: number, i: number): void {
    const at = this.out.n;
    this.out.reserve(2);
    this.out.n += 2;
    partitionInto(this.out, at, 2, this.start[i]!, this.end[i]!, i, (k) =>
      k === 0 ? Math.floor(value / 10) : value % 10,
    );
  }

  /**
   * Value of one or two digits: unit | teen | tens [unit] | digits(1–2, only before
   * hundred/thousand). Appends its digits and returns the next token, or -1 (nothing appended).
   */
  private value(i: number, allowZero: boolean): number {
    if (i >= this.n) return -1;
    const kind = this.kind[i]!;
    const v = this.val[i]!;
    if (kind === K.unit) {
      if (!allowZero && v === 0) return -1;
      this.out.push(v, this.start[i]!, this.end[i]!, i);
      this.v = v;
      return i + 1;
    }
    if (kind === K.teen) {
      this.twoDigits(v, i);
      this.v = v;
      return i + 1;
    }
    if (kind === K.tens) {
      let u = i + 1;
      if (u < this.n && this.isDash(u)) u++;
      if (this.k(u) === K.unit && this.val[u]! > 0) {
        this.out.push(v / 10, this.start[i]!, this.end[i]!, i);
        this.out.push(this.val[u]!, this.start[u]!, this.end[u]!, u);
        this.v = v + this.val[u]!;
        return u + 1;
      }
      this.twoDigits(v, i);
      this.v = v;
      return i + 1;
    }
    if (kind === K.digits) {
      const s = this.start[i]!;
      const len = this.end[i]! - s;
      if (len > 2) return -1;
      const k = this.k(i + 1);
      if (k !== K.hundred && k !== K.thousand) return -1;
      const at = this.out.n;
      this.out.reserve(len);
      this.out.n += len;
      const text = this.text;
      partitionInto(this.out, at, len, s, this.end[i]!, i, (m) => text.charCodeAt(s + m) - 48);
      this.v =
        len === 1 ? text.charCodeAt(s) - 48 : (text.charCodeAt(s) - 48) * 10 + text.charCodeAt(s + 1) - 48;
      return i + 1;
    }
    return -1;
  }

  private isDash(i: number): boolean {
    return (
      this.kind[i] === K.sep &&
      this.end[i]! - this.start[i]! === 1 &&
      this.text.charCodeAt(this.start[i]!) === 45
    );
  }

  /** Skips an "and" that joins a multiplier to its remainder. */
  private afterAnd(i: number): number {
    if (this.k(i) !== K.and) return i;
    const k = this.k(i + 1);
    return k === K.unit || k === K.teen || k === K.tens ? i + 1 : i;
  }

  /** value [hundred [and] [value]] — appends digits padded by the hundred word; next token or -1. */
  private hundreds(i: number, allowZero: boolean): number {
    const next = this.value(i, allowZero);
    if (next < 0) return -1;
    if (this.k(next) !== K.hundred || this.v === 0) return next;
    const out = this.out;
    const at = out.n;
    const j = this.afterAnd(next + 1);
    const r = this.value(j, false);
    const remLen = r >= 0 ? out.n - at : 0;
    const pad = 2 - remLen;
    if (pad > 0) {
      out.open(at, pad);
      partitionInto(out, at, pad, this.start[next]!, this.end[next]!, next, ZERO);
    }
    return r >= 0 ? r : next + 1;
  }

  /** hundreds [thousand [and] [hundreds]] */
  private number(i: number): number {
    const out = this.out;
    const from = out.n;
    const next = this.hundreds(i, true);
    if (next < 0) return -1;
    if (this.k(next) !== K.thousand) return next;
    let allZero = true;
    for (let k = from; k < out.n; k++) if (out.d[k] !== 0) allZero = false;
    if (allZero) return next;
    const at = out.n;
    const j = this.afterAnd(next + 1);
    let r = this.hundreds(j, false);
    if (r >= 0 && out.n - at > 3) {
      out.n = at;
      r = -1;
    }
    const pad = 3 - (r >= 0 ? out.n - at : 0);
    if (pad > 0) {
      out.open(at, pad);
      partitionInto(out, at, pad, this.start[next]!, this.end[next]!, next, ZERO);
    }
    return r >= 0 ? r : next + 1;
  }

  /** True after `chunk` when the chunk was a plain ASCII digit token. */
  isDigitToken = false;

  /**
   * One spoken chunk starting at `i`: its digits replace `out`; returns the next token, or -1
   * when `i` does not start a number.
   */
  chunk(i: number): number {
    const out = this.out;
    out.n = 0;
    this.isDigitToken = false;
    if (i >= this.n) return -1;
    const kind = this.kind[i]!;
    if (kind === K.mult) {
      if (i + 1 >= this.n) return -1;
      const xk = this.kind[i + 1]!;
      const d =
        xk === K.unit
          ? this.val[i + 1]!
          : xk === K.digits && this.end[i + 1]! - this.start[i + 1]! === 1
            ? this.text.charCodeAt(this.start[i + 1]!) - 48
            : -1;
      if (d < 0) return -1;
      const times = this.val[i]! - 1;
      out.reserve(times + 1);
      out.n = times;
      partitionInto(out, 0, times, this.start[i]!, this.end[i]!, i, () => d);
      out.push(d, this.start[i + 1]!, this.end[i + 1]!, i + 1);
      return i + 2;
    }
    // A digit token not followed by hundred/thousand is never a number() (see value()).
    const after = this.k(i + 1);
    const plainDigits = kind === K.digits && after !== K.hundred && after !== K.thousand;
    if (!plainDigits) {
      const next = this.number(i);
      if (next >= 0) return next;
      out.n = 0;
    }
    if (kind === K.digits) {
      const s = this.start[i]!;
      const len = this.end[i]! - s;
      out.reserve(len);
      for (let k = 0; k < len; k++) {
        out.d[k] = this.text.charCodeAt(s + k) - 48;
        out.s[k] = s + k;
        out.e[k] = s + k + 1;
        out.tok[k] = i;
      }
      out.n = len;
      this.isDigitToken = true;
      return i + 1;
    }
    return -1;
  }

  /** Index after `i` skipping fillers and separators. */
  skipSoft(i: number): number {
    let j = i;
    while (j < this.n && (this.kind[j] === K.filler || this.kind[j] === K.sep)) j++;
    return j;
  }

  /** If a self-correction marker phrase starts at `i` and a number follows it, the index of that number. */
  markerEnd(i: number): number {
    let head = false;
    let j = i;
    for (let steps = 0; steps < MAX_MARKER_TOKENS && j < this.n; steps++) {
      const k = this.kind[j]!;
      if (k === K.marker) head ||= this.val[j] === 1;
      else if (k !== K.filler && k !== K.sep) break;
      j++;
    }
    return head && this.chunk(j) >= 0 ? j : -1;
  }
}

type Correction = { at: number; group: number; notLen: number };

/**
 * Accumulates runs into one {@link RunStore}; handles pauses and self-corrections. Positions
 * (`at`, `groupStart`) are relative to the current run's `base`.
 */
class RunBuilder {
  constructor(readonly store: RunStore) {}
  private base = 0;
  firstToken = -1;
  lastToken = -1;
  private pendingPause = false;
  private groupStart = 0;
  private corr: Correction | null = null;

  /** Digits in the current run. */
  get length(): number {
    return this.store.n - this.base;
  }

  pause(): void {
    this.pendingPause = true;
  }

  emitChunk(out: Emissions, lastTok: number): void {
    if (this.pendingPause) {
      if (this.corr && this.length > this.corr.at) this.resolve();
      this.groupStart = this.length;
      this.pendingPause = false;
    }
    const st = this.store;
    st.reserve(out.n);
    let j = st.n;
    for (let k = 0; k < out.n; k++, j++) {
      st.digit[j] = out.d[k]!;
      st.spanStart[j] = out.s[k]!;
      st.spanEnd[j] = out.e[k]!;
      st.coverStart[j] = out.s[k]!;
      st.coverEnd[j] = out.e[k]!;
      st.chunkStart[j] = k === 0 ? 1 : 0;
      st.tokenIndex[j] = out.tok[k]!;
    }
    st.n = j;
    if (this.firstToken < 0) this.firstToken = out.n > 0 ? out.tok[0]! : lastTok;
    this.lastToken = lastTok;
  }

  startCorrection(): void {
    if (this.corr) this.resolve();
    const len = this.length;
    this.corr = { at: len, group: len - this.groupStart, notLen: -1 };
    this.pendingPause = false;
    this.groupStart = len;
  }

  /** "not X": X (already parsed, `count` digits ending at `end`) names the digits B replaces. */
  correctionNot(count: number, end: number, lastTok: number): boolean {
    const c = this.corr;
    if (!c || this.length <= c.at) return false;
    c.notLen = count;
    const last = this.store.n - 1;
    this.store.coverEnd[last] = Math.max(this.store.coverEnd[last]!, end);
    this.lastToken = lastTok;
    this.resolve();
    return true;
  }

  get correcting(): boolean {
    return this.corr !== null && this.length > this.corr.at;
  }

  private resolve(): void {
    const c = this.corr;
    this.corr = null;
    if (!c) return;
    const lenB = this.length - c.at;
    if (lenB === 0) return;
    const k = Math.min(c.notLen >= 0 ? c.notLen : Math.min(lenB, c.group), c.at);
    if (k === 0) return;
    const from = c.at - k;
    const st = this.store;
    const b = this.base;
    st.coverStart[b + c.at] = Math.min(st.coverStart[b + c.at]!, st.coverStart[b + from]!);
    st.remove(b + from, k);
    st.chunkStart[b + from] = 1;
    this.groupStart = from;
  }

  /** Closes the current run (null when it has no digit) and starts a fresh one. */
  finish(): SpokenRun | null {
    if (this.corr) this.resolve();
    const len = this.length;
    const run =
      len === 0
        ? null
        : new SpokenRun(
            this.store,
            this.base,
            digitString(this.store.digit, this.base, len),
            this.firstToken,
            this.lastToken,
          );
    this.base = this.store.n;
    this.firstToken = -1;
    this.lastToken = -1;
    this.pendingPause = false;
    this.groupStart = 0;
    return run;
  }
}

const LATIN1 = new TextDecoder('latin1');

/** The digits `[from, from + len)` as a flat string (a long concatenation would be a rope, slow to index). */
function digitString(digit: Uint8Array, from: number, len: number): string {
  if (len <= 32) {
    let s = '';
    for (let k = from; k < from + len; k++) s += String.fromCharCode(digit[k]! + 48);
    return s;
  }
  const codes = new Uint8Array(len);
  for (let k = 0; k < len; k++) codes[k] = digit[from + k]! + 48;
  return LATIN1.decode(codes);
}

/** Builds the digit runs of already-tokenized text. */
/**
 * Longest run of digits (spoken or written, joined only by spaces, punctuation and fillers) the
 * engine reads. No identifier is longer than 34 characters and a person reading several numbers in
 * a row says a word between them; a run of thousands of digits is a hostile or broken input, and
 * following it digit by digit is what made such inputs slow. Past the limit the whole text is
 * refused (fail closed), never passed through.
 */
export const MAX_RUN_DIGITS = 4096;

const runLimitError = (): DetectionLimitError =>
  new DetectionLimitError(
    `a run of more than ${MAX_RUN_DIGITS} digits with no word between them; input withheld`,
  );

/** Ends the builder's run and keeps it when it has digits (module-level: closures cost under tsx). */
function closeRun(b: RunBuilder, runs: SpokenRun[]): void {
  const run = b.finish();
  if (run) runs.push(run);
}

export function spokenRunsOf(tokens: SpokenTokens): SpokenRun[] {
  // Text with no number, marker or "not" token (most turns of a call) has no run: skip the parser.
  const kinds = tokens.kind;
  let q = 0;
  while (q < tokens.length) {
    const k = kinds[q]!;
    if (k !== K.word && k !== K.filler && k !== K.sep) break;
    q++;
  }
  if (q === tokens.length) return [];
  const parser = new Parser(tokens);
  const out = parser.out;
  out.n = 0;
  const store = sharedStore;
  store.n = 0;
  const { kind, end } = tokens;
  const n = tokens.length;
  const runs: SpokenRun[] = [];
  const b = new RunBuilder(store);
  let i = 0;
  while (i < n) {
    const k = kind[i]!;
    if (k === K.filler || k === K.sep) {
      b.pause();
      i++;
      continue;
    }
    // A single written digit token past the limit is refused before its digits are copied.
    if (k === K.digits && end[i]! - tokens.start[i]! > MAX_RUN_DIGITS) throw runLimitError();
    // Plain words (most of prose) start no number, marker or "not": they only close the run.
    if (k !== K.word) {
      const next = parser.chunk(i);
      if (next >= 0) {
        const digitToken = parser.isDigitToken;
        if (digitToken) b.pause();
        b.emitChunk(out, next - 1);
        if (b.length > MAX_RUN_DIGITS) throw runLimitError();
        if (digitToken) b.pause();
        i = next;
        continue;
      }
      if (b.length > 0 && k === K.marker) {
        const j = parser.markerEnd(i);
        if (j >= 0) {
          b.startCorrection();
          i = j;
          continue;
        }
      }
      if (k === K.not && b.correcting) {
        const j = parser.skipSoft(i + 1);
        const next = parser.chunk(j);
        if (next >= 0 && b.correctionNot(out.n, end[next - 1]!, next - 1)) {
          i = next;
          continue;
        }
      }
    }
    // An empty run has no state worth closing (no digits, so no pending correction either).
    if (b.length > 0) closeRun(b, runs);
    i++;
  }
  closeRun(b, runs);
  if (store.digit.length > KEEP_ENTRIES)
    sharedStore = new RunStore(1024); // the runs keep `store`
  else if (runs.length > 0) {
    const own = store.compact();
    for (const r of runs) r.store = own;
  }
  if (out.d.length > KEEP_ENTRIES) sharedEmissions = new Emissions();
  return runs;
}

/**
 * Positions (in `run.digits`) of digits a second reading may drop: the "0" of a bare tens word
 * followed, past fillers only (no punctuation, no other word), by a non-zero unit word. "eighty uh
 * three" is read 8 0 3 here, but a speaker who hesitates inside a pair means 83; card checks try
 * both (see `panWindowsReadings`).
 */
export function ambiguousZeros(run: SpokenRun, tokens: SpokenTokens): number[] {
  const out: number[] = [];
  const { digit, chunkStart, tokenIndex } = run.store;
  const { kind } = tokens;
  const base = run.offset;
  const n = run.digits.length;
  for (let i = 1; i + 1 < n; i++) {
    const j = base + i;
    if (digit[j] !== 0 || chunkStart[j] === 1 || chunkStart[j + 1] !== 1 || digit[j + 1] === 0) continue;
    const t = tokenIndex[j]!;
    const u = tokenIndex[j + 1]!;
    if (kind[t] !== K.tens || tokenIndex[j - 1] !== t || kind[u] !== K.unit || u <= t + 1) continue;
    let fillers = true;
    for (let q = t + 1; q < u && fillers; q++) fillers = kind[q] === K.filler;
    if (fillers) out.push(i);
  }
  return out;
}

/** Tokenizes `text` and builds its digit runs. */
export function spokenNumbers(text: string): SpokenNumbers {
  const tokens = tokenizeSpoken(text);
  return { tokens, runs: spokenRunsOf(tokens) };
}

/**
 * Normalises spoken / ASR text to the stream of digits it speaks (all runs concatenated, with
 * self-corrected digits removed) and, per digit, the source span that spoke it.
 */
export function normalizeSpokenDigits(text: string): {
  digits: string;
  spans: Array<{ start: number; end: number }>;
} {
  const { runs } = spokenNumbers(text);
  let digits = '';
  const spans: Span[] = [];
  for (const r of runs) {
    digits += r.digits;
    const { spanStart, spanEnd } = r.store;
    for (let i = r.offset; i < r.offset + r.digits.length; i++)
      spans.push({ start: spanStart[i]!, end: spanEnd[i]! });
  }
  return { digits, spans };
}
