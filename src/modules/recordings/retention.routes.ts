/**
 * Retention policies over HTTP (`config.*`, it_admin) and an on-demand purge run. The scheduled
 * purge runs as a job in `bulwark serve` every BULWARK_PURGE_INTERVAL_SECONDS.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorFrom } from '../users/users.routes.ts';
import type { RetentionService } from './retention.service.ts';

const policyView = z.object({
  id: z.string(),
  kind: z.enum(['audio', 'screen']).nullable(),
  region: z.string().nullable(),
  tag: z.string().nullable(),
  retainDays: z.number(),
});

export const retentionRoutes: FastifyPluginAsyncZod<{ retention: RetentionService }> = async (
  app,
  { retention },
) => {
  const system = (req: { auth: { tenantId: string } | null }) => ({
    type: 'System' as const,
    tenantId: req.auth!.tenantId,
  });

  app.get(
    '/v1/retention-policies',
    {
      config: { access: { action: 'config.read', resource: system } },
      schema: {
        tags: ['retention'],
        operationId: 'listRetentionPolicies',
        summary: 'Retention policies (the most specific matching policy decides; none matching keeps)',
        response: { 200: z.object({ items: z.array(policyView) }) },
      },
    },
    async (req) => ({ items: await retention.list(req.auth!.tenantId) }),
  );

  app.put(
    '/v1/retention-policies',
    {
      config: { access: { action: 'config.write', resource: system } },
      bodyLimit: 4 * 1024,
      schema: {
        tags: ['retention'],
        operationId: 'setRetentionPolicy',
        summary: 'Create or replace the policy for one selector (kind, region, tag; omitted = any)',
        body: z.strictObject({
          kind: z.enum(['audio', 'screen']).optional(),
          region: z.string().min(1).max(50).optional(),
          tag: z.string().min(1).max(64).optional(),
          retainDays: z.number().int().min(1).max(36_500),
        }),
        response: { 200: policyView },
      },
    },
    async (req) => retention.set(actorFrom(req), req.body),
  );

  app.delete(
    '/v1/retention-policies/:id',
    {
      config: { access: { action: 'config.write', resource: system } },
      schema: {
        tags: ['retention'],
        operationId: 'deleteRetentionPolicy',
        summary: 'Remove a retention policy',
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await retention.remove(actorFrom(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/retention/purge',
    {
      config: { access: { action: 'config.write', resource: system } },
      schema: {
        tags: ['retention'],
        operationId: 'purgeExpiredRecordings',
        summary:
          'Crypto-shred and delete expired recordings now (legal holds respected); dryRun reports only',
        querystring: z.strictObject({ dryRun: z.enum(['true', 'false']).optional() }),
        response: {
          200: z.object({
            examined: z.number(),
            purged: z.array(z.object({ id: z.string(), policyId: z.string(), bytes: z.number() })),
            held: z.array(z.string()),
            failed: z.array(z.object({ id: z.string(), reason: z.string() })),
            dryRun: z.boolean(),
          }),
        },
      },
    },
    async (req) => retention.purge(actorFrom(req), { dryRun: req.query.dryRun === 'true' }),
  );
};
