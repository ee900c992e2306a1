import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appendToFrontier,
  consistencyProof,
  consistencyProofRanges,
  EMPTY_ROOT,
  emptyFrontier,
  extendFrontier,
  type Frontier,
  frontierFromJson,
  frontierRoot,
  frontierToJson,
  type GetNode,
  inclusionProof,
  inclusionProofRanges,
  leafHash,
  MAX_TREE_SIZE,
  nodeHash,
  type ProofRange,
  perfectSubtrees,
  rangeHash,
  requiredNodes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts';

// ---------------------------------------------------------------------------------------------
// Reference vectors: the RFC 6962 test tree used by Certificate Transparency and Trillian, copied
// from github.com/transparency-dev/merkle: testonly/constants.go (LeafInputs, NodeHashes,
// RootHashes, CompactTrees) and proof/verify_test.go (inclusionProofs, consistencyProofs; their
// leaf numbers are 1-based there and 0-based here).

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

const LEAF_INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(hex);

const NODE_HASHES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];

/** ROOTS[n] is the root of the tree of the first n leaves. */
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const nh = (level: number, index: number): string => NODE_HASHES[level]![index]!;

/** Frontier hashes per size (transparency-dev CompactTrees). */
const COMPACT_TREES: string[][] = [
  [],
  [nh(0, 0)],
  [nh(1, 0)],
  [nh(1, 0), nh(0, 2)],
  [nh(2, 0)],
  [nh(2, 0), nh(0, 4)],
  [nh(2, 0), nh(1, 2)],
  [nh(2, 0), nh(1, 2), nh(0, 6)],
  [nh(3, 0)],
];

const INCLUSION_VECTORS: Array<{ index: number; size: number; proof: string[] }> = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  { index: 0, size: 1, proof: [] },
];

