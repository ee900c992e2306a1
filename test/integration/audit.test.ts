import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/schema.ts';
import { exportAuditEvents } from '../../src/modules/audit/audit.export.ts';
import { verifyAuditLog } from '../../src/modules/audit/audit.verify.ts';
import { encodeAuditEvent } from '../../src/modules/audit/audit-event.ts';
import { openNote, parseCheckpoint, parseVerifierKey } from '../../src/modules/audit/checkpoint.ts';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/modules/audit/merkle.ts';
import { buildSignedInUser, buildUser, systemActor } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
let tenantId: string;
beforeAll(async () => {
  h = await createHarness();
  tenantId = (await h.ctx.tenants.ensureDefault()).id;
});
afterAll(async () => h?.close());

const verify = () =>
  verifyAuditLog(h.ctx.database.db, h.ctx.keyring, tenantId, h.ctx.audit.verifierFor(tenantId));

describe('audit API', () => {
  it('records sign-in events and serves them to a security analyst only', async () => {
    const analyst = await buildSignedInUser(h, { roles: ['security_analyst'] });
    const agent = await buildSignedInUser(h, { roles: ['agent'] });
    await h.ctx.audit.sequenceAll();

    const res = await h.app.inject({
      method: 'GET',
      url: `/v1/audit/events?actor=${agent.user.id}&action=auth.login`,
      headers: analyst.auth,
    });
    expect(res.statusCode).toBe(200);
    const events = res.json().data;
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events[0]).toMatchObject({
      action: 'auth.login',
      outcome: 'success',
      actor: { user: agent.user.id },
    });
    expect(events[0].leafIndex).toBeTypeOf('number');

    const denied = await h.app.inject({ method: 'GET', url: '/v1/audit/events', headers: agent.auth });
    expect(denied.statusCode).toBe(403);
    const denial = await h.ctx.audit.listEvents({
      tenantId,
      actor: agent.user.id,
      action: 'authz.audit.read',
      limit: 10,
    });
    expect(denial.data.at(-1)).toMatchObject({ outcome: 'deny', resource: { type: 'AuditLog' } });
    // The analyst's own allowed read is audited too, with the deciding policy.
    const allowed = await h.ctx.audit.listEvents({
      tenantId,
      actor: analyst.user.id,
      action: 'authz.audit.read',
      limit: 10,
    });
    expect(allowed.data[0]).toMatchObject({ outcome: 'allow' });
    expect(allowed.data[0]!.policies.length).toBeGreaterThan(0);
  });

  it('pages with an opaque cursor and rejects a forged one', async () => {
    const analyst = await buildSignedInUser(h, { roles: ['compliance_officer'] });
    const first = await h.app.inject({
      method: 'GET',
      url: '/v1/audit/events?limit=2',
      headers: analyst.auth,
    });
    const { data, nextCursor } = first.json();
    expect(data).toHaveLength(2);
    const second = await h.app.inject({
      method: 'GET',
      url: `/v1/audit/events?limit=2&cursor=${nextCursor}`,
      headers: analyst.auth,
    });
    expect(second.json().data[0].id).not.toBe(data[1].id);
    const bad = await h.app.inject({
      method: 'GET',
      url: '/v1/audit/events?cursor=zzz',
      headers: analyst.auth,
    });
    expect(bad.statusCode).toBe(422);
  });

  it('serves a signed checkpoint, inclusion and consistency proofs that verify independently', async () => {
    const analyst = await buildSignedInUser(h, { roles: ['security_analyst'] });
    await h.ctx.audit.sequenceAll();
    const cp1 = (
      await h.app.inject({ method: 'GET', url: '/v1/audit/checkpoint', headers: analyst.auth })
    ).json();
    await buildUser(h);
    await h.ctx.audit.sequenceAll();
    const cp2 = (
      await h.app.inject({ method: 'GET', url: '/v1/audit/checkpoint', headers: analyst.auth })
    ).json();
    expect(cp2.treeSize).toBeGreaterThan(cp1.treeSize);

    const verifier = parseVerifierKey(cp2.verifierKey);
    const opened = openNote(cp2.note, verifier);
    expect(opened.ok).toBe(true);
    const parsed = parseCheckpoint((opened as { body: string }).body);
    expect(parsed.size).toBe(cp2.treeSize);

    const events = await h.ctx.audit.listEvents({ tenantId, limit: 5 });
    const event = events.data[3]!;
    const proof = (
      await h.app.inject({ method: 'GET', url: `/v1/audit/events/${event.id}/proof`, headers: analyst.auth })
    ).json();
    const { leafIndex, ...stored } = event;
    const lh = leafHash(Buffer.from(encodeAuditEvent(stored)));
    expect(lh.toString('base64')).toBe(proof.leafHash);
    expect(
      verifyInclusion(
        lh,
        proof.leafIndex,
        proof.treeSize,
        proof.proof.map((p: string) => Buffer.from(p, 'base64')),
        parsed.rootHash,
      ),
    ).toBe(true);
    expect(proof.proof.length * 32).toBeLessThanOrEqual(1024);

    const cons = await h.app.inject({
      method: 'GET',
      url: `/v1/audit/consistency?from=${cp1.treeSize}&to=${cp2.treeSize}`,
      headers: analyst.auth,
    });
    expect(cons.statusCode).toBe(200);
    const ok = verifyConsistency(
      cp1.treeSize,
      cp2.treeSize,
      Buffer.from(cp1.rootHash, 'base64'),
      Buffer.from(cp2.rootHash, 'base64'),
      cons.json().proof.map((p: string) => Buffer.from(p, 'base64')),
    );
    expect(ok).toBe(true);
  });

  it('it_admin may read the checkpoint but not the events', async () => {
    const admin = await buildSignedInUser(h, { roles: ['it_admin'] });
    await h.ctx.audit.sequenceAll();
    expect(
      (await h.app.inject({ method: 'GET', url: '/v1/audit/checkpoint', headers: admin.auth })).statusCode,
    ).toBe(200);
    expect(
      (await h.app.inject({ method: 'GET', url: '/v1/audit/events', headers: admin.auth })).statusCode,
    ).toBe(403);
  });
});

