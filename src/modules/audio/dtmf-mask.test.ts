import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDtmfMasker, maskDtmf, maskDtmfStream } from './dtmf-mask.ts';
import { detectDtmfInWav } from './dtmf-wav.ts';
import {
  DIGIT_HZ,
  dbm0ToAmplitude,
  espeak,
  multimonDigits,
  run,
  scratchDir,
  soxConcat,
  soxConvert,
  soxDigits,
  soxSilence,
} from './peers.test-support.ts';
import { buildWavHeader, encodeWav, parseWav, WavFormatError } from './wav.ts';

const tmp = scratchDir();
afterAll(tmp.cleanup);

/** A card number keyed on the phone's keypad, between two prompts. */
const CARD = '4111111111111111';
const calls: Record<string, string> = {};

beforeAll(async () => {
  const prompt = await espeak(tmp.fresh(), 'Please key in your card number, then press hash.', {
    voice: 'en-us',
    speed: 170,
    pitch: 50,
  });
  const keys = await soxDigits(tmp.fresh(), `${CARD}#`, { toneSeconds: 0.07, gapSeconds: 0.07 });
  const thanks = await espeak(tmp.fresh(), 'Thank you. Your payment of forty dollars is complete.', {
    voice: 'en-gb',
    speed: 150,
    pitch: 40,
  });
  calls.pcm8k = await soxConcat(tmp.file('call.wav'), [prompt, keys, thanks]);
  calls.mulaw = await soxConvert(calls.pcm8k, tmp.file('call-mulaw.wav'), ['-e', 'mu-law']);
  calls.alaw = await soxConvert(calls.pcm8k, tmp.file('call-alaw.wav'), ['-e', 'a-law']);
  // Stereo at 16 kHz: the agent's speech on the left, the customer's keys and speech on the right.
  const right = await soxConvert(calls.pcm8k, tmp.fresh(), ['-r', '16000']);
  const agent = await espeak(
    tmp.fresh(),
    'I will wait while you type it in. Take your time, there is no hurry at all.',
    { voice: 'en-gb-scotland', speed: 140, pitch: 60 },
    16000,
  );
  const left = await soxConcat(tmp.fresh(), [agent], 'pad', '0', '5');
  calls.stereo16k = tmp.file('call-stereo.wav');
  await run('sox', ['-M', left, right, calls.stereo16k, 'trim', '0', String(await duration(right))]);
});

async function duration(file: string): Promise<number> {
  return Number((await run('soxi', ['-D', file])).trim());
}

const digitsIn = (wav: Uint8Array, sensitivity: 'standard' | 'max' = 'standard') =>
  detectDtmfInWav(wav, { sensitivity })
    .tones.map((t) => t.digit)
    .join('');

