import { sql } from 'kysely';
import { type AuditStack, openAuditStack, sampleEventInput } from './audit-setup.ts';
import { fmtInt, fmtRate, runConcurrent, timed } from './measure.ts';
import { onCleanup } from './resources.ts';

/** A sequenced audit log of `events` realistic events, built with the real append and sequencer. */
export type AuditLogFixture = {
  stack: AuditStack;
  events: number;
  appendMs: number;
  sequenceMs: number;
};

const EVENTS_PER_TX = 500;
const fixtures = new Map<string, Promise<AuditLogFixture>>();

/**
 * Builds (once per run: `audit-verify` and `inclusion-proof` share it) a log of `events` events:
 * `audit.append` in transactions of 500 events (synchronous_commit off for the build only, it is
 * not what is measured), then `audit.sequenceAll()`. Removed by the runner's cleanup at the end.
 */
export function auditLogFixture(
  engine: 'postgres' | 'pglite',
  events: number,
  adminUrl: string,
  log: (m: string) => void,
): Promise<AuditLogFixture> {
  const key = `${engine}:${events}`;
  let fixture = fixtures.get(key);
  if (!fixture) {
    fixture = build(engine, events, adminUrl, log);
    fixtures.set(key, fixture);
  }
  return fixture;
}

async function build(
  engine: 'postgres' | 'pglite',
  events: number,
  adminUrl: string,
  log: (m: string) => void,
): Promise<AuditLogFixture> {
  const workers = engine === 'postgres' ? 4 : 1;
  const stack = await openAuditStack(
    engine === 'postgres' ? { engine, adminUrl, poolSize: workers } : { engine: 'pglite' },
  );
  onCleanup(`${engine} audit log fixture`, async () => {
    fixtures.delete(`${engine}:${events}`);
  });
  const db = stack.handle.db;
  const transactions = Math.ceil(events / EVENTS_PER_TX);
  log(
    `${engine}: appending ${fmtInt(events)} events (${fmtInt(transactions)} transactions of ${EVENTS_PER_TX})`,
  );
  let seq = 0;
  const append = await timed(() =>
    runConcurrent(
      () =>
        db.transaction().execute(async (trx) => {
          await sql`set local synchronous_commit = off`.execute(trx);
          for (let k = 0; k < EVENTS_PER_TX && seq < events; k++) {
            await stack.audit.append(trx, sampleEventInput(stack.tenantId, seq++));
          }
        }),
      { concurrency: workers, count: transactions },
    ),
  );
  log(`${engine}: appended in ${(append.wallMs / 1000).toFixed(1)} s; sequencing`);
  const sequence = await timed(() => stack.audit.sequenceAll());
  if (sequence.value !== events) throw new Error(`sequenced ${sequence.value} events, expected ${events}`);
  log(
    `${engine}: sequenced in ${(sequence.wallMs / 1000).toFixed(1)} s ` +
      `(${fmtRate((events / sequence.wallMs) * 1000, 'events')})`,
  );
  return { stack, events, appendMs: append.wallMs, sequenceMs: sequence.wallMs };
}
