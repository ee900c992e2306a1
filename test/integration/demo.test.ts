import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_CASE_TITLE,
  DEMO_PANS,
  DEMO_TEAMS,
  DEMO_USER_SPECS,
  type DemoSeedResult,
  seedDemo,
  totpCode,
} from '../../src/demo/seed.ts';
import { ROLES } from '../../src/modules/access/roles.ts';
import { detectDtmfInWav } from '../../src/modules/audio/dtmf-wav.ts';
import { parseWav } from '../../src/modules/audio/wav.ts';
import { luhnValid } from '../../src/modules/redaction/engine/validators.ts';
import { systemActor, totpAt } from '../support/builders.ts';
import { BIN } from '../support/cli.ts';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
let seeded: Extract<DemoSeedResult, { status: 'seeded' }>;
let tenantId: string;

beforeAll(async () => {
  h = await createHarness();
  const result = await seedDemo(h.ctx);
  if (result.status !== 'seeded') throw new Error('expected a fresh seed');
  seeded = result;
  tenantId = (await h.ctx.tenants.ensureDefault()).id;
  await h.ctx.audit.sequenceAll();
});
afterAll(async () => h?.close());

const drain = async (r: Readable) => {
  const parts: Buffer[] = [];
  for await (const p of r) parts.push(p as Buffer);
  return Buffer.concat(parts);
};

