/**
 * Key administration over HTTP (it_admin, `config.*`): KEK versions and data-key counts, starting a
 * rotation (run by the job runner; progress shows in the status), and the minimum decryption version.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { JobQueue } from '../../jobs/jobs.ts';
import { AppError } from '../../lib/errors.ts';
import { actorFrom } from '../users/users.routes.ts';
import { type DataKeysService, KeyAdminError } from './data-keys.service.ts';

/** Job kind of a KEK rotation started over HTTP. */
export const ROTATE_JOB = 'keys.rotate';

const statusView = z.object({
  provider: z.string(),
  versions: z.array(
    z.object({ version: z.number(), createdAt: z.string(), current: z.boolean(), dataKeys: z.number() }),
  ),
  minDecryptVersion: z.number(),
  openRotation: z
    .object({ id: z.string(), targetVersion: z.number(), startedAt: z.string(), rewrapped: z.number() })
    .nullable(),
  orphanedDataKeys: z.number(),
});

export const keysRoutes: FastifyPluginAsyncZod<{ dataKeys: DataKeysService; jobs: JobQueue }> = async (
  app,
  { dataKeys, jobs },
) => {
  const system = (req: { auth: { tenantId: string } | null }) => ({
    type: 'System' as const,
    tenantId: req.auth!.tenantId,
  });

  app.get(
    '/v1/keys',
    {
      config: { access: { action: 'config.read', resource: system } },
      schema: {
        tags: ['keys'],
        operationId: 'keyStatus',
        summary:
          'KEK versions, data keys wrapped under each, the minimum decryption version, a rotation in progress',
        response: { 200: statusView },
      },
    },
    async () => dataKeys.status(),
  );

  app.post(
    '/v1/keys/rotate',
    {
      config: { access: { action: 'config.write', resource: system } },
      schema: {
        tags: ['keys'],
        operationId: 'rotateKek',
        summary: 'Create a new KEK version and re-wrap every data key in the background (resumable)',
        response: { 202: z.object({ queued: z.boolean() }) },
      },
    },
    async (req, reply) => {
      const a = actorFrom(req);
      // One rotation at a time: a queued one is a singleton job, a running one has an open row.
      if ((await dataKeys.status()).openRotation)
        throw new AppError('CONFLICT', 'A KEK rotation is in progress; see GET /v1/keys.');
      const queued = await jobs.enqueue(ROTATE_JOB, {
        tenantId: a.tenantId,
        singleton: true,
        payload: {
          userId: a.userId,
          roles: a.roles,
          sessionId: a.sessionId,
          ip: a.ip,
          requestId: a.requestId,
        },
      });
      return reply.code(202).send({ queued });
    },
  );

  app.put(
    '/v1/keys/min-decrypt-version',
    {
      config: { access: { action: 'config.write', resource: system } },
      bodyLimit: 1024,
      schema: {
        tags: ['keys'],
        operationId: 'setMinDecryptVersion',
        summary: 'Retire KEK versions below this one (refused while data keys are still wrapped under them)',
        body: z.strictObject({ version: z.number().int().min(1) }),
        response: { 200: statusView },
      },
    },
    async (req) => {
      try {
        await dataKeys.setMinDecryptVersion(actorFrom(req), req.body.version);
      } catch (e) {
        if (e instanceof KeyAdminError) throw new AppError('CONFLICT', e.message);
        throw e;
      }
      return dataKeys.status();
    },
  );
};
