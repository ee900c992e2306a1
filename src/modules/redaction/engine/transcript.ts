/**
 * Card data in call transcripts. Each utterance is analysed like a single text (see spoken.ts), and
 * card numbers split across up to four consecutive turns of one speaker are stitched together when
 * the other speaker only backchannels in between ("okay", "mm-hmm", "go ahead", "and the next
 * four"). Context (card, CVV and expiry cues, a PAN just read) carries from turn to turn.
 */

import type { PanWindow, SpokenAnalysis } from './spoken.ts';
import * as spoken from './spoken.ts';
import * as spokenCard from './spoken-card.ts';
import * as spokenNumbers from './spoken-numbers.ts';
import type { SpokenTokens } from './spoken-tokens.ts';
import * as spokenTokens from './spoken-tokens.ts';
import type { Utterance } from './transcript-format.ts';
import type { Finding } from './types.ts';

// Module-local copies: some loaders (vitest, tsx) turn each imported binding read into a getter call.
const {
  analyzeSpoken,
  assertInputLimit,
  classifySpoken,
  DEFAULT_MAX_INPUT_CHARS,
  newSpokenState,
  stateIsFresh,
} = spoken;
const { panWindowsReadings, ReadingBudget } = spokenCard;
type ReadingBudget = spokenCard.ReadingBudget;
const { ambiguousZeros } = spokenNumbers;
const { K, tokenizeSpoken, vocabId } = spokenTokens;

export { audioSpans, audioSpansOf } from './transcript-audio.ts';
export {
  parseTranscriptJsonl,
  TranscriptFormatError,
  type Utterance,
  type UtteranceWord,
} from './transcript-format.ts';

/** A PAN may be split across at most this many turns. */
const MAX_PARTS = 4;
/** All turns of a split PAN must fall within this many seconds. */
const MAX_SPAN_SECONDS = 60;

const BACKCHANNELS = [
  'okay',
  'ok',
  'mm hmm',
  'mhm',
  'mm',
  'hmm',
  'uh huh',
  'huh',
  'yes',
  'yeah',
  'yep',
  'yup',
  'go ahead',
  'go on',
  'got it',
  'right',
  'all right',
  'alright',
  'sure',
  'thank you',
  'thanks',
  'and the next four',
  'the next four',
  'next four',
  'and the next',
  'next',
  'continue',
  'please',
  'great',
  'perfect',
  'correct',
  'i see',
  'uh',
  'um',
  'and',
].map((p) => p.split(' ').map(vocabId));

/** Words allowed before the digits of a continuing turn, and after the digits of a turn that goes on. */
const LEAD_WORDS = idSet([
  'and',
  'then',
  'okay',
  'ok',
  'so',
  'yes',
  'yeah',
  'yep',
  'alright',
  'right',
  'next',
  'sure',
]);
const TRAIL_WORDS = idSet(['and', 'then', 'okay', 'ok', 'right']);

/** Membership by vocabulary id: `set[id] === 1`. */
function idSet(words: string[]): Uint8Array {
  const ids = words.map(vocabId);
  const set = new Uint8Array(Math.max(...ids) + 1);
  for (const id of ids) set[id] = 1;
  return set;
}
const inSet = (set: Uint8Array, id: number): boolean => id >= 0 && set[id] === 1;

const soft = (t: SpokenTokens, i: number): boolean => t.kind[i] === K.filler || t.kind[i] === K.sep;

/** True when a turn's text only acknowledges (or is empty): the streaming redactor keeps holding. */
export const isBackchannelText = (text: string): boolean => isBackchannel(tokenizeSpoken(text));

/** True when the utterance only acknowledges (or is empty), so it may sit inside a split PAN. */
function isBackchannel(tokens: SpokenTokens): boolean {
  const { kind, wid } = tokens;
  const words: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (kind[i] === K.sep) continue;
    // A word no phrase names (id -1) can never be matched: not a backchannel.
    if (wid[i]! < 0) return false;
    words.push(wid[i]!);
  }
  let i = 0;
  while (i < words.length) {
    let best = 0;
    for (const p of BACKCHANNELS) {
      if (p.length > best && p.every((w, k) => words[i + k] === w)) best = p.length;
    }
    if (best === 0) return false;
    i += best;
  }
  return true;
}

