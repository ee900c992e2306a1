/**
 * Detection of card data spoken as words: PANs (`pan.spoken`), CVVs (`cvv.spoken`) and expiry
 * dates (`expiry.spoken`); also social security and phone numbers read out after their cue
 * (`ssn.spoken`, `phone.spoken`). Text is normalised to digit runs first (see spoken-numbers.ts); a PAN is
 * a 13–19 digit window of a run that passes Luhn and a known IIN. CVV and expiry need a cue or must
 * follow a PAN closely. The classifier keeps its context in a {@link SpokenState} so that a call
 * transcript can carry it from one utterance to the next.
 */

import * as cvvGuard from './cvv-guard.ts';
import * as spokenCard from './spoken-card.ts';
import type { Cue } from './spoken-cues.ts';
import * as spokenCues from './spoken-cues.ts';
import type { SpokenRun } from './spoken-numbers.ts';
import * as spokenNumbersModule from './spoken-numbers.ts';
import type { SpokenTokens } from './spoken-tokens.ts';
import * as spokenTokens from './spoken-tokens.ts';
import { DetectionLimitError, type EntityType, type Finding } from './types.ts';
import * as validators from './validators.ts';

// Module-local copies: some loaders (vitest, tsx) turn each imported binding read into a getter call.
const { namedAsOtherNumber, namedAsOtherThanExpiry, spokenAsReference } = cvvGuard;
const { expiryLength, MIN_PAN, panWindowsReadings, ReadingBudget } = spokenCard;
type ReadingBudget = spokenCard.ReadingBudget;
const { findCues } = spokenCues;
const { ambiguousZeros, spokenNumbers } = spokenNumbersModule;
const { K, vocabId } = spokenTokens;
const { ssnValid } = validators;

/** Default input limit: longer texts are refused with {@link DetectionLimitError} (fail closed). */
export const DEFAULT_MAX_INPUT_CHARS = 10 * 1024 * 1024;

/** A card cue this many tokens before a PAN (or a few after) raises its score. */
const CARD_CUE_BEFORE = 40;
const CARD_CUE_AFTER = 10;
/** A CVV or expiry must start within this many tokens after its cue. */
const CUE_WINDOW = 12;
/** A spoken SSN or phone number must start within this many tokens after its cue. */
const ID_CUE_WINDOW = 15;
/** A CVV or expiry with no cue must start within this many tokens after a PAN. */
const AFTER_PAN_WINDOW = 30;

const SCORE_CUED = 0.95;
const SCORE_PLAIN = 0.85;
const SCORE_CANDIDATE = 0.6;
const SCORE_CVV_CUED = 0.9;
const SCORE_AFTER_PAN = 0.8;

const W_OF = vocabId('of');
const W_THE = vocabId('the');

/** A PAN found in a run: digits `[s, e)`. Parts of one multi-turn PAN share `group`. */
export type PanWindow = { s: number; e: number; rule: string; group: { score: number | null } | null };

/** Tokens, digit runs, cues and PAN windows (per run) of one text. */
export type SpokenAnalysis = {
  tokens: SpokenTokens;
  runs: SpokenRun[];
  cues: Cue[];
  pans: PanWindow[][];
};

/** Context carried across texts; token positions are global (`base` + local index). */
export type SpokenState = {
  base: number;
  cardCueAt: number;
  cvvCueAt: number;
  expiryCueAt: number;
  ssnCueAt: number;
  phoneCueAt: number;
  panEndAt: number;
  expiryAfterPan: boolean;
  cvvAfterPan: boolean;
};

/** A fresh context with no cue and no PAN seen. */
export const newSpokenState = (): SpokenState => ({
  base: 0,
  cardCueAt: Number.NEGATIVE_INFINITY,
  cvvCueAt: Number.NEGATIVE_INFINITY,
  expiryCueAt: Number.NEGATIVE_INFINITY,
  ssnCueAt: Number.NEGATIVE_INFINITY,
  phoneCueAt: Number.NEGATIVE_INFINITY,
  panEndAt: Number.NEGATIVE_INFINITY,
  expiryAfterPan: true,
  cvvAfterPan: true,
});

/**
 * True when nothing in `state` can reach the next text: every cue and the last PAN lie further back
 * than any window the classifier looks through. Classifying a text then gives exactly what a fresh
 * state gives (see {@link newSpokenState}).
 */
