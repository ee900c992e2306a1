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

import { type SpokenToken, tokenizeSpoken } from './spoken-tokens.ts';

/** A UTF-16 range `[start, end)` of the source text. */
export type Span = { start: number; end: number };

/** A maximal run of spoken digits. All arrays have one entry per digit. */
export type SpokenRun = {
  digits: string;
  /** Source characters `[spanStart, spanEnd)` that spoke each digit (a word emitting several digits is partitioned). */
  spanStart: number[];
  spanEnd: number[];
  /** Source range `[coverStart, coverEnd)` a redaction must cover for each digit (widened over self-corrected words). */
  coverStart: number[];
  coverEnd: number[];
  /** True where a digit starts a spoken chunk ("forty five" is one chunk of two digits). */
  chunkStart: boolean[];
  /** Index of the token that spoke each digit. */
  tokenIndex: number[];
  /** First and last token (inclusive) that belong to the number. */
  firstToken: number;
  lastToken: number;
};

/** Result of normalising one text. */
export type SpokenNumbers = { tokens: SpokenToken[]; runs: SpokenRun[] };

type Emission = { d: number; span: Span; tok: number };

const MAX_MARKER_TOKENS = 6;

/** Splits `span` evenly into `n` parts (all share it if it is too short). */
function partition(span: Span, n: number): Span[] {
  const len = span.end - span.start;
  if (n === 1 || len < n) return Array.from({ length: n }, () => ({ start: span.start, end: span.end }));
  const out: Span[] = [];
  for (let k = 0; k < n; k++) {
    out.push({
      start: span.start + Math.floor((k * len) / n),
      end: span.start + Math.floor(((k + 1) * len) / n),
    });
  }
  return out;
}

/** Emits `value` written with `width` digits (zero-padded) over one token. */
function wordDigits(value: number, width: number, t: SpokenToken, tok: number): Emission[] {
  const s = String(value).padStart(width, '0');
  const parts = partition(t, s.length);
  return parts.map((span, k) => ({ d: s.charCodeAt(k) - 48, span, tok }));
}

class Parser {
  constructor(private readonly tokens: SpokenToken[]) {}

  private kind(i: number): string | undefined {
    return this.tokens[i]?.kind;
  }

  /** Value of one or two digits: unit | teen | tens [unit] | digits(1–2, only before hundred/thousand). */
  private value(i: number, allowZero: boolean): { out: Emission[]; next: number; v: number } | null {
    const t = this.tokens[i];
    if (!t) return null;
    if (t.kind === 'unit') {
      if (!allowZero && t.value === 0) return null;
      return { out: [{ d: t.value, span: t, tok: i }], next: i + 1, v: t.value };
    }
    if (t.kind === 'teen') return { out: wordDigits(t.value, 2, t, i), next: i + 1, v: t.value };
    if (t.kind === 'tens') {
      let u = i + 1;
      if (this.tokens[u]?.word === '-') u++;
      const unit = this.tokens[u];
      if (unit?.kind === 'unit' && unit.value > 0) {
        const out = [
          { d: t.value / 10, span: { start: t.start, end: t.end }, tok: i },
          { d: unit.value, span: { start: unit.start, end: unit.end }, tok: u },
        ];
        return { out, next: u + 1, v: t.value + unit.value };
      }
      return { out: wordDigits(t.value, 2, t, i), next: i + 1, v: t.value };
    }
    if (t.kind === 'digits' && t.word.length <= 2) {
      const k = this.kind(i + 1);
      if (k !== 'hundred' && k !== 'thousand') return null;
      const out = [...t.word].map((ch, k2) => ({
        d: ch.charCodeAt(0) - 48,
        span: partition(t, t.word.length)[k2]!,
        tok: i,
      }));
      return { out, next: i + 1, v: Number(t.word) };
    }
    return null;
  }

  /** Skips an "and" that joins a multiplier to its remainder. */
  private afterAnd(i: number): number {
    if (this.kind(i) !== 'and') return i;
    const k = this.kind(i + 1);
    return k === 'unit' || k === 'teen' || k === 'tens' ? i + 1 : i;
  }

