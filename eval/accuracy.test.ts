/**
 * Accuracy regression test: Bulwark on a fixed-seed corpus (eval/corpus.ts, ~0.4 MB), scored by
 * eval/score.ts. Asserts the issue's goals where they are met today and today's measured figures
 * (floors for recall/precision, ceilings for leak) where they are not, so any regression fails.
 * Raise a floor when the engine improves; never lower one without a written reason.
 */
import { describe, expect, it } from 'vitest';
import { generateCorpus } from './corpus.ts';
import { runBulwark } from './detectors.ts';
import { formatScore, groupBy, row, type Score, score } from './score.ts';

const CORPUS = { seed: 20261127, calls: 300, chats: 250, notes: 250 };

/** The issue's accuracy goals. */
const GOALS = {
  panDigitsRecall: 0.999,
  panDigitsPrecision: 0.99,
  spokenPanRecall: 0.98,
  spokenPanLeak: 0.005,
  cvvRecall: 0.97,
};

/**
 * Measured on 2026-11-27 after the spoken SSN/phone, filler-phrase and written-candidate fixes (rounded down for recall/precision, up for leak, to 0.1 pp). `null`: no
 * findings of that type, precision undefined. PAN and CVV rows raised after spoken cards are read
 * both ways at "tens + filler + unit" and references are no longer cards (PAN/spoken: recall
 * 99.67%, precision 100%, leak 0%).
 */
// biome-ignore format: a table reads better packed
const FLOORS: Record<string, { recall: number; precision: number | null; leak: number }> = {
  'PAN': { recall: 0.998, precision: 0.995, leak: 0.001 },
  'PAN/digits': { recall: 1, precision: 0.995, leak: 0 },
  'PAN/spoken': { recall: 0.993, precision: 0.99, leak: 0.001 },
  'CVV': { recall: 1, precision: 0.994, leak: 0 },
  'CVV/digits': { recall: 1, precision: 0.995, leak: 0 },
  'CVV/spoken': { recall: 1, precision: 0.99, leak: 0 },
  'CARD_EXPIRY': { recall: 1, precision: 0.998, leak: 0 },
  'CARD_EXPIRY/digits': { recall: 1, precision: 0.997, leak: 0 },
  'CARD_EXPIRY/spoken': { recall: 1, precision: 1, leak: 0 },
  'US_SSN': { recall: 1, precision: 0.985, leak: 0 },
  'US_SSN/digits': { recall: 1, precision: 0.981, leak: 0 },
  'US_SSN/spoken': { recall: 1, precision: 1, leak: 0 },
  'US_ITIN': { recall: 1, precision: 1, leak: 0 },
  'IBAN': { recall: 1, precision: 1, leak: 0 },
  'BANK_ACCOUNT': { recall: 0.983, precision: 0.914, leak: 0 },
  'ABA_ROUTING': { recall: 1, precision: 1, leak: 0 },
  'PHONE': { recall: 0.994, precision: 0.986, leak: 0.002 },
  'PHONE/digits': { recall: 0.989, precision: 0.981, leak: 0.003 },
  'PHONE/spoken': { recall: 1, precision: 1, leak: 0 },
  'EMAIL': { recall: 1, precision: 1, leak: 0 },
  'DATE_OF_BIRTH': { recall: 1, precision: 0.972, leak: 0 },
  'IP_ADDRESS': { recall: 1, precision: 1, leak: 0 },
  'UK_NINO': { recall: 1, precision: 1, leak: 0 },
  'UK_NHS': { recall: 1, precision: 1, leak: 0 },
  'US_PASSPORT': { recall: 0.96, precision: 1, leak: 0 },
  'US_DRIVER_LICENSE': { recall: 0.983, precision: 1, leak: 0 },
  'POSTAL_ADDRESS': { recall: 1, precision: 1, leak: 0 },
  'HEALTH': { recall: 1, precision: 1, leak: 0 },
  'PERSON': { recall: 0.775, precision: 1, leak: 0.226 },
};

const EPS = 1e-9;

describe('redaction accuracy on the labelled corpus', () => {
  let s: Score;

  it('scores the corpus and prints the table', () => {
    s = score(runBulwark(generateCorpus(CORPUS)));
    const misses = groupBy(s.misses, (m) => `${m.type}/${m.form} ${m.tag.split(' ')[0]}`, 1);
    const fps = groupBy(s.falsePositives, (f) => `${f.type} (${f.rule}) ${f.cause}`, 1);
    process.stdout.write(
      `${formatScore(s, `Bulwark, seed ${CORPUS.seed}`)}\n` +
        `misses by group: ${misses.map((g) => `${g.key} ×${g.count}`).join('; ')}\n` +
        `false positives by group: ${fps
          .slice(0, 15)
          .map((g) => `${g.key} ×${g.count}`)
          .join('; ')}\n`,
    );
    expect(s.rows.length).toBeGreaterThan(20);
  });

  it('meets the CVV recall goal (≥ 97%)', () => {
    expect(row(s, 'CVV')!.recall).toBeGreaterThanOrEqual(GOALS.cvvRecall);
  });

  it('meets the PAN goals in digit form (recall ≥ 99.9%, precision ≥ 99%)', () => {
    const r = row(s, 'PAN/digits')!;
    expect(r.recall).toBeGreaterThanOrEqual(GOALS.panDigitsRecall);
    expect(r.precision).toBeGreaterThanOrEqual(GOALS.panDigitsPrecision);
  });

  it('meets the spoken PAN goal (recall ≥ 98% with ≤ 0.5% of digit words leaked)', () => {
    const r = row(s, 'PAN/spoken')!;
    expect(r.recall).toBeGreaterThanOrEqual(GOALS.spokenPanRecall);
    expect(r.leakRate).toBeLessThanOrEqual(GOALS.spokenPanLeak);
  });

  it('no entity type or form regresses below its floor', () => {
    const problems: string[] = [];
    for (const [key, f] of Object.entries(FLOORS)) {
      const r = row(s, key);
      if (!r) {
        problems.push(`${key}: no row`);
        continue;
      }
      if (r.recall < f.recall - EPS) problems.push(`${key} recall ${r.recall} < ${f.recall}`);
      if (f.precision !== null && r.precision < f.precision - EPS)
        problems.push(`${key} precision ${r.precision} < ${f.precision}`);
      if (r.leakRate > f.leak + EPS) problems.push(`${key} leak ${r.leakRate} > ${f.leak}`);
    }
    expect(problems).toEqual([]);
  });
});
