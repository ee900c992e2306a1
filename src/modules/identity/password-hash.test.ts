import { describe, expect, it } from 'vitest';
import { burnPasswordVerification, DUMMY_HASH, hashPassword, verifyPassword } from './password-hash.ts';

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

  it('burns what a real verification costs: the dummy hash has the live parameters and sizes', async () => {
    // Argon2 costs what its parameters say, so equal parameters (m, t, p, salt and digest length) mean
    // equal work. Checked structurally: a timing comparison fails on a loaded machine.
    const parts = (phc: string) => {
      const [, algorithm, version, params, salt, digest] = phc.split('$');
      return {
        algorithm,
        version,
        params,
        salt: Buffer.from(salt!, 'base64').length,
        digest: Buffer.from(digest!, 'base64').length,
      };
    };
    const real = parts(await hashPassword('the real password'));
    expect(parts(DUMMY_HASH)).toEqual(real);
    expect(real).toMatchObject({ algorithm: 'argon2id', params: 'm=19456,t=2,p=1', salt: 16, digest: 32 });
    // And the burn really runs Argon2 on the dummy: it rejects, rather than short-circuiting.
    expect(await verifyPassword(DUMMY_HASH, 'a wrong password')).toBe(false);
  });

  it('burnPasswordVerification resolves even for odd input', async () => {
    await expect(burnPasswordVerification('')).resolves.toBeUndefined();
    await expect(burnPasswordVerification(undefined as unknown as string)).resolves.toBeUndefined();
  });
});
