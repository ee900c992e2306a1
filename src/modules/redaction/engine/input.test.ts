import { describe, expect, it } from 'vitest';
import { decodeText, firstInvalidUtf8, InputError, splitLines } from './input.ts';

describe('input decoding', () => {
  it('accepts UTF-8 text including emoji', () => {
    expect(decodeText(Buffer.from('card 😀 ok'), 'x')).toBe('card 😀 ok');
  });

  it('refuses binary data naming the offset', () => {
    expect(() => decodeText(Buffer.from([0x61, 0x00, 0x62]), 'f.txt')).toThrow(
      'f.txt: binary data (NUL byte at offset 1)',
    );
  });

  it('refuses invalid UTF-8 naming the first bad byte', () => {
    const bytes = Buffer.concat([Buffer.from('hello '), Buffer.from([0xc3, 0x28]), Buffer.from(' world')]);
    expect(() => decodeText(bytes, 'f.txt')).toThrow('f.txt: invalid UTF-8 at byte offset 6');
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // a UTF-16 surrogate encoded in UTF-8
    expect(firstInvalidUtf8(Buffer.from([0xe2, 0x82]))).toBe(0); // truncated sequence
    expect(firstInvalidUtf8(Buffer.from('ok 😀'))).toBe(Buffer.from('ok 😀').length);
  });

  it('refuses an over-long line naming its number', () => {
    const text = `short\n${'x'.repeat(1024 * 1024 + 1)}\n`;
    expect(() => splitLines(text, 'in.jsonl')).toThrow(InputError);
    expect(() => splitLines(text, 'in.jsonl')).toThrow('in.jsonl:2');
  });
});
