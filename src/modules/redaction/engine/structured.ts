/**
 * Detector for structured entities written as digits and text (not spoken words). It tokenizes once,
 * walks digit groups and words, and only runs anchored regexes with bounded quantifiers at token
 * starts, so the whole scan is linear in the input length.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { CueSet, Tokens } from './context.ts';
import * as context from './context.ts';
import { DetectionLimitError, type EntityType, type Finding } from './types.ts';
import * as validators from './validators.ts';

// Module-local copies: some loaders (vitest, tsx) turn each imported binding read into a getter call.
const { CUES, HEALTH_TERMS, HAS_DIGIT, HAS_LETTER, UPPER_FIRST } = context;
const { cueAfter, cueBefore, cueEndingAt, cueStartingAt, tokenize } = context;
const { abaValid, IBAN_LENGTHS, ibanValid, itinValid, nhsValid, ninoValid } = validators;
const { panLengthMask, panNetwork, ssnValid } = validators;

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

const isSpace = (sep: string): boolean => sep === ' ' || sep === '\u00a0' || sep === '\u202f';
const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;
const isAsciiAlnum = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

const len = (t: Tokens, k: number): number => t.ends[k]! - t.starts[k]!;
const isNumeric = (t: Tokens, k: number): boolean => t.flags[k] === HAS_DIGIT;

/** The one-character separator joining token k to token k+1, or '' when they are not joined. */
function sepAfter(t: Tokens, k: number): string {
  const next = t.starts[k + 1];
  if (next === undefined || next - t.ends[k]! !== 1) return '';
  const c = t.text.charCodeAt(next - 1);
  return c === 32 || c === 45 || c === 46 || c === 0xa0 || c === 0x202f ? t.text[next - 1]! : '';
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
  const s: Scan = { text, t: tokenize(text), out: [], panEnds: [] };
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
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const f of findings) {
    lo = Math.min(lo, f.start);
    hi = Math.max(hi, f.end);
  }
  const taken = new Uint8Array(Math.max(0, hi - lo));
  const byPriority = [...findings].sort(
    (a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  const kept: Finding[] = [];
  for (const f of byPriority) {
    let free = true;
    for (let i = f.start - lo; i < f.end - lo && free; i++) free = taken[i] === 0;
    if (!free) continue;
    taken.fill(1, f.start - lo, f.end - lo);
    kept.push(f);
  }
  return kept.sort((a, b) => a.start - b.start || a.end - b.end);
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
    while (b + 1 < n && isNumeric(t, b + 1) && sepAfter(t, b) !== '') b++;
    scanGroup(s, k, b);
    k = b + 1;
  }
}

/** Money, percentages and thousands separators mark a number as a quantity, never an identifier. */
function isQuantity(text: string, start: number, end: number): boolean {
  const before = text[start - 1];
  if (before !== undefined && '$£€¥+'.includes(before)) return true;
  if (before === ',' && isDigitCode(text.charCodeAt(start - 2))) return true;
  const after = text[end];
  if (after === '%') return true;
  return after === ',' && isDigitCode(text.charCodeAt(end + 1));
}

/** A number touching '/' or ':' is part of a date, time or ratio. */
function touchesSlashOrColon(text: string, start: number, end: number): boolean {
  const b = text[start - 1];
  const a = text[end];
  return b === '/' || b === ':' || a === '/' || a === ':';
}

function scanGroup(s: Scan, a: number, b: number): void {
  const { t, text } = s;
  const start = t.starts[a]!;
  const end = t.ends[b]!;
  if (isQuantity(text, start, end)) return;
  let total = 0;
  for (let k = a; k <= b && total <= 19; k++) total += len(t, k);
  if (total >= 13) scanPans(s, a, b);
  const slashy = touchesSlashOrColon(text, start, end);
  if (total >= 3 && total <= 4 && !slashy) detectCvv(s, a, b);
  if (total >= 8 && total <= 17 && !slashy) {
    const cue = cueBefore(t, a, CUES.account, 6);
    if (cue >= 0) {
      const strong = cueEndingAt(t, cue, CUES.account) > 1 || t.word(cue) === 'acct';
      emit(s, 'BANK_ACCOUNT', start, end, strong ? 0.9 : 0.75, 'bank-account.context');
    }
  }
  for (let i = a; i <= b; i++) scanShapesAt(s, i, a, b);
}

