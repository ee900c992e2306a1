import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_SIZE,
  ChunkedDecryptError,
  ChunkedDecryptor,
  type ChunkedDecryptReason,
  ChunkedEncryptor,
  type CiphertextReader,
  ciphertextLength,
  createDecryptStream,
  createEncryptStream,
  decryptBuffer,
  decryptRange,
  deriveMessageKeys,
  ENCRYPTED_CHUNK_SIZE,
  encryptBuffer,
  HEADER_SIZE,
  openRangeDecryptor,
  plaintextLength,
  SALT_SIZE,
} from './chunked-encryption.ts';

type Vector = {
  tcId: number;
  comment: string;
  key: string;
  ctx: string;
  ct: string;
  aeadKey?: string;
  baseNonce?: string;
  msgLength?: number;
  msgSha512?: string;
  result: 'valid' | 'invalid';
  flags: string[];
};

const VECTOR_PATH = '../../../test/fixtures/wycheproof/c2sp_chunked_encryption_aes_256_gcm_test.json';
const vectorFile = JSON.parse(readFileSync(new URL(VECTOR_PATH, import.meta.url), 'utf8')) as {
  algorithm: string;
  numberOfTests: number;
  testGroups: { aead: string; sha: string; tests: Vector[] }[];
};
const vectors = vectorFile.testGroups.flatMap((g) => g.tests);

const sha512 = (b: Uint8Array) => createHash('sha512').update(b).digest('hex');
const hex = (s: string) => Buffer.from(s, 'hex');

function catchError(fn: () => unknown): ChunkedDecryptError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ChunkedDecryptError);
    return e as ChunkedDecryptError;
  }
  throw new Error('expected a ChunkedDecryptError');
}

async function catchAsync(fn: () => Promise<unknown>): Promise<ChunkedDecryptError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ChunkedDecryptError);
    return e as ChunkedDecryptError;
  }
  throw new Error('expected a ChunkedDecryptError');
}

/** Feeds `ct` to a push decryptor in pieces of `piece` bytes; returns output and the error, if any. */
function streamDecrypt(
  ct: Uint8Array,
  key: Uint8Array,
  ctx: Uint8Array,
  piece: number,
): { out: Buffer; error: ChunkedDecryptError | null; decryptor: ChunkedDecryptor | null } {
  const parts: Buffer[] = [];
  let decryptor: ChunkedDecryptor | null = null;
  try {
    decryptor = new ChunkedDecryptor(key, ctx);
    for (let i = 0; i < ct.length; i += piece)
      decryptor.write(ct.subarray(i, i + piece), (b) => parts.push(b));
    decryptor.end((b) => parts.push(b));
    return { out: Buffer.concat(parts), error: null, decryptor };
  } catch (e) {
    if (!(e instanceof ChunkedDecryptError)) throw e;
    return { out: Buffer.concat(parts), error: e, decryptor };
  }
}

const bufferReader =
  (ct: Uint8Array, log?: { offset: number; length: number }[]): CiphertextReader =>
  async (offset, length) => {
    log?.push({ offset, length });
    return ct.subarray(offset, offset + length);
  };

