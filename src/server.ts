import type { FastifyInstance } from 'fastify';
import { bootstrapAdministrator } from './bootstrap.ts';
import type { Config } from './config/config.ts';
import { type AppContext, createContext } from './context.ts';
import { buildApp } from './http/app.ts';
import { schedulePurge, vaultJobHandlers } from './jobs/vault-jobs.ts';
import { scheduleWfmRetention, wfmJobHandlers } from './jobs/wfm-jobs.ts';
import { startAuditSequencer } from './modules/audit/audit.service.ts';

export type RunningServer = {
  app: FastifyInstance;
  ctx: AppContext;
  url: string;
  shutdown: (reason: string) => Promise<void>;
};

/**
 * Composition root of `bulwark serve`: storage, migrations, first-start bootstrap, HTTP, the
 * audit sequencer, and an orderly shutdown (stop intake, drain, final sequencing, checkpoint, close).
 */
export async function startServer(config: Config, print: (line: string) => void): Promise<RunningServer> {
  let app: FastifyInstance | undefined;
  const ctx = await createContext(config, {
    purpose: 'bulwark serve',
    onAuditRowRejected: (rowId, tenantId) => {
      const msg =
        'audit row not written by Bulwark (MAC mismatch) left unsequenced; run bulwark audit verify';
      if (app) app.log.error({ rowId, tenantId }, msg);
      else process.stderr.write(`${JSON.stringify({ level: 50, rowId, tenantId, msg })}\n`);
    },
  });
  let shuttingDown = false;
  try {
    const admin = await bootstrapAdministrator(ctx);
    await ctx.audit.sequenceAll();
    app = await buildApp(ctx, { isShuttingDown: () => shuttingDown });
    const sequencer = startAuditSequencer(ctx.audit, config.audit.checkpointIntervalMs, (e) =>
      app?.log.error({ err: e }, 'audit sequencing failed'),
    );
    // The first purge runs shortly after start, then every BULWARK_PURGE_INTERVAL_SECONDS.
    await schedulePurge(ctx, 60);
    // WFM retention (raw adherence events, intervals, leavers) likewise, hourly.
    await scheduleWfmRetention(ctx, 90);
    const jobRunner = ctx.jobs.start({ ...vaultJobHandlers(ctx), ...wfmJobHandlers(ctx) }, 5_000, (e) =>
      app?.log.error({ err: e }, 'background job runner failed'),
    );
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `${config.tls ? 'https' : 'http'}://localhost:${port}`;
    if (admin) {
      print('');
      print('First start: a bootstrap administrator was created. This password is shown only once:');
      print(`  username: ${admin.username}`);
      print(`  password: ${admin.password}`);
      print(
        `Sign in at ${url}/ (the web console walks you through enrolling an authenticator app and changing this password), or with POST /v1/auth/login (see README).`,
      );
      print('');
    }
    print(
      `Bulwark is listening on ${url} (storage: ${config.engine === 'pglite' ? `embedded, ${config.dataDir}` : 'PostgreSQL'})`,
    );
    print(`Web console: ${url}/ · API description: ${url}/openapi.json · docs: ${url}/docs`);
    let closing: Promise<void> | undefined;
    const runningApp = app;
    const shutdown = (reason: string) => {
      closing ??= (async () => {
        shuttingDown = true;
        runningApp.log.info({ reason }, 'shutting down');
        await runningApp.close(); // stops accepting, lets in-flight requests finish
        await jobRunner.stop();
        await sequencer.stop();
        await ctx.audit
          .sequenceAll()
          .catch((e) => runningApp.log.error({ err: e }, 'final audit sequencing failed'));
        await ctx.close();
      })();
      return closing;
    };
    return { app: runningApp, ctx, url, shutdown };
  } catch (e) {
    await app?.close().catch(() => {});
    await ctx.close();
    throw e;
  }
}
