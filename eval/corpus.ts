/**
 * Labelled evaluation corpus for the sensitive-data engine: call transcripts (cards, CVVs and
 * expiry dates spoken as words in many styles, split across turns), chats and agent notes (digit
 * and text forms of every entity type), and hard negatives (order ids, tickets, tracking numbers,
 * timestamps, prices, Luhn-invalid 16-digit references…).
 *
 * Deterministic: everything comes from one seeded PRNG (sfc32), never `Math.random`, so a seed and
 * the sizes name one corpus exactly. Check digits (Luhn, mod-97, ABA, NHS mod-11) are computed here,
 * independently of the engine's validators (Luhn via the test fixtures' generator). See
 * eval/README.md for the labelling rules.
 */

import { withLuhn } from '../src/modules/redaction/engine/spoken-fixtures.ts';
import type { Utterance, UtteranceWord } from '../src/modules/redaction/engine/transcript-format.ts';

// ---------------------------------------------------------------------------------------------
// Types

/** Entity types labelled here (the engine's names). */
export type LabelType =
  | 'PAN'
  | 'CVV'
  | 'CARD_EXPIRY'
  | 'US_SSN'
  | 'US_ITIN'
  | 'IBAN'
  | 'BANK_ACCOUNT'
  | 'ABA_ROUTING'
  | 'PHONE'
  | 'EMAIL'
  | 'DATE_OF_BIRTH'
  | 'IP_ADDRESS'
  | 'UK_NINO'
  | 'UK_NHS'
  | 'US_PASSPORT'
  | 'US_DRIVER_LICENSE'
  | 'POSTAL_ADDRESS'
  | 'HEALTH'
  | 'PERSON';

export type Form = 'digits' | 'spoken' | 'text';

/**
 * One labelled span `[start, end)` (UTF-16 offsets) of a document text or of one utterance's text.
 * `secret` are the character ranges that carry the value (for a card: its digits, or the words that
 * say them; fillers, separators and corrected-away digits inside the span are not secret).
 * `entity` names the entity: a card spoken over three turns has three labels with one `entity`.
 * `optional` labels are "don't care": a finding on them is not a false positive, a miss not a miss.
 */
export type Label = {
  type: LabelType;
  start: number;
  end: number;
  form: Form;
  secret: Array<[number, number]>;
  entity: string;
  /** How it was written or said, for grouping misses (e.g. `visa16 spaces`, `pairs split3`). */
  tag: string;
  optional?: boolean;
};

/** A hard negative: text that looks like an entity but is not one. Findings on it are false positives. */
export type Negative = { start: number; end: number; cause: string };

export type Unit = { text: string; labels: Label[]; negatives: Negative[] };

/** The canonical utterance shape, as the engine defines it. */
export type { Utterance, UtteranceWord as Word };

export type TextDoc = { kind: 'chat' | 'note'; id: string } & Unit;
export type CallDoc = { kind: 'transcript'; id: string; utterances: Utterance[]; units: Unit[] };
export type Corpus = { seed: number; texts: TextDoc[]; calls: CallDoc[] };

export type CorpusOptions = { seed: number; calls: number; chats: number; notes: number };

// ---------------------------------------------------------------------------------------------
// PRNG (sfc32 seeded through splitmix32)

