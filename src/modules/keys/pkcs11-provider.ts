/**
 * PKCS#11 key-encryption-key provider: KEKs live in a hardware security module (or SoftHSM2 in
 * tests) as non-extractable AES-256 token objects, and data keys are wrapped with CKM_AES_GCM inside
 * the token. The KEK never leaves the HSM; only wrapped data keys leave this module.
 *
 * KEK version `n` is the secret-key object labelled `${labelPrefix}-v${n}`. Its CKA_ID is 12 bytes:
 * the version as a big-endian uint32, then the creation time in Unix milliseconds as a big-endian
 * uint64. That CKA_ID is where `versions()` reads `createdAt` from. CKA_START_DATE is not used
 * because pkcs11js 2.1.7 crashes the process (`free(): invalid pointer`) when given a `Date` for it.
 * The newest version is current.
 *
 * Wrapped format (alg `A256GCM`): iv (12 random bytes) || ciphertext || tag (16 bytes), with the
 * caller's `context` as GCM additional data.
 *
 * Sessions and concurrency: one provider opens one R/W session, logs in as the user once, and
 * runs every call on it. pkcs11js calls are synchronous. Each operation (C_EncryptInit + C_Encrypt,
 * C_FindObjectsInit … Final) runs to the end without an `await`, so calls from concurrent
 * promises cannot interleave on the session. Each call blocks the event loop while it runs
 * (about 0.16 ms for a wrap on SoftHSM2). A network HSM with millisecond latency would need a
 * worker thread. PKCS#11 keeps login state per process and token, so this module allows one open
 * provider per token per process (a second one gets `TOKEN_IN_USE`). The library is loaded once
 * per process, and C_Initialize / C_Finalize are reference-counted across providers.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { endianness } from 'node:os';
import pkcs11js from 'pkcs11js';
import { type KekVersion, type KeyProvider, KeyUnwrapError, type WrappedKey } from './key-provider.ts';

/** Options for {@link openPkcs11Provider}. Give exactly one of `tokenLabel` or `slot`. */
export type Pkcs11ProviderOptions = {
  /** Path of the PKCS#11 module, e.g. `/usr/lib/softhsm/libsofthsm2.so`. */
  library: string;
  /** Label of an initialized token (as `softhsm2-util --show-slots` prints it). */
  tokenLabel?: string;
  /** Slot ID (not the index) holding the token. */
  slot?: number | bigint;
  /** User PIN. It never appears in an error message. */
  pin: string;
  /** KEK objects are labelled `${labelPrefix}-v${n}`. Default `bulwark-kek`. */
  labelPrefix?: string;
};

/** Stable codes of {@link Pkcs11ProviderError}. */
export type Pkcs11ProviderErrorCode =
  | 'INVALID_OPTIONS'
  | 'LIBRARY_NOT_FOUND'
  | 'LIBRARY_LOAD_FAILED'
  | 'TOKEN_NOT_FOUND'
  | 'TOKEN_IN_USE'
  | 'PIN_INCORRECT'
  | 'PIN_LOCKED'
  | 'MECHANISM_UNSUPPORTED'
  | 'KEK_CONFLICT'
  | 'PROVIDER_CLOSED'
  | 'PKCS11_FAILED';

