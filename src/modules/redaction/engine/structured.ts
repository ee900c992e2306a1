/**
 * Detector for structured entities written as digits and text (not spoken words). It tokenizes once,
 * walks digit groups and words, and only runs anchored regexes with bounded quantifiers at token
 * starts, so the whole scan is linear in the input length.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { CueSet, Tokens } from './context.ts';
import * as context from './context.ts';
import { namedAsOtherNumber, namedAsReference } from './cvv-guard.ts';
import { DetectionLimitError, type EntityType, type Finding } from './types.ts';
import * as validators from './validators.ts';

// Module-local copies: some loaders (vitest, tsx) turn each imported binding read into a getter call.
const { CUES, HEALTH_TERMS, HAS_DIGIT, HAS_LETTER, UPPER_FIRST } = context;
const { cueAfter, cueBefore, cueEndingAt, cueStartingAt, tokenizeShared, vocabId, vocabSize } = context;
const { abaValid, IBAN_LENGTHS, ibanValid, itinValid, nhsValid, ninoValid } = validators;
const { panLengthMask, panNetwork, ssnValid } = validators;

/** Vocabulary id of the strong account cue "acct". */
const ACCT = vocabId('acct');

/** Default input limit: 10 MiB of UTF-16 code units. */
export const DEFAULT_MAX_INPUT_CHARS = 10 * 1024 * 1024;

/** Options of {@link detectStructured}. */
export type StructuredOptions = { maxInputChars?: number };

type Scan = {
  text: string;
  t: Tokens;
  out: Finding[];
  /** Token index of the last token of each PAN found so far, ascending. */
  panEnds: number[];
};

const emit = (s: Scan, type: EntityType, start: number, end: number, score: number, rule: string): void => {
  s.out.push({ type, start, end, score, rule });
};

/** Separator char codes (see {@link sepAfter}): 0 means "not joined". */
const isSpace = (sep: number): boolean => sep === 32 || sep === 0xa0 || sep === 0x202f;
const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;
const isAsciiAlnum = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

const len = (t: Tokens, k: number): number => t.ends[k]! - t.starts[k]!;
const isNumeric = (t: Tokens, k: number): boolean => t.flags[k] === HAS_DIGIT;

/**
 * Char code of the one-character separator (space, '-', '.', NBSP, NNBSP) joining token k to
 * token k+1, or 0 when they are not joined.
 */
function sepAfter(t: Tokens, k: number): number {
  const next = t.starts[k + 1];
  if (next === undefined || next - t.ends[k]! !== 1) return 0;
  const c = t.text.charCodeAt(next - 1);
  return c === 32 || c === 45 || c === 46 || c === 0xa0 || c === 0x202f ? c : 0;
}

/** True when no token carrying a digit lies strictly between tokens `from` and `to`. */
function noDigitsBetween(t: Tokens, from: number, to: number): boolean {
  for (let k = from + 1; k < to; k++) if (t.flags[k]! & HAS_DIGIT) return false;
  return true;
}

/**
 * Finds structured entities in `text`: cards (PAN, CVV, expiry), US and UK identifiers, bank data,
 * phones, emails, IPs, dates of birth, addresses, health terms and names after a cue.
 * Findings are sorted by start with overlaps resolved.
 * @throws DetectionLimitError when the input is longer than `maxInputChars` (default 10 MiB)
 * @example detectStructured('card 4111 1111 1111 1111')[0] // { type: 'PAN', start: 5, end: 24, … }
 */
export function detectStructured(text: string, options: StructuredOptions = {}): Finding[] {
  const max = options.maxInputChars ?? DEFAULT_MAX_INPUT_CHARS;
  if (text.length > max) {
    throw new DetectionLimitError(`input has ${text.length} characters; the limit is ${max}`);
  }
  const s: Scan = { text, t: tokenizeShared(text), out: [], panEnds: [] };
  scanDigitGroups(s);
  scanNumericTokens(s);
  scanWordTokens(s);
  scanEmails(s);
  scanIps(s);
  return resolveOverlaps(s.out);
}

/**
 * Keeps the best of overlapping findings (higher score, then longer span, then earlier start) and
 * returns them sorted by start. Cost is the total length of the findings.
 */
export function resolveOverlaps(findings: readonly Finding[]): Finding[] {
  if (findings.length < 2) return [...findings];
  // Common case: disjoint non-empty findings are all kept, so the answer is just them in order.
  if (disjointInOrder(findings)) return [...findings];
  const byClusters = resolveByClusters(findings);
  if (byClusters !== null) return byClusters;
  return resolveAll(findings);
}

/** The general greedy pass of {@link resolveOverlaps} over all findings at once. */
function resolveAll(findings: readonly Finding[]): Finding[] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const f of findings) {
    lo = Math.min(lo, f.start);
    hi = Math.max(hi, f.end);
  }
  const taken = new Uint8Array(Math.max(0, hi - lo));
  const kept: Finding[] = [];
  for (const f of [...findings].sort(byPriority)) {
    let free = true;
    for (let i = f.start - lo; i < f.end - lo && free; i++) free = taken[i] === 0;
    if (!free) continue;
    taken.fill(1, f.start - lo, f.end - lo);
    kept.push(f);
  }
  return kept.sort(byStartThenEnd);
}

const byPriority = (a: Finding, b: Finding): number =>
  b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start;

const byStartThenEnd = (a: Finding, b: Finding): number => a.start - b.start || a.end - b.end;

/**
 * {@link resolveOverlaps} by clusters: the findings sorted by start (packed (start, index) numbers,
 * sorted natively), cut into runs of overlapping findings, and the greedy pass run inside each run
 * only (findings of different runs never overlap, so the answer is the same). Null when a start
 * cannot be packed exactly; the caller then resolves all findings at once.
 */
function resolveByClusters(findings: readonly Finding[]): Finding[] | null {
  const n = findings.length;
  const scale = 2 ** Math.ceil(Math.log2(n + 1));
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const start = findings[i]!.start;
    // Callers may pass any findings: keep the packing exact or leave it to the general path.
    if (!Number.isInteger(start) || start < 0 || start * scale >= Number.MAX_SAFE_INTEGER - n) return null;
    keys[i] = start * scale + i;
  }
  keys.sort();
  const out: Finding[] = [];
  const cluster: Finding[] = [];
  let end = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const f = findings[keys[i]! % scale]!;
    // An empty (or inverted) finding at the end of a cluster joins it: equal ones keep priority order.
    if (cluster.length > 0 && (f.start > end || (f.start === end && f.end > f.start))) {
      flushCluster(cluster, end, out);
      cluster.length = 0;
    }
    end = cluster.length === 0 ? Math.max(f.start, f.end) : Math.max(end, f.start, f.end);
    cluster.push(f);
  }
  flushCluster(cluster, end, out);
  // Empty findings at a cluster edge may sit out of (start, end) order: sort then (rare).
  for (let i = 1; i < out.length; i++)
    if (byStartThenEnd(out[i - 1]!, out[i]!) > 0) return out.sort(byStartThenEnd);
  return out;
}

/** The greedy pass of {@link resolveOverlaps} over one cluster (sorted by start), kept findings to `out`. */
function flushCluster(cluster: Finding[], end: number, out: Finding[]): void {
  if (cluster.length === 1) {
    out.push(cluster[0]!);
    return;
  }
  const lo = cluster[0]!.start;
  const taken = new Uint8Array(Math.max(0, end - lo));
  const kept: Finding[] = [];
  for (const f of [...cluster].sort(byPriority)) {
    let free = true;
    for (let i = f.start - lo; i < f.end - lo && free; i++) free = taken[i] === 0;
    if (!free) continue;
    taken.fill(1, f.start - lo, f.end - lo);
    kept.push(f);
  }
  kept.sort(byStartThenEnd);
  for (const f of kept) out.push(f);
}

