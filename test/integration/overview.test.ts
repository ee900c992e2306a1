import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedInUser, buildUser, systemActor } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  // Start at a fixed noon so the 14-day window and day buckets are predictable.
  h = await createHarness({ BULWARK_SESSION_IDLE_SECONDS: '3600', BULWARK_SESSION_MAX_SECONDS: '7200' });
  h.clock.set(new Date('2026-11-20T12:00:00Z'));
});
afterAll(async () => h?.close());

const get = (auth: { authorization: string }) =>
  h.app.inject({ method: 'GET', url: '/v1/overview/security', headers: auth });

/** An audit event at a given time, as the auth plugin writes a decision. */
async function decisionAt(tenantId: string, at: string, action: string, outcome: 'allow' | 'deny') {
  const now = h.clock.now();
  h.clock.set(new Date(at));
  try {
    await h.ctx.audit.appendNow({
      tenantId,
      action,
      outcome,
      actor: { userId: null },
      resource: { type: 'System', id: null },
    });
  } finally {
    h.clock.set(now);
  }
}

describe('GET /v1/overview/security', () => {
  it('security_analyst, compliance_officer and it_admin may read it; others may not', async () => {
    for (const role of ['security_analyst', 'compliance_officer', 'it_admin'] as const) {
      const u = await buildSignedInUser(h, { roles: [role] });
      expect((await get(u.auth)).statusCode, role).toBe(200);
    }
    for (const role of ['agent', 'supervisor', 'qa_analyst', 'executive', 'wfm_manager'] as const) {
      const u = await buildSignedInUser(h, { roles: [role] });
      const r = await get(u.auth);
      expect(r.statusCode, role).toBe(403);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  });

  it('counts MFA coverage, lockouts, sessions and passkeys of the tenant', async () => {
    const analyst = await buildSignedInUser(h, { roles: ['security_analyst'] });
    await buildUser(h); // never signed in: not enrolled
    const locked = await buildUser(h);
    for (let i = 0; i < 10; i++)
      await h.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { username: locked.user.username, password: 'wrong wrong wrong' },
      });
    const db = h.ctx.database.db;
    const count = async (q: string) =>
      Number((await sql<{ n: string }>`${sql.raw(q)}`.execute(db)).rows[0]!.n);
    const r = await get(analyst.auth);
    expect(r.statusCode).toBe(200);
    const o = r.json();
    const total = await count(`select count(*) as n from users where status = 'active'`);
    const enrolled = await count(
      `select count(*) as n from users where status = 'active' and totp_enrolled_at is not null`,
    );
    expect(o.mfa).toEqual({
      enrolled,
      total,
      coveragePercent: Math.round((enrolled * 1000) / total) / 10,
    });
    expect(enrolled).toBeLessThan(total);
    expect(o.lockedAccounts).toBe(1);
    expect(o.activeSessions).toBe(await count('select count(*) as n from sessions where revoked_at is null'));
    expect(o.passkeys).toBe(0);
    // Disabling a user ends their sessions: one fewer active session.
    await h.ctx.users.updateUser(systemActor(analyst.tenantId), analyst.user.id, { status: 'disabled' });
    const admin = await buildSignedInUser(h, { roles: ['it_admin'] });
    const after = (await get(admin.auth)).json();
    expect(after.activeSessions).toBe(o.activeSessions); // -1 analyst, +1 admin
    expect(after.mfa.total).toBe(total); // -1 disabled, +1 admin
  });

  it('per-day totals of detokenizations, playbacks and sign-in failures over 14 UTC days', async () => {
    const analyst = await buildSignedInUser(h, { roles: ['security_analyst'] });
    const t = analyst.tenantId;
    await decisionAt(t, '2026-11-20T00:00:00Z', 'authz.token.detokenize', 'allow');
    await decisionAt(t, '2026-11-19T23:59:59Z', 'authz.token.detokenize', 'deny');
    await decisionAt(t, '2026-11-19T08:00:00Z', 'authz.token.detokenize', 'deny');
    await decisionAt(t, '2026-11-07T01:00:00Z', 'authz.recording.play', 'allow'); // first day of the window
    await decisionAt(t, '2026-11-06T23:00:00Z', 'authz.recording.play', 'allow'); // outside it
    await decisionAt(t, '2026-11-10T10:00:00Z', 'authz.recording.play', 'deny');
    // A real refused detokenization (no permission) lands in today's deny count.
    const agent = await buildSignedInUser(h, { roles: ['agent'] });
    const refused = await h.app.inject({
      method: 'POST',
      url: '/v1/tokens/detokenize',
      headers: agent.auth,
      payload: { token: '8302945716201111', purpose: 'chargeback 4411' },
    });
    expect(refused.statusCode).toBe(403);

    const o = (await get(analyst.auth)).json();
    expect(o.perDay).toHaveLength(14);
    expect(o.perDay[0].day).toBe('2026-11-07');
    expect(o.perDay[13].day).toBe(h.clock.now().toISOString().slice(0, 10));
    const day = (d: string) => o.perDay.find((x: { day: string }) => x.day === d);
    expect(day('2026-11-20').detokenizations).toEqual({ allow: 1, deny: 1 });
    expect(day('2026-11-19').detokenizations).toEqual({ allow: 0, deny: 2 });
    expect(day('2026-11-07').recordingPlays).toEqual({ allow: 1, deny: 0 });
    expect(day('2026-11-10').recordingPlays).toEqual({ allow: 0, deny: 1 });
    expect(day('2026-11-12')).toEqual({
      day: '2026-11-12',
      detokenizations: { allow: 0, deny: 0 },
      recordingPlays: { allow: 0, deny: 0 },
      signInFailures: 0,
    });
    // The ten wrong passwords of the previous test, plus nothing else refused today.
    expect(day('2026-11-20').signInFailures).toBe(10);
  });

  it('reports the audit log: size, latest signed checkpoint, and a cached full verification', async () => {
    const analyst = await buildSignedInUser(h, { roles: ['security_analyst'] });
    await h.ctx.audit.sequenceAll();
    h.clock.advance(10 * 60_000); // past any earlier cached verification
    const o = (await get(analyst.auth)).json();
    const cp = await h.ctx.audit.latestCheckpoint(analyst.tenantId);
    expect(o.audit).toMatchObject({
      verified: true,
      verifiedAt: h.clock.now().toISOString(),
      failure: null,
      latestCheckpoint: { treeSize: cp!.treeSize, rootHash: cp!.rootHash, note: cp!.note },
    });
    expect(o.audit.size).toBe(cp!.treeSize);
    expect(o.audit.verifiedEvents).toBe(o.audit.size);

    // An event edited behind the log's back: seen once the cached result is older than 5 minutes.
    await sql`update audit_events set body = replace(body, '"outcome":"success"', '"outcome":"failure"')
      where tenant_id = ${analyst.tenantId} and leaf_index = 0`.execute(h.ctx.database.db);
    h.clock.advance(60_000);
    const cached = (await get(analyst.auth)).json();
    expect(cached.audit.verified).toBe(true);
    expect(cached.audit.verifiedAt).toBe(o.audit.verifiedAt);
    h.clock.advance(5 * 60_000);
    const fresh = (await get(analyst.auth)).json();
    expect(fresh.audit.verified).toBe(false);
    expect(fresh.audit.failure).toMatchObject({ index: 0 });
    expect(fresh.audit.failure.reason).toMatch(/edited/);
  });
});
