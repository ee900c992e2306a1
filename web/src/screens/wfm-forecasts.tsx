import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, messageOf, type paths, unwrap } from '../api/client';
import { hasCapability, useMe } from '../app/session';
import { BarChart, type BarSeries } from '../components/bar-chart';
import { Alert, Badge, Card, DataTable, Loading, PageHeader, TextField } from '../components/ui';

type Forecast =
  paths['/v1/wfm/forecasts']['get']['responses'][200]['content']['application/json']['items'][number];
type Capacity =
  paths['/v1/wfm/capacity']['get']['responses'][200]['content']['application/json']['items'][number];

/** Rows asked for per request; the screen says so when the answer is cut at this many. */
const LIMIT = 1000;

const PALETTE: Array<Pick<BarSeries, 'fillClass' | 'swatchClass'>> = [
  { fillClass: 'fill-blue-800', swatchClass: 'bg-blue-800' },
  { fillClass: 'fill-amber-700', swatchClass: 'bg-amber-700' },
  { fillClass: 'fill-emerald-700', swatchClass: 'bg-emerald-700' },
  { fillClass: 'fill-purple-700', swatchClass: 'bg-purple-700' },
  { fillClass: 'fill-red-700', swatchClass: 'bg-red-700' },
  { fillClass: 'fill-slate-600', swatchClass: 'bg-slate-600' },
];

const DAY_MS = 86_400_000;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const today = () => isoDay(new Date());
const addDays = (day: string, n: number) => isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));
const validDay = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));
/** An instant as "YYYY-MM-DD HH:MM" in UTC (the dates are UTC days too). */
const utcMinute = (iso: string) => new Date(iso).toISOString().slice(0, 16).replace('T', ' ');

/** Checks an optional filter and a date range; returns what is wrong, or null. */
function rangeProblem(from: string, to: string, filter: string, filterName: string): string | null {
  if (filter.trim().length > 64) return `The ${filterName} is at most 64 characters.`;
  if (from && !validDay(from)) return 'Enter the start date as a date.';
  if (to && !validDay(to)) return 'Enter the end date as a date.';
  if (from && to && from > to) return 'The start date is after the end date.';
  return null;
}

/**
 * Forecasts and capacity models (issue 6, analyst views): forecast volume and handle time per
 * queue and interval (wfm_analyst, wfm_manager) and required versus scheduled agents per team and
 * period (also executives, as an aggregate). Each section is shown only to whoever the API lets
 * read it; both hold aggregates, never a person.
 */
export function WfmForecastsScreen() {
  const me = useMe();
  const forecasts = hasCapability(me.data, 'wfm-forecasts');
  const capacity = hasCapability(me.data, 'wfm-capacity');
  return (
    <>
      <PageHeader
        title="Forecasts and capacity"
        description="Planning aggregates per queue and per team, as imported by workforce management. Dates are UTC."
      />
      <div className="flex flex-col gap-6">
        {forecasts && <ForecastsSection />}
        {capacity && <CapacitySection />}
        {!forecasts && !capacity && (
          <Alert kind="info">Your role does not give access to forecasts or capacity.</Alert>
        )}
      </div>
    </>
  );
}

function ForecastsSection() {
  const [queue, setQueue] = useState('');
  const [from, setFrom] = useState(today());
  const [to, setTo] = useState(today());
  const problem = rangeProblem(from, to, queue, 'queue');
  const q = queue.trim();
  const list = useQuery({
    queryKey: ['wfm', 'forecasts', q, from, to],
    enabled: problem === null,
    queryFn: () =>
      unwrap(
        api.GET('/v1/wfm/forecasts', {
          params: {
            query: {
              ...(q ? { queue: q } : {}),
              // The end date is inclusive: intervals before the next day's midnight.
              ...(from ? { from: `${from}T00:00:00Z` } : {}),
              ...(to ? { to: `${addDays(to, 1)}T00:00:00Z` } : {}),
              limit: LIMIT,
            },
          },
        }),
      ),
  });
  return (
    <Card title="Forecasts">
      <form className="mb-4 flex flex-wrap items-end gap-3" onSubmit={(e) => e.preventDefault()}>
        <TextField label="Queue" value={queue} onChange={setQueue} name="queue" hint="Empty: every queue." />
        <TextField label="Forecasts from" type="date" value={from} onChange={setFrom} name="forecast-from" />
        <TextField label="Forecasts to" type="date" value={to} onChange={setTo} name="forecast-to" />
      </form>
      {problem ? (
        <Alert kind="info">{problem}</Alert>
      ) : list.isPending ? (
        <Loading label="Loading forecasts…" />
      ) : list.isError ? (
        <Alert>{messageOf(list.error)}</Alert>
      ) : (
        <ForecastsView items={list.data.items} />
      )}
    </Card>
  );
}