type Part = { u: number; r: number };

/** The run that starts the turn (only lead words before it), or -1. */
function leadingRun(a: SpokenAnalysis): number {
  const run = a.runs[0];
  if (!run) return -1;
  for (let i = 0; i < run.firstToken; i++) {
    if (!soft(a.tokens, i) && !inSet(LEAD_WORDS, a.tokens.wid[i]!)) return -1;
  }
  return 0;
}

/** The run that ends the turn (only trail words after it), or -1. */
function trailingRun(a: SpokenAnalysis): number {
  const r = a.runs.length - 1;
  const run = a.runs[r];
  if (!run) return -1;
  for (let i = run.lastToken + 1; i < a.tokens.length; i++) {
    if (!soft(a.tokens, i) && !inSet(TRAIL_WORDS, a.tokens.wid[i]!)) return -1;
  }
  return r;
}

/**
 * Finds PANs across the parts of one chain and records a window in each part's run. A window may
 * not cut a PAN already found inside one turn; one that contains it replaces it.
 */
function stitch(
  chain: Part[],
  analyses: SpokenAnalysis[],
  utterances: Utterance[],
  budget: ReadingBudget,
): void {
  let digits = '';
  const partOf: number[] = [];
  const offsets: number[] = [];
  let total = 0;
  for (const p of chain) total += analyses[p.u]!.runs[p.r]!.digits.length;
  const chunkStart = new Uint8Array(total);
  /** Per digit, the chain-coordinate [start, end) of the single-turn PAN covering it, if any. */
  const single: Array<[number, number] | null> = [];
  /** Digit positions a second reading may drop (see `ambiguousZeros`). */
  const joins: number[] = [];
  chain.forEach((p, k) => {
    const run = analyses[p.u]!.runs[p.r]!;
    const off = digits.length;
    offsets.push(off);
    digits += run.digits;
    const starts = run.store.chunkStart;
    for (let i = 0; i < run.digits.length; i++) {
      partOf.push(k);
      chunkStart[off + i] = i === 0 || starts[run.offset + i] === 1 ? 1 : 0;
      single.push(null);
    }
    for (const z of ambiguousZeros(run, analyses[p.u]!.tokens)) joins.push(off + z);
    for (const w of analyses[p.u]!.pans[p.r]!) {
      const range: [number, number] = [off + w.s, off + w.e];
      for (let i = w.s; i < w.e; i++) single[off + i] = range;
    }
  });
  offsets.push(digits.length);
  const accept = (s: number, e: number): boolean => {
    const first = partOf[s]!;
    const last = partOf[e - 1]!;
    if (first === last || last - first >= MAX_PARTS) return false;
    const head = single[s];
    const tail = single[e - 1];
    if ((head && head[0] < s) || (tail && tail[1] > e)) return false;
    return utterances[chain[last]!.u]!.end - utterances[chain[first]!.u]!.start <= MAX_SPAN_SECONDS;
  };
  const windows = panWindowsReadings(digits, chunkStart, 0, joins, budget, accept);
  for (const w of windows) {
    const group = { score: null };
    for (let k = partOf[w.s]!; k <= partOf[w.e - 1]!; k++) {
      const p = chain[k]!;
      const s = Math.max(w.s, offsets[k]!) - offsets[k]!;
      const e = Math.min(w.e, offsets[k + 1]!) - offsets[k]!;
      const pans = analyses[p.u]!.pans;
      const kept = pans[p.r]!.filter((x) => x.e <= s || x.s >= e);
      kept.push({ s, e, rule: 'pan.spoken.multiturn', group });
      pans[p.r] = kept.sort((x, y) => x.s - y.s);
    }
  }
}

/** Next turn of the same speaker, if everything between is the other side backchannelling; else -1. */
function nextTurn(cur: number, utterances: Utterance[], analyses: SpokenAnalysis[]): number {
  const speaker = utterances[cur]!.speaker;
  for (let j = cur + 1; j < utterances.length; j++) {
    if (utterances[j]!.speaker === speaker) return j;
    if (!isBackchannel(analyses[j]!.tokens)) return -1;
  }
  return -1;
}

