/**
 * Issue 6, "Scale and speed": a synthetic contact center (bench/lib/wfm-generate.ts) and the four
 * goals measured on it, each against a baseline in the same process:
 *
 * - W1 DSAR export of one agent (2 years of everything) ≤ 60 s, as `bulwark dsar export` writes it
 *   (JSON + CSV per category + index.html), vs reading the same rows with one plain SELECT per table;
 * - W2 scoped list p99 ≤ 50 ms: `GET /v1/wfm/{schedules,adherence,absences,performance}` through
 *   `app.inject` (session check, Cedar, SQL scope, residency rule, serialization) for an agent, a
 *   one-team supervisor and a wfm_analyst, vs a plain indexed SELECT of the same slice;
 * - W3 aggregate report ≤ 1 s: `wfm.report` (the route's service call) per kind and grouping for the
 *   last whole month, vs one SQL aggregate over the same rows;
 * - W4 CSV import ≥ 50% of COPY: `wfm.importCsv` (the CLI's and the route's path) of a schedules
 *   file vs `COPY wfm_schedules FROM STDIN` of the same rows into the same table, alternated.
 *
 * PostgreSQL at full scale, then PGlite (in memory) at a reduced scale stated in the notes.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PGlite } from '@electric-sql/pglite';
import type { FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import * as OTPAuth from 'otpauth';
import pg from 'pg';
import { loadConfig } from '../src/config/config.ts';
import { type AppContext, createContext } from '../src/context.ts';
import { openDatabase } from '../src/db/connect.ts';
import type { Database } from '../src/db/schema.ts';
import { buildApp } from '../src/http/app.ts';
import type { Role } from '../src/modules/access/roles.ts';
import {
  csvOf,
  EXPORT_CATEGORIES,
  EXPORT_COLUMNS,
  htmlOf,
  jsonArrayOf,
} from '../src/modules/gdpr/dsar-export.ts';
import type { Actor } from '../src/modules/users/users.service.ts';
import { loadAverage } from './lib/machine.ts';
import { fmtInt, fmtMs, fmtRatio, fmtSeconds, median, summarize } from './lib/measure.ts';
import { copyFromStdin } from './lib/pg-copy.ts';
import { createScratchDatabase, createTempDir } from './lib/resources.ts';
import type { BenchOptions, BenchResult, GoalResult, Table } from './lib/types.ts';
import { agentKey, type Generated, generateWfm, lastWholeMonth, teamName } from './lib/wfm-generate.ts';

type Engine = 'postgres' | 'pglite';
type Scale = { agents: number; years: number; sample: number; rawDays: number };

const SCALES: Record<'full' | 'quick', Record<Engine, Scale>> = {
  full: {
    postgres: { agents: 5000, years: 2, sample: 50, rawDays: 7 },
    pglite: { agents: 250, years: 2, sample: 5, rawDays: 7 },
  },
  quick: {
    postgres: { agents: 500, years: 0.5, sample: 10, rawDays: 7 },
    pglite: { agents: 100, years: 0.25, sample: 5, rawDays: 7 },
  },
};
const KINDS = ['schedules', 'adherence', 'absences', 'performance'] as const;
type Kind = (typeof KINDS)[number];
const TABLE_OF: Record<Kind, { table: string; sort: string }> = {
  schedules: { table: 'wfm_schedules', sort: 'starts_at' },
  adherence: { table: 'wfm_adherence_events', sort: 'occurred_at' },
  absences: { table: 'wfm_absences', sort: 'start_date' },
  performance: { table: 'wfm_performance', sort: 'period_start' },
};

const systemActor = (tenantId: string): Actor => ({
  tenantId,
  userId: null,
  roles: [],
  sessionId: null,
  ip: null,
  requestId: null,
  channel: 'system',
});

type Env = {
  engine: Engine;
  ctx: AppContext;
  app: FastifyInstance;
  db: Kysely<Database>;
  /** COPY of CSV text into `table (columns)`; resolves with rows copied. */
  copy: (table: string, columns: string, csv: Buffer) => Promise<number>;
  close: () => Promise<void>;
};

