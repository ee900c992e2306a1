/**
 * Goal 5: ≥ 100 Argon2id verifications/s on this machine. `verifyPassword` (OWASP parameters:
 * m=19456 KiB, t=2, p=1) from one stream and from two concurrent streams. Baseline in the same
 * process: `@node-rs/argon2` `verify` called directly on the same hash, so the ratio is the
 * wrapper's overhead (≈ 1.0 expected).
 */
import os from 'node:os';
import { verify } from '@node-rs/argon2';
import { hashPassword, verifyPassword } from '../src/modules/identity/password-hash.ts';
import {
  type ConcurrentRun,
  fmtInt,
  fmtMs,
  fmtRate,
  fmtRatio,
  median,
  runConcurrent,
} from './lib/measure.ts';
import type { BenchOptions, BenchResult } from './lib/types.ts';

const GOAL_PER_SECOND = 100;
const SLICES = 4;

type Series = { count: number; perSecond: number; p50: number; p99: number };

/** Pools the slices of one series: rate = total count ÷ total time, p50 = median of the slices' p50s, p99 = worst slice's. */
function combine(runs: ConcurrentRun[]): Series {
  const count = runs.reduce((n, r) => n + r.count, 0);
  const ms = runs.reduce((t, r) => t + r.elapsedMs, 0);
  const p50s = runs.map((r) => r.latency.p50);
  return {
    count,
    perSecond: (count / ms) * 1000,
    p50: median(p50s),
    p99: Math.max(...runs.map((r) => r.latency.p99)),
  };
}

export async function run({ quick, log }: BenchOptions): Promise<BenchResult> {
  const durationMs = quick ? 1_000 : 3_000;
  // Wrapper and baseline alternate in slices so drift in the machine's load hits both alike.
  const sliceMs = durationMs / SLICES;
  const password = 'correct horse battery staple 42';
  const phc = await hashPassword(password);
  const wrapper = async () => {
    if (!(await verifyPassword(phc, password))) throw new Error('verifyPassword rejected the right password');
  };
  const direct = async () => {
    if (!(await verify(phc, password))) throw new Error('argon2 verify rejected the right password');
  };
  await wrapper();
  await direct();

  const rows: Array<{ streams: number; wrapper: Series; direct: Series }> = [];
  for (const streams of [1, 2]) {
    log(
      `${streams} stream(s): verifyPassword and argon2 verify, alternating ${SLICES} slices of ${sliceMs} ms each`,
    );
    const w: ConcurrentRun[] = [];
    const d: ConcurrentRun[] = [];
    for (let k = 0; k < SLICES; k++) {
      w.push(await runConcurrent(wrapper, { concurrency: streams, durationMs: sliceMs }));
      d.push(await runConcurrent(direct, { concurrency: streams, durationMs: sliceMs }));
    }
    const row = { streams, wrapper: combine(w), direct: combine(d) };
    log(
      `  ${fmtRate(row.wrapper.perSecond, 'verifications')} vs direct ${fmtRate(row.direct.perSecond, 'verifications')}`,
    );
    rows.push(row);
  }
  const best = rows.reduce((a, b) => (b.wrapper.perSecond > a.wrapper.perSecond ? b : a));

  return {
    name: 'password-verify',
    title: 'Goal 5: Argon2id password verification',
    method:
      `\`verifyPassword(phc, password)\` on a hash from \`hashPassword\` (${phc.split('$')[3]}), awaited in a loop by ` +
      `one stream and then by two concurrent streams, ${durationMs / 1000} s each. Baseline: ` +
      '`verify(phc, password)` from `@node-rs/argon2` on the same hash with the same streams, alternating with the ' +
      `wrapper in ${SLICES} slices of ${sliceMs} ms each (p50 is the median of the slices' p50s). The hashing runs on ` +
      `libuv worker threads (UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 'default 4'}), so two streams can ` +
      `use both of the ${os.availableParallelism()} cores.`,
    goals: [
      {
        id: '5',
        goal: `≥ ${GOAL_PER_SECOND} Argon2id verifications/s on this ${os.availableParallelism()}-core machine`,
        measured: `${fmtRate(best.wrapper.perSecond, 'verifications')} (${best.streams} stream${best.streams > 1 ? 's' : ''})`,
        baseline: `direct @node-rs/argon2: ${fmtRate(best.direct.perSecond, 'verifications')}`,
        ratio: `${fmtRatio(best.wrapper.perSecond / best.direct.perSecond)} of direct (wrapper overhead)`,
        met: best.wrapper.perSecond >= GOAL_PER_SECOND,
        data: {
          streams: best.streams,
          perSecond: best.wrapper.perSecond,
          directPerSecond: best.direct.perSecond,
          ratio: best.wrapper.perSecond / best.direct.perSecond,
        },
      },
    ],
    tables: [
      {
        caption: 'Verifications per second and latency',
        header: [
          'streams',
          'verifications',
          'verifyPassword/s',
          'p50',
          'max p99',
          'direct verify/s',
          'direct p50',
          'ratio',
        ],
        rows: rows.map((r) => [
          String(r.streams),
          `${fmtInt(r.wrapper.count)} + ${fmtInt(r.direct.count)}`,
          fmtInt(r.wrapper.perSecond),
          fmtMs(r.wrapper.p50),
          fmtMs(r.wrapper.p99),
          fmtInt(r.direct.perSecond),
          fmtMs(r.direct.p50),
          fmtRatio(r.wrapper.perSecond / r.direct.perSecond),
        ]),
      },
    ],
    findings: [
      `**Goal 5 (Argon2id)**: one verification took ${fmtMs(rows[0]!.direct.p50)} (1 stream, p50) at m=19456 KiB, t=2, ` +
        `so at that speed ${os.availableParallelism()} fully busy cores give at most about ` +
        `${fmtInt((1000 / rows[0]!.direct.p50) * os.availableParallelism())}/s: the goal sits at this machine's ceiling. Measured ` +
        `${fmtRate(best.wrapper.perSecond, 'verifications')} on the shared machine. The wrapper costs nothing measurable ` +
        `(${fmtRatio(best.wrapper.perSecond / best.direct.perSecond)} of direct).`,
    ],
    notes: [
      `One verification costs ${fmtMs(rows[0]!.direct.p50)} of one core at these parameters (1-stream p50), so this ` +
        `machine tops out near ${fmtInt((1000 / rows[0]!.direct.p50) * os.availableParallelism())} verifications/s with every core ` +
        'busy hashing and nothing else running.',
    ],
  };
}
