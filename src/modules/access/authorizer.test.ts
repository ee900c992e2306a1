import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schemaToJson } from '@cedar-policy/cedar-wasm/nodejs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ACTIONS,
  type Action,
  type AuthzContext,
  createAuthorizer,
  DEFAULT_POLICY_DIR,
  type PrincipalSlice,
  RESOURCE_TYPES,
  type ResourceSlice,
  type ResourceType,
} from './authorizer.ts';
import { ROLES, type Role } from './roles.ts';

const authz = createAuthorizer({ policyDir: DEFAULT_POLICY_DIR });

// ---------------------------------------------------------------------------------------------
// Builders

const ME = 'user-me';
const TENANT = 'tenant-1';
const OTHER_TENANT = 'tenant-2';
const MY_TEAM = 'team-1';
const OTHER_TEAM = 'team-2';
const MY_CASE = 'case-1';

function buildPrincipal(roles: readonly Role[], overrides: Partial<PrincipalSlice> = {}): PrincipalSlice {
  return { id: ME, tenantId: TENANT, region: 'eu', roles, teams: [MY_TEAM], cases: [MY_CASE], ...overrides };
}

function buildContext(overrides: Partial<AuthzContext> = {}): AuthzContext {
  return {
    mfaAgeSeconds: 60,
    sessionAgeSeconds: 120,
    devicePosture: 'managed',
    aggregate: true,
    purpose: '',
    ...overrides,
  };
}

const FRESH_MFA = 60;
const STALE_MFA = 3600;

type EmployeeType = 'Schedule' | 'Adherence' | 'Absence' | 'Performance';
type ContentType = 'Recording' | 'Transcript';

/** Which resource types each action applies to (mirrors `appliesTo` in bulwark.cedarschema). */
const APPLIES_TO: Record<Action, readonly ResourceType[]> = {
  'me.read': ['UserAccount'],
  'auth.logout': ['UserAccount'],
  'auth.changePassword': ['UserAccount'],
  'auth.stepUp': ['UserAccount'],
  'user.list': ['UserAccount'],
  'user.read': ['UserAccount'],
  'user.create': ['UserAccount'],
  'user.update': ['UserAccount'],
  'user.revokeSessions': ['UserAccount'],
  'user.unlock': ['UserAccount'],
  'user.resetMfa': ['UserAccount'],
  'audit.read': ['AuditLog'],
  'audit.checkpoint.read': ['AuditLog'],
  'config.read': ['System'],
  'config.write': ['System'],
  'overview.read': ['System'],
  'content.detect': ['System'],
  'content.redact': ['System'],
  'token.create': ['System'],
  'token.detokenize': ['System'],
  'data.read': ['Schedule', 'Adherence', 'Absence', 'Performance'],
  'recording.play': ['Recording', 'Transcript'],
  'recording.download': ['Recording', 'Transcript'],
  'recording.read': ['Recording', 'Transcript'],
  'recording.delete': ['Recording', 'Transcript'],
  'recording.redact': ['Recording', 'Transcript'],
  'recording.list': ['System'],
  'recording.storage': ['System'],
  'recording.ingest': ['System'],
  'recording.annotate': ['System'],
  'recording.hold': ['Recording', 'Case'],
  'case.read': ['Case'],
  'case.write': ['Case'],
  'report.read': ['Report'],
  'wfm.import': ['System'],
  'absence.reason.read': ['Absence'],
  'dsar.manage': ['System'],
  'dsar.exportOwn': ['UserAccount'],
  'processing.read': ['System'],
  'processing.write': ['System'],
  'wfm.retention.read': ['System'],
  'wfm.retention.write': ['System'],
  'wfm.presence.read': ['System'],
  'transfer.read': ['System'],
  'transfer.write': ['System'],
  'swap.list': ['System'],
  'swap.offer': ['Schedule'],
  'swap.withdraw': ['Schedule'],
  'swap.claim': ['Schedule'],
  'swap.approve': ['Schedule'],
  'wfm.address.read': ['AgentRecord'],
  'wfm.forecast.read': ['System'],
  'wfm.forecast.import': ['System'],
};

/** How a resource relates to the principal built by `buildPrincipal()`; depends on its type. */
const RELATIONS = {
  UserAccount: ['own', 'sameTeam', 'otherTeam', 'otherTenant'],
  employee: ['own', 'sameTeam', 'otherTeam', 'otherTenant'],
  content: ['sameTeam', 'otherTeam', 'assignedCase', 'otherTenant'],
  tenantScoped: ['sameTenant', 'otherTenant'],
  Report: ['largeCohort', 'smallCohort', 'otherTenant'],
  Case: ['assignedToMe', 'assignedToOther', 'otherTenant'],
} as const;

type Relation = (typeof RELATIONS)[keyof typeof RELATIONS][number];

function relationsOf(type: ResourceType): readonly Relation[] {
  switch (type) {
    case 'UserAccount':
      return RELATIONS.UserAccount;
    case 'AuditLog':
    case 'System':
      return RELATIONS.tenantScoped;
    case 'Report':
      return RELATIONS.Report;
    case 'Case':
      return RELATIONS.Case;
    case 'Recording':
    case 'Transcript':
      return RELATIONS.content;
    default:
      return RELATIONS.employee;
  }
}

function buildResource(type: ResourceType, relation: Relation): ResourceSlice {
  const tenantId = relation === 'otherTenant' ? OTHER_TENANT : TENANT;
  const isMine = relation === 'own' || relation === 'otherTenant';
  const team = relation === 'otherTeam' || relation === 'assignedCase' ? OTHER_TEAM : MY_TEAM;
  switch (type) {
    case 'AuditLog':
    case 'System':
      return { type, tenantId };
    case 'UserAccount':
      return {
        type,
        id: isMine ? ME : 'user-other',
        tenantId,
        region: 'eu',
        teams: relation === 'sameTeam' ? [MY_TEAM, 'team-3'] : [team],
      };
    case 'Report':
      return { type, id: 'report-1', tenantId, cohortSize: relation === 'smallCohort' ? 4 : 12 };
    case 'Case':
      return {
        type,
        id: 'case-1',
        tenantId,
        assigneeUserId: relation === 'assignedToOther' ? 'user-other' : ME,
      };
    case 'Recording':
    case 'Transcript':
      return {
        type,
        id: `${type}-1`,
        tenantId,
        region: 'eu',
        team,
        cases: relation === 'assignedCase' || relation === 'otherTenant' ? ['case-9', MY_CASE] : ['case-9'],
      };
    default:
      return { type, id: `${type}-1`, tenantId, region: 'eu', team, agentUserId: isMine ? ME : 'user-other' };
  }
}

