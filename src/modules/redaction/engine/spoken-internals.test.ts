import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detect, mergeFindings } from './detect.ts';
import { detectSpoken } from './spoken.ts';
import { MAX_RUN_DIGITS, spokenNumbers } from './spoken-numbers.ts';
import { K, tokenAt, tokenizeSpoken } from './spoken-tokens.ts';
import { DetectionLimitError, type Finding } from './types.ts';

/** The merge as first written: one stable sort of all findings, then a sweep. */
function mergeBySort(...lists: Finding[][]): Finding[] {
  const all = lists.flat().sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Finding[] = [];
  for (const f of all) {
    const last = out[out.length - 1];
    if (last && f.start < last.end) {
      const winner = f.score > last.score ? f : last;
      out[out.length - 1] = {
        ...winner,
        start: Math.min(last.start, f.start),
        end: Math.max(last.end, f.end),
      };
    } else out.push({ ...f });
  }
  return out;
}

const finding = fc
  .record({
    start: fc.integer({ min: 0, max: 40 }),
    len: fc.integer({ min: 1, max: 8 }),
    score: fc.integer({ min: 0, max: 3 }),
  })
  .map(
    ({ start, len, score }, i = 0): Finding => ({
      type: 'PAN',
      start,
      end: start + len,
      score: score / 4,
      rule: `r${i}${start}${len}`,
    }),
  );
const sorted = (list: Finding[]): Finding[] => [...list].sort((a, b) => a.start - b.start || b.end - a.end);

describe('mergeFindings', () => {
  it('merging two ordered lists equals the stable sort of their concatenation', () => {
    fc.assert(
      fc.property(fc.array(finding, { maxLength: 12 }), fc.array(finding, { maxLength: 12 }), (a, b) => {
        expect(mergeFindings(sorted(a), sorted(b))).toEqual(mergeBySort(sorted(a), sorted(b)));
      }),
    );
  });

  it('unordered lists and other list counts fall back to sorting', () => {
    fc.assert(
      fc.property(fc.array(fc.array(finding, { maxLength: 8 }), { maxLength: 4 }), (lists) => {
        expect(mergeFindings(...lists)).toEqual(mergeBySort(...lists));
      }),
    );
  });
});

describe('tokenizeSpoken', () => {
  it('looks words up case-insensitively, with curly apostrophes and full Unicode lower-casing', () => {
    const t = tokenizeSpoken('FOUR That’s cvv2 O\u212A naïve 4five');
    const tokens = Array.from({ length: t.length }, (_, i) => tokenAt(t, i));
    expect(tokens.map((x) => [x.kind, x.word])).toEqual([
      ['unit', 'four'],
      ['marker', "that's"],
      ['word', 'cvv2'],
      ['word', 'ok'],
      ['word', 'naïve'],
      ['word', '4five'],
    ]);
    expect(t.kind[0]).toBe(K.unit);
  });

  it('gives the same results for small texts before and after a large one (shared buffers)', () => {
    const small = 'card four one one one one one one one one one one one one one one one, cvv one two three';
    const before = detectSpoken(small);
    const runsBefore = spokenNumbers(small).runs.map((r) => [r.digits, r.coverStart, r.chunkStart]);
    const big = 'card four one one one one one one one one one one one one one one one '.repeat(8_000);
    expect(detectSpoken(big).length).toBeGreaterThan(0);
    expect(detectSpoken(small)).toEqual(before);
    expect(spokenNumbers(small).runs.map((r) => [r.digits, r.coverStart, r.chunkStart])).toEqual(runsBefore);
  });

  it('refuses a run of more than MAX_RUN_DIGITS digits with no word between (fail closed), and reads one just under it', () => {
    const under = `${'1 '.repeat(MAX_RUN_DIGITS - 16)}4111 1111 1111 1111`;
    expect(detectSpoken(under).map((f) => f.type)).toEqual(['PAN']);
    for (const flood of [
      '1 '.repeat(MAX_RUN_DIGITS + 1),
      '4111 1111 1111 1111 '.repeat(300),
      'one um '.repeat(5000),
    ])
      expect(() => detectSpoken(flood)).toThrow(DetectionLimitError);
    // The same digits with words between them are ordinary text.
    expect(() => detectSpoken('order 1234 and '.repeat(5000))).not.toThrow();
  });

  it('refuses a single written digit token longer than the limit before copying its digits', () => {
    expect(() => detectSpoken('4'.repeat(MAX_RUN_DIGITS + 1))).toThrow(DetectionLimitError);
    expect(() => detect(`card ${'4'.repeat(1 << 20)}`)).toThrow(DetectionLimitError);
  });
});
