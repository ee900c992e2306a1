/**
 * Cue phrases for spoken data: words that announce a card number, a CVV, an expiry date, a social
 * security number or a phone number, and month names. Matching is by whole lower-cased tokens, punctuation skipped, phrases of at most
 * five words, so a scan is linear.
 */

import type { SpokenTokens } from './spoken-tokens.ts';
import * as spokenTokens from './spoken-tokens.ts';

// Module-local copies: some loaders (vitest, tsx) turn each imported binding read into a getter call.
const { K, vocabId } = spokenTokens;

/** What a cue announces. `month` cues carry the month number in `value`. */
export type CueKind = 'card' | 'cvv' | 'expiry' | 'month' | 'ssn' | 'phone';

/** A matched cue: tokens `first..last` inclusive. */
export type Cue = { kind: CueKind; first: number; last: number; value: number };

const PHRASES: Array<[CueKind, string]> = [
  ['card', 'card'],
  ['card', 'cards'],
  ['card', 'credit'],
  ['card', 'debit'],
  ['card', 'visa'],
  ['card', 'mastercard'],
  ['card', 'master card'],
  ['card', 'amex'],
  ['card', 'american express'],
  ['card', 'discover'],
  ['card', 'jcb'],
  ['card', 'diners'],
  ['card', 'maestro'],
  ['card', 'unionpay'],
  ['card', 'long number'],
  ['card', 'number on the front'],
  ['cvv', 'security code'],
  ['cvv', 'security number'],
  ['cvv', 'cvv'],
  ['cvv', 'cvv2'],
  ['cvv', 'cvc'],
  ['cvv', 'cvc2'],
  ['cvv', 'csc'],
  ['cvv', 'cid'],
  ['cvv', 'verification code'],
  ['cvv', 'verification number'],
  ['cvv', 'digits on the back'],
  ['cvv', 'numbers on the back'],
  ['cvv', 'code on the back'],
  ['cvv', 'number on the back'],
  ['cvv', 'back of the card'],
  ['cvv', 'digit code'],
  ['cvv', 'digits on the front'],
  ['expiry', 'expiry'],
  ['expiry', 'expiration'],
  ['expiry', 'expires'],
  ['expiry', 'expire'],
  ['expiry', 'expired'],
  ['expiry', 'expiring'],
  ['expiry', 'exp'],
  ['expiry', 'valid thru'],
  ['expiry', 'valid through'],
  ['expiry', 'valid until'],
  ['expiry', 'good thru'],
  ['expiry', 'good through'],
  ['expiry', 'end date'],
  ['ssn', 'social security'],
  ['ssn', 'social'],
  ['ssn', 'ssn'],
  ['ssn', 'tax id'],
  ['phone', 'phone'],
  ['phone', 'telephone'],
  ['phone', 'cell'],
  ['phone', 'mobile'],
  ['phone', 'landline'],
  ['phone', 'call me'],
  ['phone', 'call me back'],
  ['phone', 'call back'],
  ['phone', 'callback'],
  ['phone', 'reach me'],
  ['phone', 'reach you'],
  ['phone', 'call you'],
  ['phone', 'best number'],
  ['phone', 'phone number'],
  ['phone', 'contact number'],
  ['phone', 'text me'],
];

const MONTHS: Array<[number, string[]]> = [
  [1, ['january', 'jan']],
  [2, ['february', 'feb']],
  [3, ['march', 'mar']],
  [4, ['april', 'apr']],
  [5, ['may']],
  [6, ['june', 'jun']],
  [7, ['july', 'jul']],
  [8, ['august', 'aug']],
  [9, ['september', 'sept', 'sep']],
  [10, ['october', 'oct']],
  [11, ['november', 'nov']],
  [12, ['december', 'dec']],
];

type Entry = { kind: CueKind; words: number[]; value: number };
/** Entries by the vocabulary id of their first word (an array index: no hashing), longest phrase first. */
const BY_FIRST: Array<Entry[] | undefined> = [];
const addEntry = (kind: CueKind, phrase: string, value: number): void => {
  const words = phrase.split(' ').map(vocabId);
  const first = words[0]!;
  while (BY_FIRST.length <= first) BY_FIRST.push(undefined);
  const list = BY_FIRST[first] ?? [];
  list.push({ kind, words, value });
  list.sort((a, b) => b.words.length - a.words.length);
  BY_FIRST[first] = list;
};
for (const [kind, phrase] of PHRASES) addEntry(kind, phrase, 0);
for (const [value, names] of MONTHS) for (const name of names) addEntry('month', name, value);

/** Indices of the non-separator tokens (reused from call to call). */
let idxScratch = new Int32Array(1024);

/** All cues in token order; a token belongs to at most one cue (longest phrase wins). */
export function findCues(tokens: SpokenTokens): Cue[] {
  const { kind, wid } = tokens;
  if (idxScratch.length < tokens.length) idxScratch = new Int32Array(Math.max(tokens.length, 1024));
  const idx = idxScratch;
  let m = 0;
  for (let i = 0; i < tokens.length; i++) if (kind[i] !== K.sep) idx[m++] = i;
  const cues: Cue[] = [];
  let k = 0;
  while (k < m) {
    const id = wid[idx[k]!]!;
    const entries = id >= 0 && id < BY_FIRST.length ? BY_FIRST[id] : undefined;
    let hit: Entry | undefined;
    if (entries) {
      for (const e of entries) {
        const len = e.words.length;
        if (k + len > m) continue;
        let j = 1;
        while (j < len && wid[idx[k + j]!] === e.words[j]) j++;
        if (j === len) {
          hit = e;
          break;
        }
      }
    }
    if (hit) {
      cues.push({ kind: hit.kind, first: idx[k]!, last: idx[k + hit.words.length - 1]!, value: hit.value });
      k += hit.words.length;
    } else k++;
  }
  if (idxScratch.length > 1 << 16) idxScratch = new Int32Array(1024);
  return cues;
}
