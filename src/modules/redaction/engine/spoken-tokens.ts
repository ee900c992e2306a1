/**
 * Tokenizer for spoken / ASR-formatted text. One linear scan, no backtracking regexes: letters
 * (with inner apostrophes) form words, ASCII digit runs form `digits` tokens, any other non-space
 * code point is a one-character `sep` token. Words are classified against a small lexicon.
 */

/** What a token means to the spoken-number parser. */
export type SpokenTokenKind =
  | 'unit' // zero…nine, oh, o, nought (value 0–9)
  | 'teen' // ten…nineteen (value 10–19)
  | 'tens' // twenty…ninety (value 20–90)
  | 'digits' // ASCII digit run
  | 'hundred'
  | 'thousand'
  | 'mult' // double / triple / quadruple (value 2–4)
  | 'and'
  | 'filler' // um, uh, er, like, "you know": skipped, acts as a pause
  | 'marker' // self-correction words; value 1 marks a head word ("sorry", "no", "wait", …)
  | 'not'
  | 'sep' // punctuation, "slash", "dash": skipped, acts as a pause
  | 'word'; // anything else: breaks a number

/** One token: `start`/`end` are UTF-16 offsets, `word` is the lower-cased text. */
export type SpokenToken = {
  kind: SpokenTokenKind;
  start: number;
  end: number;
  word: string;
  value: number;
};

const LEXICON = new Map<string, [SpokenTokenKind, number]>();
const add = (kind: SpokenTokenKind, value: number, ...words: string[]): void => {
  for (const w of words) LEXICON.set(w, [kind, value]);
};
add('unit', 0, 'zero', 'oh', 'o', 'nought', 'naught', 'nil');
['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'].forEach((w, i) => {
  add('unit', i + 1, w);
});
[
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
].forEach((w, i) => {
  add('teen', 10 + i, w);
});
['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'].forEach((w, i) => {
  add('tens', 20 + 10 * i, w);
});
add('tens', 40, 'fourty');
add('hundred', 100, 'hundred');
add('thousand', 1000, 'thousand');
add('mult', 2, 'double');
add('mult', 3, 'triple');
add('mult', 4, 'quadruple');
add('and', 0, 'and');
add(
  'filler',
  0,
  'um',
  'umm',
  'uh',
  'uhh',
  'uhm',
  'er',
  'erm',
  'err',
  'ah',
  'ahh',
  'eh',
  'hmm',
  'hm',
  'mm',
  'like',
);
add('marker', 1, 'sorry', 'no', 'wait', 'actually', 'oops', 'correction');
add('marker', 0, "that's", 'thats', "it's", 'its', 'that', 'is', 'it');
add('not', 0, 'not');
add('sep', 0, 'slash', 'dash', 'hyphen');

/** Words before a number word that make it a count ("the last four"), not a spoken digit. */
const COUNT_BEFORE = new Set(['last', 'first', 'next']);
/** Words after a number word that make it a count ("three digits on the back"). */
const COUNT_AFTER = new Set(['digit', 'digits', 'numbers']);

const NON_ASCII_LETTER = /[\p{L}\p{M}]/u;
const NON_ASCII_SPACE = /\s/u;

function isLetterAt(text: string, i: number, c: number): boolean {
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  return NON_ASCII_LETTER.test(String.fromCodePoint(text.codePointAt(i) ?? c));
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isApostrophe = (c: number): boolean => c === 39 || c === 0x2019;

function isSpace(c: number): boolean {
  if (c < 0x80) return c === 32 || (c >= 9 && c <= 13);
  return NON_ASCII_SPACE.test(String.fromCharCode(c));
}

const charWidth = (c: number): number => (c >= 0xd800 && c <= 0xdbff ? 2 : 1);

/** Splits `text` into classified tokens in one pass. */
export function tokenizeSpoken(text: string): SpokenToken[] {
  const tokens: SpokenToken[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const letter = isLetterAt(text, i, c);
    if (!letter && !isDigit(c)) {
      const w = charWidth(c);
      tokens.push({ kind: 'sep', start: i, end: i + w, word: text.slice(i, i + w), value: 0 });
      i += w;
      continue;
    }
    const start = i;
    let hasLetter = false;
    let hasDigit = false;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (isDigit(d)) {
        hasDigit = true;
        i++;
      } else if (isLetterAt(text, i, d)) {
        hasLetter = true;
        i += charWidth(d);
      } else if (isApostrophe(d) && i + 1 < n && isLetterAt(text, i + 1, text.charCodeAt(i + 1))) {
        i++;
      } else break;
    }
    const raw = text.slice(start, i);
    if (!hasLetter) {
      tokens.push({ kind: 'digits', start, end: i, word: raw, value: 0 });
      continue;
    }
    const lower = raw.toLowerCase();
    const word = lower.includes('\u2019') ? lower.replaceAll('\u2019', "'") : lower;
    const entry = hasDigit ? undefined : LEXICON.get(word);
    tokens.push({ kind: entry?.[0] ?? 'word', start, end: i, word, value: entry?.[1] ?? 0 });
  }
  classifyPhrases(tokens);
  return tokens;
}

const isNumberKind = (k: SpokenTokenKind): boolean =>
  k === 'unit' || k === 'teen' || k === 'tens' || k === 'digits';

/** Context rules that need a neighbour: multi-word fillers and markers, and count words. */
function classifyPhrases(tokens: SpokenToken[]): void {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t.word === 'you' && next?.word === 'know') {
      t.kind = 'filler';
      next.kind = 'filler';
    } else if (t.word === 'i' && next?.word === 'mean') {
      t.kind = 'marker';
      next.kind = 'marker';
      next.value = 1;
    } else if (t.word === 'let' && next?.word === 'me' && tokens[i + 2]?.word === 'see') {
      t.kind = 'filler';
      next.kind = 'filler';
      tokens[i + 2]!.kind = 'filler';
    } else if (isNumberKind(t.kind)) {
      const prev = tokens[i - 1];
      if ((prev && COUNT_BEFORE.has(prev.word)) || (next && COUNT_AFTER.has(next.word))) t.kind = 'word';
    }
  }
}
