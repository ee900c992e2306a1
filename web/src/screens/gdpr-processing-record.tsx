import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, messageOf, type paths, unwrap } from '../api/client';
import { hasCapability, useMe } from '../app/session';
import { downloadFile } from '../components/download';
import { Alert, Badge, Button, Card, DataTable, Loading, PageHeader, TextField } from '../components/ui';

type Entry =
  paths['/v1/processing-record']['get']['responses'][200]['content']['application/json']['items'][number];
type Editable = 'purpose' | 'lawfulBasis' | 'recipients' | 'transfers';

const FIELDS: Array<{ key: Editable; label: string }> = [
  { key: 'purpose', label: 'Purpose' },
  { key: 'lawfulBasis', label: 'Lawful basis' },
  { key: 'recipients', label: 'Recipients' },
  { key: 'transfers', label: 'Transfers' },
];

/**
 * The record of processing activities (GDPR Art. 30): each data category with its purpose, lawful
 * basis, retention (from configuration), recipients and transfers; a CSV export; compliance
 * officers edit the descriptive fields (PUT /v1/processing-record/{category}).
 */
export function ProcessingRecordScreen() {
  const me = useMe();
  const canEdit = hasCapability(me.data, 'processing-record-edit');
  const [editing, setEditing] = useState<Entry | null>(null);
  const [csvError, setCsvError] = useState<string | null>(null);
  const record = useQuery({
    queryKey: ['processing-record'],
    queryFn: () => unwrap(api.GET('/v1/processing-record', { params: { query: { format: 'json' } } })),
  });
  const exportCsv = async () => {
    setCsvError(null);
    try {
      await downloadFile('/v1/processing-record?format=csv', 'processing-record.csv');
    } catch (e) {
      setCsvError(messageOf(e));
    }
  };
  return (
    <>
      <PageHeader
        title="Record of processing"
        description="GDPR Art. 30: every category of personal data Bulwark processes, why, on what basis, for how long and who receives it."
        actions={
          <Button variant="secondary" onClick={() => void exportCsv()}>
            Export CSV
          </Button>
        }
      />
      {csvError && <Alert>{csvError}</Alert>}
      {record.isPending ? (
        <Loading label="Loading the record of processing…" />
      ) : record.isError ? (
        <Alert>{messageOf(record.error)}</Alert>
      ) : (
        <DataTable
          caption="Record of processing activities"
          rows={record.data.items}
          rowKey={(e) => e.category}
          columns={[
            {
              header: 'Category',
              cell: (e) => (
                <span className="flex flex-col gap-1">
                  <span className="font-medium">{e.title}</span>
                  <span className="text-xs text-slate-700">{e.data}</span>
                  <span className="flex flex-wrap gap-1">
                    {e.specialCategory && <Badge tone="warn">special category</Badge>}
                    {e.customized && <Badge>edited</Badge>}
                  </span>
                </span>
              ),
            },
            { header: 'Purpose', cell: (e) => e.purpose },
            { header: 'Lawful basis', cell: (e) => e.lawfulBasis },
            {
              header: 'Retention',
              cell: (e) => (
                <span className="flex flex-col gap-1">
                  {e.retention}
                  <span className="text-xs text-slate-700">set in {e.retentionConfiguredIn}</span>
                </span>
              ),
            },
            { header: 'Recipients', cell: (e) => e.recipients },
            { header: 'Transfers', cell: (e) => e.transfers },
            ...(canEdit
              ? [
                  {
                    header: 'Edit',
                    cell: (e: Entry) => (
                      <Button
                        variant="secondary"
                        aria-label={`Edit ${e.title}`}
                        onClick={() => setEditing(e)}
                      >
                        Edit
                      </Button>
                    ),
                  },
                ]
              : []),
          ]}
        />
      )}
      {canEdit && editing && (
        <EditEntry key={editing.category} entry={editing} onDone={() => setEditing(null)} />
      )}
    </>
  );
}

function EditEntry({ entry, onDone }: { entry: Entry; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Record<Editable, string>>({
    purpose: entry.purpose,
    lawfulBasis: entry.lawfulBasis,
    recipients: entry.recipients,
    transfers: entry.transfers,
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const changed = Object.fromEntries(
      FIELDS.filter((f) => values[f.key].trim() !== entry[f.key]).map((f) => [f.key, values[f.key].trim()]),
    ) as Partial<Record<Editable, string>>;
    if (Object.values(changed).some((v) => !v)) {
      setError('A field cannot be left empty.');
      return;
    }
    if (Object.keys(changed).length === 0) {
      onDone();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await unwrap(
        api.PUT('/v1/processing-record/{category}', {
          params: { path: { category: entry.category } },
          body: changed,
        }),
      );
      await queryClient.invalidateQueries({ queryKey: ['processing-record'] });
      onDone();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={`Edit: ${entry.title}`} className="mt-6">
      <form onSubmit={submit} className="flex max-w-2xl flex-col gap-3" noValidate>
        {FIELDS.map((f) => (
          <TextField
            key={f.key}
            label={f.label}
            value={values[f.key]}
            onChange={(v) => setValues((s) => ({ ...s, [f.key]: v }))}
            maxLength={2000}
            required
          />
        ))}
        <p className="text-xs text-slate-700">
          Retention ({entry.retention}) comes from the configuration ({entry.retentionConfiguredIn}), not from
          here.
        </p>
        {error && <Alert>{error}</Alert>}
        <div className="flex gap-2">
          <Button type="submit" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </Button>
          <Button variant="secondary" onClick={onDone}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}