export type Rng = {
  next(): number;
  int(n: number): number;
  range(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  digits(n: number): string;
};

export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    range: (lo, hi) => lo + int(hi - lo + 1),
    chance: (p) => next() < p,
    pick: (items) => items[int(items.length)]!,
    digits: (n) => {
      let out = '';
      for (let i = 0; i < n; i++) out += String(int(10));
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Check digits (our own, independent of the engine)

/** The Luhn check digit for `body` (the test fixtures' generator, not the engine's validator). */
export function luhnCheckDigit(body: string): string {
  return withLuhn(body).slice(-1);
}

export function luhnOk(digits: string): boolean {
  return luhnCheckDigit(digits.slice(0, -1)) === digits.slice(-1);
}

/** `body` plus a wrong last digit. */
export function luhnInvalid(body: string): string {
  const good = Number(luhnCheckDigit(body));
  return body + String((good + 1 + (body.length % 9)) % 10);
}

function mod97(numeric: string): number {
  let r = 0;
  for (const ch of numeric) r = (r * 10 + (ch.charCodeAt(0) - 48)) % 97;
  return r;
}

/** IBAN with correct check digits for a country and a BBAN. */
export function makeIban(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`.toUpperCase();
  let numeric = '';
  for (const ch of rearranged) {
    const c = ch.charCodeAt(0);
    numeric += c >= 65 && c <= 90 ? String(c - 55) : ch;
  }
  const check = 98 - mod97(numeric);
  return `${country}${String(check).padStart(2, '0')}${bban}`;
}

/** ABA routing number: 3-7-1 weighted checksum ≡ 0 (mod 10). */
export function makeAba(rng: Rng): string {
  const prefix = rng.pick(['0', '1', '2', '3', '6', '7']);
  const first =
    prefix === '0' || prefix === '1' ? `${prefix}${rng.range(1, 2)}` : `${prefix}${rng.range(1, 2)}`;
  const body = first + rng.digits(6);
  const w = [3, 7, 1, 3, 7, 1, 3, 7];
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(body[i]) * w[i]!;
  return body + String((10 - (sum % 10)) % 10);
}

/** NHS number: mod-11 check over weights 10…2 (retries when the check would be 10). */
export function makeNhs(rng: Rng): string {
  for (;;) {
    const body = String(rng.range(4, 9)) + rng.digits(8);
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += Number(body[i]) * (10 - i);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    return body + String(check === 11 ? 0 : check);
  }
}

// ---------------------------------------------------------------------------------------------
// Card numbers

type Network = { name: string; prefix: (rng: Rng) => string; lengths: number[]; weight: number };

// biome-ignore format: a table reads better packed
const NETWORKS: Network[] = [
  { name: 'visa', prefix: () => '4', lengths: [16, 16, 16, 16, 13, 19], weight: 30 },
  { name: 'mc5', prefix: (r) => String(r.range(51, 55)), lengths: [16], weight: 15 },
  { name: 'mc2', prefix: (r) => String(r.range(2221, 2720)), lengths: [16], weight: 10 },
  { name: 'amex', prefix: (r) => r.pick(['34', '37']), lengths: [15], weight: 10 },
  { name: 'discover', prefix: (r) => r.pick(['6011', String(r.range(644, 649)), '65']), lengths: [16, 16, 19], weight: 7 },
  { name: 'diners', prefix: (r) => r.pick(['36', String(r.range(300, 305))]), lengths: [14], weight: 5 },
  { name: 'jcb', prefix: (r) => String(r.range(3528, 3589)), lengths: [16, 16, 17, 18, 19], weight: 6 },
  { name: 'unionpay', prefix: (r) => `62${r.range(1, 9)}`, lengths: [16, 16, 17, 18, 19], weight: 6 },
  { name: 'maestro', prefix: (r) => r.pick(['6759', '6761', '6763', '5018', '5020', '5038', '6304']), lengths: [13, 16, 19], weight: 5 },
  { name: 'mir', prefix: (r) => `220${r.range(0, 4)}`, lengths: [16], weight: 2 },
];
const NETWORK_WEIGHT = NETWORKS.reduce((s, n) => s + n.weight, 0);

export type Card = { network: string; digits: string };

export function makeCard(rng: Rng, network?: string): Card {
  let net = NETWORKS[0]!;
  if (network) net = NETWORKS.find((n) => n.name === network) ?? net;
  else {
    let x = rng.int(NETWORK_WEIGHT);
    for (const n of NETWORKS) {
      x -= n.weight;
      if (x < 0) {
        net = n;
        break;
      }
    }
  }
  const len = rng.pick(net.lengths);
  const prefix = net.prefix(rng);
  const body = prefix + rng.digits(len - 1 - prefix.length);
  return { network: net.name, digits: body + luhnCheckDigit(body) };
}

/** Group sizes people write/read a card number in. */
export function cardGroups(digits: string, network: string): number[] {
  const n = digits.length;
  if (network === 'amex') return [4, 6, 5];
  if (network === 'diners' && n === 14) return [4, 6, 4];
  const g: number[] = [];
  let left = n;
  while (left > 0) {
    g.push(Math.min(4, left));
    left -= 4;
  }
  return g;
}

function splitGroups(digits: string, sizes: number[]): string[] {
  const out: string[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(digits.slice(at, at + s));
    at += s;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Building texts with labels

/** A piece of text; `secret` marks the characters that carry the value. */
type Piece = { t: string; secret?: boolean };

type Builder = {
  unit: Unit;
  say(text: string): void;
  entity(type: LabelType, form: Form, pieces: Piece[], entity: string, tag: string, optional?: boolean): void;
  negative(cause: string, text: string): void;
};

function builder(): Builder {
  const unit: Unit = { text: '', labels: [], negatives: [] };
  return {
    unit,
    say(text) {
      unit.text += text;
    },
    entity(type, form, pieces, entity, tag, optional) {
      const start = unit.text.length;
      const secret: Array<[number, number]> = [];
      for (const p of pieces) {
        const at = unit.text.length;
        unit.text += p.t;
        if (p.secret) {
          // Trailing punctuation of a spoken word ("seven,") is not secret.
          const core = p.t.replace(/[,.?!]+$/, '');
          if (core.length > 0) secret.push([at, at + core.length]);
        }
      }
      const label: Label = { type, start, end: unit.text.length, form, secret, entity, tag };
      if (optional) label.optional = true;
      unit.labels.push(label);
    },
    negative(cause, text) {
      const start = unit.text.length;
      unit.text += text;
      unit.negatives.push({ start, end: unit.text.length, cause });
    },
  };
}

/** A whole value as one piece: every alphanumeric character secret, separators not. */
function valuePieces(value: string): Piece[] {
  const out: Piece[] = [];
  for (const m of value.matchAll(/[A-Za-z0-9]+|[^A-Za-z0-9]+/g)) {
    out.push({ t: m[0], secret: /[A-Za-z0-9]/.test(m[0]) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Spoken numbers

const UNITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
// biome-ignore format: word list
const TEENS = ['ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
// biome-ignore format: word list
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** A spoken word; `secret` when it says (part of) a digit of the value. */
type SpokenWord = { w: string; secret: boolean; bareTens?: boolean };

const unitWord = (d: string, zero: string) => (d === '0' ? zero : UNITS[Number(d)]!);

function sayDigits(digits: string, zero: string): SpokenWord[] {
  return [...digits].map((d) => ({ w: unitWord(d, zero), secret: true }));
}

/** "45" → forty five, "11" → eleven, "40" → forty, "05" → oh five, "00" → double oh. */
function sayPair(pair: string, zero: string, rng: Rng): SpokenWord[] {
  const a = Number(pair[0]);
  const b = Number(pair[1]);
  if (a === 0 && b === 0) return rng.chance(0.5) ? w2('double', zero) : w2(zero, zero);
  if (a === 0) return w2(zero, UNITS[b]!);
  if (a === 1) return [{ w: TEENS[b]!, secret: true }];
  return b === 0 ? [{ w: TENS[a]!, secret: true, bareTens: true }] : w2(TENS[a]!, UNITS[b]!);
}
const w2 = (x: string, y: string): SpokenWord[] => [
  { w: x, secret: true },
  { w: y, secret: true },
];

/** Runs of equal digits as "double"/"triple". */
function sayRepeats(digits: string, zero: string): SpokenWord[] {
  const out: SpokenWord[] = [];
  let i = 0;
  while (i < digits.length) {
    let j = i;
    while (j < digits.length && digits[j] === digits[i]) j++;
    let run = j - i;
    while (run > 0) {
      const take = run >= 3 && run !== 4 ? 3 : run >= 2 ? 2 : 1;
      if (take === 3) out.push({ w: 'triple', secret: true });
      if (take === 2) out.push({ w: 'double', secret: true });
      out.push({ w: unitWord(digits[i]!, zero), secret: true });
      run -= take;
    }
    i = j;
  }
  return out;
}

export const SPOKEN_STYLES = ['digits', 'pairs', 'repeats', 'mixed', 'digitgroups'] as const;
export type SpokenStyle = (typeof SPOKEN_STYLES)[number];

/** One group of a card in a style. */
function sayGroup(group: string, style: SpokenStyle, zero: string, rng: Rng): SpokenWord[] {
  switch (style) {
    case 'digits':
      return sayDigits(group, zero);
    case 'repeats':
      return sayRepeats(group, zero);
    case 'digitgroups':
      return [{ w: group, secret: true }];
    case 'mixed':
      return rng.chance(0.5) ? [{ w: group, secret: true }] : sayDigits(group, zero);
    case 'pairs': {
      if (group.length % 2 === 1) return sayDigits(group, zero);
      const out: SpokenWord[] = [];
      for (let i = 0; i < group.length; i += 2) out.push(...sayPair(group.slice(i, i + 2), zero, rng));
      return out;
    }
  }
}

const isUnit = (w: string) => UNITS.includes(w) || w === 'oh' || w === 'o';

/**
 * A bare tens word followed (past any filler) by a unit word would read as one number ("forty five",
 * "eighty uh three"): mark the pause a speaker makes with a comma.
 */
function fixTensJoins(words: SpokenWord[]): void {
  for (let i = 0; i + 1 < words.length; i++) {
    if (!words[i]!.bareTens || words[i]!.w.endsWith(',')) continue;
    let j = i + 1;
    while (j < words.length && !words[j]!.secret) j++;
    if (j < words.length && isUnit(words[j]!.w)) words[i]!.w += ',';
  }
}

const FILLERS = ['um', 'uh', 'erm', 'hmm', 'let me see', 'uh hang on'];

/**
 * Spoken card: groups in one style, a few fillers, an optional self-correction, split into
 * `turns` segments at group boundaries.
 */
function spokenCard(
  rng: Rng,
  card: Card,
  style: SpokenStyle,
  turns: number,
): { segments: SpokenWord[][]; tag: string } {
  const zero = rng.pick(['oh', 'oh', 'zero', 'o']);
  const groups = splitGroups(card.digits, cardGroups(card.digits, card.network));
  const perGroup: SpokenWord[][] = groups.map((g) => sayGroup(g, style, zero, rng));
  let corrected = false;
  if (style !== 'digitgroups' && rng.chance(0.15)) {
    // "... one, sorry, that's seven not one ..." at a digit-by-digit position.
    const gi = rng.int(groups.length);
    const g = groups[gi]!;
    const pos = rng.int(g.length);
    const right = g[pos]!;
    const wrong = String((Number(right) + 1 + rng.int(8)) % 10);
    const before = sayDigits(g.slice(0, pos), zero);
    const after = sayDigits(g.slice(pos + 1), zero);
    const fix: SpokenWord[] = [
      { w: `${unitWord(wrong, zero)},`, secret: false },
      { w: 'sorry,', secret: false },
      { w: "that's", secret: false },
      { w: unitWord(right, zero), secret: true },
      { w: 'not', secret: false },
      { w: `${unitWord(wrong, zero)},`, secret: false },
    ];
    perGroup[gi] = [...before, ...fix, ...after];
    corrected = true;
  }
  for (const g of perGroup) {
    if (!rng.chance(0.12)) continue;
    // Not between "double"/"triple" and its digit.
    let at = rng.int(g.length + 1);
    while (at > 0 && (g[at - 1]!.w === 'double' || g[at - 1]!.w === 'triple')) at--;
    g.splice(at, 0, { w: rng.pick(FILLERS), secret: false });
  }
  // Group boundaries: a comma or nothing.
  for (let i = 0; i + 1 < perGroup.length; i++) {
    const last = perGroup[i]![perGroup[i]!.length - 1]!;
    if (rng.chance(0.6) && !last.w.endsWith(',')) last.w += ',';
  }
  const n = Math.min(turns, groups.length);
  // Cut points between groups.
  const cuts = new Set<number>();
  while (cuts.size < n - 1) cuts.add(1 + rng.int(groups.length - 1));
  const segments: SpokenWord[][] = [[]];
  perGroup.forEach((g, i) => {
    if (cuts.has(i)) segments.push([]);
    segments[segments.length - 1]!.push(...g);
  });
  for (const s of segments) fixTensJoins(s);
  return {
    segments,
    tag: `${style} ${card.network}${card.digits.length} split${n}${corrected ? ' selfcorrect' : ''}`,
  };
}

function wordsToPieces(words: SpokenWord[]): Piece[] {
  const out: Piece[] = [];
  words.forEach((w, i) => {
    // Filler phrases are several words; only the value's words are secret.
    out.push({ t: w.w, secret: w.secret });
    if (i + 1 < words.length) out.push({ t: ' ' });
  });
  return out;
}

function sayNumberDigits(rng: Rng, digits: string, groupsOf: number[] = []): SpokenWord[] {
  const zero = rng.pick(['oh', 'zero']);
  const words = sayDigits(digits, zero);
  // Commas after the given group sizes.
  let at = 0;
  for (const g of groupsOf) {
    at += g;
    if (at - 1 < words.length - 1) words[at - 1]!.w += ',';
  }
  return words;
}

// ---------------------------------------------------------------------------------------------
// Digit-form entity values

function formatCard(card: Card, rng: Rng): { text: string; sep: string } {
  const sep = rng.pick([' ', ' ', '-', '']);
  return { text: splitGroups(card.digits, cardGroups(card.digits, card.network)).join(sep), sep };
}

function ssn(rng: Rng): string {
  let area = rng.range(1, 899);
  if (area === 666) area = 665;
  return `${String(area).padStart(3, '0')}-${String(rng.range(1, 99)).padStart(2, '0')}-${String(rng.range(1, 9999)).padStart(4, '0')}`;
}

function itin(rng: Rng): string {
  const group = rng.pick([rng.range(70, 88), rng.range(90, 92), rng.range(94, 99)]);
  return `9${rng.digits(2)}-${group}-${String(rng.range(1, 9999)).padStart(4, '0')}`;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
function letters(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += LETTERS[rng.int(26)];
  return s;
}

function iban(rng: Rng): { value: string; grouped: boolean } {
  const country = rng.pick(['DE', 'GB', 'FR', 'ES', 'NL', 'IT']);
  const bban =
    country === 'DE'
      ? rng.digits(18)
      : country === 'GB'
        ? letters(rng, 4) + rng.digits(14)
        : country === 'FR'
          ? rng.digits(23)
          : country === 'ES'
            ? rng.digits(20)
            : country === 'NL'
              ? letters(rng, 4) + rng.digits(10)
              : letters(rng, 1) + rng.digits(22);
  const raw = makeIban(country, bban);
  const grouped = rng.chance(0.6);
  return { value: grouped ? (raw.match(/.{1,4}/g) ?? []).join(' ') : raw, grouped };
}

function nino(rng: Rng): string {
  const first = 'ABCEGHJKLMNOPRSTWXYZ';
  const second = 'ABCEGHJKLMNPRSTWXYZ';
  let p = '';
  do p = first[rng.int(first.length)]! + second[rng.int(second.length)]!;
  while (['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'].includes(p));
  const d = rng.digits(6);
  const suffix = 'ABCD'[rng.int(4)]!;
  return rng.chance(0.5)
    ? `${p} ${d.slice(0, 2)} ${d.slice(2, 4)} ${d.slice(4)} ${suffix}`
    : `${p}${d}${suffix}`;
}

function usPhone(rng: Rng): string {
  const area = `${rng.range(2, 9)}${rng.digits(2)}`;
  const ex = `${rng.range(2, 9)}${rng.digits(2)}`;
  const line = rng.digits(4);
  switch (rng.int(5)) {
    case 0:
      return `(${area}) ${ex}-${line}`;
    case 1:
      return `${area}-${ex}-${line}`;
    case 2:
      return `+1 ${area} ${ex} ${line}`;
    case 3:
      return `${area}.${ex}.${line}`;
    default:
      return `+1-${area}-${ex}-${line}`;
  }
}

function ukPhone(rng: Rng): string {
  return rng.pick([
    `+44 20 ${rng.range(7000, 8999)} ${rng.digits(4)}`,
    `07${rng.range(100, 999)} ${rng.digits(6)}`,
    `+44 7${rng.range(100, 999)} ${rng.digits(6)}`,
    `0161 ${rng.range(200, 999)} ${rng.digits(4)}`,
  ]);
}

// biome-ignore format: word lists
const FIRST = ['James', 'Mary', 'Robert', 'Patricia', 'Michael', 'Jennifer', 'David', 'Linda', 'Sarah', 'Thomas', 'Priya', 'Wei', 'Fatima', 'Carlos', 'Aisha', 'Oliver', 'Chloe', 'Mohammed', 'Elena', 'Kwame'];
// biome-ignore format: word lists
const LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Garcia', 'Miller', 'Davis', 'Patel', 'Nguyen', 'Okafor', 'Kowalski', 'Hughes', 'Rossi', 'Schmidt', 'Tanaka', 'Oyelaran', 'Fitzgerald', 'Moreau'];
// biome-ignore format: word lists
const STREETS = ['Main Street', 'Oak Avenue', 'Maple Drive', 'Park Road', 'Elm Street', 'Cedar Lane', 'High Street', 'Church Road', 'Lakeview Boulevard', 'Sunset Way'];
// biome-ignore format: word lists
const CITIES = [['Springfield', 'IL'], ['Austin', 'TX'], ['Portland', 'OR'], ['Columbus', 'OH'], ['Denver', 'CO'], ['Raleigh', 'NC']] as const;
// biome-ignore format: word lists
const CONDITIONS = ['diabetes', 'type 2 diabetes', 'asthma', 'epilepsy', 'high blood pressure', 'depression', 'arthritis', 'COPD', 'multiple sclerosis'];
// biome-ignore format: word lists
const MEDS = ['insulin', 'metformin', 'warfarin', 'sertraline', 'lisinopril'];

const pad2 = (n: number) => String(n).padStart(2, '0');

// ---------------------------------------------------------------------------------------------
// Chat and note generator

type Ctx = { rng: Rng; b: Builder; id: string; n: number };
const eid = (c: Ctx, t: string) => `${c.id}:${t}:${c.n++}`;

/** Appends one sentence holding an entity or a negative (digit/text forms). */
function digitSentence(c: Ctx, kind: string): void {
  const { rng, b } = c;
  switch (kind) {
    case 'pan': {
      const card = makeCard(rng);
      const { text, sep } = formatCard(card, rng);
      const tag = `${card.network}${card.digits.length} ${sep === ' ' ? 'spaces' : sep === '-' ? 'dashes' : 'none'}`;
      const lead = rng.pick([
        'My card number is ',
        'card: ',
        'Please charge ',
        'cc ',
        'Customer read out ',
        'the visa is ',
        'Use this one instead: ',
        'number on the card is ',
        '',
      ]);
      b.say(lead);
      b.entity('PAN', 'digits', valuePieces(text), eid(c, 'pan'), lead === '' ? `${tag} nocontext` : tag);
      b.say(rng.pick(['. ', ' thanks. ', ', ', '. Did it go through? ']));
      if (rng.chance(0.5)) {
        const exp = `${pad2(rng.range(1, 12))}/${rng.pick([pad2(rng.range(25, 32)), String(rng.range(2025, 2032))])}`;
        b.say(rng.pick(['exp ', 'Expiry ', 'expires ', 'valid thru ']));
        b.entity('CARD_EXPIRY', 'digits', valuePieces(exp), eid(c, 'exp'), 'digits');
        b.say(rng.pick([', ', '. ', ' and ']));
      }
      if (rng.chance(0.5)) {
        const cvv = rng.digits(card.network === 'amex' ? 4 : 3);
        b.say(rng.pick(['CVV ', 'cvv: ', 'security code is ', 'the 3 digits on the back are ', 'CVC ']));
        b.entity('CVV', 'digits', valuePieces(cvv), eid(c, 'cvv'), 'digits');
        b.say('. ');
      }
      return;
    }
    case 'ssn': {
      const v = ssn(rng);
      const bare = rng.chance(0.3);
      b.say(rng.pick(['SSN ', 'my social is ', 'Social security number: ', 'ssn: ']));
      b.entity(
        'US_SSN',
        'digits',
        valuePieces(bare ? v.replaceAll('-', '') : v),
        eid(c, 'ssn'),
        bare ? 'nodash' : 'dashed',
      );
      b.say('. ');
      return;
    }
    case 'itin': {
      b.say(rng.pick(['ITIN ', 'my tax id is ', 'ITIN: ']));
      b.entity('US_ITIN', 'digits', valuePieces(itin(rng)), eid(c, 'itin'), 'dashed');
      b.say('. ');
      return;
    }
    case 'iban': {
      const v = iban(rng);
      b.say(rng.pick(['IBAN ', 'please refund to IBAN ', 'bank account: ', 'my IBAN is ']));
      b.entity(
        'IBAN',
        'digits',
        valuePieces(v.value),
        eid(c, 'iban'),
        `${v.value.slice(0, 2)} ${v.grouped ? 'grouped' : 'compact'}`,
      );
      b.say('. ');
      return;
    }
    case 'bank': {
      const routing = makeAba(rng);
      b.say(rng.pick(['routing number ', 'ABA ', 'Routing: ']));
      b.entity('ABA_ROUTING', 'digits', valuePieces(routing), eid(c, 'aba'), 'digits');
      b.say(rng.pick([' and account number ', ', acct ', ' account ']));
      b.entity('BANK_ACCOUNT', 'digits', valuePieces(rng.digits(rng.range(8, 12))), eid(c, 'acct'), 'digits');
      b.say('. ');
      return;
    }
    case 'phone': {
      const v = rng.chance(0.7) ? usPhone(rng) : ukPhone(rng);
      b.say(rng.pick(['call me back on ', 'phone: ', 'my number is ', 'mobile ', 'Reach me at ', '']));
      b.entity(
        'PHONE',
        'digits',
        valuePieces(v),
        eid(c, 'phone'),
        v.startsWith('+44') || v.startsWith('0') ? 'uk' : 'us',
      );
      b.say(rng.pick(['. ', ' after 5pm. ', ', thanks. ']));
      return;
    }
    case 'email': {
      const v = `${rng.pick(FIRST).toLowerCase()}.${rng.pick(LAST).toLowerCase()}${rng.range(1, 99)}@${rng.pick(['gmail.com', 'example.org', 'outlook.com', 'mail.co.uk'])}`;
      b.say(rng.pick(['email ', 'send it to ', 'my email is ', '']));
      b.entity('EMAIL', 'text', valuePieces(v), eid(c, 'email'), 'text');
      b.say('. ');
      return;
    }
    case 'dob': {
      const y = rng.range(1940, 2004);
      const m = rng.range(1, 12);
      const d = rng.range(1, 28);
      const style = rng.int(3);
      const v =
        style === 0
          ? `${pad2(m)}/${pad2(d)}/${y}`
          : style === 1
            ? `${d} ${MONTHS[m - 1]![0]!.toUpperCase()}${MONTHS[m - 1]!.slice(1)} ${y}`
            : `${y}-${pad2(m)}-${pad2(d)}`;
      b.say(rng.pick(['DOB ', 'date of birth: ', 'born on ', 'D.O.B. ']));
      b.entity('DATE_OF_BIRTH', 'digits', valuePieces(v), eid(c, 'dob'), ['mdy', 'dMonthy', 'iso'][style]!);
      b.say('. ');
      return;
    }
    case 'ip': {
      const v = rng.chance(0.8)
        ? `${rng.range(11, 223)}.${rng.range(0, 255)}.${rng.range(0, 255)}.${rng.range(1, 254)}`
        : `2001:db8:${rng.int(65536).toString(16)}::${rng.int(65536).toString(16)}`;
      b.say(rng.pick(['login from IP ', 'client ip ', 'IP address ']));
      b.entity('IP_ADDRESS', 'digits', valuePieces(v), eid(c, 'ip'), v.includes(':') ? 'v6' : 'v4');
      b.say('. ');
      return;
    }
    case 'nino': {
      b.say(rng.pick(['NI number ', 'national insurance number ', 'NINO: ']));
      b.entity('UK_NINO', 'digits', valuePieces(nino(rng)), eid(c, 'nino'), 'text');
      b.say('. ');
      return;
    }
    case 'nhs': {
      const v = makeNhs(rng);
      const spaced = rng.chance(0.6);
      b.say(rng.pick(['NHS number ', 'nhs no ', 'NHS: ']));
      b.entity(
        'UK_NHS',
        'digits',
        valuePieces(spaced ? `${v.slice(0, 3)} ${v.slice(3, 6)} ${v.slice(6)}` : v),
        eid(c, 'nhs'),
        spaced ? 'spaced' : 'compact',
      );
      b.say('. ');
      return;
    }
    case 'passport': {
      b.say(rng.pick(['passport number ', 'US passport ', 'passport: ']));
      b.entity(
        'US_PASSPORT',
        'digits',
        valuePieces(String(rng.range(1, 9)) + rng.digits(8)),
        eid(c, 'pp'),
        'digits',
      );
      b.say('. ');
      return;
    }
    case 'dl': {
      const v = rng.chance(0.5) ? letters(rng, 1) + rng.digits(7) : rng.digits(9);
      b.say(rng.pick(["driver's license ", 'DL ', 'drivers license number ']));
      b.entity(
        'US_DRIVER_LICENSE',
        'digits',
        valuePieces(v),
        eid(c, 'dl'),
        /^[A-Z]/.test(v) ? 'letter7' : 'digits9',
      );
      b.say('. ');
      return;
    }
    case 'address': {
      const [city, st] = rng.pick(CITIES);
      const v = `${rng.range(1, 9999)} ${rng.pick(STREETS)}, ${city}, ${st} ${rng.digits(5)}`;
      b.say(rng.pick(['I live at ', 'ship to ', 'billing address ', 'address: ']));
      b.entity('POSTAL_ADDRESS', 'text', valuePieces(v), eid(c, 'addr'), 'us');
      b.say('. ');
      return;
    }
    case 'health': {
      const condition = rng.chance(0.7);
      const v = condition ? rng.pick(CONDITIONS) : rng.pick(MEDS);
      b.say(
        condition
          ? rng.pick(['I was diagnosed with ', 'she has been treated for ', 'history of '])
          : rng.pick(["I'm taking ", 'prescribed ', 'medication: ']),
      );
      b.entity('HEALTH', 'text', valuePieces(v), eid(c, 'health'), 'text');
      b.say('. ');
      return;
    }
    case 'person': {
      b.say(rng.pick(['My name is ', 'Customer name: ', "Hi, I'm ", 'this is ']));
      b.entity(
        'PERSON',
        'text',
        valuePieces(`${rng.pick(FIRST)} ${rng.pick(LAST)}`),
        eid(c, 'person'),
        'text',
      );
      b.say('. ');
      return;
    }
    case 'ambiguous-luhn': {
      // A Luhn-valid number in a card range labelled by context as an order id: "don't care".
      const card = makeCard(rng, rng.pick(['visa', 'mc5', 'discover']));
      b.say(rng.pick(['order id ', 'Order #', 'invoice number ']));
      b.entity('PAN', 'digits', valuePieces(card.digits), eid(c, 'amb'), 'luhn-valid order id', true);
      b.say('. ');
      return;
    }
    default:
      negativeSentence(c, kind);
  }
}

export const NEGATIVE_KINDS = [
  'order id',
  'ticket',
  'tracking ups',
  'tracking fedex',
  'tracking usps',
  'timestamp',
  'epoch ms',
  'price',
  'quantity',
  'luhn-invalid 16 digits',
  'luhn-invalid 16 digits spaced',
  'customer id 9 digits',
  'version',
  'extension',
] as const;

function negativeSentence(c: Ctx, kind: string): void {
  const { rng, b } = c;
  switch (kind) {
    case 'order id':
      b.say(rng.pick(['Order ', 'order number ', 'your order #', 'Order ID: ']));
      b.negative(
        kind,
        rng.chance(0.5)
          ? String(rng.range(1, 9)) + rng.digits(rng.range(6, 11))
          : `ORD-${rng.range(2019, 2026)}-${rng.digits(6)}`,
      );
      b.say(rng.pick([' shipped yesterday. ', ' was cancelled. ', ' is delayed. ']));
      return;
    case 'ticket':
      b.say(rng.pick(['see ticket ', 'case ', 'Ref ', 'incident ']));
      b.negative(
        kind,
        rng.pick([`INC${rng.digits(7)}`, `CS-${rng.digits(6)}`, rng.digits(8), `#${rng.digits(5)}`]),
      );
      b.say('. ');
      return;
    case 'tracking ups':
      b.say('UPS tracking ');
      b.negative(kind, `1Z${letters(rng, 3)}${rng.digits(3)}${rng.digits(10)}`.slice(0, 18));
      b.say('. ');
      return;
    case 'tracking fedex':
      b.say('FedEx tracking number ');
      b.negative(
        kind,
        rng.chance(0.5) ? rng.digits(12) : `${rng.digits(4)} ${rng.digits(4)} ${rng.digits(4)}`,
      );
      b.say('. ');
      return;
    case 'tracking usps': {
      const d = `9400${rng.digits(18)}`;
      b.say('USPS tracking ');
      b.negative(kind, rng.chance(0.5) ? d : (d.match(/.{1,4}/g) ?? []).join(' '));
      b.say('. ');
      return;
    }
    case 'timestamp': {
      const y = rng.range(2019, 2026);
      const ts = rng.pick([
        `${y}-${pad2(rng.range(1, 12))}-${pad2(rng.range(1, 28))} ${pad2(rng.range(0, 23))}:${pad2(rng.range(0, 59))}:${pad2(rng.range(0, 59))}`,
        `${y}-${pad2(rng.range(1, 12))}-${pad2(rng.range(1, 28))}T${pad2(rng.range(0, 23))}:${pad2(rng.range(0, 59))}:${pad2(rng.range(0, 59))}Z`,
        `${pad2(rng.range(1, 28))}/${pad2(rng.range(1, 12))}/${y} ${pad2(rng.range(0, 23))}:${pad2(rng.range(0, 59))}`,
      ]);
      b.say(rng.pick(['Called at ', 'last login ', 'created ']));
      b.negative(kind, ts);
      b.say('. ');
      return;
    }
    case 'epoch ms':
      b.say('event ts=');
      b.negative(kind, `17${rng.digits(11)}`);
      b.say(' ');
      return;
    case 'price':
      b.say(rng.pick(['refund of ', 'charged ', 'total ']));
      b.negative(
        kind,
        rng.pick([
          `$${rng.range(1, 9)},${rng.digits(3)}.${rng.digits(2)}`,
          `$${rng.range(1, 999)}.${rng.digits(2)}`,
          `€${rng.range(1, 99)},${rng.digits(2)}`,
        ]),
      );
      b.say('. ');
      return;
    case 'quantity':
      b.say(rng.pick(['qty ', 'ordered ', 'x']));
      b.negative(kind, `${rng.range(1, 500)}`);
      b.say(rng.pick([' units. ', ' boxes of 250ml. ', ' items. ']));
      return;
    case 'luhn-invalid 16 digits':
    case 'luhn-invalid 16 digits spaced': {
      const card = makeCard(rng, rng.pick(['visa', 'mc5', 'mc2', 'discover']));
      const body = card.digits.slice(0, 15);
      const bad = luhnInvalid(body);
      const v = kind.endsWith('spaced') ? (bad.match(/.{1,4}/g) ?? []).join(' ') : bad;
      b.say(rng.pick(['transaction ref ', 'auth reference ', 'ref no. ', 'Reference: ']));
      b.negative(kind, v);
      b.say('. ');
      return;
    }
    case 'customer id 9 digits':
      b.say(rng.pick(['customer id ', 'member no ', 'loyalty id ']));
      b.negative(kind, String(rng.range(1, 9)) + rng.digits(8));
      b.say('. ');
      return;
    case 'version':
      b.say('app version ');
      b.negative(kind, `${rng.range(1, 12)}.${rng.range(0, 30)}.${rng.range(0, 99)}`);
      b.say('. ');
      return;
    case 'extension':
      b.say('ask for extension ');
      b.negative(kind, rng.digits(4));
      b.say('. ');
      return;
  }
}

