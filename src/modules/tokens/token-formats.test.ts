import { randomBytes } from 'node:crypto';
import { FF1 } from '@noble/ciphers/ff1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { luhnValid } from '../redaction/engine/validators.ts';
import {
  ff1Decrypt,
  ff1Encrypt,
  ff1PanDetokenize,
  ff1PanToken,
  randomPanToken,
  TokenFormatError,
  tenantTweak,
} from './token-formats.ts';

/** A Luhn-valid PAN of `length` digits built from random body digits. */
const panArb = fc
  .tuple(
    fc.integer({ min: 12, max: 19 }),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 19, maxLength: 19 }),
  )
  .map(([length, digits]) => {
    const body = digits.slice(0, length - 1).join('');
    for (let check = 0; check < 10; check++) if (luhnValid(body + check)) return body + check;
    throw new Error('unreachable');
  });

describe('randomPanToken', () => {
  it('keeps length and last four, and is never Luhn-valid (property)', () => {
    fc.assert(
      fc.property(panArb, (pan) => {
        expect(luhnValid(pan)).toBe(true);
        const token = randomPanToken(pan);
        expect(token).toMatch(/^\d+$/);
        expect(token).toHaveLength(pan.length);
        expect(token.slice(-4)).toBe(pan.slice(-4));
        expect(luhnValid(token)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects values that are not 12 to 19 digits', () => {
    for (const bad of ['', '12345678901', '4111 1111 1111 1111', '41111111111111111111'])
      expect(() => randomPanToken(bad)).toThrow(TokenFormatError);
  });
});

// NIST SP 800-38G FF1 samples 7 and 8 (AES-256, radix 10), as vendored in
// capitalone/fpe ff1/ff1_test.go (from csrc.nist.gov FF1samples.pdf).
const NIST_KEY = Buffer.from('2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94', 'hex');
const NIST_SAMPLES = [
  { name: 'sample 7 (empty tweak)', tweak: '', plaintext: '0123456789', ciphertext: '6657667009' },
  {
    name: 'sample 8 (10-byte tweak)',
    tweak: '39383736353433323130',
    plaintext: '0123456789',
    ciphertext: '1001623463',
  },
] as const;

describe('FF1-AES-256 (radix 10)', () => {
  it.each(NIST_SAMPLES)('matches NIST $name both ways', ({ tweak, plaintext, ciphertext }) => {
    const t = Buffer.from(tweak, 'hex');
    expect(ff1Encrypt(NIST_KEY, t, plaintext)).toBe(ciphertext);
    expect(ff1Decrypt(NIST_KEY, t, ciphertext)).toBe(plaintext);
  });

  it('round-trips any 6 to 40 digit string under any key and tweak (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{6,40}$/),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 20 }),
        (digits, key, tweak) => {
          const k = Buffer.from(key);
          const t = Buffer.from(tweak);
          const ct = ff1Encrypt(k, t, digits);
          expect(ct).toHaveLength(digits.length);
          expect(ct).toMatch(/^\d+$/);
          expect(ff1Decrypt(k, t, ct)).toBe(digits);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('enforces the Rev.1 domain rule radix^len >= 10^6, naming it', () => {
    expect(() => ff1Encrypt(NIST_KEY, Buffer.alloc(0), '12345')).toThrow(/at least 6 digits.*1,000,000/);
    expect(() => ff1Encrypt(NIST_KEY, Buffer.alloc(0), '123456')).not.toThrow();
    expect(() => ff1Encrypt(NIST_KEY, Buffer.alloc(0), '12a456')).toThrow(/digits only/);
    expect(() => ff1Encrypt(Buffer.alloc(16), Buffer.alloc(0), '123456')).toThrow(/32-byte/);
  });

  it('PAN tokens keep the last four, depend on the tenant tweak and invert', () => {
    const key = randomBytes(32);
    const t1 = tenantTweak('0b5f3c4e-8f7a-4d3b-9c2e-1a2b3c4d5e6f');
    const t2 = tenantTweak('1b5f3c4e-8f7a-4d3b-9c2e-1a2b3c4d5e6f');
    const pan = '4111111111111111';
    const a = ff1PanToken(key, t1, pan);
    expect(a).toHaveLength(16);
    expect(a.slice(-4)).toBe('1111');
    expect(ff1PanToken(key, t1, pan)).toBe(a);
    expect(ff1PanToken(key, t2, pan)).not.toBe(a);
    expect(ff1PanDetokenize(key, t1, a)).toBe(pan);
  });
});

describe('FF1 against an independent implementation', () => {
  it('agrees with @noble/ciphers FF1 (audited) on random keys, tweaks and digit strings', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 0, maxLength: 20 }),
        fc.stringMatching(/^\d{6,30}$/),
        (key, tweak, digits) => {
          const ours = ff1Encrypt(Buffer.from(key), Buffer.from(tweak), digits);
          const noble = FF1(10, key, tweak)
            .encrypt([...digits].map(Number))
            .join('');
          expect(ours).toBe(noble);
          expect(ff1Decrypt(Buffer.from(key), Buffer.from(tweak), ours)).toBe(digits);
        },
      ),
      { numRuns: 300 },
    );
  });
});
