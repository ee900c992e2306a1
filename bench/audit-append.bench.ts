/**
 * Goal 1: durable audit appends. A durable append is a committed transaction containing
 * `audit.append(trx, event)` (PostgreSQL with synchronous_commit=on). Baseline, same run, same
 * pool, same concurrency, same number of transactions: a transaction inserting one row of the
 * same size into a plain `(id bigserial primary key, body text)` table, so the ratio is the audit
 * code's (and the audit table's) overhead over the database's own commit rate.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../src/db/schema.ts';
import type { AuditService } from '../src/modules/audit/audit.service.ts';
import { bodyMac, buildAuditEvent, encodeAuditEvent } from '../src/modules/audit/audit-event.ts';
import { type AuditStack, openAuditStack, openPool, sampleEventInput } from './lib/audit-setup.ts';
import {
  type ConcurrentRun,
  fmtInt,
  fmtMs,
  fmtRate,
  fmtRatio,
  loopRate,
  runConcurrent,
  timed,
} from './lib/measure.ts';
import type { BenchOptions, BenchResult, GoalResult } from './lib/types.ts';

const GOAL_EVENTS_PER_SECOND = 20_000;
const GOAL_P99_MS = 10;
const GOAL_TEXT = `Audit append on PostgreSQL ≥ ${fmtInt(GOAL_EVENTS_PER_SECOND)} durable events/s with p99 commit ≤ ${GOAL_P99_MS} ms`;

type ConfigResult = {
  engine: 'postgres' | 'pglite';
  concurrency: number;
  eventsPerTx: number;
  audit: ConcurrentRun;
  plain: ConcurrentRun;
  eventsPerSecond: number;
  /** Audit events/s ÷ plain rows/s. */
  ratio: number;
  /** This (client) process's CPU time per transaction, in µs: the Node-side cost of each path. */
  auditCpuUsPerTx: number;
  plainCpuUsPerTx: number;
};

/** Runs `runConcurrent` and also reports this process's CPU time per operation (µs). */
async function runWithCpu(
  op: () => Promise<unknown>,
  opts: { concurrency: number; count?: number; durationMs?: number },
): Promise<{ run: ConcurrentRun; cpuUsPerOp: number }> {
  const cpu0 = process.cpuUsage();
  const run = await runConcurrent(op, opts);
  const cpu = process.cpuUsage(cpu0);
  return { run, cpuUsPerOp: (cpu.user + cpu.system) / run.count };
}

async function createPlainTable(db: Kysely<Database>): Promise<void> {
  await sql`create table if not exists bench_plain (id bigserial primary key, body text not null)`.execute(
    db,
  );
}

async function measureConfig(
  db: Kysely<Database>,
  audit: AuditService,
  stack: AuditStack,
  setting: { engine: 'postgres' | 'pglite'; concurrency: number; eventsPerTx: number },
  timing: { durationMs: number; warmupMs: number },
  plainBody: string,
): Promise<ConfigResult> {
  let seq = 0;
  const { concurrency, eventsPerTx } = setting;
  const auditTx = () =>
    db.transaction().execute(async (trx) => {
      for (let k = 0; k < eventsPerTx; k++) await audit.append(trx, sampleEventInput(stack.tenantId, seq++));
    });
  const plainTx = () =>
    db.transaction().execute(async (trx) => {
      for (let k = 0; k < eventsPerTx; k++)
        await sql`insert into bench_plain (body) values (${plainBody})`.execute(trx);
    });
  // Warm-ups open every pooled connection and let the JIT settle before timing.
  await runConcurrent(auditTx, { concurrency, durationMs: timing.warmupMs });
  const auditRun = await runWithCpu(auditTx, { concurrency, durationMs: timing.durationMs });
  await runConcurrent(plainTx, { concurrency, durationMs: timing.warmupMs });
  const plainRun = await runWithCpu(plainTx, { concurrency, count: auditRun.run.count });
  return {
    ...setting,
    audit: auditRun.run,
    plain: plainRun.run,
    eventsPerSecond: auditRun.run.perSecond * eventsPerTx,
    ratio: auditRun.run.perSecond / plainRun.run.perSecond,
    auditCpuUsPerTx: auditRun.cpuUsPerOp,
    plainCpuUsPerTx: plainRun.cpuUsPerOp,
  };
}

