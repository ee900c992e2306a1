import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { api, unwrap } from '../api/client';
import { hasCapability, useMe } from '../app/session';
import { MyDataSummary } from '../components/my-data-summary';
import { Alert, Card, Loading, PageHeader } from '../components/ui';
import {
  AbsencesTable,
  AdherenceTable,
  defaultWindow,
  listQuery,
  PerformanceTable,
  SchedulesTable,
  WfmFilterFields,
  type WfmFilters,
} from '../components/wfm-lists';

/** Roles whose WFM lists hold other people's rows too (their own rows cannot be told apart there). */
const WIDER_WFM_ROLES = ['supervisor', 'wfm_analyst', 'wfm_manager'];

/**
 * "My work": the caller's own schedule, adherence, absences (with their reasons: they are the
 * caller's own) and performance, and what Bulwark keeps about them. The WFM API scopes an agent's
 * lists to their own rows; nothing here filters other people's rows out on the client.
 */
export function WfmMyWorkScreen() {
  const me = useMe();
  const [filters, setFilters] = useState<WfmFilters>({ agent: '', team: '', ...defaultWindow() });
  const summary = useQuery({
    queryKey: ['me', 'data-summary'],
    queryFn: () => unwrap(api.GET('/v1/me/data-summary')),
  });
  const roles = me.data?.roles ?? [];
  const ownOnly = roles.includes('agent') && !roles.some((r) => WIDER_WFM_ROLES.includes(r));
  const linked = summary.data?.categories.some((c) => c.category === 'wfm_agent' && c.held);
  const query = listQuery(filters);
  return (
    <>
      <PageHeader
        title="My work"
        description="Your schedule, adherence, absences and performance as Bulwark holds them, and what is kept about you."
      />
      {summary.isPending ? (
        <Loading label="Checking your WFM record…" />
      ) : !ownOnly ? (
        <Alert kind="info">
          {linked
            ? 'Your role also shows other people’s WFM records, so your own are not listed separately here.'
            : 'Your account is not linked to a WFM agent: there is no schedule of yours to show.'}{' '}
          {hasCapability(me.data, 'wfm-team') && (
            <Link to="/wfm/team" className="font-medium text-blue-800 underline">
              Open the team views
            </Link>
          )}
        </Alert>
      ) : !linked ? (
        <Alert kind="info">
          Your account is not linked to a WFM agent: there is no schedule of yours to show.
        </Alert>
      ) : (
        <div className="flex flex-col gap-6">
          <WfmFilterFields value={filters} onChange={setFilters} people={false} />
          <Card title="My schedule">
            <SchedulesTable query={query} people={false} caption="My schedule" />
          </Card>
          <Card title="My adherence">
            <AdherenceTable query={query} people={false} caption="My adherence" view="events" />
          </Card>
          <Card title="My absences">
            <AbsencesTable query={query} people={false} caption="My absences" />
          </Card>
          <Card title="My performance">
            <PerformanceTable query={query} people={false} caption="My performance" />
          </Card>
        </div>
      )}
      <div className="mt-6">
        <MyDataSummary />
      </div>
    </>
  );
}
