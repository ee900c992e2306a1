import { execFileSync } from 'node:child_process';
import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { generateTotpSecret, totpUri, verifyTotp } from './totp.ts';

// RFC 6238 Appendix B: SHA-1 seed is the ASCII string "12345678901234567890".
const RFC_SEED_ASCII = '12345678901234567890';
const RFC_SEED_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_VECTORS: ReadonlyArray<[seconds: number, code8: string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

const stepAt = (ms: number): number => Math.floor(ms / 30_000);

/** oathtool is an independent implementation; CI installs it, so its absence is a failure, not a skip. */
function oathtool(secretBase32: string, atMs: number): string {
  const when = new Date(atMs)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  try {
    return execFileSync('oathtool', ['--totp', '-b', '-N', when, secretBase32], { encoding: 'utf8' }).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'oathtool is not installed; the TOTP cross-check needs it. Install it with: ' +
          'apt-get update && apt-get install -y oathtool (CI installs it).',
      );
    }
    throw err;
  }
}

const INSTANTS = [
  Date.UTC(1970, 0, 1, 0, 0, 59),
  Date.UTC(2005, 2, 18, 1, 58, 29),
  Date.UTC(2009, 1, 13, 23, 31, 30),
  Date.UTC(2020, 1, 29, 12, 0, 0),
  Date.UTC(2024, 11, 31, 23, 59, 59),
  Date.UTC(2026, 10, 27, 3, 30, 0),
  Date.UTC(2026, 10, 27, 3, 30, 29),
  Date.UTC(2033, 4, 18, 3, 33, 20),
  Date.UTC(2038, 0, 19, 3, 14, 8),
  Date.UTC(2099, 11, 31, 23, 59, 30),
];

describe('totp: RFC 6238 Appendix B', () => {
  it.each(RFC_VECTORS)('otpauth produces the 8-digit SHA-1 vector at T=%i', (seconds, code8) => {
    const code = TOTP.generate({
      secret: Secret.fromLatin1(RFC_SEED_ASCII),
      algorithm: 'SHA1',
      digits: 8,
      period: 30,
      timestamp: seconds * 1000,
    });
    expect(code).toBe(code8);
  });

  it.each(RFC_VECTORS)('verifyTotp accepts the 6-digit truncation at T=%i', (seconds, code8) => {
    expect(Secret.fromLatin1(RFC_SEED_ASCII).base32).toBe(RFC_SEED_BASE32);
    const now = seconds * 1000;
    const r = verifyTotp({ secret: RFC_SEED_BASE32, code: code8.slice(-6), lastUsedStep: null, now });
    expect(r).toEqual({ ok: true, step: stepAt(now) });
  });
});

