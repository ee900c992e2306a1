import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { type FormEvent, useState } from 'react';
import { api, messageOf, type paths, unwrap } from '../api/client';
import { type Me, useMe } from '../app/session';
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

export type CaseItem =
  paths['/v1/cases']['get']['responses'][200]['content']['application/json']['items'][number];

/** Opening, assigning, linking and closing cases is the compliance officer's (policy compliance-cases). */
export const canWriteCases = (me: Me | null | undefined) => me?.roles.includes('compliance_officer') === true;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s.trim());

export function assigneeLabel(assignee: string | null, me: Me | null | undefined): string {
  if (!assignee) return 'unassigned';
  return assignee === me?.id ? 'you' : `user ${assignee.slice(0, 8)}`;
}

export function CasesScreen() {
  const me = useMe();
  const [status, setStatus] = useState<'' | 'open' | 'closed'>('');
  const list = useQuery({
    queryKey: ['cases', 'list', status || 'all'],
    queryFn: () => unwrap(api.GET('/v1/cases', { params: { query: status ? { status } : {} } })),
  });
  const writer = canWriteCases(me.data);
  return (
    <>
      <PageHeader
        title="Investigation cases"
        description={
          writer
            ? 'Every case of your organisation. The assignee of an open case may play the recordings linked to it.'
            : 'The cases assigned to you. While a case is open you may play the recordings linked to it.'
        }
      />
      {writer && <OpenCase me={me.data} />}
      <div className="mb-3 max-w-xs">
        <SelectField
          label="Show"
          value={status}
          onChange={(v) => setStatus(v as typeof status)}
          options={[
            { value: '', label: 'All cases' },
            { value: 'open', label: 'Open cases' },
            { value: 'closed', label: 'Closed cases' },
          ]}
        />
      </div>
      {list.isPending ? (
        <Loading label="Loading cases…" />
      ) : list.isError ? (
        <Alert>{messageOf(list.error)}</Alert>
      ) : (
        <DataTable
          caption="Investigation cases"
          rows={list.data.items}
          rowKey={(c) => c.id}
          empty="No cases to show."
          columns={[
            {
              header: 'Title',
              cell: (c) => (
                <Link
                  to="/cases/$caseId"
                  params={{ caseId: c.id }}
                  className="font-medium text-blue-800 underline hover:text-blue-950"
                >
                  {c.title}
                </Link>
              ),
            },
            {
              header: 'Status',
              cell: (c) => <Badge tone={c.status === 'open' ? 'good' : 'neutral'}>{c.status}</Badge>,
            },
            { header: 'Assignee', cell: (c) => assigneeLabel(c.assigneeUserId, me.data) },
            { header: 'Recordings', cell: (c) => c.recordings.length },
            {
              header: 'Legal holds',
              cell: (c) => {
                const active = c.legalHolds.filter((h) => !h.releasedAt).length;
                return active > 0 ? <Badge tone="warn">{active} active</Badge> : 'none';
              },
            },
            { header: 'Opened', cell: (c) => formatDateTime(c.createdAt) },
            { header: 'Closed', cell: (c) => formatDateTime(c.closedAt) },
          ]}
        />
      )}
    </>
  );
}

function OpenCase({ me }: { me: Me | null | undefined }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [title, setTitle] = useState('');
  const [assignTo, setAssignTo] = useState<'me' | 'nobody' | 'other'>('me');
  const [other, setOther] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) {
      setError('Give the case a title.');
      return;
    }
    if (assignTo === 'other' && !isUuid(other)) {
      setError('The assignee must be a user id (a UUID, shown to IT administrators on the Users screen).');
      return;
    }
    const assigneeUserId = assignTo === 'me' ? me?.id : assignTo === 'other' ? other.trim() : undefined;
    setBusy(true);
    setError(null);
    try {
      const created = await unwrap(
        api.POST('/v1/cases', {
          body: { title: title.trim(), ...(assigneeUserId ? { assigneeUserId } : {}) },
        }),
      );
      await queryClient.invalidateQueries({ queryKey: ['cases'] });
      await navigate({ to: '/cases/$caseId', params: { caseId: created.id } });
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Open a case" className="mb-4">
      <form onSubmit={(e) => void submit(e)} className="flex max-w-xl flex-col gap-3" noValidate>
        {error && <Alert>{error}</Alert>}
        <TextField
          label="Title"
          value={title}
          onChange={setTitle}
          required
          maxLength={200}
          hint="No customer data: use a reference (e.g. a dispute or ticket number)."
        />
        <SelectField
          label="Assign to"
          value={assignTo}
          onChange={(v) => setAssignTo(v as typeof assignTo)}
          options={[
            { value: 'me', label: 'Me' },
            { value: 'nobody', label: 'Nobody yet' },
            { value: 'other', label: 'Another user (by user id)' },
          ]}
        />
        {assignTo === 'other' && (
          <TextField
            label="Assignee user id"
            value={other}
            onChange={setOther}
            required
            maxLength={36}
            hint="A compliance officer or security analyst; the API takes their user id."
          />
        )}
        <div>
          <Button type="submit" disabled={busy}>
            Open case
          </Button>
        </div>
      </form>
    </Card>
  );
}
