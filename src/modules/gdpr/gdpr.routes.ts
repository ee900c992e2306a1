/**
 * GDPR over HTTP: access requests (`dsar.manage`, compliance officers), the self-service export of
 * one's own data (`dsar.exportOwn`), the record of processing activities (`processing.read`,
 * `processing.write`) and the transparency summary of what is kept about the caller (`me.read`).
 * Exports stream (JSON document, CSV per category, HTML summary) after `dsar.export` is audited.
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import { selfResource } from '../identity/auth.routes.ts';
import { actorFrom } from '../users/users.routes.ts';
import { DSAR_STATUSES, type DsarService, type PreparedExport } from './dsar.service.ts';
import {
  csvCell,
  csvOf,
  EXPORT_CATEGORIES,
  EXPORT_COLUMNS,
  type ExportCategory,
  htmlOf,
  jsonDocumentOf,
} from './dsar-export.ts';
import {
  PROCESSING_CATEGORIES,
  type ProcessingCategory,
  type ProcessingRecordService,
  processingRecordCsv,
} from './processing-record.ts';

const system = (req: { auth: { tenantId: string } | null }) => ({
  type: 'System' as const,
  tenantId: req.auth!.tenantId,
});

const dsarView = z.object({
  id: z.string(),
  subject: z.object({
    userId: z.string().nullable(),
    username: z.string().nullable(),
    agentIds: z.array(z.string()),
  }),
  status: z.enum(DSAR_STATUSES),
  receivedAt: z.string(),
  dueAt: z.string(),
  overdue: z.boolean(),
  note: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  exportCounts: z.record(z.string(), z.number()).nullable(),
});
const idParams = z.object({ id: z.uuid() });
const exportQuery = z.strictObject({
  format: z.enum(['json', 'csv', 'html']).default('json'),
  category: z.enum(EXPORT_CATEGORIES).optional().describe('the category of a CSV export (required for csv)'),
});
const processingEntry = z.object({
  category: z.enum(PROCESSING_CATEGORIES),
  title: z.string(),
  data: z.string(),
  purpose: z.string(),
  lawfulBasis: z.string(),
  specialCategory: z.boolean(),
  retention: z.string(),
  retentionConfiguredIn: z.string(),
  recipients: z.string(),
  transfers: z.string(),
  customized: z.boolean(),
});
const editText = z.string().trim().min(1).max(2000);

/** Which record-of-processing category describes each export category's retention. */
const RECORD_OF: Readonly<Record<ExportCategory, ProcessingCategory>> = {
  identity: 'identity',
  sessions: 'sessions',
  audit: 'audit',
  wfm_agent: 'wfm_agent',
  schedules: 'schedules',
  adherence_events: 'adherence_events',
  adherence_intervals: 'adherence_intervals',
  absences: 'absences',
  performance: 'performance',
  shift_swaps: 'shift_swaps',
  recordings: 'recordings_metadata',
};

