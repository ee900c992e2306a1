import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

/**
 * A software WebAuthn authenticator for tests without a browser: an EC P-256 (ES256) key pair per
 * credential, 'none' attestation, a signature counter, and switches for the cases a browser would
 * not let us produce (no user verification, a counter that does not move, a copied key).
 */

// --- a tiny CBOR encoder (RFC 8949): unsigned/negative integers, byte and text strings, maps ---

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(n, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

/** Encodes the few CBOR types WebAuthn attestation objects and COSE keys use. */
export function cbor(v: Cbor): Buffer {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([head(3, b.length), b]);
  }
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), v]);
  const parts: Buffer[] = [head(5, v.size)];
  for (const [k, val] of v) parts.push(cbor(k), cbor(val));
  return Buffer.concat(parts);
}

// --- authenticator ---

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();
const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

export type SoftCredential = {
  id: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  userHandle: string;
  signCount: number;
};

type CreationOptions = { challenge: string; rp: { id?: string }; user: { id: string } };
type RequestOptions = { challenge: string; rpId?: string; allowCredentials?: { id: string }[] };

function coseKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return cbor(
    new Map<Cbor, Cbor>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]),
  );
}

function authData(rpId: string, flags: number, signCount: number, attested?: Buffer): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(signCount >>> 0, 0);
  return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
}

const clientData = (type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string) =>
  Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));

/**
 * @example
 * const device = createSoftAuthenticator({ origin: 'http://localhost:8080' });
 * const attestation = device.register(await optionsFromServer());
 * const assertion = device.assert(await loginOptions(), { userVerified: false });
 */
export function createSoftAuthenticator(opts: { origin: string; rpId?: string }) {
  const credentials = new Map<string, SoftCredential>();

  /** navigator.credentials.create() with a 'none' attestation; UP|UV set unless told otherwise. */
  function register(options: CreationOptions, o: { userVerified?: boolean; signCount?: number } = {}) {
    const rpId = options.rp.id ?? opts.rpId ?? 'localhost';
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rawId = randomBytes(32);
    const id = b64url(rawId);
    const signCount = o.signCount ?? 0;
    credentials.set(id, { id, privateKey, publicKey, userHandle: options.user.id, signCount });
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(rawId.length, 0);
    const attested = Buffer.concat([Buffer.alloc(16), idLen, rawId, coseKey(publicKey)]);
    const flags = FLAG_UP | FLAG_AT | (o.userVerified === false ? 0 : FLAG_UV);
    const attestationObject = cbor(
      new Map<Cbor, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData(rpId, flags, signCount, attested)],
      ]),
    );
    return {
      id,
      rawId: id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url(clientData('webauthn.create', options.challenge, opts.origin)),
        attestationObject: b64url(attestationObject),
        transports: ['internal' as const],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }

  /**
   * navigator.credentials.get(): signs authenticatorData || SHA-256(clientDataJSON) with the
   * credential's key (DER ECDSA). The counter goes up by one unless `signCount` is given.
   */
  function assert(
    options: RequestOptions,
    o: { credentialId?: string; userVerified?: boolean; signCount?: number; origin?: string } = {},
  ) {
    const rpId = options.rpId ?? opts.rpId ?? 'localhost';
    const allowed = options.allowCredentials?.map((c) => c.id);
    const cred =
      o.credentialId !== undefined
        ? credentials.get(o.credentialId)
        : [...credentials.values()].find((c) => !allowed || allowed.length === 0 || allowed.includes(c.id));
    if (!cred) throw new Error('no matching credential on this authenticator');
    cred.signCount = o.signCount ?? cred.signCount + 1;
    const data = authData(rpId, FLAG_UP | (o.userVerified === false ? 0 : FLAG_UV), cred.signCount);
    const client = clientData('webauthn.get', options.challenge, o.origin ?? opts.origin);
    const signature = sign('sha256', Buffer.concat([data, sha256(client)]), cred.privateKey);
    return {
      id: cred.id,
      rawId: cred.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url(client),
        authenticatorData: b64url(data),
        signature: b64url(signature),
        userHandle: cred.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }

  /** A second authenticator holding copies of these keys and counters (a cloned device). */
  function clone() {
    const copy = createSoftAuthenticator(opts);
    for (const c of credentials.values()) copy.credentials.set(c.id, { ...c });
    return copy;
  }

  return { credentials, register, assert, clone };
}

export type SoftAuthenticator = ReturnType<typeof createSoftAuthenticator>;
