/**
 * Recording-vault commands run directly on the data store: `recordings import` (streaming, with a
 * progress bar), `recordings purge`, `keys status|rotate|retire`, `retention list|set`. Operator
 * commands: they hold the same power as the server process, so each action is audited with the
 * `cli` channel.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import type { AppContext } from '../context.ts';
import type { Actor } from '../modules/users/users.service.ts';
import { writeOut } from './io.ts';
import { createProgress, PROGRESS_MODES, type ProgressMode } from './progress.ts';

type Deps = {
  withContext: <T>(purpose: string, fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
  cliActor: (ctx: AppContext, tenantSlug: string) => Promise<Actor>;
  tenantOption: () => Option<'--tenant <slug>', undefined, string, undefined, false, undefined>;
};

/** A command error: the message goes to stderr as one line, with this exit code. */
export class VaultCliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const parseDate = (name: string) => (value: string) => {
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(d.getTime()))
    throw new InvalidArgumentError(`${name} must be an ISO 8601 date-time, e.g. 2026-11-27T09:30:00Z`);
  return d;
};
const parsePositiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number >= 1`);
  return n;
};
const collect = (value: string, previous: string[] = []) => [...previous, value];

const CONTENT_TYPES: Record<string, string> = {
  '.wav': 'audio/wav',
  '.au': 'audio/basic',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.webm': 'video/webm',
  '.mp4': 'video/mp4',
};

export function registerVaultCommands(program: Command, { withContext, cliActor, tenantOption }: Deps): void {
  const recordings = program.command('recordings').description('The encrypted recording vault');

  recordings
    .command('import <files...>')
    .description('Encrypt recordings into the vault as they are read (constant memory), one row per file')
    .requiredOption('--call-id <id>', 'call id the recordings belong to')
    .requiredOption('--agent <agent>', 'agent username (linked when a Bulwark user) or recorder agent id')
    .requiredOption('--team <team>', 'team name (created when new)')
    .requiredOption('--started-at <time>', 'ISO 8601 start of the call', parseDate('--started-at'))
    .addOption(
      new Option('--kind <kind>', 'recording kind')
        .choices(['audio', 'screen'] as const)
        .default('audio' as const),
    )
    .option('--ended-at <time>', 'ISO 8601 end of the call', parseDate('--ended-at'))
    .option('--region <region>', "residency region (default: the agent's region)")
    .option('--site <site>', 'site')
    .option('--codec <codec>', 'codec, e.g. pcm16 or g711u')
    .option('--payment-taken', 'a payment was taken on this call')
    .option('--tag <tag>', 'tag for retention policies (repeatable)', collect)
    .option(
      '--customer-ref-env <var>',
      'name of an environment variable holding the customer reference (tokenized; never a command-line argument)',
    )
    .addOption(
      new Option('--progress <mode>', 'progress bar on stderr')
        .choices(PROGRESS_MODES)
        .default('auto' as const),
    )
    .addOption(tenantOption())
    .action(async (files, opts) => {
      for (const file of files) {
        let stat: fs.Stats;
        try {
          stat = fs.statSync(file);
        } catch {
          throw new VaultCliError(`${file}: no such file`, 2);
        }
        if (!stat.isFile()) throw new VaultCliError(`${file}: not a regular file`, 2);
      }
      const customerRef = opts.customerRefEnv ? process.env[opts.customerRefEnv] : undefined;
      if (opts.customerRefEnv && !customerRef)
        throw new VaultCliError(`--customer-ref-env: ${opts.customerRefEnv} is not set`, 2);
      await withContext('bulwark recordings import', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        for (const file of files) {
          const size = fs.statSync(file).size;
          const progress = createProgress({
            label: path.basename(file),
            totalBytes: size,
            mode: opts.progress as ProgressMode,
          });
          try {
            const rec = await ctx.recordings.ingest(
              actor,
              {
                callId: opts.callId,
                kind: opts.kind,
                agent: opts.agent,
                team: opts.team,
                site: opts.site,
                region: opts.region,
                customerRef,
                startedAt: opts.startedAt,
                endedAt: opts.endedAt,
                codec: opts.codec,
                contentType: CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
                paymentTaken: opts.paymentTaken === true,
                tags: opts.tag,
              },
              fs.createReadStream(file, { highWaterMark: 1024 * 1024 }),
              { onBytes: (n) => progress.update('encrypting', n, size) },
            );
            progress.finish();
            await writeOut(`imported ${file} as recording ${rec.id} (${rec.bytes} bytes, encrypted)\n`);
          } catch (e) {
            progress.finish();
            throw new VaultCliError(`${file}: ${(e as Error).message} (nothing was stored for this file)`, 1);
          }
        }
      });
    });

  recordings
    .command('purge')
    .description('Crypto-shred and delete recordings past their retention (legal holds respected)')
    .option('--dry-run', 'report what would be purged, change nothing')
    .option('--json', 'print the result as JSON')
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark recordings purge', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const result = await ctx.retention.purge(actor, { dryRun: opts.dryRun === true });
        if (opts.json) await writeOut(`${JSON.stringify(result)}\n`);
        else
          await writeOut(
            `${result.dryRun ? 'would purge' : 'purged'} ${result.purged.length} of ${result.examined} examined; ` +
              `${result.held.length} kept under legal hold; ${result.failed.length} failed\n`,
          );
        if (result.failed.length > 0) process.exitCode = 1;
      });
    });

  const keys = program.command('keys').description('Key-encryption keys of the recording vault');

  keys
    .command('status')
    .description('KEK versions, data keys wrapped under each, minimum decryption version, open rotation')
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      await withContext('bulwark keys status', async (ctx) => {
        const s = await ctx.dataKeys.status();
        if (opts.json) {
          await writeOut(`${JSON.stringify(s)}\n`);
          return;
        }
        const lines = [
          `provider: ${s.provider}   minimum decryption version: ${s.minDecryptVersion}`,
          'version  created                    data keys  state',
          ...s.versions.map(
            (v) =>
              `${String(v.version).padEnd(8)} ${v.createdAt.padEnd(26)} ${String(v.dataKeys).padStart(9)}  ${
                v.current ? 'current' : v.version < s.minDecryptVersion ? 'retired' : 'decrypt only'
              }`,
          ),
        ];
        if (s.openRotation)
          lines.push(
            `rotation to v${s.openRotation.targetVersion} unfinished (${s.openRotation.rewrapped} re-wrapped): run bulwark keys rotate to resume`,
          );
        if (s.orphanedDataKeys > 0)
          lines.push(`WARNING: ${s.orphanedDataKeys} data key(s) under versions the provider no longer has`);
        await writeOut(`${lines.join('\n')}\n`);
      });
    });

  keys
    .command('rotate')
    .description(
      'Create a new KEK version and re-wrap every data key (bodies untouched; resumes an unfinished run)',
    )
    .addOption(
      new Option('--progress <mode>', 'progress bar on stderr')
        .choices(PROGRESS_MODES)
        .default('auto' as const),
    )
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark keys rotate', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        // Progress counts keys, not bytes: force past the byte threshold so the bar can show.
        const progress = createProgress({
          label: 'data keys',
          totalBytes: null,
          mode: opts.progress as ProgressMode,
          minBytes: -1,
        });
        const result = await ctx.dataKeys.rotate(actor, {
          onProgress: (p) => progress.update('re-wrapping', p.done, p.total),
        });
        progress.finish();
        await writeOut(
          `${result.resumed ? 'resumed rotation' : 'rotated'} to KEK version ${result.targetVersion}: ` +
            `${result.rewrapped} data key(s) re-wrapped, ${result.failed.length} failed\n`,
        );
        if (result.failed.length > 0) {
          for (const f of result.failed) process.stderr.write(`  recording ${f.recordingId}: ${f.reason}\n`);
          throw new VaultCliError(
            'some data keys did not re-wrap; the rotation stays open (rerun to resume)',
            1,
          );
        }
      });
    });

  keys
    .command('retire')
    .description('Set the minimum decryption version: data keys under older KEK versions are refused')
    .requiredOption('--below <version>', 'first KEK version still accepted', parsePositiveInt('--below'))
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark keys retire', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        try {
          await ctx.dataKeys.setMinDecryptVersion(actor, opts.below);
        } catch (e) {
          throw new VaultCliError((e as Error).message, 1);
        }
        await writeOut(`KEK versions below ${opts.below} are retired\n`);
      });
    });

  const retention = program.command('retention').description('Retention policies of the recording vault');
  retention
    .command('list')
    .description('Retention policies (the most specific match decides; no match keeps the recording)')
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark retention list', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const policies = await ctx.retention.list(actor.tenantId);
        if (policies.length === 0)
          await writeOut('no retention policies: recordings are kept until deleted\n');
        for (const p of policies)
          await writeOut(
            `${p.id}  kind=${p.kind ?? '*'} region=${p.region ?? '*'} tag=${p.tag ?? '*'}  ${p.retainDays} days\n`,
          );
      });
    });
  retention
    .command('set')
    .description('Create or replace the policy for one selector')
    .requiredOption(
      '--days <days>',
      'days to keep, counted from the recording start',
      parsePositiveInt('--days'),
    )
    .addOption(new Option('--kind <kind>', 'only this kind').choices(['audio', 'screen'] as const))
    .option('--region <region>', 'only this region')
    .option('--tag <tag>', 'only recordings with this tag')
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark retention set', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const p = await ctx.retention.set(actor, {
          kind: opts.kind ?? null,
          region: opts.region ?? null,
          tag: opts.tag ?? null,
          retainDays: opts.days,
        });
        await writeOut(
          `${p.id}  kind=${p.kind ?? '*'} region=${p.region ?? '*'} tag=${p.tag ?? '*'}  ${p.retainDays} days\n`,
        );
      });
    });
}
