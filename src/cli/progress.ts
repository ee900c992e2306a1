/**
 * A progress bar on standard error for long CLI runs. It is drawn only when the stream is a
 * terminal (or the caller forces it), only for inputs over {@link PROGRESS_MIN_BYTES}, at most ten
 * times a second, and erased when the work ends, so piped stderr never sees a control character.
 * It shows a phase ("reading", "scanning", "streaming") with that phase's share done; it never
 * shows content.
 */

/** Inputs at or below this size finish too fast for a bar to help. */
export const PROGRESS_MIN_BYTES = 4 * 1024 * 1024;
/** At most one redraw per this many milliseconds (10 a second). */
export const PROGRESS_INTERVAL_MS = 100;

/** `auto`: only when the stream is a TTY; `always` and `never` override the TTY test. */
export const PROGRESS_MODES = ['auto', 'always', 'never'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** The part of a writable stream the bar uses (process.stderr in the CLI; a fake in tests). */
export type ProgressStream = { write(chunk: string): unknown; isTTY?: boolean; columns?: number };

export type ProgressOptions = {
  /** What is being worked on, e.g. the file name. */
  label: string;
  /** Size of the input in bytes, or null when unknown (standard input from a pipe). */
  totalBytes: number | null;
  stream?: ProgressStream;
  mode?: ProgressMode;
  now?: () => number;
  minBytes?: number;
  intervalMs?: number;
};

export type Progress = {
  /** Reports `done` of `total` units of `phase`; `total` null shows a count only. */
  update(phase: string, done: number, total: number | null): void;
  /** Erases the bar (if one was drawn); call before writing anything else to the stream. */
  finish(): void;
  /** True when the bar may be drawn at all (TTY or forced). */
  readonly enabled: boolean;
};

const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;

/**
 * Creates a progress bar.
 * @example const p = createProgress({ label: 'calls.csv', totalBytes: size }); p.update('reading', n, size); p.finish();
 */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const mode = options.mode ?? 'auto';
  const now = options.now ?? Date.now;
  const minBytes = options.minBytes ?? PROGRESS_MIN_BYTES;
  const interval = options.intervalMs ?? PROGRESS_INTERVAL_MS;
  const enabled = mode === 'always' || (mode === 'auto' && stream.isTTY === true);
  const big = options.totalBytes !== null && options.totalBytes > minBytes;
  let drawn = false;
  let last = Number.NEGATIVE_INFINITY;
  let seenBytes = 0;
  const label = options.label.length > 30 ? `…${options.label.slice(-29)}` : options.label;
  return {
    enabled,
    update(phase, done, total) {
      if (!enabled) return;
      if (total === null) seenBytes = Math.max(seenBytes, done);
      if (!big && !(options.totalBytes === null && seenBytes > minBytes)) return;
      const t = now();
      if (t - last < interval) return;
      last = t;
      const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 60));
      let line: string;
      if (total === null || total <= 0) line = `${label} ${phase} ${mb(done)}`;
      else {
        const share = Math.min(1, Math.max(0, done / total));
        const fill = Math.round(share * width);
        const amount = phase === 'reading' || phase === 'streaming' ? `  ${mb(done)}/${mb(total)}` : '';
        line = `${label} ${phase.padEnd(9)} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${String(Math.floor(share * 100)).padStart(3)}%${amount}`;
      }
      stream.write(`\r\x1b[2K${line}`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