async function openEnv(engine: Engine, postgresUrl: string, dir: string): Promise<Env> {
  const config = loadConfig({
    BULWARK_DATA_DIR: path.join(dir, 'data'),
    BULWARK_KEY_DIR: path.join(dir, 'keys'),
    BULWARK_LOG_LEVEL: 'silent',
    BULWARK_AUTH_RATE_LIMIT_PER_MINUTE: '10000',
  });
  let copy: Env['copy'];
  let closeExtra: () => Promise<void>;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  if (engine === 'postgres') {
    const scratch = await createScratchDatabase(postgresUrl);
    database = await openDatabase({ engine: 'postgres', url: scratch.url, poolSize: 4 });
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    copy = (table, columns, csv) =>
      copyFromStdin(client, `copy ${table} (${columns}) from stdin with (format csv)`, csv);
    closeExtra = async () => {
      await client.end();
      await scratch.drop();
    };
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    const lite: PGlite = await PGlite.create({ parsers: { 20: (v: string) => Number(v) } });
    database = await openDatabase({ engine: 'pglite-memory', pglite: lite });
    copy = async (table, columns, csv) => {
      const r = await lite.query(`copy ${table} (${columns}) from '/dev/blob' with (format csv)`, [], {
        blob: new Blob([csv]),
      });
      return r.affectedRows ?? 0;
    };
    closeExtra = async () => {};
  }
  const ctx = await createContext(config, { purpose: 'bench', database });
  const app = await buildApp(ctx, {
    logStream: new Writable({ write: (_c, _e, cb) => cb() }),
  });
  await app.ready();
  return {
    engine,
    ctx,
    app,
    db: database.db,
    copy,
    close: async () => {
      await app.close();
      await database.close();
      await ctx.keyProvider.close();
      await closeExtra();
    },
  };
}

/** Creates a user and signs in over HTTP (password, TOTP enrolment); returns the bearer header. */
async function signedIn(env: Env, tenantId: string, username: string, roles: Role[], teams: string[]) {
  const password = `Pw-${randomUUID()}-x`;
  const user = await env.ctx.users.createUser(systemActor(tenantId), {
    username,
    roles,
    teams,
    region: 'eu',
    password,
    mustChangePassword: false,
  });
  const login = await env.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { username, password },
  });
  const body = login.json();
  if (body.status !== 'mfa_enrollment_required') throw new Error(`login: ${login.statusCode} ${login.body}`);
  const code = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(body.totp.secret) }).generate();
  const mfa = await env.app.inject({
    method: 'POST',
    url: '/v1/auth/mfa',
    payload: { challenge: body.challenge, code },
  });
  if (mfa.statusCode !== 200) throw new Error(`mfa: ${mfa.statusCode} ${mfa.body}`);
  return { userId: user.id, auth: { authorization: `Bearer ${mfa.json().token}` } };
}

const q = async <R>(db: Kysely<Database>, text: ReturnType<typeof sql<R>>) => (await text.execute(db)).rows;

/** Latencies of `op` until `count` calls or `budgetMs`, after `warm` untimed calls. */
async function sample(op: () => Promise<unknown>, count: number, budgetMs: number, warm = 10) {
  for (let i = 0; i < warm; i++) await op();
  const lat: number[] = [];
  const t0 = performance.now();
  while (lat.length < count && performance.now() - t0 < budgetMs) {
    const s = performance.now();
    await op();
    lat.push(performance.now() - s);
  }
  return summarize(lat);
}

type EngineResult = {
  engine: Engine;
  scale: Scale;
  gen: Generated;
  genMs: number;
  dsar: { ms: number; rows: number; bytes: number; bareMs: number; counts: Record<string, number> };
  lists: Array<{
    who: string;
    kind: Kind;
    status: number;
    items: number;
    p50: number;
    p99: number;
    n: number;
    baseP50: number;
    baseP99: number;
  }>;
  withheldCount: { ms: number; rows: number } | null;
  reports: Array<{ kind: string; groupBy: string; ms: number; max: number; cells: number; baseMs: number }>;
  imports: { rows: number; importMs: number[]; copyMs: number[]; stageMs: number[]; bytes: number };
};

