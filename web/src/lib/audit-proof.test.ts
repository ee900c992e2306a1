/**
 * The console's audit proof verifier against proofs made by the server's own code: the Merkle
 * tree, checkpoint and signed-note modules the audit service uses, on events it would build.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson as serverCanonicalJson } from '../../../src/lib/canonical-json.ts';
import {
  type AuditEvent,
  buildAuditEvent,
  encodeAuditEvent,
} from '../../../src/modules/audit/audit-event.ts';
import {
  formatCheckpoint,
  rawEd25519PublicKey,
  signNote,
  verifierKey,
} from '../../../src/modules/audit/checkpoint.ts';
import {
  appendToFrontier,
  emptyFrontier,
  type Frontier,
  frontierRoot,
  inclusionProof,
  leafHash as serverLeafHash,
} from '../../../src/modules/audit/merkle.ts';
import {
  type AuditEventJson,
  canonicalJson,
  fromBase64,
  type InclusionProofJson,
  parseVerifierKey,
  toBase64,
  verifyEventProof,
} from './audit-proof.ts';

const ORIGIN = 'bulwark.test/audit/00000000-0000-4000-8000-000000000001';

function makeLog(count: number, origin = ORIGIN) {
  const { privateKey } = generateKeyPairSync('ed25519');
  const events: AuditEvent[] = [];
  const nodes = new Map<string, Buffer>();
  let frontier: Frontier = emptyFrontier();
  for (let i = 0; i < count; i++) {
    const event = buildAuditEvent(
      {
        tenantId: '00000000-0000-4000-8000-000000000001',
        action: i % 3 === 0 ? 'token.detokenize' : 'auth.login',
        outcome: i % 4 === 0 ? 'deny' : 'allow',
        actor: {
          userId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          roles: ['security_analyst'],
        },
        resource: { type: 'Token', id: `tok_${i}` },
        purpose: i % 2 === 0 ? 'Chargeback dispute — case “42”' : null,
        details: { attempt: i, ratio: 0.5 + i, flag: i % 2 === 0, note: null, zebra: 'z', alpha: 'ä' },
      },
      new Date(Date.UTC(2026, 10, 27, 12, 0, i)),
    );
    events.push(event);
    const appended = appendToFrontier(frontier, serverLeafHash(Buffer.from(encodeAuditEvent(event), 'utf8')));
    frontier = appended.frontier;
    for (const n of appended.completed) nodes.set(`${n.level}/${n.index}`, n.hash);
  }
  const root = frontierRoot(frontier);
  const note = signNote(formatCheckpoint({ origin, size: count, rootHash: root }), {
    name: origin,
    privateKey,
  });
  const vkey = verifierKey(origin, rawEd25519PublicKey(privateKey));
  const getNode = (level: number, index: number) => {
    const h = nodes.get(`${level}/${index}`);
    if (!h) throw new Error(`missing node ${level}/${index}`);
    return h;
  };
  /** What GET /v1/audit/events/{id}/proof answers for event `index`. */
  const proofFor = (index: number): InclusionProofJson => ({
    leafIndex: index,
    treeSize: count,
    leafHash: serverLeafHash(Buffer.from(encodeAuditEvent(events[index]!), 'utf8')).toString('base64'),
    proof: inclusionProof(index, count, getNode).map((h) => h.toString('base64')),
    checkpoint: note,
  });
  /** What GET /v1/audit/events lists: the parsed stored body plus the API's leafIndex. */
  const listed = (index: number): AuditEventJson => ({
    ...(JSON.parse(encodeAuditEvent(events[index]!)) as AuditEvent),
    leafIndex: index,
  });
  return { events, note, vkey, proofFor, listed, privateKey };
}

