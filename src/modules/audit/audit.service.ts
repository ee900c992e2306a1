import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { decodeCursor, encodeCursor } from '../../lib/cursor.ts';
import { AppError } from '../../lib/errors.ts';
import type { Keyring } from '../../lib/keyring.ts';
import {
  type AuditEvent,
  type AuditEventInput,
  bodyMac,
  buildAuditEvent,
  encodeAuditEvent,
  leafSeal,
} from './audit-event.ts';
import { formatCheckpoint, openNote, rawEd25519PublicKey, signNote, verifierKey } from './checkpoint.ts';
import {
  appendToFrontier,
  consistencyProofRanges,
  type Frontier,
  frontierRoot,
  inclusionProofRanges,
  leafHash,
  rangeHash,
  requiredNodes,
} from './merkle.ts';

type Db = Kysely<Database> | Transaction<Database>;

export type AuditServiceDeps = {
  db: Kysely<Database>;
  keyring: Keyring;
  clock: Clock;
  origin: string;
  /**
   * Directory outside the database (the key dir) where the latest checkpoint of each tenant is
   * kept, so a database administrator who deletes the newest events and checkpoints is caught.
   */
  witnessDir?: string | undefined;
  /** Told about a pending row whose MAC fails: it was not written by Bulwark and is left unsequenced. */
  onRejected?: ((rowId: number, tenantId: string) => void) | undefined;
};

export type Witness = { treeSize: number; rootHash: string; note: string };

export type AuditFilter = {
  tenantId: string;
  actor?: string | undefined;
  action?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  cursor?: string | undefined;
  limit: number;
};

export type CheckpointView = {
  origin: string;
  treeSize: number;
  rootHash: string;
  note: string;
  verifierKey: string;
};

const SEQUENCE_BATCH = 1000;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * The tamper-evident audit log. `append` writes inside the caller's transaction (fail closed: if it
 * throws, the business change rolls back). `sequence` later assigns leaf indices in commit order,
 * extends each tenant's RFC 6962 tree, seals rows and signs a C2SP checkpoint.
 */
