import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ChunkedDecryptError,
  decryptBuffer,
  decryptRange,
  encryptBuffer,
} from '../recordings/chunked-encryption.ts';
import {
  DATA_KEY_SIZE,
  KeyShreddedError,
  newDataKey,
  openRecordingKey,
  recordingContext,
  sealRecordingKey,
  wipe,
} from './envelope.ts';
import { KeyUnwrapError, type WrappedKey } from './key-provider.ts';
import { type LocalKeystore, openLocalKeystore } from './local-keystore.ts';

describe('data keys and contexts', () => {
  it('makes fresh 32-byte data keys and wipes buffers', () => {
    const a = newDataKey();
    const b = newDataKey();
    expect(a).toHaveLength(DATA_KEY_SIZE);
    expect(a.equals(b)).toBe(false);
    wipe(a);
    expect(a.every((x) => x === 0)).toBe(true);
    wipe(null);
  });

  it('encodes tenant, recording and key version unambiguously', () => {
    const ctx = Buffer.from(recordingContext('t1', 'r1', 1));
    expect(ctx.toString('hex')).toBe(
      Buffer.concat([
        Buffer.from([0, 0, 0, 20]),
        Buffer.from('bulwark.recording.v1'),
        Buffer.from([0, 0, 0, 2]),
        Buffer.from('t1'),
        Buffer.from([0, 0, 0, 2]),
        Buffer.from('r1'),
        Buffer.from([0, 0, 0, 1]),
      ]).toString('hex'),
    );
    const all = [
      recordingContext('t1', 'r1', 1),
      recordingContext('t1', 'r1', 2),
      recordingContext('t1', 'r2', 1),
      recordingContext('t2', 'r1', 1),
      recordingContext('ab', 'c', 1),
      recordingContext('a', 'bc', 1),
      recordingContext('é', 'r1', 1),
    ].map((c) => Buffer.from(c).toString('hex'));
    expect(new Set(all).size).toBe(all.length);
    expect(Buffer.from(recordingContext('t1', 'r1', 1)).equals(ctx)).toBe(true);
    expect(() => recordingContext('', 'r', 1)).toThrow(TypeError);
    expect(() => recordingContext('t', 'r', 0)).toThrow(RangeError);
    expect(() => recordingContext('t', 'r', 1.5)).toThrow(RangeError);
    expect(() => recordingContext('t', 'x'.repeat(2000), 1)).toThrow(RangeError);
  });
});

describe('crypto-shredding (library level)', () => {
  let dir: string;
  let provider: LocalKeystore;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bulwark-envelope-'));
    provider = await openLocalKeystore({ path: path.join(dir, 'keys', 'kek.json') });
  });
  afterEach(async () => {
    await provider.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** A stored recording as the vault would keep it: only the wrapped key beside the body. */
  type Row = { tenantId: string; id: string; keyVersion: number; wrapped: WrappedKey | null; body: Buffer };

  async function store(tenantId: string, id: string, plaintext: Buffer): Promise<Row> {
    const ctx = recordingContext(tenantId, id, 1);
    const { dataKey, wrapped } = await sealRecordingKey(provider, ctx);
    const body = encryptBuffer(plaintext, dataKey, ctx);
    const row = { tenantId, id, keyVersion: 1, wrapped, body };
    // The row never holds the plaintext data key.
    const serialized = JSON.stringify({ ...row, wrapped: Buffer.from(wrapped.wrapped).toString('base64') });
    expect(serialized).not.toContain(dataKey.toString('base64'));
    expect(Buffer.from(row.body).includes(dataKey)).toBe(false);
    expect(Buffer.from(wrapped.wrapped).includes(dataKey)).toBe(false);
    wipe(dataKey);
    return row;
  }

  async function play(row: Row): Promise<Buffer> {
    const ctx = recordingContext(row.tenantId, row.id, row.keyVersion);
    const dataKey = await openRecordingKey(provider, row.wrapped, ctx);
    try {
      return decryptBuffer(row.body, dataKey, ctx);
    } finally {
      wipe(dataKey);
    }
  }

  it('decrypts while the wrapped key exists and fails with KeyShreddedError once it is destroyed', async () => {
    const audio = randomBytes(100_000);
    const row = await store('tenant-a', 'rec-1', audio);
    expect((await play(row)).equals(audio)).toBe(true);

    row.wrapped = null; // shred: the only copy of the wrapped data key is destroyed
    for (let i = 0; i < 3; i++) await expect(play(row)).rejects.toBeInstanceOf(KeyShreddedError);
    await expect(
      openRecordingKey(provider, undefined, recordingContext('tenant-a', 'rec-1', 1)),
    ).rejects.toBeInstanceOf(KeyShreddedError);
  });

  it('a shredded recording cannot be opened with another row’s key, nor its body moved to another row', async () => {
    const a = await store('tenant-a', 'rec-1', randomBytes(40_000));
    const b = await store('tenant-a', 'rec-2', randomBytes(40_000));
    const c = await store('tenant-b', 'rec-1', randomBytes(40_000));
    a.wrapped = null;

    // Borrowing b's (or c's) wrapped key for a: the wrap is bound to b's context.
    await expect(play({ ...a, wrapped: b.wrapped })).rejects.toBeInstanceOf(KeyUnwrapError);
    await expect(play({ ...a, wrapped: c.wrapped })).rejects.toBeInstanceOf(KeyUnwrapError);
    // Moving a's body into b's row: b's key and context do not open it (commitment check).
    const moved = await play({ ...b, body: a.body }).catch((e: unknown) => e);
    expect(moved).toBeInstanceOf(ChunkedDecryptError);
    expect((moved as ChunkedDecryptError).reason).toBe('commitment');
    // Even with b's real data key, a's body under a's context stays sealed (different key).
    const bKey = await openRecordingKey(provider, b.wrapped, recordingContext('tenant-a', 'rec-2', 1));
    const ctxA = recordingContext('tenant-a', 'rec-1', 1);
    expect(() => decryptBuffer(a.body, bKey, ctxA)).toThrow(ChunkedDecryptError);
    await expect(
      decryptRange(async (o, l) => a.body.subarray(o, o + l), a.body.length, bKey, ctxA, 0, 10),
    ).rejects.toBeInstanceOf(ChunkedDecryptError);
  });

  it('survives KEK rotation without touching bodies (context excludes the KEK version)', async () => {
    const audio = randomBytes(50_000);
    const row = await store('tenant-a', 'rec-9', audio);
    const bodyBefore = Buffer.from(row.body);
    await provider.rotate();
    row.wrapped = await provider.rewrap(row.wrapped!, recordingContext('tenant-a', 'rec-9', 1));
    expect(row.wrapped.version).toBe(2);
    expect(row.body.equals(bodyBefore)).toBe(true);
    expect((await play(row)).equals(audio)).toBe(true);
  });
});
