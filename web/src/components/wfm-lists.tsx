import { useInfiniteQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { api, messageOf, type paths, unwrap } from '../api/client';
import { Alert, Badge, Button, DataTable, formatDateTime, Loading, TextField } from './ui';

type Json<P extends keyof paths> = paths[P] extends {
  get: { responses: { 200: { content: { 'application/json': infer T } } } };
}
  ? T
  : never;
export type ScheduleRow = Json<'/v1/wfm/schedules'>['items'][number];
export type AdherenceRow = Json<'/v1/wfm/adherence'>['items'][number];
export type AbsenceRow = Json<'/v1/wfm/absences'>['items'][number];
export type PerformanceRow = Json<'/v1/wfm/performance'>['items'][number];

/** The list filters the WFM API takes (`agent`, `team`, `from`, `to`); empty strings are left out. */
export type WfmFilters = { agent: string; team: string; from: string; to: string };

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const DAY = 86_400_000;

/** A window of `before` days back to `after` days ahead, as date-input values. */
export function defaultWindow(before = 7, after = 14): Pick<WfmFilters, 'from' | 'to'> {
  const now = Date.now();
  return { from: isoDay(new Date(now - before * DAY)), to: isoDay(new Date(now + after * DAY)) };
}

/** The query of a list request: a "to" date covers that whole UTC day. */
export function listQuery(f: WfmFilters): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.agent.trim()) q.agent = f.agent.trim();
  if (f.team.trim()) q.team = f.team.trim();
  if (f.from) q.from = f.from;
  if (f.to) q.to = `${f.to}T23:59:59Z`;
  return q;
}

type Page<T> = { items: T[]; nextCursor: string | null; withheld?: Record<string, number> };
type ListPath = '/v1/wfm/schedules' | '/v1/wfm/adherence' | '/v1/wfm/absences' | '/v1/wfm/performance';

/** Keyset pages of one scoped WFM list; `enabled` false asks nothing. */
function usePages<T>(path: ListPath, query: Record<string, string>, enabled = true) {
  return useInfiniteQuery({
    queryKey: ['wfm', path, query],
    enabled,
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: Page<T>) => last.nextCursor ?? undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        // One generic call for the four list routes (same query shape; rows typed by the caller).
        (api.GET as unknown as (p: string, o: unknown) => Promise<{ data?: Page<T>; response: Response }>)(
          path,
          { params: { query: { ...query, limit: '100', ...(pageParam ? { cursor: pageParam } : {}) } } },
        ),
      ),
  });
}

/** Filter inputs of the WFM lists: agent and team only where the caller sees more than themself. */
export function WfmFilterFields({
  value,
  onChange,
  people,
}: {
  value: WfmFilters;
  onChange: (v: WfmFilters) => void;
  people: boolean;
}) {
  const set = (k: keyof WfmFilters) => (v: string) => onChange({ ...value, [k]: v });
  return (
    <fieldset className="mb-4 flex flex-wrap items-end gap-3">
      <legend className="sr-only">Filters</legend>
      {people && <TextField label="Agent id" value={value.agent} onChange={set('agent')} name="agent" />}
      {people && <TextField label="Team" value={value.team} onChange={set('team')} name="team" />}
      <TextField label="From" type="date" value={value.from} onChange={set('from')} name="from" />
      <TextField label="To" type="date" value={value.to} onChange={set('to')} name="to" />
    </fieldset>
  );
}

function Paged<T>({
  title,
  pages,
  caption,
  rowKey,
  columns,
  empty,
}: {
  title: string;
  pages: ReturnType<typeof usePages<T>>;
  caption: string;
  rowKey: (r: T) => string;
  columns: Array<{ header: string; cell: (r: T) => ReactNode; className?: string }>;
  empty: string;
}) {
  if (pages.isPending) return <Loading label={`Loading ${title.toLowerCase()}…`} />;
  if (pages.isError) return <Alert>{messageOf(pages.error)}</Alert>;
  const rows = pages.data.pages.flatMap((p) => p.items);
  const withheld: Record<string, number> = {};
  for (const p of pages.data.pages)
    for (const [region, n] of Object.entries(p.withheld ?? {}))
      withheld[region] = (withheld[region] ?? 0) + n;
  return (
    <div className="flex flex-col gap-2">
      <DataTable caption={caption} rows={rows} rowKey={rowKey} columns={columns} empty={empty} />
      {Object.keys(withheld).length > 0 && (
        <Alert kind="info">
          Not shown:{' '}
          {Object.entries(withheld)
            .map(([region, n]) => `${n} from region ${region}`)
            .join(', ')}{' '}
          (no transfer mechanism to your region is recorded).
        </Alert>
      )}
      {pages.hasNextPage && (
        <div>
          <Button
            variant="secondary"
            onClick={() => void pages.fetchNextPage()}
            disabled={pages.isFetchingNextPage}
          >
            {pages.isFetchingNextPage ? 'Loading…' : 'Show more'}
          </Button>
        </div>
      )}
    </div>
  );
}

