import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { type DatabaseHandle, type OpenOptions, openDatabase } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { type Keyring, openKeyring } from '../../src/lib/keyring.ts';
import { type AuditService, createAuditService } from '../../src/modules/audit/audit.service.ts';
import type { AuditEventInput } from '../../src/modules/audit/audit-event.ts';
import { createTenantsService } from '../../src/modules/tenants/tenants.service.ts';
import { createScratchDatabase, createTempDir, onCleanup } from './resources.ts';

export const BENCH_ORIGIN = 'bench.bulwark.invalid/audit';

/** The real audit stack on a migrated database: what the server wires in `src/context.ts`. */
export type AuditStack = {
  handle: DatabaseHandle;
  keyring: Keyring;
  audit: AuditService;
  tenantId: string;
  engine: 'postgres' | 'pglite';
  /** PostgreSQL only: URL of the scratch database, to open more pools on it. */
  url: string | undefined;
  /** Closes the database and removes the scratch database / temp dirs. */
  close: () => Promise<void>;
};

export type StackOptions = { engine: 'postgres'; adminUrl: string; poolSize: number } | { engine: 'pglite' };

/** A fresh scratch PostgreSQL database or a fresh PGlite data dir, migrated, with a keyring and tenant. */
export async function openAuditStack(options: StackOptions): Promise<AuditStack> {
  const keys = createTempDir('keys');
  const keyring = openKeyring(path.join(keys.dir, 'keys'));
  let open: OpenOptions;
  let url: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  let removeData: (() => Promise<void>) | undefined;
  if (options.engine === 'postgres') {
    const scratch = await createScratchDatabase(options.adminUrl);
    dropDatabase = scratch.drop;
    url = scratch.url;
    open = { engine: 'postgres', url: scratch.url, poolSize: options.poolSize };
  } else {
    const data = createTempDir('pglite');
    removeData = data.remove;
    open = { engine: 'pglite', dataDir: data.dir, purpose: 'bench' };
  }
  const handle = await openDatabase(open);
  const closeHandle = onCleanup(`${handle.engine} connection`, () => handle.close());
  await migrate(handle.db);
  const audit = createAuditService({ db: handle.db, keyring, clock: systemClock, origin: BENCH_ORIGIN });
  const tenantId = (await createTenantsService({ db: handle.db, audit }).ensureDefault()).id;
  return {
    handle,
    keyring,
    audit,
    tenantId,
    engine: handle.engine,
    url,
    close: async () => {
      await closeHandle();
      await dropDatabase?.();
      await removeData?.();
      await keys.remove();
    },
  };
}

const ROLE_ACTIONS = [
  { role: 'qa_analyst', action: 'recording.play', type: 'Recording', policy: 'qa-team-recordings' },
  { role: 'supervisor', action: 'user.read', type: 'UserAccount', policy: 'supervisor-team-accounts' },
  { role: 'security_analyst', action: 'audit.read', type: 'AuditLog', policy: 'audit-readers' },
  { role: 'it_admin', action: 'user.update', type: 'UserAccount', policy: 'it-admin-users' },
  { role: 'agent', action: 'data.read', type: 'Schedule', policy: 'agent-own-employee-data' },
] as const;

/**
 * A realistic audit event (an allowed authorization decision: actor, role, IP, resource, deciding
 * policy, request id), about 350 bytes of canonical JSON like the events the routes write.
 */
export function sampleEventInput(tenantId: string, i: number): AuditEventInput {
  const ra = ROLE_ACTIONS[i % ROLE_ACTIONS.length]!;
  return {
    tenantId,
    action: ra.action,
    outcome: 'allow',
    actor: { userId: randomUUID(), roles: [ra.role], ip: `10.${(i >> 8) & 255}.${i & 255}.7` },
    resource: { type: ra.type, id: randomUUID().slice(0, 18) },
    policyIds: [ra.policy],
    requestId: `r${(i % 1_000_000).toString(36).padStart(6, '0')}`,
    details: { channel: 'http' },
  };
}

/** Another pool of `poolSize` connections on the stack's PostgreSQL database, with its own audit service. */
export async function openPool(
  stack: AuditStack,
  poolSize: number,
): Promise<{ handle: DatabaseHandle; audit: AuditService; close: () => Promise<void> }> {
  if (!stack.url) throw new Error('openPool needs a PostgreSQL stack');
  const handle = await openDatabase({ engine: 'postgres', url: stack.url, poolSize });
  const close = onCleanup(`postgres pool of ${poolSize}`, () => handle.close());
  const audit = createAuditService({
    db: handle.db,
    keyring: stack.keyring,
    clock: systemClock,
    origin: BENCH_ORIGIN,
  });
  return { handle, audit, close };
}
