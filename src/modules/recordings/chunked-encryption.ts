/**
 * C2SP chunked encryption (https://c2sp.org/chunked-encryption), Cobblestone-256 instantiation:
 * HKDF-Expand-SHA-512 key derivation with key commitment, AES-256-GCM over 16 KiB chunks, on
 * `node:crypto` only. Recording bodies are stored in this format (issue 4).
 *
 * Ciphertext layout:
 *
 * ```
 * salt (24) || commitment (32) || chunk 0 || chunk 1 || ... || final chunk
 * key (32) || base nonce (12) || commitment (32) =
 *   HKDF-Expand-SHA-512(prk = input key, info = "c2sp.org/chunked-encryption@v1+" || "AEAD_AES_256_GCM"
 *                       || 0x00 || salt || context)
 * chunk k = AES-256-GCM(key, nonce = base nonce XOR k (big-endian), aad = empty, 16 KiB of plaintext)
 * ```
 *
 * Every chunk except the last holds exactly 16 KiB of plaintext; the last is always shorter, possibly
 * empty, and that is what marks the end: a message cut at a chunk boundary ends in a full chunk and is
 * rejected as truncated; anything appended after the short chunk fails authentication. Chunk `k` is at
 * ciphertext offset `56 + k * 16400`, so a plaintext range maps to ciphertext by arithmetic
 * ({@link openRangeDecryptor}).
 *
 * Partial plaintext (streaming). A streaming decryptor releases each chunk's plaintext only after
 * that chunk authenticated, and releases a 16 KiB chunk only once at least one more ciphertext byte
 * proves it is not the final one. It can still release authentic chunks of a message that later turns
 * out truncated, extended or corrupted further on: the Wycheproof `PartialPlaintext` rule says a
 * streaming reader may produce that valid prefix, must then fail, and must keep failing. So **the
 * caller must treat everything already received as unauthenticated until the stream ends without
 * error**: if it errors, discard what was written (delete the temporary file, roll back), and when
 * relaying to a client abort the response (destroy the socket) so the client sees an incomplete
 * transfer rather than a clean end. The decryptors here are sticky: after a failure every further
 * call fails with the same error, never a clean end of message.
 *
 * Key material never appears in error messages; errors carry a {@link ChunkedDecryptReason} code.
 *
 * @example
 * ```ts
 * const sealed = encryptBuffer(body, dataKey, recordingContext(tenantId, recordingId, 1));
 * const body2 = decryptBuffer(sealed, dataKey, recordingContext(tenantId, recordingId, 1));
 * await pipeline(fs.createReadStream(src), createEncryptStream(dataKey, ctx), fs.createWriteStream(dst));
 * ```
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Plaintext bytes in every chunk but the last. */
export const CHUNK_SIZE = 16_384;
/** AES-GCM authentication tag length. */
export const TAG_SIZE = 16;
/** Ciphertext bytes of a full chunk. */
export const ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
export const SALT_SIZE = 24;
export const COMMITMENT_SIZE = 32;
/** salt || commitment. */
export const HEADER_SIZE = SALT_SIZE + COMMITMENT_SIZE;
/** Input key length (AES-256). */
export const KEY_SIZE = 32;
const NONCE_SIZE = 12;
/** The spec's limit: the chunk counter must stay below 2^38 (4 PiB of plaintext). */
export const MAX_CHUNKS = 2 ** 38;
/** Largest plaintext length this implementation accepts (also below Number.MAX_SAFE_INTEGER). */
export const MAX_PLAINTEXT_LENGTH = (MAX_CHUNKS - 1) * CHUNK_SIZE + (CHUNK_SIZE - 1);

const AEAD_NAME = 'AEAD_AES_256_GCM';
const INFO_PREFIX = Buffer.from(`c2sp.org/chunked-encryption@v1+${AEAD_NAME}\0`, 'latin1');

/**
 * Why decryption failed:
 * - `key-size`: the input key is not 32 bytes.
 * - `truncated`: the ciphertext ends inside the header or a chunk, or lacks the short final chunk
 *   (also any length the format cannot produce).
 * - `commitment`: the header's key commitment does not match: wrong key, wrong context, or a
 *   modified salt or commitment. Checked before any chunk is decrypted.
 * - `chunk-auth`: a chunk failed AES-GCM authentication: modified bytes, chunks reordered or
 *   duplicated, or data appended after the final chunk (which shifts what looks final).
 * - `trailing`: bytes beyond the length the caller declared (only detectable with a declared length).
 * - `size`: longer than the format allows (2^38 chunks) or not the length the caller declared.
 */
