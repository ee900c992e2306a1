/**
 * Forecasts and capacity models over HTTP (see wfm-forecasts.ts): `POST /v1/wfm/forecast-imports`
 * (`wfm.forecast.import`: wfm_manager, and it_admin running the planning integration; counts only),
 * `GET /v1/wfm/forecasts` (`wfm.forecast.read`: wfm_analyst, wfm_manager) and `GET /v1/wfm/capacity`
 * (the same action asked as an aggregate, so executives may read it too).
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import type { Authorizer } from '../access/authorizer.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { toPrincipal } from '../identity/auth.service.ts';
import { actorFrom } from '../users/users.routes.ts';
import { FORECAST_KINDS, type ForecastsService } from './wfm-forecasts.ts';

/** Same ceiling as the WFM import. */
const MAX_IMPORT_BYTES = 32 * 1024 * 1024;

const isoTime = z.iso.datetime({ offset: true });
const isoDate = z.iso.date();
const limit = z.coerce
  .number()
  .int()
  .min(1)
  .max(5000)
  .optional()
  .describe('at most this many rows (default 1,000)');

export const wfmForecastsRoutes: FastifyPluginAsyncZod<{
  forecasts: ForecastsService;
  authorizer: Pick<Authorizer, 'authorize'>;
  audit: Pick<AuditService, 'appendNow'>;
  clock: Clock;
}> = async (app, { forecasts, authorizer, audit, clock }) => {
  await app.register(async (scoped) => {
    scoped.addContentTypeParser(
      ['text/csv', 'text/plain'],
      { parseAs: 'string', bodyLimit: MAX_IMPORT_BYTES },
      (_req, body, done) => done(null, body),
    );
    const r = scoped.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/v1/wfm/forecast-imports',
      {
        config: {
          access: {
            action: 'wfm.forecast.import',
            resource: (req) => ({ type: 'System', tenantId: req.auth!.tenantId }),
          },
        },
        bodyLimit: MAX_IMPORT_BYTES,
        schema: {
          tags: ['wfm'],
          operationId: 'importWfmForecasts',
          summary: 'Import forecasts or capacity (text/csv); all or nothing, upserted on the natural key',
          description:
            'Columns: forecasts `queue,interval_start,volume,aht_seconds` (key: queue + interval_start); ' +
            'capacity `team,period_start,required_agents,scheduled_agents` (key: team + period_start; the team ' +
            'must exist). Re-importing a file changes nothing; errors name the file, line and column and nothing ' +
            'is imported. The response carries counts only.',
          consumes: ['text/csv'],
          querystring: z.strictObject({
            kind: z.enum(FORECAST_KINDS),
            file: z.string().min(1).max(200).optional().describe('file name used in error messages'),
          }),
          response: {
            200: z.object({
              kind: z.enum(FORECAST_KINDS),
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
        return forecasts.importCsv(actorFrom(req), req.query.kind, req.body, {
          file: req.query.file ?? `${req.query.kind}.csv`,
        });
      },
    );
  });

  app.get(
    '/v1/wfm/forecasts',
    {
      config: {
        access: {
          action: 'wfm.forecast.read',
          resource: (req) => ({ type: 'System', tenantId: req.auth!.tenantId }),
        },
      },
      schema: {
        tags: ['wfm'],
        operationId: 'listWfmForecasts',
        summary: 'Forecast volume and handle time per queue per interval (wfm_analyst, wfm_manager)',
        querystring: z.strictObject({
          queue: z.string().min(1).max(64).optional(),
          from: isoTime.optional().describe('interval_start at or after'),
          to: isoTime.optional().describe('interval_start before'),
          limit,
        }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                queue: z.string(),
                intervalStart: z.string(),
                volume: z.number(),
                ahtSeconds: z.number(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const q = req.query;
      return {
        items: await forecasts.listForecasts(req.auth!.tenantId, {
          queue: q.queue,
          from: q.from ? new Date(q.from) : undefined,
          to: q.to ? new Date(q.to) : undefined,
          limit: q.limit,
        }),
      };
    },
  );

  /** Decides `wfm.forecast.read` as an aggregate request and records the decision (fail closed). */
  async function authorizeAggregate(req: FastifyRequest): Promise<void> {
    const a = req.auth!;
    const now = clock.now().getTime();
    const decision = authorizer.authorize(
      toPrincipal(a),
      'wfm.forecast.read',
      { type: 'System', tenantId: a.tenantId },
      {
        mfaAgeSeconds: Math.max(0, Math.floor((now - a.mfaAt.getTime()) / 1000)),
        sessionAgeSeconds: Math.max(0, Math.floor((now - a.sessionCreatedAt.getTime()) / 1000)),
        devicePosture: 'unknown',
        aggregate: true,
        purpose: '',
      },
    );
    req.authorizationEvaluated = true;
    try {
      await audit.appendNow({
        tenantId: a.tenantId,
        action: 'authz.wfm.forecast.read',
        outcome: decision.allowed ? 'allow' : 'deny',
        actor: { userId: a.userId, roles: a.roles, sessionId: a.sessionId, ip: req.ip },
        resource: { type: 'System', id: null },
        policyIds: decision.policyIds,
        requestId: req.id,
        reason: decision.errors.length > 0 ? 'invalid_request' : null,
        details: { kind: 'capacity' },
      });
    } catch {
      throw new AppError('SERVICE_UNAVAILABLE', 'The audit log is unavailable, so the request was refused.');
    }
    if (!decision.allowed) throw new AppError('FORBIDDEN', 'You are not allowed to do this.');
  }

  app.get(
    '/v1/wfm/capacity',
    {
      config: { access: { action: 'wfm.forecast.read' } },
      schema: {
        tags: ['wfm'],
        operationId: 'listWfmCapacity',
        summary: 'Required and scheduled agents per team per period (wfm_analyst, wfm_manager, executive)',
        description:
          'Aggregate per team, no person: asked as an aggregate request, so executives may read it too. ' +
          '`gap` is scheduled minus required (negative: understaffed).',
        querystring: z.strictObject({
          team: z.string().min(1).max(64).optional().describe('team name or id'),
          from: isoDate.optional().describe('period_start on or after'),
          to: isoDate.optional().describe('period_start on or before'),
          limit,
        }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                team: z.object({ id: z.string(), name: z.string() }),
                periodStart: z.string(),
                requiredAgents: z.number(),
                scheduledAgents: z.number(),
                gap: z.number(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      await authorizeAggregate(req);
      const q = req.query;
      return {
        items: await forecasts.listCapacity(req.auth!.tenantId, {
          team: q.team,
          from: q.from,
          to: q.to,
          limit: q.limit,
        }),
      };
    },
  );
};
