import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyUnwrapError } from './key-provider.ts';
import { type LocalKeystoreErrorCode, MIN_KDF, openLocalKeystore } from './local-keystore.ts';

let dir: string;
let file: string;
const ctx = new TextEncoder().encode('tenant-a/recording-1/v1');

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bulwark-keystore-'));
  file = path.join(dir, 'keys', 'kek.json');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function expectCode(promise: Promise<unknown>, code: LocalKeystoreErrorCode): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    expect((e as { name: string }).name).toBe('LocalKeystoreError');
    expect((e as { code: string }).code).toBe(code);
    return e as Error;
  }
  throw new Error(`expected LocalKeystoreError ${code}`);
}

describe('local keystore file', () => {
  it('is created on first use with mode 0600 and one current version, and reopened later', async () => {
    const ks = await openLocalKeystore({ path: file, now: () => new Date('2026-11-27T07:00:00Z') });
    expect(ks.created).toBe(true);
    expect(ks.name).toBe('local');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.dirname(file))).mode & 0o077).toBe(0);
    expect(await ks.versions()).toEqual([
      { version: 1, createdAt: '2026-11-27T07:00:00.000Z', current: true },
    ]);
    const json = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(json.format).toBe('bulwark-local-keystore/v1');
    expect(json.protection).toEqual({ kind: 'none' });
    expect(Buffer.from(json.keys[0].material, 'base64')).toHaveLength(32);
    await ks.close();

    const again = await openLocalKeystore({ path: file });
    expect(again.created).toBe(false);
    expect((await again.versions()).map((v) => v.version)).toEqual([1]);
    await again.close();
    // Only the keystore remains: no temporary or lock files.
    expect(await fs.readdir(path.dirname(file))).toEqual(['kek.json']);
  });

  it('refuses a file that group or other users can read, naming the path and mode', async () => {
    await (await openLocalKeystore({ path: file })).close();
    for (const mode of [0o640, 0o604, 0o660]) {
      await fs.chmod(file, mode);
      const e = await expectCode(openLocalKeystore({ path: file }), 'INSECURE_PERMISSIONS');
      expect(e.message).toContain(file);
      expect(e.message).toContain(`0${mode.toString(8)}`);
    }
  });

  it('does not create the file when create is false, and rejects malformed files', async () => {
    await expectCode(openLocalKeystore({ path: file, create: false }), 'NOT_FOUND');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, '{"format":"something-else"}', { mode: 0o600 });
    await expectCode(openLocalKeystore({ path: file }), 'MALFORMED');
    await fs.writeFile(file, 'not json', { mode: 0o600 });
    await expectCode(openLocalKeystore({ path: file }), 'MALFORMED');
  });

  it('rejects weak passphrase KDF parameters', async () => {
    await expectCode(
      openLocalKeystore({
        path: file,
        passphrase: 'x',
        kdf: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
      }),
      'INVALID_OPTIONS',
    );
  });
});

describe('wrap and unwrap', () => {
  it('round-trips a data key bound to its context (A256GCM, nonce || ct || tag)', async () => {
    const ks = await openLocalKeystore({ path: file });
    const dek = randomBytes(32);
    const w = await ks.wrap(dek, ctx);
    expect(w).toMatchObject({ provider: 'local', version: 1, alg: 'A256GCM' });
    expect(w.wrapped).toHaveLength(12 + 32 + 16);
    expect(Buffer.from(await ks.unwrap(w, ctx)).equals(dek)).toBe(true);
    // A fresh nonce every time.
    expect(Buffer.from((await ks.wrap(dek, ctx)).wrapped).equals(Buffer.from(w.wrapped))).toBe(false);
    await ks.close();
  });

  it('fails with KeyUnwrapError for a wrong context, tampering, unknown version or foreign key', async () => {
    const ks = await openLocalKeystore({ path: file });
    const dek = randomBytes(32);
    const w = await ks.wrap(dek, ctx);
    const other = new TextEncoder().encode('tenant-a/recording-2/v1');
    const flipped = Uint8Array.from(w.wrapped);
    flipped[20]! ^= 1;
    const attempts = [
      () => ks.unwrap(w, other),
      () => ks.unwrap(w, new Uint8Array(0)),
      () => ks.unwrap({ ...w, wrapped: flipped }, ctx),
      () => ks.unwrap({ ...w, wrapped: w.wrapped.subarray(0, 20) }, ctx),
      () => ks.unwrap({ ...w, version: 7 }, ctx),
      () => ks.unwrap({ ...w, provider: 'pkcs11' }, ctx),
      () => ks.unwrap({ ...w, alg: 'A256KW' }, ctx),
    ];
    for (const attempt of attempts) {
      const e = await attempt().then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(KeyUnwrapError);
      expect((e as Error).message).not.toContain(dek.toString('hex'));
      expect((e as Error).message).not.toContain(dek.toString('base64'));
    }
    await ks.close();
  });

  it('never writes a data key into the keystore file', async () => {
    const ks = await openLocalKeystore({ path: file });
    const dek = randomBytes(32);
    await ks.wrap(dek, ctx);
    await ks.rotate();
    const text = await fs.readFile(file, 'utf8');
    expect(text).not.toContain(dek.toString('base64'));
    expect(text).not.toContain(dek.toString('hex'));
    await ks.close();
  });

  it('is unusable after close', async () => {
    const ks = await openLocalKeystore({ path: file });
    await ks.close();
    await expectCode(ks.wrap(randomBytes(32), ctx), 'CLOSED');
    await expectCode(ks.versions(), 'CLOSED');
  });
});

