/**
 * DTMF masking: finds key presses in a WAV recording and overwrites them (with padding) with
 * silence or the beep, in one pass over a stream.
 *
 * One pass needs a little hindsight: the padding before a tone reaches back before the tone was
 * recognised, and two tones closer than the merge gap are masked together with the gap. So sample
 * bytes are held until no undecided tone can still reach them: every detector reports a
 * `frontier` (the earliest frame where a tone it has not yet reported could start), and bytes
 * are released up to the smallest frontier minus padding minus merge gap. That is about 0.8 s of
 * audio with the defaults (250 ms padding, 500 ms gap, ~50 ms to recognise a tone), whatever the
 * recording's length; while a recognised tone lasts, its bytes are released masked.
 */

import type { Writable } from 'node:stream';
import {
  createSampleOverwriter,
  type FrameSpan,
  pipeThroughRewriter,
  type RedactionMode,
  rewriteBuffer,
  type SampleOverwriter,
  type WavRewriter,
} from './audio-redaction.ts';
import { type AudioSpan, AudioSpanError, DEFAULT_MERGE_GAP_MS, DEFAULT_PAD_MS } from './audio-spans.ts';
import type { DtmfOptions, DtmfToneFrames } from './dtmf.ts';
import { createWavDtmfFeeder, mergeChannelTones, type WavDtmfFeeder } from './dtmf-wav.ts';
import { createWavParser, type WavFormat, WavFormatError } from './wav.ts';

/** How to find and cover the tones. */
export type DtmfMaskOptions = {
  /** Default 'silence'. */
  mode?: RedactionMode;
  /** Padding on both sides of each tone (ms); default 250. */
  padMs?: number;
  /** Masked ranges closer than this are joined, the gap masked too (ms); default 500. */
  mergeGapMs?: number;
  /** Detector tuning; default the 'standard' sensitivity. */
  detection?: DtmfOptions;
  /** Named in error messages; default 'input'. */
  name?: string;
};

/** What masking did; tone digits are deliberately absent (they may be a card number). */
export type DtmfMaskSummary = {
  format: WavFormat;
  durationSeconds: number;
  /** Key presses found (times in seconds, channels heard on), without their digits. */
  tones: Array<{ start: number; end: number; channels: number[] }>;
  /** Ranges overwritten (padded and merged), in seconds. */
  spans: AudioSpan[];
};

/** A held piece of the data chunk, not yet written. */
type Held = { bytes: Uint8Array; offset: number };

/**
 * Creates an incremental masker (push pieces, then `end()`); throws `WavFormatError` for bad input.
 *
 * @example
 * const m = createDtmfMasker({ mode: 'beep' });
 * const out = [...m.push(bytes), ...m.end()];
 * m.summary().tones.length
 */
