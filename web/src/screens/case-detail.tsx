import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from '@tanstack/react-router';
import { type FormEvent, useState } from 'react';
import { api, messageOf, ProblemError, unwrap } from '../api/client';
import { hasCapability, type Me, useMe } from '../app/session';
import { LegalHolds } from '../components/legal-holds';
import {
  Alert,
  Badge,
  Button,
  Card,
  DataTable,
  formatDateTime,
  Loading,
  PageHeader,
  TextField,
} from '../components/ui';
import { assigneeLabel, type CaseItem, canWriteCases, isUuid } from './cases';

export function CaseDetailScreen() {
  const { caseId = '' } = useParams({ strict: false }) as { caseId?: string };
  const me = useMe();
  const queryClient = useQueryClient();
  const detail = useQuery({
    queryKey: ['cases', 'detail', caseId],
    queryFn: () => unwrap(api.GET('/v1/cases/{id}', { params: { path: { id: caseId } } })),
    retry: false,
  });
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['cases'] });
    await queryClient.invalidateQueries({ queryKey: ['recordings'] });
  };

  if (detail.isPending) return <Loading label="Loading case…" />;
  if (detail.isError) {
    const e = detail.error;
    return (
      <>
        <PageHeader title="Investigation case" />
        <Alert>
          {e instanceof ProblemError && e.status === 403 ? `Access refused: ${e.userMessage}` : messageOf(e)}
        </Alert>
        <p className="mt-4 text-sm">
          <Link to="/cases" className="text-blue-800 underline">
            Back to cases
          </Link>
        </p>
      </>
    );
  }
  const c = detail.data;
  const writer = canWriteCases(me.data);
  const open = c.status === 'open';
  return (
    <>
      <PageHeader
        title={c.title}
        description={`Investigation case opened ${formatDateTime(c.createdAt)}.`}
        actions={
          <Link to="/cases" className="text-sm text-blue-800 underline">
            Back to cases
          </Link>
        }
      />
      <div className="flex flex-col gap-4">
        <Card title="Summary">
          <dl className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
            <div>
              <dt className="text-xs font-semibold uppercase tracking-wide text-slate-700">Status</dt>
              <dd>
                <Badge tone={open ? 'good' : 'neutral'}>{c.status}</Badge>
              </dd>
            </div>
            <div>
              <dt className="text-xs font-semibold uppercase tracking-wide text-slate-700">Assignee</dt>
              <dd className="text-sm text-slate-900">
                {assigneeLabel(c.assigneeUserId, me.data)}
                {c.assigneeUserId && c.assigneeUserId !== me.data?.id && (
                  <span className="block font-mono text-xs text-slate-700">{c.assigneeUserId}</span>
                )}
              </dd>
            </div>
            <div>
              <dt className="text-xs font-semibold uppercase tracking-wide text-slate-700">Opened</dt>
              <dd className="text-sm text-slate-900">{formatDateTime(c.createdAt)}</dd>
            </div>
            <div>
              <dt className="text-xs font-semibold uppercase tracking-wide text-slate-700">Closed</dt>
              <dd className="text-sm text-slate-900">{formatDateTime(c.closedAt)}</dd>
            </div>
          </dl>
          {!open && (
            <p className="mt-3 text-sm text-slate-800">
              This case is closed: access to its recordings through it has ended. Its legal holds stay until
              released.
            </p>
          )}
        </Card>
        <LinkedRecordings c={c} me={me.data} writer={writer && open} onChanged={refresh} />
        <Card title="Legal holds on the case">
          <LegalHolds
            holds={c.legalHolds}
            subject="this case (every recording linked to it)"
            canManage={writer}
            place={(reason) =>
              unwrap(api.POST('/v1/cases/{id}/holds', { params: { path: { id: c.id } }, body: { reason } }))
            }
            onChanged={refresh}
          />
        </Card>
        {writer && open && <Assign c={c} me={me.data} onChanged={refresh} />}
        {writer && open && <CloseCase c={c} onChanged={refresh} />}
      </div>
    </>
  );
}

/**
 * The recordings linked to the case. Where the caller's scoped recordings list holds one, its call
 * id, team and start are shown; others (out of the caller's reach) appear by id only.
 */
