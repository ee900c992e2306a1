/**
 * Shift-swap marketplace over HTTP. Listing is `swap.list` (agents, supervisors, WFM managers);
 * offering and withdrawing are `swap.offer`/`swap.withdraw` on one's own segment; claiming is
 * `swap.claim` on a segment of one's team; approving and rejecting are `swap.approve` (a supervisor
 * of the team or a WFM manager, never on one's own shift). it_admin and executives are refused by the
 * guardrails. Each route authorizes the offered segment as a Cedar `Schedule` (its team, region and
 * the offering agent) and the service then enforces status, expiry, overlap and team membership.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import { toPrincipal } from '../identity/auth.service.ts';
import { actorFrom } from '../users/users.routes.ts';
import type { SwapsService } from './wfm-swaps.ts';

const status = z.enum(['open', 'claimed', 'approved', 'rejected', 'withdrawn', 'expired']);
const marketView = z.object({
  id: z.string().describe('opaque offer id'),
  team: z.object({ id: z.string(), name: z.string() }),
  start: z.string(),
  end: z.string(),
  activity: z.string(),
  status: status.describe('`expired`: the shift started while the offer was open or claimed'),
});
const ownView = marketView.extend({
  role: z.enum(['offerer', 'claimant']),
  scheduleId: z.string().nullable().describe('the offered segment (offerer only)'),
  note: z.string().nullable().describe("the offerer's note (offerer only)"),
  claimed: z.boolean().describe('someone claimed it (the offerer is not told who)'),
  claimedAt: z.string().nullable(),
  decidedAt: z.string().nullable(),
});
const person = z.object({ agentId: z.string(), name: z.string(), userId: z.string() });
const decisionView = marketView.extend({
  scheduleId: z.string(),
  note: z.string().nullable(),
  offeredBy: person,
  claimedBy: person.nullable(),
  claimedAt: z.string().nullable(),
  decidedAt: z.string().nullable(),
});
const idParams = z.object({ id: z.string().max(100).describe('offer id') });

export const wfmSwapsRoutes: FastifyPluginAsyncZod<{ swaps: SwapsService }> = async (app, { swaps }) => {
  app.get(
    '/v1/wfm/swaps',
    {
      config: {
        access: {
          action: 'swap.list',
          resource: (req) => ({ type: 'System', tenantId: req.auth!.tenantId }),
        },
      },
      schema: {
        tags: ['wfm'],
        operationId: 'listShiftSwaps',
        summary: 'The shift-swap marketplace as the caller may see it',
        description:
          '`available` (agents): open offers of your teams that have not started, as time, team and activity ' +
          'only, never who offered them. `mine` (agents): offers you made or claimed, your side only. ' +
          '`toDecide` (supervisors of the team, WFM managers): claimed offers awaiting approval, with both ' +
          'people. At most 200 of each.',
        response: {
          200: z.object({
            available: z.array(marketView),
            mine: z.array(ownView),
            toDecide: z.array(decisionView),
          }),
        },
      },
    },
    async (req) => swaps.list(toPrincipal(req.auth!)),
  );

  app.post(
    '/v1/wfm/swaps',
    {
      config: { access: { action: 'swap.offer' } },
      bodyLimit: 4 * 1024,
      schema: {
        tags: ['wfm'],
        operationId: 'offerShiftSwap',
        summary: 'Offer one of your own future schedule segments for swap or give-away',
        description:
          'Teammates see only its time, team and activity under an opaque offer id. The note is shown to you ' +
          'and to whoever decides, never to other agents. One live offer per segment.',
        body: z.strictObject({
          scheduleId: z.string().max(100).describe('id of your segment, from GET /v1/wfm/schedules'),
          note: z.string().trim().min(1).max(500).optional(),
        }),
        response: { 201: ownView },
      },
    },
    async (req, reply) => {
      await req.authorize(await swaps.scheduleTarget(req.auth!.tenantId, req.body.scheduleId));
      const view = await swaps.offer(actorFrom(req), req.body.scheduleId, req.body.note ?? null);
      return reply.code(201).send(view);
    },
  );

  app.post(
    '/v1/wfm/swaps/:id/claim',
    {
      config: { access: { action: 'swap.claim' } },
      schema: {
        tags: ['wfm'],
        operationId: 'claimShiftSwap',
        summary: "Claim an open offer of your team's (first claim wins; a supervisor then decides)",
        description:
          'Refused (409) for your own offer, an offer already claimed, withdrawn or expired, and a shift ' +
          'overlapping one of your shifts, absences or pending claims; refused (403) outside your team.',
        params: idParams,
        response: { 200: ownView },
      },
    },
    async (req) => {
      const t = await swaps.target(req.auth!.tenantId, req.params.id);
      if (t.offeredByUser === req.auth!.userId)
        throw new AppError('CONFLICT', 'You cannot claim your own offer.');
      await req.authorize(t.resource);
      return swaps.claim(actorFrom(req), t.id);
    },
  );

  app.post(
    '/v1/wfm/swaps/:id/withdraw',
    {
      config: { access: { action: 'swap.withdraw' } },
      schema: {
        tags: ['wfm'],
        operationId: 'withdrawShiftSwap',
        summary: 'Withdraw your offer before it is decided (the shift stays yours)',
        params: idParams,
        response: { 200: ownView },
      },
    },
    async (req) => {
      const t = await swaps.target(req.auth!.tenantId, req.params.id);
      await req.authorize(t.resource);
      return swaps.withdraw(actorFrom(req), t.id);
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/v1/wfm/swaps/:id/${decision}`,
      {
        config: { access: { action: 'swap.approve' } },
        schema: {
          tags: ['wfm'],
          operationId: decision === 'approve' ? 'approveShiftSwap' : 'rejectShiftSwap',
          summary:
            decision === 'approve'
              ? 'Approve a claimed swap: the segment moves to the claimant (supervisor of the team, WFM manager)'
              : 'Reject an open or claimed offer: the shift stays with the offerer (supervisor of the team, WFM manager)',
          description:
            'Never for a swap you offered or claimed. Approval re-checks, in the same transaction as the ' +
            'move and its audit event, that the offer is still claimed and unexpired, that the claimant has ' +
            'no overlapping shift or absence, and that the segment is unchanged since it was offered.',
          params: idParams,
          response: { 200: decisionView },
        },
      },
      async (req) => {
        const t = await swaps.target(req.auth!.tenantId, req.params.id);
        await req.authorize(t.resource);
        return decision === 'approve'
          ? swaps.approve(actorFrom(req), t.id)
          : swaps.reject(actorFrom(req), t.id);
      },
    );
  }
};