/**
 * Returns the inner separator ('' for one token) when tokens i… have exactly the digit counts in
 * `lens`, a single consistent separator from `allowed`, and do not continue into a longer number
 * with that same separator; otherwise null.
 */
/** Whether the separator after token k continues a shape of `m` tokens joined by `sep`. */
const joinsShape = (t: Tokens, k: number, m: number, sep: string): boolean =>
  m === 1 ? !isSpace(sepAfter(t, k)) : sepAfter(t, k) === sep;

function shapeAt(
  t: Tokens,
  i: number,
  lens: readonly number[],
  a: number,
  b: number,
  allowed: string,
): string | null {
  const m = lens.length;
  const last = i + m - 1;
  if (last > b) return null;
  for (let q = 0; q < m; q++) if (len(t, i + q) !== lens[q]) return null;
  const sep = m > 1 ? sepAfter(t, i) : '';
  if (m > 1 && !allowed.includes(sep)) return null;
  for (let q = 1; q < m - 1; q++) if (sepAfter(t, i + q) !== sep) return null;
  if (i > a && joinsShape(t, i - 1, m, sep)) return null;
  if (last < b && joinsShape(t, last, m, sep)) return null;
  return sep;
}

function digitsOf(t: Tokens, i: number, j: number): string {
  let d = '';
  for (let k = i; k <= j; k++) d += t.text.slice(t.starts[k], t.ends[k]);
  return d;
}