describe('rotation', () => {
  it('adds a current version atomically; old versions still unwrap; rewrap moves keys to the new one', async () => {
    const ks = await openLocalKeystore({ path: file });
    const dek = randomBytes(32);
    const w1 = await ks.wrap(dek, ctx);
    expect(await ks.rotate()).toBe(2);
    expect((await ks.versions()).map((v) => [v.version, v.current])).toEqual([
      [1, false],
      [2, true],
    ]);
    const w2 = await ks.wrap(dek, ctx);
    expect(w2.version).toBe(2);
    expect(Buffer.from(await ks.unwrap(w1, ctx)).equals(dek)).toBe(true);
    const moved = await ks.rewrap(w1, ctx);
    expect(moved.version).toBe(2);
    expect(Buffer.from(await ks.unwrap(moved, ctx)).equals(dek)).toBe(true);
    await expect(ks.rewrap(w1, new TextEncoder().encode('other'))).rejects.toBeInstanceOf(KeyUnwrapError);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    await ks.close();

    const reopened = await openLocalKeystore({ path: file });
    expect((await reopened.versions()).map((v) => v.version)).toEqual([1, 2]);
    expect(Buffer.from(await reopened.unwrap(w1, ctx)).equals(dek)).toBe(true);
    expect(Buffer.from(await reopened.unwrap(w2, ctx)).equals(dek)).toBe(true);
    await reopened.close();
    expect(await fs.readdir(path.dirname(file))).toEqual(['kek.json']);
  });

  it('serializes concurrent rotations and sees rotations made by another instance', async () => {
    const a = await openLocalKeystore({ path: file });
    const b = await openLocalKeystore({ path: file });
    expect((await Promise.all([a.rotate(), a.rotate(), a.rotate()])).sort()).toEqual([2, 3, 4]);
    // b opened before those rotations: unwrapping a v4 key makes it re-read the file.
    const dek = randomBytes(32);
    const w = await a.wrap(dek, ctx);
    expect(w.version).toBe(4);
    expect(Buffer.from(await b.unwrap(w, ctx)).equals(dek)).toBe(true);
    // And its own rotation continues the sequence instead of overwriting it.
    expect(await b.rotate()).toBe(5);
    const [va, vb] = await Promise.all([a.rotate(), b.rotate()]);
    expect([va, vb].sort()).toEqual([6, 7]);
    await a.close();
    await b.close();
    const c = await openLocalKeystore({ path: file });
    expect((await c.versions()).map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await c.close();
  });
});

describe('passphrase protection', () => {
  const passphrase = 'correct horse battery staple';

  it('stores KEKs encrypted under an Argon2id-derived key and reopens with the passphrase', async () => {
    const ks = await openLocalKeystore({ path: file, passphrase, kdf: MIN_KDF });
    const dek = randomBytes(32);
    const w = await ks.wrap(dek, ctx);
    expect(await ks.rotate()).toBe(2);
    await ks.close();

    const text = await fs.readFile(file, 'utf8');
    const json = JSON.parse(text);
    expect(json.protection).toMatchObject({ kind: 'argon2id', ...MIN_KDF });
    for (const k of json.keys) expect(Buffer.from(k.material, 'base64')).toHaveLength(12 + 32 + 16);
    expect(text).not.toContain(passphrase);

    const again = await openLocalKeystore({ path: file, passphrase });
    expect(Buffer.from(await again.unwrap(w, ctx)).equals(dek)).toBe(true);
    expect((await again.wrap(dek, ctx)).version).toBe(2);
    await again.close();
  });

  it('fails clearly on a wrong, missing or unexpected passphrase', async () => {
    await (await openLocalKeystore({ path: file, passphrase, kdf: MIN_KDF })).close();
    const wrong = await expectCode(
      openLocalKeystore({ path: file, passphrase: 'Tr0ub4dor&3' }),
      'PASSPHRASE_INCORRECT',
    );
    expect(wrong.message).toContain('wrong passphrase');
    expect(wrong.message).not.toContain('Tr0ub4dor&3');
    await expectCode(openLocalKeystore({ path: file }), 'PASSPHRASE_REQUIRED');

    const plainFile = path.join(dir, 'plain.json');
    await (await openLocalKeystore({ path: plainFile })).close();
    await expectCode(openLocalKeystore({ path: plainFile, passphrase }), 'PASSPHRASE_NOT_EXPECTED');
  });

  it('detects a damaged KEK entry', async () => {
    await (await openLocalKeystore({ path: file, passphrase, kdf: MIN_KDF })).close();
    const json = JSON.parse(await fs.readFile(file, 'utf8'));
    const material = Buffer.from(json.keys[0].material, 'base64');
    material[15]! ^= 1;
    json.keys[0].material = material.toString('base64');
    await fs.writeFile(file, JSON.stringify(json), { mode: 0o600 });
    await expectCode(openLocalKeystore({ path: file, passphrase }), 'CORRUPTED');
  });
});