async function runEngine(
  engine: Engine,
  scale: Scale,
  { quick, log, postgresUrl }: BenchOptions,
): Promise<EngineResult> {
  const tmp = createTempDir(`wfm-${engine}`);
  const env = await openEnv(engine, postgresUrl, tmp.dir);
  try {
    const tenantId = (await env.ctx.tenants.ensureDefault()).id;
    log(
      `${engine}: generating ${fmtInt(scale.agents)} agents × ${scale.years} years (load ${loadAverage()})`,
    );
    const t0 = performance.now();
    const gen = await generateWfm(
      env.db,
      tenantId,
      {
        agents: scale.agents,
        years: scale.years,
        intervalSampleAgents: scale.sample,
        rawEventDays: scale.rawDays,
      },
      (m) => {
        const lo = Number(/^agents (\d+)-/.exec(m)?.[1] ?? 1);
        if ((lo - 1) % 1000 === 0) log(`${engine}: ${m}`);
      },
    );
    const genMs = performance.now() - t0;
    log(`${engine}: generated ${JSON.stringify(gen.rows)} in ${fmtSeconds(genMs)}`);

    // Principals: agent A000001 (of Team 001, in the interval sample), Team 001's supervisor, an analyst.
    const agent = await signedIn(env, tenantId, 'bench-agent', ['agent'], [teamName(1)]);
    await sql`update wfm_agents set user_id = ${agent.userId} where tenant_id = ${tenantId}
              and agent_id = ${agentKey(1)}`.execute(env.db);
    const supervisor = await signedIn(env, tenantId, 'bench-supervisor', ['supervisor'], [teamName(1)]);
    const analyst = await signedIn(env, tenantId, 'bench-analyst', ['wfm_analyst'], []);
    const [a1] = await q(
      env.db,
      sql<{
        id: string;
        team_id: string;
      }>`select id, team_id from wfm_agents where tenant_id = ${tenantId} and agent_id = ${agentKey(1)}`,
    );

    // W1: DSAR export of agent A000001, as `bulwark dsar export A000001 --out DIR` writes it.
    log(`${engine}: DSAR export`);
    const exportDir = path.join(tmp.dir, 'dsar');
    fs.mkdirSync(exportDir, { mode: 0o700 });
    const writeFile = (file: string, chunks: AsyncIterable<string>) =>
      pipeline(Readable.from(chunks), fs.createWriteStream(path.join(exportDir, file), { mode: 0o600 }));
    const d0 = performance.now();
    const subject = await env.ctx.dsar.resolveSubject(tenantId, { agentId: agentKey(1) });
    const out = await env.ctx.dsar.prepareExport(systemActor(tenantId), subject, { format: 'directory' });
    for (const c of EXPORT_CATEGORIES) {
      await writeFile(`${c}.json`, jsonArrayOf(out.read(c)));
      await writeFile(`${c}.csv`, csvOf(EXPORT_COLUMNS[c], out.read(c)));
    }
    await writeFile('index.html', htmlOf(out.meta, out.read, { links: true }));
    const dsarMs = performance.now() - d0;
    const bytes = fs
      .readdirSync(exportDir)
      .reduce((n, f) => n + fs.statSync(path.join(exportDir, f)).size, 0);
    const dsarRows = EXPORT_CATEGORIES.reduce((n, c) => n + out.meta.counts[c], 0);
    // Baseline: the subject's WFM rows read with one plain SELECT per table (no paging, no formatting).
    const b0 = performance.now();
    for (const t of [
      'wfm_schedules',
      'wfm_adherence_events',
      'wfm_adherence_intervals',
      'wfm_absences',
      'wfm_performance',
    ])
      await sql`select * from ${sql.table(t)} where tenant_id = ${tenantId} and agent_ref = ${a1!.id}`.execute(
        env.db,
      );
    const bareMs = performance.now() - b0;
    log(`${engine}: DSAR ${fmtInt(dsarRows)} rows in ${fmtSeconds(dsarMs)}`);

    // W2: scoped lists through app.inject, each against a plain indexed SELECT of the same slice.
    const lists: EngineResult['lists'] = [];
    const count = quick ? 60 : 200;
    const budget = quick ? 4_000 : engine === 'postgres' ? 12_000 : 8_000;
    const who = [
      { name: 'agent', h: agent.auth, slice: sql`and agent_ref = ${a1!.id}` },
      { name: 'supervisor (1 team)', h: supervisor.auth, slice: sql`and team_id = ${a1!.team_id}` },
      { name: 'wfm_analyst', h: analyst.auth, slice: sql`and region = 'eu'` },
    ];
    for (const w of who)
      for (const kind of KINDS) {
        const url = `/v1/wfm/${kind}`;
        const first = await env.app.inject({ method: 'GET', url, headers: w.h });
        const items = first.statusCode === 200 ? (first.json().items?.length ?? 0) : 0;
        const s = await sample(() => env.app.inject({ method: 'GET', url, headers: w.h }), count, budget);
        const { table, sort } = TABLE_OF[kind];
        const base = await sample(
          () =>
            sql`select * from ${sql.table(table)} where tenant_id = ${tenantId} ${w.slice}
                order by ${sql.ref(sort)} desc, id desc limit 51`.execute(env.db),
          s.count,
          budget,
        );
        lists.push({
          who: w.name,
          kind,
          status: first.statusCode,
          items,
          p50: s.p50,
          p99: s.p99,
          n: s.count,
          baseP50: base.p50,
          baseP99: base.p99,
        });
        log(
          `${engine}: ${w.name} ${kind} ${first.statusCode} p99 ${fmtMs(s.p99)} (plain ${fmtMs(base.p99)})`,
        );
      }
    // The residency rule's "withheld" count for the analyst's first page (ADR 0016): rows in scope of
    // other regions in that page's stretch of the order (newest down to the page's last row).
    let withheldCount: EngineResult['withheldCount'] = null;
    {
      const w0 = performance.now();
      const r = await q(
        env.db,
        sql<{
          n: string | number;
        }>`select count(*) as n from wfm_schedules r join wfm_agents a on a.id = r.agent_ref
          join teams t on t.id = r.team_id where r.tenant_id = ${tenantId} and r.region not in ('eu')
          and (r.starts_at, r.id) >= (select starts_at, id from wfm_schedules where tenant_id = ${tenantId}
            and region = 'eu' order by starts_at desc, id desc offset 49 limit 1)`,
      );
      withheldCount = { ms: performance.now() - w0, rows: Number(r[0]!.n) };
    }

    // W3: aggregate reports of the last whole month.
    log(`${engine}: reports`);
    const month = gen.fullIntervalMonth ?? lastWholeMonth(gen.end);
    const from = `${month}-01`;
    const reports: EngineResult['reports'] = [];
    const repeats = quick ? 2 : 4;
    for (const kind of ['adherence', 'absence', 'performance'] as const)
      for (const groupBy of ['team', 'site'] as const) {
        const times: number[] = [];
        let cells = 0;
        await env.ctx.wfm.report(
          tenantId,
          kind,
          groupBy,
          month,
          kind === 'performance' ? 'aht_seconds' : null,
        );
        for (let i = 0; i < repeats; i++) {
          const s = performance.now();
          const r = await env.ctx.wfm.report(
            tenantId,
            kind,
            groupBy,
            month,
            kind === 'performance' ? 'aht_seconds' : null,
          );
          times.push(performance.now() - s);
          cells = r.cells.length;
        }
        const col = groupBy === 'team' ? sql`r.team_id` : sql`r.region`;
        const baseTimes: number[] = [];
        for (let i = 0; i < repeats; i++) {
          const s = performance.now();
          if (kind === 'adherence')
            await sql`select ${col}, r.state, sum(r.seconds) from wfm_adherence_intervals r where r.tenant_id = ${tenantId}
              and r.interval_start >= cast(${`${from}T00:00:00Z`} as timestamptz)
              and r.interval_start < cast(${`${from}T00:00:00Z`} as timestamptz) + interval '1 month'
              group by 1, 2`.execute(env.db);
          else if (kind === 'absence')
            await sql`select ${col}, r.reason_code, count(*) from wfm_absences r where r.tenant_id = ${tenantId}
              and r.end_date >= cast(${from} as date) and r.start_date < cast(${from} as date) + interval '1 month'
              group by 1, 2`.execute(env.db);
          else
            await sql`select ${col}, avg(r.value) from wfm_performance r where r.tenant_id = ${tenantId}
              and r.metric = 'aht_seconds' and r.period_start >= cast(${from} as date)
              and r.period_start < cast(${from} as date) + interval '1 month' group by 1`.execute(env.db);
          baseTimes.push(performance.now() - s);
        }
        reports.push({
          kind,
          groupBy,
          ms: median(times),
          max: Math.max(...times),
          cells,
          baseMs: median(baseTimes),
        });
        log(`${engine}: report ${kind}/${groupBy} ${fmtMs(median(times))}`);
      }

    // W4: schedules import vs COPY of the same rows into the same table, alternated, new rows each round.
    log(`${engine}: import vs COPY`);
    const agentRows = await q(
      env.db,
      sql<{ id: string; agent_id: string; team_id: string; region: string }>`
        select id, agent_id, team_id, region from wfm_agents where tenant_id = ${tenantId} order by agent_id`,
    );
    const importDays = engine === 'postgres' && !quick ? 14 : 10;
    const rounds = quick ? 1 : 2;
    const imports: EngineResult['imports'] = { rows: 0, importMs: [], copyMs: [], stageMs: [], bytes: 0 };
    await sql`create table bench_csv_stage (agent_id text, starts_at timestamptz, ends_at timestamptz, activity text)`.execute(
      env.db,
    );
    const DAY = 86_400_000;
    const shiftsOf = (round: number) => {
      const out: Array<{ a: (typeof agentRows)[number]; start: Date; end: Date; activity: string }> = [];
      const base = gen.end.getTime() + 7 * DAY + round * importDays * DAY;
      for (const a of agentRows) {
        const n = Number(a.agent_id.slice(1));
        for (let d = 0; d < importDays; d++) {
          if ((d + n) % 7 >= 5) continue;
          const start = new Date(base + d * DAY + (6 + (n % 8)) * 3_600_000);
          out.push({ a, start, end: new Date(start.getTime() + 8.5 * 3_600_000), activity: 'phone' });
        }
      }
      return out;
    };
    const actor = systemActor(tenantId);
    for (let r = 0; r < rounds; r++) {
      // COPY round 2r, import round 2r + 1 (different weeks: every row is new).
      const copyRows = shiftsOf(2 * r);
      const tableCsv = Buffer.from(
        copyRows
          .map(
            (s) =>
              `${randomUUID()},${tenantId},${s.a.id},${s.a.team_id},${s.a.region},${s.start.toISOString()},${s.end.toISOString()},${s.activity}`,
          )
          .join('\n') + '\n',
      );
      const c0 = performance.now();
      const copied = await env.copy(
        'wfm_schedules',
        'id, tenant_id, agent_ref, team_id, region, starts_at, ends_at, activity',
        tableCsv,
      );
      imports.copyMs.push(performance.now() - c0);
      const rows = shiftsOf(2 * r + 1);
      const fileCsv = `agent_id,start,end,activity\n${rows
        .map((s) => `${s.a.agent_id},${s.start.toISOString()},${s.end.toISOString()},${s.activity}`)
        .join('\n')}\n`;
      imports.bytes = Buffer.byteLength(fileCsv);
      const i0 = performance.now();
      const res = await env.ctx.wfm.importCsv(actor, 'schedules', fileCsv, { file: 'schedules.csv' });
      imports.importMs.push(performance.now() - i0);
      if (res.inserted !== rows.length || copied !== copyRows.length)
        throw new Error(`import wrote ${res.inserted}/${rows.length}, COPY ${copied}/${copyRows.length}`);
      imports.rows = rows.length;
      // Informative: the same file's bytes COPYed into a bare 4-column table.
      const s0 = performance.now();
      await env.copy(
        'bench_csv_stage',
        'agent_id, starts_at, ends_at, activity',
        Buffer.from(fileCsv.slice(fileCsv.indexOf('\n') + 1)),
      );
      imports.stageMs.push(performance.now() - s0);
      log(
        `${engine}: round ${r + 1}: import ${fmtInt(rows.length)} rows ${fmtSeconds(imports.importMs.at(-1)!)}, COPY ${fmtSeconds(imports.copyMs.at(-1)!)}`,
      );
    }
    return {
      engine,
      scale,
      gen,
      genMs,
      dsar: { ms: dsarMs, rows: dsarRows, bytes, bareMs, counts: out.meta.counts },
      lists,
      withheldCount,
      reports,
      imports,
    };
  } finally {
    await env.close();
    await tmp.remove();
  }
}