function scanShapesAt(s: Scan, i: number, a: number, b: number): void {
  const { t } = s;
  const dashed = shapeAt(t, i, [3, 2, 4], a, b, '- ');
  const bare9 = dashed === null && shapeAt(t, i, [9], a, b, '') !== null;
  if (dashed !== null || bare9) {
    const last = dashed !== null ? i + 2 : i;
    const digits = digitsOf(t, i, last);
    const start = t.starts[i]!;
    const end = t.ends[last]!;
    const ssnCue = cueBefore(t, i, CUES.ssn, 6) >= 0;
    const itinCue = cueBefore(t, i, CUES.itin, 6) >= 0;
    if (ssnValid(digits)) {
      if (ssnCue) emit(s, 'US_SSN', start, end, dashed !== null ? 0.95 : 0.9, 'ssn.context');
      else if (dashed !== null) emit(s, 'US_SSN', start, end, 0.6, 'ssn.format');
    } else if (itinValid(digits)) {
      if (itinCue || ssnCue) emit(s, 'US_ITIN', start, end, dashed !== null ? 0.95 : 0.9, 'itin.context');
      else if (dashed !== null) emit(s, 'US_ITIN', start, end, 0.7, 'itin.format');
    }
    if (bare9 && abaValid(digits) && cueBefore(t, i, CUES.routing, 6) >= 0) {
      emit(s, 'ABA_ROUTING', start, end, 0.95, 'aba.checksum.context');
    }
  }
  const nhsSpaced = shapeAt(t, i, [3, 3, 4], a, b, ' -');
  const nhsBare = nhsSpaced === null && shapeAt(t, i, [10], a, b, '') !== null;
  if (nhsSpaced !== null || nhsBare) {
    const last = nhsSpaced !== null ? i + 2 : i;
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

/** Loads the group's digits and Luhn prefix sums, so any window's Luhn sum costs O(1). */
function loadGroup(t: Tokens, a: number, b: number): void {
  let total = 0;
  for (let k = a; k <= b; k++) total += len(t, k);
  if (groupDigits.length < total) {
    groupDigits = new Uint8Array(total * 2);
    luhnOddDoubled = new Int32Array(total * 2 + 1);
    luhnEvenDoubled = new Int32Array(total * 2 + 1);
  }
  if (tokenOffsets.length < b - a + 2) tokenOffsets = new Int32Array((b - a + 2) * 2);
  let p = 0;
  for (let k = a; k <= b; k++) {
    tokenOffsets[k - a] = p;
    for (let q = t.starts[k]!; q < t.ends[k]!; q++) {
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
  if (panNetwork(digits) !== null && cueBefore(t, a, CUES.card, 6) >= 0) {
    emit(s, 'PAN', t.starts[a]!, t.ends[b]!, 0.5, 'pan.candidate.context');
    s.panEnds.push(b);
  }
}

/** Token index of the last PAN ending before token `k` within `window` tokens, or -1. */
function panBefore(s: Scan, k: number, window: number): number {
  const p = s.panEnds[s.panEnds.length - 1];
  return p !== undefined && p < k && k - p <= window ? p : -1;
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
  if (pan >= 0 && cueInRange(t, pan + 1, a - 1, CUES.cvvAfterPan)) {
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
  const c = text[pos - 1];
  if (c === '+') return true;
  return c !== undefined && '/-.:'.includes(c) && isDigitCode(text.charCodeAt(pos - 2));
}

function scanNumericTokens(s: Scan): void {
  const { t, text } = s;
  const n = t.starts.length;
  for (let k = 0; k < n; k++) {
    if (!isNumeric(t, k)) continue;
    const start = t.starts[k]!;
    const l = len(t, k);
    if (text[start - 1] === '+' || (text[start - 1] === '(' && text[start - 2] === '+')) {
      detectE164(s, k);
      continue;
    }
    const open = text[start - 1] === '(';
    const pos = open ? start - 1 : start;
    if (continuesNumber(text, pos) || text[pos - 1] === '$') continue;
    if ((l === 1 && text[start] === '1') || l === 3 || l === 10 || l === 11) detectNanp(s, k, pos);
    if (!open && text[start] === '0' && ((l >= 3 && l <= 5) || l === 10 || l === 11)) detectUkPhone(s, k);
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

/** "+CC …": tokens joined by short gaps of separators or brackets, at most 15 digits in all. */
function detectE164(s: Scan, k: number): void {
  const { t, text } = s;
  if (text[t.starts[k]!] === '0') return;
  const plus = text[t.starts[k]! - 1] === '+' ? t.starts[k]! - 1 : t.starts[k]! - 2;
  if (plus > 0 && isAsciiAlnum(text.charCodeAt(plus - 1))) return;
  let digits = 0;
  let last = -1;
  for (let j = k; j < t.starts.length && isNumeric(t, j); j++) {
    if (j > k) {
      const gapStart = t.ends[j - 1]!;
      const gapLen = t.starts[j]! - gapStart;
      if (gapLen > 2) break;
      let ok = true;
      for (let q = gapStart; q < gapStart + gapLen && ok; q++) ok = ' .-()\u00a0'.includes(text[q]!);
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
  const m = matchAt(mmyy ? EXPIRY_MMYY : EXPIRY, text, start);
  if (!m) return;
  const year = m[2]!;
  if (year.length === 4 && !year.startsWith('20')) return;
  const end = start + m[0].length;
  if (cueBefore(t, k, CUES.expiry, 6) >= 0)
    emit(s, 'CARD_EXPIRY', start, end, mmyy ? 0.8 : 0.9, 'expiry.context');
  else if (!mmyy && panBefore(s, k, 30) >= 0) emit(s, 'CARD_EXPIRY', start, end, 0.7, 'expiry.after-pan');
}

const validDayMonth = (d: number, m: number): boolean => d >= 1 && d <= 31 && m >= 1 && m <= 12;

function detectNumericDob(s: Scan, k: number): void {
  const { t, text } = s;
  const start = t.starts[k]!;
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
  if (m && cueBefore(t, k, CUES.dob, 8) >= 0) {
    emit(s, 'DATE_OF_BIRTH', start, start + m[0].length, 0.9, 'dob.context');
  }
}

// ---------------------------------------------------------------------------------------------
// Word tokens: IBAN, NINO, postcodes, passports, licences, addresses, health terms, names.

const NINO = /[A-Za-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d](?![0-9A-Za-z])/y;
const UK_POSTCODE = /[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}(?![0-9A-Za-z])/y;
const ALNUM = /^[A-Za-z0-9]+$/;
const PASSPORT_TOKEN = /^(?:[0-9]{9}|[A-Za-z][0-9]{8})$/;

/**
 * Pre-filter on (first letter, length) so most words are never lower-cased: bit set for every
 * health term, month and name-cue word. Tokens starting outside ASCII always pass.
 */
const KEY_WORD_SHAPES = (() => {
  const table = new Uint8Array(26 * 32);
  const words = [
    ...HEALTH_TERMS.byFirst.keys(),
    ...MONTH_WORDS,
    ...CUES.personStrong.byLast.keys(),
    ...CUES.personWeak.byLast.keys(),
  ];
  for (const w of words) {
    const c = w.charCodeAt(0) - 97;
    if (c >= 0 && c < 26 && w.length < 32) table[c * 32 + w.length] = 1;
  }
  return table;
})();

const mayBeKeyWord = (c0: number, l: number): boolean => {
  if (c0 >= 128) return true;
  const c = (c0 | 32) - 97;
  return c >= 0 && c < 26 && l < 32 && KEY_WORD_SHAPES[c * 32 + l] === 1;
};

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
    if (c0 >= 65 && c0 <= 90) {
      detectIban(s, k);
      detectUkPostcode(s, k);
    }
    if (f === (HAS_DIGIT | HAS_LETTER) && l <= 4 && ORDINAL.test(t.word(k))) detectDayMonthDob(s, k);
    if (f & HAS_LETTER && l <= 24) {
      if (l <= 9) detectNino(s, k);
      if (!mayBeKeyWord(c0, l)) continue;
      const w = t.word(k);
      if (HEALTH_TERMS.byFirst.has(w)) detectHealth(s, k);
      if (MONTH_WORDS.has(w)) detectWordDob(s, k);
      if (CUES.personStrong.byLast.has(w) || CUES.personWeak.byLast.has(w)) detectPerson(s, k);
    }
  }
}

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
  const want = IBAN_LENGTHS[text.slice(start, start + 2)];
  if (want === undefined) return;
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
  const m = matchAt(UK_POSTCODE, text, start);
  if (!m) return;
  const cue = cueBefore(t, k, CUES.postcode, 8) >= 0;
  emit(s, 'POSTAL_ADDRESS', start, start + m[0].length, cue ? 0.95 : 0.8, 'postcode.uk');
}

/** True when token k is joined to a digit-bearing neighbour by '-' or '.', i.e. part of a longer id. */
function joinedToDigits(t: Tokens, k: number): boolean {
  const prev = k > 0 ? sepAfter(t, k - 1) : '';
  const next = sepAfter(t, k);
  if (prev !== '' && !isSpace(prev) && t.flags[k - 1]! & HAS_DIGIT) return true;
  return next !== '' && !isSpace(next) && (t.flags[k + 1]! & HAS_DIGIT) !== 0;
}

/** Token k is ASCII letters and digits only. */
const plainId = (t: Tokens, q: number): boolean =>
  isNumeric(t, q) || ALNUM.test(t.text.slice(t.starts[q], t.ends[q]));

function detectLicenceOrPassport(s: Scan, k: number): void {
  const { t, text } = s;
  const l = len(t, k);
  const numeric = isNumeric(t, k);
  if (
    l === 9 &&
    plainId(t, k) &&
    PASSPORT_TOKEN.test(text.slice(t.starts[k], t.ends[k])) &&
    !joinedToDigits(t, k)
  ) {
    const cue = cueBefore(t, k, CUES.passport, 6);
    if (cue >= 0 && noDigitsBetween(t, cue, k)) {
      emit(s, 'US_PASSPORT', t.starts[k]!, t.ends[k]!, 0.9, 'us-passport.context');
    }
  }
  // A licence may be written in hyphenated parts ("D123-4567-8901"); start only at the first part.
  if (k > 0 && sepAfter(t, k - 1) === '-' && t.flags[k - 1]! & HAS_DIGIT) return;
  let last = k;
  let total = l;
  while (sepAfter(t, last) === '-' && total + len(t, last + 1) <= 16) {
    last++;
    total += len(t, last);
  }
  if (total < 5 || (last === k && total > 13) || sepAfter(t, last) === '-') return;
  if (!numeric || last > k) for (let q = k; q <= last; q++) if (!plainId(t, q)) return;
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

const gapIs = (t: Tokens, k: number, allowed: readonly string[]): boolean => {
  const next = t.starts[k + 1];
  return next !== undefined && next - t.ends[k]! <= 3 && allowed.includes(t.text.slice(t.ends[k], next));
};

const isAlpha = (t: Tokens, k: number): boolean =>
  t.flags[k] !== undefined && (t.flags[k]! & HAS_DIGIT) === 0;

/** "123 Main St[.] [NW][, Apt 4][, Springfield, IL 62704]". */
function detectStreetAddress(s: Scan, k: number): void {
  const { t, text } = s;
  const n = t.starts.length;
  if (!gapIs(t, k, [' ']) || !isAlpha(t, k + 1)) return;
  if (!HOUSE_NUMBER.test(t.word(k)) || joinedToDigits(t, k) || continuesNumber(text, t.starts[k]!)) return;
  let m = k;
  let names = 0;
  let suffix = -1;
  while (m + 1 < n && names <= 4 && gapIs(t, m, [' '])) {
    m++;
    const w = t.word(m);
    if (names > 0 && STREET_SUFFIXES.has(w)) {
      suffix = m;
      break;
    }
    const nameLike = (isAlpha(t, m) && len(t, m) <= 24 && !NOT_STREET_NAMES.has(w)) || ORDINAL.test(w);
    if (!nameLike) return;
    names++;
  }
  if (suffix < 0) return;
  let last = suffix;
  let end = t.ends[last]!;
  if (text[end] === '.' && len(t, last) <= 4) end++;
  if (gapIs(t, last, [' ', '. ']) && DIRECTIONS.has(t.word(last + 1))) {
    last++;
    end = t.ends[last]!;
  }
  if (gapIs(t, last, [' ', ', ', ',', '. ', '., ']) && UNIT_WORDS.has(t.word(last + 1)) && last + 2 < n) {
    if (gapIs(t, last + 1, [' ', '. ', ' #', '#']) && len(t, last + 2) <= 6) {
      last += 2;
      end = t.ends[last]!;
    }
  } else if (gapIs(t, last, [' #', ', #']) && len(t, last + 1) <= 6) {
    last++;
    end = t.ends[last]!;
  }
  // City (1–3 capitalised words), a US state code and an optional ZIP (+4).
  if (gapIs(t, last, [', ', ' ', ',', '. ', '., '])) {
    for (let c = last + 1; c <= last + 3 && c < n; c++) {
      if (!isAlpha(t, c) || !(t.flags[c]! & UPPER_FIRST) || (c > last + 1 && !gapIs(t, c - 1, [' ']))) break;
      const st = c + 1;
      if (st >= n || !gapIs(t, c, [', ', ' ', ','])) continue;
      if (!US_STATES.has(text.slice(t.starts[st], t.ends[st]))) continue;
      last = st;
      end = t.ends[st]!;
      if (gapIs(t, st, [' ', ', ']) && isNumeric(t, st + 1) && len(t, st + 1) === 5) {
        last = st + 1;
        end = t.ends[last]!;
        if (sepAfter(t, last) === '-' && isNumeric(t, last + 1) && len(t, last + 1) === 4)
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

const isNameToken = (t: Tokens, k: number): boolean =>
  k < t.starts.length &&
  t.flags[k] === (HAS_LETTER | UPPER_FIRST) &&
  len(t, k) <= 30 &&
  (len(t, k) >= 2 || t.text[t.ends[k]!] === '.') &&
  !NOT_NAMES.has(t.word(k));

/** 1–3 capitalised words right after "my name is", "this is", "I'm", "name's", "speaking with". */
function detectPerson(s: Scan, k: number): void {
  const { t } = s;
  const strong = cueEndingAt(t, k, CUES.personStrong) > 0;
  if (!strong && cueEndingAt(t, k, CUES.personWeak) === 0) return;
  let first = k + 1;
  if (!gapIs(t, k, [' ', ', '])) return;
  if (cueStartingAt(t, first, CUES.personTitle) > 0 && gapIs(t, first, [' ', '. '])) first++;
  if (!isNameToken(t, first)) return;
  let last = first;
  let words = 1;
  while (words < 3 && gapIs(t, last, [' ', '-', '. ']) && isNameToken(t, last + 1)) {
    if (t.text.slice(t.ends[last], t.starts[last + 1]) === '. ' && len(t, last) !== 1) break;
    last++;
    words++;
  }
  emit(s, 'PERSON', t.starts[first]!, t.ends[last]!, strong ? 0.9 : 0.7, 'person.cue');
}

// ---------------------------------------------------------------------------------------------
// Character scans: emails and IP addresses.

const isLocalChar = (c: number): boolean =>
  isAsciiAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
const isDomainChar = (c: number): boolean => isAsciiAlnum(c) || c === 46 || c === 45;

/** One forward pass; every character is read at most twice (once as local part, once as domain). */
function scanEmails(s: Scan): void {
  const { text } = s;
  const n = text.length;
  let localStart = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (isLocalChar(c)) {
      if (localStart < 0) localStart = i;
      continue;
    }
    if (c === 64 && localStart >= 0) emailAt(s, localStart, i);
    localStart = -1;
  }
}

/** Checks a domain [from, to) label by label with char codes: 1–63 chars, no edge hyphen, alphabetic TLD. */
function domainOk(text: string, from: number, to: number): boolean {
  let labels = 0;
  let labelStart = from;
  for (let i = from; i <= to; i++) {
    if (i < to && text.charCodeAt(i) !== 46) continue;
    const l = i - labelStart;
    if (l < 1 || l > 63 || text[labelStart] === '-' || text[i - 1] === '-') return false;
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

function emailAt(s: Scan, localStart: number, at: number): void {
  const { text } = s;
  let start = localStart;
  while (start < at && !isAsciiAlnum(text.charCodeAt(start))) start++;
  if (at - start < 1 || at - start > 64 || text.charCodeAt(at - 1) === 46) return;
  if (start > 0 && text.charCodeAt(start - 1) >= 128 && isWordChar(text[start - 1])) return;
  let end = at + 1;
  while (end < text.length && end - at <= 254 && isDomainChar(text.charCodeAt(end))) end++;
  if (end - at > 254) return;
  while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
  if (!domainOk(text, at + 1, end)) return;
  if (end < text.length && text.charCodeAt(end) >= 128 && isWordChar(text[end])) return;
  for (let i = start + 1; i < at; i++) if (text.charCodeAt(i) === 46 && text.charCodeAt(i - 1) === 46) return;
  emit(s, 'EMAIL', start, end, 0.95, 'email.format');
}

const isIpChar = (c: number): boolean =>
  isDigitCode(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 58 || c === 46;
const isWordChar = (ch: string | undefined): boolean => ch !== undefined && /[\p{L}\p{N}_]/u.test(ch);

/** Maximal runs of hex digits, ':' and '.', each checked once with node:net. */
function scanIps(s: Scan): void {
  const { text } = s;
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isIpChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    let marks = false;
    let digits = false;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (!isIpChar(c)) break;
      if (c === 58 || c === 46) marks = true;
      else if (c <= 57) digits = true;
      j++;
    }
    // Every IPv4 address and any IPv6 address worth reporting holds a decimal digit.
    if (marks && digits && j - i <= 60) ipRun(s, i, j);
    i = j;
  }
}

const nonEmpty = (g: string): boolean => g.length > 0;

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
    const groups = run.split(':').filter(nonEmpty).length;
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
