/**
 * GDPR operator commands: `bulwark dsar export <agent-id|username> --out DIR` writes everything
 * Bulwark holds about one person (one JSON and one CSV per category, plus index.html), audited as
 * `dsar.export` with the `cli` channel; `bulwark dsar list` shows requests against their deadline;
 * `bulwark processing-record` prints the record of processing activities.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Command, Option } from '@commander-js/extra-typings';
import type { AppContext } from '../context.ts';
import { AppError } from '../lib/errors.ts';
import { DSAR_STATUSES, type DsarStatus } from '../modules/gdpr/dsar.service.ts';
import {
  csvCell,
  csvOf,
  EXPORT_CATEGORIES,
  EXPORT_COLUMNS,
  htmlOf,
  jsonArrayOf,
  type Subject,
} from '../modules/gdpr/dsar-export.ts';
import { processingRecordCsv, processingRecordMarkdown } from '../modules/gdpr/processing-record.ts';
import type { Actor } from '../modules/users/users.service.ts';
import { writeOut } from './io.ts';

type Deps = {
  withContext: <T>(purpose: string, fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
  cliActor: (ctx: AppContext, tenantSlug: string) => Promise<Actor>;
  tenantOption: () => Option<'--tenant <slug>', undefined, string, undefined, false, undefined>;
};

/** A username or a WFM agent id; refuses a value that names two different people. */
async function findSubject(
  ctx: AppContext,
  tenantId: string,
  who: string,
  by: 'auto' | 'username' | 'agent',
): Promise<Subject> {
  const attempt = async (input: { username: string } | { agentId: string }) => {
    try {
      return await ctx.dsar.resolveSubject(tenantId, input);
    } catch (e) {
      if (e instanceof AppError && e.code === 'NOT_FOUND') return undefined;
      throw e;
    }
  };
  const byUser = by === 'agent' ? undefined : await attempt({ username: who });
  const byAgent = by === 'username' ? undefined : await attempt({ agentId: who });
  if (byUser && byAgent && byUser.userId !== byAgent.userId)
    throw new AppError(
      'CONFLICT',
      `"${who}" is both a username and the WFM agent id of someone else; pass --by username or --by agent`,
    );
  const subject = byUser ?? byAgent;
  if (!subject)
    throw new AppError(
      'NOT_FOUND',
      by === 'auto'
        ? 'no user has this username and no WFM agent has this agent id'
        : `no ${by === 'agent' ? 'WFM agent has this agent id' : 'user has this username'}`,
    );
  return subject;
}

/** An empty (or new) directory only readable by the operator. */
function prepareDir(dir: string): void {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new AppError('VALIDATION_FAILED', `${dir} is not a directory`);
    if (fs.readdirSync(dir).length > 0)
      throw new AppError('CONFLICT', `${dir} is not empty; give a new or empty directory`);
  } else fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

const writeFile = (file: string, chunks: AsyncIterable<string>) =>
  pipeline(Readable.from(chunks), fs.createWriteStream(file, { mode: 0o600, flags: 'wx' }));

export function registerDsarCommands(program: Command, { withContext, cliActor, tenantOption }: Deps): void {
  const dsar = program.command('dsar').description('GDPR data subject access requests');
  dsar
    .command('export')
    .description(
      'Write everything Bulwark holds about a person into DIR: <category>.json and <category>.csv for each category, and index.html (audited)',
    )
    .argument('<who>', 'username or WFM agent id of the person')
    .requiredOption('--out <dir>', 'new or empty directory to write (created with mode 0700)')
    .addOption(
      new Option('--by <kind>', 'how to read <who>')
        .choices(['auto', 'username', 'agent'] as const)
        .default('auto' as const),
    )
    .addOption(tenantOption())
    .action(async (who, opts) => {
      await withContext('bulwark dsar export', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const subject = await findSubject(ctx, actor.tenantId, who, opts.by);
        prepareDir(opts.out);
        const out = await ctx.dsar.prepareExport(actor, subject, { format: 'directory' });
        for (const c of EXPORT_CATEGORIES) {
          await writeFile(path.join(opts.out, `${c}.json`), jsonArrayOf(out.read(c)));
          await writeFile(path.join(opts.out, `${c}.csv`), csvOf(EXPORT_COLUMNS[c], out.read(c)));
        }
        const record = await ctx.processing.list(actor.tenantId);
        const retentionOf = (c: string) =>
          record.find((e) => e.category === (c === 'recordings' ? 'recordings_metadata' : c))?.retention ??
          '';
        await writeFile(
          path.join(opts.out, 'index.html'),
          htmlOf(out.meta, out.read, {
            links: true,
            retention: Object.fromEntries(EXPORT_CATEGORIES.map((c) => [c, retentionOf(c)])),
          }),
        );
        const total = EXPORT_CATEGORIES.reduce((n, c) => n + out.meta.counts[c], 0);
        await writeOut(
          `wrote ${total} row(s) in ${EXPORT_CATEGORIES.length} categories to ${opts.out} (open index.html)\n`,
        );
      });
    });

  dsar
    .command('list')
    .description('Access requests by due date (one calendar month after receipt), overdue ones flagged')
    .addOption(new Option('--status <status>', 'only this status').choices(DSAR_STATUSES))
    .option('--json', 'print JSON lines')
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark dsar list', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        let cursor: string | undefined;
        if (!opts.json)
          await writeOut(
            `${'ID'.padEnd(37)}${'SUBJECT'.padEnd(26)}${'STATUS'.padEnd(13)}${'DUE'.padEnd(26)}OVERDUE\n`,
          );
        do {
          const page = await ctx.dsar.list(actor.tenantId, {
            status: opts.status as DsarStatus | undefined,
            cursor,
            limit: 200,
          });
          for (const r of page.items)
            await writeOut(
              opts.json
                ? `${JSON.stringify(r)}\n`
                : `${r.id.padEnd(37)}${(r.subject.username ?? r.subject.agentIds.join(',')).padEnd(26)}${r.status.padEnd(13)}${r.dueAt.padEnd(26)}${r.overdue ? 'yes' : 'no'}\n`,
            );
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      });
    });

  program
    .command('processing-record')
    .description('Print the record of processing activities (GDPR Art. 30) with retention as configured')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['json', 'csv', 'md'] as const)
        .default('md' as const),
    )
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark processing-record', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const items = await ctx.processing.list(actor.tenantId);
        await writeOut(
          opts.format === 'json'
            ? `${JSON.stringify({ items }, null, 2)}\n`
            : opts.format === 'csv'
              ? processingRecordCsv(items, csvCell)
              : processingRecordMarkdown(items),
        );
      });
    });
}
