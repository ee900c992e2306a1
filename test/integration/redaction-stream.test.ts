/**
 * POST /v1/redact/stream over a real socket: the body is sent in pieces (a card number cut across
 * them), the redacted text comes back while the body is still being sent, a complete response ends
 * with the `Bulwark-Redaction: complete` trailer, and bad input after output has started resets the
 * connection instead of ending a partial response normally.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedInUser } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

const CARD = '4111111111111111';
const MC2 = '2221000000000009';
const fixture = path.resolve(import.meta.dirname, '../fixtures/call-with-card.jsonl');

let h: Harness;
let port: number;
let auth: Record<string, string>;
beforeAll(async () => {
  h = await createHarness();
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  port = (h.app.server.address() as AddressInfo).port;
  auth = (await buildSignedInUser(h, { roles: ['agent'] })).auth as Record<string, string>;
});
afterAll(async () => {
  await h?.close();
});

type Streamed = {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  trailers: NodeJS.Dict<string>;
  /** How many response bytes had arrived before the last request piece was sent. */
  earlyBytes: number;
  /** Set when the response was cut off (connection reset before the final chunk). */
  aborted: boolean;
};

/** Sends `pieces` one by one (waiting `gapMs` between them) and collects the streamed response. */
function stream(
  pieces: Array<string | Buffer>,
  opts: {
    type?: string;
    query?: string;
    headers?: Record<string, string>;
    gapMs?: number;
    /** Before the last piece, wait (up to 5 s) until response bytes have arrived. */
    awaitOutput?: boolean;
  } = {},
): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    let body = '';
    let earlyBytes = -1;
    let aborted = false;
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `/v1/redact/stream${opts.query ?? ''}`,
      headers: { 'content-type': opts.type ?? 'text/plain; charset=utf-8', ...(opts.headers ?? auth) },
    });
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('aborted', () => {
        aborted = true;
      });
      res.on('error', () => {
        aborted = true;
      });
      res.on('close', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          trailers: res.trailers,
          earlyBytes,
          aborted: aborted || !res.complete,
        }),
      );
    });
    req.on('error', (e) => {
      if (earlyBytes >= 0) {
        // The server reset the connection while we were still sending: the response is cut off.
        resolve({ status: 0, headers: {}, body, trailers: {}, earlyBytes, aborted: true });
      } else reject(e);
    });
    const send = async () => {
      for (let i = 0; i < pieces.length; i++) {
        if (i === pieces.length - 1) {
          // Give the server time to answer before the body ends (a streaming route answers early;
          // a buffering one would not, whatever the wait). Polling, not a fixed sleep: CI is loaded.
          for (let waited = 0; opts.awaitOutput && body.length === 0 && waited < 5000; waited += 10)
            await new Promise((r) => setTimeout(r, 10));
          earlyBytes = Buffer.byteLength(body);
        }
        if (!req.write(pieces[i]!)) await new Promise((r) => req.once('drain', r));
        await new Promise((r) => setTimeout(r, opts.gapMs ?? 5));
      }
      req.end();
    };
    send().catch(reject);
  });
}

const words = (n: number) =>
  Array.from({ length: n }, (_, i) => ['thanks', 'for', 'calling', 'today', 'about', 'your'][i % 6]).join(
    ' ',
  );

describe('POST /v1/redact/stream', () => {
  it('redacts a card number cut across body pieces, streams output early, and ends with the complete trailer', async () => {
    const text = `${words(400)} my card is ${CARD} and the other one is ${MC2} ${words(400)} bye`;
    const cutAt = text.indexOf(CARD) + 7;
    const mid = Math.floor(text.length * 0.75);
    const res = await stream([text.slice(0, cutAt), text.slice(cutAt, mid), text.slice(mid)], {
      gapMs: 60,
      awaitOutput: true,
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.trailers['bulwark-redaction']).toBe('complete');
    const whole = await h.app.inject({ method: 'POST', url: '/v1/redact', headers: auth, payload: { text } });
    expect(res.body).toBe(whole.json().text);
    expect(res.body).toContain('my card is [PAN]');
    // Output flowed before the body was finished: the engine holds back only the last tokens.
    expect(res.earlyBytes).toBeGreaterThan(1000);
    for (const canary of [CARD, MC2, CARD.slice(0, 8), CARD.slice(8)]) {
      expect(res.body).not.toContain(canary);
      expect(h.logs.join('')).not.toContain(canary);
    }
  });

  it('streams a JSONL transcript with a spoken card across turns, applying a policy from the query', async () => {
    const lines = fs.readFileSync(fixture, 'utf8');
    const pieces = lines.match(/[\s\S]{1,37}/g)!;
    const policy = encodeURIComponent(JSON.stringify({ default: { kind: 'redact' }, PAN: { kind: 'drop' } }));
    const res = await stream(pieces, { type: 'application/x-ndjson', query: `?policy=${policy}`, gapMs: 1 });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.trailers['bulwark-redaction']).toBe('complete');
    const out = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; redactions?: unknown[]; silence?: unknown[] });
    expect(out).toHaveLength(lines.trim().split('\n').length);
    expect(out.some((u) => (u.redactions?.length ?? 0) > 0 && (u.silence?.length ?? 0) > 0)).toBe(true);
    expect(res.body).not.toMatch(/four one one one/);
  });

  it('answers problem+json for input refused before any output, and the right 4xx for bad requests', async () => {
    const binary = await stream([Buffer.from([0x61, 0x00, 0x62])]);
    expect(binary.status).toBe(422);
    expect(JSON.parse(binary.body)).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(JSON.parse(binary.body).detail).toMatch(/NUL byte at offset 1/);
    const utf8 = await stream([Buffer.from([0x61, 0xff, 0x62])]);
    expect(utf8.status).toBe(422);
    expect(JSON.parse(utf8.body).detail).toMatch(/invalid UTF-8/);
    const badLine = await stream([`{"call_id":"c1","speaker":"customer","start":0,"end":1}\n`], {
      type: 'application/x-ndjson',
    });
    expect(badLine.status).toBe(422);
    expect(JSON.parse(badLine.body).detail).toMatch(/line 1: field "text" is missing/);
    const type = await stream(['hello'], { type: 'application/octet-stream' });
    expect(type.status).toBe(415);
    const policy = await stream(['hello'], {
      query: `?policy=${encodeURIComponent('{"PAN":{"kind":"shred"}}')}`,
    });
    expect(policy.status).toBe(422);
    expect(JSON.parse(policy.body).detail).toMatch(/PAN/);
    const anon = await stream([`card ${CARD}`], { headers: {} });
    expect(anon.status).toBe(401);
    expect(anon.body).not.toContain(CARD);
  });

  it('resets the connection when the input turns bad after output has started: never a complete-looking partial', async () => {
    const good = `${words(2000)} card ${CARD.slice(0, 8)}`;
    const res = await stream([good, Buffer.from(' \u0000 more')], { gapMs: 100, awaitOutput: true });
    expect(res.aborted).toBe(true);
    expect(res.trailers['bulwark-redaction']).toBeUndefined();
    expect(res.earlyBytes).toBeGreaterThan(0);
    // The held-back half card never went out.
    expect(res.body).not.toContain(CARD.slice(0, 8));
    expect(h.logs.join('')).not.toContain(CARD.slice(0, 8));
  });
});
