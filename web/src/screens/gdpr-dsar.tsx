import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, messageOf, type paths, unwrap } from '../api/client';
import { ConfirmDialog } from '../components/confirm-dialog';
import { EXPORT_CATEGORIES, ExportDownloads } from '../components/data-export';
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

type Dsar = paths['/v1/dsar/{id}']['get']['responses'][200]['content']['application/json'];
type Status = Dsar['status'];

const STATUS_LABEL: Record<Status, string> = {
  received: 'received',
  in_progress: 'in progress',
  completed: 'completed',
  rejected: 'rejected',
};

const subjectOf = (d: Dsar) =>
  d.subject.username
    ? `user ${d.subject.username}`
    : d.subject.agentIds.length > 0
      ? `agent ${d.subject.agentIds.join(', ')}`
      : 'unknown subject';

const categoryLabel = (key: string) => EXPORT_CATEGORIES.find((c) => c.value === key)?.label ?? key;

/**
 * Data subject access requests (compliance officers): every request by due date with its status
 * and an overdue flag; record a new one; start it, produce its export (which completes it) and
 * download the export as JSON, a CSV per category or the HTML summary. Each export is audited.
 */
export function DsarScreen() {
  const [status, setStatus] = useState<'' | Status>('');
  const [overdue, setOverdue] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const list = useQuery({
    queryKey: ['dsar', 'list', status, overdue],
    queryFn: () =>
      unwrap(
        api.GET('/v1/dsar', {
          params: {
            query: {
              ...(status ? { status } : {}),
              ...(overdue ? { overdue: 'true' as const } : {}),
              limit: 200,
            },
          },
        }),
      ),
  });
  const current = list.data?.items.find((d) => d.id === selected) ?? null;
  return (
    <>
      <PageHeader
        title="Access requests"
        description="Data subject access requests (GDPR Art. 15), due one calendar month after they arrive."
      />
      <NewRequest onCreated={setSelected} />
      <div className="mb-3 flex flex-wrap items-end gap-4">
        <SelectField
          label="Status"
          value={status}
          onChange={(v) => setStatus(v as typeof status)}
          options={[
            { value: '', label: 'Any status' },
            { value: 'received', label: 'Received' },
            { value: 'in_progress', label: 'In progress' },
            { value: 'completed', label: 'Completed' },
            { value: 'rejected', label: 'Rejected' },
          ]}
        />
        <label className="flex items-center gap-2 text-sm text-slate-900">
          <input type="checkbox" checked={overdue} onChange={(e) => setOverdue(e.target.checked)} />
          Only overdue
        </label>
      </div>
      {list.isPending ? (
        <Loading label="Loading access requests…" />
      ) : list.isError ? (
        <Alert>{messageOf(list.error)}</Alert>
      ) : (
        <DataTable
          caption="Access requests"
          rows={list.data.items}
          rowKey={(d) => d.id}
          empty="No access requests."
          columns={[
            { header: 'Subject', cell: subjectOf },
            { header: 'Received', cell: (d) => formatDateTime(d.receivedAt) },
            {
              header: 'Due',
              cell: (d) => (
                <span className="flex flex-wrap items-center gap-2">
                  {formatDateTime(d.dueAt)}
                  {d.overdue && <Badge tone="bad">overdue</Badge>}
                </span>
              ),
            },
            {
              header: 'Status',
              cell: (d) => (
                <Badge
                  tone={d.status === 'completed' ? 'good' : d.status === 'rejected' ? 'neutral' : 'warn'}
                >
                  {STATUS_LABEL[d.status]}
                </Badge>
              ),
            },
            {
              header: 'Open',
              cell: (d) => (
                <Button
                  variant="secondary"
                  aria-label={`Open the request about ${subjectOf(d)}`}
                  onClick={() => setSelected(d.id)}
                >
                  Open
                </Button>
              ),
            },
          ]}
        />
      )}
      {current && <RequestDetail key={current.id} request={current} />}
    </>
  );
}