// ---------------------------------------------------------------------------------------------
// The matrix, as data: role → "action ResourceType" → relation → ids of the permits that allow it.
// `fresh([...])` = allowed only with fresh MFA. Every cell not listed is expected to be denied.

type Allowed = readonly string[] | { readonly freshMfaOnly: readonly string[] };
type RoleTable = Readonly<Record<string, Partial<Record<Relation, Allowed>>>>;

const fresh = (ids: readonly string[]): Allowed => ({ freshMfaOnly: ids });
/** Allowed for every same-tenant relation of a UserAccount or employee-data record. */
const inTenant = (ids: readonly string[]) => ({ own: ids, sameTeam: ids, otherTeam: ids });

const SELF: RoleTable = {
  'content.detect System': { sameTenant: ['redaction-service'] },
  'content.redact System': { sameTenant: ['redaction-service'] },
  'token.create System': { sameTenant: ['token-create'] },
  'me.read UserAccount': { own: ['self-account'] },
  'auth.logout UserAccount': { own: ['self-account'] },
  'auth.changePassword UserAccount': { own: ['self-account'] },
  'auth.stepUp UserAccount': { own: ['self-account'] },
  'user.read UserAccount': { own: ['self-account'] },
  'dsar.exportOwn UserAccount': { own: ['self-data-export'] },
};

const ownData = { own: ['agent-own-employee-data'] };
const teamData = { own: ['supervisor-team-employee-data'], sameTeam: ['supervisor-team-employee-data'] };
const analystData = inTenant(['wfm-analyst-schedules-adherence']);
const managerData = inTenant(['wfm-manager-employee-data']);
const itUsers = inTenant(['it-admin-users']);
const qaPlay = { sameTeam: fresh(['qa-team-recordings']) };
const qaRead = { sameTeam: ['qa-team-recordings'] };
const casePlay = { assignedCase: fresh(['compliance-case-recordings']) };
const caseRead = { assignedCase: ['compliance-case-recordings'] };
const securityPlay = { assignedCase: fresh(['security-case-recordings']) };
const governance = (ids: readonly string[]) => ({
  sameTeam: fresh(ids),
  otherTeam: fresh(ids),
  assignedCase: fresh(ids),
});
const complianceCases = { assignedToMe: ['compliance-cases'], assignedToOther: ['compliance-cases'] };
const auditors = { sameTenant: ['audit-readers'] };
const overview = { sameTenant: ['security-overview-readers'] };
const processingRecord = { sameTenant: ['processing-record-readers'] };
const swapList = { sameTenant: ['swap-marketplace-list'] };