function LinkedRecordings({
  c,
  me,
  writer,
  onChanged,
}: {
  c: CaseItem;
  me: Me | null | undefined;
  writer: boolean;
  onChanged: () => Promise<void>;
}) {
  const mayList = hasCapability(me, 'recordings');
  const scoped = useQuery({
    queryKey: ['recordings', 'list', 'for-cases'],
    enabled: mayList && c.recordings.length > 0,
    queryFn: () => unwrap(api.GET('/v1/recordings', { params: { query: { limit: 200 } } })),
  });
  const known = new Map((scoped.data?.items ?? []).map((r) => [r.id, r]));
  const [ids, setIds] = useState('');
  const [purpose, setPurpose] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const list = ids
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (list.length === 0 || list.some((s) => !isUuid(s))) {
      setError('Give one or more recording ids (UUIDs), separated by spaces, commas or new lines.');
      return;
    }
    if (purpose.trim().length < 3) {
      setError('State the purpose of the link in 3 to 200 characters.');
      return;
    }
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await unwrap(
        api.POST('/v1/cases/{id}/recordings', {
          params: { path: { id: c.id } },
          body: { recordingIds: [...new Set(list)], purpose: purpose.trim() },
        }),
      );
      setNotice(list.length === 1 ? 'Recording linked.' : `${list.length} recordings linked.`);
      setIds('');
      setPurpose('');
      await onChanged();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Linked recordings">
      <DataTable
        caption="Recordings linked to this case"
        rows={c.recordings}
        rowKey={(id) => id}
        empty="No recordings are linked to this case."
        columns={[
          {
            header: 'Recording',
            cell: (id) =>
              mayList ? (
                <Link
                  to="/recordings/$recordingId"
                  params={{ recordingId: id }}
                  className="font-medium text-blue-800 underline"
                >
                  {known.get(id)?.callId ?? `recording ${id.slice(0, 8)}`}
                </Link>
              ) : (
                <span className="font-mono text-xs">{id}</span>
              ),
          },
          { header: 'Team', cell: (id) => known.get(id)?.team.name ?? '—' },
          { header: 'Started', cell: (id) => formatDateTime(known.get(id)?.startedAt) },
          {
            header: 'Hold',
            cell: (id) => (known.get(id)?.legalHold ? <Badge tone="warn">Legal hold</Badge> : '—'),
          },
        ]}
      />
      {writer && (
        <form onSubmit={(e) => void submit(e)} className="mt-4 flex max-w-xl flex-col gap-3" noValidate>
          <h3 className="text-sm font-semibold text-slate-900">Link recordings</h3>
          {error && <Alert>{error}</Alert>}
          {notice && <Alert kind="success">{notice}</Alert>}
          <TextField
            label="Recording ids"
            value={ids}
            onChange={setIds}
            required
            hint="One or more recording ids, separated by spaces or commas (a recording's page shows a 'Link to case' action too)."
          />
          <TextField
            label="Purpose of the link"
            value={purpose}
            onChange={setPurpose}
            required
            maxLength={200}
            hint="Recorded in the audit log with each link."
          />
          <div>
            <Button type="submit" disabled={busy}>
              Link recordings
            </Button>
          </div>
        </form>
      )}
    </Card>
  );
}

function Assign({
  c,
  me,
  onChanged,
}: {
  c: CaseItem;
  me: Me | null | undefined;
  onChanged: () => Promise<void>;
}) {
  const [userId, setUserId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const assign = async (assigneeUserId: string) => {
    if (!isUuid(assigneeUserId)) {
      setError('The assignee must be a user id (a UUID, shown to IT administrators on the Users screen).');
      return;
    }
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await unwrap(
        api.POST('/v1/cases/{id}/assign', {
          params: { path: { id: c.id } },
          body: { assigneeUserId: assigneeUserId.trim() },
        }),
      );
      setNotice('Case assigned.');
      setUserId('');
      await onChanged();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Assign">
      <p className="mb-3 text-sm text-slate-800">
        The assignee (a compliance officer or security analyst) may play the linked recordings while the case
        is open; reassigning ends the previous assignee&apos;s access at once.
      </p>
      {error && <Alert>{error}</Alert>}
      {notice && <Alert kind="success">{notice}</Alert>}
      <div className="mt-2 flex flex-wrap items-end gap-4">
        {me && c.assigneeUserId !== me.id && (
          <Button variant="secondary" disabled={busy} onClick={() => void assign(me.id)}>
            Assign to me
          </Button>
        )}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void assign(userId);
          }}
          className="flex flex-wrap items-end gap-2"
          noValidate
        >
          <TextField label="Assignee user id" value={userId} onChange={setUserId} required maxLength={36} />
          <Button type="submit" disabled={busy}>
            Assign
          </Button>
        </form>
      </div>
    </Card>
  );
}

function CloseCase({ c, onChanged }: { c: CaseItem; onChanged: () => Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const close = async () => {
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.POST('/v1/cases/{id}/close', { params: { path: { id: c.id } } }));
      setConfirming(false);
      await onChanged();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Close the case">
      {error && <Alert>{error}</Alert>}
      {!confirming ? (
        <Button variant="danger" onClick={() => setConfirming(true)}>
          Close case…
        </Button>
      ) : (
        <div className="flex flex-col gap-3">
          <p className="text-sm text-slate-900">
            Close “{c.title}”? Access to its recordings through this case ends at once; its legal holds stay
            until released. A closed case cannot be reopened here.
          </p>
          <div className="flex gap-2">
            <Button variant="danger" disabled={busy} onClick={() => void close()}>
              Yes, close the case
            </Button>
            <Button variant="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </div>
        </div>
      )}
    </Card>
  );
}
