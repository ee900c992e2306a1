import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import type { AuditService } from './audit.service.ts';

const auditEvent = z.object({
  v: z.literal(1),
  id: z.string(),
  time: z.string(),
  tenant: z.string(),
  actor: z.object({
    user: z.string().nullable(),
    roles: z.array(z.string()),
    session: z.string().nullable(),
    ip: z.string().nullable(),
  }),
  action: z.string(),
  resource: z.object({ type: z.string(), id: z.string().nullable() }),
  outcome: z.enum(['success', 'failure', 'allow', 'deny']),
  reason: z.string().nullable(),
  policies: z.array(z.string()),
  purpose: z.string().nullable(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  leafIndex: z
    .number()
    .nullable()
    .describe('Position in the Merkle log; null for the second or so before sequencing'),
});

const checkpoint = z.object({
  origin: z.string(),
  treeSize: z.number(),
  rootHash: z.string(),
  note: z.string(),
  verifierKey: z.string(),
});
const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

/** The tamper-evident audit log: events, signed checkpoints, inclusion and consistency proofs. */
export const auditRoutes: FastifyPluginAsyncZod<{ audit: AuditService }> = async (app, { audit }) => {
  const logResource = (req: import('fastify').FastifyRequest) => ({
    type: 'AuditLog' as const,
    tenantId: req.auth!.tenantId,
  });

  app.get(
    '/v1/audit/events',
    {
      config: { access: { action: 'audit.read', resource: logResource } },
      schema: {
        tags: ['audit'],
        operationId: 'listAuditEvents',
        summary: 'Audit events in log order, filtered; keyset pagination',
        querystring: z.strictObject({
          actor: z.uuid().optional().describe('Actor user id'),
          action: z.string().max(100).optional(),
          resourceType: z.string().max(60).optional(),
          resourceId: z.string().max(200).optional(),
          from: isoDate.optional(),
          to: isoDate.optional(),
          cursor: z.string().max(100).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ data: z.array(auditEvent), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => audit.listEvents({ tenantId: req.auth!.tenantId, ...req.query }),
  );

  app.get(
    '/v1/audit/checkpoint',
    {
      config: { access: { action: 'audit.checkpoint.read', resource: logResource } },
      schema: {
        tags: ['audit'],
        operationId: 'getAuditCheckpoint',
        summary: 'Latest signed checkpoint (C2SP tlog-checkpoint, Ed25519 signed note)',
        response: { 200: checkpoint },
      },
    },
    async (req) => {
      const cp = await audit.latestCheckpoint(req.auth!.tenantId);
      if (!cp) throw new AppError('NOT_FOUND', 'No checkpoint has been signed yet.');
      return cp;
    },
  );

  app.get(
    '/v1/audit/events/:id/proof',
    {
      config: { access: { action: 'audit.read', resource: logResource } },
      schema: {
        tags: ['audit'],
        operationId: 'getAuditInclusionProof',
        summary: 'RFC 9162 inclusion proof of an event in a signed checkpoint',
        params: z.strictObject({ id: z.uuid() }),
        querystring: z.strictObject({ treeSize: z.coerce.number().int().positive().optional() }),
        response: {
          200: z.object({
            leafIndex: z.number(),
            treeSize: z.number(),
            leafHash: z.string(),
            proof: z.array(z.string()),
            checkpoint: z.string(),
          }),
        },
      },
    },
    async (req) => audit.inclusionProof(req.auth!.tenantId, req.params.id, req.query.treeSize),
  );

  app.get(
    '/v1/audit/consistency',
    {
      config: { access: { action: 'audit.read', resource: logResource } },
      schema: {
        tags: ['audit'],
        operationId: 'getAuditConsistencyProof',
        summary: 'RFC 9162 consistency proof between two signed tree sizes',
        querystring: z.strictObject({
          from: z.coerce.number().int().positive(),
          to: z.coerce.number().int().positive(),
        }),
        response: {
          200: z.object({
            from: z.number(),
            to: z.number(),
            fromCheckpoint: z.string(),
            toCheckpoint: z.string(),
            proof: z.array(z.string()),
          }),
        },
      },
    },
    async (req) => audit.consistencyProof(req.auth!.tenantId, req.query.from, req.query.to),
  );
};
