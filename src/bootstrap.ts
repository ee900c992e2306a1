import { randomBytes } from 'node:crypto';
import type { AppContext } from './context.ts';

const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** 24 characters from a 55-symbol alphabet: ~138 bits, unambiguous to read off a terminal. */
export function generateOneTimePassword(): string {
  const bytes = randomBytes(48);
  let out = '';
  for (const b of bytes) {
    // Rejection sampling keeps every symbol equally likely.
    if (b >= 220) continue;
    out += ALPHABET[b % ALPHABET.length];
    if (out.length === 24) break;
  }
  return out.length === 24 ? out : generateOneTimePassword();
}

/**
 * On an empty store, creates the one bootstrap administrator with a random one-time password
 * that must be changed at first sign-in. Returns the credentials to print once, or null.
 */
export async function bootstrapAdministrator(
  ctx: AppContext,
): Promise<{ username: string; password: string } | null> {
  const tenant = await ctx.tenants.ensureDefault();
  if ((await ctx.users.countUsers(tenant.id)) > 0) return null;
  const password = generateOneTimePassword();
  await ctx.users.createUser(
    {
      tenantId: tenant.id,
      userId: null,
      roles: [],
      sessionId: null,
      ip: null,
      requestId: null,
      channel: 'system',
    },
    { username: 'admin', roles: ['it_admin'], teams: [], region: 'eu', password, mustChangePassword: true },
  );
  return { username: 'admin', password };
}
