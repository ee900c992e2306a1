/**
 * C2SP tlog-checkpoint bodies (https://c2sp.org/tlog-checkpoint) wrapped in C2SP signed notes
 * (https://c2sp.org/signed-note) with Ed25519, interoperable with golang.org/x/mod/sumdb/note.
 */
import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

/** A parsed checkpoint body. */
export type Checkpoint = { origin: string; size: number; rootHash: Buffer; extensions: string[] };

/** Input to {@link formatCheckpoint}. */
export type CheckpointInput = {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensions?: readonly string[];
};

/** Result of {@link openNote}. */
export type OpenNoteResult = { ok: true; body: string } | { ok: false; reason: string };

/** Signature type byte for Ed25519 in signed-note key IDs and verifier keys. */
const ALG_ED25519 = 0x01;
const ROOT_HASH_SIZE = 32;
const ED25519_KEY_SIZE = 32;
const ED25519_SIG_SIZE = 64;
const KEY_ID_SIZE = 4;
/** Signature lines accepted per note; the spec requires at least 16, Go's note package stops at 100. */
const MAX_SIGNATURES = 100;
const MAX_TREE_SIZE = 2n ** 53n;
const SIG_PREFIX = '\u2014 ';

// ---------------------------------------------------------------------------------------------
// Text validation

/** Strict standard base64: only canonical encodings (padding and unused bits included) decode. */
function decodeBase64(s: string): Buffer | undefined {
  const out = Buffer.from(s, 'base64');
  return out.toString('base64') === s ? out : undefined;
}

/**
 * Note text must be well-formed Unicode with no control characters other than newline. Strings
 * cannot carry invalid UTF-8, but they can carry lone surrogates, which would not round-trip.
 */
function isNoteText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/** Key names are non-empty and contain no Unicode white space and no '+'. */
const isKeyName = (name: string): boolean =>
  name.length > 0 && isNoteText(name) && !/[\p{White_Space}+]/u.test(name);

function assertKeyName(name: string): void {
  if (!isKeyName(name)) throw new TypeError(`invalid note key name ${JSON.stringify(name)}`);
}

// ---------------------------------------------------------------------------------------------
// Checkpoint body

/**
 * Formats a C2SP tlog-checkpoint body: origin, decimal size, base64 root hash, then any extension
 * lines, each ending in a newline.
 *
 * @example formatCheckpoint({ origin: 'bulwark.example/audit', size: 0, rootHash: EMPTY_ROOT })
 * // 'bulwark.example/audit\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n'
 */
export function formatCheckpoint(input: CheckpointInput): string {
  const { origin, size, rootHash, extensions = [] } = input;
  if (origin.length === 0 || origin.includes('\n') || !isNoteText(origin)) {
    throw new TypeError('checkpoint origin must be a non-empty single line');
  }
  if (!Number.isInteger(size) || size < 0 || BigInt(size) > MAX_TREE_SIZE) {
    throw new RangeError(`checkpoint size must be an integer in [0, 2^53], got ${size}`);
  }
  if (rootHash.length !== ROOT_HASH_SIZE) throw new TypeError('checkpoint root hash must be 32 bytes');
  for (const line of extensions) {
    if (line.length === 0 || line.includes('\n') || !isNoteText(line)) {
      throw new TypeError('checkpoint extension lines must be non-empty single lines');
    }
  }
  const lines = [origin, String(size), Buffer.from(rootHash).toString('base64'), ...extensions];
  return `${lines.join('\n')}\n`;
}

/**
 * Parses a checkpoint body strictly: exactly the C2SP layout, canonical decimal size, canonical
 * base64 32-byte root hash, non-empty extension lines. Throws a TypeError describing the problem.
 */
export function parseCheckpoint(body: string): Checkpoint {
  if (!body.endsWith('\n')) throw new TypeError('checkpoint must end with a newline');
  if (!isNoteText(body)) throw new TypeError('checkpoint contains control characters');
  const [origin, sizeLine, rootLine, ...extensions] = body.slice(0, -1).split('\n');
  if (origin === undefined || sizeLine === undefined || rootLine === undefined) {
    throw new TypeError('checkpoint needs origin, size and root hash lines');
  }
  if (origin.length === 0) throw new TypeError('checkpoint origin is empty');
  return {
    origin,
    size: parseSize(sizeLine),
    rootHash: parseRootHash(rootLine),
    extensions: extensions.map((line) => {
      if (line.length === 0) throw new TypeError('checkpoint extension lines must be non-empty');
      return line;
    }),
  };
}

