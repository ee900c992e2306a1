import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Keyring } from '../../lib/keyring.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { type VerifyReport, verifyAuditLog } from '../audit/audit.verify.ts';

/** Days in the per-day series, today (UTC) included. */
export const OVERVIEW_DAYS = 14;
/** A verification result is reused for this long before the log is verified again. */
export const VERIFY_CACHE_SECONDS = 5 * 60;

/** Audit actions the per-day series counts (see auth.plugin.ts and auth.service.ts). */
const DETOKENIZE = 'authz.token.detokenize';
const PLAY = 'authz.recording.play';
const SIGN_IN_STEPS = ['auth.login', 'auth.mfa', 'auth.passkey'] as const;

export type DayTotals = {
  day: string;
  detokenizations: { allow: number; deny: number };
  recordingPlays: { allow: number; deny: number };
  signInFailures: number;
};

export type SecurityOverview = {
  generatedAt: string;
  mfa: { enrolled: number; total: number; coveragePercent: number };
  lockedAccounts: number;
  activeSessions: number;
  passkeys: number;
  perDay: DayTotals[];
  audit: {
    size: number;
    pending: number;
    verified: boolean;
    verifiedAt: string;
    verifiedEvents: number;
    failure: { index: number | null; reason: string } | null;
    latestCheckpoint: { treeSize: number; rootHash: string; signedAt: string; note: string } | null;
  };
};

type Deps = {
  db: Kysely<Database>;
  audit: Pick<AuditService, 'verifierFor' | 'readWitness'>;
  keyring: Keyring;
  clock: Clock;
  /** Sessions idle longer than this are expired (not counted as active). */
  sessionIdleSeconds: number;
};

const DAY_MS = 86_400_000;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The tenant's security posture for the console's overview screen: counts and per-day totals, no
 * individual records. Audit-log verification is the full `audit verify` (every leaf, seal, root
 * and checkpoint signature) run in one read-only snapshot, so a sequencer appending meanwhile
 * cannot make it disagree with itself; its result is cached per tenant for VERIFY_CACHE_SECONDS,
 * and concurrent requests share one run.
 */
