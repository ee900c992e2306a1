import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { run, scratchDir } from './peers.test-support.ts';
import {
  buildWavHeader,
  createWavParser,
  decodeChannels,
  encodeWav,
  parseWav,
  type WavErrorCode,
  type WavEvent,
  WavFormatError,
} from './wav.ts';

const tmp = scratchDir();
afterAll(tmp.cleanup);

/** A short sine written by SoX with the given format arguments. */
async function soxSine(format: string[], seconds = 0.05): Promise<Buffer> {
  const out = tmp.fresh();
  await run('sox', ['-n', ...format, out, 'synth', String(seconds), 'sine', '440']);
  return fs.readFileSync(out);
}

/** All events of a parse, pushing `bytes` in pieces of `piece` bytes. */
function events(bytes: Uint8Array, piece = bytes.length, name = 'in.wav'): WavEvent[] {
  const parser = createWavParser(name);
  const out: WavEvent[] = [];
  for (let at = 0; at < bytes.length; at += piece) out.push(...parser.push(bytes.subarray(at, at + piece)));
  out.push(...parser.end());
  return out;
}

/** The input reassembled from the events' bytes (header, data, trailer in order). */
const reassemble = (evs: WavEvent[]) =>
  Buffer.concat(evs.flatMap((e) => (e.kind === 'format' ? [] : [e.bytes])));

