/**
 * Local keystore: the default key-encryption-key (KEK) provider of the recording vault (issue 4).
 *
 * KEK versions (32 random bytes each) live in one JSON file that the caller places in the key
 * directory, outside the data directory, so a copy of the data dir or a database dump holds only
 * wrapped data keys. The file is created on first use with mode 0600 and refused when group or
 * other users have any access to it. Every change (creation, rotation) is written atomically:
 * temporary file, fsync, rename (link for creation, so two processes cannot both create it),
 * fsync of the directory, under a `<file>.lock` lock file.
 *
 * With a passphrase, each KEK is stored encrypted with AES-256-GCM under a key derived from the
 * passphrase with Argon2id (default m = 64 MiB, t = 3, p = 1, 16-byte salt, parameters stored in
 * the file and never accepted below OWASP's m = 19 MiB, t = 2). A tag-only check value tells a wrong
 * passphrase apart from a damaged file.
 *
 * Wrapping: AES-256-GCM, a random 12-byte nonce, the caller's `context` as additional data, output
 * `nonce || ciphertext || tag`, alg `A256GCM`. The newest version is current; older versions keep
 * unwrapping until removed from the file.
 *
 * File format (`bulwark-local-keystore/v1`):
 * ```json
 * { "format": "bulwark-local-keystore/v1",
 *   "protection": { "kind": "none" }
 *              | { "kind": "argon2id", "salt": "<b64>", "memoryCost": 65536, "timeCost": 3,
 *                  "parallelism": 1, "check": "<b64 nonce||tag>" },
 *   "keys": [{ "version": 1, "createdAt": "2026-11-27T07:00:00.000Z", "material": "<b64>" }] }
 * ```
 * `material` is the raw KEK, or with a passphrase `nonce || ciphertext || tag` with additional data
 * `bulwark-local-keystore/v1 kek <version>` (so versions cannot be swapped).
 *
 * @example
 * ```ts
 * const provider = await openLocalKeystore({ path: path.join(keyDir, 'kek.json') });
 * const wrapped = await provider.wrap(dataKey, context);
 * ```
 */
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
  randomBytes,
  randomFillSync,
} from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Algorithm, Version } from '@node-rs/argon2';
import { hashRaw } from '@node-rs/argon2';
import { type KekVersion, type KeyProvider, KeyUnwrapError, type WrappedKey } from './key-provider.ts';

// Ambient const enums cannot be referenced as values under isolatedModules (see password-hash.ts).
const ARGON2ID: Algorithm.Argon2id = 2;
const V0X13: Version.V0x13 = 1;

const FORMAT = 'bulwark-local-keystore/v1';
const PROVIDER_NAME = 'local';
const WRAP_ALG = 'A256GCM';
const KEK_SIZE = 32;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const MAX_DATA_KEY_SIZE = 1024;
const LOCK_TIMEOUT_MS = 5_000;
const CHECK_AAD = Buffer.from(`${FORMAT} check`);
const kekAad = (version: number) => Buffer.from(`${FORMAT} kek ${version}`);

/** Argon2id cost parameters for passphrase protection. */
export type KdfParams = { memoryCost: number; timeCost: number; parallelism: number };

/** Used for new passphrase-protected files unless {@link LocalKeystoreOptions.kdf} says otherwise. */
export const DEFAULT_KDF: KdfParams = { memoryCost: 65_536, timeCost: 3, parallelism: 1 };
/** Floor accepted when creating or opening a file (OWASP Argon2id minimum: 19 MiB, 2 passes). */
export const MIN_KDF: KdfParams = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export type LocalKeystoreOptions = {
  /** Keystore file, in the key directory (never inside the data directory). */
  path: string;
  /** Encrypts the KEKs at rest under an Argon2id-derived key. Never appears in errors. */
  passphrase?: string;
  /** Create the file (and its directory, mode 0700) when missing. Default true. */
  create?: boolean;
  /** Argon2id cost for a new protected file; at least {@link MIN_KDF}. Default {@link DEFAULT_KDF}. */
  kdf?: KdfParams;
  /** Clock for `createdAt`. */
  now?: () => Date;
};

