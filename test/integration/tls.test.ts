import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUser, totpAt } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
let port: number;
const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-tls-'));

beforeAll(async () => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-days',
      '1',
      '-keyout',
      path.join(certDir, 'key.pem'),
      '-out',
      path.join(certDir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  h = await createHarness({
    BULWARK_TLS_CERT_FILE: path.join(certDir, 'cert.pem'),
    BULWARK_TLS_KEY_FILE: path.join(certDir, 'key.pem'),
  });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = h.app.server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
});
afterAll(async () => {
  await h?.close();
  fs.rmSync(certDir, { recursive: true, force: true });
});

const handshake = (maxVersion: tls.SecureVersion) =>
  new Promise<string>((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1', maxVersion },
      () => {
        const v = socket.getProtocol() ?? '';
        socket.end();
        resolve(v);
      },
    );
    socket.on('error', reject);
  });

const get = (p: string) =>
  new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: p, rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      })
      .on('error', reject);
  });

describe('HTTPS (PCI DSS Req 4)', () => {
  it('refuses TLS 1.1 and accepts TLS 1.2 and 1.3', async () => {
    await expect(handshake('TLSv1.1')).rejects.toThrow();
    expect(await handshake('TLSv1.2')).toBe('TLSv1.2');
    expect(await handshake('TLSv1.3')).toBe('TLSv1.3');
  });

  it('sends HSTS and marks the session cookie Secure', async () => {
    const r = await get('/livez');
    expect(r.status).toBe(200);
    expect(String(r.headers['strict-transport-security'])).toContain('max-age=31536000');
    const { user, password } = await buildUser(h);
    const login = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: user.username, password },
    });
    const mfa = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/mfa',
      payload: { challenge: login.json().challenge, code: totpAt(login.json().totp.secret, h.clock.now()) },
    });
    expect(mfa.headers['set-cookie']).toMatch(/; Secure/);
  });
});
