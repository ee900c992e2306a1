import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PURGE_JOB, schedulePurge, vaultJobHandlers } from '../../src/jobs/vault-jobs.ts';
import { KeyShreddedError } from '../../src/modules/keys/envelope.ts';
import { buildSignedInUser, systemActor } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

type Who = { auth: { authorization: string }; user: { id: string } };

let h: Harness;
let tenantId: string;
let admin: Who;
let qaA: Who;
let qaB: Who;
let compliance: Who;
let security: Who;
let agent: Who;

const BODY = Buffer.concat([
  Buffer.from('RIFF....WAVEfmt '),
  randomBytes(200_000),
  Buffer.from('CANARY-AUDIO-PATTERN-7f3a9c'),
  randomBytes(40_000),
]);
const CUSTOMER_REF = 'CUST-REF-93817462';

beforeAll(async () => {
  // Long idle timeout so the stale-MFA case can move the clock without the session expiring.
  h = await createHarness({ BULWARK_SESSION_IDLE_SECONDS: '7200', BULWARK_SESSION_MAX_SECONDS: '43200' });
  tenantId = (await h.ctx.tenants.ensureDefault()).id;
  admin = await buildSignedInUser(h, { roles: ['it_admin'] });
  qaA = await buildSignedInUser(h, { roles: ['qa_analyst'], teams: ['Team A'] });
  qaB = await buildSignedInUser(h, { roles: ['qa_analyst'], teams: ['Team B'] });
  compliance = await buildSignedInUser(h, { roles: ['compliance_officer'] });
  security = await buildSignedInUser(h, { roles: ['security_analyst'] });
  agent = await buildSignedInUser(h, { roles: ['agent'], teams: ['Team A'] });
});
afterAll(async () => h?.close());

async function ingest(
  body: Buffer,
  query: Record<string, string> = {},
  who: Who = admin,
  headers: Record<string, string> = {},
) {
  const q = new URLSearchParams({
    callId: `call-${randomBytes(4).toString('hex')}`,
    agent: 'agent.smith',
    team: 'Team A',
    region: 'eu',
    startedAt: new Date().toISOString(),
    ...query,
  });
  return h.app.inject({
    method: 'POST',
    url: `/v1/recordings?${q}`,
    headers: { ...who.auth, 'content-type': 'audio/wav', ...headers },
    payload: body,
  });
}

const play = (who: Who, id: string, headers: Record<string, string> = {}, purpose = 'quality review') =>
  h.app.inject({
    method: 'GET',
    url: `/v1/recordings/${id}/content?purpose=${encodeURIComponent(purpose)}`,
    headers: { ...who.auth, ...headers },
  });

