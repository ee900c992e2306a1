/**
 * Checksum and range validators for structured identifiers. Inputs are the bare characters
 * (digits only, or the compact IBAN/NINO); callers strip separators first.
 */

const isDigits = (s: string): boolean => {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
};

/**
 * Luhn (mod 10) check over a string of digits.
 * @example luhnValid('4111111111111111') // true
 */
export function luhnValid(digits: string): boolean {
  if (digits.length < 2 || !isDigits(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Card networks recognised by {@link panNetwork}. */
export type CardNetwork =
  | 'visa'
  | 'mastercard'
  | 'amex'
  | 'discover'
  | 'jcb'
  | 'diners'
  | 'unionpay'
  | 'mir'
  | 'maestro';

const between = (n: number, lo: number, hi: number): boolean => n >= lo && n <= hi;

/**
 * The card network of a 13–19 digit PAN from current IIN ranges and the lengths each network
 * issues, or null for an unknown prefix or a length the network does not use. Airline UATP
 * (prefix 1) is left out on purpose: order and ticket numbers start with 1 far more often.
 * @example panNetwork('2223000048400011') // 'mastercard'
 */
export function panNetwork(digits: string): CardNetwork | null {
  if (!isDigits(digits)) return null;
  return panNetworkOf(Number(digits.slice(0, 6)), digits.length);
}

/** Bit mask with bits lo…hi set: the PAN lengths a network issues. */
const lengths = (lo: number, hi: number): number => ((1 << (hi + 1)) - 1) & ~((1 << lo) - 1);

/** Network of a six-digit prefix with the lengths it issues, or null. */
function prefixRule(first6: number): { network: CardNetwork; lengths: number } | null {
  const p1 = Math.floor(first6 / 100000);
  const p2 = Math.floor(first6 / 10000);
  const p3 = Math.floor(first6 / 1000);
  const p4 = Math.floor(first6 / 100);
  if (p2 === 34 || p2 === 37) return RULES.amex;
  if (p1 === 4) return RULES.visa;
  if (between(p4, 2200, 2204)) return RULES.mir;
  if (between(p4, 2221, 2720) || between(p2, 51, 55)) return RULES.mastercard;
  if (between(p4, 3528, 3589)) return RULES.jcb;
  if (between(p3, 300, 305) || p4 === 3095 || p2 === 36 || p2 === 38 || p2 === 39) return RULES.diners;
  if (p4 === 6011 || between(p3, 644, 649) || p2 === 65 || between(first6, 622126, 622925))
    return RULES.discover;
  if (p2 === 62 || p2 === 81) return RULES.unionpay;
  if (p2 === 50 || between(p2, 56, 58) || p1 === 6) return RULES.maestro;
  return null;
}

const RULES = {
  amex: { network: 'amex', lengths: lengths(15, 15) },
  visa: { network: 'visa', lengths: lengths(13, 13) | lengths(16, 16) | lengths(19, 19) },
  mir: { network: 'mir', lengths: lengths(16, 19) },
  mastercard: { network: 'mastercard', lengths: lengths(16, 16) },
  jcb: { network: 'jcb', lengths: lengths(16, 19) },
  diners: { network: 'diners', lengths: lengths(14, 19) },
  discover: { network: 'discover', lengths: lengths(16, 19) },
  unionpay: { network: 'unionpay', lengths: lengths(16, 19) },
  maestro: { network: 'maestro', lengths: lengths(12, 19) },
} as const satisfies Record<CardNetwork, { network: CardNetwork; lengths: number }>;

/**
 * {@link panNetwork} from the first six digits as a number and the PAN length, so a scanner can
 * test one prefix against several lengths without building strings.
 */
export function panNetworkOf(first6: number, length: number): CardNetwork | null {
  if (length < 13 || length > 19) return null;
  const rule = prefixRule(first6);
  return rule && (rule.lengths >> length) & 1 ? rule.network : null;
}

/** Bit mask of the PAN lengths (bit n for n digits, 13–19 only) issued under a six-digit prefix. */
export function panLengthMask(first6: number): number {
  return (prefixRule(first6)?.lengths ?? 0) & lengths(13, 19);
}

/** IBAN length per country (SWIFT IBAN registry). */
// biome-ignore format: a table reads better packed
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/**
 * IBAN check: known country, that country's length, and ISO 7064 mod 97 = 1. Spaces are ignored
 * and letters may be in either case.
 * @example ibanValid('GB82 WEST 1234 5698 7654 32') // true
 */
export function ibanValid(s: string): boolean {
  // ASCII input (the common case) is checked from char codes; anything else takes the general path.
  let l = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c === 32) continue;
    if (c >= 128) return ibanValidSlow(s);
    if (c >= 97 && c <= 122) c -= 32;
    const letter = c >= 65 && c <= 90;
    const digit = c >= 48 && c <= 57;
    if (l < 2 ? !letter : l < 4 ? !digit : !letter && !digit) return false;
    if (l === 34) return false; // longer than any country's IBAN
    ibanCodes[l++] = c;
  }
  if (l < 5) return false;
  if (IBAN_LENGTHS[String.fromCharCode(ibanCodes[0]!, ibanCodes[1]!)] !== l) return false;
  let rem = 0;
  for (let q = 4; q < l + 4; q++) {
    const c = ibanCodes[q < l ? q : q - l]!;
    rem = c <= 57 ? (rem * 10 + (c - 48)) % 97 : (rem * 100 + (c - 55)) % 97;
  }
  return rem === 1;
}

/** Scratch for {@link ibanValid}: the compact, upper-cased characters. */
const ibanCodes = new Uint8Array(34);

function ibanValidSlow(s: string): boolean {
  const iban = s.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]+$/.test(iban)) return false;
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    // Letters expand to two digits (A=10 … Z=35).
    rem = c <= 57 ? (rem * 10 + (c - 48)) % 97 : (rem * 100 + (c - 55)) % 97;
  }
  return rem === 1;
}

