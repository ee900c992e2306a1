/**
 * Card checks on spoken digit runs: which sub-ranges of a digit stream are PANs (Luhn plus a known
 * IIN and a length the network issues), and which digits look like an expiry date.
 */

import * as validators from './validators.ts';

// Module-local copies: some loaders (vitest, tsx) turn each imported binding read into a getter call.
const { luhnValid, panNetwork, panNetworkOf } = validators;

/** Lengths tried at each start, most common first, so a PAN followed by more digits is cut right. */
const PAN_LENGTHS = [16, 15, 19, 14, 13, 17, 18];
export const MIN_PAN = 13;

/** True when `digits` is a PAN: a known network at this length, and a valid Luhn check digit. */
export const isPan = (digits: string): boolean => panNetwork(digits) !== null && luhnValid(digits);

/** First digits any known IIN can start with (2, 3, 4, 5, 6, 8); a cheap reject before Luhn. */
const panFirst = (c: number): boolean => c === 50 || c === 51 || c === 52 || c === 53 || c === 54 || c === 56;

/** Luhn prefix sums, reused from call to call (grown for long runs). */
let evenScratch = new Int32Array(64);
let oddScratch = new Int32Array(64);

/**
 * Non-overlapping PAN windows `[s, e)` of `digits`, leftmost first. A window must start and end on
 * a chunk boundary (digit `i` starts a spoken chunk: `chunkStart[offset + i] === 1`; the end of
 * `digits` is one too) and satisfy `accept` (used to demand that a window crosses turns). Each start tries at most seven
 * lengths, so the scan is linear in the number of digits. Luhn is pre-checked in O(1) per window
 * from two prefix sums (one with even positions doubled, one with odd), so a long run is not
 * sliced at every start; `isPan` confirms each hit. A hit that would leave only one or two digits
 * at the end of `digits` is widened over them (those digits are part of the card, misread).
 */
export function panWindows(
  digits: string,
  chunkStart: Uint8Array,
  offset: number,
  accept?: (s: number, e: number) => boolean,
): Array<{ s: number; e: number }> {
  const out: Array<{ s: number; e: number }> = [];
  const n = digits.length;
  if (n < MIN_PAN) return out;
  if (evenScratch.length < n + 1) {
    evenScratch = new Int32Array(n + 1);
    oddScratch = new Int32Array(n + 1);
  }
  const evenDoubled = evenScratch;
  const oddDoubled = oddScratch;
  for (let i = 0; i < n; i++) {
    const d = digits.charCodeAt(i) - 48;
    const dd = d * 2 > 9 ? d * 2 - 9 : d * 2;
    evenDoubled[i + 1] = evenDoubled[i]! + (i % 2 === 0 ? dd : d);
    oddDoubled[i + 1] = oddDoubled[i]! + (i % 2 === 0 ? d : dd);
  }
  let s = 0;
  while (s + MIN_PAN <= n) {
    let next = s + 1;
    if (chunkStart[offset + s] === 1 && panFirst(digits.charCodeAt(s))) {
      let first6 = -1;
      for (let l = 0; l < PAN_LENGTHS.length; l++) {
        const len = PAN_LENGTHS[l]!;
        const e = s + len;
        if (e > n || (e < n && chunkStart[offset + e] !== 1)) continue;
        // The check digit (e - 1) is not doubled, so positions of the other parity are.
        const sums = (e - 1) % 2 === 0 ? oddDoubled : evenDoubled;
        if ((sums[e]! - sums[s]!) % 10 !== 0) continue;
        // No string is built for a prefix no network issues at this length (isPan would refuse it).
        if (first6 < 0) {
          first6 = 0;
          for (let k = s; k < s + 6; k++) first6 = first6 * 10 + digits.charCodeAt(k) - 48;
        }
        if (panNetworkOf(first6, len) === null) continue;
        if ((accept === undefined || accept(s, e)) && isPan(digits.slice(s, e))) {
          // A window that would leave one or two digits of the run behind is most likely a card
          // cut short by a chance Luhn match (one or two digits are no CVV or expiry): the whole
          // rest of the run is preferred when it is a card, and covered anyway (fail closed).
          const tail = n - e > 0 && n - e <= 2;
          const whole = tail && (accept === undefined || accept(s, n)) ? n : e;
          out.push({ s, e: whole });
          next = whole;
          break;
        }
      }
    }
    s = next;
  }
  if (n > 1 << 16) {
    evenScratch = new Int32Array(64);
    oddScratch = new Int32Array(64);
  }
  return out;
}

/** At most this many ambiguous tens words are read both ways together (2^n readings); past it, all or none. */
const MAX_JOINS = 4;

/**
 * Runs longer than this are read the plain way only: a card with its expiry and CVV is under 30
 * digits, and re-reading a long hostile run 2^n times is what made a 1 MiB input take a second.
 */
const MAX_READING_DIGITS = 48;

/**
 * Digits the other readings of one text may go through in all (see {@link panWindowsReadings});
 * past it the plain reading alone is used, as before readings existed, so their extra cost stays
 * linear in the text whatever its shape.
 */
export class ReadingBudget {
  left: number;
  constructor(textLength: number) {
    this.left = 4096 + (textLength >> 1);
  }
}

