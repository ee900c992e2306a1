/**
 * Word tokens and cue-word windows shared by the detectors. One pass splits the text into tokens
 * (runs of letters and digits, with inner apostrophes); a cue is a short phrase of lowercased
 * tokens, and a window is counted in tokens, so every context check costs a bounded amount.
 */

/** Token contains an ASCII digit. */
export const HAS_DIGIT = 1;
/** Token contains a letter (any script). */
export const HAS_LETTER = 2;
/** Token's first character is an uppercase letter. */
export const UPPER_FIRST = 4;

/**
 * Tokens of one text, as parallel arrays; `word(i)` is the lowercased token (’ folded to '), and
 * `id(i)` its vocabulary id ({@link vocabId}), 0 when the word is in no cue or word list.
 */
export type Tokens = {
  readonly text: string;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly flags: Uint8Array;
  /** Vocabulary id of each token's lowercased word ({@link vocabId}), 0 when it is in no list. */
  readonly ids: Int32Array;
  /** Index of the nearest token before each token whose id is not 0, or -1. */
  readonly prevKnown: Int32Array;
  word(i: number): string;
  id(i: number): number;
};

// ---------------------------------------------------------------------------------------------
// Vocabulary: every word of a cue phrase or word list gets a small id, so the detectors compare
// ids instead of lower-casing and slicing each token. ASCII tokens are looked up from their char
// codes during tokenization (no string is built); other tokens are lower-cased on first use.

const vocabWords: string[] = [''];
const vocabByWord = new Map<string, number>();
/** Open-addressing table of ASCII vocabulary words by hash: slot → id, 0 empty. */
let vocabTable = new Int32Array(1024);
let vocabMaxLen = 0;

/** Hash step over lowercased char codes; the same function runs over text and vocabulary. */
const hashStep = (h: number, c: number): number => Math.imul(h ^ c, 0x01000193);
const HASH_SEED = 0x811c9dc5 | 0;
const slotOf = (h: number, mask: number): number => (h ^ (h >>> 15)) & mask;

function tableInsert(table: Int32Array, w: string, id: number): void {
  let h = HASH_SEED;
  for (let i = 0; i < w.length; i++) h = hashStep(h, w.charCodeAt(i));
  const mask = table.length - 1;
  let slot = slotOf(h, mask);
  while (table[slot] !== 0) slot = (slot + 1) & mask;
  table[slot] = id;
}

const isAsciiWord = (w: string): boolean => {
  for (let i = 0; i < w.length; i++) if (w.charCodeAt(i) >= 128) return false;
  return true;
};

/**
 * Id of a lowercased word, registering it on first use; every word a detector compares tokens
 * against must be registered before text is tokenized (module load time).
 * @example vocabId('card') > 0
 */
export function vocabId(word: string): number {
  let id = vocabByWord.get(word);
  if (id !== undefined) return id;
  id = vocabWords.length;
  vocabWords.push(word);
  vocabByWord.set(word, id);
  if (isAsciiWord(word)) {
    if (word.length > vocabMaxLen) vocabMaxLen = word.length;
    if (vocabWords.length * 2 > vocabTable.length) {
      const table = new Int32Array(vocabTable.length * 2);
      for (let k = 1; k < vocabWords.length; k++)
        if (isAsciiWord(vocabWords[k]!)) tableInsert(table, vocabWords[k]!, k);
      vocabTable = table;
    } else tableInsert(vocabTable, word, id);
  }
  return id;
}

/** Number of vocabulary ids handed out so far (ids are 1 … vocabSize() - 1). */
export const vocabSize = (): number => vocabWords.length;

