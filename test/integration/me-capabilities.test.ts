import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedInUser } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ BULWARK_SESSION_IDLE_SECONDS: '3600' });
});
afterAll(async () => h?.close());

describe('GET /v1/me capabilities', () => {
  it('lists the screens the policies allow, keeps the other fields, and writes no audit event', async () => {
    const admin = await buildSignedInUser(h, { roles: ['it_admin'] });
    const count = async () =>
      Number(
        (
          await h.ctx.database.db
            .selectFrom('audit_events')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const me = await h.app.inject({ method: 'GET', url: '/v1/me', headers: admin.auth });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      id: admin.user.id,
      roles: ['it_admin'],
      passwordChangeRequired: false,
      capabilities: [
        'overview',
        'audit-checkpoint',
        'users',
        'redaction',
        'keys',
        'processing-record',
        'transfers',
        'wfm-retention',
      ],
    });
    expect(await count()).toBe(before);
  });

  it('a QA analyst gets recordings and redaction; stale MFA does not hide screens', async () => {
    const qa = await buildSignedInUser(h, { roles: ['qa_analyst'], teams: ['QA Team'] });
    h.clock.advance(20 * 60_000);
    const me = await h.app.inject({ method: 'GET', url: '/v1/me', headers: qa.auth });
    expect(me.json().capabilities).toEqual(['redaction', 'recordings']);
  });
});
