/**
 * `npm run bench`: runs every `bench/<name>.bench.ts` in sequence (progress on stderr) and
 * rewrites BENCHMARKS.md. Nothing fails on speed; the exit code is non-zero only when a benchmark
 * crashed.
 *
 *   npm run bench                               full run, rewrites BENCHMARKS.md
 *   npm run bench -- --only audit-append,...    selected benchmarks, report to stdout
 *   npm run bench -- --quick                    small counts, report to stdout
 *   npm run bench -- ... --out FILE             write the report to FILE instead
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, loadAverage } from './lib/machine.ts';
import { fmtSeconds } from './lib/measure.ts';
import { type RunRecord, renderReport } from './lib/report.ts';
import { cleanupAll } from './lib/resources.ts';
import type { Benchmark, BenchResult } from './lib/types.ts';

let interrupted = false;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_POSTGRES_URL = 'postgres://root@127.0.0.1:5432/test';

/** In goal order. Loaded lazily so `--only` does not pay for the others' imports (Cedar, Argon2). */
const BENCHMARKS: Record<string, () => Promise<{ run: Benchmark }>> = {
  'audit-append': () => import('./audit-append.bench.ts'),
  'verify-core': () => import('./verify-core.bench.ts'),
  'audit-verify': () => import('./audit-verify.bench.ts'),
  'inclusion-proof': () => import('./inclusion-proof.bench.ts'),
  authorize: () => import('./authorize.bench.ts'),
  'password-verify': () => import('./password-verify.bench.ts'),
  'redaction-accuracy': () => import('./redaction-accuracy.bench.ts'),
  'redaction-speed': () => import('./redaction-speed.bench.ts'),
  dtmf: () => import('./dtmf.bench.ts'),
  'recording-crypto': () => import('./recording-crypto.bench.ts'),
  'recording-vault': () => import('./recording-vault.bench.ts'),
  wfm: () => import('./wfm.bench.ts'),
};

function parseOptions() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stderr.write(
      'usage: npm run bench -- [--only name[,name...]] [--quick] [--out FILE]\n' +
        `benchmarks: ${Object.keys(BENCHMARKS).join(', ')}\n`,
    );
    process.exit(0);
  }
  const only = values.only
    ?.flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of only ?? []) {
    if (!(name in BENCHMARKS)) {
      process.stderr.write(`unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(', ')}\n`);
      process.exit(2);
    }
  }
  const full = !values.quick && only === undefined;
  const out = values.out ?? (full ? path.join(ROOT, 'BENCHMARKS.md') : undefined);
  return { only, quick: values.quick, out };
}

async function main(): Promise<number> {
  const { only, quick, out } = parseOptions();
  const postgresUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_POSTGRES_URL;
  const t0 = performance.now();
  const stamp = () => `[${fmtSeconds(performance.now() - t0).padStart(7)}]`;
  const say = (msg: string) => process.stderr.write(`${stamp()} ${msg}\n`);

  const loadAtStart = loadAverage();
  const machine = await describeMachine(postgresUrl);
  say(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}; load ${loadAtStart}`);

  const names = only ?? Object.keys(BENCHMARKS);
  const runs: RunRecord[] = [];
  for (const name of names) {
    const load = loadAverage();
    say(`${name}: start (load ${load})`);
    const started = performance.now();
    let result: BenchResult | undefined;
    let error: string | undefined;
    try {
      const mod = await BENCHMARKS[name]!();
      result = await mod.run({ quick, postgresUrl, log: (m) => say(`${name}: ${m}`) });
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      if (interrupted) say(`${name}: interrupted`);
      else say(`${name}: CRASHED: ${e instanceof Error ? (e.stack ?? e.message) : e}`);
    }
    const wallMs = performance.now() - started;
    say(`${name}: done in ${fmtSeconds(wallMs)}`);
    runs.push({ name, result, error, wallMs, loadAtStart: load });
  }

  // Shared fixtures (the audit log of `audit-verify`, reused by `inclusion-proof`) live until here.
  await cleanupAll();
  const report = renderReport({
    date: new Date(),
    machine,
    loadAtStart,
    loadAtEnd: loadAverage(),
    totalMs: performance.now() - t0,
    quick,
    only,
    runs,
  });
  if (out) {
    fs.writeFileSync(out, report);
    say(`wrote ${path.relative(process.cwd(), out) || out}`);
  } else {
    process.stdout.write(report);
  }
  say(`total ${fmtSeconds(performance.now() - t0)}`);
  return runs.some((r) => r.error !== undefined) ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    process.stderr.write(`\n${signal}: dropping scratch databases and temp dirs\n`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

main()
  .then((code) => {
    process.exitCode = code;
  })
  .catch(async (e) => {
    console.error(e);
    await cleanupAll();
    process.exitCode = 1;
  });
