import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { type Config, ConfigError, loadConfig } from '../config/config.ts';
import { type AppContext, createContext } from '../context.ts';
import { DataDirLockedError } from '../db/data-dir-lock.ts';
import { AppError } from '../lib/errors.ts';
import { KeyringError } from '../lib/keyring.ts';
import { ROLES, type Role } from '../modules/access/roles.ts';
import { type ExportFormat, exportAuditEvents } from '../modules/audit/audit.export.ts';
import { verifyAuditLog } from '../modules/audit/audit.verify.ts';
import { DEFAULT_TENANT_SLUG } from '../modules/tenants/tenants.service.ts';
import type { Actor } from '../modules/users/users.service.ts';
import { startServer } from '../server.ts';
import { AudioInputError, registerAudioCommands } from './audio-commands.ts';
import { registerDsarCommands } from './dsar-commands.ts';
import { readStdin, writeOut } from './io.ts';
import { RedactionInputError, registerRedactionCommands } from './redaction-commands.ts';
import { registerVaultCommands, VaultCliError } from './vault-commands.ts';
import { registerWfmCommands } from './wfm-commands.ts';
import { registerWfmForecastCommands } from './wfm-forecast-commands.ts';
import { registerWfmGovernanceCommands } from './wfm-governance-commands.ts';

const VERSION = '0.1.0';