function parseSize(line: string): number {
  // No sign, no leading zeros, no whitespace: one canonical text per size.
  if (!/^(?:0|[1-9][0-9]*)$/.test(line) || line.length > 16 || BigInt(line) > MAX_TREE_SIZE) {
    throw new TypeError(`invalid checkpoint size ${JSON.stringify(line)}`);
  }
  return Number(line);
}

function parseRootHash(line: string): Buffer {
  const hash = decodeBase64(line);
  if (hash?.length !== ROOT_HASH_SIZE) throw new TypeError('invalid checkpoint root hash');
  return hash;
}

// ---------------------------------------------------------------------------------------------
// Ed25519 keys

/**
 * The raw 32-byte Ed25519 public key of a public or private KeyObject.
 *
 * @example rawEd25519PublicKey(generateKeyPairSync('ed25519').publicKey).length === 32
 */
export function rawEd25519PublicKey(key: KeyObject): Buffer {
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('expected an Ed25519 key');
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const { x } = publicKey.export({ format: 'jwk' });
  const raw = typeof x === 'string' ? Buffer.from(x, 'base64url') : undefined;
  if (raw?.length !== ED25519_KEY_SIZE) throw new TypeError('could not export the Ed25519 public key');
  return raw;
}

/** A public KeyObject from a raw 32-byte Ed25519 public key. */
export function ed25519PublicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== ED25519_KEY_SIZE) throw new TypeError('Ed25519 public keys are 32 bytes');
  const x = Buffer.from(raw).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

/**
 * Signed-note key ID for an Ed25519 key: SHA-256(name || 0x0A || 0x01 || public key)[:4].
 *
 * @example noteKeyId('PeterNeumann', raw).toString('hex') // 'c74f20a3' for Go's test key
 */
export function noteKeyId(name: string, publicKeyRaw32: Uint8Array): Buffer {
  assertKeyName(name);
  if (publicKeyRaw32.length !== ED25519_KEY_SIZE) throw new TypeError('Ed25519 public keys are 32 bytes');
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, ALG_ED25519]))
    .update(publicKeyRaw32)
    .digest()
    .subarray(0, KEY_ID_SIZE);
}

/**
 * Verifier key string `<name>+<hex key ID>+<base64(0x01 || public key)>`, the format Go's
 * note.NewVerifier and other signed-note tools accept.
 */
export function verifierKey(name: string, publicKeyRaw32: Uint8Array): string {
  const keyId = noteKeyId(name, publicKeyRaw32);
  const encoded = Buffer.concat([Buffer.from([ALG_ED25519]), publicKeyRaw32]).toString('base64');
  return `${name}+${keyId.toString('hex')}+${encoded}`;
}

/**
 * Parses a verifier key string and checks that its key ID matches its name and key. Throws a
 * TypeError for anything malformed, for non-Ed25519 keys and for key ID mismatches.
 */
export function parseVerifierKey(vkey: string): { name: string; keyId: Buffer; publicKey: KeyObject } {
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw new TypeError('malformed verifier key');
  const name = vkey.slice(0, first);
  const idHex = vkey.slice(first + 1, second);
  // The key part is base64, which may itself contain '+', so it is everything after the second.
  const key = decodeBase64(vkey.slice(second + 1));
  if (!isKeyName(name) || !/^[0-9a-fA-F]{8}$/.test(idHex) || !key || key.length === 0) {
    throw new TypeError('malformed verifier key');
  }
  if (key[0] !== ALG_ED25519 || key.length !== 1 + ED25519_KEY_SIZE) {
    throw new TypeError('verifier key is not an Ed25519 key');
  }
  const raw = key.subarray(1);
  const keyId = noteKeyId(name, raw);
  if (!keyId.equals(Buffer.from(idHex, 'hex'))) throw new TypeError('verifier key ID does not match its key');
  return { name, keyId, publicKey: ed25519PublicKeyFromRaw(raw) };
}

// ---------------------------------------------------------------------------------------------
// Signed notes

