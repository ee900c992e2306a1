import fs from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWavRedactor, redactWav, redactWavStream } from './audio-redaction.ts';
import { AudioSpanError, planSpans } from './audio-spans.ts';
import { detectDtmfInWav } from './dtmf-wav.ts';
import { ALAW_SILENCE, MULAW_SILENCE } from './g711.ts';
import {
  espeak,
  multimonDigits,
  run,
  scratchDir,
  soxConcat,
  soxConvert,
  soxDigits,
} from './peers.test-support.ts';
import { buildWavHeader, parseWav, WavFormatError } from './wav.ts';

const tmp = scratchDir();
afterAll(tmp.cleanup);

/** A recording: speech, key presses, speech, made by espeak-ng and SoX; in three formats. */
const files: Record<'pcm16' | 'mulaw' | 'alaw', string> = { pcm16: '', mulaw: '', alaw: '' };
beforeAll(async () => {
  const a = await espeak(
    tmp.fresh(),
    'Please key in your card number.',
    { voice: 'en-us', speed: 170, pitch: 50 },
    16000,
  );
  const keys = await soxDigits(tmp.fresh(), '4111', { rate: 16000 });
  const b = await espeak(tmp.fresh(), 'Thank you.', { voice: 'en-gb', speed: 150, pitch: 40 }, 16000);
  const mono = await soxConcat(tmp.fresh(), [a, keys, b]);
  files.pcm16 = await soxConvert(mono, tmp.file('call-16k-stereo.wav'), ['-c', '2']);
  files.mulaw = await soxConvert(mono, tmp.file('call-mulaw.wav'), ['-r', '8000', '-e', 'mu-law']);
  files.alaw = await soxConvert(mono, tmp.file('call-alaw.wav'), ['-r', '8000', '-e', 'a-law']);
});

const dataOffset = (wav: Buffer) => wav.indexOf('data', 12, 'latin1') + 8;

describe('redactWav', () => {
  it('overwrites exactly the padded spans with the codec silence and keeps every other byte', () => {
    const spans = [
      { start: 0.5, end: 0.9 },
      { start: 1.2, end: 1.3 },
    ];
    for (const [encoding, file] of Object.entries(files)) {
      const input = fs.readFileSync(file);
      const before = Buffer.from(input);
      const { wav, summary } = redactWav(input, spans, { name: file });
      expect(input.equals(before), 'the input is never changed').toBe(true);
      expect(wav).toHaveLength(input.length);
      const at = dataOffset(input);
      expect(wav.subarray(0, at).equals(input.subarray(0, at))).toBe(true);
      const { format, frames } = parseWav(input);
      expect(summary.spans).toEqual([{ start: 0.25, end: 1.55 }]);
      expect(summary.durationSeconds).toBeCloseTo(frames / format.sampleRate, 9);
      const silence = encoding === 'mulaw' ? MULAW_SILENCE : encoding === 'alaw' ? ALAW_SILENCE : 0;
      const from = at + 0.25 * format.sampleRate * format.blockAlign;
      const to = at + 1.55 * format.sampleRate * format.blockAlign;
      const wrong: number[] = [];
      for (let i = at; i < wav.length; i++)
        if (i >= from && i < to ? wav[i] !== silence : wav[i] !== input[i]) wrong.push(i);
      expect(wrong, encoding).toEqual([]);
    }
  });

  it('beeps a 1 kHz tone at -20 dBFS that SoX measures, and that no DTMF decoder takes for a key', async () => {
    for (const [encoding, file] of Object.entries(files)) {
      const input = fs.readFileSync(file);
      const { wav } = redactWav(input, [{ start: 1, end: 3 }], { mode: 'beep', padMs: 0 });
      const out = tmp.fresh();
      fs.writeFileSync(out, wav);
      expect((await run('soxi', [out])).split('\n').slice(2)).toEqual(
        (await run('soxi', [file]))
          .split('\n')
          .slice(2)
          .map((l) => l.replace(file, out)),
      );
      const stat = await run('sh', ['-c', `sox "${out}" -n remix 1 trim 1.01 =2.99 stat 2>&1`]);
      // SoX's "rough frequency" is rate / pi * (RMS delta / RMS amplitude) / 2, which for a sine is
      // rate / pi * sin(pi * f / rate): 974 Hz for 1 kHz at 8 kHz, 994 Hz at 16 kHz.
      const rate = parseWav(input).format.sampleRate;
      const rough = (rate / Math.PI) * Math.sin((Math.PI * 1000) / rate);
      expect(Number(/Rough\s+frequency:\s+(\d+)/.exec(stat)?.[1]), encoding).toBeCloseTo(rough, -1);
      expect(Number(/Maximum amplitude:\s+([\d.]+)/.exec(stat)?.[1]), encoding).toBeCloseTo(0.1, 2);
      // A beep-only file: neither decoder finds a key press in it.
      const beepOnly = tmp.fresh();
      await run('sox', [out, beepOnly, 'trim', '1', '=3']);
      expect(await multimonDigits(beepOnly)).toBe('');
      expect(detectDtmfInWav(fs.readFileSync(beepOnly), { sensitivity: 'max' }).tones).toEqual([]);
    }
  });

  it('clamps spans to the recording and ignores those past its end', () => {
    const input = fs.readFileSync(files.mulaw);
    const { format, frames } = parseWav(input);
    const duration = frames / format.sampleRate;
    const { wav, summary } = redactWav(input, [
      { start: duration - 0.1, end: duration + 5 },
      { start: duration + 10, end: duration + 11 },
    ]);
    expect(summary.spans).toHaveLength(1);
    // Spans are widened to whole frames.
    expect(Math.abs(summary.spans[0]!.start - (duration - 0.35))).toBeLessThan(1 / format.sampleRate);
    expect(summary.spans[0]!.end).toBe(duration);
    const end = dataOffset(input) + parseWav(input).dataBytes;
    expect(wav.subarray(end - 100, end).every((b) => b === MULAW_SILENCE)).toBe(true);
    expect(wav.subarray(end).equals(input.subarray(end))).toBe(true);
  });

  it('refuses bad spans before writing anything', () => {
    expect(() => createWavRedactor([{ start: 2, end: 1 }])).toThrow(AudioSpanError);
    expect(() => createWavRedactor([{ start: Number.NaN, end: 1 }])).toThrow(/finite/);
    expect(() => createWavRedactor([{ start: -0.5, end: 1 }])).toThrow(/negative/);
  });
});

