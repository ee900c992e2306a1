/**
 * Redaction accuracy on the labelled corpus (eval/corpus.ts, scored by eval/score.ts): per-entity
 * precision/recall and character-level leak rate for Bulwark and, side by side on the same corpus
 * and machine, the npm package `redact-pii` (SyncRedactor, built-ins), with both throughputs.
 */
import { performance } from 'node:perf_hooks';
import { type Corpus, corpusBytes, generateCorpus } from '../eval/corpus.ts';
import { createRedactPii, runBulwark, runRedactPii } from '../eval/detectors.ts';
import { groupBy, pct, type Row, row, type Score, score } from '../eval/score.ts';
import { fmtRatio } from './lib/measure.ts';
import type { BenchOptions, BenchResult, GoalResult, Table } from './lib/types.ts';

export const ACCURACY_SEED = 20261127;

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const fmtMBps = (x: number) => `${x.toFixed(x >= 10 ? 1 : 2)} MB/s`;

/** Runs `fn` `rounds` times, returns the results of the last run and the best time. */
function best<T>(rounds: number, fn: () => T): { value: T; ms: number } {
  let value: T | undefined;
  let ms = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    value = fn();
    ms = Math.min(ms, performance.now() - t);
  }
  return { value: value!, ms };
}

const cellRow = (r: Row | undefined) =>
  r
    ? [
        String(r.entities),
        pct(r.recall, 2),
        pct(r.coveredRate, 2),
        r.findings ? `${pct(r.precision, 2)} (${r.falsePositives} FP)` : '—',
        `${pct(r.leakRate, 2)}`,
      ]
    : ['0', '—', '—', '—', '—'];

function sideBySide(b: Score, r: Score): Table {
  const keys = b.rows.map((x) => x.key);
  for (const x of r.rows) if (!keys.includes(x.key)) keys.push(x.key);
  return {
    caption:
      'Per entity (rows `TYPE/form` split digit, spoken and text forms): recall by entity (same type, any overlap; a card spoken over several turns must be matched in every turn), ' +
      '"covered" = overlapped by a finding of any type, precision by finding, leak = secret characters left visible after redaction',
    header: [
      'entity',
      'entities',
      'Bulwark recall',
      'Bulwark covered',
      'Bulwark precision',
      'Bulwark leak',
      'redact-pii recall',
      'redact-pii covered',
      'redact-pii precision',
      'redact-pii leak',
    ],
    rows: keys.map((k) => {
      const bb = cellRow(row(b, k));
      const rr = cellRow(row(r, k));
      return [k, bb[0]!, ...bb.slice(1), ...rr.slice(1)];
    }),
  };
}

function totalLeak(s: Score): { leaked: number; secret: number } {
  let leaked = 0;
  let secret = 0;
  for (const r of s.rows) {
    if (r.key.includes('/')) continue;
    leaked += r.leakedChars;
    secret += r.secretChars;
  }
  return { leaked, secret };
}

export function measureAccuracy(corpus: Corpus, rounds: number) {
  const textsOnly: Corpus = { ...corpus, calls: [] };
  const callsOnly: Corpus = { ...corpus, texts: [] };
  const textBytes = corpusBytes(textsOnly);
  const callBytes = corpusBytes(callsOnly);
  const bytes = textBytes + callBytes;
  const rp = createRedactPii();
  const bt = best(rounds, () => runBulwark(textsOnly));
  const rt = best(rounds, () => runRedactPii(textsOnly, rp));
  const bc = best(rounds, () => runBulwark(callsOnly));
  const rc = best(rounds, () => runRedactPii(callsOnly, rp));
  const speeds = (t: { ms: number }, c: { ms: number }) => ({
    mbps: mbps(bytes, t.ms + c.ms),
    textsMBps: mbps(textBytes, t.ms),
    callsMBps: mbps(callBytes, c.ms),
  });
  return {
    bytes,
    bulwark: { score: score([...bt.value, ...bc.value]), ...speeds(bt, bc) },
    redactPii: {
      score: score([...rt.value, ...rc.value]),
      ...speeds(rt, rc),
      alignmentFailures: rp.alignmentFailures,
    },
  };
}