/** Deterministic pseudo-random plaintext (cheap, not all zeros so misplaced bytes show). */
function plaintextOf(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('Wycheproof C2SP chunked-encryption Cobblestone-256 vectors', () => {
  it('is the published file byte for byte', () => {
    const bytes = readFileSync(new URL(VECTOR_PATH, import.meta.url));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      '0f8e35568d59649fb55fb0e5602dc678dc8910d6822beef4945aee0b5994ef05',
    );
  });

  it('has the 35 published cases for AEAD_AES_256_GCM with SHA-512', () => {
    expect(vectorFile.algorithm).toBe('Cobblestone-256');
    expect(vectorFile.numberOfTests).toBe(35);
    expect(vectors).toHaveLength(35);
    expect(vectorFile.testGroups.every((g) => g.aead === 'AEAD_AES_256_GCM' && g.sha === 'SHA-512')).toBe(
      true,
    );
    expect(vectors.filter((v) => v.result === 'valid')).toHaveLength(10);
    expect(vectors.filter((v) => v.result === 'invalid')).toHaveLength(25);
  });

  let checked = 0;
  for (const v of vectors) {
    it(`tcId ${v.tcId} (${v.result}): ${v.comment}`, async () => {
      const key = hex(v.key);
      const ctx = hex(v.ctx);
      const ct = inflateSync(hex(v.ct));

      // Known-answer check of the key schedule wherever the vector gives it.
      if (v.aeadKey && v.baseNonce && ct.length >= SALT_SIZE) {
        const derived = deriveMessageKeys(key, ct.subarray(0, SALT_SIZE), ctx);
        expect(derived.key.toString('hex')).toBe(v.aeadKey);
        expect(derived.baseNonce.toString('hex')).toBe(v.baseNonce);
      }

      if (v.result === 'valid') {
        const pt = decryptBuffer(ct, key, ctx);
        expect(pt.length).toBe(v.msgLength);
        expect(sha512(pt)).toBe(v.msgSha512);
        // Encryption with the vector's salt reproduces the ciphertext byte for byte.
        const again = encryptBuffer(pt, key, ctx, { unsafeFixedSalt: ct.subarray(0, SALT_SIZE) });
        expect(again.equals(ct)).toBe(true);
        // Streaming in awkward piece sizes and random access give the same message.
        for (const piece of [1_000, ENCRYPTED_CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE + 1, ct.length]) {
          if (piece < 100 && ct.length > 100_000) continue;
          const s = streamDecrypt(ct, key, ctx, Math.max(1, piece));
          expect(s.error).toBeNull();
          expect(sha512(s.out)).toBe(v.msgSha512);
        }
        const opened = await openRangeDecryptor(bufferReader(ct), ct.length, key, ctx);
        expect(opened.length).toBe(v.msgLength);
        expect(sha512(await opened.read(0, opened.length))).toBe(v.msgSha512);
      } else {
        const whole = catchError(() => decryptBuffer(ct, key, ctx));
        if (v.flags.includes('HeaderFailure')) expect(whole.reason).not.toBe('chunk-auth');
        const expectedReasons: Partial<Record<string, ChunkedDecryptReason[]>> = {
          InvalidKeySize: ['key-size'],
          WrongKey: ['commitment'],
          WrongContext: ['commitment'],
          Truncation: ['truncated', 'chunk-auth'],
        };
        for (const flag of v.flags) {
          const allowed = expectedReasons[flag];
          if (allowed) expect(allowed).toContain(whole.reason);
        }

        // Streaming: may release at most the valid prefix, then must fail and keep failing.
        for (const piece of [1, 1_000, ENCRYPTED_CHUNK_SIZE, Math.max(1, ct.length)]) {
          const s = streamDecrypt(ct, key, ctx, piece);
          expect(s.error).toBeInstanceOf(ChunkedDecryptError);
          const prefix = v.msgLength ?? 0;
          expect(s.out.length).toBeLessThanOrEqual(prefix);
          expect(s.out.length % CHUNK_SIZE).toBe(0);
          if (s.out.length === prefix && prefix > 0) expect(sha512(s.out)).toBe(v.msgSha512);
          if (s.decryptor) {
            expect(() => s.decryptor!.end(() => {})).toThrow(s.error!);
            expect(() => s.decryptor!.write(new Uint8Array(1), () => {})).toThrow(s.error!);
          }
        }

        // Random access: reading the whole message fails; length authentication (open) fails
        // unless the vector's final chunk is validly encrypted at the right index.
        const open = async () => openRangeDecryptor(bufferReader(ct), ct.length, key, ctx);
        if (v.flags.includes('ValidFinalChunk')) {
          const opened = await open();
          await catchAsync(() => opened.read(0, opened.length));
        } else {
          await catchAsync(open);
        }
      }
      checked++;
    });
  }

  it('ran every case', () => {
    expect(checked).toBe(35);
  });
});