/** Stable codes of {@link LocalKeystoreError}. */
export type LocalKeystoreErrorCode =
  | 'INVALID_OPTIONS'
  | 'NOT_FOUND'
  | 'INSECURE_PERMISSIONS'
  | 'MALFORMED'
  | 'PASSPHRASE_REQUIRED'
  | 'PASSPHRASE_NOT_EXPECTED'
  | 'PASSPHRASE_INCORRECT'
  | 'CORRUPTED'
  | 'LOCKED'
  | 'CONFLICT'
  | 'CLOSED';

/** A keystore setup or file failure. Messages name the file, never a passphrase or key bytes. */
export class LocalKeystoreError extends Error {
  override name = 'LocalKeystoreError';
  readonly code: LocalKeystoreErrorCode;
  constructor(code: LocalKeystoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The local provider, plus where it lives and whether this call created it. */
export type LocalKeystore = KeyProvider & { readonly path: string; readonly created: boolean };

type Protection =
  | { kind: 'none' }
  | {
      kind: 'argon2id';
      salt: string;
      memoryCost: number;
      timeCost: number;
      parallelism: number;
      check: string;
    };

type KeyEntry = { version: number; createdAt: string; material: string };
type KeystoreFile = { format: typeof FORMAT; protection: Protection; keys: KeyEntry[] };
type Kek = { version: number; createdAt: string; secret: Buffer; key: KeyObject };

function gcmSeal(key: Uint8Array | KeyObject, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE_SIZE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/**
 * Random nonces for data-key wraps, drawn from the CSPRNG 512 at a time: a `randomBytes(12)` call
 * per wrap cost about half as much as the AES-GCM seal of a 32-byte key itself (~4.7 µs against
 * ~9 µs), which a KEK rotation pays once per data key. Every byte is handed out once; nonces are
 * public (stored in front of the ciphertext), so holding the pool in memory reveals nothing.
 */
const noncePool = Buffer.alloc(NONCE_SIZE * 512);
let noncePoolOffset = noncePool.length;

/**
 * Seals a data key as `nonce || ciphertext || tag` straight into one new Uint8Array (no
 * Buffer.concat, no second copy into the caller's type).
 */
function sealDataKey(key: KeyObject, dataKey: Uint8Array, aad: Uint8Array): Uint8Array {
  if (noncePoolOffset === noncePool.length) {
    randomFillSync(noncePool);
    noncePoolOffset = 0;
  }
  const out = new Uint8Array(NONCE_SIZE + dataKey.length + TAG_SIZE);
  const nonce = noncePool.subarray(noncePoolOffset, noncePoolOffset + NONCE_SIZE);
  noncePoolOffset += NONCE_SIZE;
  out.set(nonce, 0);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  out.set(cipher.update(dataKey), NONCE_SIZE);
  cipher.final();
  out.set(cipher.getAuthTag(), NONCE_SIZE + dataKey.length);
  return out;
}

/** Returns the plaintext, or null when authentication fails. */
function gcmOpen(key: Uint8Array | KeyObject, sealed: Uint8Array, aad: Uint8Array): Buffer | null {
  if (sealed.length < NONCE_SIZE + TAG_SIZE) return null;
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_SIZE));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const plaintext = decipher.update(sealed.subarray(NONCE_SIZE, sealed.length - TAG_SIZE));
  try {
    decipher.final();
    return plaintext;
  } catch {
    plaintext.fill(0);
    return null;
  }
}

function checkKdf(p: KdfParams, where: string): void {
  const ok =
    Number.isInteger(p.memoryCost) &&
    Number.isInteger(p.timeCost) &&
    Number.isInteger(p.parallelism) &&
    p.memoryCost >= MIN_KDF.memoryCost &&
    p.memoryCost <= 4 * 1024 * 1024 &&
    p.timeCost >= MIN_KDF.timeCost &&
    p.timeCost <= 100 &&
    p.parallelism >= 1 &&
    p.parallelism <= 64;
  if (!ok)
    throw new LocalKeystoreError(
      where === 'options' ? 'INVALID_OPTIONS' : 'MALFORMED',
      `${where}: Argon2id parameters must be at least m=${MIN_KDF.memoryCost} KiB, t=${MIN_KDF.timeCost}, p=1 (and sane maxima)`,
    );
}

async function deriveWrappingKey(passphrase: string, salt: Uint8Array, p: KdfParams): Promise<Buffer> {
  return hashRaw(passphrase.normalize('NFKC'), {
    algorithm: ARGON2ID,
    version: V0X13,
    memoryCost: p.memoryCost,
    timeCost: p.timeCost,
    parallelism: p.parallelism,
    outputLen: KEK_SIZE,
    salt,
  });
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

function fromB64(text: unknown, file: string, what: string): Buffer {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text))
    throw new LocalKeystoreError('MALFORMED', `${file}: ${what} is not base64`);
  return Buffer.from(text, 'base64');
}

