/**
 * The PKCS#11 provider against a real SoftHSM2 token, made fresh for this file in a temp dir.
 * SoftHSM2 missing is a failure, not a skip: CI installs the Debian package `softhsm2`.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeSoftHsmToken, SOFTHSM_LIBRARY } from '../../../test/support/softhsm.ts';
import { type KeyProvider, KeyUnwrapError, type WrappedKey } from './key-provider.ts';
import { assertMechanisms, openPkcs11Provider, Pkcs11ProviderError } from './pkcs11-provider.ts';

const LIBRARY = SOFTHSM_LIBRARY;
const TOKEN = 'bulwark-test';
const PIN = '5678';
const SO_PIN = '1234';
const REPO = resolve(import.meta.dirname, '../../..');
const PKCS11JS = createRequire(import.meta.url).resolve('pkcs11js');
const PROVIDER_PATH = resolve(import.meta.dirname, 'pkcs11-provider.ts');

let dir = '';
let conf = '';
let slotId = '';
let provider: KeyProvider | undefined;

const enc = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const open = (extra: Partial<Parameters<typeof openPkcs11Provider>[0]> = {}) =>
  openPkcs11Provider({ library: LIBRARY, tokenLabel: TOKEN, pin: PIN, ...extra });
const p = (): KeyProvider => {
  if (!provider) throw new Error('provider not open');
  return provider;
};

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof Error) return e;
    throw new Error(`rejected with a non-Error: ${String(e)}`);
  }
  throw new Error('expected a rejection');
}

/** Every string an error could surface through: message, stack, and the cause chain. */
function errorText(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; cur !== undefined && i < 5; i++) {
    parts.push(String(cur));
    if (cur instanceof Error) {
      parts.push(cur.stack ?? '', JSON.stringify(cur, Object.getOwnPropertyNames(cur)));
      cur = cur.cause;
    } else {
      cur = undefined;
    }
  }
  return parts.join('\n');
}

/** Runs a CommonJS snippet with raw pkcs11js in a child process (its own PKCS#11 login). */
function rawPkcs11(body: string): unknown {
  const script = `
    const p = require(${JSON.stringify(PKCS11JS)});
    const m = new p.PKCS11(); m.load(${JSON.stringify(LIBRARY)}); m.C_Initialize();
    const slot = m.C_GetSlotList(true).find((s) => m.C_GetTokenInfo(s).label.trim() === ${JSON.stringify(TOKEN)});
    const s = m.C_OpenSession(slot, p.CKF_RW_SESSION | p.CKF_SERIAL_SESSION);
    m.C_Login(s, p.CKU_USER, ${JSON.stringify(PIN)});
    const find = (label) => { m.C_FindObjectsInit(s, [{ type: p.CKA_LABEL, value: label }]);
      const h = m.C_FindObjects(s, 10); m.C_FindObjectsFinal(s); return h; };
    const out = (() => { ${body} })();
    m.C_Logout(s); m.C_CloseSession(s); m.C_Finalize();
    process.stdout.write(JSON.stringify(out));`;
  const stdout = execFileSync(process.execPath, ['-e', script], {
    env: { ...process.env, SOFTHSM2_CONF: conf },
    encoding: 'utf8',
  });
  return JSON.parse(stdout);
}

/**
 * Makes the token. A failure here is recorded and thrown by every test (beforeEach), so a missing
 * SoftHSM2 shows as failed tests in CI's `N passed, N failed` line rather than as skipped ones,
 * which is what a throwing beforeAll would give.
 */
let setupError: unknown;
beforeAll(() => {
  try {
    makeToken();
  } catch (e) {
    setupError = e;
  }
});
beforeEach(() => {
  if (setupError) throw setupError;
});

function makeToken(): void {
  const token = makeSoftHsmToken(TOKEN, PIN, SO_PIN);
  dir = token.dir;
  conf = token.conf;
  slotId = token.slotId;
}

