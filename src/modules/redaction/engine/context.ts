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

/** Tokens of one text, as parallel arrays; `word(i)` is the lowercased token (’ folded to '). */
export type Tokens = {
  readonly text: string;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly flags: Uint8Array;
  word(i: number): string;
};

const WORDLIKE = /[\p{L}\p{M}\p{N}]/u;

/** 0 not a token char, 1 digit, 2 letter (digits outside ASCII count as letters). */
function charClass(c: number, text: string, i: number): number {
  if (c >= 48 && c <= 57) return 1;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return 2;
  if (c < 0xc0) return 0;
  return WORDLIKE.test(text[i]!) ? 2 : 0;
}

function grow<T extends Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

const isApostrophe = (c: number): boolean => c === 39 || c === 0x2019;

/**
 * Splits `text` into tokens in one pass.
 * @example tokenize("driver's DL-123").starts // [0, 9, 12]
 */
export function tokenize(text: string): Tokens {
  const n = text.length;
  // Typed arrays sized for a typical token density, doubled when full: fewer allocations than push.
  let cap = Math.max(16, n >> 3);
  let starts = new Int32Array(cap);
  let ends = new Int32Array(cap);
  let flags = new Uint8Array(cap);
  let count = 0;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    let cls = charClass(c, text, i);
    if (cls === 0) {
      i++;
      continue;
    }
    const start = i;
    let f = 0;
    if (c < 128 ? c >= 65 && c <= 90 : cls === 2 && text[i] !== text[i]!.toLowerCase()) f |= UPPER_FIRST;
    while (i < n) {
      c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        f |= HAS_DIGIT;
        i++;
        continue;
      }
      cls = charClass(c, text, i);
      if (cls === 0) {
        // An apostrophe between letters stays inside the word (driver's, O'Brien).
        if (
          isApostrophe(c) &&
          f & HAS_LETTER &&
          i + 1 < n &&
          charClass(text.charCodeAt(i + 1), text, i + 1) === 2
        ) {
          i++;
          continue;
        }
        break;
      }
      f |= cls === 1 ? HAS_DIGIT : HAS_LETTER;
      i++;
    }
    if (count === cap) {
      cap *= 2;
      starts = grow(starts, new Int32Array(cap));
      ends = grow(ends, new Int32Array(cap));
      flags = grow(flags, new Uint8Array(cap));
    }
    starts[count] = start;
    ends[count] = i;
    flags[count] = f;
    count++;
  }
  starts = starts.subarray(0, count);
  ends = ends.subarray(0, count);
  flags = flags.subarray(0, count);
  const words: Array<string | undefined> = [];
  const s = starts;
  const e = ends;
  return {
    text,
    starts: s,
    ends: e,
    flags,
    word(k: number): string {
      let w = words[k];
      if (w === undefined) {
        w = text.slice(s[k], e[k]).toLowerCase();
        if (w.includes('\u2019')) w = w.replace(/\u2019/g, "'");
        words[k] = w;
      }
      return w;
    },
  };
}

/** Compiled cue phrases, indexed by their last and first words. */
export type CueSet = {
  readonly byLast: ReadonlyMap<string, readonly (readonly string[])[]>;
  readonly byFirst: ReadonlyMap<string, readonly (readonly string[])[]>;
  /** Whether any phrase ends (or starts) with a number, so all-digit tokens must be looked up. */
  readonly lastNumeric: boolean;
  readonly firstNumeric: boolean;
};

/**
 * Compiles cue phrases; each is tokenized like the text, so "d.o.b" and "a/c" work.
 * @example cueSet(['date of birth', 'dob'])
 */
export function cueSet(phrases: readonly string[]): CueSet {
  const byLast = new Map<string, string[][]>();
  const byFirst = new Map<string, string[][]>();
  for (const p of phrases) {
    const t = tokenize(p);
    const words: string[] = [];
    for (let k = 0; k < t.starts.length; k++) words.push(t.word(k));
    if (words.length === 0) continue;
    const last = words[words.length - 1]!;
    const first = words[0]!;
    byLast.set(last, [...(byLast.get(last) ?? []), words]);
    byFirst.set(first, [...(byFirst.get(first) ?? []), words]);
  }
  const numeric = (keys: Iterable<string>): boolean => [...keys].some((w) => /^[0-9]+$/.test(w));
  return { byLast, byFirst, lastNumeric: numeric(byLast.keys()), firstNumeric: numeric(byFirst.keys()) };
}

/** Length in tokens of the longest cue phrase ending at token `k`, or 0. */
export function cueEndingAt(t: Tokens, k: number, cues: CueSet): number {
  if (k < 0 || k >= t.starts.length || (t.flags[k] === HAS_DIGIT && !cues.lastNumeric)) return 0;
  const list = cues.byLast.get(t.word(k));
  if (!list) return 0;
  let best = 0;
  for (const words of list) {
    const from = k - words.length + 1;
    if (from < 0 || words.length <= best) continue;
    let ok = true;
    for (let m = 0; m < words.length - 1 && ok; m++) ok = t.word(from + m) === words[m];
    if (ok) best = words.length;
  }
  return best;
}

/** Length in tokens of the longest cue phrase starting at token `k`, or 0. */
export function cueStartingAt(t: Tokens, k: number, cues: CueSet): number {
  if (k < 0 || k >= t.starts.length || (t.flags[k] === HAS_DIGIT && !cues.firstNumeric)) return 0;
  const list = cues.byFirst.get(t.word(k));
  if (!list) return 0;
  let best = 0;
  for (const words of list) {
    if (k + words.length > t.starts.length || words.length <= best) continue;
    let ok = true;
    for (let m = 1; m < words.length && ok; m++) ok = t.word(k + m) === words[m];
    if (ok) best = words.length;
  }
  return best;
}

/**
 * Index of the nearest token ending a cue within `window` tokens before token `i`, or -1.
 * @example cueBefore(t, i, CUES.cvv, 6) >= 0
 */
export function cueBefore(t: Tokens, i: number, cues: CueSet, window: number): number {
  for (let k = i - 1; k >= 0 && k >= i - window; k--) if (cueEndingAt(t, k, cues) > 0) return k;
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
