/**
 * The WFM retention job run by `bulwark serve`: once shortly after start, then every
 * {@link WFM_RETENTION_INTERVAL_SECONDS}, one pending at a time. Each run enforces every tenant's
 * settings (src/modules/wfm/wfm-retention.ts) and writes its evidence to that tenant's audit log.
 */
import type { AppContext } from '../context.ts';
import type { Actor } from '../modules/users/users.service.ts';
import type { JobHandler } from './jobs.ts';

export const WFM_RETENTION_JOB = 'wfm.retention';
/** Hourly: raw events are removed within an hour of reaching their retention. */
export const WFM_RETENTION_INTERVAL_SECONDS = 3600;

const systemActor = (tenantId: string): Actor => ({
  tenantId,
  userId: null,
  roles: [],
  sessionId: null,
  ip: null,
  requestId: null,
  channel: 'system',
});

/** Queues the next scheduled run (a no-op while one is already pending). */
export async function scheduleWfmRetention(ctx: Pick<AppContext, 'jobs' | 'clock'>, delaySeconds = 0) {
  await ctx.jobs.enqueue(WFM_RETENTION_JOB, {
    singleton: true,
    runAt: new Date(ctx.clock.now().getTime() + delaySeconds * 1000),
  });
}

export function wfmJobHandlers(
  ctx: Pick<AppContext, 'jobs' | 'clock' | 'database' | 'wfmRetention'>,
): Record<string, JobHandler> {
  return {
    [WFM_RETENTION_JOB]: async () => {
      const tenants = await ctx.database.db.selectFrom('tenants').select('id').execute();
      const totals = { tenants: 0, rawEventsRemoved: 0, intervalsRemoved: 0, leaversPseudonymised: 0 };
      try {
        for (const t of tenants) {
          const r = await ctx.wfmRetention.run(systemActor(t.id));
          totals.tenants += 1;
          totals.rawEventsRemoved += r.rawEvents.removed;
          totals.intervalsRemoved += r.intervals.removed;
          totals.leaversPseudonymised += r.leavers.pseudonymised;
        }
      } finally {
        // The schedule continues whatever this run did; the job row keeps its result or error.
        await scheduleWfmRetention(ctx, WFM_RETENTION_INTERVAL_SECONDS).catch(() => {});
      }
      return totals;
    },
  };
}
