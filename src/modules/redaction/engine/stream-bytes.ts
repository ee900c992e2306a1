/**
 * Redaction of a byte stream (stdin, a file stream, an HTTP request body) into a stream of
 * redacted text, with bounded memory. Shared by `bulwark redact --stream` and
 * `POST /v1/redact/stream` so both refuse the same bad input the same way: binary data, invalid
 * UTF-8, an over-long line or too much input stops the stream with an error naming the byte offset,
 * and the caller must then declare whatever it already passed on as incomplete.
 */
import { InputError } from './input.ts';
import type { RedactionPolicy } from './mask.ts';
import { createTextRedactor, createTranscriptRedactor } from './stream.ts';

/** Formats that can be redacted as they arrive: free text, or a canonical JSONL transcript. */
export type StreamFormat = 'text' | 'transcript';

export type ByteStreamOptions = {
  format: StreamFormat;
  policy?: RedactionPolicy;
  /** Names the input in error messages (`stdin`, a file name, `body`). */
  name: string;
  /** Refuse input beyond this many bytes (default: no limit; memory stays bounded either way). */
  maxBytes?: number;
  /** Called with the running byte count after each chunk is consumed (progress reporting). */
  onBytes?: (consumed: number) => void;
};

/**
 * Yields redacted text as soon as it can no longer change: for text, pieces of the document; for a
 * transcript, whole redacted JSON lines each ending in `\n`. Concatenated, the pieces equal the
 * whole-document redaction.
 * @throws InputError for binary data, invalid UTF-8 or input over `maxBytes` (offsets in bytes)
 * @throws DetectionLimitError or TranscriptFormatError from the redactors (fail closed)
 */
export async function* redactByteStream(
  source: AsyncIterable<Uint8Array | string>,
  options: ByteStreamOptions,
): AsyncGenerator<string> {
  const { format, policy, name } = options;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const text = format === 'text' ? createTextRedactor(policy) : undefined;
  const transcript = format === 'transcript' ? createTranscriptRedactor(policy, name) : undefined;
  const push = (chunk: string): string =>
    text ? text.push(chunk) : transcript!.push(chunk).reduce((acc, line) => `${acc}${line}\n`, '');
  let offset = 0;
  for await (const raw of source) {
    const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    if (offset + bytes.length > maxBytes)
      throw new InputError(`input is larger than ${maxBytes} bytes`, name);
    const nul = bytes.indexOf(0);
    if (nul !== -1)
      throw new InputError(`binary data (NUL byte at offset ${offset + nul}); expected UTF-8 text`, name);
    let chunk: string;
    try {
      chunk = decoder.decode(bytes, { stream: true });
    } catch {
      throw new InputError(`invalid UTF-8 within bytes ${offset}-${offset + bytes.length}`, name);
    }
    offset += bytes.length;
    options.onBytes?.(offset);
    const out = push(chunk);
    if (out !== '') yield out;
  }
  let tail: string;
  try {
    tail = decoder.decode();
  } catch {
    throw new InputError(`input ends inside a UTF-8 character (byte ${offset})`, name);
  }
  const last = (tail === '' ? '' : push(tail)) + (text ? text.end() : endLines(transcript!));
  if (last !== '') yield last;
}

const endLines = (r: ReturnType<typeof createTranscriptRedactor>): string =>
  r.end().reduce((acc, line) => `${acc}${line}\n`, '');