/** Whether every finding is non-empty and starts at or after the end of the one before it. */
function disjointInOrder(findings: readonly Finding[]): boolean {
  let end = Number.NEGATIVE_INFINITY;
  for (const f of findings) {
    if (f.end <= f.start || f.start < end) return false;
    end = f.end;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Digit groups: runs of digits joined by single separators ("4111 1111-1111.1111").

function scanDigitGroups(s: Scan): void {
  const { t } = s;
  const n = t.starts.length;
  let k = 0;
  while (k < n) {
    if (!isNumeric(t, k)) {
      k++;
      continue;
    }
    let b = k;
    while (b + 1 < n && isNumeric(t, b + 1) && sepAfter(t, b) !== 0) b++;
    scanGroup(s, k, b);
    k = b + 1;
  }
}

/** Money, percentages and thousands separators mark a number as a quantity, never an identifier. */
function isQuantity(text: string, start: number, end: number): boolean {
  const before = text.charCodeAt(start - 1);
  // $ £ € ¥ +
  if (before === 36 || before === 0xa3 || before === 0x20ac || before === 0xa5 || before === 43) return true;
  if (before === 44 && isDigitCode(text.charCodeAt(start - 2))) return true;
  const after = text.charCodeAt(end);
  if (after === 37) return true;
  return after === 44 && isDigitCode(text.charCodeAt(end + 1));
}

/** A number touching '/' or ':' is part of a date, time or ratio. */
function touchesSlashOrColon(text: string, start: number, end: number): boolean {
  const b = text.charCodeAt(start - 1);
  const a = text.charCodeAt(end);
  return b === 47 || b === 58 || a === 47 || a === 58;
}

function scanGroup(s: Scan, a: number, b: number): void {
  const { t, text } = s;
  const start = t.starts[a]!;
  const end = t.ends[b]!;
  if (isQuantity(text, start, end)) return;
  let total = 0;
  for (let k = a; k <= b && total <= 19; k++) total += len(t, k);
  const before = s.out.length;
  if (total >= 13) scanPans(s, a, b);
  // A Luhn-valid number in a card range is a card even after an account cue.
  const isCard = s.out.length > before;
  const slashy = touchesSlashOrColon(text, start, end);
  if (total >= 3 && total <= 4 && !slashy) detectCvv(s, a, b);
  if (total >= 8 && total <= 17 && !slashy && !isCard) {
    const cue = cueBefore(t, a, CUES.account, 6);
    // The cue names this number, not one after another number ("acct 9397378086. 3033 ...").
    if (cue >= 0 && noDigitsBetween(t, cue, a)) {
      const strong = cueEndingAt(t, cue, CUES.account) > 1 || t.id(cue) === ACCT;
      emit(s, 'BANK_ACCOUNT', start, end, strong ? 0.9 : 0.75, 'bank-account.context');
    }
  }
  for (let i = a; i <= b; i++) scanShapesAt(s, i, a, b);
}

/** Whether the separator after token k continues a shape of `m` tokens joined by `sep`. */
const joinsShape = (t: Tokens, k: number, m: number, sep: number): boolean =>
  m === 1 ? !isSpace(sepAfter(t, k)) : sepAfter(t, k) === sep;

/** Digit-count shapes tried by {@link scanShapesAt}; every multi-token shape is joined by '-' or ' '. */
const SHAPE_SSN = [3, 2, 4] as const;
const SHAPE_9 = [9] as const;
const SHAPE_NHS = [3, 3, 4] as const;
const SHAPE_10 = [10] as const;
const DASH_OR_SPACE = (c: number): boolean => c === 0 || c === 45 || c === 32;

/**
 * Returns the inner separator's char code (0 for one token) when tokens i… have exactly the digit
 * counts in `lens`, a single consistent separator ('-' or ' '), and do not continue into a longer
 * number with that same separator; otherwise -1.
 */
function shapeAt(t: Tokens, i: number, lens: readonly number[], a: number, b: number): number {
  const m = lens.length;
  const last = i + m - 1;
  if (last > b) return -1;
  for (let q = 0; q < m; q++) if (len(t, i + q) !== lens[q]) return -1;
  const sep = m > 1 ? sepAfter(t, i) : 0;
  if (m > 1 && !DASH_OR_SPACE(sep)) return -1;
  for (let q = 1; q < m - 1; q++) if (sepAfter(t, i + q) !== sep) return -1;
  if (i > a && joinsShape(t, i - 1, m, sep)) return -1;
  if (last < b && joinsShape(t, last, m, sep)) return -1;
  return sep;
}

function digitsOf(t: Tokens, i: number, j: number): string {
  let d = '';
  for (let k = i; k <= j; k++) d += t.text.slice(t.starts[k], t.ends[k]);
  return d;
}

function scanShapesAt(s: Scan, i: number, a: number, b: number): void {
  const { t } = s;
  const l = len(t, i);
  if (l !== 3 && l !== 9 && l !== 10) return;
  const dashed = shapeAt(t, i, SHAPE_SSN, a, b) >= 0;
  const bare9 = !dashed && shapeAt(t, i, SHAPE_9, a, b) >= 0;
  if (dashed || bare9) {
    const last = dashed ? i + 2 : i;
    const digits = digitsOf(t, i, last);
    const start = t.starts[i]!;
    const end = t.ends[last]!;
    const ssnCue = cueBefore(t, i, CUES.ssn, 6) >= 0;
    const itinCue = cueBefore(t, i, CUES.itin, 6) >= 0;
    if (ssnValid(digits)) {
      if (ssnCue) emit(s, 'US_SSN', start, end, dashed ? 0.95 : 0.9, 'ssn.context');
      else if (dashed) emit(s, 'US_SSN', start, end, 0.6, 'ssn.format');
    } else if (itinValid(digits)) {
      if (itinCue || ssnCue) emit(s, 'US_ITIN', start, end, dashed ? 0.95 : 0.9, 'itin.context');
      else if (dashed) emit(s, 'US_ITIN', start, end, 0.7, 'itin.format');
    }
    if (bare9 && abaValid(digits) && cueBefore(t, i, CUES.routing, 6) >= 0) {
      emit(s, 'ABA_ROUTING', start, end, 0.95, 'aba.checksum.context');
    }
  }
  const nhsSpaced = shapeAt(t, i, SHAPE_NHS, a, b) >= 0;
  const nhsBare = !nhsSpaced && shapeAt(t, i, SHAPE_10, a, b) >= 0;
  if (nhsSpaced || nhsBare) {
    const last = nhsSpaced ? i + 2 : i;
    if (nhsValid(digitsOf(t, i, last)) && cueBefore(t, i, CUES.nhs, 8) >= 0) {
      emit(s, 'UK_NHS', t.starts[i]!, t.ends[last]!, 0.95, 'nhs.mod11.context');
    }
  }
}

/** A PAN's digit grouping looks like a card: one run, equal runs (4-4-4-4, 1-1-…), or Amex/Diners 4-6-x. */
function wellFormed(t: Tokens, i: number, j: number): boolean {
  if (i === j) return true;
  const first = len(t, i);
  let equal = true;
  for (let k = i + 1; k < j && equal; k++) equal = len(t, k) === first;
  if (equal && len(t, j) <= first) return true;
  return j === i + 2 && first === 4 && len(t, i + 1) === 6 && (len(t, j) === 5 || len(t, j) === 4);
}

/** Scratch buffers for one digit group, grown on demand (the scan is synchronous, so sharing is safe). */
let groupDigits = new Uint8Array(64);
let luhnOddDoubled = new Int32Array(65);
let luhnEvenDoubled = new Int32Array(65);
let tokenOffsets = new Int32Array(64);

/**
 * Digits loaded per token: a window holding a longer token has more than 19 digits whatever its
 * true length, so longer tokens are cut here (a 10 MB digit run costs no 10 MB buffers).
 */
const LOADED_DIGITS = 20;

/** Loads the group's digits and Luhn prefix sums, so any window's Luhn sum costs O(1). */
function loadGroup(t: Tokens, a: number, b: number): void {
  let total = 0;
  for (let k = a; k <= b; k++) total += Math.min(len(t, k), LOADED_DIGITS);
  if (groupDigits.length < total) {
    groupDigits = new Uint8Array(total * 2);
    luhnOddDoubled = new Int32Array(total * 2 + 1);
    luhnEvenDoubled = new Int32Array(total * 2 + 1);
  }
  if (tokenOffsets.length < b - a + 2) tokenOffsets = new Int32Array((b - a + 2) * 2);
  let p = 0;
  for (let k = a; k <= b; k++) {
    tokenOffsets[k - a] = p;
    const end = Math.min(t.ends[k]!, t.starts[k]! + LOADED_DIGITS);
    for (let q = t.starts[k]!; q < end; q++) {
      const d = t.text.charCodeAt(q) - 48;
      const dbl = d * 2 > 9 ? d * 2 - 9 : d * 2;
      groupDigits[p] = d;
      luhnOddDoubled[p + 1] = luhnOddDoubled[p]! + (p % 2 === 1 ? dbl : d);
      luhnEvenDoubled[p + 1] = luhnEvenDoubled[p]! + (p % 2 === 0 ? dbl : d);
      p++;
    }
  }
  tokenOffsets[b - a + 1] = p;
}

/** Luhn over group digits [x, y): the rightmost digit is not doubled, so parity follows y - 1. */
const luhnWindow = (x: number, y: number): boolean =>
  ((y - 1) % 2 === 0 ? luhnOddDoubled[y]! - luhnOddDoubled[x]! : luhnEvenDoubled[y]! - luhnEvenDoubled[x]!) %
    10 ===
  0;

/**
 * Tries every run of whole tokens holding 13–19 digits, left to right; at each start keeps the
 * best-grouped valid PAN and continues after it. Tokens are never split, so a PAN buried in a
 * longer unseparated run is not reported.
 */
function scanPans(s: Scan, a: number, b: number): void {
  const { t } = s;
  loadGroup(t, a, b);
  let found = false;
  let i = a;
  // First token at which a window from i reaches 13 digits; it never moves left as i grows.
  let from = a;
  while (i <= b) {
    const x = tokenOffsets[i - a]!;
    if (from < i) from = i;
    while (from <= b && tokenOffsets[from - a + 1]! - x < 13) from++;
    let best = -1;
    let bestRank = -1;
    let first6 = 0;
    if (tokenOffsets[b - a + 1]! - x >= 13)
      for (let q = 0; q < 6; q++) first6 = first6 * 10 + groupDigits[x + q]!;
    const mask = first6 > 0 ? panLengthMask(first6) : 0;
    if (mask !== 0) {
      for (let j = from; j <= b; j++) {
        const y = tokenOffsets[j - a + 1]!;
        const count = y - x;
        if (count > 19) break;
        if (((mask >> count) & 1) === 0 || !luhnWindow(x, y)) continue;
        const clean = j === b || (i === j ? isSpace(sepAfter(t, j)) : sepAfter(t, j) !== sepAfter(t, i));
        const rank = (wellFormed(t, i, j) ? 4 : 0) + (clean ? 2 : 0);
        if (rank >= bestRank) {
          best = j;
          bestRank = rank;
        }
      }
    }
    if (best < 0) {
      i++;
      continue;
    }
    const context = cueBefore(t, i, CUES.card, 8) >= 0 || cueAfter(t, best, CUES.card, 4) >= 0;
    emit(s, 'PAN', t.starts[i]!, t.ends[best]!, context ? 1 : 0.85, 'pan.digits.luhn');
    s.panEnds.push(best);
    found = true;
    i = best + 1;
  }
  if (found) return;
  // A misheard or mistyped digit breaks Luhn; with a card cue right before, mask the whole run anyway.
  let total = 0;
  for (let k = a; k <= b && total <= 19; k++) total += len(t, k);
  if (total < 13 || total > 19) return;
  const digits = digitsOf(t, a, b);
  const cue = cueBefore(t, a, CUES.card, 6);
  // The cue must name this number: not one that another number stands between ("account number
  // 84167153. auth reference 6011...").
  if (
    panNetwork(digits) !== null &&
    cue >= 0 &&
    noDigitsBetween(t, cue, a) &&
    !namedAsReference(s.text, t.starts[a]!)
  ) {
    emit(s, 'PAN', t.starts[a]!, t.ends[b]!, 0.5, 'pan.candidate.context');
    s.panEnds.push(b);
  }
}

/**
 * Token index of the last PAN ending before token `k` within `window` tokens, or -1. Binary search:
 * the expiry pass runs after every PAN of the text is known, so the last PAN is not always the one
 * before `k` (a later card used to hide an earlier card's expiry).
 */
function panBefore(s: Scan, k: number, window: number): number {
  const ends = s.panEnds;
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid]! < k) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return -1;
  const p = ends[lo - 1]!;
  return k - p <= window ? p : -1;
}

