import { useQuery } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useMemo, useRef, useState } from 'react';
import { api, messageOf, ProblemError, type paths, unwrap } from '../api/client';
import {
  Alert,
  Badge,
  Button,
  DataTable,
  formatDateTime,
  Loading,
  PageHeader,
  TextField,
} from '../components/ui';
import { type ProofVerification, verifyEventProof } from '../lib/audit-proof';

type EventsQuery = NonNullable<paths['/v1/audit/events']['get']['parameters']['query']>;
type AuditEvent =
  paths['/v1/audit/events']['get']['responses'][200]['content']['application/json']['data'][number];

const PAGE_SIZE = 50;

type Filters = {
  actor: string;
  action: string;
  resourceType: string;
  resourceId: string;
  from: string;
  to: string;
};
const NO_FILTERS: Filters = { actor: '', action: '', resourceType: '', resourceId: '', from: '', to: '' };

/** A datetime-local value (the browser's time zone) as an ISO instant, or undefined when empty. */
function instant(local: string): string | undefined {
  if (!local) return undefined;
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

function toQuery(f: Filters, cursor: string | undefined): EventsQuery {
  const q: EventsQuery = { limit: PAGE_SIZE };
  if (f.actor.trim()) q.actor = f.actor.trim();
  if (f.action.trim()) q.action = f.action.trim();
  if (f.resourceType.trim()) q.resourceType = f.resourceType.trim();
  if (f.resourceId.trim()) q.resourceId = f.resourceId.trim();
  const from = instant(f.from);
  const to = instant(f.to);
  if (from) q.from = from;
  if (to) q.to = to;
  if (cursor) q.cursor = cursor;
  return q;
}

const outcomeTone = (o: AuditEvent['outcome']) =>
  o === 'success' || o === 'allow' ? ('good' as const) : ('bad' as const);

/** The audit log (security_analyst, compliance_officer): filter events, open one, verify its proof here. */
export function AuditScreen() {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  // Cursors of the pages before the current one (keyset pagination goes forward only).
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1];

  const events = useQuery({
    queryKey: ['audit-events', filters, cursor],
    queryFn: () => unwrap(api.GET('/v1/audit/events', { params: { query: toQuery(filters, cursor) } })),
    placeholderData: (prev) => prev,
  });
  const rows = events.data?.data ?? [];
  const selected = useMemo(() => rows.find((e) => e.id === selectedId) ?? null, [rows, selectedId]);

  const set = (k: keyof Filters) => (v: string) => setDraft((d) => ({ ...d, [k]: v }));
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters(draft);
    setCursors([undefined]);
    setSelectedId(null);
  };
  const clear = () => {
    setDraft(NO_FILTERS);
    setFilters(NO_FILTERS);
    setCursors([undefined]);
    setSelectedId(null);
  };

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Audit log"
        description="Every access decision and change, in log order. Open an event to check, in this browser, that it is included in the log's signed checkpoint."
      />
      <form
        onSubmit={apply}
        aria-label="Filter audit events"
        className="rounded-lg border border-slate-300 bg-white p-4"
      >
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3">
          <TextField
            label="Actor (user id)"
            value={draft.actor}
            onChange={set('actor')}
            hint="The acting user's id, e.g. from an event's detail."
          />
          <TextField
            label="Action"
            value={draft.action}
            onChange={set('action')}
            hint="Exact, e.g. auth.login"
          />
          <TextField
            label="Resource type"
            value={draft.resourceType}
            onChange={set('resourceType')}
            hint="Exact, e.g. Recording"
          />
          <TextField label="Resource id" value={draft.resourceId} onChange={set('resourceId')} />
          <TextField label="From" type="datetime-local" value={draft.from} onChange={set('from')} />
          <TextField label="To (exclusive)" type="datetime-local" value={draft.to} onChange={set('to')} />
        </div>
        <div className="mt-4 flex gap-2">
          <Button type="submit">Apply filters</Button>
          <Button variant="secondary" onClick={clear}>
            Clear
          </Button>
        </div>
      </form>

      {events.isError ? (
        <Alert>Could not load audit events: {messageOf(events.error)}</Alert>
      ) : events.isPending ? (
        <Loading label="Loading audit events…" />
      ) : (
        <section aria-labelledby="audit-events-heading" className="flex flex-col gap-3">
          <h2 id="audit-events-heading" className="text-lg font-semibold text-slate-900">
            Events
          </h2>
          <DataTable<AuditEvent>
            caption="Audit events matching the filters, oldest first"
            rows={rows}
            rowKey={(e) => e.id}
            empty="No audit events match these filters."
            columns={[
              { header: 'Time', cell: (e) => formatDateTime(e.time), className: 'whitespace-nowrap' },
              { header: 'Action', cell: (e) => <code className="text-xs">{e.action}</code> },
              { header: 'Outcome', cell: (e) => <Badge tone={outcomeTone(e.outcome)}>{e.outcome}</Badge> },
              {
                header: 'Actor',
                cell: (e) => (
                  <span className="text-xs">
                    {e.actor.user ? <code>{e.actor.user}</code> : 'system'}
                    {e.actor.roles.length > 0 && (
                      <span className="block text-slate-700">{e.actor.roles.join(', ')}</span>
                    )}
                  </span>
                ),
              },
              {
                header: 'Resource',
                cell: (e) => (
                  <span className="text-xs">
                    {e.resource.type}
                    {e.resource.id && <code className="block break-all text-slate-700">{e.resource.id}</code>}
                  </span>
                ),
              },
              {
                header: 'Detail',
                cell: (e) => (
                  <Button
                    variant="secondary"
                    aria-pressed={e.id === selectedId}
                    aria-label={`Show event ${e.action} at ${formatDateTime(e.time)}`}
                    onClick={() => setSelectedId(e.id)}
                  >
                    Show
                  </Button>
                ),
              },
            ]}
          />
          <nav aria-label="Audit event pages" className="flex items-center gap-3">
            <Button
              variant="secondary"
              disabled={cursors.length <= 1 || events.isFetching}
              onClick={() => setCursors((c) => c.slice(0, -1))}
            >
              Previous page
            </Button>
            <span className="text-sm text-slate-700">Page {cursors.length}</span>
            <Button
              variant="secondary"
              disabled={!events.data?.nextCursor || events.isFetching}
              onClick={() => {
                const next = events.data?.nextCursor;
                if (next) setCursors((c) => [...c, next]);
              }}
            >
              Next page
            </Button>
          </nav>
        </section>
      )}

      {selected && <EventDetail event={selected} onClose={() => setSelectedId(null)} />}
    </div>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[10rem_1fr] gap-2 py-1">
      <dt className="text-slate-700">{label}</dt>
      <dd className="break-all text-slate-900">{children}</dd>
    </div>
  );
}

