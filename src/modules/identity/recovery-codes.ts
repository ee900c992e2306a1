import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../lib/hash.ts';

// Crockford base32 (no i, l, o, u): nothing to misread, and 32 symbols so a masked byte is unbiased.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const GROUPS = 3;
const GROUP_LENGTH = 4;
const CODE_LENGTH = GROUPS * GROUP_LENGTH;
const WELL_FORMED = new RegExp(`^[${ALPHABET}]{${CODE_LENGTH}}$`);

// Crockford's decoding rules for the letters users type instead of digits.
const LOOKALIKES: Record<string, string> = { o: '0', i: '1', l: '1' };

/** Bits of entropy in one recovery code (12 symbols of 5 bits). */
export const RECOVERY_CODE_BITS = CODE_LENGTH * 5;

function generateOne(): string {
  const bytes = randomBytes(CODE_LENGTH);
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) {
    if (i > 0 && i % GROUP_LENGTH === 0) code += '-';
    code += ALPHABET[bytes[i]! & 31];
  }
  return code;
}

/**
 * Generates `n` distinct single-use recovery codes such as `7f3k-9qpx-2mzd`: 12 symbols from an unambiguous
 * 32-letter alphabet (60 bits from `crypto.randomBytes`), grouped by four for reading aloud or typing.
 * Show them once; store only {@link hashRecoveryCode} of each.
 */
export function generateRecoveryCodes(n = 10): string[] {
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new RangeError('generateRecoveryCodes: n must be an integer between 1 and 100');
  }
  const codes = new Set<string>();
  while (codes.size < n) codes.add(generateOne());
  return [...codes];
}

/**
 * Canonical form of a typed recovery code: NFKC, lower case, spaces and dashes removed, and o/i/l read as
 * 0/1. Does not validate; see {@link isWellFormedRecoveryCode}.
 */
export function normalizeRecoveryCode(code: string): string {
  let out = '';
  for (const ch of code.normalize('NFKC').toLowerCase()) {
    if (/[\s\p{Pd}_]/u.test(ch)) continue;
    out += LOOKALIKES[ch] ?? ch;
  }
  return out;
}

/** True when the input, once normalised, has the shape of a code from {@link generateRecoveryCodes}. */
export function isWellFormedRecoveryCode(code: string): boolean {
  return typeof code === 'string' && code.length <= 64 && WELL_FORMED.test(normalizeRecoveryCode(code));
}

/**
 * SHA-256 (lower-case hex) of the normalised code, for storage and lookup. An unsalted fast hash is enough
 * here because each code carries 60 random bits, unlike a password.
 */
export function hashRecoveryCode(code: string): string {
  return sha256Hex(normalizeRecoveryCode(code));
}
