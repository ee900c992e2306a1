/**
 * Where recording bodies (always ciphertext) live. The default keeps them as files under the data
 * dir; an S3-compatible store fits the same interface: `write` = multipart upload (or PutObject from a
 * stream), `read` = GetObject with `Range: bytes=offset-(offset+length-1)`, `size` = HeadObject's
 * ContentLength, `delete` = DeleteObject. Keys are opaque `tenant/xx/id.c2sp` paths chosen by the
 * vault, never user input.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface BlobStore {
  /** Streams `body` to `key` and makes it visible only when complete (no torn blobs). Returns bytes written. */
  write(key: string, body: Readable): Promise<number>;
  /** Reads `length` bytes at `offset`; returns fewer only at the end of the blob. */
  read(key: string, offset: number, length: number): Promise<Buffer>;
  /** Opens a blob for several reads (one file handle; for S3, ranged GETs). Close it when done. */
  open(key: string): Promise<BlobReader>;
  /** Byte length of a stored blob; throws {@link BlobNotFoundError} when absent. */
  size(key: string): Promise<number>;
  /** Removes a blob; absent is fine (deletion is idempotent). */
  delete(key: string): Promise<void>;
  /** Every blob under `prefix` with its last modification (used by the orphan sweep and tests). */
  list(prefix?: string): AsyncIterable<{ key: string; modifiedAt: Date }>;
}

export type BlobReader = {
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
};

export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError';
}

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/**
 * Blobs as files under `root` (mode 0600 files, 0700 directories). Writes go to a temporary file in
 * the same directory, are fsynced, then renamed into place, so a crash never leaves a half blob
 * under a real key.
 *
 * @example
 * const store = createFsBlobStore(path.join(config.dataDir, 'blobs'));
 * await store.write('t1/ab/rec.c2sp', encryptedStream);
 */
export function createFsBlobStore(root: string): BlobStore {
  const resolve = (key: string): string => {
    if (!KEY_RE.test(key) || key.split('/').some((p) => p === '..' || p === '.'))
      throw new RangeError(`invalid blob key "${key}"`);
    return path.join(root, key);
  };

  async function openReader(key: string): Promise<BlobReader> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(resolve(key), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new BlobNotFoundError(`blob ${key} is missing`);
      throw e;
    }
    let closed = false;
    return {
      async read(offset: number, length: number) {
        const buf = Buffer.allocUnsafe(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await handle.read(buf, got, length - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return buf.subarray(0, got);
      },
      async close() {
        if (closed) return;
        closed = true;
        await handle.close();
      },
    };
  }

  return {
    async write(key, body) {
      const file = resolve(key);
      await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const temp = `${file}.${randomBytes(6).toString('hex')}.partial`;
      const handle = await fs.promises.open(temp, 'wx', 0o600);
      let bytes = 0;
      try {
        await pipeline(
          body,
          new Writable({
            async write(chunk: Buffer, _enc, cb) {
              try {
                let off = 0;
                while (off < chunk.length) {
                  const { bytesWritten } = await handle.write(chunk, off, chunk.length - off);
                  off += bytesWritten;
                }
                bytes += chunk.length;
                cb();
              } catch (e) {
                cb(e as Error);
              }
            },
          }),
        );
        await handle.sync();
        await handle.close();
        await fs.promises.rename(temp, file);
        return bytes;
      } catch (e) {
        await handle.close().catch(() => {});
        await fs.promises.rm(temp, { force: true });
        throw e;
      }
    },

    async read(key, offset, length) {
      const reader = await openReader(key);
      try {
        return await reader.read(offset, length);
      } finally {
        await reader.close();
      }
    },

    open: openReader,

    async size(key) {
      try {
        return (await fs.promises.stat(resolve(key))).size;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT')
          throw new BlobNotFoundError(`blob ${key} is missing`);
        throw e;
      }
    },

    async delete(key) {
      await fs.promises.rm(resolve(key), { force: true });
    },

    async *list(prefix = '') {
      const base = prefix === '' ? root : resolve(prefix);
      const walk = async function* (dir: string): AsyncGenerator<{ key: string; modifiedAt: Date }> {
        let entries: fs.Dirent[];
        try {
          entries = await fs.promises.readdir(dir, { withFileTypes: true });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw e;
        }
        for (const entry of entries) {
          const full = path.join(dir, entry.name);
          if (entry.isDirectory()) yield* walk(full);
          else if (!entry.name.endsWith('.partial')) {
            const stat = await fs.promises.stat(full).catch(() => undefined);
            if (stat)
              yield { key: path.relative(root, full).split(path.sep).join('/'), modifiedAt: stat.mtime };
          }
        }
      };
      yield* walk(base);
    },
  };
}
