import type { FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.ts';
import { AppError } from '../lib/errors.ts';

/** /livez says the process runs; /readyz that it can serve (database answers, not shutting down). */
export function registerHealth(
  app: FastifyInstance,
  deps: { db: Kysely<Database>; isShuttingDown: () => boolean },
): void {
  const status = z.object({ status: z.string() });
  app.get(
    '/livez',
    { config: { access: { action: 'public' } }, schema: { tags: ['health'], response: { 200: status } } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    { config: { access: { action: 'public' } }, schema: { tags: ['health'], response: { 200: status } } },
    async () => {
      if (deps.isShuttingDown()) throw new AppError('SERVICE_UNAVAILABLE', 'Shutting down.');
      try {
        await sql`select 1`.execute(deps.db);
      } catch {
        throw new AppError('SERVICE_UNAVAILABLE', 'The database is not answering.');
      }
      return { status: 'ready' };
    },
  );
}
