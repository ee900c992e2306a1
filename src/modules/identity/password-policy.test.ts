import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH_SINGLE_FACTOR,
  MIN_PASSWORD_LENGTH_WITH_MFA,
  type PasswordContext,
  preloadPasswordBlocklist,
} from './password-policy.ts';

const mfa: PasswordContext = { username: 'jdoe', mfaEnrolledOrRequired: true };
const single: PasswordContext = { username: 'jdoe', mfaEnrolledOrRequired: false };

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_=+[]{};:,.<>?';
const randomString = (length: number): string =>
  Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

const codeOf = (password: string, ctx: PasswordContext = mfa): string => {
  const r = checkPassword(password, ctx);
  return r.ok ? 'OK' : r.code;
};

describe('password-policy: length', () => {
  it('needs 12 code points with MFA and 15 without', () => {
    expect(MIN_PASSWORD_LENGTH_WITH_MFA).toBe(12);
    expect(MIN_PASSWORD_LENGTH_SINGLE_FACTOR).toBe(15);
    expect(codeOf('kq7vz-mtr4pw', mfa)).toBe('OK');
    expect(codeOf('kq7vz-mtr4p', mfa)).toBe('PASSWORD_TOO_SHORT');
    expect(codeOf('kq7vz-mtr4pw', single)).toBe('PASSWORD_TOO_SHORT');
    expect(codeOf('kq7vz-mtr4pw-x9', single)).toBe('OK');
    expect(codeOf('', mfa)).toBe('PASSWORD_TOO_SHORT');
  });

  it('says how long the password must be', () => {
    const r = checkPassword('short', single);
    expect(r).toEqual({ ok: false, code: 'PASSWORD_TOO_SHORT', message: expect.stringContaining('15') });
  });

  it('caps length at 256 code points, including huge input', () => {
    expect(MAX_PASSWORD_LENGTH).toBe(256);
    const max = randomString(256);
    expect(codeOf(max)).toBe('OK');
    expect(codeOf(max + 'x')).toBe('PASSWORD_TOO_LONG');
    const started = Date.now();
    expect(codeOf('x'.repeat(5_000_000))).toBe('PASSWORD_TOO_LONG');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('counts Unicode code points after NFKC, not UTF-16 units', () => {
    const emoji = ['🔐', '🦊', '🌋', '🎻', '🧭', '🪐', '🍄', '🚲', '🐙', '🎲', '🏔', '🧩'];
    expect(emoji.join('').length).toBe(24);
    expect(codeOf(emoji.join(''))).toBe('OK');
    expect(codeOf(emoji.slice(1).join(''))).toBe('PASSWORD_TOO_SHORT');

    // Ten precomposed-equivalent letters written as base + combining mark: 20 code points raw, 10 after NFKC.
    const decomposed = 'e\u0301a\u0300o\u0302u\u0308i\u0301n\u0303c\u0327a\u030ao\u0308u\u0300';
    expect([...decomposed].length).toBe(20);
    expect(codeOf(decomposed + 'zq')).toBe('OK');
    expect(codeOf(decomposed + 'z')).toBe('PASSWORD_TOO_SHORT');

    // The "ﬁ" ligature becomes "fi" under NFKC, so it counts twice.
    expect(codeOf('\ufb01rm-7zq-kv9w')).toBe('OK');
    expect(codeOf('\ufb01rm-7zq-kv9')).toBe('OK');
    expect(codeOf('\ufb01rm-7zq-kv')).toBe('PASSWORD_TOO_SHORT');
  });
});

describe('password-policy: blocklist', () => {
  it('loads the bundled list once', () => {
    const size = preloadPasswordBlocklist();
    expect(size).toBeGreaterThan(40_000);
    expect(preloadPasswordBlocklist()).toBe(size);
  });

  it('ships a data file under 1 MB', () => {
    const bytes = readFileSync(new URL('./common-passwords.txt', import.meta.url)).length;
    expect(bytes).toBeLessThan(1_000_000);
  });

  it('rejects long entries of the list verbatim and in other letter case', () => {
    const text = readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8');
    const entries = text
      .slice(text.indexOf('\n\n') + 2)
      .split('\n')
      .filter((e) => [...e].length >= 15);
    expect(entries.length).toBeGreaterThan(20);
    for (const entry of entries) {
      expect(codeOf(entry, single), entry).toBe('PASSWORD_COMMON');
      expect(codeOf(entry.toUpperCase(), single), entry).toBe('PASSWORD_COMMON');
    }
  });

  it.each([
    'password1234',
    'Password123!',
    'passwordpassword',
    'qwertyuiop123',
    '123456789012',
    'P@ssw0rd2024!',
    '!!password2024!!',
    'Summer2024!!!',
    'michael1985!!!',
    'iloveyouiloveyou',
    'monkey123456789',
    'letmein!letmein!',
    'trustno1trustno1',
    'basketball12',
    'dragon 2024 !!',
    'passwordddddd12',
    '2024dragon2024',
  ])('rejects the common password with trivial padding %j', (pw) => {
    expect(codeOf(pw)).toBe('PASSWORD_COMMON');
  });

  it.each([
    'aaaaaaaaaaaaaaaa',
    '1111111111111111',
    'abababababababab',
    'abcabcabcabcabc',
    'abcdefghijklmnop',
    'ponmlkjihgfedcba',
    '9876543210987654',
    '1qaz2wsx3edc4rfv',
    'zxcvbnmasdfghjkl',
    'q1w2e3r4t5y6u7i8',
    '\u03b1\u03b2\u03b3\u03b4\u03b5\u03b6\u03b7\u03b8\u03b9\u03ba\u03bb\u03bc\u03bd\u03be\u03bf',
    'aaaabbbbccccaaaa',
  ])('rejects repeated characters, sequences and keyboard walks %j', (pw) => {
    expect(codeOf(pw, single)).toBe('PASSWORD_COMMON');
  });

  it('judges a repeated password by its unit', () => {
    const unit = 'k7Vq-mz9x';
    expect(codeOf(unit + unit, mfa)).toBe('PASSWORD_COMMON');
    const longUnit = 'k7Vq-mz9x-Tr4w';
    expect(codeOf(longUnit + longUnit, mfa)).toBe('OK');
    expect(codeOf(longUnit + longUnit, single)).toBe('PASSWORD_COMMON');
  });

  it('rejects the service name, also in leetspeak', () => {
    expect(codeOf('my bulwark login pass')).toBe('PASSWORD_COMMON');
    expect(codeOf('MyBU1WARKloginpass')).toBe('PASSWORD_COMMON');
  });
});

describe('password-policy: username', () => {
  it('rejects a password containing the username, case-insensitively', () => {
    const ctx = { username: 'Alice', mfaEnrolledOrRequired: true };
    expect(codeOf('xx-aLiCe-loves-tea', ctx)).toBe('PASSWORD_CONTAINS_USERNAME');
    expect(codeOf('a l i c e loves tea 77', ctx)).toBe('PASSWORD_CONTAINS_USERNAME');
  });

  it('checks the local part of an e-mail style username', () => {
    const ctx = { username: 'bob.smith@example.com', mfaEnrolledOrRequired: true };
    expect(codeOf('orbit bob.smith lantern', ctx)).toBe('PASSWORD_CONTAINS_USERNAME');
    expect(codeOf('orbit velvet lantern quarry', ctx)).toBe('OK');
  });

  it('ignores usernames shorter than 3 characters', () => {
    const ctx = { username: 'al', mfaEnrolledOrRequired: true };
    expect(codeOf('orbit velvet lantern al', ctx)).toBe('OK');
  });

  it('normalises the username too', () => {
    const ctx = { username: '\uff2a\uff24\uff2f\uff25', mfaEnrolledOrRequired: true }; // fullwidth "JDOE"
    expect(codeOf('orbit-jdoe-lantern-quarry', ctx)).toBe('PASSWORD_CONTAINS_USERNAME');
  });
});

describe('password-policy: acceptance', () => {
  it.each([
    'correct horse battery staple',
    'orbit velvet lantern quarry',
    'Tangerine submarine whistles loudly',
    'kq7vz-mtr4pw-x9',
    '839201746582913',
    'all lowercase no digits ever',
    // A common word with high-entropy padding is not a "common password".
    'dragon7302948571',
  ])('accepts %j without composition rules', (pw) => {
    expect(codeOf(pw, single)).toBe('OK');
  });

  it('accepts random 16-character strings', () => {
    for (let i = 0; i < 500; i++) {
      const pw = randomString(16);
      expect(codeOf(pw, single), pw).toBe('OK');
    }
  });
});

describe('password-policy: messages', () => {
  const CANARY = 'Canary-4111111111111111-pw';

  it.each([
    ['too short', 'C4n-pw'],
    ['too long', CANARY + 'x'.repeat(300)],
    ['common', 'password1234'],
    ['username', `${CANARY}-jdoe`],
    ['service word', `${CANARY}-bulwark`],
  ])('never echo the password (%s)', (_label, pw) => {
    const r = checkPassword(pw, mfa);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).not.toContain(pw);
      expect(r.message).not.toContain('4111');
      expect(r.message).not.toContain('Canary');
    }
  });

  it('never throws and never echoes a planted canary (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.boolean(), (a, b, m) => {
        const r = checkPassword(a + CANARY + b, { username: 'jdoe', mfaEnrolledOrRequired: m });
        return r.ok || (!r.message.includes(CANARY) && !r.message.includes('4111111111111111'));
      }),
    );
  });
});