// biome-ignore format: weights
const DIGIT_KINDS: Array<[string, number]> = [
  ['pan', 12], ['ssn', 3], ['itin', 1], ['iban', 2], ['bank', 2], ['phone', 4], ['email', 2], ['dob', 2], ['ip', 1],
  ['nino', 1], ['nhs', 1], ['passport', 1], ['dl', 1], ['address', 2], ['health', 1], ['person', 2], ['ambiguous-luhn', 1],
  ...NEGATIVE_KINDS.map((k): [string, number] => [k, 1.2]),
];
const DIGIT_WEIGHT = DIGIT_KINDS.reduce((s, [, w]) => s + w, 0);
function pickKind(rng: Rng): string {
  let x = rng.next() * DIGIT_WEIGHT;
  for (const [k, w] of DIGIT_KINDS) {
    x -= w;
    if (x < 0) return k;
  }
  return 'pan';
}

// biome-ignore format: filler sentences
const CHAT_FILLER = [
  'Hi there, I need some help with my account.', 'Thanks for waiting.', 'Let me check that for you.',
  'I was charged twice last month.', 'Can you confirm the refund?', 'Is there anything else I can help with?',
  'The app keeps logging me out.', 'I moved house recently.', 'Sure, one moment please.', 'Great, that worked.',
];
// biome-ignore format: filler sentences
const NOTE_FILLER = [
  'Cust called re billing dispute.', 'Verified identity via KBA.', 'Escalated to tier 2.', 'Refund approved per policy.',
  'Advised cust to update app.', 'Callback scheduled.', 'No further action.', 'Cust upset, offered credit.',
];

