import { type FormEvent, useState } from 'react';
import { hasCapability, useMe } from '../app/session';
import { HomeAddressReveal } from '../components/home-address-reveal';
import { Alert, Button, Card, PageHeader, SelectField, TextField } from '../components/ui';
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

type View = 'schedules' | 'adherence' | 'absences' | 'performance';

/**
 * Team and WFM views: schedules, adherence, absences and performance of everyone in the caller's
 * scope (a supervisor's own teams; every team for wfm_analyst and wfm_manager), with agent, team
 * and date filters. Each view is offered only where the policies allow it (capabilities from
 * GET /v1/me); the rows are the API's, already scoped. Absences read "absent"; a wfm_manager can
 * ask for the reason categories by stating a purpose, which the server records in the audit log.
 */
export function WfmTeamScreen() {
  const me = useMe();
  const roles = me.data?.roles ?? [];
  const everyone = roles.includes('wfm_manager') || roles.includes('wfm_analyst');
  const views: Array<{ value: View; label: string }> = [
    { value: 'schedules', label: 'Schedules' },
    { value: 'adherence', label: 'Adherence' },
    ...(hasCapability(me.data, 'wfm-team-absences')
      ? [{ value: 'absences' as const, label: 'Absences' }]
      : []),
    ...(hasCapability(me.data, 'wfm-team-performance')
      ? [{ value: 'performance' as const, label: 'Performance' }]
      : []),
  ];
  const [view, setView] = useState<View>('schedules');
  const [filters, setFilters] = useState<WfmFilters>({ agent: '', team: '', ...defaultWindow() });
  const [adherenceView, setAdherenceView] = useState<'events' | 'intervals'>('events');
  const query = listQuery(filters);
  // The API decides (wfm_manager with a purpose; it_admin and executives never): offered to the same.
  const mayReadAddresses =
    roles.includes('wfm_manager') && !roles.includes('it_admin') && !roles.includes('executive');
  const scope = everyone ? 'every team' : `your teams (${me.data?.teams.join(', ') || 'none'})`;
  return (
    <>
      <PageHeader
        title="Team schedules and adherence"
        description={`WFM records of ${scope}. Home addresses are not shown in these lists.`}
      />
      <fieldset className="mb-4 flex flex-wrap gap-2">
        <legend className="sr-only">View</legend>
        {views.map((v) => (
          <Button
            key={v.value}
            variant={view === v.value ? 'primary' : 'secondary'}
            aria-pressed={view === v.value}
            onClick={() => setView(v.value)}
          >
            {v.label}
          </Button>
        ))}
      </fieldset>
      <WfmFilterFields value={filters} onChange={setFilters} people />
      {mayReadAddresses && (
        <Card title="Home address">
          <p className="mb-3 text-sm text-slate-800">
            Shown to nobody by default. You may read one agent's address for a stated purpose; the request is
            recorded in the audit log.
          </p>
          <HomeAddressReveal key={filters.agent.trim()} agentId={filters.agent.trim() || undefined} />
        </Card>
      )}
      {view === 'schedules' && (
        <Card title="Schedules">
          <SchedulesTable query={query} people caption="Team schedules" />
        </Card>
      )}
      {view === 'adherence' && (
        <Card title="Adherence">
          <div className="mb-3 max-w-xs">
            <SelectField
              label="Detail"
              value={adherenceView}
              onChange={(v) => setAdherenceView(v as 'events' | 'intervals')}
              options={[
                { value: 'events', label: 'State changes' },
                { value: 'intervals', label: '15-minute intervals' },
              ]}
            />
          </div>
          <AdherenceTable query={query} people caption="Team adherence" view={adherenceView} />
        </Card>
      )}
      {view === 'absences' && <TeamAbsences query={query} />}
      {view === 'performance' && (
        <Card title="Performance">
          <PerformanceTable query={query} people caption="Team performance" />
        </Card>
      )}
    </>
  );
}

function TeamAbsences({ query }: { query: Record<string, string> }) {
  const me = useMe();
  const mayAskReasons = hasCapability(me.data, 'wfm-absence-reasons');
  const [asking, setAsking] = useState(false);
  const [draft, setDraft] = useState('');
  const [purpose, setPurpose] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const p = draft.trim();
    if (p.length < 3 || p.length > 200) {
      setError('State why you need the absence reasons, in 3 to 200 characters.');
      return;
    }
    setError(null);
    setPurpose(p);
    setAsking(false);
  };
  return (
    <Card title="Absences">
      <p className="mb-3 text-sm text-slate-800">
        Absences show as “absent”. The reason category can reveal health or family matters
        {mayAskReasons
          ? ': it is shown only for a stated purpose, recorded in the audit log.'
          : ' and is not shown.'}
      </p>
      {mayAskReasons && (
        <div className="mb-3">
          {purpose ? (
            <div className="flex flex-wrap items-center gap-3">
              <Alert kind="info">Showing reasons for: {purpose}</Alert>
              <Button variant="secondary" onClick={() => setPurpose(null)}>
                Hide reasons
              </Button>
            </div>
          ) : asking ? (
            <form onSubmit={submit} className="flex max-w-xl flex-col gap-2" noValidate>
              <TextField
                label="Purpose"
                value={draft}
                onChange={setDraft}
                required
                maxLength={200}
                hint="Why you need the reasons, e.g. the case or review it is for. Recorded in the audit log."
              />
              {error && <Alert>{error}</Alert>}
              <div className="flex gap-2">
                <Button type="submit">Show reasons</Button>
                <Button variant="secondary" onClick={() => setAsking(false)}>
                  Cancel
                </Button>
              </div>
            </form>
          ) : (
            <Button variant="secondary" onClick={() => setAsking(true)}>
              Show reasons…
            </Button>
          )}
        </div>
      )}
      <AbsencesTable query={query} people caption="Team absences" purpose={purpose ?? undefined} />
    </Card>
  );
}