/** Vocabulary id of the ASCII text[from, to) lowercased, with `h` its hash, or 0. */
function lookupAscii(text: string, from: number, to: number, h: number): number {
  const l = to - from;
  if (l > vocabMaxLen) return 0;
  const table = vocabTable;
  const mask = table.length - 1;
  let slot = slotOf(h, mask);
  for (;;) {
    const id = table[slot]!;
    if (id === 0) return 0;
    const w = vocabWords[id]!;
    if (w.length === l) {
      let q = 0;
      while (q < l) {
        const c = text.charCodeAt(from + q);
        if ((c >= 65 && c <= 90 ? c + 32 : c) !== w.charCodeAt(q)) break;
        q++;
      }
      if (q === l) return id;
    }
    slot = (slot + 1) & mask;
  }
}

// ---------------------------------------------------------------------------------------------
// Tokenizer.

const WORDLIKE = /[\p{L}\p{M}\p{N}]/u;

/** Class of each UTF-16 code unit: 1 digit, 2 letter (digits outside ASCII count as letters), 3 other; 0 not yet known. */
const CHAR_CLASS = new Uint8Array(65536);
for (let c = 0; c < 0xc0; c++)
  CHAR_CLASS[c] = c >= 48 && c <= 57 ? 1 : (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? 2 : 3;
/** Whether a code unit differs from its lowercase form: 1 no, 2 yes, 0 not yet known. */
const UPPER_UNIT = new Uint8Array(65536);

/** Fills in CHAR_CLASS for a code unit seen for the first time (a lone code unit decides its class). */
function learnClass(c: number): number {
  const cls = WORDLIKE.test(String.fromCharCode(c)) ? 2 : 3;
  CHAR_CLASS[c] = cls;
  return cls;
}

/** 1 digit, 2 letter, 3 not a token char. */
function charClass(c: number): number {
  const cls = CHAR_CLASS[c]!;
  return cls === 0 ? learnClass(c) : cls;
}

function isUpperUnit(c: number): boolean {
  let u = UPPER_UNIT[c]!;
  if (u === 0) {
    const ch = String.fromCharCode(c);
    u = ch !== ch.toLowerCase() ? 2 : 1;
    UPPER_UNIT[c] = u;
  }
  return u === 2;
}

function grow<T extends Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** Token columns reused from call to call by {@link tokenizeShared} (grown on demand, kept while small). */
let scratchCap = 1024;
let sStarts = new Int32Array(scratchCap);
let sEnds = new Int32Array(scratchCap);
let sFlags = new Uint8Array(scratchCap);
let sIds = new Int32Array(scratchCap);
let sPrev = new Int32Array(scratchCap);
const KEEP_TOKENS = 1 << 17;

/** Views of the first `count` entries of the scratch columns, by `count` (short texts only). */
type Views = { starts: Int32Array; ends: Int32Array; flags: Uint8Array; ids: Int32Array; prev: Int32Array };
const VIEW_CACHE_TOKENS = 256;
/** Cached {@link Views}, valid while the scratch columns are the same arrays (cleared when they change). */
let viewCache: Array<Views | undefined> = [];

function growScratch(): void {
  viewCache = [];
  scratchCap *= 2;
  sStarts = grow(sStarts, new Int32Array(scratchCap));
  sEnds = grow(sEnds, new Int32Array(scratchCap));
  sFlags = grow(sFlags, new Uint8Array(scratchCap));
  sIds = grow(sIds, new Int32Array(scratchCap));
  sPrev = grow(sPrev, new Int32Array(scratchCap));
}

/** Id of a non-ASCII token (its lowercased form, ’ folded to '), or 0. */
function lookupOther(text: string, start: number, end: number): number {
  let w = text.slice(start, end).toLowerCase();
  if (w.includes('\u2019')) w = w.replace(/\u2019/g, "'");
  return vocabByWord.get(w) ?? 0;
}

/** Fills the scratch columns with the tokens of `text`; returns their number. */
/**
 * Per ASCII code: the lower-cased code of a letter or the code of a digit (what the word hash
 * reads), 0 for any other character; and the token flag it sets.
 */
const ASCII_FOLD = new Uint8Array(128);
const ASCII_FLAG = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c >= 48 && c <= 57) {
    ASCII_FOLD[c] = c;
    ASCII_FLAG[c] = HAS_DIGIT;
  } else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
    ASCII_FOLD[c] = c | 32;
    ASCII_FLAG[c] = HAS_LETTER;
  }
}

