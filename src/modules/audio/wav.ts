/**
 * RIFF/WAVE reading and writing for the three encodings call recordings use: 16-bit linear PCM,
 * G.711 mu-law and G.711 A-law. The reader is incremental (bytes in any pieces, bounded memory:
 * only the fmt chunk and an 8-byte chunk header are ever buffered) and reports every byte as
 * header, data or trailer, so a rewriter can copy all but the sample bytes verbatim.
 *
 * Spec: Microsoft "Multimedia Programming Interface and Data Specifications 1.0" (RIFF, 1991) and
 * "WAVEFORMATEXTENSIBLE" (mmreg.h, KSDATAFORMAT_SUBTYPE_*).
 */

import { ALAW_TO_LINEAR, encodeALaw, encodeMuLaw, MULAW_TO_LINEAR } from './g711.ts';

/** Sample encodings Bulwark reads and writes. */
export type WavEncoding = 'pcm16' | 'mulaw' | 'alaw';

/** What the fmt chunk says, reduced to what sample processing needs. */
export type WavFormat = {
  encoding: WavEncoding;
  /** Format tag as written: 1 PCM, 6 A-law, 7 mu-law, 0xFFFE extensible (subformat gives the encoding). */
  formatTag: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Bytes per sample of one channel: 2 for PCM16, 1 for G.711. */
  bytesPerSample: number;
  /** Bytes per frame (one sample of every channel). */
  blockAlign: number;
};

/** Why a file was refused; stable for callers that switch on it. */
export type WavErrorCode =
  | 'not-riff'
  | 'not-wave'
  | 'bad-chunk'
  | 'bad-fmt'
  | 'missing-fmt'
  | 'unsupported-format'
  | 'unsupported-bit-depth'
  | 'partial-frame'
  | 'truncated'
  | 'no-data';

/** A WAV input that cannot be processed safely; the message names the input and the reason. */
export class WavFormatError extends Error {
  constructor(
    readonly code: WavErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WavFormatError';
  }
}

/** One piece of the input, in order; `bytes` are views of the pushed chunks, never copies. */
export type WavEvent =
  | { kind: 'header'; bytes: Uint8Array }
  /** Sent once, when the data chunk starts; `dataBytes` null when the length is unknown (streamed). */
  | { kind: 'format'; format: WavFormat; dataBytes: number | null }
  /** Sample bytes; `offset` is the position of `bytes[0]` within the data chunk. */
  | { kind: 'data'; bytes: Uint8Array; offset: number }
  | { kind: 'trailer'; bytes: Uint8Array };

/** Incremental reader: push pieces, then `end()`; both throw {@link WavFormatError}. */
export type WavParser = { push(chunk: Uint8Array): WavEvent[]; end(): WavEvent[] };

/**
 * Data-chunk sizes that mean "until the end of the stream": 0xFFFFFFFF (the usual placeholder of
 * streaming writers) and 0x7FFFF000 (what SoX writes when its output cannot seek, e.g. a pipe).
 */