function cueInRange(t: Tokens, from: number, to: number, cues: CueSet): boolean {
  for (let k = from; k <= to; k++) if (cueEndingAt(t, k, cues) > 0) return true;
  return false;
}

function detectCvv(s: Scan, a: number, b: number): void {
  const { t } = s;
  const start = t.starts[a]!;
  const end = t.ends[b]!;
  const cue = cueBefore(t, a, CUES.cvv, 6);
  if (cue >= 0 && noDigitsBetween(t, cue, a)) {
    emit(s, 'CVV', start, end, 0.95, 'cvv.context');
    return;
  }
  const pan = panBefore(s, a, 30);
  if (
    pan >= 0 &&
    cueInRange(t, pan + 1, a - 1, CUES.cvvAfterPan) &&
    !namedAsOtherNumber(s.text, start, end)
  ) {
    emit(s, 'CVV', start, end, 0.9, 'cvv.after-pan');
  }
}

// ---------------------------------------------------------------------------------------------
// Anchored patterns tried at each numeric token: phones, card expiry, numeric dates.

const NANP =
  /(?:1[ .-]?)?(?:\(([2-9][0-9]{2})\) ?|([2-9][0-9]{2})([ .-]?))([2-9][0-9]{2})([ .-]?)([0-9]{4})(?![0-9A-Za-z])/y;
const UK_PHONE = /0[1-9][0-9]{1,3}([ -]?)[0-9]{3,4}[ -]?[0-9]{3,4}(?![0-9A-Za-z])/y;
const EXPIRY = /(0?[1-9]|1[0-2]) ?[/-] ?([0-9]{4}|[0-9]{2})(?![0-9A-Za-z]|[/-][0-9])/y;
const EXPIRY_MMYY = /(0[1-9]|1[0-2])([0-9]{2})(?![0-9A-Za-z])/y;
const DATE_DMY = /([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})(?![0-9A-Za-z]|[/.-][0-9])/y;
const DATE_YMD = /((?:19|20)[0-9]{2})([/.-])([0-9]{1,2})\2([0-9]{1,2})(?![0-9A-Za-z]|[/.-][0-9])/y;
const MONTHS =
  '(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)';
