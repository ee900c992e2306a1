import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ALAW_SILENCE,
  ALAW_TO_LINEAR,
  encodeALaw,
  encodeMuLaw,
  MULAW_SILENCE,
  MULAW_TO_LINEAR,
} from './g711.ts';
import { run, scratchDir } from './peers.test-support.ts';

const tmp = scratchDir();
afterAll(tmp.cleanup);
const raw8k = ['-t', 'raw', '-r', '8000', '-c', '1'];

describe('G.711 against SoX', () => {
  it('decodes every mu-law and A-law byte to the 16-bit value SoX gives', async () => {
    const bytes = tmp.file('all.bytes');
    fs.writeFileSync(
      bytes,
      Uint8Array.from({ length: 256 }, (_, i) => i),
    );
    for (const [encoding, table] of [
      ['mu-law', MULAW_TO_LINEAR],
      ['a-law', ALAW_TO_LINEAR],
    ] as const) {
      const out = tmp.fresh('raw');
      await run('sox', [
        ...raw8k,
        '-e',
        encoding,
        '-b',
        '8',
        bytes,
        ...raw8k,
        '-e',
        'signed',
        '-b',
        '16',
        '-L',
        out,
      ]);
      const decoded = fs.readFileSync(out);
      const expected = Array.from({ length: 256 }, (_, b) => decoded.readInt16LE(b * 2));
      expect(Array.from(table)).toEqual(expected);
    }
  });

  it('encodes all 65,536 16-bit values to the byte SoX writes (no dither)', async () => {
    const input = tmp.file('all.s16');
    const all = Buffer.alloc(65536 * 2);
    for (let v = -32768; v < 32768; v++) all.writeInt16LE(v, (v + 32768) * 2);
    fs.writeFileSync(input, all);
    for (const [encoding, encode] of [
      ['mu-law', encodeMuLaw],
      ['a-law', encodeALaw],
    ] as const) {
      const out = tmp.fresh('raw');
      await run('sox', [
        '-D',
        ...raw8k,
        '-e',
        'signed',
        '-b',
        '16',
        '-L',
        input,
        ...raw8k,
        '-e',
        encoding,
        '-b',
        '8',
        out,
      ]);
      const expected = fs.readFileSync(out);
      let mismatches = 0;
      for (let v = -32768; v < 32768; v++) if (encode(v) !== expected[v + 32768]) mismatches++;
      expect(mismatches, encoding).toBe(0);
    }
  });

  it('silence bytes decode to zero (mu-law) and the smallest positive step (A-law)', () => {
    expect(MULAW_TO_LINEAR[MULAW_SILENCE]).toBe(0);
    expect(ALAW_TO_LINEAR[ALAW_SILENCE]).toBe(8);
    expect(encodeMuLaw(0)).toBe(MULAW_SILENCE);
    expect(encodeALaw(0)).toBe(ALAW_SILENCE);
  });

  it('re-encoding a decoded byte gives a byte that decodes to the same value, and out-of-range input clamps', () => {
    for (let b = 0; b < 256; b++) {
      expect(MULAW_TO_LINEAR[encodeMuLaw(MULAW_TO_LINEAR[b]!)]).toBe(MULAW_TO_LINEAR[b]);
      expect(ALAW_TO_LINEAR[encodeALaw(ALAW_TO_LINEAR[b]!)]).toBe(ALAW_TO_LINEAR[b]);
    }
    expect(encodeMuLaw(1e9)).toBe(encodeMuLaw(32767));
    expect(encodeALaw(-1e9)).toBe(encodeALaw(-32768));
  });
});
