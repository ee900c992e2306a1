import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_ROUTES } from '../../src/http/auth.plugin.ts';
import { ACTIONS } from '../../src/modules/access/authorizer.ts';
import { buildSignedInUser } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.close());

const apiRoutes = () => h.app.routeTable.filter((r) => r.method !== 'HEAD' && !r.url.startsWith('/docs'));
const concrete = (url: string) => url.replace(/:id/g, '00000000-0000-4000-8000-000000000000');

describe('route coverage', () => {
  it('every route declares an action, or is on the reviewed public list', () => {
    const missing = apiRoutes().filter((r) => {
      const key = `${r.method} ${r.url}`;
      if (r.action === 'public') return !PUBLIC_ROUTES.has(key);
      return !(ACTIONS as readonly string[]).includes(r.action ?? '');
    });
    expect(missing).toEqual([]);
  });

  it('no protected route answers 2xx without a session', async () => {
    for (const r of apiRoutes().filter((x) => x.action !== 'public')) {
      const res = await h.app.inject({
        method: r.method as 'GET',
        url: concrete(r.url),
        payload: r.method === 'GET' ? undefined : {},
      });
      expect([401, 422], `${r.method} ${r.url}`).toContain(res.statusCode);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  });

  it('the OpenAPI document lists every route', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const m of Object.keys(ops))
        documented.add(`${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    }
    const hidden = new Set(['GET /openapi.json', 'GET /metrics', 'GET /', 'GET /*']);
    for (const r of apiRoutes())
      if (!hidden.has(`${r.method} ${r.url}`))
        expect(documented, `${r.method} ${r.url}`).toContain(`${r.method} ${r.url}`);
  });
});

describe('problem+json for bad input', () => {
  const post = (payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    h.app.inject({ method: 'POST', url: '/v1/auth/login', payload, headers });

  it('malformed JSON is a 400', async () => {
    const r = await post('{"username": "a",');
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'MALFORMED_REQUEST', status: 400 });
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('unknown fields and wrong types are a 422 naming the field', async () => {
    const unknown = await post(JSON.stringify({ username: 'a', password: 'b', admin: true }));
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().code).toBe('VALIDATION_FAILED');
    const wrong = await post(JSON.stringify({ username: 5, password: 'b' }));
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().errors[0].pointer).toBe('/body/username');
  });

  it('an oversized body is a 413', async () => {
    const r = await post(JSON.stringify({ username: 'a', password: 'x'.repeat(20_000) }));
    expect(r.statusCode).toBe(413);
    expect(r.json().code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a wrong content type is a 415', async () => {
    const r = await post('username=a', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(r.statusCode).toBe(415);
  });

  it('an unknown route is a 404 problem without echoing the path', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v1/4111111111111111' });
    expect(r.statusCode).toBe(404);
    expect(r.body).not.toContain('4111111111111111');
  });

  it('never returns a stack trace', async () => {
    const r = await post('{"username": ');
    expect(r.body).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('operational endpoints', () => {
  it('livez, readyz and security headers', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/livez' })).json()).toEqual({ status: 'ok' });
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.headers['x-content-type-options']).toBe('nosniff');
    expect(ready.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(ready.headers['x-request-id']).toBeTruthy();
  });

  it('keeps a plain inbound request id and replaces a hostile one', async () => {
    expect(
      (await h.app.inject({ method: 'GET', url: '/livez', headers: { 'x-request-id': 'abc-123' } })).headers[
        'x-request-id'
      ],
    ).toBe('abc-123');
    expect(
      (
        await h.app.inject({
          method: 'GET',
          url: '/livez',
          headers: { 'x-request-id': 'a\nforged log line' },
        })
      ).headers['x-request-id'],
    ).not.toContain('\n');
  });

  it('metrics are labelled by route template, never by raw URL', async () => {
    const u = await buildSignedInUser(h, { roles: ['it_admin'] });
    await h.app.inject({ method: 'GET', url: `/v1/users/${u.user.id}`, headers: u.auth });
    const m = await h.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(m.statusCode).toBe(200);
    expect(m.body).toContain('route="/v1/users/:id"');
    expect(m.body).not.toContain(u.user.id);
    expect(m.body).toContain('bulwark_authz_decisions_total');
  });

  it('metrics are refused to remote addresses without a token', async () => {
    const m = await h.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9' });
    expect(m.statusCode).toBe(403);
  });
});