/**
 * Diagnostic: rows of the audit table's exact shape (same columns, indexes, unique event id and
 * tenant foreign key) inserted with one plain SQL statement, without the audit code. Separates
 * what the schema costs (shape ÷ plain) from what the code costs (audit ÷ shape).
 */
async function measureShape(
  db: Kysely<Database>,
  tenantId: string,
  concurrency: number,
  count: number,
  warmupMs: number,
  body: string,
) {
  await sql`create table bench_audit_shape
    (like audit_events including defaults including indexes including constraints)`.execute(db);
  await sql`alter table bench_audit_shape add foreign key (tenant_id) references tenants (id)`.execute(db);
  const mac = randomBytes(32);
  const tx = () =>
    db.transaction().execute((trx) =>
      sql`insert into bench_audit_shape (tenant_id, event_id, occurred_at, actor_user_id, action,
            resource_type, resource_id, outcome, body, body_mac)
          values (${tenantId}, ${randomUUID()}, ${new Date().toISOString()}, ${randomUUID()}, 'recording.play',
            'Recording', 'b752ed76-1500-4dab', 'allow', ${body}, ${mac})`.execute(trx),
    );
  await runConcurrent(tx, { concurrency, durationMs: warmupMs });
  return runWithCpu(tx, { concurrency, count });
}

/** In-process CPU cost (µs) of the steps of one `audit.append`, without the database round trip. */
function appendCpuBreakdown(stack: AuditStack, n: number): Array<{ key: string; step: string; us: number }> {
  const input = sampleEventInput(stack.tenantId, 1);
  const body = encodeAuditEvent(buildAuditEvent(input, new Date()));
  const macKey = stack.keyring.auditMacKey(stack.tenantId);
  const us = (rate: { perSecond: number }) => 1e6 / rate.perSecond;
  const measure = (body: (i: number) => void) => {
    loopRate(Math.ceil(n / 10), body); // warm-up
    return us(loopRate(n, body));
  };
  let sink = 0;
  const steps = [
    {
      key: 'build',
      step: '`buildAuditEvent` + `encodeAuditEvent` (new UUID, canonical JSON)',
      us: measure(() => {
        sink += encodeAuditEvent(buildAuditEvent(input, new Date())).length;
      }),
    },
    {
      key: 'hkdf',
      step: '`keyring.auditMacKey(tenant)` (HKDF-SHA-256 derivation, run on every append)',
      us: measure(() => {
        sink += stack.keyring.auditMacKey(stack.tenantId).length;
      }),
    },
    {
      key: 'mac',
      step: '`bodyMac(key, body)` (HMAC-SHA-256 of the body)',
      us: measure(() => {
        sink += bodyMac(macKey, body).length;
      }),
    },
    {
      key: 'kysely',
      step: 'Kysely: build and compile the `insert into audit_events` query',
      us: measure((i) => {
        sink += stack.handle.db
          .insertInto('audit_events')
          .values({
            tenant_id: input.tenantId,
            event_id: `${i}`,
            occurred_at: '2026-01-01T00:00:00.000Z',
            actor_user_id: input.actor.userId,
            action: input.action,
            resource_type: input.resource.type,
            resource_id: input.resource.id ?? null,
            outcome: input.outcome,
            body,
            body_mac: macKey,
          })
          .compile().sql.length;
      }),
    },
  ];
  if (sink === 0) throw new Error('unreachable');
  return steps;
}

