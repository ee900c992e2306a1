import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.ts';

// A stand-in for web/dist (the real build is exercised by the browser tests in test/e2e).
const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-console-'));
fs.mkdirSync(path.join(dist, 'assets'));
fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>Bulwark console</title>');
fs.writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
fs.writeFileSync(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
fs.writeFileSync(path.join(os.tmpdir(), 'bulwark-console-secret.txt'), 'outside the console folder');

let h: Harness;
let unbuilt: Harness;
beforeAll(async () => {
  h = await createHarness({}, { consoleDir: dist });
  unbuilt = await createHarness({}, { consoleDir: path.join(dist, 'missing') });
});
afterAll(async () => {
  await h?.close();
  await unbuilt?.close();
  fs.rmSync(dist, { recursive: true, force: true });
});

const get = (url: string, harness = h) => harness.app.inject({ method: 'GET', url });

describe('web console files', () => {
  it('serves the index at / with a strict CSP and no caching', async () => {
    const r = await get('/');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.body).toContain('Bulwark console');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(r.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
  });

  it('answers console routes with the index so deep links work', async () => {
    for (const url of [
      '/recordings/00000000-0000-4000-8000-000000000000',
      '/sign-in?reason=locked',
      '/audit',
    ]) {
      const r = await get(url);
      expect(r.statusCode, url).toBe(200);
      expect(r.body).toContain('Bulwark console');
    }
  });

  it('serves hashed assets as immutable and static files with their type', async () => {
    const js = await get('/assets/index-abc123.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['cache-control']).toContain('immutable');
    const svg = await get('/favicon.svg');
    expect(svg.headers['content-type']).toBe('image/svg+xml');
  });

  it('a missing asset is a problem+json 404, not the index', async () => {
    const r = await get('/assets/nope-123.js');
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('an unknown API path stays an API 404', async () => {
    for (const url of ['/v1/nothing-here', '/v1']) {
      const r = await get(url);
      expect(r.statusCode, url).toBe(404);
      expect(r.json()).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    }
  });

  it('never serves a file outside the console folder', async () => {
    for (const url of [
      '/../bulwark-console-secret.txt',
      '/%2e%2e/bulwark-console-secret.txt',
      '/assets/..%2f..%2fbulwark-console-secret.txt',
      '/..%5cbulwark-console-secret.txt',
    ]) {
      const r = await get(url);
      expect(r.body, url).not.toContain('outside the console folder');
    }
  });

  it('bad percent-encoding is a 400 problem', async () => {
    const r = await get('/%E0%A4%A');
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('without a build, / says how to build the console', async () => {
    const r = await get('/', unbuilt);
    expect(r.statusCode).toBe(503);
    expect(r.body).toContain('npm run build:console');
  });
});

describe('npm run dev (Vite middleware in the same server)', () => {
  it('serves the console through Vite with hot reload, and the API beside it unchanged', async () => {
    const dev = await createHarness({ BULWARK_CONSOLE_DEV: 'true' });
    try {
      const page = await get('/', dev);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('/@vite/client');
      const me = await get('/v1/me', dev);
      expect(me.statusCode).toBe(401);
      expect(me.headers['content-security-policy']).toMatch(/script-src 'self'/);
    } finally {
      await dev.close();
    }
  });
});