function NewRequest({ onCreated }: { onCreated: (id: string) => void }) {
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<'username' | 'agentId'>('username');
  const [subject, setSubject] = useState('');
  const [receivedAt, setReceivedAt] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!subject.trim()) {
      setError(
        kind === 'username' ? 'Enter the username of the person.' : 'Enter the WFM agent id of the person.',
      );
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const created = await unwrap(
        api.POST('/v1/dsar', {
          body: {
            subject: kind === 'username' ? { username: subject.trim() } : { agentId: subject.trim() },
            ...(receivedAt ? { receivedAt: new Date(receivedAt).toISOString() } : {}),
            ...(note.trim() ? { note: note.trim() } : {}),
          },
        }),
      );
      setSubject('');
      setReceivedAt('');
      setNote('');
      await queryClient.invalidateQueries({ queryKey: ['dsar'] });
      onCreated(created.id);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Record a request" className="mb-6">
      <form onSubmit={submit} className="flex flex-col gap-3" noValidate>
        <div className="flex flex-wrap items-end gap-3">
          <SelectField
            label="Identify the person by"
            value={kind}
            onChange={(v) => setKind(v as typeof kind)}
            options={[
              { value: 'username', label: 'Bulwark username' },
              { value: 'agentId', label: 'WFM agent id' },
            ]}
          />
          <TextField
            label={kind === 'username' ? 'Username' : 'Agent id'}
            value={subject}
            onChange={setSubject}
            required
            name="subject"
          />
          <TextField
            label="Received (optional)"
            type="datetime-local"
            value={receivedAt}
            onChange={setReceivedAt}
            hint="Defaults to now; the due date is one month later."
          />
        </div>
        <TextField
          label="Note (optional)"
          value={note}
          onChange={setNote}
          maxLength={1000}
          hint="How it arrived and how the identity was checked. No personal details beyond that."
        />
        {error && <Alert>{error}</Alert>}
        <div>
          <Button type="submit" disabled={busy}>
            {busy ? 'Recording…' : 'Record request'}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function RequestDetail({ request }: { request: Dsar }) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<'export' | 'reject' | null>(null);
  const open = request.status === 'received' || request.status === 'in_progress';
  const run = async (call: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await call();
      await queryClient.invalidateQueries({ queryKey: ['dsar'] });
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
      setConfirm(null);
    }
  };
  const setStatus = (status: 'in_progress' | 'rejected') =>
    run(() => unwrap(api.PATCH('/v1/dsar/{id}', { params: { path: { id: request.id } }, body: { status } })));
  const produce = () =>
    run(() => unwrap(api.POST('/v1/dsar/{id}/export', { params: { path: { id: request.id } } })));
  return (
    <Card title={`Request about ${subjectOf(request)}`} className="mt-6">
      <dl className="mb-4 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm text-slate-900">
        <dt className="font-medium">Status</dt>
        <dd>
          {STATUS_LABEL[request.status]}
          {request.overdue && ' (overdue)'}
        </dd>
        <dt className="font-medium">Received</dt>
        <dd>{formatDateTime(request.receivedAt)}</dd>
        <dt className="font-medium">Due</dt>
        <dd>{formatDateTime(request.dueAt)}</dd>
        <dt className="font-medium">Completed</dt>
        <dd>{formatDateTime(request.completedAt)}</dd>
        {request.note && (
          <>
            <dt className="font-medium">Note</dt>
            <dd>{request.note}</dd>
          </>
        )}
      </dl>
      {open && (
        <div className="mb-4 flex flex-wrap gap-2">
          {request.status === 'received' && (
            <Button variant="secondary" disabled={busy} onClick={() => void setStatus('in_progress')}>
              Start work on it
            </Button>
          )}
          <Button disabled={busy} onClick={() => setConfirm('export')}>
            Produce the export
          </Button>
          <Button variant="danger" disabled={busy} onClick={() => setConfirm('reject')}>
            Reject
          </Button>
        </div>
      )}
      {error && <Alert>{error}</Alert>}
      {request.exportCounts && (
        <DataTable
          caption="What the export holds"
          rows={Object.entries(request.exportCounts)}
          rowKey={([k]) => k}
          columns={[
            { header: 'Category', cell: ([k]) => categoryLabel(k) },
            { header: 'Records', cell: ([, n]) => n.toLocaleString(), className: 'tabular-nums' },
          ]}
        />
      )}
      {request.status === 'completed' && (
        <div className="mt-4">
          <ExportDownloads
            base={`/v1/dsar/${request.id}/export`}
            label="Download the export"
            fileBase={`dsar-${request.id}`}
          />
        </div>
      )}
      <ConfirmDialog
        open={confirm === 'export'}
        busy={busy}
        title="Produce the export?"
        confirmLabel="Produce the export"
        onConfirm={() => void produce()}
        onCancel={() => setConfirm(null)}
      >
        Bulwark counts everything it holds about {subjectOf(request)} and marks the request completed. The
        export is read again at each download. This is recorded in the audit log.
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm === 'reject'}
        busy={busy}
        title="Reject the request?"
        confirmLabel="Reject"
        onConfirm={() => void setStatus('rejected')}
        onCancel={() => setConfirm(null)}
      >
        A rejected request is final. Record why in your case notes.
      </ConfirmDialog>
    </Card>
  );
}
