import { randomBytes } from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';
import { safeEqual } from '../../lib/hash.ts';

// RFC 6238 defaults: the only parameters every authenticator app honours.
const ALGORITHM = 'SHA1';
const DIGITS = 6;
const PERIOD_SECONDS = 30;
// One step either side absorbs clock drift and the time it takes to type the code (RFC 6238 section 5.2).
const WINDOW = 1;
const SECRET_BYTES = 20;
const CODE_FORMAT = /^[0-9]{6}$/;

/** Result of {@link verifyTotp}. On success, persist `step` as the account's new `lastUsedStep`. */
export type TotpVerification =
  | { ok: true; step: number }
  | { ok: false; reason: 'invalid' | 'replayed' | 'malformed' };

/** Input of {@link verifyTotp}. */
export type TotpVerifyInput = {
  /** Base32 secret as stored for the account. */
  secret: string;
  /** What the user typed. */
  code: string;
  /** Highest time step accepted before for this secret, or null if none. */
  lastUsedStep: number | null;
  /** Current time in milliseconds since the Unix epoch. */
  now: number;
};

/** Creates a new TOTP shared secret: 20 bytes from the CSPRNG, RFC 4648 base32 without padding. */
export function generateTotpSecret(): string {
  return new Secret({ buffer: new Uint8Array(randomBytes(SECRET_BYTES)).buffer }).base32;
}

/**
 * Builds the `otpauth://totp/...` enrolment URI (Key Uri Format) for a QR code: SHA-1, 6 digits, 30 s.
 *
 * @throws TypeError if issuer or account is empty or contains ':' (the label separator), or the secret is
 *   not valid base32.
 */
export function totpUri({
  issuer,
  account,
  secret,
}: {
  issuer: string;
  account: string;
  secret: string;
}): string {
  for (const [name, value] of [
    ['issuer', issuer],
    ['account', account],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0 || value.includes(':')) {
      throw new TypeError(`totpUri: ${name} must be a non-empty string without ':'`);
    }
  }
  return new TOTP({
    issuer,
    label: account,
    secret: Secret.fromBase32(secret),
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_SECONDS,
  }).toString();
}

/**
 * Verifies a 6-digit RFC 6238 code (SHA-1, 30 s steps) at time `now`, accepting the current step and one
 * step either side.
 *
 * A code is accepted at most once: any matching step at or below `lastUsedStep` is reported as `replayed`,
 * which also refuses a code older than the last accepted one (PCI DSS 8.5.1). Input that is not exactly six
 * ASCII digits is `malformed` and nothing is computed. Comparisons are constant-time and all three steps are
 * always computed, so timing does not reveal which step matched.
 *
 * @throws TypeError if `secret` is not valid base32 or `now` is not finite (server-side data errors).
 */
export function verifyTotp({ secret, code, lastUsedStep, now }: TotpVerifyInput): TotpVerification {
  if (typeof code !== 'string' || !CODE_FORMAT.test(code)) return { ok: false, reason: 'malformed' };
  if (!Number.isFinite(now)) throw new TypeError('verifyTotp: now must be a finite millisecond timestamp');

  const key = Secret.fromBase32(secret);
  const current = TOTP.counter({ period: PERIOD_SECONDS, timestamp: now });
  let accepted: number | undefined;
  let replayed = false;
  for (let step = current - WINDOW; step <= current + WINDOW; step++) {
    const expected = HOTP.generate({ secret: key, algorithm: ALGORITHM, digits: DIGITS, counter: step });
    if (!safeEqual(code, expected)) continue;
    if (typeof lastUsedStep === 'number' && step <= lastUsedStep) replayed = true;
    // Lowest fresh step, so a chance collision with a future step does not block the user's next code.
    else accepted ??= step;
  }
  if (accepted !== undefined) return { ok: true, step: accepted };
  return { ok: false, reason: replayed ? 'replayed' : 'invalid' };
}
