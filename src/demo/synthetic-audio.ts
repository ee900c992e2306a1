/**
 * Synthetic call audio for the demo: speech-like voiced segments (a glottal pulse train through
 * three formant resonators, syllable by syllable, with pauses between words and turns), real DTMF
 * key presses (ITU-T Q.24 frequency pairs and timing) and a silent payment pause, as 8 kHz mono
 * PCM16 WAV. Everything is computed here: no speech engine is needed at run time.
 *
 * The script that drives the audio also gives the transcript, so utterance and word times match
 * the sound (the transcript redaction's silence spans then cover the right audio).
 */
import { DTMF_HIGH_HZ, DTMF_LOW_HZ, FULL_SCALE_DBM0 } from '../modules/audio/dtmf.ts';
import { encodeWav } from '../modules/audio/wav.ts';

export const SAMPLE_RATE = 8000;

/** One step of a call script. */
export type CallSegment =
  | { kind: 'speech'; speaker: 'agent' | 'customer'; text: string }
  /** Key presses heard on the line (e.g. a card number typed on the phone keypad). */
  | { kind: 'dtmf'; digits: string }
  | { kind: 'silence'; seconds: number }
  /** The agent paused the recording to take a payment: silence, bracketed by pause/resume markers. */
  | { kind: 'payment-pause'; seconds: number };

export type Utterance = {
  speaker: string;
  start: number;
  end: number;
  text: string;
  words: Array<{ w: string; start: number; end: number }>;
};

export type SyntheticCall = {
  wav: Buffer;
  durationSeconds: number;
  utterances: Utterance[];
  dtmf: Array<{ digits: string; start: number; end: number }>;
  pauses: Array<{ from: number; to: number }>;
};

const KEYPAD_ROWS = ['123A', '456B', '789C', '*0#D'];

/** The low and high frequency (Hz) of a DTMF digit. */
export function dtmfPair(digit: string): [number, number] {
  for (let r = 0; r < KEYPAD_ROWS.length; r++) {
    const c = KEYPAD_ROWS[r]!.indexOf(digit.toUpperCase());
    if (c >= 0) return [DTMF_LOW_HZ[r]!, DTMF_HIGH_HZ[c]!];
  }
  throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
}

// Q.24 asks for at least 40 ms of tone and 40 ms of pause; phones send about 100 ms of each.
const TONE_SECONDS = 0.12;
const GAP_SECONDS = 0.1;
// Levels in dBm0, high group 2 dB above the low group (positive twist, as telephones send it).
const LOW_DBM0 = -8;
const HIGH_DBM0 = -6;
const amplitudeOf = (dbm0: number) => 10 ** ((dbm0 - FULL_SCALE_DBM0) / 20);