const DATE_D_MONTH_Y = new RegExp(
  `([0-9]{1,2})(?:st|nd|rd|th)?(?: of)? ${MONTHS}\\.?,? ((?:19|20)[0-9]{2})(?![0-9A-Za-z])`,
  'iy',
);
const DATE_MONTH_D_Y = new RegExp(
  `${MONTHS}\\.? ([0-9]{1,2})(?:st|nd|rd|th)?,? ((?:19|20)[0-9]{2})(?![0-9A-Za-z])`,
  'iy',
);
const MONTH_WORDS = new Set(MONTHS.slice(3, -1).split('|'));

const matchAt = (re: RegExp, text: string, pos: number): RegExpExecArray | null => {
  re.lastIndex = pos;
  return re.exec(text);
};

/** True when token k continues a number to its left ("12-", "3.", "4/", "+"). */
function continuesNumber(text: string, pos: number): boolean {
  const c = text.charCodeAt(pos - 1);
  if (c === 43) return true;
  return (c === 47 || c === 45 || c === 46 || c === 58) && isDigitCode(text.charCodeAt(pos - 2));
}

function scanNumericTokens(s: Scan): void {
  const { t, text } = s;
  const n = t.starts.length;
  for (let k = 0; k < n; k++) {
    if (!isNumeric(t, k)) continue;
    const start = t.starts[k]!;
    const l = len(t, k);
    const before = text.charCodeAt(start - 1);
    if (before === 43 || (before === 40 && text.charCodeAt(start - 2) === 43)) {
      detectE164(s, k);
      continue;
    }
    const open = before === 40;
    const pos = open ? start - 1 : start;
    if (continuesNumber(text, pos) || text.charCodeAt(pos - 1) === 36) continue;
    const c0 = text.charCodeAt(start);
    // After '(' NANP needs exactly three digits and ')'.
    if (open ? l === 3 : (l === 1 && c0 === 49) || l === 3 || l === 10 || l === 11) detectNanp(s, k, pos);
    if (!open && c0 === 48 && ((l >= 3 && l <= 5) || l === 10 || l === 11)) detectUkPhone(s, k);
    if (open) continue;
    if (l <= 2 || l === 4) detectExpiry(s, k);
    if (l <= 2 || l === 4) detectNumericDob(s, k);
  }
}

function detectNanp(s: Scan, k: number, pos: number): void {
  const { t, text } = s;
  const m = matchAt(NANP, text, pos);
  if (!m) return;
  const paren = m[1] !== undefined;
  const sep1 = m[3] ?? '';
  const sep2 = m[5] ?? '';
  if (!paren && sep1 !== sep2) return;
  const bare = !paren && sep1 === '' && !/[ .-]/.test(m[0]);
  const cue = cueBefore(t, k, CUES.phone, 6) >= 0;
  if (bare && !cue) return;
  emit(s, 'PHONE', pos, pos + m[0].length, cue ? (bare ? 0.85 : 0.95) : 0.75, 'phone.nanp');
}

function detectUkPhone(s: Scan, k: number): void {
  const { t, text } = s;
  const start = t.starts[k]!;
  const m = matchAt(UK_PHONE, text, start);
  if (!m) return;
  let digits = 0;
  for (let i = 0; i < m[0].length; i++) if (isDigitCode(m[0].charCodeAt(i))) digits++;
  if (digits < 10 || digits > 11) return;
  const bare = digits === m[0].length;
  const cue = cueBefore(t, k, CUES.phone, 6) >= 0;
  if (bare && !cue) return;
  emit(s, 'PHONE', start, start + m[0].length, cue ? (bare ? 0.85 : 0.95) : 0.7, 'phone.uk');
}

/** ' ', '.', '-', '(', ')', NBSP. */
const isPhoneGap = (c: number): boolean =>
  c === 32 || c === 46 || c === 45 || c === 40 || c === 41 || c === 0xa0;

/** "+CC …": tokens joined by short gaps of separators or brackets, at most 15 digits in all. */
function detectE164(s: Scan, k: number): void {
  const { t, text } = s;
  if (text.charCodeAt(t.starts[k]!) === 48) return;
  const plus = text.charCodeAt(t.starts[k]! - 1) === 43 ? t.starts[k]! - 1 : t.starts[k]! - 2;
  if (plus > 0 && isAsciiAlnum(text.charCodeAt(plus - 1))) return;
  let digits = 0;
  let last = -1;
  for (let j = k; j < t.starts.length && isNumeric(t, j); j++) {
    if (j > k) {
      const gapStart = t.ends[j - 1]!;
      const gapLen = t.starts[j]! - gapStart;
      if (gapLen > 2) break;
      // ". " ends a sentence: a phone number never continues across it.
      if (gapLen === 2 && text.charCodeAt(gapStart) === 46) break;
      let ok = true;
      for (let q = gapStart; q < gapStart + gapLen && ok; q++) ok = isPhoneGap(text.charCodeAt(q));
      if (!ok) break;
    }
    if (digits + len(t, j) > 15) break;
    digits += len(t, j);
    last = j;
  }
  if (last < 0 || digits < 8) return;
  const next = text.charCodeAt(t.ends[last]!);
  if (isAsciiAlnum(next)) return;
  const cue = cueBefore(t, k, CUES.phone, 6) >= 0;
  emit(s, 'PHONE', plus, t.ends[last]!, cue ? 0.95 : 0.85, 'phone.e164');
}

function detectExpiry(s: Scan, k: number): void {
  const { t, text } = s;
  const start = t.starts[k]!;
  const mmyy = len(t, k) === 4;
  // MMYY needs a month 01-12 first: most 4-digit groups (card groups, years) fail here, before any cue walk.
  if (mmyy) {
    const m0 = text.charCodeAt(start);
    const m1 = text.charCodeAt(start + 1);
    if (!(m0 === 48 ? m1 >= 49 && m1 <= 57 : m0 === 49 && m1 >= 48 && m1 <= 50)) return;
  }
  // Nothing is reported without a cue or (for MM/YY) a PAN just before: check those next.
  const cue = cueBefore(t, k, CUES.expiry, 6) >= 0;
  if (!cue && (mmyy || panBefore(s, k, 30) < 0)) return;
  if (!mmyy) {
    // EXPIRY needs '/' or '-' (perhaps after one space) right after the month's digits.
    const end = t.ends[k]!;
    let c = text.charCodeAt(end);
    if (c === 32) c = text.charCodeAt(end + 1);
    if (c !== 47 && c !== 45) return;
  }
  const m = matchAt(mmyy ? EXPIRY_MMYY : EXPIRY, text, start);
  if (!m) return;
  const year = m[2]!;
  if (year.length === 4 && !year.startsWith('20')) return;
  const end = start + m[0].length;
  if (cue) emit(s, 'CARD_EXPIRY', start, end, mmyy ? 0.8 : 0.9, 'expiry.context');
  else emit(s, 'CARD_EXPIRY', start, end, 0.7, 'expiry.after-pan');
}

const validDayMonth = (d: number, m: number): boolean => d >= 1 && d <= 31 && m >= 1 && m <= 12;

