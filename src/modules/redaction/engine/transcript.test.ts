import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectCall } from './pipeline.ts';
import { detectSpoken } from './spoken.ts';
import { groupPieces, joinPieces, type Piece, speakDigits, withLuhn, ZERO_WORDS } from './spoken-fixtures.ts';
import { normalizeSpokenDigits } from './spoken-numbers.ts';
import {
  analyzeTranscript,
  audioSpans,
  audioSpansOf,
  detectTranscript,
  parseTranscriptJsonl,
  TranscriptFormatError,
  type Utterance,
} from './transcript.ts';
import { DetectionLimitError, type Finding } from './types.ts';

const C = 'customer';
const A = 'agent';

/** Utterances 3 s apart, each 2.5 s long, with word timings split on spaces. */
function call(rows: Array<[speaker: string, text: string]>, gap = 3): Utterance[] {
  return rows.map(([speaker, text], i) => {
    const start = i * gap;
    const words = text
      .split(/\s+/)
      .filter((w) => w.length > 0)
      .map((w, k) => ({ w, start: start + k * 0.1, end: start + k * 0.1 + 0.08 }));
    return { call_id: 'c1', speaker, start, end: start + 2.5, text, words };
  });
}

const byIndex = (utterances: Utterance[]): Map<number, Finding[]> =>
  new Map(detectTranscript(utterances).map((r) => [r.index, r.findings]));

const redact = (text: string, findings: Finding[]): string => {
  let out = '';
  let at = 0;
  for (const f of [...findings].sort((a, b) => a.start - b.start)) {
    out += `${text.slice(at, Math.max(at, f.start))}[${f.type}]`;
    at = Math.max(at, f.end);
  }
  return out + text.slice(at);
};

/**
 * The streaming-safety check: in every customer turn, the findings cover every digit-bearing word,
 * so redacting them leaves no card digit recoverable by the normaliser.
 */
function expectNoCustomerDigitsLeft(utterances: Utterance[]): void {
  const found = byIndex(utterances);
  utterances.forEach((u, i) => {
    if (u.speaker !== C) return;
    const left = normalizeSpokenDigits(redact(u.text, found.get(i) ?? [])).digits;
    expect(left, `turn ${i}: ${u.text}`).toBe('');
  });
}

/** Digits spoken across the PAN findings of all turns, in order. */
function panDigits(utterances: Utterance[], rule = 'pan.spoken.multiturn'): string {
  let out = '';
  for (const r of detectTranscript(utterances)) {
    for (const f of r.findings) {
      if (f.type === 'PAN' && f.rule === rule) {
        out += normalizeSpokenDigits(utterances[r.index]!.text.slice(f.start, f.end)).digits;
      }
    }
  }
  return out;
}

const VISA = '4111111111111111';
const MC = '5555555555554444';
const AMEX = '378282246310005';