describe('audit proof verification in the console', () => {
  it('verifies every event of logs of several sizes (ragged right edges included)', () => {
    for (const size of [1, 2, 3, 5, 7, 8, 13]) {
      const log = makeLog(size);
      for (let i = 0; i < size; i++) {
        const r = verifyEventProof(log.listed(i), log.proofFor(i), log.vkey);
        expect(r, `size ${size} index ${i}`).toMatchObject({
          ok: true,
          treeSize: size,
          leafIndex: i,
          origin: ORIGIN,
        });
      }
    }
  });

  it('encodes events byte for byte as the server does', () => {
    const log = makeLog(4);
    for (const e of log.events) expect(canonicalJson(e)).toBe(serverCanonicalJson(e));
    expect(canonicalJson({ b: [1, { d: null, c: 'x' }], a: true, u: undefined })).toBe(
      serverCanonicalJson({ b: [1, { d: null, c: 'x' }], a: true, u: undefined }),
    );
  });

  it('parses the server verifier key and agrees on the key id', () => {
    const log = makeLog(1);
    const parsed = parseVerifierKey(log.vkey);
    expect(parsed.name).toBe(ORIGIN);
    expect(toBase64(parsed.publicKey)).toBe(rawEd25519PublicKey(log.privateKey).toString('base64'));
    expect(() => parseVerifierKey(log.vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'))).toThrow(/key ID/);
  });

  it('fails for a tampered event (any field), naming the leaf', () => {
    const log = makeLog(6);
    const tampered: AuditEventJson[] = [
      { ...log.listed(2), outcome: 'deny' },
      { ...log.listed(2), purpose: 'something else' },
      { ...log.listed(2), details: { ...(log.listed(2).details as object), attempt: 99 } },
      { ...log.listed(2), extra: 'field' },
    ];
    for (const event of tampered) {
      const r = verifyEventProof(event, log.proofFor(2), log.vkey);
      expect(r).toMatchObject({ ok: false, step: 'leaf' });
    }
  });

  it('fails when the server also swaps the leaf hash for the tampered event (path no longer leads to the root)', () => {
    const log = makeLog(6);
    const event = { ...log.listed(3), action: 'auth.logout' };
    const { leafIndex: _i, ...body } = event;
    const proof = {
      ...log.proofFor(3),
      leafHash: serverLeafHash(Buffer.from(serverCanonicalJson(body), 'utf8')).toString('base64'),
    };
    expect(verifyEventProof(event, proof, log.vkey)).toMatchObject({ ok: false, step: 'path' });
  });

  it('fails for a tampered signature, a checkpoint signed by another key and an edited checkpoint body', () => {
    const log = makeLog(5);
    const proof = log.proofFor(1);
    const sigLine = proof.checkpoint.split('\n').at(-2)!;
    const encoded = sigLine.slice(sigLine.lastIndexOf(' ') + 1);
    const bytes = fromBase64(encoded)!;
    bytes[10] = (bytes[10] ?? 0) ^ 0x01;
    const badSig = proof.checkpoint.replace(encoded, toBase64(bytes));
    expect(verifyEventProof(log.listed(1), { ...proof, checkpoint: badSig }, log.vkey)).toMatchObject({
      ok: false,
      step: 'signature',
      reason: expect.stringMatching(/does not verify/),
    });

    const other = makeLog(5);
    expect(verifyEventProof(log.listed(1), proof, other.vkey)).toMatchObject({
      ok: false,
      step: 'signature',
    });

    const editedBody = proof.checkpoint.replace(/^(.*)\n5\n/, '$1\n4\n');
    expect(
      verifyEventProof(log.listed(1), { ...proof, checkpoint: editedBody, treeSize: 4 }, log.vkey),
    ).toMatchObject({ ok: false, step: 'signature' });
  });

  it('fails for a tampered path hash, a wrong index and a size that does not match the checkpoint', () => {
    const log = makeLog(7);
    const proof = log.proofFor(4);
    const first = fromBase64(proof.proof[0]!)!;
    first[0] = (first[0] ?? 0) ^ 0xff;
    const badPath = { ...proof, proof: [toBase64(first), ...proof.proof.slice(1)] };
    expect(verifyEventProof(log.listed(4), badPath, log.vkey)).toMatchObject({ ok: false, step: 'path' });

    const { leafIndex: _i, ...noIndex } = log.listed(4);
    expect(verifyEventProof(noIndex, { ...proof, leafIndex: 5 }, log.vkey)).toMatchObject({
      ok: false,
      step: 'path',
    });
    expect(verifyEventProof(log.listed(4), { ...proof, leafIndex: 5 }, log.vkey)).toMatchObject({
      ok: false,
      step: 'leaf',
    });
    expect(verifyEventProof(log.listed(4), { ...proof, treeSize: 8 }, log.vkey)).toMatchObject({
      ok: false,
      step: 'checkpoint',
    });
  });

  it('refuses a checkpoint whose origin is not the key name', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const log = makeLog(2, 'other.origin/audit');
    // Re-sign the same body under a key named differently from the checkpoint origin.
    const body = log.proofFor(0).checkpoint.split('\n\n')[0]!;
    const note = signNote(`${body}\n`, { name: ORIGIN, privateKey });
    const vkey = verifierKey(ORIGIN, rawEd25519PublicKey(privateKey));
    expect(verifyEventProof(log.listed(0), { ...log.proofFor(0), checkpoint: note }, vkey)).toMatchObject({
      ok: false,
      step: 'checkpoint',
      reason: expect.stringMatching(/origin/),
    });
  });
});
