/**
 * Token formats of the vault: random Luhn-invalid PAN tokens (the default) and NIST SP 800-38G
 * FF1 format-preserving encryption over decimal digits.
 *
 * FF1 runs on native `node:crypto` AES-256 (CBC-MAC PRF, Algorithms 7 and 8 of SP 800-38G) rather
 * than `@noble/ciphers`' pure-JS AES (ADR 0006). The tests check it against the NIST samples and,
 * as an independent oracle, against `@noble/ciphers` FF1 (a dev dependency) on random inputs.
 */
import { createCipheriv, randomInt } from 'node:crypto';
import { luhnValid } from '../redaction/engine/validators.ts';

/** Raised for values a format cannot take; its message is safe to show (it never holds the value). */
export class TokenFormatError extends Error {
  override name = 'TokenFormatError';
}

/** SP 800-38G Rev.1 floor: radix^len >= 10^6, so radix-10 inputs need at least 6 digits. */
export const FF1_MIN_DIGITS = 6;
/** Above this many digits BigInt maths stays correct but no use case needs it; keeps inputs bounded. */
export const FF1_MAX_DIGITS = 64;
const RADIX = 10n;
const DIGITS_RE = /^\d+$/;

const randomDigits = (n: number): string => {
  let out = '';
  for (let i = 0; i < n; i++) out += String(randomInt(10));
  return out;
};

/**
 * A random token for a PAN: same length, same last four digits, every other digit random, and
 * Luhn-invalid so it can never be mistaken for (or accepted as) a card number.
 *
 * @example randomPanToken('4111111111111111') // e.g. '8302945716201111' (fails Luhn)
 */
export function randomPanToken(pan: string): string {
  if (!/^\d{12,19}$/.test(pan)) throw new TokenFormatError('a PAN must be 12 to 19 digits');
  const token = randomDigits(pan.length - 4) + pan.slice(-4);
  if (!luhnValid(token)) return token;
  // Changing one digit always changes the Luhn sum mod 10, so one adjusted digit makes it invalid.
  const first = (Number(token[0]) + 1) % 10;
  return String(first) + token.slice(1);
}

// ---------------------------------------------------------------------------------------------
// FF1 (radix 10)

