import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luhnValid } from '../../src/modules/redaction/engine/validators.ts';
import { buildSignedInUser, buildUser, type SignedIn, signIn, systemActor } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
let tenantId: string;
beforeAll(async () => {
  h = await createHarness();
  tenantId = (await h.ctx.tenants.ensureDefault()).id;
});
afterAll(async () => h?.close());

/** A Luhn-valid PAN with the given prefix and length. */
function luhnPan(prefix: string, length = 16): string {
  let body = prefix;
  while (body.length < length - 1) body += String(Math.floor(Math.random() * 10));
  for (let c = 0; c < 10; c++) if (luhnValid(body + c)) return body + c;
  throw new Error('unreachable');
}

const tokenize = (who: { auth: { authorization: string } }, payload: Record<string, unknown>) =>
  h.app.inject({ method: 'POST', url: '/v1/tokens', headers: who.auth, payload });
const detokenize = (who: { auth: { authorization: string } }, payload: Record<string, unknown>) =>
  h.app.inject({ method: 'POST', url: '/v1/tokens/detokenize', headers: who.auth, payload });

/** A signed-in user holding the detokenize permission (granted before sign-in: grants revoke sessions). */
async function buildDetokenizer(h: Harness, tenant = tenantId, slug?: string): Promise<SignedIn> {
  const built = await buildUser(h, { roles: ['compliance_officer'], tenantId: tenant });
  await h.ctx.users.updateUser(systemActor(tenant), built.user.id, { permissions: ['detokenize'] });
  return signIn(h, built.user.username, built.password, slug);
}

async function auditBodies(action?: string): Promise<Array<Record<string, unknown>>> {
  let q = h.ctx.database.db.selectFrom('audit_events').select('body');
  if (action) q = q.where('action', '=', action);
  const rows = await q.orderBy('id').execute();
  return rows.map((r) => JSON.parse(r.body) as Record<string, unknown>);
}