export function createDtmfMasker(options: DtmfMaskOptions = {}): WavRewriter<DtmfMaskSummary> {
  const name = options.name ?? 'input';
  const padMs = options.padMs ?? DEFAULT_PAD_MS;
  const gapMs = options.mergeGapMs ?? DEFAULT_MERGE_GAP_MS;
  if (!Number.isFinite(padMs) || padMs < 0 || !Number.isFinite(gapMs) || gapMs < 0)
    throw new AudioSpanError('padding and merge gap must be non-negative numbers of ms');
  const parser = createWavParser(name);
  let format: WavFormat | undefined;
  let feeder: WavDtmfFeeder | undefined;
  let overwriter: SampleOverwriter | undefined;
  let padFrames = 0;
  let gapFrames = 0;
  /** Finished tones per channel, in order. */
  const finished: DtmfToneFrames[][] = [];
  let spans: FrameSpan[] = [];
  let spansStale = true;
  const held: Held[] = [];
  let dataDone = false;
  let ended = false;

  /** Padded, merged mask ranges from every tone so far (finished and still sounding). */
  const currentSpans = (): FrameSpan[] => {
    if (!spansStale) return spans;
    const raw: FrameSpan[] = [];
    for (const list of finished) for (const t of list) raw.push({ start: t.startFrame, end: t.endFrame });
    for (const d of feeder!.detectors) {
      const a = d.active();
      if (a) raw.push({ start: a.startFrame, end: a.endFrame });
    }
    raw.sort((a, b) => a.start - b.start);
    const out: FrameSpan[] = [];
    for (const r of raw) {
      const start = Math.max(0, r.start - padFrames);
      const end = r.end + padFrames;
      const last = out[out.length - 1];
      if (last && start - last.end < gapFrames) last.end = Math.max(last.end, end);
      else out.push({ start, end });
    }
    spans = out;
    spansStale = false;
    return spans;
  };

  /** Collects finished tones; marks the spans for rebuilding when anything may have changed. */
  const collect = () => {
    feeder!.detectors.forEach((d, c) => {
      const tones = d.takeTones();
      if (tones.length > 0) finished[c]!.push(...tones);
    });
    // An active tone's end moves with every block, so rebuild whenever one sounds.
    spansStale = true;
  };

  /** Writes held bytes before data offset `limit`, masked with the spans known now. */
  const release = (limit: number, out: Uint8Array[]) => {
    const mask = currentSpans();
    while (held.length > 0) {
      const h = held[0]!;
      if (h.offset >= limit) break;
      const take = Math.min(h.bytes.length, limit - h.offset);
      out.push(overwriter!.apply(h.bytes.subarray(0, take), h.offset, mask));
      if (take === h.bytes.length) held.shift();
      else held[0] = { bytes: h.bytes.subarray(take), offset: h.offset + take };
    }
  };

  /** Bytes no undecided tone can reach: before the earliest frontier, less padding and merge gap. */
  const safeOffset = (): number => {
    let frontier = Number.POSITIVE_INFINITY;
    for (const d of feeder!.detectors) frontier = Math.min(frontier, d.frontier());
    return Math.max(0, frontier - padFrames - gapFrames) * format!.blockAlign;
  };

  const finishData = (out: Uint8Array[]) => {
    if (dataDone || !feeder) return;
    dataDone = true;
    feeder.flush();
    collect();
    release(Number.POSITIVE_INFINITY, out);
  };

  const handle = (events: ReturnType<typeof parser.push>): Uint8Array[] => {
    const out: Uint8Array[] = [];
    let fed = false;
    for (const ev of events) {
      if (ev.kind === 'format') {
        format = ev.format;
        if (format.sampleRate < 4000)
          throw new WavFormatError(
            'bad-fmt',
            `${name}: sample rate ${format.sampleRate} Hz is too low for DTMF (4000 Hz at least)`,
          );
        feeder = createWavDtmfFeeder(format, options.detection);
        overwriter = createSampleOverwriter(format, options.mode ?? 'silence');
        padFrames = Math.ceil((padMs / 1000) * format.sampleRate);
        gapFrames = Math.ceil((gapMs / 1000) * format.sampleRate);
        for (let c = 0; c < format.channels; c++) finished.push([]);
      } else if (ev.kind === 'data') {
        feeder!.feed(ev.bytes);
        held.push({ bytes: ev.bytes, offset: ev.offset });
        fed = true;
      } else if (ev.kind === 'trailer') {
        finishData(out);
        out.push(ev.bytes);
      } else {
        out.push(ev.bytes);
      }
    }
    if (fed && !dataDone) {
      collect();
      release(safeOffset(), out);
    }
    return out;
  };

  return {
    push: (chunk) => handle(parser.push(chunk)),
    end: () => {
      const out = handle(parser.end());
      finishData(out);
      ended = true;
      return out;
    },
    summary: () => {
      if (!ended || !format || !feeder) throw new Error('summary() is available after end()');
      const frames = feeder.frames();
      const rate = format.sampleRate;
      return {
        format,
        durationSeconds: frames / rate,
        tones: mergeChannelTones(finished, rate).map(({ start, end, channels }) => ({
          start,
          end,
          channels,
        })),
        spans: currentSpans()
          .map((s) => ({ start: s.start / rate, end: Math.min(s.end, frames) / rate }))
          .filter((s) => s.end > s.start),
      };
    },
  };
}

/**
 * Masks the DTMF tones of a whole WAV file in memory.
 *
 * @example const { wav, summary } = maskDtmf(fs.readFileSync('call.wav'), { mode: 'beep' });
 */
export function maskDtmf(
  wav: Uint8Array,
  options: DtmfMaskOptions = {},
): { wav: Buffer; summary: DtmfMaskSummary } {
  return rewriteBuffer(wav, createDtmfMasker(options));
}

/**
 * Masks the DTMF tones of a WAV stream into `destination`, in one pass with bounded memory (about
 * a second of audio held back). The output is complete only when the promise resolves.
 *
 * @example await maskDtmfStream(fs.createReadStream('in.wav'), fs.createWriteStream('out.tmp'), { mode: 'beep' });
 */
export function maskDtmfStream(
  source: AsyncIterable<Uint8Array>,
  destination: Writable,
  options: DtmfMaskOptions = {},
): Promise<DtmfMaskSummary> {
  return pipeThroughRewriter(source, destination, createDtmfMasker(options));
}
