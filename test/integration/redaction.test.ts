import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedInUser } from '../support/builders.ts';
import { runBulwark } from '../support/cli.ts';
import { createHarness, type Harness } from '../support/harness.ts';

const CARD = '4111111111111111';
const fixture = path.resolve(import.meta.dirname, '../fixtures/call-with-card.jsonl');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-redact-'));
const env = {
  PATH: process.env.PATH ?? '',
  HOME: tmp,
  BULWARK_DATA_DIR: path.join(tmp, 'data'),
  BULWARK_KEY_DIR: path.join(tmp, 'keys'),
};
const write = (name: string, data: string | Buffer) => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, data);
  return p;
};

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('bulwark detect / redact (CLI, no server)', () => {
  it('finds and redacts a card number in a text file', async () => {
    const file = write(
      'note.txt',
      `Customer paid with card ${CARD} exp 04/27, cvv 123. Call back on 2025-01-03.\n`,
    );
    const det = await runBulwark(['detect', file, '--json'], env);
    expect(det.code).toBe(0);
    const { findings } = JSON.parse(det.stdout);
    const text = fs.readFileSync(file, 'utf8');
    const pan = findings.find((f: { type: string }) => f.type === 'PAN');
    expect(text.slice(pan.start, pan.end)).toBe(CARD);
    expect(findings.map((f: { type: string }) => f.type)).toContain('CVV');
    const red = await runBulwark(['redact', file], env);
    expect(red.code).toBe(0);
    expect(red.stdout).not.toContain(CARD);
    expect(red.stdout).not.toContain('123.');
    expect(red.stdout).toContain('[PAN]');
  });

  it('redacts a card spoken across two customer turns of a transcript, with audio spans', async () => {
    const red = await runBulwark(['redact', fixture], env);
    expect(red.stderr).toMatch(/finding\(s\) redacted/);
    expect(red.code).toBe(0);
    const lines = red.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(8);
    // Neither the text nor the word list of the card turns may still hold a digit word.
    for (const i of [3, 5]) {
      const line = lines[i];
      expect(line.text, line.text).not.toMatch(/\b(one|four)\b/);
      for (const w of line.words) expect(w.w).not.toMatch(/^(one|four)/);
      expect(line.redactions.map((r: { type: string }) => r.type)).toContain('PAN');
      expect(line.silence.length).toBeGreaterThan(0);
    }
    expect(lines[3].silence[0].start).toBeCloseTo(8.75, 2); // first digit word 9.0 s minus 250 ms padding
    expect(lines[7].text).not.toContain('pat.lee@example.com');
    expect(lines[7].text).toContain('1234567890'); // an order number is not a card
    expect(red.stdout).not.toContain(CARD);
  });

  it('masks with a policy file: last four digits only', async () => {
    const file = write('masked.txt', `card ${CARD}\n`);
    const policy = write(
      'policy.json',
      JSON.stringify({ PAN: { kind: 'mask' }, default: { kind: 'redact' } }),
    );
    const red = await runBulwark(['redact', file, '--policy', policy], env);
    expect(red.code).toBe(0);
    expect(red.stdout).toContain('1111');
    expect(red.stdout.replace(/\D/g, '')).toBe('1111');
  });

  it('refuses bad input naming where, with nothing on stdout', async () => {
    const bin = await runBulwark(['redact', write('bin.txt', Buffer.from([0x41, 0x00, 0x42]))], env);
    expect(bin.code).toBe(1);
    expect(bin.stderr).toMatch(/bin\.txt: binary data \(NUL byte at offset 1\)/);
    expect(bin.stdout).toBe('');
    const utf = await runBulwark(['redact', write('bad.txt', Buffer.from([0x41, 0xc3, 0x28]))], env);
    expect(utf.stderr).toMatch(/invalid UTF-8 at byte offset 1/);
    const lines = fs.readFileSync(fixture, 'utf8').split('\n');
    lines[2] = '{"call_id":"c-100","speaker":';
    const broken = await runBulwark(['redact', write('broken.jsonl', lines.join('\n'))], env);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/line 3/);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).not.toContain(CARD);
    const badJson = await runBulwark(['detect', write('doc.json', '{"a": [1, 2,, 3]}')], env);
    expect(badJson.code).toBe(1);
    expect(badJson.stderr).toMatch(/doc\.json:1:\d+: malformed JSON/);
    const missing = await runBulwark(['detect', path.join(tmp, 'nope.txt')], env);
    expect(missing.stderr).toMatch(/nope\.txt: cannot read \(ENOENT\)/);
  });

  it('streams stdin to stdout with the same result as whole-file redaction', async () => {
    const whole = await runBulwark(['redact', fixture], env);
    const streamed = await runBulwark(
      ['redact', '-', '--stream', '--format', 'transcript'],
      env,
      fs.readFileSync(fixture, 'utf8'),
    );
    expect(streamed.code).toBe(0);
    expect(streamed.stdout).toBe(whole.stdout);
    const text = `Note: card ${CARD} was read back. `.repeat(50);
    const t = await runBulwark(['redact', '-', '--stream'], env, text);
    expect(t.code).toBe(0);
    expect(t.stdout).not.toContain(CARD);
    expect(t.stdout.match(/\[PAN\]/g)).toHaveLength(50);
    const bad = await runBulwark(
      ['redact', '-', '--stream', '--format', 'transcript'],
      env,
      '{"call_id":"x"\n',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/INCOMPLETE/);
  });

  it('reads standard input and JSON documents by field path', async () => {
    const det = await runBulwark(
      ['detect', '-', '--format', 'json', '--json'],
      env,
      JSON.stringify({ customer: { note: `card ${CARD}`, phone: 'n/a' }, pan: Number(CARD) }),
    );
    expect(det.code).toBe(0);
    const { fields } = JSON.parse(det.stdout);
    expect(fields.map((f: { path: string }) => f.path).sort()).toEqual(['$.customer.note', '$.pan']);
  });
});

