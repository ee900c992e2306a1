import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectSpoken } from './spoken.ts';
import {
  type GroupStyle,
  groupPieces,
  joinPieces,
  NETWORK_PANS,
  type Piece,
  speakDigits,
  speakPair,
  withLuhn,
  ZERO_WORDS,
} from './spoken-fixtures.ts';
import { normalizeSpokenDigits } from './spoken-numbers.ts';
import { DetectionLimitError, type Finding } from './types.ts';

const pans = (text: string): Finding[] => detectSpoken(text).filter((f) => f.type === 'PAN');
const ofType = (text: string, type: Finding['type']): string[] =>
  detectSpoken(text)
    .filter((f) => f.type === type)
    .map((f) => text.slice(f.start, f.end));

/** Replaces every finding with a placeholder that holds no digit word. */
const redact = (text: string, findings: Finding[]): string => {
  let out = '';
  let at = 0;
  for (const f of [...findings].sort((a, b) => a.start - b.start)) {
    out += `${text.slice(at, Math.max(at, f.start))}[${f.type}]`;
    at = Math.max(at, f.end);
  }
  return out + text.slice(at);
};

/** The PAN was found, as spoken digits equal to `pan`, and redacting leaves no digit behind. */
function expectCardFound(text: string, pan: string): void {
  const found = pans(text);
  expect(found.map((f) => normalizeSpokenDigits(text.slice(f.start, f.end)).digits)).toContain(pan);
  expect(normalizeSpokenDigits(redact(text, detectSpoken(text))).digits).toBe('');
}

/** Every digit group spoken the tens way ("forty one eleven"). */
const speakPairs = (pan: string): string =>
  joinPieces(
    pan.match(/.{1,4}/g)!.flatMap((g) => groupPieces(g, 'pairs')),
    [' '],
  );

describe('detectSpoken: card numbers of every network', () => {
  for (const [network, pan] of NETWORK_PANS) {
    describe(`${network} ${pan.length} digits`, () => {
      it('all words', () => {
        expectCardFound(`my card number is ${speakDigits(pan)}`, pan);
      });
      it('all words with "zero"', () => {
        expectCardFound(`it's ${speakDigits(pan, 'zero')} thanks`, pan);
      });
      it('grouped tens-style', () => {
        expectCardFound(`sure, ${speakPairs(pan)}`, pan);
      });
      it('double and triple', () => {
        const text = joinPieces(
          pan.match(/.{1,4}/g)!.flatMap((g) => groupPieces(g, 'repeats')),
          [', '],
        );
        expectCardFound(`ok it is ${text}.`, pan);
      });
      it('mixed digits and words', () => {
        const styles: GroupStyle[] = ['digits', 'words', 'pairs', 'digits', 'words'];
        const text = joinPieces(pan.match(/.{1,4}/g)!.flatMap((g, i) => groupPieces(g, styles[i]!)));
        expectCardFound(`the number is ${text} okay`, pan);
      });
      it('with fillers', () => {
        const pieces = pan.match(/.{1,4}/g)!.flatMap((g) => groupPieces(g, 'words'));
        expectCardFound(
          `um yeah ${joinPieces(pieces, [' ', ' um ', ', uh, ', ' like ', ' you know '])}`,
          pan,
        );
      });
      it('with a self-correction', () => {
        const i = 5;
        const wrong = pan[i] === '7' ? '8' : '7';
        const text = `${speakDigits(pan.slice(0, i))} ${speakDigits(wrong)}, sorry, that's ${speakDigits(pan[i]!)}, ${speakDigits(pan.slice(i + 1))}`;
        expectCardFound(text, pan);
      });
    });
  }
});

