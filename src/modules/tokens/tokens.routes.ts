import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { AppError, isAppError } from '../../lib/errors.ts';
import { ENTITY_TYPES } from '../redaction/engine/types.ts';
import { actorFrom } from '../users/users.routes.ts';
import type { TokensService } from './tokens.service.ts';

/** Detokenizing needs MFA this recent (the `detokenize-permitted` Cedar policy checks the same). */
const DETOKENIZE_MFA_SECONDS = 900;

const tokenResult = z.object({ token: z.string(), expiresAt: z.string().nullable() });

/**
 * POST /v1/tokens and POST /v1/tokens/detokenize: the token vault over HTTP. Request bodies hold
 * card data and are never logged (Fastify logs no bodies; nothing here does either).
 */
export const tokensRoutes: FastifyPluginAsyncZod<{ tokens: TokensService; clock: Clock }> = async (
  app,
  { tokens, clock },
) => {
  app.post(
    '/v1/tokens',
    {
      config: {
        access: {
          action: 'token.create',
          resource: (req) => ({ type: 'System', tenantId: req.auth!.tenantId }),
        },
      },
      bodyLimit: 16 * 1024,
      schema: {
        tags: ['tokens'],
        operationId: 'createToken',
        summary: 'Swap a sensitive value for a token (random Luhn-invalid by default, or FF1)',
        body: z.strictObject({
          value: z.string().min(1).max(1024),
          // PIN (like CVV, already an entity type) is accepted only so the service can refuse it clearly.
          type: z.enum([...ENTITY_TYPES, 'PIN']),
          mode: z.enum(['random', 'ff1']).optional(),
          deterministic: z.boolean().optional().describe('same tenant + same value gives the same token'),
          ttlSeconds: z
            .number()
            .int()
            .min(1)
            .max(10 * 365 * 24 * 3600)
            .optional(),
          metadata: z
            .record(z.string().max(64), z.string().max(256))
            .optional()
            .refine((m) => m === undefined || Object.keys(m).length <= 20, 'at most 20 metadata keys'),
        }),
        response: { 201: tokenResult },
      },
    },
    async (req, reply) => reply.code(201).send(await tokens.tokenize(actorFrom(req), req.body)),
  );

  app.post(
    '/v1/tokens/detokenize',
    {
      config: { access: { action: 'token.detokenize' } },
      bodyLimit: 4 * 1024,
      schema: {
        tags: ['tokens'],
        operationId: 'detokenize',
        summary:
          'Reveal the value behind a token: needs the detokenize permission, MFA within 15 minutes and a purpose',
        body: z.strictObject({
          token: z.string().min(1).max(200),
          purpose: z
            .string()
            .trim()
            .min(3)
            .max(200)
            .describe('why the value is needed; recorded in the audit log'),
        }),
        response: { 200: z.object({ value: z.string(), type: z.string() }) },
      },
    },
    async (req) => {
      const { token, purpose } = req.body;
      try {
        await req.authorize({ type: 'System', tenantId: req.auth!.tenantId }, { purpose });
      } catch (e) {
        const mfaAgeSeconds = (clock.now().getTime() - req.auth!.mfaAt.getTime()) / 1000;
        if (isAppError(e) && e.code === 'FORBIDDEN' && mfaAgeSeconds > DETOKENIZE_MFA_SECONDS)
          throw new AppError(
            'FORBIDDEN',
            'Detokenizing needs an MFA check within the last 15 minutes: sign in again ' +
              '(POST /v1/auth/login, then /v1/auth/mfa) and retry.',
            { details: { reason: 'mfa_stale', maxMfaAgeSeconds: DETOKENIZE_MFA_SECONDS } },
          );
        throw e;
      }
      return tokens.detokenize(actorFrom(req), { token, purpose });
    },
  );
};
