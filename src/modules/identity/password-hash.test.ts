import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { burnPasswordVerification, hashPassword, verifyPassword } from './password-hash.ts';

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

describe('password-hash', () => {
  it('round-trips and rejects a wrong password', async () => {
    const phc = await hashPassword('orbit velvet lantern quarry');
    expect(await verifyPassword(phc, 'orbit velvet lantern quarry')).toBe(true);
    expect(await verifyPassword(phc, 'orbit velvet lantern quarrY')).toBe(false);
    expect(await verifyPassword(phc, '')).toBe(false);
  });

  it('emits an Argon2id PHC string with the OWASP parameters and a fresh salt', async () => {
    const a = await hashPassword('same input twice');
    const b = await hashPassword('same input twice');
    expect(a.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(a).not.toBe(b);
  });

  it('treats composed and decomposed Unicode as the same password', async () => {
    const phc = await hashPassword('caf\u00e9 au lait, s\u2019il vous pla\u00eet');
    expect(await verifyPassword(phc, 'cafe\u0301 au lait, s\u2019il vous plai\u0302t')).toBe(true);
  });

  it('returns false instead of throwing on malformed stored hashes', async () => {
    const good = await hashPassword('x');
    const malformed = [
      '',
      'not a hash',
      '$argon2id$',
      '$argon2id$v=19$m=19456,t=2,p=1$',
      good.slice(0, -10),
      good.replace('$argon2id$', '$bcrypt$'),
      '$2b$12$abcdefghijklmnopqrstuuJ0LlJ9f5ZtP3b1q6bqW5Ot1JrW2dT1e',
    ];
    for (const phc of malformed) {
      await expect(verifyPassword(phc, 'x')).resolves.toBe(false);
    }
    await expect(verifyPassword(null as unknown as string, 'x')).resolves.toBe(false);
  });

  it('rejects absurdly long input without hashing it', async () => {
    const phc = await hashPassword('short');
    expect(await verifyPassword(phc, 'a'.repeat(100_000))).toBe(false);
  });

  it('burns about as much time as a real verification (sanity check, not a benchmark)', async () => {
    const phc = await hashPassword('the real password');
    // Warm-up so lazy native initialisation is not charged to either side.
    await verifyPassword(phc, 'warm-up');
    await burnPasswordVerification('warm-up');

    const real: number[] = [];
    const burn: number[] = [];
    for (let i = 0; i < 5; i++) {
      real.push(await timeIt(() => verifyPassword(phc, 'a wrong password')));
      burn.push(await timeIt(() => burnPasswordVerification('a wrong password')));
    }
    const ratio = median(burn) / median(real);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it('burnPasswordVerification resolves even for odd input', async () => {
    await expect(burnPasswordVerification('')).resolves.toBeUndefined();
    await expect(burnPasswordVerification(undefined as unknown as string)).resolves.toBeUndefined();
  });
});