function detectNumericDob(s: Scan, k: number): void {
  const { t, text } = s;
  const start = t.starts[k]!;
  // Every date pattern here goes on right after the token: with a '/', '.' or '-' (and for a
  // 4-digit token a 19xx/20xx year first), or a space before a month name.
  const next = text.charCodeAt(t.ends[k]!);
  const dateSep = next === 47 || next === 46 || next === 45;
  if (len(t, k) === 4) {
    const y = text.charCodeAt(start) * 256 + text.charCodeAt(start + 1);
    if (!dateSep || (y !== 49 * 256 + 57 && y !== 50 * 256 + 48)) return;
  } else if (!dateSep && next !== 32) return;
  // Reported only after a date-of-birth cue: check it before running any pattern.
  if (cueBefore(t, k, CUES.dob, 8) < 0) return;
  let m: RegExpExecArray | null = null;
  if (len(t, k) === 4) {
    m = matchAt(DATE_YMD, text, start);
    if (m && !validDayMonth(Number(m[4]), Number(m[3]))) m = null;
  } else {
    m = matchAt(DATE_DMY, text, start);
    if (m) {
      const x = Number(m[1]);
      const y = Number(m[3]);
      if (!validDayMonth(x, y) && !validDayMonth(y, x)) m = null;
    }
    m ??= matchAt(DATE_D_MONTH_Y, text, start);
  }
  if (m) emit(s, 'DATE_OF_BIRTH', start, start + m[0].length, 0.9, 'dob.context');
}

// ---------------------------------------------------------------------------------------------
// Word tokens: IBAN, NINO, postcodes, passports, licences, addresses, health terms, names.

const NINO = /[A-Za-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d](?![0-9A-Za-z])/y;
const UK_POSTCODE = /[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}(?![0-9A-Za-z])/y;

function scanWordTokens(s: Scan): void {
  const { t, text } = s;
  const n = t.starts.length;
  for (let k = 0; k < n; k++) {
    const f = t.flags[k]!;
    const l = len(t, k);
    const c0 = text.charCodeAt(t.starts[k]!);
    if (f & HAS_DIGIT) {
      if (l <= 16) detectLicenceOrPassport(s, k);
      if (l <= 7) detectStreetAddress(s, k);
    }
    // An IBAN ("DE89…") and a UK postcode ("SW1A", "M1") start with a capital and hold a digit.
    if (c0 >= 65 && c0 <= 90 && f & HAS_DIGIT) {
      detectIban(s, k);
      detectUkPostcode(s, k);
    }
    if (f === (HAS_DIGIT | HAS_LETTER) && l <= 4 && isOrdinal(t, k)) detectDayMonthDob(s, k);
    if (f & HAS_LETTER && l <= 24) {
      // A NINO token is two letters on their own ("AB 12 …") or holds digits ("AB123456C").
      if (l <= 9 && (l === 2 || f & HAS_DIGIT)) detectNino(s, k);
      const w = wordClass(t, k);
      if (w === 0) continue;
      if (w & W_HEALTH) detectHealth(s, k);
      if (w & W_MONTH) detectWordDob(s, k);
      if (w & W_PERSON_CUE) detectPerson(s, k);
    }
  }
}

/** IBAN_LENGTHS by the two capitals of the country code, (A-Z)×26 + (A-Z); 0 for none. */
const IBAN_LENGTH_BY_CODE = (() => {
  const table = new Uint8Array(26 * 26);
  for (const [cc, l] of Object.entries(IBAN_LENGTHS))
    table[(cc.charCodeAt(0) - 65) * 26 + cc.charCodeAt(1) - 65] = l;
  return table;
})();

function detectIban(s: Scan, k: number): void {
  const { t, text } = s;
  const start = t.starts[k]!;
  const c1 = text.charCodeAt(start + 1);
  if (
    !(c1 >= 65 && c1 <= 90) ||
    !isDigitCode(text.charCodeAt(start + 2)) ||
    !isDigitCode(text.charCodeAt(start + 3))
  ) {
    return;
  }
  const want = IBAN_LENGTH_BY_CODE[(text.charCodeAt(start) - 65) * 26 + c1 - 65]!;
  if (want === 0) return;
  let count = 0;
  let i = start;
  while (i < text.length && count < want) {
    const c = text.charCodeAt(i);
    if (isAsciiAlnum(c)) {
      count++;
      i++;
    } else if (c === 32 && count > 0 && isAsciiAlnum(text.charCodeAt(i + 1))) {
      i++;
    } else break;
  }
  if (count !== want || isAsciiAlnum(text.charCodeAt(i))) return;
  if (ibanValid(text.slice(start, i))) emit(s, 'IBAN', start, i, 1, 'iban.mod97');
}

function detectNino(s: Scan, k: number): void {
  const { t, text } = s;
  const start = t.starts[k]!;
  const c2 = text.charCodeAt(start + 2);
  if (!isDigitCode(c2) && !(c2 === 32 && isDigitCode(text.charCodeAt(start + 3)))) return;
  const m = matchAt(NINO, text, start);
  if (!m || !ninoValid(m[0])) return;
  const cue = cueBefore(t, k, CUES.nino, 8) >= 0;
  const upper = m[0] === m[0].toUpperCase();
  if (cue || upper) emit(s, 'UK_NINO', start, start + m[0].length, cue ? 0.95 : 0.85, 'nino.format');
}

function detectUkPostcode(s: Scan, k: number): void {
  const { t, text } = s;
  const start = t.starts[k]!;
  // UK_POSTCODE starts with one or two capitals and a digit.
  const c1 = text.charCodeAt(start + 1);
  if (!isDigitCode(c1) && !(c1 >= 65 && c1 <= 90 && isDigitCode(text.charCodeAt(start + 2)))) return;
  const m = matchAt(UK_POSTCODE, text, start);
  if (!m) return;
  const cue = cueBefore(t, k, CUES.postcode, 8) >= 0;
  emit(s, 'POSTAL_ADDRESS', start, start + m[0].length, cue ? 0.95 : 0.8, 'postcode.uk');
}

/** True when token k is joined to a digit-bearing neighbour by '-' or '.', i.e. part of a longer id. */
function joinedToDigits(t: Tokens, k: number): boolean {
  const prev = k > 0 ? sepAfter(t, k - 1) : 0;
  const next = sepAfter(t, k);
  if (prev !== 0 && !isSpace(prev) && t.flags[k - 1]! & HAS_DIGIT) return true;
  return next !== 0 && !isSpace(next) && (t.flags[k + 1]! & HAS_DIGIT) !== 0;
}

/** Token q is ASCII letters and digits only. */
function plainId(t: Tokens, q: number): boolean {
  if (isNumeric(t, q)) return true;
  const { text } = t;
  for (let i = t.starts[q]!; i < t.ends[q]!; i++) if (!isAsciiAlnum(text.charCodeAt(i))) return false;
  return true;
}

/** A 9-character token that is nine digits, or a letter and eight digits (US passport). */
function passportToken(t: Tokens, k: number): boolean {
  const { text } = t;
  const start = t.starts[k]!;
  const c0 = text.charCodeAt(start);
  if (!isDigitCode(c0) && !((c0 | 32) >= 97 && (c0 | 32) <= 122)) return false;
  for (let i = start + 1; i < start + 9; i++) if (!isDigitCode(text.charCodeAt(i))) return false;
  return true;
}

function detectLicenceOrPassport(s: Scan, k: number): void {
  const { t } = s;
  const l = len(t, k);
  const numeric = isNumeric(t, k);
  if (l === 9) {
    const cue = cueBefore(t, k, CUES.passport, 6);
    if (cue >= 0 && passportToken(t, k) && !joinedToDigits(t, k) && noDigitsBetween(t, cue, k)) {
      emit(s, 'US_PASSPORT', t.starts[k]!, t.ends[k]!, 0.9, 'us-passport.context');
    }
  }
  // A licence may be written in hyphenated parts ("D123-4567-8901"); start only at the first part.
  if (k > 0 && sepAfter(t, k - 1) === 45 && t.flags[k - 1]! & HAS_DIGIT) return;
  let last = k;
  let total = l;
  while (sepAfter(t, last) === 45 && total + len(t, last + 1) <= 16) {
    last++;
    total += len(t, last);
  }
  if (total < 5 || (last === k && total > 13) || sepAfter(t, last) === 45) return;
  if (!numeric || last > k) for (let q = k; q <= last; q++) if (!plainId(t, q)) return;
  // Reported only after a licence cue, looked for last (most digit tokens fail the shape above).
  const cue = cueBefore(t, k, CUES.driverLicense, 6);
  if (cue >= 0 && noDigitsBetween(t, cue, k)) {
    emit(s, 'US_DRIVER_LICENSE', t.starts[k]!, t.ends[last]!, 0.85, 'driver-license.context');
  }
}