/** Fills the scratch columns with the tokens of `text`; returns their number. */
function scan(text: string): number {
  const n = text.length;
  let count = 0;
  let prev = -1;
  let i = 0;
  const maxLen = vocabMaxLen;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c < 128) {
      if (ASCII_FOLD[c] === 0) {
        i++;
        continue;
      }
    } else if (charClass(c) === 3) {
      i++;
      continue;
    }
    const start = i;
    let f =
      c < 128
        ? c >= 65 && c <= 90
          ? UPPER_FIRST
          : 0
        : charClass(c) === 2 && isUpperUnit(c)
          ? UPPER_FIRST
          : 0;
    let ascii = true;
    let h = HASH_SEED;
    while (i < n) {
      c = text.charCodeAt(i);
      if (c < 128) {
        const folded = ASCII_FOLD[c]!;
        if (folded !== 0) {
          f |= ASCII_FLAG[c]!;
          h = Math.imul(h ^ folded, 0x01000193);
          i++;
          continue;
        }
        // An apostrophe between letters stays inside the word (driver's, O'Brien).
        if (c === 39 && f & HAS_LETTER && i + 1 < n && charClass(text.charCodeAt(i + 1)) === 2) {
          h = Math.imul(h ^ c, 0x01000193);
          i++;
          continue;
        }
        break;
      }
      const cls = charClass(c);
      if (cls === 1) {
        f |= HAS_DIGIT;
        h = hashStep(h, c);
        i++;
        continue;
      }
      if (cls === 3) {
        if (c === 0x2019 && f & HAS_LETTER && i + 1 < n && charClass(text.charCodeAt(i + 1)) === 2) {
          ascii = false;
          h = hashStep(h, c);
          i++;
          continue;
        }
        break;
      }
      ascii = false;
      f |= HAS_LETTER;
      h = hashStep(h, c);
      i++;
    }
    if (count === scratchCap) growScratch();
    sStarts[count] = start;
    sEnds[count] = i;
    sFlags[count] = f;
    sPrev[count] = prev;
    // Lower-casing never shortens a string, so a longer token cannot be a vocabulary word.
    const id = i - start > maxLen ? 0 : ascii ? lookupAscii(text, start, i, h) : lookupOther(text, start, i);
    sIds[count] = id;
    if (id !== 0) prev = count;
    count++;
  }
  return count;
}

/**
 * Splits `text` into tokens in one pass.
 * @example tokenize("driver's DL-123").starts // [0, 9, 12]
 */
export function tokenize(text: string): Tokens {
  const count = scan(text);
  return new TokenView(
    text,
    sStarts.slice(0, count),
    sEnds.slice(0, count),
    sFlags.slice(0, count),
    sIds.slice(0, count),
    sPrev.slice(0, count),
  );
}

/**
 * {@link tokenize} into columns shared from call to call: the tokens are valid only until the next
 * call (the structured detector uses them within one synchronous scan).
 */
export function tokenizeShared(text: string): Tokens {
  const count = scan(text);
  // Five subarray views cost about as much as scanning a short utterance; the views of a given
  // length over the same scratch columns are interchangeable, so short texts reuse them.
  let v = count < VIEW_CACHE_TOKENS ? viewCache[count] : undefined;
  if (v === undefined) {
    v = {
      starts: sStarts.subarray(0, count),
      ends: sEnds.subarray(0, count),
      flags: sFlags.subarray(0, count),
      ids: sIds.subarray(0, count),
      prev: sPrev.subarray(0, count),
    };
    if (count < VIEW_CACHE_TOKENS) {
      while (viewCache.length <= count) viewCache.push(undefined);
      viewCache[count] = v;
    }
  }
  const t = new TokenView(text, v.starts, v.ends, v.flags, v.ids, v.prev);
  if (scratchCap > KEEP_TOKENS) {
    viewCache = [];
    scratchCap = 1024;
    sStarts = new Int32Array(scratchCap);
    sEnds = new Int32Array(scratchCap);
    sFlags = new Uint8Array(scratchCap);
    sIds = new Int32Array(scratchCap);
    sPrev = new Int32Array(scratchCap);
  }
  return t;
}