describe('POST /v1/detect and /v1/redact', () => {
  it('detects and redacts text, JSON and transcripts for any signed-in role, and audits the use', async () => {
    const agent = await buildSignedInUser(h, { roles: ['agent'] });
    const det = await h.app.inject({
      method: 'POST',
      url: '/v1/detect',
      headers: agent.auth,
      payload: { text: `my card is ${CARD}` },
    });
    expect(det.statusCode).toBe(200);
    expect(det.json().findings[0]).toMatchObject({ type: 'PAN', start: 11, end: 27 });
    const red = await h.app.inject({
      method: 'POST',
      url: '/v1/redact',
      headers: agent.auth,
      payload: { text: `my card is ${CARD}`, policy: { PAN: { kind: 'mask' } } },
    });
    expect(red.json().text).toBe('my card is ************1111');
    const doc = await h.app.inject({
      method: 'POST',
      url: '/v1/redact',
      headers: agent.auth,
      payload: { document: { note: `card ${CARD}` } },
    });
    expect(doc.json().document.note).toBe('card [PAN]');
    const utterances = fs
      .readFileSync(fixture, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const call = await h.app.inject({
      method: 'POST',
      url: '/v1/redact',
      headers: agent.auth,
      payload: { utterances },
    });
    expect(call.statusCode).toBe(200);
    expect(JSON.stringify(call.json())).not.toMatch(/four one one one/);
    const hashed = await h.app.inject({
      method: 'POST',
      url: '/v1/redact',
      headers: agent.auth,
      payload: { text: CARD, policy: { PAN: { kind: 'hash' } } },
    });
    expect(hashed.json().text).toMatch(/^\[PAN:hmac:[0-9a-f]{16}\]$/);
    await h.ctx.audit.sequenceAll();
    const events = await h.ctx.audit.listEvents({
      tenantId: agent.tenantId,
      actor: agent.user.id,
      action: 'authz.content.redact',
      limit: 10,
    });
    expect(events.data.length).toBeGreaterThan(0);
    expect(h.logs.join('')).not.toContain(CARD);
  });

  it('reads a whole file in its own format and writes it back in it ({file, format})', async () => {
    const u = await buildSignedInUser(h, { roles: ['agent'] });
    const fixtures = path.resolve(import.meta.dirname, '../fixtures');
    const vtt = fs.readFileSync(path.join(fixtures, 'call.vtt'), 'utf8');
    const red = await h.app.inject({
      method: 'POST',
      url: '/v1/redact',
      headers: u.auth,
      payload: { file: vtt, format: 'vtt' },
    });
    expect(red.statusCode).toBe(200);
    const out = red.json() as { findings: number; file: string };
    // The card spoken over two cues is gone and the cue timings are untouched.
    expect(out.file).not.toMatch(/four one one one/);
    expect(out.file).toContain('00:00:08.500 --> 00:00:12.900');
    expect(out.file.startsWith('WEBVTT')).toBe(true);
    const det = await h.app.inject({
      method: 'POST',
      url: '/v1/detect',
      headers: u.auth,
      payload: { file: fs.readFileSync(path.join(fixtures, 'customers.csv'), 'utf8'), format: 'csv' },
    });
    expect(det.statusCode).toBe(200);
    const report = det.json().report as { format: string; cells: Array<{ column: string }> };
    expect(report.format).toBe('csv');
    expect(report.cells.map((c) => c.column)).toContain('card');
    const aws = await h.app.inject({
      method: 'POST',
      url: '/v1/redact',
      headers: u.auth,
      payload: { file: fs.readFileSync(path.join(fixtures, 'aws-transcribe.json'), 'utf8'), format: 'aws' },
    });
    expect(aws.statusCode).toBe(200);
    expect(aws.json().file).not.toContain('2221000000000009');
    const broken = await h.app.inject({
      method: 'POST',
      url: '/v1/redact',
      headers: u.auth,
      payload: { file: '{"not": "a transcript"', format: 'aws' },
    });
    expect(broken.statusCode).toBe(422);
    expect(broken.json().detail).toMatch(/body/);
  });

  it('refuses a bad policy and a body with two kinds of content', async () => {
    const u = await buildSignedInUser(h, { roles: ['qa_analyst'] });
    const bad = await h.app.inject({
      method: 'POST',
      url: '/v1/redact',
      headers: u.auth,
      payload: { text: 'x', policy: { PAN: { kind: 'shred' } } },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail).toMatch(/PAN/);
    const both = await h.app.inject({
      method: 'POST',
      url: '/v1/detect',
      headers: u.auth,
      payload: { text: 'x', document: {} },
    });
    expect(both.statusCode).toBe(422);
    const anon = await h.app.inject({ method: 'POST', url: '/v1/detect', payload: { text: CARD } });
    expect(anon.statusCode).toBe(401);
    expect(anon.body).not.toContain(CARD);
  });
});
