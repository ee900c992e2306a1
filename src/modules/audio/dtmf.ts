/**
 * DTMF (touch-tone) detection to ITU-T Q.24, at any sample rate, without resampling.
 *
 * How it works. The signal is cut into quarters of 6.375 ms (51 samples at 8 kHz, scaled with the
 * rate so every rate behaves alike). Per quarter a Goertzel filter gives the complex amplitude at
 * each of the 8 DTMF frequencies. Every quarter, the last four quarters form a 25.5 ms block
 * (the classic 205-sample window at 8 kHz) that is judged:
 *
 * - the strongest low-group and high-group tones must stand clear of the others in their group;
 * - each tone's frequency, estimated from how its phase turns from quarter to quarter, must lie
 *   within the deviation limit (Q.24: operate within ±1.5%, never beyond ±3.5%; the limit sits
 *   between, at 2.5%). The phase estimate resolves offsets of ±78 Hz, where a plain 25 ms Goertzel
 *   bin cannot tell 1.5% from 3.5% by magnitude alone;
 * - each tone's level, measured at its estimated frequency, must reach the minimum level;
 * - twist (low-group level over high-group level) must be within the normal/reverse limits;
 * - talk-off guards: the two tones must carry most of the block's energy (speech spreads its
 *   energy over many harmonics), stay steady in all four quarters, have no strong second
 *   harmonic, and leave the difference frequency quiet (a voice whose harmonics land on a row and
 *   a column frequency has a harmonic there too; a DTMF generator has none of these);
 * - a digit is reported once enough consecutive blocks agree (the minimum tone duration), and a
 *   repeated digit needs a real pause between its tones: shorter dropouts are bridged.
 *
 * Levels are in dBm0 with digital full scale at +3.17 dBm0, the G.711 mu-law convention (ITU-T
 * G.711: a full-scale mu-law sine is +3.17 dBm0; A-law's +3.14 is within 0.03 dB). The same
 * mapping is used for 16-bit PCM, so a tone of peak amplitude 1.0 is +3.17 dBm0 and -30 dBm0
 * is a sine peaking at 0.022 (-33.2 dBFS).
 */

/** DTMF digits, by low-group row and high-group column. */
const KEYPAD = ['1', '2', '3', 'A', '4', '5', '6', 'B', '7', '8', '9', 'C', '*', '0', '#', 'D'] as const;
export type DtmfDigit = (typeof KEYPAD)[number];

/** The eight DTMF frequencies (Hz): four low-group (rows), four high-group (columns). */
export const DTMF_LOW_HZ = [697, 770, 852, 941] as const;
export const DTMF_HIGH_HZ = [1209, 1336, 1477, 1633] as const;
const FREQUENCIES = [...DTMF_LOW_HZ, ...DTMF_HIGH_HZ];

/** Level in dBm0 of a full-scale sine (G.711 mu-law). */
export const FULL_SCALE_DBM0 = 3.17;

/** Tuning of the detector; every field has a default from the chosen sensitivity. */
export type DtmfOptions = {
  /** Preset the other fields default from; 'max' is for proving masking left nothing. Default 'standard'. */
  sensitivity?: DtmfSensitivity;
  /** Quietest tone accepted, per frequency (dBm0). */
  minLevelDbm0?: number;
  /** Normal twist: how much weaker the high-group tone may be than the low-group one (dB). */
  maxNormalTwistDb?: number;
  /** Reverse twist: how much stronger the high-group tone may be than the low-group one (dB). */
  maxReverseTwistDb?: number;
  /** Largest accepted frequency deviation, as a fraction of the nominal frequency. */
  maxDeviation?: number;
  /**
   * Tones at least this long (ms) are accepted, however they fall against the analysis blocks;
   * the floor is 26 ms (one 25.5 ms block). Tones shorter than about 60% of it are rejected:
   * measured, 40 accepts every tone of 32 ms or more and none of 24 ms or less.
   */
  minToneMs?: number;
  /** Gaps in a tone shorter than this are bridged (one digit); longer ones separate two digits (ms). */
  minPauseMs?: number;
  /** Smallest share of the block's energy the two tones must carry (0..1). */
  minPurity?: number;
  /** How far (dB) the strongest tone of each group must stand above the second strongest. */
  minGroupMarginDb?: number;
  /** How far (dB) each tone's second harmonic must stay below it; null disables the check. */
  minHarmonicMarginDb?: number | null;
  /**
   * How far (dB) the level at the difference frequency (high minus low tone) must stay below the
   * weaker tone; null disables the check. Speech whose harmonics land on a row and a column
   * frequency also has a harmonic there (the difference is a multiple of its pitch); a DTMF
   * generator emits nothing there.
   */
  minDifferenceMarginDb?: number | null;
};

