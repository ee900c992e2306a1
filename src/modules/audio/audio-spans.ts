/**
 * Time spans to redact in a recording: validation, padding, merging, clamping, and reading them
 * from the two shapes callers have: a JSON array of `{start, end}`, or a redacted transcript
 * (JSONL from `bulwark redact call.jsonl`, whose redacted lines carry `"silence": [{start, end}]`).
 */

/** A time range in seconds from the start of the recording. */
export type AudioSpan = { start: number; end: number };

/** Padding added on both sides of each requested span unless told otherwise (ms). */
export const DEFAULT_PAD_MS = 250;
/** Spans whose padded edges are closer than this are merged into one (ms). */
export const DEFAULT_MERGE_GAP_MS = 500;

/** Spans that cannot be applied (negative, not a number, start after end, unreadable file). */
export class AudioSpanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AudioSpanError';
  }
}

/**
 * Checks that every span has finite, non-negative `start <= end`; throws {@link AudioSpanError}
 * naming the first bad one (`where(i)` says where span `i` came from).
 */
export function validateSpans(
  spans: readonly unknown[],
  where: (index: number) => string = (i) => `span ${i + 1}`,
): AudioSpan[] {
  const out: AudioSpan[] = [];
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i] as { start?: unknown; end?: unknown } | null;
    if (typeof s !== 'object' || s === null || Array.isArray(s))
      throw new AudioSpanError(`${where(i)}: not an object with start and end`);
    const { start, end } = s;
    if (typeof start !== 'number' || typeof end !== 'number')
      throw new AudioSpanError(`${where(i)}: start and end must be numbers (seconds)`);
    if (!Number.isFinite(start) || !Number.isFinite(end))
      throw new AudioSpanError(`${where(i)}: start and end must be finite`);
    if (start < 0 || end < 0) throw new AudioSpanError(`${where(i)}: negative time (${start}..${end})`);
    if (start > end) throw new AudioSpanError(`${where(i)}: start ${start} is after end ${end}`);
    out.push({ start, end });
  }
  return out;
}

/** How requested spans become the ranges actually overwritten. */
export type SpanPlanOptions = {
  /** Added before and after each span (ms); default {@link DEFAULT_PAD_MS}. */
  padMs?: number;
  /** Padded spans closer than this are joined, the gap redacted too (ms); default {@link DEFAULT_MERGE_GAP_MS}. */
  mergeGapMs?: number;
  /** Recording length (s) when known; spans are clamped to it and those past it dropped. */
  durationSeconds?: number | null;
};

/**
 * Validates, pads, sorts, merges and clamps spans. Merging closes gaps shorter than the merge
 * gap because a few hundred milliseconds of audio between two redacted digits groups can itself
 * be a digit the transcript missed.
 *
 * @example planSpans([{ start: 1, end: 2 }, { start: 2.6, end: 3 }]) // [{ start: 0.75, end: 3.25 }]
 */
export function planSpans(spans: readonly unknown[], options: SpanPlanOptions = {}): AudioSpan[] {
  const padMs = options.padMs ?? DEFAULT_PAD_MS;
  const gapMs = options.mergeGapMs ?? DEFAULT_MERGE_GAP_MS;
  for (const [label, v] of [
    ['padding', padMs],
    ['merge gap', gapMs],
  ] as const)
    if (!Number.isFinite(v) || v < 0)
      throw new AudioSpanError(`${label} must be a non-negative number of ms`);
  const pad = padMs / 1000;
  const gap = gapMs / 1000;
  const limit = options.durationSeconds ?? Number.POSITIVE_INFINITY;
  const padded = validateSpans(spans)
    .map((s) => ({ start: Math.max(0, s.start - pad), end: Math.min(limit, s.end + pad) }))
    .filter((s) => s.end > s.start)
    .sort((a, b) => a.start - b.start);
  const out: AudioSpan[] = [];
  for (const s of padded) {
    const last = out[out.length - 1];
    if (last && s.start - last.end < gap) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/** Where spans were read from; transcript spans are already padded by the redaction engine. */
export type SpanSource = 'json' | 'transcript';

/**
 * Reads spans from a JSON array of `{start, end}` or from a redacted transcript (JSONL; every
 * line's `silence` array is collected, lines without one add nothing).
 *
 * @example parseSpansText('[{"start":1,"end":2}]', 'spans.json') // { source: 'json', spans: [...] }
 */
export function parseSpansText(text: string, name: string): { source: SpanSource; spans: AudioSpan[] } {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (e) {
      throw new AudioSpanError(`${name}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
    }
    if (!Array.isArray(parsed)) throw new AudioSpanError(`${name}: expected a JSON array of {start, end}`);
    return { source: 'json', spans: validateSpans(parsed, (i) => `${name}: span ${i + 1}`) };
  }
  const spans: AudioSpan[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (e) {
      throw new AudioSpanError(
        `${name}: line ${i + 1} is not JSON (${(e as Error).message.split('\n')[0]}); expected a JSON array of spans or a redacted transcript`,
      );
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record))
      throw new AudioSpanError(`${name}: line ${i + 1} is not a transcript record (a JSON object)`);
    const silence = (record as { silence?: unknown }).silence;
    if (silence === undefined) continue;
    if (!Array.isArray(silence))
      throw new AudioSpanError(`${name}: line ${i + 1}: "silence" is not an array`);
    spans.push(...validateSpans(silence, (j) => `${name}: line ${i + 1}, silence ${j + 1}`));
  }
  return { source: 'transcript', spans };
}