const orNone = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? '—' : v);

function EventDetail({ event, onClose }: { event: AuditEvent; onClose: () => void }) {
  const details = Object.entries(event.details);
  const heading = useRef<HTMLHeadingElement>(null);
  // The detail opens below the table: bring it into view and move focus to it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs for each newly selected event
  useEffect(() => {
    heading.current?.scrollIntoView({ block: 'start' });
    heading.current?.focus();
  }, [event.id]);
  return (
    <section
      aria-labelledby="audit-event-heading"
      className="rounded-lg border border-slate-300 bg-white p-4 shadow-sm"
    >
      <div className="mb-3 flex items-start justify-between gap-3">
        <h2
          id="audit-event-heading"
          ref={heading}
          tabIndex={-1}
          className="text-lg font-semibold text-slate-900"
        >
          Event {event.action}
        </h2>
        <Button variant="secondary" onClick={onClose}>
          Close detail
        </Button>
      </div>
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <dl className="text-sm">
          <Field label="Event id">
            <code>{event.id}</code>
          </Field>
          <Field label="Time">
            {formatDateTime(event.time)} ({event.time})
          </Field>
          <Field label="Outcome">
            <Badge tone={outcomeTone(event.outcome)}>{event.outcome}</Badge>
          </Field>
          <Field label="Reason">{orNone(event.reason)}</Field>
          <Field label="Actor">
            <code>{orNone(event.actor.user)}</code>
          </Field>
          <Field label="Actor roles">{event.actor.roles.join(', ') || '—'}</Field>
          <Field label="Session">
            <code>{orNone(event.actor.session)}</code>
          </Field>
          <Field label="IP address">{orNone(event.actor.ip)}</Field>
          <Field label="Resource">
            {event.resource.type} <code>{orNone(event.resource.id)}</code>
          </Field>
          <Field label="Policies">{event.policies.join(', ') || '—'}</Field>
          <Field label="Purpose">{orNone(event.purpose)}</Field>
          <Field label="Request id">
            <code>{orNone(event.requestId)}</code>
          </Field>
          <Field label="Log position">
            {event.leafIndex === null ? 'not yet sequenced' : event.leafIndex}
          </Field>
          {details.map(([k, v]) => (
            <Field key={k} label={`Detail: ${k}`}>
              {v === null ? '—' : String(v)}
            </Field>
          ))}
        </dl>
        <ProofPanel event={event} />
      </div>
    </section>
  );
}

/**
 * Fetches the event's inclusion proof and the latest checkpoint, then verifies both here: the
 * leaf is recomputed from the event shown, the path to the signed root, and the Ed25519 signature.
 */
