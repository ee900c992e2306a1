/**
 * Property tests of the structured detector: invariants that hold for any input, and a linear-work
 * check that counts regex runs instead of timing (tests never fail on speed).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { detectStructured } from './structured.ts';

// biome-ignore format: word lists read better packed
const WORDS = [
  'card', 'number', 'visa', 'cvv', 'security code', 'exp', 'ssn', 'social security', 'itin', 'account number',
  'acct', 'routing', 'iban', 'phone', 'call', 'dob', 'date of birth', 'born on', 'nhs', 'passport',
  "driver's license", 'dl', 'national insurance', 'postcode', 'address', 'live at', 'diagnosed with', 'i have',
  'diabetes', 'type 2 diabetes', 'my name is', 'this is', "I'm", 'Dr.', 'Mrs', 'John', 'Smith', "O\u2019Brien",
  'Main', 'St', 'Ave', 'Apt', 'Springfield', 'IL', 'March', 'Jan.', 'of', 'the', 'ok', 'Élodie', '\u212Aidney',
  'a@b.co', 'x.y@example.com', '10.0.0.1', 'fe80::1', '@', '.', ':', '#', '😀', '\ud83d', 'GB82', 'WEST', 'AB',
  'SW1A', '1AA', '4111', '1111', '4111111111111111', '5555 5555 5555 4444', '3782 822463 10005', '123-45-6789',
  '912-70-1234', '021000021', '943 476 5919', 'GB82 WEST 1234 5698 7654 32', 'AB 12 34 56 C', 'C12345678',
  '(415) 555-2671', '+44 20 7946 0958', '020 7946 0958', '12/29', '0129', '12/05/1980', '1980-05-12',
  '5th', '$45.99', '45%', '1,234', '123', '12', '1', '0', '99999999999999999999',
];
const SEPARATORS = [' ', ' ', ' ', ', ', '. ', '-', '.', '/', '\n', '\u00a0', '\u2003', '(', ')', '+', "'"];

const text = fc
  .array(fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(...SEPARATORS)), { maxLength: 40 })
  .map((parts) => parts.map(([w, s]) => w + s).join(''));
const noisyText = fc.oneof(text, fc.string({ maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 80 }));

describe('detectStructured invariants', () => {
  it('returns non-empty, in-bounds, sorted, non-overlapping findings', () => {
    fc.assert(
      fc.property(noisyText, (s) => {
        const found = detectStructured(s);
        let end = 0;
        for (const f of found) {
          expect(f.start).toBeGreaterThanOrEqual(end);
          expect(f.end).toBeGreaterThan(f.start);
          expect(f.end).toBeLessThanOrEqual(s.length);
          expect(f.score).toBeGreaterThan(0);
          expect(f.score).toBeLessThanOrEqual(1);
          end = f.end;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic and does not depend on earlier calls', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const first = detectStructured(a);
        detectStructured(b);
        expect(detectStructured(a)).toEqual(first);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the findings of a text when unrelated digit-free text follows far away', () => {
    const filler = ` \n${'ok '.repeat(40)}\n`;
    const digitFree = text.map((s) => s.replace(/[0-9]/g, 'x'));
    fc.assert(
      fc.property(text, digitFree, (a, b) => {
        const alone = detectStructured(a);
        const joined = detectStructured(a + filler + b).filter((f) => f.start < a.length);
        expect(joined).toEqual(alone);
      }),
      { numRuns: 300 },
    );
  });

  // Regression: the after-PAN expiry rule used to look only at the last PAN of the whole text.
  it('keeps an after-PAN expiry when another card number follows later', () => {
    const a = 'visa 4111 1111 1111 1111 12/29';
    const alone = detectStructured(a);
    expect(alone.map((f) => f.rule)).toEqual(['pan.digits.luhn', 'expiry.after-pan']);
    const joined = detectStructured(`${a} and later 5555 5555 5555 4444`).filter((f) => f.end <= a.length);
    expect(joined).toEqual(alone);
  });
});

describe('detectStructured work is linear in the input', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Regex runs (exec and test) made while detecting in `s`. */
  const regexRuns = (s: string): number => {
    const exec = vi.spyOn(RegExp.prototype, 'exec');
    const test = vi.spyOn(RegExp.prototype, 'test');
    detectStructured(s);
    const runs = exec.mock.calls.length + test.mock.calls.length;
    vi.restoreAllMocks();
    return runs;
  };

  // biome-ignore format: one shape a line
  const shapes = [
    '4 ', '4-', '4.', '4/', '1', '12 ', '123-45-6789 ', 'ssn 123-45-6789 ', '4111 1111 1111 1111 ', '(1',
    '+1 ', '@', 'a@b.', '1a:', '192.168.0.1 ', 'card number ', 'AB 12 34 56 C ', 'GB82 ', 'my name is Dr. Smith ',
    '123 Main St, Springfield, IL 62704 ', 'date of birth 12/05/1980 ', 'January 5, 2020 ', 'exp 12/29 ',
    '4\u2003', '\ud83d4', 'diagnosed with diabetes ', "driver's license D123-4567-8901 ", 'nhs 943 476 5919 ',
  ];

  it.each(shapes)('runs a bounded number of regexes per character on %j', (unit) => {
    const small = unit.repeat(Math.ceil(4000 / unit.length));
    const large = unit.repeat(Math.ceil(16000 / unit.length));
    const a = regexRuns(small);
    const b = regexRuns(large);
    // Four times the text may cost at most about four times the regex runs, and never more than a few per character.
    expect(b).toBeLessThanOrEqual(4 * a + 50);
    expect(b).toBeLessThanOrEqual(4 * large.length);
  });
});
