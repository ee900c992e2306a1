import type { QueryClient } from '@tanstack/react-query';
import { createRootRouteWithContext, createRoute, createRouter, Outlet } from '@tanstack/react-router';
import { AccountScreen } from '../screens/account';
import { AuditScreen } from '../screens/audit';
import { CaseDetailScreen } from '../screens/case-detail';
import { CasesScreen } from '../screens/cases';
import { DsarScreen } from '../screens/gdpr-dsar';
import { MyDataScreen } from '../screens/gdpr-my-data';
import { ProcessingRecordScreen } from '../screens/gdpr-processing-record';
import { TransfersScreen } from '../screens/gdpr-transfers';
import { KeysScreen } from '../screens/keys';
import { OverviewScreen } from '../screens/overview';
import { RecordingDetailScreen } from '../screens/recording-detail';
import { RecordingsScreen } from '../screens/recordings';
import { RedactionScreen } from '../screens/redaction';
import { SignInScreen } from '../screens/sign-in';
import { TokensScreen } from '../screens/tokens';
import { UsersScreen } from '../screens/users';
import { WfmForecastsScreen } from '../screens/wfm-forecasts';
import { WfmMyWorkScreen } from '../screens/wfm-my-work';
import { WfmPresenceScreen } from '../screens/wfm-presence';
import { WfmReportsScreen } from '../screens/wfm-reports';
import { WfmRetentionScreen } from '../screens/wfm-retention';
import { WfmSwapsScreen } from '../screens/wfm-swaps';
import { WfmTeamScreen } from '../screens/wfm-team';
import { AppLayout, HomeRedirect, RequireCapability } from './layout';

const rootRoute = createRootRouteWithContext<{ queryClient: QueryClient }>()({
  component: Outlet,
  notFoundComponent: () => <p className="p-6">No such page.</p>,
});

const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/sign-in',
  validateSearch: (search: Record<string, unknown>): { reason?: 'locked' | 'expired' } =>
    search.reason === 'locked' || search.reason === 'expired' ? { reason: search.reason } : {},
  component: SignInScreen,
});

const appRoute = createRoute({ getParentRoute: () => rootRoute, id: 'app', component: AppLayout });

const guarded = (path: string, capability: string, Screen: () => React.ReactNode) =>
  createRoute({
    getParentRoute: () => appRoute,
    path,
    component: () => (
      <RequireCapability capability={capability}>
        <Screen />
      </RequireCapability>
    ),
  });

export const recordingDetailRoute = guarded('/recordings/$recordingId', 'recordings', RecordingDetailScreen);
export const caseDetailRoute = guarded('/cases/$caseId', 'cases', CaseDetailScreen);

const routeTree = rootRoute.addChildren([
  signInRoute,
  appRoute.addChildren([
    createRoute({ getParentRoute: () => appRoute, path: '/', component: HomeRedirect }),
    createRoute({ getParentRoute: () => appRoute, path: '/account', component: AccountScreen }),
    guarded('/overview', 'overview', OverviewScreen),
    guarded('/audit', 'audit', AuditScreen),
    guarded('/users', 'users', UsersScreen),
    guarded('/redaction', 'redaction', RedactionScreen),
    guarded('/tokens', 'tokens', TokensScreen),
    guarded('/recordings', 'recordings', RecordingsScreen),
    recordingDetailRoute,
    guarded('/cases', 'cases', CasesScreen),
    caseDetailRoute,
    guarded('/keys', 'keys', KeysScreen),
    createRoute({ getParentRoute: () => appRoute, path: '/wfm', component: WfmHome }),
    guarded('/wfm/my-work', 'wfm', WfmMyWorkScreen),
    guarded('/wfm/team', 'wfm-team', WfmTeamScreen),
    guarded('/wfm/swaps', 'swaps', WfmSwapsScreen),
    guarded('/wfm/reports', 'reports', WfmReportsScreen),
    guarded('/wfm/forecasts', 'wfm-capacity', WfmForecastsScreen),
    guarded('/gdpr/dsar', 'dsar', DsarScreen),
    guarded('/gdpr/processing-record', 'processing-record', ProcessingRecordScreen),
    guarded('/gdpr/transfers', 'transfers', TransfersScreen),
    guarded('/wfm/retention', 'wfm-retention', WfmRetentionScreen),
    guarded('/wfm/presence', 'presence', WfmPresenceScreen),
    createRoute({ getParentRoute: () => appRoute, path: '/my-data', component: MyDataScreen }),
  ]),
]);

/** `/wfm`: "My work" for whoever may read WFM data; everyone else gets the refusal, no data. */
function WfmHome() {
  return (
    <RequireCapability capability="wfm">
      <WfmMyWorkScreen />
    </RequireCapability>
  );
}

export function createConsoleRouter(queryClient: QueryClient) {
  return createRouter({ routeTree, context: { queryClient }, defaultPreload: false });
}

declare module '@tanstack/react-router' {
  interface Register {
    router: ReturnType<typeof createConsoleRouter>;
  }
}