describe('detectTranscript: PAN split across turns', () => {
  it('joins 2 customer turns with an agent backchannel between', () => {
    const t = call([
      [A, 'Can I take the card number?'],
      [C, 'yes it is four one one one one one one one'],
      [A, 'mm-hmm'],
      [C, 'one one one one one one one one'],
    ]);
    const found = byIndex(t);
    expect(found.get(1)).toEqual([
      expect.objectContaining({ type: 'PAN', rule: 'pan.spoken.multiturn', score: 0.95 }),
    ]);
    expect(found.get(3)).toEqual([
      expect.objectContaining({ type: 'PAN', rule: 'pan.spoken.multiturn', score: 0.95 }),
    ]);
    expect(panDigits(t)).toBe(VISA);
    expect(t[1]!.text.slice(found.get(1)![0]!.start, found.get(1)![0]!.end)).toBe(
      'four one one one one one one one',
    );
    expectNoCustomerDigitsLeft(t);
  });

  it('joins 3 turns read tens-style, with several backchannels', () => {
    const t = call([
      [C, 'fifty five fifty five, fifty five fifty five'],
      [A, 'okay, got it'],
      [C, 'fifty five fifty five'],
      [A, 'uh-huh, and the next four'],
      [C, 'forty four forty four'],
    ]);
    const found = byIndex(t);
    expect([...found.keys()]).toEqual([0, 2, 4]);
    expect(panDigits(t)).toBe(MC);
    expect(found.get(0)![0]).toMatchObject({ score: 0.85 });
    expectNoCustomerDigitsLeft(t);
  });

  it('joins 4 turns with mixed forms, fillers and a self-correction', () => {
    const t = call([
      [A, 'go ahead with the long number'],
      [C, 'um, three seven eight two'],
      [A, 'right'],
      [C, 'eight two two, uh, four six'],
      [A, 'yes'],
      [C, "3 1 seven, sorry, that's oh"],
      [A, 'thank you, continue'],
      [C, 'and double oh five'],
    ]);
    const found = byIndex(t);
    expect([...found.keys()]).toEqual([1, 3, 5, 7]);
    expect(panDigits(t)).toBe(AMEX);
    expectNoCustomerDigitsLeft(t);
  });

  it('joins consecutive turns of the same speaker with nothing between', () => {
    const t = call([
      [C, 'four one one one, one one one one'],
      [C, 'one one one one'],
      [C, 'one one one one'],
    ]);
    expect(panDigits(t)).toBe(VISA);
    expectNoCustomerDigitsLeft(t);
  });

  it('does not join across a non-backchannel agent sentence', () => {
    const t = call([
      [C, 'four one one one one one one one'],
      [A, "what's your postcode?"],
      [C, 'one one one one one one one one'],
    ]);
    expect(detectTranscript(t)).toEqual([]);
  });

  it('does not join across a customer sentence with other words', () => {
    const t = call([
      [C, 'four one one one one one one one'],
      [C, 'hang on my dog is barking'],
      [C, 'one one one one one one one one'],
    ]);
    expect(detectTranscript(t)).toEqual([]);
  });

  it('does not join turns of different speakers', () => {
    const t = call([
      [C, 'four one one one one one one one'],
      [A, 'one one one one one one one one'],
    ]);
    expect(detectTranscript(t)).toEqual([]);
  });

  it('does not join more than 4 turns', () => {
    const t = call([
      [C, 'four one one one'],
      [A, 'okay'],
      [C, 'one one one'],
      [A, 'okay'],
      [C, 'one one one'],
      [A, 'okay'],
      [C, 'one one one'],
      [A, 'okay'],
      [C, 'one one one'],
    ]);
    expect(panDigits(t)).not.toBe(VISA);
  });

  it('does not join parts more than 60 seconds apart', () => {
    const t = call(
      [
        [C, 'four one one one one one one one'],
        [A, 'okay'],
        [C, 'one one one one one one one one'],
      ],
      40,
    );
    expect(detectTranscript(t)).toEqual([]);
  });

  it('does not join when the first turn goes on with other words', () => {
    const t = call([
      [C, 'four one one one one one one one is what I have'],
      [A, 'okay'],
      [C, 'one one one one one one one one'],
    ]);
    expect(detectTranscript(t)).toEqual([]);
  });

  it('replaces a wrong single-turn PAN that a continuation extends', () => {
    // The first turn alone holds a Luhn-valid 13-digit Visa; the real card goes on in the next turn.
    const pan = withLuhn('422222222222220');
    const first = pan.slice(0, 14);
    expect(first.length).toBe(14);
    const t = call([
      [C, speakDigits(first)],
      [A, 'okay'],
      [C, speakDigits(pan.slice(14))],
    ]);
    expectNoCustomerDigitsLeft(t);
  });
});

describe('detectCall: several calls in one file', () => {
  it('joins a split card within one call only, even when the calls interleave', () => {
    const one = call([
      [A, 'Can I take the card number?'],
      [C, 'yes it is four one one one one one one one'],
      [A, 'mm-hmm'],
      [C, 'one one one one one one one one'],
    ]);
    // The same turns, but the second half belongs to another call.
    const mixed = one.map((u, i) => (i >= 2 ? { ...u, call_id: 'c2' } : u));
    const types = (rs: ReturnType<typeof detectCall>) => rs.map((r) => r.findings.map((f) => f.rule));
    expect(types(detectCall(one))[3]).toEqual(['pan.spoken.multiturn']);
    expect(types(detectCall(mixed))[3]).toEqual([]);
    expect(detectCall(mixed).map((r) => r.index)).toEqual([0, 1, 2, 3]);
    // Interleaved with a third call, the first call still joins.
    const interleaved = [one[0]!, { ...one[1]!, call_id: 'c9', text: 'hello' }, one[1]!, one[2]!, one[3]!];
    expect(types(detectCall(interleaved))[4]).toEqual(['pan.spoken.multiturn']);
  });
});

