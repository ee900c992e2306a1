/**
 * The recording vault with its KEKs in a real (software) HSM: SoftHSM2 through PKCS#11. Ingest,
 * playback, KEK rotation with the minimum decryption version, and crypto-shredding, as with the
 * local keystore. SoftHSM2 missing fails these tests (CI installs it), it never skips them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyShreddedError } from '../../src/modules/keys/envelope.ts';
import { buildSignedInUser, systemActor } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';
import { makeSoftHsmToken, SOFTHSM_LIBRARY, type SoftHsmToken } from '../support/softhsm.ts';

let h: Harness;
let token: SoftHsmToken;

beforeAll(async () => {
  token = makeSoftHsmToken('bulwark-vault', '2468');
  h = await createHarness({
    BULWARK_KEK_PROVIDER: 'pkcs11',
    BULWARK_PKCS11_LIBRARY: SOFTHSM_LIBRARY,
    BULWARK_PKCS11_TOKEN_LABEL: token.label,
    BULWARK_PKCS11_PIN: token.pin,
  });
});
afterAll(async () => {
  await h?.close();
  if (token) fs.rmSync(token.dir, { recursive: true, force: true });
});

describe('recording vault on a PKCS#11 HSM (SoftHSM2)', () => {
  it('wraps data keys in the HSM, plays back, rotates, retires and shreds', async () => {
    const tenantId = (await h.ctx.tenants.ensureDefault()).id;
    const admin = await buildSignedInUser(h, { roles: ['it_admin'] });
    const qa = await buildSignedInUser(h, { roles: ['qa_analyst'], teams: ['HSM team'] });
    const body = randomBytes(100_000);
    const up = await h.app.inject({
      method: 'POST',
      url: `/v1/recordings?callId=hsm-1&agent=a1&team=HSM%20team&region=eu&startedAt=${new Date().toISOString()}`,
      headers: { ...admin.auth, 'content-type': 'audio/wav' },
      payload: body,
    });
    expect(up.statusCode, up.body).toBe(201);
    const id = up.json().id;
    const key = await h.ctx.database.db
      .selectFrom('recording_keys')
      .selectAll()
      .where('recording_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(key.provider).toBe('pkcs11');

    const play = () =>
      h.app.inject({
        method: 'GET',
        url: `/v1/recordings/${id}/content?purpose=qa%20check`,
        headers: qa.auth,
      });
    expect((await play()).rawPayload.equals(body)).toBe(true);

    const rotated = await h.ctx.dataKeys.rotate(systemActor(tenantId));
    expect(rotated).toMatchObject({ targetVersion: 2, rewrapped: 1, failed: [] });
    await h.ctx.dataKeys.setMinDecryptVersion(systemActor(tenantId), 2);
    const status = await h.ctx.dataKeys.status();
    expect(status).toMatchObject({ provider: 'pkcs11', minDecryptVersion: 2 });
    expect(status.versions.map((v) => [v.version, v.dataKeys])).toEqual([
      [1, 0],
      [2, 1],
    ]);
    expect((await play()).rawPayload.equals(body)).toBe(true);

    await h.ctx.recordings.remove(systemActor(tenantId), id, { kind: 'request', purpose: 'erasure test' });
    await expect(h.ctx.dataKeys.open(tenantId, id, 1)).rejects.toBeInstanceOf(KeyShreddedError);
    expect((await play()).statusCode).toBe(410);
  });
});
