import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ed25519PublicKeyFromRaw,
  formatCheckpoint,
  noteKeyId,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  rawEd25519PublicKey,
  signNote,
  verifierKey,
} from './checkpoint.ts';
import { EMPTY_ROOT, leafHash } from './merkle.ts';

// ---------------------------------------------------------------------------------------------
// Signed-note vectors from golang.org/x/mod, sumdb/note/note_test.go (TestNewVerifier,
// TestNewSigner, TestSign, TestOpen).

const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG =
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

// Checkpoint body vector from golang.org/x/mod, sumdb/tlog/note_test.go (TestFormatTree): the
// tree hash there is tlog.RecordHash("hello world"), which is the RFC 6962 leaf hash.
const GO_TREE = 'go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n';

// Example checkpoint from the C2SP tlog-checkpoint spec (https://c2sp.org/tlog-checkpoint); its
// public key is not published, so it is only parsed, never verified.
const C2SP_EXAMPLE =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
  '\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';

/** Go's private key format is base64(0x01 || 32-byte seed); wrap the seed in a PKCS#8 envelope. */
function privateKeyFromGoSkey(skey: string): KeyObject {
  const encoded = Buffer.from(skey.split('+').slice(4).join('+'), 'base64');
  expect(encoded[0]).toBe(0x01);
  const pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');
  return createPrivateKey({
    key: Buffer.concat([pkcs8Prefix, encoded.subarray(1)]),
    format: 'der',
    type: 'pkcs8',
  });
}

const peter = parseVerifierKey(PETER_VKEY);
const enoch = parseVerifierKey(ENOCH_VKEY);
const peterPrivate = privateKeyFromGoSkey(PETER_SKEY);

/** Byte-offset slicing, to mirror Go tests that cut UTF-8 strings at byte positions. */
const bytes = (s: string, start: number, end?: number): string =>
  Buffer.from(s, 'utf8').subarray(start, end).toString('utf8');

function newSigner(name: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { signer: { name, privateKey }, verifier: { name, publicKey } };
}

const noControl = (s: string): boolean => [...s].every((c) => c.charCodeAt(0) >= 0x20);

const reasonOf = (r: ReturnType<typeof openNote>): string => (r.ok ? 'ok' : r.reason);

// ---------------------------------------------------------------------------------------------

describe('checkpoint body', () => {
  it('formats and parses the Go sumdb tree vector', () => {
    const rootHash = leafHash(Buffer.from('hello world'));
    expect(formatCheckpoint({ origin: 'go.sum database tree', size: 123456789012, rootHash })).toBe(GO_TREE);
    expect(parseCheckpoint(GO_TREE)).toEqual({
      origin: 'go.sum database tree',
      size: 123456789012,
      rootHash,
      extensions: [],
    });
  });

  it('parses the C2SP spec example checkpoint', () => {
    const split = C2SP_EXAMPLE.lastIndexOf('\n\n');
    const cp = parseCheckpoint(C2SP_EXAMPLE.slice(0, split + 1));
    expect(cp.origin).toBe('example.com/behind-the-sofa');
    expect(cp.size).toBe(20852163);
    expect(cp.rootHash.toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
  });

  it('formats the empty tree with size 0', () => {
    expect(formatCheckpoint({ origin: 'bulwark.example/audit', size: 0, rootHash: EMPTY_ROOT })).toBe(
      'bulwark.example/audit\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n',
    );
  });

  it('keeps extension lines', () => {
    const body = formatCheckpoint({
      origin: 'o',
      size: 5,
      rootHash: EMPTY_ROOT,
      extensions: ['ext one', 'ext two'],
    });
    expect(body.endsWith('\next one\next two\n')).toBe(true);
    expect(parseCheckpoint(body).extensions).toEqual(['ext one', 'ext two']);
  });

  it.each([
    ['no trailing newline', GO_TREE.slice(0, -1)],
    ['only two lines', 'origin\n5\n'],
    ['empty origin', '\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n'],
    ['hex size', 'o\n0xabcdef\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n'],
    ['leading zero', 'o\n05\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n'],
    ['signed size', 'o\n+5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n'],
    ['negative size', 'o\n-5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n'],
    ['padded size', 'o\n 5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n'],
    ['size over 2^53', 'o\n9007199254740993\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n'],
    ['huge size', `o\n${'9'.repeat(40)}\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n`],
    ['root too long (Go vector)', 'o\n5\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n'],
    ['root too short', 'o\n5\nAAAA\n'],
    ['root without padding', 'o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n'],
    ['base64url root', 'o\n5\n47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=\n'],
    ['non-canonical root bits', 'o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n'],
    ['root with whitespace', 'o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSu FU=\n'],
    ['empty extension line', 'o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n'],
    ['carriage return', 'o\r\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n'],
    ['trailing junk without newline', `${GO_TREE}JOE`],
  ])('rejects %s', (_, body) => {
    expect(() => parseCheckpoint(body)).toThrow(TypeError);
  });

  it('accepts the largest size and rejects invalid inputs when formatting', () => {
    const cp = { origin: 'o', rootHash: EMPTY_ROOT };
    expect(parseCheckpoint(formatCheckpoint({ ...cp, size: 2 ** 53 })).size).toBe(2 ** 53);
    expect(() => formatCheckpoint({ ...cp, size: -1 })).toThrow(RangeError);
    expect(() => formatCheckpoint({ ...cp, size: 1.5 })).toThrow(RangeError);
    expect(() => formatCheckpoint({ ...cp, size: 2 ** 54 })).toThrow(RangeError);
    expect(() => formatCheckpoint({ ...cp, size: 1, rootHash: Buffer.alloc(31) })).toThrow(TypeError);
    expect(() => formatCheckpoint({ ...cp, origin: '', size: 1 })).toThrow(TypeError);
    expect(() => formatCheckpoint({ ...cp, origin: 'a\nb', size: 1 })).toThrow(TypeError);
    expect(() => formatCheckpoint({ ...cp, size: 1, extensions: [''] })).toThrow(TypeError);
    expect(() => formatCheckpoint({ ...cp, size: 1, extensions: ['a\nb'] })).toThrow(TypeError);
  });

  it('round-trips arbitrary checkpoints (property)', () => {
    const line = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter(noControl);
    fc.assert(
      fc.property(
        line,
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(line, { maxLength: 3 }),
        (origin, size, root, extensions) => {
          const rootHash = Buffer.from(root);
          const body = formatCheckpoint({ origin, size, rootHash, extensions });
          expect(parseCheckpoint(body)).toEqual({ origin, size, rootHash, extensions });
        },
      ),
    );
  });

  it('only ever fails with TypeError on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (s) => {
        try {
          const cp = parseCheckpoint(s);
          expect(formatCheckpoint(cp)).toBe(s);
        } catch (e) {
          expect(e).toBeInstanceOf(TypeError);
        }
      }),
    );
  });
});