describe('round trips', () => {
  const key = randomBytes(32);
  const ctx = Buffer.from('tenant-a/recording-1/v1');
  const sizes = [0, 1, 16_383, 16_384, 16_385, 3 * 16_384, 3 * 16_384 + 7, 5 * 1024 * 1024 + 123];

  for (const size of sizes) {
    it(`encrypts and decrypts ${size} bytes in memory, streamed and by range`, async () => {
      const pt = plaintextOf(size, size + 1);
      const ct = encryptBuffer(pt, key, ctx);
      expect(ct.length).toBe(ciphertextLength(size));
      expect(plaintextLength(ct.length)).toBe(size);
      // Last chunk is always short: its ciphertext is 16..16399 bytes.
      const finalLength = (ct.length - HEADER_SIZE) % ENCRYPTED_CHUNK_SIZE;
      expect(finalLength).toBe((size % CHUNK_SIZE) + 16);
      expect(decryptBuffer(ct, key, ctx).equals(pt)).toBe(true);

      // Streams with irregular write sizes.
      const pieces: Buffer[] = [];
      for (let i = 0, step = 1; i < size; i += step, step = (step * 7 + 3) % 40_000)
        pieces.push(pt.subarray(i, i + step));
      const encParts: Buffer[] = [];
      await pipeline(
        Readable.from(pieces),
        createEncryptStream(key, ctx),
        new Writable({
          write(c, _e, cb) {
            encParts.push(c);
            cb();
          },
        }),
      );
      const streamed = Buffer.concat(encParts);
      expect(streamed.length).toBe(ct.length);
      expect(streamed.subarray(0, SALT_SIZE).equals(ct.subarray(0, SALT_SIZE))).toBe(false); // fresh salt
      const decParts: Buffer[] = [];
      const ctPieces: Buffer[] = [];
      for (let i = 0, step = 5; i < streamed.length; i += step, step = (step * 11 + 1) % 50_000)
        ctPieces.push(streamed.subarray(i, i + step));
      await pipeline(
        Readable.from(ctPieces),
        createDecryptStream(key, ctx, { expectedLength: size }),
        new Writable({
          write(c, _e, cb) {
            decParts.push(c);
            cb();
          },
        }),
      );
      expect(Buffer.concat(decParts).equals(pt)).toBe(true);

      const opened = await openRangeDecryptor(bufferReader(streamed), streamed.length, key, ctx);
      expect(opened.length).toBe(size);
      expect((await opened.read(0, size)).equals(pt)).toBe(true);
    });
  }

  it('emits the header, then each 16,400-byte chunk (body, tag), then the short final chunk', () => {
    const sizes: number[] = [];
    const encryptor = new ChunkedEncryptor(key, ctx);
    const emit = (b: Buffer) => sizes.push(b.length);
    encryptor.write(plaintextOf(10_000), emit);
    expect(sizes).toEqual([HEADER_SIZE]);
    encryptor.write(plaintextOf(40_000), emit);
    expect(sizes).toEqual([HEADER_SIZE, CHUNK_SIZE, 16, CHUNK_SIZE, 16, CHUNK_SIZE, 16]);
    encryptor.end(emit);
    expect(sizes.slice(7)).toEqual([50_000 - 3 * CHUNK_SIZE, 16]);
    // An empty message is the header and one empty chunk: just its tag.
    const empty: number[] = [];
    const e2 = new ChunkedEncryptor(key, ctx);
    e2.end((b) => empty.push(b.length));
    expect(empty).toEqual([HEADER_SIZE, 16]);
  });
});