/**
 * The {@link Tokens} view. A class, not an object of closures: the tsx loader wraps every closure
 * creation in a `defineProperty` call, which showed up in per-utterance profiles.
 */
class TokenView implements Tokens {
  private words: Array<string | undefined> | undefined;

  constructor(
    readonly text: string,
    readonly starts: Int32Array,
    readonly ends: Int32Array,
    readonly flags: Uint8Array,
    readonly ids: Int32Array,
    readonly prevKnown: Int32Array,
  ) {}

  word(k: number): string {
    if (this.words === undefined) {
      this.words = [];
      for (let q = 0; q < this.starts.length; q++) this.words.push(undefined);
    }
    let w = this.words[k];
    if (w === undefined) {
      w = this.text.slice(this.starts[k], this.ends[k]).toLowerCase();
      if (w.includes('\u2019')) w = w.replace(/\u2019/g, "'");
      this.words[k] = w;
    }
    return w;
  }

  id(k: number): number {
    return this.ids[k]!;
  }
}

/** Compiled cue phrases, indexed by their last and first words. */
export type CueSet = {
  readonly byLast: ReadonlyMap<string, readonly (readonly string[])[]>;
  readonly byFirst: ReadonlyMap<string, readonly (readonly string[])[]>;
  /** Whether any phrase ends (or starts) with a number, so all-digit tokens must be looked up. */
  readonly lastNumeric: boolean;
  readonly firstNumeric: boolean;
  /** The phrases as vocabulary ids, indexed by the id of their last (first) word. */
  readonly lastById: ReadonlyArray<readonly (readonly number[])[] | undefined>;
  readonly firstById: ReadonlyArray<readonly (readonly number[])[] | undefined>;
};

/**
 * Compiles cue phrases; each is tokenized like the text, so "d.o.b" and "a/c" work.
 * @example cueSet(['date of birth', 'dob'])
 */
export function cueSet(phrases: readonly string[]): CueSet {
  const byLast = new Map<string, string[][]>();
  const byFirst = new Map<string, string[][]>();
  const lastById: Array<number[][] | undefined> = [];
  const firstById: Array<number[][] | undefined> = [];
  for (const p of phrases) {
    const t = tokenize(p);
    const words: string[] = [];
    for (let k = 0; k < t.starts.length; k++) words.push(t.word(k));
    if (words.length === 0) continue;
    const last = words[words.length - 1]!;
    const first = words[0]!;
    byLast.set(last, [...(byLast.get(last) ?? []), words]);
    byFirst.set(first, [...(byFirst.get(first) ?? []), words]);
    const ids = words.map(vocabId);
    const lastId = ids[ids.length - 1]!;
    const firstId = ids[0]!;
    while (lastById.length <= Math.max(lastId, firstId)) lastById.push(undefined);
    while (firstById.length <= Math.max(lastId, firstId)) firstById.push(undefined);
    lastById[lastId] = [...(lastById[lastId] ?? []), ids];
    firstById[firstId] = [...(firstById[firstId] ?? []), ids];
  }
  const numeric = (keys: Iterable<string>): boolean => [...keys].some((w) => /^[0-9]+$/.test(w));
  return {
    byLast,
    byFirst,
    lastNumeric: numeric(byLast.keys()),
    firstNumeric: numeric(byFirst.keys()),
    lastById,
    firstById,
  };
}

