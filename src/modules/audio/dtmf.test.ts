import fs from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createDtmfDetector, type DtmfOptions, detectDtmf } from './dtmf.ts';
import { detectDtmfInWav } from './dtmf-wav.ts';
import {
  DIGIT_HZ,
  dbm0ToAmplitude,
  espeak,
  type KeyPress,
  multimonDigits,
  run,
  scratchDir,
  soxConcat,
  soxConvert,
  soxSequence,
  soxSilence,
  soxTone,
  type Voice,
} from './peers.test-support.ts';
import { encodeWav, type WavEncoding } from './wav.ts';

const tmp = scratchDir();
afterAll(tmp.cleanup);
const ALL = '123A456B789C*0#D';

/** The digits our detector finds in a WAV file. */
const digitsIn = (file: string, options: DtmfOptions = {}) =>
  detectDtmfInWav(fs.readFileSync(file), { ...options, name: file })
    .tones.map((t) => t.digit)
    .join('');

/** A SoX-made sequence of every digit, each press shaped by `shape(digit, index)`. */
const everyDigit = (shape: (digit: string, i: number) => Omit<KeyPress, 'digit'>, rate = 8000) =>
  soxSequence(
    tmp.fresh(),
    Array.from(ALL, (digit, i) => ({ digit, ...shape(digit, i) })),
    { rate },
  );

