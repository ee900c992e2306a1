/**
 * Background jobs in a database table (no Redis): enqueue, claim with `FOR UPDATE SKIP LOCKED` so
 * several servers on one PostgreSQL never run a job twice, a lease so a job of a crashed process is
 * picked up again, and a small polling runner. Works the same on PGlite.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Clock } from '../lib/clock.ts';

export type Job = {
  id: number;
  kind: string;
  tenantId: string | null;
  payload: Record<string, unknown>;
  attempts: number;
};

export type JobHandler = (job: Job) => Promise<Record<string, unknown> | undefined>;

const LEASE_MS = 10 * 60_000;
const MAX_ATTEMPTS = 5;

export function createJobQueue({ db, clock }: { db: Kysely<Database>; clock: Clock }) {
  /**
   * Queues a job. A `singleton` job is skipped when one of the same kind and tenant is already
   * queued (a running one may queue its own next run); returns whether a row was added.
   */
  async function enqueue(
    kind: string,
    options: {
      tenantId?: string | null;
      payload?: Record<string, unknown>;
      runAt?: Date;
      singleton?: boolean;
    } = {},
  ): Promise<boolean> {
    const payload = { ...(options.payload ?? {}), ...(options.singleton ? { singleton: 'true' } : {}) };
    const res = await sql`
      insert into jobs (kind, tenant_id, payload, run_at)
      values (${kind}, ${options.tenantId ?? null}, ${JSON.stringify(payload)}::jsonb, ${options.runAt ?? clock.now()})
      on conflict do nothing`.execute(db);
    return Number(res.numAffectedRows ?? 0) > 0;
  }

  /** Claims the oldest due job of `kinds` (or an expired lease), or returns undefined. */
  async function claim(kinds: readonly string[]): Promise<Job | undefined> {
    if (kinds.length === 0) return undefined;
    const now = clock.now();
    const res = await sql<{
      id: number;
      kind: string;
      tenant_id: string | null;
      payload: unknown;
      attempts: number;
    }>`
      update jobs set status = 'running', attempts = attempts + 1,
             locked_until = ${new Date(now.getTime() + LEASE_MS)}
       where id = (
         select id from jobs
          where kind in (${sql.join(kinds.map((k) => sql`${k}`))})
            and run_at <= ${now}
            and (status = 'queued' or (status = 'running' and locked_until < ${now}))
          order by run_at, id
          for update skip locked
          limit 1)
      returning id, kind, tenant_id, payload, attempts`.execute(db);
    const row = res.rows[0];
    if (!row) return undefined;
    const payload = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
    return {
      id: Number(row.id),
      kind: row.kind,
      tenantId: row.tenant_id,
      payload: payload as Record<string, unknown>,
      attempts: row.attempts,
    };
  }

  async function complete(id: number, result: Record<string, unknown> | undefined): Promise<void> {
    await db
      .updateTable('jobs')
      .set({
        status: 'done',
        finished_at: clock.now(),
        result: JSON.stringify(result ?? {}),
        locked_until: null,
      })
      .where('id', '=', id)
      .execute();
  }

  /** Records a failure; retried with backoff until {@link MAX_ATTEMPTS}, then left as failed. */
  async function fail(job: Job, error: unknown): Promise<void> {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
    const final = job.attempts >= MAX_ATTEMPTS;
    await db
      .updateTable('jobs')
      .set({
        status: final ? 'failed' : 'queued',
        last_error: message.slice(0, 1000),
        locked_until: null,
        run_at: new Date(clock.now().getTime() + 2 ** job.attempts * 30_000),
        ...(final ? { finished_at: clock.now() } : {}),
      })
      .where('id', '=', job.id)
      .execute();
  }

  /** Claims and runs due jobs until none is left; returns how many ran. */
  async function runDue(handlers: Record<string, JobHandler>): Promise<number> {
    let ran = 0;
    for (;;) {
      const job = await claim(Object.keys(handlers));
      if (!job) return ran;
      ran += 1;
      try {
        await complete(job.id, await handlers[job.kind]!(job));
      } catch (e) {
        await fail(job, e);
      }
    }
  }

  /** Polls every `intervalMs` and runs due jobs; `stop()` waits for the job in flight. */
  function start(
    handlers: Record<string, JobHandler>,
    intervalMs: number,
    onError: (e: unknown) => void,
  ): { stop: () => Promise<void> } {
    let stopped = false;
    let running: Promise<unknown> = Promise.resolve();
    const tick = () => {
      if (stopped) return;
      running = runDue(handlers)
        .catch(onError)
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, intervalMs);
        });
    };
    let timer = setTimeout(tick, 0);
    return {
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
      },
    };
  }

  return { enqueue, claim, complete, fail, runDue, start };
}

export type JobQueue = ReturnType<typeof createJobQueue>;