const UNKNOWN_DATA_SIZES = new Set([0xffffffff, 0x7ffff000]);
/** Larger fmt chunks are not real formats; refusing them keeps the buffered part bounded. */
const MAX_FMT_BYTES = 64 * 1024;
const MAX_CHANNELS = 64;
const MAX_SAMPLE_RATE = 768_000;
/** Tail of every KSDATAFORMAT_SUBTYPE GUID after its 4-byte format code. */
const SUBTYPE_GUID_TAIL = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number) =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const fourcc = (b: Uint8Array, at: number) => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
const hex = (n: number) => `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;

/** Encoding for a (sub)format code and bit depth, or the reason it is refused. */
function encodingFor(code: number, bits: number, name: string, what: string): WavEncoding {
  if (code === 1) {
    if (bits === 16) return 'pcm16';
    throw new WavFormatError(
      'unsupported-bit-depth',
      `${name}: ${bits}-bit PCM is not supported (16-bit PCM, mu-law and A-law are)`,
    );
  }
  if (code === 6 || code === 7) {
    if (bits === 8) return code === 7 ? 'mulaw' : 'alaw';
    throw new WavFormatError(
      'unsupported-bit-depth',
      `${name}: G.711 ${code === 7 ? 'mu-law' : 'A-law'} must be 8 bits per sample, not ${bits}`,
    );
  }
  const known: Record<number, string> = { 2: 'MS ADPCM', 3: 'IEEE float', 17: 'IMA ADPCM', 85: 'MP3' };
  throw new WavFormatError(
    'unsupported-format',
    `${name}: ${what} ${hex(code)}${known[code] ? ` (${known[code]})` : ''} is not supported (PCM 1, A-law 6, mu-law 7)`,
  );
}

/**
 * Reads a fmt chunk body. Accepts PCM (16-bit), A-law, mu-law and WAVE_FORMAT_EXTENSIBLE with
 * one of those subformats; anything else throws {@link WavFormatError} naming why.
 */
export function parseFmtChunk(body: Uint8Array, name = 'input'): WavFormat {
  if (body.length < 16)
    throw new WavFormatError('bad-fmt', `${name}: fmt chunk is ${body.length} bytes, at least 16 needed`);
  const formatTag = u16(body, 0);
  const channels = u16(body, 2);
  const sampleRate = u32(body, 4);
  const blockAlign = u16(body, 12);
  const bitsPerSample = u16(body, 14);
  let encoding: WavEncoding;
  if (formatTag === 0xfffe) {
    if (body.length < 40 || u16(body, 16) < 22)
      throw new WavFormatError(
        'bad-fmt',
        `${name}: WAVE_FORMAT_EXTENSIBLE fmt chunk is too short for its subformat (${body.length} bytes, 40 needed)`,
      );
    const validBits = u16(body, 18);
    const code = u32(body, 24);
    if (SUBTYPE_GUID_TAIL.some((b, i) => body[28 + i] !== b) || code > 0xffff)
      throw new WavFormatError(
        'unsupported-format',
        `${name}: extensible subformat is not a WAVE format GUID`,
      );
    encoding = encodingFor(code, bitsPerSample, name, 'extensible subformat');
    if (validBits > bitsPerSample)
      throw new WavFormatError(
        'bad-fmt',
        `${name}: ${validBits} valid bits do not fit ${bitsPerSample}-bit samples`,
      );
  } else {
    encoding = encodingFor(formatTag, bitsPerSample, name, 'format tag');
  }
  if (channels < 1 || channels > MAX_CHANNELS)
    throw new WavFormatError('bad-fmt', `${name}: ${channels} channels (1 to ${MAX_CHANNELS} supported)`);
  if (sampleRate < 1 || sampleRate > MAX_SAMPLE_RATE)
    throw new WavFormatError('bad-fmt', `${name}: sample rate ${sampleRate} Hz is out of range`);
  const bytesPerSample = bitsPerSample / 8;
  if (blockAlign !== channels * bytesPerSample)
    throw new WavFormatError(
      'bad-fmt',
      `${name}: block align ${blockAlign} does not match ${channels} channel(s) of ${bitsPerSample} bits`,
    );
  return { encoding, formatTag, channels, sampleRate, bitsPerSample, bytesPerSample, blockAlign };
}

type ParserState = 'riff' | 'chunk-header' | 'fmt-body' | 'skip' | 'data' | 'pad' | 'data-to-end';

/**
 * Creates an incremental RIFF/WAVE reader. Unknown chunks (LIST, fact, bext, …) before and after
 * the data chunk pass through as `header`/`trailer` events; odd-sized chunks are followed by
 * their pad byte. The data chunk must come after fmt, hold whole frames and be the only one.
 *
 * @example
 * const parser = createWavParser('call.wav');
 * for (const ev of parser.push(bytes)) if (ev.kind === 'format') console.log(ev.format.encoding);
 * parser.end();
 */
export function createWavParser(name = 'input'): WavParser {
  let state: ParserState = 'riff';
  /** Bytes of a fixed-size piece (RIFF header, chunk header, fmt body) gathered across pushes. */
  let pending = new Uint8Array(12);
  let pendingLength = 0;
  let need = 12;
  let chunkId = '';
  /** Bytes left in the current chunk (skip, data) including nothing of the pad byte. */
  let remaining = 0;
  let chunkOdd = false;
  let format: WavFormat | undefined;
  let seenData = false;
  let dataOffset = 0;
  let dataDeclared: number | null = null;
  let total = 0;

  const where = () => `${name}: at byte ${total}`;

  /** Ends the current chunk: its pad byte next when its size was odd, then another chunk header. */
  const afterChunk = () => {
    state = chunkOdd ? 'pad' : 'chunk-header';
    need = 8;
    pendingLength = 0;
  };

  function startChunk(events: WavEvent[]): void {
    const header = pending.subarray(0, 8);
    for (let i = 0; i < 4; i++) {
      const c = header[i]!;
      if (c < 0x20 || c > 0x7e)
        throw new WavFormatError(
          'bad-chunk',
          `${where()}: expected a chunk id, found bytes ${Array.from(header.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')}`,
        );
    }
    chunkId = fourcc(header, 0);
    const size = u32(header, 4);
    chunkOdd = size % 2 === 1;
    const copy = Uint8Array.from(header);
    if (chunkId === 'data') {
      if (!format) throw new WavFormatError('missing-fmt', `${name}: data chunk before the fmt chunk`);
      if (seenData) throw new WavFormatError('bad-chunk', `${name}: more than one data chunk`);
      seenData = true;
      events.push({ kind: 'header', bytes: copy });
      if (UNKNOWN_DATA_SIZES.has(size)) {
        dataDeclared = null;
        state = 'data-to-end';
      } else {
        if (size % format.blockAlign !== 0)
          throw new WavFormatError(
            'partial-frame',
            `${name}: data chunk size ${size} is not a whole number of ${format.blockAlign}-byte frames`,
          );
        dataDeclared = size;
        remaining = size;
        state = 'data';
      }
      events.push({ kind: 'format', format, dataBytes: dataDeclared });
      if (state === 'data' && remaining === 0) afterChunk();
      return;
    }
    events.push({ kind: seenData ? 'trailer' : 'header', bytes: copy });
    if (chunkId === 'fmt ') {
      if (format) throw new WavFormatError('bad-chunk', `${name}: more than one fmt chunk`);
      if (seenData) throw new WavFormatError('bad-chunk', `${name}: fmt chunk after the data chunk`);
      if (size < 16 || size > MAX_FMT_BYTES)
        throw new WavFormatError('bad-fmt', `${name}: fmt chunk size ${size} (16 to ${MAX_FMT_BYTES} bytes)`);
      state = 'fmt-body';
      need = size;
      pending = new Uint8Array(size);
      pendingLength = 0;
      return;
    }
    remaining = size;
    state = 'skip';
    if (remaining === 0) afterChunk();
  }

  function push(chunk: Uint8Array): WavEvent[] {
    const events: WavEvent[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (state === 'riff' || state === 'chunk-header' || state === 'fmt-body') {
        if (pending.length < need) pending = new Uint8Array(Math.max(need, 12));
        const take = Math.min(need - pendingLength, chunk.length - at);
        pending.set(chunk.subarray(at, at + take), pendingLength);
        pendingLength += take;
        at += take;
        total += take;
        if (pendingLength < need) break;
        if (state === 'riff') {
          const magic = fourcc(pending, 0);
          if (magic !== 'RIFF')
            throw new WavFormatError(
              'not-riff',
              `${name}: not a RIFF file (starts with ${JSON.stringify(magic)}${magic === 'RF64' ? '; RF64 is not supported' : ''})`,
            );
          if (fourcc(pending, 8) !== 'WAVE')
            throw new WavFormatError(
              'not-wave',
              `${name}: RIFF file of type ${JSON.stringify(fourcc(pending, 8))}, not WAVE`,
            );
          events.push({ kind: 'header', bytes: pending.slice(0, 12) });
          state = 'chunk-header';
          need = 8;
          pendingLength = 0;
        } else if (state === 'chunk-header') {
          startChunk(events);
        } else {
          const body = pending.subarray(0, need);
          format = parseFmtChunk(body, name);
          events.push({ kind: 'header', bytes: Uint8Array.from(body) });
          pending = new Uint8Array(12);
          afterChunk();
        }
        continue;
      }
      if (state === 'pad') {
        events.push({ kind: seenData ? 'trailer' : 'header', bytes: chunk.subarray(at, at + 1) });
        at++;
        total++;
        state = 'chunk-header';
        need = 8;
        pendingLength = 0;
        continue;
      }
      if (state === 'data-to-end') {
        events.push({ kind: 'data', bytes: chunk.subarray(at), offset: dataOffset });
        dataOffset += chunk.length - at;
        total += chunk.length - at;
        at = chunk.length;
        break;
      }
      // 'skip' or 'data': pass `remaining` bytes through.
      const take = Math.min(remaining, chunk.length - at);
      const bytes = chunk.subarray(at, at + take);
      if (state === 'data') {
        events.push({ kind: 'data', bytes, offset: dataOffset });
        dataOffset += take;
      } else {
        events.push({ kind: seenData ? 'trailer' : 'header', bytes });
      }
      at += take;
      total += take;
      remaining -= take;
      if (remaining === 0) afterChunk();
    }
    return events;
  }

  function end(): WavEvent[] {
    if (total === 0) throw new WavFormatError('truncated', `${name}: empty input`);
    switch (state) {
      case 'riff':
        throw new WavFormatError('truncated', `${name}: ends inside the RIFF header (${total} bytes)`);
      case 'fmt-body':
        throw new WavFormatError('truncated', `${name}: ends inside the fmt chunk`);
      case 'data':
        throw new WavFormatError(
          'truncated',
          `${name}: data chunk declares ${dataDeclared} bytes but the input ends after ${dataOffset}`,
        );
      case 'data-to-end':
        if (format && dataOffset % format.blockAlign !== 0)
          throw new WavFormatError(
            'partial-frame',
            `${name}: streamed data ends ${dataOffset % format.blockAlign} byte(s) into a ${format.blockAlign}-byte frame`,
          );
        return [];
      case 'skip':
        throw new WavFormatError(
          'truncated',
          `${name}: ends inside the ${JSON.stringify(chunkId)} chunk (${remaining} bytes missing)`,
        );
      case 'pad':
        return []; // a missing final pad byte is a common writer slip and loses nothing
      case 'chunk-header':
        if (!seenData) throw new WavFormatError('no-data', `${name}: no data chunk`);
        if (pendingLength > 0)
          throw new WavFormatError(
            'truncated',
            `${name}: ${pendingLength} stray byte(s) after the last chunk`,
          );
        return [];
    }
  }

  return { push, end };
}