/** Presets: 'standard' meets Q.24 with talk-off guards; 'max' catches fainter, shorter, more twisted tones. */
export type DtmfSensitivity = 'standard' | 'max';
export const DTMF_SENSITIVITIES: readonly DtmfSensitivity[] = ['standard', 'max'];

type ResolvedOptions = Required<
  Omit<DtmfOptions, 'sensitivity' | 'minHarmonicMarginDb' | 'minDifferenceMarginDb'>
> & {
  minHarmonicMarginDb: number | null;
  minDifferenceMarginDb: number | null;
};

const PRESETS: Record<DtmfSensitivity, ResolvedOptions> = {
  standard: {
    minLevelDbm0: -30,
    maxNormalTwistDb: 8,
    maxReverseTwistDb: 4,
    maxDeviation: 0.025,
    minToneMs: 40,
    minPauseMs: 20,
    minPurity: 0.7,
    minGroupMarginDb: 8,
    minHarmonicMarginDb: 6,
    minDifferenceMarginDb: 12,
  },
  // Fainter, shorter, more twisted and further off-frequency tones, but the same talk-off guards:
  // what it reports in masked audio is a tone, not a vowel.
  max: {
    minLevelDbm0: -50,
    maxNormalTwistDb: 14,
    maxReverseTwistDb: 10,
    maxDeviation: 0.035,
    minToneMs: 26,
    minPauseMs: 20,
    minPurity: 0.7,
    minGroupMarginDb: 8,
    minHarmonicMarginDb: 6,
    minDifferenceMarginDb: 12,
  },
};

/** Options with the preset's defaults filled in. */
export function resolveDtmfOptions(options: DtmfOptions = {}): ResolvedOptions {
  const base = PRESETS[options.sensitivity ?? 'standard'];
  if (!base) throw new RangeError(`unknown DTMF sensitivity ${JSON.stringify(options.sensitivity)}`);
  const out = { ...base };
  for (const key of Object.keys(base) as Array<keyof ResolvedOptions>) {
    const v = options[key];
    if (v !== undefined) (out as Record<string, number | null>)[key] = v;
  }
  return out;
}

/** A detected key press, in seconds from the start of the samples given. */
export type DtmfTone = { digit: DtmfDigit; start: number; end: number };

/** A detected key press in frames (sample index), end exclusive. */
export type DtmfToneFrames = { digit: DtmfDigit; startFrame: number; endFrame: number };

/** Incremental detector over one channel. */
export type DtmfDetector = {
  readonly sampleRate: number;
  /** Feeds the next `count` samples (default all) of `samples`, scaled to [-1, 1). */
  push(samples: Float32Array, count?: number): void;
  /** Ends the input: a tone still sounding is finished (if long enough). */
  flush(): void;
  /** Tones finished since the last call, in order (removes them). */
  takeTones(): DtmfToneFrames[];
  /** The confirmed tone still sounding (its end so far), if any. */
  active(): DtmfToneFrames | null;
  /**
   * The earliest frame where a tone not yet returned by `takeTones` or `active` may start: frames
   * before it belong to no tone that is still undecided.
   */
  frontier(): number;
};

/** Quarter-block length: 6.375 ms, so four make the classic 25.5 ms (204 samples at 8 kHz). */
const QUARTER_SECONDS = 0.006375;

