/**
 * A 3-4 digit number near a card is a CVV only if nothing says it is something else. Contact-center
 * notes put extensions, quantities, prices and app versions right after a card ("ask for extension
 * 5344", "qty 308 units", "charged €87,27", "app version 8.4.74"); the labelled corpus (eval/)
 * showed these as most of the CVV false positives. Both the structured and the spoken detector ask
 * this before reporting a CVV that was found by position (after a PAN) rather than by its own cue.
 *
 * Text-based and bounded: it looks at most {@link LOOK} characters either side of the number.
 */

import * as spokenTokens from './spoken-tokens.ts';

// Module-local copy: some loaders (vitest, tsx) turn each imported binding read into a getter call.
const { isSpace } = spokenTokens;

const LOOK = 24;

/** Words right before a number that name what it is. */
const NAMED_BEFORE = new Set([
  'extension',
  'ext',
  'qty',
  'quantity',
  'version',
  'ver',
  'build',
  'release',
  'room',
  'suite',
  'apt',
  'apartment',
  'floor',
  'unit',
  'page',
  'step',
  'option',
  'ordered',
  'order',
  'ticket',
  'case',
  'item',
  'items',
  'store',
  'branch',
  'gate',
  'flight',
  'seat',
  'aisle',
  'bay',
  'lot',
  'line',
  'charged',
  'refund',
  'total',
  'price',
  'cost',
  'amount',
  'balance',
  'paid',
  'pay',
  'usd',
  'eur',
  'gbp',
]);

/** Words right after a number that name what it is. */
const NAMED_AFTER = new Set([
  'units',
  'unit',
  'items',
  'item',
  'pieces',
  'pcs',
  'boxes',
  'dollars',
  'euros',
  'pounds',
  'cents',
  'percent',
  'minutes',
  'mins',
  'seconds',
  'hours',
  'days',
  'weeks',
  'months',
  'years',
  'miles',
  'km',
  'kg',
  'lbs',
  'usd',
  'eur',
  'gbp',
  'points',
]);

const CURRENCY = /[$€£¥₹]/;
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * True when the number at `text[start, end)` is evidently not a CVV: it is written with a decimal or
 * version separator ("87,27", "8.4.74"), is joined to a longer dotted or comma number, follows a
 * currency sign, or is named by the word before it (extension, qty, version, charged, ...) or after
 * it (units, items, dollars, minutes, ...).
 */
export function namedAsOtherNumber(text: string, start: number, end: number): boolean {
  if (/[0-9][.,][0-9]/.test(text.slice(start, end))) return true;
  const before = text[start - 1];
  const after = text[end];
  if ((before === '.' || before === ',') && isDigit(text[start - 2])) return true;
  if ((after === '.' || after === ',') && isDigit(text[end + 1])) return true;
  return namedByWords(text, start, end);
}

/**
 * The same check for an expiry date found by position: "04.27" is a fine expiry, so one separator is
 * allowed, but a version ("1.19.8", "12.7.0") or a named number is not an expiry.
 */
export function namedAsOtherThanExpiry(text: string, start: number, end: number): boolean {
  if (/[0-9][.,][0-9]+[.,][0-9]/.test(text.slice(Math.max(0, start - 4), end + 4))) return true;
  return namedByWords(text, start, end);
}

const isAsciiLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);

/** End of the word found by the last {@link wordBefore} (module state: no result object). */
let wordEnd = 0;

/**
 * Start of the ASCII word that ends `s` but for trailing whitespace, ':', '#', '.' and '-', or -1
 * (its end goes to {@link wordEnd}). A charCode loop with exactly the answer of
 * `/([A-Za-z]+)[\s:#.-]*$/.exec(s)` (match index and group 1), which was a visible share of the
 * detectors' time.
 */
export function wordBefore(s: string): number {
  let i = s.length;
  for (;;) {
    if (i === 0) return -1;
    const c = s.charCodeAt(i - 1);
    if (c === 58 || c === 35 || c === 46 || c === 45 || isSpace(c)) i--;
    else break;
  }
  const e = i;
  while (i > 0 && isAsciiLetter(s.charCodeAt(i - 1))) i--;
  if (i === e) return -1;
  wordEnd = e;
  return i;
}

/** The lowercased word of `/([A-Za-z]+)[\s:#.-]*$/.exec(s)?.[1]`, or undefined. */
function prevWord(s: string): string | undefined {
  const i = wordBefore(s);
  return i < 0 ? undefined : s.slice(i, wordEnd).toLowerCase();
}

/**
 * The lowercased word of `/^[\s-]*([A-Za-z]+)/.exec(s)?.[1]` (the first ASCII word of `s` after
 * leading whitespace and '-'), or undefined.
 */
export function nextWord(s: string): string | undefined {
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 45 || isSpace(c)) i++;
    else break;
  }
  const from = i;
  while (i < s.length && isAsciiLetter(s.charCodeAt(i))) i++;
  return i === from ? undefined : s.slice(from, i).toLowerCase();
}

function namedByWords(text: string, start: number, end: number): boolean {
  const left = text.slice(Math.max(0, start - LOOK), start);
  if (CURRENCY.test(left.slice(-2))) return true;
  const prev = prevWord(left);
  if (prev !== undefined && NAMED_BEFORE.has(prev)) return true;
  const next = nextWord(text.slice(end, end + LOOK));
  return next !== undefined && NAMED_AFTER.has(next);
}

/** Words right before a number that name it as a reference, not a card ("auth reference 2303 ..."). */
const REFERENCE_BEFORE = new Set([
  'ref',
  'reference',
  'no',
  'number',
  'order',
  'ticket',
  'tracking',
  'transaction',
  'confirmation',
  'case',
  'invoice',
  'receipt',
  'booking',
  'policy',
  'claim',
  'id',
]);

/**
 * True when the word right before `text[start]` names the number as a reference or id. Used only
 * for Luhn-INVALID card candidates: a Luhn-valid number in a card range is a card whatever precedes
 * it. ("card number 4111 ..." still counts: `number` preceded by a card word is the card's cue.)
 */
export function namedAsReference(text: string, start: number): boolean {
  const left = text.slice(Math.max(0, start - LOOK), start);
  const at = wordBefore(left);
  if (at < 0) return false;
  const word = left.slice(at, wordEnd).toLowerCase();
  if (!REFERENCE_BEFORE.has(word)) return false;
  if (word === 'number' || word === 'no') {
    const before = prevWord(left.slice(0, at));
    return before !== 'card' && before !== 'credit' && before !== 'debit';
  }
  return true;
}

/** Words that may stand between a spoken number and the word naming it ("the reference is …"). */
const COPULA = /(?:\s+(?:is|was|it's|that's|it|is:))+\s*$/i;

/**
 * {@link namedAsReference} for a number read out loud, where a copula usually stands between the
 * name and the digits ("yes the reference is four eight …"). For Luhn-invalid spoken candidates only.
 */
export function spokenAsReference(text: string, start: number): boolean {
  const left = text.slice(Math.max(0, start - LOOK * 2), start);
  const m = COPULA.exec(left);
  return namedAsReference(left, m === null ? left.length : m.index);
}