function appendFindings(
  results: ConfigResult[],
  shapeOf: ConfigResult | undefined,
  shape: { run: ConcurrentRun; cpuUsPerOp: number } | undefined,
  breakdown: Array<{ key: string; us: number }>,
): string[] {
  const pg = results.filter((r) => r.engine === 'postgres' && r.eventsPerTx === 1);
  const topPlain = pg.reduce((a, b) => (b.plain.perSecond > a.plain.perSecond ? b : a));
  const ratios = results.filter((r) => r.engine === 'postgres').map((r) => r.ratio);
  const us = (key: string) => breakdown.find((b) => b.key === key)?.us ?? Number.NaN;
  const out = [
    `**Goal 1 (append)**: the database's own durable commit rate is the first limit: plain one-row transactions peak at ` +
      `${fmtRate(topPlain.plain.perSecond, 'rows')} (c=${topPlain.concurrency}, p99 ${fmtMs(topPlain.plain.latency.p99)}), ` +
      `${fmtRatio(topPlain.plain.perSecond / GOAL_EVENTS_PER_SECOND)} of the goal before any audit code runs, on a ` +
      'PostgreSQL that shares these 2 cores. The audit path then runs at ' +
      `${fmtRatio(Math.min(...ratios))}–${fmtRatio(Math.max(...ratios))} of the plain rate.`,
  ];
  if (shapeOf && shape) {
    out.push(
      `**Goal 1, where the audit overhead is** (c=32): the audit table's shape (indexes, unique id, tenant FK) costs ` +
        `${fmtRatio(shape.run.perSecond / shapeOf.plain.perSecond)} of plain, the audit code ` +
        `${fmtRatio(shapeOf.audit.perSecond / shape.run.perSecond)} of that: ${fmtInt(shapeOf.auditCpuUsPerTx)} vs ` +
        `${fmtInt(shape.cpuUsPerOp)} µs of client CPU per transaction. In src/: \`keyring.auditMacKey\` re-derives the ` +
        `MAC key with HKDF on every append (${us('hkdf').toFixed(1)} µs; the signing key is cached, this one is not), ` +
        `more than the body HMAC itself (${us('mac').toFixed(1)} µs).`,
    );
  }
  return out;
}

async function sequenceTimed(audit: AuditService, db: Kysely<Database>) {
  const pending = await db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('leaf_index', 'is', null)
    .executeTakeFirstOrThrow();
  const run = await timed(() => audit.sequenceAll());
  return {
    pending: Number(pending.n),
    sequenced: run.value,
    wallMs: run.wallMs,
    perSecond: (run.value / run.wallMs) * 1000,
  };
}

const configRow = (r: ConfigResult): string[] => [
  r.engine === 'postgres' ? 'PostgreSQL' : 'PGlite (dataDir)',
  String(r.concurrency),
  String(r.eventsPerTx),
  fmtInt(r.audit.count),
  fmtInt(r.eventsPerSecond),
  fmtMs(r.audit.latency.p50),
  fmtMs(r.audit.latency.p99),
  fmtInt(r.plain.perSecond * r.eventsPerTx),
  fmtMs(r.plain.latency.p50),
  fmtMs(r.plain.latency.p99),
  fmtRatio(r.ratio),
  `${fmtInt(r.auditCpuUsPerTx)} / ${fmtInt(r.plainCpuUsPerTx)} µs`,
];

const meets = (r: ConfigResult) =>
  r.eventsPerSecond >= GOAL_EVENTS_PER_SECOND && r.audit.latency.p99 <= GOAL_P99_MS;

function goalRow(id: string, label: string, r: ConfigResult, met: boolean | null): GoalResult {
  return {
    id,
    goal: label,
    measured: `${fmtRate(r.eventsPerSecond, 'events')}, p99 ${fmtMs(r.audit.latency.p99)} (c=${r.concurrency}, ${r.eventsPerTx}/tx)`,
    baseline: `plain insert: ${fmtRate(r.plain.perSecond * r.eventsPerTx, 'rows')}, p99 ${fmtMs(r.plain.latency.p99)}`,
    ratio: `${fmtRatio(r.ratio)} of plain-insert throughput`,
    met,
    data: {
      concurrency: r.concurrency,
      eventsPerTx: r.eventsPerTx,
      eventsPerSecond: r.eventsPerSecond,
      p50Ms: r.audit.latency.p50,
      p99Ms: r.audit.latency.p99,
      baselineRowsPerSecond: r.plain.perSecond * r.eventsPerTx,
      baselineP99Ms: r.plain.latency.p99,
      ratio: r.ratio,
    },
  };
}