function parseFile(text: string, file: string): KeystoreFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new LocalKeystoreError('MALFORMED', `${file} is not valid JSON`);
  }
  const f = json as Partial<KeystoreFile> | null;
  if (!f || typeof f !== 'object' || f.format !== FORMAT)
    throw new LocalKeystoreError('MALFORMED', `${file} is not a ${FORMAT} file`);
  const p = f.protection as Partial<Protection> | undefined;
  if (!p || (p.kind !== 'none' && p.kind !== 'argon2id'))
    throw new LocalKeystoreError('MALFORMED', `${file}: unknown protection`);
  if (p.kind === 'argon2id') {
    const a = p as Extract<Protection, { kind: 'argon2id' }>;
    checkKdf(a, file);
    if (fromB64(a.salt, file, 'protection.salt').length < 16)
      throw new LocalKeystoreError('MALFORMED', `${file}: protection.salt is too short`);
    fromB64(a.check, file, 'protection.check');
  }
  if (!Array.isArray(f.keys) || f.keys.length === 0)
    throw new LocalKeystoreError('MALFORMED', `${file} holds no key versions`);
  const seen = new Set<number>();
  for (const [i, k] of f.keys.entries()) {
    if (
      !k ||
      typeof k !== 'object' ||
      !Number.isInteger(k.version) ||
      k.version < 1 ||
      typeof k.createdAt !== 'string' ||
      seen.has(k.version)
    )
      throw new LocalKeystoreError('MALFORMED', `${file}: keys[${i}] is malformed or a duplicate version`);
    seen.add(k.version);
    fromB64(k.material, file, `keys[${i}].material`);
  }
  return f as KeystoreFile;
}

/** Refuses files other users can access; returns the file's text. */
async function readSecure(file: string): Promise<string> {
  const handle = await fs.open(file, fsConstants.O_RDONLY).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new LocalKeystoreError('NOT_FOUND', `no keystore at ${file}`);
    throw e;
  });
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new LocalKeystoreError('MALFORMED', `${file} is not a regular file`);
    const mode = st.mode & 0o777;
    if ((mode & 0o077) !== 0)
      throw new LocalKeystoreError(
        'INSECURE_PERMISSIONS',
        `${file} is accessible to group or other users (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${file}`,
      );
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `text` to `file` atomically: temp file (0600) + fsync + rename (or link when `exclusive`,
 * which fails if the file appeared meanwhile) + fsync of the directory.
 */
async function writeAtomic(file: string, text: string, exclusive: boolean): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (exclusive) await fs.link(tmp, file);
    else await fs.rename(tmp, file);
  } finally {
    if (exclusive) await fs.rm(tmp, { force: true });
  }
  await fsyncDir(dir);
}