describe('DTMF detection: ITU-T Q.24 (tones made by SoX, cross-checked by multimon-ng)', {
  timeout: 60_000,
}, () => {
  it('finds all 16 digits at every sample rate, in PCM16, mu-law and A-law', async () => {
    for (const rate of [8000, 11025, 16000, 44100, 48000]) {
      const file = await everyDigit(() => ({}), rate);
      expect(digitsIn(file), `${rate} Hz`).toBe(ALL);
      expect(digitsIn(file, { sensitivity: 'max' }), `${rate} Hz max`).toBe(ALL);
    }
    const pcm = await everyDigit(() => ({}));
    expect(await multimonDigits(pcm)).toBe(ALL);
    for (const encoding of ['mu-law', 'a-law']) {
      const g711 = await soxConvert(pcm, tmp.fresh(), ['-e', encoding]);
      expect(await multimonDigits(g711)).toBe(ALL);
      expect(digitsIn(g711), encoding).toBe(ALL);
    }
  });

  it('makes the levels it says (checked with SoX stat)', async () => {
    const file = await soxTone(tmp.fresh(), { hz: [697, 1209], seconds: 1, dbm0: [-10, -16] });
    const stat = await run('sh', ['-c', `sox "${file}" -n stat 2>&1`]);
    const rms = Number(/RMS\s+amplitude:\s+([\d.]+)/.exec(stat)?.[1]);
    const expected = Math.sqrt((dbm0ToAmplitude(-10) ** 2 + dbm0ToAmplitude(-16) ** 2) / 2);
    expect(rms).toBeCloseTo(expected, 3);
  });

  it('accepts tones within ±1.5% of nominal, in every combination of directions', async () => {
    const signs: Array<[number, number]> = [
      [1, 1],
      [1, -1],
      [-1, 1],
      [-1, -1],
    ];
    for (const rate of [8000, 16000]) {
      const file = await everyDigit((d, i) => {
        const [lo, hi] = DIGIT_HZ[d]!;
        const [s1, s2] = signs[i % 4]!;
        return { hz: [lo * (1 + 0.015 * s1), hi * (1 + 0.015 * s2)], seconds: 0.05, dbm0: [-20, -18] };
      }, rate);
      expect(digitsIn(file), `${rate} Hz`).toBe(ALL);
    }
  });

  it('rejects a tone pair with either tone beyond ±3.5%', async () => {
    const file = await everyDigit((d, i) => {
      const [lo, hi] = DIGIT_HZ[d]!;
      const off = i % 2 === 0 ? 1.035 : 0.965;
      return { hz: i % 4 < 2 ? [lo * off, hi] : [lo, hi * off], seconds: 0.1 };
    });
    expect(digitsIn(file)).toBe('');
  });

  it('accepts twist within 8 dB normal and 4 dB reverse, rejects beyond, and takes the limits as options', async () => {
    const within = await everyDigit((_, i) => ({ dbm0: i % 2 === 0 ? [-8, -15] : [-12, -9], seconds: 0.06 }));
    expect(digitsIn(within)).toBe(ALL);
    const normal = await everyDigit(() => ({ dbm0: [-6, -16], seconds: 0.1 }));
    expect(digitsIn(normal)).toBe('');
    expect(digitsIn(normal, { maxNormalTwistDb: 12 })).toBe(ALL);
    const reverse = await everyDigit(() => ({ dbm0: [-16, -10], seconds: 0.1 }));
    expect(digitsIn(reverse)).toBe('');
    expect(digitsIn(reverse, { maxReverseTwistDb: 7 })).toBe(ALL);
  });

  it('accepts 40 ms tones and rejects 20 and 23 ms ones; the max setting takes 26 ms', async () => {
    for (const rate of [8000, 16000, 44100]) {
      expect(digitsIn(await everyDigit(() => ({ seconds: 0.04 }), rate)), `${rate} Hz`).toBe(ALL);
      expect(digitsIn(await everyDigit(() => ({ seconds: 0.023 }), rate)), `${rate} Hz`).toBe('');
      const short = await everyDigit(() => ({ seconds: 0.02 }), rate);
      expect(digitsIn(short), `${rate} Hz`).toBe('');
      expect(digitsIn(await everyDigit(() => ({ seconds: 0.026 }), rate), { sensitivity: 'max' })).toBe(ALL);
    }
  });

  it('accepts -25 dBm0 per tone, rejects -36 dBm0; the max setting hears -45 dBm0', async () => {
    expect(digitsIn(await everyDigit(() => ({ dbm0: [-25, -25] })))).toBe(ALL);
    const quiet = await everyDigit(() => ({ dbm0: [-36, -36] }));
    expect(digitsIn(quiet)).toBe('');
    expect(digitsIn(quiet, { minLevelDbm0: -40 })).toBe(ALL);
    expect(digitsIn(await everyDigit(() => ({ dbm0: [-45, -45] })), { sensitivity: 'max' })).toBe(ALL);
  });

  it('counts a repeated digit after a 40 ms pause twice, and bridges a 10 ms dropout inside a tone', async () => {
    const repeated = await soxSequence(
      tmp.fresh(),
      Array.from('55559999', (digit) => ({ digit, seconds: 0.05 })),
      {
        gapSeconds: 0.04,
      },
    );
    expect(digitsIn(repeated)).toBe('55559999');
    expect(await multimonDigits(repeated)).toBe('55559999');
    const half = await soxTone(tmp.fresh(), { hz: DIGIT_HZ['7']!, seconds: 0.06 });
    const dropout = await soxConcat(tmp.fresh(), [
      await soxSilence(tmp.fresh(), 0.2),
      half,
      await soxSilence(tmp.fresh(), 0.01),
      half,
      await soxSilence(tmp.fresh(), 0.2),
    ]);
    expect(digitsIn(dropout)).toBe('7');
  });

  it('reports when each tone starts and ends, to within a quarter block', async () => {
    const file = await soxSequence(
      tmp.fresh(),
      [
        { digit: '3', seconds: 0.1 },
        { digit: '#', seconds: 0.2 },
      ],
      {
        lead: 0.5,
        gapSeconds: 0.3,
      },
    );
    const [a, b] = detectDtmfInWav(fs.readFileSync(file)).tones;
    expect(a).toMatchObject({ digit: '3', channels: [0] });
    expect(b).toMatchObject({ digit: '#', channels: [0] });
    for (const [tone, start, end] of [
      [a!, 0.5, 0.6],
      [b!, 0.9, 1.1],
    ] as const) {
      expect(Math.abs(tone.start - start)).toBeLessThan(0.0064);
      expect(Math.abs(tone.end - end)).toBeLessThan(0.0064);
    }
  });

  it('needs a sample rate of at least 4 kHz', () => {
    expect(() => createDtmfDetector(3000)).toThrow(RangeError);
    expect(detectDtmf(new Int16Array(4000), 4000)).toEqual([]);
  });
});