export function stateIsFresh(state: SpokenState): boolean {
  const b = state.base;
  return (
    b - state.cardCueAt > CARD_CUE_BEFORE &&
    b - state.cvvCueAt > CUE_WINDOW &&
    b - state.expiryCueAt > CUE_WINDOW &&
    b - state.ssnCueAt > ID_CUE_WINDOW &&
    b - state.phoneCueAt > ID_CUE_WINDOW &&
    b - state.panEndAt > AFTER_PAN_WINDOW
  );
}

/** Throws {@link DetectionLimitError} when `length` exceeds `max`; the message carries no content. */
export function assertInputLimit(length: number, max = DEFAULT_MAX_INPUT_CHARS): void {
  if (length > max)
    throw new DetectionLimitError(`input of ${length} characters exceeds the limit of ${max}`);
}

/** Tokenizes, normalises and finds single-text PAN windows. */
export function analyzeSpoken(text: string): SpokenAnalysis {
  const { tokens, runs } = spokenNumbers(text);
  const pans: PanWindow[][] = [];
  const budget = new ReadingBudget(text.length);
  for (const r of runs)
    pans.push(r.digits.length < MIN_PAN ? NO_WINDOWS : singleTurnWindows(r, tokens, budget));
  return { tokens, runs, cues: findCues(tokens), pans };
}

/** The windows of a run too short for a card: shared, never changed (stitching replaces, not pushes). */
const NO_WINDOWS = Object.freeze([]) as unknown as PanWindow[];

/**
 * PAN windows of one run. A number introduced as a reference ("the reference is four eight …") is
 * a card only as a whole: a chance Luhn match on its first 13 digits is not one.
 */
function singleTurnWindows(r: SpokenRun, tokens: SpokenTokens, budget: ReadingBudget): PanWindow[] {
  const joins = ambiguousZeros(r, tokens);
  let windows = panWindowsReadings(r.digits, r.store.chunkStart, r.offset, joins, budget);
  if (windows.length === 0) return NO_WINDOWS;
  // The words before the number are read only when a window was found (the rare case).
  if (spokenAsReference(tokens.text, r.store.spanStart[r.offset]!)) {
    windows = panWindowsReadings(
      r.digits,
      r.store.chunkStart,
      r.offset,
      joins,
      budget,
      new WholeRun(r).accept,
    );
  }
  const out: PanWindow[] = [];
  for (const w of windows) out.push({ s: w.s, e: w.e, rule: 'pan.spoken', group: null });
  return out;
}

/** Accepts only the window covering the whole run. */
class WholeRun {
  constructor(private readonly run: SpokenRun) {}
  readonly accept = (s: number, e: number): boolean => s === 0 && e === this.run.digits.length;
}

/** Source range covering digits `[s, e)` of a run, widened over self-corrected words. */
export function runRange(run: SpokenRun, s: number, e: number): { start: number; end: number } {
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  const { coverStart, coverEnd } = run.store;
  for (let i = run.offset + s; i < run.offset + e; i++) {
    start = Math.min(start, coverStart[i]!);
    end = Math.max(end, coverEnd[i]!);
  }
  return { start, end };
}

const isBoundary = (run: SpokenRun, i: number): boolean =>
  i === run.digits.length || run.store.chunkStart[run.offset + i] === 1;

/** Token that spoke digit `i` of a run. */
const tokenOf = (run: SpokenRun, i: number): number => run.store.tokenIndex[run.offset + i]!;

/**
 * Classifies every run of an analysed text with the carried `state` (updated in place) and returns
 * the findings in text order.
 */
export function classifySpoken(a: SpokenAnalysis, state: SpokenState): Finding[] {
  // Most utterances speak no number: only their cues move the state on.
  if (a.runs.length === 0) {
    for (const c of a.cues) noteCue(state, c);
    state.base += a.tokens.length;
    return [];
  }
  return new Classifier(a, state).run();
}

/** Records cue `c` (local token positions) in `state`. */
function noteCue(state: SpokenState, c: Cue): void {
  const at = state.base + c.last;
  if (c.kind === 'card') state.cardCueAt = at;
  else if (c.kind === 'cvv') state.cvvCueAt = at;
  else if (c.kind === 'expiry') state.expiryCueAt = at;
  else if (c.kind === 'ssn') state.ssnCueAt = at;
  else if (c.kind === 'phone') state.phoneCueAt = at;
}

/**
 * The state of one {@link classifySpoken} call. A class rather than closures: the loader that runs
 * Bulwark (tsx, esbuild keepNames) wraps every closure creation in a `defineProperty` call, which cost
 * a third of a transcript's detection time when this ran once per utterance.
 */
