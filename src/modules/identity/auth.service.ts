import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { safeEqual, sha256Hex } from '../../lib/hash.ts';
import { isUuid, newId, randomSecret } from '../../lib/ids.ts';
import type { Keyring } from '../../lib/keyring.ts';
import type { PrincipalSlice } from '../access/authorizer.ts';
import type { Role } from '../access/roles.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { TenantsService } from '../tenants/tenants.service.ts';
import { burnPasswordVerification, hashPassword, verifyPassword } from './password-hash.ts';
import { checkPassword } from './password-policy.ts';
import { generateRecoveryCodes, normalizeRecoveryCode } from './recovery-codes.ts';
import { generateTotpSecret, totpUri, verifyTotp } from './totp.ts';

const CHALLENGE_SECONDS = 5 * 60;
const CHALLENGE_MAX_ATTEMPTS = 5;
const PASSWORD_HISTORY = 4;
// Only refresh last_seen_at when it is this stale, so a busy session does not write on every request.
const TOUCH_AFTER_MS = 1000;

export type RequestMeta = { ip: string | null; requestId: string | null };

export type LoginResult =
  | { status: 'mfa_required'; challenge: string }
  | { status: 'mfa_enrollment_required'; challenge: string; totp: { secret: string; uri: string } }
  | SessionIssued;

export type SessionIssued = {
  status: 'ok';
  token: string;
  expiresAt: string;
  idleTimeoutSeconds: number;
  passwordChangeRequired: boolean;
  recoveryCodes?: string[];
};

/** The authenticated caller of one request. */
export type AuthContext = {
  tenantId: string;
  userId: string;
  username: string;
  roles: Role[];
  teams: string[];
  /** Open investigation cases assigned to the user (recordings linked to them become playable). */
  cases?: string[];
  region: string;
  /** Role-independent grants (users.permissions), e.g. 'detokenize'; absent means none. */
  permissions?: readonly string[];
  sessionId: string;
  sessionCreatedAt: Date;
  mfaAt: Date;
  mustChangePassword: boolean;
};

type Deps = {
  db: Kysely<Database>;
  audit: Pick<AuditService, 'append' | 'appendNow'>;
  tenants: Pick<TenantsService, 'findBySlug'>;
  keyring: Keyring;
  clock: Clock;
  session: { idleSeconds: number; maxSeconds: number };
  lockout: { threshold: number; seconds: number };
  mfaRequired: boolean;
  issuer: string;
};

/** Splits an opaque `id.secret` token; anything else is rejected before touching the database. */
function parseToken(token: string): { id: string; secret: string } | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 200) return undefined;
  const id = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  return isUuid(id) && /^[A-Za-z0-9_-]{32,100}$/.test(secret) ? { id, secret } : undefined;
}

export const toPrincipal = (a: AuthContext): PrincipalSlice => ({
  id: a.userId,
  tenantId: a.tenantId,
  roles: a.roles,
  teams: a.teams,
  region: a.region,
  cases: a.cases ?? [],
  permissions: a.permissions ?? [],
});

/**
 * Sign-in (password, then TOTP or a recovery code), sessions and password changes, following
 * PCI DSS v4.0 Req 8 and NIST SP 800-63B: lockout counted across both factors and reserved
 * atomically before any verification, so parallel guesses cannot exceed the threshold.
 */