describe('random access', () => {
  const key = randomBytes(32);
  const ctx = Buffer.from('ctx');
  const size = 3 * 1024 * 1024 + 4321;
  const pt = plaintextOf(size, 7);
  const ct = encryptBuffer(pt, key, ctx);

  it('returns exactly the plaintext for random and edge ranges', async () => {
    const opened = await openRangeDecryptor(bufferReader(ct), ct.length, key, ctx);
    const ranges: [number, number][] = [
      [0, 0],
      [size, size],
      [0, 1],
      [size - 1, size],
      [CHUNK_SIZE - 1, CHUNK_SIZE + 1],
      [CHUNK_SIZE, 2 * CHUNK_SIZE],
      [0, size],
      [size - (size % CHUNK_SIZE), size],
    ];
    for (let i = 0; i < 200; i++) {
      const a = Math.floor(Math.random() * (size + 1));
      const b = Math.min(size, a + Math.floor(Math.random() * (i % 2 ? 1024 * 1024 : 40_000)));
      ranges.push([a, b]);
    }
    for (const [a, b] of ranges) expect((await opened.read(a, b)).equals(pt.subarray(a, b))).toBe(true);
    await expect(opened.read(0, size + 1)).rejects.toBeInstanceOf(RangeError);
    await expect(opened.read(5, 4)).rejects.toBeInstanceOf(RangeError);
  });

  it('reads only the header, the final chunk and the chunks the range overlaps', async () => {
    const log: { offset: number; length: number }[] = [];
    const start = 1_000_000;
    const got = await decryptRange(bufferReader(ct, log), ct.length, key, ctx, start, start + 1024 * 1024);
    expect(got.equals(pt.subarray(start, start + 1024 * 1024))).toBe(true);
    const [header, last, body, ...rest] = log;
    expect(header).toEqual({ offset: 0, length: HEADER_SIZE });
    expect(last!.offset).toBe(HEADER_SIZE + Math.floor(size / CHUNK_SIZE) * ENCRYPTED_CHUNK_SIZE);
    expect(rest).toEqual([]);
    expect(body!.offset).toBe(HEADER_SIZE + Math.floor(start / CHUNK_SIZE) * ENCRYPTED_CHUNK_SIZE);
    // At most 1 MiB + 2 chunks of ciphertext for a 1 MiB range.
    expect(body!.length).toBeLessThanOrEqual(((1024 * 1024) / CHUNK_SIZE + 2) * ENCRYPTED_CHUNK_SIZE);
  });

  it('rejects a reader that returns short data', async () => {
    const short: CiphertextReader = async (o, l) => ct.subarray(o, o + l - 1);
    expect((await catchAsync(() => decryptRange(short, ct.length, key, ctx, 0, 10))).reason).toBe(
      'truncated',
    );
  });
});