/**
 * Creates an incremental detector for one channel at `sampleRate` (at least 4 kHz).
 *
 * @example
 * const d = createDtmfDetector(8000);
 * d.push(samples); d.flush();
 * d.takeTones(); // [{ digit: '5', startFrame: 800, endFrame: 1616 }]
 */
export function createDtmfDetector(sampleRate: number, options: DtmfOptions = {}): DtmfDetector {
  if (!Number.isFinite(sampleRate) || sampleRate < 4000)
    throw new RangeError(`DTMF detection needs a sample rate of at least 4000 Hz, not ${sampleRate}`);
  const opt = resolveDtmfOptions(options);
  const M = Math.max(8, Math.round(sampleRate * QUARTER_SECONDS));
  const N = 4 * M;
  const quarterMs = (M / sampleRate) * 1000;
  // A tone of D ms holds at least floor(D / quarter) - 1 whole quarters, so floor(D / quarter) - 4 whole blocks.
  const minHits = Math.max(1, Math.floor(opt.minToneMs / quarterMs) - 4);
  const bridgeFrames = Math.round((opt.minPauseMs / 1000) * sampleRate);
  const minAmplitude = 10 ** ((opt.minLevelDbm0 - FULL_SCALE_DBM0) / 20);
  const groupMargin = 10 ** (opt.minGroupMarginDb / 10);
  const normalTwist = 10 ** (opt.maxNormalTwistDb / 20);
  const reverseTwist = 10 ** (opt.maxReverseTwistDb / 20);
  const harmonicRatio = opt.minHarmonicMarginDb === null ? null : 10 ** (-opt.minHarmonicMarginDb / 20);
  const differenceRatio = opt.minDifferenceMarginDb === null ? null : 10 ** (-opt.minDifferenceMarginDb / 20);

  // Per frequency: Goertzel coefficient, the twiddle e^{-jw}, the phase turn over a quarter, and
  // the rotations e^{-jwMi} that line the four quarters up into one block.
  const omega = new Float64Array(8);
  const coef = new Float64Array(8);
  const cosW = new Float64Array(8);
  const sinW = new Float64Array(8);
  const quarterTurn = new Float64Array(8);
  const rotRe = new Float64Array(32);
  const rotIm = new Float64Array(32);
  for (let k = 0; k < 8; k++) {
    const w = (2 * Math.PI * FREQUENCIES[k]!) / sampleRate;
    omega[k] = w;
    coef[k] = 2 * Math.cos(w);
    cosW[k] = Math.cos(w);
    sinW[k] = Math.sin(w);
    quarterTurn[k] = wrapPhase(w * M);
    for (let i = 0; i < 4; i++) {
      rotRe[k * 4 + i] = Math.cos(w * M * i);
      rotIm[k * 4 + i] = -Math.sin(w * M * i);
    }
  }

  // The last four quarters: complex Goertzel outputs (slot*8 + k), energies, and raw samples.
  const yRe = new Float64Array(32);
  const yIm = new Float64Array(32);
  const energy = new Float64Array(4);
  const ring = new Float32Array(N);
  const blockSamples = new Float32Array(N);
  const hann = new Float32Array(N);
  let hannSum = 0;
  for (let n = 0; n < N; n++) {
    hann[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / N);
    hannSum += hann[n]!;
  }
  /** Goertzel states s[n-1], s[n-2] per frequency after a quarter. */
  const state = new Float64Array(16);
  /** Samples of the quarter being filled so far (it fills ring slot `quarters & 3`). */
  let fill = 0;
  let quarters = 0;
  /** Each frequency's power over the block at its nominal frequency (for picking the strongest). */
  const power0 = new Float64Array(8);

  // Digit tracking.
  let cur = -1;
  let curStart = 0;
  let curEnd = 0;
  let curHits = 0;
  const done: DtmfToneFrames[] = [];

  /** Runs the 8 Goertzel filters over the quarter just filled and judges the block it completes. */
  const endQuarter = () => {
    const slot = quarters & 3;
    energy[slot] = goertzel8(ring, slot * M, M, coef, state);
    for (let k = 0; k < 8; k++) {
      const s1 = state[k * 2]!;
      const s2 = state[k * 2 + 1]!;
      yRe[slot * 8 + k] = s1 - cosW[k]! * s2;
      yIm[slot * 8 + k] = sinW[k]! * s2;
    }
    quarters++;
    if (quarters >= 4) judge();
  };

  /** Slot of the i-th oldest quarter (0..3) of the current block. */
  const slotOf = (i: number) => (quarters - 4 + i) & 3;

  /** Rough amplitude of the last tone passed to {@link toneFrequency} (quarters summed coherently). */
  let roughAmplitude = 0;

  /**
   * The frequency (rad/sample) of the tone near DTMF frequency k, estimated from how its phase
   * turns from quarter to quarter; -1 when it is off-frequency or not steady over the block.
   */
  const toneFrequency = (k: number): number => {
    // Phase turn per quarter, weighted by magnitudes: arg sum y[i] * conj(y[i-1]).
    let zr = 0;
    let zi = 0;
    let magSum = 0;
    let magMin = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 4; i++) {
      const s = slotOf(i) * 8 + k;
      const ar = yRe[s]!;
      const ai = yIm[s]!;
      const mag = Math.sqrt(ar * ar + ai * ai);
      magSum += mag;
      if (mag < magMin) magMin = mag;
      if (i > 0) {
        const p = slotOf(i - 1) * 8 + k;
        const br = yRe[p]!;
        const bi = yIm[p]!;
        zr += ar * br + ai * bi;
        zi += ai * br - ar * bi;
      }
    }
    // Steady: every quarter carries the tone (a block straddling its start or end does not).
    if (magMin < 0.5 * (magSum / 4)) return -1;
    const coarse = wrapPhase(Math.atan2(zi, zr) - quarterTurn[k]!);
    // Refine over three quarters' distance (the other tone's leakage then errs a third as much),
    // taking the whole turns from the coarse estimate.
    const first = slotOf(0) * 8 + k;
    const last = slotOf(3) * 8 + k;
    const fr = yRe[last]! * yRe[first]! + yIm[last]! * yIm[first]!;
    const fi = yIm[last]! * yRe[first]! - yRe[last]! * yIm[first]!;
    const fine = wrapPhase(Math.atan2(fi, fr) - 3 * quarterTurn[k]! - 3 * coarse);
    const delta = (3 * coarse + fine) / (3 * M);
    if (Math.abs(delta) > opt.maxDeviation * omega[k]!) return -1;
    roughAmplitude = magSum / (2 * M);
    return omega[k]! + delta;
  };

  /**
   * Amplitude at angular frequency w (rad/sample) over the block's samples, Hann-windowed: the
   * window's low far sidelobes keep the other tone out of the estimate, and evaluating at the
   * estimated frequency keeps the tone's own level exact wherever it sits in the band.
   */
  const windowedAmplitude = (w: number): number => {
    const c = 2 * Math.cos(w);
    let s1 = 0;
    let s2 = 0;
    for (let n = 0; n < N; n++) {
      const s0 = blockSamples[n]! * hann[n]! + c * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    const re = s1 - Math.cos(w) * s2;
    const im = Math.sin(w) * s2;
    return (2 * Math.sqrt(re * re + im * im)) / hannSum;
  };

  /** Two bins of the block (rad/sample): the Hann main lobe's half-width. */
  const twoBins = (4 * Math.PI) / N;

  /**
   * Level at `w` is at most `ratio` times `reference`. Where `w` falls within two bins of a tone
   * (`near1`, `near2`) the measurement would be that tone itself, so the check passes: twice a
   * low-group tone can sit within 20 Hz of a high-group tone (2 x 697 x 0.985 and 1336 x 1.015),
   * and so can the difference of the two. Beyond two bins the Hann window keeps them 31 dB down.
   */
  const quietAt = (
    w: number,
    ratio: number | null,
    reference: number,
    near1: number,
    near2: number,
  ): boolean => {
    if (ratio === null || w >= 0.95 * Math.PI) return true;
    if (Math.abs(w - near1) < twoBins || Math.abs(w - near2) < twoBins) return true;
    return windowedAmplitude(w) <= reference * ratio;
  };

  /** Which digit the current block holds, or -1. */
  const classify = (): number => {
    for (let k = 0; k < 8; k++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < 4; i++) {
        const s = slotOf(i) * 8 + k;
        const c = rotRe[k * 4 + i]!;
        const sn = rotIm[k * 4 + i]!;
        re += yRe[s]! * c - yIm[s]! * sn;
        im += yRe[s]! * sn + yIm[s]! * c;
      }
      power0[k] = re * re + im * im;
    }
    const row = strongest(power0, 0, groupMargin);
    if (row < 0) return -1;
    const col = strongest(power0, 4, groupMargin);
    if (col < 0) return -1;
    const wRow = toneFrequency(row);
    // The rough level is within a dB or two: far too quiet blocks stop here, cheaply.
    if (wRow < 0 || roughAmplitude < 0.5 * minAmplitude) return -1;
    const wCol = toneFrequency(col);
    if (wCol < 0 || roughAmplitude < 0.5 * minAmplitude) return -1;
    for (let i = 0; i < 4; i++) blockSamples.set(ring.subarray(slotOf(i) * M, slotOf(i) * M + M), i * M);
    const aRow = windowedAmplitude(wRow);
    const aCol = windowedAmplitude(wCol);
    if (aRow < minAmplitude || aCol < minAmplitude) return -1;
    if (aRow > aCol * normalTwist || aCol > aRow * reverseTwist) return -1;
    const total = (energy[0]! + energy[1]! + energy[2]! + energy[3]!) / N;
    if ((aRow * aRow + aCol * aCol) / 2 < opt.minPurity * total) return -1;
    if (!quietAt(2 * wRow, harmonicRatio, aRow, wRow, wCol)) return -1;
    if (!quietAt(2 * wCol, harmonicRatio, aCol, wRow, wCol)) return -1;
    if (!quietAt(wCol - wRow, differenceRatio, Math.min(aRow, aCol), wRow, wCol)) return -1;
    return row * 4 + (col - 4);
  };

  const finish = () => {
    if (cur >= 0 && curHits >= minHits)
      done.push({ digit: KEYPAD[cur]!, startFrame: curStart, endFrame: curEnd });
    cur = -1;
    curHits = 0;
  };

  const judge = () => {
    const blockEnd = quarters * M;
    const blockStart = blockEnd - N;
    const digit = classify();
    if (digit >= 0) {
      if (digit === cur && blockStart - curEnd < bridgeFrames) {
        curEnd = blockEnd;
        curHits++;
      } else {
        finish();
        cur = digit;
        curStart = blockStart;
        curEnd = blockEnd;
        curHits = 1;
      }
    } else if (cur >= 0 && blockStart + M - curEnd >= bridgeFrames) {
      // The next block starts too late to bridge back to this tone: it is over.
      finish();
    }
  };

  return {
    sampleRate,
    push(samples, count = samples.length) {
      let at = 0;
      while (at < count) {
        const take = Math.min(M - fill, count - at);
        ring.set(samples.subarray(at, at + take), (quarters & 3) * M + fill);
        fill += take;
        at += take;
        if (fill === M) {
          fill = 0;
          endQuarter();
        }
      }
    },
    flush() {
      finish();
    },
    takeTones() {
      return done.splice(0, done.length);
    },
    active() {
      return cur >= 0 && curHits >= minHits
        ? { digit: KEYPAD[cur]!, startFrame: curStart, endFrame: curEnd }
        : null;
    },
    frontier() {
      const nextBlockStart = Math.max(0, (quarters - 3) * M);
      return cur >= 0 && curHits < minHits ? Math.min(curStart, nextBlockStart) : nextBlockStart;
    },
  };
}