export function createAuditService({ db, keyring, clock, origin, witnessDir, onRejected }: AuditServiceDeps) {
  const originFor = (tenantId: string) => `${origin}/${tenantId}`;
  const signerFor = (tenantId: string) => ({
    name: originFor(tenantId),
    privateKey: keyring.auditSigningKey(tenantId).privateKey,
  });
  const verifierFor = (tenantId: string) => ({
    name: originFor(tenantId),
    publicKey: keyring.auditSigningKey(tenantId).publicKey,
  });
  // Rows whose body MAC failed are left unsequenced for `audit verify` to report; skip them here.
  const rejected = new Set<number>();

  async function append(trx: Db, input: AuditEventInput): Promise<AuditEvent> {
    const event = buildAuditEvent(input, clock.now());
    const body = encodeAuditEvent(event);
    await trx
      .insertInto('audit_events')
      .values({
        tenant_id: input.tenantId,
        event_id: event.id,
        occurred_at: event.time,
        actor_user_id: input.actor.userId,
        action: event.action,
        resource_type: event.resource.type,
        resource_id: event.resource.id,
        outcome: event.outcome,
        body,
        body_mac: bodyMac(keyring.auditMacKey(input.tenantId), body),
      })
      .execute();
    return event;
  }

  /** Appends in a transaction of its own: for events with no business change (a denied request). */
  const appendNow = (input: AuditEventInput) => db.transaction().execute((trx) => append(trx, input));

  /** One sequencing pass over at most SEQUENCE_BATCH pending rows. Returns how many it sequenced. */
  async function sequenceOnce(): Promise<number> {
    const signed: Array<{ tenantId: string } & Witness> = [];
    const count = await db.transaction().execute(async (trx) => {
      const skip = [...rejected];
      const pending = await trx
        .selectFrom('audit_events')
        .select(['id', 'tenant_id', 'body', 'body_mac'])
        .where('leaf_index', 'is', null)
        .$if(skip.length > 0, (q) => q.where('id', 'not in', skip))
        .orderBy('id')
        .limit(SEQUENCE_BATCH)
        .forUpdate()
        .skipLocked()
        .execute();
      if (pending.length === 0) return 0;
      const byTenant = new Map<string, typeof pending>();
      for (const row of pending) {
        const list = byTenant.get(row.tenant_id) ?? [];
        list.push(row);
        byTenant.set(row.tenant_id, list);
      }
      let count = 0;
      for (const [tenantId, rows] of byTenant) {
        await trx
          .insertInto('audit_trees')
          .values({ tenant_id: tenantId })
          .onConflict((oc) => oc.column('tenant_id').doNothing())
          .execute();
        const tree = await trx
          .selectFrom('audit_trees')
          .select(['size', 'frontier'])
          .where('tenant_id', '=', tenantId)
          .forUpdate()
          .executeTakeFirstOrThrow();
        let frontier: Frontier = { size: Number(tree.size), hashes: tree.frontier.map(buf) };
        const macKey = keyring.auditMacKey(tenantId);
        const ids: number[] = [];
        const indices: number[] = [];
        const leafHashes: string[] = [];
        const seals: string[] = [];
        const nodeLevels: number[] = [];
        const nodeIdx: number[] = [];
        const nodeHashes: string[] = [];
        for (const row of rows) {
          const expected = bodyMac(macKey, row.body);
          const stored = buf(row.body_mac);
          if (stored.length !== expected.length || !timingSafeEqual(stored, expected)) {
            rejected.add(row.id);
            onRejected?.(row.id, tenantId);
            continue;
          }
          const index = frontier.size;
          const lh = leafHash(Buffer.from(row.body, 'utf8'));
          const appended = appendToFrontier(frontier, lh);
          frontier = appended.frontier;
          ids.push(row.id);
          indices.push(index);
          leafHashes.push(hex(lh));
          seals.push(hex(leafSeal(macKey, index, lh)));
          for (const node of appended.completed) {
            nodeLevels.push(node.level);
            nodeIdx.push(node.index);
            nodeHashes.push(hex(node.hash));
          }
        }
        if (ids.length === 0) continue;
        await sql`update audit_events e set leaf_index = v.idx, leaf_hash = decode(v.lh, 'hex'), seal = decode(v.seal, 'hex')
          from (select unnest(${ids}::bigint[]) as id, unnest(${indices}::bigint[]) as idx,
                       unnest(${leafHashes}::text[]) as lh, unnest(${seals}::text[]) as seal) v
          where e.id = v.id`.execute(trx);
        await sql`insert into audit_nodes (tenant_id, level, idx, hash)
          select ${tenantId}::uuid, l, i, decode(h, 'hex')
          from unnest(${nodeLevels}::smallint[], ${nodeIdx}::bigint[], ${nodeHashes}::text[]) as t(l, i, h)`.execute(
          trx,
        );
        const frontierHex = frontier.hashes.map(hex);
        await sql`update audit_trees set size = ${frontier.size},
            frontier = array(select decode(x, 'hex') from unnest(${frontierHex}::text[]) with ordinality as f(x, n) order by n),
            updated_at = now()
          where tenant_id = ${tenantId}::uuid`.execute(trx);
        const root = frontierRoot(frontier);
        const note = signNote(
          formatCheckpoint({ origin: originFor(tenantId), size: frontier.size, rootHash: root }),
          signerFor(tenantId),
        );
        await trx
          .insertInto('audit_checkpoints')
          .values({ tenant_id: tenantId, tree_size: frontier.size, root_hash: root, note })
          .execute();
        signed.push({ tenantId, treeSize: frontier.size, rootHash: root.toString('base64'), note });
        count += ids.length;
      }
      return count;
    });
    // Only after commit: a witness must never be ahead of what the database holds.
    for (const w of signed)
      writeWitness(w.tenantId, { treeSize: w.treeSize, rootHash: w.rootHash, note: w.note });
    return count;
  }

  const witnessFile = (tenantId: string) =>
    witnessDir ? path.join(witnessDir, 'audit-witness', `${tenantId}.json`) : undefined;

  function writeWitness(tenantId: string, w: Witness): void {
    const file = witnessFile(tenantId);
    if (!file) return;
    const current = readWitness(tenantId);
    if (current && current.treeSize >= w.treeSize) return;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(w), { mode: 0o600 });
    fs.renameSync(tmp, file);
  }

  /** The latest checkpoint this host saw signed for a tenant, or undefined. */
  function readWitness(tenantId: string): Witness | undefined {
    const file = witnessFile(tenantId);
    if (!file || !fs.existsSync(file)) return undefined;
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as Witness;
    } catch {
      return undefined;
    }
  }

  /** Sequences until nothing is pending (CLI commands call this before exiting). */
  async function sequenceAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await sequenceOnce();
      total += n;
      if (n < SEQUENCE_BATCH) return total;
    }
  }

  async function latestCheckpoint(tenantId: string): Promise<CheckpointView | undefined> {
    const row = await db
      .selectFrom('audit_checkpoints')
      .select(['tree_size', 'root_hash', 'note'])
      .where('tenant_id', '=', tenantId)
      .orderBy('tree_size', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      origin: originFor(tenantId),
      treeSize: Number(row.tree_size),
      rootHash: buf(row.root_hash).toString('base64'),
      note: row.note,
      verifierKey: verifierKeyFor(tenantId),
    };
  }

  const verifierKeyFor = (tenantId: string) =>
    verifierKey(originFor(tenantId), rawEd25519PublicKey(keyring.auditSigningKey(tenantId).publicKey));

  async function checkpointAt(tenantId: string, size: number) {
    return db
      .selectFrom('audit_checkpoints')
      .select(['tree_size', 'root_hash', 'note'])
      .where('tenant_id', '=', tenantId)
      .where('tree_size', '=', size)
      .executeTakeFirst();
  }

  async function loadNodes(tenantId: string, ranges: Array<[number, number]>) {
    const needed = requiredNodes(ranges);
    const map = new Map<string, Buffer>();
    if (needed.length > 0) {
      const rows = await sql<{ level: number; idx: number; hash: Uint8Array }>`
        select n.level, n.idx, n.hash from audit_nodes n
        join unnest(${needed.map((n) => n.level)}::smallint[], ${needed.map((n) => n.index)}::bigint[]) as want(l, i)
          on n.level = want.l and n.idx = want.i
        where n.tenant_id = ${tenantId}::uuid`.execute(db);
      for (const r of rows.rows) map.set(`${r.level}/${Number(r.idx)}`, buf(r.hash));
    }
    return (level: number, index: number) => {
      const h = map.get(`${level}/${index}`);
      if (!h) throw new AppError('INTERNAL', 'audit tree node missing');
      return h;
    };
  }

  /** Inclusion proof of an event in the tree of `treeSize` leaves (default: latest checkpoint). */
  async function inclusionProof(tenantId: string, eventId: string, treeSize?: number) {
    const row = await db
      .selectFrom('audit_events')
      .select(['leaf_index', 'leaf_hash'])
      .where('tenant_id', '=', tenantId)
      .where('event_id', '=', eventId)
      .executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', 'no audit event with this id');
    const cp =
      treeSize === undefined
        ? await latestCheckpoint(tenantId)
        : await checkpointAt(tenantId, treeSize).then(
            (c) => c && { treeSize: Number(c.tree_size), note: c.note },
          );
    if (!cp) throw new AppError('NOT_FOUND', `no signed checkpoint of size ${treeSize ?? 'any'}`);
    if (row.leaf_index === null || row.leaf_hash === null || Number(row.leaf_index) >= cp.treeSize) {
      throw new AppError(
        'CONFLICT',
        'the event is not yet covered by a signed checkpoint; retry in a second',
        { headers: { 'retry-after': '1' } },
      );
    }
    const index = Number(row.leaf_index);
    const ranges = inclusionProofRanges(index, cp.treeSize);
    const getNode = await loadNodes(tenantId, ranges);
    return {
      leafIndex: index,
      treeSize: cp.treeSize,
      leafHash: buf(row.leaf_hash).toString('base64'),
      proof: ranges.map(([a, b]) => rangeHash(a, b, getNode).toString('base64')),
      checkpoint: cp.note,
    };
  }

  async function consistencyProof(tenantId: string, from: number, to: number) {
    if (!(from > 0 && from <= to))
      throw new AppError('VALIDATION_FAILED', 'need 0 < from <= to', {
        details: { errors: [{ pointer: '/from', message: 'must be positive and not above to' }] },
      });
    const [a, b] = await Promise.all([checkpointAt(tenantId, from), checkpointAt(tenantId, to)]);
    if (!a || !b) throw new AppError('NOT_FOUND', 'both sizes must be sizes of signed checkpoints');
    const ranges = consistencyProofRanges(from, to);
    const getNode = await loadNodes(tenantId, ranges);
    return {
      from,
      to,
      fromCheckpoint: a.note,
      toCheckpoint: b.note,
      proof: ranges.map(([x, y]) => rangeHash(x, y, getNode).toString('base64')),
    };
  }

  async function listEvents(
    f: AuditFilter,
  ): Promise<{ data: Array<AuditEvent & { leafIndex: number | null }>; nextCursor: string | null }> {
    const after = f.cursor ? decodeCursor(f.cursor) : 0;
    const rows = await db
      .selectFrom('audit_events')
      .select(['id', 'body', 'leaf_index'])
      .where('tenant_id', '=', f.tenantId)
      .where('id', '>', after)
      .$if(f.actor !== undefined, (q) => q.where('actor_user_id', '=', f.actor!))
      .$if(f.action !== undefined, (q) => q.where('action', '=', f.action!))
      .$if(f.resourceType !== undefined, (q) => q.where('resource_type', '=', f.resourceType!))
      .$if(f.resourceId !== undefined, (q) => q.where('resource_id', '=', f.resourceId!))
      .$if(f.from !== undefined, (q) => q.where('occurred_at', '>=', f.from!))
      .$if(f.to !== undefined, (q) => q.where('occurred_at', '<', f.to!))
      .orderBy('id')
      .limit(f.limit + 1)
      .execute();
    const page = rows.slice(0, f.limit);
    return {
      data: page.map((r) => ({
        ...(JSON.parse(r.body) as AuditEvent),
        leafIndex: r.leaf_index === null ? null : Number(r.leaf_index),
      })),
      nextCursor: rows.length > f.limit && page.length > 0 ? encodeCursor(page[page.length - 1]!.id) : null,
    };
  }

  return {
    append,
    appendNow,
    sequenceOnce,
    readWitness,
    sequenceAll,
    latestCheckpoint,
    inclusionProof,
    consistencyProof,
    listEvents,
    originFor,
    verifierFor,
    verifierKeyFor,
    openNote,
  };
}

export type AuditService = ReturnType<typeof createAuditService>;

/**
 * Sequences on a timer until stopped, draining the whole backlog each tick (one checkpoint per
 * 1,000 events under load); `stop()` finishes the pass in flight first.
 */
export function startAuditSequencer(
  audit: Pick<AuditService, 'sequenceAll'>,
  intervalMs: number,
  onError: (e: unknown) => void,
) {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopped) return;
    running = audit
      .sequenceAll()
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
