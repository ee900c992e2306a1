/**
 * Card checks on spoken digit runs: which sub-ranges of a digit stream are PANs (Luhn plus a known
 * IIN and a length the network issues), and which digits look like an expiry date.
 */

import { luhnValid, panNetwork } from './validators.ts';

/** Lengths tried at each start, most common first, so a PAN followed by more digits is cut right. */
const PAN_LENGTHS = [16, 15, 19, 14, 13, 17, 18];
const MIN_PAN = 13;

/** First digits any known IIN can start with; a cheap reject before Luhn. */
const PAN_FIRST = new Set(['2', '3', '4', '5', '6', '8']);

/** True when `digits` is a PAN: a known network at this length, and a valid Luhn check digit. */
export const isPan = (digits: string): boolean => panNetwork(digits) !== null && luhnValid(digits);

/**
 * O(1) Luhn pre-check of any window `[s, e)` from two prefix sums (one with even positions doubled,
 * one with odd), so a long run is not sliced at every start. `isPan` still confirms each hit.
 */
function luhnPrefixSums(digits: string): (s: number, e: number) => boolean {
  const n = digits.length;
  const evenDoubled = new Int32Array(n + 1);
  const oddDoubled = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const d = digits.charCodeAt(i) - 48;
    const dd = d * 2 > 9 ? d * 2 - 9 : d * 2;
    evenDoubled[i + 1] = evenDoubled[i]! + (i % 2 === 0 ? dd : d);
    oddDoubled[i + 1] = oddDoubled[i]! + (i % 2 === 0 ? d : dd);
  }
  // The check digit (e - 1) is not doubled, so positions of the other parity are.
  return (s, e) => {
    const sums = (e - 1) % 2 === 0 ? oddDoubled : evenDoubled;
    return (sums[e]! - sums[s]!) % 10 === 0;
  };
}

/**
 * Non-overlapping PAN windows `[s, e)` of `digits`, leftmost first. A window must start and end on
 * a chunk boundary (`isBoundary(i)`: digit `i` starts a spoken chunk; `isBoundary(length)` is true)
 * and satisfy `accept` (used to demand that a window crosses turns). Each start tries at most seven
 * lengths, so the scan is linear in the number of digits.
 */
export function panWindows(
  digits: string,
  isBoundary: (i: number) => boolean,
  accept: (s: number, e: number) => boolean = () => true,
): Array<{ s: number; e: number }> {
  const out: Array<{ s: number; e: number }> = [];
  const n = digits.length;
  if (n < MIN_PAN) return out;
  const luhnSum = luhnPrefixSums(digits);
  let s = 0;
  while (s + MIN_PAN <= n) {
    let next = s + 1;
    if (PAN_FIRST.has(digits[s]!) && isBoundary(s)) {
      for (const len of PAN_LENGTHS) {
        const e = s + len;
        if (e > n || !isBoundary(e) || !luhnSum(s, e)) continue;
        if (accept(s, e) && isPan(digits.slice(s, e))) {
          out.push({ s, e });
          next = e;
          break;
        }
      }
    }
    s = next;
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