/**
 * Runs the eight Goertzel filters over `length` samples from `from` in one pass, leaving each
 * filter's last two states in `state` (s1, s2 pairs), and returns the samples' energy. One pass
 * with the states in locals is about three times faster than eight loops (measured: 7 vs 24
 * ns/sample at 16 kHz), and this loop is nearly all the detector's time.
 */
function goertzel8(
  samples: Float32Array,
  from: number,
  length: number,
  coef: Float64Array,
  state: Float64Array,
): number {
  const c0 = coef[0]!;
  const c1 = coef[1]!;
  const c2 = coef[2]!;
  const c3 = coef[3]!;
  const c4 = coef[4]!;
  const c5 = coef[5]!;
  const c6 = coef[6]!;
  const c7 = coef[7]!;
  let a1 = 0;
  let a2 = 0;
  let b1 = 0;
  let b2 = 0;
  let d1 = 0;
  let d2 = 0;
  let f1 = 0;
  let f2 = 0;
  let g1 = 0;
  let g2 = 0;
  let h1 = 0;
  let h2 = 0;
  let i1 = 0;
  let i2 = 0;
  let j1 = 0;
  let j2 = 0;
  let energy = 0;
  const end = from + length;
  for (let n = from; n < end; n++) {
    const x = samples[n]!;
    energy += x * x;
    const a0 = x + c0 * a1 - a2;
    a2 = a1;
    a1 = a0;
    const b0 = x + c1 * b1 - b2;
    b2 = b1;
    b1 = b0;
    const d0 = x + c2 * d1 - d2;
    d2 = d1;
    d1 = d0;
    const f0 = x + c3 * f1 - f2;
    f2 = f1;
    f1 = f0;
    const g0 = x + c4 * g1 - g2;
    g2 = g1;
    g1 = g0;
    const h0 = x + c5 * h1 - h2;
    h2 = h1;
    h1 = h0;
    const i0 = x + c6 * i1 - i2;
    i2 = i1;
    i1 = i0;
    const j0 = x + c7 * j1 - j2;
    j2 = j1;
    j1 = j0;
  }
  state[0] = a1;
  state[1] = a2;
  state[2] = b1;
  state[3] = b2;
  state[4] = d1;
  state[5] = d2;
  state[6] = f1;
  state[7] = f2;
  state[8] = g1;
  state[9] = g2;
  state[10] = h1;
  state[11] = h2;
  state[12] = i1;
  state[13] = i2;
  state[14] = j1;
  state[15] = j2;
  return energy;
}

