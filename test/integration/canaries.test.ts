import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedInUser, totpAt } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

// Planted secrets: none may appear in logs, error bodies, audit events or stored rows in plaintext.
const CANARY_PAN = '4111111111111111';
const CANARY_PASSWORD = `canary-${CANARY_PAN}-correct-horse`;
const CANARY_HEADER = 'canary-api-key-5500005555555559';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ BULWARK_LOG_LEVEL: 'trace' });
});
afterAll(async () => h?.close());

async function dumpDatabase(): Promise<string> {
  const tables = [
    'users',
    'sessions',
    'auth_challenges',
    'recovery_codes',
    'password_history',
    'audit_events',
    'audit_checkpoints',
    'teams',
    'tenants',
  ];
  let out = '';
  for (const t of tables) {
    const rows = await sql.raw(`select * from ${t}`).execute(h.ctx.database.db);
    out += JSON.stringify(rows.rows, (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
    );
  }
  return out;
}

describe('secrets never leak', () => {
  it('passwords, card numbers, tokens and TOTP secrets stay out of logs, errors, audit and storage', async () => {
    const responses: string[] = [];
    const u = await buildSignedInUser(h, { roles: ['security_analyst'] });
    // A card number typed into the username field, and as a password.
    responses.push(
      (
        await h.app.inject({
          method: 'POST',
          url: '/v1/auth/login',
          payload: { username: CANARY_PAN, password: CANARY_PASSWORD },
        })
      ).body,
    );
    responses.push(
      (
        await h.app.inject({
          method: 'POST',
          url: '/v1/auth/login',
          payload: { username: u.user.username, password: CANARY_PASSWORD },
        })
      ).body,
    );
    responses.push(
      (
        await h.app.inject({
          method: 'POST',
          url: '/v1/auth/login',
          payload: `{"username": "${CANARY_PAN}", "password": `,
          headers: { 'content-type': 'application/json' },
        })
      ).body,
    );
    responses.push(
      (
        await h.app.inject({
          method: 'GET',
          url: `/v1/users/${CANARY_PAN}`,
          headers: { ...u.auth, 'x-api-key': CANARY_HEADER },
        })
      ).body,
    );
    responses.push(
      (await h.app.inject({ method: 'GET', url: `/v1/audit/events?action=${CANARY_PAN}`, headers: u.auth }))
        .body,
    );
    // A password change with a canary new password: stored only as an Argon2 hash.
    const change = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/password',
      headers: u.auth,
      payload: { currentPassword: u.password, newPassword: CANARY_PASSWORD },
    });
    expect(change.statusCode).toBe(204);
    const login = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: u.user.username, password: CANARY_PASSWORD },
    });
    const mfa = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/mfa',
      payload: { challenge: login.json().challenge, code: totpAt(u.totpSecret, h.clock.now()) },
    });
    const token = mfa.json().token as string;
    const tokenSecret = token.split('.')[1]!;
    const challengeSecret = (login.json().challenge as string).split('.')[1]!;
    await h.ctx.audit.sequenceAll();

    const logs = h.logs.join('');
    const db = await dumpDatabase();
    const planted = [
      CANARY_PAN,
      CANARY_PASSWORD,
      CANARY_HEADER,
      u.password,
      u.totpSecret,
      tokenSecret,
      challengeSecret,
      u.token.split('.')[1]!,
      ...u.recoveryCodes,
    ];
    for (const secret of planted) {
      expect(logs, 'logs').not.toContain(secret);
      expect(db, 'database').not.toContain(secret);
      for (const body of responses) expect(body, 'error body').not.toContain(secret);
    }
    // The scan had something to scan: the rejected requests were logged (without their secrets).
    expect(logs).toContain('request rejected');
    expect(logs).toContain('"route":"/v1/users/:id"');
  });
});
