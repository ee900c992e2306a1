import { createHash, timingSafeEqual } from 'node:crypto';

export const sha256Hex = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

/** Constant-time string comparison for secrets of equal expected length. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
