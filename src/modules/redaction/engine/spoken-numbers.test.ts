import { describe, expect, it } from 'vitest';
import { normalizeSpokenDigits, spokenNumbers } from './spoken-numbers.ts';

const digitsOf = (text: string): string => normalizeSpokenDigits(text).digits;
/** The source text of each emitted digit, joined by '|'. */
const sourcesOf = (text: string): string =>
  normalizeSpokenDigits(text)
    .spans.map((s) => text.slice(s.start, s.end))
    .join('|');
const runsOf = (text: string): string[] => spokenNumbers(text).runs.map((r) => r.digits);

describe('normalizeSpokenDigits: digit words', () => {
  it.each([
    ['zero one two three four five six seven eight nine', '0123456789'],
    ['oh o nought naught nil', '00000'],
    ['Four FIVE three Two', '4532'],
  ])('%s', (text, digits) => {
    expect(digitsOf(text)).toBe(digits);
  });

  it('maps every digit to the word that spoke it', () => {
    expect(sourcesOf('four five three two')).toBe('four|five|three|two');
  });
});

describe('normalizeSpokenDigits: double and triple', () => {
  it.each([
    ['double four', '44'],
    ['triple oh', '000'],
    ['double 4', '44'],
    ['four double one seven', '4117'],
    ['quadruple nine', '9999'],
  ])('%s → %s', (text, digits) => {
    expect(digitsOf(text)).toBe(digits);
  });

  it('partitions the multiplier word and gives the last digit the digit word', () => {
    expect(sourcesOf('double four')).toBe('double|four');
    expect(sourcesOf('triple oh')).toBe('tri|ple|oh');
  });

  it('breaks the run when "double" is not followed by a digit', () => {
    expect(runsOf('one double room two')).toEqual(['1', '2']);
  });
});

describe('normalizeSpokenDigits: tens-style groups', () => {
  it.each([
    ['forty five thirty two', '4532'],
    ['forty-five', '45'],
    ['nineteen', '19'],
    ['twenty', '20'],
    ['ten', '10'],
    ['forty one eleven', '4111'],
    ['twenty oh four', '2004'],
    ['forty, five', '405'],
  ])('%s → %s', (text, digits) => {
    expect(digitsOf(text)).toBe(digits);
  });

  it('partitions a two-digit word', () => {
    expect(sourcesOf('twenty')).toBe('twe|nty');
    expect(sourcesOf('forty-five')).toBe('forty|five');
  });
});

describe('normalizeSpokenDigits: hundreds and thousands', () => {
  it.each([
    ['four hundred', '400'],
    ['four hundred and twelve', '412'],
    ['four hundred twelve', '412'],
    ['four hundred and five', '405'],
    ['four hundred forty five', '445'],
    ['forty five hundred', '4500'],
    ['nineteen hundred', '1900'],
    ['oh nine hundred', '0900'],
    ['two thousand twenty seven', '2027'],
    ['two thousand and five', '2005'],
    ['four thousand', '4000'],
    ['4 hundred', '400'],
  ])('%s → %s', (text, digits) => {
    expect(digitsOf(text)).toBe(digits);
  });

  it('gives padding zeros to the multiplier word', () => {
    expect(sourcesOf('four hundred and five')).toBe('four|hundred|five');
    expect(sourcesOf('four hundred and twelve')).toBe('four|twe|lve');
  });

  it('a hundred with no number before it breaks the run', () => {
    expect(runsOf('one hundred dollars')).toEqual(['100']);
    expect(runsOf('a hundred and two')).toEqual(['2']);
  });
});

describe('normalizeSpokenDigits: digits mixed with words', () => {
  it.each([
    ['4 five 3 2', '4532'],
    ['45 32', '4532'],
    ['4111 one one one one', '41111111'],
    ['forty 5', '405'],
  ])('%s → %s', (text, digits) => {
    expect(digitsOf(text)).toBe(digits);
  });

  it('maps ASCII digits one character each', () => {
    expect(sourcesOf('45 32')).toBe('4|5|3|2');
  });

  it('an alphanumeric token is a word, not digits', () => {
    expect(runsOf('cvv2 one two three')).toEqual(['123']);
    expect(runsOf('the 4th of July')).toEqual([]);
  });
});