/** A RIFF chunk with its pad byte when the size is odd. */
function chunk(id: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

/** `wav` with extra chunks inserted before its data chunk and appended after it. */
function withChunks(wav: Buffer, before: Buffer[], after: Buffer[] = []): Buffer {
  const at = wav.indexOf('data', 12, 'latin1');
  const out = Buffer.concat([wav.subarray(0, at), ...before, wav.subarray(at), ...after]);
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}

function expectRefused(bytes: Uint8Array, code: WavErrorCode, message: RegExp, piece?: number): void {
  let error: unknown;
  try {
    events(bytes, piece);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(WavFormatError);
  expect((error as WavFormatError).code).toBe(code);
  expect((error as Error).message).toMatch(/^in\.wav: /);
  expect((error as Error).message).toMatch(message);
}

describe('WAV reading', () => {
  it('reads what SoX writes: PCM mono and stereo at any rate, mu-law, A-law, extensible', async () => {
    const cases = [
      { args: ['-r', '8000', '-b', '16', '-c', '1'], encoding: 'pcm16', channels: 1, rate: 8000, tag: 1 },
      { args: ['-r', '44100', '-b', '16', '-c', '2'], encoding: 'pcm16', channels: 2, rate: 44100, tag: 1 },
      {
        args: ['-r', '11025', '-b', '16', '-c', '3'],
        encoding: 'pcm16',
        channels: 3,
        rate: 11025,
        tag: 0xfffe,
      },
      { args: ['-r', '8000', '-e', 'mu-law', '-c', '1'], encoding: 'mulaw', channels: 1, rate: 8000, tag: 7 },
      { args: ['-r', '8000', '-e', 'a-law', '-c', '2'], encoding: 'alaw', channels: 2, rate: 8000, tag: 6 },
    ] as const;
    for (const c of cases) {
      const wav = await soxSine([...c.args]);
      const parsed = parseWav(wav, 'in.wav');
      expect(parsed.format).toMatchObject({
        encoding: c.encoding,
        channels: c.channels,
        sampleRate: c.rate,
        formatTag: c.tag,
      });
      expect(parsed.frames).toBe(Math.round(0.05 * c.rate));
      // The events carry every input byte exactly once, in order.
      expect(reassemble(events(wav)).equals(wav)).toBe(true);
    }
  });

  it('decodes samples to the values SoX reads back', async () => {
    const wav = await soxSine(['-r', '8000', '-e', 'mu-law', '-c', '1'], 0.01);
    const parsed = parseWav(wav);
    const [samples] = decodeChannels(parsed.data, parsed.format);
    const raw = tmp.fresh('raw');
    fs.writeFileSync(tmp.file('mu.wav'), wav);
    await run('sox', [tmp.file('mu.wav'), '-t', 'raw', '-e', 'signed', '-b', '16', '-L', raw]);
    const ref = fs.readFileSync(raw);
    expect(Array.from(samples!, (v) => Math.round(v * 32768))).toEqual(
      Array.from({ length: ref.length / 2 }, (_, i) => ref.readInt16LE(i * 2)),
    );
  });

  it('passes unknown chunks through, odd-sized ones with their pad byte, before and after the data', async () => {
    const wav = await soxSine(['-r', '8000', '-b', '16', '-c', '1']);
    const info = chunk('LIST', Buffer.from('INFOICMT\x05\x00\x00\x00odd!\x00', 'latin1'));
    const odd = chunk('junk', Buffer.from('abc'));
    const tail = chunk('id3 ', Buffer.from('tail data'));
    const input = withChunks(wav, [info, odd], [tail]);
    for (const piece of [input.length, 7, 1]) {
      const evs = events(input, piece);
      expect(reassemble(evs).equals(input)).toBe(true);
      const data = Buffer.concat(evs.flatMap((e) => (e.kind === 'data' ? [e.bytes] : [])));
      expect(data.equals(parseWav(wav).data)).toBe(true);
      const trailer = Buffer.concat(evs.flatMap((e) => (e.kind === 'trailer' ? [e.bytes] : [])));
      expect(trailer.equals(tail)).toBe(true);
    }
  });

  it('accepts WAVE_FORMAT_EXTENSIBLE with a PCM or G.711 subformat and refuses others', () => {
    const ext = (
      code: number,
      bits: number,
      tail = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71],
    ) => {
      const fmt = Buffer.alloc(40);
      fmt.writeUInt16LE(0xfffe, 0);
      fmt.writeUInt16LE(1, 2);
      fmt.writeUInt32LE(8000, 4);
      fmt.writeUInt32LE(8000 * (bits / 8), 8);
      fmt.writeUInt16LE(bits / 8, 12);
      fmt.writeUInt16LE(bits, 14);
      fmt.writeUInt16LE(22, 16);
      fmt.writeUInt16LE(bits, 18);
      fmt.writeUInt32LE(4, 20);
      fmt.writeUInt32LE(code, 24);
      Buffer.from(tail).copy(fmt, 28);
      const riff = Buffer.from('RIFF\0\0\0\0WAVE', 'latin1');
      return Buffer.concat([riff, chunk('fmt ', fmt), chunk('data', Buffer.alloc(16))]);
    };
    expect(parseWav(ext(1, 16)).format).toMatchObject({ encoding: 'pcm16', formatTag: 0xfffe });
    expect(parseWav(ext(7, 8)).format.encoding).toBe('mulaw');
    expect(parseWav(ext(6, 8)).format.encoding).toBe('alaw');
    expectRefused(ext(3, 32), 'unsupported-format', /extensible subformat 0x0003 \(IEEE float\)/);
    expectRefused(ext(1, 16, Array(12).fill(1)), 'unsupported-format', /not a WAVE format GUID/);
  });

  it('reads streamed files whose data size is unknown (SoX to a pipe, 0xFFFFFFFF)', async () => {
    const streamed = Buffer.from(
      await run('sh', [
        '-c',
        'sox -n -r 8000 -b 16 -c 1 -t wav - synth 0.05 sine 440 2>/dev/null | base64 -w0',
      ]),
      'base64',
    );
    expect(streamed.readUInt32LE(streamed.indexOf('data', 12, 'latin1') + 4)).toBe(0x7ffff000);
    const evs = events(streamed, 100);
    expect(evs.find((e) => e.kind === 'format')).toMatchObject({ dataBytes: null });
    expect(parseWav(streamed).frames).toBe(400);
    const ff = Buffer.from(streamed);
    ff.writeUInt32LE(0xffffffff, ff.indexOf('data', 12, 'latin1') + 4);
    expect(parseWav(ff).frames).toBe(400);
    expectRefused(
      ff.subarray(0, ff.length - 1),
      'partial-frame',
      /streamed data ends 1 byte\(s\) into a 2-byte frame/,
    );
  });

  it('refuses bad input with a typed error naming the input and why', async () => {
    const pcm = await soxSine(['-r', '8000', '-b', '16', '-c', '1']);
    const dataAt = pcm.indexOf('data', 12, 'latin1');
    expectRefused(
      Buffer.from('OggS\0\0\0\0\0\0\0\0\0\0'),
      'not-riff',
      /not a RIFF file \(starts with "OggS"\)/,
    );
    expectRefused(Buffer.from('RF64\0\0\0\0WAVE'), 'not-riff', /RF64 is not supported/);
    expectRefused(Buffer.from('RIFF\0\0\0\0AVI '), 'not-wave', /RIFF file of type "AVI ", not WAVE/);
    expectRefused(new Uint8Array(0), 'truncated', /empty input/);
    expectRefused(pcm.subarray(0, 8), 'truncated', /inside the RIFF header/);
    expectRefused(pcm.subarray(0, 30), 'truncated', /inside the fmt chunk/);
    expectRefused(pcm.subarray(0, dataAt), 'no-data', /no data chunk/);
    expectRefused(
      pcm.subarray(0, pcm.length - 10),
      'truncated',
      /data chunk declares 800 bytes but the input ends after 790/,
    );
    expectRefused(pcm.subarray(0, pcm.length - 10), 'truncated', /ends after 790/, 3);
    const odd = Buffer.from(pcm);
    odd.writeUInt32LE(799, dataAt + 4);
    expectRefused(odd, 'partial-frame', /data chunk size 799 is not a whole number of 2-byte frames/);
    expectRefused(
      Buffer.concat([pcm.subarray(0, 12), pcm.subarray(dataAt), pcm.subarray(12, dataAt)]),
      'missing-fmt',
      /data chunk before the fmt chunk/,
    );
    expectRefused(Buffer.concat([pcm, pcm.subarray(dataAt)]), 'bad-chunk', /more than one data chunk/);
    expectRefused(
      Buffer.concat([pcm, Buffer.from([0x00, 0x01, 0xfe, 0x7f, 9, 0, 0, 0])]),
      'bad-chunk',
      /expected a chunk id, found bytes 00 01 fe 7f/,
    );
    expectRefused(
      Buffer.concat([pcm, Buffer.from('ab')]),
      'truncated',
      /2 stray byte\(s\) after the last chunk/,
    );
    expectRefused(
      withChunks(pcm, [], [chunk('LIST', Buffer.alloc(10))]).subarray(0, pcm.length + 12),
      'truncated',
      /inside the "LIST" chunk \(6 bytes missing\)/,
    );
    const badAlign = Buffer.from(pcm);
    badAlign.writeUInt16LE(4, 32);
    expectRefused(badAlign, 'bad-fmt', /block align 4 does not match 1 channel\(s\) of 16 bits/);
    expectRefused(
      await soxSine(['-r', '8000', '-e', 'floating-point', '-b', '32', '-c', '1']),
      'unsupported-format',
      /format tag 0x0003 \(IEEE float\)/,
    );
    expectRefused(
      await soxSine(['-r', '8000', '-b', '24', '-c', '1']),
      'unsupported-bit-depth',
      /24-bit PCM is not supported/,
    );
    expectRefused(
      await soxSine(['-r', '8000', '-b', '8', '-c', '1']),
      'unsupported-bit-depth',
      /8-bit PCM is not supported/,
    );
    expectRefused(
      await soxSine(['-r', '8000', '-e', 'ima-adpcm', '-c', '1']),
      'unsupported-format',
      /IMA ADPCM/,
    );
  });
});

describe('WAV writing', () => {
  it('writes files SoX reads back with the same format and samples', async () => {
    const samples = Int16Array.from({ length: 801 }, (_, i) => Math.round(8000 * Math.sin(i / 3)));
    for (const encoding of ['pcm16', 'mulaw', 'alaw'] as const) {
      const file = tmp.fresh();
      const wav = encodeWav(samples, { encoding, channels: 1, sampleRate: 8000 });
      fs.writeFileSync(file, wav);
      const info = await run('soxi', [file]);
      expect(info).toMatch(/Sample Rate\s+: 8000/);
      expect(info).toMatch(/= 801 samples/);
      expect(info).toMatch({ pcm16: /16-bit Signed Integer PCM/, mulaw: /u-law/, alaw: /A-law/ }[encoding]);
      const parsed = parseWav(wav);
      expect(parsed.frames).toBe(801);
      // Odd data sizes get their pad byte.
      expect(wav.length % 2).toBe(0);
    }
    expect(buildWavHeader({ encoding: 'pcm16', channels: 2, sampleRate: 16000 }, 0)).toHaveLength(44);
  });
});
