/**
 * Which web-console screens a signed-in person may use, decided by the same Cedar policies as the
 * API: each screen names the action, a tenant-level resource and the request facts of the route
 * it leads to. These are navigation hints, not authorization: the API still decides (and audits)
 * every request the screen then makes, so they are evaluated without an audit event.
 */
import type { Action, Authorizer, AuthzContext, PrincipalSlice, ResourceSlice } from './authorizer.ts';

/** Console screens, in menu order. */
export const CONSOLE_CAPABILITIES = [
  'overview',
  'audit',
  'audit-checkpoint',
  'users',
  'redaction',
  'tokens',
  'recordings',
  'cases',
  'keys',
  'wfm',
  'reports',
] as const;

export type ConsoleCapability = (typeof CONSOLE_CAPABILITIES)[number];

type Probe = {
  action: Action;
  resource: (p: PrincipalSlice) => ResourceSlice;
  /** Overrides of the request facts (a stated purpose, aggregate reads). */
  context?: Partial<Pick<AuthzContext, 'purpose' | 'aggregate'>>;
};

const system = (p: PrincipalSlice): ResourceSlice => ({ type: 'System', tenantId: p.tenantId });
const auditLog = (p: PrincipalSlice): ResourceSlice => ({ type: 'AuditLog', tenantId: p.tenantId });

/** The screen → (action, resource, context) table; each row mirrors the screen's main route. */
const PROBES: Record<ConsoleCapability, Probe> = {
  overview: { action: 'overview.read', resource: system },
  audit: { action: 'audit.read', resource: auditLog },
  'audit-checkpoint': { action: 'audit.checkpoint.read', resource: auditLog },
  // Administering accounts (creating one), not the team directory supervisors can read.
  users: {
    action: 'user.create',
    resource: (p) => ({ type: 'UserAccount', id: 'new', tenantId: p.tenantId, region: p.region, teams: [] }),
  },
  redaction: { action: 'content.redact', resource: system },
  // Revealing tokenized values: needs the detokenize permission and a stated purpose.
  tokens: { action: 'token.detokenize', resource: system, context: { purpose: 'console-navigation' } },
  recordings: { action: 'recording.list', resource: system },
  // As GET /v1/cases authorizes: "a case assigned to me" (case managers; security analysts see theirs).
  cases: {
    action: 'case.read',
    resource: (p) => ({ type: 'Case', id: '*', tenantId: p.tenantId, assigneeUserId: p.id }),
  },
  keys: { action: 'config.write', resource: system },
  // As GET /v1/wfm/schedules authorizes: the caller's own schedule in their first team.
  wfm: {
    action: 'data.read',
    resource: (p) => ({
      type: 'Schedule',
      id: `self:${p.id}`,
      tenantId: p.tenantId,
      region: p.region,
      team: p.teams[0] ?? '',
      agentUserId: p.id,
    }),
  },
  // Aggregate reports over a cohort at the suppression threshold.
  reports: {
    action: 'report.read',
    resource: (p) => ({ type: 'Report', id: 'console', tenantId: p.tenantId, cohortSize: 5 }),
    context: { aggregate: true },
  },
};

/**
 * The screens `principal` may use, as if MFA were fresh (step-up is offered where it is needed).
 * No audit event and no metric: nothing is accessed.
 *
 * @example
 * consoleCapabilities(authorizer, toPrincipal(req.auth!), { supervisorPlayback: false });
 * // => ['overview', 'users', 'redaction', 'keys'] for an it_admin
 */
export function consoleCapabilities(
  authorizer: Pick<Authorizer, 'authorize'>,
  principal: PrincipalSlice,
  options: { supervisorPlayback: boolean },
): ConsoleCapability[] {
  const base: AuthzContext = {
    mfaAgeSeconds: 0,
    sessionAgeSeconds: 0,
    devicePosture: 'unknown',
    aggregate: false,
    purpose: '',
    supervisorPlayback: options.supervisorPlayback,
  };
  return CONSOLE_CAPABILITIES.filter((name) => {
    const probe = PROBES[name];
    return authorizer.authorize(principal, probe.action, probe.resource(principal), {
      ...base,
      ...probe.context,
    }).allowed;
  });
}