/** A whole WAV file in memory: its format and where its parts are. */
export type ParsedWav = {
  format: WavFormat;
  /** Byte length of the data chunk's body. */
  dataBytes: number;
  /** The sample bytes (a view of the input). */
  data: Uint8Array;
  /** Frames (samples per channel). */
  frames: number;
};

/**
 * Parses a whole WAV file held in memory (same checks as the incremental reader).
 *
 * @example const { format, frames } = parseWav(fs.readFileSync('call.wav'), 'call.wav');
 */
export function parseWav(bytes: Uint8Array, name = 'input'): ParsedWav {
  const parser = createWavParser(name);
  const events = [...parser.push(bytes), ...parser.end()];
  let format: WavFormat | undefined;
  let start = -1;
  let length = 0;
  for (const ev of events) {
    if (ev.kind === 'format') format = ev.format;
    else if (ev.kind === 'data') {
      if (start < 0) start = ev.bytes.byteOffset - bytes.byteOffset;
      length += ev.bytes.length;
    }
  }
  if (!format) throw new WavFormatError('no-data', `${name}: no data chunk`);
  const data = start < 0 ? new Uint8Array(0) : bytes.subarray(start, start + length);
  return { format, dataBytes: length, data, frames: length / format.blockAlign };
}

/**
 * Decodes interleaved sample bytes to one Float32Array per channel, scaled to [-1, 1).
 *
 * @example const [left] = decodeChannels(parsed.data, parsed.format);
 */