describe('tampering is rejected by every decryptor', () => {
  const key = randomBytes(32);
  const ctx = Buffer.from('tenant-a/recording-1/v1');
  const pt = plaintextOf(3 * CHUNK_SIZE + 100, 3);
  const ct = encryptBuffer(pt, key, ctx);
  const chunkAt = (k: number) =>
    ct.subarray(HEADER_SIZE + k * ENCRYPTED_CHUNK_SIZE, HEADER_SIZE + (k + 1) * ENCRYPTED_CHUNK_SIZE);
  const body = ct.subarray(0, HEADER_SIZE);
  const flip = (at: number) => {
    const c = Buffer.from(ct);
    c[at]! ^= 0x01;
    return c;
  };
  const other = encryptBuffer(plaintextOf(3 * CHUNK_SIZE + 100, 9), key, ctx);

  const cases: [string, Buffer, ChunkedDecryptReason[], { key?: Buffer; ctx?: Buffer }?][] = [
    ['bit flip in the salt', flip(3), ['commitment']],
    ['bit flip in the commitment', flip(SALT_SIZE + 5), ['commitment']],
    ['bit flip in chunk 0', flip(HEADER_SIZE + 10), ['chunk-auth']],
    ['bit flip in a tag', flip(HEADER_SIZE + ENCRYPTED_CHUNK_SIZE - 1), ['chunk-auth']],
    ['bit flip in the final chunk', flip(ct.length - 20), ['chunk-auth']],
    ['truncated to the header', ct.subarray(0, HEADER_SIZE), ['truncated']],
    ['truncated inside the header', ct.subarray(0, 30), ['truncated']],
    ['truncated at a chunk boundary', ct.subarray(0, HEADER_SIZE + 2 * ENCRYPTED_CHUNK_SIZE), ['truncated']],
    ['final chunk dropped', ct.subarray(0, HEADER_SIZE + 3 * ENCRYPTED_CHUNK_SIZE), ['truncated']],
    ['last byte cut', ct.subarray(0, ct.length - 1), ['chunk-auth']],
    ['cut inside a full chunk', ct.subarray(0, HEADER_SIZE + ENCRYPTED_CHUNK_SIZE + 500), ['chunk-auth']],
    ['one byte appended', Buffer.concat([ct, Buffer.of(0)]), ['chunk-auth']],
    ['16 bytes appended', Buffer.concat([ct, Buffer.alloc(16)]), ['chunk-auth']],
    [
      'a valid full chunk appended',
      Buffer.concat([ct.subarray(0, ct.length - 116), chunkAt(2), ct.subarray(ct.length - 116)]),
      ['chunk-auth'],
    ],
    [
      'chunks 0 and 1 swapped',
      Buffer.concat([body, chunkAt(1), chunkAt(0), ct.subarray(HEADER_SIZE + 2 * ENCRYPTED_CHUNK_SIZE)]),
      ['chunk-auth'],
    ],
    [
      'chunk 0 duplicated over chunk 1',
      Buffer.concat([body, chunkAt(0), chunkAt(0), ct.subarray(HEADER_SIZE + 2 * ENCRYPTED_CHUNK_SIZE)]),
      ['chunk-auth'],
    ],
    [
      'middle chunk removed',
      Buffer.concat([body, chunkAt(0), ct.subarray(HEADER_SIZE + 2 * ENCRYPTED_CHUNK_SIZE)]),
      ['chunk-auth'],
    ],
    [
      'chunk spliced from another message under the same key',
      Buffer.concat([body, other.subarray(HEADER_SIZE)]),
      ['chunk-auth'],
    ],
    ['wrong key', ct, ['commitment'], { key: randomBytes(32) }],
    [
      'wrong context (another recording)',
      ct,
      ['commitment'],
      { ctx: Buffer.from('tenant-a/recording-2/v1') },
    ],
    ['short key', ct, ['key-size'], { key: randomBytes(16) }],
  ];

  for (const [name, tampered, reasons, override] of cases) {
    it(name, async () => {
      const k = override?.key ?? key;
      const c = override?.ctx ?? ctx;
      expect(reasons).toContain(catchError(() => decryptBuffer(tampered, k, c)).reason);
      for (const piece of [7, ENCRYPTED_CHUNK_SIZE, tampered.length || 1]) {
        const s = streamDecrypt(tampered, k, c, piece);
        expect(s.error).not.toBeNull();
        expect(reasons).toContain(s.error!.reason);
        // Whatever was released is an authentic prefix of the original.
        expect(pt.subarray(0, s.out.length).equals(s.out)).toBe(true);
      }
      const viaRange = await catchAsync(async () => {
        const opened = await openRangeDecryptor(bufferReader(tampered), tampered.length, k, c);
        return opened.read(0, opened.length);
      });
      expect([...reasons, 'chunk-auth', 'truncated']).toContain(viaRange.reason);
    });
  }

  it('never releases a chunk before its tag verified', () => {
    // Only the tag is modified, so releasing before authentication would leak correct-looking bytes.
    const tag0 = flip(HEADER_SIZE + ENCRYPTED_CHUNK_SIZE - 1);
    const tag1 = flip(HEADER_SIZE + 2 * ENCRYPTED_CHUNK_SIZE - 1);
    for (const piece of [
      1,
      100,
      ENCRYPTED_CHUNK_SIZE - 1,
      ENCRYPTED_CHUNK_SIZE,
      ENCRYPTED_CHUNK_SIZE + 1,
      ct.length,
    ]) {
      const a = streamDecrypt(tag0, key, ctx, piece);
      expect(a.error?.reason).toBe('chunk-auth');
      expect(a.out.length).toBe(0);
      const b = streamDecrypt(tag1, key, ctx, piece);
      expect(b.error?.reason).toBe('chunk-auth');
      expect(b.error?.chunkIndex).toBe(1);
      expect(b.out.equals(pt.subarray(0, CHUNK_SIZE))).toBe(true);
    }
  });

  it('a transform stream fails and keeps failing through pipeline', async () => {
    const out: Buffer[] = [];
    const run = pipeline(
      Readable.from([ct.subarray(0, ct.length - 1)]),
      createDecryptStream(key, ctx),
      new Writable({
        write(c, _e, cb) {
          out.push(c);
          cb();
        },
      }),
    );
    await expect(run).rejects.toBeInstanceOf(ChunkedDecryptError);
    expect(Buffer.concat(out).equals(pt.subarray(0, Buffer.concat(out).length))).toBe(true);
  });

  it('with a declared length, extra bytes are `trailing` and missing ones `truncated`', () => {
    const expectedLength = pt.length;
    const run = (bytes: Buffer) =>
      catchError(() => {
        const d = new ChunkedDecryptor(key, ctx, { expectedLength });
        d.write(bytes, () => {});
        d.end(() => {});
      });
    expect(run(Buffer.concat([ct, Buffer.of(1)])).reason).toBe('trailing');
    expect(run(ct.subarray(0, ct.length - 1)).reason).toBe('truncated');
    const ok: Buffer[] = [];
    const d = new ChunkedDecryptor(key, ctx, { expectedLength });
    d.write(ct, (b) => ok.push(b));
    d.end((b) => ok.push(b));
    expect(Buffer.concat(ok).equals(pt)).toBe(true);
  });

  it('error messages never contain key material', () => {
    const errors = cases.map(([, tampered, , o]) =>
      catchError(() => decryptBuffer(tampered, o?.key ?? key, o?.ctx ?? ctx)),
    );
    const derived = deriveMessageKeys(key, ct.subarray(0, SALT_SIZE), ctx);
    for (const e of errors) {
      const text = `${e.message} ${e.stack ?? ''} ${JSON.stringify(e)}`;
      for (const secret of [key, derived.key, derived.baseNonce]) {
        expect(text).not.toContain(secret.toString('hex'));
        expect(text).not.toContain(secret.toString('base64'));
      }
    }
  });
});