const MATRIX: Readonly<Record<Role, RoleTable>> = {
  agent: {
    ...SELF,
    'data.read Schedule': ownData,
    'data.read Adherence': ownData,
    'data.read Absence': ownData,
    'data.read Performance': ownData,
    'absence.reason.read Absence': { own: ['agent-own-absence-reason'] },
    'swap.list System': swapList,
    'swap.offer Schedule': { own: ['agent-swap-own-shift'] },
    'swap.withdraw Schedule': { own: ['agent-swap-own-shift'] },
    'swap.claim Schedule': { sameTeam: ['agent-swap-claim-team-shift'] },
  },
  supervisor: {
    ...SELF,
    'user.read UserAccount': {
      own: ['self-account', 'supervisor-team-accounts'],
      sameTeam: ['supervisor-team-accounts'],
    },
    'user.list UserAccount': { own: ['supervisor-team-accounts'], sameTeam: ['supervisor-team-accounts'] },
    'data.read Schedule': teamData,
    'data.read Adherence': teamData,
    'data.read Absence': teamData,
    'data.read Performance': teamData,
    'swap.list System': swapList,
    // `own` (a swap of one's own shift) is refused by no-self-swap-approval.
    'swap.approve Schedule': { sameTeam: ['supervisor-team-swap-approval'] },
  },
  wfm_analyst: {
    ...SELF,
    'data.read Schedule': analystData,
    'data.read Adherence': analystData,
    'wfm.forecast.read System': { sameTenant: ['wfm-forecast-readers'] },
  },
  wfm_manager: {
    ...SELF,
    'data.read Schedule': managerData,
    'data.read Adherence': managerData,
    'data.read Absence': managerData,
    'data.read Performance': managerData,
    // Absence reasons need a stated purpose and the matrix states none: see the purpose test.
    'wfm.import System': { sameTenant: ['wfm-import'] },
    'report.read Report': { largeCohort: ['wfm-manager-reports'], smallCohort: ['wfm-manager-reports'] },
    'processing.read System': processingRecord,
    'wfm.retention.read System': { sameTenant: ['wfm-retention-readers'] },
    'wfm.retention.write System': { sameTenant: ['wfm-retention-writers'] },
    'wfm.presence.read System': { sameTenant: ['wfm-presence-incident-support'] },
    'swap.list System': swapList,
    'swap.approve Schedule': {
      sameTeam: ['wfm-manager-swap-approval'],
      otherTeam: ['wfm-manager-swap-approval'],
    },
    // Home addresses need a stated purpose and the matrix states none: see the purpose test.
    'wfm.forecast.read System': { sameTenant: ['wfm-forecast-readers'] },
    'wfm.forecast.import System': { sameTenant: ['wfm-forecast-import'] },
  },
  it_admin: {
    ...SELF,
    'user.list UserAccount': itUsers,
    'user.read UserAccount': { ...itUsers, own: ['it-admin-users', 'self-account'] },
    'user.create UserAccount': itUsers,
    'user.update UserAccount': { sameTeam: itUsers.sameTeam, otherTeam: itUsers.otherTeam },
    'user.revokeSessions UserAccount': itUsers,
    'user.unlock UserAccount': itUsers,
    'user.resetMfa UserAccount': { sameTeam: itUsers.sameTeam, otherTeam: itUsers.otherTeam },
    'overview.read System': overview,
    'config.read System': { sameTenant: ['it-admin-config'] },
    'config.write System': { sameTenant: ['it-admin-config'] },
    'audit.checkpoint.read AuditLog': { sameTenant: ['it-admin-audit-checkpoint'] },
    'recording.storage System': { sameTenant: ['recording-storage-readers'] },
    'recording.ingest System': { sameTenant: ['it-admin-recording-intake'] },
    'recording.annotate System': { sameTenant: ['it-admin-recording-intake'] },
    'processing.read System': processingRecord,
    'wfm.import System': { sameTenant: ['wfm-import'] },
    'wfm.retention.read System': { sameTenant: ['wfm-retention-readers'] },
    'transfer.read System': { sameTenant: ['transfer-mechanism-readers'] },
    'wfm.forecast.import System': { sameTenant: ['wfm-forecast-import'] },
  },
  executive: {
    ...SELF,
    'report.read Report': { largeCohort: ['executive-aggregate-reports'] },
    // buildContext() asks for an aggregate: capacity, never queue forecasts (see the route).
    'wfm.forecast.read System': { sameTenant: ['executive-capacity-aggregate'] },
  },
  qa_analyst: {
    ...SELF,
    'recording.play Recording': qaPlay,
    'recording.play Transcript': qaPlay,
    'recording.read Recording': qaRead,
    'recording.read Transcript': qaRead,
    'recording.redact Recording': qaPlay,
    'recording.redact Transcript': qaPlay,
    'recording.list System': { sameTenant: ['recording-listers'] },
  },
  compliance_officer: {
    ...SELF,
    'audit.read AuditLog': auditors,
    'audit.checkpoint.read AuditLog': auditors,
    'overview.read System': overview,
    'recording.play Recording': casePlay,
    'recording.play Transcript': casePlay,
    'recording.download Recording': casePlay,
    'recording.download Transcript': casePlay,
    'recording.read Recording': caseRead,
    'recording.read Transcript': caseRead,
    'recording.redact Recording': casePlay,
    'recording.redact Transcript': casePlay,
    'recording.delete Recording': governance(['compliance-recording-governance']),
    'recording.delete Transcript': governance(['compliance-recording-governance']),
    'recording.hold Recording': {
      sameTeam: ['compliance-recording-governance'],
      otherTeam: ['compliance-recording-governance'],
      assignedCase: ['compliance-recording-governance'],
    },
    'recording.hold Case': {
      assignedToMe: ['compliance-recording-governance'],
      assignedToOther: ['compliance-recording-governance'],
    },
    'recording.list System': { sameTenant: ['recording-listers'] },
    'recording.storage System': { sameTenant: ['recording-storage-readers'] },
    'case.read Case': complianceCases,
    'case.write Case': complianceCases,
    'dsar.manage System': { sameTenant: ['compliance-dsar'] },
    'processing.read System': processingRecord,
    'processing.write System': { sameTenant: ['compliance-processing-record'] },
    'wfm.retention.read System': { sameTenant: ['wfm-retention-readers'] },
    'transfer.read System': { sameTenant: ['transfer-mechanism-readers'] },
    'transfer.write System': { sameTenant: ['transfer-mechanism-managers'] },
  },
  security_analyst: {
    ...SELF,
    'audit.read AuditLog': auditors,
    'audit.checkpoint.read AuditLog': auditors,
    'overview.read System': overview,
    'recording.play Recording': securityPlay,
    'recording.play Transcript': securityPlay,
    'recording.read Recording': { assignedCase: ['security-case-recordings'] },
    'recording.read Transcript': { assignedCase: ['security-case-recordings'] },
    'recording.list System': { sameTenant: ['recording-listers'] },
    'case.read Case': { assignedToMe: ['security-assigned-cases'] },
    'processing.read System': processingRecord,
    'wfm.presence.read System': { sameTenant: ['wfm-presence-incident-support'] },
  },
};

/** Actions the fresh-MFA guardrail covers. */
const CONTENT_ACTIONS: readonly Action[] = [
  'recording.play',
  'recording.download',
  'recording.delete',
  'recording.redact',
];
const INDIVIDUAL_ACTIONS: readonly Action[] = [
  'data.read',
  'absence.reason.read',
  'wfm.presence.read',
  'recording.play',
  'recording.download',
  'recording.read',
  'recording.list',
  'dsar.manage',
  'swap.list',
  'swap.offer',
  'swap.withdraw',
  'swap.claim',
  'swap.approve',
  'wfm.address.read',
];
const IT_ADMIN_FORBIDDEN: readonly Action[] = [
  'data.read',
  'absence.reason.read',
  'wfm.presence.read',
  'recording.play',
  'recording.download',
  'recording.read',
  'recording.list',
  'recording.redact',
  'dsar.manage',
  'swap.list',
  'swap.offer',
  'swap.withdraw',
  'swap.claim',
  'swap.approve',
  'wfm.address.read',
];

/** The guardrails of policies/guardrails.cedar restated: which forbids a single-role cell trips. */
function expectedForbids(role: Role, action: Action, relation: Relation, staleMfa: boolean): string[] {
  const ids: string[] = [];
  if (staleMfa && CONTENT_ACTIONS.includes(action)) ids.push('content-requires-fresh-mfa');
  if (role === 'executive' && INDIVIDUAL_ACTIONS.includes(action)) {
    ids.push('executive-no-individual-records');
  }
  if (role === 'executive' && action === 'report.read' && relation === 'smallCohort') {
    ids.push('executive-report-min-cohort');
  }
  if (role === 'it_admin' && IT_ADMIN_FORBIDDEN.includes(action)) {
    ids.push('it-admin-no-employee-data-or-content');
  }
  if (relation === 'otherTenant') ids.push('tenant-isolation');
  // buildContext() states no purpose, and matrix principals hold no detokenize permission.
  if (action === 'token.detokenize') ids.push('detokenize-needs-purpose');
  // 'otherTenant' resources carry the principal's own id (see buildResource), so self-change trips too.
  if (action === 'user.update' && (relation === 'own' || relation === 'otherTenant'))
    ids.push('no-self-privilege-change');
  if (action === 'user.resetMfa' && (relation === 'own' || relation === 'otherTenant'))
    ids.push('no-self-mfa-reset');
  if (action === 'swap.approve' && (relation === 'own' || relation === 'otherTenant'))
    ids.push('no-self-swap-approval');
  return ids.sort();
}