const CONSISTENCY_VECTORS: Array<{ m: number; n: number; proof: string[] }> = [
  { m: 1, n: 1, proof: [] },
  {
    m: 1,
    n: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    m: 6,
    n: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    m: 2,
    n: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    m: 6,
    n: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

// Proof shapes from github.com/transparency-dev/merkle proof/proof_test.go (TestInclusion,
// TestConsistency), with its node IDs (and "rehash" groups) rewritten as leaf ranges.
// biome-ignore format: one proof per line reads as a table
const INCLUSION_SHAPES: Array<[index: number, size: number, ranges: ProofRange[]]> = [
  [0, 1, []],
  [0, 2, [[1, 2]]],
  [1, 2, [[0, 1]]],
  [1, 3, [[0, 1], [2, 3]]],
  [0, 7, [[1, 2], [2, 4], [4, 7]]],
  [1, 7, [[0, 1], [2, 4], [4, 7]]],
  [2, 7, [[3, 4], [0, 2], [4, 7]]],
  [3, 7, [[2, 3], [0, 2], [4, 7]]],
  [4, 7, [[5, 6], [6, 7], [0, 4]]],
  [5, 7, [[4, 5], [6, 7], [0, 4]]],
  [6, 7, [[4, 6], [0, 4]]],
  [2, 4, [[3, 4], [0, 2]]],
  [3, 5, [[2, 3], [0, 2], [4, 5]]],
  [3, 6, [[2, 3], [0, 2], [4, 6]]],
  [4, 6, [[5, 6], [0, 4]]],
  [10, 15, [[11, 12], [8, 10], [12, 15], [0, 8]]],
  [24, 31, [[25, 26], [26, 28], [28, 31], [16, 24], [0, 16]]],
  [81, 95, [[80, 81], [82, 84], [84, 88], [88, 95], [64, 80], [0, 64]]],
];

// biome-ignore format: one proof per line reads as a table
const CONSISTENCY_SHAPES: Array<[m: number, n: number, ranges: ProofRange[]]> = [
  [1, 2, [[1, 2]]],
  [1, 4, [[1, 2], [2, 4]]],
  [1, 6, [[1, 2], [2, 4], [4, 6]]],
  [2, 3, [[2, 3]]],
  [2, 8, [[2, 4], [4, 8]]],
  [3, 7, [[2, 3], [3, 4], [0, 2], [4, 7]]],
  [4, 7, [[4, 7]]],
  [5, 7, [[4, 5], [5, 6], [6, 7], [0, 4]]],
  [6, 7, [[4, 6], [6, 7], [0, 4]]],
  [7, 8, [[6, 7], [7, 8], [4, 6], [0, 4]]],
  [1, 1, []],
  [2, 2, []],
  [3, 3, []],
  [4, 4, []],
  [5, 5, []],
  [7, 7, []],
  [8, 8, []],
  [2, 4, [[2, 4]]],
  [3, 5, [[2, 3], [3, 4], [0, 2], [4, 5]]],
  [3, 6, [[2, 3], [3, 4], [0, 2], [4, 6]]],
  [4, 6, [[4, 6]]],
  [1, 7, [[1, 2], [2, 4], [4, 7]]],
  [10, 15, [[8, 10], [10, 12], [12, 15], [0, 8]]],
  [24, 31, [[16, 24], [24, 31], [0, 16]]],
  [81, 95, [[80, 81], [81, 82], [82, 84], [84, 88], [88, 95], [64, 80], [0, 64]]],
];

// ---------------------------------------------------------------------------------------------
// Naive reference implementation, straight from RFC 6962 §2.1 / RFC 9162 §2.1 (recursive MTH,
// PATH and SUBPROOF over D[start:end]), memoised per tree so exhaustive checks stay fast.

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

function naiveSplit(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

class NaiveTree {
  private readonly cache = new Map<string, Buffer>();
  constructor(readonly data: readonly Buffer[]) {}

  mth(start: number, end: number): Buffer {
    const key = `${start}:${end}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    let out: Buffer;
    if (end === start) out = sha256();
    else if (end - start === 1) out = sha256(Buffer.from([0]), this.data[start]!);
    else {
      const k = naiveSplit(end - start);
      out = sha256(Buffer.from([1]), this.mth(start, start + k), this.mth(start + k, end));
    }
    this.cache.set(key, out);
    return out;
  }

  path(m: number, start: number, end: number): Buffer[] {
    if (end - start === 1) return [];
    const k = naiveSplit(end - start);
    return m < k
      ? [...this.path(m, start, start + k), this.mth(start + k, end)]
      : [...this.path(m - k, start + k, end), this.mth(start, start + k)];
  }

  subproof(m: number, start: number, end: number, b: boolean): Buffer[] {
    if (m === end - start) return b ? [] : [this.mth(start, end)];
    const k = naiveSplit(end - start);
    return m <= k
      ? [...this.subproof(m, start, start + k, b), this.mth(start + k, end)]
      : [...this.subproof(m - k, start + k, end, false), this.mth(start, start + k)];
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

type Built = { frontier: Frontier; roots: Buffer[]; getNode: GetNode; nodes: Map<string, Buffer> };

function buildTree(data: readonly Uint8Array[]): Built {
  let frontier = emptyFrontier();
  const roots = [frontierRoot(frontier)];
  const nodes = new Map<string, Buffer>();
  for (const d of data) {
    const res = appendToFrontier(frontier, leafHash(d));
    frontier = res.frontier;
    for (const c of res.completed) nodes.set(`${c.level}:${c.index}`, c.hash);
    roots.push(frontierRoot(frontier));
  }
  const getNode: GetNode = (level, index) => {
    const h = nodes.get(`${level}:${index}`);
    if (!h) throw new Error(`missing node ${level}:${index}`);
    return h;
  };
  return { frontier, roots, getNode, nodes };
}

/** Unique leaf data, so a wrong index can never verify by two leaves being equal. */
const leafData = (seed: number, count: number): Buffer[] =>
  Array.from({ length: count }, (_, i) => sha256(Buffer.from(`leaf ${seed} ${i}`)));

const toHex = (hashes: readonly Buffer[]): string[] => hashes.map((h) => h.toString('hex'));

const sameHashes = (a: readonly Buffer[], b: readonly Buffer[]): boolean =>
  a.length === b.length && a.every((h, i) => h.equals(b[i]!));

const flip = (proof: readonly Buffer[], i: number, byte: number, bit: number): Buffer[] =>
  proof.map((h, j) => {
    if (j !== i) return h;
    const copy = Buffer.from(h);
    copy[byte] = copy[byte]! ^ (1 << bit);
    return copy;
  });

/** Checks that `ranges` plus the extra ranges exactly tile [0, size) without overlap. */
function tiles(ranges: readonly ProofRange[], size: number): boolean {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [start, end] of sorted) {
    if (start !== at || end <= start) return false;
    at = end;
  }
  return at === size;
}

const reference = buildTree(LEAF_INPUTS);

// ---------------------------------------------------------------------------------------------

describe('hashing', () => {
  it('EMPTY_ROOT is SHA-256 of the empty string', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(ROOTS[0]);
  });

  it('leafHash and nodeHash use the RFC 6962 domain separation prefixes', () => {
    const data = Buffer.from('hello');
    expect(leafHash(data)).toEqual(sha256(Buffer.from([0]), data));
    const [a, b] = [leafHash(Buffer.from('a')), leafHash(Buffer.from('b'))];
    expect(nodeHash(a, b)).toEqual(sha256(Buffer.from([1]), a, b));
    expect(nodeHash(a, b)).not.toEqual(nodeHash(b, a));
  });

  it('hashes the reference leaves to the published level-0 node hashes', () => {
    expect(toHex(LEAF_INPUTS.map(leafHash))).toEqual(NODE_HASHES[0]);
  });
});

describe('frontier on the RFC 6962 reference tree', () => {
  it('gives the published root for every size 0..8', () => {
    expect(toHex(reference.roots)).toEqual(ROOTS);
  });

  it('holds the published compact range for every size', () => {
    let frontier = emptyFrontier();
    expect(toHex(frontier.hashes)).toEqual(COMPACT_TREES[0]);
    for (const [i, data] of LEAF_INPUTS.entries()) {
      frontier = appendToFrontier(frontier, leafHash(data)).frontier;
      expect(frontier.size).toBe(i + 1);
      expect(toHex(frontier.hashes)).toEqual(COMPACT_TREES[i + 1]);
    }
  });

  it('reports every completed perfect subtree with the published hash', () => {
    const expected = new Map<string, string>();
    NODE_HASHES.forEach((level, l) => {
      level.forEach((h, i) => {
        expected.set(`${l}:${i}`, h);
      });
    });
    expect(new Map([...reference.nodes].map(([k, v]) => [k, v.toString('hex')]))).toEqual(expected);
  });

  it('lists completed nodes bottom-up for one append', () => {
    let frontier = emptyFrontier();
    for (const data of LEAF_INPUTS.slice(0, 7))
      frontier = appendToFrontier(frontier, leafHash(data)).frontier;
    const { completed } = appendToFrontier(frontier, leafHash(LEAF_INPUTS[7]!));
    expect(completed.map(({ level, index, hash }) => [level, index, hash.toString('hex')])).toEqual([
      [0, 7, nh(0, 7)],
      [1, 3, nh(1, 3)],
      [2, 1, nh(2, 1)],
      [3, 0, nh(3, 0)],
    ]);
  });

  it('extendFrontier matches repeated appends', () => {
    const leaves = LEAF_INPUTS.map(leafHash);
    const three = extendFrontier(emptyFrontier(), leaves.slice(0, 3));
    expect(toHex(three.hashes)).toEqual(COMPACT_TREES[3]);
    const all = extendFrontier(three, leaves.slice(3));
    expect(all.size).toBe(8);
    expect(toHex(all.hashes)).toEqual(COMPACT_TREES[8]);
    expect(toHex(three.hashes)).toEqual(COMPACT_TREES[3]);
    expect(() => extendFrontier(three, [Buffer.alloc(5)])).toThrow(TypeError);
  });

  it('does not modify the frontier it is given', () => {
    const before = appendToFrontier(emptyFrontier(), leafHash(Buffer.from('x'))).frontier;
    const snapshot = frontierToJson(before);
    appendToFrontier(before, leafHash(Buffer.from('y')));
    expect(frontierToJson(before)).toEqual(snapshot);
  });
});

describe('frontier validation and serialisation', () => {
  it('round-trips through JSON', () => {
    const json = JSON.parse(JSON.stringify(frontierToJson(reference.frontier)));
    const back = frontierFromJson(json);
    expect(back.size).toBe(8);
    expect(frontierRoot(back).toString('hex')).toBe(ROOTS[8]);
  });

  it('rejects inconsistent or malformed frontiers', () => {
    const good = frontierToJson(buildTree(LEAF_INPUTS.slice(0, 7)).frontier);
    expect(() => frontierFromJson({ ...good, size: 6 })).toThrow(TypeError);
    expect(() => frontierFromJson({ ...good, hashes: good.hashes.slice(1) })).toThrow(TypeError);
    expect(() => frontierFromJson({ ...good, hashes: [...good.hashes.slice(1), 'zz'] })).toThrow(TypeError);
    expect(() => frontierFromJson({ ...good, size: 7.5 })).toThrow(RangeError);
    expect(() => frontierFromJson({ size: -1, hashes: [] })).toThrow(RangeError);
    expect(() => frontierFromJson(null)).toThrow(TypeError);
    expect(() => frontierFromJson({ size: '0', hashes: [] })).toThrow(TypeError);
  });

  it('rejects leaf hashes that are not 32 bytes and appends past 2^53', () => {
    expect(() => appendToFrontier(emptyFrontier(), Buffer.alloc(31))).toThrow(TypeError);
    const full: Frontier = { size: MAX_TREE_SIZE, hashes: [Buffer.alloc(32)] };
    expect(() => appendToFrontier(full, Buffer.alloc(32))).toThrow(RangeError);
  });

  it('tracks node indices exactly above 2^32', () => {
    const size = 2 ** 40 - 1;
    const frontier: Frontier = {
      size,
      hashes: Array.from({ length: 40 }, (_, i) => sha256(Buffer.from([i]))),
    };
    const { frontier: next, completed } = appendToFrontier(frontier, sha256(Buffer.from('leaf')));
    expect(next.size).toBe(2 ** 40);
    expect(next.hashes).toHaveLength(1);
    expect(completed.map((c) => [c.level, c.index])).toEqual(
      Array.from({ length: 41 }, (_, level) => [level, 2 ** (40 - level) - 1]),
    );

    const odd = 2 ** 33 + 2 ** 32 + 1;
    const f2: Frontier = { size: odd, hashes: [0, 1, 2].map((i) => sha256(Buffer.from([i]))) };
    const r2 = appendToFrontier(f2, sha256(Buffer.from('x')));
    expect(r2.completed.map((c) => [c.level, c.index])).toEqual([
      [0, odd],
      [1, 2 ** 32 + 2 ** 31],
    ]);
    expect(r2.frontier.hashes).toHaveLength(3);
    expect(r2.frontier.hashes[2]).toEqual(r2.completed[1]!.hash);
  });
});

describe('proof ranges match transparency-dev shapes', () => {
  it.each(INCLUSION_SHAPES)('inclusion index %i size %i', (index, size, ranges) => {
    expect(inclusionProofRanges(index, size)).toEqual(ranges);
  });

  it.each(CONSISTENCY_SHAPES)('consistency %i -> %i', (m, n, ranges) => {
    expect(consistencyProofRanges(m, n)).toEqual(ranges);
  });

  it('rejects impossible parameters', () => {
    for (const [index, size] of [
      [0, 0],
      [1, 0],
      [2, 1],
      [3, 0],
      [8, 7],
      [-1, 4],
      [0.5, 4],
      [0, MAX_TREE_SIZE * 2],
    ] as const) {
      expect(() => inclusionProofRanges(index, size)).toThrow(RangeError);
    }
    expect(() => consistencyProofRanges(5, 0)).toThrow(RangeError);
    expect(() => consistencyProofRanges(9, 8)).toThrow(RangeError);
    expect(consistencyProofRanges(0, 5)).toEqual([]);
  });

  it('decomposes proof ranges into aligned perfect subtrees', () => {
    expect(perfectSubtrees(4, 7)).toEqual([
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
    expect(perfectSubtrees(88, 95)).toEqual([
      { level: 2, index: 22 },
      { level: 1, index: 46 },
      { level: 0, index: 94 },
    ]);
    expect(perfectSubtrees(0, 64)).toEqual([{ level: 6, index: 0 }]);
    expect(() => perfectSubtrees(3, 3)).toThrow(RangeError);
  });

  it('requiredNodes deduplicates across ranges', () => {
    const ranges: ProofRange[] = [
      [4, 7],
      [4, 6],
      [6, 7],
      [0, 4],
    ];
    expect(requiredNodes(ranges)).toEqual([
      { level: 1, index: 2 },
      { level: 0, index: 6 },
      { level: 2, index: 0 },
    ]);
  });
});

describe('proofs on the RFC 6962 reference tree', () => {
  it.each(INCLUSION_VECTORS)('inclusion of leaf $index in tree of size $size', ({ index, size, proof }) => {
    const got = inclusionProof(index, size, reference.getNode);
    expect(toHex(got)).toEqual(proof);
    const leaf = leafHash(LEAF_INPUTS[index]!);
    const root = hex(ROOTS[size]!);
    expect(verifyInclusion(leaf, index, size, proof.map(hex), root)).toBe(true);
    // The corruptions transparency-dev's verify_test.go probes with.
    expect(verifyInclusion(leaf, index + 1, size, got, root)).toBe(false);
    expect(verifyInclusion(leaf, index ^ 2, size, got, root)).toBe(false);
    expect(verifyInclusion(leaf, index, size * 2, got, root)).toBe(false);
    expect(verifyInclusion(leaf, index, Math.floor(size / 2), got, root)).toBe(false);
    expect(verifyInclusion(sha256(Buffer.from('WrongLeaf')), index, size, got, root)).toBe(false);
    expect(verifyInclusion(leaf, index, size, got, EMPTY_ROOT)).toBe(false);
    expect(verifyInclusion(leaf, index, size, [...got, root], root)).toBe(false);
    expect(verifyInclusion(leaf, index, size, [root, ...got], root)).toBe(false);
    if (got.length > 0) expect(verifyInclusion(leaf, index, size, got.slice(0, -1), root)).toBe(false);
  });

  it.each(CONSISTENCY_VECTORS)('consistency $m -> $n', ({ m, n, proof }) => {
    const got = consistencyProof(m, n, reference.getNode);
    expect(toHex(got)).toEqual(proof);
    const [r1, r2] = [hex(ROOTS[m]!), hex(ROOTS[n]!)];
    expect(verifyConsistency(m, n, r1, r2, proof.map(hex))).toBe(true);
    if (got.length === 0) return;
    expect(verifyConsistency(m - 1, n, r1, r2, got)).toBe(false);
    expect(verifyConsistency(m + 1, n, r1, r2, got)).toBe(false);
    expect(verifyConsistency(m ^ 2, n, r1, r2, got)).toBe(false);
    expect(verifyConsistency(m, n * 2, r1, r2, got)).toBe(false);
    expect(verifyConsistency(m, Math.floor(n / 2), r1, r2, got)).toBe(false);
    expect(verifyConsistency(m, n, r2, r1, got)).toBe(false);
    expect(verifyConsistency(m, n, r1, r2, [])).toBe(false);
    expect(verifyConsistency(m, n, r1, r2, [...got, r1])).toBe(false);
    expect(verifyConsistency(m, n, r1, r2, [got[0]!, ...got])).toBe(false);
    expect(verifyConsistency(m, n, r1, r2, got.slice(0, -1))).toBe(false);
  });

  it('handles the degenerate consistency cases like RFC 9162', () => {
    const [r3, r5] = [reference.roots[3]!, reference.roots[5]!];
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(true);
    expect(verifyConsistency(0, 5, EMPTY_ROOT, r5, [])).toBe(true);
    expect(verifyConsistency(0, 5, r3, r5, [])).toBe(false);
    expect(verifyConsistency(0, 0, r3, r3, [])).toBe(false);
    expect(verifyConsistency(0, 5, EMPTY_ROOT, r5, [EMPTY_ROOT])).toBe(false);
    expect(verifyConsistency(3, 3, r3, r3, [])).toBe(true);
    expect(verifyConsistency(3, 3, r3, r5, [])).toBe(false);
    expect(verifyConsistency(3, 3, r3, r3, [EMPTY_ROOT])).toBe(false);
    expect(verifyConsistency(5, 3, r5, r3, [])).toBe(false);
  });

  it('rejects malformed hashes and sizes', () => {
    const leaf = leafHash(LEAF_INPUTS[0]!);
    const proof = inclusionProof(0, 8, reference.getNode);
    const root = reference.roots[8]!;
    expect(verifyInclusion(leaf.subarray(1), 0, 8, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 0, 8, proof, root.subarray(1))).toBe(false);
    expect(verifyInclusion(leaf, 0, 8, [...proof.slice(0, 2), Buffer.alloc(0)], root)).toBe(false);
    expect(verifyInclusion(leaf, -1, 8, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 0, Number.NaN, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 0, 0, [], EMPTY_ROOT)).toBe(false);
    expect(verifyConsistency(1.5, 8, root, root, proof)).toBe(false);
  });

  it('binds the tree size through the root, not through the proof (RFC 9162 behaviour)', () => {
    // The 3-leaf proof for leaf 0 has the same shape as a 4-leaf one, so it also "verifies" for
    // size 4 against the 3-leaf root. Sizes must come from the signed checkpoint with the root.
    const proof = inclusionProof(0, 3, reference.getNode);
    const leaf = leafHash(LEAF_INPUTS[0]!);
    expect(verifyInclusion(leaf, 0, 4, proof, reference.roots[3]!)).toBe(true);
    expect(verifyInclusion(leaf, 0, 4, proof, reference.roots[4]!)).toBe(false);
  });
});

describe('exhaustive comparison with the naive RFC implementation (sizes 1..64)', () => {
  const data = leafData(1, 64);
  const naive = new NaiveTree(data);
  const built = buildTree(data);

  it('frontier roots', () => {
    const expected = Array.from({ length: 65 }, (_, n) => naive.mth(0, n));
    expect(toHex(built.roots)).toEqual(toHex(expected));
  });

  it('inclusion proofs equal PATH and verify', () => {
    for (let n = 1; n <= 64; n++) {
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(m, n, built.getNode);
        if (!sameHashes(proof, naive.path(m, 0, n))) throw new Error(`PATH(${m}, ${n}) differs`);
        if (!verifyInclusion(leafHash(data[m]!), m, n, proof, built.roots[n]!)) {
          throw new Error(`inclusion ${m}/${n} does not verify`);
        }
      }
    }
  });

  it('consistency proofs equal PROOF and verify', () => {
    for (let n = 1; n <= 64; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(m, n, built.getNode);
        if (!sameHashes(proof, naive.subproof(m, 0, n, true))) throw new Error(`PROOF(${m}, ${n}) differs`);
        if (!verifyConsistency(m, n, built.roots[m]!, built.roots[n]!, proof)) {
          throw new Error(`consistency ${m} -> ${n} does not verify`);
        }
      }
    }
  });

  it('rangeHash equals MTH(D[start:end]) for every range, aligned or not', () => {
    for (let end = 1; end <= 64; end++) {
      for (let start = 0; start < end; start++) {
        if (!rangeHash(start, end, built.getNode).equals(naive.mth(start, end))) {
          throw new Error(`rangeHash(${start}, ${end}) differs`);
        }
      }
    }
  });
});

describe('properties (fast-check)', () => {
  const treeArb = fc.record({ seed: fc.nat(), size: fc.integer({ min: 1, max: 300 }) });
  const withIndex = treeArb.chain((t) =>
    fc.record({ t: fc.constant(t), index: fc.nat({ max: t.size - 1 }) }),
  );
  const withOldSize = treeArb.chain((t) =>
    fc.record({ t: fc.constant(t), m: fc.integer({ min: 1, max: t.size }) }),
  );

  it('frontierRoot equals the naive root and completed nodes equal naive subtree hashes', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 300 }), (seed, size) => {
        const data = leafData(seed, size);
        const naive = new NaiveTree(data);
        const built = buildTree(data);
        expect(frontierRoot(built.frontier).equals(naive.mth(0, size))).toBe(true);
        for (const [key, h] of built.nodes) {
          const [level, index] = key.split(':').map(Number) as [number, number];
          if (!h.equals(naive.mth(index * 2 ** level, (index + 1) * 2 ** level)))
            throw new Error(`node ${key}`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('generated inclusion proofs match PATH and verify; tampering fails', () => {
    fc.assert(
      fc.property(
        withIndex,
        fc.nat(),
        fc.nat({ max: 31 }),
        fc.nat({ max: 7 }),
        ({ t, index }, pick, byte, bit) => {
          const data = leafData(t.seed, t.size);
          const built = buildTree(data);
          const root = built.roots[t.size]!;
          const leaf = leafHash(data[index]!);
          const proof = inclusionProof(index, t.size, built.getNode);
          expect(sameHashes(proof, new NaiveTree(data).path(index, 0, t.size))).toBe(true);
          expect(verifyInclusion(leaf, index, t.size, proof, root)).toBe(true);

          if (proof.length > 0) {
            expect(
              verifyInclusion(leaf, index, t.size, flip(proof, pick % proof.length, byte, bit), root),
            ).toBe(false);
          }
          const wrongIndex = (index + 1 + (pick % t.size)) % t.size;
          if (wrongIndex !== index)
            expect(verifyInclusion(leaf, wrongIndex, t.size, proof, root)).toBe(false);
          expect(verifyInclusion(leaf, index + t.size, t.size, proof, root)).toBe(false);

          // A different size with that size's genuine root never accepts this proof.
          const wrongSize = index + 1 + (pick % 300);
          if (wrongSize !== t.size) {
            const other = buildTree(leafData(t.seed, wrongSize));
            expect(verifyInclusion(leaf, index, wrongSize, proof, other.roots[wrongSize]!)).toBe(false);
            // Against the original root it can only pass if the proof shape is identical.
            if (inclusionProofRanges(index, wrongSize).length !== proof.length) {
              expect(verifyInclusion(leaf, index, wrongSize, proof, root)).toBe(false);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('generated consistency proofs match SUBPROOF and verify; tampering fails', () => {
    fc.assert(
      fc.property(
        withOldSize,
        fc.nat(),
        fc.nat({ max: 31 }),
        fc.nat({ max: 7 }),
        ({ t, m }, pick, byte, bit) => {
          const data = leafData(t.seed, t.size);
          const built = buildTree(data);
          const [r1, r2] = [built.roots[m]!, built.roots[t.size]!];
          const proof = consistencyProof(m, t.size, built.getNode);
          expect(sameHashes(proof, new NaiveTree(data).subproof(m, 0, t.size, true))).toBe(true);
          expect(verifyConsistency(m, t.size, r1, r2, proof)).toBe(true);
          if (proof.length === 0) return;

          expect(verifyConsistency(m, t.size, r1, r2, flip(proof, pick % proof.length, byte, bit))).toBe(
            false,
          );
          // Claiming a different old size (with that size's genuine root) fails.
          const wrongM = 1 + ((m + pick) % t.size);
          if (wrongM !== m)
            expect(verifyConsistency(wrongM, t.size, built.roots[wrongM]!, r2, proof)).toBe(false);
          // Claiming a different new size (with that size's genuine root) fails.
          const wrongN = m + ((t.size - m + 1 + pick) % 300);
          if (wrongN !== t.size && wrongN > m) {
            const other = buildTree(leafData(t.seed, wrongN));
            expect(verifyConsistency(m, wrongN, r1, other.roots[wrongN]!, proof)).toBe(false);
          }
          // A root from another log fails.
          const foreign = buildTree(leafData(t.seed + 1, t.size));
          expect(verifyConsistency(m, t.size, r1, foreign.roots[t.size]!, proof)).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('requiredNodes covers exactly the nodes the proof generators read', () => {
    fc.assert(
      fc.property(withOldSize, fc.nat(), ({ t, m }, pick) => {
        const built = buildTree(leafData(t.seed, t.size));
        const read = new Set<string>();
        const recording: GetNode = (level, index) => {
          read.add(`${level}:${index}`);
          return built.getNode(level, index);
        };
        const index = pick % t.size;
        inclusionProof(index, t.size, recording);
        consistencyProof(m, t.size, recording);
        const ranges = [...inclusionProofRanges(index, t.size), ...consistencyProofRanges(m, t.size)];
        const required = requiredNodes(ranges).map((n) => `${n.level}:${n.index}`);
        expect(new Set(required).size).toBe(required.length);
        expect(new Set(required)).toEqual(read);
      }),
      { numRuns: 100 },
    );
  });

  it('proof ranges are exact and aligned for sizes up to 2^53', () => {
    const big = fc.oneof(fc.integer({ min: 1, max: MAX_TREE_SIZE - 1 }), fc.constant(MAX_TREE_SIZE));
    fc.assert(
      fc.property(big, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (size, frac) => {
        const index = Math.min(size - 1, Math.floor(frac * size));
        const ranges = inclusionProofRanges(index, size);
        expect(tiles([...ranges, [index, index + 1]], size)).toBe(true);
        expect(ranges.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)) + 1);
        for (const [start, end] of ranges) {
          let covered = start;
          for (const { level, index: i } of perfectSubtrees(start, end)) {
            if (i * 2 ** level !== covered)
              throw new Error(`misaligned node ${level}:${i} in [${start}, ${end})`);
            covered += 2 ** level;
          }
          if (covered !== end) throw new Error(`[${start}, ${end}) not covered`);
        }

        const m = Math.max(1, index);
        const cranges = consistencyProofRanges(m, size);
        expect(cranges.length).toBeLessThanOrEqual(2 * 54);
        expect(cranges.every(([start, end]) => start >= 0 && start < end && end <= size)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('proof size bounds', () => {
  it('an inclusion proof in a 2^32-leaf tree is at most 32 hashes (1 KiB)', () => {
    const size = 2 ** 32;
    for (const index of [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1]) {
      const ranges = inclusionProofRanges(index, size);
      expect(ranges).toHaveLength(32);
      expect(ranges.length * 32).toBeLessThanOrEqual(1024);
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: size - 1 }), (index) => {
        expect(inclusionProofRanges(index, size).length).toBeLessThanOrEqual(32);
      }),
    );
  });

  it('handles the extremes of the supported range', () => {
    expect(inclusionProofRanges(MAX_TREE_SIZE - 1, MAX_TREE_SIZE)).toHaveLength(53);
    expect(inclusionProofRanges(2 ** 32, 2 ** 32 + 1)).toEqual([[0, 2 ** 32]]);
    expect(inclusionProofRanges(0, 2 ** 32 + 1)).toHaveLength(33);
    expect(consistencyProofRanges(2 ** 32, 2 ** 32 + 1)).toEqual([[2 ** 32, 2 ** 32 + 1]]);
    expect(consistencyProofRanges(MAX_TREE_SIZE - 1, MAX_TREE_SIZE).length).toBeLessThanOrEqual(2 * 53);
    expect(perfectSubtrees(0, MAX_TREE_SIZE)).toEqual([{ level: 53, index: 0 }]);
    expect(perfectSubtrees(2 ** 52, 2 ** 52 + 2 ** 33 + 1)).toEqual([
      { level: 33, index: 2 ** 19 },
      { level: 0, index: 2 ** 52 + 2 ** 33 },
    ]);
  });
});
