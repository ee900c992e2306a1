import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('needs no configuration: embedded store, port 8080, PCI session limits', () => {
    const c = loadConfig({});
    expect(c.engine).toBe('pglite');
    expect(c.port).toBe(8080);
    expect(c.session).toEqual({ idleSeconds: 900, maxSeconds: 43_200 });
    expect(c.lockout).toEqual({ threshold: 10, seconds: 1800 });
    expect(c.mfaRequired).toBe(true);
    expect(c.keyDir).toBe(path.resolve('./data-keys'));
  });

  it('switches to PostgreSQL with DATABASE_URL only', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1/db' }).engine).toBe('postgres');
  });

  it.each([
    ['BULWARK_PORT', 'eighty'],
    ['BULWARK_PORT', '70000'],
    ['BULWARK_SESSION_IDLE_SECONDS', '0'],
    ['BULWARK_SESSION_MAX_SECONDS', '-5'],
    ['BULWARK_LOCKOUT_SECONDS', '60'],
    ['BULWARK_MFA_REQUIRED', 'maybe'],
    ['DATABASE_URL', 'mysql://x'],
    ['BULWARK_AUDIT_CHECKPOINT_MS', '5000'],
    ['BULWARK_TRUST_PROXY', 'true'],
    ['BULWARK_COOKIE_SECURE', 'sometimes'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('requires TLS certificate and key together, and idle <= absolute', () => {
    expect(() => loadConfig({ BULWARK_TLS_CERT_FILE: '/x.pem' })).toThrow(/set together/);
    expect(() =>
      loadConfig({ BULWARK_SESSION_IDLE_SECONDS: '100', BULWARK_SESSION_MAX_SECONDS: '50' }),
    ).toThrow(/must not exceed/);
  });

  it('refuses a key dir inside the data dir', () => {
    expect(() => loadConfig({ BULWARK_DATA_DIR: '/srv/b', BULWARK_KEY_DIR: '/srv/b/keys' })).toThrow(
      /must not be inside/,
    );
  });

  it('never echoes a secret value in its error', () => {
    const secret = 'short-secret';
    try {
      loadConfig({ BULWARK_METRICS_TOKEN: secret });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain('BULWARK_METRICS_TOKEN');
      expect((e as Error).message).not.toContain(secret);
    }
  });

  it('trusts only the listed proxies, and marks cookies Secure under TLS or when told', () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ BULWARK_TRUST_PROXY: '10.0.0.5, 10.1.0.0/16' }).trustProxy).toEqual([
      '10.0.0.5',
      '10.1.0.0/16',
    ]);
    expect(loadConfig({}).secureCookies).toBe(false);
    expect(loadConfig({ BULWARK_COOKIE_SECURE: 'true' }).secureCookies).toBe(true);
    expect(loadConfig({ BULWARK_TLS_CERT_FILE: '/c', BULWARK_TLS_KEY_FILE: '/k' }).secureCookies).toBe(true);
  });

  it('accepts any positive number of seconds for sessions', () => {
    expect(
      loadConfig({ BULWARK_SESSION_IDLE_SECONDS: '2', BULWARK_SESSION_MAX_SECONDS: '3' }).session,
    ).toEqual({ idleSeconds: 2, maxSeconds: 3 });
  });

  it('takes the passkey relying party from the environment; the origin must be on the RP id', () => {
    expect(loadConfig({}).webauthn).toEqual({
      rpId: 'localhost',
      rpName: 'Bulwark',
      origin: 'http://localhost:8080',
    });
    const c = loadConfig({
      BULWARK_WEBAUTHN_RP_ID: 'example.com',
      BULWARK_WEBAUTHN_ORIGIN: 'https://bulwark.example.com',
    });
    expect(c.webauthn).toMatchObject({ rpId: 'example.com', origin: 'https://bulwark.example.com' });
    expect(() =>
      loadConfig({
        BULWARK_WEBAUTHN_RP_ID: 'example.com',
        BULWARK_WEBAUTHN_ORIGIN: 'https://badexample.com',
      }),
    ).toThrow(/BULWARK_WEBAUTHN_ORIGIN/);
    expect(() => loadConfig({ BULWARK_WEBAUTHN_RP_ID: 'https://example.com' })).toThrow(
      /BULWARK_WEBAUTHN_RP_ID/,
    );
    expect(() => loadConfig({ BULWARK_WEBAUTHN_ORIGIN: 'http://localhost:8080/console' })).toThrow(
      /BULWARK_WEBAUTHN_ORIGIN/,
    );
  });
});