interface Cell {
  readonly name: string;
  readonly role: Role;
  readonly action: Action;
  readonly resource: ResourceSlice;
  readonly staleMfa: boolean;
  readonly expected: { allowed: boolean; policyIds: string[] };
}

function matrixCells(role: Role): Cell[] {
  const table = MATRIX[role];
  // Guard the table itself against typos: keys must be real action/type pairs and relations.
  for (const [key, row] of Object.entries(table)) {
    const [action, type] = key.split(' ') as [Action, ResourceType];
    if (!APPLIES_TO[action]?.includes(type)) throw new Error(`matrix ${role}: "${key}" is not a valid pair`);
    for (const rel of Object.keys(row)) {
      if (!relationsOf(type).includes(rel as Relation))
        throw new Error(`matrix ${role}: ${key} has no ${rel}`);
    }
  }
  const cells: Cell[] = [];
  for (const action of ACTIONS) {
    for (const type of APPLIES_TO[action]) {
      for (const relation of relationsOf(type)) {
        for (const staleMfa of [false, true]) {
          const entry = table[`${action} ${type}`]?.[relation];
          const permitIds = entry === undefined ? [] : 'freshMfaOnly' in entry ? entry.freshMfaOnly : entry;
          const allowed = entry !== undefined && !(staleMfa && 'freshMfaOnly' in entry);
          const forbids = expectedForbids(role, action, relation, staleMfa);
          if (allowed && forbids.length > 0) {
            throw new Error(
              `matrix ${role}: ${action} ${type} ${relation} allowed but forbidden by ${forbids}`,
            );
          }
          cells.push({
            name: `${role} ${action} ${type} ${relation} ${staleMfa ? 'stale' : 'fresh'}-mfa`,
            role,
            action,
            resource: buildResource(type, relation),
            staleMfa,
            expected: { allowed, policyIds: allowed ? [...permitIds].sort() : forbids },
          });
        }
      }
    }
  }
  return cells;
}

const decidingIds = new Set<string>();