describe('detectSpoken: PAN scoring and spans', () => {
  const visa = '4111111111111111';

  it('scores 0.95 with a card cue and 0.85 without', () => {
    expect(pans(`card number ${speakDigits(visa)}`)[0]).toMatchObject({ score: 0.95, rule: 'pan.spoken' });
    expect(pans(`${speakDigits(visa)} is my visa`)[0]).toMatchObject({ score: 0.95 });
    expect(pans(`it is ${speakDigits(visa)}`)[0]).toMatchObject({ score: 0.85, rule: 'pan.spoken' });
  });

  it('spans from the first to the last word of the number', () => {
    const text = 'it is forty one eleven, double one double one, eleven eleven, one one one one, thanks';
    const [f] = pans(text);
    expect(text.slice(f!.start, f!.end)).toBe(
      'forty one eleven, double one double one, eleven eleven, one one one one',
    );
  });

  it('covers the words of a self-correction', () => {
    const text = "it's four one one one one one one one one one one one one one one seven sorry that's one";
    const [f] = pans(text);
    expect(text.slice(f!.start, f!.end)).toBe(text.slice(5));
    const not =
      "it's four one one one one one one one one one one one one one one seven, sorry, that's one not seven";
    const [g] = pans(not);
    expect(not.slice(g!.start, g!.end)).toBe(not.slice(5));
  });

  it('finds two cards in one text', () => {
    const text = `my visa is ${speakDigits(visa)} and the other is ${speakPairs('5555555555554444')}`;
    expect(pans(text)).toHaveLength(2);
  });

  it('cuts a PAN followed by more digits in the same run', () => {
    const text = `${speakDigits(visa)} oh four twenty seven one two three`;
    expect(ofType(text, 'PAN')).toEqual([speakDigits(visa)]);
    expect(ofType(text, 'CARD_EXPIRY')).toEqual(['oh four twenty seven']);
    expect(ofType(text, 'CVV')).toEqual(['one two three']);
  });

  it('flags a card-cued 16-digit run that fails Luhn as a candidate (one misheard digit)', () => {
    const text = `my card number is ${speakDigits('4111111111111112')}`;
    expect(pans(text)).toEqual([expect.objectContaining({ rule: 'pan.spoken.candidate', score: 0.6 })]);
  });
});

describe('detectSpoken: CVV', () => {
  it.each([
    ['the security code is one two three', 'one two three'],
    ['CVV: four five six', 'four five six'],
    ['my cvc is 7 eight 9', '7 eight 9'],
    ['the three digits on the back are nine nine one', 'nine nine one'],
    ['and the code on the back is double four seven', 'double four seven'],
    ['the security code, um, one two three four', 'one two three four'],
  ])('%s', (text, cvv) => {
    expect(ofType(text, 'CVV')).toEqual([cvv]);
  });

  it('finds a CVV within 30 tokens after a spoken PAN with no cue', () => {
    const text = `${speakDigits('4111111111111111')}, that's it, and then one two three`;
    expect(ofType(text, 'CVV')).toEqual(['one two three']);
  });

  it('needs a cue or a PAN', () => {
    expect(ofType('I have one two three apples', 'CVV')).toEqual([]);
    expect(ofType('the security code is one two', 'CVV')).toEqual([]);
    const far = `${speakDigits('4111111111111111')} ${'and so on '.repeat(12)} one two three`;
    expect(ofType(far, 'CVV')).toEqual([]);
  });
});

describe('detectSpoken: expiry', () => {
  it.each([
    ['expiry oh four twenty seven', 'oh four twenty seven'],
    ['expires April twenty seven', 'April twenty seven'],
    ['the expiration date is zero four slash two seven', 'zero four slash two seven'],
    ['expires oh four two seven', 'oh four two seven'],
    ['valid thru 04/27', '04/27'],
    ['expiry date twelve twenty five', 'twelve twenty five'],
    ['it expires four twenty seven', 'four twenty seven'],
    ['valid through April of twenty twenty seven', 'April of twenty twenty seven'],
    ['expiry oh four twenty twenty seven', 'oh four twenty twenty seven'],
  ])('%s', (text, expiry) => {
    expect(ofType(text, 'CARD_EXPIRY')).toEqual([expiry]);
  });

  it('finds an expiry right after a PAN with no cue', () => {
    const text = `${speakDigits('5555555555554444')}, oh four twenty seven`;
    expect(ofType(text, 'CARD_EXPIRY')).toEqual(['oh four twenty seven']);
    const month = `${speakDigits('5555555555554444')} and it's April twenty seven`;
    expect(ofType(month, 'CARD_EXPIRY')).toEqual(['April twenty seven']);
  });

  it('ignores dates and invalid months with no cue or PAN', () => {
    expect(ofType('see you April twenty seven', 'CARD_EXPIRY')).toEqual([]);
    expect(ofType('expiry thirteen twenty five', 'CARD_EXPIRY')).toEqual([]);
  });
});