/** A setup or token failure other than an unwrap mismatch. Messages never hold a PIN or key bytes. */
export class Pkcs11ProviderError extends Error {
  override name = 'Pkcs11ProviderError';
  readonly code: Pkcs11ProviderErrorCode;
  constructor(code: Pkcs11ProviderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const ALG = 'A256GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const ID_BYTES = 12;

type Module = InstanceType<typeof pkcs11js.PKCS11>;
type Handle = Buffer;
type LoadedLibrary = { module: Module; initCount: number; ownsInit: boolean; openSlots: Set<bigint> };
type KekObject = { version: number; createdAt: number; handle: Handle };

/**
 * Loaded modules by real path. A module is never unloaded (dlclose). Unloading OpenSSL-backed
 * modules such as SoftHSM2 while the process runs can crash it at exit, and C_Finalize already
 * releases the module's state.
 */
const libraries = new Map<string, LoadedLibrary>();

/** Mechanisms the provider needs; exported for tests. */
export const REQUIRED_MECHANISMS = [
  { mechanism: pkcs11js.CKM_AES_KEY_GEN, name: 'CKM_AES_KEY_GEN' },
  { mechanism: pkcs11js.CKM_AES_GCM, name: 'CKM_AES_GCM' },
] as const;

/**
 * Throws `MECHANISM_UNSUPPORTED` naming every required mechanism missing from `available`.
 *
 * @example
 * assertMechanisms(module.C_GetMechanismList(slot), 'token "hsm1"');
 */
export function assertMechanisms(available: readonly number[], where: string): void {
  const missing = REQUIRED_MECHANISMS.filter((m) => !available.includes(m.mechanism)).map((m) => m.name);
  if (missing.length > 0) {
    throw new Pkcs11ProviderError(
      'MECHANISM_UNSUPPORTED',
      `${where} does not support ${missing.join(', ')}. The PKCS#11 provider needs AES-256 key ` +
        'generation and AES-GCM inside the token',
    );
  }
}

/** The CKR_* name of a pkcs11js error, or undefined for other errors. */
function ckr(e: unknown): string | undefined {
  return e instanceof pkcs11js.Pkcs11Error ? e.message : undefined;
}

function describe(e: unknown): string {
  return ckr(e) ?? (e instanceof Error ? e.message : String(e));
}

/** Slot handles are native CK_ULONGs in host byte order. */
function handleToBigInt(handle: Handle): bigint {
  const bytes = endianness() === 'LE' ? [...handle].reverse() : [...handle];
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

function acquireLibrary(path: string): { key: string; lib: LoadedLibrary } {
  if (!existsSync(path)) {
    throw new Pkcs11ProviderError(
      'LIBRARY_NOT_FOUND',
      `PKCS#11 library not found at ${path}. Install the HSM vendor's module (for SoftHSM2 on Debian: ` +
        'apt-get install softhsm2, module /usr/lib/softhsm/libsofthsm2.so) or fix the configured path',
    );
  }
  const key = realpathSync(path);
  let lib = libraries.get(key);
  if (!lib) {
    const module = new pkcs11js.PKCS11();
    try {
      module.load(key);
    } catch (e) {
      throw new Pkcs11ProviderError(
        'LIBRARY_LOAD_FAILED',
        `could not load ${path} as a PKCS#11 library: ${describe(e)}`,
        { cause: e },
      );
    }
    lib = { module, initCount: 0, ownsInit: false, openSlots: new Set() };
    libraries.set(key, lib);
  }
  if (lib.initCount === 0) {
    try {
      lib.module.C_Initialize();
      lib.ownsInit = true;
    } catch (e) {
      if (ckr(e) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
        throw new Pkcs11ProviderError('PKCS11_FAILED', `C_Initialize failed for ${path}: ${describe(e)}`, {
          cause: e,
        });
      }
      lib.ownsInit = false; // someone else in this process initialized it; leave C_Finalize to them
    }
  }
  lib.initCount++;
  return { key, lib };
}

function releaseLibrary(lib: LoadedLibrary): void {
  lib.initCount--;
  if (lib.initCount === 0 && lib.ownsInit) {
    try {
      lib.module.C_Finalize();
    } catch {
      // nothing useful to do: the module is being released anyway
    }
  }
}

function findSlot(
  module: Module,
  options: Pkcs11ProviderOptions,
): { slot: Handle; slotId: bigint; name: string } {
  const slots = module.C_GetSlotList(true);
  const tokens = slots.map((slot) => {
    const info = module.C_GetTokenInfo(slot);
    return {
      slot,
      slotId: handleToBigInt(slot),
      label: info.label.trimEnd(),
      initialized: (info.flags & pkcs11js.CKF_TOKEN_INITIALIZED) !== 0,
    };
  });
  const available = tokens.filter((t) => t.initialized);
  const availableText =
    available.length === 0
      ? 'no initialized tokens are present'
      : `available tokens: ${available.map((t) => `"${t.label}" (slot ${t.slotId})`).join(', ')}`;
  if (options.tokenLabel !== undefined) {
    const matches = available.filter((t) => t.label === options.tokenLabel);
    if (matches.length === 0) {
      throw new Pkcs11ProviderError(
        'TOKEN_NOT_FOUND',
        `no initialized PKCS#11 token labelled "${options.tokenLabel}" in ${options.library}; ${availableText}`,
      );
    }
    if (matches.length > 1) {
      throw new Pkcs11ProviderError(
        'TOKEN_NOT_FOUND',
        `${matches.length} tokens are labelled "${options.tokenLabel}" in ${options.library} (slots ` +
          `${matches.map((t) => t.slotId).join(', ')}); configure the slot instead`,
      );
    }
    const t = matches[0]!;
    return { slot: t.slot, slotId: t.slotId, name: `token "${t.label}"` };
  }
  const wanted = BigInt(options.slot!);
  const t = available.find((x) => x.slotId === wanted);
  if (!t) {
    throw new Pkcs11ProviderError(
      'TOKEN_NOT_FOUND',
      `no initialized PKCS#11 token in slot ${wanted} of ${options.library}; ${availableText}`,
    );
  }
  return { slot: t.slot, slotId: t.slotId, name: `token "${t.label}"` };
}

function login(module: Module, session: Handle, pin: string, name: string): void {
  try {
    module.C_Login(session, pkcs11js.CKU_USER, pin);
  } catch (e) {
    const code = ckr(e);
    // The PIN itself is never put into a message; `cause` is the pkcs11js error (a CKR_ name).
    if (code === 'CKR_PIN_INCORRECT' || code === 'CKR_PIN_LEN_RANGE') {
      throw new Pkcs11ProviderError(
        'PIN_INCORRECT',
        `${name} rejected the user PIN (${code}). Check the configured PIN; repeated failures may lock the token`,
        { cause: e },
      );
    }
    if (code === 'CKR_PIN_LOCKED') {
      throw new Pkcs11ProviderError(
        'PIN_LOCKED',
        `the user PIN of ${name} is locked (CKR_PIN_LOCKED); the security officer must reset it`,
        { cause: e },
      );
    }
    if (code === 'CKR_USER_ALREADY_LOGGED_IN' || code === 'CKR_USER_ANOTHER_ALREADY_LOGGED_IN') {
      throw new Pkcs11ProviderError(
        'TOKEN_IN_USE',
        `${name} is already logged in by other code in this process (${code}); the provider needs its own login`,
        { cause: e },
      );
    }
    throw new Pkcs11ProviderError('PKCS11_FAILED', `C_Login on ${name} failed: ${describe(e)}`, { cause: e });
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function encodeId(version: number, createdAt: number): Buffer {
  const id = Buffer.alloc(ID_BYTES);
  id.writeUInt32BE(version, 0);
  id.writeBigUInt64BE(BigInt(createdAt), 4);
  return id;
}

/**
 * Opens a KEK provider on a PKCS#11 token: loads the module, finds the token, opens one R/W
 * session and logs in as the user. If the token holds no KEK under `labelPrefix`, it generates v1.
 *
 * @example
 * const kek = await openPkcs11Provider({
 *   library: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'bulwark', pin: process.env.HSM_PIN!,
 * });
 * const wrapped = await kek.wrap(dataKey, Buffer.from(`recording:${id}`));
 * await kek.close();
 */
export async function openPkcs11Provider(options: Pkcs11ProviderOptions): Promise<KeyProvider> {
  const labelPrefix = options.labelPrefix ?? 'bulwark-kek';
  if ((options.tokenLabel === undefined) === (options.slot === undefined)) {
    throw new Pkcs11ProviderError('INVALID_OPTIONS', 'give exactly one of tokenLabel or slot');
  }
  if (!/^[\w.:-]{1,64}$/.test(labelPrefix)) {
    throw new Pkcs11ProviderError(
      'INVALID_OPTIONS',
      'labelPrefix must be 1-64 letters, digits, ".", ":", "_" or "-"',
    );
  }
  const labelPattern = new RegExp(`^${escapeRegExp(labelPrefix)}-v([1-9][0-9]{0,9})$`);

  const { lib } = acquireLibrary(options.library);
  const { module } = lib;
  let session: Handle | undefined;
  let slotId: bigint | undefined;
  let name = '';
  try {
    const found = findSlot(module, options);
    name = found.name;
    if (lib.openSlots.has(found.slotId)) {
      throw new Pkcs11ProviderError(
        'TOKEN_IN_USE',
        `a PKCS#11 provider for ${name} is already open in this process; share that one`,
      );
    }
    assertMechanisms(module.C_GetMechanismList(found.slot), name);
    session = module.C_OpenSession(found.slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION);
    login(module, session, options.pin, name);
    slotId = found.slotId;
    lib.openSlots.add(slotId);
  } catch (e) {
    if (session) {
      try {
        module.C_CloseSession(session);
      } catch {
        // already failing; report the first error
      }
    }
    releaseLibrary(lib);
    throw e instanceof Pkcs11ProviderError
      ? e
      : new Pkcs11ProviderError('PKCS11_FAILED', `opening ${name || 'the token'} failed: ${describe(e)}`, {
          cause: e,
        });
  }
  const s: Handle = session!;
  const sid: bigint = slotId!;

  let closed = false;
  /** KEK objects by version, refreshed by {@link scan}. */
  let keks = new Map<number, KekObject>();
  let current: KekObject | undefined;

  const fail = (what: string, e: unknown): Pkcs11ProviderError => {
    if (e instanceof Pkcs11ProviderError) return e;
    const code = ckr(e);
    if (code === 'CKR_MECHANISM_INVALID' || code === 'CKR_MECHANISM_PARAM_INVALID') {
      return new Pkcs11ProviderError(
        'MECHANISM_UNSUPPORTED',
        `${name} refused ${what} with AES-256-GCM (${code}); it must support CKM_AES_GCM with a ` +
          '96-bit IV and a 128-bit tag',
        { cause: e },
      );
    }
    return new Pkcs11ProviderError('PKCS11_FAILED', `${what} on ${name} failed: ${describe(e)}`, {
      cause: e,
    });
  };

  const ensureOpen = (): void => {
    if (closed)
      throw new Pkcs11ProviderError('PROVIDER_CLOSED', `the PKCS#11 provider for ${name} is closed`);
  };

  /** Finds every KEK version under the prefix; refuses ambiguous or weakened objects. */
  const scan = (): void => {
    const handles: Handle[] = [];
    module.C_FindObjectsInit(s, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_TOKEN, value: true },
    ]);
    try {
      for (;;) {
        const batch = module.C_FindObjects(s, 64);
        if (batch.length === 0) break;
        handles.push(...batch);
      }
    } finally {
      module.C_FindObjectsFinal(s);
    }
    const next = new Map<number, KekObject>();
    for (const handle of handles) {
      const [label, id] = module.C_GetAttributeValue(s, handle, [
        { type: pkcs11js.CKA_LABEL },
        { type: pkcs11js.CKA_ID },
      ]);
      const labelText = label?.value.toString('utf8') ?? '';
      const match = labelPattern.exec(labelText);
      if (!match) continue;
      const version = Number(match[1]);
      const idBytes = id?.value;
      if (!idBytes || idBytes.length !== ID_BYTES || idBytes.readUInt32BE(0) !== version) {
        throw new Pkcs11ProviderError(
          'KEK_CONFLICT',
          `key object "${labelText}" on ${name} has a CKA_ID that does not encode version ${version}; ` +
            'it was not created by Bulwark. Rename or remove it',
        );
      }
      const [sensitive, extractable, valueLen, encrypt, decrypt] = module.C_GetAttributeValue(s, handle, [
        { type: pkcs11js.CKA_SENSITIVE },
        { type: pkcs11js.CKA_EXTRACTABLE },
        { type: pkcs11js.CKA_VALUE_LEN },
        { type: pkcs11js.CKA_ENCRYPT },
        { type: pkcs11js.CKA_DECRYPT },
      ]);
      const flag = (a: { value: Buffer } | undefined): boolean => (a?.value[0] ?? 0) !== 0;
      const len = valueLen ? valueLen.value.readUIntLE(0, Math.min(valueLen.value.length, 6)) : 0;
      if (!flag(sensitive) || flag(extractable) || len !== KEY_BYTES || !flag(encrypt) || !flag(decrypt)) {
        throw new Pkcs11ProviderError(
          'KEK_CONFLICT',
          `key object "${labelText}" on ${name} is not a sensitive, non-extractable AES-256 ` +
            'encrypt/decrypt key; refusing to use it',
        );
      }
      if (next.has(version)) {
        throw new Pkcs11ProviderError(
          'KEK_CONFLICT',
          `${name} holds more than one key object labelled "${labelText}" (two rotations at once?); ` +
            'remove the one that wrapped nothing',
        );
      }
      next.set(version, { version, createdAt: Number(idBytes.readBigUInt64BE(4)), handle });
    }
    keks = next;
    const newest = Math.max(0, ...next.keys());
    current = next.get(newest);
  };

  const generate = (version: number): void => {
    const createdAt = Date.now();
    const template = [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: KEY_BYTES },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_MODIFIABLE, value: false },
      { type: pkcs11js.CKA_COPYABLE, value: false },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_DECRYPT, value: true },
      // Data keys are wrapped as plaintext bytes with C_Encrypt, not as token objects with C_WrapKey.
      { type: pkcs11js.CKA_WRAP, value: false },
      { type: pkcs11js.CKA_UNWRAP, value: false },
      { type: pkcs11js.CKA_SIGN, value: false },
      { type: pkcs11js.CKA_VERIFY, value: false },
      { type: pkcs11js.CKA_DERIVE, value: false },
      { type: pkcs11js.CKA_LABEL, value: `${labelPrefix}-v${version}` },
      { type: pkcs11js.CKA_ID, value: encodeId(version, createdAt) },
    ];
    try {
      module.C_GenerateKey(s, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, template);
    } catch (e) {
      // CKA_COPYABLE is new in v2.40; a v2.20 token rejects the attribute type. Without it the key
      // is still safe: a copy can never be made less sensitive or extractable than the original.
      if (ckr(e) !== 'CKR_ATTRIBUTE_TYPE_INVALID') throw e;
      const older = template.filter((a) => a.type !== pkcs11js.CKA_COPYABLE);
      module.C_GenerateKey(s, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, older);
    }
  };

