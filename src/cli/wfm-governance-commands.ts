/**
 * WFM governance at the CLI, directly on the data store (operator commands, audited with the `cli`
 * channel): `bulwark wfm retention show|set|run`, `bulwark wfm agents leave`, `bulwark wfm presence`,
 * and `bulwark transfers allow|list|revoke`.
 */
import { type Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import type { AppContext } from '../context.ts';
import { AppError } from '../lib/errors.ts';
import { TRANSFER_MECHANISMS, type TransferMechanismKind } from '../modules/transfers/transfers.service.ts';
import type { Actor } from '../modules/users/users.service.ts';
import { toInstant } from '../modules/wfm/wfm-governance.routes.ts';
import type { PresenceResult } from '../modules/wfm/wfm-presence.ts';
import type { RetentionRunResult, RetentionSettings } from '../modules/wfm/wfm-retention.ts';
import { writeOut } from './io.ts';

type Deps = {
  withContext: <T>(purpose: string, fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
  cliActor: (ctx: AppContext, tenantSlug: string) => Promise<Actor>;
  tenantOption: () => Option<'--tenant <slug>', undefined, string, undefined, false, undefined>;
};

const DATE_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;
const parseInstant = (v: string): string => {
  if (!DATE_RE.test(v) || Number.isNaN(Date.parse(v)))
    throw new InvalidArgumentError('expected an ISO 8601 date (2026-11-27) or date-time with offset');
  return v;
};
const parseDays = (v: string): number => {
  if (!/^\d{1,5}$/.test(v)) throw new InvalidArgumentError('expected a whole number of days');
  return Number(v);
};
const parseOnOff = (v: string): boolean => {
  if (v === 'on' || v === 'true') return true;
  if (v === 'off' || v === 'false') return false;
  throw new InvalidArgumentError('expected on or off');
};

function printSettings(s: RetentionSettings): string {
  return [
    `raw adherence events:  ${s.captureRawEvents ? `kept ${s.rawEventDays} day(s), then rolled up into 15-minute intervals and removed` : 'not captured (imports keep 15-minute intervals only)'}`,
    `interval aggregates:   kept ${s.intervalDays} day(s)`,
    `leavers:               pseudonymised ${s.leaverDays} day(s) after leaving`,
    `raw events removed before: ${s.rawEventsRemovedBefore ?? '-'}`,
    `settings:              ${s.defaults ? 'defaults' : `changed ${s.updatedAt}`}`,
    'legal holds:           none apply to WFM data',
    '',
  ].join('\n');
}

function printRun(r: RetentionRunResult): string {
  const verb = r.dryRun ? 'would ' : '';
  return [
    `${r.dryRun ? 'dry run (nothing changed)' : 'retention run'}: ${r.settings.captureRawEvents ? `raw ${r.settings.rawEventDays}d` : 'raw not captured'}, intervals ${r.settings.intervalDays}d, leavers ${r.settings.leaverDays}d`,
    `raw events before ${r.cutoffs.rawEvents ?? 'now (all)'}: ${verb}roll up ${r.rawEvents.agentsRolledUp} agent(s) (${r.rawEvents.intervalsWritten} interval rows), ${verb}remove ${r.rawEvents.removed}`,
    `intervals before ${r.cutoffs.intervals}: ${verb}remove ${r.intervals.removed}`,
    `leavers who left before ${r.cutoffs.leavers}: ${verb}pseudonymise ${r.leavers.pseudonymised}`,
    '',
  ].join('\n');
}

const csvField = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

function printPresence(r: PresenceResult, format: 'table' | 'json' | 'csv'): string {
  if (format === 'json') return `${JSON.stringify(r, null, 2)}\n`;
  if (format === 'csv') {
    const lines = ['agent_id,name,team,site,region,first_seen,last_seen,sources'];
    for (const i of r.items)
      lines.push(
        [
          i.agentId,
          i.agentName,
          i.team.name,
          i.site ?? '',
          i.region,
          i.firstSeen,
          i.lastSeen,
          i.sources.join(' '),
        ]
          .map(csvField)
          .join(','),
      );
    return `${lines.join('\n')}\n`;
  }
  const out = [`agents logged in between ${r.from} and ${r.to}: ${r.items.length}`];
  for (const g of r.groups) out.push(`  ${g.team} / ${g.site ?? '(no site)'}: ${g.agents}`);
  const withheld = Object.entries(r.withheld);
  if (withheld.length > 0)
    out.push(
      `withheld (no transfer mechanism to your region): ${withheld.map(([k, v]) => `${k}=${v}`).join(', ')}`,
    );
  if (r.items.length > 0) {
    out.push('');
    out.push(
      `${'AGENT'.padEnd(14)} ${'NAME'.padEnd(24)} ${'TEAM'.padEnd(14)} ${'SITE'.padEnd(12)} ${'REGION'.padEnd(7)} ${'FIRST SEEN'.padEnd(24)} ${'LAST SEEN'.padEnd(24)} SOURCES`,
    );
    for (const i of r.items)
      out.push(
        `${i.agentId.padEnd(14)} ${i.agentName.padEnd(24)} ${i.team.name.padEnd(14)} ${(i.site ?? '-').padEnd(12)} ${i.region.padEnd(7)} ${i.firstSeen.padEnd(24)} ${i.lastSeen.padEnd(24)} ${i.sources.join(',')}`,
      );
  }
  return `${out.join('\n')}\n`;
}

export function registerWfmGovernanceCommands(
  program: Command,
  { withContext, cliActor, tenantOption }: Deps,
): void {
  // `bulwark wfm` is registered by wfm-commands.ts; these subcommands join it.
  const wfm =
    (program.commands.find((c) => c.name() === 'wfm') as Command | undefined) ?? program.command('wfm');

  const retention = wfm.command('retention').description('WFM retention and minimization settings and runs');
  retention
    .command('show')
    .description(
      'Show the retention settings (defaults: raw events 7 days, intervals 2 years, leavers 3 months)',
    )
    .option('--json', 'print JSON')
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark wfm retention show', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const s = await ctx.wfmRetention.get(actor.tenantId);
        await writeOut(opts.json ? `${JSON.stringify(s)}\n` : printSettings(s));
      });
    });
  retention
    .command('set')
    .description('Change retention settings (audited with old and new values)')
    .option('--raw-event-days <n>', 'keep raw adherence state events this many days (1-366)', parseDays)
    .option('--interval-days <n>', 'keep 15-minute interval aggregates this many days (30-3660)', parseDays)
    .option('--leaver-days <n>', 'pseudonymise leavers this many days after leaving (0-3660)', parseDays)
    .option(
      '--capture-raw-events <on|off>',
      'off: adherence imports keep only 15-minute intervals',
      parseOnOff,
    )
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark wfm retention set', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const s = await ctx.wfmRetention.set(actor, {
          rawEventDays: opts.rawEventDays,
          intervalDays: opts.intervalDays,
          leaverDays: opts.leaverDays,
          captureRawEvents: opts.captureRawEvents,
        });
        await writeOut(printSettings(s));
      });
    });
  retention
    .command('run')
    .description('Enforce the retention settings now (the server also runs this hourly); audited')
    .option('--dry-run', 'report what would change, change nothing')
    .option('--json', 'print JSON')
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark wfm retention run', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const r = await ctx.wfmRetention.run(actor, { dryRun: opts.dryRun === true });
        await writeOut(opts.json ? `${JSON.stringify(r)}\n` : printRun(r));
      });
    });

  const agents =
    (wfm.commands.find((c) => c.name() === 'agents') as Command | undefined) ??
    wfm.command('agents').description('WFM agents');
  agents
    .command('leave <agent-id>')
    .description(
      'Record that an agent left (pseudonymised after the leaver retention); audited without the name',
    )
    .requiredOption('--at <date>', 'the leaving date (ISO 8601)', parseInstant)
    .addOption(tenantOption())
    .action(async (agentId, opts) => {
      await withContext('bulwark wfm agents leave', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const r = await ctx.wfmRetention.leave(actor, agentId, toInstant(opts.at));
        await writeOut(`recorded: agent ${agentId} left at ${r.leftAt}\n`);
      });
    });

  wfm
    .command('presence')
    .description('Agents logged in during a window, by team and site, from sessions and adherence (audited)')
    .requiredOption('--from <time>', 'window start (ISO 8601)', parseInstant)
    .requiredOption('--to <time>', 'window end (ISO 8601)', parseInstant)
    .requiredOption('--region <region>', 'your residency region (other regions need a transfer mechanism)')
    .option('--team <team>', 'team name or id')
    .option('--site <site>', 'site')
    .addOption(
      new Option('--format <format>', 'output')
        .choices(['table', 'json', 'csv'] as const)
        .default('table' as const),
    )
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark wfm presence', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const r = await ctx.wfm.presence(
          actor,
          { id: '', tenantId: actor.tenantId, region: opts.region, roles: [], teams: [], cases: [] },
          { from: toInstant(opts.from), to: toInstant(opts.to), team: opts.team, site: opts.site },
        );
        await writeOut(printPresence(r, opts.format));
      });
    });

  const transfers = program
    .command('transfers')
    .description('Cross-border transfer mechanisms per region pair');
  transfers
    .command('allow')
    .description('Record a transfer mechanism: users of --to may read personal data of --from (audited)')
    .requiredOption('--from <region>', 'region where the data resides')
    .requiredOption('--to <region>', 'region of the readers')
    .addOption(
      new Option('--mechanism <kind>', 'legal basis').choices(TRANSFER_MECHANISMS).makeOptionMandatory(),
    )
    .option('--reference <text>', 'e.g. the SCC module and contract reference')
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark transfers allow', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const m = await ctx.transfers.allow(actor, {
          from: opts.from,
          to: opts.to,
          mechanism: opts.mechanism as TransferMechanismKind,
          reference: opts.reference,
        });
        await writeOut(`allowed ${m.from} -> ${m.to} under ${m.mechanism} (${m.id})\n`);
      });
    });
  transfers
    .command('list')
    .description('List transfer mechanisms')
    .option('--all', 'include revoked ones')
    .option('--json', 'print JSON lines')
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark transfers list', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const items = await ctx.transfers.list(actor.tenantId, { includeRevoked: opts.all === true });
        if (opts.json) {
          for (const m of items) await writeOut(`${JSON.stringify(m)}\n`);
          return;
        }
        if (items.length === 0) {
          await writeOut('no transfer mechanisms: each region reads only its own personal data\n');
          return;
        }
        await writeOut(
          `${'FROM'.padEnd(8)} ${'TO'.padEnd(8)} ${'MECHANISM'.padEnd(10)} ${'SINCE'.padEnd(25)} ${'REVOKED'.padEnd(25)} ID / REFERENCE\n`,
        );
        for (const m of items)
          await writeOut(
            `${m.from.padEnd(8)} ${m.to.padEnd(8)} ${m.mechanism.padEnd(10)} ${m.createdAt.padEnd(25)} ${(m.revokedAt ?? '-').padEnd(25)} ${m.id}${m.reference ? ` ${m.reference}` : ''}\n`,
          );
      });
    });
  transfers
    .command('revoke [id]')
    .description('Revoke a transfer mechanism by id, or the active one of --from/--to; takes effect at once')
    .option('--from <region>', 'region where the data resides')
    .option('--to <region>', 'region of the readers')
    .addOption(tenantOption())
    .action(async (id, opts) => {
      if (!id && !(opts.from && opts.to))
        throw new AppError('VALIDATION_FAILED', 'give the mechanism id, or both --from and --to');
      await withContext('bulwark transfers revoke', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const m = await ctx.transfers.revoke(actor, id ? { id } : { from: opts.from!, to: opts.to! });
        await writeOut(`revoked ${m.from} -> ${m.to} (${m.mechanism}, ${m.id})\n`);
      });
    });
}