function textDoc(rng: Rng, kind: 'chat' | 'note', id: string): TextDoc {
  const b = builder();
  const c: Ctx = { rng, b, id, n: 0 };
  const lines = rng.range(3, 8);
  for (let i = 0; i < lines; i++) {
    if (kind === 'chat') b.say(i % 2 === 0 ? 'Customer: ' : 'Agent: ');
    if (rng.chance(0.35)) b.say(`${rng.pick(kind === 'chat' ? CHAT_FILLER : NOTE_FILLER)} `);
    digitSentence(c, pickKind(rng));
    if (rng.chance(0.4)) digitSentence(c, pickKind(rng));
    b.say('\n');
  }
  return { kind, id, ...b.unit };
}

// ---------------------------------------------------------------------------------------------
// Call transcripts

type Turn = { speaker: 'agent' | 'customer'; b: Builder };

// biome-ignore format: phrases
const BACKCHANNELS = ['okay', 'mm-hmm', 'go ahead', 'uh huh', 'got it', 'okay go on', 'yep'];
// biome-ignore format: phrases
const CARD_ASKS = ["Sure, can I take the long card number please?", "What's the card number?", "Okay, go ahead with the card number whenever you're ready.", "And which card would you like to use? Please read me the number."];
// biome-ignore format: phrases
const CARD_LEADS = ['', 'yeah it is ', "it's ", 'okay so ', 'the number is ', 'um '];
// biome-ignore format: phrases
const CVV_ASKS = ['And the three digit security code on the back?', "What's the CVV?", 'And the security code please?'];
// biome-ignore format: phrases
const EXP_ASKS = ['And the expiry date?', "What's the expiration date on the card?", 'When does it expire?'];

