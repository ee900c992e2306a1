import type { Algorithm, Options, Version } from '@node-rs/argon2';
import { hash, verify } from '@node-rs/argon2';

// Ambient const enums cannot be referenced as values under isolatedModules, so the members are spelled out.
const ARGON2ID: Algorithm.Argon2id = 2;
const V0X13: Version.V0x13 = 1;

// OWASP Password Storage Cheat Sheet, Argon2id option 2.
const MEMORY_COST_KIB = 19_456;
const TIME_COST = 2;
const PARALLELISM = 1;

const OPTIONS: Options = {
  algorithm: ARGON2ID,
  version: V0X13,
  memoryCost: MEMORY_COST_KIB,
  timeCost: TIME_COST,
  parallelism: PARALLELISM,
  outputLen: 32,
};

// Exported for its test. Built from the live parameters so the dummy always costs what a real verification costs; the salt and
// digest are random constants that no password produces.
export const DUMMY_HASH =
  `$argon2id$v=19$m=${MEMORY_COST_KIB},t=${TIME_COST},p=${PARALLELISM}` +
  '$MjnKcas07/3szB5Nd7hC+g$zs6S9WYOkT5X58/IwNYb5UgCblfRE7aSrnF7rksyYxM';

// Policy caps passwords at 256 code points; this looser bound only stops absurd inputs from reaching Argon2.
const MAX_INPUT_UTF16_UNITS = 4096;

// The same password typed on different devices may arrive composed or decomposed.
const normalize = (password: string): string => password.normalize('NFKC');

/**
 * Hashes a password with Argon2id (m=19456 KiB, t=2, p=1, 32-byte output, 16-byte random salt).
 *
 * The password is NFKC-normalised first so that visually identical input verifies regardless of how the
 * client encoded it. Length and blocklist rules are not applied here: run `checkPassword` before calling.
 *
 * @returns a PHC string such as `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
 */
export async function hashPassword(password: string): Promise<string> {
  return hash(normalize(password), OPTIONS);
}

/**
 * Checks a password against a stored PHC string.
 *
 * Never throws: a malformed, truncated or unsupported stored hash, or an oversized password, yields `false`.
 * The cost parameters are read from the PHC string, so hashes made with older parameters still verify.
 */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  if (typeof phc !== 'string' || typeof password !== 'string') return false;
  if (password.length > MAX_INPUT_UTF16_UNITS) return false;
  try {
    return await verify(phc, normalize(password));
  } catch {
    return false;
  }
}

/**
 * Spends the time of one password verification without any stored hash, for the "unknown user" path, so
 * that response timing does not reveal whether an account exists. Always resolves; the result is discarded.
 */
export async function burnPasswordVerification(password: string): Promise<void> {
  await verifyPassword(DUMMY_HASH, typeof password === 'string' ? password : '');
}
