/**
 * `POST /v1/wfm/agents/{agentId}/home-address`: the purpose-bound, audited home-address read (see
 * wfm-address.ts). POST so the purpose travels in the body (not in URLs, proxies' logs or history)
 * and the answer is never cached (`cache-control: no-store` as every response).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { toPrincipal } from '../identity/auth.service.ts';
import { actorFrom } from '../users/users.routes.ts';
import type { HomeAddressService } from './wfm-address.ts';

export const wfmAddressRoutes: FastifyPluginAsyncZod<{
  addresses: HomeAddressService;
  clock: Clock;
}> = async (app, { addresses, clock }) => {
  app.post(
    '/v1/wfm/agents/:agentId/home-address',
    {
      config: { access: { action: 'wfm.address.read' } },
      bodyLimit: 4 * 1024,
      schema: {
        tags: ['wfm'],
        operationId: 'readAgentHomeAddress',
        summary: "Read one agent's home address for a stated purpose (wfm_manager; audited)",
        description:
          'Home addresses are shown to nobody by default. A wfm_manager who states a `purpose` receives the ' +
          'decrypted address; every request, allowed or refused, is audited as `wfm.address.read` with the ' +
          'purpose and the agent id, never the address. Refused (403) without a purpose and for every other ' +
          'role (it_admin and executives even with wfm_manager); TRANSFER_NOT_PERMITTED (403) for an agent of ' +
          'another region without a recorded transfer mechanism; 404 for an unknown agent or one with no ' +
          'address; 410 for a pseudonymised leaver; 503 if the audit log cannot record the request.',
        params: z.object({ agentId: z.string().min(1).max(200).describe("the WFM system's agent id") }),
        body: z.strictObject({
          purpose: z
            .string()
            .trim()
            .max(500)
            .default('')
            .describe('why the address is needed; recorded in the audit log (required to be allowed)'),
        }),
        response: {
          200: z.object({ agentId: z.string(), homeAddress: z.string() }),
        },
      },
    },
    async (req) => {
      // Decided by the service (with the reader's transfer mechanisms) and audited there.
      req.authorizationEvaluated = true;
      const a = req.auth!;
      const now = clock.now().getTime();
      return addresses.read(toPrincipal(a), actorFrom(req), req.params.agentId, req.body.purpose, {
        mfaAgeSeconds: Math.max(0, Math.floor((now - a.mfaAt.getTime()) / 1000)),
        sessionAgeSeconds: Math.max(0, Math.floor((now - a.sessionCreatedAt.getTime()) / 1000)),
        devicePosture: 'unknown',
        aggregate: false,
        purpose: req.body.purpose,
      });
    },
  );
};
