import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import type { Action, Authorizer, ResourceSlice } from '../modules/access/authorizer.ts';
import type { AuditService } from '../modules/audit/audit.service.ts';
import { type AuthService, toPrincipal } from '../modules/identity/auth.service.ts';
import './request-context.ts';

export const SESSION_COOKIE = 'bulwark_session';

/** Routes reachable without a session. Reviewed list: adding to it needs a reason in the commit. */
export const PUBLIC_ROUTES = new Set([
  'GET /livez',
  'GET /readyz',
  'GET /metrics',
  'GET /openapi.json',
  // The web console's static files and index page: no data, every API call it makes is authorized.
  'GET /',
  'GET /*',
  'POST /v1/auth/login',
  'POST /v1/auth/mfa',
  // Passwordless sign-in: a challenge, then a user-verified passkey assertion (lockout and audit as for /mfa).
  'POST /v1/auth/passkeys/login/options',
  'POST /v1/auth/passkeys/login/verify',
]);

// Actions on the caller's own session or profile; everything else is a sensitive decision and audited on allow too.
const ROUTINE_ACTIONS = new Set<Action>(['me.read', 'auth.logout', 'auth.changePassword']);

type Deps = {
  auth: Pick<AuthService, 'authenticate'>;
  authorizer: Authorizer;
  audit: Pick<AuditService, 'appendNow'>;
  clock: Clock;
  decisions: Counter<'action' | 'decision'>;
  /** BULWARK_SUPERVISOR_PLAYBACK, passed to every decision as `context.supervisorPlayback`. */
  supervisorPlayback?: boolean;
};

/** Host of an Origin header; a malformed or opaque ("null") origin never matches. */
const originHost = (origin: string): string | undefined => {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
};

const bearer = (req: FastifyRequest): string | undefined => {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  return undefined;
};

/**
 * Authentication and authorization for every route: a route with an action needs a live session,
 * and its response is refused unless the handler (or the declared resource) was authorized.
 */
export function registerAuth(app: FastifyInstance, deps: Deps): void {
  app.decorateRequest('auth', null);
  app.decorateRequest('authorizationEvaluated', false);
  app.decorateRequest('authorize', async function authorizeUnbound(this: FastifyRequest) {
    throw new AppError('INTERNAL', 'authorize called outside an authenticated route');
  });

  app.addHook('preHandler', async (req) => {
    const access = req.routeOptions.config.access;
    if (!access) {
      // Fail closed: a route without a declaration is unreachable (the route-coverage test names it).
      if (req.routeOptions.url === undefined) return; // 404 handler
      if (req.routeOptions.url.startsWith('/docs')) return;
      throw new AppError('FORBIDDEN', 'This route declares no authorization action.');
    }
    if (access.action === 'public') return;
    const viaCookie = !bearer(req);
    const token = bearer(req) ?? req.cookies?.[SESSION_COOKIE];
    if (!token)
      throw new AppError(
        'AUTHENTICATION_REQUIRED',
        'Sign in first: send Authorization: Bearer <token> or the session cookie.',
      );
    if (viaCookie && req.method !== 'GET' && req.method !== 'HEAD') {
      // Cookie-authenticated writes must come from our own origin (SameSite=Strict plus this check).
      const site = req.headers['sec-fetch-site'];
      const origin = req.headers.origin;
      if (
        (site && site !== 'same-origin' && site !== 'none') ||
        (origin && originHost(origin) !== req.headers.host)
      ) {
        throw new AppError('FORBIDDEN', 'Cross-site request refused.');
      }
    }
    const auth = await deps.auth.authenticate(token);
    req.auth = auth;
    if (auth.mustChangePassword && !access.allowDuringPasswordChange) {
      throw new AppError('PASSWORD_CHANGE_REQUIRED', 'Change your password first: POST /v1/auth/password.');
    }
    const action = access.action;
    req.authorize = async (resource: ResourceSlice, options: { purpose?: string } = {}) => {
      const now = deps.clock.now().getTime();
      const decision = deps.authorizer.authorize(toPrincipal(auth), action, resource, {
        mfaAgeSeconds: Math.max(0, Math.floor((now - auth.mfaAt.getTime()) / 1000)),
        sessionAgeSeconds: Math.max(0, Math.floor((now - auth.sessionCreatedAt.getTime()) / 1000)),
        devicePosture: 'unknown',
        aggregate: false,
        purpose: options.purpose ?? '',
        supervisorPlayback: deps.supervisorPlayback === true,
      });
      req.authorizationEvaluated = true;
      deps.decisions.inc({ action, decision: decision.allowed ? 'allow' : 'deny' });
      const resourceId = 'id' in resource ? resource.id : null;
      if (!decision.allowed || !ROUTINE_ACTIONS.has(action)) {
        try {
          await deps.audit.appendNow({
            tenantId: auth.tenantId,
            action: `authz.${action}`,
            outcome: decision.allowed ? 'allow' : 'deny',
            actor: { userId: auth.userId, roles: auth.roles, sessionId: auth.sessionId, ip: req.ip },
            resource: { type: resource.type, id: resourceId },
            policyIds: decision.policyIds,
            purpose: options.purpose ?? null,
            requestId: req.id,
            reason: decision.errors.length > 0 ? 'invalid_request' : null,
          });
        } catch (e) {
          // Fail closed: a decision we cannot record is a decision we do not act on.
          req.log.error({ err: e }, 'audit append failed for an authorization decision');
          throw new AppError(
            'SERVICE_UNAVAILABLE',
            'The audit log is unavailable, so the request was refused.',
          );
        }
      }
      if (!decision.allowed) throw new AppError('FORBIDDEN', 'You are not allowed to do this.');
    };
    if (access.resource) await req.authorize(access.resource(req));
  });

  // Guard against a handler that forgot to authorize: its successful response is never sent.
  app.addHook('onSend', async (req, reply: FastifyReply, payload) => {
    const access = req.routeOptions.config.access;
    if (!access || access.action === 'public' || reply.statusCode >= 400 || req.authorizationEvaluated)
      return payload;
    req.log.error({ route: req.routeOptions.url }, 'route responded without an authorization decision');
    reply.code(500).type('application/problem+json');
    return JSON.stringify({
      type: 'urn:bulwark:problem:internal',
      title: 'Internal server error',
      status: 500,
      code: 'INTERNAL',
      request_id: req.id,
    });
  });
}
