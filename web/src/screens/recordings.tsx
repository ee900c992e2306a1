import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { type FormEvent, useState } from 'react';
import { api, messageOf, type paths, unwrap } from '../api/client';
import { formatSeconds } from '../components/timeline';
import {
  Alert,
  Badge,
  Button,
  Card,
  DataTable,
  formatDateTime,
  Loading,
  PageHeader,
  SelectField,
  TextField,
} from '../components/ui';

export type RecordingItem =
  paths['/v1/recordings']['get']['responses'][200]['content']['application/json']['items'][number];
type ListQuery = NonNullable<paths['/v1/recordings']['get']['parameters']['query']>;

type Filters = {
  callId: string;
  agent: string;
  team: string;
  kind: '' | 'audio' | 'screen';
  from: string;
  to: string;
  paymentTaken: '' | 'true' | 'false';
};
const EMPTY: Filters = { callId: '', agent: '', team: '', kind: '', from: '', to: '', paymentTaken: '' };
const PAGE_SIZE = 25;

/** A datetime-local value (the browser's time zone) as the ISO instant the API takes. */
const isoOf = (local: string) => (local ? new Date(local).toISOString() : undefined);

function toQuery(f: Filters, cursor: string | undefined): ListQuery {
  const q: ListQuery = { limit: PAGE_SIZE };
  if (f.callId.trim()) q.callId = f.callId.trim();
  if (f.agent.trim()) q.agent = f.agent.trim();
  if (f.team.trim()) q.team = f.team.trim();
  if (f.kind) q.kind = f.kind;
  if (f.from) q.from = isoOf(f.from);
  if (f.to) q.to = isoOf(f.to);
  if (f.paymentTaken) q.paymentTaken = f.paymentTaken;
  if (cursor) q.cursor = cursor;
  return q;
}

/** Length of a recording from its start and end times, in seconds (null while it has no end). */
export const durationOf = (r: { startedAt: string; endedAt: string | null }) =>
  r.endedAt ? Math.max(0, (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000) : null;

/** Badges for a recording's governance state: hold, restriction, redacted derivative, transcript, payment. */
export function RecordingBadges({ r }: { r: RecordingItem }) {
  return (
    <span className="flex flex-wrap gap-1">
      {r.legalHold && <Badge tone="warn">Legal hold</Badge>}
      {r.status === 'restricted' && <Badge tone="bad">Restricted original</Badge>}
      {r.status === 'deleted' && <Badge tone="bad">Deleted</Badge>}
      {r.derivedFrom && <Badge tone="good">Redacted copy</Badge>}
      {r.paymentTaken && <Badge>Payment</Badge>}
      {r.transcript && <Badge>Transcript</Badge>}
      {r.cases.length > 0 && (
        <Badge>{r.cases.length === 1 ? 'On a case' : `On ${r.cases.length} cases`}</Badge>
      )}
    </span>
  );
}

/**
 * Recordings in the caller's scope (their teams; for compliance and security, their open cases),
 * newest first, searched with the list API's filters and paged with its keyset cursor.
 */
export function RecordingsScreen() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  // Cursors of the pages before the current one, so "Previous page" can go back.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const list = useQuery({
    queryKey: ['recordings', 'list', filters, cursor],
    queryFn: () => unwrap(api.GET('/v1/recordings', { params: { query: toQuery(filters, cursor) } })),
    placeholderData: keepPreviousData,
  });

  const set =
    <K extends keyof Filters>(key: K) =>
    (value: string) =>
      setDraft((d) => ({ ...d, [key]: value as Filters[K] }));
  const search = (e: FormEvent) => {
    e.preventDefault();
    setFilters(draft);
    setCursors([undefined]);
  };
  const clear = () => {
    setDraft(EMPTY);
    setFilters(EMPTY);
    setCursors([undefined]);
  };

  return (
    <>
      <PageHeader
        title="Recordings"
        description="Recordings you may review: your teams' calls, or those linked to investigation cases assigned to you. Every search, metadata read and playback is audited."
      />
      <Card title="Search" className="mb-4">
        <form onSubmit={search} className="grid grid-cols-1 gap-3 md:grid-cols-3 lg:grid-cols-4">
          <TextField label="Call id" value={draft.callId} onChange={set('callId')} maxLength={200} />
          <TextField label="Agent" value={draft.agent} onChange={set('agent')} maxLength={200} />
          <TextField
            label="Team"
            value={draft.team}
            onChange={set('team')}
            maxLength={200}
            hint="Team name"
          />
          <SelectField
            label="Kind"
            value={draft.kind}
            onChange={set('kind')}
            options={[
              { value: '', label: 'Any' },
              { value: 'audio', label: 'Audio' },
              { value: 'screen', label: 'Screen' },
            ]}
          />
          <TextField label="Started from" type="datetime-local" value={draft.from} onChange={set('from')} />
          <TextField label="Started before" type="datetime-local" value={draft.to} onChange={set('to')} />
          <SelectField
            label="Payment taken"
            value={draft.paymentTaken}
            onChange={set('paymentTaken')}
            options={[
              { value: '', label: 'Any' },
              { value: 'true', label: 'Yes' },
              { value: 'false', label: 'No' },
            ]}
          />
          <div className="flex items-end gap-2">
            <Button type="submit">Search</Button>
            <Button variant="secondary" onClick={clear}>
              Clear
            </Button>
          </div>
        </form>
      </Card>
      {list.isPending ? (
        <Loading label="Loading recordings…" />
      ) : list.isError ? (
        <Alert>{messageOf(list.error)}</Alert>
      ) : (
        <>
          <DataTable
            caption="Recordings in your scope, newest first"
            rows={list.data.items}
            rowKey={(r) => r.id}
            empty="No recordings in your scope match this search."
            columns={[
              { header: 'Started', cell: (r) => formatDateTime(r.startedAt) },
              {
                header: 'Call',
                cell: (r) => (
                  <Link
                    to="/recordings/$recordingId"
                    params={{ recordingId: r.id }}
                    className="font-medium text-blue-800 underline hover:text-blue-950"
                  >
                    {r.callId}
                  </Link>
                ),
              },
              { header: 'Duration', cell: (r) => formatSeconds(durationOf(r)) },
              { header: 'Team', cell: (r) => r.team.name },
              { header: 'Agent', cell: (r) => r.agent },
              { header: 'Kind', cell: (r) => r.kind },
              { header: 'State', cell: (r) => <RecordingBadges r={r} /> },
            ]}
          />
          <nav aria-label="Pages" className="mt-3 flex items-center gap-3">
            <Button
              variant="secondary"
              disabled={cursors.length <= 1}
              onClick={() => setCursors((c) => c.slice(0, -1))}
            >
              Previous page
            </Button>
            <span className="text-sm text-slate-800">Page {cursors.length}</span>
            <Button
              variant="secondary"
              disabled={!list.data.nextCursor}
              onClick={() => {
                const next = list.data.nextCursor;
                if (next) setCursors((c) => [...c, next]);
              }}
            >
              Next page
            </Button>
          </nav>
        </>
      )}
    </>
  );
}
