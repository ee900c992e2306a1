/**
 * Redacted derivatives of WAV recordings: the sample bytes inside given time spans are replaced
 * by silence or a beep, and every other byte (header, metadata chunks, the rest of the audio) is
 * copied unchanged, so the output has the input's format, codec and length. Works in one pass
 * over a stream with bounded memory (the header parser buffers at most the fmt chunk).
 */

import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type AudioSpan, planSpans, type SpanPlanOptions } from './audio-spans.ts';
import { ALAW_SILENCE, encodeALaw, encodeMuLaw, MULAW_SILENCE } from './g711.ts';
import { createWavParser, type WavFormat } from './wav.ts';

/** What replaces redacted audio. */
export type RedactionMode = 'silence' | 'beep';
export const REDACTION_MODES: readonly RedactionMode[] = ['silence', 'beep'];

/**
 * The beep: one 1 kHz sine at -20 dBFS (about -17 dBm0). A single tone can never be taken for
 * DTMF, which needs one tone from each group; 1 kHz lies outside both groups' ±3.5% acceptance
 * bands (941 Hz and 1209 Hz are the nearest); 5 ms raised-cosine ramps keep its edges from
 * clicking (a click spreads energy over every frequency).
 */
export const BEEP_HZ = 1000;
const BEEP_AMPLITUDE = 0.1 * 32767;
const BEEP_RAMP_SECONDS = 0.005;

/** A range of frames, start inclusive, end exclusive. */
export type FrameSpan = { start: number; end: number };

/** Overwrites the samples of frames inside spans, in the format's own encoding. */
export type SampleOverwriter = {
  /**
   * Returns `bytes` (data-chunk bytes starting at data offset `offset`) with every frame inside
   * `spans` (sorted, disjoint) overwritten: the same array when nothing overlaps, else a copy.
   */
  apply(bytes: Uint8Array, offset: number, spans: readonly FrameSpan[]): Uint8Array;
};

/**
 * Creates the overwriter for a format. Silence is the codec's silence: zero for PCM, 0xFF for
 * mu-law, 0xD5 for A-law. The beep is computed per frame from the absolute frame number (so it is
 * continuous across input pieces) and encoded with the reference G.711 encoders.
 */
