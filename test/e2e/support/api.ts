/**
 * The HTTP API from a test, with a cookie session, to set up what a browser test needs quickly:
 * sign the bootstrap administrator in once (TOTP enrolment and the forced password change), then
 * create users of any role who can sign in straight away.
 *
 * @example
 * const admin = await adminSession(server);
 * const qa = await createUser(admin, { username: 'qa1', roles: ['qa_analyst'], teams: ['north'] });
 * await signIn(page, server, qa); // ui.ts
 */
import type { Credentials, RunningBulwark } from './server.ts';
import { nextTotpCode } from './totp.ts';

/** Credentials of a ready account: TOTP enrolled, password already changed. */
export type ReadyCredentials = { username: string; password: string; totpSecret: string };

/** A signed-in API session (the `bulwark_session` cookie). */
export class ApiSession {
  constructor(
    readonly url: string,
    private cookie: string,
    readonly credentials: ReadyCredentials,
  ) {}

  /** fetch() against the server with this session's cookie; JSON bodies are encoded for you. */
  async request(method: string, pathname: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { cookie: this.cookie };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.url}${pathname}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const set = sessionCookieOf(res);
    if (set) this.cookie = set;
    return res;
  }

  /** Like request(), but throws with the problem body unless the status is 2xx; parses JSON. */
  async json<T = unknown>(method: string, pathname: string, body?: unknown): Promise<T> {
    const res = await this.request(method, pathname, body);
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${pathname} → ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  /** The raw cookie header value, e.g. to prove an old session no longer works. */
  get cookieHeader(): string {
    return this.cookie;
  }
}

function sessionCookieOf(res: Response): string | undefined {
  for (const c of res.headers.getSetCookie()) {
    const pair = c.split(';')[0]!;
    if (pair.startsWith('bulwark_session=') && pair !== 'bulwark_session=') return pair;
  }
  return undefined;
}

async function post(url: string, pathname: string, body: unknown, cookie?: string) {
  const res = await fetch(`${url}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${pathname} → ${res.status}: ${text}`);
  return { res, data: (text ? JSON.parse(text) : null) as Record<string, unknown> };
}

/** A new password that passes the server's policy (length, not common, unique per call). */
export function freshPassword(): string {
  return `e2e ${crypto.randomUUID()} Pw!`;
}

/**
 * Signs in over HTTP. First sign-in enrols TOTP (the secret comes back from the login answer) and,
 * when `newPassword` is given or a change is due, changes the password. Returns the session and
 * the credentials as they are afterwards.
 */
export async function apiSignIn(
  url: string,
  creds: Credentials,
  options: { newPassword?: string } = {},
): Promise<ApiSession> {
  const login = await post(url, '/v1/auth/login', { username: creds.username, password: creds.password });
  let totpSecret = creds.totpSecret;
  let challenge: string;
  if (login.data.status === 'mfa_enrollment_required') {
    totpSecret = (login.data.totp as { secret: string }).secret;
    challenge = login.data.challenge as string;
  } else if (login.data.status === 'mfa_required') {
    challenge = login.data.challenge as string;
  } else {
    throw new Error(`unexpected login status ${String(login.data.status)}`);
  }
  if (!totpSecret) throw new Error(`${creds.username} has TOTP enrolled but no totpSecret was given`);
  const mfa = await post(url, '/v1/auth/mfa', { challenge, code: await nextTotpCode(totpSecret) });
  const cookie = sessionCookieOf(mfa.res);
  if (!cookie) throw new Error('the MFA answer set no session cookie');
  const session = new ApiSession(url, cookie, {
    username: creds.username,
    password: creds.password,
    totpSecret,
  });
  const me = await session.json<{ passwordChangeRequired: boolean }>('GET', '/v1/me');
  const newPassword = options.newPassword ?? (me.passwordChangeRequired ? freshPassword() : undefined);
  if (newPassword) {
    await session.json('POST', '/v1/auth/password', { currentPassword: creds.password, newPassword });
    return new ApiSession(url, session.cookieHeader, {
      username: creds.username,
      password: newPassword,
      totpSecret,
    });
  }
  return session;
}

const adminSessions = new WeakMap<RunningBulwark, Promise<ApiSession>>();

/**
 * The bootstrap administrator's API session (it_admin), signed in once per server: enrols TOTP
 * and replaces the one-time password. Do not also sign `server.admin` in through the browser's
 * first-start flow on the same server (its one-time password is spent here).
 */
export function adminSession(server: RunningBulwark): Promise<ApiSession> {
  let session = adminSessions.get(server);
  if (!session) {
    if (!server.admin.password) throw new Error('this server printed no bootstrap administrator');
    session = apiSignIn(server.url, server.admin);
    adminSessions.set(server, session);
  }
  return session;
}

export type NewUser = {
  username: string;
  /** Bulwark roles, e.g. ['qa_analyst']. */
  roles: string[];
  /** Team names (created when new). */
  teams?: string[];
  region?: string;
  /** Extra permissions (e.g. ['detokenize']) set after creation. */
  permissions?: string[];
};

/**
 * Creates a user as the administrator and makes the account ready: TOTP enrolled and the initial
 * password changed, so a browser test can sign in with username, password and a code.
 */
export async function createUser(admin: ApiSession, user: NewUser): Promise<ReadyCredentials> {
  const initial = freshPassword();
  const created = await admin.json<{ id: string }>('POST', '/v1/users', {
    username: user.username,
    roles: user.roles,
    teams: user.teams ?? [],
    region: user.region ?? 'eu',
    password: initial,
  });
  if (user.permissions?.length)
    await admin.json('PATCH', `/v1/users/${created.id}`, { permissions: user.permissions });
  const session = await apiSignIn(admin.url, { username: user.username, password: initial });
  await session.request('POST', '/v1/auth/logout');
  return session.credentials;
}
