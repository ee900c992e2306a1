/**
 * WFM retention settings (`wfm.retention.read`: wfm_manager, compliance_officer, it_admin;
 * `wfm.retention.write`: wfm_manager) and presence for incident support (`wfm.presence.read`:
 * security_analyst, wfm_manager; it_admin and executives refused by the guardrails).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toPrincipal } from '../identity/auth.service.ts';
import { actorFrom } from '../users/users.routes.ts';
import type { WfmService } from './wfm.service.ts';
import { MAX_PRESENCE_DAYS } from './wfm-presence.ts';
import { RETENTION_LIMITS, type WfmRetentionService } from './wfm-retention.ts';

const settingsView = z.object({
  rawEventDays: z.number().describe('raw adherence state events are kept this many days (default 7)'),
  intervalDays: z.number().describe('15-minute interval aggregates are kept this many days (default 730)'),
  leaverDays: z.number().describe('leavers are pseudonymised this many days after leaving (default 90)'),
  captureRawEvents: z
    .boolean()
    .describe('false: adherence imports keep only 15-minute aggregates, no per-second states'),
  rawEventsRemovedBefore: z.string().nullable(),
  defaults: z.boolean().describe('true while nobody has changed the defaults'),
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
});
const days = (key: keyof typeof RETENTION_LIMITS) =>
  z.number().int().min(RETENTION_LIMITS[key][0]).max(RETENTION_LIMITS[key][1]).optional();
const instant = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/,
    'an ISO 8601 date or date-time with offset',
  )
  .refine((v) => !Number.isNaN(Date.parse(v)), 'not a valid date');
/** A date alone means midnight UTC. */
export const toInstant = (v: string) => new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);

export const wfmGovernanceRoutes: FastifyPluginAsyncZod<{
  wfm: WfmService;
  wfmRetention: WfmRetentionService;
}> = async (app, { wfm, wfmRetention }) => {
  const system = (req: { auth: { tenantId: string } | null }) => ({
    type: 'System' as const,
    tenantId: req.auth!.tenantId,
  });

  app.get(
    '/v1/wfm/retention',
    {
      config: { access: { action: 'wfm.retention.read', resource: system } },
      schema: {
        tags: ['wfm'],
        operationId: 'getWfmRetention',
        summary: "The tenant's WFM retention settings (privacy-protective defaults until changed)",
        response: { 200: settingsView },
      },
    },
    async (req) => wfmRetention.get(req.auth!.tenantId),
  );

  app.put(
    '/v1/wfm/retention',
    {
      config: { access: { action: 'wfm.retention.write', resource: system } },
      bodyLimit: 4 * 1024,
      schema: {
        tags: ['wfm'],
        operationId: 'setWfmRetention',
        summary:
          'Change WFM retention settings (omitted fields keep their value); audited with old and new values',
        description:
          'Enforced by the retention job of `bulwark serve` and by `bulwark wfm retention run`: raw adherence ' +
          'events older than rawEventDays are rolled up into 15-minute intervals, then removed; intervals older ' +
          'than intervalDays are removed; leavers are pseudonymised leaverDays after leaving. WFM data has no ' +
          'legal holds.',
        body: z.strictObject({
          rawEventDays: days('rawEventDays'),
          intervalDays: days('intervalDays'),
          leaverDays: days('leaverDays'),
          captureRawEvents: z.boolean().optional(),
        }),
        response: { 200: settingsView },
      },
    },
    async (req) => wfmRetention.set(actorFrom(req), req.body),
  );

  app.get(
    '/v1/wfm/presence',
    {
      config: { access: { action: 'wfm.presence.read', resource: system } },
      schema: {
        tags: ['wfm'],
        operationId: 'wfmPresence',
        summary:
          'Agents logged in during a window, by team and site, from sessions and adherence (incident support)',
        description:
          `At most ${MAX_PRESENCE_DAYS} days. First and last seen are clipped to the window; \`sources\` says ` +
          'whether a Bulwark session of the linked user, adherence states (or their 15-minute aggregates), or ' +
          'both showed the agent. Every query is audited with its window and count. Agents of another residency ' +
          'region appear only under a recorded transfer mechanism; others are counted in `withheld`.',
        querystring: z.strictObject({
          from: instant,
          to: instant,
          team: z.string().min(1).max(200).optional().describe('team name or id'),
          site: z.string().min(1).max(200).optional(),
        }),
        response: {
          200: z.object({
            from: z.string(),
            to: z.string(),
            items: z.array(
              z.object({
                agentId: z.string(),
                agentName: z.string(),
                team: z.object({ id: z.string(), name: z.string() }),
                site: z.string().nullable(),
                region: z.string(),
                firstSeen: z.string(),
                lastSeen: z.string(),
                sources: z.array(z.enum(['session', 'adherence'])),
              }),
            ),
            groups: z.array(z.object({ team: z.string(), site: z.string().nullable(), agents: z.number() })),
            withheld: z.record(z.string(), z.number()),
          }),
        },
      },
    },
    async (req) =>
      wfm.presence(actorFrom(req), toPrincipal(req.auth!), {
        from: toInstant(req.query.from),
        to: toInstant(req.query.to),
        team: req.query.team,
        site: req.query.site,
      }),
  );
};
