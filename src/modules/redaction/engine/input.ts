/** Thrown for input the engine refuses to process; `where` names the place (line, field or byte offset). */
export class InputError extends Error {
  override name = 'InputError';
  constructor(
    message: string,
    readonly where: string,
  ) {
    super(`${where}: ${message}`);
  }
}

/** Inputs above this size are refused rather than processed partially. */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;
/** One line of a line-based format may not exceed this (a 1 GB "line" is not a transcript). */
export const MAX_LINE_CHARS = 1024 * 1024;

/**
 * Decodes bytes as strict UTF-8 text. Binary data (NUL bytes) and invalid UTF-8 are refused with the
 * byte offset, so nothing is redacted on the basis of a garbled decoding.
 */
export function decodeText(bytes: Uint8Array, name: string): string {
  if (bytes.length > MAX_INPUT_BYTES)
    throw new InputError(`input is larger than ${MAX_INPUT_BYTES} bytes`, name);
  const nul = bytes.indexOf(0);
  if (nul !== -1) throw new InputError(`binary data (NUL byte at offset ${nul}); expected UTF-8 text`, name);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`invalid UTF-8 at byte offset ${firstInvalidUtf8(bytes)}`, name);
  }
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (linear scan, RFC 3629 rules). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let need = 0;
    let min = 0;
    if (c < 0x80) {
      i += 1;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const n = b[i + k];
      if (n === undefined || (n & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (n & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return b.length;
}

/** Splits into lines (keeping the line terminator of each), refusing over-long lines. */
export function splitLines(text: string, name: string): string[] {
  const lines = text.split(/(?<=\n)/);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.length > MAX_LINE_CHARS)
      throw new InputError(`line is longer than ${MAX_LINE_CHARS} characters`, `${name}:${i + 1}`);
  }
  return lines;
}
