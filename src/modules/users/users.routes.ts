import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, isAppError } from '../../lib/errors.ts';
import { ROLES } from '../access/roles.ts';
import { selfResource } from '../identity/auth.routes.ts';
import { toPrincipal } from '../identity/auth.service.ts';
import { type Actor, PERMISSIONS, type UsersService, type UserView } from './users.service.ts';

const userView = z.object({
  id: z.string(),
  username: z.string(),
  roles: z.array(z.enum(ROLES)),
  teams: z.array(z.object({ id: z.string(), name: z.string() })),
  region: z.string(),
  site: z.string().nullable(),
  status: z.enum(['active', 'disabled']),
  permissions: z.array(z.enum(PERMISSIONS)),
  mfaEnrolled: z.boolean(),
  lockedUntil: z.string().nullable(),
  mustChangePassword: z.boolean(),
  createdAt: z.string(),
});
const idParams = z.strictObject({ id: z.uuid() });

export const actorFrom = (req: FastifyRequest): Actor => ({
  tenantId: req.auth!.tenantId,
  userId: req.auth!.userId,
  roles: req.auth!.roles,
  sessionId: req.auth!.sessionId,
  ip: req.ip,
  requestId: req.id,
  channel: 'api',
});

const asResource = (u: UserView, tenantId: string) => ({
  type: 'UserAccount' as const,
  id: u.id,
  tenantId,
  region: u.region,
  teams: u.teams.map((t) => t.id),
});

/** User administration (it_admin) and scoped user directory reads. */
export const usersRoutes: FastifyPluginAsyncZod<{ users: UsersService }> = async (app, { users }) => {
  const load = async (req: FastifyRequest, id: string) => {
    const u = await users.getUser(req.auth!.tenantId, id);
    if (!u) {
      // Authorize against a placeholder first so probing ids without the right is a 403, not a 404 oracle.
      await req.authorize({ type: 'UserAccount', id, tenantId: req.auth!.tenantId, region: '', teams: [] });
      throw new AppError('NOT_FOUND', 'No user with this id.');
    }
    await req.authorize(asResource(u, req.auth!.tenantId));
    return u;
  };

  app.get(
    '/v1/users',
    {
      // Listing is decided on the caller's own account: it_admin and supervisors with teams may list, in their SQL scope.
      config: { access: { action: 'user.list', resource: (req) => selfResource(req) } },
      schema: {
        tags: ['users'],
        operationId: 'listUsers',
        summary:
          "Users within the caller's scope: the tenant for it_admin, their teams' members for a supervisor",
        querystring: z.strictObject({
          cursor: z.string().max(400).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          team: z.uuid().optional(),
        }),
        response: { 200: z.object({ data: z.array(userView), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => users.listUsers(toPrincipal(req.auth!), req.query),
  );

  app.post(
    '/v1/users',
    {
      config: {
        access: {
          action: 'user.create',
          resource: (req) => {
            const body = req.body as { region?: string };
            return {
              type: 'UserAccount',
              id: 'new',
              tenantId: req.auth!.tenantId,
              region: body.region ?? '',
              teams: [],
            };
          },
        },
      },
      bodyLimit: 16 * 1024,
      schema: {
        tags: ['users'],
        operationId: 'createUser',
        summary: 'Create a user with an initial password they must change at first sign-in',
        body: z.strictObject({
          username: z.string().min(2).max(63),
          roles: z.array(z.enum(ROLES)).min(1).max(9),
          teams: z.array(z.string().min(1).max(64)).max(50).default([]),
          region: z.string().min(2).max(40),
          site: z.string().min(1).max(64).optional(),
          password: z.string().min(1).max(1024),
        }),
        response: { 201: userView },
      },
    },
    async (req, reply) => {
      const created = await users.createUser(actorFrom(req), { ...req.body, mustChangePassword: true });
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/v1/users/:id',
    {
      config: { access: { action: 'user.read' } },
      schema: { tags: ['users'], operationId: 'getUser', params: idParams, response: { 200: userView } },
    },
    async (req) => load(req, req.params.id),
  );

  app.patch(
    '/v1/users/:id',
    {
      config: { access: { action: 'user.update' } },
      bodyLimit: 16 * 1024,
      schema: {
        tags: ['users'],
        operationId: 'updateUser',
        summary:
          "Replace a user's roles, teams or permissions, or disable the account (their sessions are revoked)",
        params: idParams,
        body: z.strictObject({
          roles: z.array(z.enum(ROLES)).min(1).max(9).optional(),
          status: z
            .enum(['active', 'disabled'])
            .optional()
            .describe('disabled: the person can no longer sign in (leavers)'),
          teams: z.array(z.string().min(1).max(64)).max(50).optional(),
          permissions: z
            .array(z.enum(PERMISSIONS))
            .max(PERMISSIONS.length)
            .optional()
            .describe(
              'Role-independent grants; replaces the current set. detokenize: may reveal tokenized values',
            ),
        }),
        response: { 200: userView },
      },
    },
    async (req) => {
      await load(req, req.params.id);
      return users.updateUser(actorFrom(req), req.params.id, req.body);
    },
  );

  app.post(
    '/v1/users/:id/revoke-sessions',
    {
      config: { access: { action: 'user.revokeSessions' } },
      schema: {
        tags: ['users'],
        operationId: 'revokeSessions',
        params: idParams,
        response: { 200: z.object({ revoked: z.number() }) },
      },
    },
    async (req) => {
      await load(req, req.params.id);
      return { revoked: await users.revokeSessions(actorFrom(req), req.params.id) };
    },
  );

  app.post(
    '/v1/users/:id/unlock',
    {
      config: { access: { action: 'user.unlock' } },
      schema: { tags: ['users'], operationId: 'unlockUser', params: idParams, response: { 204: z.null() } },
    },
    async (req, reply) => {
      await load(req, req.params.id);
      await users.unlock(actorFrom(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/users/:id/reset-mfa',
    {
      config: { access: { action: 'user.resetMfa' } },
      schema: {
        tags: ['users'],
        operationId: 'resetUserMfa',
        summary:
          "Reset a user's MFA (lost authenticator): clears TOTP, recovery codes and passkeys and signs them out; they enrol again at next sign-in",
        description:
          'it_admin only, and never on your own account (403, policy no-self-mfa-reset): another ' +
          'administrator, or an operator with `bulwark users reset-mfa`, resets an administrator.',
        params: idParams,
        response: {
          200: z.object({
            revokedSessions: z.number().int(),
            removedPasskeys: z.number().int(),
            removedRecoveryCodes: z.number().int().describe('Unused recovery codes that were deleted'),
          }),
        },
      },
    },
    async (req) => {
      try {
        await load(req, req.params.id);
      } catch (e) {
        if (isAppError(e) && e.code === 'FORBIDDEN' && req.params.id === req.auth!.userId)
          throw new AppError(
            'FORBIDDEN',
            'You cannot reset your own MFA: ask another IT administrator, or an operator to run `bulwark users reset-mfa`.',
            { details: { reason: 'SELF_MFA_RESET' } },
          );
        throw e;
      }
      return users.resetMfa(actorFrom(req), req.params.id);
    },
  );
};
