/**
 * TOTP codes for tests, respecting the server's replay protection: a step (30 s) is accepted at
 * most once per user, and the server accepts one step either side of its current one. This module
 * remembers the last step it handed out per secret (in this process) and returns the lowest
 * unspent step the server will still accept, waiting for the next step only when all are spent.
 *
 * @example
 * const code = await nextTotpCode(creds.totpSecret); // then type it into "Authentication code"
 */
import { Secret, TOTP } from 'otpauth';

const PERIOD_MS = 30_000;
// A previous-step code is only used when this much of its grace remains (typing and the request
// must land before the server's clock moves on).
const PREVIOUS_STEP_MARGIN_MS = 10_000;

const lastStep = new Map<string, number>();

const totpOf = (secret: string) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });

/** The code of a given 30 s step. */
export function totpCodeAt(secret: string, step: number): string {
  return totpOf(secret).generate({ timestamp: step * PERIOD_MS });
}

/** Records that the step containing `atMs` (and every earlier one) was used outside this module. */
export function markTotpStepUsed(secret: string, atMs: number = Date.now()): void {
  const step = Math.floor(atMs / PERIOD_MS);
  lastStep.set(secret, Math.max(lastStep.get(secret) ?? -1, step));
}

/**
 * A code the server accepts now and has not seen (as far as this process knows). Marks its step
 * spent. May wait up to 30 s when the three acceptable steps were all used.
 */
export async function nextTotpCode(secret: string): Promise<string> {
  for (;;) {
    const now = Date.now();
    const current = Math.floor(now / PERIOD_MS);
    const intoStep = now - current * PERIOD_MS;
    const earliest = intoStep < PERIOD_MS - PREVIOUS_STEP_MARGIN_MS ? current - 1 : current;
    const step = Math.max((lastStep.get(secret) ?? -1) + 1, earliest);
    if (step <= current + 1) {
      lastStep.set(secret, step);
      return totpCodeAt(secret, step);
    }
    // All acceptable steps are spent: wait until the next step opens one more.
    await new Promise((r) => setTimeout(r, (current + 1) * PERIOD_MS - now + 250));
  }
}

/** A 6-digit code the server certainly refuses now (none of the acceptable steps' codes). */
export function wrongTotpCode(secret: string): string {
  const current = Math.floor(Date.now() / PERIOD_MS);
  const valid = new Set([-2, -1, 0, 1, 2].map((d) => totpCodeAt(secret, current + d)));
  for (let n = 123456; ; n = (n + 111_111) % 1_000_000) {
    const code = String(n).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}