describe('Ed25519 keys and verifier keys (Go sumdb/note vectors)', () => {
  it('parses the PeterNeumann and EnochRoot verifier keys with their key IDs', () => {
    expect(peter.name).toBe('PeterNeumann');
    expect(peter.keyId.toString('hex')).toBe('c74f20a3');
    expect(enoch.name).toBe('EnochRoot');
    expect(enoch.keyId.toString('hex')).toBe('af0cfe78');
  });

  it('computes the published key IDs and re-encodes the verifier keys exactly', () => {
    const raw = rawEd25519PublicKey(peter.publicKey);
    expect(noteKeyId('PeterNeumann', raw).toString('hex')).toBe('c74f20a3');
    expect(verifierKey('PeterNeumann', raw)).toBe(PETER_VKEY);
    expect(verifierKey('EnochRoot', rawEd25519PublicKey(enoch.publicKey))).toBe(ENOCH_VKEY);
  });

  it("derives Peter's public key from the published private key", () => {
    expect(rawEd25519PublicKey(peterPrivate)).toEqual(rawEd25519PublicKey(peter.publicKey));
  });

  it('rejects every substring and every single-byte change of a verifier key (Go TestNewVerifier)', () => {
    const accepted: string[] = [];
    const tryKey = (k: string) => {
      try {
        parseVerifierKey(k);
        accepted.push(k);
      } catch (e) {
        expect(e).toBeInstanceOf(TypeError);
      }
    };
    for (let i = 0; i <= PETER_VKEY.length; i++) {
      for (let j = i + 1; j <= PETER_VKEY.length; j++) {
        if (i !== 0 || j !== PETER_VKEY.length) tryKey(PETER_VKEY.slice(i, j));
      }
    }
    for (let i = 0; i < PETER_VKEY.length; i++) {
      const c = String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1);
      tryKey(PETER_VKEY.slice(0, i) + c + PETER_VKEY.slice(i + 1));
    }
    // Wrong key length and unknown algorithm, each with an adjusted key hash (from the Go test).
    tryKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==');
    tryKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
    expect(accepted).toEqual([]);
  });

  it('round-trips raw public keys and rejects bad ones', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = rawEd25519PublicKey(publicKey);
    expect(raw).toHaveLength(32);
    expect(rawEd25519PublicKey(privateKey)).toEqual(raw);
    expect(rawEd25519PublicKey(ed25519PublicKeyFromRaw(raw))).toEqual(raw);
    const vkey = verifierKey('bulwark.example/audit', raw);
    expect(rawEd25519PublicKey(parseVerifierKey(vkey).publicKey)).toEqual(raw);
    expect(() => ed25519PublicKeyFromRaw(raw.subarray(1))).toThrow(TypeError);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => rawEd25519PublicKey(ec.publicKey)).toThrow(TypeError);
  });

  it('rejects invalid key names', () => {
    const raw = rawEd25519PublicKey(peter.publicKey);
    for (const name of ['', 'a b', 'a+b', 'tab\there', 'nbsp\u00a0x', 'ideographic\u3000space', 'nl\n']) {
      expect(() => noteKeyId(name, raw)).toThrow(TypeError);
    }
    expect(() => noteKeyId('ok', raw.subarray(0, 31))).toThrow(TypeError);
  });
});

