/**
 * Tokenizer for spoken / ASR-formatted text. One linear scan, no backtracking regexes: letters
 * (with inner apostrophes) form words, ASCII digit runs form `digits` tokens, any other non-space
 * code point is a one-character `sep` token. Words are classified against a small lexicon.
 *
 * Tokens are stored column-wise in typed arrays ({@link SpokenTokens}), with no object or string
 * per token: a word is identified by its id in a shared vocabulary ({@link vocabId}) of every word
 * any rule compares against; any other word has id -1. ASCII words are looked up by a hash of
 * their lower-cased letters without building a string.
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

/** Numeric codes of {@link SpokenTokenKind}, as stored in {@link SpokenTokens.kind}. */
export const K = {
  unit: 0,
  teen: 1,
  tens: 2,
  digits: 3,
  hundred: 4,
  thousand: 5,
  mult: 6,
  and: 7,
  filler: 8,
  marker: 9,
  not: 10,
  sep: 11,
  word: 12,
} as const satisfies Record<SpokenTokenKind, number>;

const KIND_NAMES = Object.keys(K) as SpokenTokenKind[];

/** One token as an object (for tests and debugging): `word` is the lower-cased text. */
export type SpokenToken = {
  kind: SpokenTokenKind;
  start: number;
  end: number;
  word: string;
  value: number;
};

/**
 * The tokens of one text, column-wise: token `i` is `kind[i]` (a {@link K} code) over
 * `[start[i], end[i])` with `value[i]`; `wid[i]` is the vocabulary id of its lower-cased word, or
 * -1 (digit runs, separators and words no rule names).
 */
export type SpokenTokens = {
  text: string;
  length: number;
  kind: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  value: Int16Array;
  wid: Int16Array;
};

// ---------------------------------------------------------------------------------------------
// Vocabulary: every word a rule compares a token with gets an id.

const VOCAB: string[] = [];
const VOCAB_IDS = new Map<string, number>();
/** Lexicon entry per vocabulary id: kind code (255 = none) and value. */
let lexKind = new Uint8Array(0);
let lexValue = new Int16Array(0);
/** Open-addressing hash table over vocabulary ids (+1; 0 = empty), rebuilt when words are added. */
let table = new Int16Array(0);
let tableMask = 0;
let maxWordLength = 0;
let dirty = true;

const lowerAscii = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);
const HASH_MUL = 0x01000193;

function hashOf(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), HASH_MUL);
  return h >>> 0;
}

/** Id of `word` (lower case) in the shared vocabulary, adding it when new. */
export function vocabId(word: string): number {
  let id = VOCAB_IDS.get(word);
  if (id === undefined) {
    id = VOCAB.length;
    VOCAB.push(word);
    VOCAB_IDS.set(word, id);
    dirty = true;
  }
  return id;
}

/** The word of a vocabulary id. */
export const vocabWord = (id: number): string => VOCAB[id]!;