// biome-ignore format: word lists read better packed
const STREET_SUFFIXES = new Set([
  'street', 'st', 'avenue', 'ave', 'av', 'road', 'rd', 'boulevard', 'blvd', 'lane', 'ln', 'drive', 'dr',
  'court', 'ct', 'way', 'place', 'pl', 'terrace', 'ter', 'circle', 'cir', 'parkway', 'pkwy', 'highway', 'hwy',
  'square', 'sq', 'trail', 'trl', 'crescent', 'close', 'plaza', 'loop', 'alley', 'pike', 'route',
]);
// biome-ignore format: word lists read better packed
const NOT_STREET_NAMES = new Set([
  'the', 'a', 'an', 'of', 'to', 'for', 'on', 'in', 'at', 'and', 'or', 'more', 'my', 'your', 'this', 'that',
  'is', 'are', 'was', 'times', 'days', 'hours', 'minutes', 'items', 'dollars', 'years',
]);
const DIRECTIONS = new Set(['n', 's', 'e', 'w', 'ne', 'nw', 'se', 'sw', 'north', 'south', 'east', 'west']);
const UNIT_WORDS = new Set(['apt', 'apartment', 'suite', 'ste', 'unit', 'flat', 'floor', 'fl', 'room']);
// biome-ignore format: word lists read better packed
const US_STATES = new Set([
  'AL', 'AK', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'FL', 'GA', 'HI', 'ID', 'IL', 'IN', 'IA', 'KS', 'KY', 'LA',
  'ME', 'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE', 'NV', 'NH', 'NJ', 'NM', 'NY', 'NC', 'ND', 'OH', 'OK',
  'OR', 'PA', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT', 'VA', 'WA', 'WV', 'WI', 'WY', 'DC', 'PR',
]);
const HOUSE_NUMBER = /^[0-9]{1,6}[a-z]?$/;
const ORDINAL = /^[0-9]{1,3}(?:st|nd|rd|th)$/;

/** Whether token k holds only ASCII characters (so its lowercase form is known char by char). */
function asciiToken(t: Tokens, k: number): boolean {
  const { text } = t;
  for (let i = t.starts[k]!; i < t.ends[k]!; i++) if (text.charCodeAt(i) >= 128) return false;
  return true;
}

const lower = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);

/** ORDINAL on the lowercased token, from char codes when the token is ASCII. */
function isOrdinal(t: Tokens, k: number): boolean {
  if (!asciiToken(t, k)) return ORDINAL.test(t.word(k));
  const { text } = t;
  const start = t.starts[k]!;
  const l = t.ends[k]! - start;
  if (l < 3 || l > 5) return false;
  for (let i = start; i < start + l - 2; i++) if (!isDigitCode(text.charCodeAt(i))) return false;
  const a = lower(text.charCodeAt(start + l - 2));
  const b = lower(text.charCodeAt(start + l - 1));
  // st, nd, rd, th
  return (
    (a === 115 && b === 116) ||
    (a === 110 && b === 100) ||
    (a === 114 && b === 100) ||
    (a === 116 && b === 104)
  );
}

/** HOUSE_NUMBER on the lowercased token, from char codes when the token is ASCII. */
function isHouseNumber(t: Tokens, k: number): boolean {
  if (!asciiToken(t, k)) return HOUSE_NUMBER.test(t.word(k));
  const { text } = t;
  const start = t.starts[k]!;
  const end = t.ends[k]!;
  const lc = lower(text.charCodeAt(end - 1));
  const digitsEnd = lc >= 97 && lc <= 122 ? end - 1 : end;
  if (digitsEnd - start < 1 || digitsEnd - start > 6) return false;
  for (let i = start; i < digitsEnd; i++) if (!isDigitCode(text.charCodeAt(i))) return false;
  return true;
}

/** Gaps between tokens that {@link gapIs} recognises, one bit each. */
const G_SP = 1; // ' '
const G_COMMA_SP = 2; // ', '
const G_COMMA = 4; // ','
const G_DOT_SP = 8; // '. '
const G_DOT_COMMA_SP = 16; // '., '
const G_DASH = 32; // '-'
const G_SP_HASH = 64; // ' #'
const G_HASH = 128; // '#'
const G_COMMA_SP_HASH = 256; // ', #'
const G_LIST = G_SP | G_COMMA_SP | G_COMMA | G_DOT_SP | G_DOT_COMMA_SP;

/** The gap between token k and token k+1 as one of the G_ bits, or 0. */
function gapOf(t: Tokens, k: number): number {
  const next = t.starts[k + 1];
  if (next === undefined) return 0;
  const e = t.ends[k]!;
  const l = next - e;
  if (l > 3) return 0;
  const { text } = t;
  const c0 = text.charCodeAt(e);
  if (l === 1) return c0 === 32 ? G_SP : c0 === 44 ? G_COMMA : c0 === 45 ? G_DASH : c0 === 35 ? G_HASH : 0;
  const c1 = text.charCodeAt(e + 1);
  if (l === 2) {
    if (c1 === 32) return c0 === 44 ? G_COMMA_SP : c0 === 46 ? G_DOT_SP : 0;
    return c0 === 32 && c1 === 35 ? G_SP_HASH : 0;
  }
  const c2 = text.charCodeAt(e + 2);
  if (c0 === 46 && c1 === 44 && c2 === 32) return G_DOT_COMMA_SP;
  return c0 === 44 && c1 === 32 && c2 === 35 ? G_COMMA_SP_HASH : 0;
}

/** Whether the text between token k and token k+1 is one of the `allowed` gaps (G_ bits). */
const gapIs = (t: Tokens, k: number, allowed: number): boolean => (gapOf(t, k) & allowed) !== 0;

/** Whether token k is exactly a US state code (two capitals). */
function isUsState(t: Tokens, k: number): boolean {
  const start = t.starts[k]!;
  if (t.ends[k]! - start !== 2) return false;
  const a = t.text.charCodeAt(start) - 65;
  const b = t.text.charCodeAt(start + 1) - 65;
  return a >= 0 && a < 26 && b >= 0 && b < 26 && US_STATE_CODES[a * 26 + b] === 1;
}
const US_STATE_CODES = new Uint8Array(26 * 26);
for (const st of US_STATES) US_STATE_CODES[(st.charCodeAt(0) - 65) * 26 + st.charCodeAt(1) - 65] = 1;

const isAlpha = (t: Tokens, k: number): boolean =>
  t.flags[k] !== undefined && (t.flags[k]! & HAS_DIGIT) === 0;

