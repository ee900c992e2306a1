/**
 * Envelope-encryption helpers of the recording vault (issue 4): each recording gets a fresh 256-bit
 * data key (DEK), its body is encrypted under it (C2SP chunked encryption), and only the DEK wrapped
 * by a key provider's KEK is stored. Crypto-shredding a recording = destroying its wrapped DEK; after
 * that {@link openRecordingKey} fails with {@link KeyShreddedError} and the body is noise.
 *
 * Wiping: {@link wipe} zeroes a buffer we own, which shortens how long a key sits in memory, but
 * JavaScript cannot guarantee that no copy survives: the GC may have moved or copied it, strings and
 * KeyObjects made from it are immutable, and OpenSSL or a provider may hold its own copies. Treat
 * wiping as hygiene, not a guarantee; the real boundary is that plaintext keys are never persisted.
 */
import { randomBytes } from 'node:crypto';
import type { KeyProvider, WrappedKey } from './key-provider.ts';

/** Length of a data key: AES-256. */
export const DATA_KEY_SIZE = 32;

const CONTEXT_LABEL = 'bulwark.recording.v1';
const MAX_FIELD_BYTES = 1024;

/** Thrown when a recording's wrapped data key was destroyed (crypto-shredded): it can never be decrypted. */
export class KeyShreddedError extends Error {
  override name = 'KeyShreddedError';
  constructor(message = 'the data key was destroyed (crypto-shredded); the content cannot be decrypted') {
    super(message);
  }
}

/** A fresh random 256-bit data key. Wrap it at once and {@link wipe} it after use. */
export function newDataKey(): Buffer {
  return randomBytes(DATA_KEY_SIZE);
}

/** Zeroes `buf` in place (best effort: see the module comment on copies). */
export function wipe(buf: Uint8Array | null | undefined): void {
  buf?.fill(0);
}

function field(value: string, name: string): Buffer {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${name} must be a non-empty string`);
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > MAX_FIELD_BYTES) throw new RangeError(`${name} is longer than ${MAX_FIELD_BYTES} bytes`);
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/**
 * The context bound into a recording's body encryption (and its key wrap): a fixed label, the
 * tenant id, the recording id and the data-key version, each UTF-8 field prefixed with its 4-byte
 * big-endian length and the version as a 4-byte big-endian integer, so no two different triples
 * encode the same bytes. A body or wrapped key copied to another row, tenant or key version then
 * fails to decrypt.
 *
 * `keyVersion` is the recording's **data-key** generation (1 for the first DEK, incremented only
 * when the body is re-encrypted under a new DEK), not the KEK version: KEK rotation re-wraps DEKs
 * and must leave bodies, hence this context, unchanged.
 *
 * @example
 * ```ts
 * const ctx = recordingContext('tenant_01H…', 'rec_01H…', 1);
 * ```
 */
export function recordingContext(tenantId: string, recordingId: string, keyVersion: number): Uint8Array {
  if (!Number.isInteger(keyVersion) || keyVersion < 1 || keyVersion > 0xffff_ffff)
    throw new RangeError('keyVersion must be an integer from 1 to 2^32 - 1');
  const version = Buffer.allocUnsafe(4);
  version.writeUInt32BE(keyVersion);
  return new Uint8Array(
    Buffer.concat([
      field(CONTEXT_LABEL, 'label'),
      field(tenantId, 'tenantId'),
      field(recordingId, 'recordingId'),
      version,
    ]),
  );
}

/**
 * Creates a data key for a new recording and wraps it under the provider's current KEK, bound to
 * `context`. Store `wrapped`; use `dataKey` to encrypt the body, then {@link wipe} it.
 */
export async function sealRecordingKey(
  provider: Pick<KeyProvider, 'wrap'>,
  context: Uint8Array,
): Promise<{ dataKey: Buffer; wrapped: WrappedKey }> {
  const dataKey = newDataKey();
  try {
    return { dataKey, wrapped: await provider.wrap(dataKey, context) };
  } catch (e) {
    wipe(dataKey);
    throw e;
  }
}

/**
 * Unwraps a recording's data key. `wrapped` is what the recording row holds: `null`/`undefined`
 * once the key was shredded, which fails with {@link KeyShreddedError} (callers map it to "gone", not
 * to a server error). A wrong context or tampered key fails with the provider's `KeyUnwrapError`.
 */
export async function openRecordingKey(
  provider: Pick<KeyProvider, 'unwrap'>,
  wrapped: WrappedKey | null | undefined,
  context: Uint8Array,
): Promise<Uint8Array> {
  if (wrapped === null || wrapped === undefined) throw new KeyShreddedError();
  return provider.unwrap(wrapped, context);
}
