/**
 * Masking operators applied to detected spans, configured per entity type by a policy. PCI DSS rules
 * hold whatever the policy says: a PAN shows at most the BIN (first 6) and last 4 digits (Req 3.4.1),
 * a hash is keyed over the whole value (Req 3.5.1.1), and a CVV is never kept in any form (Req 3.3.1.2).
 */
import { createHmac } from 'node:crypto';
import { ENTITY_TYPES, type EntityType, type Finding } from './types.ts';

/** What to do with one detected value. */
export type Operator =
  | { kind: 'redact' }
  | { kind: 'mask'; keepFirst?: number; keepLast?: number }
  | { kind: 'hash'; key: Uint8Array }
  | { kind: 'tokenize'; tokenize: (value: string, type: EntityType) => string }
  | { kind: 'drop' };

/** Operator per entity type; `default` covers the types not listed (itself defaulting to redact). */
export type RedactionPolicy = Partial<Record<EntityType, Operator>> & { default?: Operator };

/** One applied replacement; `start`/`end` are offsets into the input text. */
export type Replacement = Finding & { replacement: string };

/** A policy that cannot be used; the message names the offending key, never a value. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** HMAC keys below 128 bits do not meet PCI DSS Req 3.5.1.1. */
export const MIN_HASH_KEY_BYTES = 16;

/** Most digits a masked PAN may show: the BIN and the last four. */
export const PAN_MAX_FIRST = 6;
export const PAN_MAX_LAST = 4;

const DIGITS_ONLY: ReadonlySet<EntityType> = new Set<EntityType>([
  'PAN',
  'CVV',
  'CARD_EXPIRY',
  'US_SSN',
  'US_ITIN',
  'BANK_ACCOUNT',
  'ABA_ROUTING',
  'PHONE',
  'UK_NHS',
]);
const COMPACT: ReadonlySet<EntityType> = new Set<EntityType>([
  'IBAN',
  'UK_NINO',
  'US_PASSPORT',
  'US_DRIVER_LICENSE',
]);

