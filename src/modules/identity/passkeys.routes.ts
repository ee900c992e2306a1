import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_COOKIE } from '../../http/auth.plugin.ts';
import { selfResource } from './auth.routes.ts';
import type { PasskeysService } from './passkeys.service.ts';

const b64url = (max: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'must be base64url')
    .min(1)
    .max(max);
const transports = z.array(z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])).max(8);

/** What @simplewebauthn/browser's startRegistration() returns (extra fields are passed through). */
const registrationResponse = z.looseObject({
  id: b64url(1400),
  rawId: b64url(1400),
  type: z.literal('public-key'),
  response: z.looseObject({
    clientDataJSON: b64url(4096),
    attestationObject: b64url(16 * 1024),
    transports: transports.optional(),
  }),
  clientExtensionResults: z.looseObject({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});

/** What startAuthentication() returns. */
const authenticationResponse = z.looseObject({
  id: b64url(1400),
  rawId: b64url(1400),
  type: z.literal('public-key'),
  response: z.looseObject({
    clientDataJSON: b64url(4096),
    authenticatorData: b64url(4096),
    signature: b64url(1024),
    userHandle: b64url(128).optional(),
  }),
  clientExtensionResults: z.looseObject({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});

const passkeyView = z.object({
  id: z.string(),
  name: z.string(),
  deviceType: z.enum(['singleDevice', 'multiDevice']),
  backedUp: z.boolean(),
  transports: z.array(z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});

const sessionIssued = z.object({
  status: z.literal('ok'),
  token: z.string(),
  expiresAt: z.string(),
  idleTimeoutSeconds: z.number(),
  passwordChangeRequired: z.boolean(),
});

const creationOptions = z
  .looseObject({ challenge: z.string() })
  .describe('PublicKeyCredentialCreationOptionsJSON');
const requestOptions = z
  .looseObject({ challenge: z.string() })
  .describe('PublicKeyCredentialRequestOptionsJSON');

type Opts = {
  passkeys: PasskeysService;
  rateLimitPerMinute: number;
  secureCookie: boolean;
  maxSessionSeconds: number;
};

/** Passkey registration and management (own account, fresh MFA) and passwordless sign-in. */
export const passkeysRoutes: FastifyPluginAsyncZod<Opts> = async (
  app,
  { passkeys, rateLimitPerMinute, secureCookie, maxSessionSeconds },
) => {
  const rateLimit = { max: rateLimitPerMinute, timeWindow: '1 minute' };
  const meta = (req: { ip: string; id: string }) => ({ ip: req.ip, requestId: req.id });
  // Managing one's own passkeys is a credential change on one's own account.
  const ownCredentials = {
    action: 'auth.changePassword' as const,
    resource: (req: import('fastify').FastifyRequest) => selfResource(req),
  };

  app.post(
    '/v1/auth/passkeys/registration/options',
    {
      config: { access: ownCredentials, rateLimit },
      schema: {
        tags: ['auth'],
        operationId: 'passkeyRegistrationOptions',
        summary: 'Options for navigator.credentials.create() (needs an MFA within 15 minutes)',
        response: { 200: creationOptions },
      },
    },
    async (req) => ({ ...(await passkeys.registrationOptions(req.auth!)) }),
  );

  app.post(
    '/v1/auth/passkeys/registration/verify',
    {
      config: { access: ownCredentials, rateLimit },
      bodyLimit: 32 * 1024,
      schema: {
        tags: ['auth'],
        operationId: 'passkeyRegistrationVerify',
        summary: 'Register the passkey the browser created (user verification required)',
        body: z.strictObject({
          response: registrationResponse,
          name: z
            .string()
            .trim()
            .min(1)
            .max(64)
            .regex(/^[^\p{Cc}]*$/u, 'no control characters')
            .optional(),
        }),
        response: { 201: passkeyView },
      },
    },
    async (req, reply) => {
      const view = await passkeys.registrationVerify(
        req.auth!,
        { response: req.body.response as unknown as RegistrationResponseJSON, name: req.body.name },
        meta(req),
      );
      return reply.code(201).send(view);
    },
  );

  app.get(
    '/v1/auth/passkeys',
    {
      config: { access: { action: 'me.read', resource: (req) => selfResource(req) } },
      schema: {
        tags: ['auth'],
        operationId: 'listPasskeys',
        summary: 'Your passkeys',
        response: { 200: z.object({ items: z.array(passkeyView) }) },
      },
    },
    async (req) => ({ items: await passkeys.list(req.auth!) }),
  );

  app.delete(
    '/v1/auth/passkeys/:id',
    {
      config: { access: ownCredentials, rateLimit },
      schema: {
        tags: ['auth'],
        operationId: 'deletePasskey',
        summary: 'Remove one of your passkeys (needs an MFA within 15 minutes)',
        params: z.object({ id: z.string().max(64) }),
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await passkeys.remove(req.auth!, req.params.id, meta(req));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/passkeys/login/options',
    {
      config: { access: { action: 'public' }, rateLimit },
      bodyLimit: 8 * 1024,
      schema: {
        tags: ['auth'],
        operationId: 'passkeyLoginOptions',
        summary: 'Options for navigator.credentials.get(); without a username, a discoverable sign-in',
        body: z
          .strictObject({
            username: z.string().min(1).max(64).optional(),
            tenant: z
              .string()
              .min(1)
              .max(63)
              .optional()
              .describe('Tenant slug; omit on a single-tenant install'),
          })
          .default({}),
        response: { 200: requestOptions },
      },
    },
    async (req) => ({ ...(await passkeys.loginOptions(req.body)) }),
  );

  app.post(
    '/v1/auth/passkeys/login/verify',
    {
      config: { access: { action: 'public' }, rateLimit },
      bodyLimit: 16 * 1024,
      schema: {
        tags: ['auth'],
        operationId: 'passkeyLoginVerify',
        summary:
          'Sign in with a passkey (user verification required): answers with a session, like /v1/auth/mfa',
        body: z.strictObject({ response: authenticationResponse }),
        response: { 200: sessionIssued },
      },
    },
    async (req, reply) => {
      const issued = await passkeys.loginVerify(
        { response: req.body.response as unknown as AuthenticationResponseJSON },
        meta(req),
      );
      reply.setCookie(SESSION_COOKIE, issued.token, {
        httpOnly: true,
        secure: secureCookie,
        sameSite: 'strict',
        path: '/',
        maxAge: maxSessionSeconds,
      });
      return issued;
    },
  );
};