const agentColumns = <T extends { agentId: string; agentName: string; team: { name: string } }>(
  show: boolean,
) =>
  show
    ? [
        {
          header: 'Agent',
          cell: (r: T) => (
            <span>
              {r.agentName} <span className="text-slate-700">({r.agentId})</span>
            </span>
          ),
        },
        { header: 'Team', cell: (r: T) => r.team.name },
      ]
    : [];

const duration = (seconds: number) => {
  const m = Math.round(seconds / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
};

export function SchedulesTable({
  query,
  people,
  caption,
}: {
  query: Record<string, string>;
  people: boolean;
  caption: string;
}) {
  const pages = usePages<ScheduleRow>('/v1/wfm/schedules', query);
  return (
    <Paged
      title="Schedules"
      pages={pages}
      caption={caption}
      rowKey={(r) => r.id}
      empty="No shifts in this window."
      columns={[
        ...agentColumns<ScheduleRow>(people),
        { header: 'Start', cell: (r) => formatDateTime(r.start) },
        { header: 'End', cell: (r) => formatDateTime(r.end) },
        { header: 'Activity', cell: (r) => r.activity },
      ]}
    />
  );
}

export function AdherenceTable({
  query,
  people,
  caption,
  view,
}: {
  query: Record<string, string>;
  people: boolean;
  caption: string;
  view: 'events' | 'intervals';
}) {
  const pages = usePages<AdherenceRow>('/v1/wfm/adherence', { ...query, view });
  return (
    <Paged
      title="Adherence"
      pages={pages}
      caption={caption}
      rowKey={(r) => r.id}
      empty="No adherence records in this window."
      columns={[
        ...agentColumns<AdherenceRow>(people),
        {
          header: view === 'intervals' ? 'Interval start' : 'Time',
          cell: (r) => formatDateTime(r.timestamp ?? r.intervalStart),
        },
        { header: 'State', cell: (r) => r.state.replace(/_/g, ' ') },
        ...(view === 'intervals'
          ? [
              {
                header: 'Time in state',
                cell: (r: AdherenceRow) => (r.seconds === undefined ? '—' : duration(r.seconds)),
              },
            ]
          : []),
      ]}
    />
  );
}

/**
 * Absences as the API returns them: "absent", with a reason category only where the server
 * included one (the agent's own; a wfm_manager's request with a stated purpose).
 */
export function AbsencesTable({
  query,
  people,
  caption,
  purpose,
}: {
  query: Record<string, string>;
  people: boolean;
  caption: string;
  purpose?: string;
}) {
  const pages = usePages<AbsenceRow>('/v1/wfm/absences', purpose ? { ...query, purpose } : query);
  return (
    <Paged
      title="Absences"
      pages={pages}
      caption={caption}
      rowKey={(r) => r.id}
      empty="No absences in this window."
      columns={[
        ...agentColumns<AbsenceRow>(people),
        { header: 'From', cell: (r) => r.startDate },
        { header: 'To', cell: (r) => r.endDate },
        { header: 'Status', cell: (r) => <Badge>{r.status}</Badge> },
        ...(pages.data?.pages.some((p) => p.items.some((r) => r.reasonCode !== null))
          ? [{ header: 'Reason', cell: (r: AbsenceRow) => (r.reasonCode ?? '—').replace(/_/g, ' ') }]
          : []),
      ]}
    />
  );
}

export function PerformanceTable({
  query,
  people,
  caption,
}: {
  query: Record<string, string>;
  people: boolean;
  caption: string;
}) {
  // Periods start on the first of a month: a window from mid-month still shows that month's figures.
  const monthly = query.from ? { ...query, from: `${query.from.slice(0, 7)}-01` } : query;
  const pages = usePages<PerformanceRow>('/v1/wfm/performance', monthly);
  return (
    <Paged
      title="Performance"
      pages={pages}
      caption={caption}
      rowKey={(r) => r.id}
      empty="No performance figures in this window."
      columns={[
        ...agentColumns<PerformanceRow>(people),
        { header: 'Period from', cell: (r) => r.periodStart.slice(0, 10) },
        { header: 'Metric', cell: (r) => r.metric.replace(/_/g, ' ') },
        { header: 'Value', cell: (r) => r.value.toLocaleString(), className: 'tabular-nums' },
      ]}
    />
  );
}
