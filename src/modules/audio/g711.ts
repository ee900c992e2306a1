/**
 * ITU-T G.711 companding: mu-law (North America, Japan) and A-law (elsewhere), the codecs of
 * telephone audio. The arithmetic is the public-domain Sun Microsystems reference (`g711.c`),
 * which SoX and most telephony stacks use. 16-bit input is first rounded to the codec's 14-bit
 * (mu-law) or 13-bit (A-law) range, as SoX does, so our bytes match `sox -e mu-law` / `-e a-law`
 * for all 65,536 inputs (tested). Decoding and encoding go through lookup tables built once at load,
 * because both sit on per-sample hot paths (detection, beep synthesis).
 */

/** mu-law byte for digital silence (decodes to 0). */
export const MULAW_SILENCE = 0xff;
/** A-law byte for digital silence (decodes to +8, the smallest positive step; A-law has no zero). */
export const ALAW_SILENCE = 0xd5;

/** Reference mu-law decoder: byte to 16-bit linear. */
function muLawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** Reference A-law decoder: byte to 16-bit linear. */
function aLawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

const MULAW_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segment(value: number, ends: readonly number[]): number {
  for (let i = 0; i < ends.length; i++) if (value <= ends[i]!) return i;
  return ends.length;
}

/** Reference mu-law encoder over the 14-bit value `pcm >> 2`. */
function linear14ToMuLaw(v14: number): number {
  let v = v14;
  let mask = 0xff;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  }
  if (v > 8159) v = 8159;
  v += 0x84 >> 2;
  const seg = segment(v, MULAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask;
}

/** Reference A-law encoder over the 13-bit value `pcm >> 3`. */
function linear13ToALaw(v13: number): number {
  let v = v13;
  let mask = 0xd5;
  if (v < 0) {
    mask = 0x55;
    v = -v - 1;
  }
  const seg = segment(v, ALAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  const quant = seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return ((seg << 4) | quant) ^ mask;
}

/** 16-bit linear value of each mu-law byte. */
export const MULAW_TO_LINEAR: Int16Array = Int16Array.from({ length: 256 }, (_, b) => muLawToLinear(b));
/** 16-bit linear value of each A-law byte. */
export const ALAW_TO_LINEAR: Int16Array = Int16Array.from({ length: 256 }, (_, b) => aLawToLinear(b));

/** mu-law byte for each 14-bit value, indexed by the value + 8192. */
const MULAW_ENCODE = Uint8Array.from({ length: 16384 }, (_, i) => linear14ToMuLaw(i - 8192));
/** A-law byte for each 13-bit value, indexed by the value + 4096. */
const ALAW_ENCODE = Uint8Array.from({ length: 8192 }, (_, i) => linear13ToALaw(i - 4096));

/**
 * Encodes one 16-bit linear sample (clamped to -32768..32767) as mu-law.
 *
 * @example encodeMuLaw(0) === 0xff
 */
export function encodeMuLaw(pcm16: number): number {
  const v = pcm16 > 32767 ? 32767 : pcm16 < -32768 ? -32768 : pcm16 | 0;
  return MULAW_ENCODE[Math.min(8191, (v + 2) >> 2) + 8192]!;
}

/**
 * Encodes one 16-bit linear sample (clamped to -32768..32767) as A-law.
 *
 * @example encodeALaw(0) === 0xd5
 */
export function encodeALaw(pcm16: number): number {
  const v = pcm16 > 32767 ? 32767 : pcm16 < -32768 ? -32768 : pcm16 | 0;
  return ALAW_ENCODE[Math.min(4095, (v + 4) >> 3) + 4096]!;
}