describe('detectSpoken: precision', () => {
  it.each([
    'that comes to forty five dollars and thirty two cents',
    'the total is four thousand five hundred and thirty two dollars',
    'I will call you at ten thirty tomorrow',
    'my phone number is five five five one two three four',
    'call me on oh seven seven double oh nine triple one two three four',
    'I ordered twelve boxes and nineteen crates, twenty in all',
    'the order number is one two three four five six seven eight nine one two three four five six',
    'order four one one one one one one one one one one one one one one two',
    'the year was nineteen ninety nine and then two thousand and four',
  ])('no PAN in: %s', (text) => {
    expect(pans(text)).toEqual([]);
  });

  it('no CVV or expiry in ordinary numbers', () => {
    expect(detectSpoken('I will call you at ten thirty tomorrow')).toEqual([]);
    expect(detectSpoken('that comes to forty five dollars and thirty two cents')).toEqual([]);
  });
});

/** Luhn-valid 16-digit Visa or Mastercard (51–55 and 2221–2720). */
const cardArb = fc
  .tuple(
    fc.constantFrom('visa', 'mc5', 'mc2'),
    fc.integer({ min: 51, max: 55 }),
    fc.integer({ min: 2221, max: 2720 }),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 15, maxLength: 15 }),
  )
  .map(([kind, mc5, mc2, rest]) => {
    const prefix = kind === 'visa' ? '4' : kind === 'mc5' ? String(mc5) : String(mc2);
    return withLuhn(prefix + rest.join('').slice(prefix.length));
  });

const SEPARATORS = [' ', ' ', ' ', ', ', ' um ', ' uh, ', ' like ', ' you know, ', '. ', ' - ', ' er '];

/** A random spoken rendering: random group sizes, styles, zero words and fillers. */
const renderingArb = (pan: string): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 16, maxLength: 16 }),
      fc.array(fc.constantFrom<GroupStyle>('digits', 'words', 'pairs', 'repeats'), {
        minLength: 16,
        maxLength: 16,
      }),
      fc.array(fc.constantFrom(...ZERO_WORDS), { minLength: 16, maxLength: 16 }),
      fc.array(fc.constantFrom(...SEPARATORS), { minLength: 40, maxLength: 40 }),
    )
    .map(([sizes, styles, zeros, seps]) => {
      const pieces: Piece[] = [];
      let at = 0;
      let k = 0;
      while (at < pan.length) {
        const group = pan.slice(at, at + sizes[k]!);
        pieces.push(...groupPieces(group, styles[k]!, zeros[k]!));
        at += group.length;
        k++;
      }
      return joinPieces(pieces, seps);
    });