export type ChunkedDecryptReason =
  | 'key-size'
  | 'truncated'
  | 'commitment'
  | 'chunk-auth'
  | 'trailing'
  | 'size';

const REASON_TEXT: Record<ChunkedDecryptReason, string> = {
  'key-size': `input key must be ${KEY_SIZE} bytes`,
  truncated: 'ciphertext is truncated or has an impossible length',
  commitment: 'key commitment mismatch (wrong key or context, or modified header)',
  'chunk-auth': 'chunk failed authentication (modified, reordered or extended ciphertext)',
  trailing: 'ciphertext continues past the declared length',
  size: 'ciphertext length exceeds the format limit or the declared length',
};

/** A chunked-encryption ciphertext was rejected. The message never holds key or plaintext bytes. */
export class ChunkedDecryptError extends Error {
  override name = 'ChunkedDecryptError';
  readonly reason: ChunkedDecryptReason;
  /** Index of the chunk being processed, when the failure concerns one. */
  readonly chunkIndex: number | undefined;

  constructor(reason: ChunkedDecryptReason, chunkIndex?: number) {
    super(
      `chunked decryption failed: ${REASON_TEXT[reason]}${chunkIndex === undefined ? '' : ` (chunk ${chunkIndex})`}`,
    );
    this.reason = reason;
    this.chunkIndex = chunkIndex;
  }
}

/** Per-message secrets derived from the input key, salt and context. */
export type MessageKeys = { key: Buffer; baseNonce: Buffer; commitment: Buffer };