describe('tokenize over HTTP', () => {
  it('random PAN tokens keep length and last four, are Luhn-invalid and round-trip', async () => {
    const agent = await buildSignedInUser(h, { roles: ['agent'] });
    const pan = luhnPan('411111');
    const res = await tokenize(agent, { value: pan, type: 'PAN' });
    expect(res.statusCode).toBe(201);
    const { token, expiresAt } = res.json();
    expect(expiresAt).toBeNull();
    expect(token).toHaveLength(16);
    expect(token.slice(-4)).toBe(pan.slice(-4));
    expect(token).not.toBe(pan);
    expect(luhnValid(token)).toBe(false);
    expect(res.body).not.toContain(pan);
    const dt = await buildDetokenizer(h);
    const back = await detokenize(dt, { token, purpose: 'chargeback 4411' });
    expect(back.statusCode).toBe(200);
    expect(back.json()).toEqual({ value: pan, type: 'PAN' });
  });

  it('random PAN tokens are Luhn-invalid for many PANs (property, through the service)', async () => {
    const actor = systemActor(tenantId);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 13, max: 19 }),
        fc.constantFrom('4', '51', '37', '6011'),
        async (n, p) => {
          const pan = luhnPan(p, n);
          const { token } = await h.ctx.tokens.tokenize(actor, { value: pan, type: 'PAN' });
          expect(token).toHaveLength(n);
          expect(token.slice(-4)).toBe(pan.slice(-4));
          expect(luhnValid(token)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('FF1 tokens are format-preserving, stable and round-trip', async () => {
    const agent = await buildSignedInUser(h, { roles: ['agent'] });
    const pan = luhnPan('545454');
    const a = (await tokenize(agent, { value: pan, type: 'PAN', mode: 'ff1' })).json();
    const b = (await tokenize(agent, { value: pan, type: 'PAN', mode: 'ff1' })).json();
    expect(a.token).toMatch(/^\d{16}$/);
    expect(a.token.slice(-4)).toBe(pan.slice(-4));
    expect(a.token).not.toBe(pan);
    expect(b.token).toBe(a.token);
    const dt = await buildDetokenizer(h);
    expect((await detokenize(dt, { token: a.token, purpose: 'dispute review' })).json()).toEqual({
      value: pan,
      type: 'PAN',
    });
    // FF1 below the Rev.1 domain floor is refused clearly.
    const short = await tokenize(agent, { value: '12345', type: 'BANK_ACCOUNT', mode: 'ff1' });
    expect(short.statusCode).toBe(422);
    expect(short.json().detail).toMatch(/at least 6 digits/);
  });

  it('deterministic tokens are equal within a tenant and differ across tenants', async () => {
    const pan = luhnPan('400000');
    const agent = await buildSignedInUser(h, { roles: ['agent'] });
    const first = (await tokenize(agent, { value: pan, type: 'PAN', deterministic: true })).json().token;
    const again = (await tokenize(agent, { value: pan, type: 'PAN', deterministic: true })).json().token;
    // Spaces between groups do not change the card.
    const spaced = pan.replace(/(\d{4})(?=\d)/g, '$1 ');
    const third = (await tokenize(agent, { value: spaced, type: 'PAN', deterministic: true })).json().token;
    const random = (await tokenize(agent, { value: pan, type: 'PAN' })).json().token;
    expect(again).toBe(first);
    expect(third).toBe(first);
    expect(random).not.toBe(first);

    const other = await h.ctx.tenants.create('tokens-other', 'Other tenant');
    const otherActor = systemActor(other.id);
    const elsewhere = await h.ctx.tokens.tokenize(otherActor, {
      value: pan,
      type: 'PAN',
      deterministic: true,
    });
    expect(elsewhere.token).not.toBe(first);
    const ff1Here = await h.ctx.tokens.tokenize(systemActor(tenantId), {
      value: pan,
      type: 'PAN',
      mode: 'ff1',
    });
    const ff1There = await h.ctx.tokens.tokenize(otherActor, { value: pan, type: 'PAN', mode: 'ff1' });
    expect(ff1There.token).not.toBe(ff1Here.token);

    // A token of another tenant is never found, even by a permitted user there.
    const foreign = await buildDetokenizer(h, other.id, 'tokens-other');
    const res = await detokenize(foreign, { token: first, purpose: 'cross-tenant probe' });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain(pan);
  });

  it('concurrent first tokenizations of one value give one deterministic token and one row', async () => {
    const actor = systemActor(tenantId);
    for (const mode of ['random', 'ff1'] as const) {
      const pan = luhnPan('510510');
      const results = await Promise.all(
        Array.from({ length: 12 }, () =>
          h.ctx.tokens.tokenize(actor, { value: pan, type: 'PAN', mode, deterministic: true }),
        ),
      );
      expect(new Set(results.map((r) => r.token)).size).toBe(1);
      const rows = await h.ctx.database.db
        .selectFrom('token_vault')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('token', '=', results[0]!.token)
        .executeTakeFirstOrThrow();
      expect(rows.n).toBe(1);
    }
  });

  it('TTL: an expired token is refused with 404', async () => {
    const agent = await buildSignedInUser(h, { roles: ['agent'] });
    const res = await tokenize(agent, { value: luhnPan('371449', 15), type: 'PAN', ttlSeconds: 60 });
    expect(res.statusCode).toBe(201);
    const { token, expiresAt } = res.json();
    expect(new Date(expiresAt).getTime()).toBe(h.clock.now().getTime() + 60_000);
    const dt = await buildDetokenizer(h); // advances the clock 30 s
    expect((await detokenize(dt, { token, purpose: 'before expiry' })).statusCode).toBe(200);
    h.clock.advance(31_000);
    const gone = await detokenize(dt, { token, purpose: 'after expiry' });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe('NOT_FOUND');
    expect((await detokenize(dt, { token: '0000000000000000', purpose: 'unknown token' })).statusCode).toBe(
      404,
    );
  });

  it('CVV and PIN can never be tokenized (PCI DSS 3.3.1); bad PANs are 422', async () => {
    const agent = await buildSignedInUser(h, { roles: ['agent'] });
    for (const type of ['CVV', 'PIN']) {
      const res = await tokenize(agent, { value: '123', type });
      expect(res.statusCode, type).toBe(422);
      expect(res.json().detail).toMatch(/never be tokenized.*PCI DSS 3\.3\.1/);
      expect(res.body).not.toContain('"123"');
    }
    expect((await tokenize(agent, { value: '4111', type: 'PAN' })).statusCode).toBe(422);
    expect((await tokenize(agent, { value: 'x', type: 'NOT_A_TYPE' })).statusCode).toBe(422);
    const rows = await h.ctx.database.db.selectFrom('token_vault').select('entity_type').execute();
    expect(rows.some((r) => r.entity_type === 'CVV' || r.entity_type === 'PIN')).toBe(false);
  });
});

describe('detokenize authorization', () => {
  it('allows permission + fresh MFA + purpose; denies each missing piece', async () => {
    const agent = await buildSignedInUser(h, { roles: ['agent'] });
    const pan = luhnPan('601100');
    const { token } = (await tokenize(agent, { value: pan, type: 'PAN' })).json();

    // No permission: every role, even it_admin or a compliance officer, is denied.
    for (const roles of [['agent'], ['it_admin'], ['compliance_officer']] as const) {
      const u = await buildSignedInUser(h, { roles: [...roles] });
      const res = await detokenize(u, { token, purpose: 'no permission' });
      expect(res.statusCode, roles.join()).toBe(403);
      expect(res.body).not.toContain(pan);
    }

    const dt = await buildDetokenizer(h);
    // Purpose is required and 3 to 200 characters.
    for (const purpose of [undefined, '', 'ab', 'x'.repeat(201)])
      expect((await detokenize(dt, { token, purpose })).statusCode, String(purpose)).toBe(422);
    expect((await detokenize(dt, { token, purpose: 'fraud case 17' })).statusCode).toBe(200);

    // MFA older than 15 minutes (the session stays alive by being used within its idle window).
    h.clock.advance(10 * 60_000);
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: dt.auth })).statusCode).toBe(200);
    h.clock.advance(6 * 60_000);
    const stale = await detokenize(dt, { token, purpose: 'fraud case 17' });
    expect(stale.statusCode).toBe(403);
    expect(stale.json()).toMatchObject({ code: 'FORBIDDEN', reason: 'mfa_stale' });
    expect(stale.json().detail).toMatch(/sign in again/);
    expect(stale.body).not.toContain(pan);

    // Revoking the permission takes effect (it also ends the holder's sessions).
    const holder = await buildUser(h, { roles: ['agent'] });
    await h.ctx.users.updateUser(systemActor(tenantId), holder.user.id, { permissions: ['detokenize'] });
    const session = await signIn(h, holder.user.username, holder.password);
    expect((await detokenize(session, { token, purpose: 'still allowed' })).statusCode).toBe(200);
    await h.ctx.users.updateUser(systemActor(tenantId), holder.user.id, { permissions: [] });
    // The session opened under the grant ended with it.
    expect((await detokenize(session, { token, purpose: 'after revoke' })).statusCode).toBe(401);
  });

  it('it_admin grants the permission over PATCH /v1/users/:id, audited before/after; unknown ones are 422', async () => {
    const admin = await buildSignedInUser(h, { roles: ['it_admin'] });
    const target = await buildUser(h, { roles: ['agent'] });
    const patch = (permissions: unknown) =>
      h.app.inject({
        method: 'PATCH',
        url: `/v1/users/${target.user.id}`,
        headers: admin.auth,
        payload: { permissions },
      });
    const ok = await patch(['detokenize']);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().permissions).toEqual(['detokenize']);
    expect((await patch(['superuser'])).statusCode).toBe(422);
    const events = (await auditBodies('user.update')).filter(
      (e) => (e.resource as { id: string }).id === target.user.id,
    );
    expect(events.at(-1)?.details).toMatchObject({ permissionsBefore: '', permissionsAfter: 'detokenize' });
    await expect(
      h.ctx.users.updateUser(systemActor(tenantId), target.user.id, { permissions: ['root'] }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('audit and secrecy', () => {
  it('token.create and token.detokenize are audited with purpose and without the value', async () => {
    const agent = await buildSignedInUser(h, { roles: ['agent'] });
    const pan = luhnPan('522222');
    const { token } = (await tokenize(agent, { value: pan, type: 'PAN', metadata: { call: 'c-1' } })).json();
    const dt = await buildDetokenizer(h);
    expect((await detokenize(dt, { token, purpose: 'refund ticket 991' })).statusCode).toBe(200);

    const row = await h.ctx.database.db
      .selectFrom('token_vault')
      .select(['id', 'metadata'])
      .where('token', '=', token)
      .executeTakeFirstOrThrow();
    expect(row.metadata).toEqual({ call: 'c-1' });
    const creates = (await auditBodies('token.create')).filter(
      (e) => (e.resource as { id: string }).id === row.id,
    );
    expect(creates).toHaveLength(1);
    expect(creates[0]).toMatchObject({ outcome: 'success', details: { kind: 'random', entityType: 'PAN' } });
    const reads = (await auditBodies('token.detokenize')).filter(
      (e) => (e.resource as { id: string }).id === row.id,
    );
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ outcome: 'success', purpose: 'refund ticket 991' });
    const authz = (await auditBodies('authz.token.detokenize')).filter(
      (e) => e.purpose === 'refund ticket 991',
    );
    expect(authz).toMatchObject([{ outcome: 'allow', policies: ['detokenize-permitted'] }]);
    for (const e of [...creates, ...reads, ...authz]) expect(JSON.stringify(e)).not.toContain(pan);
  });

  it('fails closed: if the audit append fails, detokenize reveals nothing', async () => {
    const pan = luhnPan('455555');
    const { token } = await h.ctx.tokens.tokenize(systemActor(tenantId), { value: pan, type: 'PAN' });
    const dt = await buildDetokenizer(h);
    const db = h.ctx.database.db;
    await sql`create or replace function bulwark_test_fail() returns trigger language plpgsql as $$ begin raise exception 'audit store unavailable'; end $$`.execute(
      db,
    );
    await sql`create trigger bulwark_test_fail before insert on audit_events for each row execute function bulwark_test_fail()`.execute(
      db,
    );
    try {
      const res = await detokenize(dt, { token, purpose: 'while audit is down' });
      expect(res.statusCode).toBe(503);
      expect(res.body).not.toContain(pan);
      let revealed: unknown;
      await expect(
        h.ctx.tokens.detokenize(systemActor(tenantId), { token, purpose: 'service level' }).then((r) => {
          revealed = r;
        }),
      ).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(revealed).toBeUndefined();
      // Tokenizing is a write that matters too: nothing is stored without its audit event.
      const before = await db
        .selectFrom('token_vault')
        .select(db.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      await expect(
        h.ctx.tokens.tokenize(systemActor(tenantId), { value: pan, type: 'PAN' }),
      ).rejects.toThrow();
      const after = await db
        .selectFrom('token_vault')
        .select(db.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    } finally {
      await sql`drop trigger bulwark_test_fail on audit_events`.execute(db);
    }
    expect((await detokenize(dt, { token, purpose: 'audit is back' })).json()).toEqual({
      value: pan,
      type: 'PAN',
    });
  });

  it('canary: the planted PAN never appears in logs, audit events or the vault table', async () => {
    const canary = luhnPan('499999');
    const agent = await buildSignedInUser(h, { roles: ['agent'] });
    const dt = await buildDetokenizer(h);
    const tokens: string[] = [];
    for (const body of [
      { value: canary, type: 'PAN' },
      { value: canary, type: 'PAN', deterministic: true },
      { value: canary, type: 'PAN', mode: 'ff1' },
      { value: canary.replace(/(\d{4})(?=\d)/g, '$1-'), type: 'PAN', ttlSeconds: 3600 },
    ]) {
      const res = await tokenize(agent, body);
      expect(res.statusCode).toBe(201);
      tokens.push(res.json().token);
    }
    for (const token of tokens) {
      const res = await detokenize(dt, { token, purpose: 'canary scan' });
      expect(res.statusCode).toBe(200);
    }
    await detokenize(agent, { token: tokens[0], purpose: 'denied canary read' });
    await tokenize(agent, { value: canary, type: 'CVV' });
    await h.ctx.audit.sequenceAll();

    const hidden = canary.slice(0, -4); // what a token must not reveal
    const logs = h.logs.join('');
    expect(logs).not.toContain(canary);
    expect(logs).not.toContain(hidden);
    const audit = (await auditBodies()).map((e) => JSON.stringify(e)).join('\n');
    expect(audit).not.toContain(canary);
    expect(audit).not.toContain(hidden);
    const vault = await sql<{ row: string }>`select t::text as row from token_vault t`.execute(
      h.ctx.database.db,
    );
    const dump = vault.rows.map((r) => r.row).join('\n');
    expect(dump).not.toContain(canary);
    expect(dump).not.toContain(hidden);
    expect(dump).not.toContain(canary.replace(/(\d{4})(?=\d)/g, '$1-'));
  });
});
