/**
 * The recording vault's background jobs, run by `bulwark serve`: the scheduled retention purge
 * (every BULWARK_PURGE_INTERVAL_SECONDS, one pending at a time) and KEK rotations started over HTTP.
 */
import type { AppContext } from '../context.ts';
import { ROTATE_JOB } from '../modules/keys/keys.routes.ts';
import type { Actor } from '../modules/users/users.service.ts';
import type { JobHandler } from './jobs.ts';

export const PURGE_JOB = 'recordings.purge';

const systemActor = (tenantId: string): Actor => ({
  tenantId,
  userId: null,
  roles: [],
  sessionId: null,
  ip: null,
  requestId: null,
  channel: 'system',
});

/** Queues the next scheduled purge (a no-op while one is already pending). */
export async function schedulePurge(ctx: Pick<AppContext, 'jobs' | 'clock' | 'config'>, delaySeconds = 0) {
  await ctx.jobs.enqueue(PURGE_JOB, {
    singleton: true,
    runAt: new Date(ctx.clock.now().getTime() + delaySeconds * 1000),
  });
}

export function vaultJobHandlers(
  ctx: Pick<AppContext, 'jobs' | 'clock' | 'config' | 'retention' | 'dataKeys' | 'database' | 'recordings'>,
): Record<string, JobHandler> {
  return {
    [PURGE_JOB]: async () => {
      const tenants = await ctx.database.db.selectFrom('tenants').select('id').execute();
      const totals = { examined: 0, purged: 0, held: 0, failed: 0, orphanBlobsRemoved: 0 };
      try {
        for (const t of tenants) {
          const r = await ctx.retention.purge(systemActor(t.id));
          totals.examined += r.examined;
          totals.purged += r.purged.length;
          totals.held += r.held.length;
          totals.failed += r.failed.length;
        }
        totals.orphanBlobsRemoved = (await ctx.recordings.sweepOrphanBlobs()).removed.length;
      } finally {
        // The schedule continues whatever this run did; the job row keeps its result or error.
        await schedulePurge(ctx, ctx.config.recordings.purgeIntervalSeconds).catch(() => {});
      }
      return totals;
    },
    [ROTATE_JOB]: async (job) => {
      const p = job.payload as {
        userId?: string;
        roles?: string[];
        sessionId?: string;
        ip?: string;
        requestId?: string;
      };
      const result = await ctx.dataKeys.rotate({
        tenantId: job.tenantId!,
        userId: p.userId ?? null,
        roles: p.roles ?? [],
        sessionId: p.sessionId ?? null,
        ip: p.ip ?? null,
        requestId: p.requestId ?? null,
        channel: 'api',
      });
      if (result.failed.length > 0)
        throw new Error(`${result.failed.length} data key(s) failed to re-wrap; rotation stays open`);
      return { targetVersion: result.targetVersion, rewrapped: result.rewrapped, resumed: result.resumed };
    },
  };
}