  const rotateNow = (): number => {
    scan();
    const version = (current?.version ?? 0) + 1;
    generate(version);
    scan();
    if (current?.version !== version) {
      throw new Pkcs11ProviderError(
        'KEK_CONFLICT',
        `KEK v${version} on ${name} did not appear after C_GenerateKey`,
      );
    }
    return version;
  };

  const gcm = (iv: Buffer, context: Uint8Array) => ({
    mechanism: pkcs11js.CKM_AES_GCM,
    // CK_PARAMS_AES_GCM_v240 fills the whole v2.40 CK_GCM_PARAMS, ulIvBits included; the plain
    // CK_PARAMS_AES_GCM variant leaves ulIvBits uninitialized.
    parameter: {
      type: pkcs11js.CK_PARAMS_AES_GCM_v240,
      iv,
      ivBits: IV_BYTES * 8,
      aad: Buffer.from(context.buffer, context.byteOffset, context.byteLength),
      tagBits: TAG_BYTES * 8,
    },
  });

  const wrapNow = (dataKey: Uint8Array, context: Uint8Array): WrappedKey => {
    if (dataKey.byteLength === 0) throw new TypeError('dataKey must not be empty');
    if (!current) scan();
    if (!current) throw new Pkcs11ProviderError('KEK_CONFLICT', `no KEK version found on ${name}`);
    const kek = current;
    const iv = randomBytes(IV_BYTES);
    const out = Buffer.alloc(dataKey.byteLength + TAG_BYTES);
    let sealed: Buffer;
    try {
      module.C_EncryptInit(s, gcm(iv, context), kek.handle);
      sealed = module.C_Encrypt(s, Buffer.from(dataKey.buffer, dataKey.byteOffset, dataKey.byteLength), out);
    } catch (e) {
      throw fail(`wrapping under KEK v${kek.version}`, e);
    }
    const wrapped = new Uint8Array(IV_BYTES + sealed.length);
    wrapped.set(iv, 0);
    wrapped.set(sealed, IV_BYTES);
    return { provider: 'pkcs11', version: kek.version, alg: ALG, wrapped };
  };

