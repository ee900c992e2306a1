/**
 * Recording data keys in the database: sealing a new one, opening one for playback, crypto-shredding,
 * KEK rotation (re-wrap every data key without touching bodies; resumable) and the minimum decryption
 * version that retires old KEK versions. Only wrapped keys are stored (`recording_keys`); the KEKs
 * stay with the provider (key dir or HSM), never in the database or the data dir.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Actor } from '../users/users.service.ts';
import { KeyShreddedError, recordingContext, sealRecordingKey, wipe } from './envelope.ts';
import type { KekVersion, KeyProvider, WrappedKey } from './key-provider.ts';

/** A data key wrapped under a KEK version that the minimum decryption version has retired. */
export class KekRetiredError extends Error {
  override name = 'KekRetiredError';
}

/** A rotation or retirement request that cannot be carried out (named reason, nothing changed). */
export class KeyAdminError extends Error {
  override name = 'KeyAdminError';
}

type Db = Kysely<Database> | Transaction<Database>;

export type KeyStatus = {
  provider: string;
  versions: Array<KekVersion & { dataKeys: number }>;
  minDecryptVersion: number;
  /** An unfinished rotation (resumed by the next `rotate`), if any. */
  openRotation: { id: string; targetVersion: number; startedAt: string; rewrapped: number } | null;
  /** Data keys wrapped under versions no longer offered by the provider (should be 0). */
  orphanedDataKeys: number;
};

export type RotationProgress = { done: number; total: number };

export type RotationResult = {
  targetVersion: number;
  resumed: boolean;
  rewrapped: number;
  /** Keys that failed to re-wrap (wrong context or tampered); listed, left as they were. */
  failed: Array<{ recordingId: string; reason: string }>;
};

type Deps = {
  db: Kysely<Database>;
  provider: KeyProvider;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
};

const ROTATION_BATCH = 1000;

/**
 * @example
 * const keys = createDataKeysService({ db, provider, audit, clock });
 * const { dataKey } = await keys.seal(trx, tenantId, recordingId, 1); // encrypt, then wipe(dataKey)
 * const key = await keys.open(tenantId, recordingId, 1);               // KeyShreddedError once shredded
 */
