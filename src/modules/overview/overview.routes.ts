import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { OverviewService } from './overview.service.ts';

const allowDeny = z.object({ allow: z.number().int(), deny: z.number().int() });

export const securityOverview = z.object({
  generatedAt: z.string(),
  mfa: z.object({
    enrolled: z.number().int().describe('Active accounts with an enrolled authenticator app'),
    total: z.number().int().describe('Active accounts'),
    coveragePercent: z.number().describe('enrolled / total, one decimal; 0 when there are no accounts'),
  }),
  lockedAccounts: z.number().int().describe('Accounts locked after failed attempts right now'),
  activeSessions: z
    .number()
    .int()
    .describe('Sessions not revoked, idle-expired or past their absolute expiry'),
  passkeys: z.number().int().describe('Registered passkeys'),
  perDay: z
    .array(
      z.object({
        day: z.string().describe('YYYY-MM-DD (UTC)'),
        detokenizations: allowDeny.describe('Authorization decisions on token.detokenize'),
        recordingPlays: allowDeny.describe('Authorization decisions on recording.play'),
        signInFailures: z.number().int().describe('Refused password, TOTP/recovery-code and passkey steps'),
      }),
    )
    .describe('The last 14 days, oldest first, today included; days without events are zeros'),
  audit: z.object({
    size: z.number().int().describe('Events sequenced into the Merkle log'),
    pending: z.number().int().describe('Events committed but not yet sequenced, at verification time'),
    verified: z.boolean().describe('The last full verification found no problem'),
    verifiedAt: z.string().describe('When that verification ran (results are reused for 5 minutes)'),
    verifiedEvents: z.number().int(),
    failure: z
      .object({ index: z.number().int().nullable(), reason: z.string() })
      .nullable()
      .describe('The first problem found, as `bulwark audit verify` reports it'),
    latestCheckpoint: z
      .object({
        treeSize: z.number().int(),
        rootHash: z.string().describe('base64'),
        signedAt: z.string(),
        note: z.string().describe('The C2SP signed note'),
      })
      .nullable(),
  }),
});

/** The security overview screen of the console. */
export const overviewRoutes: FastifyPluginAsyncZod<{ overview: OverviewService }> = async (
  app,
  { overview },
) => {
  app.get(
    '/v1/overview/security',
    {
      config: {
        access: {
          action: 'overview.read',
          resource: (req) => ({ type: 'System', tenantId: req.auth!.tenantId }),
        },
      },
      schema: {
        tags: ['overview'],
        operationId: 'getSecurityOverview',
        summary:
          "The tenant's security posture: MFA coverage, lockouts, sessions, passkeys, audited access per day and audit-log verification state",
        response: { 200: securityOverview },
      },
    },
    async (req) => overview.security(req.auth!.tenantId),
  );
};