function rebuild(): void {
  const n = VOCAB.length;
  const kinds = new Uint8Array(n).fill(255);
  const values = new Int16Array(n);
  kinds.set(lexKind.subarray(0, Math.min(lexKind.length, n)));
  values.set(lexValue.subarray(0, Math.min(lexValue.length, n)));
  lexKind = kinds;
  lexValue = values;
  let size = 64;
  while (size < n * 4) size *= 2;
  table = new Int16Array(size);
  tableMask = size - 1;
  maxWordLength = 0;
  for (let id = 0; id < n; id++) {
    const w = VOCAB[id]!;
    // Only words of ASCII letters, digits and apostrophes can be found by the fast path.
    if (!/^[a-z0-9']+$/.test(w)) continue;
    if (/^[0-9]+$/.test(w)) throw new Error(`vocabulary word ${w} has no letter`);
    maxWordLength = Math.max(maxWordLength, w.length);
    let slot = hashOf(w) & tableMask;
    while (table[slot] !== 0) slot = (slot + 1) & tableMask;
    table[slot] = id + 1;
  }
  dirty = false;
}

const add = (kind: SpokenTokenKind, value: number, ...words: string[]): void => {
  for (const w of words) {
    const id = vocabId(w);
    if (id >= lexKind.length) rebuild();
    lexKind[id] = K[kind];
    lexValue[id] = value;
  }
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

/**
 * Phrases a caller says while reading a card ("four five three nine, uh hang on, one four ..."):
 * skipped like fillers so the number is not cut in two. Only phrases without number words, so
 * no digit can be swallowed ("one sec" is left alone).
 */
const FILLER_PHRASES: number[][] = [
  ['hang', 'on'],
  ['hold', 'on'],
  ['bear', 'with', 'me'],
  ['just', 'a', 'sec'],
  ['just', 'a', 'second'],
  ['just', 'a', 'moment'],
  ['just', 'a', 'minute'],
  ['give', 'me', 'a', 'second'],
  ['give', 'me', 'a', 'sec'],
  ['let', 'me', 'check'],
  ['let', 'me', 'look'],
  ['where', 'was', 'i'],
].map((words) => words.map(vocabId));

/** Vocabulary ids that start a filler phrase: 1 at `id`. */
const FILLER_FIRST = (() => {
  const set = new Uint8Array(Math.max(...FILLER_PHRASES.map((p) => p[0]!)) + 1);
  for (const p of FILLER_PHRASES) set[p[0]!] = 1;
  return set;
})();

/** Length of the filler phrase starting at token `i`, or 0. */
function fillerPhraseAt(wid: Int16Array, n: number, i: number): number {
  const first = wid[i]!;
  if (first < 0 || FILLER_FIRST[first] !== 1) return 0;
  for (const phrase of FILLER_PHRASES) {
    if (i + phrase.length > n) continue;
    let k = 0;
    while (k < phrase.length && wid[i + k] === phrase[k]) k++;
    if (k === phrase.length) return k;
  }
  return 0;
}

const W_YOU = vocabId('you');
const W_KNOW = vocabId('know');
const W_I = vocabId('i');
const W_MEAN = vocabId('mean');
const W_LET = vocabId('let');
const W_ME = vocabId('me');
const W_SEE = vocabId('see');

/** Membership by vocabulary id (an array index, no hashing): `set[id] === 1`. */
function idSet(words: string[]): Uint8Array {
  const ids = words.map(vocabId);
  const set = new Uint8Array(Math.max(...ids) + 1);
  for (const id of ids) set[id] = 1;
  return set;
}
/** Words before a number word that make it a count ("the last four"), not a spoken digit. */
const COUNT_BEFORE = idSet(['last', 'first', 'next']);
/** Words after a number word that make it a count ("three digits on the back"). */
const COUNT_AFTER = idSet(['digit', 'digits', 'numbers']);

// ---------------------------------------------------------------------------------------------
// Character classes, cached per code point (the Unicode regexes run once per distinct character).

const NON_ASCII_LETTER = /[\p{L}\p{M}]/u;
const NON_ASCII_SPACE = /\s/u;
/** 0 = not yet known, 1 = yes, 2 = no. */
const letterCache = new Uint8Array(0x110000);
const spaceCache = new Uint8Array(0x10000);

function isLetterAt(text: string, i: number, c: number): boolean {
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  const cp = text.codePointAt(i) ?? c;
  let v = letterCache[cp]!;
  if (v === 0) {
    v = NON_ASCII_LETTER.test(String.fromCodePoint(cp)) ? 1 : 2;
    letterCache[cp] = v;
  }
  return v === 1;
}

/** Class of each ASCII code for the tokenizer: space, digit, letter or other (a separator). */
const C_SPACE = 0;
const C_DIGIT = 1;
const C_LETTER = 2;
const C_OTHER = 3;
const ASCII_CLASS = new Uint8Array(0x80);
for (let c = 0; c < 0x80; c++)
  ASCII_CLASS[c] =
    c === 32 || (c >= 9 && c <= 13)
      ? C_SPACE
      : c >= 48 && c <= 57
        ? C_DIGIT
        : (c >= 97 && c <= 122) || (c >= 65 && c <= 90)
          ? C_LETTER
          : C_OTHER;

/** True for a whitespace UTF-16 code unit (as `/\s/u` tests it). */
export function isSpace(c: number): boolean {
  if (c < 0x80) return c === 32 || (c >= 9 && c <= 13);
  let v = spaceCache[c]!;
  if (v === 0) {
    v = NON_ASCII_SPACE.test(String.fromCharCode(c)) ? 1 : 2;
    spaceCache[c] = v;
  }
  return v === 1;
}

const charWidth = (c: number): number => (c >= 0xd800 && c <= 0xdbff ? 2 : 1);

/** Vocabulary id of the ASCII word `text[start, end)` (letters, digits, apostrophes), or -1. */
function asciiWordId(text: string, start: number, end: number, hash: number): number {
  const len = end - start;
  if (len > maxWordLength) return -1;
  const h = hash;
  let slot = (h >>> 0) & tableMask;
  for (;;) {
    const e = table[slot]!;
    if (e === 0) return -1;
    const w = VOCAB[e - 1]!;
    if (w.length === len) {
      let k = 0;
      while (k < len && w.charCodeAt(k) === lowerAscii(text.charCodeAt(start + k))) k++;
      if (k === len) return e - 1;
    }
    slot = (slot + 1) & tableMask;
  }
}

// ---------------------------------------------------------------------------------------------
// Column memory. A typed array over 64 bytes costs a separate backing store (about a microsecond
// each), far more than tokenizing a short utterance, so result columns are carved out of shared
// 1 MiB blocks (bump allocation; a block is never reused, so results stay valid) and the working
// columns of short texts are reused from call to call.

const BLOCK_BYTES = 1 << 20;
let block = new ArrayBuffer(BLOCK_BYTES);
let blockAt = 0;

function carve(bytes: number): { buf: ArrayBuffer; at: number } {
  const size = (bytes + 7) & ~7;
  if (size > BLOCK_BYTES >> 3) return { buf: new ArrayBuffer(size), at: 0 };
  if (blockAt + size > BLOCK_BYTES) {
    block = new ArrayBuffer(BLOCK_BYTES);
    blockAt = 0;
  }
  const at = blockAt;
  blockAt += size;
  return { buf: block, at };
}

/** A zeroed Int32Array of `n` entries (see above). */
export function allocInt32(n: number): Int32Array {
  const { buf, at } = carve(n * 4);
  return new Int32Array(buf, at, n);
}
/** A zeroed Int16Array of `n` entries. */
export function allocInt16(n: number): Int16Array {
  const { buf, at } = carve(n * 2);
  return new Int16Array(buf, at, n);
}
/** A zeroed Uint8Array of `n` entries. */
export function allocUint8(n: number): Uint8Array {
  const { buf, at } = carve(n);
  return new Uint8Array(buf, at, n);
}

type Columns = Omit<SpokenTokens, 'text' | 'length'>;

const newColumns = (cap: number): Columns => ({
  kind: new Uint8Array(cap),
  start: new Int32Array(cap),
  end: new Int32Array(cap),
  value: new Int16Array(cap),
  wid: new Int16Array(cap),
});

function growColumns(t: Columns, count: number, max: number): void {
  const g = newColumns(Math.min(t.kind.length * 2, max));
  g.kind.set(t.kind.subarray(0, count));
  g.start.set(t.start.subarray(0, count));
  g.end.set(t.end.subarray(0, count));
  g.value.set(t.value.subarray(0, count));
  g.wid.set(t.wid.subarray(0, count));
  Object.assign(t, g);
}

/** Texts up to this long are tokenized into {@link scratch} and copied out at their exact size. */
const SCRATCH_CHARS = 1 << 16;
const scratch = newColumns(SCRATCH_CHARS + 1);

// One copy function per element type: a generic one makes every element access polymorphic
// (it showed as 3% of a call's redaction). A subarray view costs more than copying a short
// utterance's few tokens one by one.
function copyU8(to: Uint8Array, from: Uint8Array, count: number): Uint8Array {
  if (count > 64) to.set(from.subarray(0, count));
  else for (let i = 0; i < count; i++) to[i] = from[i]!;
  return to;
}
function copyI16(to: Int16Array, from: Int16Array, count: number): Int16Array {
  if (count > 64) to.set(from.subarray(0, count));
  else for (let i = 0; i < count; i++) to[i] = from[i]!;
  return to;
}
function copyI32(to: Int32Array, from: Int32Array, count: number): Int32Array {
  if (count > 64) to.set(from.subarray(0, count));
  else for (let i = 0; i < count; i++) to[i] = from[i]!;
  return to;
}

/** Appends one token at `count` (growing the columns up to `n + 1` entries); returns the new count. */
function put(
  t: Columns,
  count: number,
  n: number,
  k: number,
  s: number,
  e: number,
  v: number,
  id: number,
): number {
  if (count === t.kind.length) growColumns(t, count, n + 1);
  t.kind[count] = k;
  t.start[count] = s;
  t.end[count] = e;
  t.value[count] = v;
  t.wid[count] = id;
  return count + 1;
}

/** Splits `text` into classified tokens in one pass. */
export function tokenizeSpoken(text: string): SpokenTokens {
  if (dirty) rebuild();
  const n = text.length;
  // Every token covers at least one character, so `n + 1` bounds the count; large texts start
  // smaller and grow on demand.
  const small = n <= SCRATCH_CHARS;
  const t = small ? scratch : newColumns(1 << 14);
  let count = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      const cls = ASCII_CLASS[c]!;
      if (cls === C_SPACE) {
        i++;
        continue;
      }
      if (cls === C_OTHER) {
        count = put(t, count, n, K.sep, i, i + 1, 0, -1);
        i++;
        continue;
      }
    } else if (isSpace(c)) {
      i++;
      continue;
    } else if (!isLetterAt(text, i, c)) {
      const w = charWidth(c);
      count = put(t, count, n, K.sep, i, i + w, 0, -1);
      i += w;
      continue;
    }
    const s = i;
    let hasLetter = false;
    let hasDigit = false;
    let ascii = true;
    // The hash of the lower-cased word (see hashOf), built while scanning; used for ASCII words only.
    let h = 0x811c9dc5;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d < 0x80) {
        // ASCII through the class table (the common case).
        const cls = ASCII_CLASS[d]!;
        if (cls === C_DIGIT) {
          hasDigit = true;
          h = Math.imul(h ^ d, HASH_MUL);
          i++;
        } else if (cls === C_LETTER) {
          hasLetter = true;
          h = Math.imul(h ^ (d | 32), HASH_MUL);
          i++;
        } else if (d === 39 && i + 1 < n && isLetterAt(text, i + 1, text.charCodeAt(i + 1))) {
          h = Math.imul(h ^ d, HASH_MUL);
          i++;
        } else break;
      } else if (isLetterAt(text, i, d)) {
        hasLetter = true;
        ascii = false;
        h = Math.imul(h ^ d, HASH_MUL);
        i += charWidth(d);
      } else if (d === 0x2019 && i + 1 < n && isLetterAt(text, i + 1, text.charCodeAt(i + 1))) {
        ascii = false;
        h = Math.imul(h ^ d, HASH_MUL);
        i++;
      } else break;
    }
    if (!hasLetter) {
      count = put(t, count, n, K.digits, s, i, 0, -1);
      continue;
    }
    let id: number;
    if (ascii) id = asciiWordId(text, s, i, h >>> 0);
    else {
      // Rare: full Unicode lower-casing (which may even map a letter to ASCII, e.g. the Kelvin sign).
      const lower = text.slice(s, i).toLowerCase();
      id = VOCAB_IDS.get(lower.includes('\u2019') ? lower.replaceAll('\u2019', "'") : lower) ?? -1;
    }
    // A word with digits in it ("cvv2") may be a cue, but never a lexicon word.
    const k = id >= 0 && !hasDigit ? lexKind[id]! : 255;
    count = k === 255 ? put(t, count, n, K.word, s, i, 0, id) : put(t, count, n, k, s, i, lexValue[id]!, id);
  }
  const tokens: SpokenTokens = small
    ? {
        text,
        length: count,
        kind: copyU8(allocUint8(count), t.kind, count),
        start: copyI32(allocInt32(count), t.start, count),
        end: copyI32(allocInt32(count), t.end, count),
        value: copyI16(allocInt16(count), t.value, count),
        wid: copyI16(allocInt16(count), t.wid, count),
      }
    : {
        text,
        length: count,
        kind: t.kind.subarray(0, count),
        start: t.start.subarray(0, count),
        end: t.end.subarray(0, count),
        value: t.value.subarray(0, count),
        wid: t.wid.subarray(0, count),
      };
  classifyPhrases(tokens);
  return tokens;
}