/** Valid first two digits of an ABA routing number (Federal Reserve districts, thrifts, electronic). */
const abaPrefixOk = (p: number): boolean =>
  between(p, 0, 12) || between(p, 21, 32) || between(p, 61, 72) || p === 80;

/**
 * ABA routing number: 9 digits, a valid prefix and the 3-7-1 weighted checksum.
 * @example abaValid('021000021') // true
 */
export function abaValid(digits: string): boolean {
  if (digits.length !== 9 || !isDigits(digits)) return false;
  if (!abaPrefixOk((digits.charCodeAt(0) - 48) * 10 + digits.charCodeAt(1) - 48)) return false;
  let sum = 0;
  // Weights 3, 7, 1 repeating.
  for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * (i % 3 === 0 ? 3 : i % 3 === 1 ? 7 : 1);
  return sum % 10 === 0;
}

const KNOWN_FAKE_SSNS = new Set(['078051120', '219099999']);

/**
 * US SSN structure: area not 000, 666 or 900–999; group not 00; serial not 0000; not a
 * well-known published fake (078-05-1120, 219-09-9999).
 * @example ssnValid('536904399') // true
 */
export function ssnValid(digits: string): boolean {
  if (digits.length !== 9 || !isDigits(digits)) return false;
  const area = Number(digits.slice(0, 3));
  if (area === 0 || area === 666 || area >= 900) return false;
  if (digits.slice(3, 5) === '00' || digits.slice(5) === '0000') return false;
  return !KNOWN_FAKE_SSNS.has(digits);
}

/**
 * US ITIN: 9xx area and a group in 50–65, 70–88, 90–92 or 94–99.
 * @example itinValid('912701234') // true
 */
export function itinValid(digits: string): boolean {
  if (digits.length !== 9 || !isDigits(digits) || digits[0] !== '9') return false;
  const g = Number(digits.slice(3, 5));
  return between(g, 50, 65) || between(g, 70, 88) || between(g, 90, 92) || between(g, 94, 99);
}

/**
 * NHS number: 10 digits, mod 11 check digit with weights 10…2 (a remainder giving 10 is invalid).
 * @example nhsValid('9434765919') // true
 */
export function nhsValid(digits: string): boolean {
  if (digits.length !== 10 || !isDigits(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * (10 - i);
  let check = 11 - (sum % 11);
  if (check === 11) check = 0;
  if (check === 10) return false;
  return check === digits.charCodeAt(9) - 48;
}

const NINO_BAD_LETTERS = new Set(['D', 'F', 'I', 'Q', 'U', 'V']);
const NINO_BAD_PREFIXES = new Set(['BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ']);

/**
 * UK National Insurance number: two prefix letters (neither D, F, I, Q, U, V; second not O; not
 * BG, GB, NK, KN, TN, NT, ZZ), six digits and a suffix A–D. Spaces are ignored.
 * @example ninoValid('AB 12 34 56 C') // true
 */
export function ninoValid(s: string): boolean {
  // ASCII input (the common case) is checked from char codes; anything else takes the general path.
  let p = 0;
  let a = 0;
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c === 32) continue;
    if (c >= 128) return ninoValidSlow(s);
    if (c >= 97 && c <= 122) c -= 32;
    const letter = c >= 65 && c <= 90;
    if (p < 2 ? !letter : p < 8 ? c < 48 || c > 57 : p > 8 || c < 65 || c > 68) return false;
    if (p === 0) a = c;
    else if (p === 1) b = c;
    p++;
  }
  if (p !== 9) return false;
  return ninoLettersOk(String.fromCharCode(a), String.fromCharCode(b));
}

function ninoValidSlow(s: string): boolean {
  const v = s.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}[0-9]{6}[A-D]$/.test(v)) return false;
  return ninoLettersOk(v[0]!, v[1]!);
}

function ninoLettersOk(a: string, b: string): boolean {
  if (NINO_BAD_LETTERS.has(a) || NINO_BAD_LETTERS.has(b) || b === 'O') return false;
  return !NINO_BAD_PREFIXES.has(a + b);
}