class Classifier {
  private readonly tokens: SpokenTokens;
  private readonly cues: Cue[];
  private readonly findings: Finding[] = [];
  private readonly monthByLast = new Map<number, Cue>();
  private readonly cardCues: number[] = [];
  private cueIdx = 0;
  private cardIdx = 0;

  constructor(
    private readonly a: SpokenAnalysis,
    private readonly state: SpokenState,
  ) {
    this.tokens = a.tokens;
    this.cues = a.cues;
    for (const c of a.cues) {
      if (c.kind === 'month') this.monthByLast.set(c.last, c);
      if (c.kind === 'card') this.cardCues.push(c.first);
    }
  }

  private g(local: number): number {
    return this.state.base + local;
  }

  private applyCuesBefore(tok: number): void {
    const { cues, state } = this;
    while (this.cueIdx < cues.length && cues[this.cueIdx]!.last < tok) noteCue(state, cues[this.cueIdx++]!);
  }

  private cardCueNear(firstTok: number, lastTok: number): boolean {
    if (this.g(firstTok) - this.state.cardCueAt <= CARD_CUE_BEFORE) return true;
    const { cardCues } = this;
    while (this.cardIdx < cardCues.length && cardCues[this.cardIdx]! <= lastTok) this.cardIdx++;
    const next = cardCues[this.cardIdx];
    return next !== undefined && next - lastTok <= CARD_CUE_AFTER;
  }

  private push(type: EntityType, range: { start: number; end: number }, score: number, rule: string): void {
    this.findings.push({ type, start: range.start, end: range.end, score, rule });
  }

  private panSeen(lastTok: number): void {
    this.state.panEndAt = this.g(lastTok);
    this.state.expiryAfterPan = false;
    this.state.cvvAfterPan = false;
  }

  private monthBefore(tok: number): Cue | undefined {
    const { tokens } = this;
    let j = tok - 1;
    while (j >= 0) {
      const k = tokens.kind[j]!;
      const w = tokens.wid[j]!;
      if (k === K.filler || k === K.sep || w === W_OF || w === W_THE) j--;
      else break;
    }
    return this.monthByLast.get(j);
  }

  private segment(run: SpokenRun, a0: number, b: number): void {
    const { state, tokens } = this;
    const firstTok = tokenOf(run, a0);
    const at = this.g(firstTok);
    const expCue = at - state.expiryCueAt <= CUE_WINDOW;
    const cvvCue = at - state.cvvCueAt <= CUE_WINDOW;
    const postPan = at - state.panEndAt <= AFTER_PAN_WINDOW;
    const month = a0 === 0 ? this.monthBefore(firstTok) : undefined;
    const len = b - a0;
    const cvvFirst = cvvCue && (!expCue || state.cvvCueAt > state.expiryCueAt) && month === undefined;
    if (cvvFirst && (len === 3 || len === 4)) {
      this.push('CVV', runRange(run, a0, b), SCORE_CVV_CUED, 'cvv.spoken');
      state.cvvCueAt = Number.NEGATIVE_INFINITY;
      state.cvvAfterPan = true;
      return;
    }
    let x = a0;
    const expiryOk = expCue || (postPan && !state.expiryAfterPan);
    if (expiryOk) {
      const n = expiryLength(run.digits, a0, b, month !== undefined, expCue);
      const range = n > 0 ? runRange(run, a0, a0 + n) : null;
      if (
        range !== null &&
        isBoundary(run, a0 + n) &&
        (expCue || !namedAsOtherThanExpiry(tokens.text, range.start, range.end))
      ) {
        if (month) range.start = tokens.start[month.first]!;
        this.push('CARD_EXPIRY', range, expCue ? SCORE_CVV_CUED : SCORE_AFTER_PAN, 'expiry.spoken');
        state.expiryCueAt = Number.NEGATIVE_INFINITY;
        state.expiryAfterPan = true;
        x = a0 + n;
      }
    }
    const rest = b - x;
    if (
      (rest === 3 || rest === 4) &&
      isBoundary(run, x) &&
      (cvvCue || this.cvvByPosition(run, x, b, postPan))
    ) {
      this.push('CVV', runRange(run, x, b), cvvCue ? SCORE_CVV_CUED : SCORE_AFTER_PAN, 'cvv.spoken');
      state.cvvCueAt = Number.NEGATIVE_INFINITY;
      state.cvvAfterPan = true;
    }
  }

  /** A CVV found by position after a PAN, unless the text names the number as something else. */
  private cvvByPosition(run: SpokenRun, x: number, b: number, postPan: boolean): boolean {
    if (!postPan || this.state.cvvAfterPan) return false;
    const r = runRange(run, x, b);
    return !namedAsOtherNumber(this.tokens.text, r.start, r.end);
  }