  /** value [hundred [and] [value]] — returns digits padded by the hundred word. */
  private hundreds(i: number, allowZero: boolean): { out: Emission[]; next: number } | null {
    const p = this.value(i, allowZero);
    if (!p) return null;
    const h = this.tokens[p.next];
    if (h?.kind !== 'hundred' || p.v === 0) return p;
    const j = this.afterAnd(p.next + 1);
    const r = this.value(j, false);
    const rem = r && r.v < 100 ? r : null;
    const pad = 2 - (rem ? rem.out.length : 0);
    const zeros = pad > 0 ? wordDigits(0, pad, h, p.next) : [];
    return { out: [...p.out, ...zeros, ...(rem?.out ?? [])], next: rem ? rem.next : p.next + 1 };
  }

  /** hundreds [thousand [and] [hundreds]] */
  private number(i: number): { out: Emission[]; next: number } | null {
    const p = this.hundreds(i, true);
    if (!p) return null;
    const th = this.tokens[p.next];
    if (th?.kind !== 'thousand' || p.out.every((e) => e.d === 0)) return p;
    const j = this.afterAnd(p.next + 1);
    const r = this.hundreds(j, false);
    const rem = r && r.out.length <= 3 ? r : null;
    const pad = 3 - (rem ? rem.out.length : 0);
    const zeros = pad > 0 ? wordDigits(0, pad, th, p.next) : [];
    return { out: [...p.out, ...zeros, ...(rem?.out ?? [])], next: rem ? rem.next : p.next + 1 };
  }

  /** One spoken chunk starting at `i`, or null when `i` does not start a number. */
  chunk(i: number): { out: Emission[]; next: number; isDigitToken: boolean } | null {
    const t = this.tokens[i];
    if (!t) return null;
    if (t.kind === 'mult') {
      const x = this.tokens[i + 1];
      const d =
        x?.kind === 'unit' ? x.value : x?.kind === 'digits' && x.word.length === 1 ? Number(x.word) : -1;
      if (!x || d < 0) return null;
      const out = partition(t, t.value - 1).map((span) => ({ d, span, tok: i }));
      out.push({ d, span: { start: x.start, end: x.end }, tok: i + 1 });
      return { out, next: i + 2, isDigitToken: false };
    }
    const n = this.number(i);
    if (n) return { out: n.out, next: n.next, isDigitToken: false };
    if (t.kind === 'digits') {
      const out = [...t.word].map((ch, k) => ({
        d: ch.charCodeAt(0) - 48,
        span: { start: t.start + k, end: t.start + k + 1 },
        tok: i,
      }));
      return { out, next: i + 1, isDigitToken: true };
    }
    return null;
  }

  /** Index after `i` skipping fillers and separators. */
  skipSoft(i: number): number {
    let j = i;
    while (j < this.tokens.length && (this.kind(j) === 'filler' || this.kind(j) === 'sep')) j++;
    return j;
  }

  /** If a self-correction marker phrase starts at `i` and a number follows it, the index of that number. */
  markerEnd(i: number): number {
    let head = false;
    let j = i;
    for (let steps = 0; steps < MAX_MARKER_TOKENS && j < this.tokens.length; steps++) {
      const t = this.tokens[j]!;
      if (t.kind === 'marker') head ||= t.value === 1;
      else if (t.kind !== 'filler' && t.kind !== 'sep') break;
      j++;
    }
    return head && this.chunk(j) ? j : -1;
  }
}

type Correction = { at: number; group: number; notLen: number };

/** Accumulates one run; handles pauses and self-corrections. */
class RunBuilder {
  digits: number[] = [];
  spanStart: number[] = [];
  spanEnd: number[] = [];
  coverStart: number[] = [];
  coverEnd: number[] = [];
  chunkStart: boolean[] = [];
  tokenIndex: number[] = [];
  firstToken = -1;
  lastToken = -1;
  private pendingPause = false;
  private groupStart = 0;
  private corr: Correction | null = null;

  pause(): void {
    this.pendingPause = true;
  }

