import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { AppError } from '../../lib/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Actor } from '../users/users.service.ts';

/** The audit actor of a WFM change: ids, roles and address, never names. */
export const auditActor = (a: Actor) => ({
  userId: a.userId,
  roles: a.roles,
  sessionId: a.sessionId,
  ip: a.ip,
});

/**
 * The shape every WFM file import shares: the file is parsed and validated whole first (errors name
 * file, line and column), then written in one transaction together with its success audit event
 * (counts only); a refused file changes nothing and is audited as a failure.
 */
export async function runAuditedImport<K extends string, P extends { rows: readonly unknown[] }>(
  deps: { db: Kysely<Database>; audit: Pick<AuditService, 'append' | 'appendNow'> },
  actor: Actor,
  action: string,
  kind: K,
  parse: () => P,
  write: (trx: Transaction<Database>, parsed: P) => Promise<number>,
): Promise<{ kind: K; rows: number; inserted: number; updated: number }> {
  const { db, audit } = deps;
  let rows = 0;
  try {
    const parsed = parse();
    rows = parsed.rows.length;
    const inserted = await db.transaction().execute(async (trx) => {
      const added = await write(trx, parsed);
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action,
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'System', id: null },
        requestId: actor.requestId,
        details: { kind, rows, inserted: added, updated: rows - added, channel: actor.channel },
      });
      return added;
    });
    return { kind, rows, inserted, updated: rows - inserted };
  } catch (e) {
    if (e instanceof AppError && e.code === 'VALIDATION_FAILED') {
      const problems = (e.details?.errors as unknown[] | undefined)?.length ?? 1;
      await audit.appendNow({
        tenantId: actor.tenantId,
        action,
        outcome: 'failure',
        actor: auditActor(actor),
        resource: { type: 'System', id: null },
        requestId: actor.requestId,
        reason: 'invalid_file',
        details: { kind, rows, problems, channel: actor.channel },
      });
    }
    throw e;
  }
}