describe('memory', () => {
  it('streams 64 MiB through encrypt and decrypt with flat memory', async () => {
    // A handle on the garbage collector, so retained memory is measured rather than GC lag.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const key = randomBytes(32);
    const ctx = Buffer.from('memory');
    const total = 64 * 1024 * 1024;
    const block = plaintextOf(64 * 1024, 5);
    async function* source() {
      for (let sent = 0; sent < total; sent += block.length) yield Buffer.from(block);
    }
    const hashIn = createHash('sha256');
    for (let sent = 0; sent < total; sent += block.length) hashIn.update(block);
    const hashOut = createHash('sha256');
    let outBytes = 0;
    let ciphertextBytes = 0;
    gc();
    const base = process.memoryUsage();
    const series: number[] = [];
    let peakArrayBuffers = 0;
    let peakRss = 0;
    const sample = (collect: boolean) => {
      if (collect) gc();
      const m = process.memoryUsage();
      if (collect) series.push(m.arrayBuffers - base.arrayBuffers);
      peakArrayBuffers = Math.max(peakArrayBuffers, m.arrayBuffers - base.arrayBuffers);
      peakRss = Math.max(peakRss, m.rss - base.rss);
    };
    const count = new Transform({
      transform(c: Buffer, _e, cb) {
        ciphertextBytes += c.length;
        cb(null, c);
      },
    });
    let nextCollect = 4 * 1024 * 1024;
    await pipeline(
      source(),
      createEncryptStream(key, ctx),
      count,
      createDecryptStream(key, ctx, { expectedLength: total }),
      new Writable({
        write(c: Buffer, _e, cb) {
          hashOut.update(c);
          outBytes += c.length;
          sample(false);
          if (outBytes < nextCollect) return cb();
          // Mid-stream, with every stage holding what it holds: collect, give V8's background
          // ArrayBuffer sweeper a moment to release freed backing stores, and measure what is live.
          nextCollect += 4 * 1024 * 1024;
          gc();
          setTimeout(() => {
            sample(true);
            cb();
          }, 10);
        },
      }),
    );
    expect(outBytes).toBe(total);
    expect(ciphertextBytes).toBe(ciphertextLength(total));
    expect(hashOut.digest('hex')).toBe(hashIn.digest('hex'));
    console.warn(
      `64 MiB stream: live buffers (MiB, every 4 MiB) ${series.map((b) => (b / 2 ** 20).toFixed(2)).join(' ')}; ` +
        `uncollected peak +${(peakArrayBuffers / 2 ** 20).toFixed(1)} MiB, rss +${(peakRss / 2 ** 20).toFixed(1)} MiB`,
    );
    // Buffering would need 64 MiB of plaintext plus 64 MiB of ciphertext. Live: a few stream buffers
    // and the 16 KiB chunk buffers. RSS is a loose bound (GC timing varies).
    // Sampled every 4 MiB of output. Freed backing stores are released by a background sweeper, so
    // a sample can still count a few MiB of garbage; the typical (median) sample, and the smallest
    // one in the second half (which would keep growing if anything accumulated), must stay small.
    const sorted = [...series].sort((a, b) => a - b);
    expect(series.length).toBeGreaterThanOrEqual(15);
    expect(sorted[Math.floor(sorted.length / 2)]!).toBeLessThan(2 * 1024 * 1024);
    expect(Math.min(...series.slice(series.length / 2))).toBeLessThan(2 * 1024 * 1024);
    expect(peakRss).toBeLessThan(64 * 1024 * 1024);
  });
});
