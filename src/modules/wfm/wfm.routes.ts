/**
 * WFM data over HTTP: CSV import (`wfm.import`) and the four scoped lists (`data.read`). A list is
 * authorized once for the caller (Cedar `data.read` on a record of their own in their first team,
 * the pattern of ADR 0004) and its rows are then filtered in SQL to exactly the caller's scope.
 * Home addresses are never returned; absence reasons only where Cedar allows each one.
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import type { Authorizer, AuthzContext, EmployeeDataType, ResourceSlice } from '../access/authorizer.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { toPrincipal } from '../identity/auth.service.ts';
import { actorFrom } from '../users/users.routes.ts';
import type { WfmService } from './wfm.service.ts';
import { parseMapping, WFM_KINDS } from './wfm-csv.ts';
import { MIN_COHORT, REPORT_KINDS } from './wfm-reports.ts';

/** Largest CSV body the API accepts; bigger files go through `bulwark wfm import`. */
export const MAX_IMPORT_BYTES = 32 * 1024 * 1024;

const when = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/,
    'an ISO 8601 date or date-time with offset',
  )
  .refine((v) => !Number.isNaN(Date.parse(v)), 'not a valid date');
const listQuery = z.strictObject({
  agent: z.string().min(1).max(200).optional().describe('the WFM agent id'),
  team: z.string().min(1).max(200).optional().describe('team name or id'),
  from: when.optional(),
  to: when.optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(300).optional(),
});
const common = {
  id: z.string(),
  agentId: z.string(),
  agentName: z.string(),
  team: z.object({ id: z.string(), name: z.string() }),
  region: z.string(),
};
const page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable(),
    withheld: z
      .record(z.string(), z.number())
      .describe(
        'rows in your scope left out because they reside in a region with no transfer mechanism to yours, per region, ' +
          "counted over this page's stretch of the order (after the cursor, down to this page's last row; to the end on " +
          'the last page): the counts of all pages add up to the whole scope',
      ),
  });
const transferNote =
  ' Rows of another residency region are returned only while a transfer mechanism (region -> your region) ' +
  'is recorded, and each such read is audited; others are counted in `withheld`. Naming one agent whose ' +
  'rows are all withheld (`agent`) is refused with 403 TRANSFER_NOT_PERMITTED.';

/** The caller's own record in their first team: "may this caller read this kind of record at all". */
function selfResource(req: FastifyRequest, type: EmployeeDataType): ResourceSlice {
  const a = req.auth!;
  return {
    type,
    id: `self:${a.userId}`,
    tenantId: a.tenantId,
    region: a.region,
    team: a.teams[0] ?? '',
    agentUserId: a.userId,
  };
}

const filtersOf = (q: z.infer<typeof listQuery>) => ({
  agent: q.agent,
  team: q.team,
  from: q.from,
  to: q.to,
  limit: q.limit,
  cursor: q.cursor,
});