// Vowel formants (F1, F2, F3 in Hz) after Peterson & Barney; F3 stays below the 4 kHz Nyquist limit.
const VOWELS: Record<string, [number, number, number]> = {
  a: [730, 1090, 2440],
  e: [530, 1840, 2480],
  i: [270, 2290, 3010],
  o: [570, 840, 2410],
  u: [300, 870, 2240],
  y: [490, 1350, 1690],
};
const DIGIT_WORDS = ['oh', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** A small deterministic PRNG (mulberry32), so the same seed gives the same audio. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The vowel nuclei of a written word (a digit counts as the word it is spoken as). */
function syllablesOf(word: string): string[] {
  const spoken = word
    .toLowerCase()
    .replace(/\d/g, (d) => ` ${DIGIT_WORDS[Number(d)]} `)
    .replace(/[^a-z ]/g, '');
  const nuclei = spoken.match(/[aeiouy]+/g) ?? [];
  const out = nuclei.map((n) => n[0]!);
  return out.length > 0 ? out : ['y'];
}

/** Two-pole resonator (Klatt): gain-normalised band-pass at `f` Hz with bandwidth `bw` Hz. */
type Resonator = { a: number; b: number; c: number; y1: number; y2: number };
function tune(r: Resonator, f: number, bw: number) {
  const t = 1 / SAMPLE_RATE;
  r.c = -Math.exp(-2 * Math.PI * bw * t);
  r.b = 2 * Math.exp(-Math.PI * bw * t) * Math.cos(2 * Math.PI * f * t);
  r.a = 1 - r.b - r.c;
}
function resonate(r: Resonator, x: number): number {
  const y = r.a * x + r.b * r.y1 + r.c * r.y2;
  r.y2 = r.y1;
  r.y1 = y;
  return y;
}

/**
 * Renders a call script to audio and timings.
 *
 * @example
 * const call = synthesizeCall([{ kind: 'speech', speaker: 'agent', text: 'Hello' }, { kind: 'dtmf', digits: '12#' }], 7);
 * fs.writeFileSync('call.wav', call.wav);
 */
export function synthesizeCall(script: readonly CallSegment[], seed: number): SyntheticCall {
  const rand = prng(seed);
  const samples: number[] = [];
  const now = () => samples.length / SAMPLE_RATE;
  const noise = (seconds: number, level = 0.002) => {
    const n = Math.round(seconds * SAMPLE_RATE);
    for (let i = 0; i < n; i++) samples.push((rand() * 2 - 1) * level);
  };
  const utterances: Utterance[] = [];
  const dtmf: SyntheticCall['dtmf'] = [];
  const pauses: SyntheticCall['pauses'] = [];
  const resonators: Resonator[] = [0, 1, 2].map(() => ({ a: 0, b: 0, c: 0, y1: 0, y2: 0 }));
  let phase = 0;

  const speak = (speaker: 'agent' | 'customer', text: string) => {
    // Agents here have a higher voice than customers, so the two sides are easy to tell apart.
    const baseF0 = speaker === 'agent' ? 195 : 118;
    const scale = speaker === 'agent' ? 1.12 : 1;
    const words = text.split(/\s+/).filter(Boolean);
    const start = now();
    const first = samples.length;
    const timed: Utterance['words'] = [];
    let current: [number, number, number] = VOWELS.y!;
    words.forEach((w, wi) => {
      const wordStart = now();
      for (const v of syllablesOf(w)) {
        const target = VOWELS[v] ?? VOWELS.y!;
        const seconds = 0.11 + rand() * 0.09;
        const n = Math.round(seconds * SAMPLE_RATE);
        // A short fricative-like burst opens some syllables (consonant onset).
        const onset = rand() < 0.5 ? Math.round(0.025 * SAMPLE_RATE) : 0;
        // Falling intonation across the utterance, with a little jitter per syllable.
        const f0 = baseF0 * (1.08 - (0.16 * wi) / Math.max(1, words.length - 1)) * (0.97 + rand() * 0.06);
        for (let i = 0; i < n; i++) {
          if (i % 80 === 0) {
            // Glide from the previous vowel to this one over the syllable's first third.
            const k = Math.min(1, i / (n / 3));
            const f = current.map((c, j) => Math.min(3500, (c + (target[j]! - c) * k) * scale));
            tune(resonators[0]!, f[0]!, 80);
            tune(resonators[1]!, f[1]!, 110);
            tune(resonators[2]!, f[2]!, 160);
          }
          phase += (f0 * (1 + 0.01 * Math.sin((2 * Math.PI * 5 * i) / SAMPLE_RATE))) / SAMPLE_RATE;
          if (phase >= 1) phase -= 1;
          // Rosenberg-like glottal pulse: open phase 40 % of the period.
          const pulse = phase < 0.4 ? Math.sin((Math.PI * phase) / 0.4) ** 2 : 0;
          const source = i < onset ? (rand() * 2 - 1) * 0.6 : pulse - 0.2 + (rand() * 2 - 1) * 0.02;
          const y = resonate(resonators[2]!, resonate(resonators[1]!, resonate(resonators[0]!, source)));
          const env = Math.min(1, i / 160, (n - i) / 240);
          samples.push(y * env * 0.9);
        }
        current = target;
      }
      timed.push({ w, start: round2(wordStart), end: round2(now()) });
      noise(0.04 + rand() * 0.06);
    });
    // Each utterance is normalised to a peak of about -6 dBFS (the resonators' gain varies a lot).
    let peak = 0;
    for (let i = first; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]!));
    for (let i = first; i < samples.length; i++) samples[i] = (samples[i]! / (peak || 1)) * 0.5;
    utterances.push({ speaker, start: round2(start), end: round2(now()), text, words: timed });
    noise(0.45 + rand() * 0.3);
  };

  for (const seg of script) {
    if (seg.kind === 'speech') speak(seg.speaker, seg.text);
    else if (seg.kind === 'silence') noise(seg.seconds);
    else if (seg.kind === 'payment-pause') {
      const from = round2(now());
      noise(seg.seconds, 0);
      pauses.push({ from, to: round2(now()) });
      noise(0.3);
    } else {
      const start = now();
      for (const d of seg.digits) {
        const [lo, hi] = dtmfPair(d);
        const n = Math.round(TONE_SECONDS * SAMPLE_RATE);
        const al = amplitudeOf(LOW_DBM0);
        const ah = amplitudeOf(HIGH_DBM0);
        for (let i = 0; i < n; i++) {
          const t = i / SAMPLE_RATE;
          samples.push(al * Math.sin(2 * Math.PI * lo * t) + ah * Math.sin(2 * Math.PI * hi * t));
        }
        noise(GAP_SECONDS);
      }
      dtmf.push({ digits: seg.digits, start: round2(start), end: round2(now()) });
      noise(0.4);
    }
  }

  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++)
    out[i] = Math.round(Math.max(-1, Math.min(1, samples[i]!)) * 32767);
  return {
    wav: encodeWav(out, { encoding: 'pcm16', channels: 1, sampleRate: SAMPLE_RATE }),
    durationSeconds: round2(samples.length / SAMPLE_RATE),
    utterances,
    dtmf,
    pauses,
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The call's transcript in Bulwark's canonical JSONL form (one utterance per line). */
export function transcriptJsonl(callId: string, call: Pick<SyntheticCall, 'utterances'>): string {
  return call.utterances
    .map((u) =>
      JSON.stringify({
        call_id: callId,
        speaker: u.speaker,
        start: u.start,
        end: u.end,
        text: u.text,
        words: u.words,
      }),
    )
    .map((l) => `${l}\n`)
    .join('');
}
