/**
 * Scores findings against the labelled corpus (eval/corpus.ts). Matching rule (eval/README.md):
 *
 * - A finding **matches** a label when it has the label's type and overlaps it by at least one
 *   character. Partial coverage is not hidden by this lenient rule: the leak rate counts every
 *   secret character left uncovered.
 * - **Recall** is per entity: an entity (a card spoken over three turns is one entity with three
 *   labels) is found when every one of its labels is matched. "Covered" is the same with a finding
 *   of any type (what redaction cares about).
 * - **Precision** is per finding: a finding is a true positive when it matches some label, a false
 *   positive otherwise, except findings that only overlap `optional` ("don't care") labels of their
 *   type, which are left out of both counts.
 * - **Leak rate**: secret characters (for a card: its digits, or the words that say them) not
 *   covered by any finding of any type, over all secret characters of that entity type.
 */
import type { Form, Label, Negative, Unit } from './corpus.ts';

/** What a detector reports: a span with a type (types outside the label set never match). */
export type Span = { type: string; start: number; end: number; rule?: string };

/** One unit (document, or one utterance of a call) with its findings. */
export type Scored = { doc: string; unit: Unit; findings: Span[]; medium: 'text' | 'call' };

export type Row = {
  key: string;
  entities: number;
  found: number;
  covered: number;
  findings: number;
  truePositives: number;
  falsePositives: number;
  secretChars: number;
  leakedChars: number;
  recall: number;
  coveredRate: number;
  precision: number;
  leakRate: number;
};

export type Miss = { doc: string; type: string; form: Form; tag: string; text: string; partial: boolean };
export type FalsePositive = { doc: string; type: string; rule: string; cause: string; text: string };

export type Score = {
  rows: Row[];
  misses: Miss[];
  falsePositives: FalsePositive[];
  optional: { labels: number; redacted: number };
};

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  a.start < b.end && b.start < a.end;

type Acc = Omit<Row, 'recall' | 'coveredRate' | 'precision' | 'leakRate' | 'key'>;
const emptyAcc = (): Acc => ({
  entities: 0,
  found: 0,
  covered: 0,
  findings: 0,
  truePositives: 0,
  falsePositives: 0,
  secretChars: 0,
  leakedChars: 0,
});

/** Context around a span, for reports. */
function excerpt(text: string, start: number, end: number): string {
  const s = Math.max(0, start - 40);
  const e = Math.min(text.length, end + 20);
  return `${s > 0 ? '…' : ''}${text.slice(s, start)}⟦${text.slice(start, end)}⟧${text.slice(end, e)}${e < text.length ? '…' : ''}`;
}

/**
 * Scores. Rows are keyed `TYPE` (all forms) and `TYPE/form` where a type has several forms.
 */