export const gdprRoutes: FastifyPluginAsyncZod<{
  dsar: DsarService;
  processing: ProcessingRecordService;
}> = async (app, { dsar, processing }) => {
  /** Streams a prepared export in the asked format (the audit event is already written). */
  async function send(
    reply: FastifyReply,
    tenantId: string,
    out: PreparedExport,
    format: 'json' | 'csv' | 'html',
    category: ExportCategory | undefined,
    base: string,
  ) {
    reply.header('x-content-type-options', 'nosniff');
    if (format === 'csv') {
      const c = category!;
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${base}-${c}.csv"`);
      return reply.send(Readable.from(csvOf(EXPORT_COLUMNS[c], out.read(c))));
    }
    if (format === 'html') {
      const record = await processing.list(tenantId);
      const retention = Object.fromEntries(
        EXPORT_CATEGORIES.map((c) => [c, record.find((e) => e.category === RECORD_OF[c])?.retention ?? '']),
      );
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .header('content-disposition', `attachment; filename="${base}.html"`);
      return reply.send(Readable.from(htmlOf(out.meta, out.read, { retention })));
    }
    reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="${base}.json"`);
    return reply.send(Readable.from(jsonDocumentOf(out.meta, out.read)));
  }

  const needCategory = (format: string, category: ExportCategory | undefined) => {
    if (format === 'csv' && !category)
      throw new AppError('VALIDATION_FAILED', 'category is required with format=csv', {
        details: { errors: [{ pointer: '/category', message: `one of ${EXPORT_CATEGORIES.join(', ')}` }] },
      });
  };

  app.post(
    '/v1/dsar',
    {
      config: { access: { action: 'dsar.manage', resource: system } },
      bodyLimit: 8 * 1024,
      schema: {
        tags: ['gdpr'],
        operationId: 'createDsar',
        summary:
          'Record a data subject access request about a user or a WFM agent (due one calendar month after receipt)',
        body: z.strictObject({
          subject: z.union([
            z.strictObject({ username: z.string().min(1).max(64) }),
            z.strictObject({ agentId: z.string().min(1).max(200) }),
          ]),
          receivedAt: z.iso
            .datetime({ offset: true })
            .optional()
            .describe('when the request arrived (default: now)'),
          note: z
            .string()
            .trim()
            .min(1)
            .max(1000)
            .optional()
            .describe('how it arrived, identity checks; not audited'),
        }),
        response: { 201: dsarView },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const created = await dsar.create(actorFrom(req), {
        subject: b.subject,
        receivedAt: b.receivedAt ? new Date(b.receivedAt) : undefined,
        note: b.note,
      });
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/v1/dsar',
    {
      config: { access: { action: 'dsar.manage', resource: system } },
      schema: {
        tags: ['gdpr'],
        operationId: 'listDsars',
        summary: 'Access requests by due date, with status and an overdue flag',
        querystring: z.strictObject({
          status: z.enum(DSAR_STATUSES).optional(),
          overdue: z
            .enum(['true', 'false'])
            .optional()
            .describe('true: only open requests past their due date'),
          limit: z.coerce.number().int().min(1).max(200).optional(),
          cursor: z.string().max(200).optional(),
        }),
        response: { 200: z.object({ items: z.array(dsarView), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) =>
      dsar.list(req.auth!.tenantId, {
        status: req.query.status,
        overdue: req.query.overdue === 'true',
        limit: req.query.limit,
        cursor: req.query.cursor,
      }),
  );

  app.get(
    '/v1/dsar/:id',
    {
      config: { access: { action: 'dsar.manage', resource: system } },
      schema: {
        tags: ['gdpr'],
        operationId: 'getDsar',
        summary: 'One access request',
        params: idParams,
        response: { 200: dsarView },
      },
    },
    async (req) => dsar.get(req.auth!.tenantId, req.params.id),
  );

  app.patch(
    '/v1/dsar/:id',
    {
      config: { access: { action: 'dsar.manage', resource: system } },
      bodyLimit: 8 * 1024,
      schema: {
        tags: ['gdpr'],
        operationId: 'updateDsar',
        summary: 'Mark an open request in progress or rejected (completed and rejected requests are final)',
        params: idParams,
        body: z.strictObject({
          status: z.enum(['in_progress', 'rejected']),
          note: z.string().trim().min(1).max(1000).optional(),
        }),
        response: { 200: dsarView },
      },
    },
    async (req) => dsar.setStatus(actorFrom(req), req.params.id, req.body.status, req.body.note),
  );

  app.post(
    '/v1/dsar/:id/export',
    {
      config: { access: { action: 'dsar.manage', resource: system } },
      schema: {
        tags: ['gdpr'],
        operationId: 'produceDsarExport',
        summary: 'Produce the export of a request: counts every category and completes the request (audited)',
        description:
          'The data is not stored: GET /v1/dsar/{id}/export streams it, read at download time, and audits each download.',
        params: idParams,
        response: { 200: dsarView },
      },
    },
    async (req) => dsar.complete(actorFrom(req), req.params.id),
  );

  app.get(
    '/v1/dsar/:id/export',
    {
      config: { access: { action: 'dsar.manage', resource: system } },
      schema: {
        tags: ['gdpr'],
        operationId: 'downloadDsarExport',
        summary:
          "Download a completed request's export: one JSON document, CSV of one category, or the HTML summary",
        params: idParams,
        querystring: exportQuery,
      },
    },
    async (req, reply) => {
      const { format, category } = req.query;
      needCategory(format, category);
      const { subject, request } = await dsar.subjectOf(req.auth!.tenantId, req.params.id);
      if (request.status !== 'completed')
        throw new AppError(
          'CONFLICT',
          `The request is ${request.status}: produce the export first (POST /v1/dsar/${request.id}/export).`,
        );
      const out = await dsar.prepareExport(actorFrom(req), subject, { format, category, request });
      return send(reply, req.auth!.tenantId, out, format, category, `dsar-${request.id}`);
    },
  );

  app.get(
    '/v1/me/data-export',
    {
      config: { access: { action: 'dsar.exportOwn', resource: selfResource } },
      schema: {
        tags: ['gdpr'],
        operationId: 'exportMyData',
        summary: 'Export everything Bulwark holds about the caller (self-service access request, audited)',
        querystring: exportQuery,
      },
    },
    async (req, reply) => {
      const { format, category } = req.query;
      needCategory(format, category);
      const a = req.auth!;
      const subject = await dsar.subjectOfSelf(a.tenantId, a.userId);
      const out = await dsar.prepareExport(actorFrom(req), subject, { format, category, self: true });
      return send(reply, a.tenantId, out, format, category, 'my-data');
    },
  );

  app.get(
    '/v1/me/data-summary',
    {
      config: { access: { action: 'me.read', resource: selfResource } },
      schema: {
        tags: ['gdpr'],
        operationId: 'myDataSummary',
        summary: 'What Bulwark keeps about the caller: categories, rows, purpose and how long (counts only)',
        response: {
          200: z.object({
            userId: z.string(),
            categories: z.array(
              z.object({
                category: z.enum(PROCESSING_CATEGORIES),
                title: z.string(),
                held: z.boolean(),
                rows: z.number(),
                purpose: z.string(),
                lawfulBasis: z.string(),
                specialCategory: z.boolean(),
                retention: z.string(),
                recipients: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const a = req.auth!;
      const subject = await dsar.subjectOfSelf(a.tenantId, a.userId);
      const [counts, extra, record] = await Promise.all([
        dsar.counts(subject),
        dsar.contentCounts(subject),
        processing.list(a.tenantId),
      ]);
      const rows: Partial<Record<ProcessingCategory, number>> = {
        ...Object.fromEntries(EXPORT_CATEGORIES.map((c) => [RECORD_OF[c], counts[c]])),
        ...extra,
      };
      return {
        userId: a.userId,
        categories: record
          .filter((e) => rows[e.category] !== undefined)
          .map((e) => ({
            category: e.category,
            title: e.title,
            held: (rows[e.category] ?? 0) > 0,
            rows: rows[e.category] ?? 0,
            purpose: e.purpose,
            lawfulBasis: e.lawfulBasis,
            specialCategory: e.specialCategory,
            retention: e.retention,
            recipients: e.recipients,
          })),
      };
    },
  );

  app.get(
    '/v1/processing-record',
    {
      config: { access: { action: 'processing.read', resource: system } },
      schema: {
        tags: ['gdpr'],
        operationId: 'getProcessingRecord',
        summary:
          'Record of processing activities (GDPR Art. 30): purpose, lawful basis, retention, recipients per category',
        querystring: z.strictObject({ format: z.enum(['json', 'csv']).default('json') }),
        response: { 200: z.object({ items: z.array(processingEntry) }) },
      },
    },
    async (req, reply) => {
      const items = await processing.list(req.auth!.tenantId);
      if (req.query.format === 'csv')
        return (
          reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', 'attachment; filename="processing-record.csv"')
            // A string with a text/csv type is sent as is (the JSON response schema does not apply).
            .send(processingRecordCsv(items, csvCell) as never)
        );
      return { items };
    },
  );

  app.put(
    '/v1/processing-record/:category',
    {
      config: { access: { action: 'processing.write', resource: system } },
      bodyLimit: 16 * 1024,
      schema: {
        tags: ['gdpr'],
        operationId: 'updateProcessingRecord',
        summary:
          'Edit purpose, lawful basis, recipients or transfers of one category (retention comes from configuration)',
        params: z.object({ category: z.enum(PROCESSING_CATEGORIES) }),
        body: z.strictObject({
          purpose: editText.optional(),
          lawfulBasis: editText.optional(),
          recipients: editText.optional(),
          transfers: editText.optional(),
        }),
        response: { 200: processingEntry },
      },
    },
    async (req) => processing.update(actorFrom(req), req.params.category, req.body),
  );
};