export function decodeChannels(data: Uint8Array, format: WavFormat): Float32Array[] {
  const frames = Math.floor(data.length / format.blockAlign);
  const out = Array.from({ length: format.channels }, () => new Float32Array(frames));
  decodeFramesInto(data, 0, frames, format, out, 0);
  return out;
}

/** Each G.711 byte's linear value scaled to [-1, 1). */
const MULAW_FLOAT = Float32Array.from(MULAW_TO_LINEAR, (v) => v / 32768);
const ALAW_FLOAT = Float32Array.from(ALAW_TO_LINEAR, (v) => v / 32768);

/**
 * Decodes `frames` frames from `data` (starting at byte `from`) into per-channel arrays at
 * `outAt`. The hot loop of detection: no allocation, one table lookup or two byte reads a sample.
 */
export function decodeFramesInto(
  data: Uint8Array,
  from: number,
  frames: number,
  format: WavFormat,
  out: Float32Array[],
  outAt: number,
): void {
  const { channels, blockAlign } = format;
  if (format.encoding === 'pcm16') {
    for (let c = 0; c < channels; c++) {
      const dst = out[c]!;
      let p = from + c * 2;
      for (let i = 0; i < frames; i++, p += blockAlign) {
        const v = data[p]! | (data[p + 1]! << 8);
        dst[outAt + i] = (v > 32767 ? v - 65536 : v) / 32768;
      }
    }
    return;
  }
  const table = format.encoding === 'mulaw' ? MULAW_FLOAT : ALAW_FLOAT;
  for (let c = 0; c < channels; c++) {
    const dst = out[c]!;
    let p = from + c;
    for (let i = 0; i < frames; i++, p += blockAlign) dst[outAt + i] = table[data[p]!]!;
  }
}

