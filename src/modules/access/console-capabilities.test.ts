import { describe, expect, it } from 'vitest';
import { createAuthorizer, DEFAULT_POLICY_DIR, type PrincipalSlice } from './authorizer.ts';
import { CONSOLE_CAPABILITIES, type ConsoleCapability, consoleCapabilities } from './console-capabilities.ts';
import { ROLES, type Role } from './roles.ts';

const authz = createAuthorizer({ policyDir: DEFAULT_POLICY_DIR });

const principal = (roles: Role[], overrides: Partial<PrincipalSlice> = {}): PrincipalSlice => ({
  id: 'user-me',
  tenantId: 'tenant-1',
  region: 'eu',
  roles,
  teams: ['team-1'],
  cases: [],
  permissions: [],
  ...overrides,
});

/** Each role's screens, single role, no extra permission, supervisor playback off. */
const EXPECTED: Record<Role, ConsoleCapability[]> = {
  agent: ['redaction', 'wfm', 'swaps', 'swaps-offer'],
  supervisor: [
    'redaction',
    'wfm',
    'wfm-team',
    'wfm-team-absences',
    'wfm-team-performance',
    'swaps',
    'swaps-approve',
  ],
  wfm_analyst: ['redaction', 'wfm', 'wfm-team', 'wfm-forecasts', 'wfm-capacity'],
  wfm_manager: [
    'redaction',
    'wfm',
    'reports',
    'wfm-team',
    'wfm-team-absences',
    'wfm-team-performance',
    'wfm-absence-reasons',
    'processing-record',
    'wfm-retention',
    'wfm-retention-edit',
    'presence',
    'swaps',
    'swaps-approve',
    'wfm-forecasts',
    'wfm-capacity',
  ],
  it_admin: [
    'overview',
    'audit-checkpoint',
    'users',
    'redaction',
    'keys',
    'processing-record',
    'transfers',
    'wfm-retention',
  ],
  executive: ['redaction', 'reports', 'wfm-capacity'],
  qa_analyst: ['redaction', 'recordings'],
  compliance_officer: [
    'overview',
    'audit',
    'audit-checkpoint',
    'redaction',
    'recordings',
    'cases',
    'dsar',
    'processing-record',
    'processing-record-edit',
    'transfers',
    'transfers-edit',
    'wfm-retention',
  ],
  security_analyst: [
    'overview',
    'audit',
    'audit-checkpoint',
    'redaction',
    'recordings',
    'cases',
    'processing-record',
    'presence',
  ],
};

describe('console capabilities (asked of the Cedar policies)', () => {
  it.each(ROLES)('%s', (role) => {
    expect(consoleCapabilities(authz, principal([role]), { supervisorPlayback: false })).toEqual(
      EXPECTED[role],
    );
  });

  it('spot checks from the role table', () => {
    const of = (roles: Role[]) => consoleCapabilities(authz, principal(roles), { supervisorPlayback: false });
    expect(of(['it_admin'])).toEqual(expect.arrayContaining(['users', 'keys', 'overview']));
    expect(of(['it_admin'])).not.toContain('recordings');
    expect(of(['it_admin'])).not.toContain('audit');
    expect(of(['qa_analyst'])).toEqual(expect.arrayContaining(['recordings', 'redaction']));
    expect(of(['qa_analyst'])).not.toContain('users');
    expect(of(['qa_analyst'])).not.toContain('keys');
    expect(of(['executive'])).not.toContain('recordings');
    expect(of(['executive'])).not.toContain('users');
    // Supervisors read their teams' accounts but do not administer them.
    expect(of(['supervisor'])).not.toContain('users');
  });

  it('tokens needs the detokenize permission; supervisors list recordings only where playback is enabled', () => {
    expect(
      consoleCapabilities(authz, principal(['agent'], { permissions: ['detokenize'] }), {
        supervisorPlayback: false,
      }),
    ).toContain('tokens');
    expect(consoleCapabilities(authz, principal(['supervisor']), { supervisorPlayback: true })).toContain(
      'recordings',
    );
  });

  it('WFM: agents see only their own slice, supervisors their team without reasons, it_admin nothing', () => {
    const of = (roles: Role[], overrides: Partial<PrincipalSlice> = {}) =>
      consoleCapabilities(authz, principal(roles, overrides), { supervisorPlayback: false });
    expect(of(['agent'])).not.toContain('wfm-team');
    expect(of(['supervisor'])).not.toContain('wfm-absence-reasons');
    // A supervisor of no team has no team to view.
    expect(of(['supervisor'], { teams: [] })).not.toContain('wfm-team');
    expect(of(['wfm_analyst'])).not.toContain('wfm-team-absences');
    expect(of(['wfm_analyst'])).not.toContain('wfm-team-performance');
    for (const c of ['wfm', 'wfm-team', 'wfm-team-absences', 'wfm-absence-reasons', 'dsar'] as const) {
      expect(of(['it_admin', 'wfm_manager'])).not.toContain(c);
      expect(of(['executive', 'wfm_manager'])).not.toContain(c);
    }
    expect(of(['executive'])).toContain('reports');
    expect(of(['wfm_manager'])).not.toContain('dsar');
    expect(of(['it_admin'])).not.toContain('processing-record-edit');
    // Governance: it_admin reads configuration but changes neither transfers nor retention, and
    // never sees who was logged in; changing retention stays with the WFM data owner.
    expect(of(['it_admin'])).not.toContain('transfers-edit');
    expect(of(['it_admin'])).not.toContain('wfm-retention-edit');
    expect(of(['it_admin', 'security_analyst'])).not.toContain('presence');
    expect(of(['executive', 'wfm_manager'])).not.toContain('presence');
    expect(of(['compliance_officer'])).not.toContain('wfm-retention-edit');
    expect(of(['wfm_manager'])).not.toContain('transfers');
    // Marketplace: agents offer, supervisors of the team and WFM managers decide; nobody else.
    expect(of(['supervisor'])).not.toContain('swaps-offer');
    expect(of(['agent'])).not.toContain('swaps-approve');
    expect(of(['supervisor'], { teams: [] })).not.toContain('swaps-approve');
    expect(of(['wfm_analyst'])).not.toContain('swaps');
    expect(of(['it_admin', 'supervisor'])).not.toContain('swaps-approve');
    expect(of(['executive', 'agent'])).not.toContain('swaps');
    // Forecasts and capacity: planners read both; executives the capacity aggregate only.
    expect(of(['executive'])).toContain('wfm-capacity');
    expect(of(['executive'])).not.toContain('wfm-forecasts');
    for (const r of ['agent', 'supervisor', 'it_admin', 'qa_analyst'] as const) {
      expect(of([r])).not.toContain('wfm-forecasts');
      expect(of([r])).not.toContain('wfm-capacity');
    }
  });

  it('guardrails win for combined roles: it_admin + qa_analyst still gets no recordings', () => {
    const caps = consoleCapabilities(authz, principal(['it_admin', 'qa_analyst']), {
      supervisorPlayback: false,
    });
    expect(caps).not.toContain('recordings');
    expect(caps).toContain('users');
  });

  it('every capability is reachable by some principal (no dead screen)', () => {
    const seen = new Set<string>();
    for (const role of ROLES)
      for (const c of consoleCapabilities(authz, principal([role], { permissions: ['detokenize'] }), {
        supervisorPlayback: true,
      }))
        seen.add(c);
    expect([...seen].sort()).toEqual([...CONSOLE_CAPABILITIES].sort());
  });
});