/** HKDF-Expand (RFC 5869 §2.3) with HMAC-SHA-512, no Extract step, as the spec prescribes. */
function hkdfExpandSha512(prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 1, total = 0; total < length; i++) {
    previous = createHmac('sha512', prk).update(previous).update(info).update(Uint8Array.of(i)).digest();
    blocks.push(previous);
    total += previous.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/**
 * Derives the message key, base nonce and commitment (exported for known-answer tests).
 * Throws `ChunkedDecryptError('key-size')` unless the input key is 32 bytes.
 */
export function deriveMessageKeys(inputKey: Uint8Array, salt: Uint8Array, context: Uint8Array): MessageKeys {
  if (inputKey.length !== KEY_SIZE) throw new ChunkedDecryptError('key-size');
  if (salt.length !== SALT_SIZE) throw new RangeError(`salt must be ${SALT_SIZE} bytes`);
  const info = Buffer.concat([INFO_PREFIX, salt, context]);
  const okm = hkdfExpandSha512(inputKey, info, KEY_SIZE + NONCE_SIZE + COMMITMENT_SIZE);
  return {
    key: okm.subarray(0, KEY_SIZE),
    baseNonce: okm.subarray(KEY_SIZE, KEY_SIZE + NONCE_SIZE),
    commitment: okm.subarray(KEY_SIZE + NONCE_SIZE),
  };
}

/** Ciphertext length of a plaintext of `plaintextLength` bytes: 56 + 16 per chunk + the plaintext. */
export function ciphertextLength(plaintextLength: number): number {
  if (!Number.isSafeInteger(plaintextLength) || plaintextLength < 0 || plaintextLength > MAX_PLAINTEXT_LENGTH)
    throw new RangeError('plaintext length out of range');
  return HEADER_SIZE + plaintextLength + (Math.floor(plaintextLength / CHUNK_SIZE) + 1) * TAG_SIZE;
}

/**
 * Plaintext length encoded by a ciphertext of `length` bytes, or a `ChunkedDecryptError`
 * (`truncated` for lengths the format cannot produce, `size` past the format limit). Arithmetic
 * only: the length is authenticated by decrypting the final chunk.
 */
export function plaintextLength(length: number): number {
  if (!Number.isSafeInteger(length) || length < HEADER_SIZE + TAG_SIZE)
    throw new ChunkedDecryptError('truncated');
  const body = length - HEADER_SIZE;
  const fullChunks = Math.floor(body / ENCRYPTED_CHUNK_SIZE);
  const finalChunk = body - fullChunks * ENCRYPTED_CHUNK_SIZE;
  // A final chunk of exactly 16400 bytes would be a full one: the short terminator is missing.
  if (finalChunk < TAG_SIZE) throw new ChunkedDecryptError('truncated');
  if (fullChunks + 1 > MAX_CHUNKS) throw new ChunkedDecryptError('size');
  return fullChunks * CHUNK_SIZE + finalChunk - TAG_SIZE;
}

/** Writes base nonce XOR big-endian `index` into `out` (only the low 5 bytes can change: index < 2^38). */
function chunkNonce(baseNonce: Buffer, index: number, out: Buffer): Buffer {
  baseNonce.copy(out);
  const lo = index % 0x1_0000_0000;
  const hi = (index - lo) / 0x1_0000_0000;
  out[11]! ^= lo & 0xff;
  out[10]! ^= (lo >>> 8) & 0xff;
  out[9]! ^= (lo >>> 16) & 0xff;
  out[8]! ^= lo >>> 24;
  out[7]! ^= hi & 0xff;
  return out;
}

type ChunkCipher = { key: KeyObject; baseNonce: Buffer; nonce: Buffer };

/** Encrypts one chunk into `out` at `offset` (body then tag); returns the bytes written. */
function sealChunkInto(
  c: ChunkCipher,
  index: number,
  plaintext: Uint8Array,
  out: Buffer,
  offset: number,
): number {
  const cipher = createCipheriv('aes-256-gcm', c.key, chunkNonce(c.baseNonce, index, c.nonce));
  const body = cipher.update(plaintext);
  cipher.final();
  body.copy(out, offset);
  cipher.getAuthTag().copy(out, offset + body.length);
  return body.length + TAG_SIZE;
}

function openChunk(c: ChunkCipher, index: number, sealed: Uint8Array): Buffer {
  const bodyLength = sealed.length - TAG_SIZE;
  const decipher = createDecipheriv('aes-256-gcm', c.key, chunkNonce(c.baseNonce, index, c.nonce));
  decipher.setAuthTag(sealed.subarray(bodyLength));
  const plaintext = decipher.update(sealed.subarray(0, bodyLength));
  try {
    decipher.final();
  } catch {
    plaintext.fill(0);
    throw new ChunkedDecryptError('chunk-auth', index);
  }
  return plaintext;
}

/** Checks the header's commitment and returns the chunk cipher state (throws `commitment`). */
function openHeader(inputKey: Uint8Array, context: Uint8Array, header: Uint8Array): ChunkCipher {
  if (inputKey.length !== KEY_SIZE) throw new ChunkedDecryptError('key-size');
  if (header.length < HEADER_SIZE) throw new ChunkedDecryptError('truncated');
  const derived = deriveMessageKeys(inputKey, header.subarray(0, SALT_SIZE), context);
  const ok = timingSafeEqual(derived.commitment, header.subarray(SALT_SIZE, HEADER_SIZE));
  const cipher = {
    key: createSecretKey(derived.key),
    baseNonce: derived.baseNonce,
    nonce: Buffer.alloc(NONCE_SIZE),
  };
  derived.key.fill(0);
  if (!ok) throw new ChunkedDecryptError('commitment');
  return cipher;
}

/** Options of the encryptors. */
export type EncryptOptions = {
  /**
   * Known-answer tests only: a fixed salt instead of 24 random bytes. Reusing a salt with the same
   * input key and context repeats the key and nonces and destroys confidentiality; production code
   * never sets this.
   */
  unsafeFixedSalt?: Uint8Array;
};

/** Draws the salt, derives the message keys and returns the cipher state and the 56-byte header. */
function startMessage(
  inputKey: Uint8Array,
  context: Uint8Array,
  options: EncryptOptions,
): { cipher: ChunkCipher; header: Buffer } {
  if (inputKey.length !== KEY_SIZE) throw new RangeError(`input key must be ${KEY_SIZE} bytes`);
  const salt = options.unsafeFixedSalt ?? randomBytes(SALT_SIZE);
  const derived = deriveMessageKeys(inputKey, salt, context);
  const cipher = {
    key: createSecretKey(derived.key),
    baseNonce: derived.baseNonce,
    nonce: Buffer.alloc(NONCE_SIZE),
  };
  derived.key.fill(0);
  return { cipher, header: Buffer.concat([salt, derived.commitment]) };
}

/**
 * Push-style streaming encryptor with constant memory (one 16 KiB plaintext buffer). `write` and
 * `end` call `emit` with the header first, then each chunk as soon as 16 KiB of plaintext is
 * available, and at `end` the short final chunk (possibly only its 16-byte tag). A chunk is emitted
 * as two buffers, its 16,384-byte ciphertext body and then its 16-byte tag, which together are the
 * 16,400-byte encrypted chunk: joining them would copy every byte once more, and that copy cost
 * about a sixth of the AES-GCM time in profiles. A wrong key size throws `RangeError` (a caller
 * bug, unlike a decryption failure).
 */
export class ChunkedEncryptor {
  #cipher: ChunkCipher;
  #header: Buffer;
  #headerSent = false;
  #pending = Buffer.allocUnsafe(CHUNK_SIZE);
  #pendingLength = 0;
  #index = 0;
  #ended = false;

  constructor(inputKey: Uint8Array, context: Uint8Array, options: EncryptOptions = {}) {
    const { cipher, header } = startMessage(inputKey, context, options);
    this.#cipher = cipher;
    this.#header = header;
  }

  #emitHeader(emit: (bytes: Buffer) => void): void {
    if (!this.#headerSent) {
      this.#headerSent = true;
      emit(this.#header);
    }
  }

  /** Encrypts one chunk and emits its ciphertext body, then its tag (no copy into a joint buffer). */
  #seal(plaintext: Uint8Array, emit: (bytes: Buffer) => void): void {
    // Checked before sealing: the last permitted index (2^38 - 1) must be the short final chunk.
    if (this.#index >= MAX_CHUNKS - 1 && plaintext.length === CHUNK_SIZE)
      throw new RangeError('message exceeds the chunked-encryption limit of 2^38 chunks');
    const c = this.#cipher;
    const cipher = createCipheriv('aes-256-gcm', c.key, chunkNonce(c.baseNonce, this.#index++, c.nonce));
    const body = cipher.update(plaintext);
    cipher.final();
    if (body.length > 0) emit(body);
    emit(cipher.getAuthTag());
  }

  /** Encrypts as much of `data` as fills whole chunks; keeps the rest (< 16 KiB) buffered. */
  write(data: Uint8Array, emit: (bytes: Buffer) => void): void {
    if (this.#ended) throw new Error('write after end');
    this.#emitHeader(emit);
    let offset = 0;
    if (this.#pendingLength > 0) {
      const take = Math.min(CHUNK_SIZE - this.#pendingLength, data.length);
      this.#pending.set(data.subarray(0, take), this.#pendingLength);
      this.#pendingLength += take;
      offset = take;
      if (this.#pendingLength < CHUNK_SIZE) return;
      this.#seal(this.#pending, emit);
      this.#pendingLength = 0;
    }
    // Full chunks straight from the caller's buffer, without copying.
    while (data.length - offset >= CHUNK_SIZE) {
      this.#seal(data.subarray(offset, offset + CHUNK_SIZE), emit);
      offset += CHUNK_SIZE;
    }
    if (offset < data.length) {
      this.#pending.set(data.subarray(offset), 0);
      this.#pendingLength = data.length - offset;
    }
  }

  /** Emits the final (short, possibly empty) chunk. */
  end(emit: (bytes: Buffer) => void): void {
    if (this.#ended) throw new Error('end called twice');
    this.#emitHeader(emit);
    this.#ended = true;
    this.#seal(this.#pending.subarray(0, this.#pendingLength), emit);
    this.#pending.fill(0);
    this.#pendingLength = 0;
  }
}

/** Options of the decryptors. */
export type DecryptOptions = {
  /**
   * The plaintext length the caller expects (e.g. stored with the recording row). When given, bytes
   * past the matching ciphertext length fail at once with `trailing`, and a shorter stream with
   * `truncated`, instead of surfacing as a failed final chunk. The final chunk still authenticates it.
   */
  expectedLength?: number;
};

/**
 * Push-style streaming decryptor with constant memory (one 16,400-byte buffer). Checks the
 * commitment as soon as the 56-byte header is in, and emits a chunk's plaintext only after the chunk
 * authenticated (and, for a 16 KiB chunk, once a following byte shows it is not the final one).
 *
 * Sticky: after the first failure every call throws that same error. Read the module comment on
 * partial plaintext: output is only trustworthy once `end` returned without throwing.
 */
export class ChunkedDecryptor {
  #inputKey: Buffer | null;
  #context: Uint8Array;
  #cipher: ChunkCipher | null = null;
  #header = Buffer.allocUnsafe(HEADER_SIZE);
  #headerLength = 0;
  #pending = Buffer.allocUnsafe(ENCRYPTED_CHUNK_SIZE);
  #pendingLength = 0;
  #index = 0;
  #received = 0;
  #expectedCiphertextLength: number | undefined;
  #error: ChunkedDecryptError | null = null;
  #ended = false;

  constructor(inputKey: Uint8Array, context: Uint8Array, options: DecryptOptions = {}) {
    if (inputKey.length !== KEY_SIZE) throw new ChunkedDecryptError('key-size');
    this.#inputKey = Buffer.from(inputKey);
    this.#context = Uint8Array.from(context);
    if (options.expectedLength !== undefined)
      this.#expectedCiphertextLength = ciphertextLength(options.expectedLength);
  }

  #fail(error: unknown): never {
    if (error instanceof ChunkedDecryptError) {
      this.#error = error;
      this.#pending.fill(0);
      this.#inputKey?.fill(0);
      this.#inputKey = null;
    }
    throw error;
  }

  #next(sealed: Uint8Array, final: boolean): Buffer {
    // The final chunk may have index 2^38 - 1 at most, so a full one may not.
    if (this.#index >= (final ? MAX_CHUNKS : MAX_CHUNKS - 1))
      throw new ChunkedDecryptError('size', this.#index);
    return openChunk(this.#cipher!, this.#index++, sealed);
  }

  /** Consumes ciphertext; emits the plaintext of every chunk that is complete and known not final. */
  write(data: Uint8Array, emit: (plaintext: Buffer) => void): void {
    if (this.#error) throw this.#error;
    if (this.#ended) throw new Error('write after end');
    try {
      this.#received += data.length;
      if (this.#expectedCiphertextLength !== undefined && this.#received > this.#expectedCiphertextLength)
        throw new ChunkedDecryptError('trailing');
      let offset = 0;
      if (this.#cipher === null) {
        const take = Math.min(HEADER_SIZE - this.#headerLength, data.length);
        this.#header.set(data.subarray(0, take), this.#headerLength);
        this.#headerLength += take;
        offset = take;
        if (this.#headerLength < HEADER_SIZE) return;
        this.#cipher = openHeader(this.#inputKey!, this.#context, this.#header);
        this.#inputKey!.fill(0);
        this.#inputKey = null;
      }
      if (offset === data.length) return;
      // A buffered full chunk is not final: more bytes follow it.
      if (this.#pendingLength > 0) {
        const take = Math.min(ENCRYPTED_CHUNK_SIZE - this.#pendingLength, data.length - offset);
        this.#pending.set(data.subarray(offset, offset + take), this.#pendingLength);
        this.#pendingLength += take;
        offset += take;
        if (offset === data.length) return;
        emit(this.#next(this.#pending, false));
        this.#pendingLength = 0;
      }
      // Chunks followed by at least one more byte are full, non-final chunks: decrypt in place.
      while (data.length - offset > ENCRYPTED_CHUNK_SIZE) {
        emit(this.#next(data.subarray(offset, offset + ENCRYPTED_CHUNK_SIZE), false));
        offset += ENCRYPTED_CHUNK_SIZE;
      }
      this.#pending.set(data.subarray(offset), 0);
      this.#pendingLength = data.length - offset;
    } catch (e) {
      this.#fail(e);
    }
  }

  /** Authenticates the final chunk and emits its plaintext; throws if the message is incomplete. */
  end(emit: (plaintext: Buffer) => void): void {
    if (this.#error) throw this.#error;
    if (this.#ended) throw new Error('end called twice');
    try {
      if (this.#cipher === null) throw new ChunkedDecryptError('truncated');
      if (this.#expectedCiphertextLength !== undefined && this.#received < this.#expectedCiphertextLength)
        throw new ChunkedDecryptError('truncated');
      // The final chunk must be short: 16..16399 bytes of ciphertext.
      if (this.#pendingLength < TAG_SIZE || this.#pendingLength === ENCRYPTED_CHUNK_SIZE)
        throw new ChunkedDecryptError('truncated', this.#index);
      const last = this.#next(this.#pending.subarray(0, this.#pendingLength), true);
      this.#ended = true;
      this.#pendingLength = 0;
      emit(last);
    } catch (e) {
      this.#fail(e);
    }
  }
}

/** Buffers a stream side holds before backpressure; a few chunks, so memory stays constant. */
const STREAM_HIGH_WATER_MARK = 4 * ENCRYPTED_CHUNK_SIZE;

/** Wraps a push-style encryptor or decryptor in a Transform. */
function transformOf(engine: {
  write(data: Uint8Array, emit: (b: Buffer) => void): void;
  end(emit: (b: Buffer) => void): void;
}): Transform {
  const transform: Transform = new Transform({
    readableHighWaterMark: STREAM_HIGH_WATER_MARK,
    writableHighWaterMark: STREAM_HIGH_WATER_MARK,
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        engine.write(chunk, push);
        callback();
      } catch (e) {
        callback(e as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        engine.end(push);
        callback();
      } catch (e) {
        callback(e as Error);
      }
    },
  });
  const push = (b: Buffer) => {
    transform.push(b);
  };
  return transform;
}

/**
 * A Transform stream that encrypts a byte stream of any size into Cobblestone-256, in constant
 * memory. Output: the 56-byte header, then each 16,400-byte chunk (as body and tag buffers), then
 * the short final chunk.
 */
export function createEncryptStream(
  inputKey: Uint8Array,
  context: Uint8Array,
  options?: EncryptOptions,
): Transform {
  return transformOf(new ChunkedEncryptor(inputKey, context, options));
}

/**
 * A Transform stream that decrypts Cobblestone-256 in constant memory. It emits each chunk's
 * plaintext only after the chunk authenticated, and errors (with {@link ChunkedDecryptError}) on
 * truncation, trailing data, reordering, modification, a wrong key or context. If it errors, discard
 * everything it emitted (see the module comment); in `stream.pipeline` the destination is destroyed.
 */
export function createDecryptStream(
  inputKey: Uint8Array,
  context: Uint8Array,
  options?: DecryptOptions,
): Transform {
  return transformOf(new ChunkedDecryptor(inputKey, context, options));
}

/** Encrypts a whole in-memory message (small objects, tests). Streams use {@link createEncryptStream}. */
export function encryptBuffer(
  plaintext: Uint8Array,
  inputKey: Uint8Array,
  context: Uint8Array,
  options: EncryptOptions = {},
): Buffer {
  const out = Buffer.allocUnsafe(ciphertextLength(plaintext.length));
  const { cipher, header } = startMessage(inputKey, context, options);
  header.copy(out);
  let offset = HEADER_SIZE;
  const chunks = Math.floor(plaintext.length / CHUNK_SIZE) + 1;
  for (let k = 0; k < chunks; k++)
    offset += sealChunkInto(cipher, k, plaintext.subarray(k * CHUNK_SIZE, (k + 1) * CHUNK_SIZE), out, offset);
  return out;
}

/** Decrypts a whole in-memory message; all-or-nothing (no plaintext is returned on failure). */
export function decryptBuffer(ciphertext: Uint8Array, inputKey: Uint8Array, context: Uint8Array): Buffer {
  if (inputKey.length !== KEY_SIZE) throw new ChunkedDecryptError('key-size');
  if (ciphertext.length < HEADER_SIZE) throw new ChunkedDecryptError('truncated');
  const cipher = openHeader(inputKey, context, ciphertext.subarray(0, HEADER_SIZE));
  const length = plaintextLength(ciphertext.length);
  const out = Buffer.allocUnsafe(length);
  const chunks = Math.floor(length / CHUNK_SIZE) + 1;
  try {
    for (let k = 0; k < chunks; k++) {
      const start = HEADER_SIZE + k * ENCRYPTED_CHUNK_SIZE;
      const end = Math.min(start + ENCRYPTED_CHUNK_SIZE, ciphertext.length);
      out.set(openChunk(cipher, k, ciphertext.subarray(start, end)), k * CHUNK_SIZE);
    }
  } catch (e) {
    out.fill(0);
    throw e;
  }
  return out;
}

/** Reads `length` bytes of stored ciphertext at `offset` (a file, an HTTP/S3 range, a buffer). */
export type CiphertextReader = (offset: number, length: number) => Promise<Uint8Array>;

/** An opened message for random access: header and length already authenticated. */
export type RangeDecryptor = {
  /** Authenticated plaintext length. */
  readonly length: number;
  /**
   * Decrypts plaintext bytes `[start, end)`, reading only the chunks that overlap the range (one
   * contiguous read). Each chunk is authenticated before any of its bytes are returned.
   */
  read(start: number, end: number): Promise<Buffer>;
};

async function readExactly(reader: CiphertextReader, offset: number, length: number): Promise<Uint8Array> {
  const bytes = await reader(offset, length);
  if (bytes.length !== length) throw new ChunkedDecryptError('truncated');
  return bytes;
}

/**
 * Opens a stored message for random access. Decided here: authenticate the length once, on open, by
 * checking the commitment (header read) and decrypting the final chunk at the index the total length
 * implies (the spec's length check). After that, reads and seeks relative to the end are safe, and
 * each `read` fetches only the chunks it needs: offsets are `56 + k * 16400`, O(1) arithmetic.
 * Cost on open: 56 bytes plus at most one 16,400-byte chunk.
 */
export async function openRangeDecryptor(
  reader: CiphertextReader,
  totalCiphertextLength: number,
  inputKey: Uint8Array,
  context: Uint8Array,
): Promise<RangeDecryptor> {
  if (inputKey.length !== KEY_SIZE) throw new ChunkedDecryptError('key-size');
  if (!Number.isSafeInteger(totalCiphertextLength) || totalCiphertextLength < HEADER_SIZE)
    throw new ChunkedDecryptError('truncated');
  const cipher = openHeader(inputKey, context, await readExactly(reader, 0, HEADER_SIZE));
  const length = plaintextLength(totalCiphertextLength);
  const lastIndex = Math.floor(length / CHUNK_SIZE);
  const lastOffset = HEADER_SIZE + lastIndex * ENCRYPTED_CHUNK_SIZE;
  const last = openChunk(
    cipher,
    lastIndex,
    await readExactly(reader, lastOffset, totalCiphertextLength - lastOffset),
  );

  return {
    length,
    async read(start: number, end: number): Promise<Buffer> {
      if (
        !Number.isSafeInteger(start) ||
        !Number.isSafeInteger(end) ||
        start < 0 ||
        end < start ||
        end > length
      )
        throw new RangeError(`range [${start}, ${end}) is outside the message of ${length} bytes`);
      const out = Buffer.allocUnsafe(end - start);
      if (start === end) return out;
      const first = Math.floor(start / CHUNK_SIZE);
      // Chunk holding byte end - 1; the final chunk's plaintext is already authenticated and kept.
      const lastNeeded = Math.floor((end - 1) / CHUNK_SIZE);
      const readTo = Math.min(lastNeeded, lastIndex - 1);
      let sealed: Uint8Array = new Uint8Array(0);
      if (readTo >= first) {
        const offset = HEADER_SIZE + first * ENCRYPTED_CHUNK_SIZE;
        sealed = await readExactly(reader, offset, (readTo - first + 1) * ENCRYPTED_CHUNK_SIZE);
      }
      let written = 0;
      try {
        for (let k = first; k <= lastNeeded; k++) {
          const plain =
            k === lastIndex
              ? last
              : openChunk(
                  cipher,
                  k,
                  sealed.subarray((k - first) * ENCRYPTED_CHUNK_SIZE, (k - first + 1) * ENCRYPTED_CHUNK_SIZE),
                );
          const chunkStart = k * CHUNK_SIZE;
          const from = Math.max(start, chunkStart) - chunkStart;
          const to = Math.min(end, chunkStart + plain.length) - chunkStart;
          out.set(plain.subarray(from, to), written);
          written += to - from;
          if (plain !== last) plain.fill(0);
        }
      } catch (e) {
        out.fill(0);
        throw e;
      }
      return out;
    },
  };
}

/**
 * Decrypts plaintext `[start, end)` of a stored message with random access: opens it (commitment and
 * length check, see {@link openRangeDecryptor}) and reads only the chunks the range overlaps. To read
 * several ranges of one recording, open once and call `read` repeatedly.
 *
 * @example
 * ```ts
 * const fh = await fs.promises.open(file);
 * const reader = async (offset, length) => {
 *   const buf = Buffer.allocUnsafe(length);
 *   const { bytesRead } = await fh.read(buf, 0, length, offset);
 *   return buf.subarray(0, bytesRead);
 * };
 * const bytes = await decryptRange(reader, (await fh.stat()).size, dataKey, ctx, 1_000_000, 2_048_576);
 * ```
 */
export async function decryptRange(
  reader: CiphertextReader,
  totalCiphertextLength: number,
  inputKey: Uint8Array,
  context: Uint8Array,
  start: number,
  end: number,
): Promise<Buffer> {
  const opened = await openRangeDecryptor(reader, totalCiphertextLength, inputKey, context);
  return opened.read(start, end);
}