const engineLabel = (e: Engine) => (e === 'postgres' ? 'PostgreSQL' : 'PGlite (in memory)');
const scaleText = (r: EngineResult) =>
  `${fmtInt(r.scale.agents)} agents × ${r.scale.years} years (${r.gen.days} days)`;

export async function run(options: BenchOptions): Promise<BenchResult> {
  const scales = SCALES[options.quick ? 'quick' : 'full'];
  const results: EngineResult[] = [];
  for (const engine of ['postgres', 'pglite'] as const)
    results.push(await runEngine(engine, scales[engine], options));

  const goals: GoalResult[] = [];
  const tables: Table[] = [];
  const findings: string[] = [];
  for (const r of results) {
    const main = r.engine === 'postgres';
    const tag = main ? '' : ' (PGlite, reduced scale; reported)';
    goals.push({
      id: 'W1',
      goal: `DSAR export of one agent ≤ 60 s: ${engineLabel(r.engine)}, ${scaleText(r)}, agent with the whole period of every category${tag}`,
      measured: `${fmtSeconds(r.dsar.ms)} (${fmtInt(r.dsar.rows)} rows, ${(r.dsar.bytes / 2 ** 20).toFixed(1)} MiB in ${EXPORT_CATEGORIES.length * 2 + 1} files)`,
      baseline: `plain SELECT of the agent's WFM rows: ${fmtMs(r.dsar.bareMs)}`,
      ratio: `${fmtRatio(r.dsar.ms / r.dsar.bareMs)} the plain read`,
      met: main ? r.dsar.ms <= 60_000 : null,
      data: { ms: r.dsar.ms, rows: r.dsar.rows, bytes: r.dsar.bytes, bareMs: r.dsar.bareMs },
    });
    // Lists Cedar refuses (403: the analyst on absences and performance) are timed but not judged.
    const served = r.lists.filter((l) => l.status === 200);
    const worst = served.reduce((a, b) => (b.p99 > a.p99 ? b : a));
    const met = served.every((l) => l.p99 <= 50);
    goals.push({
      id: 'W2',
      goal: `Scoped list p99 ≤ 50 ms (GET /v1/wfm/{schedules,adherence,absences,performance} via app.inject, agent / supervisor of one team / wfm_analyst): worst of the ${served.length} served (200)${tag}`,
      measured: `worst p99 ${fmtMs(worst.p99)} (${worst.who}, ${worst.kind}); ${served.filter((l) => l.p99 <= 50).length} of ${served.length} ≤ 50 ms`,
      baseline: `plain indexed SELECT of the same slice: p99 ${fmtMs(worst.baseP99)}`,
      ratio: `${fmtRatio(worst.p99 / worst.baseP99)} the plain p99`,
      met: main ? met : null,
      data: { worstP99: worst.p99, worstBaseP99: worst.baseP99 },
    });
    const slowest = r.reports.reduce((a, b) => (b.ms > a.ms ? b : a));
    goals.push({
      id: 'W3',
      goal: `Aggregate report ≤ 1 s (wfm.report, last whole month, 3 kinds × team/site): slowest${tag}`,
      measured: `${fmtMs(slowest.ms)} median (${slowest.kind} by ${slowest.groupBy}, max ${fmtMs(slowest.max)})`,
      baseline: `one SQL aggregate of the same rows: ${fmtMs(slowest.baseMs)}`,
      ratio: `${fmtRatio(slowest.ms / slowest.baseMs)} the SQL aggregate`,
      met: main ? r.reports.every((x) => x.ms <= 1000) : null,
      data: { ms: slowest.ms, baseMs: slowest.baseMs },
    });
    const imp = median(r.imports.importMs);
    const cp = median(r.imports.copyMs);
    const stage = median(r.imports.stageMs);
    const rate = (ms: number) => (r.imports.rows / ms) * 1000;
    goals.push({
      id: 'W4',
      goal: `CSV import ≥ 50% of COPY of the same rows: schedules, ${fmtInt(r.imports.rows)} new rows per file into a table of ${fmtInt(r.gen.rows.wfm_schedules)}${tag}`,
      measured: `${fmtInt(rate(imp))} rows/s (wfm.importCsv, median of ${r.imports.importMs.length})`,
      baseline: `COPY FROM ${main ? 'STDIN' : "'/dev/blob'"} into wfm_schedules: ${fmtInt(rate(cp))} rows/s (into a bare 4-column table: ${fmtInt(rate(stage))} rows/s)`,
      ratio: `${fmtRatio(cp / imp)} → ${((cp / imp) * 100).toFixed(0)}% of COPY`,
      met: main ? cp / imp >= 0.5 : null,
      data: { importRowsPerSecond: rate(imp), copyRowsPerSecond: rate(cp), stageRowsPerSecond: rate(stage) },
    });
    tables.push({
      caption: `${engineLabel(r.engine)}: generated data (${scaleText(r)}, ${fmtInt(r.gen.teams)} teams, ${r.gen.start.toISOString().slice(0, 10)} to ${r.gen.end.toISOString().slice(0, 10)}), in ${fmtSeconds(r.genMs)}`,
      header: ['table', 'rows', 'what', 'insert time'],
      rows: [
        ['wfm_agents', fmtInt(r.gen.rows.wfm_agents), 'every agent', fmtMs(r.gen.ms.wfm_agents ?? 0)],
        [
          'wfm_schedules',
          fmtInt(r.gen.rows.wfm_schedules),
          'every agent, every working day of the period (5 of 7)',
          fmtMs(r.gen.ms.wfm_schedules ?? 0),
        ],
        [
          'wfm_absences',
          fmtInt(r.gen.rows.wfm_absences),
          'every agent, 10 per year',
          fmtMs(r.gen.ms.wfm_absences ?? 0),
        ],
        [
          'wfm_performance',
          fmtInt(r.gen.rows.wfm_performance),
          'every agent, 4 metrics per month',
          fmtMs(r.gen.ms.wfm_performance ?? 0),
        ],
        [
          'wfm_adherence_intervals',
          fmtInt(r.gen.rows.wfm_adherence_intervals),
          `15-minute intervals of each shift: the whole period for agents 1-${r.scale.sample}, ${r.gen.fullIntervalMonth} for every agent`,
          fmtMs(r.gen.ms.wfm_adherence_intervals ?? 0),
        ],
        [
          'wfm_adherence_events',
          fmtInt(r.gen.rows.wfm_adherence_events),
          `raw state events, last ${r.scale.rawDays} days, 12 per shift`,
          fmtMs(r.gen.ms.wfm_adherence_events ?? 0),
        ],
      ],
    });
    tables.push({
      caption: `${engineLabel(r.engine)}: scoped lists, first page (50) through app.inject, c=1; baseline \`select * ... where tenant and <slice> order by <time> desc, id desc limit 51\``,
      header: [
        'caller',
        'list',
        'status',
        'items',
        'requests',
        'p50',
        'p99',
        'plain p50',
        'plain p99',
        'p99 ratio',
      ],
      rows: r.lists.map((l) => [
        l.who,
        l.kind,
        String(l.status),
        String(l.items),
        String(l.n),
        fmtMs(l.p50),
        fmtMs(l.p99),
        fmtMs(l.baseP50),
        fmtMs(l.baseP99),
        fmtRatio(l.p99 / l.baseP99),
      ]),
    });
    tables.push({
      caption: `${engineLabel(r.engine)}: aggregate reports of ${r.gen.fullIntervalMonth} (service call, median of repeats)`,
      header: ['report', 'groupBy', 'cells', 'median', 'max', 'SQL aggregate', 'ratio'],
      rows: r.reports.map((x) => [
        x.kind,
        x.groupBy,
        String(x.cells),
        fmtMs(x.ms),
        fmtMs(x.max),
        fmtMs(x.baseMs),
        fmtRatio(x.ms / x.baseMs),
      ]),
    });
    tables.push({
      caption: `${engineLabel(r.engine)}: DSAR export of ${agentKey(1)}, rows per category`,
      header: EXPORT_CATEGORIES as unknown as string[],
      rows: [EXPORT_CATEGORIES.map((c) => fmtInt(r.dsar.counts[c] ?? 0))],
    });
    tables.push({
      caption: `${engineLabel(r.engine)}: import vs COPY per round (${fmtInt(r.imports.rows)} rows, ${(r.imports.bytes / 2 ** 20).toFixed(2)} MiB CSV)`,
      header: ['round', 'wfm.importCsv', 'COPY into wfm_schedules', 'COPY into a bare table'],
      rows: r.imports.importMs.map((ms, i) => [
        String(i + 1),
        `${fmtSeconds(ms)} (${fmtInt((r.imports.rows / ms) * 1000)} rows/s)`,
        `${fmtSeconds(r.imports.copyMs[i]!)} (${fmtInt((r.imports.rows / r.imports.copyMs[i]!) * 1000)} rows/s)`,
        `${fmtSeconds(r.imports.stageMs[i]!)}`,
      ]),
    });
  }
  const pgr = results[0]!;
  const pgServed = pgr.lists.filter((l) => l.status === 200);
  const slowList = pgServed.filter((l) => l.p99 > 50);
  findings.push(
    `**WFM (W1–W4)** on PostgreSQL at ${scaleText(pgr)}: DSAR export ${fmtSeconds(pgr.dsar.ms)} for ${fmtInt(pgr.dsar.rows)} rows; ` +
      `${pgServed.length - slowList.length} of ${pgServed.length} served scoped lists have p99 ≤ 50 ms` +
      (slowList.length > 0
        ? ` (over: ${slowList.map((l) => `${l.who} ${l.kind} ${fmtMs(l.p99)}`).join(', ')}; the residency rule's count of withheld other-region rows over the analyst's first schedules page: ${fmtMs(pgr.withheldCount?.ms ?? Number.NaN)}, ${fmtInt(pgr.withheldCount?.rows ?? 0)} rows)`
        : '') +
      `; slowest report ${fmtMs(Math.max(...pgr.reports.map((x) => x.ms)))}; import at ${((median(pgr.imports.copyMs) / median(pgr.imports.importMs)) * 100).toFixed(0)}% of COPY.`,
  );
  return {
    name: 'wfm',
    title: 'Issue 6: WFM data at contact-center scale (W1–W4)',
    method:
      'A synthetic contact center is generated in SQL (`bench/lib/wfm-generate.ts`, the same generator as `scripts/generate-wfm.ts`) into a migrated scratch database ' +
      'through the real services (`createContext`, `buildApp`). W1 times `dsar.resolveSubject` + `dsar.prepareExport` (counts and the audited `dsar.export` event) and writing every category as JSON and CSV plus index.html, as `bulwark dsar export` does, for agent A000001 (linked to a Bulwark user, with the whole period of schedules, absences, performance and intervals); ' +
      "baseline: one plain SELECT per WFM table of that agent's rows. W2 times `GET /v1/wfm/<list>` through `app.inject` (bearer session check, Cedar `data.read`, SQL scope, residency rule and its withheld count over the page's stretch of the order (ADR 0016), zod serialization) for three signed-in users: the agent, the supervisor of Team 001 (50 agents) and a wfm_analyst (region eu; no transfer mechanism, so the us rows are withheld), c=1 after 10 warm-ups; " +
      'baseline: a plain SELECT of the same slice on the same pool, ordered and limited like the page. W3 times `wfm.report` (the service call the report route makes after Cedar) for the last whole month; the adherence report reads the per-agent daily roll-up `wfm_adherence_daily` (ADR 0016); baseline: one SQL GROUP BY over the source rows (for adherence, the 15-minute intervals of the month, so its ratio is below 1). ' +
      "W4 imports a canonical schedules CSV (new rows: shifts after the period) through `wfm.importCsv` (parse, validate, resolve agents, upsert 500 rows a statement, audit event, one transaction) and, alternated with it, COPYs the same number of resolved rows (id, tenant, agent, team, region, start, end, activity) into the same `wfm_schedules` table (FORMAT csv; PostgreSQL through node-postgres' CopyIn protocol hooks, PGlite from `/dev/blob`); the ratio is import rows/s ÷ COPY rows/s.",
    goals,
    tables,
    notes: [
      `Scale on PostgreSQL: ${scaleText(pgr)} → ${Object.entries(pgr.gen.rows)
        .map(([t, n]) => `${t} ${fmtInt(n)}`)
        .join(
          ', ',
        )}. Interval aggregates for all 5,000 agents over 2 years would be ~83M rows (one state row per 15 minutes of each shift; ~120M if stored around the clock): too much to generate on this shared 2-core machine within a benchmark, so intervals cover the whole period for a sample of ${pgr.scale.sample} agents (the DSAR subject among them) and every agent for ${pgr.gen.fullIntervalMonth} (the month the adherence report reads). Raw state events cover the last ${pgr.scale.rawDays} days only, as retention keeps them.`,
      ...(results[1]
        ? [
            `PGlite (in memory, one WASM thread) ran the same code at ${scaleText(results[1])}, intervals for ${results[1].scale.sample} agents over the period and everyone for ${results[1].gen.fullIntervalMonth}: full scale would take most of the 10-minute budget to generate. Its rows are informative.`,
          ]
        : []),
      `Load average around the run: ${loadAverage()} (1, 5, 15 min) on 2 cores shared with other work; PostgreSQL runs on the same machine.`,
      'Every list row above is a first page (no filters, newest 50); an absences page for the supervisor shows "absent" without reasons. The wfm_analyst may not read absences or performance (Cedar `data.read` has no permit: 403 before any query), so those two rows time a refusal and are left out of the W2 verdict.',
    ],
    findings,
  };
}