/**
 * {@link panWindows} over every reading of a run whose bare tens words may or may not join the unit
 * word after a filler ("eighty uh three": 8 0 3, or 83?). `joins` lists the digit positions of
 * such tens words' "0" (see `ambiguousZeros`); a reading drops some of them and glues the tens
 * digit to the unit digit as one chunk. The reading whose windows cover the most digits wins
 * (the plain reading on a tie); windows are returned in positions of the plain reading, so a
 * window covers the dropped zeros inside it, and with them every word of the stretch. Readings are
 * tried only for runs of at most {@link MAX_READING_DIGITS} digits, within `budget`.
 */
export function panWindowsReadings(
  digits: string,
  chunkStart: Uint8Array,
  offset: number,
  joins: readonly number[],
  budget: ReadingBudget,
  accept?: (s: number, e: number) => boolean,
): Array<{ s: number; e: number }> {
  const plain = panWindows(digits, chunkStart, offset, accept);
  if (joins.length === 0) return plain;
  let best = plain;
  let bestCover = covered(plain);
  const n = digits.length;
  if (bestCover === n || n - 1 < MIN_PAN || n > MAX_READING_DIGITS || budget.left < n) return plain;
  const k = Math.min(joins.length, MAX_JOINS);
  const masks = joins.length > MAX_JOINS ? ALL_JOINED : MASKS_BY_JOINS[k]!;
  const drop = readingDrop;
  const altChunk = readingChunk;
  const map = readingMap;
  for (const m of masks) {
    if (budget.left < n) break;
    budget.left -= n;
    drop.fill(0);
    for (let q = 0; q < joins.length; q++) if (m === -1 || (q < k && (m >> q) & 1)) drop[joins[q]!] = 1;
    let alt = '';
    let len = 0;
    for (let i = 0; i < n; i++) {
      if (drop[i] === 1) continue;
      alt += digits[i];
      altChunk[len] = i > 0 && drop[i - 1] === 1 ? 0 : chunkStart[offset + i]!;
      map[len] = i;
      len++;
    }
    if (len < MIN_PAN) continue;
    const found = panWindows(alt, altChunk, 0, accept && new MappedAccept(map, accept).call);
    const windows = found.map((w) => ({ s: map[w.s]!, e: map[w.e - 1]! + 1 }));
    const cover = covered(windows);
    if (cover > bestCover) {
      best = windows;
      bestCover = cover;
    }
  }
  return best;
}

/** For k ambiguous words, the 2^k - 1 readings as bit masks, fewest changed words first. */
const MASKS_BY_JOINS: number[][] = [[]];
for (let k = 1; k <= MAX_JOINS; k++) {
  const masks: number[] = [];
  for (let m = 1; m < 1 << k; m++) masks.push(m);
  MASKS_BY_JOINS.push(masks.sort((a, b) => popcount(a) - popcount(b)));
}
/** More ambiguous words than MAX_JOINS: one other reading, with every one joined. */
const ALL_JOINED = [-1];
/** Working columns of one reading (runs read both ways are at most MAX_READING_DIGITS long). */
const readingDrop = new Uint8Array(MAX_READING_DIGITS);
const readingChunk = new Uint8Array(MAX_READING_DIGITS);
const readingMap = new Int32Array(MAX_READING_DIGITS);

/** An `accept` over a reading's positions, asked in positions of the plain reading. */
class MappedAccept {
  constructor(
    private readonly map: Int32Array,
    private readonly accept: (s: number, e: number) => boolean,
  ) {}
  readonly call = (s: number, e: number): boolean => this.accept(this.map[s]!, this.map[e - 1]! + 1);
}

function covered(windows: ReadonlyArray<{ s: number; e: number }>): number {
  let c = 0;
  for (const w of windows) c += w.e - w.s;
  return c;
}

function popcount(m: number): number {
  let c = 0;
  for (let x = m; x !== 0; x &= x - 1) c++;
  return c;
}

/** Whether `n` of `len` digits leave nothing or a CVV-sized rest. */
const restOk = (len: number, n: number): boolean => len === n || len - n === 3 || len - n === 4;

const validMonth = (mm: string): boolean => mm >= '01' && mm <= '12' && mm.length === 2;

/**
 * How many leading digits of `digits[a..b)` form an expiry: a year after a spoken month name (2 or
 * "20YY"), else MMYYYY or MMYY, or MYY ("four twenty seven") when an expiry cue asked for it.
 * The rest must be empty or CVV-sized. Returns 0 when nothing fits.
 */
export function expiryLength(
  digits: string,
  a: number,
  b: number,
  afterMonth: boolean,
  cued: boolean,
): number {
  const len = b - a;
  if (afterMonth) {
    if (len >= 4 && digits.startsWith('20', a) && restOk(len, 4)) return 4;
    return restOk(len, 2) && len >= 2 ? 2 : 0;
  }
  if (len < 3) return 0;
  const mm = digits.slice(a, a + 2);
  if (validMonth(mm)) {
    if (len >= 6 && digits.startsWith('20', a + 2) && restOk(len, 6)) return 6;
    if (len >= 4 && restOk(len, 4)) return 4;
  }
  return cued && len === 3 && digits[a] !== '0' ? 3 : 0;
}
