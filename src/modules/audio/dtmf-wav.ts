/**
 * DTMF detection on WAV recordings: every channel is decoded (16-bit PCM, mu-law or A-law) and
 * fed to its own detector, in bounded memory whether the input is a buffer or a stream. Channels
 * are kept apart rather than mixed because a contact-center recording often has the customer on
 * one channel and the agent on the other: mixing would halve a tone's level and add the other
 * side's speech to it.
 */

import {
  createDtmfDetector,
  type DtmfDetector,
  type DtmfDigit,
  type DtmfOptions,
  type DtmfToneFrames,
} from './dtmf.ts';
import { createWavParser, decodeFramesInto, type WavFormat, WavFormatError } from './wav.ts';

/** Frames decoded per detector call: bounds the scratch buffers whatever the input piece size. */
const SLICE_FRAMES = 4096;

/** Feeds data-chunk bytes, in order and in pieces of any size, to one detector per channel. */
export type WavDtmfFeeder = {
  readonly detectors: readonly DtmfDetector[];
  /** Data bytes in order; a frame split across pieces is carried over. */
  feed(bytes: Uint8Array): void;
  /** Ends the input (finishes tones still sounding). */
  flush(): void;
  /** Frames fed so far. */
  frames(): number;
};

/**
 * Creates a feeder for `format`. Throws RangeError below 4 kHz (no DTMF can be represented).
 *
 * @example
 * const feeder = createWavDtmfFeeder(format, { sensitivity: 'max' });
 * feeder.feed(dataBytes); feeder.flush();
 * feeder.detectors[0].takeTones();
 */
export function createWavDtmfFeeder(format: WavFormat, options: DtmfOptions = {}): WavDtmfFeeder {
  const detectors = Array.from({ length: format.channels }, () =>
    createDtmfDetector(format.sampleRate, options),
  );
  const scratch = Array.from({ length: format.channels }, () => new Float32Array(SLICE_FRAMES));
  const carry = new Uint8Array(format.blockAlign);
  let carried = 0;
  let frames = 0;

  const decode = (bytes: Uint8Array, from: number, count: number) => {
    for (let done = 0; done < count; done += SLICE_FRAMES) {
      const n = Math.min(SLICE_FRAMES, count - done);
      decodeFramesInto(bytes, from + done * format.blockAlign, n, format, scratch, 0);
      for (let c = 0; c < format.channels; c++) detectors[c]!.push(scratch[c]!, n);
    }
    frames += count;
  };

  return {
    detectors,
    feed(bytes) {
      let at = 0;
      if (carried > 0) {
        const take = Math.min(format.blockAlign - carried, bytes.length);
        carry.set(bytes.subarray(0, take), carried);
        carried += take;
        at = take;
        if (carried < format.blockAlign) return;
        decode(carry, 0, 1);
        carried = 0;
      }
      const whole = Math.floor((bytes.length - at) / format.blockAlign);
      decode(bytes, at, whole);
      at += whole * format.blockAlign;
      carry.set(bytes.subarray(at), 0);
      carried = bytes.length - at;
    },
    flush() {
      for (const d of detectors) d.flush();
    },
    frames: () => frames,
  };
}

/** A key press found in a recording: seconds, and the channels (0-based) it was heard on. */
export type WavDtmfTone = { digit: DtmfDigit; start: number; end: number; channels: number[] };

/** What detection on a recording found. */
export type WavDtmfReport = { format: WavFormat; durationSeconds: number; tones: WavDtmfTone[] };

/**
 * Joins per-channel tones: the same digit overlapping in time on several channels (the tone and
 * its echo on the other side) is one key press.
 */
export function mergeChannelTones(
  perChannel: readonly DtmfToneFrames[][],
  sampleRate: number,
): WavDtmfTone[] {
  const all = perChannel
    .flatMap((tones, channel) => tones.map((t) => ({ ...t, channel })))
    .sort((a, b) => a.startFrame - b.startFrame || a.channel - b.channel);
  const out: Array<{ digit: DtmfDigit; startFrame: number; endFrame: number; channels: number[] }> = [];
  for (const t of all) {
    const same = out.find(
      (o) =>
        o.digit === t.digit &&
        t.startFrame < o.endFrame &&
        o.startFrame < t.endFrame &&
        !o.channels.includes(t.channel),
    );
    if (same) {
      same.startFrame = Math.min(same.startFrame, t.startFrame);
      same.endFrame = Math.max(same.endFrame, t.endFrame);
      same.channels.push(t.channel);
    } else
      out.push({ digit: t.digit, startFrame: t.startFrame, endFrame: t.endFrame, channels: [t.channel] });
  }
  return out.map((t) => ({
    digit: t.digit,
    start: t.startFrame / sampleRate,
    end: t.endFrame / sampleRate,
    channels: t.channels,
  }));
}

/** Detection options plus the input's name for error messages. */
export type WavDtmfOptions = DtmfOptions & { name?: string };

/** Incremental detection over WAV bytes: push pieces, then `end()` for the report. */
function createWavDtmfScanner(options: WavDtmfOptions) {
  const name = options.name ?? 'input';
  const parser = createWavParser(name);
  let format: WavFormat | undefined;
  let feeder: WavDtmfFeeder | undefined;
  const tones: DtmfToneFrames[][] = [];
  const handle = (events: ReturnType<typeof parser.push>) => {
    for (const ev of events) {
      if (ev.kind === 'format') {
        format = ev.format;
        if (format.sampleRate < 4000)
          throw new WavFormatError(
            'bad-fmt',
            `${name}: sample rate ${format.sampleRate} Hz is too low for DTMF (4000 Hz at least)`,
          );
        feeder = createWavDtmfFeeder(format, options);
        for (let c = 0; c < format.channels; c++) tones.push([]);
      } else if (ev.kind === 'data') feeder!.feed(ev.bytes);
    }
    feeder?.detectors.forEach((d, c) => {
      tones[c]!.push(...d.takeTones());
    });
  };
  return {
    push: (chunk: Uint8Array) => handle(parser.push(chunk)),
    end: (): WavDtmfReport => {
      handle(parser.end());
      feeder!.flush();
      feeder!.detectors.forEach((d, c) => {
        tones[c]!.push(...d.takeTones());
      });
      return {
        format: format!,
        durationSeconds: feeder!.frames() / format!.sampleRate,
        tones: mergeChannelTones(tones, format!.sampleRate),
      };
    },
  };
}

/**
 * Finds the DTMF key presses in a whole WAV file held in memory.
 *
 * @example detectDtmfInWav(fs.readFileSync('call.wav')).tones // [{ digit: '4', start: 12.3, end: 12.4, channels: [0] }]
 */
export function detectDtmfInWav(wav: Uint8Array, options: WavDtmfOptions = {}): WavDtmfReport {
  const scanner = createWavDtmfScanner(options);
  scanner.push(wav);
  return scanner.end();
}

/**
 * Finds the DTMF key presses in a WAV stream, reading it once in bounded memory.
 *
 * @example const { tones } = await detectDtmfInWavStream(fs.createReadStream('call.wav'), { name: 'call.wav' });
 */
export async function detectDtmfInWavStream(
  source: AsyncIterable<Uint8Array>,
  options: WavDtmfOptions = {},
): Promise<WavDtmfReport> {
  const scanner = createWavDtmfScanner(options);
  for await (const chunk of source) scanner.push(chunk);
  return scanner.end();
}
