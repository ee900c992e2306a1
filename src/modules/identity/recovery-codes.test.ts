import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateRecoveryCodes,
  hashRecoveryCode,
  isWellFormedRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_BITS,
} from './recovery-codes.ts';

const FORMAT =
  /^[0-9abcdefghjkmnpqrstvwxyz]{4}-[0-9abcdefghjkmnpqrstvwxyz]{4}-[0-9abcdefghjkmnpqrstvwxyz]{4}$/;

describe('recovery-codes', () => {
  it('generates ten codes by default in the grouped, unambiguous format', () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    for (const code of codes) {
      expect(code).toMatch(FORMAT);
      expect(code).not.toMatch(/[ilou]/);
      expect(isWellFormedRecoveryCode(code)).toBe(true);
    }
    expect(RECOVERY_CODE_BITS).toBeGreaterThanOrEqual(50);
  });

  it('honours n and rejects nonsense counts', () => {
    expect(generateRecoveryCodes(1)).toHaveLength(1);
    expect(generateRecoveryCodes(16)).toHaveLength(16);
    for (const n of [0, -1, 1.5, 101, Number.NaN]) expect(() => generateRecoveryCodes(n)).toThrow(RangeError);
  });

  it('does not repeat codes across many generations', () => {
    const all = Array.from({ length: 500 }, () => generateRecoveryCodes(10)).flat();
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(all.map(hashRecoveryCode)).size).toBe(all.length);
  });

  it('uses every symbol of the alphabet roughly evenly', () => {
    const counts = new Map<string, number>();
    for (const code of generateRecoveryCodes(100).concat(generateRecoveryCodes(100))) {
      for (const ch of code.replaceAll('-', '')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    // 2400 symbols over 32 letters: 75 expected each; the bounds are far outside random variation.
    expect(counts.size).toBe(32);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(30);
      expect(n).toBeLessThan(130);
    }
  });

  it('normalises case, dashes, spaces and look-alike letters', () => {
    expect(normalizeRecoveryCode('7f3k-9qpx-2mzd')).toBe('7f3k9qpx2mzd');
    expect(normalizeRecoveryCode(' 7F3K 9QPX 2MZD ')).toBe('7f3k9qpx2mzd');
    expect(normalizeRecoveryCode('7f3k\u20139qpx\u20142mzd')).toBe('7f3k9qpx2mzd');
    expect(normalizeRecoveryCode('\uff17\uff26\uff13\uff2b9qpx2mzd')).toBe('7f3k9qpx2mzd');
    expect(normalizeRecoveryCode('oOiIlL-0000-1111')).toBe('00111100001111');
  });

  it('hashes every spelling of a code to the same stable SHA-256 hex', () => {
    const expected = createHash('sha256').update('7f3k9qpx2mzd').digest('hex');
    expect(hashRecoveryCode('7f3k-9qpx-2mzd')).toBe(expected);
    expect(hashRecoveryCode('7F3K 9QPX 2MZD')).toBe(expected);
    expect(hashRecoveryCode('7f3k9qpx2mzd')).toBe(expected);
    expect(hashRecoveryCode('7f3k-9qpx-2mzd')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRecoveryCode('7f3k-9qpx-2mze')).not.toBe(expected);
    expect(hashRecoveryCode('0000-1111-zzzz')).toBe(hashRecoveryCode('OOOO-IIII-ZZZZ'));
    // Pinned so that a change to normalisation or hashing cannot silently orphan stored hashes.
    expect(expected).toBe('9018676309f249e2ba58022de9604ea90ad19a4395381379f27810ff47cf6cbe');
  });

  it('tells well-formed input from garbage', () => {
    expect(isWellFormedRecoveryCode('7F3K 9QPX 2MZD')).toBe(true);
    expect(isWellFormedRecoveryCode('7f3k-9qpx')).toBe(false);
    expect(isWellFormedRecoveryCode('7f3k-9qpx-2mzd-')).toBe(true);
    expect(isWellFormedRecoveryCode('7f3k-9qpx-2mzu')).toBe(false);
    expect(isWellFormedRecoveryCode('x'.repeat(1000))).toBe(false);
  });
});