/** Builds maximal chains of turn-crossing runs and stitches each. */
function stitchAll(utterances: Utterance[], analyses: SpokenAnalysis[]): void {
  let chars = 0;
  for (const u of utterances) chars += u.text.length;
  const budget = new ReadingBudget(chars);
  let i = 0;
  while (i < utterances.length) {
    const r0 = trailingRun(analyses[i]!);
    if (r0 < 0) {
      i++;
      continue;
    }
    const chain: Part[] = [{ u: i, r: r0 }];
    let cur = i;
    let wholeLast = false;
    for (;;) {
      const j = nextTurn(cur, utterances, analyses);
      if (j < 0) break;
      const a = analyses[j]!;
      if (leadingRun(a) !== 0) break;
      chain.push({ u: j, r: 0 });
      cur = j;
      wholeLast = a.runs.length === 1 && trailingRun(a) === 0;
      if (!wholeLast) break;
    }
    if (chain.length >= 2) stitch(chain, analyses, utterances, budget);
    i = chain.length >= 2 && !wholeLast ? cur : cur + 1;
  }
}

/** Whether two window lists of a text are the same lists (stitching replaces a run's list when it adds a window). */
function samePans(a: readonly PanWindow[][], b: readonly PanWindow[][]): boolean {
  for (let r = 0; r < a.length; r++) if (a[r] !== b[r]) return false;
  return true;
}

/**
 * Card data in a call transcript, per utterance (only utterances with findings are listed, in
 * order). Offsets are into each utterance's own `text`. A PAN read across turns gives one
 * `pan.spoken.multiturn` finding in each turn that holds part of it. Throws DetectionLimitError when
 * the texts together exceed `maxInputChars` (default 10 MiB).
 */
export function detectTranscript(
  utterances: Utterance[],
  options: { maxInputChars?: number } = {},
): Array<{ index: number; findings: Finding[] }> {
  return analyzeTranscript(utterances, options, false).multi;
}

/**
 * {@link detectTranscript}, and with `singles` also each utterance's findings as a text on its own
 * (`detectSpoken(u.text)`), from the same analysis: the pipeline needs both.
 */
export function analyzeTranscript(
  utterances: Utterance[],
  options: { maxInputChars?: number },
  singles: boolean,
): { multi: Array<{ index: number; findings: Finding[] }>; single: Finding[][] } {
  let total = 0;
  for (const u of utterances) total += u.text.length;
  assertInputLimit(total, options.maxInputChars ?? DEFAULT_MAX_INPUT_CHARS);
  const analyses = utterances.map((u) => analyzeSpoken(u.text));
  // Before stitching, an analysis is exactly what detectSpoken classifies. Stitching replaces (never
  // edits) a turn's window lists, so a copy of the outer list keeps the single-text windows.
  const singlePans = singles ? analyses.map((a) => a.pans.slice()) : [];
  const single: Finding[][] = [];
  stitchAll(utterances, analyses);
  const state = newSpokenState();
  let panSpeaker: string | null = null;
  const out: Array<{ index: number; findings: Finding[] }> = [];
  analyses.forEach((a, index) => {
    const speaker = utterances[index]!.speaker;
    // A PAN's follow-up (expiry, CVV with no cue) is only looked for in the same speaker's turns.
    // (Only the three fields restored below are saved: copying the whole state per turn cost time.)
    const saved = speaker !== panSpeaker;
    const savedPanEndAt = state.panEndAt;
    const savedExpiryAfterPan = state.expiryAfterPan;
    const savedCvvAfterPan = state.cvvAfterPan;
    if (saved) state.panEndAt = Number.NEGATIVE_INFINITY;
    // A turn no stitched window touches, classified from a state that reaches nothing in it, gets
    // exactly its single-text findings: those are classified once.
    const alone = singles && stateIsFresh(state) && samePans(a.pans, singlePans[index]!);
    const findings = classifySpoken(a, state);
    if (singles) {
      single[index] = alone
        ? findings.slice()
        : classifySpoken({ ...a, pans: singlePans[index]! }, newSpokenState());
    }
    if (findings.some((f) => f.type === 'PAN')) panSpeaker = speaker;
    else if (saved) {
      state.panEndAt = savedPanEndAt;
      state.expiryAfterPan = savedExpiryAfterPan;
      state.cvvAfterPan = savedCvvAfterPan;
    }
    if (findings.length > 0) out.push({ index, findings });
  });
  return { multi: out, single };
}