describe('normalizeSpokenDigits: fillers and punctuation', () => {
  it.each([
    ['four um five uh three er two', '4532'],
    ['four, like, five, you know, three... two', '4532'],
    ['four erm five hmm three, let me see, two', '4532'],
    ['oh four slash two seven', '0427'],
    ['four-five-three-two', '4532'],
    ['four dash five', '45'],
  ])('%s → %s', (text, digits) => {
    expect(digitsOf(text)).toBe(digits);
  });

  it('keeps one run across fillers and punctuation', () => {
    expect(runsOf('four, um, five. Three! two?')).toEqual(['4532']);
  });
});

describe('normalizeSpokenDigits: breaking words and counts', () => {
  it('any other word breaks the run', () => {
    expect(runsOf('forty five dollars and thirty two cents')).toEqual(['45', '32']);
    expect(runsOf('room one two and three four')).toEqual(['12', '34']);
  });

  it('a count is not a digit', () => {
    expect(runsOf('the three digits on the back')).toEqual([]);
    expect(runsOf('the last four one two three four')).toEqual(['1234']);
    expect(runsOf('and the next four')).toEqual([]);
  });
});

describe('normalizeSpokenDigits: self-corrections', () => {
  it.each([
    ["one two seven sorry that's one", '121'],
    ['one two seven, sorry, one', '121'],
    ["one two one, sorry, that's seven not one", '127'],
    ['one two three no wait, five', '125'],
    ['one two three, no wait five', '125'],
    ['one two three, I mean, four', '124'],
    ['one two three actually four', '124'],
    ['four five three two, sorry, four five three three', '4533'],
    ['forty one eleven sorry forty one twelve', '4112'],
    ['1111 4532 sorry 4533', '11114533'],
    ['one one one seven, sorry, one, one two three four', '11111234'],
  ])('%s → %s', (text, digits) => {
    expect(digitsOf(text)).toBe(digits);
  });

  it('the corrected word is dropped from the digits but stays inside the run', () => {
    const { runs } = spokenNumbers("one two seven sorry that's one");
    const text = "one two seven sorry that's one";
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(text.slice(run.coverStart[2], run.coverEnd[2])).toBe("seven sorry that's one");
  });

  it('"not X" widens the covered range over X', () => {
    const text = "one two one, sorry, that's seven not one";
    const run = spokenNumbers(text).runs[0]!;
    expect(text.slice(run.coverStart[2], run.coverEnd[2])).toBe("one, sorry, that's seven not one");
  });

  it('a marker with no number after it breaks the run', () => {
    expect(runsOf('one two three sorry about that four five')).toEqual(['123', '45']);
    expect(runsOf('no five six')).toEqual(['56']);
  });
});

describe('normalizeSpokenDigits: robustness', () => {
  it('handles empty and digit-free text', () => {
    expect(normalizeSpokenDigits('')).toEqual({ digits: '', spans: [] });
    expect(normalizeSpokenDigits('hello there, how are you?')).toEqual({ digits: '', spans: [] });
  });

  it('keeps UTF-16 offsets right after astral characters and curly apostrophes', () => {
    const text = '😀 four that’s five';
    const { spans } = normalizeSpokenDigits(text);
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual(['four', 'five']);
  });

  it('spans are one per digit and inside the text', () => {
    const text = 'double four, forty five hundred and twelve, 9 triple oh, sorry, nineteen';
    const { digits, spans } = normalizeSpokenDigits(text);
    expect(spans).toHaveLength(digits.length);
    for (const s of spans) {
      expect(s.start).toBeGreaterThanOrEqual(0);
      expect(s.end).toBeLessThanOrEqual(text.length);
      expect(s.end).toBeGreaterThan(s.start);
    }
  });
});
