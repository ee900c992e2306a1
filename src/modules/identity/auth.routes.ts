import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_COOKIE } from '../../http/auth.plugin.ts';
import type { Authorizer } from '../access/authorizer.ts';
import { CONSOLE_CAPABILITIES, consoleCapabilities } from '../access/console-capabilities.ts';
import { ROLES } from '../access/roles.ts';
import { type AuthService, toPrincipal } from './auth.service.ts';

const sessionIssued = z.object({
  status: z.literal('ok'),
  token: z.string(),
  expiresAt: z.string(),
  idleTimeoutSeconds: z.number(),
  passwordChangeRequired: z.boolean(),
  recoveryCodes: z.array(z.string()).optional().describe('Shown once, after TOTP enrolment'),
});

const loginResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('mfa_required'), challenge: z.string() }),
  z.object({
    status: z.literal('mfa_enrollment_required'),
    challenge: z.string(),
    totp: z.object({ secret: z.string(), uri: z.string() }),
  }),
  sessionIssued,
]);

const meResponse = z.object({
  id: z.string(),
  username: z.string(),
  tenantId: z.string(),
  roles: z.array(z.enum(ROLES)),
  teams: z.array(z.string()),
  region: z.string(),
  sessionId: z.string(),
  mfaAt: z.string(),
  passwordChangeRequired: z.boolean(),
  idleTimeoutSeconds: z
    .number()
    .describe('Seconds without activity after which the session ends (the console locks at the same time)'),
  capabilities: z
    .array(z.enum(CONSOLE_CAPABILITIES))
    .describe(
      'Console screens the policies let this user use (as if MFA were fresh). A navigation hint, not authorization: every API call is still decided.',
    ),
});

const stepUpResponse = z.object({
  mfaAt: z.string().describe("The session's new MFA time (ISO 8601)"),
});

type Opts = {
  auth: AuthService;
  rateLimitPerMinute: number;
  secureCookie: boolean;
  maxSessionSeconds: number;
  idleSessionSeconds: number;
  /** Answers the console-capability probes of GET /v1/me (never audited: they access nothing). */
  authorizer: Pick<Authorizer, 'authorize'>;
  /** BULWARK_SUPERVISOR_PLAYBACK, as the capability probes' `context.supervisorPlayback`. */
  supervisorPlayback: boolean;
};

