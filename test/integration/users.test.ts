import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPrincipal } from '../../src/modules/identity/auth.service.ts';
import { type BuiltUser, buildSignedInUser, buildUser, systemActor } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.close());

describe('user administration over HTTP', () => {
  it('it_admin creates a user who must change the password; others may not', async () => {
    const admin = await buildSignedInUser(h, { roles: ['it_admin'] });
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: admin.auth,
      payload: {
        username: 'new-qa',
        roles: ['qa_analyst'],
        teams: ['Green'],
        region: 'eu',
        password: 'initial passphrase for new qa',
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      username: 'new-qa',
      roles: ['qa_analyst'],
      mustChangePassword: true,
      mfaEnrolled: false,
    });
    expect(created.body).not.toContain('initial passphrase');

    const agent = await buildSignedInUser(h, { roles: ['agent'] });
    const denied = await h.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: agent.auth,
      payload: {
        username: 'x-agent',
        roles: ['it_admin'],
        region: 'eu',
        password: 'initial passphrase for x agent',
      },
    });
    expect(denied.statusCode).toBe(403);
    expect(await h.ctx.users.getByUsername(agent.tenantId, 'x-agent')).toBeUndefined();

    const dup = await h.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: admin.auth,
      payload: { username: 'new-qa', roles: ['agent'], region: 'eu', password: 'another passphrase for dup' },
    });
    expect(dup.statusCode).toBe(409);
    const badRole = await h.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: admin.auth,
      payload: { username: 'bad-role', roles: ['root'], region: 'eu', password: 'another passphrase here' },
    });
    expect(badRole.statusCode).toBe(422);
    expect(badRole.json().errors[0].pointer).toMatch(/^\/body\/roles/);
  });

  it('role changes are audited and revoke the sessions opened under the old roles', async () => {
    const admin = await buildSignedInUser(h, { roles: ['it_admin'] });
    const target = await buildSignedInUser(h, { roles: ['agent'] });
    const r = await h.app.inject({
      method: 'PATCH',
      url: `/v1/users/${target.user.id}`,
      headers: admin.auth,
      payload: { roles: ['supervisor'], teams: ['Red'] },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().roles).toEqual(['supervisor']);
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: target.auth })).statusCode).toBe(401);
    const events = await h.ctx.audit.listEvents({
      tenantId: admin.tenantId,
      action: 'user.update',
      resourceId: target.user.id,
      limit: 5,
    });
    expect(events.data[0]?.details).toMatchObject({ rolesBefore: 'agent', rolesAfter: 'supervisor' });
  });

  it('nobody changes their own roles, and a disabled leaver can no longer sign in', async () => {
    const admin = await buildSignedInUser(h, { roles: ['it_admin'] });
    const self = await h.app.inject({
      method: 'PATCH',
      url: `/v1/users/${admin.user.id}`,
      headers: admin.auth,
      payload: { roles: ['it_admin', 'security_analyst'] },
    });
    expect(self.statusCode).toBe(403);
    const denial = await h.ctx.audit.listEvents({
      tenantId: admin.tenantId,
      actor: admin.user.id,
      action: 'authz.user.update',
      limit: 5,
    });
    expect(denial.data.at(-1)?.policies).toContain('no-self-privilege-change');

    const leaver = await buildSignedInUser(h, { roles: ['agent'] });
    const r = await h.app.inject({
      method: 'PATCH',
      url: `/v1/users/${leaver.user.id}`,
      headers: admin.auth,
      payload: { status: 'disabled' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().status).toBe('disabled');
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: leaver.auth })).statusCode).toBe(401);
    const login = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: leaver.user.username, password: leaver.password },
    });
    expect(login.statusCode).toBe(401);
    expect(login.json().code).toBe('INVALID_CREDENTIALS');
  });

  it('unlock over HTTP restores a locked account', async () => {
    const admin = await buildSignedInUser(h, { roles: ['it_admin'] });
    const { user, password } = await buildUser(h);
    for (let i = 0; i < 10; i++)
      await h.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { username: user.username, password: 'wrong wrong wrong' },
      });
    expect(
      (
        await h.app.inject({
          method: 'POST',
          url: '/v1/auth/login',
          payload: { username: user.username, password },
        })
      ).statusCode,
    ).toBe(423);
    expect(
      (await h.app.inject({ method: 'POST', url: `/v1/users/${user.id}/unlock`, headers: admin.auth }))
        .statusCode,
    ).toBe(204);
    expect(
      (
        await h.app.inject({
          method: 'POST',
          url: '/v1/auth/login',
          payload: { username: user.username, password },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('an agent cannot read another user, and probing unknown ids is a 403, not a 404', async () => {
    const agent = await buildSignedInUser(h, { roles: ['agent'] });
    const other = await buildUser(h);
    expect(
      (await h.app.inject({ method: 'GET', url: `/v1/users/${other.user.id}`, headers: agent.auth }))
        .statusCode,
    ).toBe(403);
    expect(
      (await h.app.inject({ method: 'GET', url: `/v1/users/${agent.user.id}`, headers: agent.auth }))
        .statusCode,
    ).toBe(200);
    expect(
      (
        await h.app.inject({
          method: 'GET',
          url: '/v1/users/00000000-0000-4000-8000-000000000000',
          headers: agent.auth,
        })
      ).statusCode,
    ).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/v1/users', headers: agent.auth })).statusCode).toBe(
      403,
    );
  });
});

describe('list scope in SQL equals the Cedar decisions', () => {
  it('for every caller and every user, listed ⇔ user.read allowed (differential)', async () => {
    const tenant = await h.ctx.tenants.create('diff-tenant', 'Differential');
    const teams = ['T1', 'T2', 'T3'];
    const population: BuiltUser[] = [];
    const roleSets = [
      ['agent'],
      ['supervisor'],
      ['it_admin'],
      ['qa_analyst'],
      ['supervisor', 'qa_analyst'],
      ['security_analyst'],
      ['executive'],
    ] as const;
    for (const roles of roleSets) {
      for (const teamSet of [[], ['T1'], ['T2', 'T3'], ['T1', 'T3']]) {
        population.push(
          await buildUser(h, {
            tenantId: tenant.id,
            roles: [...roles],
            teams: teamSet,
            username: `diff-${population.length + 1}`,
          }),
        );
      }
    }
    // A user of another tenant must never appear.
    await buildUser(h, { roles: ['agent'], teams: ['T1'] });
    const teamIds = new Map<string, string>();
    for (const u of population) for (const t of u.user.teams) teamIds.set(t.name, t.id);
    expect([...teamIds.keys()].sort()).toEqual(teams);

    for (const caller of population) {
      const principal = toPrincipal({
        tenantId: tenant.id,
        userId: caller.user.id,
        username: caller.user.username,
        roles: caller.user.roles,
        teams: caller.user.teams.map((t) => t.id),
        region: caller.user.region,
        sessionId: 's',
        sessionCreatedAt: new Date(),
        mfaAt: new Date(),
        mustChangePassword: false,
      });
      const context = {
        mfaAgeSeconds: 0,
        sessionAgeSeconds: 0,
        devicePosture: 'unknown' as const,
        aggregate: false,
        purpose: '',
      };
      const self = {
        type: 'UserAccount' as const,
        id: caller.user.id,
        tenantId: tenant.id,
        region: caller.user.region,
        teams: principal.teams,
      };
      const mayList = h.ctx.authorizer.authorize(principal, 'user.list', self, context).allowed;
      const listed = new Set<string>();
      if (mayList) {
        let cursor: string | undefined;
        do {
          const page = await h.ctx.users.listUsers(principal, { cursor, limit: 7 });
          for (const u of page.data) listed.add(u.id);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      }
      for (const target of population) {
        const allowed = h.ctx.authorizer.authorize(
          principal,
          'user.read',
          {
            type: 'UserAccount',
            id: target.user.id,
            tenantId: tenant.id,
            region: target.user.region,
            teams: target.user.teams.map((t) => t.id),
          },
          context,
        ).allowed;
        // Whoever may list sees exactly the users they may read; whoever may not list still reads themselves.
        if (mayList)
          expect(
            listed.has(target.user.id),
            `${caller.user.roles}/${caller.user.teams.map((t) => t.name)} -> ${target.user.username}`,
          ).toBe(allowed);
        else expect(allowed).toBe(target.user.id === caller.user.id);
      }
      expect(listed.size).toBeLessThanOrEqual(population.length);
    }
  });

  it('property: a supervisor never lists anyone outside their teams', async () => {
    const tenantId = (await h.ctx.tenants.ensureDefault()).id;
    const sup = await buildUser(h, { roles: ['supervisor'], teams: ['PropA'] });
    const principal = {
      id: sup.user.id,
      tenantId,
      roles: sup.user.roles,
      teams: sup.user.teams.map((t) => t.id),
      region: 'eu',
      cases: [],
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('PropA', 'PropB', 'PropC'), async (team) => {
        const u = await h.ctx.users.createUser(systemActor(tenantId), {
          username: `prop-${Math.random().toString(36).slice(2, 10)}`,
          roles: ['agent'],
          teams: [team],
          region: 'eu',
          password: 'property test passphrase ok',
        });
        const page = await h.ctx.users.listUsers(principal, { limit: 200 });
        const ids = new Set(page.data.map((x) => x.id));
        return ids.has(u.id) === (team === 'PropA');
      }),
      { numRuns: 8 },
    );
  });
});
