import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detect, redactText } from './detect.ts';
import {
  applyOperators,
  maskValue,
  normaliseValue,
  PolicyError,
  parsePolicy,
  type RedactionPolicy,
} from './mask.ts';
import type { Finding } from './types.ts';
import { luhnValid } from './validators.ts';

const KEY = new Uint8Array(32).fill(7);
const at = (text: string, value: string, type: Finding['type']): Finding => {
  const start = text.indexOf(value);
  return { type, start, end: start + value.length, score: 1, rule: 'test' };
};

describe('applyOperators', () => {
  const text = 'card 4111 1111 1111 1111 cvv 123 ssn 536-90-4399 mail a@b.co';
  const findings = [
    at(text, '4111 1111 1111 1111', 'PAN'),
    at(text, '123', 'CVV'),
    at(text, '536-90-4399', 'US_SSN'),
    at(text, 'a@b.co', 'EMAIL'),
  ];

  it('redacts to typed placeholders by default', () => {
    const out = applyOperators(text, findings);
    expect(out.text).toBe('card [PAN] cvv [CVV] ssn [US_SSN] mail [EMAIL]');
    expect(out.replacements.map((r) => [r.type, r.start, r.end, r.replacement])).toEqual([
      ['PAN', 5, 24, '[PAN]'],
      ['CVV', 29, 32, '[CVV]'],
      ['US_SSN', 37, 48, '[US_SSN]'],
      ['EMAIL', 54, 60, '[EMAIL]'],
    ]);
  });

  it('masks keeping separators, last 4 by default', () => {
    const policy: RedactionPolicy = { default: { kind: 'mask' } };
    expect(applyOperators(text, findings, policy).text).toBe(
      'card **** **** **** 1111 cvv [CVV] ssn ***-**-4399 mail *@*.co',
    );
  });

  it('caps a PAN mask at the BIN and last 4, and an SSN mask at the last 4', () => {
    const policy: RedactionPolicy = {
      PAN: { kind: 'mask', keepFirst: 8, keepLast: 6 },
      US_SSN: { kind: 'mask', keepFirst: 3, keepLast: 9 },
    };
    expect(applyOperators(text, findings, policy).text).toContain('card 4111 11** **** 1111 ');
    expect(applyOperators(text, findings, policy).text).toContain('ssn ***-**-4399 ');
  });

  it('hashes the whole normalised value with HMAC-SHA-256', () => {
    const policy: RedactionPolicy = { PAN: { kind: 'hash', key: KEY } };
    const mac = createHmac('sha256', KEY).update('4111111111111111').digest('hex').slice(0, 16);
    expect(applyOperators(text, findings, policy).text).toContain(`card [PAN:hmac:${mac}] cvv`);
    // Same PAN written differently, same hash.
    const other = 'pay 4111-1111-1111-1111';
    expect(applyOperators(other, [at(other, '4111-1111-1111-1111', 'PAN')], policy).text).toBe(
      `pay [PAN:hmac:${mac}]`,
    );
  });

  it('refuses short hash keys', () => {
    expect(() => applyOperators(text, findings, { PAN: { kind: 'hash', key: new Uint8Array(8) } })).toThrow(
      PolicyError,
    );
  });

  it('tokenizes through the caller, but never echoes a PAN', () => {
    const policy: RedactionPolicy = {
      default: { kind: 'tokenize', tokenize: (v, type) => `<${type}:${v.length}>` },
      EMAIL: { kind: 'tokenize', tokenize: (v) => v },
    };
    expect(applyOperators(text, findings, policy).text).toBe(
      'card <PAN:19> cvv [CVV] ssn <US_SSN:11> mail a@b.co',
    );
    const echo: RedactionPolicy = {
      PAN: { kind: 'tokenize', tokenize: (v) => `tok_${v.replace(/ /g, '')}` },
    };
    expect(applyOperators(text, findings, echo).text).toContain('card [PAN] cvv');
  });

  it('drops values', () => {
    expect(applyOperators(text, findings, { default: { kind: 'drop' } }).text).toBe('card  cvv  ssn  mail ');
  });

  it('never keeps a CVV in any form', () => {
    const keep = [
      { kind: 'mask', keepFirst: 4, keepLast: 4 },
      { kind: 'hash', key: KEY },
      { kind: 'tokenize', tokenize: (v: string) => v },
    ] as const;
    for (const op of keep) {
      expect(applyOperators(text, findings, { CVV: op, default: op }).text).toContain(' cvv [CVV] ');
    }
    expect(applyOperators(text, findings, { CVV: { kind: 'drop' } }).text).toContain(' cvv  ssn');
  });

  it('merges overlapping findings into one stricter span', () => {
    const t = 'x 4111111111111111 y';
    const out = applyOperators(t, [
      { type: 'PHONE', start: 2, end: 12, score: 0.9, rule: 'a' },
      { type: 'PAN', start: 2, end: 18, score: 0.5, rule: 'b' },
    ]);
    expect(out.text).toBe('x [PAN] y');
  });

  it('rejects findings outside the text without echoing it', () => {
    expect(() =>
      applyOperators('secret 4111', [{ type: 'PAN', start: 5, end: 99, score: 1, rule: 'r' }]),
    ).toThrow(/finding 0/);
    try {
      applyOperators('secret 4111', [{ type: 'PAN', start: 5, end: 99, score: 1, rule: 'r' }]);
    } catch (e) {
      expect((e as Error).message).not.toContain('secret');
    }
  });
});