  /**
   * True when the run has at least one number word. A run of written digits only is a date, a
   * timestamp or an id when it fails Luhn; the structured detector judges written candidates.
   */
  private saysWords(run: SpokenRun): boolean {
    const { kind } = this.tokens;
    for (let j = run.firstToken; j <= run.lastToken; j++) {
      const k = kind[j]!;
      if (k <= K.tens || (k >= K.hundred && k <= K.mult)) return true;
    }
    return false;
  }

  /**
   * A whole run read out after an SSN cue (9 digits, valid area/group/serial) or a phone cue
   * (10 digits, or 11 starting with 1): the number words of an identifier the agent asked for.
   */
  private spokenIdentifier(run: SpokenRun): boolean {
    const { state } = this;
    const at = this.g(run.firstToken);
    const n = run.digits.length;
    if (n === 9 && at - state.ssnCueAt <= ID_CUE_WINDOW && ssnValid(run.digits)) {
      this.push('US_SSN', runRange(run, 0, n), SCORE_CVV_CUED, 'ssn.spoken');
      state.ssnCueAt = Number.NEGATIVE_INFINITY;
      return true;
    }
    if ((n === 10 || (n === 11 && run.digits[0] === '1')) && at - state.phoneCueAt <= ID_CUE_WINDOW) {
      this.push('PHONE', runRange(run, 0, n), SCORE_CVV_CUED, 'phone.spoken');
      state.phoneCueAt = Number.NEGATIVE_INFINITY;
      return true;
    }
    return false;
  }

  private classifyRun(run: SpokenRun, r: number): void {
    this.applyCuesBefore(run.firstToken);
    const windows = this.a.pans[r] ?? [];
    if (windows.length === 0 && this.saysWords(run) && this.spokenIdentifier(run)) return;
    if (windows.length === 0) {
      const cand = candidateLength(run);
      if (
        cand > 0 &&
        this.saysWords(run) &&
        this.cardCueNear(run.firstToken, tokenOf(run, cand - 1)) &&
        !spokenAsReference(this.tokens.text, runRange(run, 0, 1).start)
      ) {
        this.push('PAN', runRange(run, 0, cand), SCORE_CANDIDATE, 'pan.spoken.candidate');
        this.panSeen(tokenOf(run, cand - 1));
        if (cand < run.digits.length) this.segment(run, cand, run.digits.length);
        return;
      }
    }
    let pos = 0;
    for (const w of windows) {
      if (w.s > pos) this.segment(run, pos, w.s);
      const lastTok = tokenOf(run, w.e - 1);
      let score = w.group?.score ?? null;
      if (score === null) {
        score = this.cardCueNear(tokenOf(run, w.s), lastTok) ? SCORE_CUED : SCORE_PLAIN;
        if (w.group) w.group.score = score;
      }
      this.push('PAN', runRange(run, w.s, w.e), score, w.rule);
      this.panSeen(lastTok);
      pos = w.e;
    }
    if (pos < run.digits.length) this.segment(run, pos, run.digits.length);
  }

  run(): Finding[] {
    const { runs } = this.a;
    for (let r = 0; r < runs.length; r++) this.classifyRun(runs[r]!, r);
    this.applyCuesBefore(this.tokens.length);
    this.state.base += this.tokens.length;
    return this.findings;
  }
}

/**
 * Digits of a run that fail Luhn but are a card candidate when a card cue is near (ASR noise: one
 * misheard digit): the whole run at 13–19 digits, or the first 16 (15 for an Amex prefix) of a
 * longer run when they end on a chunk boundary. 0 when the run is no candidate.
 */
function candidateLength(run: SpokenRun): number {
  const n = run.digits.length;
  if (n < 13) return 0;
  if (n <= 19) return n;
  const len = run.digits.startsWith('34') || run.digits.startsWith('37') ? 15 : 16;
  return isBoundary(run, len) ? len : 0;
}

/**
 * Finds card numbers, CVVs and expiry dates spoken as words (or mixed words and digits) in one text.
 * Offsets are UTF-16 offsets into `text`; each PAN finding spans from the first to the last word of
 * the number. Throws {@link DetectionLimitError} above `maxInputChars` (default 10 MiB).
 */
export function detectSpoken(text: string, options: { maxInputChars?: number } = {}): Finding[] {
  assertInputLimit(text.length, options.maxInputChars);
  return classifySpoken(analyzeSpoken(text), newSpokenState());
}
