/**
 * RFC 6962 / RFC 9162 Merkle tree primitives over SHA-256 for the tamper-evident audit log.
 *
 * Tree sizes and indices are plain numbers up to 2^53. Bitwise operators truncate to 32 bits, so
 * every shift or mask on a size is done with division and `%` instead.
 *
 * Returned buffers may be shared with inputs or frontiers: treat every hash as immutable.
 */
import { hash } from 'node:crypto';

/** Length in bytes of every hash in the tree. */
export const HASH_SIZE = 32;

/** Largest supported tree size: beyond it sizes are no longer exact as numbers. */
export const MAX_TREE_SIZE = 2 ** 53;

const TWO_32 = 2 ** 32;

/** A perfect subtree: level k, index i covers leaves [i * 2^k, (i + 1) * 2^k). */
export type NodeId = { level: number; index: number };

/** A stored perfect subtree node with its hash. */
export type CompletedNode = NodeId & { hash: Buffer };

/** Half-open leaf range [start, end) whose MTH is one proof element. */
export type ProofRange = [start: number, end: number];

/** Looks up the stored hash of a perfect subtree node (level 0 = leaf hashes). */
export type GetNode = (level: number, index: number) => Buffer;

/**
 * Compact range of a tree's leaves [0, size): the roots of its perfect subtrees, left to right
 * (largest first), one per set bit of `size`. Enough to append and to compute the root.
 */
export type Frontier = { size: number; hashes: Buffer[] };

/** {@link Frontier} in a JSON/DB friendly form (hashes as lowercase hex). */
export type FrontierJson = { size: number; hashes: string[] };

const sha256 = (data: Uint8Array): Buffer => hash('sha256', data, 'buffer');

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = sha256(new Uint8Array(0));

// Private copy so a caller mutating the exported constant cannot change verification results.
const EMPTY = Buffer.from(EMPTY_ROOT);

/**
 * RFC 6962 leaf hash: SHA-256(0x00 || data).
 *
 * @example leafHash(Buffer.from('event')).length === 32
 */
export function leafHash(data: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(1 + data.length);
  buf[0] = 0x00;
  buf.set(data, 1);
  return sha256(buf);
}

/** RFC 6962 interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(1 + left.length + right.length);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return sha256(buf);
}

// ---------------------------------------------------------------------------------------------
// 53-bit safe integer helpers

const isTreeSize = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= MAX_TREE_SIZE;
const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);
const isHash = (h: unknown): h is Uint8Array => h instanceof Uint8Array && h.length === HASH_SIZE;
const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

/** Largest power of two <= x, for 1 <= x <= 2^53. */
function highestPowerOfTwo(x: number): number {
  if (x >= TWO_32) return 2 ** (63 - Math.clz32(Math.floor(x / TWO_32)));
  return 2 ** (31 - Math.clz32(x));
}

/** The RFC 6962 split point k: the largest power of two strictly smaller than n (n >= 2). */
const splitPoint = (n: number): number => highestPowerOfTwo(n - 1);

const isPowerOfTwo = (n: number): boolean => n >= 1 && highestPowerOfTwo(n) === n;

/** Exponent of a power of two, without trusting floating-point Math.log2. */
const exponentOf = (pow2: number): number =>
  pow2 >= TWO_32 ? 63 - Math.clz32(Math.floor(pow2 / TWO_32)) : 31 - Math.clz32(pow2);

// Callers pass x < 2^32, where the 32-bit operators are exact.
function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  return Math.imul(v, 0x01010101) >>> 24;
}

const popcount = (n: number): number => popcount32(n % TWO_32) + popcount32(Math.floor(n / TWO_32));

function assertTreeSize(n: number, what: string): void {
  if (!isTreeSize(n)) throw new RangeError(`${what} must be an integer in [0, 2^53], got ${n}`);
}

// ---------------------------------------------------------------------------------------------
// Frontier (compact range [0, size))

/** The frontier of the empty tree. */
export const emptyFrontier = (): Frontier => ({ size: 0, hashes: [] });

function assertFrontier(frontier: Frontier): void {
  assertTreeSize(frontier.size, 'frontier.size');
  if (frontier.hashes.length !== popcount(frontier.size) || !frontier.hashes.every(isHash)) {
    throw new TypeError(`frontier of size ${frontier.size} must hold ${popcount(frontier.size)} hashes`);
  }
}

/**
 * Appends one leaf hash in O(log n). `completed` lists every perfect subtree node finished by this
 * append, bottom-up: the leaf itself (level 0, index = leaf index), then each parent that closed.
 * The input frontier is not modified.
 *
 * @example
 * let f = emptyFrontier();
 * ({ frontier: f } = appendToFrontier(f, leafHash(Buffer.from('a'))));
 * const { completed } = appendToFrontier(f, leafHash(Buffer.from('b')));
 * // completed: [{ level: 0, index: 1, ... }, { level: 1, index: 0, ... }]
 */