describe('maskValue', () => {
  it('masks Amex and short PANs keeping at least 5 digits hidden', () => {
    expect(maskValue('PAN', '3782 822463 10005', { keepFirst: 6, keepLast: 4 })).toBe('3782 82**** *0005');
    expect(maskValue('PAN', '4222222222222', { keepFirst: 6, keepLast: 4 })).toBe('4222*****2222');
    expect(maskValue('PAN', '4111111111111111', {})).toBe('************1111');
  });

  it('hides at least half of other values', () => {
    expect(maskValue('PHONE', '555-0199', { keepFirst: 4, keepLast: 4 })).toBe('***-*199');
    expect(maskValue('PERSON', 'Jo', {})).toBe('*o');
    expect(maskValue('EMAIL', 'john@example.com', { keepFirst: 1 })).toBe('j***@******e.com');
  });

  it('normalises per type', () => {
    expect(normaliseValue('PAN', '4111-1111 1111.1111')).toBe('4111111111111111');
    expect(normaliseValue('IBAN', 'gb82 west 1234')).toBe('GB82WEST1234');
    expect(normaliseValue('EMAIL', '  John@Example.COM ')).toBe('john@example.com');
  });
});

describe('parsePolicy', () => {
  it('parses a policy file', () => {
    expect(parsePolicy({ PAN: { kind: 'mask', keepLast: 4 }, default: { kind: 'redact' } })).toEqual({
      PAN: { kind: 'mask', keepLast: 4 },
      default: { kind: 'redact' },
    });
    expect(parsePolicy({ EMAIL: { kind: 'hash' } }, KEY)).toEqual({ EMAIL: { kind: 'hash', key: KEY } });
    const tokenize = (v: string) => v.length.toString();
    expect(parsePolicy({ PHONE: { kind: 'tokenize' } }, undefined, tokenize)).toEqual({
      PHONE: { kind: 'tokenize', tokenize },
    });
  });

  it.each([
    [[], /policy: must be a JSON object/],
    [null, /policy: must be a JSON object/],
    [{ CARD: { kind: 'redact' } }, /policy\."CARD": unknown entity type/],
    [{ PAN: 'redact' }, /policy\.PAN: must be an object/],
    [{ PAN: { kind: 'shred' } }, /policy\.PAN\.kind: must be one of/],
    [{ PAN: { kind: 'mask', keepLast: -1 } }, /policy\.PAN\.keepLast: must be an integer/],
    [{ PAN: { kind: 'mask', keepLast: '4' } }, /policy\.PAN\.keepLast: must be an integer/],
    [{ PAN: { kind: 'redact', keepLast: 4 } }, /policy\.PAN\.keepLast: not allowed/],
    [{ PAN: { kind: 'hash' } }, /policy\.PAN: kind "hash" needs a hash key/],
    [{ PAN: { kind: 'hash', key: 'abc' } }, /policy\.PAN\.key: not allowed .*from the caller/],
    [{ default: { kind: 'tokenize' } }, /policy\.default: kind "tokenize" needs a tokenizer/],
  ])('rejects %j naming the key', (json, message) => {
    expect(() => parsePolicy(json)).toThrow(PolicyError);
    expect(() => parsePolicy(json)).toThrow(message);
  });

  it('rejects a short hash key', () => {
    expect(() => parsePolicy({ PAN: { kind: 'hash' } }, new Uint8Array(15))).toThrow(/at least 16 bytes/);
  });

  it('accepts a CVV mask rule but applies redaction', () => {
    const policy = parsePolicy({ CVV: { kind: 'mask', keepLast: 3 } });
    expect(redactText('cvv 123', policy).text).toBe('cvv [CVV]');
  });
});