describe('detectCall: identifiers asked for in the previous turn', () => {
  it('finds a phone number read out after the agent asks for it', () => {
    const t = call([
      [A, "And what's the best number to reach you on?"],
      [C, "it's three four three, eight oh oh, nine four two nine"],
    ]);
    expect(detectCall(t)[1]!.findings).toEqual([
      expect.objectContaining({ type: 'PHONE', rule: 'phone.spoken', start: 5 }),
    ]);
  });
});

describe('detectTranscript: CVV and expiry across turns', () => {
  it('uses the agent question as the cue and the PAN as context', () => {
    const t = call([
      [A, 'Can I take the long card number please?'],
      [C, 'Sure, it is four one one one'],
      [A, 'mm-hmm'],
      [C, 'one one one one'],
      [A, 'okay, and the next four'],
      [C, 'one one one one'],
      [A, 'go ahead'],
      [C, 'one one one one, and it expires oh four twenty seven'],
      [A, "and what's the security code on the back?"],
      [C, 'one two three'],
    ]);
    const found = byIndex(t);
    expect(found.get(7)!.map((f) => f.type)).toEqual(['PAN', 'CARD_EXPIRY']);
    expect(found.get(9)).toEqual([expect.objectContaining({ type: 'CVV', rule: 'cvv.spoken' })]);
    expectNoCustomerDigitsLeft(t);
  });

  it('finds an expiry the customer gives after the agent asks', () => {
    const t = call([
      [A, "what's the expiry date?"],
      [C, 'um April twenty seven'],
    ]);
    expect(byIndex(t).get(1)).toEqual([expect.objectContaining({ type: 'CARD_EXPIRY' })]);
  });

  it('does not treat the agent numbers after a PAN as the customer expiry', () => {
    const t = call([
      [C, speakDigits(VISA)],
      [A, 'that will be ten thirty delivery'],
    ]);
    expect(byIndex(t).get(1)).toBeUndefined();
  });

  it('finds single-turn PANs too', () => {
    const t = call([[C, `it's ${speakDigits(VISA)}`]]);
    expect(byIndex(t).get(0)).toEqual([expect.objectContaining({ type: 'PAN', rule: 'pan.spoken' })]);
  });
});

describe('detectTranscript: limits', () => {
  it('throws DetectionLimitError when the texts exceed the limit', () => {
    const t = call([[C, 'four one one one']]);
    expect(() => detectTranscript(t, { maxInputChars: 4 })).toThrow(DetectionLimitError);
  });
});