describe('streaming redaction', () => {
  it('gives the same bytes as the buffer form whatever the piece sizes', () => {
    const spans = [
      { start: 0.3, end: 0.31 },
      { start: 2, end: 2.2 },
    ];
    for (const file of Object.values(files)) {
      const input = fs.readFileSync(file);
      const whole = redactWav(input, spans, { mode: 'beep' }).wav;
      let seed = 7;
      const redactor = createWavRedactor(spans, { mode: 'beep' });
      const out: Uint8Array[] = [];
      for (let at = 0; at < input.length; ) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const size = 1 + (seed % 997);
        out.push(...redactor.push(input.subarray(at, at + size)));
        at += size;
      }
      out.push(...redactor.end());
      expect(Buffer.concat(out).equals(whole)).toBe(true);
    }
  });

  it('streams file to file and reports what it did', async () => {
    const out = tmp.fresh();
    const summary = await redactWavStream(
      fs.createReadStream(files.alaw, { highWaterMark: 4096 }),
      fs.createWriteStream(out),
      [{ start: 1, end: 1.5 }],
      {
        padMs: 100,
        mergeGapMs: 0,
      },
    );
    expect(summary.spans).toEqual([{ start: 0.9, end: 1.6 }]);
    expect(summary.redactedSeconds).toBeCloseTo(0.7, 9);
    expect(summary.format.encoding).toBe('alaw');
    expect(
      fs
        .readFileSync(out)
        .equals(
          redactWav(fs.readFileSync(files.alaw), [{ start: 1, end: 1.5 }], { padMs: 100, mergeGapMs: 0 }).wav,
        ),
    ).toBe(true);
  });

  it('redacts streamed input of unknown length (SoX writing to a pipe)', async () => {
    // What a streaming writer sends: the lengths are placeholders (SoX's own pipe output is in wav.test.ts).
    const piped = Buffer.from(fs.readFileSync(files.mulaw));
    piped.writeUInt32LE(0xffffffff, 4);
    piped.writeUInt32LE(0xffffffff, dataOffset(piped) - 4);
    const { wav, summary } = redactWav(piped, [{ start: 0.5, end: 0.6 }], { padMs: 0 });
    expect(summary.spans).toEqual([{ start: 0.5, end: 0.6 }]);
    const at = dataOffset(piped);
    expect(wav.subarray(at + 4000, at + 4800).every((b) => b === MULAW_SILENCE)).toBe(true);
    expect(wav.subarray(at + 4800).equals(piped.subarray(at + 4800))).toBe(true);
  });

  it('rejects a truncated stream and destroys the destination, so a partial output cannot pass for complete', async () => {
    const input = fs.readFileSync(files.pcm16);
    const destination = new Writable({ write: (_c, _e, done) => done() });
    await expect(
      redactWavStream(
        (async function* () {
          yield input.subarray(0, input.length - 100);
        })(),
        destination,
        [{ start: 0, end: 1 }],
        { name: 'cut.wav' },
      ),
    ).rejects.toThrow(WavFormatError);
    expect(destination.destroyed).toBe(true);
  });

  it('redacts 256 MB in bounded memory', async () => {
    const format = { encoding: 'pcm16', channels: 2, sampleRate: 48000 } as const;
    const piece = Buffer.alloc(1 << 20, 0x11);
    const pieces = 256;
    const header = buildWavHeader(format, pieces * piece.length);
    let peak = 0;
    const base = process.memoryUsage();
    const used = (m: NodeJS.MemoryUsage) => m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers;
    let written = 0;
    const destination = new Writable({
      write(chunk: Buffer, _e, done) {
        written += chunk.length;
        done();
      },
    });
    // Every other second redacted: the redactor copies and overwrites half the data.
    const spans = Array.from({ length: 700 }, (_, i) => ({ start: 2 * i, end: 2 * i + 1 }));
    const summary = await redactWavStream(
      (async function* () {
        yield header;
        for (let i = 0; i < pieces; i++) {
          peak = Math.max(peak, used(process.memoryUsage()));
          yield piece;
        }
      })(),
      destination,
      spans,
      { padMs: 0, mergeGapMs: 0 },
    );
    expect(written).toBe(header.length + pieces * piece.length);
    expect(summary.durationSeconds).toBeCloseTo((pieces * piece.length) / 4 / 48000, 6);
    expect(peak).toBeLessThan(64 * 1024 * 1024);
    expect(planSpans(spans, { padMs: 0, mergeGapMs: 0 })).toHaveLength(700);
  });
});
