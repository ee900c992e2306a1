import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formerKeyDigest } from '../../src/modules/wfm/wfm-retention.ts';
import { type BuiltUser, buildSignedInUser, type SignedIn, systemActor } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

type Who = BuiltUser & SignedIn;

let h: Harness;
let tenantId: string;
let manager: Who;
let managerUs: Who;
let supervisor: Who;
let analyst: Who;
let agent: Who;
let itAdmin: Who;
let itManager: Who;
let exec: Who;

const HOME = '17 Canary Wharf Lane, Leeds LS1 4AP';
const HOME_US = '900 Canary Blvd, Austin TX';
const HOME_LEFT = '3 Leaver Canary Close, York';

const reveal = (who: Who, agentId: string, body: object = { purpose: 'payroll correction' }) =>
  h.app.inject({
    method: 'POST',
    url: `/v1/wfm/agents/${encodeURIComponent(agentId)}/home-address`,
    headers: who.auth,
    payload: body,
  });

async function addressEvents() {
  return h.ctx.database.db
    .selectFrom('audit_events')
    .select(['body', 'action', 'outcome'])
    .where('tenant_id', '=', tenantId)
    .where('action', '=', 'wfm.address.read')
    .orderBy('id')
    .execute();
}

beforeAll(async () => {
  h = await createHarness();
  tenantId = (await h.ctx.tenants.ensureDefault()).id;
  manager = await buildSignedInUser(h, { roles: ['wfm_manager'] });
  managerUs = await buildSignedInUser(h, { roles: ['wfm_manager'], region: 'us' });
  supervisor = await buildSignedInUser(h, { roles: ['supervisor'], teams: ['Team H'] });
  analyst = await buildSignedInUser(h, { roles: ['wfm_analyst'] });
  agent = await buildSignedInUser(h, { roles: ['agent'], teams: ['Team H'] });
  itAdmin = await buildSignedInUser(h, { roles: ['it_admin'] });
  itManager = await buildSignedInUser(h, { roles: ['it_admin', 'wfm_manager'] });
  exec = await buildSignedInUser(h, { roles: ['executive', 'wfm_manager'] });
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/wfm/imports?kind=agents',
    headers: { ...manager.auth, 'content-type': 'text/csv' },
    payload: [
      'agent_id,username,name,team,site,region,home_address',
      `H1,${agent.user.username},Hana Home,Team H,Leeds,eu,"${HOME}"`,
      `H2,,Noah Nohome,Team H,Leeds,eu,`,
      `H3,,Uma States,Team U,Austin,us,"${HOME_US}"`,
      `H4,,Leo Leaver,Team H,York,eu,"${HOME_LEFT}"`,
      '',
    ].join('\n'),
  });
  expect(res.statusCode, res.body).toBe(200);
  // H4 left and was pseudonymised (as the retention job does it).
  await h.ctx.database.db
    .updateTable('wfm_agents')
    .set({
      agent_id: 'former-test',
      name: 'former-test',
      home_address_enc: null,
      former_key_digest: formerKeyDigest(h.ctx.keyring, tenantId, 'H4'),
      pseudonymised_at: new Date(),
      status: 'left',
      left_at: new Date(),
    })
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', 'H4')
    .execute();
});

afterAll(async () => {
  await h?.close();
});

