import './request-context.ts';
import fs from 'node:fs';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { AppContext } from '../context.ts';
import { AppError } from '../lib/errors.ts';
import { auditRoutes } from '../modules/audit/audit.routes.ts';
import { gdprRoutes } from '../modules/gdpr/gdpr.routes.ts';
import { authRoutes } from '../modules/identity/auth.routes.ts';
import { passkeysRoutes } from '../modules/identity/passkeys.routes.ts';
import { keysRoutes } from '../modules/keys/keys.routes.ts';
import { overviewRoutes } from '../modules/overview/overview.routes.ts';
import { createOverviewService } from '../modules/overview/overview.service.ts';
import { casesRoutes } from '../modules/recordings/cases.routes.ts';
import { recordingsRoutes } from '../modules/recordings/recordings.routes.ts';
import { retentionRoutes } from '../modules/recordings/retention.routes.ts';
import { redactionRoutes } from '../modules/redaction/redaction.routes.ts';
import { redactionStreamRoutes } from '../modules/redaction/redaction-stream.routes.ts';
import { tokensRoutes } from '../modules/tokens/tokens.routes.ts';
import { transfersRoutes } from '../modules/transfers/transfers.routes.ts';
import { usersRoutes } from '../modules/users/users.routes.ts';
import { wfmRoutes } from '../modules/wfm/wfm.routes.ts';
import { wfmAddressRoutes } from '../modules/wfm/wfm-address.routes.ts';
import { createHomeAddressService } from '../modules/wfm/wfm-address.ts';
import { wfmForecastsRoutes } from '../modules/wfm/wfm-forecasts.routes.ts';
import { createForecastsService } from '../modules/wfm/wfm-forecasts.ts';
import { wfmGovernanceRoutes } from '../modules/wfm/wfm-governance.routes.ts';
import { wfmSwapsRoutes } from '../modules/wfm/wfm-swaps.routes.ts';
import { createSwapsService } from '../modules/wfm/wfm-swaps.ts';
import { registerAuth } from './auth.plugin.ts';
import { registerConsole, registerConsoleDev } from './console.ts';
import { registerHealth } from './health.ts';
import { createLoggerOptions } from './logger.ts';
import { createMetrics, registerMetrics } from './metrics.ts';
import { registerProblemHandlers, sendProblem, toAppError } from './problem.ts';

const VERSION = '0.1.0';
const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,100}$/;

export type BuildAppOptions = {
  /** pino destination for tests that inspect log lines; defaults to stdout. */
  logStream?: NodeJS.WritableStream;
  isShuttingDown?: () => boolean;
  /** Folder of the built web console; defaults to web/dist. */
  consoleDir?: string;
};