export function appendToFrontier(
  frontier: Frontier,
  leaf: Buffer,
): { frontier: Frontier; completed: CompletedNode[] } {
  if (frontier.size >= MAX_TREE_SIZE) throw new RangeError('tree is full');
  // Only the cheap count check here: this is the hot path, and frontiers from outside come
  // through frontierFromJson, which validates every hash.
  if (!isTreeSize(frontier.size) || frontier.hashes.length !== popcount(frontier.size))
    assertFrontier(frontier);
  if (!isHash(leaf)) throw new TypeError('leaf hash must be 32 bytes');

  const completed: CompletedNode[] = [{ level: 0, index: frontier.size, hash: leaf }];
  const hashes = frontier.hashes.slice();
  let node = leaf;
  let index = frontier.size;
  // Each trailing 1 bit of the old size is a left sibling waiting for this right child.
  while (isOdd(index)) {
    node = nodeHash(hashes.pop()!, node);
    index = (index - 1) / 2;
    completed.push({ level: completed.length, index, hash: node });
  }
  hashes.push(node);
  return { frontier: { size: frontier.size + 1, hashes }, completed };
}

/**
 * Appends many leaf hashes without reporting completed nodes: the fast path for a verifier that
 * only recomputes roots. Equivalent to folding {@link appendToFrontier}; the input is not modified.
 */
export function extendFrontier(frontier: Frontier, leaves: Iterable<Buffer>): Frontier {
  assertFrontier(frontier);
  const hashes = frontier.hashes.slice();
  let size = frontier.size;
  for (const leaf of leaves) {
    if (size >= MAX_TREE_SIZE) throw new RangeError('tree is full');
    if (!isHash(leaf)) throw new TypeError('leaf hash must be 32 bytes');
    let node = leaf;
    for (let index = size; isOdd(index); index = (index - 1) / 2) node = nodeHash(hashes.pop()!, node);
    hashes.push(node);
    size += 1;
  }
  return { size, hashes };
}

/** RFC 6962 root of the tree with `frontier.size` leaves ({@link EMPTY_ROOT} for an empty tree). */
export function frontierRoot(frontier: Frontier): Buffer {
  assertFrontier(frontier);
  const { hashes } = frontier;
  let root = hashes[hashes.length - 1];
  if (root === undefined) return Buffer.from(EMPTY);
  // Folding right to left reproduces MTH's split at the largest power of two below n.
  for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i]!, root);
  return root;
}

/** Serialises a frontier for JSON or a database row. */
export const frontierToJson = (frontier: Frontier): FrontierJson => ({
  size: frontier.size,
  hashes: frontier.hashes.map((h) => h.toString('hex')),
});

/** Parses and validates a serialised frontier; throws on any inconsistency. */
export function frontierFromJson(json: unknown): Frontier {
  const { size, hashes } = (json ?? {}) as Partial<FrontierJson>;
  if (typeof size !== 'number' || !Array.isArray(hashes)) throw new TypeError('malformed frontier');
  const decoded = hashes.map((h) => {
    if (typeof h !== 'string' || !/^[0-9a-f]{64}$/.test(h)) throw new TypeError('malformed frontier hash');
    return Buffer.from(h, 'hex');
  });
  const frontier = { size, hashes: decoded };
  assertFrontier(frontier);
  return frontier;
}

// ---------------------------------------------------------------------------------------------
// Ranges and subtree hashes

/**
 * The perfect subtree nodes, left to right, that {@link rangeHash} reads to compute MTH(D[start:end]).
 * For the ranges that occur in RFC 6962 proofs this is the aligned decomposition by the binary
 * digits of the range length (at most ~53 nodes).
 *
 * @example perfectSubtrees(4, 7) // [{ level: 1, index: 2 }, { level: 0, index: 6 }]
 */
export function perfectSubtrees(start: number, end: number): NodeId[] {
  assertRange(start, end);
  const out: NodeId[] = [];
  collectSubtrees(start, end, out);
  return out;
}

function assertRange(start: number, end: number): void {
  assertTreeSize(start, 'range start');
  assertTreeSize(end, 'range end');
  if (start >= end) throw new RangeError(`empty range [${start}, ${end})`);
}

/** An aligned perfect subtree covering exactly [start, end), if there is one. */
function alignedNode(start: number, end: number): NodeId | undefined {
  const width = end - start;
  if (!isPowerOfTwo(width) || start % width !== 0) return undefined;
  return { level: exponentOf(width), index: start / width };
}

function collectSubtrees(start: number, end: number, out: NodeId[]): void {
  const node = alignedNode(start, end);
  if (node) {
    out.push(node);
    return;
  }
  const mid = start + splitPoint(end - start);
  collectSubtrees(start, mid, out);
  collectSubtrees(mid, end, out);
}

/**
 * MTH(D[start:end]) exactly as RFC 6962 defines it (split at the largest power of two smaller
 * than the length), built from stored perfect subtree nodes.
 */