/** Exit codes: 0 ok, 1 the command ran and found a problem (or failed), 2 bad usage or configuration. */
class CliExit extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const parseRole = (value: string, previous: Role[] = []): Role[] => {
  if (!(ROLES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`unknown role "${value}"; roles are ${ROLES.join(', ')}`);
  return [...previous, value as Role];
};
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Runs `fn` on a context opened directly on the data store, then sequences audit events and closes. */
async function withContext<T>(
  purpose: string,
  fn: (ctx: AppContext, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const ctx = await createContext(config, { purpose });
  try {
    const result = await fn(ctx, config);
    await ctx.audit.sequenceAll();
    return result;
  } finally {
    await ctx.close();
  }
}

async function cliActor(ctx: AppContext, tenantSlug: string): Promise<Actor> {
  const tenant =
    tenantSlug === DEFAULT_TENANT_SLUG
      ? await ctx.tenants.ensureDefault()
      : await ctx.tenants.requireBySlug(tenantSlug);
  return {
    tenantId: tenant.id,
    userId: null,
    roles: [],
    sessionId: null,
    ip: null,
    requestId: null,
    channel: 'cli',
  };
}

const tenantOption = () => new Option('--tenant <slug>', 'tenant slug').default(DEFAULT_TENANT_SLUG);

export function buildProgram(): Command {
  const program = new Command('bulwark')
    .description('Bulwark contact-center security platform')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('Serve the API (what `npm start` runs); configuration comes from BULWARK_* variables')
    .option(
      '--demo',
      'serve a seeded synthetic contact center from a separate folder (BULWARK_DEMO_DATA_DIR, default .bulwark-demo beside the data dir); never touches real data',
    )
    .action(async (opts) => {
      const print = (line: string) => process.stdout.write(`${line}\n`);
      // The demo reads BULWARK_DEMO_DATA_DIR, which the server's own configuration does not know.
      const demo = opts.demo
        ? await (await import('../demo/serve-demo.ts')).prepareDemo(process.env, print)
        : undefined;
      const config = demo?.config ?? loadConfig();
      // Listen for signals before starting, so a SIGTERM during start-up still shuts down in order.
      let received: string | undefined;
      let onSignal: ((signal: string) => void) | undefined;
      const handler = (signal: string) => {
        received ??= signal;
        onSignal?.(signal);
      };
      process.once('SIGTERM', handler);
      process.once('SIGINT', handler);
      const server = await startServer(config, print);
      demo?.printBanner(server.url);
      await new Promise<void>((resolve) => {
        onSignal = (signal) => {
          server.shutdown(signal).then(resolve, (e) => {
            process.stderr.write(`shutdown failed: ${(e as Error).message}\n`);
            process.exitCode = 1;
            resolve();
          });
        };
        if (received) onSignal(received);
      });
    });

  const users = program.command('users').description('Manage users directly on the data store');
  users
    .command('add <username>')
    .description(
      'Create a user; the password is read from standard input and must be changed at first sign-in',
    )
    .requiredOption('--role <role>', `role (repeatable): ${ROLES.join(', ')}`, parseRole)
    .option('--team <team>', 'team name (repeatable; a new team is created)', collect)
    .option('--region <region>', 'data-residency region', 'eu')
    .option('--site <site>', 'site name')
    .option('--password-stdin', 'read the initial password from standard input')
    .addOption(tenantOption())
    .action(async (username, opts) => {
      if (!opts.passwordStdin)
        throw new CliExit(
          'Pass --password-stdin and pipe the initial password in (passwords are never taken as arguments).',
          2,
        );
      const password = (await readStdin()).replace(/\r?\n$/, '');
      if (!password) throw new CliExit('No password on standard input.', 2);
      await withContext('bulwark users add', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const user = await ctx.users.createUser(actor, {
          username,
          roles: opts.role,
          teams: opts.team ?? [],
          region: opts.region,
          site: opts.site,
          password,
          mustChangePassword: true,
        });
        writeOut(
          `created ${user.username} (${user.id}) roles=${user.roles.join(',')} teams=${user.teams.map((t) => t.name).join(',') || '-'} region=${user.region}\n`,
        );
      });
    });

  users
    .command('list')
    .description('List users')
    .option('--json', 'print JSON lines')
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark users list', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        // The operator at the CLI acts as the store's administrator: the it_admin scope.
        let cursor: string | undefined;
        if (!opts.json)
          writeOut(
            `${'USERNAME'.padEnd(24)} ${'ROLES'.padEnd(30)} ${'TEAMS'.padEnd(20)} ${'REGION'.padEnd(8)} MFA  LOCKED\n`,
          );
        do {
          const page = await ctx.users.listUsers(
            { id: '', tenantId: actor.tenantId, roles: ['it_admin'], teams: [], region: '', cases: [] },
            { cursor, limit: 200 },
          );
          for (const u of page.data) {
            if (opts.json) writeOut(`${JSON.stringify(u)}\n`);
            else
              writeOut(
                `${u.username.padEnd(24)} ${u.roles.join(',').padEnd(30)} ${(u.teams.map((t) => t.name).join(',') || '-').padEnd(20)} ${u.region.padEnd(8)} ${(u.mfaEnrolled ? 'yes' : 'no').padEnd(4)} ${u.lockedUntil ?? '-'}\n`,
              );
          }
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      });
    });

  users
    .command('revoke-sessions <username>')
    .description('Revoke every session of a user; takes effect on their next request')
    .addOption(tenantOption())
    .action(async (username, opts) => {
      await withContext('bulwark users revoke-sessions', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const user = await ctx.users.requireByUsername(actor.tenantId, username);
        const n = await ctx.users.revokeSessions(actor, user.id);
        writeOut(`revoked ${n} session(s) of ${username}\n`);
      });
    });

  users
    .command('unlock <username>')
    .description('Clear a lockout after confirming the person’s identity')
    .addOption(tenantOption())
    .action(async (username, opts) => {
      await withContext('bulwark users unlock', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const user = await ctx.users.requireByUsername(actor.tenantId, username);
        await ctx.users.unlock(actor, user.id);
        writeOut(`unlocked ${username}\n`);
      });
    });

  users
    .command('reset-mfa <username>')
    .description(
      'Reset a user’s MFA after confirming their identity: TOTP, recovery codes and passkeys are removed, sessions end, and the next sign-in enrols again',
    )
    .addOption(tenantOption())
    .action(async (username, opts) => {
      await withContext('bulwark users reset-mfa', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const user = await ctx.users.requireByUsername(actor.tenantId, username);
        const r = await ctx.users.resetMfa(actor, user.id);
        writeOut(
          `reset MFA of ${username}: ${r.removedPasskeys} passkey(s) and ${r.removedRecoveryCodes} recovery code(s) removed, ${r.revokedSessions} session(s) revoked\n`,
        );
      });
    });

  for (const [name, status, text] of [
    ['disable', 'disabled', 'Disable a leaver: sign-in is refused and every session ends'],
    ['enable', 'active', 'Re-enable a disabled user'],
  ] as const) {
    users
      .command(`${name} <username>`)
      .description(text)
      .addOption(tenantOption())
      .action(async (username, opts) => {
        await withContext(`bulwark users ${name}`, async (ctx) => {
          const actor = await cliActor(ctx, opts.tenant);
          const user = await ctx.users.requireByUsername(actor.tenantId, username);
          await ctx.users.updateUser(actor, user.id, { status });
          writeOut(`${username} is now ${status}\n`);
        });
      });
  }

  const tenants = program.command('tenants').description('Tenants (client programs of an outsourcer)');
  tenants
    .command('add <slug>')
    .description('Create a tenant')
    .option('--name <name>', 'display name')
    .action(async (slug, opts) => {
      await withContext('bulwark tenants add', async (ctx) => {
        const t = await ctx.tenants.create(slug, opts.name ?? slug);
        writeOut(`created tenant ${t.slug} (${t.id})\n`);
      });
    });
  tenants
    .command('list')
    .description('List tenants')
    .action(async () => {
      await withContext('bulwark tenants list', async (ctx) => {
        await ctx.tenants.ensureDefault();
        for (const t of await ctx.tenants.list()) writeOut(`${t.slug}\t${t.id}\t${t.name}\n`);
      });
    });

  const audit = program.command('audit').description('The tamper-evident audit log');
  audit
    .command('verify')
    .description(
      'Recompute every leaf, seal, Merkle root and checkpoint signature; exit 1 naming the first bad index',
    )
    .addOption(tenantOption())
    .option('--json', 'print the report as JSON')
    .action(async (opts) => {
      const report = await withContext('bulwark audit verify', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        // Sequence what is pending first, so the report covers every committed event.
        await ctx.audit.sequenceAll();
        return verifyAuditLog(
          ctx.database.db,
          ctx.keyring,
          actor.tenantId,
          ctx.audit.verifierFor(actor.tenantId),
        );
      });
      if (opts.json) writeOut(`${JSON.stringify(report)}\n`);
      else if (report.ok)
        writeOut(
          `audit log OK: ${report.events} events, ${report.checkpoints} signed checkpoints verified, ${report.pending} pending\n`,
        );
      if (!report.ok) {
        const f = report.failure!;
        throw new CliExit(
          `audit log verification FAILED at ${f.index !== null ? `index ${f.index}` : `row ${f.rowId}`}: ${f.reason}`,
          1,
        );
      }
    });

  audit
    .command('export')
    .description('Write the log in order to standard output for a SIEM')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['jsonl', 'cef'] as const)
        .default('jsonl' as const),
    )
    .addOption(tenantOption())
    .action(async (opts) => {
      await withContext('bulwark audit export', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        await ctx.audit.sequenceAll();
        let lines = 0;
        for await (const line of exportAuditEvents(
          ctx.database.db,
          actor.tenantId,
          opts.format as ExportFormat,
          VERSION,
        )) {
          await writeOut(line);
          lines += 1;
        }
        // Exporting the log is itself a sensitive read: record it.
        await ctx.audit.appendNow({
          tenantId: actor.tenantId,
          action: 'audit.export',
          outcome: 'success',
          actor: { userId: null },
          resource: { type: 'AuditLog', id: null },
          details: { format: opts.format, events: lines, channel: 'cli' },
        });
      });
    });

  registerRedactionCommands(program);
  registerVaultCommands(program, { withContext, cliActor, tenantOption });
  registerAudioCommands(program);
  registerWfmCommands(program, { withContext, cliActor, tenantOption });
  registerWfmGovernanceCommands(program, { withContext, cliActor, tenantOption });
  registerWfmForecastCommands(program, { withContext, cliActor, tenantOption });
  registerDsarCommands(program, { withContext, cliActor, tenantOption });
  return program;
}

/** Turns known failures into one clear line on stderr and an exit code; never a stack trace. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    if (err.code?.startsWith('commander.'))
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    if (e instanceof CliExit || e instanceof VaultCliError) {
      process.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    if (e instanceof RedactionInputError || e instanceof AudioInputError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    if (e instanceof DataDirLockedError || e instanceof KeyringError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    if (e instanceof AppError) {
      process.stderr.write(`error: ${e.message}\n`);
      return e.status === 422 || e.status === 400 ? 2 : 1;
    }
    process.stderr.write(`error: ${err.message ?? String(e)}\n`);
    return 1;
  }
}
