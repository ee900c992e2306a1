/**
 * The demo's credentials file and the sign-in banner printed at every demo start.
 *
 * Keeping passwords and TOTP secrets in a file is acceptable ONLY for the synthetic demo: it lets
 * a second start print the same sign-in details. Real accounts never work this way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ROLES } from '../modules/access/roles.ts';
import { DEMO_MARK, type DemoUser } from './seed.ts';

const credentialsSchema = z.object({
  version: z.literal(1),
  createdAt: z.string(),
  users: z.array(
    z.object({
      username: z.string(),
      roles: z.array(z.enum(ROLES)),
      teams: z.array(z.string()),
      permissions: z.array(z.literal('detokenize')).optional(),
      password: z.string(),
      totpSecret: z.string(),
    }),
  ),
  tokens: z.array(z.object({ label: z.string(), token: z.string() })),
});

export type DemoCredentials = z.infer<typeof credentialsSchema>;

/** Writes the credentials file with mode 0600, atomically (a crash leaves the old file or none). */
export function writeCredentials(file: string, creds: DemoCredentials): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/** Reads the credentials file, or undefined when there is none. Throws when it is not one of ours. */
export function readCredentials(file: string): DemoCredentials | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const parsed = credentialsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a Bulwark demo credentials file`);
  return parsed.data;
}

/**
 * The banner: what this is, where it lives, and for every user the password, the TOTP secret and a
 * ready-to-run oathtool line. Lines are returned without a trailing newline.
 *
 * @example formatDemoBanner({ url, root, samplesDir, credentialsFile, credentials }).forEach(print)
 */
export function formatDemoBanner(input: {
  url: string;
  root: string;
  samplesDir: string;
  credentialsFile: string;
  credentials: Pick<DemoCredentials, 'users' | 'tokens'>;
}): string[] {
  const { url, credentials } = input;
  const rule = '='.repeat(78);
  const lines = [
    '',
    rule,
    `  ${DEMO_MARK}`,
    '  A made-up contact center: every person, call, chat and card number here is synthetic.',
    rule,
    `  URL:          ${url}   (API docs: ${url}/docs)`,
    `  Demo folder:  ${input.root}   (delete it to start over; your real data dir is not used)`,
    `  Samples:      ${input.samplesDir}/chat-*.jsonl, notes.txt (for the redaction workbench)`,
    `  Tokens:       ${input.samplesDir}/tokens.txt (vault tokens of test cards; compliance.officer may detokenize)`,
    `  Credentials:  ${input.credentialsFile} (mode 0600)`,
    '  The passwords and TOTP secrets below are kept in that file so they can be printed again.',
    '  That is acceptable ONLY for this demo: never store real credentials like this.',
    '',
    '  Sign in: POST /v1/auth/login {"username","password"}, then POST /v1/auth/mfa {"challenge","code"}.',
    '  A code is accepted once: if it was just used, wait for the next one (30 s).',
    '',
  ];
  for (const u of credentials.users) {
    const extra = [
      u.teams.length > 0 ? `teams: ${u.teams.join(', ')}` : '',
      u.permissions?.length ? `permissions: ${u.permissions.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    lines.push(`  ${u.roles.join(',').padEnd(19)} user: ${u.username}${extra ? `   (${extra})` : ''}`);
    lines.push(`  ${''.padEnd(19)} password: ${u.password}`);
    lines.push(`  ${''.padEnd(19)} totp secret: ${u.totpSecret}`);
    lines.push(`  ${''.padEnd(19)} code: oathtool --totp -b ${u.totpSecret}`);
  }
  lines.push(rule, '');
  return lines;
}

/** The tokens file of the samples folder: one `label<TAB>token` a line. */
export function tokensFileText(credentials: Pick<DemoCredentials, 'tokens'>): string {
  return [
    `# ${DEMO_MARK}: vault tokens of test card numbers. Detokenize as compliance.officer (needs a purpose).`,
    ...credentials.tokens.map((t) => `${t.label}\t${t.token}`),
    '',
  ].join('\n');
}

/** The users of a fresh seed, in the file's shape. */
export const credentialsOf = (
  users: DemoUser[],
  tokens: DemoCredentials['tokens'],
  now: Date,
): DemoCredentials => ({
  version: 1,
  createdAt: now.toISOString(),
  users: users.map((u) => ({
    username: u.username,
    roles: u.roles,
    teams: u.teams,
    ...(u.permissions ? { permissions: u.permissions } : {}),
    password: u.password,
    totpSecret: u.totpSecret,
  })),
  tokens,
});