describe('PCI invariants (property)', () => {
  const panArb = fc
    .tuple(
      fc.constantFrom('4', '51', '55', '2221', '2720', '34', '37', '6011', '65', '3528', '36', '62'),
      fc.nat(),
    )
    .map(([prefix, seed]) => {
      const length = prefix === '34' || prefix === '37' ? 15 : prefix === '36' ? 14 : 16;
      let body = prefix;
      let x = seed;
      while (body.length < length - 1) {
        body += String(x % 10);
        x = Math.floor(x / 10) + body.length * 7;
      }
      for (let d = 0; d < 10; d++) if (luhnValid(body + d)) return body + d;
      throw new Error('unreachable');
    });
  const formatted = fc
    .tuple(panArb, fc.constantFrom('', ' ', '-'))
    .map(([pan, sep]) => (sep === '' ? pan : pan.replace(/(\d{4})(?=\d)/g, `$1${sep}`)));
  const words = fc.array(
    fc.constantFrom('card', 'number', 'is', 'my', 'ok', 'the', 'visa', '😀', 'é', '.', ','),
    { maxLength: 6 },
  );
  const policies: RedactionPolicy[] = [
    {},
    { default: { kind: 'mask' } },
    { default: { kind: 'mask', keepFirst: 19, keepLast: 19 } },
    { PAN: { kind: 'mask', keepFirst: 6, keepLast: 4 } },
    { default: { kind: 'hash', key: KEY } },
    { default: { kind: 'tokenize', tokenize: (v) => `T${v}` } },
    { default: { kind: 'drop' } },
  ];
  const policyArb = fc.constantFrom(...policies);
  const digitsOnly = (s: string): string => s.replace(/[^0-9]/g, '');

  it('never outputs a full planted PAN, with or without separators', () => {
    fc.assert(
      fc.property(words, formatted, words, policyArb, (before, pan, after, policy) => {
        const text = `${before.join(' ')} ${pan} ${after.join(' ')}`;
        const out = redactText(text, policy).text;
        expect(out).not.toContain(pan);
        expect(digitsOnly(out)).not.toContain(digitsOnly(pan));
      }),
    );
  });

  it('keeps at most the BIN and last 4 digits of a masked PAN', () => {
    fc.assert(
      fc.property(
        formatted,
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        (pan, keepFirst, keepLast) => {
          const text = `card ${pan}`;
          const { text: out, findings } = redactText(text, { PAN: { kind: 'mask', keepFirst, keepLast } });
          expect(findings.map((f) => f.type)).toEqual(['PAN']);
          const masked = out.slice(5);
          const digits = digitsOnly(pan);
          const shown = digitsOnly(masked);
          expect(shown.length).toBeLessThanOrEqual(10);
          expect(masked.length).toBe(pan.length);
          const last = Math.min(keepLast, 4);
          expect(shown.endsWith(digits.slice(digits.length - Math.min(last, shown.length)))).toBe(true);
          expect(masked.replace(/[^*]/g, '').length).toBeGreaterThanOrEqual(5);
        },
      ),
    );
  });

  it('never lets a CVV survive any policy', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9]{3,4}$/),
        policyArb,
        fc.constantFrom('cvv', 'security code', 'CVC'),
        (cvv, policy, cue) => {
          const text = `the ${cue} is ${cvv} thanks`;
          const out = redactText(text, { ...policy, CVV: policy.default ?? { kind: 'redact' } }).text;
          expect(out).not.toContain(cvv);
        },
      ),
    );
  });

  it('detect returns the same findings as redactText', () => {
    const text = 'card 4111 1111 1111 1111 cvv 123';
    expect(redactText(text).findings).toEqual(detect(text));
    expect(detect(text, { minScore: 0.99 }).map((f) => f.type)).toEqual(['PAN']);
  });
});