export function score(scored: Scored[]): Score {
  const byKey = new Map<string, Acc>();
  const acc = (key: string) => {
    let a = byKey.get(key);
    if (!a) {
      a = emptyAcc();
      byKey.set(key, a);
    }
    return a;
  };
  const keysOf = (type: string, form: Form) => [type, `${type}/${form}`];
  type EntityState = {
    type: string;
    form: Form;
    all: boolean;
    any: boolean;
    labels: Array<{ label: Label; s: Scored }>;
  };
  const entities = new Map<string, EntityState>();
  const misses: Miss[] = [];
  const falsePositives: FalsePositive[] = [];
  const optional = { labels: 0, redacted: 0 };

  for (const s of scored) {
    const { text, labels, negatives } = s.unit;
    // Covered characters (any finding).
    const covered = new Uint8Array(text.length);
    for (const f of s.findings) covered.fill(1, Math.max(0, f.start), Math.min(text.length, f.end));

    for (const label of labels) {
      if (label.optional) {
        optional.labels++;
        if (s.findings.some((f) => overlaps(f, label))) optional.redacted++;
        continue;
      }
      let e = entities.get(label.entity);
      if (!e) {
        e = { type: label.type, form: label.form, all: true, any: true, labels: [] };
        entities.set(label.entity, e);
      }
      e.labels.push({ label, s });
      if (!s.findings.some((f) => f.type === label.type && overlaps(f, label))) e.all = false;
      if (!s.findings.some((f) => overlaps(f, label))) e.any = false;
      let secret = 0;
      let leaked = 0;
      for (const [a, b] of label.secret) {
        for (let i = a; i < b; i++) {
          if (/\s/.test(text[i]!)) continue;
          secret++;
          if (!covered[i]) leaked++;
        }
      }
      for (const k of keysOf(label.type, label.form)) {
        acc(k).secretChars += secret;
        acc(k).leakedChars += leaked;
      }
    }

    for (const f of s.findings) {
      const same = labels.filter((l) => l.type === f.type && overlaps(f, l));
      if (same.length > 0 && same.every((l) => l.optional)) continue;
      const real = same.find((l) => !l.optional);
      if (real) {
        for (const k of keysOf(f.type, real.form)) {
          acc(k).findings++;
          acc(k).truePositives++;
        }
        continue;
      }
      // Unlabelled types (e.g. redact-pii's DIGITS) are not scored for precision.
      if (!LABEL_TYPES.has(f.type)) continue;
      const other = labels.find((l) => overlaps(f, l));
      const neg: Negative | undefined = negatives.find((n) => overlaps(f, n));
      const cause = other
        ? `overlaps a ${other.type} label`
        : neg
          ? `hard negative: ${neg.cause}`
          : 'unlabelled text';
      const form: Form = other?.form ?? (s.medium === 'call' ? 'spoken' : 'digits');
      for (const k of keysOf(f.type, form)) {
        acc(k).findings++;
        acc(k).falsePositives++;
      }
      falsePositives.push({
        doc: s.doc,
        type: f.type,
        rule: f.rule ?? '',
        cause,
        text: excerpt(text, f.start, f.end),
      });
    }
  }

  for (const e of entities.values()) {
    for (const k of keysOf(e.type, e.form)) {
      const a = acc(k);
      a.entities++;
      if (e.all) a.found++;
      if (e.any) a.covered++;
    }
    if (!e.all) {
      const first = e.labels[0]!;
      misses.push({
        doc: first.s.doc,
        type: e.type,
        form: e.form,
        tag: first.label.tag,
        partial: e.labels.some(({ label, s }) =>
          s.findings.some((f) => f.type === label.type && overlaps(f, label)),
        ),
        text: e.labels.map(({ label, s }) => excerpt(s.unit.text, label.start, label.end)).join(' ‖ '),
      });
    }
  }

  // Drop TYPE/form rows for types that have only one form.
  const forms = new Map<string, number>();
  for (const [key, a] of byKey) {
    const [type, form] = key.split('/');
    if (form && a.entities > 0) forms.set(type!, (forms.get(type!) ?? 0) + 1);
  }
  const rows: Row[] = [];
  for (const [key, a] of byKey) {
    const [type, form] = key.split('/');
    if (form && ((forms.get(type!) ?? 0) < 2 || a.entities === 0)) continue;
    rows.push({
      key,
      ...a,
      recall: a.entities ? a.found / a.entities : Number.NaN,
      coveredRate: a.entities ? a.covered / a.entities : Number.NaN,
      precision: a.findings ? a.truePositives / a.findings : Number.NaN,
      leakRate: a.secretChars ? a.leakedChars / a.secretChars : Number.NaN,
    });
  }
  const order = [...LABEL_TYPES];
  rows.sort((x, y) => {
    const [tx] = x.key.split('/');
    const [ty] = y.key.split('/');
    return order.indexOf(tx!) - order.indexOf(ty!) || x.key.localeCompare(y.key);
  });
  return { rows, misses, falsePositives, optional };
}

// biome-ignore format: list
const LABEL_TYPES = new Set<string>([
  'PAN', 'CVV', 'CARD_EXPIRY', 'US_SSN', 'US_ITIN', 'IBAN', 'BANK_ACCOUNT', 'ABA_ROUTING', 'PHONE', 'EMAIL',
  'DATE_OF_BIRTH', 'IP_ADDRESS', 'UK_NINO', 'UK_NHS', 'US_PASSPORT', 'US_DRIVER_LICENSE', 'POSTAL_ADDRESS', 'HEALTH', 'PERSON',
]);

/** Finds a row by key. */
export const row = (s: Score, key: string): Row | undefined => s.rows.find((r) => r.key === key);

export const pct = (x: number, digits = 1): string =>
  Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : '—';

/** Plain-text table of a score (for the test output). */
export function formatScore(s: Score, name: string): string {
  const lines = [
    `${name}: entity/form | entities | recall | covered(any type) | findings | precision | leak (secret chars)`,
  ];
  for (const r of s.rows) {
    lines.push(
      `  ${r.key.padEnd(26)} ${String(r.entities).padStart(6)} ${pct(r.recall, 2).padStart(8)} ${pct(r.coveredRate, 2).padStart(8)} ${String(r.findings).padStart(6)} ${pct(r.precision, 2).padStart(8)} ${pct(r.leakRate, 2).padStart(8)} (${r.leakedChars}/${r.secretChars})`,
    );
  }
  lines.push(`  optional (luhn-valid order ids): ${s.optional.redacted}/${s.optional.labels} redacted`);
  return lines.join('\n');
}

/** Groups misses / false positives by a key, with counts and a few examples. */
export function groupBy<T>(
  items: T[],
  key: (t: T) => string,
  examples = 3,
): Array<{ key: string; count: number; examples: T[] }> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k) ?? [];
    list.push(it);
    m.set(k, list);
  }
  return [...m]
    .map(([k, list]) => ({ key: k, count: list.length, examples: list.slice(0, examples) }))
    .sort((a, b) => b.count - a.count);
}
