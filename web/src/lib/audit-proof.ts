/**
 * Browser-side verification of an audit event's inclusion in the signed audit log, independent of
 * the server's own checks: the console recomputes everything from the event it was shown.
 *
 * Byte formats (mirroring src/modules/audit/{merkle,checkpoint,audit-event}.ts and
 * src/lib/canonical-json.ts):
 * - leaf = SHA-256(0x00 || UTF-8 canonical JSON of the event), keys sorted, no whitespace;
 * - node = SHA-256(0x01 || left || right), RFC 9162 §2.1.3.2 inclusion verification;
 * - checkpoint = C2SP tlog-checkpoint body `origin\nsize\nbase64(root)\n[extensions\n]` inside a
 *   C2SP signed note: body, blank line, `— <name> base64(keyId[4] || ed25519 signature[64])`;
 * - key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4];
 * - verifier key = `<name>+<hex key ID>+base64(0x01 || public key)`.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** The event as the API returns it; `leafIndex` is added by the API and is not part of the leaf. */
export type AuditEventJson = Record<string, unknown> & { leafIndex?: number | null };

/** `GET /v1/audit/events/{id}/proof`. */
export type InclusionProofJson = {
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  proof: string[];
  checkpoint: string;
};

export type VerifyStep = 'key' | 'signature' | 'checkpoint' | 'leaf' | 'path';

export type ProofVerification =
  | {
      ok: true;
      origin: string;
      treeSize: number;
      leafIndex: number;
      rootHash: string;
      keyId: string;
      leafHash: string;
    }
  | { ok: false; step: VerifyStep; reason: string };

const HASH_SIZE = 32;
const KEY_SIZE = 32;
const SIG_SIZE = 64;
const KEY_ID_SIZE = 4;
const ALG_ED25519 = 0x01;
const SIG_PREFIX = '\u2014 ';
const MAX_TREE_SIZE = 2 ** 53;

const encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Bytes helpers

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    out += b === undefined ? '=' : B64[(n >> 6) & 63]!;
    out += c === undefined ? '=' : B64[n & 63]!;
  }
  return out;
}

/** Strict standard base64: only canonical encodings decode (as the server's parser requires). */
export function fromBase64(s: string): Uint8Array | undefined {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let at = 0;
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const ch = s[i + j]!;
      n = (n << 6) | (ch === '=' ? 0 : B64.indexOf(ch));
    }
    if (at < out.length) out[at++] = (n >> 16) & 255;
    if (at < out.length) out[at++] = (n >> 8) & 255;
    if (at < out.length) out[at++] = n & 255;
  }
  return toBase64(out) === s ? out : undefined;
}

const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function fromHex(s: string): Uint8Array | undefined {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Canonical event bytes and RFC 6962 hashing

/**
 * Deterministic JSON exactly as the server's canonicalJson: object keys sorted by UTF-16 code
 * units, no whitespace, `undefined` members dropped.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonical JSON cannot encode a non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const record = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of Object.keys(record).sort()) {
        const v = record[k];
        if (v === undefined) continue;
        parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
}

/** The bytes the log hashed for this event: its canonical JSON without the API's `leafIndex`. */
export function eventLeafBytes(event: AuditEventJson): Uint8Array {
  const { leafIndex: _omit, ...body } = event;
  return encoder.encode(canonicalJson(body));
}

export const leafHash = (data: Uint8Array): Uint8Array => sha256(concat(Uint8Array.of(0x00), data));
export const nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array =>
  sha256(concat(Uint8Array.of(0x01), left, right));

const isOdd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

/** RFC 9162 §2.1.3.2: does `proof` lead from `leaf` at `index` to `root` in a tree of `size`? */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const isSize = (n: number) => Number.isInteger(n) && n >= 0 && n <= MAX_TREE_SIZE;
  if (!isSize(size) || !isSize(index) || index >= size) return false;
  if (leaf.length !== HASH_SIZE || root.length !== HASH_SIZE) return false;
  if (!proof.every((p) => p.length === HASH_SIZE)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(r, root);
}

// ---------------------------------------------------------------------------------------------
// Signed notes and checkpoints

export type VerifierKey = { name: string; keyId: Uint8Array; publicKey: Uint8Array };

const isKeyName = (name: string) => name.length > 0 && !/[\p{White_Space}+]/u.test(name);

export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return sha256(concat(encoder.encode(name), Uint8Array.of(0x0a, ALG_ED25519), publicKey)).subarray(
    0,
    KEY_ID_SIZE,
  );
}

/** Parses `<name>+<hex key ID>+<base64(0x01 || key)>` and checks the key ID against name and key. */
export function parseVerifierKey(vkey: string): VerifierKey {
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw new TypeError('malformed verifier key');
  const name = vkey.slice(0, first);
  const id = fromHex(vkey.slice(first + 1, second));
  const key = fromBase64(vkey.slice(second + 1));
  if (!isKeyName(name) || id?.length !== KEY_ID_SIZE || !key) throw new TypeError('malformed verifier key');
  if (key[0] !== ALG_ED25519 || key.length !== 1 + KEY_SIZE)
    throw new TypeError('verifier key is not an Ed25519 key');
  const publicKey = key.subarray(1);
  if (!equalBytes(noteKeyId(name, publicKey), id))
    throw new TypeError('verifier key ID does not match its name and key');
  return { name, keyId: id, publicKey };
}

/**
 * Opens a C2SP signed note with one verifier: a signature line with the verifier's name and key ID
 * must verify over the body; one that claims the key but does not verify rejects the note.
 */
