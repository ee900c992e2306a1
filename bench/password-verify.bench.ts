/**
 * Goal 5: ≥ 100 Argon2id verifications/s on this machine. `verifyPassword` (OWASP parameters:
 * m=19456 KiB, t=2, p=1) from one stream and from two concurrent streams. Baseline in the same
 * process: `@node-rs/argon2` `verify` called directly on the same hash, so the ratio is the
 * wrapper's overhead (≈ 1.0 expected).
 */
import os from 'node:os';
import { verify } from '@node-rs/argon2';
import { hashPassword, verifyPassword } from '../src/modules/identity/password-hash.ts';
import { type ConcurrentRun, fmtInt, fmtMs, fmtRate, fmtRatio, runConcurrent } from './lib/measure.ts';
import type { BenchOptions, BenchResult } from './lib/types.ts';

const GOAL_PER_SECOND = 100;

export async function run({ quick, log }: BenchOptions): Promise<BenchResult> {
  const durationMs = quick ? 1_000 : 3_000;
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

  const rows: Array<{ streams: number; wrapper: ConcurrentRun; direct: ConcurrentRun }> = [];
  for (const streams of [1, 2]) {
    log(`${streams} stream(s): verifyPassword for ${durationMs / 1000} s, then argon2 verify`);
    const w = await runConcurrent(wrapper, { concurrency: streams, durationMs });
    const d = await runConcurrent(direct, { concurrency: streams, durationMs });
    log(`  ${fmtRate(w.perSecond, 'verifications')} vs direct ${fmtRate(d.perSecond, 'verifications')}`);
    rows.push({ streams, wrapper: w, direct: d });
  }
  const best = rows.reduce((a, b) => (b.wrapper.perSecond > a.wrapper.perSecond ? b : a));

  return {
    name: 'password-verify',
    title: 'Goal 5: Argon2id password verification',
    method:
      `\`verifyPassword(phc, password)\` on a hash from \`hashPassword\` (${phc.split('$')[3]}), awaited in a loop by ` +
      `one stream and then by two concurrent streams, ${durationMs / 1000} s each. Baseline, right after each: ` +
      '`verify(phc, password)` from `@node-rs/argon2` on the same hash with the same streams. The hashing runs on ' +
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
        header: ['streams', 'verifyPassword/s', 'p50', 'p99', 'direct verify/s', 'direct p50', 'ratio'],
        rows: rows.map((r) => [
          String(r.streams),
          fmtInt(r.wrapper.perSecond),
          fmtMs(r.wrapper.latency.p50),
          fmtMs(r.wrapper.latency.p99),
          fmtInt(r.direct.perSecond),
          fmtMs(r.direct.latency.p50),
          fmtRatio(r.wrapper.perSecond / r.direct.perSecond),
        ]),
      },
    ],
    notes: [
      `One verification costs ${fmtMs(rows[0]!.direct.latency.p50)} of one core at these parameters, so this machine ` +
        `tops out near ${fmtInt((1000 / rows[0]!.direct.latency.p50) * os.availableParallelism())} verifications/s with every core ` +
        'busy hashing and nothing else running.',
    ],
  };
}
