/**
 * Cross-border transfer mechanisms over HTTP: list (`transfer.read`: compliance_officer, it_admin),
 * record and revoke (`transfer.write`: compliance_officer only). Revocation takes effect on the next
 * read of another region's data.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorFrom } from '../users/users.routes.ts';
import { TRANSFER_MECHANISMS, type TransfersService } from './transfers.service.ts';

const region = z
  .string()
  .regex(/^[a-z]{2}(-[a-z0-9-]{1,30})?$/, 'a region looks like "eu", "us" or "eu-west"')
  .describe('residency region');
const mechanismView = z.object({
  id: z.string(),
  from: z.string(),
  to: z.string(),
  mechanism: z.enum(TRANSFER_MECHANISMS),
  reference: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const transfersRoutes: FastifyPluginAsyncZod<{ transfers: TransfersService }> = async (
  app,
  { transfers },
) => {
  const system = (req: { auth: { tenantId: string } | null }) => ({
    type: 'System' as const,
    tenantId: req.auth!.tenantId,
  });

  app.get(
    '/v1/transfers',
    {
      config: { access: { action: 'transfer.read', resource: system } },
      schema: {
        tags: ['transfers'],
        operationId: 'listTransferMechanisms',
        summary: 'Recorded cross-border transfer mechanisms (active; revoked ones with includeRevoked)',
        querystring: z.strictObject({ includeRevoked: z.enum(['true', 'false']).default('false') }),
        response: { 200: z.object({ items: z.array(mechanismView) }) },
      },
    },
    async (req) => ({
      items: await transfers.list(req.auth!.tenantId, {
        includeRevoked: req.query.includeRevoked === 'true',
      }),
    }),
  );

  app.post(
    '/v1/transfers',
    {
      config: { access: { action: 'transfer.write', resource: system } },
      bodyLimit: 4 * 1024,
      schema: {
        tags: ['transfers'],
        operationId: 'allowTransfer',
        summary: 'Record a transfer mechanism: users of `to` may then read personal data of `from`',
        description:
          'One active mechanism per region pair (409 while one exists; revoke it to replace it). ' +
          'Audited as transfer.allow.',
        body: z.strictObject({
          from: region,
          to: region,
          mechanism: z
            .enum(TRANSFER_MECHANISMS)
            .describe('adequacy decision, standard contractual clauses or BCR'),
          reference: z
            .string()
            .trim()
            .max(500)
            .optional()
            .describe('e.g. the SCC module and contract reference'),
        }),
        response: { 201: mechanismView },
      },
    },
    async (req, reply) => {
      const created = await transfers.allow(actorFrom(req), req.body);
      return reply.code(201).send(created);
    },
  );

  app.delete(
    '/v1/transfers/:id',
    {
      config: { access: { action: 'transfer.write', resource: system } },
      schema: {
        tags: ['transfers'],
        operationId: 'revokeTransfer',
        summary:
          'Revoke a transfer mechanism; reads of that region stop at once (audited as transfer.revoke)',
        params: z.object({ id: z.string().uuid() }),
        response: { 200: mechanismView },
      },
    },
    async (req) => transfers.revoke(actorFrom(req), { id: req.params.id }),
  );
};
