import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactText } from './detect.ts';
import { redactDocument } from './documents.ts';
import type { RedactionPolicy } from './mask.ts';
import { createTextRedactor, createTranscriptRedactor, redactTextStream } from './stream.ts';
import { isBackchannelText } from './stream-transcript.ts';
import { detectTranscript, type Utterance } from './transcript.ts';
import { DetectionLimitError } from './types.ts';

const FIXTURE = readFileSync(
  new URL('../../../../test/fixtures/call-with-card.jsonl', import.meta.url),
  'utf8',
);

/** Streams `text` cut at `cuts` (sorted offsets) through a fresh text redactor. */
function streamText(text: string, cuts: number[], policy?: RedactionPolicy): string {
  const r = createTextRedactor(policy);
  let out = '';
  let at = 0;
  for (const c of [...cuts, text.length]) {
    out += r.push(text.slice(at, c));
    at = c;
  }
  return out + r.end();
}

/** Streams a JSONL transcript cut at `cuts`, joined like `redactDocument` output. */
function streamTranscript(text: string, cuts: number[]): string {
  const r = createTranscriptRedactor();
  const lines: string[] = [];
  let at = 0;
  for (const c of [...cuts, text.length]) {
    lines.push(...r.push(text.slice(at, c)));
    at = c;
  }
  lines.push(...r.end());
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

const PLAIN = [
  'hello',
  'the',
  'bill',
  'please',
  'account',
  'thanks.',
  'today,',
  'we',
  'will',
  'call',
  'back',
];
const PANS = [
  '4111111111111111',
  '4111 1111 1111 1111',
  '4111-1111-1111-1111',
  '5555 5555 5555 4444',
  '3782 822463 10005',
  '6011.1111.1111.1117',
];
const SPOKEN_PAN = 'my card is four one one one, one one one one, one one one one, one one one one thanks';
const OTHER = [
  'pat.lee@example.com',
  'call me on (555) 123-4567',
  '+1 415 555 0132',
  'the cvv is 737',
  'security code one two three',
  'expiry 12/28',
  'my ssn is 536-90-4399',
  'the order number is 1234567890',
];

/** A word sequence long enough that the redactor cuts before the end (more than HOLD_TOKENS). */
const filler = (n: number): string => Array.from({ length: n }, (_, i) => PLAIN[i % PLAIN.length]).join(' ');

const TEXTS = [
  `${filler(40)} my card number is 4111 1111 1111 1111 and the expiry is 12/28, cvv 123. ${filler(30)}`,
  `${filler(30)}. Sure, ${SPOKEN_PAN}. ${filler(35)}`,
  `${filler(28)}\nemail pat.lee@example.com, card 5555-5555-5555-4444\n${filler(28)} 4111111111111111`,
];

describe('createTextRedactor', () => {
  it('redacts a card split across chunks', () => {
    const r = createTextRedactor();
    expect(r.push('card 4111 1111 ') + r.push('1111 1111') + r.end()).toBe('card [PAN]');
  });

  it('emits before the end once enough text follows a safe gap, and holds the tail back', () => {
    const r = createTextRedactor();
    const out = r.push(`${filler(60)} 4111 1111 1111`);
    expect(out.length).toBeGreaterThan(0);
    expect(out).not.toMatch(/\d/);
    expect(out + r.push(' 1111 done') + r.end()).toBe(
      redactText(`${filler(60)} 4111 1111 1111 1111 done`).text,
    );
  });

  it('matches one-shot redaction under a mask policy too', () => {
    const policy: RedactionPolicy = { PAN: { kind: 'mask', keepLast: 4 } };
    const text = TEXTS[0]!;
    for (let i = 0; i <= text.length; i += 7) {
      expect(streamText(text, [i], policy)).toBe(redactText(text, policy).text);
    }
  });

  // (b) every split point of every fixed text, and a sample of three-way splits.
  it.each(TEXTS.map((t, i) => [i, t] as const))('every 2-way split of text %i equals one-shot', (_, text) => {
    const expected = redactText(text).text;
    expect(expected).not.toMatch(/4111|1111|5555|4444|\bone\b|\bfour\b/);
    for (let i = 0; i <= text.length; i++) expect(streamText(text, [i])).toBe(expected);
  });

  it.each(TEXTS.map((t, i) => [i, t] as const))(
    'sampled 3-way splits of text %i equal one-shot',
    (_, text) => {
      const expected = redactText(text).text;
      fc.assert(
        fc.property(fc.nat(text.length), fc.nat(text.length), (a, b) => {
          expect(streamText(text, [Math.min(a, b), Math.max(a, b)])).toBe(expected);
        }),
        { numRuns: 300 },
      );
    },
  );

  // (a) random texts from fragments, random chunkings.
  it('equals redactText for random texts and chunkings and never emits a PAN', () => {
    const fragment = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...PLAIN) },
      { weight: 1, arbitrary: fc.constantFrom(...PANS) },
      { weight: 1, arbitrary: fc.constant(SPOKEN_PAN) },
      { weight: 2, arbitrary: fc.constantFrom(...OTHER) },
    );
    const textArb = fc
      .array(fc.tuple(fragment, fc.constantFrom(' ', ' ', ', ', '. ', '\n')), { maxLength: 80 })
      .map((parts) => parts.map(([f, sep]) => f + sep).join(''));
    fc.assert(
      fc.property(
        textArb.chain((text) =>
          fc.tuple(fc.constant(text), fc.uniqueArray(fc.nat(text.length), { maxLength: 12 })),
        ),
        ([text, cuts]) => {
          const out = streamText(
            text,
            [...cuts].sort((a, b) => a - b),
          );
          expect(out).toBe(redactText(text).text);
          for (const pan of PANS) expect(out).not.toContain(pan);
          expect(out).not.toContain('four one one one');
        },
      ),
      { numRuns: 200 },
    );
  });

  // (c) no safe boundary: fail closed.
  it('throws DetectionLimitError and emits nothing when no safe cut point exists', () => {
    const r = createTextRedactor();
    const digits = '4 1 '.repeat(25_000); // 100 KB of digits and single spaces
    let out = '';
    const chunk = 1000;
    let thrown: unknown = null;
    try {
      for (let i = 0; i < digits.length; i += chunk) out += r.push(digits.slice(i, i + chunk));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DetectionLimitError);
    expect(out).toBe('');
    expect(() => r.push('more')).toThrow(DetectionLimitError);
    expect(() => r.end()).toThrow(DetectionLimitError);
  });

  it('honours a smaller maxHoldbackChars', () => {
    const r = createTextRedactor(undefined, { maxHoldbackChars: 100 });
    expect(() => r.push('1 '.repeat(60))).toThrow(DetectionLimitError);
  });

  it('keeps memory bounded on long plain input', () => {
    const r = createTextRedactor();
    let emitted = 0;
    for (let i = 0; i < 2000; i++) emitted += r.push(`${filler(10)} `).length;
    // Everything but the hold-back has been emitted.
    expect(emitted).toBeGreaterThan(2000 * filler(10).length - 1000);
  });

  it('redactTextStream yields the redacted text', async () => {
    async function* source() {
      yield 'card 4111 11';
      yield '11 1111 1111 ok';
    }
    let out = '';
    for await (const s of redactTextStream(source())) out += s;
    expect(out).toBe('card [PAN] ok');
  });
});