  const unwrapNow = (key: WrappedKey, context: Uint8Array): Uint8Array => {
    if (key.provider !== 'pkcs11') {
      throw new KeyUnwrapError(`key was wrapped by provider "${key.provider}", not "pkcs11"`);
    }
    if (key.alg !== ALG) throw new KeyUnwrapError(`unsupported wrapping algorithm "${key.alg}"`);
    if (key.wrapped.byteLength <= IV_BYTES + TAG_BYTES) {
      throw new KeyUnwrapError(`wrapped key is ${key.wrapped.byteLength} bytes, too short for ${ALG}`);
    }
    let kek = keks.get(key.version);
    if (!kek) {
      scan(); // another process may have rotated since we last looked
      kek = keks.get(key.version);
    }
    if (!kek) throw new KeyUnwrapError(`KEK version ${key.version} is not on ${name}`);
    const w = key.wrapped;
    const iv = Buffer.from(w.slice(0, IV_BYTES));
    const sealed = Buffer.from(w.buffer, w.byteOffset + IV_BYTES, w.byteLength - IV_BYTES);
    const out = Buffer.alloc(sealed.length);
    try {
      module.C_DecryptInit(s, gcm(iv, context), kek.handle);
      const plain = module.C_Decrypt(s, sealed, out);
      return new Uint8Array(plain); // a copy; `out` is wiped below
    } catch (e) {
      // SoftHSM2 reports a bad tag as CKR_GENERAL_ERROR, others as CKR_ENCRYPTED_DATA_INVALID.
      throw new KeyUnwrapError(
        `could not unwrap with KEK v${kek.version} (${describe(e)}): wrong context, altered bytes or a token failure`,
        { cause: e },
      );
    } finally {
      out.fill(0);
    }
  };