/** Length in tokens of the longest cue phrase ending at token `k`, or 0. */
export function cueEndingAt(t: Tokens, k: number, cues: CueSet): number {
  if (k < 0 || k >= t.starts.length || (t.flags[k] === HAS_DIGIT && !cues.lastNumeric)) return 0;
  const ids = t.ids;
  const id = ids[k]!;
  if (id === 0) return 0;
  const list = cues.lastById[id];
  if (list === undefined) return 0;
  let best = 0;
  for (const phrase of list) {
    const from = k - phrase.length + 1;
    if (from < 0 || phrase.length <= best) continue;
    let ok = true;
    for (let m = 0; m < phrase.length - 1 && ok; m++) ok = ids[from + m] === phrase[m];
    if (ok) best = phrase.length;
  }
  return best;
}

/** Length in tokens of the longest cue phrase starting at token `k`, or 0. */
export function cueStartingAt(t: Tokens, k: number, cues: CueSet): number {
  if (k < 0 || k >= t.starts.length || (t.flags[k] === HAS_DIGIT && !cues.firstNumeric)) return 0;
  const ids = t.ids;
  const id = ids[k]!;
  if (id === 0) return 0;
  const list = cues.firstById[id];
  if (list === undefined) return 0;
  let best = 0;
  for (const phrase of list) {
    if (k + phrase.length > t.starts.length || phrase.length <= best) continue;
    let ok = true;
    for (let m = 1; m < phrase.length && ok; m++) ok = ids[k + m] === phrase[m];
    if (ok) best = phrase.length;
  }
  return best;
}

/**
 * Index of the nearest token ending a cue within `window` tokens before token `i`, or -1.
 * @example cueBefore(t, i, CUES.cvv, 6) >= 0
 */
export function cueBefore(t: Tokens, i: number, cues: CueSet, window: number): number {
  // Only tokens with a vocabulary id can end a cue, so walk the chain of those.
  const prev = t.prevKnown;
  const n = prev.length;
  let k = i >= n ? Math.min(i - 1, n - 1) : i > 0 ? prev[i]! : -1;
  for (; k >= 0 && k >= i - window; k = prev[k]!) if (cueEndingAt(t, k, cues) > 0) return k;
  return -1;
}

/** Index of the nearest token starting a cue within `window` tokens after token `j`, or -1. */
export function cueAfter(t: Tokens, j: number, cues: CueSet, window: number): number {
  const n = t.starts.length;
  for (let k = j + 1; k < n && k <= j + window; k++) if (cueStartingAt(t, k, cues) > 0) return k;
  return -1;
}