/** Sign-in, MFA, sign-out, password change and the caller's own identity. */
export const authRoutes: FastifyPluginAsyncZod<Opts> = async (
  app,
  {
    auth,
    rateLimitPerMinute,
    secureCookie,
    maxSessionSeconds,
    idleSessionSeconds,
    authorizer,
    supervisorPlayback,
  },
) => {
  const rateLimit = { max: rateLimitPerMinute, timeWindow: '1 minute' };
  const meta = (req: { ip: string; id: string }) => ({ ip: req.ip, requestId: req.id });
  const setCookie = (reply: import('fastify').FastifyReply, token: string) =>
    reply.setCookie(SESSION_COOKIE, token, {
      httpOnly: true,
      secure: secureCookie,
      sameSite: 'strict',
      path: '/',
      maxAge: maxSessionSeconds,
    });

  app.post(
    '/v1/auth/login',
    {
      config: { access: { action: 'public' }, rateLimit },
      bodyLimit: 8 * 1024,
      schema: {
        tags: ['auth'],
        operationId: 'login',
        summary: 'Verify username and password; answers with an MFA challenge',
        body: z.strictObject({
          username: z.string().min(1).max(64),
          password: z.string().min(1).max(1024),
          tenant: z
            .string()
            .min(1)
            .max(63)
            .optional()
            .describe('Tenant slug; omit on a single-tenant install'),
        }),
        response: { 200: loginResponse },
      },
    },
    async (req, reply) => {
      const result = await auth.login(req.body, meta(req));
      if (result.status === 'ok') setCookie(reply, result.token);
      return result;
    },
  );

  app.post(
    '/v1/auth/mfa',
    {
      config: { access: { action: 'public' }, rateLimit },
      bodyLimit: 8 * 1024,
      schema: {
        tags: ['auth'],
        operationId: 'completeMfa',
        summary: 'Complete sign-in with a TOTP code or a single-use recovery code',
        body: z.strictObject({
          challenge: z.string().min(1).max(200),
          code: z.string().min(1).max(16).optional(),
          recoveryCode: z.string().min(1).max(64).optional(),
        }),
        response: { 200: sessionIssued },
      },
    },
    async (req, reply) => {
      const issued = await auth.completeMfa(req.body, meta(req));
      setCookie(reply, issued.token);
      return issued;
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      config: {
        access: {
          action: 'auth.logout',
          allowDuringPasswordChange: true,
          resource: (req) => selfResource(req),
        },
      },
      schema: {
        tags: ['auth'],
        operationId: 'logout',
        summary: 'End the current session',
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await auth.logout(req.auth!, meta(req));
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/password',
    {
      config: {
        access: {
          action: 'auth.changePassword',
          allowDuringPasswordChange: true,
          resource: (req) => selfResource(req),
        },
        rateLimit,
      },
      bodyLimit: 8 * 1024,
      schema: {
        tags: ['auth'],
        operationId: 'changePassword',
        summary: 'Change your password (other sessions are signed out)',
        body: z.strictObject({
          currentPassword: z.string().min(1).max(1024),
          newPassword: z.string().min(1).max(1024),
        }),
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await auth.changePassword(req.auth!, req.body, meta(req));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/step-up',
    {
      config: {
        access: {
          action: 'auth.stepUp',
          allowDuringPasswordChange: false,
          resource: (req) => selfResource(req),
        },
        rateLimit,
      },
      bodyLimit: 8 * 1024,
      schema: {
        tags: ['auth'],
        operationId: 'stepUpMfa',
        summary:
          "Re-verify your second factor (TOTP or a recovery code) in this session; refreshes the session's MFA time",
        description:
          'Actions behind the fresh-MFA guardrail (recording playback, detokenization, passkey management) ' +
          'need an MFA check within 15 minutes. Send exactly one of code or recoveryCode. Same lockout and ' +
          'replay rules as POST /v1/auth/mfa; a wrong code is 401 INVALID_MFA_CODE (the session stays valid).',
        body: z
          .strictObject({
            code: z.string().min(1).max(16).optional().describe('Current code from the authenticator app'),
            recoveryCode: z.string().min(1).max(64).optional().describe('A single-use recovery code'),
          })
          .refine((b) => (b.code === undefined) !== (b.recoveryCode === undefined), {
            message: 'send exactly one of code or recoveryCode',
            path: ['code'],
          }),
        response: { 200: stepUpResponse },
      },
    },
    async (req) => auth.stepUp(req.auth!, req.body, meta(req)),
  );

  app.get(
    '/v1/me',
    {
      config: {
        access: { action: 'me.read', allowDuringPasswordChange: true, resource: (req) => selfResource(req) },
      },
      schema: {
        tags: ['auth'],
        operationId: 'me',
        summary: 'The signed-in user, roles, session and the console screens they may use',
        response: { 200: meResponse },
      },
    },
    async (req) => {
      const a = req.auth!;
      return {
        id: a.userId,
        username: a.username,
        tenantId: a.tenantId,
        roles: a.roles,
        teams: a.teams,
        region: a.region,
        sessionId: a.sessionId,
        mfaAt: a.mfaAt.toISOString(),
        passwordChangeRequired: a.mustChangePassword,
        idleTimeoutSeconds: idleSessionSeconds,
        capabilities: consoleCapabilities(authorizer, toPrincipal(a), { supervisorPlayback }),
      };
    },
  );
};

/** The caller's own account as a Cedar resource. */
export function selfResource(req: import('fastify').FastifyRequest) {
  const a = req.auth!;
  return {
    type: 'UserAccount' as const,
    id: a.userId,
    tenantId: a.tenantId,
    region: a.region,
    teams: a.teams,
  };
}