/** Builds the HTTP API on an already opened context. Listening is the caller's job. */
export async function buildApp(ctx: AppContext, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { config } = ctx;
  const https = config.tls
    ? {
        https: {
          cert: fs.readFileSync(config.tls.certFile),
          key: fs.readFileSync(config.tls.keyFile),
          minVersion: 'TLSv1.2' as const,
        },
      }
    : {};
  const app = Fastify({
    ...https,
    logger: createLoggerOptions(config.logLevel, options.logStream),
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    bodyLimit: 64 * 1024,
    requestIdHeader: false,
    // An inbound request id is kept only if it is short and plain, so it cannot inject into logs.
    genReqId: (req) => {
      const inbound = req.headers['x-request-id'];
      return typeof inbound === 'string' && REQUEST_ID_RE.test(inbound) ? inbound : crypto.randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
    // A URL Fastify cannot decode (bad percent-encoding) is a problem+json 400 like any bad input.
    frameworkErrors: (error, req, reply) =>
      sendProblem(
        reply,
        req,
        error.code === 'FST_ERR_BAD_URL'
          ? new AppError('MALFORMED_REQUEST', 'The URL is not valid percent-encoding.')
          : toAppError(error),
      ),
  }).withTypeProvider<ZodTypeProvider>();
  // Every route and what it declares, for the route-coverage test and for reviewers.
  const routeTable: Array<{ method: string; url: string; action: string | undefined }> = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods)
      routeTable.push({ method, url: route.url, action: route.config?.access?.action });
  });
  app.decorate('routeTable', routeTable);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  registerProblemHandlers(app);
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
      },
    },
    hsts: config.tls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    // Responses may hold personal data: never let shared caches keep them.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
  await app.register(cookie);
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Bulwark API',
        version: VERSION,
        description:
          'Contact-center security platform. Errors are RFC 9457 application/problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Session token from POST /v1/auth/mfa' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'bulwark_session' },
        },
      },
      security: [{ bearer: [] }, { cookie: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  const metrics = createMetrics();
  registerMetrics(app, metrics, config.metricsToken);
  registerAuth(app, {
    auth: ctx.auth,
    authorizer: ctx.authorizer,
    audit: ctx.audit,
    clock: ctx.clock,
    decisions: metrics.authzDecisions,
    supervisorPlayback: config.recordings.supervisorPlayback,
  });
  registerHealth(app, { db: ctx.database.db, isShuttingDown: options.isShuttingDown ?? (() => false) });

  app.get('/openapi.json', { config: { access: { action: 'public' } }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  await app.register(authRoutes, {
    auth: ctx.auth,
    rateLimitPerMinute: config.authRateLimitPerMinute,
    secureCookie: config.secureCookies,
    maxSessionSeconds: config.session.maxSeconds,
    idleSessionSeconds: config.session.idleSeconds,
    authorizer: ctx.authorizer,
    supervisorPlayback: config.recordings.supervisorPlayback,
  });
  await app.register(passkeysRoutes, {
    passkeys: ctx.passkeys,
    rateLimitPerMinute: config.authRateLimitPerMinute,
    secureCookie: config.secureCookies,
    maxSessionSeconds: config.session.maxSeconds,
  });
  await app.register(usersRoutes, { users: ctx.users });
  await app.register(auditRoutes, { audit: ctx.audit });
  await app.register(redactionRoutes, { keyring: ctx.keyring });
  await app.register(redactionStreamRoutes, { keyring: ctx.keyring });
  await app.register(tokensRoutes, { tokens: ctx.tokens, clock: ctx.clock });
  await app.register(recordingsRoutes, {
    recordings: ctx.recordings,
    content: ctx.recordingContent,
    cases: ctx.cases,
    supervisorPlayback: config.recordings.supervisorPlayback,
  });
  await app.register(casesRoutes, { cases: ctx.cases });
  await app.register(retentionRoutes, { retention: ctx.retention });
  await app.register(keysRoutes, { dataKeys: ctx.dataKeys, jobs: ctx.jobs });
  const overview = createOverviewService({
    db: ctx.database.db,
    audit: ctx.audit,
    keyring: ctx.keyring,
    clock: ctx.clock,
    sessionIdleSeconds: config.session.idleSeconds,
  });
  await app.register(overviewRoutes, { overview });
  await app.register(wfmRoutes, {
    wfm: ctx.wfm,
    clock: ctx.clock,
    authorizer: ctx.authorizer,
    audit: ctx.audit,
  });
  await app.register(wfmGovernanceRoutes, { wfm: ctx.wfm, wfmRetention: ctx.wfmRetention });
  await app.register(wfmSwapsRoutes, {
    swaps: createSwapsService({ db: ctx.database.db, audit: ctx.audit, clock: ctx.clock }),
  });
  await app.register(wfmAddressRoutes, {
    addresses: createHomeAddressService({
      db: ctx.database.db,
      keyring: ctx.keyring,
      authorizer: ctx.authorizer,
      audit: ctx.audit,
      transfers: ctx.transfers,
    }),
    clock: ctx.clock,
  });
  await app.register(wfmForecastsRoutes, {
    forecasts: createForecastsService({ db: ctx.database.db, audit: ctx.audit }),
    authorizer: ctx.authorizer,
    audit: ctx.audit,
    clock: ctx.clock,
  });
  await app.register(transfersRoutes, { transfers: ctx.transfers });
  await app.register(gdprRoutes, { dsar: ctx.dsar, processing: ctx.processing });
  if (config.console.dev) await registerConsoleDev(app);
  else registerConsole(app, options.consoleDir ?? config.console.dir);
  return app;
}
