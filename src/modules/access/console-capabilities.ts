/**
 * Which web-console screens a signed-in person may use, decided by the same Cedar policies as the
 * API: each screen names the action, a tenant-level resource and the request facts of the route
 * it leads to. These are navigation hints, not authorization: the API still decides (and audits)
 * every request the screen then makes, so they are evaluated without an audit event.
 */
import type {
  Action,
  Authorizer,
  AuthzContext,
  EmployeeDataType,
  PrincipalSlice,
  ResourceSlice,
} from './authorizer.ts';

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
  'wfm-team',
  'wfm-team-absences',
  'wfm-team-performance',
  'wfm-absence-reasons',
  'dsar',
  'processing-record',
  'processing-record-edit',
  'transfers',
  'transfers-edit',
  'wfm-retention',
  'wfm-retention-edit',
  'presence',
  'swaps',
  'swaps-offer',
  'swaps-approve',
  'wfm-forecasts',
  'wfm-capacity',
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
/** A WFM record of someone else in the caller's first team and region. */
const otherAgentsRecord = (p: PrincipalSlice, type: EmployeeDataType): ResourceSlice => ({
  type,
  id: `other:${p.id}`,
  tenantId: p.tenantId,
  region: p.region,
  team: p.teams[0] ?? '',
  agentUserId: `not:${p.id}`,
});

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
  // Other people's WFM rows, as the team views list them: a record of another user in the caller's
  // first team (supervisors of that team; wfm_analyst and wfm_manager read every team).
  'wfm-team': { action: 'data.read', resource: (p) => otherAgentsRecord(p, 'Schedule') },
  'wfm-team-absences': { action: 'data.read', resource: (p) => otherAgentsRecord(p, 'Absence') },
  'wfm-team-performance': { action: 'data.read', resource: (p) => otherAgentsRecord(p, 'Performance') },
  // "Show reasons" on another person's absences, with a stated purpose (wfm_manager only).
  'wfm-absence-reasons': {
    action: 'absence.reason.read',
    resource: (p) => otherAgentsRecord(p, 'Absence'),
    context: { purpose: 'console-navigation' },
  },
  // GDPR: access requests (compliance officers) and the record of processing (read; edit).
  dsar: { action: 'dsar.manage', resource: system },
  'processing-record': { action: 'processing.read', resource: system },
  'processing-record-edit': { action: 'processing.write', resource: system },
  // Cross-border transfer mechanisms (list; record and revoke), WFM retention settings (read;
  // change) and the presence query for incident support.
  transfers: { action: 'transfer.read', resource: system },
  'transfers-edit': { action: 'transfer.write', resource: system },
  'wfm-retention': { action: 'wfm.retention.read', resource: system },
  'wfm-retention-edit': { action: 'wfm.retention.write', resource: system },
  presence: { action: 'wfm.presence.read', resource: system },
  // Shift-swap marketplace: listing; offering one's own shift (agents); deciding on a claimed swap
  // of another person in the caller's team (supervisors of that team, WFM managers).
  swaps: { action: 'swap.list', resource: system },
  'swaps-offer': {
    action: 'swap.offer',
    resource: (p) => ({
      type: 'Schedule',
      id: `self:${p.id}`,
      tenantId: p.tenantId,
      region: p.region,
      team: p.teams[0] ?? '',
      agentUserId: p.id,
    }),
  },
  'swaps-approve': { action: 'swap.approve', resource: (p) => otherAgentsRecord(p, 'Schedule') },
  // Forecasts (GET /v1/wfm/forecasts: wfm_analyst, wfm_manager) and capacity (GET /v1/wfm/capacity:
  // the same action asked as an aggregate request, so executives read it too).
  'wfm-forecasts': { action: 'wfm.forecast.read', resource: system },
  'wfm-capacity': { action: 'wfm.forecast.read', resource: system, context: { aggregate: true } },
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