describe('audioSpans', () => {
  const t = call([
    [C, 'um it is four one one one'],
    [A, 'okay'],
    [C, 'one one one one one one one one one one one one thanks'],
  ]);

  it('maps a finding to the timings of the words it covers', () => {
    const found = byIndex(t);
    const f0 = found.get(0)![0]!;
    const w0 = t[0]!.words!;
    expect(audioSpans(t[0]!, f0)).toEqual({ start: w0[3]!.start, end: w0[6]!.end });
    const f2 = found.get(2)![0]!;
    const w2 = t[2]!.words!;
    expect(audioSpans(t[2]!, f2)).toEqual({ start: w2[0]!.start, end: w2[11]!.end });
  });

  it('covers a word by any overlap', () => {
    const u = t[0]!;
    expect(audioSpans(u, { start: 10, end: 11 })).toEqual({
      start: u.words![3]!.start,
      end: u.words![3]!.end,
    });
  });

  it('falls back to the whole utterance without word timings', () => {
    const { words: _, ...bare } = t[0]!;
    expect(audioSpans(bare, { start: 9, end: 25 })).toEqual({ start: 0, end: 2.5 });
  });

  it('falls back to the whole utterance when a word cannot be placed', () => {
    const u: Utterance = {
      ...t[0]!,
      words: [
        { w: 'four', start: 0.3, end: 0.4 },
        { w: 'FIVE', start: 0.5, end: 0.6 },
      ],
    };
    expect(audioSpans(u, { start: 9, end: 25 })).toEqual({ start: 0, end: 2.5 });
  });

  it('falls back to the whole utterance when the words do not reach the end of the finding', () => {
    const u: Utterance = { ...t[0]!, words: [{ w: 'four', start: 0.3, end: 0.4 }] };
    expect(audioSpans(u, { start: 9, end: 25 })).toEqual({ start: 0, end: 2.5 });
  });

  it('gives per finding what audioSpans gives when locating the words once (audioSpansOf)', () => {
    const u = t[0]!;
    const findings = [
      { start: 0, end: 2 },
      { start: 10, end: 11 },
      { start: 9, end: 25 },
      { start: 24, end: 25 },
      { start: 3, end: 14 },
    ];
    const variants: Utterance[] = [
      u,
      { ...u, words: [] },
      { ...u, words: [{ w: '', start: 0.1, end: 0.2 }, ...u.words!] },
      // A word that cannot be placed: findings before it keep their words, later ones are whole.
      { ...u, words: [...u.words!.slice(0, 4), { w: 'FIVE', start: 0.5, end: 0.6 }, ...u.words!.slice(4)] },
      { ...u, words: [{ w: 'four', start: 0.3, end: 0.4 }] },
    ];
    for (const v of variants)
      expect(audioSpansOf(v, findings)).toEqual(findings.map((f) => audioSpans(v, f)));
  });
});

describe('parseTranscriptJsonl', () => {
  const line = (o: object): string => JSON.stringify(o);
  const ok = { call_id: 'c1', speaker: 'customer', start: 1, end: 2.5, text: 'four one one one' };

  it('parses utterances with and without words, ignoring trailing blank lines', () => {
    const words = [{ w: 'four', start: 1, end: 1.2 }];
    const text = `${line(ok)}\r\n${line({ ...ok, words, extra: 'dropped' })}\n\n`;
    expect(parseTranscriptJsonl(text)).toEqual([ok, { ...ok, words }]);
  });

  it('accepts empty input', () => {
    expect(parseTranscriptJsonl('')).toEqual([]);
  });

  const bad: Array<[string, string, number, string | null]> = [
    ['invalid JSON', `${line(ok)}\n{"call_id": "c1", four one`, 2, null],
    ['an array', '[1,2]', 1, null],
    ['a blank line in the middle', `${line(ok)}\n\n${line(ok)}`, 2, null],
    ['missing call_id', line({ ...ok, call_id: undefined }), 1, 'call_id'],
    ['empty speaker', line({ ...ok, speaker: '' }), 1, 'speaker'],
    ['text not a string', line({ ...ok, text: 4111 }), 1, 'text'],
    ['start not a number', line({ ...ok, start: '1' }), 1, 'start'],
    ['negative end', line({ ...ok, end: -1 }), 1, 'end'],
    ['end before start', line({ ...ok, start: 3, end: 2 }), 1, 'end'],
    ['words not an array', line({ ...ok, words: 'four' }), 1, 'words'],
    ['word not an object', line({ ...ok, words: ['four'] }), 1, 'words[0]'],
    ['word w missing', line({ ...ok, words: [{ start: 1, end: 2 }] }), 1, 'words[0].w'],
    ['word end missing', line({ ...ok, words: [{ w: 'a', start: 1 }] }), 1, 'words[0].end'],
    ['word end before start', line({ ...ok, words: [{ w: 'a', start: 2, end: 1 }] }), 1, 'words[0].end'],
  ];
  it.each(bad)('rejects %s with line and field', (_, text, lineNo, field) => {
    let error: unknown;
    try {
      parseTranscriptJsonl(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TranscriptFormatError);
    const e = error as TranscriptFormatError;
    expect(e.line).toBe(lineNo);
    expect(e.field).toBe(field);
    expect(e.message).toContain(`line ${lineNo}`);
    if (field) expect(e.message).toContain(field);
    expect(e.message).not.toMatch(/four|4111/);
  });
});

const BACKCHANNEL_TURNS = [
  'okay',
  'mm-hmm',
  'uh-huh',
  'yes',
  'go ahead',
  'got it',
  'right',
  'sure',
  'thank you',
  'and the next four',
  'continue',
  'Okay, go ahead.',
];
const SEPARATORS = [' ', ' ', ', ', ' um ', ' uh, ', ' you know, ', '. '];

const cardArb = fc
  .tuple(
    fc.boolean(),
    fc.integer({ min: 51, max: 55 }),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 14, maxLength: 14 }),
  )
  .map(([visa, mc, rest]) => withLuhn(((visa ? '4' : String(mc)) + rest.join('')).slice(0, 15)));

