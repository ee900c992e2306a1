/**
 * The key-encryption-key (KEK) provider interface of the recording vault (issue 4).
 *
 * Recordings are encrypted under a fresh 256-bit data key each (envelope encryption); the data key
 * is only ever stored wrapped by a KEK that a provider holds. A provider never hands out a KEK, only
 * wraps and unwraps data keys, so the same interface fits:
 * - the local keystore (KEK versions in a file outside the data dir, AES-256-GCM wrapping),
 * - PKCS#11 hardware security modules (KEKs are non-extractable token objects; C_Encrypt/C_Decrypt
 *   with CKM_AES_GCM inside the HSM),
 * - HashiCorp Vault Transit later: `wrap` = `POST transit/encrypt/:name` with `context`/
 *   `associated_data`, `unwrap` = `transit/decrypt`, `rotate` = `transit/keys/:name/rotate`, the
 *   version is the `vault:vN:` prefix, and `rewrap` maps to `transit/rewrap` (plaintext never leaves
 *   Vault);
 * - AWS KMS later: `wrap` = `Encrypt` (or `GenerateDataKey`) with the context as EncryptionContext,
 *   `unwrap` = `Decrypt`, `rotate` = a new key version via alias switch or automatic rotation, and
 *   `rewrap` = `ReEncrypt`.
 *
 * `context` is bound into every wrap (AES-GCM additional data, Vault context, KMS encryption
 * context): a wrapped key copied to another recording or tenant does not unwrap.
 */

/** A data key wrapped by one KEK version. Safe to store: it reveals nothing without the KEK. */
export type WrappedKey = {
  /** Provider name, e.g. `local` or `pkcs11`. */
  provider: string;
  /** KEK version that wrapped it (1, 2, ...). */
  version: number;
  /** Wrapping algorithm, e.g. `A256GCM`. */
  alg: string;
  /** The wrapped key bytes as the provider produced them (for A256GCM: nonce || ciphertext || tag). */
  wrapped: Uint8Array;
};

/** One KEK version as a provider reports it. */
export type KekVersion = { version: number; createdAt: string; current: boolean };

/** Thrown when a key cannot be unwrapped: wrong context, tampered bytes, unknown or retired version. */
export class KeyUnwrapError extends Error {
  override name = 'KeyUnwrapError';
}

export interface KeyProvider {
  /** Stable provider name stored with every wrapped key. */
  readonly name: string;
  /** Wraps a data key under the current KEK version, binding `context`. */
  wrap(dataKey: Uint8Array, context: Uint8Array): Promise<WrappedKey>;
  /** Unwraps a data key; fails with {@link KeyUnwrapError} on any mismatch. */
  unwrap(key: WrappedKey, context: Uint8Array): Promise<Uint8Array>;
  /**
   * Re-wraps under the current version. Providers that can do it without exposing the data key to
   * the caller (Vault `rewrap`, KMS `ReEncrypt`) do so; the local and PKCS#11 providers unwrap and
   * wrap in process and wipe the plaintext.
   */
  rewrap(key: WrappedKey, context: Uint8Array): Promise<WrappedKey>;
  /** Creates a new KEK version and makes it current; returns its number. */
  rotate(): Promise<number>;
  /** Every KEK version, oldest first. */
  versions(): Promise<KekVersion[]>;
  /** Releases handles (PKCS#11 sessions); the provider is unusable afterwards. */
  close(): Promise<void>;
}
