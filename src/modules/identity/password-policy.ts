import { readFileSync } from 'node:fs';

/** Why a password was refused. Stable identifiers for API error codes and UI translations. */
export type PasswordCheckCode =
  | 'PASSWORD_TOO_SHORT'
  | 'PASSWORD_TOO_LONG'
  | 'PASSWORD_COMMON'
  | 'PASSWORD_CONTAINS_USERNAME';

/** Outcome of {@link checkPassword}. `message` is user-facing and never contains the password. */
export type PasswordCheck = { ok: true } | { ok: false; code: PasswordCheckCode; message: string };

/** What the policy needs to know about the account the password is for. */
export type PasswordContext = {
  username: string;
  /** True when the account has a second factor or must enrol one before it can sign in. */
  mfaEnrolledOrRequired: boolean;
};

/** Minimum length in code points when the password is one factor of several (PCI DSS 8.3.6). */
export const MIN_PASSWORD_LENGTH_WITH_MFA = 12;
/** Minimum length in code points when the password may be the only factor (NIST SP 800-63B-4 3.1.1.2). */
export const MIN_PASSWORD_LENGTH_SINGLE_FACTOR = 15;
/** Maximum length in code points; well above NIST's "at least 64" while bounding hashing input. */
export const MAX_PASSWORD_LENGTH = 256;

// NIST 800-63B-4 asks for context-specific words (the service name) in the blocklist.
const SERVICE_WORDS = ['bulwark'];

// Cheap pre-check before NFKC: no composition shrinks text 8:1, so anything longer cannot end up legal.
const MAX_RAW_UTF16_UNITS = MAX_PASSWORD_LENGTH * 16;

// Padding this short (after collapsing runs) adds too little to rescue a common core: years, "123!", "!!".
const MAX_TRIVIAL_PADDING = 6;
const MIN_USERNAME_LENGTH = 3;
const MIN_WALK_SEGMENT = 3;

const BLOCKLIST_URL = new URL('./common-passwords.txt', import.meta.url);
// A truncated data file must not silently weaken the policy.
const MIN_BLOCKLIST_ENTRIES = 10_000;

let blocklist: ReadonlySet<string> | undefined;

function getBlocklist(): ReadonlySet<string> {
  if (blocklist) return blocklist;
  const lines = readFileSync(BLOCKLIST_URL, 'utf8').split(/\r?\n/);
  const headerEnd = lines.indexOf('');
  if (headerEnd < 0) throw new Error('common-passwords.txt: header terminator (blank line) not found');
  const set = new Set<string>();
  for (const line of lines.slice(headerEnd + 1)) {
    if (line) set.add(line);
  }
  if (set.size < MIN_BLOCKLIST_ENTRIES) {
    throw new Error(
      `common-passwords.txt: only ${set.size} entries, expected at least ${MIN_BLOCKLIST_ENTRIES}`,
    );
  }
  blocklist = set;
  return set;
}

/**
 * Loads the bundled common-password blocklist now instead of on the first check, and returns its size.
 * Call at startup so a build that forgot to ship `common-passwords.txt` fails immediately.
 */
export function preloadPasswordBlocklist(): number {
  return getBlocklist().size;
}

// Keyboard rows and columns (QWERTY, QWERTZ, AZERTY, keypad), digits and the alphabet: runs taken from these,
// forwards or backwards, are what "qwertyuiop", "1qaz2wsx" and "9876543210" are made of. Digits are doubled
// so that runs wrapping from 9 to 0 are covered.
const WALK_SOURCES = [
  '01234567890123456789',
  'abcdefghijklmnopqrstuvwxyz',
  '`1234567890-=',
  'qwertyuiop[]\\',
  "asdfghjkl;'",
  'zxcvbnm,./',
  'qwertzuiop',
  'yxcvbnm',
  'azertyuiop',
  'qsdfghjklm',
  'wxcvbn',
  '1qaz',
  '2wsx',
  '3edc',
  '4rfv',
  '5tgb',
  '6yhn',
  '7ujm',
  '8ik,',
  '9ol.',
  '0p;/',
  '1qay',
  '6zhn',
  '789456123',
  '147258369',
  '159357',
];

let walkPieces: { set: ReadonlySet<string>; longest: number } | undefined;

function getWalkPieces(): { set: ReadonlySet<string>; longest: number } {
  if (walkPieces) return walkPieces;
  const set = new Set<string>();
  let longest = 0;
  for (const source of WALK_SOURCES) {
    for (const s of [source, [...source].reverse().join('')]) {
      longest = Math.max(longest, s.length);
      for (let i = 0; i < s.length; i++) {
        for (let j = i + MIN_WALK_SEGMENT; j <= s.length; j++) set.add(s.slice(i, j));
      }
    }
  }
  walkPieces = { set, longest };
  return walkPieces;
}

