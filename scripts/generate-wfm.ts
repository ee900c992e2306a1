/**
 * Generates a synthetic contact center into a Bulwark database, for exploring the WFM API and CLI
 * at scale (the benchmarks in bench/wfm.bench.ts use the same generator):
 *
 *   node --import tsx scripts/generate-wfm.ts --agents 5000 --years 2 [--database-url URL]
 *       [--sample 50] [--raw-days 7] [--tenant SLUG]
 *
 * Without --database-url it writes into the store Bulwark is configured for (DATABASE_URL, or the
 * PGlite data dir under BULWARK_DATA_DIR); with it, into that PostgreSQL database (migrated first).
 * Keys come from BULWARK_KEY_DIR as for every command. The agents are A000001.. in teams of 50
 * ("Team 001"..), sites A..E, regions eu (sites A-D) and us (site E); see bench/lib/wfm-generate.ts
 * for every table's shape. Agent numbers must not exist yet in the tenant.
 */
import { parseArgs } from 'node:util';
import { generateWfm } from '../bench/lib/wfm-generate.ts';
import { loadConfig } from '../src/config/config.ts';
import { createContext } from '../src/context.ts';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '5000' },
    years: { type: 'string', default: '2' },
    'database-url': { type: 'string' },
    sample: { type: 'string', default: '50' },
    'raw-days': { type: 'string', default: '7' },
    tenant: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'usage: node --import tsx scripts/generate-wfm.ts --agents N --years Y [--database-url URL] [--sample N] [--raw-days D] [--tenant SLUG]\n',
  );
  process.exit(0);
}
const agents = Number(values.agents);
const years = Number(values.years);
const sample = Number(values.sample);
const rawDays = Number(values['raw-days']);
if (!Number.isInteger(agents) || agents < 1 || agents > 999_999) throw new Error('--agents: 1..999999');
if (!(years > 0 && years <= 10)) throw new Error('--years: a number in (0, 10]');
if (!Number.isInteger(sample) || sample < 0)
  throw new Error('--sample: agents with intervals over the whole period');
if (!Number.isInteger(rawDays) || rawDays < 0) throw new Error('--raw-days: days of raw adherence events');

const env = values['database-url'] ? { ...process.env, DATABASE_URL: values['database-url'] } : process.env;
const ctx = await createContext(loadConfig(env), { purpose: 'generate-wfm' });
try {
  const tenant = values.tenant
    ? await ctx.tenants.requireBySlug(values.tenant)
    : await ctx.tenants.ensureDefault();
  const t0 = performance.now();
  const out = await generateWfm(
    ctx.database.db,
    tenant.id,
    { agents, years, intervalSampleAgents: Math.min(sample, agents), rawEventDays: rawDays },
    (m) => process.stderr.write(`${m}\n`),
  );
  process.stdout.write(
    `${JSON.stringify(
      {
        tenant: tenant.id,
        period: { start: out.start.toISOString(), end: out.end.toISOString(), days: out.days },
        teams: out.teams,
        fullIntervalMonth: out.fullIntervalMonth,
        rows: out.rows,
        seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await ctx.close();
}