export function openNote(
  note: string,
  verifier: VerifierKey,
): { ok: true; body: string } | { ok: false; reason: string } {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return { ok: false, reason: 'the checkpoint is not a signed note' };
  const body = note.slice(0, split + 1);
  const rest = note.slice(split + 2);
  if (rest.length === 0 || !rest.endsWith('\n'))
    return { ok: false, reason: 'the note has no signature lines' };
  const bodyBytes = encoder.encode(body);
  let verified = false;
  for (const line of rest.slice(0, -1).split('\n')) {
    if (!line.startsWith(SIG_PREFIX)) return { ok: false, reason: 'malformed signature line' };
    const text = line.slice(SIG_PREFIX.length);
    const space = text.indexOf(' ');
    const name = space < 0 ? '' : text.slice(0, space);
    const decoded = space < 0 ? undefined : fromBase64(text.slice(space + 1));
    if (!isKeyName(name) || !decoded || decoded.length <= KEY_ID_SIZE)
      return { ok: false, reason: 'malformed signature line' };
    if (name !== verifier.name || !equalBytes(decoded.subarray(0, KEY_ID_SIZE), verifier.keyId)) continue;
    const signature = decoded.subarray(KEY_ID_SIZE);
    let good = false;
    try {
      good =
        signature.length === SIG_SIZE &&
        ed25519.verify(signature, bodyBytes, verifier.publicKey, { zip215: false });
    } catch {
      good = false;
    }
    if (!good)
      return {
        ok: false,
        reason: `the signature by ${verifier.name}+${toHex(verifier.keyId)} does not verify`,
      };
    verified = true;
  }
  return verified
    ? { ok: true, body }
    : { ok: false, reason: `no signature by ${verifier.name} on the note` };
}

export type Checkpoint = { origin: string; size: number; rootHash: Uint8Array; extensions: string[] };

/** Strict C2SP tlog-checkpoint body parser. */
export function parseCheckpoint(body: string): Checkpoint {
  if (!body.endsWith('\n')) throw new TypeError('checkpoint must end with a newline');
  const [origin, sizeLine, rootLine, ...extensions] = body.slice(0, -1).split('\n');
  if (!origin || sizeLine === undefined || rootLine === undefined)
    throw new TypeError('checkpoint needs origin, size and root hash lines');
  if (!/^(?:0|[1-9][0-9]{0,15})$/.test(sizeLine) || Number(sizeLine) > MAX_TREE_SIZE)
    throw new TypeError(`invalid checkpoint size ${JSON.stringify(sizeLine)}`);
  const rootHash = fromBase64(rootLine);
  if (rootHash?.length !== HASH_SIZE) throw new TypeError('invalid checkpoint root hash');
  if (extensions.some((l) => l.length === 0)) throw new TypeError('empty checkpoint extension line');
  return { origin, size: Number(sizeLine), rootHash, extensions };
}

// ---------------------------------------------------------------------------------------------
// The whole check

/**
 * Verifies, from scratch, that `event` is included in the signed checkpoint carried by `proof`,
 * whose signature must verify under `verifierKey`. Never trusts the server's leaf hash: the leaf
 * is recomputed from the event's content.
 */
export function verifyEventProof(
  event: AuditEventJson,
  proof: InclusionProofJson,
  verifierKey: string,
): ProofVerification {
  let key: VerifierKey;
  try {
    key = parseVerifierKey(verifierKey);
  } catch (e) {
    return { ok: false, step: 'key', reason: (e as Error).message };
  }
  const opened = openNote(proof.checkpoint, key);
  if (!opened.ok) return { ok: false, step: 'signature', reason: opened.reason };
  let cp: Checkpoint;
  try {
    cp = parseCheckpoint(opened.body);
  } catch (e) {
    return { ok: false, step: 'checkpoint', reason: (e as Error).message };
  }
  if (cp.origin !== key.name)
    return {
      ok: false,
      step: 'checkpoint',
      reason: `the checkpoint's origin ${cp.origin} is not the signing key's name ${key.name}`,
    };
  if (cp.size !== proof.treeSize)
    return {
      ok: false,
      step: 'checkpoint',
      reason: `the proof is for a tree of ${proof.treeSize} events but the checkpoint covers ${cp.size}`,
    };
  if (typeof event.leafIndex === 'number' && event.leafIndex !== proof.leafIndex)
    return {
      ok: false,
      step: 'leaf',
      reason: `the event is at position ${event.leafIndex} but the proof is for position ${proof.leafIndex}`,
    };
  let leaf: Uint8Array;
  try {
    leaf = leafHash(eventLeafBytes(event));
  } catch (e) {
    return { ok: false, step: 'leaf', reason: (e as Error).message };
  }
  const served = fromBase64(proof.leafHash);
  if (!served || !equalBytes(served, leaf))
    return {
      ok: false,
      step: 'leaf',
      reason: "the event's content does not hash to the leaf the log holds (altered event)",
    };
  const path: Uint8Array[] = [];
  for (const p of proof.proof) {
    const h = fromBase64(p);
    if (h?.length !== HASH_SIZE) return { ok: false, step: 'path', reason: 'malformed proof hash' };
    path.push(h);
  }
  if (!verifyInclusion(leaf, proof.leafIndex, cp.size, path, cp.rootHash))
    return {
      ok: false,
      step: 'path',
      reason: "the Merkle path from the event does not lead to the checkpoint's root hash",
    };
  return {
    ok: true,
    origin: cp.origin,
    treeSize: cp.size,
    leafIndex: proof.leafIndex,
    rootHash: toBase64(cp.rootHash),
    keyId: toHex(key.keyId),
    leafHash: toBase64(leaf),
  };
}
