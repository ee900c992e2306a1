/**
 * Card checks on spoken digit runs: which sub-ranges of a digit stream are PANs (Luhn plus a known
 * IIN and a length the network issues), and which digits look like an expiry date.
 */

import { luhnValid, panNetwork, panNetworkOf } from './validators.ts';

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
 * sliced at every start; `isPan` confirms each hit.
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
          out.push({ s, e });
          next = e;
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
  const restOk = (n: number): boolean => len === n || len - n === 3 || len - n === 4;
  if (afterMonth) {
    if (len >= 4 && digits.startsWith('20', a) && restOk(4)) return 4;
    return restOk(2) && len >= 2 ? 2 : 0;
  }
  if (len < 3) return 0;
  const mm = digits.slice(a, a + 2);
  if (validMonth(mm)) {
    if (len >= 6 && digits.startsWith('20', a + 2) && restOk(6)) return 6;
    if (len >= 4 && restOk(4)) return 4;
  }
  return cued && len === 3 && digits[a] !== '0' ? 3 : 0;
}
