import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { decodeTextCursor, encodeTextCursor } from '../../lib/cursor.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { PrincipalSlice } from '../access/authorizer.ts';
import { ROLES, type Role } from '../access/roles.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { hashPassword } from '../identity/password-hash.ts';
import { checkPassword } from '../identity/password-policy.ts';

/** Who performs a change: a signed-in user (API), an operator at the CLI, or Bulwark itself. */
export type Actor = {
  tenantId: string;
  userId: string | null;
  roles: readonly string[];
  sessionId: string | null;
  ip: string | null;
  requestId: string | null;
  channel: 'api' | 'cli' | 'system';
};

export type UserView = {
  id: string;
  username: string;
  roles: Role[];
  teams: Array<{ id: string; name: string }>;
  region: string;
  site: string | null;
  status: 'active' | 'disabled';
  permissions: Permission[];
  mfaEnrolled: boolean;
  lockedUntil: string | null;
  mustChangePassword: boolean;
  createdAt: string;
};

export type NewUser = {
  username: string;
  roles: Role[];
  teams: string[];
  region: string;
  site?: string | null | undefined;
  password: string;
  mustChangePassword?: boolean;
};

/** Role-independent grants an administrator can give (checked by Cedar as `principal.permissions`). */
export const PERMISSIONS = ['detokenize'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{1,62}$/;
const DEFAULT_PAGE = 50;
const TEAM_BATCH = 500;

type Deps = { db: Kysely<Database>; audit: Pick<AuditService, 'append'>; clock: Clock; mfaRequired: boolean };

/** Users, their roles and teams. Every change is audited in the same transaction. */
export function createUsersService({ db, audit, clock, mfaRequired }: Deps) {
  const auditActor = (a: Actor) => ({ userId: a.userId, roles: a.roles, sessionId: a.sessionId, ip: a.ip });

  async function teamsOf(trx: Kysely<Database> | Transaction<Database>, userIds: string[]) {
    if (userIds.length === 0) return new Map<string, Array<{ id: string; name: string }>>();
    const rows = await trx
      .selectFrom('user_teams')
      .innerJoin('teams', 'teams.id', 'user_teams.team_id')
      .select(['user_teams.user_id', 'teams.id', 'teams.name'])
      .where('user_teams.user_id', 'in', userIds)
      .orderBy('teams.name')
      .execute();
    const map = new Map<string, Array<{ id: string; name: string }>>();
    for (const r of rows) map.set(r.user_id, [...(map.get(r.user_id) ?? []), { id: r.id, name: r.name }]);
    return map;
  }

  type UserRow = Selectable<Database['users']>;

  const present = (
    u: Pick<UserRow, (typeof userColumns)[number]>,
    teams: Array<{ id: string; name: string }>,
    now: Date,
  ): UserView => ({
    id: u.id,
    username: u.username,
    roles: u.roles as Role[],
    teams,
    region: u.region,
    site: u.site,
    status: u.status,
    permissions: u.permissions.filter((p): p is Permission => (PERMISSIONS as readonly string[]).includes(p)),
    mfaEnrolled: u.totp_enrolled_at !== null,
    lockedUntil: u.locked_until && u.locked_until > now ? u.locked_until.toISOString() : null,
    mustChangePassword: u.must_change_password,
    createdAt: u.created_at.toISOString(),
  });

  const userColumns = [
    'id',
    'username',
    'roles',
    'region',
    'site',
    'status',
    'permissions',
    'totp_enrolled_at',
    'locked_until',
    'must_change_password',
    'created_at',
  ] as const;

  function validateNewUser(input: NewUser) {
    const errors: Array<{ pointer: string; message: string }> = [];
    if (!USERNAME_RE.test(input.username))
      errors.push({
        pointer: '/username',
        message:
          'use 2-63 lower-case letters, digits, dot, dash or underscore, starting with a letter or digit',
      });
    if (input.roles.length === 0)
      errors.push({ pointer: '/roles', message: 'at least one role is required' });
    for (const r of input.roles)
      if (!(ROLES as readonly string[]).includes(r))
        errors.push({ pointer: '/roles', message: `unknown role "${r}"; roles are ${ROLES.join(', ')}` });
    if (!/^[a-z]{2}(-[a-z0-9-]{1,30})?$/.test(input.region))
      errors.push({ pointer: '/region', message: 'region must look like "eu", "us" or "eu-west"' });
    for (const t of input.teams)
      if (!/^[\p{L}\p{N} ._-]{1,64}$/u.test(t))
        errors.push({
          pointer: '/teams',
          message: 'team names are 1-64 letters, digits, spaces, dot, dash or underscore',
        });
    if (errors.length > 0)
      throw new AppError(
        'VALIDATION_FAILED',
        errors.map((e) => `${e.pointer.slice(1)}: ${e.message}`).join('; '),
        { details: { errors } },
      );
    const pw = checkPassword(input.password, {
      username: input.username,
      mfaEnrolledOrRequired: mfaRequired,
    });
    if (!pw.ok) throw new AppError('PASSWORD_REJECTED', pw.message, { details: { reason: pw.code } });
  }

  /**
   * Team ids by name, creating the teams that do not exist yet (in the caller's transaction). The
   * one place teams are created: users, recordings and WFM imports all name teams this way.
   */
  async function ensureTeams(
    trx: Kysely<Database> | Transaction<Database>,
    tenantId: string,
    names: readonly string[],
  ): Promise<Map<string, string>> {
    const unique = [...new Set(names)];
    const ids = new Map<string, string>();
    for (let i = 0; i < unique.length; i += TEAM_BATCH) {
      const chunk = unique.slice(i, i + TEAM_BATCH);
      await trx
        .insertInto('teams')
        .values(chunk.map((name) => ({ id: newId(), tenant_id: tenantId, name })))
        .onConflict((oc) => oc.columns(['tenant_id', 'name']).doNothing())
        .execute();
      const rows = await trx
        .selectFrom('teams')
        .select(['id', 'name'])
        .where('tenant_id', '=', tenantId)
        .where('name', 'in', chunk)
        .execute();
      for (const r of rows) ids.set(r.name, r.id);
    }
    return ids;
  }

  /** Creates a user (a new team is created on first use). Fails with CONFLICT on a taken username. */
  async function createUser(actor: Actor, input: NewUser): Promise<UserView> {
    validateNewUser(input);
    const passwordHash = await hashPassword(input.password); // outside the transaction: ~10 ms of CPU
    const id = newId();
    await db.transaction().execute(async (trx) => {
      const taken = await trx
        .selectFrom('users')
        .select('id')
        .where('tenant_id', '=', actor.tenantId)
        .where('username', '=', input.username)
        .executeTakeFirst();
      if (taken) throw new AppError('CONFLICT', `username "${input.username}" is already taken`);
      await trx
        .insertInto('users')
        .values({
          id,
          tenant_id: actor.tenantId,
          username: input.username,
          roles: [...new Set(input.roles)],
          region: input.region,
          site: input.site ?? null,
          password_hash: passwordHash,
          must_change_password: input.mustChangePassword ?? false,
        })
        .execute();
      const teamIds = [...(await ensureTeams(trx, actor.tenantId, input.teams)).values()];
      if (teamIds.length > 0)
        await trx
          .insertInto('user_teams')
          .values(teamIds.map((t) => ({ tenant_id: actor.tenantId, user_id: id, team_id: t })))
          .execute();
      await trx
        .insertInto('password_history')
        .values({ tenant_id: actor.tenantId, user_id: id, password_hash: passwordHash })
        .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'user.create',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'UserAccount', id },
        requestId: actor.requestId,
        details: {
          roles: [...new Set(input.roles)].join(','),
          teams: teamIds.join(','),
          region: input.region,
          channel: actor.channel,
        },
      });
    });
    return (await getUser(actor.tenantId, id))!;
  }

  async function getUser(tenantId: string, id: string): Promise<UserView | undefined> {
    const u = await db
      .selectFrom('users')
      .select([...userColumns])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!u) return undefined;
    return present(u, (await teamsOf(db, [u.id])).get(u.id) ?? [], clock.now());
  }

  async function getByUsername(tenantId: string, username: string): Promise<UserView | undefined> {
    const u = await db
      .selectFrom('users')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('username', '=', username)
      .executeTakeFirst();
    return u ? getUser(tenantId, u.id) : undefined;
  }

  async function requireByUsername(tenantId: string, username: string): Promise<UserView> {
    const u = await getByUsername(tenantId, username);
    if (!u) throw new AppError('NOT_FOUND', `no user named "${username}"`);
    return u;
  }

  /**
   * The caller's list scope, the SQL twin of the Cedar `user.read` policies (a differential test
   * keeps them equal): it_admin sees the tenant, a supervisor their teams' members, everyone themselves.
   */
  async function listUsers(
    principal: PrincipalSlice,
    opts: { cursor?: string | undefined; limit?: number | undefined; team?: string | undefined } = {},
  ) {
    const limit = opts.limit ?? DEFAULT_PAGE;
    const after = opts.cursor ? decodeTextCursor(opts.cursor) : undefined;
    const seesAll = principal.roles.includes('it_admin');
    const seesTeams = principal.roles.includes('supervisor') && principal.teams.length > 0;
    const rows = await db
      .selectFrom('users')
      .select([...userColumns])
      .where('tenant_id', '=', principal.tenantId)
      .$if(!seesAll, (q) =>
        q.where((eb) =>
          eb.or([
            eb('id', '=', principal.id),
            ...(seesTeams
              ? [
                  eb.exists(
                    eb
                      .selectFrom('user_teams')
                      .select('user_id')
                      .whereRef('user_teams.user_id', '=', 'users.id')
                      .where('user_teams.team_id', 'in', [...principal.teams]),
                  ),
                ]
              : []),
          ]),
        ),
      )
      .$if(opts.team !== undefined, (q) =>
        q.where(({ exists, selectFrom }) =>
          exists(
            selectFrom('user_teams')
              .select('user_id')
              .whereRef('user_teams.user_id', '=', 'users.id')
              .where('user_teams.team_id', '=', opts.team!),
          ),
        ),
      )
      .$if(after !== undefined, (q) => q.where('username', '>', after!))
      .orderBy('username')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const teams = await teamsOf(
      db,
      page.map((r) => r.id),
    );
    const now = clock.now();
    return {
      data: page.map((r) => present(r, teams.get(r.id) ?? [], now)),
      nextCursor:
        rows.length > limit && page.length > 0 ? encodeTextCursor(page[page.length - 1]!.username) : null,
    };
  }

  async function revokeSessions(actor: Actor, userId: string): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('sessions')
        .set({ revoked_at: clock.now(), revoked_reason: 'revoked_by_admin' })
        .where('tenant_id', '=', actor.tenantId)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      const count = Number(res.numUpdatedRows);
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'user.revokeSessions',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'UserAccount', id: userId },
        requestId: actor.requestId,
        details: { revoked: count, channel: actor.channel },
      });
      return count;
    });
  }

  async function unlock(actor: Actor, userId: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ failed_attempts: 0, locked_until: null, updated_at: clock.now() })
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', userId)
        .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'user.unlock',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'UserAccount', id: userId },
        requestId: actor.requestId,
        details: { channel: actor.channel },
      });
    });
  }

  /**
   * Resets a user's second factors so their next sign-in walks through TOTP enrolment again (a
   * lost phone): clears the TOTP secret, its last used step and enrolment time, deletes their
   * recovery codes, passkeys and pending MFA or passkey challenges, and revokes every session.
   * One transaction, audited as `user.mfaReset` with what was removed.
   */
  async function resetMfa(
    actor: Actor,
    userId: string,
  ): Promise<{ revokedSessions: number; removedPasskeys: number; removedRecoveryCodes: number }> {
    return db.transaction().execute(async (trx) => {
      const now = clock.now();
      const before = await trx
        .selectFrom('users')
        .select(['totp_enrolled_at'])
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', userId)
        .forUpdate()
        .executeTakeFirst();
      if (!before) throw new AppError('NOT_FOUND', 'no such user');
      await trx
        .updateTable('users')
        .set({ totp_secret_enc: null, totp_enrolled_at: null, totp_last_step: 0, updated_at: now })
        .where('id', '=', userId)
        .execute();
      const codes = await trx
        .deleteFrom('recovery_codes')
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      const passkeys = await trx
        .deleteFrom('webauthn_credentials')
        .where('user_id', '=', userId)
        .executeTakeFirst();
      await trx.deleteFrom('webauthn_challenges').where('user_id', '=', userId).execute();
      // A sign-in half done before the reset must not finish against the old factor.
      await trx
        .updateTable('auth_challenges')
        .set({ consumed_at: now })
        .where('user_id', '=', userId)
        .where('consumed_at', 'is', null)
        .execute();
      const sessions = await trx
        .updateTable('sessions')
        .set({ revoked_at: now, revoked_reason: 'mfa_reset' })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      const result = {
        revokedSessions: Number(sessions.numUpdatedRows),
        removedPasskeys: Number(passkeys.numDeletedRows),
        removedRecoveryCodes: Number(codes.numDeletedRows),
      };
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'user.mfaReset',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'UserAccount', id: userId },
        requestId: actor.requestId,
        details: { ...result, totpWasEnrolled: before.totp_enrolled_at !== null, channel: actor.channel },
      });
      return result;
    });
  }

  /** Replaces a user's roles and/or teams. */
  async function updateUser(
    actor: Actor,
    userId: string,
    change: {
      roles?: Role[] | undefined;
      teams?: string[] | undefined;
      status?: 'active' | 'disabled' | undefined;
      permissions?: string[] | undefined;
    },
  ): Promise<UserView> {
    if (change.roles) {
      if (change.roles.length === 0)
        throw new AppError('VALIDATION_FAILED', 'at least one role is required', {
          details: { errors: [{ pointer: '/roles', message: 'at least one role is required' }] },
        });
    }
    const unknown = change.permissions?.filter((p) => !(PERMISSIONS as readonly string[]).includes(p)) ?? [];
    if (unknown.length > 0)
      throw new AppError('VALIDATION_FAILED', `unknown permission; known: ${PERMISSIONS.join(', ')}`, {
        details: {
          errors: [{ pointer: '/permissions', message: `known permissions: ${PERMISSIONS.join(', ')}` }],
        },
      });
    await db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('users')
        .select(['roles', 'status', 'permissions'])
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', userId)
        .forUpdate()
        .executeTakeFirst();
      if (!before) throw new AppError('NOT_FOUND', 'no such user');
      const details: Record<string, string> = { channel: actor.channel };
      if (change.roles) {
        const roles = [...new Set(change.roles)];
        await trx
          .updateTable('users')
          .set({ roles, updated_at: clock.now() })
          .where('id', '=', userId)
          .execute();
        details.rolesBefore = before.roles.join(',');
        details.rolesAfter = roles.join(',');
      }
      if (change.teams) {
        const teamIds = [...(await ensureTeams(trx, actor.tenantId, change.teams)).values()];
        await trx.deleteFrom('user_teams').where('user_id', '=', userId).execute();
        if (teamIds.length > 0)
          await trx
            .insertInto('user_teams')
            .values(teamIds.map((t) => ({ tenant_id: actor.tenantId, user_id: userId, team_id: t })))
            .execute();
        details.teams = teamIds.join(',');
      }
      if (change.permissions) {
        const permissions = [...new Set(change.permissions)].sort();
        await trx
          .updateTable('users')
          .set({ permissions, updated_at: clock.now() })
          .where('id', '=', userId)
          .execute();
        details.permissionsBefore = before.permissions.join(',');
        details.permissionsAfter = permissions.join(',');
      }
      if (change.status && change.status !== before.status) {
        // Disabling is how a leaver is deprovisioned (PCI DSS 8.2.5): sign-in is refused from now on.
        await trx
          .updateTable('users')
          .set({ status: change.status, updated_at: clock.now() })
          .where('id', '=', userId)
          .execute();
        details.statusBefore = before.status;
        details.statusAfter = change.status;
      }
      // A privilege change must not ride on sessions opened under the old privileges.
      await trx
        .updateTable('sessions')
        .set({ revoked_at: clock.now(), revoked_reason: 'privileges_changed' })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'user.update',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'UserAccount', id: userId },
        requestId: actor.requestId,
        details,
      });
    });
    return (await getUser(actor.tenantId, userId))!;
  }

  const countUsers = async (tenantId: string) =>
    Number(
      (
        await db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenant_id', '=', tenantId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  return {
    ensureTeams,
    createUser,
    getUser,
    getByUsername,
    requireByUsername,
    listUsers,
    revokeSessions,
    unlock,
    resetMfa,
    updateUser,
    countUsers,
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