export function createSampleOverwriter(format: WavFormat, mode: RedactionMode): SampleOverwriter {
  const { blockAlign, sampleRate, encoding } = format;
  const silenceByte = encoding === 'mulaw' ? MULAW_SILENCE : encoding === 'alaw' ? ALAW_SILENCE : 0;
  // The beep repeats every rate / gcd(rate, 1 kHz) frames (8 at 8 kHz, 441 at 44.1 kHz): one
  // period is computed once, exactly, and indexed by frame number, so it stays continuous across
  // pieces and exact hours into a recording.
  const period = sampleRate / gcd(sampleRate, BEEP_HZ);
  const wave = new Float64Array(period);
  for (let i = 0; i < period; i++)
    wave[i] = BEEP_AMPLITUDE * Math.sin((2 * Math.PI * BEEP_HZ * i) / sampleRate);
  const rampFrames = Math.max(1, Math.round(BEEP_RAMP_SECONDS * sampleRate));
  const encode = encoding === 'mulaw' ? encodeMuLaw : encodeALaw;
  /** First span that may still overlap the data: offsets only grow, so the search resumes here. */
  let cursor = 0;
  let lastSpans: readonly FrameSpan[] | undefined;

  /** Overwrites data offsets [from, to) of `out` (whose byte 0 is data offset `base`) inside `span`. */
  const overwrite = (out: Uint8Array, base: number, from: number, to: number, span: FrameSpan) => {
    if (mode === 'silence') {
      out.fill(silenceByte, from - base, to - base);
      return;
    }
    let o = from;
    let frame = Math.floor(o / blockAlign);
    let phase = frame % period;
    while (o < to) {
      const frameStart = frame * blockAlign;
      const frameEnd = Math.min(to, frameStart + blockAlign);
      // Faded in and out over the span's first and last 5 ms.
      const edge = Math.min(frame - span.start, span.end - 1 - frame);
      const ramp = edge >= rampFrames ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * edge) / rampFrames);
      const v = Math.round(wave[phase]! * ramp);
      frame++;
      if (++phase === period) phase = 0;
      if (encoding === 'pcm16') {
        // Samples are little-endian: even bytes of a frame are low bytes.
        const lo = v & 0xff;
        const hi = (v >> 8) & 0xff;
        for (; o < frameEnd; o++) out[o - base] = (o - frameStart) & 1 ? hi : lo;
      } else {
        const b = encode(v);
        for (; o < frameEnd; o++) out[o - base] = b;
      }
    }
  };

  return {
    apply(bytes, offset, spans) {
      if (spans !== lastSpans) {
        lastSpans = spans;
        cursor = 0;
      }
      const endOffset = offset + bytes.length;
      while (cursor < spans.length && spans[cursor]!.end * blockAlign <= offset) cursor++;
      let out: Uint8Array | undefined;
      for (let i = cursor; i < spans.length; i++) {
        const span = spans[i]!;
        const from = Math.max(offset, span.start * blockAlign);
        const to = Math.min(endOffset, span.end * blockAlign);
        if (from >= endOffset) break;
        if (from >= to) continue;
        // A copy, never a view: Buffer#slice shares memory, and the input is not ours to change.
        out ??= new Uint8Array(bytes);
        overwrite(out, offset, from, to, span);
      }
      return out ?? bytes;
    },
  };
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** Converts second spans to frame spans: outward to whole frames, clamped to `frames` when known. */
export function toFrameSpans(
  spans: readonly AudioSpan[],
  sampleRate: number,
  frames: number | null,
): FrameSpan[] {
  const limit = frames ?? Number.POSITIVE_INFINITY;
  const out: FrameSpan[] = [];
  for (const s of spans) {
    const start = Math.max(0, Math.floor(s.start * sampleRate));
    const end = Math.min(limit, Math.ceil(s.end * sampleRate));
    if (end > start) out.push({ start, end });
  }
  return out;
}

/** What a redaction did. */
export type AudioRedactionSummary = {
  format: WavFormat;
  /** Audio length in seconds (frames read ÷ sample rate). */
  durationSeconds: number;
  /** The ranges overwritten (padded, merged, clamped), in seconds. */
  spans: AudioSpan[];
  /** Total seconds overwritten. */
  redactedSeconds: number;
};

/** Options of a redaction: how spans are padded and merged, the replacement, and the input's name for errors. */
export type AudioRedactionOptions = SpanPlanOptions & {
  /** Default 'silence'. */
  mode?: RedactionMode;
  /** Named in error messages; default 'input'. */
  name?: string;
};

/** An incremental byte rewriter: push input pieces, get output pieces; `end()` checks completeness. */
export type WavRewriter<S> = {
  push(chunk: Uint8Array): Uint8Array[];
  end(): Uint8Array[];
  /** Available after `end()`. */
  summary(): S;
};

/**
 * Creates an incremental redactor: the spans are planned (padded, merged, clamped to the data
 * length when the header declares it) as soon as the header is read. Throws `WavFormatError`
 * for bad input and `AudioSpanError` for bad spans.
 *
 * @example
 * const r = createWavRedactor([{ start: 3, end: 7.5 }], { mode: 'beep' });
 * const out = [...r.push(bytes), ...r.end()];
 */