function ProofPanel({ event }: { event: AuditEvent }) {
  const [pinned, setPinned] = useState('');
  const [pinnedDraft, setPinnedDraft] = useState('');
  const proof = useQuery({
    queryKey: ['audit-proof', event.id],
    queryFn: () => unwrap(api.GET('/v1/audit/events/{id}/proof', { params: { path: { id: event.id } } })),
    // Just-written events are covered by a checkpoint within a second or so (409 until then).
    retry: (count, e) => e instanceof ProblemError && e.code === 'CONFLICT' && count < 5,
    retryDelay: 1_000,
    staleTime: 60_000,
  });
  const checkpoint = useQuery({
    queryKey: ['audit-checkpoint'],
    queryFn: () => unwrap(api.GET('/v1/audit/checkpoint')),
    staleTime: 10_000,
  });
  const key = pinned || checkpoint.data?.verifierKey;
  const result: ProofVerification | null = useMemo(
    () => (proof.data && key ? verifyEventProof(event, proof.data, key) : null),
    [event, proof.data, key],
  );

  return (
    <section aria-labelledby="audit-proof-heading" className="flex flex-col gap-3 text-sm">
      <h3 id="audit-proof-heading" className="text-base font-semibold text-slate-900">
        Inclusion proof
      </h3>
      {proof.isPending || checkpoint.isPending ? (
        <Loading label="Fetching and verifying the proof…" />
      ) : proof.isError ? (
        <Alert>Could not get the inclusion proof: {messageOf(proof.error)}</Alert>
      ) : checkpoint.isError ? (
        <Alert>Could not get the signed checkpoint: {messageOf(checkpoint.error)}</Alert>
      ) : result?.ok ? (
        <Alert kind="success">
          <strong>Verified:</strong> included in checkpoint of size {result.treeSize} signed by{' '}
          {result.origin}
          {pinned ? ' (with the key you pinned)' : ''}.
        </Alert>
      ) : result ? (
        <Alert>
          <strong>Not verified</strong> ({stepLabel[result.step]}): {result.reason}
        </Alert>
      ) : null}
      {result?.ok && (
        <dl className="text-sm">
          <Field label="Log position">{result.leafIndex}</Field>
          <Field label="Leaf hash (recomputed)">
            <code>{result.leafHash}</code>
          </Field>
          <Field label="Root hash">
            <code>{result.rootHash}</code>
          </Field>
          <Field label="Signing key id">
            <code>{result.keyId}</code>
          </Field>
          <Field label="Proof hashes">{proof.data?.proof.length ?? 0}</Field>
        </dl>
      )}
      <p className="text-slate-700">
        Checked in this browser: the leaf hash is recomputed from the event above (RFC 6962, SHA-256), the
        Merkle path is followed to the checkpoint's root, and the checkpoint's Ed25519 signature (C2SP signed
        note) is verified.
      </p>
      {checkpoint.data && (
        <div className="flex flex-col gap-2">
          <p className="text-slate-700">
            {pinned
              ? 'Verified against the verifier key you pinned below, not the one the server sent.'
              : 'The public key used here was sent by this same server with the checkpoint. A verifier that must not rely on the server should pin the log key out of band and paste it below (or compare it with the one shown).'}
          </p>
          <dl>
            <Field label="Key sent by the server">
              <code className="text-xs">{checkpoint.data.verifierKey}</code>
            </Field>
          </dl>
          <form
            className="flex flex-wrap items-end gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              setPinned(pinnedDraft.trim());
            }}
          >
            <div className="min-w-64 flex-1">
              <TextField
                label="Pinned verifier key (optional)"
                value={pinnedDraft}
                onChange={setPinnedDraft}
                hint="name+keyid+base64 key, as printed by the server operator"
              />
            </div>
            <Button type="submit" variant="secondary">
              Verify with pinned key
            </Button>
            {pinned && (
              <Button
                variant="secondary"
                onClick={() => {
                  setPinned('');
                  setPinnedDraft('');
                }}
              >
                Use the server's key
              </Button>
            )}
          </form>
        </div>
      )}
      {proof.data && (
        <details>
          <summary className="cursor-pointer text-slate-900">Signed checkpoint note</summary>
          <pre className="mt-2 overflow-x-auto rounded bg-slate-100 p-2 text-xs text-slate-900">
            {proof.data.checkpoint}
          </pre>
        </details>
      )}
    </section>
  );
}

const stepLabel: Record<Extract<ProofVerification, { ok: false }>['step'], string> = {
  key: 'bad verifier key',
  signature: 'checkpoint signature',
  checkpoint: 'checkpoint contents',
  leaf: 'event content',
  path: 'Merkle path',
};