describe('detectSpoken: generated renderings (fast-check)', () => {
  it('finds every random rendering of a random Visa/Mastercard and covers all its digit words', () => {
    fc.assert(
      fc.property(
        cardArb.chain((pan) => fc.tuple(fc.constant(pan), renderingArb(pan))),
        ([pan, spoken]) => {
          const text = `sure, the card is ${spoken}, thanks`;
          expect(normalizeSpokenDigits(spoken).digits).toBe(pan);
          expectCardFound(text, pan);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('tens-style pairs always read back to the same digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99 }), (n) => {
        const pair = String(n).padStart(2, '0');
        expect(normalizeSpokenDigits(speakPair(pair)).digits).toBe(pair);
      }),
    );
  });
});

describe('detectSpoken: limits', () => {
  it('completes on 1 MB of repeated number words', () => {
    const words = [
      ...'one two three four five six seven eight nine ten eleven twelve thirteen'.split(' '),
      ...'twenty thirty forty fifty sixty seventy eighty ninety ninety nine hundred'.split(' '),
    ].join(' ');
    const text = `${words} `.repeat(Math.ceil(1_000_000 / (words.length + 1)));
    let result: Finding[] | DetectionLimitError;
    try {
      result = detectSpoken(text);
    } catch (e) {
      result = e as DetectionLimitError;
    }
    if (result instanceof DetectionLimitError) expect(result.name).toBe('DetectionLimitError');
    else expect(Array.isArray(result)).toBe(true);
  });

  it('throws DetectionLimitError above the input limit, without quoting the input', () => {
    expect(() => detectSpoken('four one one one', { maxInputChars: 8 })).toThrow(DetectionLimitError);
    try {
      detectSpoken('four one one one', { maxInputChars: 8 });
    } catch (e) {
      expect((e as Error).message).not.toContain('four');
    }
  });

  it('handles empty input', () => {
    expect(detectSpoken('')).toEqual([]);
  });
});

describe('accuracy fixes from the labelled corpus (eval/)', () => {
  const spans = (text: string) => detectSpoken(text).map((f) => [f.type, text.slice(f.start, f.end), f.rule]);

  it('a "hang on" or "hold on" while reading does not cut the card in two', () => {
    const text =
      'card number four five three nine uh hang on one four eight eight oh three four three six four six seven';
    expect(spans(text)).toEqual([
      [
        'PAN',
        'four five three nine uh hang on one four eight eight oh three four three six four six seven',
        'pan.spoken',
      ],
    ]);
    expect(spans(text.replace('uh hang on', 'hold on'))[0]![0]).toBe('PAN');
  });

  it('a Luhn-invalid run of written digits near a card cue is left to the structured detector', () => {
    const text = 'card 4111 1111 1111 1111. Called at 2024-08-14 15:43:54.';
    expect(detectSpoken(text).filter((f) => f.end > text.indexOf('2024'))).toEqual([]);
    // Spoken words make it a spoken candidate (a misheard digit) as before.
    expect(
      spans('my card number is four one one one one one one one one one one one one one one two')[0],
    ).toEqual([
      'PAN',
      'four one one one one one one one one one one one one one one two',
      'pan.spoken.candidate',
    ]);
  });

  it('finds social security and phone numbers read out after their cue, and only then', () => {
    expect(
      spans('sure, my social security number is four seven five, five eight, one seven four zero'),
    ).toEqual([['US_SSN', 'four seven five, five eight, one seven four zero', 'ssn.spoken']]);
    expect(spans('my cell is four seven five, seven nine zero, four one eight seven')).toEqual([
      ['PHONE', 'four seven five, seven nine zero, four one eight seven', 'phone.spoken'],
    ]);
    // No cue: nine or ten spoken digits are not assumed to be an identifier.
    expect(spans('it is four seven five five eight one seven four zero')).toEqual([]);
    // An invalid SSN area (9xx) is not an SSN even after the cue.
    expect(spans('social security nine seven five five eight one seven four zero')).toEqual([]);
  });

  it('reads "tens + filler + unit" both ways and keeps the reading that makes a card', () => {
    // 4539 1488 0343 6467: "forty uh three" is 43 here, not 4 0 3.
    const text =
      'forty five thirty nine, fourteen eighty eight, oh three forty uh three, sixty four sixty seven';
    expect(spans(text)).toEqual([['PAN', text, 'pan.spoken']]);
    // A comma is a pause: "forty, uh three" is 40 then 3, and no card.
    expect(spans(text.replace('forty uh', 'forty, uh'))).toEqual([]);
  });

  it('covers one or two digits left at the end of a run after a card', () => {
    // 4539148803436467 then "one two": the card is not cut off before its last words.
    const text = 'four five three nine one four eight eight zero three four three six four six seven one two';
    expect(spans(text)).toEqual([['PAN', text, 'pan.spoken']]);
  });

  it('a number read as a reference is a card only as a whole, never by its first digits', () => {
    // 4539148803433 is a Luhn-valid 13-digit Visa; with one more digit it is a reference.
    const digits = 'four five three nine one four eight eight zero three four three three five';
    expect(spans(`yes the reference is ${digits}`)).toEqual([]);
    // Nor a Luhn-invalid candidate near a card cue.
    expect(spans(`card number, yes the reference is ${digits}`)).toEqual([]);
    // Not named as a reference: the card and the digit after it are covered.
    expect(spans(`it is ${digits}`)).toEqual([['PAN', digits, 'pan.spoken']]);
  });
});