  emitChunk(out: Emission[], lastTok: number): void {
    if (this.pendingPause) {
      if (this.corr && this.digits.length > this.corr.at) this.resolve();
      this.groupStart = this.digits.length;
      this.pendingPause = false;
    }
    for (let k = 0; k < out.length; k++) {
      const e = out[k]!;
      this.digits.push(e.d);
      this.spanStart.push(e.span.start);
      this.spanEnd.push(e.span.end);
      this.coverStart.push(e.span.start);
      this.coverEnd.push(e.span.end);
      this.chunkStart.push(k === 0);
      this.tokenIndex.push(e.tok);
    }
    if (this.firstToken < 0) this.firstToken = out[0]?.tok ?? lastTok;
    this.lastToken = lastTok;
  }

  startCorrection(): void {
    if (this.corr) this.resolve();
    const len = this.digits.length;
    this.corr = { at: len, group: len - this.groupStart, notLen: -1 };
    this.pendingPause = false;
    this.groupStart = len;
  }

  /** "not X": X (already parsed, `count` digits ending at `end`) names the digits B replaces. */
  correctionNot(count: number, end: number, lastTok: number): boolean {
    const c = this.corr;
    if (!c || this.digits.length <= c.at) return false;
    c.notLen = count;
    const last = this.coverEnd.length - 1;
    this.coverEnd[last] = Math.max(this.coverEnd[last]!, end);
    this.lastToken = lastTok;
    this.resolve();
    return true;
  }

  get correcting(): boolean {
    return this.corr !== null && this.digits.length > this.corr.at;
  }

  private resolve(): void {
    const c = this.corr;
    this.corr = null;
    if (!c) return;
    const lenB = this.digits.length - c.at;
    if (lenB === 0) return;
    const k = Math.min(c.notLen >= 0 ? c.notLen : Math.min(lenB, c.group), c.at);
    if (k === 0) return;
    const from = c.at - k;
    this.coverStart[c.at] = Math.min(this.coverStart[c.at]!, this.coverStart[from]!);
    for (const arr of [
      this.digits,
      this.spanStart,
      this.spanEnd,
      this.coverStart,
      this.coverEnd,
      this.chunkStart,
      this.tokenIndex,
    ] as unknown[][]) {
      arr.splice(from, k);
    }
    this.chunkStart[from] = true;
    this.groupStart = from;
  }

  finish(): SpokenRun | null {
    if (this.corr) this.resolve();
    if (this.digits.length === 0) return null;
    return {
      digits: digitString(this.digits),
      spanStart: this.spanStart,
      spanEnd: this.spanEnd,
      coverStart: this.coverStart,
      coverEnd: this.coverEnd,
      chunkStart: this.chunkStart,
      tokenIndex: this.tokenIndex,
      firstToken: this.firstToken,
      lastToken: this.lastToken,
    };
  }
}

function digitString(digits: number[]): string {
  let s = '';
  for (const d of digits) s += String.fromCharCode(d + 48);
  return s;
}

/** Builds the digit runs of already-tokenized text. */
export function spokenRunsOf(tokens: SpokenToken[]): SpokenRun[] {
  const parser = new Parser(tokens);
  const runs: SpokenRun[] = [];
  let b = new RunBuilder();
  const close = (): void => {
    const run = b.finish();
    if (run) runs.push(run);
    b = new RunBuilder();
  };
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t.kind === 'filler' || t.kind === 'sep') {
      b.pause();
      i++;
      continue;
    }
    const c = parser.chunk(i);
    if (c) {
      if (c.isDigitToken) b.pause();
      b.emitChunk(c.out, c.next - 1);
      if (c.isDigitToken) b.pause();
      i = c.next;
      continue;
    }
    if (b.digits.length > 0 && t.kind === 'marker') {
      const j = parser.markerEnd(i);
      if (j >= 0) {
        b.startCorrection();
        i = j;
        continue;
      }
    }
    if (t.kind === 'not' && b.correcting) {
      const j = parser.skipSoft(i + 1);
      const x = parser.chunk(j);
      if (x && b.correctionNot(x.out.length, tokens[x.next - 1]!.end, x.next - 1)) {
        i = x.next;
        continue;
      }
    }
    close();
    i++;
  }
  close();
  return runs;
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
    for (let i = 0; i < r.spanStart.length; i++) spans.push({ start: r.spanStart[i]!, end: r.spanEnd[i]! });
  }
  return { digits, spans };
}
