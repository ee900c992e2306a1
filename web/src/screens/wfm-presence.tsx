import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, messageOf, unwrap } from '../api/client';
import {
  Alert,
  Button,
  Card,
  DataTable,
  formatDateTime,
  Loading,
  PageHeader,
  TextField,
} from '../components/ui';

type Window = { from: string; to: string; team: string; site: string };

/** A datetime-local value (the browser's local time) as an ISO instant with offset. */
const toIso = (local: string) => new Date(local).toISOString();
const localValue = (d: Date) => {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

/**
 * Incident support: which agents were logged in during a window, by team and site, from Bulwark
 * sessions and adherence states (security analysts, wfm_manager). Each query is audited, so it runs
 * only when asked, never on page load.
 */
export function WfmPresenceScreen() {
  const now = new Date();
  const [draft, setDraft] = useState<Window>({
    from: localValue(new Date(now.getTime() - 24 * 3600_000)),
    to: localValue(now),
    team: '',
    site: '',
  });
  const [asked, setAsked] = useState<Window | null>(null);
  const [error, setError] = useState<string | null>(null);
  const result = useQuery({
    queryKey: ['wfm', 'presence', asked],
    enabled: asked !== null,
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: () =>
      unwrap(
        api.GET('/v1/wfm/presence', {
          params: {
            query: {
              from: toIso(asked!.from),
              to: toIso(asked!.to),
              ...(asked!.team.trim() ? { team: asked!.team.trim() } : {}),
              ...(asked!.site.trim() ? { site: asked!.site.trim() } : {}),
            },
          },
        }),
      ),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (
      !draft.from ||
      !draft.to ||
      Number.isNaN(Date.parse(draft.from)) ||
      Number.isNaN(Date.parse(draft.to))
    ) {
      setError('Give the start and end of the window.');
      return;
    }
    if (Date.parse(draft.from) >= Date.parse(draft.to)) {
      setError('The window must end after it starts.');
      return;
    }
    setError(null);
    setAsked({ ...draft });
  };
  const set = (k: keyof Window) => (v: string) => setDraft((s) => ({ ...s, [k]: v }));
  return (
    <>
      <PageHeader
        title="Presence"
        description="Which agents were logged in during a window (at most 31 days), for incident investigations. Each query is recorded in the audit log."
      />
      <form onSubmit={submit} className="mb-6 flex flex-wrap items-end gap-3" noValidate>
        <TextField label="From" type="datetime-local" value={draft.from} onChange={set('from')} required />
        <TextField label="To" type="datetime-local" value={draft.to} onChange={set('to')} required />
        <TextField label="Team (optional)" value={draft.team} onChange={set('team')} />
        <TextField label="Site (optional)" value={draft.site} onChange={set('site')} />
        <Button type="submit">Find who was logged in</Button>
      </form>
      {error && <Alert>{error}</Alert>}
      {asked === null ? null : result.isPending ? (
        <Loading label="Looking up presence…" />
      ) : result.isError ? (
        <Alert>{messageOf(result.error)}</Alert>
      ) : (
        <div className="flex flex-col gap-6">
          <Card
            title={`By team and site, ${formatDateTime(result.data.from)} to ${formatDateTime(result.data.to)}`}
          >
            <DataTable
              caption="Agents logged in by team and site"
              rows={result.data.groups}
              rowKey={(g) => `${g.team}/${g.site ?? ''}`}
              empty="Nobody was logged in during this window."
              columns={[
                { header: 'Team', cell: (g) => g.team },
                { header: 'Site', cell: (g) => g.site ?? '—' },
                { header: 'Agents', cell: (g) => g.agents, className: 'tabular-nums' },
              ]}
            />
          </Card>
          <Card title="Agents">
            <DataTable
              caption="Agents logged in during the window"
              rows={result.data.items}
              rowKey={(a) => a.agentId}
              empty="Nobody was logged in during this window."
              columns={[
                {
                  header: 'Agent',
                  cell: (a) => (
                    <span>
                      {a.agentName} <span className="text-slate-700">({a.agentId})</span>
                    </span>
                  ),
                },
                { header: 'Team', cell: (a) => a.team.name },
                { header: 'Site', cell: (a) => a.site ?? '—' },
                { header: 'First seen', cell: (a) => formatDateTime(a.firstSeen) },
                { header: 'Last seen', cell: (a) => formatDateTime(a.lastSeen) },
                { header: 'Seen in', cell: (a) => a.sources.join(' and ') },
              ]}
            />
            {Object.keys(result.data.withheld).length > 0 && (
              <div className="mt-2">
                <Alert kind="info">
                  Not shown:{' '}
                  {Object.entries(result.data.withheld)
                    .map(([region, n]) => `${n} from region ${region}`)
                    .join(', ')}{' '}
                  (no transfer mechanism to your region is recorded).
                </Alert>
              </div>
            )}
          </Card>
        </div>
      )}
    </>
  );
}
