import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Keyring } from '../../lib/keyring.ts';
import type { Witness } from './audit.service.ts';
import { type AuditEvent, bodyMac, leafSeal } from './audit-event.ts';
import { openNote, parseCheckpoint } from './checkpoint.ts';
import { appendToFrontier, emptyFrontier, type Frontier, frontierRoot, leafHash } from './merkle.ts';

export type VerifyFailure = { index: number | null; rowId: number | null; reason: string };
export type VerifyReport = {
  tenantId: string;
  ok: boolean;
  events: number;
  checkpoints: number;
  pending: number;
  failure: VerifyFailure | null;
};

const BATCH = 10_000;
const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);

/**
 * Recomputes one tenant's audit log from the rows: every leaf hash, every seal (which binds a
 * leaf to its index with a key kept outside the database), the Merkle root at every signed
 * checkpoint and every checkpoint signature; pending rows must carry a valid body MAC. Stops at
 * the first problem and names the leaf index (or row id for unsequenced rows).
 */
export async function verifyAuditLog(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  verifier: { name: string; publicKey: import('node:crypto').KeyObject },
  options: {
    witness?: Witness | undefined;
    onProgress?: ((events: number) => void) | undefined;
    pageSize?: number;
  } = {},
): Promise<VerifyReport> {
  const macKey = keyring.auditMacKey(tenantId);
  const checkpoints = await db
    .selectFrom('audit_checkpoints')
    .select(['tree_size', 'root_hash', 'note'])
    .where('tenant_id', '=', tenantId)
    .orderBy('tree_size')
    .execute();
  const report = (failure: VerifyFailure | null, events: number, pending = 0): VerifyReport => ({
    tenantId,
    ok: failure === null,
    events,
    checkpoints: checkpoints.length,
    pending,
    failure,
  });

  let frontier: Frontier = emptyFrontier();
  let cpIndex = 0;
  const checkCheckpointsAt = (size: number): VerifyFailure | null => {
    while (cpIndex < checkpoints.length && Number(checkpoints[cpIndex]!.tree_size) === size) {
      const cp = checkpoints[cpIndex]!;
      const opened = openNote(cp.note, verifier);
      if (!opened.ok)
        return {
          index: size - 1,
          rowId: null,
          reason: `checkpoint of size ${size}: signature does not verify (${opened.reason})`,
        };
      const parsed = parseCheckpoint(opened.body);
      const root = frontierRoot(frontier);
      if (parsed.size !== size || !same(parsed.rootHash, root) || !same(buf(cp.root_hash), root)) {
        return {
          index: size - 1,
          rowId: null,
          reason: `checkpoint of size ${size}: root does not match the events`,
        };
      }
      cpIndex += 1;
    }
    return null;
  };

  let next = 0;
  const pageSize = options.pageSize ?? BATCH;
  const fetchPage = (from: number) =>
    db
      .selectFrom('audit_events')
      .select([
        'id',
        'leaf_index',
        'leaf_hash',
        'seal',
        'body',
        'action',
        'actor_user_id',
        'resource_type',
        'resource_id',
        'outcome',
        'event_id',
        'occurred_at',
      ])
      .where('tenant_id', '=', tenantId)
      .where('leaf_index', '>=', from)
      .orderBy('leaf_index')
      .limit(pageSize)
      .execute();
  // Read the next page while verifying this one: reading and hashing take about as long each.
  type Page = Awaited<ReturnType<typeof fetchPage>>;
  let nextPage: Promise<Page> | undefined = fetchPage(0);
  while (nextPage) {
    const rows: Page = await nextPage;
    const last = rows.at(-1);
    nextPage = rows.length === pageSize && last ? fetchPage(Number(last.leaf_index) + 1) : undefined;
    // A failure found below returns early; the prefetch's own error (if any) must not go unhandled.
    nextPage?.catch(() => {});
    for (const row of rows) {
      const index = Number(row.leaf_index);
      if (index !== next)
        return report(
          { index: next, rowId: null, reason: `event at index ${next} is missing (deleted or moved)` },
          next,
        );
      const lh = leafHash(Buffer.from(row.body, 'utf8'));
      if (row.seal === null || row.leaf_hash === null || !same(buf(row.seal), leafSeal(macKey, index, lh))) {
        return report(
          {
            index,
            rowId: row.id,
            reason: `event at index ${index} was edited or moved (seal does not match its content)`,
          },
          next,
        );
      }
      if (!same(buf(row.leaf_hash), lh))
        return report(
          { index, rowId: row.id, reason: `event at index ${index}: stored leaf hash was altered` },
          next,
        );
      const ev = JSON.parse(row.body) as AuditEvent;
      if (
        ev.id !== row.event_id ||
        ev.action !== row.action ||
        ev.actor.user !== row.actor_user_id ||
        ev.resource.type !== row.resource_type ||
        ev.resource.id !== row.resource_id ||
        ev.outcome !== row.outcome ||
        Date.parse(ev.time) !== row.occurred_at.getTime()
      ) {
        return report(
          {
            index,
            rowId: row.id,
            reason: `event at index ${index}: searchable columns were edited (they no longer match the sealed body)`,
          },
          next,
        );
      }
      frontier = appendToFrontier(frontier, lh).frontier;
      next += 1;
      const bad = checkCheckpointsAt(next);
      if (bad) return report(bad, next);
    }
    options.onProgress?.(next);
  }
  const witness = options.witness;
  if (witness) {
    // The witness lives outside the database: a rollback of the newest events and checkpoints shows here.
    const held = checkpoints.find((c) => Number(c.tree_size) === witness.treeSize);
    if (!held || held.note !== witness.note || buf(held.root_hash).toString('base64') !== witness.rootHash) {
      return report(
        {
          index: Math.max(0, witness.treeSize - 1),
          rowId: null,
          reason: `the checkpoint of size ${witness.treeSize} kept outside the database is missing or differs: the log was rolled back or replaced`,
        },
        next,
      );
    }
  }
  if (cpIndex < checkpoints.length) {
    const size = Number(checkpoints[cpIndex]!.tree_size);
    return report(
      {
        index: next,
        rowId: null,
        reason: `a signed checkpoint covers ${size} events but only ${next} remain (events deleted from the end)`,
      },
      next,
    );
  }
  const tree = await db
    .selectFrom('audit_trees')
    .select(['size'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  if ((tree ? Number(tree.size) : 0) !== next) {
    return report(
      {
        index: next,
        rowId: null,
        reason: `tree state says ${tree?.size ?? 0} events but ${next} were found`,
      },
      next,
    );
  }
  const pending = await db
    .selectFrom('audit_events')
    .select(['id', 'body', 'body_mac'])
    .where('tenant_id', '=', tenantId)
    .where('leaf_index', 'is', null)
    .orderBy('id')
    .execute();
  for (const row of pending) {
    if (!same(buf(row.body_mac), bodyMac(macKey, row.body))) {
      return report(
        {
          index: null,
          rowId: row.id,
          reason: `row ${row.id} was appended outside the log (its MAC does not verify)`,
        },
        next,
        pending.length,
      );
    }
  }
  return report(null, next, pending.length);
}