describe('maskDtmf', { timeout: 60_000 }, () => {
  it('masks every key press: before, both decoders hear the card number; after, neither hears anything', async () => {
    for (const [name, file] of Object.entries(calls)) {
      const input = fs.readFileSync(file);
      // multimon-ng decodes one channel: the customer's (the right one of the stereo call).
      const channel = name === 'stereo16k' ? 2 : 1;
      expect(await multimonDigits(file, channel), `multimon-ng, ${name}`).toBe(`${CARD}#`);
      expect(digitsIn(input), name).toBe(`${CARD}#`);
      for (const mode of ['silence', 'beep'] as const) {
        const { wav, summary } = maskDtmf(input, { mode, name: file });
        expect(summary.tones, `${name} ${mode}`).toHaveLength(CARD.length + 1);
        // Key presses 70 ms apart merge into one masked range, padded 250 ms each side.
        expect(summary.spans).toHaveLength(1);
        const out = tmp.fresh();
        fs.writeFileSync(out, wav);
        for (let c = 1; c <= parseWav(wav).format.channels; c++)
          expect(await multimonDigits(out, c), `multimon-ng after masking, ${name} ${mode}`).toBe('');
        expect(digitsIn(wav, 'max'), `max sensitivity after masking, ${name} ${mode}`).toBe('');
        // The summary never carries the digits.
        expect(JSON.stringify(summary)).not.toMatch(/digit|4111/);
      }
    }
  });

  it('keeps the header and all audio outside the masked ranges byte for byte', () => {
    for (const file of Object.values(calls)) {
      const input = fs.readFileSync(file);
      const { wav, summary } = maskDtmf(input, { mode: 'beep' });
      const { format, dataBytes } = parseWav(input);
      const at = input.indexOf('data', 12, 'latin1') + 8;
      expect(wav).toHaveLength(input.length);
      expect(wav.subarray(0, at).equals(input.subarray(0, at))).toBe(true);
      const inside = (offset: number) => {
        const t = Math.floor((offset - at) / format.blockAlign) / format.sampleRate;
        return summary.spans.some((s) => t >= s.start - 1e-9 && t < s.end);
      };
      let changedOutside = 0;
      let changedInside = 0;
      for (let i = at; i < at + dataBytes; i++) {
        if (wav[i] === input[i]) continue;
        if (inside(i)) changedInside++;
        else changedOutside++;
      }
      expect(changedOutside).toBe(0);
      expect(changedInside).toBeGreaterThan(0);
      const first = summary.tones[0]!;
      expect(summary.spans[0]!.start).toBeCloseTo(first.start - 0.25, 3);
    }
  });

  it('gives the same bytes streamed in pieces of any size as in one buffer', async () => {
    for (const file of [calls.mulaw!, calls.stereo16k!]) {
      const input = fs.readFileSync(file);
      const whole = maskDtmf(input).wav;
      let seed = 11;
      const masker = createDtmfMasker();
      const out: Uint8Array[] = [];
      for (let at = 0; at < input.length; ) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const size = 1 + (seed % 3001);
        out.push(...masker.push(input.subarray(at, at + size)));
        at += size;
      }
      out.push(...masker.end());
      expect(Buffer.concat(out).equals(whole)).toBe(true);
      const streamed = tmp.fresh();
      const summary = await maskDtmfStream(
        fs.createReadStream(file, { highWaterMark: 1000 }),
        fs.createWriteStream(streamed),
      );
      expect(fs.readFileSync(streamed).equals(whole)).toBe(true);
      expect(summary.tones).toHaveLength(CARD.length + 1);
    }
  });

  it('masks tones at the very start and end of a recording, clamped to it', async () => {
    const tone = await soxDigits(tmp.fresh(), '5', { lead: 0, gapSeconds: 0.001 });
    const file = await soxConcat(tmp.fresh(), [tone, await soxSilence(tmp.fresh(), 1), tone]);
    const input = fs.readFileSync(file);
    const { wav, summary } = maskDtmf(input);
    expect(summary.tones).toHaveLength(2);
    expect(summary.spans[0]!.start).toBe(0);
    expect(summary.spans[1]!.end).toBeCloseTo(summary.durationSeconds, 9);
    expect(digitsIn(wav, 'max')).toBe('');
  });

  it('holds back about a second of audio at most, even while a key is held down for seconds', () => {
    const rate = 8000;
    // 60 s: a 5 s key press at 10 s, short presses every few seconds after, noise throughout.
    const samples = new Int16Array(60 * rate);
    let s = 1;
    for (let i = 0; i < samples.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      samples[i] = (s >>> 22) - 512;
    }
    const key = (digit: string, from: number, seconds: number) => {
      const [f1, f2] = DIGIT_HZ[digit]!;
      const a = dbm0ToAmplitude(-10) * 32767;
      for (let k = 0; k < seconds * rate; k++)
        samples[from * rate + k]! += Math.round(
          a * (Math.sin((2 * Math.PI * f1 * k) / rate) + Math.sin((2 * Math.PI * f2 * k) / rate)),
        );
    };
    key('0', 10, 5);
    for (let t = 20; t < 58; t += 3) key('8', t, 0.1);
    const wav = encodeWav(samples, { encoding: 'mulaw', channels: 1, sampleRate: rate });
    const masker = createDtmfMasker({ mode: 'beep' });
    let pushed = 0;
    let released = 0;
    let maxHeld = 0;
    for (let at = 0; at < wav.length; at += 4096) {
      const piece = wav.subarray(at, at + 4096);
      pushed += piece.length;
      for (const o of masker.push(piece)) released += o.length;
      maxHeld = Math.max(maxHeld, pushed - released);
    }
    for (const o of masker.end()) released += o.length;
    expect(released).toBe(wav.length);
    // 250 ms padding + 500 ms merge gap + recognition time + one 4 KiB piece.
    expect(maxHeld).toBeLessThan(rate * 1.0 + 4096);
    expect(masker.summary().tones).toHaveLength(1 + 13);
  });

  it('keeps chunks after the data chunk, and refuses recordings too slow for DTMF', () => {
    const body = encodeWav(new Int16Array(8000), { encoding: 'pcm16', channels: 1, sampleRate: 8000 });
    const tail = Buffer.concat([Buffer.from('LIST\x04\x00\x00\x00INFO', 'latin1')]);
    const withTail = Buffer.concat([body, tail]);
    expect(maskDtmf(withTail).wav.equals(withTail)).toBe(true);
    const slow = Buffer.concat([
      buildWavHeader({ encoding: 'pcm16', channels: 1, sampleRate: 2000 }, 4),
      Buffer.alloc(4),
    ]);
    expect(() => maskDtmf(slow, { name: 'slow.wav' })).toThrow(WavFormatError);
    expect(() => maskDtmf(slow, { name: 'slow.wav' })).toThrow(
      'slow.wav: sample rate 2000 Hz is too low for DTMF',
    );
    expect(() => createDtmfMasker({ padMs: -5 })).toThrow(/non-negative/);
  });
});