describe('demo seed', () => {
  it('uses Luhn-valid test card numbers', () => {
    for (const pan of Object.values(DEMO_PANS)) expect(luhnValid(pan), pan).toBe(true);
  });

  it('creates a user of every role, enrolled, no password change, and each can sign in with password + TOTP', async () => {
    const roles = new Set(seeded.users.flatMap((u) => u.roles));
    expect([...roles].sort()).toEqual([...ROLES].sort());
    // Enrolment used the current step; the next step's code is fresh for every user.
    h.clock.advance(30_000);
    for (const u of seeded.users) {
      const view = await h.ctx.users.requireByUsername(tenantId, u.username);
      expect(view.mfaEnrolled).toBe(true);
      expect(view.mustChangePassword).toBe(false);
      expect(view.teams.map((t) => t.name).sort()).toEqual([...u.teams].sort());
      const login = await h.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { username: u.username, password: u.password },
      });
      expect(login.statusCode, u.username).toBe(200);
      expect(login.json().status).toBe('mfa_required');
      const mfa = await h.app.inject({
        method: 'POST',
        url: '/v1/auth/mfa',
        payload: { challenge: login.json().challenge, code: totpCode(u.totpSecret, h.clock.now()) },
      });
      expect(mfa.statusCode, u.username).toBe(200);
      expect(mfa.json().passwordChangeRequired).toBe(false);
    }
    // The project's own helper and the seed's agree on the code.
    const any = seeded.users[0]!;
    expect(totpCode(any.totpSecret, h.clock.now())).toBe(totpAt(any.totpSecret, h.clock.now()));
  });

  it('gives the compliance officer the detokenize permission, and the vault tokens resolve', async () => {
    const officer = await h.ctx.users.requireByUsername(tenantId, 'compliance.officer');
    expect(officer.permissions).toEqual(['detokenize']);
    expect(seeded.tokens.length).toBeGreaterThanOrEqual(3);
    const values = await Promise.all(
      seeded.tokens.map((t) =>
        h.ctx.tokens.detokenize(systemActor(tenantId), { token: t.token, purpose: 'demo test' }),
      ),
    );
    expect(values.map((v) => v.value)).toEqual(Object.values(DEMO_PANS).slice(0, 3));
  });

  it('stores recordings for every team that decrypt to WAV with DTMF, payment-pause markers and redacted transcripts', async () => {
    const teams = new Set<string>();
    const markers = await h.ctx.recordings.markersOf(seeded.recordingIds);
    for (const id of seeded.recordingIds) {
      const row = await h.ctx.recordings.require(tenantId, id);
      const view = await h.ctx.recordings.view(row);
      teams.add(view.team.name);
      expect(view.tags).toContain('synthetic');
      expect(view.transcript?.redactions ?? 0).toBeGreaterThan(0);
      const content = await h.ctx.recordings.openContent(row);
      const wav = await drain(content.stream(0, content.length));
      const parsed = parseWav(wav);
      expect(parsed.format).toMatchObject({ encoding: 'pcm16', sampleRate: 8000, channels: 1 });
      expect(detectDtmfInWav(wav).tones.length).toBeGreaterThanOrEqual(4);
      expect(markers.get(id)?.map((m) => m.kind)).toEqual(['pause', 'resume']);
      const transcript = (await h.ctx.recordingContent.readTranscript(tenantId, id)).toString('utf8');
      for (const pan of Object.values(DEMO_PANS)) {
        expect(transcript.includes(pan)).toBe(false);
        expect(transcript.includes(pan.match(/.{1,4}/g)!.join(' '))).toBe(false);
      }
      expect(transcript).not.toMatch(/one one one, one one one one/);
    }
    expect([...teams].sort()).toEqual([...DEMO_TEAMS].sort());
    expect(seeded.recordingIds.length).toBeGreaterThanOrEqual(2 * DEMO_TEAMS.length);
  });

  it('opens a case assigned to the compliance officer, with linked recordings and a legal hold', async () => {
    const officer = await h.ctx.users.requireByUsername(tenantId, 'compliance.officer');
    const cases = await h.ctx.cases.list(tenantId, { assignee: officer.id, status: 'open' });
    const demoCase = cases.find((c) => c.title === DEMO_CASE_TITLE);
    expect(demoCase).toBeDefined();
    expect(demoCase!.id).toBe(seeded.caseId);
    expect(demoCase!.recordings.length).toBe(2);
    expect(await h.ctx.recordings.isHeld(h.ctx.database.db, seeded.recordingIds[0]!)).toBe(true);
    expect((await h.ctx.retention.list(tenantId)).length).toBeGreaterThanOrEqual(2);
    const wfmAgents = await h.ctx.database.db
      .selectFrom('wfm_agents')
      .select('agent_id')
      .where('tenant_id', '=', tenantId)
      .execute();
    // Six demo users' agents plus six WFM-only north agents: north is charted, south stays suppressed.
    expect(wfmAgents.length).toBe(12);
    const month = h.clock.now().toISOString().slice(0, 7);
    const report = await h.ctx.wfm.report(tenantId, 'adherence', 'team', month, null);
    const cells = new Map(
      (report.cells as Array<{ group: string; suppressed?: boolean; agents?: number | null }>).map((c) => [
        c.group,
        c,
      ]),
    );
    expect(cells.get('north')).toMatchObject({ agents: 9 });
    expect(cells.get('south')?.agents ?? null).toBeNull();
  });

  it('leaves no seeded card number in plaintext in any database row or in the blob dir', async () => {
    const needles = Object.values(DEMO_PANS).flatMap((pan) => [pan, pan.match(/.{1,4}/g)!.join(' ')]);
    const tables = await sql<{
      tablename: string;
    }>`select tablename from pg_tables where schemaname = 'public'`.execute(h.ctx.database.db);
    for (const { tablename } of tables.rows) {
      const rows = await sql<{ t: string }>`select t::text as t from ${sql.table(tablename)} t`.execute(
        h.ctx.database.db,
      );
      for (const r of rows.rows)
        for (const n of needles) expect(r.t.includes(n), `${tablename} holds ${n.slice(-4)}`).toBe(false);
    }
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(h.config.recordings.blobDir);
    expect(files.filter((f) => f.endsWith('.c2sp')).length).toBeGreaterThanOrEqual(
      2 * seeded.recordingIds.length,
    );
    for (const f of files) {
      const bytes = fs.readFileSync(f);
      for (const n of needles) {
        expect(bytes.includes(Buffer.from(n)), `${n.slice(-4)} in ${f}`).toBe(false);
        expect(bytes.includes(Buffer.from(n, 'utf16le')), `${n.slice(-4)} (UTF-16) in ${f}`).toBe(false);
      }
    }
  });

  it('is idempotent: a second seed changes nothing', async () => {
    const count = async (table: 'users' | 'recordings' | 'cases' | 'token_vault') =>
      Number(
        (
          await h.ctx.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await Promise.all(
      (['users', 'recordings', 'cases', 'token_vault'] as const).map((t) => count(t)),
    );
    expect((await seedDemo(h.ctx)).status).toBe('already_seeded');
    const after = await Promise.all((['users', 'recordings', 'cases', 'token_vault'] as const).map(count));
    expect(after).toEqual(before);
    expect(before[0]).toBe(DEMO_USER_SPECS.length);
  });
});