/** Index of the strongest of the four powers from `from`, or -1 unless it beats the rest by `margin` (a ratio). */
function strongest(power: Float64Array, from: number, margin: number): number {
  let best = from;
  for (let k = from + 1; k < from + 4; k++) if (power[k]! > power[best]!) best = k;
  const top = power[best]!;
  if (top <= 0) return -1;
  for (let k = from; k < from + 4; k++) if (k !== best && power[k]! * margin > top) return -1;
  return best;
}

/** Wraps a phase to (-pi, pi]. */
function wrapPhase(p: number): number {
  const twoPi = 2 * Math.PI;
  let x = p % twoPi;
  if (x > Math.PI) x -= twoPi;
  else if (x <= -Math.PI) x += twoPi;
  return x;
}

/**
 * Finds the DTMF key presses in one channel of samples (floats in [-1, 1) or 16-bit integers).
 *
 * @example detectDtmf(samples, 8000) // [{ digit: '4', start: 0.5, end: 0.6 }, ...]
 */
export function detectDtmf(
  samples: Float32Array | Int16Array,
  sampleRate: number,
  options: DtmfOptions = {},
): DtmfTone[] {
  const detector = createDtmfDetector(sampleRate, options);
  if (samples instanceof Float32Array) detector.push(samples);
  else {
    const scratch = new Float32Array(4096);
    for (let at = 0; at < samples.length; at += scratch.length) {
      const n = Math.min(scratch.length, samples.length - at);
      for (let i = 0; i < n; i++) scratch[i] = samples[at + i]! / 32768;
      detector.push(scratch, n);
    }
  }
  detector.flush();
  return detector.takeTones().map((t) => ({
    digit: t.digit,
    start: t.startFrame / sampleRate,
    end: t.endFrame / sampleRate,
  }));
}