/** True when `s` is a concatenation of keyboard/alphabet/digit runs of at least three characters each. */
function isWalk(s: string): boolean {
  const { set, longest } = getWalkPieces();
  const reachable = new Array<boolean>(s.length + 1).fill(false);
  reachable[0] = true;
  for (let i = 0; i < s.length; i++) {
    if (!reachable[i]) continue;
    for (let j = i + MIN_WALK_SEGMENT; j <= Math.min(s.length, i + longest); j++) {
      if (set.has(s.slice(i, j))) reachable[j] = true;
    }
  }
  return reachable[s.length] === true;
}

// Covers sequences outside the walk tables, e.g. other scripts or every-other-letter runs.
function isArithmeticSequence(cps: readonly number[]): boolean {
  if (cps.length < 3) return false;
  const step = cps[1]! - cps[0]!;
  if (Math.abs(step) > 2) return false;
  for (let i = 2; i < cps.length; i++) {
    if (cps[i]! - cps[i - 1]! !== step) return false;
  }
  return true;
}

/** Shortest `u` with `s === u.repeat(k)` for some k >= 2, or undefined. */
function repeatingUnit(cps: readonly number[]): number[] | undefined {
  const n = cps.length;
  for (let len = 1; len <= n / 2; len++) {
    if (n % len !== 0) continue;
    let repeats = true;
    for (let i = len; i < n && repeats; i++) repeats = cps[i] === cps[i - len];
    if (repeats) return cps.slice(0, len);
  }
  return undefined;
}

const LEET_I: Record<string, string> = {
  '4': 'a',
  '@': 'a',
  '8': 'b',
  '(': 'c',
  '3': 'e',
  '6': 'g',
  '9': 'g',
  '1': 'i',
  '!': 'i',
  '|': 'i',
  '0': 'o',
  '5': 's',
  $: 's',
  '7': 't',
  '+': 't',
};
const LEET_L: Record<string, string> = { ...LEET_I, '1': 'l', '|': 'l' };

function deleet(s: string, table: Record<string, string>): string {
  let out = '';
  for (const ch of s) out += table[ch] ?? ch;
  return out;
}

/** The string plus its de-leeted readings ("p@ssw0rd" -> "password"). */
function readings(s: string): string[] {
  const out = new Set([s, deleet(s, LEET_I), deleet(s, LEET_L)]);
  return [...out];
}

function inBlocklist(s: string): boolean {
  const list = getBlocklist();
  return readings(s).some((r) => list.has(r));
}

/** A core word that attackers' dictionaries and mangling rules start from. */
function isCommonCore(s: string): boolean {
  if (s.length === 0) return false;
  if (inBlocklist(s) || isWalk(s)) return true;
  const unit = repeatingUnit([...s].map((c) => c.codePointAt(0)!));
  if (!unit) return false;
  const u = String.fromCodePoint(...unit);
  return inBlocklist(u) || isWalk(u);
}

function isTrivialPadding(p: string): boolean {
  // Runs of one character ("!!!", "ddd") carry almost no information, so they count once.
  const collapsed = p.replace(/(.)\1+/gsu, '$1');
  if ([...collapsed].length <= MAX_TRIVIAL_PADDING) return true;
  const cps = [...p].map((c) => c.codePointAt(0)!);
  return inBlocklist(p) || isWalk(p) || isArithmeticSequence(cps) || repeatingUnit(cps) !== undefined;
}

const PAD_SYMBOLS_END = /[^\p{L}]+$/u;
const PAD_SYMBOLS_START = /^[^\p{L}]+/u;
const PAD_RUN_END = /(\p{L})\1{2,}$/u;
const PAD_RUN_START = /^(\p{L})\1{2,}/u;

type Padded = { lead: string; cores: string[]; trail: string };

/**
 * Splits off leading/trailing digits, symbols and spaces, and runs of one letter repeated 3+ times. A run
 * may have started inside the word ("passworddd"), so the core is also offered with one run letter kept.
 */