afterAll(async () => {
  await provider?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('PKCS#11 provider on SoftHSM2', () => {
  let v1Wrapped: WrappedKey;
  const dataKey = new Uint8Array(32).map((_, i) => i + 1);
  const ctx = enc('tenant:t1/recording:r1');

  it('creates KEK v1 on first use', async () => {
    const before = Date.now();
    provider = await open();
    const versions = await p().versions();
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ version: 1, current: true });
    const created = Date.parse(versions[0]!.createdAt);
    expect(created).toBeGreaterThanOrEqual(before - 1000);
    expect(created).toBeLessThanOrEqual(Date.now());
  });

  it('wraps and unwraps a data key (iv || ciphertext || tag, A256GCM)', async () => {
    v1Wrapped = await p().wrap(dataKey, ctx);
    expect(v1Wrapped).toMatchObject({ provider: 'pkcs11', version: 1, alg: 'A256GCM' });
    expect(v1Wrapped.wrapped).toHaveLength(12 + 32 + 16);
    expect(hex(v1Wrapped.wrapped)).not.toContain(hex(dataKey));
    expect(await p().unwrap(v1Wrapped, ctx)).toEqual(dataKey);
    const again = await p().wrap(dataKey, ctx);
    expect(hex(again.wrapped.subarray(0, 12))).not.toBe(hex(v1Wrapped.wrapped.subarray(0, 12)));
    const empty = await p().wrap(dataKey, new Uint8Array(0));
    expect(await p().unwrap(empty, new Uint8Array(0))).toEqual(dataKey);
  });

  it('rejects a wrong context without revealing key bytes', async () => {
    const e = await rejection(p().unwrap(v1Wrapped, enc('tenant:t1/recording:r2')));
    expect(e).toBeInstanceOf(KeyUnwrapError);
    const text = errorText(e);
    expect(text).not.toContain(hex(dataKey));
    expect(text).not.toContain(Buffer.from(dataKey).toString('base64'));
    expect(text).not.toContain(hex(v1Wrapped.wrapped));
  });

  it('rejects any altered byte of iv, ciphertext or tag, and malformed envelopes', async () => {
    for (const i of [0, 11, 12, 30, 43, 44, 59]) {
      const bytes = new Uint8Array(v1Wrapped.wrapped);
      bytes[i]! ^= 0x01;
      const e = await rejection(p().unwrap({ ...v1Wrapped, wrapped: bytes }, ctx));
      expect(e, `byte ${i}`).toBeInstanceOf(KeyUnwrapError);
    }
    const cases: WrappedKey[] = [
      { ...v1Wrapped, wrapped: v1Wrapped.wrapped.subarray(0, 50) },
      { ...v1Wrapped, wrapped: v1Wrapped.wrapped.subarray(0, 28) },
      { ...v1Wrapped, version: 99 },
      { ...v1Wrapped, provider: 'local' },
      { ...v1Wrapped, alg: 'A256KW' },
    ];
    for (const c of cases) {
      expect(await rejection(p().unwrap(c, ctx))).toBeInstanceOf(KeyUnwrapError);
    }
  });

  it('serializes concurrent calls on its one session', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => new Uint8Array(32).fill(i));
    const wrapped = await Promise.all(keys.map((k, i) => p().wrap(k, enc(`c${i}`))));
    const back = await Promise.all(wrapped.map((w, i) => p().unwrap(w, enc(`c${i}`))));
    expect(back).toEqual(keys);
  });

  it('rotates: the new version wraps, old wrapped keys still unwrap', async () => {
    expect(await p().rotate()).toBe(2);
    const w2 = await p().wrap(dataKey, ctx);
    expect(w2.version).toBe(2);
    expect(await p().unwrap(w2, ctx)).toEqual(dataKey);
    expect(await p().unwrap(v1Wrapped, ctx)).toEqual(dataKey);
    const versions = await p().versions();
    expect(versions.map((v) => [v.version, v.current])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(Date.parse(versions[1]!.createdAt)).toBeGreaterThanOrEqual(Date.parse(versions[0]!.createdAt));
  });

  it('rewraps a key to the newest version, keeping the context binding', async () => {
    expect(await p().rotate()).toBe(3);
    const moved = await p().rewrap(v1Wrapped, ctx);
    expect(moved.version).toBe(3);
    expect(await p().unwrap(moved, ctx)).toEqual(dataKey);
    expect(await rejection(p().unwrap(moved, enc('other')))).toBeInstanceOf(KeyUnwrapError);
    expect(await rejection(p().rewrap(v1Wrapped, enc('other')))).toBeInstanceOf(KeyUnwrapError);
  });

  it('keeps every KEK inside the token: CKA_VALUE unreadable, C_WrapKey refused', () => {
    const result = rawPkcs11(`
      const r = {};
      for (const v of [1, 2, 3]) {
        const [h] = find('bulwark-kek-v' + v);
        const a = m.C_GetAttributeValue(s, h, [
          { type: p.CKA_SENSITIVE }, { type: p.CKA_EXTRACTABLE }, { type: p.CKA_ALWAYS_SENSITIVE },
          { type: p.CKA_NEVER_EXTRACTABLE }, { type: p.CKA_LOCAL }, { type: p.CKA_TOKEN }, { type: p.CKA_VALUE_LEN },
        ]).map((x) => x.value.readUIntLE(0, Math.min(x.value.length, 4)));
        let value; try { value = 'READ ' + m.C_GetAttributeValue(s, h, [{ type: p.CKA_VALUE }])[0].value.length; } catch (e) { value = e.message; }
        const wk = m.C_GenerateKey(s, { mechanism: p.CKM_AES_KEY_GEN }, [
          { type: p.CKA_CLASS, value: p.CKO_SECRET_KEY }, { type: p.CKA_TOKEN, value: false },
          { type: p.CKA_VALUE_LEN, value: 32 }, { type: p.CKA_WRAP, value: true } ]);
        let wrap; try { wrap = 'WRAPPED ' + m.C_WrapKey(s, { mechanism: p.CKM_AES_KEY_WRAP }, wk, h, Buffer.alloc(64)).length; } catch (e) { wrap = e.message; }
        r['v' + v] = { attrs: a, value, wrap };
      }
      return r;`) as Record<string, { attrs: number[]; value: string; wrap: string }>;
    for (const v of ['v1', 'v2', 'v3']) {
      // sensitive, not extractable, always sensitive, never extractable, generated in the token, token object, 32 bytes
      expect(result[v]?.attrs, v).toEqual([1, 0, 1, 1, 1, 1, 32]);
      expect(result[v]?.value, v).toBe('CKR_ATTRIBUTE_SENSITIVE');
      expect(result[v]?.wrap, v).toBe('CKR_KEY_UNEXTRACTABLE');
    }
  });

  it('another process opening the token sees the same versions and unwraps old keys', () => {
    const script = join(dir, 'reopen.mts');
    writeFileSync(
      script,
      `import { openPkcs11Provider } from ${JSON.stringify(PROVIDER_PATH)};
       const p = await openPkcs11Provider({ library: ${JSON.stringify(LIBRARY)}, tokenLabel: ${JSON.stringify(TOKEN)}, pin: ${JSON.stringify(PIN)} });
       const versions = await p.versions();
       const w = { provider: 'pkcs11', version: 1, alg: 'A256GCM', wrapped: Buffer.from(${JSON.stringify(hex(v1Wrapped.wrapped))}, 'hex') };
       const key = Buffer.from(await p.unwrap(w, new TextEncoder().encode(${JSON.stringify(new TextDecoder().decode(ctx))}))).toString('hex');
       const v4 = await p.rotate();
       const w4 = await p.wrap(Buffer.from(key, 'hex'), new TextEncoder().encode('from-child'));
       await p.close();
       process.stdout.write(JSON.stringify({ versions, key, v4, w4: Buffer.from(w4.wrapped).toString('hex') }));`,
    );
    const out = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', script], {
        cwd: REPO,
        env: { ...process.env, SOFTHSM2_CONF: conf },
        encoding: 'utf8',
      }),
    ) as { versions: { version: number }[]; key: string; v4: number; w4: string };
    expect(out.versions.map((v) => v.version)).toEqual([1, 2, 3]);
    expect(out.key).toBe(hex(dataKey));
    expect(out.v4).toBe(4);
    // This process learns of v4 on demand when it meets a key wrapped under it.
    return p()
      .unwrap({ provider: 'pkcs11', version: 4, alg: 'A256GCM', wrapped: fromHex(out.w4) }, enc('from-child'))
      .then((k) => expect(k).toEqual(dataKey));
  });

  it('reopens in this process with the same versions after close()', async () => {
    await p().close();
    await p().close(); // idempotent
    expect(((await rejection(p().wrap(dataKey, ctx))) as Pkcs11ProviderError).code).toBe('PROVIDER_CLOSED');
    provider = await open();
    expect((await p().versions()).map((v) => [v.version, v.current])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(await p().unwrap(v1Wrapped, ctx)).toEqual(dataKey);
    expect((await p().wrap(dataKey, ctx)).version).toBe(4);
  });

  it('allows one open provider per token in a process', async () => {
    const e = (await rejection(open())) as Pkcs11ProviderError;
    expect(e.code).toBe('TOKEN_IN_USE');
    await p().close();
    provider = undefined;
  });

  it('opens by slot id, and keeps label prefixes apart', async () => {
    const other = await open({ tokenLabel: undefined, slot: BigInt(slotId), labelPrefix: 'other-kek' });
    try {
      expect((await other.versions()).map((v) => v.version)).toEqual([1]);
      const w = await other.wrap(dataKey, ctx);
      expect(await other.unwrap(w, ctx)).toEqual(dataKey);
    } finally {
      await other.close();
    }
    const e = (await rejection(open({ tokenLabel: undefined, slot: 424242 }))) as Pkcs11ProviderError;
    expect(e.code).toBe('TOKEN_NOT_FOUND');
    expect(e.message).toContain(`"${TOKEN}" (slot ${slotId})`);
  });

  it('refuses a planted extractable key under its label prefix', async () => {
    rawPkcs11(`
      const id = Buffer.alloc(12); id.writeUInt32BE(1, 0);
      m.C_GenerateKey(s, { mechanism: p.CKM_AES_KEY_GEN }, [
        { type: p.CKA_CLASS, value: p.CKO_SECRET_KEY }, { type: p.CKA_KEY_TYPE, value: p.CKK_AES },
        { type: p.CKA_TOKEN, value: true }, { type: p.CKA_VALUE_LEN, value: 32 },
        { type: p.CKA_SENSITIVE, value: false }, { type: p.CKA_EXTRACTABLE, value: true },
        { type: p.CKA_ENCRYPT, value: true }, { type: p.CKA_DECRYPT, value: true },
        { type: p.CKA_LABEL, value: 'planted-v1' }, { type: p.CKA_ID, value: id } ]);
      return true;`);
    const e = (await rejection(open({ labelPrefix: 'planted' }))) as Pkcs11ProviderError;
    expect(e.code).toBe('KEK_CONFLICT');
    expect(e.message).toContain('planted-v1');
  });

  it('reports a wrong PIN clearly without echoing it', async () => {
    const wrongPin = 'canary-pin-9182736450';
    const e = await rejection(open({ pin: wrongPin }));
    expect(e).toBeInstanceOf(Pkcs11ProviderError);
    expect((e as Pkcs11ProviderError).code).toBe('PIN_INCORRECT');
    expect(e.message).toContain(`token "${TOKEN}"`);
    expect(e.message).toContain('CKR_PIN_INCORRECT');
    expect(errorText(e)).not.toContain(wrongPin);
    // The failed open released the module; the right PIN still works.
    const ok = await open();
    await ok.close();
  });

  it('names the available tokens when the label is unknown', async () => {
    const e = (await rejection(open({ tokenLabel: 'no-such-token' }))) as Pkcs11ProviderError;
    expect(e.code).toBe('TOKEN_NOT_FOUND');
    expect(e.message).toContain('"no-such-token"');
    expect(e.message).toContain(`available tokens: "${TOKEN}"`);
  });

  it('reports a missing or invalid library path and bad options', async () => {
    const missing = (await rejection(
      open({ library: join(dir, 'nope', 'libpkcs11.so') }),
    )) as Pkcs11ProviderError;
    expect(missing.code).toBe('LIBRARY_NOT_FOUND');
    expect(missing.message).toContain(join(dir, 'nope', 'libpkcs11.so'));
    const notALibrary = (await rejection(open({ library: conf }))) as Pkcs11ProviderError;
    expect(notALibrary.code).toBe('LIBRARY_LOAD_FAILED');
    const both = (await rejection(open({ slot: 1 }))) as Pkcs11ProviderError;
    expect(both.code).toBe('INVALID_OPTIONS');
    const prefix = (await rejection(open({ labelPrefix: 'bad prefix' }))) as Pkcs11ProviderError;
    expect(prefix.code).toBe('INVALID_OPTIONS');
  });

  it('names unsupported mechanisms', () => {
    expect(() => assertMechanisms([0x1080 /* CKM_AES_KEY_GEN */], 'token "x"')).toThrow(
      /token "x" does not support CKM_AES_GCM/,
    );
    let error: unknown;
    try {
      assertMechanisms([], 'token "x"');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Pkcs11ProviderError);
    expect((error as Pkcs11ProviderError).code).toBe('MECHANISM_UNSUPPORTED');
    expect((error as Error).message).toContain('CKM_AES_KEY_GEN, CKM_AES_GCM');
  });
});