describe('home address: purpose-bound read', () => {
  it('gives a wfm_manager with a purpose the address the import encrypted, audited without it', async () => {
    const res = await reveal(manager, 'H1');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ agentId: 'H1', homeAddress: HOME });
    expect(res.headers['cache-control']).toBe('no-store');
    const stored = await h.ctx.database.db
      .selectFrom('wfm_agents')
      .select('home_address_enc')
      .where('tenant_id', '=', tenantId)
      .where('agent_id', '=', 'H1')
      .executeTakeFirstOrThrow();
    expect(stored.home_address_enc).not.toContain('Canary');
    const allowed = (await addressEvents()).filter((e) => e.outcome === 'allow');
    expect(allowed).toHaveLength(1);
    expect(allowed[0]!.body).toContain('payroll correction');
    expect(allowed[0]!.body).toContain('H1');
  });

  it('refuses a wfm_manager without a purpose (audited deny, reason no_purpose)', async () => {
    const before = (await addressEvents()).length;
    for (const body of [{}, { purpose: '' }, { purpose: '   ' }]) {
      const res = await reveal(manager, 'H1', body);
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().detail).toContain('purpose');
      expect(res.body).not.toContain('Canary');
    }
    const events = (await addressEvents()).slice(before);
    expect(events).toHaveLength(3);
    for (const e of events) {
      expect(e.outcome).toBe('deny');
      expect(e.body).toContain('no_purpose');
    }
    expect((await reveal(manager, 'H1', { purpose: 'x'.repeat(501) })).statusCode).toBe(422);
  });

  it('refuses every other role, including it_admin and executives who also hold wfm_manager', async () => {
    for (const who of [supervisor, analyst, agent, itAdmin, itManager, exec]) {
      const before = (await addressEvents()).length;
      const res = await reveal(who, 'H1');
      expect(res.statusCode, `${who.user.roles.join('+')}: ${res.body}`).toBe(403);
      expect(res.body).not.toContain('Canary');
      const events = (await addressEvents()).slice(before);
      expect(events.map((e) => e.outcome)).toEqual(['deny']);
    }
    // Unknown agents are refused the same way (no existence oracle for roles that may not read).
    expect((await reveal(supervisor, 'NOPE')).statusCode).toBe(403);
  });

  it('refuses another region without a transfer mechanism, allows it once one is recorded', async () => {
    const refused = await reveal(managerUs, 'H1');
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().code).toBe('TRANSFER_NOT_PERMITTED');
    expect(refused.body).not.toContain('Canary');
    const deny = (await addressEvents()).at(-1)!;
    expect(deny.outcome).toBe('deny');
    expect(deny.body).toContain('no_transfer_mechanism');
    const mech = await h.ctx.transfers.allow(systemActor(tenantId), {
      from: 'eu',
      to: 'us',
      mechanism: 'scc',
    });
    const allowed = await reveal(managerUs, 'H1');
    expect(allowed.statusCode, allowed.body).toBe(200);
    expect(allowed.json().homeAddress).toBe(HOME);
    expect((await addressEvents()).at(-1)!.body).toContain('scc');
    await h.ctx.transfers.revoke(systemActor(tenantId), { id: mech.id });
    expect((await reveal(managerUs, 'H1')).statusCode).toBe(403);
    // The eu manager reading the us agent needs a us -> eu mechanism.
    expect((await reveal(manager, 'H3')).json().code).toBe('TRANSFER_NOT_PERMITTED');
  });

  it('404 for an unknown agent or one without an address; 410 for a pseudonymised leaver', async () => {
    const unknown = await reveal(manager, 'NOPE');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().detail).toContain('agent id');
    const none = await reveal(manager, 'H2');
    expect(none.statusCode).toBe(404);
    expect(none.json().detail).toContain('No home address');
    const gone = await reveal(manager, 'H4');
    expect(gone.statusCode, gone.body).toBe(410);
    expect(gone.json().detail).toContain('pseudonymised');
    // The former id is not written back into the audit log.
    expect((await addressEvents()).at(-1)!.body).not.toContain('"H4"');
  });

  it('fails closed when the audit log cannot record the read', async () => {
    const db = h.ctx.database.db;
    await sql`create or replace function bulwark_test_fail() returns trigger language plpgsql as $$ begin raise exception 'audit store unavailable'; end $$`.execute(
      db,
    );
    await sql`create trigger bulwark_test_fail before insert on audit_events for each row execute function bulwark_test_fail()`.execute(
      db,
    );
    try {
      const res = await reveal(manager, 'H1');
      expect(res.statusCode).toBe(503);
      expect(res.body).not.toContain('Canary');
    } finally {
      await sql`drop trigger bulwark_test_fail on audit_events`.execute(db);
    }
  });

  it('never writes an address to the logs or the audit log', async () => {
    for (const e of await h.ctx.database.db
      .selectFrom('audit_events')
      .select('body')
      .where('tenant_id', '=', tenantId)
      .execute()) {
      for (const canary of [HOME, HOME_US, HOME_LEFT, 'Canary']) expect(e.body).not.toContain(canary);
    }
    for (const line of h.logs) expect(line).not.toContain('Canary');
  });
});