/** The value a hash covers: digits only for numbers, upper-case alphanumerics for ids, else folded text. */
export function normaliseValue(type: EntityType, value: string): string {
  if (DIGITS_ONLY.has(type)) return value.replace(/[^0-9]/g, '');
  if (COMPACT.has(type)) return value.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
  return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

const isMaskable = (type: EntityType, ch: string): boolean =>
  DIGITS_ONLY.has(type) ? ch >= '0' && ch <= '9' : /[\p{L}\p{N}]/u.test(ch);

const count = (n: number | undefined, fallback: number): number =>
  n === undefined || !Number.isFinite(n) ? fallback : Math.max(0, Math.floor(n));

/**
 * Masks with `*`, keeping separators. A PAN keeps at most the first 6 and last 4 digits (by default
 * only the last 4) and always hides at least 5; an SSN or ITIN keeps only the last 4; other types
 * always hide at least half.
 * @example maskValue('PAN', '4111 1111 1111 1111', {}) // '**** **** **** 1111'
 */
export function maskValue(
  type: EntityType,
  value: string,
  op: { keepFirst?: number; keepLast?: number },
): string {
  const chars = Array.from(value);
  const total = chars.filter((c) => isMaskable(type, c)).length;
  let first = count(op.keepFirst, 0);
  let last = count(op.keepLast, 4);
  if (type === 'PAN') {
    first = Math.min(first, PAN_MAX_FIRST);
    last = Math.min(last, PAN_MAX_LAST);
  } else if (type === 'US_SSN' || type === 'US_ITIN') {
    first = 0;
    last = Math.min(last, 4);
  }
  // A PAN always loses at least 5 digits (the Amex truncation floor); other types at least half.
  const visible = type === 'PAN' ? Math.max(0, total - 5) : Math.floor(total / 2);
  if (first + last > visible) {
    first = Math.min(first, Math.max(0, visible - last));
    last = Math.min(last, visible - first);
  }
  let idx = 0;
  return chars
    .map((c) => {
      if (!isMaskable(type, c)) return c;
      const keep = idx < first || idx >= total - last;
      idx++;
      return keep ? c : '*';
    })
    .join('');
}

/** `[TYPE:hmac:<first 16 hex>]` of HMAC-SHA-256 over the normalised value. */
export function hashValue(type: EntityType, value: string, key: Uint8Array): string {
  if (key.length < MIN_HASH_KEY_BYTES)
    throw new PolicyError(`hash key must be at least ${MIN_HASH_KEY_BYTES} bytes`);
  const mac = createHmac('sha256', key).update(normaliseValue(type, value)).digest('hex');
  return `[${type}:hmac:${mac.slice(0, 16)}]`;
}

const placeholder = (type: EntityType): string => `[${type}]`;

/** The operator that applies to `type` after the PCI overrides. */
export function effectiveOperator(type: EntityType, policy: RedactionPolicy | undefined): Operator {
  const op = policy?.[type] ?? policy?.default ?? { kind: 'redact' };
  if (type === 'CVV' && op.kind !== 'drop') return { kind: 'redact' };
  return op;
}

/** Replacement text for one value. Never returns a string holding a full PAN or any CVV. */
export function replaceValue(type: EntityType, value: string, policy?: RedactionPolicy): string {
  const op = effectiveOperator(type, policy);
  switch (op.kind) {
    case 'redact':
      return placeholder(type);
    case 'drop':
      return '';
    case 'mask':
      return maskValue(type, value, op);
    case 'hash':
      return hashValue(type, value, op.key);
    case 'tokenize': {
      const token = op.tokenize(value, type);
      if (typeof token !== 'string') throw new PolicyError(`tokenizer for ${type} did not return a string`);
      // A tokenizer echoing the PAN would defeat the policy; fall back to a placeholder.
      if (type === 'PAN' && token.replace(/[^0-9]/g, '').includes(normaliseValue('PAN', value))) {
        return placeholder(type);
      }
      return token;
    }
  }
}

/** Stricter types win when merged spans disagree: the merged span is treated as the stricter one. */
const strictness = (type: EntityType): number => (type === 'CVV' ? 2 : type === 'PAN' ? 1 : 0);

function checkFinding(f: Finding, i: number, length: number): void {
  const ok =
    Number.isInteger(f.start) &&
    Number.isInteger(f.end) &&
    f.start >= 0 &&
    f.start < f.end &&
    f.end <= length &&
    (ENTITY_TYPES as readonly string[]).includes(f.type);
  if (!ok)
    throw new RangeError(`finding ${i} has an invalid type or span for a text of ${length} characters`);
}

/** Sorts by start and merges overlapping spans into their union, so no part of a value is left behind. */
function mergeOverlaps(findings: readonly Finding[]): Finding[] {
  const sorted = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Finding[] = [];
  for (const f of sorted) {
    const prev = out[out.length - 1];
    if (!prev || f.start >= prev.end) {
      out.push({ ...f });
      continue;
    }
    const pick =
      strictness(f.type) > strictness(prev.type) ||
      (strictness(f.type) === strictness(prev.type) && f.score > prev.score);
    const winner = pick ? f : prev;
    out[out.length - 1] = { ...winner, start: prev.start, end: Math.max(prev.end, f.end) };
  }
  return out;
}

/**
 * Replaces each finding in `text` by its operator's output (default: a typed placeholder such as
 * `[PAN]`). Overlapping findings are merged first so nothing partially survives.
 * @throws RangeError for a finding outside the text; PolicyError for a short hash key
 * @example applyOperators('card 4111111111111111', [{ type: 'PAN', start: 5, end: 21, score: 1, rule: 'r' }]).text
 * // 'card [PAN]'
 */
export function applyOperators(
  text: string,
  findings: readonly Finding[],
  policy?: RedactionPolicy,
): { text: string; replacements: Replacement[] } {
  // Most utterances of a call hold nothing to redact.
  if (findings.length === 0) return { text, replacements: [] };
  for (let i = 0; i < findings.length; i++) checkFinding(findings[i]!, i, text.length);
  const merged = mergeOverlaps(findings);
  const parts: string[] = [];
  const replacements: Replacement[] = [];
  let pos = 0;
  for (const f of merged) {
    const replacement = replaceValue(f.type, text.slice(f.start, f.end), policy);
    parts.push(text.slice(pos, f.start), replacement);
    replacements.push({ ...f, replacement });
    pos = f.end;
  }
  parts.push(text.slice(pos));
  return { text: parts.join(''), replacements };
}

/** Whether the findings are sorted by start and none overlaps the next (what `detect` returns). */
function disjointInOrder(findings: readonly Finding[]): boolean {
  for (let i = 1; i < findings.length; i++) if (findings[i]!.start < findings[i - 1]!.end) return false;
  return true;
}

/**
 * `applyOperators(text, findings, policy).text`, without building the replacement list: the text
 * redactors (`redactText`, `redactCall`) only keep the text. Findings that are already in order and
 * disjoint (as `detect` returns them) are applied as they are, which is what merging them gives.
 * @throws RangeError for a finding outside the text; PolicyError for a short hash key
 */
export function applyOperatorsText(
  text: string,
  findings: readonly Finding[],
  policy?: RedactionPolicy,
): string {
  if (findings.length === 0) return text;
  for (let i = 0; i < findings.length; i++) checkFinding(findings[i]!, i, text.length);
  const merged = disjointInOrder(findings) ? findings : mergeOverlaps(findings);
  let out = '';
  let pos = 0;
  for (let i = 0; i < merged.length; i++) {
    const f = merged[i]!;
    out += text.slice(pos, f.start) + replaceValue(f.type, text.slice(f.start, f.end), policy);
    pos = f.end;
  }
  return out + text.slice(pos);
}

const KINDS = ['redact', 'mask', 'hash', 'tokenize', 'drop'] as const;
const FIELDS: Record<(typeof KINDS)[number], readonly string[]> = {
  redact: ['kind'],
  mask: ['kind', 'keepFirst', 'keepLast'],
  hash: ['kind'],
  tokenize: ['kind'],
  drop: ['kind'],
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const keyName = (k: string): string => JSON.stringify(k.length > 64 ? `${k.slice(0, 64)}…` : k);

function parseOperator(
  where: string,
  raw: unknown,
  hashKey: Uint8Array | undefined,
  tokenize: ((value: string, type: EntityType) => string) | undefined,
): Operator {
  if (!isRecord(raw)) throw new PolicyError(`${where}: must be an object like {"kind":"redact"}`);
  const kind = raw.kind;
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    throw new PolicyError(`${where}.kind: must be one of ${KINDS.join(', ')}`);
  }
  const k = kind as (typeof KINDS)[number];
  for (const field of Object.keys(raw)) {
    if (!FIELDS[k].includes(field)) {
      const hint =
        k === 'hash' && field === 'key' ? ' (hash keys come from the caller, never from the policy)' : '';
      throw new PolicyError(`${where}.${field}: not allowed for kind "${k}"${hint}`);
    }
  }
  switch (k) {
    case 'redact':
    case 'drop':
      return { kind: k };
    case 'mask': {
      const op: { kind: 'mask'; keepFirst?: number; keepLast?: number } = { kind: 'mask' };
      for (const field of ['keepFirst', 'keepLast'] as const) {
        const v = raw[field];
        if (v === undefined) continue;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 64) {
          throw new PolicyError(`${where}.${field}: must be an integer from 0 to 64`);
        }
        op[field] = v;
      }
      return op;
    }
    case 'hash':
      if (!hashKey) throw new PolicyError(`${where}: kind "hash" needs a hash key from the caller`);
      if (hashKey.length < MIN_HASH_KEY_BYTES) {
        throw new PolicyError(`${where}: the hash key must be at least ${MIN_HASH_KEY_BYTES} bytes`);
      }
      return { kind: 'hash', key: hashKey };
    case 'tokenize':
      if (!tokenize) throw new PolicyError(`${where}: kind "tokenize" needs a tokenizer from the caller`);
      return { kind: 'tokenize', tokenize };
  }
}

/**
 * Validates a JSON policy such as `{ "PAN": {"kind":"mask","keepLast":4}, "default": {"kind":"redact"} }`.
 * Keys for `hash` and the function for `tokenize` come from the caller. A CVV rule other than
 * redact or drop is accepted but overridden to redact when applied.
 * @throws PolicyError naming the offending key
 */
export function parsePolicy(
  json: unknown,
  hashKey?: Uint8Array,
  tokenize?: (value: string, type: EntityType) => string,
): RedactionPolicy {
  if (!isRecord(json))
    throw new PolicyError('policy: must be a JSON object keyed by entity type or "default"');
  const policy: RedactionPolicy = {};
  for (const [key, raw] of Object.entries(json)) {
    if (key !== 'default' && !(ENTITY_TYPES as readonly string[]).includes(key)) {
      throw new PolicyError(
        `policy.${keyName(key)}: unknown entity type (expected one of ${ENTITY_TYPES.join(', ')} or default)`,
      );
    }
    const where = `policy.${key}`;
    policy[key as EntityType | 'default'] = parseOperator(where, raw, hashKey, tokenize);
  }
  return policy;
}