/** Starts `bulwark serve --demo` and waits for the banner to be complete. */
async function startDemo(env: Record<string, string>, cwd: string) {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--demo'], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : -1))),
  );
  const expectedLines = DEMO_USER_SPECS.length;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start:\n${out}`)), 150_000);
    const check = () => {
      if ((out.match(/oathtool --totp -b /g) ?? []).length >= expectedLines) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`demo exited early:\n${out}`));
    });
  });
  const url = /listening on (https?:\/\/\S+)/.exec(out)![1]!;
  return { child, url, output: () => out, exited };
}

describe('bulwark serve --demo', () => {
  it('seeds a separate demo folder (ignoring DATABASE_URL), prints every role, lets a user sign in, and does not reseed', {
    timeout: 300_000,
  }, async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-demo-'));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? cwd,
      BULWARK_PORT: '0',
      BULWARK_HOST: '127.0.0.1',
      BULWARK_LOG_LEVEL: 'warn',
      // Must be ignored: the demo always runs on its own embedded store.
      DATABASE_URL: 'postgres://must-not-be-used@127.0.0.1:1/none',
    };
    try {
      const first = await startDemo(env, cwd);
      let firstBanner: string;
      try {
        firstBanner = first.output();
        expect(firstBanner).toContain('DEMO — synthetic data');
        expect(firstBanner).toContain('acceptable ONLY for this demo');
        for (const role of ROLES) expect(firstBanner).toMatch(new RegExp(`^  ${role}\\s+user: `, 'm'));
        expect(firstBanner).toContain(path.join(cwd, '.bulwark-demo', 'samples'));
        const block = /user: compliance\.officer.*\n\s+password: (\S+)\n\s+totp secret: (\S+)/.exec(
          firstBanner,
        );
        expect(block).not.toBeNull();
        const [, password, secret] = block!;
        const login = await fetch(`${first.url}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'compliance.officer', password }),
        });
        expect(login.status).toBe(200);
        const { status, challenge } = (await login.json()) as { status: string; challenge: string };
        expect(status).toBe('mfa_required');
        // The seed used the current step for enrolment; the next one is within the accepted window.
        const mfa = await fetch(`${first.url}/v1/auth/mfa`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ challenge, code: totpCode(secret!, new Date(Date.now() + 30_000)) }),
        });
        expect(mfa.status).toBe(200);
      } finally {
        first.child.kill('SIGTERM');
      }
      expect(await first.exited).toBe(0);
      const demoDir = path.join(cwd, '.bulwark-demo');
      expect((fs.statSync(path.join(demoDir, 'credentials.json')).mode & 0o777).toString(8)).toBe('600');
      for (const f of ['chat-1.jsonl', 'chat-2.jsonl', 'notes.txt', 'tokens.txt'])
        expect(fs.existsSync(path.join(demoDir, 'samples', f)), f).toBe(true);
      // The real data dir and key dir were never created.
      expect(fs.existsSync(path.join(cwd, 'data'))).toBe(false);
      expect(fs.existsSync(path.join(cwd, 'data-keys'))).toBe(false);

      const second = await startDemo(env, cwd);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(second.output()).not.toContain('seeding');
      expect(second.output()).not.toContain('bootstrap administrator');
      const pw = (out: string) => /user: it\.admin.*\n\s+password: (\S+)/.exec(out)?.[1];
      expect(pw(second.output())).toBe(pw(firstBanner));
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});