describe('totp: agreement with oathtool', () => {
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

  it.each(INSTANTS.map((ms) => [new Date(ms).toISOString(), ms] as const))(
    'accepts the code oathtool computes at %s',
    (_iso, ms) => {
      const code = oathtool(secret, ms);
      expect(code).toMatch(/^\d{6}$/);
      expect(verifyTotp({ secret, code, lastUsedStep: null, now: ms })).toEqual({
        ok: true,
        step: stepAt(ms),
      });
    },
  );

  it('agrees on a freshly generated secret', () => {
    const fresh = generateTotpSecret();
    const ms = Date.UTC(2026, 10, 27, 3, 30, 0);
    const code = oathtool(fresh, ms);
    expect(verifyTotp({ secret: fresh, code, lastUsedStep: null, now: ms })).toEqual({
      ok: true,
      step: stepAt(ms),
    });
  });

  it('accepts one step of drift either way and rejects two', () => {
    const now = Date.UTC(2026, 10, 27, 3, 30, 10);
    const step = stepAt(now);
    const at = (deltaSteps: number) => oathtool(secret, now + deltaSteps * 30_000);
    expect(verifyTotp({ secret, code: at(-1), lastUsedStep: null, now })).toEqual({
      ok: true,
      step: step - 1,
    });
    expect(verifyTotp({ secret, code: at(1), lastUsedStep: null, now })).toEqual({
      ok: true,
      step: step + 1,
    });
    expect(verifyTotp({ secret, code: at(-2), lastUsedStep: null, now })).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(verifyTotp({ secret, code: at(2), lastUsedStep: null, now })).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('accepts a code once and refuses it and older codes afterwards', () => {
    const now = Date.UTC(2026, 10, 27, 3, 30, 10);
    const step = stepAt(now);
    const code = oathtool(secret, now);
    const first = verifyTotp({ secret, code, lastUsedStep: null, now });
    expect(first).toEqual({ ok: true, step });

    expect(verifyTotp({ secret, code, lastUsedStep: step, now })).toEqual({ ok: false, reason: 'replayed' });
    expect(verifyTotp({ secret, code, lastUsedStep: step, now: now + 20_000 })).toEqual({
      ok: false,
      reason: 'replayed',
    });
    const older = oathtool(secret, now - 30_000);
    expect(verifyTotp({ secret, code: older, lastUsedStep: step, now })).toEqual({
      ok: false,
      reason: 'replayed',
    });
    // A newer code inside the window is still fine after the current one was used.
    const newer = oathtool(secret, now + 30_000);
    expect(verifyTotp({ secret, code: newer, lastUsedStep: step, now })).toEqual({
      ok: true,
      step: step + 1,
    });
    // And once the newer one was used, the current one counts as older.
    expect(verifyTotp({ secret, code, lastUsedStep: step + 1, now })).toEqual({
      ok: false,
      reason: 'replayed',
    });
  });
});

describe('totp: input handling', () => {
  const now = Date.UTC(2026, 10, 27, 3, 30, 0);

  it.each([
    '',
    '12345',
    '1234567',
    '12345a',
    ' 123456',
    '123456 ',
    '123 456',
    '１２３４５６',
    '٠١٢٣٤٥',
    '+12345',
  ])('rejects %j as malformed', (code) => {
    expect(verifyTotp({ secret: RFC_SEED_BASE32, code, lastUsedStep: null, now })).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('rejects non-string codes as malformed without touching the secret', () => {
    // An invalid secret would throw if anything were computed.
    for (const code of [123456, null, undefined, ['123456']]) {
      expect(verifyTotp({ secret: '!!!', code: code as unknown as string, lastUsedStep: null, now })).toEqual(
        {
          ok: false,
          reason: 'malformed',
        },
      );
    }
    expect(verifyTotp({ secret: '!!!', code: 'abcdef', lastUsedStep: null, now })).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('rejects a wrong code as invalid', () => {
    const right = TOTP.generate({ secret: Secret.fromBase32(RFC_SEED_BASE32), timestamp: now });
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    expect(verifyTotp({ secret: RFC_SEED_BASE32, code: wrong, lastUsedStep: null, now })).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('throws on a corrupt stored secret or clock', () => {
    expect(() => verifyTotp({ secret: '!!!', code: '123456', lastUsedStep: null, now })).toThrow();
    expect(() =>
      verifyTotp({ secret: RFC_SEED_BASE32, code: '123456', lastUsedStep: null, now: Number.NaN }),
    ).toThrow(TypeError);
  });
});

describe('totp: secrets and URIs', () => {
  it('generates distinct 20-byte base32 secrets', () => {
    const secrets = new Set(Array.from({ length: 100 }, generateTotpSecret));
    expect(secrets.size).toBe(100);
    for (const s of secrets) {
      expect(s).toMatch(/^[A-Z2-7]{32}$/);
      expect(Secret.fromBase32(s).bytes.length).toBe(20);
    }
  });

  it('builds an otpauth URI with issuer, account and RFC 6238 parameters', () => {
    const uri = new URL(
      totpUri({ issuer: 'Bulwark', account: 'alice@example.com', secret: RFC_SEED_BASE32 }),
    );
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Bulwark:alice@example.com');
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      issuer: 'Bulwark',
      secret: RFC_SEED_BASE32,
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });

  it('refuses labels that would break the Key Uri Format', () => {
    expect(() => totpUri({ issuer: 'Bul:wark', account: 'a', secret: RFC_SEED_BASE32 })).toThrow(TypeError);
    expect(() => totpUri({ issuer: 'Bulwark', account: '', secret: RFC_SEED_BASE32 })).toThrow(TypeError);
  });
});