/** A longer call: small talk, a card read over three customer turns, a CVV, more small talk. */
function longCall(): string {
  const turns: Array<[string, string]> = [];
  for (let i = 0; i < 6; i++)
    turns.push(i % 2 ? ['customer', 'yes I can hear you'] : ['agent', 'can you hear me']);
  turns.push(
    ['agent', 'what is the card number?'],
    ['customer', 'five five five five'],
    ['agent', 'okay'],
    ['customer', 'five five five five, five five five five'],
    ['agent', 'go ahead'],
    ['customer', 'four four four four'],
    ['agent', 'and the security code?'],
    ['customer', 'seven three seven'],
  );
  for (let i = 0; i < 10; i++) turns.push([i % 2 ? 'customer' : 'agent', 'thanks, anything else']);
  const lines = turns.map(([speaker, text], i) =>
    JSON.stringify({ call_id: 'c-200', speaker, start: i * 3, end: i * 3 + 2, text }),
  );
  return `${lines.join('\n')}\n`;
}

describe('createTranscriptRedactor', () => {
  const reference = (text: string): string => redactDocument(text, 'transcript').output;

  it('redacts the fixture card spoken across two turns', () => {
    const out = streamTranscript(FIXTURE, []);
    expect(out).toBe(reference(FIXTURE));
    expect(out).not.toMatch(/\bone\b|\bfour\b/);
  });

  it('equals one-shot redaction at every 2-way split of the fixture', () => {
    const expected = reference(FIXTURE);
    expect(expected).not.toMatch(/\bone\b|\bfour\b/);
    for (let i = 0; i <= FIXTURE.length; i++) expect(streamTranscript(FIXTURE, [i])).toBe(expected);
  });

  it('equals one-shot redaction for sampled 3-way splits of the fixture', () => {
    const expected = reference(FIXTURE);
    fc.assert(
      fc.property(fc.nat(FIXTURE.length), fc.nat(FIXTURE.length), (a, b) => {
        expect(streamTranscript(FIXTURE, [Math.min(a, b), Math.max(a, b)])).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('equals one-shot redaction on a longer call under random chunkings, holding at most 8 lines', () => {
    const call = longCall();
    const expected = reference(call);
    expect(expected).not.toMatch(/\bfive\b|\bfour\b|\bseven\b/);
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(call.length), { maxLength: 20 }), (cuts) => {
        expect(
          streamTranscript(
            call,
            [...cuts].sort((a, b) => a - b),
          ),
        ).toBe(expected);
      }),
      { numRuns: 200 },
    );
    // Line by line: hold-back never exceeds 8 utterances.
    const r = createTranscriptRedactor();
    const lines = call.trimEnd().split('\n');
    let emitted = 0;
    lines.forEach((l, i) => {
      emitted += r.push(`${l}\n`).length;
      expect(i + 1 - emitted).toBeLessThanOrEqual(8);
    });
    expect(emitted + r.end().length).toBe(lines.length);
  });

  // The backchannel list is mirrored from transcript.ts; this catches the two drifting apart.
  it.each([
    'mm-hmm',
    'okay',
    'go ahead',
    'and the next four',
    'thank you',
    'uh huh',
    'what was that',
    'the card please',
    'hold on',
  ])('isBackchannelText(%j) agrees with detectTranscript joining', (phrase) => {
    const u = (speaker: string, start: number, text: string): Utterance => ({
      call_id: 'c',
      speaker,
      start,
      end: start + 1,
      text,
    });
    const call = [
      u('customer', 0, 'four one one one one one one one'),
      u('agent', 2, phrase),
      u('customer', 4, 'one one one one one one one one'),
    ];
    const joined = detectTranscript(call).some((r) =>
      r.findings.some((f) => f.rule === 'pan.spoken.multiturn'),
    );
    expect(isBackchannelText(phrase)).toBe(joined);
  });

  it('numbers malformed lines within the whole stream', () => {
    const r = createTranscriptRedactor();
    const first = FIXTURE.split('\n')[0]!;
    r.push(`${first}\n`);
    expect(() => r.push('{"call_id":"c"}\n')).toThrow(/transcript line 2/);
  });

  it('refuses a blank line before more utterances', () => {
    const r = createTranscriptRedactor();
    const first = FIXTURE.split('\n')[0]!;
    expect(() => r.push(`${first}\n\n${first}\n`)).toThrow(/transcript line 2: is blank/);
  });
});