export async function run({ quick, log }: BenchOptions): Promise<BenchResult> {
  const sizes = quick ? { calls: 300, chats: 250, notes: 250 } : { calls: 2000, chats: 1500, notes: 1500 };
  log(
    `generating corpus (seed ${ACCURACY_SEED}, ${sizes.calls} calls, ${sizes.chats} chats, ${sizes.notes} notes)`,
  );
  const corpus = generateCorpus({ seed: ACCURACY_SEED, ...sizes });
  log('scoring Bulwark and redact-pii');
  const m = measureAccuracy(corpus, quick ? 2 : 3);
  const b = m.bulwark.score;
  const r = m.redactPii.score;
  const get = (s: Score, k: string) => row(s, k)!;
  const panD = get(b, 'PAN/digits');
  const panS = get(b, 'PAN/spoken');
  const cvv = get(b, 'CVV');
  const rPanD = get(r, 'PAN/digits');
  const rPanS = get(r, 'PAN/spoken');
  const rCvv = get(r, 'CVV');
  const leakB = totalLeak(b);
  const leakR = totalLeak(r);
  const ratio = (x: number, y: number) => (y > 0 ? fmtRatio(x / y) : x > 0 ? '∞' : 'n/a');

  const goals: GoalResult[] = [
    {
      id: 'R1',
      goal: 'PAN in digit form: recall ≥ 99.9% and precision ≥ 99%',
      measured: `recall ${pct(panD.recall, 2)} (${panD.found}/${panD.entities}), precision ${pct(panD.precision, 2)} (${panD.falsePositives} FP), ${pct(panD.leakRate, 3)} of digits leaked`,
      baseline: `redact-pii: recall ${pct(rPanD.recall, 2)}, precision ${pct(rPanD.precision, 2)}, ${pct(rPanD.leakRate, 2)} leaked`,
      ratio: `recall ${ratio(panD.recall, rPanD.recall)}, precision ${ratio(panD.precision, rPanD.precision)} redact-pii's`,
      met: panD.recall >= 0.999 && panD.precision >= 0.99,
      data: {
        recall: panD.recall,
        precision: panD.precision,
        leakRate: panD.leakRate,
        redactPiiRecall: rPanD.recall,
        redactPiiPrecision: rPanD.precision,
      },
    },
    {
      id: 'R2',
      goal: 'Spoken PAN recall ≥ 98% with ≤ 0.5% of card digits leaked',
      measured: `recall ${pct(panS.recall, 2)} (${panS.found}/${panS.entities}), ${pct(panS.leakRate, 2)} of digit words leaked, precision ${pct(panS.precision, 2)}`,
      baseline: `redact-pii: recall ${pct(rPanS.recall, 2)}, ${pct(rPanS.leakRate, 2)} leaked`,
      ratio: `leak ${ratio(panS.leakRate, rPanS.leakRate)} redact-pii's (lower is better)`,
      met: panS.recall >= 0.98 && panS.leakRate <= 0.005,
      data: {
        recall: panS.recall,
        leakRate: panS.leakRate,
        redactPiiRecall: rPanS.recall,
        redactPiiLeak: rPanS.leakRate,
      },
    },
    {
      id: 'R3',
      goal: 'CVV recall ≥ 97% (digit and spoken forms)',
      measured: `recall ${pct(cvv.recall, 2)} (${cvv.found}/${cvv.entities}), precision ${pct(cvv.precision, 2)}, ${pct(cvv.leakRate, 2)} leaked`,
      baseline: `redact-pii: recall ${pct(rCvv.recall, 2)} (no CVV detector), ${pct(rCvv.leakRate, 2)} leaked`,
      ratio: `leak ${ratio(cvv.leakRate, rCvv.leakRate)} redact-pii's`,
      met: cvv.recall >= 0.97,
      data: {
        recall: cvv.recall,
        precision: cvv.precision,
        leakRate: cvv.leakRate,
        redactPiiRecall: rCvv.recall,
      },
    },
    {
      id: 'R8',
      goal: 'Side by side with redact-pii on the same corpus: leak rate over all entity types (reported)',
      measured: `Bulwark ${pct(leakB.leaked / leakB.secret, 2)} of secret characters left visible (${leakB.leaked}/${leakB.secret}), ${fmtMBps(m.bulwark.mbps)}`,
      baseline: `redact-pii ${pct(leakR.leaked / leakR.secret, 2)} (${leakR.leaked}/${leakR.secret}), ${fmtMBps(m.redactPii.mbps)}`,
      ratio: `leak ${ratio(leakB.leaked, leakR.leaked)} redact-pii's; speed ${ratio(m.bulwark.mbps, m.redactPii.mbps)} redact-pii's (chats/notes ${ratio(m.bulwark.textsMBps, m.redactPii.textsMBps)}, calls ${ratio(m.bulwark.callsMBps, m.redactPii.callsMBps)})`,
      met: null,
      data: {
        bulwarkLeak: leakB.leaked / leakB.secret,
        redactPiiLeak: leakR.leaked / leakR.secret,
        bulwarkMBps: m.bulwark.mbps,
        redactPiiMBps: m.redactPii.mbps,
        bulwarkTextsMBps: m.bulwark.textsMBps,
        redactPiiTextsMBps: m.redactPii.textsMBps,
        bulwarkCallsMBps: m.bulwark.callsMBps,
        redactPiiCallsMBps: m.redactPii.callsMBps,
      },
    },
  ];

  const missGroups = groupBy(b.misses, (x) => `${x.type}/${x.form} · ${x.tag.split(' ')[0]}`, 2);
  const fpGroups = groupBy(b.falsePositives, (x) => `${x.type} (${x.rule}) · ${x.cause}`, 2);
  const tables: Table[] = [
    sideBySide(b, r),
    {
      caption: `Bulwark misses grouped by entity, form and style (${b.misses.length} entities; examples, ⟦label⟧)`,
      header: ['group', 'count', 'examples'],
      rows: missGroups
        .slice(0, 25)
        .map((g) => [g.key, String(g.count), g.examples.map((e) => `${e.tag}: ${e.text}`).join(' ◆ ')]),
    },
    {
      caption: `Bulwark false positives grouped by type, rule and cause (${b.falsePositives.length}; examples, ⟦finding⟧)`,
      header: ['group', 'count', 'examples'],
      rows: fpGroups
        .slice(0, 25)
        .map((g) => [g.key, String(g.count), g.examples.map((e) => e.text).join(' ◆ ')]),
    },
  ];

  return {
    name: 'redaction-accuracy',
    title: 'Redaction accuracy: labelled corpus, Bulwark vs redact-pii',
    method:
      `Corpus from \`eval/corpus.ts\` (seed ${ACCURACY_SEED}: ${sizes.calls} call transcripts, ${sizes.chats} chats, ${sizes.notes} agent notes, ` +
      `${(m.bytes / 1e6).toFixed(2)} MB of text): cards spoken in five styles and split over up to four turns, CVVs and expiry dates, ` +
      'every entity type in digit/text form, and hard negatives (order ids, tickets, UPS/FedEx/USPS tracking, timestamps, prices, ' +
      'Luhn-invalid 16-digit references, 9-digit customer ids). Bulwark: `detect` per chat/note, `detectCall` per call. ' +
      'redact-pii 3.4.0: `new SyncRedactor().redact` per chat/note and per utterance; its spans are recovered by aligning its ' +
      'output with the input at the placeholders (eval/detectors.ts). Scoring (eval/score.ts): a finding matches a label of the ' +
      'same type when they overlap; recall per entity, precision per finding, leak = secret characters (card digits or the words ' +
      'saying them) covered by no finding of any type. Luhn-valid card-range numbers introduced as order ids are "don\'t care". ' +
      `Throughput: best of ${quick ? 2 : 3} passes (the first is the JIT warm-up) over the whole corpus, one thread, same process.`,
    goals,
    tables,
    notes: [
      `Luhn-valid card-range numbers labelled "don't care" (order/invoice context): Bulwark redacted ${b.optional.redacted}/${b.optional.labels}, redact-pii ${r.optional.redacted}/${r.optional.labels}.`,
      `Throughput by medium (one thread, best of rounds): chats and notes — Bulwark \`detect\` ${fmtMBps(m.bulwark.textsMBps)}, redact-pii ${fmtMBps(m.redactPii.textsMBps)}; ` +
        `call transcripts — Bulwark \`detectCall\` per call ${fmtMBps(m.bulwark.callsMBps)}, redact-pii per utterance ${fmtMBps(m.redactPii.callsMBps)}.`,
      `redact-pii alignment failures: ${m.redactPii.alignmentFailures}. Its DIGITS/URL placeholders are untyped: they count for "covered" and leak, not for precision or recall.`,
    ],
    findings: [
      `**Redaction accuracy**: digit PANs recall ${pct(panD.recall, 2)} / precision ${pct(panD.precision, 2)}, spoken PANs recall ${pct(panS.recall, 2)} with ${pct(panS.leakRate, 2)} of digit words leaked, ` +
        `CVV recall ${pct(cvv.recall, 2)}; all entities leak ${pct(leakB.leaked / leakB.secret, 2)} vs redact-pii ${pct(leakR.leaked / leakR.secret, 2)}. ` +
        `Largest miss group: ${missGroups[0] ? `${missGroups[0].key} (${missGroups[0].count})` : 'none'}; largest false-positive group: ${fpGroups[0] ? `${fpGroups[0].key} (${fpGroups[0].count})` : 'none'}.`,
    ],
  };
}