export function createOverviewService({ db, audit, keyring, clock, sessionIdleSeconds }: Deps) {
  const verified = new Map<string, { report: VerifyReport; at: Date }>();
  const running = new Map<string, Promise<{ report: VerifyReport; at: Date }>>();

  async function verification(tenantId: string) {
    const cached = verified.get(tenantId);
    if (cached && clock.now().getTime() - cached.at.getTime() < VERIFY_CACHE_SECONDS * 1000) return cached;
    let run = running.get(tenantId);
    if (!run) {
      run = (async () => {
        const at = clock.now();
        // Read the witness before the snapshot: the checkpoint it names is committed by then.
        const witness = audit.readWitness(tenantId);
        const report = await db
          .transaction()
          .setIsolationLevel('repeatable read')
          .setAccessMode('read only')
          .execute((trx) => verifyAuditLog(trx, keyring, tenantId, audit.verifierFor(tenantId), { witness }));
        const result = { report, at };
        verified.set(tenantId, result);
        return result;
      })().finally(() => running.delete(tenantId));
      running.set(tenantId, run);
    }
    return run;
  }

  /** Per-day totals for the last OVERVIEW_DAYS days (UTC), zero-filled, oldest first. */
  async function perDay(tenantId: string, now: Date): Promise<DayTotals[]> {
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const from = new Date(today - (OVERVIEW_DAYS - 1) * DAY_MS);
    const to = new Date(today + DAY_MS);
    // Grouped in SQL over the (tenant_id, action, id) / (tenant_id, occurred_at, id) indexes.
    const rows = await sql<{ day: string; action: string; outcome: string; n: string | number }>`
      select to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD') as day, action, outcome, count(*) as n
      from audit_events
      where tenant_id = ${tenantId}::uuid
        and occurred_at >= ${from} and occurred_at < ${to}
        and (action in (${DETOKENIZE}, ${PLAY})
             or (action in (${sql.join(SIGN_IN_STEPS)}) and outcome = 'failure'))
      group by 1, 2, 3`.execute(db);
    const days = new Map<string, DayTotals>();
    for (let t = from.getTime(); t < to.getTime(); t += DAY_MS) {
      const day = isoDay(new Date(t));
      days.set(day, {
        day,
        detokenizations: { allow: 0, deny: 0 },
        recordingPlays: { allow: 0, deny: 0 },
        signInFailures: 0,
      });
    }
    for (const r of rows.rows) {
      const d = days.get(r.day);
      if (!d) continue;
      const n = Number(r.n);
      const bucket =
        r.action === DETOKENIZE ? d.detokenizations : r.action === PLAY ? d.recordingPlays : null;
      if (bucket) {
        if (r.outcome === 'allow') bucket.allow += n;
        else if (r.outcome === 'deny') bucket.deny += n;
      } else d.signInFailures += n;
    }
    return [...days.values()];
  }

  /**
   * @example
   * const o = await overview.security(tenantId);
   * o.mfa.coveragePercent; // 87.5
   */
  async function security(tenantId: string): Promise<SecurityOverview> {
    const now = clock.now();
    const idleSince = new Date(now.getTime() - sessionIdleSeconds * 1000);
    const accounts = await db
      .selectFrom('users')
      .select((eb) => [
        eb.fn.countAll<string>().filterWhere('status', '=', 'active').as('total'),
        eb.fn
          .countAll<string>()
          .filterWhere((w) => w.and([w('status', '=', 'active'), w('totp_enrolled_at', 'is not', null)]))
          .as('enrolled'),
        eb.fn.countAll<string>().filterWhere('locked_until', '>', now).as('locked'),
      ])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    const sessions = await db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('revoked_at', 'is', null)
      .where('absolute_expires_at', '>', now)
      .where('last_seen_at', '>=', idleSince)
      .executeTakeFirstOrThrow();
    const passkeys = await db
      .selectFrom('webauthn_credentials')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    const tree = await db
      .selectFrom('audit_trees')
      .select('size')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    const checkpoint = await db
      .selectFrom('audit_checkpoints')
      .select(['tree_size', 'root_hash', 'note', 'created_at'])
      .where('tenant_id', '=', tenantId)
      .orderBy('tree_size', 'desc')
      .limit(1)
      .executeTakeFirst();
    const series = await perDay(tenantId, now);
    const v = await verification(tenantId);
    const total = Number(accounts.total);
    const enrolled = Number(accounts.enrolled);
    return {
      generatedAt: now.toISOString(),
      mfa: { enrolled, total, coveragePercent: total === 0 ? 0 : Math.round((enrolled * 1000) / total) / 10 },
      lockedAccounts: Number(accounts.locked),
      activeSessions: Number(sessions.n),
      passkeys: Number(passkeys.n),
      perDay: series,
      audit: {
        size: tree ? Number(tree.size) : 0,
        pending: v.report.pending,
        verified: v.report.ok,
        verifiedAt: v.at.toISOString(),
        verifiedEvents: v.report.events,
        failure: v.report.failure ? { index: v.report.failure.index, reason: v.report.failure.reason } : null,
        latestCheckpoint: checkpoint
          ? {
              treeSize: Number(checkpoint.tree_size),
              rootHash: Buffer.from(checkpoint.root_hash).toString('base64'),
              signedAt: checkpoint.created_at.toISOString(),
              note: checkpoint.note,
            }
          : null,
      },
    };
  }

  /** Forgets cached verification results (tests; an operator after repairing a log). */
  const forgetVerification = (tenantId?: string) => (tenantId ? verified.delete(tenantId) : verified.clear());

  return { security, forgetVerification };
}

export type OverviewService = ReturnType<typeof createOverviewService>;