async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      const handle = await fs.open(lock, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() > deadline)
        throw new LocalKeystoreError(
          'LOCKED',
          `${lock} has been held for over ${LOCK_TIMEOUT_MS / 1000} s; if no Bulwark process is changing the keystore, remove it`,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

/** Decrypted view of a keystore file. */
type Loaded = { file: KeystoreFile; keks: Map<number, Kek>; wrappingKey: Buffer | null };

async function unlock(
  file: KeystoreFile,
  where: string,
  passphrase: string | undefined,
  known: Buffer | null,
): Promise<Loaded> {
  const p = file.protection;
  let wrappingKey: Buffer | null = null;
  if (p.kind === 'none') {
    if (passphrase !== undefined)
      throw new LocalKeystoreError(
        'PASSPHRASE_NOT_EXPECTED',
        `${where} is not passphrase-protected, but a passphrase was given; refusing to guess which is intended`,
      );
  } else {
    if (known) wrappingKey = known;
    else {
      if (passphrase === undefined)
        throw new LocalKeystoreError(
          'PASSPHRASE_REQUIRED',
          `${where} is passphrase-protected; give its passphrase`,
        );
      wrappingKey = await deriveWrappingKey(passphrase, Buffer.from(p.salt, 'base64'), p);
    }
    const check = gcmOpen(wrappingKey, Buffer.from(p.check, 'base64'), CHECK_AAD);
    if (check === null) throw new LocalKeystoreError('PASSPHRASE_INCORRECT', `wrong passphrase for ${where}`);
  }
  const keks = new Map<number, Kek>();
  for (const entry of file.keys) {
    const material = Buffer.from(entry.material, 'base64');
    const secret = wrappingKey ? gcmOpen(wrappingKey, material, kekAad(entry.version)) : material;
    if (secret === null || secret.length !== KEK_SIZE)
      throw new LocalKeystoreError('CORRUPTED', `${where}: KEK version ${entry.version} is damaged`);
    keks.set(entry.version, {
      version: entry.version,
      createdAt: entry.createdAt,
      secret,
      key: createSecretKey(secret),
    });
  }
  return { file, keks, wrappingKey };
}

function newEntry(
  version: number,
  createdAt: string,
  wrappingKey: Buffer | null,
): { entry: KeyEntry; secret: Buffer } {
  const secret = randomBytes(KEK_SIZE);
  const material = wrappingKey ? gcmSeal(wrappingKey, secret, kekAad(version)) : secret;
  return { entry: { version, createdAt, material: b64(material) }, secret };
}

const serialize = (f: KeystoreFile) => `${JSON.stringify(f, null, 2)}\n`;

/**
 * Opens (creating on first use) the local keystore at `options.path` and returns it as a
 * {@link KeyProvider}. Fails with {@link LocalKeystoreError} when the file is missing and `create`
 * is false, accessible to other users, malformed, or the passphrase is missing or wrong.
 */
export async function openLocalKeystore(options: LocalKeystoreOptions): Promise<LocalKeystore> {
  if (typeof options.path !== 'string' || options.path === '')
    throw new LocalKeystoreError('INVALID_OPTIONS', 'path is required');
  if (
    options.passphrase !== undefined &&
    (typeof options.passphrase !== 'string' || options.passphrase === '')
  )
    throw new LocalKeystoreError('INVALID_OPTIONS', 'passphrase must be a non-empty string');
  const kdf = options.kdf ?? DEFAULT_KDF;
  checkKdf(kdf, 'options');
  const file = path.resolve(options.path);
  const now = options.now ?? (() => new Date());
  let created = false;

  const exists = await fs
    .lstat(file)
    .then(() => true)
    .catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw e;
    });
  if (!exists) {
    if (options.create === false) throw new LocalKeystoreError('NOT_FOUND', `no keystore at ${file}`);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    created = await withLock(file, async () => {
      let wrappingKey: Buffer | null = null;
      let protection: Protection = { kind: 'none' };
      if (options.passphrase !== undefined) {
        const salt = randomBytes(16);
        wrappingKey = await deriveWrappingKey(options.passphrase, salt, kdf);
        protection = {
          kind: 'argon2id',
          salt: b64(salt),
          ...kdf,
          check: b64(gcmSeal(wrappingKey, new Uint8Array(0), CHECK_AAD)),
        };
      }
      const { entry, secret } = newEntry(1, now().toISOString(), wrappingKey);
      secret.fill(0);
      wrappingKey?.fill(0);
      try {
        await writeAtomic(file, serialize({ format: FORMAT, protection, keys: [entry] }), true);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false; // another process won
        throw e;
      }
    });
  }

  let state: Loaded = await unlock(parseFile(await readSecure(file), file), file, options.passphrase, null);
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  /** The newest version, recomputed whenever `state.keks` changes (wrap and rewrap read it per key). */
  const newest = (): Kek => {
    let best: Kek | undefined;
    for (const k of state.keks.values()) if (!best || k.version > best.version) best = k;
    return best!;
  };
  let currentKek = newest();
  const current = (): Kek => currentKek;
  const ensureOpen = () => {
    if (closed) throw new LocalKeystoreError('CLOSED', `keystore ${file} is closed`);
  };
  /** Re-reads the file (another process may have rotated), keeping the same protection. */
  const reload = async (): Promise<void> => {
    const parsed = parseFile(await readSecure(file), file);
    const same =
      parsed.protection.kind === state.file.protection.kind &&
      (parsed.protection.kind === 'none' ||
        (state.file.protection.kind === 'argon2id' && parsed.protection.salt === state.file.protection.salt));
    if (!same)
      throw new LocalKeystoreError(
        'CONFLICT',
        `${file} changed its protection since it was opened; reopen it`,
      );
    const next = await unlock(parsed, file, undefined, state.wrappingKey);
    for (const old of state.keks.values()) if (!next.keks.has(old.version)) old.secret.fill(0);
    for (const [v, k] of next.keks) {
      const had = state.keks.get(v);
      if (had) k.secret.fill(0);
      next.keks.set(v, had ?? k);
    }
    state = next;
    currentKek = newest();
  };
  /** Runs changes one at a time within this process. */
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };

  const wrapWith = (kek: Kek, dataKey: Uint8Array, context: Uint8Array): WrappedKey => ({
    provider: PROVIDER_NAME,
    version: kek.version,
    alg: WRAP_ALG,
    wrapped: sealDataKey(kek.key, dataKey, context),
  });

  /** The KEK that wrapped `key`, or undefined when this process does not know its version (yet). */
  const kekFor = (key: WrappedKey): Kek | undefined => {
    ensureOpen();
    if (key.provider !== PROVIDER_NAME || key.alg !== WRAP_ALG)
      throw new KeyUnwrapError(
        `wrapped key is for provider ${key.provider} / ${key.alg}, not ${PROVIDER_NAME} / ${WRAP_ALG}`,
      );
    return state.keks.get(key.version);
  };

  /** Re-reads the file when `key` names a version newer than ours (another process rotated). */
  const kekAfterReload = async (key: WrappedKey): Promise<Kek> => {
    let kek: Kek | undefined;
    if (Number.isInteger(key.version) && key.version > current().version) {
      await serialized(reload);
      kek = state.keks.get(key.version);
    }
    if (!kek) throw new KeyUnwrapError(`local KEK version ${key.version} does not exist in ${file}`);
    return kek;
  };

  const openWith = (kek: Kek, key: WrappedKey, context: Uint8Array): Uint8Array => {
    const plaintext = gcmOpen(kek.key, key.wrapped, context);
    if (plaintext === null)
      throw new KeyUnwrapError(
        `cannot unwrap data key with local KEK version ${key.version}: wrong context or modified wrapped key`,
      );
    return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.length);
  };

  /** Unwraps `key` under `kek` and wraps the data key under the current version, wiping it. */
  const rewrapWith = (kek: Kek, key: WrappedKey, context: Uint8Array): WrappedKey => {
    const dataKey = openWith(kek, key, context);
    try {
      return wrapWith(current(), dataKey, context);
    } finally {
      dataKey.fill(0);
    }
  };

  return {
    name: PROVIDER_NAME,
    path: file,
    created,
    async wrap(dataKey, context) {
      ensureOpen();
      if (dataKey.length === 0 || dataKey.length > MAX_DATA_KEY_SIZE)
        throw new RangeError(`data key must be 1 to ${MAX_DATA_KEY_SIZE} bytes`);
      return wrapWith(current(), dataKey, context);
    },
    async unwrap(key, context) {
      return openWith(kekFor(key) ?? (await kekAfterReload(key)), key, context);
    },
    // A rotation re-wraps every data key, so the known-version path stays synchronous: one promise
    // per key (this async method's), no awaits inside.
    async rewrap(key, context) {
      return rewrapWith(kekFor(key) ?? (await kekAfterReload(key)), key, context);
    },
    rotate() {
      ensureOpen();
      return serialized(() =>
        withLock(file, async () => {
          await reload(); // pick up versions other processes added
          const version = current().version + 1;
          const { entry, secret } = newEntry(version, now().toISOString(), state.wrappingKey);
          await writeAtomic(file, serialize({ ...state.file, keys: [...state.file.keys, entry] }), false);
          state.file = { ...state.file, keys: [...state.file.keys, entry] };
          state.keks.set(version, {
            version,
            createdAt: entry.createdAt,
            secret,
            key: createSecretKey(secret),
          });
          currentKek = newest();
          return version;
        }),
      );
    },
    async versions(): Promise<KekVersion[]> {
      ensureOpen();
      const cur = current().version;
      return [...state.keks.values()]
        .sort((a, b) => a.version - b.version)
        .map((k) => ({ version: k.version, createdAt: k.createdAt, current: k.version === cur }));
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      for (const k of state.keks.values()) k.secret.fill(0);
      state.wrappingKey?.fill(0);
    },
  };
}