describe('talk-off: speech made by espeak-ng yields no digits', { timeout: 120_000 }, () => {
  const voices: Voice[] = [
    { voice: 'en-us', speed: 120, pitch: 30 },
    { voice: 'en-gb', speed: 175, pitch: 50 },
    { voice: 'en-gb-scotland', speed: 220, pitch: 70 },
    { voice: 'en-us+f3', speed: 160, pitch: 60 },
    { voice: 'en+m7', speed: 140, pitch: 40 },
    { voice: 'en-gb-x-rp+f2', speed: 260, pitch: 90 },
  ];
  const sentences = [
    'Thank you for calling. My card number is four one one one, and it expires in December.',
    'One two three four five six seven eight nine zero. Star, pound, hash.',
    'How are you doing today? Yes, absolutely, I understand. Hmm, ahh, ooh, eee, la la la.',
  ];

  it('in several voices and speeds, at 8 and 16 kHz, PCM16 and mu-law, standard and max sensitivity', async () => {
    const found: string[] = [];
    await Promise.all(
      voices.map(async (voice, i) => {
        for (const rate of [8000, 16000]) {
          const file = await espeak(tmp.fresh(), sentences[i % sentences.length]!, voice, rate);
          const files =
            rate === 8000 ? [file, await soxConvert(file, tmp.fresh(), ['-e', 'mu-law'])] : [file];
          for (const f of files)
            for (const sensitivity of ['standard', 'max'] as const) {
              const digits = digitsIn(f, { sensitivity });
              if (digits) found.push(`${voice.voice} ${rate} Hz ${sensitivity}: ${digits}`);
            }
        }
      }),
    );
    expect(found).toEqual([]);
  });
});

describe('property: random key sequences round-trip', () => {
  const KEYS = Array.from(ALL);
  const press = fc.record({
    digit: fc.constantFrom(...KEYS),
    ms: fc.integer({ min: 45, max: 150 }),
    gapMs: fc.integer({ min: 45, max: 200 }),
    /** Level of the quieter tone (dBm0) and twist (low minus high, dB), inside the limits by 0.5 dB or more. */
    level: fc.double({ min: -28, max: -8, noNaN: true }),
    twist: fc.double({ min: -3.5, max: 7.5, noNaN: true }),
    offLow: fc.double({ min: -0.015, max: 0.015, noNaN: true }),
    offHigh: fc.double({ min: -0.015, max: 0.015, noNaN: true }),
  });
  const recording = fc.record({
    presses: fc.array(press, { minLength: 1, maxLength: 10 }),
    rate: fc.constantFrom(8000, 11025, 16000, 44100, 48000),
    encoding: fc.constantFrom<WavEncoding>('pcm16', 'mulaw', 'alaw'),
    /** Noise below the quieter tone (dB): the SNR. */
    snrDb: fc.double({ min: 20, max: 40, noNaN: true }),
    seed: fc.integer(),
  });

  it('finds exactly the keyed digits, with noise, offsets, twist and G.711', () => {
    fc.assert(
      fc.property(recording, ({ presses, rate, encoding, snrDb, seed }) => {
        const starts: number[] = [];
        let at = Math.round(0.1 * rate);
        for (const p of presses) {
          starts.push(at);
          at += Math.round(((p.ms + p.gapMs) / 1000) * rate);
        }
        const samples = new Float64Array(at + Math.round(0.1 * rate));
        let quietest = 0;
        presses.forEach((p, i) => {
          const lo = p.twist >= 0 ? p.level + p.twist : p.level;
          const hi = lo - p.twist;
          quietest = Math.min(quietest, lo, hi);
          const [f1, f2] = DIGIT_HZ[p.digit]!;
          const w1 = (2 * Math.PI * f1 * (1 + p.offLow)) / rate;
          const w2 = (2 * Math.PI * f2 * (1 + p.offHigh)) / rate;
          const a1 = dbm0ToAmplitude(lo);
          const a2 = dbm0ToAmplitude(hi);
          const n = Math.round((p.ms / 1000) * rate);
          for (let k = 0; k < n; k++)
            samples[starts[i]! + k]! += a1 * Math.sin(w1 * k + i) + a2 * Math.sin(w2 * k);
        });
        // Gaussian noise (Box-Muller over a small LCG), RMS `snrDb` below the quieter tone's RMS.
        const noise = (dbm0ToAmplitude(quietest) / Math.SQRT2) * 10 ** (-snrDb / 20);
        let s = seed >>> 0;
        const uniform = () => {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          return (s + 1) / 4294967297;
        };
        for (let k = 0; k < samples.length; k++)
          samples[k]! += noise * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
        const pcm = Int16Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))));
        const wav = encodeWav(pcm, { encoding, channels: 1, sampleRate: rate });
        const want = presses.map((p) => p.digit).join('');
        for (const sensitivity of ['standard', 'max'] as const) {
          const got = detectDtmfInWav(wav, { sensitivity })
            .tones.map((t) => t.digit)
            .join('');
          expect(got, `${sensitivity} ${rate} Hz ${encoding}`).toBe(want);
        }
      }),
      { numRuns: 100 },
    );
  });
});