function aesBlock(key: Buffer, block: Buffer): Buffer {
  const c = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

/** PRF of SP 800-38G: CBC-MAC with AES under a zero IV; the input is a whole number of blocks. */
function prf(key: Buffer, data: Buffer): Buffer {
  const c = createCipheriv('aes-256-cbc', key, Buffer.alloc(16)).setAutoPadding(false);
  const out = Buffer.concat([c.update(data), c.final()]);
  return out.subarray(out.length - 16);
}

const toBytes = (x: bigint, len: number): Buffer => {
  const hex = x.toString(16).padStart(len * 2, '0');
  return Buffer.from(hex, 'hex');
};

const numRadix = (s: string): bigint => (s.length === 0 ? 0n : BigInt(s));
const strRadix = (x: bigint, m: number): string => x.toString().padStart(m, '0');

type Ff1Params = { u: number; v: number; b: number; d: number; p: Buffer };

function params(n: number, tweakLength: number): Ff1Params {
  const u = Math.floor(n / 2);
  const v = n - u;
  // b = ceil(ceil(v * log2(10)) / 8): the bytes needed for 10^v - 1 (10^v is never a power of two).
  const b = Math.ceil((RADIX ** BigInt(v) - 1n).toString(2).length / 8);
  const d = 4 * Math.ceil(b / 4) + 4;
  const p = Buffer.alloc(16);
  // [1]1 [2]1 [1]1 [radix]3 [10]1 [u mod 256]1 [n]4 [t]4
  p.set([1, 2, 1, 0, 0, Number(RADIX), 10, u % 256]);
  p.writeUInt32BE(n, 8);
  p.writeUInt32BE(tweakLength, 12);
  return { u, v, b, d, p };
}

/** One Feistel round value y = NUM(S) for round i over the numeral string `half`. */
function roundValue(key: Buffer, prm: Ff1Params, tweak: Buffer, i: number, half: string): bigint {
  const pad = (((-tweak.length - prm.b - 1) % 16) + 16) % 16;
  const q = Buffer.concat([tweak, Buffer.alloc(pad), Buffer.from([i]), toBytes(numRadix(half), prm.b)]);
  const r = prf(key, Buffer.concat([prm.p, q]));
  const blocks = [r];
  for (let j = 1; j < Math.ceil(prm.d / 16); j++) {
    const x = Buffer.from(r);
    x.writeUInt32BE(x.readUInt32BE(12) ^ j, 12);
    blocks.push(aesBlock(key, x));
  }
  return BigInt(`0x${Buffer.concat(blocks).subarray(0, prm.d).toString('hex')}`);
}

function checkInput(key: Buffer, digits: string): void {
  if (key.length !== 32) throw new TokenFormatError('FF1 needs a 32-byte AES-256 key');
  if (!DIGITS_RE.test(digits)) throw new TokenFormatError('FF1 input must be decimal digits only');
  if (digits.length < FF1_MIN_DIGITS)
    throw new TokenFormatError(
      `FF1 needs at least ${FF1_MIN_DIGITS} digits (SP 800-38G Rev.1: radix^length >= 1,000,000); ` +
        `got ${digits.length}`,
    );
  if (digits.length > FF1_MAX_DIGITS)
    throw new TokenFormatError(`FF1 takes at most ${FF1_MAX_DIGITS} digits`);
}

/**
 * FF1-AES-256 encryption of a decimal string (SP 800-38G Algorithm 7). Length and alphabet are
 * preserved. The tweak is public and must be stable for tokens that have to join (e.g. tenant id).
 *
 * @example ff1Encrypt(key, Buffer.alloc(0), '0123456789') // '6657667009' with the NIST sample key
 */
export function ff1Encrypt(key: Buffer, tweak: Buffer, digits: string): string {
  checkInput(key, digits);
  const prm = params(digits.length, tweak.length);
  let a = digits.slice(0, prm.u);
  let b = digits.slice(prm.u);
  for (let i = 0; i < 10; i++) {
    const m = i % 2 === 0 ? prm.u : prm.v;
    const y = roundValue(key, prm, tweak, i, b);
    const c = (numRadix(a) + y) % RADIX ** BigInt(m);
    a = b;
    b = strRadix(c, m);
  }
  return a + b;
}

/** FF1-AES-256 decryption (SP 800-38G Algorithm 8); the inverse of `ff1Encrypt`. */
export function ff1Decrypt(key: Buffer, tweak: Buffer, digits: string): string {
  checkInput(key, digits);
  const prm = params(digits.length, tweak.length);
  let a = digits.slice(0, prm.u);
  let b = digits.slice(prm.u);
  for (let i = 9; i >= 0; i--) {
    const m = i % 2 === 0 ? prm.u : prm.v;
    const y = roundValue(key, prm, tweak, i, a);
    const mod = RADIX ** BigInt(m);
    const c = (((numRadix(b) - y) % mod) + mod) % mod;
    b = a;
    a = strRadix(c, m);
  }
  return a + b;
}

/** The FF1 tweak of a tenant: its id's 16 bytes, stable so equal values give equal tokens (joins). */
export function tenantTweak(tenantId: string): Buffer {
  const hex = tenantId.replaceAll('-', '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TokenFormatError('tenant id must be a UUID');
  return Buffer.from(hex, 'hex');
}

/**
 * An FF1 token for a PAN: the last four digits stay, the rest is encrypted (12 digits for a
 * 16-digit PAN: a 10^12 domain). Unlike random tokens it may pass Luhn: FF1 must stay invertible.
 */
export function ff1PanToken(key: Buffer, tweak: Buffer, pan: string): string {
  if (!/^\d{12,19}$/.test(pan)) throw new TokenFormatError('a PAN must be 12 to 19 digits');
  return ff1Encrypt(key, tweak, pan.slice(0, -4)) + pan.slice(-4);
}

/** Inverse of `ff1PanToken`. */
export function ff1PanDetokenize(key: Buffer, tweak: Buffer, token: string): string {
  return ff1Decrypt(key, tweak, token.slice(0, -4)) + token.slice(-4);
}