/** Cue vocabularies. Each list is small on purpose: a cue only raises a score or unlocks a weak pattern. */
// biome-ignore format: word lists read better packed
export const CUES = {
  card: cueSet([
    'card', 'cards', 'visa', 'mastercard', 'master card', 'amex', 'american express', 'discover', 'credit',
    'debit', 'number', 'cc', 'jcb', 'diners', 'maestro', 'unionpay', 'union pay', 'pan', 'long number',
  ]),
  cvv: cueSet([
    'cvv', 'cvv2', 'cvc', 'cvc2', 'cid', 'csc', 'security code', 'security number', 'three digits on the back',
    '3 digits on the back', 'digits on the back', 'three digit code', '3 digit code', 'card verification',
    'verification code', 'verification value', 'verification number', 'back of the card', 'on the back',
  ]),
  cvvAfterPan: cueSet(['code', 'security', 'back', 'verification', 'digits', 'cvv', 'cvc', 'cid', 'csc']),
  expiry: cueSet([
    'exp', 'expiry', 'expires', 'expire', 'expiration', 'expiring', 'valid thru', 'valid through', 'good thru',
    'good through', 'valid until', 'end date',
  ]),
  ssn: cueSet(['ssn', 'social security', 'social', 'ss number', 'ss no']),
  itin: cueSet(['itin', 'taxpayer identification', 'individual taxpayer', 'tax id', 'tax identification']),
  account: cueSet([
    'account number', 'account no', 'account num', 'acct', 'acc no', 'bank account', 'checking account',
    'savings account', 'a/c', 'account',
  ]),
  routing: cueSet(['routing', 'aba', 'rtn', 'transit number', 'routing number']),
  iban: cueSet(['iban', 'bank', 'account']),
  phone: cueSet([
    'phone', 'call', 'calling', 'number', 'mobile', 'cell', 'tel', 'telephone', 'contact', 'reach', 'callback',
    'call back', 'fax', 'landline', 'text', 'whatsapp', 'ring',
  ]),
  dob: cueSet(['date of birth', 'dob', 'd.o.b', 'born on', 'born', 'birthday', 'birth date', 'birthdate']),
  nhs: cueSet(['nhs', 'health service', 'nhs number', 'nhs no']),
  passport: cueSet(['passport']),
  driverLicense: cueSet([
    "driver's license", 'drivers license', 'driver license', "driver's licence", 'drivers licence',
    'driving licence', 'driving license', 'dl', 'license number', 'licence number', 'license no', 'licence no',
  ]),
  nino: cueSet(['national insurance', 'nino', 'ni number', 'ni no', 'insurance number']),
  postcode: cueSet(['postcode', 'post code', 'zip', 'zip code', 'address']),
  address: cueSet([
    'address', 'live at', 'lives at', 'living at', 'located at', 'ship to', 'deliver to', 'send it to',
    'mailing', 'billing', 'shipping', 'residence',
  ]),
  health: cueSet([
    'diagnosed with', 'diagnosis', 'i have', "i've got", 'i have got', 'taking', 'take', 'prescribed',
    'suffer from', 'suffering from', 'suffers from', 'condition', 'treated for', 'treatment for', 'medication',
    'living with', 'history of', "i'm on", 'i am on',
  ]),
  personStrong: cueSet(['my name is', "my name's", "name's", 'name is']),
  personWeak: cueSet(['this is', "i'm", 'i am', 'speaking with']),
  personTitle: cueSet(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'doctor']),
} as const;

/** Diagnoses, conditions and medications treated as health data after a cue. */
// biome-ignore format: word lists read better packed
export const HEALTH_TERMS = cueSet([
  'diabetes', 'diabetic', 'type 1 diabetes', 'type 2 diabetes', 'asthma', 'hiv', 'aids', 'cancer', 'depression',
  'anxiety', 'insulin', 'metformin', 'chemotherapy', 'chemo', 'radiotherapy', 'pregnant', 'pregnancy', 'epilepsy',
  'dementia', "alzheimer's", 'alzheimers', 'schizophrenia', 'bipolar', 'bipolar disorder', 'hepatitis',
  'tuberculosis', 'copd', 'arthritis', 'hypertension', 'high blood pressure', 'heart disease', 'heart failure',
  'multiple sclerosis', 'leukemia', 'leukaemia', 'lymphoma', 'stroke', 'heart attack', "parkinson's",
  'parkinsons', 'autism', 'adhd', 'ptsd', 'ocd', 'kidney disease', 'dialysis', 'lupus', "crohn's", 'crohns',
  'warfarin', 'lisinopril', 'sertraline', 'prozac', 'fluoxetine', 'antidepressants', 'methadone', 'anorexia',
  'bulimia', 'eating disorder', 'sickle cell', 'cystic fibrosis', 'long covid', 'migraines', 'sleep apnea',
  'opioids', 'morphine', 'oxycodone', 'xanax', 'adderall', 'ozempic', 'blood thinners', 'statins',
  'atorvastatin', 'high cholesterol', 'mental illness', 'addiction', 'hiv positive',
]);
