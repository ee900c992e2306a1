/**
 * The console's screens and the capability each needs. Capabilities come from the server
 * (GET /v1/me, computed by the same Cedar policies that guard the API), so the console never
 * offers a screen whose API calls the caller would be refused.
 */
export const SCREENS = [
  { path: '/overview', label: 'Security overview', capability: 'overview' },
  { path: '/audit', label: 'Audit log', capability: 'audit' },
  { path: '/users', label: 'Users and roles', capability: 'users' },
  { path: '/redaction', label: 'Redaction workbench', capability: 'redaction' },
  { path: '/tokens', label: 'Token vault', capability: 'tokens' },
  { path: '/recordings', label: 'Recordings', capability: 'recordings' },
  { path: '/cases', label: 'Investigation cases', capability: 'cases' },
  { path: '/keys', label: 'Keys', capability: 'keys' },
  { path: '/wfm/my-work', label: 'My work', capability: 'wfm' },
  { path: '/wfm/team', label: 'Team schedules', capability: 'wfm-team' },
  { path: '/wfm/swaps', label: 'Shift swaps', capability: 'swaps' },
  { path: '/wfm/reports', label: 'WFM reports', capability: 'reports' },
  // Whoever may read forecasts may read capacity too; the screen shows forecasts per 'wfm-forecasts'.
  { path: '/wfm/forecasts', label: 'Forecasts and capacity', capability: 'wfm-capacity' },
  { path: '/gdpr/dsar', label: 'Access requests', capability: 'dsar' },
  { path: '/gdpr/processing-record', label: 'Record of processing', capability: 'processing-record' },
  { path: '/gdpr/transfers', label: 'Transfer mechanisms', capability: 'transfers' },
  { path: '/wfm/retention', label: 'WFM retention', capability: 'wfm-retention' },
  { path: '/wfm/presence', label: 'Presence', capability: 'presence' },
  { path: '/my-data', label: 'My data', capability: null },
  { path: '/account', label: 'My account', capability: null },
] as const;

export type ScreenPath = (typeof SCREENS)[number]['path'];

export function visibleScreens(capabilities: readonly string[]) {
  return SCREENS.filter((s) => s.capability === null || capabilities.includes(s.capability));
}