function ForecastsView({ items }: { items: Forecast[] }) {
  if (items.length === 0) return <p className="text-sm text-slate-800">No forecasts in this range.</p>;
  const queues = [...new Set(items.map((f) => f.queue))].sort();
  const charted = queues.slice(0, PALETTE.length);
  const intervals = [...new Set(items.map((f) => f.intervalStart))].sort();
  const oneDay = new Set(intervals.map((i) => utcMinute(i).slice(0, 10))).size === 1;
  const volume = new Map(items.map((f) => [`${f.queue}\u0000${f.intervalStart}`, f.volume]));
  return (
    <div className="flex flex-col gap-4">
      <BarChart
        title="Forecast volume per interval"
        summary={`Forecast contacts per interval for ${charted.length === 1 ? `queue ${charted[0]}` : `queues ${charted.join(', ')}`}.`}
        categoryHeader="Interval start (UTC)"
        categories={intervals.map((i) => (oneDay ? utcMinute(i).slice(11) : utcMinute(i)))}
        series={charted.map((q, i) => ({ label: q, ...PALETTE[i]! }))}
        values={intervals.map((i) => charted.map((q) => volume.get(`${q}\u0000${i}`) ?? 0))}
      />
      {queues.length > charted.length && (
        <p className="text-sm text-slate-800">
          Charted: the first {charted.length} queues; the table lists every queue. Filter by queue to chart
          another.
        </p>
      )}
      {items.length >= LIMIT && (
        <Alert kind="info">
          Showing the first {LIMIT.toLocaleString()} rows: narrow the dates or the queue.
        </Alert>
      )}
      <DataTable
        caption="Forecasts"
        rows={items}
        rowKey={(f) => `${f.queue}\u0000${f.intervalStart}`}
        columns={[
          { header: 'Queue', cell: (f) => f.queue },
          { header: 'Interval start (UTC)', cell: (f) => utcMinute(f.intervalStart) },
          { header: 'Volume', cell: (f) => f.volume.toLocaleString(), className: 'text-right tabular-nums' },
          {
            header: 'AHT (seconds)',
            cell: (f) => f.ahtSeconds.toLocaleString(),
            className: 'text-right tabular-nums',
          },
        ]}
      />
    </div>
  );
}

function CapacitySection() {
  const [team, setTeam] = useState('');
  const [from, setFrom] = useState(() => addDays(today(), -7));
  const [to, setTo] = useState(() => addDays(today(), 56));
  const problem = rangeProblem(from, to, team, 'team');
  const t = team.trim();
  const list = useQuery({
    queryKey: ['wfm', 'capacity', t, from, to],
    enabled: problem === null,
    queryFn: () =>
      unwrap(
        api.GET('/v1/wfm/capacity', {
          params: {
            query: {
              ...(t ? { team: t } : {}),
              ...(from ? { from } : {}),
              ...(to ? { to } : {}),
              limit: LIMIT,
            },
          },
        }),
      ),
  });
  return (
    <Card title="Capacity">
      <form className="mb-4 flex flex-wrap items-end gap-3" onSubmit={(e) => e.preventDefault()}>
        <TextField
          label="Team"
          value={team}
          onChange={setTeam}
          name="team"
          hint="Name or id; empty: every team."
        />
        <TextField label="Periods from" type="date" value={from} onChange={setFrom} name="capacity-from" />
        <TextField label="Periods to" type="date" value={to} onChange={setTo} name="capacity-to" />
      </form>
      {problem ? (
        <Alert kind="info">{problem}</Alert>
      ) : list.isPending ? (
        <Loading label="Loading capacity…" />
      ) : list.isError ? (
        <Alert>{messageOf(list.error)}</Alert>
      ) : (
        <CapacityView items={list.data.items} />
      )}
    </Card>
  );
}

function CapacityView({ items }: { items: Capacity[] }) {
  if (items.length === 0) return <p className="text-sm text-slate-800">No capacity periods in this range.</p>;
  const key = (c: Capacity) => `${c.periodStart} ${c.team.name}`;
  const understaffed = items.filter((c) => c.gap < 0).length;
  return (
    <div className="flex flex-col gap-4">
      <BarChart
        title="Required and scheduled agents per period"
        summary="Required and scheduled agents per team and period."
        categoryHeader="Period and team"
        categories={items.map(key)}
        series={[
          { label: 'Required agents', ...PALETTE[1]! },
          { label: 'Scheduled agents', ...PALETTE[0]! },
        ]}
        values={items.map((c) => [c.requiredAgents, c.scheduledAgents])}
      />
      <p className="text-sm text-slate-800">
        {understaffed === 0
          ? 'No period is understaffed.'
          : `${understaffed} of ${items.length} periods understaffed (fewer scheduled than required).`}
      </p>
      {items.length >= LIMIT && (
        <Alert kind="info">
          Showing the first {LIMIT.toLocaleString()} rows: narrow the dates or the team.
        </Alert>
      )}
      <DataTable
        caption="Capacity"
        rows={items}
        rowKey={(c) => `${c.team.id}\u0000${c.periodStart}`}
        columns={[
          { header: 'Period', cell: (c) => c.periodStart.slice(0, 10) },
          { header: 'Team', cell: (c) => c.team.name },
          {
            header: 'Required',
            cell: (c) => c.requiredAgents.toLocaleString(),
            className: 'text-right tabular-nums',
          },
          {
            header: 'Scheduled',
            cell: (c) => c.scheduledAgents.toLocaleString(),
            className: 'text-right tabular-nums',
          },
          {
            header: 'Gap',
            cell: (c) => (
              <span className="flex items-center justify-end gap-2">
                <span className="tabular-nums">{c.gap > 0 ? `+${c.gap}` : String(c.gap)}</span>
                {c.gap < 0 && <Badge tone="bad">understaffed</Badge>}
              </span>
            ),
            className: 'text-right',
          },
        ]}
      />
    </div>
  );
}