/** "123 Main St[.] [NW][, Apt 4][, Springfield, IL 62704]". */
function detectStreetAddress(s: Scan, k: number): void {
  const { t, text } = s;
  const n = t.starts.length;
  if (!gapIs(t, k, G_SP) || !isAlpha(t, k + 1)) return;
  if (!isHouseNumber(t, k) || joinedToDigits(t, k) || continuesNumber(text, t.starts[k]!)) return;
  let m = k;
  let names = 0;
  let suffix = -1;
  while (m + 1 < n && names <= 4 && gapIs(t, m, G_SP)) {
    m++;
    const w = wordClass(t, m);
    if (names > 0 && w & W_STREET_SUFFIX) {
      suffix = m;
      break;
    }
    const nameLike = (isAlpha(t, m) && len(t, m) <= 24 && !(w & W_NOT_STREET_NAME)) || isOrdinal(t, m);
    if (!nameLike) return;
    names++;
  }
  if (suffix < 0) return;
  let last = suffix;
  let end = t.ends[last]!;
  if (text.charCodeAt(end) === 46 && len(t, last) <= 4) end++;
  if (gapIs(t, last, G_SP | G_DOT_SP) && wordClass(t, last + 1) & W_DIRECTION) {
    last++;
    end = t.ends[last]!;
  }
  if (gapIs(t, last, G_LIST) && wordClass(t, last + 1) & W_UNIT && last + 2 < n) {
    if (gapIs(t, last + 1, G_SP | G_DOT_SP | G_SP_HASH | G_HASH) && len(t, last + 2) <= 6) {
      last += 2;
      end = t.ends[last]!;
    }
  } else if (gapIs(t, last, G_SP_HASH | G_COMMA_SP_HASH) && len(t, last + 1) <= 6) {
    last++;
    end = t.ends[last]!;
  }
  // City (1–3 capitalised words), a US state code and an optional ZIP (+4).
  if (gapIs(t, last, G_LIST)) {
    for (let c = last + 1; c <= last + 3 && c < n; c++) {
      if (!isAlpha(t, c) || !(t.flags[c]! & UPPER_FIRST) || (c > last + 1 && !gapIs(t, c - 1, G_SP))) break;
      const st = c + 1;
      if (st >= n || !gapIs(t, c, G_COMMA_SP | G_SP | G_COMMA)) continue;
      if (!isUsState(t, st)) continue;
      last = st;
      end = t.ends[st]!;
      if (gapIs(t, st, G_SP | G_COMMA_SP) && isNumeric(t, st + 1) && len(t, st + 1) === 5) {
        last = st + 1;
        end = t.ends[last]!;
        if (sepAfter(t, last) === 45 && isNumeric(t, last + 1) && len(t, last + 1) === 4)
          end = t.ends[last + 1]!;
      }
      break;
    }
  }
  const cue = cueBefore(t, k, CUES.address, 8) >= 0;
  emit(s, 'POSTAL_ADDRESS', t.starts[k]!, end, cue ? 0.95 : 0.85, 'address.us');
}

function detectHealth(s: Scan, k: number): void {
  const { t } = s;
  const l = cueStartingAt(t, k, HEALTH_TERMS);
  if (l === 0 || cueBefore(t, k, CUES.health, 8) < 0) return;
  emit(s, 'HEALTH', t.starts[k]!, t.ends[k + l - 1]!, 0.8, 'health.context');
}

function detectDayMonthDob(s: Scan, k: number): void {
  const { t, text } = s;
  const start = t.starts[k]!;
  const m = matchAt(DATE_D_MONTH_Y, text, start);
  if (m && Number(m[1]) >= 1 && Number(m[1]) <= 31 && cueBefore(t, k, CUES.dob, 8) >= 0) {
    emit(s, 'DATE_OF_BIRTH', start, start + m[0].length, 0.9, 'dob.context');
  }
}

function detectWordDob(s: Scan, k: number): void {
  const { t, text } = s;
  const start = t.starts[k]!;
  const m = matchAt(DATE_MONTH_D_Y, text, start);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 31) return;
  if (cueBefore(t, k, CUES.dob, 8) >= 0) {
    emit(s, 'DATE_OF_BIRTH', start, start + m[0].length, 0.9, 'dob.context');
  }
}

// biome-ignore format: word lists read better packed
const NOT_NAMES = new Set([
  'i', 'a', 'an', 'the', 'it', 'that', 'this', 'calling', 'ringing', 'phoning', 'just', 'here', 'not', 'sorry',
  'so', 'very', 'really', 'looking', 'trying', 'going', 'good', 'fine', 'great', 'okay', 'ok', 'yes', 'no',
  'well', 'happy', 'glad', 'afraid', 'interested', 'still', 'also', 'actually', 'hoping', 'wondering', 'your',
  'my', 'our', 'in', 'at', 'on', 'with', 'from', 'for', 'about', 'we', 'you', 'he', 'she', 'they', 'having',
  'getting', 'doing', 'thinking', 'sure', 'right', 'correct', 'please', 'thanks', 'thank', 'hi', 'hello', 'hey',
  'and', 'but', 'or', 'if', 'what', 'who', 'how', 'why', 'when', 'where', 'all', 'now', 'today', 'tomorrow',
  'back', 'done', 'ready', 'new', 'customer', 'service', 'support', 'agent', 'team', 'manager', 'billing',
  'sales', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'is', 'was', 'will',
  'can', 'could', 'would', 'should', 'may', 'might', 'must', 'have', 'has', 'had', 'do', 'does', 'did', 'am',
  'are', 'be', 'been', 'being', 'one', 'someone', 'nobody', 'there', 'then', 'because',
]);

// ---------------------------------------------------------------------------------------------
// Word classes: each word list above as one bit per vocabulary id, so a token is classified by
// its id (no lowercased copy, no Set lookup).

const W_HEALTH = 1; // first word of a health term
const W_MONTH = 2;
const W_PERSON_CUE = 4; // last word of a strong or weak name cue
const W_STREET_SUFFIX = 8;
const W_NOT_STREET_NAME = 16;
const W_DIRECTION = 32;
const W_UNIT = 64;
const W_NOT_NAME = 128;

const WORD_CLASS = (() => {
  const lists: Array<[number, Iterable<string>]> = [
    [W_HEALTH, HEALTH_TERMS.byFirst.keys()],
    [W_MONTH, MONTH_WORDS],
    [W_PERSON_CUE, CUES.personStrong.byLast.keys()],
    [W_PERSON_CUE, CUES.personWeak.byLast.keys()],
    [W_STREET_SUFFIX, STREET_SUFFIXES],
    [W_NOT_STREET_NAME, NOT_STREET_NAMES],
    [W_DIRECTION, DIRECTIONS],
    [W_UNIT, UNIT_WORDS],
    [W_NOT_NAME, NOT_NAMES],
  ];
  const ids: Array<[number, number]> = [];
  for (const [bit, words] of lists) for (const w of words) ids.push([bit, vocabId(w)]);
  const table = new Uint8Array(vocabSize());
  for (const [bit, id] of ids) table[id]! |= bit;
  return table;
})();

/** The W_ bits of token k's lowercased word (0 for a word in no list). */
const wordClass = (t: Tokens, k: number): number => WORD_CLASS[t.id(k)] ?? 0;

const isNameToken = (t: Tokens, k: number): boolean =>
  k < t.starts.length &&
  t.flags[k] === (HAS_LETTER | UPPER_FIRST) &&
  len(t, k) <= 30 &&
  (len(t, k) >= 2 || t.text.charCodeAt(t.ends[k]!) === 46) &&
  !(wordClass(t, k) & W_NOT_NAME);

