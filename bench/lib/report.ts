import type { Machine } from './machine.ts';
import { fmtSeconds } from './measure.ts';
import type { BenchResult, GoalResult, Table } from './types.ts';

export type RunRecord = {
  name: string;
  result: BenchResult | undefined;
  error: string | undefined;
  wallMs: number;
  loadAtStart: string;
};

export type Report = {
  date: Date;
  machine: Machine;
  loadAtStart: string;
  loadAtEnd: string;
  totalMs: number;
  quick: boolean;
  only: string[] | undefined;
  runs: RunRecord[];
};

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.map(cell).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

const metText = (met: boolean | null) => (met === null ? 'info' : met ? '**yes**' : '**no**');

function goalRows(goals: GoalResult[]): string[][] {
  return goals.map((g) => [g.id, g.goal, g.measured, g.baseline, g.ratio, metText(g.met)]);
}

const renderTable = (t: Table) => `${t.caption}:\n\n${table(t.header, t.rows)}`;

/** BENCHMARKS.md: machine, summary of goals, then each benchmark's method, tables and notes. */
export function renderReport(r: Report): string {
  const out: string[] = [];
  const goals = r.runs.flatMap((run) => run.result?.goals ?? []);
  goals.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  const met = goals.filter((g) => g.met === true).length;
  const judged = goals.filter((g) => g.met !== null).length;

  out.push('# Benchmarks');
  out.push(
    `Written by \`npm run bench\` (bench/run.ts) on ${r.date.toISOString()}` +
      `${r.quick ? ' in **--quick** mode (small counts: development only)' : ''}` +
      `${r.only ? ` for ${r.only.join(', ')} only` : ''}; do not edit by hand, rerun it. ` +
      'Nothing here fails on speed. The machines are shared and noisy, so absolute figures drift between runs: ' +
      'read the **ratios**, each against a baseline measured in the same process and run, minutes apart at most.',
  );

  out.push('## Machine');
  out.push(
    table(
      ['', ''],
      [
        ['CPU', `${r.machine.cpuModel} (/proc/cpuinfo)`],
        ['cores', String(r.machine.cores)],
        ['memory', `${r.machine.memoryGiB.toFixed(1)} GiB`],
        ['Node', r.machine.node],
        ['OS', r.machine.os],
        ['PostgreSQL', `${r.machine.postgres} on 127.0.0.1 (same machine)`],
        ['load average at start (1, 5, 15 min)', r.loadAtStart],
        ['load average at end (1, 5, 15 min)', r.loadAtEnd],
        ['total bench time', fmtSeconds(r.totalMs)],
      ],
    ),
  );

  out.push('## Summary');
  out.push(
    `${met} of ${judged} goal rows met ("info" rows have no target). "ratio" is measured ÷ baseline (for throughput, below 1× means slower than the ` +
      'baseline; for latency, above 1× means slower).',
  );
  out.push(table(['#', 'goal', 'measured', 'baseline (same run)', 'ratio', 'met?'], goalRows(goals)));
  const findings = r.runs.flatMap((run) => run.result?.findings ?? []);
  if (findings.length > 0) {
    out.push('### What limits each figure');
    out.push(findings.map((f) => `- ${f}`).join('\n'));
  }
  const failed = r.runs.filter((run) => run.error !== undefined);
  if (failed.length > 0) {
    out.push(`**Benchmarks that crashed:** ${failed.map((f) => `${f.name} (${f.error})`).join('; ')}`);
  }

  out.push('## How to run');
  out.push(
    [
      '```sh',
      `npm run bench                          # every benchmark, rewrites BENCHMARKS.md${r.quick || r.only ? '' : ` (this run: ${(r.totalMs / 60_000).toFixed(1)} min)`}`,
      'npm run bench -- --only audit-append   # one (or a comma-separated list); prints the report to stdout',
      'npm run bench -- --quick               # small counts for development; prints the report to stdout',
      'npm run bench -- --quick --out /tmp/b.md',
      '```',
      '',
      'PostgreSQL comes from `BENCH_DATABASE_URL` (default `postgres://root@127.0.0.1:5432/test`); each benchmark creates ' +
        'its own `bulwark_bench_<random>` database and drops it when done. Benchmarks: ' +
        r.runs.map((run) => `\`${run.name}\``).join(', ') +
        ' (files `bench/<name>.bench.ts`).',
    ].join('\n'),
  );

  for (const run of r.runs) {
    const res = run.result;
    out.push(`## ${res?.title ?? run.name}`);
    out.push(
      `\`bench/${run.name}.bench.ts\` · ran ${fmtSeconds(run.wallMs)} · load average at start ${run.loadAtStart}`,
    );
    if (!res) {
      out.push(`**Crashed:** ${run.error ?? 'unknown error'}`);
      continue;
    }
    out.push(res.method);
    out.push(table(['#', 'goal', 'measured', 'baseline (same run)', 'ratio', 'met?'], goalRows(res.goals)));
    for (const t of res.tables) out.push(renderTable(t));
    if (res.notes.length > 0) out.push(res.notes.map((n) => `- ${n}`).join('\n'));
  }
  return `${out.join('\n\n')}\n`;
}