describe('recording vault over HTTP', () => {
  let id: string;

  it('ingests a streamed upload, encrypted at rest, and answers the uploader with ids only', async () => {
    const res = await ingest(BODY, {}, admin, { 'bulwark-customer-ref': CUSTOMER_REF });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(Object.keys(created).sort()).toEqual(['bytes', 'createdAt', 'id', 'status']);
    expect(created.bytes).toBe(BODY.length);
    id = created.id;
    const row = await h.ctx.database.db
      .selectFrom('recordings')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.customer_ref_token).not.toContain(CUSTOMER_REF);
    const blob = fs.readFileSync(path.join(h.config.recordings.blobDir, row.blob_key));
    expect(blob.length).toBe(row.ciphertext_bytes);
    expect(blob.includes(Buffer.from('CANARY-AUDIO-PATTERN'))).toBe(false);
    expect(blob.includes(BODY.subarray(20, 60))).toBe(false);
  });

  it('plays the whole recording and any single Range to a QA analyst of the team', async () => {
    const full = await play(qaA, id);
    expect(full.statusCode, full.body).toBe(200);
    expect(full.headers['accept-ranges']).toBe('bytes');
    expect(full.rawPayload.equals(BODY)).toBe(true);

    const mid = await play(qaA, id, { range: 'bytes=16380-50000' });
    expect(mid.statusCode).toBe(206);
    expect(mid.headers['content-range']).toBe(`bytes 16380-50000/${BODY.length}`);
    expect(mid.rawPayload.equals(BODY.subarray(16380, 50001))).toBe(true);

    const suffix = await play(qaA, id, { range: 'bytes=-100' });
    expect(suffix.statusCode).toBe(206);
    expect(suffix.rawPayload.equals(BODY.subarray(BODY.length - 100))).toBe(true);

    const open = await play(qaA, id, { range: `bytes=${BODY.length - 10}-` });
    expect(open.rawPayload.equals(BODY.subarray(BODY.length - 10))).toBe(true);

    const bad = await play(qaA, id, { range: `bytes=${BODY.length}-` });
    expect(bad.statusCode).toBe(416);
    expect(bad.headers['content-range']).toBe(`bytes */${BODY.length}`);
    expect((await play(qaA, id, { range: 'bytes=0-1,5-6' })).statusCode).toBe(416);
  });

  it('requires a purpose and records it with the decision in the audit log', async () => {
    const none = await h.app.inject({
      method: 'GET',
      url: `/v1/recordings/${id}/content`,
      headers: qaA.auth,
    });
    expect(none.statusCode).toBe(422);
    await play(qaA, id, {}, 'coaching session 42');
    const events = await h.ctx.database.db
      .selectFrom('audit_events')
      .select('body')
      .where('action', '=', 'authz.recording.play')
      .where('resource_id', '=', id)
      .execute();
    const bodies = events.map((e) => JSON.parse(e.body));
    expect(bodies.some((b) => b.purpose === 'coaching session 42' && b.outcome === 'allow')).toBe(true);
    expect(bodies.every((b) => b.policies.length > 0)).toBe(true);
  });

  it('refuses playback outside scope: other team, it_admin, agents; download is separate', async () => {
    expect((await play(qaB, id)).statusCode).toBe(403);
    expect((await play(admin, id)).statusCode).toBe(403);
    expect((await play(agent, id)).statusCode).toBe(403);
    expect((await play(compliance, id)).statusCode).toBe(403);
    const dl = await h.app.inject({
      method: 'GET',
      url: `/v1/recordings/${id}/download?purpose=export`,
      headers: qaA.auth,
    });
    expect(dl.statusCode).toBe(403);
    const meta = await h.app.inject({ method: 'GET', url: `/v1/recordings/${id}`, headers: admin.auth });
    expect(meta.statusCode).toBe(403);
  });

  it("lists only the caller's scope, with keyset pagination; it_admin may not list", async () => {
    for (let i = 0; i < 3; i++)
      expect(
        (
          await ingest(randomBytes(1000), {
            startedAt: new Date(Date.now() - (i + 1) * 60_000).toISOString(),
          })
        ).statusCode,
      ).toBe(201);
    expect((await ingest(randomBytes(1000), { team: 'Team B' })).statusCode).toBe(201);
    const first = await h.app.inject({ method: 'GET', url: '/v1/recordings?limit=2', headers: qaA.auth });
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.items).toHaveLength(2);
    const second = await h.app.inject({
      method: 'GET',
      url: `/v1/recordings?limit=10&cursor=${page1.nextCursor}`,
      headers: qaA.auth,
    });
    const all = [...page1.items, ...second.json().items];
    expect(all).toHaveLength(4);
    expect(all.every((r: { team: { name: string } }) => r.team.name === 'Team A')).toBe(true);
    expect(new Set(all.map((r: { id: string }) => r.id)).size).toBe(4);
    const b = await h.app.inject({ method: 'GET', url: '/v1/recordings', headers: qaB.auth });
    expect(b.json().items).toHaveLength(1);
    expect(
      (await h.app.inject({ method: 'GET', url: '/v1/recordings', headers: admin.auth })).statusCode,
    ).toBe(403);
    expect(
      (await h.app.inject({ method: 'GET', url: '/v1/recordings', headers: agent.auth })).statusCode,
    ).toBe(403);
    const meta = await h.app.inject({ method: 'GET', url: `/v1/recordings/${id}`, headers: qaA.auth });
    expect(meta.json().customerRef).toMatch(/^tok_/);
    expect(meta.body).not.toContain(CUSTOMER_REF);
  });

  it('gives compliance officers access through an assigned case only while it is open', async () => {
    const opened = await h.app.inject({
      method: 'POST',
      url: '/v1/cases',
      headers: compliance.auth,
      payload: { title: 'INV-2026-0042', assigneeUserId: compliance.user.id },
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const caseId = opened.json().id;
    expect((await play(compliance, id)).statusCode).toBe(403);
    const linked = await h.app.inject({
      method: 'POST',
      url: `/v1/cases/${caseId}/recordings`,
      headers: compliance.auth,
      payload: { recordingIds: [id], purpose: 'complaint investigation' },
    });
    expect(linked.statusCode, linked.body).toBe(200);
    expect((await play(compliance, id)).statusCode).toBe(200);
    const dl = await h.app.inject({
      method: 'GET',
      url: `/v1/recordings/${id}/download?purpose=evidence%20export`,
      headers: compliance.auth,
    });
    expect(dl.statusCode).toBe(200);
    expect(dl.headers['content-disposition']).toContain('attachment');
    expect(dl.rawPayload.equals(BODY)).toBe(true);
    // A security analyst sees it only once the case is assigned to them, and never downloads.
    expect((await play(security, id)).statusCode).toBe(403);
    await h.app.inject({
      method: 'POST',
      url: `/v1/cases/${caseId}/assign`,
      headers: compliance.auth,
      payload: { assigneeUserId: security.user.id },
    });
    expect((await play(security, id)).statusCode).toBe(200);
    expect((await play(compliance, id)).statusCode).toBe(403);
    const closed = await h.app.inject({
      method: 'POST',
      url: `/v1/cases/${caseId}/close`,
      headers: compliance.auth,
    });
    expect(closed.json().status).toBe('closed');
    expect((await play(security, id)).statusCode).toBe(403);
    // Assigning a case to a role that cannot hold one is refused.
    const wrong = await h.app.inject({
      method: 'POST',
      url: '/v1/cases',
      headers: compliance.auth,
      payload: { title: 'x', assigneeUserId: qaA.user.id },
    });
    expect(wrong.statusCode).toBe(422);
  });

  it('step-up: playback needs an MFA check within 15 minutes', async () => {
    const fresh = await buildSignedInUser(h, { roles: ['qa_analyst'], teams: ['Team A'] });
    expect((await play(fresh, id)).statusCode).toBe(200);
    const now = h.clock.now();
    h.clock.advance(16 * 60_000);
    try {
      const stale = await play(fresh, id);
      expect(stale.statusCode).toBe(403);
    } finally {
      h.clock.set(now); // the other sessions of this file stay fresh
    }
  });

  it('pause/resume markers feed the gap report, flagging a pause never resumed', async () => {
    const rec = (
      await ingest(randomBytes(2000), {
        endedAt: new Date(Date.now() + 300_000).toISOString(),
        startedAt: new Date().toISOString(),
      })
    ).json().id;
    for (const m of [
      { kind: 'pause', atSeconds: 30, reason: 'payment' },
      { kind: 'resume', atSeconds: 75 },
      { kind: 'pause', atSeconds: 200, reason: 'payment' },
    ]) {
      const res = await h.app.inject({
        method: 'POST',
        url: `/v1/recordings/${rec}/markers`,
        headers: admin.auth,
        payload: m,
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    expect(
      (
        await h.app.inject({
          method: 'POST',
          url: `/v1/recordings/${rec}/markers`,
          headers: qaA.auth,
          payload: { kind: 'pause', atSeconds: 1 },
        })
      ).statusCode,
    ).toBe(403);
    const report = await h.app.inject({
      method: 'GET',
      url: '/v1/recordings/gaps?limit=200',
      headers: qaA.auth,
    });
    expect(report.statusCode).toBe(200);
    const row = report.json().items.find((r: { recordingId: string }) => r.recordingId === rec);
    expect(row.gaps).toEqual([
      { from: 30, to: 75, seconds: 45, reason: 'payment' },
      { from: 200, to: 300, seconds: 100, reason: 'payment' },
    ]);
    expect(row.pausedSeconds).toBe(145);
    expect(row.anomalies).toEqual(['pause at 200s never resumed']);
  });

  it('legal hold blocks deletion; deletion crypto-shreds; then every decrypt fails with a typed error', async () => {
    const hold = await h.app.inject({
      method: 'POST',
      url: `/v1/recordings/${id}/holds`,
      headers: compliance.auth,
      payload: { reason: 'litigation hold L-77' },
    });
    expect(hold.statusCode, hold.body).toBe(201);
    const second = await h.app.inject({
      method: 'POST',
      url: `/v1/recordings/${id}/holds`,
      headers: compliance.auth,
      payload: { reason: 'regulator request R-9' },
    });
    expect(second.statusCode).toBe(201);
    const del = () =>
      h.app.inject({
        method: 'DELETE',
        url: `/v1/recordings/${id}?purpose=erasure%20request`,
        headers: compliance.auth,
      });
    expect((await del()).statusCode).toBe(409);
    await h.app.inject({
      method: 'POST',
      url: `/v1/holds/${hold.json().id}/release`,
      headers: compliance.auth,
      payload: { reason: 'case settled' },
    });
    expect((await del()).statusCode).toBe(409);
    await h.app.inject({
      method: 'POST',
      url: `/v1/holds/${second.json().id}/release`,
      headers: compliance.auth,
      payload: { reason: 'request closed' },
    });
    expect(
      (
        await h.app.inject({
          method: 'DELETE',
          url: `/v1/recordings/${id}?purpose=erasure`,
          headers: qaA.auth,
        })
      ).statusCode,
    ).toBe(403);
    const done = await del();
    expect(done.statusCode, done.body).toBe(200);
    expect((await play(qaA, id)).statusCode).toBe(410);
    await expect(h.ctx.dataKeys.open(tenantId, id, 1)).rejects.toBeInstanceOf(KeyShreddedError);
    const row = await h.ctx.database.db
      .selectFrom('recordings')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('deleted');
    expect(row.customer_ref_token).toBeNull();
    expect(fs.existsSync(path.join(h.config.recordings.blobDir, row.blob_key))).toBe(false);
    const evidence = await h.ctx.database.db
      .selectFrom('audit_events')
      .select('body')
      .where('action', '=', 'recording.delete')
      .where('resource_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(evidence.body).details).toMatchObject({ keyDestroyed: true, reason: 'request' });
  });

  it('refuses bad uploads clearly and leaves nothing behind', async () => {
    const before = await h.ctx.database.db.selectFrom('recordings').select('id').execute();
    const blobsBefore = await countBlobs();
    const noCall = await h.app.inject({
      method: 'POST',
      url: `/v1/recordings?agent=a&team=T&startedAt=${new Date().toISOString()}`,
      headers: { ...admin.auth, 'content-type': 'audio/wav' },
      payload: randomBytes(10),
    });
    expect(noCall.statusCode).toBe(422);
    expect(noCall.headers['content-type']).toContain('application/problem+json');
    const wrongType = await ingest(randomBytes(10), {}, admin, { 'content-type': 'text/html' });
    expect(wrongType.statusCode).toBe(415);
    const noRegion = await ingest(randomBytes(10), { region: '', agent: 'nobody-known' });
    expect([400, 422]).toContain(noRegion.statusCode);
    expect((await ingest(randomBytes(10), {}, qaA)).statusCode).toBe(403);
    expect((await h.ctx.database.db.selectFrom('recordings').select('id').execute()).length).toBe(
      before.length,
    );
    expect(await countBlobs()).toBe(blobsBefore);
  });
});

async function countBlobs(): Promise<number> {
  let n = 0;
  for await (const _ of h.ctx.blobs.list()) n += 1;
  return n;
}

describe('retention purge and KEK rotation', () => {
  it('purges expired recordings by the most specific policy, keeps held ones, and audits the evidence', async () => {
    const actor = systemActor(tenantId);
    const old = new Date(Date.now() - 10 * 86_400_000).toISOString();
    const expired = (await ingest(randomBytes(500), { startedAt: old })).json().id;
    const tagged = (await ingest(randomBytes(500), { startedAt: old, tags: 'complaint' })).json().id;
    const held = (await ingest(randomBytes(500), { startedAt: old })).json().id;
    const fresh = (await ingest(randomBytes(500))).json().id;
    await h.ctx.retention.set(actor, { kind: 'audio', retainDays: 7 });
    await h.ctx.retention.set(actor, { kind: 'audio', tag: 'complaint', retainDays: 365 });
    await h.ctx.cases.placeHold(actor, { recordingId: held }, 'pending litigation');
    const dry = await h.ctx.retention.purge(actor, { dryRun: true });
    expect(dry.purged.map((p) => p.id)).toContain(expired);
    expect((await h.ctx.recordings.require(tenantId, expired)).status).toBe('stored');
    const res = await h.ctx.retention.purge(actor);
    const purged = res.purged.map((p) => p.id);
    expect(purged).toContain(expired);
    expect(purged).not.toContain(tagged);
    expect(purged).not.toContain(fresh);
    expect(purged).not.toContain(held);
    expect(res.held).toContain(held);
    expect((await h.ctx.recordings.require(tenantId, expired)).status).toBe('deleted');
    await expect(h.ctx.dataKeys.open(tenantId, expired, 1)).rejects.toBeInstanceOf(KeyShreddedError);
  });

  it('rotates the KEK: re-wraps every data key, bodies untouched and still playable; retires old versions', async () => {
    const rec = (await ingest(BODY)).json().id;
    const row = await h.ctx.recordings.require(tenantId, rec);
    const blobBefore = fs.readFileSync(path.join(h.config.recordings.blobDir, row.blob_key));
    const before = await h.ctx.dataKeys.status();
    const v1 = before.versions.find((v) => v.current)!;
    expect(v1.dataKeys).toBeGreaterThan(0);
    const refused = await h.app.inject({
      method: 'PUT',
      url: '/v1/keys/min-decrypt-version',
      headers: admin.auth,
      payload: { version: v1.version + 1 },
    });
    expect(refused.statusCode).toBe(409);
    const progress: number[] = [];
    const result = await h.ctx.dataKeys.rotate(systemActor(tenantId), {
      batchSize: 3,
      onProgress: (p) => progress.push(p.done),
    });
    expect(result.failed).toEqual([]);
    expect(result.rewrapped).toBe(v1.dataKeys);
    expect(progress.at(-1)).toBe(v1.dataKeys);
    const after = await h.ctx.dataKeys.status();
    expect(after.versions.find((v) => v.version === v1.version)!.dataKeys).toBe(0);
    expect(after.versions.find((v) => v.current)!.dataKeys).toBe(v1.dataKeys);
    expect(after.openRotation).toBeNull();
    expect(fs.readFileSync(path.join(h.config.recordings.blobDir, row.blob_key)).equals(blobBefore)).toBe(
      true,
    );
    const set = await h.app.inject({
      method: 'PUT',
      url: '/v1/keys/min-decrypt-version',
      headers: admin.auth,
      payload: { version: result.targetVersion },
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().minDecryptVersion).toBe(result.targetVersion);
    expect((await play(qaA, rec)).rawPayload.equals(BODY)).toBe(true);
    const status = await h.app.inject({ method: 'GET', url: '/v1/keys', headers: admin.auth });
    expect(status.statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/v1/keys', headers: qaA.auth })).statusCode).toBe(403);
  });

  it('resumes an interrupted rotation where it stopped', async () => {
    for (let i = 0; i < 5; i++) expect((await ingest(randomBytes(300))).statusCode).toBe(201);
    let batches = 0;
    await expect(
      h.ctx.dataKeys.rotate(systemActor(tenantId), {
        batchSize: 2,
        onProgress: (p) => {
          // Simulates a crash after the first committed batch.
          if (p.done > 0 && ++batches === 1) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    const open = await h.ctx.dataKeys.status();
    expect(open.openRotation).not.toBeNull();
    const target = open.openRotation!.targetVersion;
    expect(open.versions.find((v) => v.version === target)!.dataKeys).toBe(2);
    const resumed = await h.ctx.dataKeys.rotate(systemActor(tenantId));
    expect(resumed.resumed).toBe(true);
    expect(resumed.targetVersion).toBe(target);
    const done = await h.ctx.dataKeys.status();
    expect(done.openRotation).toBeNull();
    expect(done.versions.filter((v) => v.version !== target).every((v) => v.dataKeys === 0)).toBe(true);
  });

  it('runs the scheduled purge and HTTP-started rotations as database jobs, honouring case holds', async () => {
    const actor = systemActor(tenantId);
    const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const expired = (await ingest(randomBytes(200), { startedAt: old })).json().id;
    const onHeldCase = (await ingest(randomBytes(200), { startedAt: old })).json().id;
    const c = await h.ctx.cases.open(actor, { title: 'hold via case' });
    await h.ctx.cases.link(actor, c.id, [onHeldCase], 'evidence');
    await h.ctx.cases.placeHold(actor, { caseId: c.id }, 'regulator inquiry');
    await schedulePurge(h.ctx);
    await schedulePurge(h.ctx); // a singleton: the second is a no-op
    const pending = await h.ctx.database.db
      .selectFrom('jobs')
      .select('id')
      .where('kind', '=', PURGE_JOB)
      .where('status', '=', 'queued')
      .execute();
    expect(pending).toHaveLength(1);
    const rotate = await h.app.inject({ method: 'POST', url: '/v1/keys/rotate', headers: admin.auth });
    expect(rotate.statusCode).toBe(202);
    const ran = await h.ctx.jobs.runDue(vaultJobHandlers(h.ctx));
    expect(ran).toBe(2);
    expect((await h.ctx.recordings.require(tenantId, expired)).status).toBe('deleted');
    expect((await h.ctx.recordings.require(tenantId, onHeldCase)).status).toBe('stored');
    const jobs = await h.ctx.database.db.selectFrom('jobs').selectAll().orderBy('id').execute();
    expect(
      jobs
        .filter((j) => j.status === 'done')
        .map((j) => j.kind)
        .sort(),
    ).toEqual(['keys.rotate', PURGE_JOB]);
    // The purge re-queued itself for the next interval.
    expect(jobs.filter((j) => j.kind === PURGE_JOB && j.status === 'queued')).toHaveLength(1);
    expect((await h.ctx.dataKeys.status()).openRotation).toBeNull();
  });

  it('sweeps orphan blobs older than the grace period and keeps live and fresh ones', async () => {
    const live = (await ingest(randomBytes(100))).json().id;
    const liveKey = (await h.ctx.recordings.require(tenantId, live)).blob_key;
    const orphanOld = `${tenantId}/aa/aaaaaaaa-0000-4000-8000-000000000001.c2sp`;
    const orphanNew = `${tenantId}/aa/aaaaaaaa-0000-4000-8000-000000000002.c2sp`;
    await h.ctx.blobs.write(orphanOld, Readable.from([randomBytes(50)]));
    await h.ctx.blobs.write(orphanNew, Readable.from([randomBytes(50)]));
    const longAgo = new Date(h.clock.now().getTime() - 2 * 3_600_000);
    fs.utimesSync(path.join(h.config.recordings.blobDir, orphanOld), longAgo, longAgo);
    fs.utimesSync(path.join(h.config.recordings.blobDir, liveKey), longAgo, longAgo);
    const swept = await h.ctx.recordings.sweepOrphanBlobs();
    expect(swept.removed).toEqual([orphanOld]);
    const keys: string[] = [];
    for await (const b of h.ctx.blobs.list()) keys.push(b.key);
    expect(keys).toContain(orphanNew);
    expect(keys).toContain(liveKey);
  });

  it('attaches a transcript over HTTP (stored redacted) and refuses audio redaction of a non-WAV body', async () => {
    const rec = (await ingest(randomBytes(1000))).json().id;
    const jsonl = `${JSON.stringify({ call_id: 'x', speaker: 'customer', start: 1, end: 4, text: 'card 4111 1111 1111 1111 exp 04/29' })}\n`;
    const put = await h.app.inject({
      method: 'PUT',
      url: `/v1/recordings/${rec}/transcript`,
      headers: { ...admin.auth, 'content-type': 'application/x-ndjson' },
      payload: jsonl,
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.body).not.toContain('4111');
    expect(put.json().redactions).toBeGreaterThanOrEqual(1);
    const get = await h.app.inject({
      method: 'GET',
      url: `/v1/recordings/${rec}/transcript?purpose=quality%20review`,
      headers: qaA.auth,
    });
    expect(get.statusCode).toBe(200);
    expect(get.body).toContain('[PAN]');
    expect(get.body).not.toContain('4111 1111');
    expect(
      (
        await h.app.inject({
          method: 'GET',
          url: `/v1/recordings/${rec}/transcript?purpose=x%20y%20z`,
          headers: admin.auth,
        })
      ).statusCode,
    ).toBe(403);
    const redact = await h.app.inject({
      method: 'POST',
      url: `/v1/recordings/${rec}/redact`,
      headers: qaA.auth,
      payload: { spans: [{ start: 0, end: 1 }], purpose: 'remove card digits' },
    });
    // The body is random bytes uploaded as audio/wav: refused as not a valid WAV, nothing derived.
    expect(redact.statusCode).toBe(422);
    expect(redact.headers['content-type']).toContain('application/problem+json');
  });
});