describe('fail closed', () => {
  it('a change whose audit append fails is not made', async () => {
    await sql`create or replace function bulwark_test_fail() returns trigger language plpgsql as $$ begin raise exception 'audit store unavailable'; end $$`.execute(
      h.ctx.database.db,
    );
    await sql`create trigger bulwark_test_fail before insert on audit_events for each row execute function bulwark_test_fail()`.execute(
      h.ctx.database.db,
    );
    try {
      await expect(buildUser(h, { username: 'never-created' })).rejects.toThrow();
      expect(await h.ctx.users.getByUsername(tenantId, 'never-created')).toBeUndefined();
    } finally {
      await sql`drop trigger bulwark_test_fail on audit_events`.execute(h.ctx.database.db);
    }
  });
});

describe('bulwark audit verify', () => {
  it('passes on an untouched log and exports every event as JSONL and CEF', async () => {
    await h.ctx.audit.sequenceAll();
    const report = await verify();
    expect(report.ok).toBe(true);
    expect(report.events).toBeGreaterThan(10);
    const jsonl: string[] = [];
    for await (const line of exportAuditEvents(h.ctx.database.db, tenantId, 'jsonl', 'test'))
      jsonl.push(line);
    expect(jsonl).toHaveLength(report.events);
    const cef: string[] = [];
    for await (const line of exportAuditEvents(h.ctx.database.db, tenantId, 'cef', 'test')) cef.push(line);
    expect(cef[0]).toMatch(/^CEF:0\|Bulwark\|Bulwark\|test\|/);
  });

  // Each mutation runs inside a transaction that is rolled back, so the next one starts clean.
  async function withMutation(
    mutate: (trx: import('kysely').Transaction<import('../../src/db/schema.ts').Database>) => Promise<void>,
  ) {
    await h.ctx.audit.sequenceAll();
    // The same kind of cut, now checked against the witness file in the key dir.
    let report: Awaited<ReturnType<typeof verify>> | undefined;
    await h.ctx.database.db
      .transaction()
      .execute(async (trx) => {
        await mutate(trx);
        report = await verifyAuditLog(trx, h.ctx.keyring, tenantId, h.ctx.audit.verifierFor(tenantId));
        throw new Error('rollback');
      })
      .catch((e) => {
        if ((e as Error).message !== 'rollback') throw e;
      });
    return report!;
  }

  it('names the index of an edited event', async () => {
    const r = await withMutation(async (trx) => {
      await sql`update audit_events set body = replace(body, '"outcome":"success"', '"outcome":"failure"') where tenant_id = ${tenantId} and leaf_index = 3`.execute(
        trx,
      );
    });
    expect(r.ok).toBe(false);
    expect(r.failure?.index).toBe(3);
  });

  it('names the index of a deleted event', async () => {
    const r = await withMutation(async (trx) => {
      await sql`delete from audit_events where tenant_id = ${tenantId} and leaf_index = 5`.execute(trx);
    });
    expect(r.failure?.index).toBe(5);
    expect(r.failure?.reason).toMatch(/missing/);
  });

  it('verifies across page boundaries and finds a deletion exactly at one', async () => {
    await h.ctx.audit.sequenceAll();
    const small = (db: Kysely<Database>) =>
      verifyAuditLog(db, h.ctx.keyring, tenantId, h.ctx.audit.verifierFor(tenantId), { pageSize: 3 });
    expect((await small(h.ctx.database.db)).ok).toBe(true);
    let report: Awaited<ReturnType<typeof verify>> | undefined;
    await withMutation(async (trx) => {
      await sql`delete from audit_events where tenant_id = ${tenantId} and leaf_index = 6`.execute(trx);
      report = await small(trx);
    });
    expect(report?.failure?.index).toBe(6);
  });

  it('names the first index of reordered events', async () => {
    const r = await withMutation(async (trx) => {
      await sql`update audit_events set leaf_index = -1 where tenant_id = ${tenantId} and leaf_index = 2`.execute(
        trx,
      );
      await sql`update audit_events set leaf_index = 2 where tenant_id = ${tenantId} and leaf_index = 4`.execute(
        trx,
      );
      await sql`update audit_events set leaf_index = 4 where tenant_id = ${tenantId} and leaf_index = -1`.execute(
        trx,
      );
    });
    expect(r.failure?.index).toBe(2);
  });

  it('detects an event appended outside the log', async () => {
    const r = await withMutation(async (trx) => {
      await sql`insert into audit_events (tenant_id, event_id, occurred_at, action, resource_type, outcome, body, body_mac)
        values (${tenantId}, gen_random_uuid(), now(), 'user.create', 'UserAccount', 'success', '{"forged":true}', '\\x00')`.execute(
        trx,
      );
    });
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toMatch(/appended outside the log/);
  });

  it('detects a forged checkpoint and a truncated tail', async () => {
    const forged = await withMutation(async (trx) => {
      await sql`update audit_checkpoints set note = replace(note, '—', '-') where tenant_id = ${tenantId}`.execute(
        trx,
      );
    });
    expect(forged.failure?.reason).toMatch(/signature/);
    const truncated = await withMutation(async (trx) => {
      await sql`delete from audit_events where tenant_id = ${tenantId} and leaf_index = (select max(leaf_index) from audit_events where tenant_id = ${tenantId})`.execute(
        trx,
      );
    });
    expect(truncated.ok).toBe(false);
  });

  it('detects a rollback of the newest events and checkpoints through the witness kept outside the database', async () => {
    await buildUser(h);
    await h.ctx.audit.sequenceAll();
    const witness = h.ctx.audit.readWitness(tenantId);
    expect(witness).toBeDefined();
    const checkpoints = await h.ctx.database.db
      .selectFrom('audit_checkpoints')
      .select('tree_size')
      .where('tenant_id', '=', tenantId)
      .orderBy('tree_size')
      .execute();
    const earlier = Number(checkpoints[0]!.tree_size);
    let withoutWitness: Awaited<ReturnType<typeof verify>> | undefined;
    const rolledBack = await withMutation(async (trx) => {
      // A careful database administrator: cut the tail, its checkpoints and the tree state consistently.
      await sql`delete from audit_events where tenant_id = ${tenantId} and (leaf_index >= ${earlier} or leaf_index is null)`.execute(
        trx,
      );
      await sql`delete from audit_checkpoints where tenant_id = ${tenantId} and tree_size > ${earlier}`.execute(
        trx,
      );
      await sql`update audit_trees set size = ${earlier} where tenant_id = ${tenantId}`.execute(trx);
      withoutWitness = await verifyAuditLog(trx, h.ctx.keyring, tenantId, h.ctx.audit.verifierFor(tenantId));
    });
    expect(withoutWitness?.ok).toBe(true); // the database alone cannot tell
    expect(rolledBack.ok).toBe(true); // withMutation verifies without a witness
    // The same kind of cut, now checked against the witness file in the key dir.
    let report: Awaited<ReturnType<typeof verify>> | undefined;
    await h.ctx.database.db
      .transaction()
      .execute(async (trx) => {
        await sql`delete from audit_checkpoints where tenant_id = ${tenantId} and tree_size = ${witness!.treeSize}`.execute(
          trx,
        );
        report = await verifyAuditLog(trx, h.ctx.keyring, tenantId, h.ctx.audit.verifierFor(tenantId), {
          witness,
        });
        throw new Error('rollback');
      })
      .catch(() => {});
    expect(report?.ok).toBe(false);
    expect(report?.failure?.reason).toMatch(/rolled back/);
    expect(
      (
        await verifyAuditLog(h.ctx.database.db, h.ctx.keyring, tenantId, h.ctx.audit.verifierFor(tenantId), {
          witness,
        })
      ).ok,
    ).toBe(true);
  });

  it('detects an edited event time', async () => {
    const r = await withMutation(async (trx) => {
      await sql`update audit_events set occurred_at = occurred_at - interval '1 day' where tenant_id = ${tenantId} and leaf_index = 6`.execute(
        trx,
      );
    });
    expect(r.failure?.index).toBe(6);
  });

  it('detects an edited searchable column', async () => {
    const r = await withMutation(async (trx) => {
      await sql`update audit_events set actor_user_id = null where tenant_id = ${tenantId} and leaf_index = 1`.execute(
        trx,
      );
    });
    expect(r.failure?.index).toBe(1);
  });

  it('CLI actor events record the channel', async () => {
    await h.ctx.users.createUser(systemActor(tenantId), {
      username: 'via-system',
      roles: ['agent'],
      teams: [],
      region: 'eu',
      password: 'a long enough passphrase here',
    });
    const ev = await h.ctx.audit.listEvents({ tenantId, action: 'user.create', limit: 500 });
    expect(ev.data.at(-1)?.details.channel).toBe('system');
  });
});