export const wfmRoutes: FastifyPluginAsyncZod<{
  wfm: WfmService;
  clock: Clock;
  authorizer: Pick<Authorizer, 'authorize'>;
  audit: Pick<AuditService, 'appendNow'>;
}> = async (app, { wfm, clock, authorizer, audit }) => {
  /** Request facts for a decision the route makes itself (the plugin's `authorize` asks for no aggregate). */
  const contextOf = (req: FastifyRequest, purpose: string, aggregate: boolean): AuthzContext => {
    const a = req.auth!;
    const now = clock.now().getTime();
    return {
      mfaAgeSeconds: Math.max(0, Math.floor((now - a.mfaAt.getTime()) / 1000)),
      sessionAgeSeconds: Math.max(0, Math.floor((now - a.sessionCreatedAt.getTime()) / 1000)),
      devicePosture: 'unknown',
      aggregate,
      purpose,
    };
  };

  await app.register(async (scoped) => {
    scoped.addContentTypeParser(
      ['text/csv', 'text/plain'],
      { parseAs: 'string', bodyLimit: MAX_IMPORT_BYTES },
      (_req, body, done) => done(null, body),
    );
    const r = scoped.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/v1/wfm/imports',
      {
        config: {
          access: {
            action: 'wfm.import',
            resource: (req) => ({ type: 'System', tenantId: req.auth!.tenantId }),
          },
        },
        bodyLimit: MAX_IMPORT_BYTES,
        schema: {
          tags: ['wfm'],
          operationId: 'importWfmData',
          summary: 'Import a WFM export (text/csv with the canonical columns of `kind`); all or nothing',
          description:
            'Canonical columns: agents `agent_id,username,name,team,site,region,home_address` (optional `status`, ' +
            '`left_at`); schedules `agent_id,start,end,activity`; adherence `agent_id,timestamp,state`; absences ' +
            '`agent_id,start_date,end_date,reason_code`; performance `agent_id,period_start,metric,value`. Rows are ' +
            'upserted (re-importing a file changes nothing); the file is written in one transaction; errors name ' +
            'the line and column. The response carries counts only. A column mapping (the JSON of ' +
            '`bulwark wfm import --mapping`) may be sent in the `Bulwark-Column-Mapping` header.',
          consumes: ['text/csv'],
          querystring: z.strictObject({
            kind: z.enum(WFM_KINDS),
            file: z.string().min(1).max(200).optional().describe('file name used in error messages'),
          }),
          response: {
            200: z.object({
              kind: z.enum(WFM_KINDS),
              rows: z.number(),
              inserted: z.number(),
              updated: z.number(),
            }),
          },
        },
      },
      async (req) => {
        if (typeof req.body !== 'string')
          throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the file as text/csv');
        const header = req.headers['bulwark-column-mapping'];
        if (Array.isArray(header) || (header !== undefined && header.length > 16_384))
          throw new AppError(
            'VALIDATION_FAILED',
            'Bulwark-Column-Mapping must be one JSON object of at most 16 KiB',
          );
        const mapping = header === undefined ? undefined : parseMapping(header, 'Bulwark-Column-Mapping');
        return wfm.importCsv(actorFrom(req), req.query.kind, req.body, {
          file: req.query.file ?? `${req.query.kind}.csv`,
          mapping,
        });
      },
    );
  });

  app.get(
    '/v1/wfm/schedules',
    {
      config: { access: { action: 'data.read' } },
      schema: {
        tags: ['wfm'],
        operationId: 'listWfmSchedules',
        summary: "Schedule segments in the caller's scope (own, own teams, or all for WFM roles)",
        description: transferNote.trim(),
        querystring: listQuery,
        response: {
          200: page(z.object({ ...common, start: z.string(), end: z.string(), activity: z.string() })),
        },
      },
    },
    async (req) => {
      await req.authorize(selfResource(req, 'Schedule'));
      return wfm.listSchedules(toPrincipal(req.auth!), filtersOf(req.query), actorFrom(req));
    },
  );

  app.get(
    '/v1/wfm/adherence',
    {
      config: { access: { action: 'data.read' } },
      schema: {
        tags: ['wfm'],
        operationId: 'listWfmAdherence',
        summary: "Adherence state events (or 15-minute aggregates with view=intervals) in the caller's scope",
        description: transferNote.trim(),
        querystring: listQuery.extend({ view: z.enum(['events', 'intervals']).default('events') }),
        response: {
          200: page(
            z.object({
              ...common,
              timestamp: z.string().optional(),
              intervalStart: z.string().optional(),
              state: z.string(),
              seconds: z.number().optional(),
            }),
          ),
        },
      },
    },
    async (req) => {
      await req.authorize(selfResource(req, 'Adherence'));
      const p = toPrincipal(req.auth!);
      return req.query.view === 'intervals'
        ? wfm.listIntervals(p, filtersOf(req.query), actorFrom(req))
        : wfm.listAdherence(p, filtersOf(req.query), actorFrom(req));
    },
  );

  app.get(
    '/v1/wfm/absences',
    {
      config: { access: { action: 'data.read' } },
      schema: {
        tags: ['wfm'],
        operationId: 'listWfmAbsences',
        summary: 'Absences in the caller\'s scope as "absent"; reason categories only where permitted',
        description:
          'An agent sees the reasons of their own absences; a wfm_manager sees reasons only with a stated ' +
          '`purpose`, and every request that shows reasons is audited. Supervisors never see reasons.' +
          transferNote,
        querystring: listQuery.extend({
          purpose: z
            .string()
            .trim()
            .min(3)
            .max(200)
            .optional()
            .describe('why absence reasons are needed; recorded in the audit log'),
        }),
        response: {
          200: page(
            z.object({
              ...common,
              startDate: z.string(),
              endDate: z.string(),
              status: z.literal('absent'),
              reasonCode: z.string().nullable(),
            }),
          ),
        },
      },
    },
    async (req) => {
      const purpose = req.query.purpose ?? '';
      await req.authorize(selfResource(req, 'Absence'), { purpose });
      const { items, nextCursor, withheld } = await wfm.listAbsences(
        actorFrom(req),
        toPrincipal(req.auth!),
        filtersOf(req.query),
        contextOf(req, purpose, false),
      );
      return { items, nextCursor, withheld };
    },
  );

  app.get(
    '/v1/wfm/performance',
    {
      config: { access: { action: 'data.read' } },
      schema: {
        tags: ['wfm'],
        operationId: 'listWfmPerformance',
        summary: "Performance metrics per period in the caller's scope",
        description: transferNote.trim(),
        querystring: listQuery,
        response: {
          200: page(z.object({ ...common, periodStart: z.string(), metric: z.string(), value: z.number() })),
        },
      },
    },
    async (req) => {
      await req.authorize(selfResource(req, 'Performance'));
      return wfm.listPerformance(toPrincipal(req.auth!), filtersOf(req.query), actorFrom(req));
    },
  );

  app.get(
    '/v1/wfm/reports/:report',
    {
      config: { access: { action: 'report.read' } },
      schema: {
        tags: ['wfm'],
        operationId: 'wfmReport',
        summary: `Aggregate ${REPORT_KINDS.join('|')} report of one month by team or site; cells under ${MIN_COHORT} agents suppressed`,
        description:
          'Cells are built from team x site atoms; an atom with fewer than five contributing agents is left out ' +
          'of every grouping, so no two reports can be subtracted to isolate a person. `metric` is required for ' +
          "the performance report (mean of the agents' values).",
        params: z.object({ report: z.enum(REPORT_KINDS) }),
        querystring: z.strictObject({
          groupBy: z.enum(['team', 'site']).default('team'),
          month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month like 2026-11'),
          metric: z
            .string()
            .regex(/^[a-z][a-z0-9_]{0,63}$/)
            .optional(),
        }),
        response: {
          200: z.object({
            report: z.enum(REPORT_KINDS),
            groupBy: z.enum(['team', 'site']),
            month: z.string(),
            metric: z.string().nullable(),
            minCohort: z.number(),
            cells: z.array(
              z.object({
                group: z.string(),
                suppressed: z.boolean(),
                agents: z.number().optional(),
                totals: z.record(z.string(), z.number()).optional(),
                value: z.number().optional(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const a = req.auth!;
      // Decided here, not by req.authorize: a report is an aggregate request (context.aggregate), and
      // every released cell covers at least MIN_COHORT agents by construction.
      const decision = authorizer.authorize(
        toPrincipal(a),
        'report.read',
        { type: 'Report', id: `wfm-${req.params.report}`, tenantId: a.tenantId, cohortSize: MIN_COHORT },
        contextOf(req, '', true),
      );
      req.authorizationEvaluated = true;
      await audit.appendNow({
        tenantId: a.tenantId,
        action: 'authz.report.read',
        outcome: decision.allowed ? 'allow' : 'deny',
        actor: { userId: a.userId, roles: a.roles, sessionId: a.sessionId, ip: req.ip },
        resource: { type: 'Report', id: `wfm-${req.params.report}` },
        policyIds: decision.policyIds,
        requestId: req.id,
        reason: decision.errors.length > 0 ? 'invalid_request' : null,
      });
      if (!decision.allowed) throw new AppError('FORBIDDEN', 'You are not allowed to do this.');
      const q = req.query;
      if (req.params.report === 'performance' && !q.metric)
        throw new AppError('VALIDATION_FAILED', 'metric is required for the performance report');
      return wfm.report(a.tenantId, req.params.report, q.groupBy, q.month, q.metric ?? null);
    },
  );
};