/** 1–3 capitalised words right after "my name is", "this is", "I'm", "name's", "speaking with". */
function detectPerson(s: Scan, k: number): void {
  const { t } = s;
  const strong = cueEndingAt(t, k, CUES.personStrong) > 0;
  if (!strong && cueEndingAt(t, k, CUES.personWeak) === 0) return;
  let first = k + 1;
  if (!gapIs(t, k, G_SP | G_COMMA_SP)) return;
  if (cueStartingAt(t, first, CUES.personTitle) > 0 && gapIs(t, first, G_SP | G_DOT_SP)) first++;
  if (!isNameToken(t, first)) return;
  let last = first;
  let words = 1;
  while (words < 3 && gapIs(t, last, G_SP | G_DASH | G_DOT_SP) && isNameToken(t, last + 1)) {
    if (gapOf(t, last) === G_DOT_SP && len(t, last) !== 1) break;
    last++;
    words++;
  }
  emit(s, 'PERSON', t.starts[first]!, t.ends[last]!, strong ? 0.9 : 0.7, 'person.cue');
}

// ---------------------------------------------------------------------------------------------
// Character scans: emails and IP addresses.

/** ASCII character classes of the character scans, one bit each. */
const C_LOCAL = 1; // email local part: alnum . _ % + -
const C_DOMAIN = 2; // email domain: alnum . -
const C_IP = 4; // IP run: hex digits : .
const SCAN_CLASS = (() => {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    const alnum = isAsciiAlnum(c);
    if (alnum || c === 46 || c === 95 || c === 37 || c === 43 || c === 45) table[c]! |= C_LOCAL;
    if (alnum || c === 46 || c === 45) table[c]! |= C_DOMAIN;
    if (isDigitCode(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 58 || c === 46)
      table[c]! |= C_IP;
  }
  return table;
})();
const isLocalChar = (c: number): boolean => c < 128 && (SCAN_CLASS[c]! & C_LOCAL) !== 0;
const isDomainChar = (c: number): boolean => c < 128 && (SCAN_CLASS[c]! & C_DOMAIN) !== 0;

/** One forward pass; every character is read at most twice (once as local part, once as domain). */
function scanEmails(s: Scan): void {
  const { text } = s;
  // The local part is the run of local characters right before each '@' ('@' itself ends a run).
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    const end = domainEnd(text, at);
    if (end < 0) continue;
    let start = at;
    while (start > 0 && isLocalChar(text.charCodeAt(start - 1))) start--;
    if (start < at) emailAt(s, start, at, end);
  }
}

/** Checks a domain [from, to) label by label with char codes: 1–63 chars, no edge hyphen, alphabetic TLD. */
function domainOk(text: string, from: number, to: number): boolean {
  let labels = 0;
  let labelStart = from;
  for (let i = from; i <= to; i++) {
    if (i < to && text.charCodeAt(i) !== 46) continue;
    const l = i - labelStart;
    if (l < 1 || l > 63 || text.charCodeAt(labelStart) === 45 || text.charCodeAt(i - 1) === 45) return false;
    labels++;
    if (i === to) {
      if (l < 2 || l > 24) return false;
      for (let q = labelStart; q < to; q++) {
        const c = text.charCodeAt(q) | 32;
        if (c < 97 || c > 122) return false;
      }
    }
    labelStart = i + 1;
  }
  return labels >= 2;
}

/**
 * End of the domain after the '@' at `at` when it can be one (it holds a '.' and ends in two ASCII
 * letters), else -1: most '@' signs in hostile text fail here after reading the domain once.
 */
function domainEnd(text: string, at: number): number {
  let end = at + 1;
  let dot = false;
  while (end < text.length && end - at <= 254) {
    const c = text.charCodeAt(end);
    if (!isDomainChar(c)) break;
    if (c === 46) dot = true;
    end++;
  }
  if (!dot || end - at > 254) return -1;
  while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
  const a = text.charCodeAt(end - 1) | 32;
  const b = text.charCodeAt(end - 2) | 32;
  return a >= 97 && a <= 122 && b >= 97 && b <= 122 ? end : -1;
}

/** An email with local part from `localStart` and its domain `(at, end)` (see {@link domainEnd}). */
function emailAt(s: Scan, localStart: number, at: number, end: number): void {
  const { text } = s;
  let start = localStart;
  while (start < at && !isAsciiAlnum(text.charCodeAt(start))) start++;
  if (at - start < 1 || at - start > 64 || text.charCodeAt(at - 1) === 46) return;
  if (start > 0 && text.charCodeAt(start - 1) >= 128 && isWordChar(text[start - 1])) return;
  if (!domainOk(text, at + 1, end)) return;
  if (end < text.length && text.charCodeAt(end) >= 128 && isWordChar(text[end])) return;
  for (let i = start + 1; i < at; i++) if (text.charCodeAt(i) === 46 && text.charCodeAt(i - 1) === 46) return;
  emit(s, 'EMAIL', start, end, 0.95, 'email.format');
}

const isIpChar = (c: number): boolean => c < 128 && (SCAN_CLASS[c]! & C_IP) !== 0;
const WORD_CHAR = /[\p{L}\p{N}_]/u;
/** Per code unit: 0 not yet known, 1 not a word character, 2 a word character. */
const WORD_UNIT = new Uint8Array(65536);
/** Whether `ch` (one UTF-16 code unit, or undefined past either end) is a letter, number or '_'. */
function isWordChar(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const c = ch.charCodeAt(0);
  let w = WORD_UNIT[c]!;
  if (w === 0) {
    w = WORD_CHAR.test(ch) ? 2 : 1;
    WORD_UNIT[c] = w;
  }
  return w === 2;
}

/** Maximal runs of hex digits, ':' and '.', each checked once with node:net. */
function scanIps(s: Scan): void {
  const { text } = s;
  const n = text.length;
  // Only runs holding a '.' or ':' can be addresses: find those marks natively and take each run once.
  let dot = text.indexOf('.');
  let colon = text.indexOf(':');
  let from = 0;
  for (;;) {
    if (dot >= 0 && dot < from) dot = text.indexOf('.', from);
    if (colon >= 0 && colon < from) colon = text.indexOf(':', from);
    const mark = dot < 0 ? colon : colon < 0 ? dot : Math.min(dot, colon);
    if (mark < 0) return;
    let i = mark;
    while (i > from && isIpChar(text.charCodeAt(i - 1))) i--;
    let j = i;
    let digits = false;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (!isIpChar(c)) break;
      if (c <= 57 && c !== 46) digits = true;
      j++;
    }
    // Every IPv4 address and any IPv6 address worth reporting holds a decimal digit.
    if (digits && j - i <= 60) ipRun(s, i, j);
    from = j;
  }
}

/** Number of non-empty groups between ':' in `run`. */
function colonGroups(run: string): number {
  let groups = 0;
  let inGroup = false;
  for (let i = 0; i < run.length; i++) {
    const colon = run.charCodeAt(i) === 58;
    if (!colon && !inGroup) groups++;
    inGroup = !colon;
  }
  return groups;
}

function ipRun(s: Scan, i: number, j: number): void {
  const { text } = s;
  let a = i;
  let b = j;
  if (text[a] === ':' && text[a + 1] !== ':') a++;
  while (b > a && text[b - 1] === '.') b--;
  if (text[b - 1] === ':' && text[b - 2] !== ':') b--;
  if (b <= a || isWordChar(text[a - 1]) || isWordChar(text[b])) return;
  const run = text.slice(a, b);
  if (run.includes(':')) {
    const groups = colonGroups(run);
    if (groups >= 2 && isIPv6(run)) {
      emit(s, 'IP_ADDRESS', a, b, 0.9, 'ip.v6');
      return;
    }
    const head = run.slice(0, run.indexOf(':'));
    if (isIPv4(head) && /^:[0-9]{1,5}$/.test(run.slice(head.length)))
      emit(s, 'IP_ADDRESS', a, a + head.length, 0.9, 'ip.v4');
    return;
  }
  if (isIPv4(run)) emit(s, 'IP_ADDRESS', a, b, 0.9, 'ip.v4');
}
