/**
 * The detectors compared on the corpus: Bulwark (public engine functions only) and the npm package
 * `redact-pii` (its `SyncRedactor`, built-in regexes and name list; no Google DLP).
 *
 * redact-pii returns only the redacted string, with placeholders such as `CREDIT_CARD_NUMBER`. Its
 * spans are recovered by aligning output against input: the output is split at placeholders into
 * literal pieces, and an anchored regex `^lit0(.+?)lit1(.+?)…$` over the input gives the replaced
 * substrings (lazy groups, so the leftmost-shortest alignment; literals are long in practice, so it
 * is unambiguous). A unit where the alignment fails counts as fully redacted by an untyped finding
 * (never happened on the seeds tried; counted in `alignmentFailures`).
 */
import { SyncRedactor } from 'redact-pii';
import { detect } from '../src/modules/redaction/engine/detect.ts';
import { detectCall } from '../src/modules/redaction/engine/pipeline.ts';
import type { Corpus } from './corpus.ts';
import type { Scored, Span } from './score.ts';

/** Bulwark: `detect` on chats and notes, `detectCall` on each call (cross-turn, spoken digits). */
export function runBulwark(c: Corpus): Scored[] {
  const out: Scored[] = [];
  for (const d of c.texts) {
    out.push({ doc: d.id, unit: d, findings: detect(d.text), medium: 'text' });
  }
  for (const call of c.calls) {
    const results = detectCall(call.utterances);
    results.forEach((r) => {
      out.push({
        doc: `${call.id}#${r.index}`,
        unit: call.units[r.index]!,
        findings: r.findings,
        medium: 'call',
      });
    });
  }
  return out;
}

/** redact-pii placeholder → our entity type (`OTHER` is never scored for precision/recall, only coverage). */
export const REDACT_PII_TYPES: Record<string, string> = {
  CREDIT_CARD_NUMBER: 'PAN',
  US_SOCIAL_SECURITY_NUMBER: 'US_SSN',
  PHONE_NUMBER: 'PHONE',
  EMAIL_ADDRESS: 'EMAIL',
  IP_ADDRESS: 'IP_ADDRESS',
  STREET_ADDRESS: 'POSTAL_ADDRESS',
  ZIPCODE: 'POSTAL_ADDRESS',
  PERSON_NAME: 'PERSON',
  DIGITS: 'OTHER',
  URL: 'OTHER',
  USERNAME: 'OTHER',
  PASSWORD: 'OTHER',
  CREDENTIALS: 'OTHER',
};
const PLACEHOLDER = new RegExp(`(${Object.keys(REDACT_PII_TYPES).join('|')})`, 'g');
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export type RedactPii = { redact(text: string): string; alignmentFailures: number };

export function createRedactPii(): RedactPii {
  const r = new SyncRedactor();
  return {
    redact: (text) => r.redact(text),
    alignmentFailures: 0,
  };
}

/** Spans replaced in `input` to give `output`, typed by placeholder. */
export function alignSpans(input: string, output: string): Span[] | null {
  const parts = output.split(PLACEHOLDER);
  // parts: lit0, ph1, lit1, ph2, lit2, …
  if (parts.length === 1) return output === input ? [] : null;
  let src = '^';
  const types: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) src += escapeRe(parts[i]!);
    else {
      src += '([\\s\\S]+?)';
      types.push(REDACT_PII_TYPES[parts[i]!]!);
    }
  }
  const m = new RegExp(`${src}$`, 'd').exec(input);
  if (!m?.indices) return null;
  const spans: Span[] = [];
  for (let g = 1; g < m.indices.length; g++) {
    const [start, end] = m.indices[g]!;
    spans.push({ type: types[g - 1]!, start, end, rule: 'redact-pii' });
  }
  return spans;
}

/** redact-pii on every chat, note and utterance (it has no notion of calls). */
export function runRedactPii(c: Corpus, rp: RedactPii = createRedactPii()): Scored[] {
  const out: Scored[] = [];
  const one = (doc: string, unit: Scored['unit'], medium: Scored['medium']) => {
    const output = rp.redact(unit.text);
    let spans = alignSpans(unit.text, output);
    if (spans === null) {
      rp.alignmentFailures++;
      spans = [{ type: 'OTHER', start: 0, end: unit.text.length, rule: 'redact-pii (unaligned)' }];
    }
    out.push({ doc, unit, findings: spans, medium });
  };
  for (const d of c.texts) one(d.id, d, 'text');
  for (const call of c.calls) {
    call.units.forEach((u, i) => {
      one(`${call.id}#${i}`, u, 'call');
    });
  }
  return out;
}