export function createDataKeysService({ db, provider, audit, clock }: Deps) {
  const auditActor = (a: Actor) => ({ userId: a.userId, roles: a.roles, sessionId: a.sessionId, ip: a.ip });

  async function minDecryptVersion(dbOrTrx: Db = db): Promise<number> {
    const row = await dbOrTrx
      .selectFrom('kek_settings')
      .select('min_decrypt_version')
      .where('provider', '=', provider.name)
      .executeTakeFirst();
    return row?.min_decrypt_version ?? 1;
  }

  /**
   * Creates and wraps a data key for a new recording. The caller stores the wrapped key with
   * {@link storeWrapped} in the transaction that inserts the recording row, encrypts with `dataKey`
   * and wipes it.
   */
  async function seal(tenantId: string, recordingId: string, dekVersion: number) {
    return sealRecordingKey(provider, recordingContext(tenantId, recordingId, dekVersion));
  }

  async function storeWrapped(trx: Db, tenantId: string, recordingId: string, wrapped: WrappedKey) {
    await trx
      .insertInto('recording_keys')
      .values({
        recording_id: recordingId,
        tenant_id: tenantId,
        provider: wrapped.provider,
        kek_version: wrapped.version,
        alg: wrapped.alg,
        wrapped: Buffer.from(wrapped.wrapped),
      })
      .execute();
  }

  /**
   * Unwraps a recording's data key. Fails with {@link KeyShreddedError} when the key was destroyed,
   * {@link KekRetiredError} when it is wrapped under a retired KEK version, and the provider's
   * `KeyUnwrapError` when the wrapped key does not belong to this recording.
   */
  async function open(tenantId: string, recordingId: string, dekVersion: number): Promise<Uint8Array> {
    // One round trip: the key row and the provider's minimum decryption version together.
    const row = await db
      .selectFrom('recording_keys as k')
      .leftJoin('kek_settings as s', 's.provider', 'k.provider')
      .select(['k.provider', 'k.kek_version', 'k.alg', 'k.wrapped', 's.min_decrypt_version'])
      .where('k.recording_id', '=', recordingId)
      .where('k.tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!row) throw new KeyShreddedError();
    const min = row.min_decrypt_version ?? 1;
    if (row.kek_version < min)
      throw new KekRetiredError(
        `the recording's data key is wrapped under KEK version ${row.kek_version}, below the minimum decryption version ${min}`,
      );
    return provider.unwrap(
      {
        provider: row.provider,
        version: row.kek_version,
        alg: row.alg,
        wrapped: new Uint8Array(row.wrapped),
      },
      recordingContext(tenantId, recordingId, dekVersion),
    );
  }

  /** Crypto-shreds: deletes the wrapped data key, in the caller's transaction. Returns whether one existed. */
  async function shred(trx: Db, tenantId: string, recordingId: string): Promise<boolean> {
    const res = await trx
      .deleteFrom('recording_keys')
      .where('recording_id', '=', recordingId)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async function status(): Promise<KeyStatus> {
    const versions = await provider.versions();
    const counts = await db
      .selectFrom('recording_keys')
      .select(['kek_version', sql<number>`count(*)::int`.as('n')])
      .where('provider', '=', provider.name)
      .groupBy('kek_version')
      .execute();
    const byVersion = new Map(counts.map((c) => [c.kek_version, Number(c.n)]));
    const known = new Set(versions.map((v) => v.version));
    const open = await db
      .selectFrom('key_rotations')
      .selectAll()
      .where('provider', '=', provider.name)
      .where('finished_at', 'is', null)
      .executeTakeFirst();
    return {
      provider: provider.name,
      versions: versions.map((v) => ({ ...v, dataKeys: byVersion.get(v.version) ?? 0 })),
      minDecryptVersion: await minDecryptVersion(),
      openRotation: open
        ? {
            id: open.id,
            targetVersion: open.target_version,
            startedAt: open.started_at.toISOString(),
            rewrapped: Number(open.rewrapped),
          }
        : null,
      orphanedDataKeys: [...byVersion].filter(([v]) => !known.has(v)).reduce((a, [, n]) => a + n, 0),
    };
  }

  /** Key operations span tenants: each tenant's log records the event (and its own counts). */
  async function auditEachTenant(
    trx: Transaction<Database>,
    tenants: readonly string[],
    event: (tenantId: string) => Omit<Parameters<AuditService['append']>[1], 'tenantId'>,
  ): Promise<void> {
    for (const tenantId of tenants) await audit.append(trx, { tenantId, ...event(tenantId) });
  }

  /** Data keys of this provider wrapped under a KEK version below `version`. */
  async function countBelow(dbOrTrx: Db, version: number): Promise<number> {
    const row = await dbOrTrx
      .selectFrom('recording_keys')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('provider', '=', provider.name)
      .where('kek_version', '<', version)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function tenantIds(): Promise<string[]> {
    return (await db.selectFrom('tenants').select('id').execute()).map((t) => t.id);
  }

  /**
   * Creates a new KEK version (or resumes an unfinished rotation) and re-wraps every data key below
   * it, in batches, each batch committed on its own: an interruption loses at most the batch in
   * flight, and the next run carries on from the keys still below the target. Bodies are untouched
   * (their encryption context names the data-key generation, not the KEK version). Audited per
   * tenant at the start and the end.
   */
  async function rotate(
    actor: Actor,
    options: { onProgress?: (p: RotationProgress) => void; batchSize?: number } = {},
  ): Promise<RotationResult> {
    const batchSize = options.batchSize ?? ROTATION_BATCH;
    const open = await db
      .selectFrom('key_rotations')
      .selectAll()
      .where('provider', '=', provider.name)
      .where('finished_at', 'is', null)
      .executeTakeFirst();
    let rotationId: string;
    let target: number;
    const resumed = open !== undefined;
    const tenants = await tenantIds();
    if (open) {
      rotationId = open.id;
      target = open.target_version;
    } else {
      target = await provider.rotate();
      rotationId = newId();
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('key_rotations')
          .values({ id: rotationId, provider: provider.name, target_version: target })
          .execute();
        await auditEachTenant(trx, tenants, () => ({
          action: 'keys.rotate.start',
          outcome: 'success',
          actor: auditActor(actor),
          resource: { type: 'Kek', id: `${provider.name}:v${target}` },
          details: { provider: provider.name, targetVersion: target, channel: actor.channel },
        }));
      });
    }
    const current = (await provider.versions()).find((v) => v.current)?.version ?? target;
    if (current !== target)
      throw new KeyAdminError(
        `rotation ${rotationId} targets KEK version ${target} but the provider's current version is ${current}; ` +
          'finish it with the provider at that version',
      );

    const total = await countBelow(db, target);
    let done = 0;
    const failed: RotationResult['failed'] = [];
    const perTenant = new Map<string, number>();
    let after = '00000000-0000-0000-0000-000000000000';
    options.onProgress?.({ done, total });
    for (;;) {
      const rows = await db
        .selectFrom('recording_keys as k')
        .innerJoin('recordings as r', 'r.id', 'k.recording_id')
        .select(['k.recording_id', 'k.tenant_id', 'k.kek_version', 'k.alg', 'k.wrapped', 'r.dek_version'])
        .where('k.provider', '=', provider.name)
        .where('k.kek_version', '<', target)
        .where('k.recording_id', '>', after)
        .orderBy('k.recording_id')
        .limit(batchSize)
        .execute();
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.recording_id;
      const updates: Array<{ id: string; version: number; wrapped: Buffer; from: number }> = [];
      for (const row of rows) {
        try {
          const next = await provider.rewrap(
            {
              provider: provider.name,
              version: row.kek_version,
              alg: row.alg,
              wrapped: new Uint8Array(row.wrapped),
            },
            recordingContext(row.tenant_id, row.recording_id, row.dek_version),
          );
          updates.push({
            id: row.recording_id,
            version: next.version,
            wrapped: Buffer.from(next.wrapped),
            from: row.kek_version,
          });
          perTenant.set(row.tenant_id, (perTenant.get(row.tenant_id) ?? 0) + 1);
        } catch (e) {
          failed.push({ recordingId: row.recording_id, reason: (e as Error).message });
        }
      }
      if (updates.length > 0) {
        const now = clock.now();
        await db.transaction().execute(async (trx) => {
          // One statement per batch; the `kek_version = from` guard skips a key re-wrapped or shredded meanwhile.
          await sql`
            update recording_keys as k
               set kek_version = u.version, wrapped = u.wrapped, rewrapped_at = ${now}
              from (select unnest(${sql.val(updates.map((u) => u.id))}::uuid[]) as id,
                           unnest(${sql.val(updates.map((u) => u.version))}::int[]) as version,
                           unnest(${sql.val(updates.map((u) => u.wrapped))}::bytea[]) as wrapped,
                           unnest(${sql.val(updates.map((u) => u.from))}::int[]) as from_version) as u
             where k.recording_id = u.id and k.kek_version = u.from_version`.execute(trx);
          await trx
            .updateTable('key_rotations')
            .set((eb) => ({
              rewrapped: eb('rewrapped', '+', updates.length),
              failed: eb('failed', '+', rows.length - updates.length),
            }))
            .where('id', '=', rotationId)
            .execute();
        });
        for (const u of updates) u.wrapped.fill(0);
      }
      done += rows.length;
      options.onProgress?.({ done, total });
    }
    await db.transaction().execute(async (trx) => {
      if (failed.length === 0)
        await trx
          .updateTable('key_rotations')
          .set({ finished_at: clock.now() })
          .where('id', '=', rotationId)
          .execute();
      await auditEachTenant(trx, tenants, (tenantId) => ({
        action: 'keys.rotate.finish',
        outcome: failed.length === 0 ? 'success' : 'failure',
        actor: auditActor(actor),
        resource: { type: 'Kek', id: `${provider.name}:v${target}` },
        details: {
          provider: provider.name,
          targetVersion: target,
          resumed,
          rewrapped: perTenant.get(tenantId) ?? 0,
          failed: failed.length,
          channel: actor.channel,
        },
      }));
    });
    return { targetVersion: target, resumed, rewrapped: done - failed.length, failed };
  }

  /**
   * Retires KEK versions below `version`: data keys wrapped under them are refused from now on. Refused
   * (nothing changes) while any data key is still wrapped below it (rotate first) or when `version` is
   * above the current KEK version.
   */
  async function setMinDecryptVersion(actor: Actor, version: number): Promise<void> {
    if (!Number.isInteger(version) || version < 1)
      throw new KeyAdminError('the minimum version must be a whole number >= 1');
    const current = (await provider.versions()).find((v) => v.current)?.version ?? 1;
    if (version > current)
      throw new KeyAdminError(`KEK version ${version} does not exist yet (current is ${current})`);
    // Read before the transaction: PGlite has one connection, so a query on `db` inside it would wait forever.
    const tenants = await tenantIds();
    await db.transaction().execute(async (trx) => {
      const below = await countBelow(trx, version);
      if (below > 0)
        throw new KeyAdminError(
          `${below} data key(s) are still wrapped under KEK versions below ${version}; run bulwark keys rotate first`,
        );
      const previous = await minDecryptVersion(trx);
      await trx
        .insertInto('kek_settings')
        .values({ provider: provider.name, min_decrypt_version: version, updated_at: clock.now() })
        .onConflict((oc) =>
          oc.column('provider').doUpdateSet({ min_decrypt_version: version, updated_at: clock.now() }),
        )
        .execute();
      await auditEachTenant(trx, tenants, () => ({
        action: 'keys.min_decrypt_version.set',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'Kek', id: provider.name },
        details: { provider: provider.name, from: previous, to: version, channel: actor.channel },
      }));
    });
  }

  return {
    provider,
    seal,
    storeWrapped,
    open,
    shred,
    status,
    rotate,
    setMinDecryptVersion,
    minDecryptVersion,
    wipe,
  };
}

export type DataKeysService = ReturnType<typeof createDataKeysService>;