  try {
    scan();
    if (!current) rotateNow();
  } catch (e) {
    lib.openSlots.delete(sid);
    try {
      module.C_Logout(s);
      module.C_CloseSession(s);
    } catch {
      // already failing
    }
    releaseLibrary(lib);
    throw fail('creating the first KEK', e);
  }

  return {
    name: 'pkcs11',
    async wrap(dataKey, context) {
      ensureOpen();
      return wrapNow(dataKey, context);
    },
    async unwrap(key, context) {
      ensureOpen();
      try {
        return unwrapNow(key, context);
      } catch (e) {
        if (e instanceof KeyUnwrapError) throw e;
        throw new KeyUnwrapError(`could not unwrap: ${describe(e)}`, { cause: e });
      }
    },
    async rewrap(key, context) {
      ensureOpen();
      const plain = unwrapNow(key, context);
      try {
        return wrapNow(plain, context);
      } finally {
        plain.fill(0);
      }
    },
    async rotate() {
      ensureOpen();
      try {
        return rotateNow();
      } catch (e) {
        throw fail('rotating the KEK', e);
      }
    },
    async versions(): Promise<KekVersion[]> {
      ensureOpen();
      try {
        scan();
      } catch (e) {
        throw fail('listing KEK versions', e);
      }
      return [...keks.values()]
        .sort((a, b) => a.version - b.version)
        .map((k) => ({
          version: k.version,
          createdAt: new Date(k.createdAt).toISOString(),
          current: k.version === current?.version,
        }));
    },
    async close() {
      if (closed) return;
      closed = true;
      lib.openSlots.delete(sid);
      try {
        module.C_Logout(s);
      } catch {
        // the session may already be gone (token removed); closing continues
      }
      try {
        module.C_CloseSession(s);
      } catch {
        // as above
      }
      releaseLibrary(lib);
    },
  };
}