function spokenExpiry(rng: Rng): { words: SpokenWord[]; tag: string } {
  const m = rng.range(1, 12);
  const y = rng.range(25, 32);
  const style = rng.int(3);
  const zero = 'oh';
  const mm = pad2(m);
  const yy = String(y);
  if (style === 0) return { words: [...sayPair(mm, zero, rng), ...sayPair(yy, zero, rng)], tag: 'pairs' };
  if (style === 1)
    return {
      words: [...sayPair(mm, zero, rng), { w: 'slash', secret: false }, ...sayPair(yy, zero, rng)],
      tag: 'slash',
    };
  return {
    words: [{ w: MONTHS[m - 1]!, secret: true }, ...sayPair(`20`, zero, rng), ...sayPair(yy, zero, rng)],
    tag: 'month-name',
  };
}

function callDoc(rng: Rng, id: string): CallDoc {
  const turns: Turn[] = [];
  const ctx: Ctx = { rng, b: builder(), id, n: 0 };
  const turn = (speaker: 'agent' | 'customer'): Builder => {
    const b = builder();
    turns.push({ speaker, b });
    ctx.b = b;
    return b;
  };
  const say = (speaker: 'agent' | 'customer', text: string) => turn(speaker).say(text);

  say(
    'agent',
    rng.pick([
      'Thank you for calling, how can I help you today?',
      'Hi, you are through to billing, how can I help?',
    ]),
  );
  say(
    'customer',
    rng.pick([
      "Hi, I'd like to pay my bill.",
      'I want to make a payment on my account.',
      'Hi, I need to update my card.',
    ]),
  );
  // Hard negatives spoken before the card.
  if (rng.chance(0.5)) {
    say('agent', 'Can I have your order number first?');
    const b = turn('customer');
    b.say(rng.pick(['sure, it is ', "yeah it's ", '']));
    const digits = String(rng.range(1, 9)) + rng.digits(rng.range(5, 9));
    const words = sayNumberDigits(rng, digits);
    b.negative('spoken order number', words.map((w) => w.w).join(' '));
  }
  if (rng.chance(0.4)) {
    const b = turn('customer');
    b.say(rng.pick(["I've been on hold for ", 'I waited ', 'it took ']));
    b.negative('spoken duration', rng.pick(['twenty five', 'forty', 'fifteen', 'thirty five']));
    b.say(' minutes and it still cost me ');
    b.negative(
      'spoken price',
      rng.pick([
        'forty nine ninety nine',
        'nineteen ninety five',
        'a hundred and twenty',
        'sixty four fifty',
      ]),
    );
    b.say(rng.pick([' dollars.', ' bucks last month.']));
  }
  if (rng.chance(0.25)) {
    say('agent', 'Do you have a reference number from the letter?');
    const b = turn('customer');
    b.say('yes the reference is ');
    const card = makeCard(rng, 'visa');
    const bad = luhnInvalid(card.digits.slice(0, 15));
    b.negative(
      'spoken luhn-invalid 16 digits',
      sayNumberDigits(rng, bad, [4, 4, 4])
        .map((w) => w.w)
        .join(' '),
    );
  }
  if (rng.chance(0.3)) {
    say('agent', 'Can I get your name please?');
    const b = turn('customer');
    b.say(rng.pick(['yes my name is ', "it's ", 'sure, my name is ']));
    b.entity(
      'PERSON',
      'text',
      valuePieces(`${rng.pick(FIRST)} ${rng.pick(LAST)}`),
      eid(ctx, 'person'),
      'spoken',
    );
  }
  if (rng.chance(0.35)) {
    say('agent', "And what's the best number to reach you on?");
    const b = turn('customer');
    b.say(rng.pick(['my cell is ', "it's ", 'you can call me on ']));
    const ph = `${rng.range(2, 9)}${rng.digits(2)}${rng.range(2, 9)}${rng.digits(6)}`;
    b.entity(
      'PHONE',
      'spoken',
      wordsToPieces(sayNumberDigits(rng, ph, [3, 3])),
      eid(ctx, 'phone'),
      'us spoken',
    );
  }
  if (rng.chance(0.25)) {
    say('agent', 'For verification can I have the last four of your social?');
    const b = turn('customer');
    b.say(
      rng.pick(['actually let me just give you the whole social, ', 'sure, my social security number is ']),
    );
    const digits = ssn(rng).replaceAll('-', '');
    b.entity(
      'US_SSN',
      'spoken',
      wordsToPieces(sayNumberDigits(rng, digits, [3, 2])),
      eid(ctx, 'ssn'),
      'spoken',
    );
  }

  // The card.
  const card = makeCard(rng);
  const style = rng.pick(SPOKEN_STYLES);
  const split = rng.pick([1, 1, 2, 2, 3, 4]);
  const spoken = spokenCard(rng, card, style, split);
  const cardId = eid(ctx, 'pan');
  say('agent', rng.pick(CARD_ASKS));
  spoken.segments.forEach((seg, i) => {
    const b = turn('customer');
    if (i === 0) b.say(rng.pick(CARD_LEADS));
    b.entity('PAN', 'spoken', wordsToPieces(seg), cardId, spoken.tag);
    const cvvSameTurn = i === spoken.segments.length - 1 && rng.chance(0.2);
    if (cvvSameTurn) {
      b.say(rng.pick([', and the code on the back is ', ' and the security code is ', ', cvv ']));
      const cvv = rng.digits(card.network === 'amex' ? 4 : 3);
      b.entity('CVV', 'spoken', wordsToPieces(sayDigits(cvv, 'oh')), eid(ctx, 'cvv'), 'same turn as pan');
    }
    if (i + 1 < spoken.segments.length) say('agent', rng.pick(BACKCHANNELS));
  });
  if (!turns[turns.length - 1]!.b.unit.labels.some((l) => l.type === 'CVV')) {
    say('agent', rng.pick(EXP_ASKS));
    const exp = spokenExpiry(rng);
    const eb = turn('customer');
    eb.say(rng.pick(['', "it's ", 'expires ', 'um ']));
    eb.entity('CARD_EXPIRY', 'spoken', wordsToPieces(exp.words), eid(ctx, 'exp'), exp.tag);
    say('agent', rng.pick(CVV_ASKS));
    const cb = turn('customer');
    cb.say(rng.pick(['', "it's ", 'yeah ', 'um ']));
    const cvv = rng.digits(card.network === 'amex' ? 4 : 3);
    const pairs = cvv.length === 3 && cvv[1] !== '0' && rng.chance(0.3);
    const words = pairs
      ? [...sayDigits(cvv[0]!, 'oh'), ...sayPair(cvv.slice(1), 'oh', rng)]
      : sayDigits(cvv, 'oh');
    cb.entity(
      'CVV',
      'spoken',
      wordsToPieces(words),
      eid(ctx, 'cvv'),
      pairs ? 'after cue, pairs' : 'after cue, digits',
    );
  }
  say('agent', rng.pick(['Thank you, that payment has gone through.', 'Perfect, all done. Anything else?']));
  if (rng.chance(0.3)) {
    const b = turn('customer');
    b.say('Also I have ');
    b.negative('spoken quantity', rng.pick(['two', 'three']));
    b.say(' other cards but I only use this one.');
  }
  if (rng.chance(0.3)) {
    const b = turn('agent');
    b.say('Your confirmation number is ');
    b.negative(
      'spoken confirmation number',
      sayNumberDigits(rng, rng.digits(6))
        .map((w) => w.w)
        .join(' '),
    );
    b.say('.');
  }
  say('customer', rng.pick(['No that is all, thanks.', 'Great, thank you, bye.']));

  // Timings and words.
  let clock = 0;
  const utterances: Utterance[] = turns.map(({ speaker, b }) => {
    const text = b.unit.text;
    const words: UtteranceWord[] = [];
    const start = clock;
    for (const m of text.matchAll(/\S+/g)) {
      const dur = 0.15 + m[0].length * 0.04;
      words.push({ w: m[0], start: round3(clock), end: round3(clock + dur) });
      clock += dur + 0.05;
    }
    const u: Utterance = { call_id: id, speaker, start: round3(start), end: round3(clock), text, words };
    clock += 0.4;
    return u;
  });
  return { kind: 'transcript', id, utterances, units: turns.map((t) => t.b.unit) };
}
const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** The corpus for a seed and sizes. */
export function generateCorpus(o: CorpusOptions): Corpus {
  const rng = createRng(o.seed);
  const calls = Array.from({ length: o.calls }, (_, i) => callDoc(rng, `call-${o.seed}-${i}`));
  const texts: TextDoc[] = [];
  for (let i = 0; i < o.chats; i++) texts.push(textDoc(rng, 'chat', `chat-${o.seed}-${i}`));
  for (let i = 0; i < o.notes; i++) texts.push(textDoc(rng, 'note', `note-${o.seed}-${i}`));
  return { seed: o.seed, texts, calls };
}

/** Total UTF-8 bytes of the corpus text (documents and utterance texts). */
export function corpusBytes(c: Corpus): number {
  let n = 0;
  for (const d of c.texts) n += Buffer.byteLength(d.text);
  for (const call of c.calls) for (const u of call.utterances) n += Buffer.byteLength(u.text);
  return n;
}