/**
 * A canonical WAV header for `dataBytes` of samples: the 44-byte PCM form, or for G.711 an
 * 18-byte fmt chunk and a fact chunk (as SoX and Windows write them).
 *
 * @example Buffer.concat([buildWavHeader({ encoding: 'mulaw', channels: 1, sampleRate: 8000 }, n), body])
 */
export function buildWavHeader(
  format: { encoding: WavEncoding; channels: number; sampleRate: number },
  dataBytes: number,
): Buffer {
  const bytesPerSample = format.encoding === 'pcm16' ? 2 : 1;
  const blockAlign = format.channels * bytesPerSample;
  const g711 = format.encoding !== 'pcm16';
  const fmtSize = g711 ? 18 : 16;
  const factSize = g711 ? 12 : 0;
  const headerSize = 12 + 8 + fmtSize + factSize + 8;
  const b = Buffer.alloc(headerSize);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(Math.min(0xffffffff, headerSize - 8 + dataBytes + (dataBytes % 2)), 4);
  b.write('WAVE', 8, 'latin1');
  b.write('fmt ', 12, 'latin1');
  b.writeUInt32LE(fmtSize, 16);
  b.writeUInt16LE(format.encoding === 'pcm16' ? 1 : format.encoding === 'alaw' ? 6 : 7, 20);
  b.writeUInt16LE(format.channels, 22);
  b.writeUInt32LE(format.sampleRate, 24);
  b.writeUInt32LE(format.sampleRate * blockAlign, 28);
  b.writeUInt16LE(blockAlign, 32);
  b.writeUInt16LE(bytesPerSample * 8, 34);
  let at = 36;
  if (g711) {
    b.writeUInt16LE(0, at);
    at += 2;
    b.write('fact', at, 'latin1');
    b.writeUInt32LE(4, at + 4);
    b.writeUInt32LE(Math.floor(dataBytes / blockAlign), at + 8);
    at += 12;
  }
  b.write('data', at, 'latin1');
  b.writeUInt32LE(dataBytes, at + 4);
  return b;
}

/**
 * A whole WAV file from interleaved 16-bit samples, encoded as `encoding` (G.711 by the
 * reference encoders). Used to synthesise test and benchmark audio.
 *
 * @example encodeWav(Int16Array.from([0, 1000, -1000]), { encoding: 'alaw', channels: 1, sampleRate: 8000 })
 */
export function encodeWav(
  samples: Int16Array,
  format: { encoding: WavEncoding; channels: number; sampleRate: number },
): Buffer {
  let body: Buffer;
  if (format.encoding === 'pcm16') {
    body = Buffer.alloc(samples.length * 2);
    for (let i = 0; i < samples.length; i++) body.writeInt16LE(samples[i]!, i * 2);
  } else {
    const encode = format.encoding === 'mulaw' ? encodeMuLaw : encodeALaw;
    body = Buffer.alloc(samples.length);
    for (let i = 0; i < samples.length; i++) body[i] = encode(samples[i]!);
  }
  const pad = body.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0);
  return Buffer.concat([buildWavHeader(format, body.length), body, pad]);
}
