import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { AppError } from '../lib/errors.ts';
import { safeEqual } from '../lib/hash.ts';

export type Metrics = ReturnType<typeof createMetrics>;

/** One registry per app instance, so tests can build many apps in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'bulwark_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'bulwark_http_request_duration_seconds',
      help: 'HTTP request duration by route template (never the raw URL: cardinality and personal data)',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    authzDecisions: new Counter({
      name: 'bulwark_authz_decisions_total',
      help: 'Authorization decisions by action and outcome',
      labelNames: ['action', 'decision'] as const,
      registers: [registry],
    }),
    auditSequenced: new Counter({
      name: 'bulwark_audit_events_sequenced_total',
      help: 'Audit events added to the Merkle log',
      registers: [registry],
    }),
  };
}

const isLoopback = (ip: string) => ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';

export function registerMetrics(app: FastifyInstance, metrics: Metrics, token: string | undefined): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: req.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get(
    '/metrics',
    { config: { access: { action: 'public' } }, schema: { hide: true } },
    async (req, reply) => {
      // Scrapes need the configured token; without one, only this machine may scrape.
      if (token) {
        const sent = req.headers.authorization?.startsWith('Bearer ')
          ? req.headers.authorization.slice(7)
          : '';
        if (!safeEqual(sent, token))
          throw new AppError('AUTHENTICATION_REQUIRED', 'Send the metrics token as a bearer token.');
      } else if (!isLoopback(req.socket.remoteAddress ?? '')) {
        throw new AppError(
          'FORBIDDEN',
          'Metrics are served to loopback only unless BULWARK_METRICS_TOKEN is set.',
        );
      }
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
}