export function createWavRedactor(
  spans: readonly AudioSpan[],
  options: AudioRedactionOptions = {},
): WavRewriter<AudioRedactionSummary> {
  const name = options.name ?? 'input';
  // Validate now, so bad spans fail before any output exists.
  planSpans(spans, options);
  const parser = createWavParser(name);
  let format: WavFormat | undefined;
  let overwriter: SampleOverwriter | undefined;
  let planned: AudioSpan[] = [];
  let frameSpans: FrameSpan[] = [];
  let dataBytes = 0;
  let ended = false;

  const handle = (events: ReturnType<typeof parser.push>): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (const ev of events) {
      if (ev.kind === 'format') {
        format = ev.format;
        const frames = ev.dataBytes === null ? null : ev.dataBytes / format.blockAlign;
        planned = planSpans(spans, {
          ...options,
          durationSeconds: frames === null ? null : frames / format.sampleRate,
        });
        frameSpans = toFrameSpans(planned, format.sampleRate, frames);
        overwriter = createSampleOverwriter(format, options.mode ?? 'silence');
      } else if (ev.kind === 'data') {
        dataBytes += ev.bytes.length;
        out.push(overwriter!.apply(ev.bytes, ev.offset, frameSpans));
      } else {
        out.push(ev.bytes);
      }
    }
    return out;
  };

  return {
    push: (chunk) => handle(parser.push(chunk)),
    end: () => {
      const out = handle(parser.end());
      ended = true;
      return out;
    },
    summary: () => {
      if (!ended || !format) throw new Error('summary() is available after end()');
      const frames = dataBytes / format.blockAlign;
      const applied = toFrameSpans(planned, format.sampleRate, frames).map((s) => ({
        start: s.start / format!.sampleRate,
        end: s.end / format!.sampleRate,
      }));
      return {
        format,
        durationSeconds: frames / format.sampleRate,
        spans: applied,
        redactedSeconds: applied.reduce((t, s) => t + s.end - s.start, 0),
      };
    },
  };
}

/** Runs a rewriter over a whole buffer. */
export function rewriteBuffer<S>(bytes: Uint8Array, rewriter: WavRewriter<S>): { wav: Buffer; summary: S } {
  const out = [...rewriter.push(bytes), ...rewriter.end()];
  return { wav: Buffer.concat(out), summary: rewriter.summary() };
}

/**
 * Pipes `source` through a rewriter into `destination` (which is ended on success and destroyed
 * on failure). Memory stays bounded: each piece is rewritten and written before the next is read,
 * with the destination's backpressure respected.
 */
export async function pipeThroughRewriter<S>(
  source: AsyncIterable<Uint8Array>,
  destination: Writable,
  rewriter: WavRewriter<S>,
): Promise<S> {
  await pipeline(
    source,
    async function* rewrite(input: AsyncIterable<Uint8Array>) {
      for await (const chunk of input) yield* rewriter.push(chunk);
      yield* rewriter.end();
    },
    destination,
  );
  return rewriter.summary();
}

/**
 * Redacts a whole WAV file in memory. The output has the same length, header and codec.
 *
 * @example const { wav, summary } = redactWav(fs.readFileSync('call.wav'), [{ start: 3, end: 7.5 }]);
 */
export function redactWav(
  wav: Uint8Array,
  spans: readonly AudioSpan[],
  options: AudioRedactionOptions = {},
): { wav: Buffer; summary: AudioRedactionSummary } {
  return rewriteBuffer(wav, createWavRedactor(spans, options));
}

/**
 * Redacts a WAV stream into `destination` in one pass with bounded memory. The output is only
 * complete when the promise resolves; on rejection (bad input, truncated data) whatever was
 * written must be discarded.
 *
 * @example await redactWavStream(fs.createReadStream('in.wav'), fs.createWriteStream('out.tmp'), spans, { mode: 'beep' });
 */
export function redactWavStream(
  source: AsyncIterable<Uint8Array>,
  destination: Writable,
  spans: readonly AudioSpan[],
  options: AudioRedactionOptions = {},
): Promise<AudioRedactionSummary> {
  return pipeThroughRewriter(source, destination, createWavRedactor(spans, options));
}