/**
 * Signs `body` (which must end in a newline) as a C2SP signed note with one Ed25519 signature
 * line: `body + '\n' + '— <name> <base64(key ID || signature)>\n'`.
 *
 * @example
 * const { privateKey } = generateKeyPairSync('ed25519');
 * const note = signNote(formatCheckpoint(cp), { name: 'bulwark.example/audit', privateKey });
 */
export function signNote(body: string, signer: { name: string; privateKey: KeyObject }): string {
  if (!body.endsWith('\n') || !isNoteText(body)) {
    throw new TypeError('note body must be text ending in a newline, without control characters');
  }
  assertKeyName(signer.name);
  if (signer.privateKey.type !== 'private') throw new TypeError('signNote needs a private key');
  const keyId = noteKeyId(signer.name, rawEd25519PublicKey(signer.privateKey));
  const signature = sign(null, Buffer.from(body, 'utf8'), signer.privateKey);
  const encoded = Buffer.concat([keyId, signature]).toString('base64');
  return `${body}\n${SIG_PREFIX}${signer.name} ${encoded}\n`;
}

type SignatureLine = { name: string; keyId: Buffer; signature: Buffer };

function parseSignatureLine(line: string): SignatureLine | undefined {
  if (!line.startsWith(SIG_PREFIX)) return undefined;
  const rest = line.slice(SIG_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) return undefined;
  const name = rest.slice(0, space);
  const decoded = decodeBase64(rest.slice(space + 1));
  if (!isKeyName(name) || !decoded || decoded.length <= KEY_ID_SIZE) return undefined;
  return { name, keyId: decoded.subarray(0, KEY_ID_SIZE), signature: decoded.subarray(KEY_ID_SIZE) };
}

/** Splits a note at its last blank line into body and signature lines, or undefined if malformed. */
function splitNote(note: string): { body: string; lines: string[] } | undefined {
  if (!isNoteText(note)) return undefined;
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return undefined;
  const signatures = note.slice(split + 2);
  if (signatures.length === 0 || !signatures.endsWith('\n')) return undefined;
  return { body: note.slice(0, split + 1), lines: signatures.slice(0, -1).split('\n') };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeNote(note: string | Uint8Array): string | undefined {
  if (typeof note === 'string') return note;
  try {
    return utf8.decode(note);
  } catch {
    return undefined;
  }
}

/**
 * Opens a signed note: succeeds when a signature line with the verifier's key name and key ID
 * verifies over the body. Lines from other keys are ignored, as the spec requires; a line that
 * claims the verifier's key but does not verify rejects the whole note (as Go's note.Open does).
 * Pass raw bytes rather than a lossily decoded string so invalid UTF-8 is rejected.
 *
 * @example
 * const opened = openNote(note, { name: 'bulwark.example/audit', publicKey });
 * if (opened.ok) parseCheckpoint(opened.body);
 */
export function openNote(
  note: string | Uint8Array,
  verifier: { name: string; publicKey: KeyObject },
): OpenNoteResult {
  assertKeyName(verifier.name);
  const keyId = noteKeyId(verifier.name, rawEd25519PublicKey(verifier.publicKey));
  const text = decodeNote(note);
  const parts = text === undefined ? undefined : splitNote(text);
  if (!parts) return { ok: false, reason: 'malformed note' };
  if (parts.lines.length > MAX_SIGNATURES)
    return { ok: false, reason: 'malformed note: too many signatures' };

  const signatures: SignatureLine[] = [];
  for (const line of parts.lines) {
    const parsed = parseSignatureLine(line);
    if (!parsed) return { ok: false, reason: 'malformed note: bad signature line' };
    signatures.push(parsed);
  }

  const bodyBytes = Buffer.from(parts.body, 'utf8');
  let verified = false;
  for (const s of signatures) {
    if (s.name !== verifier.name || !s.keyId.equals(keyId)) continue;
    const ok =
      s.signature.length === ED25519_SIG_SIZE && verify(null, bodyBytes, verifier.publicKey, s.signature);
    if (!ok)
      return { ok: false, reason: `invalid signature for key ${verifier.name}+${keyId.toString('hex')}` };
    verified = true;
  }
  return verified
    ? { ok: true, body: parts.body }
    : { ok: false, reason: 'no signature from the verifier key' };
}