export function rangeHash(start: number, end: number, getNode: GetNode): Buffer {
  assertRange(start, end);
  return hashRange(start, end, getNode);
}

function hashRange(start: number, end: number, getNode: GetNode): Buffer {
  const node = alignedNode(start, end);
  if (node) return getNode(node.level, node.index);
  const mid = start + splitPoint(end - start);
  return nodeHash(hashRange(start, mid, getNode), hashRange(mid, end, getNode));
}

/** Every node needed to hash `ranges`, deduplicated, so a caller can load them in one query. */
export function requiredNodes(ranges: ReadonlyArray<readonly [number, number]>): NodeId[] {
  const seen = new Set<string>();
  const out: NodeId[] = [];
  for (const [start, end] of ranges) {
    for (const node of perfectSubtrees(start, end)) {
      const key = `${node.level}:${node.index}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(node);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Proof generation

/**
 * Ranges of the inclusion proof for leaf `index` in a tree of `size` leaves, in RFC 9162
 * §2.1.3.1 PATH order (sibling of the leaf first, root's child last).
 *
 * @example inclusionProofRanges(0, 7) // [[1, 2], [2, 4], [4, 7]]
 */
export function inclusionProofRanges(index: number, size: number): ProofRange[] {
  assertTreeSize(size, 'size');
  assertTreeSize(index, 'index');
  if (index >= size) throw new RangeError(`index ${index} is outside a tree of size ${size}`);
  const topDown: ProofRange[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const mid = lo + splitPoint(hi - lo);
    if (index < mid) {
      topDown.push([mid, hi]);
      hi = mid;
    } else {
      topDown.push([lo, mid]);
      lo = mid;
    }
  }
  return topDown.reverse();
}

/**
 * Ranges of the consistency proof from `oldSize` to `newSize`, in RFC 9162 §2.1.4.1 SUBPROOF
 * order. Empty when `oldSize` is 0 or equals `newSize`.
 *
 * @example consistencyProofRanges(3, 7) // [[2, 3], [3, 4], [0, 2], [4, 7]]
 */
export function consistencyProofRanges(oldSize: number, newSize: number): ProofRange[] {
  assertTreeSize(oldSize, 'oldSize');
  assertTreeSize(newSize, 'newSize');
  if (oldSize > newSize) throw new RangeError(`oldSize ${oldSize} exceeds newSize ${newSize}`);
  if (oldSize === 0 || oldSize === newSize) return [];
  const topDown: ProofRange[] = [];
  let lo = 0;
  let hi = newSize;
  // Whether the old tree is still a left-aligned prefix of the current subtree (the RFC's `b`).
  let oldRootKnown = true;
  while (oldSize < hi) {
    const mid = lo + splitPoint(hi - lo);
    if (oldSize <= mid) {
      topDown.push([mid, hi]);
      hi = mid;
    } else {
      topDown.push([lo, mid]);
      lo = mid;
      oldRootKnown = false;
    }
  }
  const proof = topDown.reverse();
  return oldRootKnown ? proof : [[lo, hi], ...proof];
}

/** Inclusion proof hashes for leaf `index` in a tree of `size` leaves. */
export const inclusionProof = (index: number, size: number, getNode: GetNode): Buffer[] =>
  inclusionProofRanges(index, size).map(([start, end]) => rangeHash(start, end, getNode));

/** Consistency proof hashes from tree size `m` to tree size `n`. */
export const consistencyProof = (m: number, n: number, getNode: GetNode): Buffer[] =>
  consistencyProofRanges(m, n).map(([start, end]) => rangeHash(start, end, getNode));

// ---------------------------------------------------------------------------------------------
// Verification

/**
 * RFC 9162 §2.1.3.2: does `proof` show that `leaf` is at `index` in the tree of `size` leaves with
 * root `root`? The size is bound only through `root`, so take it from a signed checkpoint.
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isTreeSize(size) || !isTreeSize(index) || index >= size) return false;
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // Skip the levels where this node has no right sibling (the tree's ragged right edge).
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
  return sn === 0 && bytesEqual(r, root);
}

/**
 * RFC 9162 §2.1.4.2: is the tree of `newSize` leaves with root `newRoot` an append-only extension
 * of the tree of `oldSize` leaves with root `oldRoot`? For `oldSize` 0 the proof must be empty and
 * `oldRoot` must be {@link EMPTY_ROOT}.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isTreeSize(oldSize) || !isTreeSize(newSize) || oldSize > newSize) return false;
  if (!isHash(oldRoot) || !isHash(newRoot) || !proof.every(isHash)) return false;
  if (oldSize === 0) {
    return proof.length === 0 && bytesEqual(oldRoot, EMPTY) && (newSize > 0 || bytesEqual(newRoot, EMPTY));
  }
  if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot);
  if (proof.length === 0) return false;

  // A power-of-two old tree is itself a node of the new tree, so the RFC leaves it out of the proof.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot);
}
