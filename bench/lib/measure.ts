import { performance } from 'node:perf_hooks';

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export type LatencySummary = { count: number; p50: number; p99: number; max: number; mean: number };

/** Summary of latencies in milliseconds. */
export function summarize(latenciesMs: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(latenciesMs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

export type ConcurrentRun = {
  /** Operations completed. */
  count: number;
  elapsedMs: number;
  /** Operations per second over the whole run. */
  perSecond: number;
  latency: LatencySummary;
};

/**
 * Runs `op` from `concurrency` workers, each awaiting one call at a time, until `count` calls
 * have been started or `durationMs` has passed, whichever is given. Every call's latency is kept.
 */
export async function runConcurrent(
  op: (worker: number, i: number) => Promise<unknown>,
  { concurrency, count, durationMs }: { concurrency: number; count?: number; durationMs?: number },
): Promise<ConcurrentRun> {
  if (count === undefined && durationMs === undefined) throw new Error('give count or durationMs');
  const latencies: number[] = [];
  let started = 0;
  const t0 = performance.now();
  const deadline = durationMs === undefined ? Number.POSITIVE_INFINITY : t0 + durationMs;
  const limit = count ?? Number.POSITIVE_INFINITY;
  const worker = async (w: number) => {
    while (started < limit && performance.now() < deadline) {
      const i = started++;
      const s = performance.now();
      await op(w, i);
      latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsedMs = performance.now() - t0;
  return {
    count: latencies.length,
    elapsedMs,
    perSecond: (latencies.length / elapsedMs) * 1000,
    latency: summarize(latencies),
  };
}

/** Times a synchronous loop body `n` times; returns calls per second. */
export function loopRate(n: number, body: (i: number) => void): { perSecond: number; elapsedMs: number } {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) body(i);
  const elapsedMs = performance.now() - t0;
  return { perSecond: (n / elapsedMs) * 1000, elapsedMs };
}

/** Median of a few values (used for "best of N rounds"-style repeats that should resist noise). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Wall time and this process's CPU time of an async step. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { value, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// Formatting

const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 12345.6 → "12,346" */
export const fmtInt = (n: number): string => (Number.isFinite(n) ? intFormat.format(n) : 'n/a');

/** Milliseconds with three significant digits: "0.0412 ms", "3.21 ms", "142 ms". */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 100) return `${fmtInt(ms)} ms`;
  return `${Number(ms.toPrecision(3))} ms`;
}

/** A ratio as "0.42×". */
export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return 'n/a';
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

/** "12,345 events/s" */
export const fmtRate = (perSecond: number, unit: string): string => `${fmtInt(perSecond)} ${unit}/s`;

/** Seconds with one decimal: "12.3 s". */
export const fmtSeconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