/** A random card read over 2–4 customer turns, with random backchannels between. */
const splitCallArb = cardArb.chain((pan) =>
  fc
    .record({
      styles: fc.array(fc.constantFrom('digits', 'words', 'pairs', 'repeats' as const), {
        minLength: 4,
        maxLength: 4,
      }),
      zero: fc.constantFrom(...ZERO_WORDS),
      seps: fc.array(fc.constantFrom(...SEPARATORS), { minLength: 20, maxLength: 20 }),
      parts: fc.integer({ min: 2, max: 4 }),
      cuts: fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 3, maxLength: 3 }),
      backchannels: fc.array(fc.array(fc.constantFrom(...BACKCHANNEL_TURNS), { maxLength: 2 }), {
        minLength: 3,
        maxLength: 3,
      }),
      lead: fc.constantFrom('', 'my card number is ', 'sure, it is ', 'yeah '),
    })
    .map((r) => {
      const pieces: Piece[] = pan.match(/.{4}/g)!.flatMap((g, i) => groupPieces(g, r.styles[i]!, r.zero));
      const bounds = [
        ...new Set(r.cuts.slice(0, r.parts - 1).map((c) => 1 + (c % (pieces.length - 1)))),
      ].sort((a, b) => a - b);
      const turns: string[] = [];
      let at = 0;
      for (const b of [...bounds, pieces.length]) {
        turns.push(joinPieces(pieces.slice(at, b), r.seps));
        at = b;
      }
      const rows: Array<[string, string]> = [];
      turns.forEach((text, k) => {
        if (k > 0) for (const bc of r.backchannels[k - 1]!) rows.push([A, bc]);
        rows.push([C, k === 0 ? `${r.lead}${text}` : text]);
      });
      return { pan, rows };
    }),
);

describe('detectTranscript: generated split readings (fast-check)', () => {
  it('finds the card in every part and leaves no card digit in any customer turn', () => {
    fc.assert(
      fc.property(splitCallArb, ({ pan, rows }) => {
        const t = call(rows);
        const found = byIndex(t);
        t.forEach((u, i) => {
          if (u.speaker === C)
            expect(
              found.get(i)?.some((f) => f.type === 'PAN'),
              u.text,
            ).toBe(true);
        });
        const digits = detectTranscript(t)
          .flatMap((r) =>
            r.findings.filter((f) => f.type === 'PAN').map((f) => t[r.index]!.text.slice(f.start, f.end)),
          )
          .map((s) => normalizeSpokenDigits(s).digits)
          .join('');
        expect(digits).toBe(pan);
        expectNoCustomerDigitsLeft(t);
      }),
      { numRuns: 500 },
    );
  });
});

describe('analyzeTranscript: single-text findings', () => {
  it('equal detectSpoken for every turn, whether an earlier turn reaches it or not', () => {
    const utterances = call([
      [A, 'What is the CVV?'],
      [C, 'four two seven'],
      [A, 'And the card number please'],
      [C, 'four one one one one one one one'],
      [A, 'okay'],
      [C, 'one one one one one one one one'],
      [A, 'Thanks. How long have you been a customer?'],
      [C, 'about four two seven days'],
      [C, 'nine eight seven six'],
    ]);
    const { single, multi } = analyzeTranscript(utterances, {}, true);
    for (const [i, u] of utterances.entries()) expect(single[i], `turn ${i}`).toEqual(detectSpoken(u.text));
    // The call-level pass still sees the cues and the split card.
    const types = multi.flatMap((r) => r.findings.map((f) => `${r.index}:${f.type}`));
    expect(types).toEqual(expect.arrayContaining(['1:CVV', '3:PAN', '5:PAN']));
  });
});