const isNumberKind = (k: number): boolean => k === K.unit || k === K.teen || k === K.tens || k === K.digits;

/** Context rules that need a neighbour: multi-word fillers and markers, and count words. */
function classifyPhrases(t: SpokenTokens): void {
  const { kind, wid, value } = t;
  const n = t.length;
  for (let i = 0; i < n; i++) {
    const w = wid[i]!;
    const next = i + 1 < n ? wid[i + 1]! : -2;
    if (w === W_YOU && next === W_KNOW) {
      kind[i] = K.filler;
      kind[i + 1] = K.filler;
    } else if (w === W_I && next === W_MEAN) {
      kind[i] = K.marker;
      kind[i + 1] = K.marker;
      value[i + 1] = 1;
    } else if (w === W_LET && next === W_ME && i + 2 < n && wid[i + 2] === W_SEE) {
      kind[i] = K.filler;
      kind[i + 1] = K.filler;
      kind[i + 2] = K.filler;
    } else if (isNumberKind(kind[i]!)) {
      const before = i > 0 ? wid[i - 1]! : -1;
      if ((before >= 0 && COUNT_BEFORE[before] === 1) || (next >= 0 && COUNT_AFTER[next] === 1))
        kind[i] = K.word;
    } else if (kind[i] === K.word) {
      const len = fillerPhraseAt(wid, n, i);
      for (let k = 0; k < len; k++) kind[i + k] = K.filler;
      if (len > 0) i += len - 1;
    }
  }
}

/** The lower-cased text of token `i` (as the rules see it). */
export function tokenWord(t: SpokenTokens, i: number): string {
  const id = t.wid[i]!;
  if (id >= 0) return VOCAB[id]!;
  const raw = t.text.slice(t.start[i], t.end[i]);
  if (t.kind[i] !== K.word) return raw;
  const lower = raw.toLowerCase();
  return lower.includes('\u2019') ? lower.replaceAll('\u2019', "'") : lower;
}

/** Token `i` as an object (tests, debugging). */
export function tokenAt(t: SpokenTokens, i: number): SpokenToken {
  return {
    kind: KIND_NAMES[t.kind[i]!]!,
    start: t.start[i]!,
    end: t.end[i]!,
    word: tokenWord(t, i),
    value: t.value[i]!,
  };
}