function splitPadding(s: string): Padded {
  let core = s;
  let lead = '';
  let trail = '';
  let keptEnd = '';
  let keptStart = '';
  for (let changed = true; changed; ) {
    changed = false;
    const sym = PAD_SYMBOLS_END.exec(core) ?? PAD_RUN_END.exec(core);
    if (sym && sym[0].length < core.length) {
      trail = sym[0] + trail;
      core = core.slice(0, core.length - sym[0].length);
      keptEnd = sym[1] ?? '';
      changed = true;
    }
  }
  for (let changed = true; changed; ) {
    changed = false;
    const sym = PAD_SYMBOLS_START.exec(core) ?? PAD_RUN_START.exec(core);
    if (sym && sym[0].length < core.length) {
      lead += sym[0];
      core = core.slice(sym[0].length);
      keptStart = sym[1] ?? '';
      changed = true;
    }
  }
  const cores = new Set([core, keptStart + core, core + keptEnd, keptStart + core + keptEnd]);
  return { lead, cores: [...cores], trail };
}

/** `s` is NFKC-normalised and lower-cased. */
function isGuessable(s: string, minLength: number): boolean {
  const cps = [...s].map((c) => c.codePointAt(0)!);
  if (new Set(cps).size <= 3) return true;
  if (isArithmeticSequence(cps)) return true;
  if (inBlocklist(s) || isWalk(s)) return true;

  // Repeating a password adds no strength: judge the unit as if it were the whole password.
  const unit = repeatingUnit(cps);
  if (unit && (unit.length < minLength || isGuessable(String.fromCodePoint(...unit), minLength))) return true;

  const { lead, cores, trail } = splitPadding(s);
  if ((lead || trail) && isTrivialPadding(lead) && isTrivialPadding(trail) && cores.some(isCommonCore)) {
    return true;
  }
  return false;
}

function containsAny(haystacks: readonly string[], needles: readonly string[]): boolean {
  return haystacks.some((h) => needles.some((n) => h.includes(n)));
}

function usernameNeedles(username: string): string[] {
  const u = username.normalize('NFKC').toLowerCase().trim();
  const candidates = [u];
  const at = u.indexOf('@');
  // For e-mail style usernames the local part is what people reuse.
  if (at > 0) candidates.push(u.slice(0, at));
  return candidates.filter((c) => [...c].length >= MIN_USERNAME_LENGTH);
}

const fail = (code: PasswordCheckCode, message: string): PasswordCheck => ({ ok: false, code, message });

/**
 * Checks a proposed password against the Bulwark password policy (NIST SP 800-63B-4 3.1.1.2 and
 * PCI DSS v4.0.1 8.3.6). Pure apart from lazily loading the bundled blocklist once.
 *
 * Length is counted in Unicode code points after NFKC normalisation: at least 12 when the account has or
 * must enrol MFA, 15 otherwise, at most 256. There are no composition rules. The password is refused when
 * it contains the username (3+ characters, case-insensitive) or the service name, or when it is guessable:
 * a blocklisted common/breached password (also in leetspeak), one padded with a few digits/symbols or a
 * repeated letter, a repetition of a short or common unit, a keyboard/alphabet/digit walk, an arithmetic
 * sequence, or built from three or fewer distinct characters.
 *
 * Messages never echo the password. Callers hash the raw password; `hashPassword` applies the same NFKC.
 */
export function checkPassword(password: string, ctx: PasswordContext): PasswordCheck {
  const minLength = ctx.mfaEnrolledOrRequired
    ? MIN_PASSWORD_LENGTH_WITH_MFA
    : MIN_PASSWORD_LENGTH_SINGLE_FACTOR;
  const tooShort = (): PasswordCheck =>
    fail('PASSWORD_TOO_SHORT', `Password must be at least ${minLength} characters long.`);
  const tooLong = (): PasswordCheck =>
    fail('PASSWORD_TOO_LONG', `Password must be at most ${MAX_PASSWORD_LENGTH} characters long.`);

  if (typeof password !== 'string') return tooShort();
  if (password.length > MAX_RAW_UTF16_UNITS) return tooLong();

  const normalized = password.normalize('NFKC');
  const length = [...normalized].length;
  if (length > MAX_PASSWORD_LENGTH) return tooLong();
  if (length < minLength) return tooShort();

  const lower = normalized.toLowerCase();
  const compact = lower.replace(/\s+/gu, '');
  const variants = [...new Set([lower, compact].flatMap(readings))];

  if (containsAny(variants, usernameNeedles(ctx.username ?? ''))) {
    return fail('PASSWORD_CONTAINS_USERNAME', 'Password must not contain your username.');
  }
  if (containsAny(variants, SERVICE_WORDS)) {
    return fail('PASSWORD_COMMON', 'Password must not contain the name of this service.');
  }
  if (isGuessable(lower, minLength) || (compact !== lower && isGuessable(compact, minLength))) {
    return fail(
      'PASSWORD_COMMON',
      'Password is too common or too easy to guess. Try a passphrase of several unrelated words.',
    );
  }
  return { ok: true };
}
