import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextWord, wordBefore } from './cvv-guard.ts';
import { detect } from './detect.ts';

const types = (text: string) => detect(text).map((f) => [f.type, text.slice(f.start, f.end)]);

describe('numbers after a card that are named as something else are not CVVs or expiries', () => {
  it.each([
    ['My card number is 4111 1111 1111 1111. ask for extension 5344.', '5344'],
    ['Please charge 4111 1111 1111 1111, verification done. qty 308 units.', '308'],
    ['card 4986 6946 1832 5054. charged €87,27.', '87,27'],
    ['card 4111 1111 1111 1111, verification done. app version 8.4.74.', '8.4.74'],
    ['card four one one one one one one one one one one one one one one one. ordered 160 units', '160'],
  ])('%s', (text, other) => {
    const hit = types(text).find(([, s]) => s === other || s!.includes(other));
    expect(hit).toBeUndefined();
    expect(types(text)[0]![0]).toBe('PAN');
  });

  it('still finds the CVV and expiry that follow a card', () => {
    expect(types('card 4111 1111 1111 1111 exp 04/27 cvv 123')).toEqual([
      ['PAN', '4111 1111 1111 1111'],
      ['CARD_EXPIRY', '04/27'],
      ['CVV', '123'],
    ]);
    const spoken =
      'four one one one one one one one one one one one one one one one, oh four twenty seven, one two three';
    expect(types(`my card is ${spoken}`).map(([t]) => t)).toEqual(['PAN', 'CARD_EXPIRY', 'CVV']);
    // The cue wins over the guard: "security code 4.5.6" is unusual, but a cued CVV is never let through.
    expect(types('card 4111 1111 1111 1111, security code 456 units')).toContainEqual(['CVV', '456']);
  });
});

describe('word scans give what the regexes they replace give', () => {
  const chars = fc.constantFrom(...'aZq09 \t\n:#.-,/\u00a0\u2028\u00e9\u2019x'.split(''));
  const text = fc.array(chars, { maxLength: 30 }).map((a) => a.join(''));

  it('wordBefore is /([A-Za-z]+)[\\s:#.-]*$/', () => {
    fc.assert(
      fc.property(text, (s) => {
        const m = /([A-Za-z]+)[\s:#.-]*$/.exec(s);
        expect(wordBefore(s)).toBe(m === null ? -1 : m.index);
      }),
      { numRuns: 3000 },
    );
  });

  it('nextWord is /^[\\s-]*([A-Za-z]+)/', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(nextWord(s)).toBe(/^[\s-]*([A-Za-z]+)/.exec(s)?.[1]?.toLowerCase());
      }),
      { numRuns: 3000 },
    );
  });
});