export function createAuthService(deps: Deps) {
  const { db, audit, tenants, keyring, clock } = deps;
  const totpAad = (userId: string) => `users:totp_secret_enc:${userId}`;
  // Keyed, so a database dump alone cannot brute-force the 60-bit codes of every user in one pass.
  const recoveryDigest = (tenantId: string, code: string) =>
    keyring.secretDigest(tenantId, 'recovery-code', normalizeRecoveryCode(code));
  const challengeAad = (id: string) => `auth_challenges:totp_secret_enc:${id}`;

  /** The audit event of a refused sign-in step (wrong factor, locked or disabled account). */
  const refusalEvent = (
    tenantId: string,
    action: string,
    userId: string | null,
    reason: string,
    meta: RequestMeta,
  ) => ({
    tenantId,
    action,
    outcome: 'failure' as const,
    actor: { userId, ip: meta.ip },
    resource: { type: 'UserAccount', id: userId },
    reason,
    requestId: meta.requestId,
  });

  /** A refused sign-in step, in its own transaction (there is no business change to ride on). */
  const auditRefusal = (
    tenantId: string,
    action: string,
    userId: string | null,
    reason: string,
    meta: RequestMeta,
  ) => audit.appendNow(refusalEvent(tenantId, action, userId, reason, meta));

  const invalidCredentials = () =>
    new AppError('INVALID_CREDENTIALS', 'The username or password is incorrect.');
  const locked = (until: Date) =>
    new AppError(
      'ACCOUNT_LOCKED',
      'This account is locked after too many failed attempts. Try again later or ask an administrator to unlock it.',
      {
        headers: {
          'retry-after': String(Math.max(1, Math.ceil((until.getTime() - clock.now().getTime()) / 1000))),
        },
      },
    );

  /**
   * Reserves one authentication attempt: increments the failure counter up front (undone on
   * success) and refuses once the threshold is reached. Returns the lock expiry when locked.
   */
  async function reserveAttempt(
    trx: Transaction<Database>,
    userId: string,
    meta: RequestMeta,
  ): Promise<{ locked: Date | null }> {
    const now = clock.now();
    const row = await sql<{ failed_attempts: number; locked_until: Date | null; tenant_id: string }>`
      update users set
        failed_attempts = case when locked_until is not null and locked_until <= ${now} then 1 else failed_attempts + 1 end,
        locked_until = case when locked_until is not null and locked_until <= ${now} then null else locked_until end
      where id = ${userId} and (locked_until is null or locked_until <= ${now})
      returning failed_attempts, locked_until, tenant_id`.execute(trx);
    const r = row.rows[0];
    if (!r) {
      const u = await trx
        .selectFrom('users')
        .select('locked_until')
        .where('id', '=', userId)
        .executeTakeFirstOrThrow();
      return { locked: u.locked_until };
    }
    if (r.failed_attempts > deps.lockout.threshold) {
      // Parallel attempts beyond the threshold: lock now, never verify them.
      const until = new Date(now.getTime() + deps.lockout.seconds * 1000);
      await trx.updateTable('users').set({ locked_until: until }).where('id', '=', userId).execute();
      await audit.append(trx, {
        tenantId: r.tenant_id,
        action: 'auth.lockout',
        outcome: 'success',
        actor: { userId: null, ip: meta.ip },
        resource: { type: 'UserAccount', id: userId },
        reason: `${deps.lockout.threshold} failed attempts (parallel attempts refused before verification)`,
        requestId: meta.requestId,
        details: { lockedUntil: until.toISOString() },
      });
      return { locked: until };
    }
    return { locked: null };
  }

  /** Records a failed factor; locks the account when the threshold is reached. */
  async function recordFailure(
    userId: string,
    tenantId: string,
    meta: RequestMeta,
    action: string,
    reason: string,
  ) {
    return db.transaction().execute(async (trx) => {
      const now = clock.now();
      const until = new Date(now.getTime() + deps.lockout.seconds * 1000);
      const r = await trx
        .updateTable('users')
        .set({ locked_until: until })
        .where('id', '=', userId)
        .where('failed_attempts', '>=', deps.lockout.threshold)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
        .executeTakeFirst();
      const nowLocked = Number(r.numUpdatedRows) > 0;
      await audit.append(trx, refusalEvent(tenantId, action, userId, reason, meta));
      if (nowLocked) {
        await audit.append(trx, {
          tenantId,
          action: 'auth.lockout',
          outcome: 'success',
          actor: { userId: null, ip: meta.ip },
          resource: { type: 'UserAccount', id: userId },
          reason: `${deps.lockout.threshold} consecutive failed attempts`,
          requestId: meta.requestId,
          details: { lockedUntil: until.toISOString() },
        });
      }
      return nowLocked ? until : null;
    });
  }

  async function login(
    input: { username: string; password: string; tenant?: string | undefined },
    meta: RequestMeta,
  ): Promise<LoginResult> {
    const tenant = await tenants.findBySlug(input.tenant ?? 'default');
    const user = tenant
      ? await db
          .selectFrom('users')
          .select(['id', 'tenant_id', 'username', 'password_hash', 'status', 'totp_enrolled_at'])
          .where('tenant_id', '=', tenant.id)
          .where('username', '=', input.username.toLowerCase())
          .executeTakeFirst()
      : undefined;
    if (!tenant || !user || user.status !== 'active') {
      // Same work and same answer as a wrong password, so usernames cannot be probed.
      await burnPasswordVerification(input.password);
      if (tenant) {
        // The attempted name is not recorded: people type passwords into the username field.
        await auditRefusal(
          tenant.id,
          'auth.login',
          user?.id ?? null,
          user ? 'account_disabled' : 'unknown_user',
          meta,
        );
      }
      throw invalidCredentials();
    }
    const reservation = await db.transaction().execute((trx) => reserveAttempt(trx, user.id, meta));
    if (reservation.locked) {
      await auditRefusal(user.tenant_id, 'auth.login', user.id, 'account_locked', meta);
      throw locked(reservation.locked);
    }
    const ok = await verifyPassword(user.password_hash, input.password);
    if (!ok) {
      const lockedUntil = await recordFailure(user.id, user.tenant_id, meta, 'auth.login', 'wrong_password');
      if (lockedUntil) throw locked(lockedUntil);
      throw invalidCredentials();
    }
    const enrolled = user.totp_enrolled_at !== null;
    if (!enrolled && !deps.mfaRequired) {
      return db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ failed_attempts: 0 }).where('id', '=', user.id).execute();
        return issueSession(trx, user.id, user.tenant_id, meta, 'password');
      });
    }
    const challengeId = newId();
    const secret = randomSecret();
    const pendingTotp = enrolled ? null : generateTotpSecret();
    await db.transaction().execute(async (trx) => {
      // The password was right: give back the attempt reserved for it. MFA failures still count.
      await sql`update users set failed_attempts = greatest(failed_attempts - 1, 0) where id = ${user.id}`.execute(
        trx,
      );
      await trx
        .insertInto('auth_challenges')
        .values({
          id: challengeId,
          tenant_id: user.tenant_id,
          user_id: user.id,
          secret_hash: sha256Hex(secret),
          kind: enrolled ? 'mfa' : 'enroll',
          totp_secret_enc: pendingTotp
            ? keyring.encryptField(user.tenant_id, pendingTotp, challengeAad(challengeId))
            : null,
          expires_at: new Date(clock.now().getTime() + CHALLENGE_SECONDS * 1000),
        })
        .execute();
      await audit.append(trx, {
        tenantId: user.tenant_id,
        action: 'auth.password',
        outcome: 'success',
        actor: { userId: user.id, ip: meta.ip },
        resource: { type: 'UserAccount', id: user.id },
        requestId: meta.requestId,
      });
    });
    const challenge = `${challengeId}.${secret}`;
    if (pendingTotp) {
      return {
        status: 'mfa_enrollment_required',
        challenge,
        totp: {
          secret: pendingTotp,
          uri: totpUri({ issuer: deps.issuer, account: user.username, secret: pendingTotp }),
        },
      };
    }
    return { status: 'mfa_required', challenge };
  }

  async function completeMfa(
    input: { challenge: string; code?: string | undefined; recoveryCode?: string | undefined },
    meta: RequestMeta,
  ): Promise<SessionIssued> {
    if ((input.code === undefined) === (input.recoveryCode === undefined)) {
      throw new AppError('VALIDATION_FAILED', 'send exactly one of code or recoveryCode', {
        details: { errors: [{ pointer: '/code', message: 'send exactly one of code or recoveryCode' }] },
      });
    }
    const invalidChallenge = () =>
      new AppError('INVALID_CHALLENGE', 'The sign-in challenge is invalid or has expired. Sign in again.');
    const parsed = parseToken(input.challenge);
    if (!parsed) throw invalidChallenge();
    const now = clock.now();
    const ch = await db
      .selectFrom('auth_challenges')
      .selectAll()
      .where('id', '=', parsed.id)
      .executeTakeFirst();
    if (
      !ch ||
      !safeEqual(ch.secret_hash, sha256Hex(parsed.secret)) ||
      ch.consumed_at !== null ||
      ch.expires_at <= now
    )
      throw invalidChallenge();
    if (ch.kind === 'enroll' && input.recoveryCode !== undefined) {
      throw new AppError(
        'VALIDATION_FAILED',
        'recovery codes exist only after enrolment; enter the code from the authenticator app',
        { details: { errors: [{ pointer: '/recoveryCode', message: 'not available before enrolment' }] } },
      );
    }

    const reservation = await db.transaction().execute(async (trx) => {
      const r = await reserveAttempt(trx, ch.user_id, meta);
      // A challenge allows a few tries only; then the whole sign-in starts again.
      await trx
        .updateTable('auth_challenges')
        .set({
          attempts: sql`attempts + 1`,
          consumed_at: sql`case when attempts + 1 >= ${CHALLENGE_MAX_ATTEMPTS} then ${now}::timestamptz else consumed_at end`,
        })
        .where('id', '=', ch.id)
        .execute();
      return r;
    });
    if (reservation.locked) {
      await auditRefusal(ch.tenant_id, 'auth.mfa', ch.user_id, 'account_locked', meta);
      throw locked(reservation.locked);
    }
    const user = await db
      .selectFrom('users')
      .select(['id', 'tenant_id', 'totp_secret_enc', 'totp_last_step', 'status'])
      .where('id', '=', ch.user_id)
      .executeTakeFirstOrThrow();

    if (user.status !== 'active') {
      await auditRefusal(user.tenant_id, 'auth.mfa', user.id, 'account_disabled', meta);
      throw new AppError('INVALID_CREDENTIALS', 'The username or password is incorrect.');
    }

    const fail = async (reason: string): Promise<never> => {
      const lockedUntil = await recordFailure(user.id, user.tenant_id, meta, 'auth.mfa', reason);
      if (lockedUntil) throw locked(lockedUntil);
      throw new AppError('INVALID_MFA_CODE', 'The authentication code is not valid.');
    };

    return db
      .transaction()
      .execute(async (trx) => {
        let method: 'totp' | 'recovery_code';
        let enrolledSecret: string | null = null;
        if (input.recoveryCode !== undefined) {
          method = 'recovery_code';
          const used = await trx
            .updateTable('recovery_codes')
            .set({ used_at: now })
            .where('user_id', '=', user.id)
            .where('code_hash', '=', recoveryDigest(user.tenant_id, input.recoveryCode))
            .where('used_at', 'is', null)
            .executeTakeFirst();
          if (Number(used.numUpdatedRows) !== 1) return { failed: 'invalid_recovery_code' as const };
        } else {
          method = 'totp';
          const secret =
            ch.kind === 'enroll'
              ? keyring.decryptField(ch.tenant_id, ch.totp_secret_enc!, challengeAad(ch.id))
              : keyring.decryptField(user.tenant_id, user.totp_secret_enc!, totpAad(user.id));
          const check = verifyTotp({
            secret,
            code: input.code!,
            lastUsedStep: Number(user.totp_last_step),
            now: now.getTime(),
          });
          if (!check.ok) return { failed: `totp_${check.reason}` as const };
          // Compare-and-set on the last step: two parallel requests with one code cannot both win.
          const claimed = await trx
            .updateTable('users')
            .set({ totp_last_step: check.step })
            .where('id', '=', user.id)
            .where('totp_last_step', '<', check.step)
            .executeTakeFirst();
          if (Number(claimed.numUpdatedRows) !== 1) return { failed: 'totp_replayed' as const };
          if (ch.kind === 'enroll') enrolledSecret = secret;
        }
        const consumed = await trx
          .updateTable('auth_challenges')
          .set({ consumed_at: now })
          .where('id', '=', ch.id)
          .where('consumed_at', 'is', null)
          .executeTakeFirst();
        if (Number(consumed.numUpdatedRows) !== 1) throw invalidChallenge();
        await trx.updateTable('users').set({ failed_attempts: 0 }).where('id', '=', user.id).execute();
        let recoveryCodes: string[] | undefined;
        if (enrolledSecret !== null) {
          recoveryCodes = generateRecoveryCodes();
          await trx
            .updateTable('users')
            .set({
              totp_secret_enc: keyring.encryptField(user.tenant_id, enrolledSecret, totpAad(user.id)),
              totp_enrolled_at: now,
            })
            .where('id', '=', user.id)
            .execute();
          await trx.deleteFrom('recovery_codes').where('user_id', '=', user.id).execute();
          await trx
            .insertInto('recovery_codes')
            .values(
              recoveryCodes.map((c) => ({
                id: newId(),
                tenant_id: user.tenant_id,
                user_id: user.id,
                code_hash: recoveryDigest(user.tenant_id, c),
              })),
            )
            .execute();
          await audit.append(trx, {
            tenantId: user.tenant_id,
            action: 'auth.mfa.enroll',
            outcome: 'success',
            actor: { userId: user.id, ip: meta.ip },
            resource: { type: 'UserAccount', id: user.id },
            requestId: meta.requestId,
            details: { method: 'totp', recoveryCodes: recoveryCodes.length },
          });
        }
        await audit.append(trx, {
          tenantId: user.tenant_id,
          action: 'auth.mfa',
          outcome: 'success',
          actor: { userId: user.id, ip: meta.ip },
          resource: { type: 'UserAccount', id: user.id },
          requestId: meta.requestId,
          details: { method },
        });
        const issued = await issueSession(trx, user.id, user.tenant_id, meta, method);
        return { failed: null, issued: recoveryCodes ? { ...issued, recoveryCodes } : issued };
      })
      .then(async (r) => (r.failed ? fail(r.failed) : r.issued));
  }

  async function issueSession(
    trx: Transaction<Database>,
    userId: string,
    tenantId: string,
    meta: RequestMeta,
    method: string,
  ): Promise<SessionIssued> {
    const id = newId();
    const secret = randomSecret();
    const now = clock.now();
    const absolute = new Date(now.getTime() + deps.session.maxSeconds * 1000);
    await trx
      .insertInto('sessions')
      .values({
        id,
        tenant_id: tenantId,
        user_id: userId,
        secret_hash: sha256Hex(secret),
        created_at: now,
        last_seen_at: now,
        absolute_expires_at: absolute,
        mfa_at: now,
        source_ip: meta.ip,
      })
      .execute();
    const u = await trx
      .selectFrom('users')
      .select(['must_change_password'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    await audit.append(trx, {
      tenantId,
      action: 'auth.login',
      outcome: 'success',
      actor: { userId, sessionId: id, ip: meta.ip },
      resource: { type: 'UserAccount', id: userId },
      requestId: meta.requestId,
      details: { method },
    });
    return {
      status: 'ok',
      token: `${id}.${secret}`,
      expiresAt: absolute.toISOString(),
      idleTimeoutSeconds: deps.session.idleSeconds,
      passwordChangeRequired: u.must_change_password,
    };
  }

  /** Resolves a session token; any failure is the same 401 so tokens cannot be probed. */
  async function authenticate(token: string): Promise<AuthContext> {
    const parsed = parseToken(token);
    const expired = () => new AppError('SESSION_EXPIRED', 'The session has ended. Sign in again.');
    if (!parsed) throw new AppError('AUTHENTICATION_REQUIRED', 'A valid session token is required.');
    const row = await db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select([
        'sessions.id as session_id',
        'sessions.secret_hash',
        'sessions.created_at',
        'sessions.last_seen_at',
        'sessions.absolute_expires_at',
        'sessions.mfa_at',
        'sessions.revoked_at',
        'users.id as user_id',
        'users.tenant_id',
        'users.username',
        'users.roles',
        'users.region',
        'users.permissions',
        'users.status',
        'users.must_change_password',
      ])
      .where('sessions.id', '=', parsed.id)
      .executeTakeFirst();
    if (!row || !safeEqual(row.secret_hash, sha256Hex(parsed.secret)))
      throw new AppError('AUTHENTICATION_REQUIRED', 'A valid session token is required.');
    const now = clock.now();
    if (row.revoked_at !== null || row.status !== 'active') throw expired();
    if (
      now >= row.absolute_expires_at ||
      now.getTime() - row.last_seen_at.getTime() > deps.session.idleSeconds * 1000
    ) {
      await db.transaction().execute(async (trx) => {
        const r = await trx
          .updateTable('sessions')
          .set({
            revoked_at: now,
            revoked_reason: now >= row.absolute_expires_at ? 'absolute_timeout' : 'idle_timeout',
          })
          .where('id', '=', row.session_id)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) > 0) {
          await audit.append(trx, {
            tenantId: row.tenant_id,
            action: 'session.expire',
            outcome: 'success',
            actor: { userId: null },
            resource: { type: 'Session', id: row.session_id },
            reason: now >= row.absolute_expires_at ? 'absolute_timeout' : 'idle_timeout',
            details: { user: row.user_id },
          });
        }
      });
      throw expired();
    }
    if (now.getTime() - row.last_seen_at.getTime() >= TOUCH_AFTER_MS) {
      await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', row.session_id).execute();
    }
    const teams = await db
      .selectFrom('user_teams')
      .select('team_id')
      .where('user_id', '=', row.user_id)
      .execute();
    const cases = await db
      .selectFrom('cases')
      .select('id')
      .where('assignee_user_id', '=', row.user_id)
      .where('status', '=', 'open')
      .execute();
    return {
      tenantId: row.tenant_id,
      userId: row.user_id,
      username: row.username,
      roles: row.roles as Role[],
      teams: teams.map((t) => t.team_id),
      cases: cases.map((c) => c.id),
      region: row.region,
      permissions: row.permissions,
      sessionId: row.session_id,
      sessionCreatedAt: row.created_at,
      mfaAt: row.mfa_at,
      mustChangePassword: row.must_change_password,
    };
  }

  async function logout(auth: AuthContext, meta: RequestMeta): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('sessions')
        .set({ revoked_at: clock.now(), revoked_reason: 'logout' })
        .where('id', '=', auth.sessionId)
        .where('revoked_at', 'is', null)
        .execute();
      await audit.append(trx, {
        tenantId: auth.tenantId,
        action: 'auth.logout',
        outcome: 'success',
        actor: { userId: auth.userId, roles: auth.roles, sessionId: auth.sessionId, ip: meta.ip },
        resource: { type: 'Session', id: auth.sessionId },
        requestId: meta.requestId,
      });
    });
  }

  /** Changes the caller's password: current one required, policy and last-4 history enforced, other sessions revoked. */
  async function changePassword(
    auth: AuthContext,
    input: { currentPassword: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<void> {
    const reservation = await db.transaction().execute((trx) => reserveAttempt(trx, auth.userId, meta));
    if (reservation.locked) throw locked(reservation.locked);
    const user = await db
      .selectFrom('users')
      .select(['password_hash', 'totp_enrolled_at'])
      .where('id', '=', auth.userId)
      .executeTakeFirstOrThrow();
    if (!(await verifyPassword(user.password_hash, input.currentPassword))) {
      const lockedUntil = await recordFailure(
        auth.userId,
        auth.tenantId,
        meta,
        'auth.changePassword',
        'wrong_current_password',
      );
      if (lockedUntil) throw locked(lockedUntil);
      throw new AppError('INVALID_CREDENTIALS', 'The current password is incorrect.');
    }
    await sql`update users set failed_attempts = greatest(failed_attempts - 1, 0) where id = ${auth.userId}`.execute(
      db,
    );
    const check = checkPassword(input.newPassword, {
      username: auth.username,
      mfaEnrolledOrRequired: deps.mfaRequired || user.totp_enrolled_at !== null,
    });
    if (!check.ok)
      throw new AppError('PASSWORD_REJECTED', check.message, { details: { reason: check.code } });
    const history = await db
      .selectFrom('password_history')
      .select('password_hash')
      .where('user_id', '=', auth.userId)
      .orderBy('id', 'desc')
      .limit(PASSWORD_HISTORY)
      .execute();
    for (const h of history) {
      if (await verifyPassword(h.password_hash, input.newPassword)) {
        throw new AppError(
          'PASSWORD_REJECTED',
          `The new password must differ from the last ${PASSWORD_HISTORY} passwords.`,
          { details: { reason: 'PASSWORD_REUSED' } },
        );
      }
    }
    const hash = await hashPassword(input.newPassword);
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ password_hash: hash, must_change_password: false, updated_at: clock.now() })
        .where('id', '=', auth.userId)
        .execute();
      await trx
        .insertInto('password_history')
        .values({ tenant_id: auth.tenantId, user_id: auth.userId, password_hash: hash })
        .execute();
      await sql`delete from password_history where user_id = ${auth.userId} and id not in (
        select id from password_history where user_id = ${auth.userId} order by id desc limit ${PASSWORD_HISTORY})`.execute(
        trx,
      );
      await trx
        .updateTable('sessions')
        .set({ revoked_at: clock.now(), revoked_reason: 'password_changed' })
        .where('user_id', '=', auth.userId)
        .where('id', '!=', auth.sessionId)
        .where('revoked_at', 'is', null)
        .execute();
      await audit.append(trx, {
        tenantId: auth.tenantId,
        action: 'auth.changePassword',
        outcome: 'success',
        actor: { userId: auth.userId, roles: auth.roles, sessionId: auth.sessionId, ip: meta.ip },
        resource: { type: 'UserAccount', id: auth.userId },
        requestId: meta.requestId,
      });
    });
  }

  /**
   * Step-up MFA inside a signed-in session: re-verifies the caller's own TOTP code or one of their
   * recovery codes and sets the session's MFA time to now, so actions behind the fresh-MFA
   * guardrail (playback, detokenization, passkey management) become available again without a new
   * sign-in. Same rules as {@link completeMfa}: an attempt is reserved against the lockout counter
   * before any verification, the TOTP step is claimed by compare-and-set (a code is single-use
   * across sign-in and step-up), recovery codes are single-use, failures count toward lockout, and
   * every outcome is audited as `auth.stepUp`.
   */
  async function stepUp(
    auth: AuthContext,
    input: { code?: string | undefined; recoveryCode?: string | undefined },
    meta: RequestMeta,
  ): Promise<{ mfaAt: string }> {
    if ((input.code === undefined) === (input.recoveryCode === undefined)) {
      throw new AppError('VALIDATION_FAILED', 'Send exactly one of code (TOTP) or recoveryCode.', {
        details: { errors: [{ pointer: '/body/code', message: 'exactly one of code or recoveryCode' }] },
      });
    }
    const enrolment = await db
      .selectFrom('users')
      .select(['totp_enrolled_at'])
      .where('id', '=', auth.userId)
      .executeTakeFirstOrThrow();
    if (enrolment.totp_enrolled_at === null) {
      // Nothing to verify against (MFA not required here, or reset since): not a failed attempt.
      throw new AppError(
        'CONFLICT',
        'No authenticator app is enrolled for this account; sign out and sign in again to enrol one.',
      );
    }
    const reservation = await db.transaction().execute((trx) => reserveAttempt(trx, auth.userId, meta));
    if (reservation.locked) {
      await auditRefusal(auth.tenantId, 'auth.stepUp', auth.userId, 'account_locked', meta);
      throw locked(reservation.locked);
    }
    const now = clock.now();
    const actor = { userId: auth.userId, roles: auth.roles, sessionId: auth.sessionId, ip: meta.ip };
    const r = await db.transaction().execute(async (trx) => {
      const user = await trx
        .selectFrom('users')
        .select(['id', 'tenant_id', 'totp_secret_enc', 'totp_last_step'])
        .where('id', '=', auth.userId)
        .executeTakeFirstOrThrow();
      let method: 'totp' | 'recovery_code';
      if (input.recoveryCode !== undefined) {
        method = 'recovery_code';
        const used = await trx
          .updateTable('recovery_codes')
          .set({ used_at: now })
          .where('user_id', '=', user.id)
          .where('code_hash', '=', recoveryDigest(user.tenant_id, input.recoveryCode))
          .where('used_at', 'is', null)
          .executeTakeFirst();
        if (Number(used.numUpdatedRows) !== 1) return { failed: 'invalid_recovery_code' as const };
      } else {
        method = 'totp';
        if (user.totp_secret_enc === null) return { failed: 'totp_not_enrolled' as const };
        const check = verifyTotp({
          secret: keyring.decryptField(user.tenant_id, user.totp_secret_enc, totpAad(user.id)),
          code: input.code!,
          lastUsedStep: Number(user.totp_last_step),
          now: now.getTime(),
        });
        if (!check.ok) return { failed: `totp_${check.reason}` as const };
        // Compare-and-set on the last step: two parallel requests with one code cannot both win.
        const claimed = await trx
          .updateTable('users')
          .set({ totp_last_step: check.step })
          .where('id', '=', user.id)
          .where('totp_last_step', '<', check.step)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) return { failed: 'totp_replayed' as const };
      }
      const refreshed = await trx
        .updateTable('sessions')
        .set({ mfa_at: now })
        .where('id', '=', auth.sessionId)
        .where('user_id', '=', auth.userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      // Revoked between authentication and here: roll the factor back with the transaction.
      if (Number(refreshed.numUpdatedRows) !== 1)
        throw new AppError('SESSION_EXPIRED', 'The session has ended. Sign in again.');
      await trx.updateTable('users').set({ failed_attempts: 0 }).where('id', '=', user.id).execute();
      await audit.append(trx, {
        tenantId: auth.tenantId,
        action: 'auth.stepUp',
        outcome: 'success',
        actor,
        resource: { type: 'UserAccount', id: auth.userId },
        requestId: meta.requestId,
        details: { method },
      });
      return { failed: null };
    });
    if (r.failed) {
      const lockedUntil = await recordFailure(auth.userId, auth.tenantId, meta, 'auth.stepUp', r.failed);
      if (lockedUntil) throw locked(lockedUntil);
      throw new AppError('INVALID_MFA_CODE', 'The authentication code is not valid.');
    }
    return { mfaAt: now.toISOString() };
  }

  /**
   * The sign-in steps other factors (passkeys) share with password + TOTP, so lockout, failure
   * counting, refusal audit and session issuance stay one implementation.
   */
  const signInSteps = {
    /** Reserves one attempt in its own transaction; `locked` is the lock expiry when refused. */
    reserveAttempt: (userId: string, meta: RequestMeta) =>
      db.transaction().execute((trx) => reserveAttempt(trx, userId, meta)),
    recordFailure,
    auditRefusal,
    issueSession,
    lockedError: locked,
  };

  return { login, completeMfa, stepUp, authenticate, logout, changePassword, signInSteps };
}

export type AuthService = ReturnType<typeof createAuthService>;
