import type { Action, ResourceSlice } from '../modules/access/authorizer.ts';
import type { AuthContext } from '../modules/identity/auth.service.ts';

/**
 * What each route declares: `action` is the Cedar action it performs ('public' only for the
 * short reviewed list in auth.plugin.ts); `resource`, when the resource is known from the request
 * alone, lets the auth plugin authorize before the handler runs.
 */
export type RouteAccess = {
  action: Action | 'public';
  resource?: (req: import('fastify').FastifyRequest) => ResourceSlice;
  /** Allowed for a session that must change its password first. */
  allowDuringPasswordChange?: boolean;
};

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: Array<{ method: string; url: string; action: string | undefined }>;
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    auth: AuthContext | null;
    /** Authorizes the route's declared action on `resource`; throws 403 on deny. Audited. */
    authorize: (resource: ResourceSlice, options?: { purpose?: string }) => Promise<void>;
    authorizationEvaluated: boolean;
  }
}
