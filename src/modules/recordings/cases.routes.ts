/**
 * Investigation cases over HTTP: open, read, assign, link recordings, close, and legal holds on a
 * whole case. Compliance officers run cases; security analysts read the cases assigned to them.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorFrom } from '../users/users.routes.ts';
import type { CasesService } from './cases.service.ts';

/** A legal hold as the API shows it (recording and case routes alike). */
export const holdView = z.object({
  id: z.string(),
  recordingId: z.string().nullable(),
  caseId: z.string().nullable(),
  reason: z.string(),
  placedBy: z.string().nullable(),
  placedAt: z.string(),
  releasedAt: z.string().nullable(),
});
const caseView = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(['open', 'closed']),
  assigneeUserId: z.string().nullable(),
  recordings: z.array(z.string()),
  legalHolds: z.array(holdView),
  createdAt: z.string(),
  closedAt: z.string().nullable(),
});
const idParams = z.object({ id: z.uuid() });

export const casesRoutes: FastifyPluginAsyncZod<{ cases: CasesService }> = async (app, { cases }) => {
  app.post(
    '/v1/cases',
    {
      config: {
        access: {
          action: 'case.write',
          // A case that does not exist yet: authorized as an unassigned case of the caller's tenant.
          resource: (req) => ({ type: 'Case', id: 'new', tenantId: req.auth!.tenantId, assigneeUserId: '' }),
        },
      },
      bodyLimit: 4 * 1024,
      schema: {
        tags: ['cases'],
        operationId: 'openCase',
        summary:
          'Open an investigation case, optionally assigned to a compliance officer or security analyst',
        body: z.strictObject({
          title: z.string().trim().min(1).max(200).describe('no customer data: use a reference'),
          assigneeUserId: z.uuid().optional(),
        }),
        response: { 201: caseView },
      },
    },
    async (req, reply) => reply.code(201).send(await cases.open(actorFrom(req), req.body)),
  );

  app.get(
    '/v1/cases',
    {
      config: { access: { action: 'case.read' } },
      schema: {
        tags: ['cases'],
        operationId: 'listCases',
        summary: 'All cases (compliance officers) or the cases assigned to the caller',
        querystring: z.strictObject({ status: z.enum(['open', 'closed']).optional() }),
        response: { 200: z.object({ items: z.array(caseView) }) },
      },
    },
    async (req) => {
      const auth = req.auth!;
      // Authorized as "a case assigned to me": every case reader passes; the SQL scope below then
      // narrows to assigned cases for everyone but compliance officers (the compliance-cases permit).
      await req.authorize({ type: 'Case', id: '*', tenantId: auth.tenantId, assigneeUserId: auth.userId });
      const all = auth.roles.includes('compliance_officer');
      return {
        items: await cases.list(auth.tenantId, {
          ...(all ? {} : { assignee: auth.userId }),
          ...(req.query.status ? { status: req.query.status } : {}),
        }),
      };
    },
  );

  app.get(
    '/v1/cases/:id',
    {
      config: { access: { action: 'case.read' } },
      schema: {
        tags: ['cases'],
        operationId: 'getCase',
        summary: 'One case with its linked recordings and legal holds',
        params: idParams,
        response: { 200: caseView },
      },
    },
    async (req) => {
      await req.authorize(await cases.resourceOf(req.auth!.tenantId, req.params.id));
      return cases.get(req.auth!.tenantId, req.params.id);
    },
  );

  app.post(
    '/v1/cases/:id/assign',
    {
      config: { access: { action: 'case.write' } },
      bodyLimit: 4 * 1024,
      schema: {
        tags: ['cases'],
        operationId: 'assignCase',
        summary: 'Assign an open case; the assignee may play its linked recordings while it stays open',
        params: idParams,
        body: z.strictObject({ assigneeUserId: z.uuid() }),
        response: { 200: caseView },
      },
    },
    async (req) => {
      await req.authorize(await cases.resourceOf(req.auth!.tenantId, req.params.id));
      return cases.assign(actorFrom(req), req.params.id, req.body.assigneeUserId);
    },
  );

  app.post(
    '/v1/cases/:id/recordings',
    {
      config: { access: { action: 'case.write' } },
      bodyLimit: 64 * 1024,
      schema: {
        tags: ['cases'],
        operationId: 'linkCaseRecordings',
        summary: 'Link recordings to an open case (each link audited with the purpose)',
        params: idParams,
        body: z.strictObject({
          recordingIds: z.array(z.uuid()).min(1).max(500),
          purpose: z.string().trim().min(3).max(200),
        }),
        response: { 200: caseView },
      },
    },
    async (req) => {
      await req.authorize(await cases.resourceOf(req.auth!.tenantId, req.params.id), {
        purpose: req.body.purpose,
      });
      return cases.link(actorFrom(req), req.params.id, req.body.recordingIds, req.body.purpose);
    },
  );

  app.post(
    '/v1/cases/:id/close',
    {
      config: { access: { action: 'case.write' } },
      schema: {
        tags: ['cases'],
        operationId: 'closeCase',
        summary: 'Close a case: access through it ends at once; its legal holds stay until released',
        params: idParams,
        response: { 200: caseView },
      },
    },
    async (req) => {
      await req.authorize(await cases.resourceOf(req.auth!.tenantId, req.params.id));
      return cases.close(actorFrom(req), req.params.id);
    },
  );

  app.post(
    '/v1/cases/:id/holds',
    {
      config: { access: { action: 'recording.hold' } },
      bodyLimit: 4 * 1024,
      schema: {
        tags: ['cases'],
        operationId: 'placeCaseHold',
        summary: 'Place a legal hold on a case: every recording linked to it is kept until released',
        params: idParams,
        body: z.strictObject({ reason: z.string().trim().min(3).max(500) }),
        response: { 201: holdView },
      },
    },
    async (req, reply) => {
      await req.authorize(await cases.resourceOf(req.auth!.tenantId, req.params.id), {
        purpose: req.body.reason,
      });
      return reply
        .code(201)
        .send(await cases.placeHold(actorFrom(req), { caseId: req.params.id }, req.body.reason));
    },
  );
};