export async function run({ quick, log, postgresUrl }: BenchOptions): Promise<BenchResult> {
  const timing = quick ? { durationMs: 1_500, warmupMs: 300 } : { durationMs: 5_000, warmupMs: 1_000 };
  const pgliteTiming = quick ? { durationMs: 1_000, warmupMs: 300 } : { durationMs: 4_000, warmupMs: 1_000 };
  const plainBody = encodeAuditEvent(buildAuditEvent(sampleEventInput(randomUUID(), 0), new Date()));
  const results: ConfigResult[] = [];
  let shape: { run: ConcurrentRun; cpuUsPerOp: number } | undefined;
  let shapeOf: ConfigResult | undefined;

  // --- PostgreSQL -------------------------------------------------------------------------------
  const pgStack = await openAuditStack({ engine: 'postgres', adminUrl: postgresUrl, poolSize: 2 });
  const settings = await sql<{ name: string; setting: string }>`
    select name, setting from pg_settings where name in ('synchronous_commit', 'fsync', 'wal_sync_method')
    order by name`.execute(pgStack.handle.db);
  await createPlainTable(pgStack.handle.db);
  const pgConfigs = [
    { concurrency: 1, eventsPerTx: 1 },
    { concurrency: 8, eventsPerTx: 1 },
    { concurrency: 32, eventsPerTx: 1 },
    { concurrency: 64, eventsPerTx: 1 },
    { concurrency: 32, eventsPerTx: 10 },
  ];
  for (const cfg of pgConfigs) {
    log(`PostgreSQL: concurrency ${cfg.concurrency}, ${cfg.eventsPerTx} event(s)/tx`);
    const pool = await openPool(pgStack, cfg.concurrency);
    try {
      const r = await measureConfig(
        pool.handle.db,
        pool.audit,
        pgStack,
        { engine: 'postgres', ...cfg },
        timing,
        plainBody,
      );
      log(
        `  audit ${fmtRate(r.eventsPerSecond, 'events')} p99 ${fmtMs(r.audit.latency.p99)}; ` +
          `plain ${fmtRate(r.plain.perSecond * cfg.eventsPerTx, 'rows')}; ratio ${fmtRatio(r.ratio)}`,
      );
      results.push(r);
      if (cfg.concurrency === 32 && cfg.eventsPerTx === 1) {
        log('  diagnostic: audit-shaped rows without the audit code, same count');
        shape = await measureShape(
          pool.handle.db,
          pgStack.tenantId,
          cfg.concurrency,
          r.audit.count,
          timing.warmupMs,
          plainBody,
        );
        shapeOf = r;
        log(`  shape ${fmtRate(shape.run.perSecond, 'rows')} p99 ${fmtMs(shape.run.latency.p99)}`);
      }
    } finally {
      await pool.close();
    }
  }
  const breakdown = appendCpuBreakdown(pgStack, quick ? 5_000 : 30_000);
  log('PostgreSQL: sequencing every appended event');
  const pgSeq = await sequenceTimed(pgStack.audit, pgStack.handle.db);
  log(`  ${fmtInt(pgSeq.sequenced)} events in ${fmtMs(pgSeq.wallMs)}: ${fmtRate(pgSeq.perSecond, 'events')}`);
  await pgStack.close();

  // --- PGlite (a data dir: in-memory is not durable) ---------------------------------------------
  const liteStack = await openAuditStack({ engine: 'pglite' });
  const liteSettings = await sql<{ name: string; setting: string }>`
    select name, setting from pg_settings where name in ('synchronous_commit', 'fsync', 'wal_sync_method')
    order by name`.execute(liteStack.handle.db);
  await createPlainTable(liteStack.handle.db);
  for (const concurrency of [1, 8]) {
    log(`PGlite: concurrency ${concurrency}, 1 event/tx`);
    const r = await measureConfig(
      liteStack.handle.db,
      liteStack.audit,
      liteStack,
      { engine: 'pglite', concurrency, eventsPerTx: 1 },
      pgliteTiming,
      plainBody,
    );
    log(
      `  audit ${fmtRate(r.eventsPerSecond, 'events')} p99 ${fmtMs(r.audit.latency.p99)}; ratio ${fmtRatio(r.ratio)}`,
    );
    results.push(r);
  }
  log('PGlite: sequencing');
  const liteSeq = await sequenceTimed(liteStack.audit, liteStack.handle.db);
  log(`  ${fmtInt(liteSeq.sequenced)} events: ${fmtRate(liteSeq.perSecond, 'events')}`);
  await liteStack.close();

  // --- Goals --------------------------------------------------------------------------------------
  const pgSingle = results.filter((r) => r.engine === 'postgres' && r.eventsPerTx === 1);
  const within = pgSingle.filter((r) => r.audit.latency.p99 <= GOAL_P99_MS);
  const best = (rs: ConfigResult[]) => rs.reduce((a, b) => (b.eventsPerSecond > a.eventsPerSecond ? b : a));
  const bestSingle = best(within.length > 0 ? within : pgSingle);
  const batched = results.find((r) => r.engine === 'postgres' && r.eventsPerTx === 10)!;
  const bestLite = best(results.filter((r) => r.engine === 'pglite'));
  const bestPgAppend = best(results.filter((r) => r.engine === 'postgres'));

  const goals: GoalResult[] = [
    goalRow(
      '1',
      within.length > 0
        ? `${GOAL_TEXT}: 1 event/tx (fastest of c = 1, 8, 32, 64 with p99 ≤ ${GOAL_P99_MS} ms)`
        : `${GOAL_TEXT}: 1 event/tx (no c of 1, 8, 32, 64 kept p99 ≤ ${GOAL_P99_MS} ms; the fastest shown)`,
      bestSingle,
      meets(bestSingle),
    ),
    goalRow('1', `${GOAL_TEXT}: 10 events/tx, c=32 (batched business operation)`, batched, meets(batched)),
    goalRow('1', 'Audit append on PGlite with a data dir (reported, no target)', bestLite, null),
    {
      id: '1',
      goal: 'Sequencer on PostgreSQL: `audit.sequenceAll()` (leaf hashes, seals, Merkle nodes, signed checkpoints; reported, no target)',
      measured: `${fmtRate(pgSeq.perSecond, 'events')} (${fmtInt(pgSeq.sequenced)} events)`,
      baseline: `best append rate ${fmtRate(bestPgAppend.eventsPerSecond, 'events')}`,
      ratio: `${fmtRatio(pgSeq.perSecond / bestPgAppend.eventsPerSecond)} of the append rate (≥ 1× keeps up)`,
      met: null,
      data: {
        sequenced: pgSeq.sequenced,
        perSecond: pgSeq.perSecond,
        appendPerSecond: bestPgAppend.eventsPerSecond,
        ratio: pgSeq.perSecond / bestPgAppend.eventsPerSecond,
      },
    },
  ];

  const settingText = (rows: Array<{ name: string; setting: string }>) =>
    rows.map((r) => `${r.name}=${r.setting}`).join(', ');
  return {
    name: 'audit-append',
    title: 'Goal 1: durable audit appends',
    method:
      'Each transaction is `db.transaction().execute(trx => audit.append(trx, event))` with the real ' +
      '`createAuditService` on a migrated scratch database (`openDatabase` + `migrate`, `openKeyring` on a temp dir, ' +
      'the default tenant), a pool of as many connections as workers, each worker awaiting one transaction at a time ' +
      `for ${timing.durationMs / 1000} s after a ${timing.warmupMs / 1000} s warm-up. Latency is begin → commit acknowledged. ` +
      `Events are ~${plainBody.length}-byte canonical JSON bodies (authorization decisions with actor, role, IP, resource, policy). ` +
      'Baseline: right after, on the same pool and concurrency, the same number of transactions each inserting the same ' +
      'number of rows of a same-sized text body into a plain `bench_plain(id bigserial primary key, body text)` table. ' +
      'The ratio is audit events/s ÷ plain rows/s: what the audit code and the audit table (5 secondary indexes, a unique ' +
      'event id, a tenant foreign key, a body MAC) cost over the bare commit. After the appends, `audit.sequenceAll()` ' +
      'sequences every event appended above (warm-ups included).',
    goals,
    tables: [
      {
        caption: 'Append throughput and commit latency per configuration',
        header: [
          'engine',
          'workers',
          'events/tx',
          'transactions',
          'audit events/s',
          'p50',
          'p99',
          'plain rows/s',
          'plain p50',
          'plain p99',
          'ratio',
          'client CPU/tx audit / plain',
        ],
        rows: results.map(configRow),
      },
      ...(shape && shapeOf
        ? [
            {
              caption:
                'Where the overhead is (PostgreSQL, 32 workers, 1 event/tx, same number of transactions each): ' +
                "plain row → a row of the audit table's exact shape (`like audit_events including all` + the tenant " +
                'foreign key) inserted by one SQL statement → the real `audit.append`',
              header: ['insert', 'rows/s', 'p50', 'p99', 'client CPU/tx', 'ratio to plain'],
              rows: [
                [
                  'plain `(id, body)` row',
                  fmtInt(shapeOf.plain.perSecond),
                  fmtMs(shapeOf.plain.latency.p50),
                  fmtMs(shapeOf.plain.latency.p99),
                  `${fmtInt(shapeOf.plainCpuUsPerTx)} µs`,
                  '1.00×',
                ],
                [
                  'audit-shaped row, plain SQL',
                  fmtInt(shape.run.perSecond),
                  fmtMs(shape.run.latency.p50),
                  fmtMs(shape.run.latency.p99),
                  `${fmtInt(shape.cpuUsPerOp)} µs`,
                  fmtRatio(shape.run.perSecond / shapeOf.plain.perSecond),
                ],
                [
                  '`audit.append` (real code)',
                  fmtInt(shapeOf.audit.perSecond),
                  fmtMs(shapeOf.audit.latency.p50),
                  fmtMs(shapeOf.audit.latency.p99),
                  `${fmtInt(shapeOf.auditCpuUsPerTx)} µs`,
                  fmtRatio(shapeOf.ratio),
                ],
              ],
            },
          ]
        : []),
      {
        caption: 'Client CPU of the steps of one append, in process without the database (µs per call)',
        header: ['step', 'µs'],
        rows: breakdown.map((b) => [b.step, b.us.toFixed(2)]),
      },
      {
        caption: 'Sequencer (`audit.sequenceAll()` after the appends)',
        header: ['engine', 'events sequenced', 'time', 'events/s'],
        rows: [
          ['PostgreSQL', fmtInt(pgSeq.sequenced), fmtMs(pgSeq.wallMs), fmtInt(pgSeq.perSecond)],
          ['PGlite (dataDir)', fmtInt(liteSeq.sequenced), fmtMs(liteSeq.wallMs), fmtInt(liteSeq.perSecond)],
        ],
      },
    ],
    findings: appendFindings(results, shapeOf, shape, breakdown),
    notes: [
      `PostgreSQL settings: ${settingText(settings.rows)}; the server runs on this same 2-core machine, so the client ` +
        'and the server share the CPUs.',
      `PGlite settings: ${settingText(liteSettings.rows)}. PGlite is single-connection: its workers queue on one ` +
        'connection. Its Node filesystem layer (Emscripten NODEFS) has no fsync (no `fsyncSync`/`fdatasyncSync` in ' +
        '`@electric-sql/pglite/dist`), so a PGlite commit reaches the OS page cache: it survives `kill -9` of the ' +
        'process, not a power loss.',
    ],
  };
}
