import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Thrown when the key directory is missing, unreadable or too open. */
export class KeyringError extends Error {
  override name = 'KeyringError';
}

const MASTER_FILE = 'master.key';
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * Per-tenant key material derived from one master key kept in the key directory (outside the
 * data directory, mode 0600). Derivation with HKDF-SHA-256 and the tenant id in `info` keeps
 * tenants' keys apart. The PKCS#11/KMS providers of the recording vault replace this file later.
 */
export type Keyring = {
  /** Ed25519 key that signs this tenant's audit checkpoints. */
  auditSigningKey(tenantId: string): { privateKey: KeyObject; publicKey: KeyObject };
  /** HMAC key sealing audit rows so edits made outside Bulwark are pinpointed. */
  auditMacKey(tenantId: string): Buffer;
  /** Keyed digest for stored verifiers of random secrets (recovery codes): a dump alone cannot brute-force them. */
  secretDigest(tenantId: string, purpose: string, value: string): string;
  /** A 32-byte per-tenant key for a named purpose (e.g. keyed hashes of card numbers, PCI DSS 3.5.1.1). */
  derivedKey(tenantId: string, purpose: string): Buffer;
  /** True when this process created the master key (first start). */
  readonly created: boolean;
  /** Encrypts a small secret field (e.g. a TOTP seed) bound to `aad` (table:column:row). */
  encryptField(tenantId: string, plaintext: string, aad: string): string;
  decryptField(tenantId: string, ciphertext: string, aad: string): string;
};

function derive(master: Buffer, purpose: string, tenantId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `bulwark/${purpose}/v1/${tenantId}`, 32));
}

export const MASTER_KEY_FILE = MASTER_FILE;

/** Loads the master key from `keyDir`, creating it (and the directory) on first start. */
export function openKeyring(keyDir: string, options: { create: boolean } = { create: true }): Keyring {
  const file = path.join(keyDir, MASTER_FILE);
  let master: Buffer;
  let created = false;
  if (!fs.existsSync(file)) {
    if (!options.create)
      throw new KeyringError(
        `No master key at ${file}; start the server once to create it, or set BULWARK_KEY_DIR.`,
      );
    fs.mkdirSync(keyDir, { recursive: true, mode: 0o700 });
    const fresh = randomBytes(32);
    try {
      fs.writeFileSync(file, fresh.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
      created = true;
    } catch (e) {
      // Another process created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new KeyringError(
      `${file} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${file}`,
    );
  }
  master = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (master.length !== 32) throw new KeyringError(`${file} does not hold a 32-byte base64 key`);

  const signingKeys = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();
  const fieldKeys = new Map<string, Buffer>();
  const macKeys = new Map<string, Buffer>();
  const fieldKey = (tenantId: string) => {
    let k = fieldKeys.get(tenantId);
    if (!k) {
      k = derive(master, 'field-encryption', tenantId);
      fieldKeys.set(tenantId, k);
    }
    return k;
  };

  return {
    created,
    derivedKey: (tenantId, purpose) => derive(master, `purpose/${purpose}`, tenantId),
    secretDigest: (tenantId, purpose, value) =>
      createHmac('sha256', derive(master, `digest/${purpose}`, tenantId))
        .update(value)
        .digest('hex'),
    auditSigningKey(tenantId) {
      let pair = signingKeys.get(tenantId);
      if (!pair) {
        const seed = derive(master, 'audit-signing', tenantId);
        const privateKey = createPrivateKey({
          key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
          format: 'der',
          type: 'pkcs8',
        });
        pair = { privateKey, publicKey: createPublicKey(privateKey) };
        signingKeys.set(tenantId, pair);
      }
      return pair;
    },
    auditMacKey(tenantId) {
      // Cached: HKDF per append cost several times the MAC itself (see BENCHMARKS.md).
      let k = macKeys.get(tenantId);
      if (!k) {
        k = derive(master, 'audit-mac', tenantId);
        macKeys.set(tenantId, k);
      }
      return k;
    },
    encryptField(tenantId, plaintext, aad) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', fieldKey(tenantId), iv);
      cipher.setAAD(Buffer.from(aad));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `v1.${iv.toString('base64url')}.${ct.toString('base64url')}`;
    },
    decryptField(tenantId, ciphertext, aad) {
      const [version, ivText, ctText] = ciphertext.split('.');
      if (version !== 'v1' || !ivText || !ctText)
        throw new KeyringError('encrypted field has an unknown format');
      const ct = Buffer.from(ctText, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', fieldKey(tenantId), Buffer.from(ivText, 'base64url'));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(ct.subarray(ct.length - 16));
      return Buffer.concat([decipher.update(ct.subarray(0, ct.length - 16)), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}