describe('signNote / openNote against the Go sumdb/note vectors', () => {
  const peterVerifier = { name: 'PeterNeumann', publicKey: peter.publicKey };
  const enochVerifier = { name: 'EnochRoot', publicKey: enoch.publicKey };

  it('produces exactly the signed note of Go TestSign', () => {
    expect(signNote(TEXT, { name: 'PeterNeumann', privateKey: peterPrivate })).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it('opens the Go TestOpen note with either key, ignoring the other signature', () => {
    const note = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    expect(openNote(note, peterVerifier)).toEqual({ ok: true, body: TEXT });
    expect(openNote(note, enochVerifier)).toEqual({ ok: true, body: TEXT });
    expect(openNote(Buffer.from(note, 'utf8'), peterVerifier)).toEqual({ ok: true, body: TEXT });
  });

  it('fails when no signature is from the verifier key', () => {
    const stranger = newSigner('PeterNeumann').verifier;
    expect(reasonOf(openNote(`${TEXT}\n${ENOCH_SIG}`, peterVerifier))).toMatch(/no signature/);
    // Same name, different key: key ID differs, so the line is treated as unknown.
    expect(reasonOf(openNote(`${TEXT}\n${PETER_SIG}`, stranger))).toMatch(/no signature/);
    // Same key, different name: key ID and name differ.
    const renamed = { name: 'CarmenSandiego', publicKey: peter.publicKey };
    expect(reasonOf(openNote(`${TEXT}\n${PETER_SIG}`, renamed))).toMatch(/no signature/);
    const misnamed = PETER_SIG.replaceAll('PeterNeumann', 'CarmenSandiego');
    expect(reasonOf(openNote(`${TEXT}\n${misnamed}`, peterVerifier))).toMatch(/no signature/);
    const wrongKeyId = PETER_SIG.replaceAll('x08g', 'xxxx');
    expect(reasonOf(openNote(`${TEXT}\n${wrongKeyId}`, peterVerifier))).toMatch(/no signature/);
  });

  it('accepts 100 signatures and rejects 101', () => {
    expect(openNote(`${TEXT}\n${PETER_SIG.repeat(100)}`, peterVerifier).ok).toBe(true);
    expect(reasonOf(openNote(`${TEXT}\n${PETER_SIG.repeat(101)}`, peterVerifier))).toMatch(/too many/);
    expect(reasonOf(openNote(`${TEXT}\n${ENOCH_SIG.repeat(101)}`, peterVerifier))).toMatch(/too many/);
  });

  it('rejects a corrupted signature from the verifier key (Go TestOpen "invalid signature")', () => {
    const corrupted = `${bytes(PETER_SIG, 0, 60)}ABCD${bytes(PETER_SIG, 60)}`;
    expect(reasonOf(openNote(`${TEXT}\n${corrupted}`, peterVerifier))).toBe(
      'invalid signature for key PeterNeumann+c74f20a3',
    );
    // A corrupted line from an unknown key is ignored, as long as a known one verifies.
    const enochCorrupted = `${bytes(ENOCH_SIG, 0, 60)}ABCD${bytes(ENOCH_SIG, 60)}`;
    const note = `${TEXT}\n${PETER_SIG}${PETER_SIG}${ENOCH_SIG}${ENOCH_SIG}${enochCorrupted}`;
    expect(openNote(note, peterVerifier)).toEqual({ ok: true, body: TEXT });
  });

  it.each([
    ['text only', TEXT],
    ['no signature lines', `${TEXT}\n`],
    ['signature without final newline', `${TEXT}\n${PETER_SIG.slice(0, -1)}`],
    ['control character', `\u0001${TEXT}\n${PETER_SIG}`],
    ['lone surrogate', `\ud800${TEXT}\n${PETER_SIG}`],
    [
      'key name with a space',
      `${TEXT}\n\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
    ],
    ['unexpected line after signatures', `${TEXT}\n${PETER_SIG}Unexpected line.\n`],
    ['hyphen instead of em dash', `${TEXT}\n-${PETER_SIG.slice(1)}`],
    ['bad base64', `${TEXT}\n\u2014 PeterNeumann x08go/ZJ!!\n`],
    ['signature too short for a key ID', `${TEXT}\n\u2014 PeterNeumann AAAA\n`],
    ['missing signature', `${TEXT}\n\u2014 PeterNeumann\n`],
  ])('rejects a malformed note: %s', (_, note) => {
    expect(reasonOf(openNote(note, peterVerifier))).toMatch(/^malformed note/);
  });

  it('rejects invalid UTF-8 when given bytes (Go TestOpen "\\xff")', () => {
    const note = Buffer.concat([Buffer.from([0xff]), Buffer.from(`${TEXT}\n${PETER_SIG}`)]);
    expect(reasonOf(openNote(note, peterVerifier))).toBe('malformed note');
  });
});

describe('signed checkpoints', () => {
  const { signer, verifier } = newSigner('bulwark.example/audit');
  const body = formatCheckpoint({
    origin: 'bulwark.example/audit',
    size: 8,
    rootHash: leafHash(Buffer.from('r')),
  });
  const note = signNote(body, signer);

  it('round-trips sign -> open -> parse', () => {
    const opened = openNote(note, verifier);
    expect(opened).toEqual({ ok: true, body });
    if (!opened.ok) return;
    expect(parseCheckpoint(opened.body).size).toBe(8);
    expect(note.startsWith(`${body}\n\u2014 bulwark.example/audit `)).toBe(true);
  });

  it('the signature line carries the key ID and a 64-byte signature', () => {
    const b64 = note.trimEnd().split(' ').pop()!;
    const decoded = Buffer.from(b64, 'base64');
    expect(decoded).toHaveLength(68);
    expect(decoded.subarray(0, 4)).toEqual(noteKeyId(signer.name, rawEd25519PublicKey(verifier.publicKey)));
  });

  it('detects a tampered size, root hash or origin', () => {
    const other = formatCheckpoint({
      origin: 'bulwark.example/audit',
      size: 9,
      rootHash: leafHash(Buffer.from('r')),
    });
    const sigLine = note.slice(body.length);
    expect(openNote(other + sigLine, verifier).ok).toBe(false);
    const lines = body.split('\n');
    const root = Buffer.from(lines[2]!, 'base64');
    root[0] = root[0]! ^ 1;
    const tamperedRoot = [lines[0], lines[1], root.toString('base64'), ''].join('\n');
    expect(openNote(tamperedRoot + sigLine, verifier).ok).toBe(false);
    expect(openNote(body.replace('bulwark', 'bulwarc') + sigLine, verifier).ok).toBe(false);
  });

  it('fails for the wrong key name or a different key with the same name', () => {
    expect(openNote(note, { name: 'bulwark.example/other', publicKey: verifier.publicKey }).ok).toBe(false);
    expect(openNote(note, newSigner('bulwark.example/audit').verifier).ok).toBe(false);
  });

  it('any single-character change to a signed body is detected (property)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), (pos, ch) => {
        const i = pos % body.length;
        fc.pre(body[i] !== ch && ch !== '\n' && body[i] !== '\n');
        const tampered = body.slice(0, i) + ch + body.slice(i + 1);
        expect(openNote(tampered + note.slice(body.length), verifier).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('signs and opens arbitrary note texts (property)', () => {
    const line = fc.string({ unit: 'binary', maxLength: 30 }).filter(noControl);
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), (lines) => {
        const text = `${lines.join('\n')}\n`;
        const signed = signNote(text, signer);
        expect(openNote(signed, verifier)).toEqual({ ok: true, body: text });
        expect(openNote(Buffer.from(signed, 'utf8'), verifier)).toEqual({ ok: true, body: text });
      }),
      { numRuns: 100 },
    );
  });

  it('refuses to sign malformed bodies or with unusable keys', () => {
    expect(() => signNote('no newline', signer)).toThrow(TypeError);
    expect(() => signNote('bad\u0000char\n', signer)).toThrow(TypeError);
    expect(() => signNote(body, { ...signer, name: 'has space' })).toThrow(TypeError);
    expect(() => signNote(body, { ...signer, name: 'has+plus' })).toThrow(TypeError);
    expect(() => signNote(body, { name: signer.name, privateKey: verifier.publicKey })).toThrow(TypeError);
  });
});