describe('authorization matrix (role × action × relation × MFA)', () => {
  it.each(ROLES)('%s: every cell decides as the table says, naming the deciding policies', (role) => {
    const mismatches: string[] = [];
    const cells = matrixCells(role);
    for (const cell of cells) {
      const ctx = buildContext({ mfaAgeSeconds: cell.staleMfa ? STALE_MFA : FRESH_MFA });
      const decision = authz.authorize(buildPrincipal([role]), cell.action, cell.resource, ctx);
      for (const id of decision.policyIds) decidingIds.add(id);
      const got = { allowed: decision.allowed, policyIds: decision.policyIds };
      if (decision.errors.length > 0) mismatches.push(`${cell.name}: errors ${decision.errors.join('; ')}`);
      if (JSON.stringify(got) !== JSON.stringify(cell.expected)) {
        mismatches.push(
          `${cell.name}: expected ${JSON.stringify(cell.expected)}, got ${JSON.stringify(got)}`,
        );
      }
    }
    expect(cells.length).toBeGreaterThan(150);
    expect(mismatches).toEqual([]);
  });

  it('detokenize needs the permission, MFA within 900 s and a purpose', () => {
    const system: ResourceSlice = { type: 'System', tenantId: TENANT };
    const holder = buildPrincipal(['agent'], { permissions: ['detokenize'] });
    const purpose = 'chargeback case 42';
    const decide = (p: PrincipalSlice, ctx: Partial<AuthzContext>) => {
      const d = authz.authorize(p, 'token.detokenize', system, buildContext(ctx));
      for (const id of d.policyIds) decidingIds.add(id);
      return d;
    };
    const allowed = { allowed: true, policyIds: ['detokenize-permitted'], errors: [] };
    const defaultDeny = { allowed: false, policyIds: [], errors: [] };
    expect(decide(holder, { purpose, mfaAgeSeconds: FRESH_MFA })).toEqual(allowed);
    expect(decide(holder, { purpose, mfaAgeSeconds: 900 })).toEqual(allowed);
    // Every role, however privileged, is denied without the permission.
    expect(decide(buildPrincipal(ROLES), { purpose })).toEqual(defaultDeny);
    expect(decide(buildPrincipal(['it_admin'], { permissions: ['other'] }), { purpose })).toEqual(
      defaultDeny,
    );
    expect(decide(holder, { purpose, mfaAgeSeconds: 901 })).toEqual(defaultDeny);
    expect(decide(holder, { purpose, mfaAgeSeconds: STALE_MFA })).toEqual(defaultDeny);
    expect(decide(holder, { purpose, mfaAgeSeconds: null })).toEqual(defaultDeny);
    expect(decide(holder, { purpose: '' })).toEqual({
      allowed: false,
      policyIds: ['detokenize-needs-purpose'],
      errors: [],
    });
    const foreign = authz.authorize(
      holder,
      'token.detokenize',
      { type: 'System', tenantId: OTHER_TENANT },
      buildContext({ purpose }),
    );
    expect(foreign).toEqual({ allowed: false, policyIds: ['tenant-isolation'], errors: [] });
  });

  it("supervisors play and read their own teams' recordings only when the deployment enables it", () => {
    const sup = buildPrincipal(['supervisor']);
    const mine = buildResource('Recording', 'sameTeam');
    const other = buildResource('Recording', 'otherTeam');
    const on = buildContext({ mfaAgeSeconds: FRESH_MFA, supervisorPlayback: true });
    const off = buildContext({ mfaAgeSeconds: FRESH_MFA });
    for (const action of ['recording.play', 'recording.read'] as const) {
      const allowed = authz.authorize(sup, action, mine, on);
      expect(allowed).toEqual({
        allowed: true,
        policyIds: ['supervisor-team-recordings-if-enabled'],
        errors: [],
      });
      for (const id of allowed.policyIds) decidingIds.add(id);
      expect(authz.authorize(sup, action, other, on).allowed).toBe(false);
      expect(authz.authorize(sup, action, mine, off).allowed).toBe(false);
    }
    expect(authz.authorize(sup, 'recording.download', mine, on).allowed).toBe(false);
    expect(authz.authorize(sup, 'recording.list', buildResource('System', 'sameTenant'), on).allowed).toBe(
      true,
    );
    expect(
      authz.authorize(sup, 'recording.play', mine, { ...on, mfaAgeSeconds: STALE_MFA }).policyIds,
    ).toEqual(['content-requires-fresh-mfa']);
  });

  it('absence reasons: own for agents; wfm_manager only with a stated purpose; never supervisors', () => {
    const manager = buildPrincipal(['wfm_manager']);
    const decide = (p: PrincipalSlice, relation: Relation, purpose: string) => {
      const resource = buildResource('Absence', relation);
      const d = authz.authorize(p, 'absence.reason.read', resource, buildContext({ purpose }));
      for (const id of d.policyIds) decidingIds.add(id);
      return d;
    };
    const byPurpose = { allowed: true, policyIds: ['wfm-manager-absence-reason-with-purpose'], errors: [] };
    expect(decide(manager, 'otherTeam', 'return-to-work review')).toEqual(byPurpose);
    expect(decide(manager, 'sameTeam', '').allowed).toBe(false);
    for (const relation of ['sameTeam', 'otherTeam'] as const) {
      expect(decide(buildPrincipal(['supervisor']), relation, 'team planning').allowed).toBe(false);
      expect(decide(buildPrincipal(['wfm_analyst']), relation, 'forecast').allowed).toBe(false);
      expect(decide(buildPrincipal(['agent']), relation, 'curious').allowed).toBe(false);
    }
    expect(decide(buildPrincipal(['it_admin', 'wfm_manager']), 'sameTeam', 'x').policyIds).toEqual([
      'it-admin-no-employee-data-or-content',
    ]);
    expect(decide(buildPrincipal(['executive', 'wfm_manager']), 'sameTeam', 'x').policyIds).toEqual([
      'executive-no-individual-records',
    ]);
    expect(decide(manager, 'otherTenant', 'x').policyIds).toEqual(['tenant-isolation']);
  });

  it('home addresses: wfm_manager only with a stated purpose and a transfer mechanism; nobody else', () => {
    const manager = buildPrincipal(['wfm_manager']);
    const decide = (p: PrincipalSlice, relation: Relation, purpose: string, region = 'eu') => {
      const resource = { ...buildResource('AgentRecord', relation), region } as ResourceSlice;
      const d = authz.authorize(p, 'wfm.address.read', resource, buildContext({ purpose }));
      for (const id of d.policyIds) decidingIds.add(id);
      return d;
    };
    expect(decide(manager, 'otherTeam', 'payroll correction')).toEqual({
      allowed: true,
      policyIds: ['wfm-manager-home-address-with-purpose'],
      errors: [],
    });
    expect(decide(manager, 'sameTeam', '').allowed).toBe(false);
    for (const role of ['supervisor', 'wfm_analyst', 'agent', 'compliance_officer'] as const)
      for (const relation of ['own', 'sameTeam', 'otherTeam'] as const)
        expect(decide(buildPrincipal([role]), relation, 'reason').allowed).toBe(false);
    expect(decide(buildPrincipal(['it_admin', 'wfm_manager']), 'sameTeam', 'x').policyIds).toEqual([
      'it-admin-no-employee-data-or-content',
    ]);
    expect(decide(buildPrincipal(['executive', 'wfm_manager']), 'sameTeam', 'x').policyIds).toEqual([
      'executive-no-individual-records',
    ]);
    expect(decide(manager, 'otherTeam', 'x', 'us').policyIds).toEqual([
      'cross-border-transfer-needs-mechanism',
    ]);
    expect(decide({ ...manager, transferFrom: ['us'] }, 'otherTeam', 'x', 'us').allowed).toBe(true);
    expect(decide(manager, 'otherTenant', 'x').policyIds).toEqual(['tenant-isolation']);
  });

  it('employee data of another region needs a transfer mechanism to the reader region', () => {
    const manager = buildPrincipal(['wfm_manager']);
    const usRow = { ...buildResource('Schedule', 'otherTeam'), region: 'us' } as ResourceSlice;
    const usAbsence = { ...buildResource('Absence', 'otherTeam'), region: 'us' } as ResourceSlice;
    const denied = authz.authorize(manager, 'data.read', usRow, buildContext());
    expect(denied).toEqual({
      allowed: false,
      policyIds: ['cross-border-transfer-needs-mechanism'],
      errors: [],
    });
    for (const id of denied.policyIds) decidingIds.add(id);
    expect(authz.authorize({ ...manager, transferFrom: ['us'] }, 'data.read', usRow, buildContext())).toEqual(
      {
        allowed: true,
        policyIds: ['wfm-manager-employee-data'],
        errors: [],
      },
    );
    // A mechanism for another pair does not help; the reason of an absence follows the same rule.
    expect(
      authz.authorize({ ...manager, transferFrom: ['uk'] }, 'data.read', usRow, buildContext()).allowed,
    ).toBe(false);
    const purpose = buildContext({ purpose: 'return-to-work review' });
    expect(authz.authorize(manager, 'absence.reason.read', usAbsence, purpose).allowed).toBe(false);
    expect(
      authz.authorize({ ...manager, transferFrom: ['us'] }, 'absence.reason.read', usAbsence, purpose)
        .allowed,
    ).toBe(true);
  });

  it('every policy decides at least one matrix cell (policy coverage)', () => {
    // Runs after the role cases above (vitest runs a file's tests in order).
    expect([...decidingIds].sort()).toEqual([...authz.policyIds]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('guardrails', () => {
  const ctx = buildContext();

  it.each([
    ['it_admin', 'wfm_manager', 'data.read', buildResource('Performance', 'sameTeam')],
    ['it_admin', 'supervisor', 'data.read', buildResource('Schedule', 'sameTeam')],
    ['it_admin', 'agent', 'data.read', buildResource('Schedule', 'own')],
    ['it_admin', 'qa_analyst', 'recording.play', buildResource('Recording', 'sameTeam')],
    ['it_admin', 'compliance_officer', 'recording.download', buildResource('Transcript', 'assignedCase')],
  ] as const)('%s + %s is still denied %s', (guarded, other, action, resource) => {
    const alone = authz.authorize(buildPrincipal([other]), action, resource, ctx);
    expect(alone.allowed).toBe(true);
    const both = authz.authorize(buildPrincipal([guarded, other]), action, resource, ctx);
    expect(both).toEqual({ allowed: false, policyIds: ['it-admin-no-employee-data-or-content'], errors: [] });
  });

  it.each([
    ['supervisor', 'data.read', buildResource('Adherence', 'sameTeam')],
    ['wfm_manager', 'data.read', buildResource('Performance', 'otherTeam')],
    ['qa_analyst', 'recording.play', buildResource('Recording', 'sameTeam')],
    ['compliance_officer', 'recording.download', buildResource('Recording', 'assignedCase')],
  ] as const)('executive + %s never reads individual records (%s)', (other, action, resource) => {
    const d = authz.authorize(buildPrincipal(['executive', other]), action, resource, ctx);
    expect(d).toEqual({ allowed: false, policyIds: ['executive-no-individual-records'], errors: [] });
  });

  it('executive reports need aggregate and a cohort of at least 5', () => {
    const exec = buildPrincipal(['executive']);
    const report = (cohortSize: number): ResourceSlice => ({
      type: 'Report',
      id: 'r',
      tenantId: TENANT,
      cohortSize,
    });
    expect(authz.authorize(exec, 'report.read', report(5), ctx)).toEqual({
      allowed: true,
      policyIds: ['executive-aggregate-reports'],
      errors: [],
    });
    for (const [cohort, aggregate] of [
      [4, true],
      [1, true],
      [0, true],
      [50, false],
    ] as const) {
      const d = authz.authorize(exec, 'report.read', report(cohort), buildContext({ aggregate }));
      expect(d, `cohort ${cohort} aggregate ${aggregate}`).toEqual({
        allowed: false,
        policyIds: ['executive-report-min-cohort'],
        errors: [],
      });
    }
  });

  it('playback and download need MFA within 900 s; a session without MFA counts as stale', () => {
    const qa = buildPrincipal(['qa_analyst', 'compliance_officer']);
    const rec = buildResource('Recording', 'sameTeam');
    const at = (mfaAgeSeconds: number | null) =>
      authz.authorize(qa, 'recording.play', rec, buildContext({ mfaAgeSeconds })).allowed;
    expect(at(0)).toBe(true);
    expect(at(900)).toBe(true);
    expect(at(900.2)).toBe(false); // rounded up, never down
    expect(at(901)).toBe(false);
    expect(at(null)).toBe(false);
    expect(at(Number.NaN)).toBe(false);
    expect(at(Number.POSITIVE_INFINITY)).toBe(false);
    const d = authz.authorize(
      qa,
      'recording.download',
      buildResource('Recording', 'assignedCase'),
      buildContext({ mfaAgeSeconds: null }),
    );
    expect(d).toEqual({ allowed: false, policyIds: ['content-requires-fresh-mfa'], errors: [] });
  });

  it('tenant mismatch denies every action on every resource type, even for a holder of every role', () => {
    const everyone = buildPrincipal(ROLES, { permissions: ['detokenize'] });
    // it_admin and executive would forbid individual-level reads even within the tenant.
    const unguarded = buildPrincipal(ROLES.filter((r) => r !== 'it_admin' && r !== 'executive'));
    const noAdmin = buildPrincipal(
      ROLES.filter((r) => r !== 'it_admin'),
      { permissions: ['detokenize'] },
    );
    // Detokenizing needs a stated purpose; no other policy reads it.
    const ctx = buildContext({ purpose: 'tenant isolation check' });
    for (const action of ACTIONS) {
      const holder = INDIVIDUAL_ACTIONS.includes(action)
        ? unguarded
        : IT_ADMIN_FORBIDDEN.includes(action)
          ? noAdmin
          : everyone;
      for (const type of APPLIES_TO[action]) {
        const content = type === 'Recording' || type === 'Transcript';
        // user.update targets someone else: changing one's own privileges is forbidden in any tenant
        // (likewise resetting one's own MFA, deciding a swap of one's own shift, claiming one's own offer).
        const relation = content
          ? 'assignedCase'
          : action === 'user.update' ||
              action === 'user.resetMfa' ||
              action === 'swap.approve' ||
              action === 'swap.claim'
            ? 'sameTeam'
            : relationsOf(type)[0]!;
        const own = buildResource(type, relation);
        const inTenant = authz.authorize(holder, action, own, ctx);
        expect(inTenant.allowed, `${action} ${type} same tenant`).toBe(true);
        const foreign = { ...own, tenantId: OTHER_TENANT };
        const d = authz.authorize(holder, action, foreign, ctx);
        expect(d.allowed, `${action} ${type}`).toBe(false);
        expect(d.policyIds, `${action} ${type}`).toContain('tenant-isolation');
      }
    }
  });

  it('supervisor team scoping holds with many teams (the slice is narrowed before marshalling)', () => {
    const teams = Array.from({ length: 300 }, (_, i) => `team-${i + 10}`);
    const sup = buildPrincipal(['supervisor'], { teams: [...teams, MY_TEAM] });
    const accountOf = (accountTeams: string[]): ResourceSlice => ({
      type: 'UserAccount',
      id: 'user-other',
      tenantId: TENANT,
      region: 'eu',
      teams: accountTeams,
    });
    expect(authz.authorize(sup, 'user.list', accountOf(['x', 'team-150']), buildContext()).allowed).toBe(
      true,
    );
    expect(authz.authorize(sup, 'user.list', accountOf(['x', 'y']), buildContext()).allowed).toBe(false);
    expect(authz.authorize(sup, 'user.list', accountOf([]), buildContext()).allowed).toBe(false);
    expect(
      authz.authorize(sup, 'data.read', buildResource('Schedule', 'sameTeam'), buildContext()).allowed,
    ).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('invalid requests deny without throwing', () => {
  it('every action on every resource type outside its appliesTo', () => {
    const everyone = buildPrincipal(ROLES);
    let checked = 0;
    for (const action of ACTIONS) {
      for (const type of RESOURCE_TYPES) {
        if (APPLIES_TO[action].includes(type)) continue;
        const d = authz.authorize(
          everyone,
          action,
          buildResource(type, relationsOf(type)[0]!),
          buildContext(),
        );
        expect(d.allowed, `${action} on ${type}`).toBe(false);
        expect(d.policyIds).toEqual([]);
        expect(d.errors.join('\n'), `${action} on ${type}`).toMatch(/is not valid for/);
        checked++;
      }
    }
    expect(checked).toBe(ACTIONS.length * RESOURCE_TYPES.length - Object.values(APPLIES_TO).flat().length);
  });

  it('malformed values, unknown actions and missing slices', () => {
    const admin = buildPrincipal(['it_admin']);
    const sys: ResourceSlice = { type: 'System', tenantId: TENANT };
    const cases: [string, () => ReturnType<typeof authz.authorize>][] = [
      ['unknown action', () => authz.authorize(admin, 'config.delete' as Action, sys, buildContext())],
      [
        'fractional cohort',
        () =>
          authz.authorize(
            buildPrincipal(['executive']),
            'report.read',
            { type: 'Report', id: 'r', tenantId: TENANT, cohortSize: 7.5 },
            buildContext(),
          ),
      ],
      ['empty principal id', () => authz.authorize({ ...admin, id: '' }, 'config.read', sys, buildContext())],
      ['empty tenant', () => authz.authorize({ ...admin, tenantId: '' }, 'config.read', sys, buildContext())],
      [
        'null principal',
        () => authz.authorize(null as unknown as PrincipalSlice, 'config.read', sys, buildContext()),
      ],
      [
        'null resource',
        () => authz.authorize(admin, 'config.read', null as unknown as ResourceSlice, buildContext()),
      ],
      [
        'unknown resource type',
        () =>
          authz.authorize(admin, 'config.read', { type: 'Vault', tenantId: TENANT } as never, buildContext()),
      ],
      [
        'missing context field',
        () => authz.authorize(admin, 'config.read', sys, { aggregate: true } as never),
      ],
      [
        'non-string team',
        () =>
          authz.authorize(
            admin,
            'user.read',
            { ...buildResource('UserAccount', 'sameTeam'), teams: [1] } as never,
            buildContext(),
          ),
      ],
    ];
    for (const [name, run] of cases) {
      let d: ReturnType<typeof authz.authorize> | undefined;
      expect(() => {
        d = run();
      }, name).not.toThrow();
      expect(d?.allowed, name).toBe(false);
      expect(d?.errors.length, name).toBeGreaterThan(0);
    }
  });

  it('is deterministic', () => {
    const p = buildPrincipal(['supervisor', 'it_admin']);
    const r = buildResource('UserAccount', 'own');
    const first = authz.authorize(p, 'user.read', r, buildContext());
    expect(first.policyIds).toEqual(['it-admin-users', 'self-account', 'supervisor-team-accounts']);
    for (let i = 0; i < 20; i++) expect(authz.authorize(p, 'user.read', r, buildContext())).toEqual(first);
  });
});

// ---------------------------------------------------------------------------------------------

describe('createAuthorizer start-up checks', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A copy of policies/ with one file changed. */
  function brokenCopy(file: string, edit: (text: string) => string): string {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-policies-'));
    dirs.push(dir);
    cpSync(DEFAULT_POLICY_DIR, dir, { recursive: true });
    const path = join(dir, file);
    const before = readFileSync(path, 'utf8');
    const after = edit(before);
    expect(after).not.toBe(before);
    writeFileSync(path, after);
    return dir;
  }

  it('loads the repository policies with stable ids', () => {
    expect(authz.actions).toEqual(ACTIONS);
    expect(authz.policyIds).toEqual([
      'agent-own-absence-reason',
      'agent-own-employee-data',
      'agent-swap-claim-team-shift',
      'agent-swap-own-shift',
      'audit-readers',
      'compliance-case-recordings',
      'compliance-cases',
      'compliance-dsar',
      'compliance-processing-record',
      'compliance-recording-governance',
      'content-requires-fresh-mfa',
      'cross-border-transfer-needs-mechanism',
      'detokenize-needs-purpose',
      'detokenize-permitted',
      'executive-aggregate-reports',
      'executive-capacity-aggregate',
      'executive-no-individual-records',
      'executive-report-min-cohort',
      'it-admin-audit-checkpoint',
      'it-admin-config',
      'it-admin-no-employee-data-or-content',
      'it-admin-recording-intake',
      'it-admin-users',
      'no-self-mfa-reset',
      'no-self-privilege-change',
      'no-self-swap-approval',
      'processing-record-readers',
      'qa-team-recordings',
      'recording-listers',
      'recording-storage-readers',
      'redaction-service',
      'security-assigned-cases',
      'security-case-recordings',
      'security-overview-readers',
      'self-account',
      'self-data-export',
      'supervisor-team-accounts',
      'supervisor-team-employee-data',
      'supervisor-team-recordings-if-enabled',
      'supervisor-team-swap-approval',
      'swap-marketplace-list',
      'tenant-isolation',
      'token-create',
      'transfer-mechanism-managers',
      'transfer-mechanism-readers',
      'wfm-analyst-schedules-adherence',
      'wfm-forecast-import',
      'wfm-forecast-readers',
      'wfm-import',
      'wfm-manager-absence-reason-with-purpose',
      'wfm-manager-employee-data',
      'wfm-manager-home-address-with-purpose',
      'wfm-manager-reports',
      'wfm-manager-swap-approval',
      'wfm-presence-incident-support',
      'wfm-retention-readers',
      'wfm-retention-writers',
    ]);
  });

  it('APPLIES_TO in this test mirrors appliesTo in the schema', () => {
    const schema = schemaToJson(readFileSync(join(DEFAULT_POLICY_DIR, 'bulwark.cedarschema'), 'utf8'));
    if (schema.type !== 'success') throw new Error('schema does not parse');
    const fromSchema = Object.fromEntries(
      Object.entries(schema.json.Bulwark?.actions ?? {}).map(([name, a]) => [
        name,
        [...(a.appliesTo?.resourceTypes ?? [])].sort(),
      ]),
    );
    const fromTest = Object.fromEntries(
      Object.entries(APPLIES_TO).map(([name, types]) => [name, [...types].sort()]),
    );
    expect(fromTest).toEqual(fromSchema);
  });

  it('an attribute typo fails start-up, naming file, line and the validator message', () => {
    const dir = brokenCopy('wfm.cedar', (t) =>
      t.replace('principal.teams.contains(resource.team)', 'principal.teams.contains(resource.teem)'),
    );
    expect(() => createAuthorizer({ policyDir: dir })).toThrow(
      /wfm\.cedar:\d+:\d+: .*attribute `teem`.*did you mean `team`/,
    );
  });

  it('a syntax error fails start-up naming the file', () => {
    const dir = brokenCopy('guardrails.cedar', (t) =>
      t.replace('when { resource.tenant != principal.tenant };', 'when { resource.tenant != };'),
    );
    expect(() => createAuthorizer({ policyDir: dir })).toThrow(/guardrails\.cedar:\d+:\d+/);
  });

  it('an action unknown to the schema fails start-up', () => {
    const dir = brokenCopy('platform.cedar', (t) =>
      t.replace('Bulwark::Action::"config.write"', 'Bulwark::Action::"config.wirte"'),
    );
    expect(() => createAuthorizer({ policyDir: dir })).toThrow(/platform\.cedar.*config\.wirte/);
  });

  it('a policy without @id, or a duplicate id, fails start-up', () => {
    const noId = brokenCopy('recordings.cedar', (t) => t.replace('@id("qa-team-recordings")\n', ''));
    expect(() => createAuthorizer({ policyDir: noId })).toThrow(
      /recordings\.cedar: every policy needs an @id/,
    );
    const dup = brokenCopy('recordings.cedar', (t) =>
      t.replace('@id("qa-team-recordings")', '@id("tenant-isolation")'),
    );
    expect(() => createAuthorizer({ policyDir: dup })).toThrow(/duplicate policy id "tenant-isolation"/);
  });

  it('a schema whose actions differ from ACTIONS fails start-up', () => {
    const dir = brokenCopy('bulwark.cedarschema', (t) =>
      t.replace('action "report.read"', 'action "report.read", "report.export"'),
    );
    expect(() => createAuthorizer({ policyDir: dir })).toThrow(
      /bulwark\.cedarschema: actions differ.*report\.export/,
    );
  });

  it('a missing directory fails start-up', () => {
    expect(() => createAuthorizer({ policyDir: join(tmpdir(), 'bulwark-no-such-dir') })).toThrow(
      /cannot read policy directory/,
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('properties', () => {
  const id = fc.constantFrom('u1', 'u2', 'u3');
  const tenant = fc.constantFrom('t1', 't2');
  const team = fc.constantFrom('a', 'b', 'c');
  const kase = fc.constantFrom('k1', 'k2', 'k3');
  const principal = (withRole?: Role) =>
    fc
      .record({
        id,
        tenantId: tenant,
        region: fc.constantFrom('eu', 'us'),
        roles: fc.subarray([...ROLES]),
        teams: fc.uniqueArray(team, { maxLength: 3 }),
        cases: fc.uniqueArray(kase, { maxLength: 3 }),
      })
      .map((p): PrincipalSlice => (withRole ? { ...p, roles: [...p.roles, withRole] } : p));
  const employeeData = fc.record({
    type: fc.constantFrom<EmployeeType>('Schedule', 'Adherence', 'Absence', 'Performance'),
    id,
    tenantId: tenant,
    region: fc.constantFrom('eu', 'us'),
    team,
    agentUserId: id,
  });
  const content = fc.record({
    type: fc.constantFrom<ContentType>('Recording', 'Transcript'),
    id,
    tenantId: tenant,
    region: fc.constantFrom('eu', 'us'),
    team,
    cases: fc.uniqueArray(kase, { maxLength: 3 }),
  });
  const context = fc.record({
    mfaAgeSeconds: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: null }),
    sessionAgeSeconds: fc.nat(100_000),
    devicePosture: fc.constantFrom('unknown', 'managed', 'unmanaged' as const),
    aggregate: fc.boolean(),
    purpose: fc.string({ maxLength: 20 }),
  });
  /** A valid (action, resource) request on individual-level data. */
  const individualRequest = fc.oneof(
    employeeData.map((r) => ({ action: 'data.read' as const, resource: r as ResourceSlice })),
    fc
      .tuple(fc.constantFrom('recording.play' as const, 'recording.download' as const), content)
      .map(([action, r]) => ({
        action,
        resource: r as ResourceSlice,
      })),
  );

  it('a principal holding it_admin is never allowed employee data or recording content', () => {
    fc.assert(
      fc.property(principal('it_admin'), individualRequest, context, (p, { action, resource }, ctx) => {
        const d = authz.authorize(p, action, resource, ctx);
        expect(d.errors).toEqual([]);
        expect(d.allowed).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('a principal holding executive is never allowed individual-level records', () => {
    fc.assert(
      fc.property(principal('executive'), individualRequest, context, (p, { action, resource }, ctx) => {
        expect(authz.authorize(p, action, resource, ctx).allowed).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('employee data of another region is allowed only with a transfer mechanism from that region', () => {
    const regions = fc.uniqueArray(fc.constantFrom('eu', 'us', 'uk'), { maxLength: 3 });
    fc.assert(
      fc.property(principal(), employeeData, context, regions, (p0, resource, ctx, transferFrom) => {
        const p = { ...p0, transferFrom };
        for (const action of ['data.read', 'absence.reason.read'] as const) {
          if (action === 'absence.reason.read' && resource.type !== 'Absence') continue;
          const d = authz.authorize(p, action, resource, ctx);
          expect(d.errors).toEqual([]);
          const crossing = resource.region !== p.region && !transferFrom.includes(resource.region);
          if (crossing) {
            expect(d.allowed).toBe(false);
            expect(d.policyIds).toContain('cross-border-transfer-needs-mechanism');
          } else expect(d.policyIds).not.toContain('cross-border-transfer-needs-mechanism');
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a resource of another tenant is never allowed, whatever the roles', () => {
    fc.assert(
      fc.property(principal(), individualRequest, context, (p, { action, resource }, ctx) => {
        fc.pre(p.tenantId !== resource.tenantId);
        const d = authz.authorize(p, action, resource, ctx);
        expect(d.allowed).toBe(false);
        expect(d.policyIds).toContain('tenant-isolation');
      }),
      { numRuns: 300 },
    );
  });
});
