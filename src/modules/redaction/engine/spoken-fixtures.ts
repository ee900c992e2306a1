/**
 * Test and benchmark fixtures: Luhn-valid card numbers and the ways people read them aloud.
 * Not used by the engine itself.
 */

const UNIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const TEEN_WORDS = [
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS_WORDS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** Ways to say 0 as a single digit. */
export const ZERO_WORDS = ['zero', 'oh', 'o', 'nought'] as const;

/** Appends the Luhn check digit to `body`. */
export function withLuhn(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

/** One digit as a word; `zero` picks the word for 0. */
export const digitWord = (d: string, zero = 'oh'): string => (d === '0' ? zero : UNIT_WORDS[Number(d)]!);

/** Every digit as its own word: "4111" → "four one one one". */
export const speakDigits = (digits: string, zero = 'oh'): string =>
  [...digits].map((d) => digitWord(d, zero)).join(' ');

/** Two digits the tens way: "45" → "forty five", "11" → "eleven", "40" → "forty", "05" → "oh five". */
export function speakPair(pair: string, zero = 'oh'): string {
  const a = Number(pair[0]);
  const b = Number(pair[1]);
  if (a === 0) return `${zero} ${digitWord(pair[1]!, zero)}`;
  if (a === 1) return TEEN_WORDS[b]!;
  return b === 0 ? TENS_WORDS[a]! : `${TENS_WORDS[a]} ${UNIT_WORDS[b]}`;
}

/** A piece of a rendering: its text, and whether it is a bare tens word that a unit word would join. */
export type Piece = { text: string; bareTens: boolean; startsWithUnit: boolean };

/** How a group of digits is read. */
export type GroupStyle = 'digits' | 'words' | 'pairs' | 'repeats';

/** Pieces for one group of digits in one style (`repeats` says "double"/"triple" for repeated digits). */
export function groupPieces(group: string, style: GroupStyle, zero = 'oh'): Piece[] {
  const unit = (d: string): Piece => ({
    text: digitWord(d, zero),
    bareTens: false,
    startsWithUnit: d !== '0',
  });
  if (style === 'digits') return [{ text: group, bareTens: false, startsWithUnit: false }];
  if (style === 'words') return [...group].map((d) => unit(d));
  if (style === 'repeats') {
    const out: Piece[] = [];
    let i = 0;
    while (i < group.length) {
      let j = i;
      while (j < group.length && group[j] === group[i] && j - i < 3) j++;
      const n = j - i;
      const w = digitWord(group[i]!, zero);
      out.push(
        n === 1
          ? unit(group[i]!)
          : { text: `${n === 2 ? 'double' : 'triple'} ${w}`, bareTens: false, startsWithUnit: false },
      );
      i = j;
    }
    return out;
  }
  const out: Piece[] = [];
  for (let i = 0; i < group.length; i += 2) {
    const pair = group.slice(i, i + 2);
    if (pair.length === 1) out.push(unit(pair));
    else {
      const text = speakPair(pair, zero);
      out.push({ text, bareTens: pair[0]! >= '2' && pair[1] === '0', startsWithUnit: pair[0] !== '0' });
    }
  }
  return out;
}

/**
 * Joins pieces with the given separators (one per gap, cycled). A bare tens word followed by a unit
 * word and only a space or hyphen gets a comma instead, since "forty five" is 45 but the reader meant 40, 5.
 */
export function joinPieces(pieces: Piece[], separators: readonly string[] = [' ']): string {
  let out = '';
  pieces.forEach((p, i) => {
    if (i > 0) {
      const prev = pieces[i - 1]!;
      const sep = separators[(i - 1) % separators.length] ?? ' ';
      out += prev.bareTens && p.startsWithUnit && (sep.trim() === '' || sep.trim() === '-') ? ', ' : sep;
    }
    out += p.text;
  });
  return out;
}

/** Well-known test PANs per network (all Luhn-valid). */
export const NETWORK_PANS: ReadonlyArray<[network: string, pan: string]> = [
  ['visa', '4111111111111111'],
  ['visa-13', '4222222222222'],
  ['visa-19', withLuhn('453201511283036000')],
  ['mastercard', '5555555555554444'],
  ['mastercard-2series', '2223000048400011'],
  ['amex', '378282246310005'],
  ['discover', '6011111111111117'],
  ['jcb', '3530111333300000'],
  ['diners', '36227206271667'],
  ['unionpay', withLuhn('620000000000000')],
  ['mir', withLuhn('220000000000000')],
  ['maestro', '6759649826438453'],
];
