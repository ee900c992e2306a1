import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, messageOf, type paths, unwrap } from '../api/client';
import { hasCapability, useMe } from '../app/session';
import { ConfirmDialog } from '../components/confirm-dialog';
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

type Mechanism =
  paths['/v1/transfers']['get']['responses'][200]['content']['application/json']['items'][number];
type Kind = Mechanism['mechanism'];

const MECHANISMS: Array<{ value: Kind; label: string }> = [
  { value: 'adequacy', label: 'Adequacy decision' },
  { value: 'scc', label: 'Standard contractual clauses' },
  { value: 'bcr', label: 'Binding corporate rules' },
];
const mechanismLabel = (k: Kind) => MECHANISMS.find((m) => m.value === k)?.label ?? k;
const REGION = /^[a-z]{2}(-[a-z0-9-]{1,30})?$/;

/**
 * Cross-border transfer mechanisms: which region pairs may receive personal data and on what
 * basis. Readers of another region's WFM data need one for (that region → theirs). Compliance
 * officers record and revoke them; IT administrators only list them.
 */
export function TransfersScreen() {
  const me = useMe();
  const canEdit = hasCapability(me.data, 'transfers-edit');
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const [revoking, setRevoking] = useState<Mechanism | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: ['transfers', includeRevoked],
    queryFn: () =>
      unwrap(
        api.GET('/v1/transfers', {
          params: { query: { includeRevoked: includeRevoked ? 'true' : 'false' } },
        }),
      ),
  });
  const revoke = async () => {
    if (!revoking) return;
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.DELETE('/v1/transfers/{id}', { params: { path: { id: revoking.id } } }));
      await queryClient.invalidateQueries({ queryKey: ['transfers'] });
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
      setRevoking(null);
    }
  };
  return (
    <>
      <PageHeader
        title="Transfer mechanisms"
        description="Personal data of one residency region is shown to users of another only while a mechanism is recorded for that pair. Every such read is audited."
      />
      {canEdit && <AllowTransfer />}
      <label className="mb-3 flex items-center gap-2 text-sm text-slate-900">
        <input
          type="checkbox"
          checked={includeRevoked}
          onChange={(e) => setIncludeRevoked(e.target.checked)}
        />
        Include revoked mechanisms
      </label>
      {error && <Alert>{error}</Alert>}
      {list.isPending ? (
        <Loading label="Loading transfer mechanisms…" />
      ) : list.isError ? (
        <Alert>{messageOf(list.error)}</Alert>
      ) : (
        <DataTable
          caption="Transfer mechanisms"
          rows={list.data.items}
          rowKey={(m) => m.id}
          empty="No transfer mechanism is recorded: each region's data stays with readers of that region."
          columns={[
            { header: 'From region', cell: (m) => m.from },
            { header: 'To region', cell: (m) => m.to },
            { header: 'Mechanism', cell: (m) => mechanismLabel(m.mechanism) },
            { header: 'Reference', cell: (m) => m.reference ?? '—' },
            { header: 'Recorded', cell: (m) => formatDateTime(m.createdAt) },
            {
              header: 'State',
              cell: (m) =>
                m.revokedAt ? (
                  <Badge>revoked {formatDateTime(m.revokedAt)}</Badge>
                ) : (
                  <Badge tone="good">active</Badge>
                ),
            },
            ...(canEdit
              ? [
                  {
                    header: 'Revoke',
                    cell: (m: Mechanism) =>
                      m.revokedAt ? null : (
                        <Button
                          variant="danger"
                          aria-label={`Revoke ${m.from} to ${m.to}`}
                          onClick={() => setRevoking(m)}
                          disabled={busy}
                        >
                          Revoke
                        </Button>
                      ),
                  },
                ]
              : []),
          ]}
        />
      )}
      <ConfirmDialog
        open={revoking !== null}
        busy={busy}
        title="Revoke the transfer mechanism?"
        confirmLabel="Revoke"
        onConfirm={() => void revoke()}
        onCancel={() => setRevoking(null)}
      >
        Users in {revoking?.to} stop seeing personal data of {revoking?.from} at their next request.
      </ConfirmDialog>
    </>
  );
}

function AllowTransfer() {
  const queryClient = useQueryClient();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [mechanism, setMechanism] = useState<Kind>('scc');
  const [reference, setReference] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const f = from.trim().toLowerCase();
    const t = to.trim().toLowerCase();
    if (!REGION.test(f) || !REGION.test(t)) {
      setError('A region looks like "eu", "us" or "eu-west".');
      return;
    }
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await unwrap(
        api.POST('/v1/transfers', {
          body: { from: f, to: t, mechanism, ...(reference.trim() ? { reference: reference.trim() } : {}) },
        }),
      );
      setDone(`Recorded: ${f} → ${t} (${mechanismLabel(mechanism)}).`);
      setFrom('');
      setTo('');
      setReference('');
      await queryClient.invalidateQueries({ queryKey: ['transfers'] });
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Record a mechanism" className="mb-6">
      <form onSubmit={submit} className="flex flex-col gap-3" noValidate>
        <div className="flex flex-wrap items-end gap-3">
          <TextField
            label="From region"
            value={from}
            onChange={setFrom}
            required
            hint="Where the data resides"
          />
          <TextField label="To region" value={to} onChange={setTo} required hint="Where the readers are" />
          <SelectField
            label="Mechanism"
            value={mechanism}
            onChange={(v) => setMechanism(v as Kind)}
            options={MECHANISMS}
          />
          <TextField label="Reference (optional)" value={reference} onChange={setReference} maxLength={500} />
        </div>
        {error && <Alert>{error}</Alert>}
        {done && <Alert kind="success">{done}</Alert>}
        <div>
          <Button type="submit" disabled={busy}>
            {busy ? 'Recording…' : 'Allow transfer'}
          </Button>
        </div>
      </form>
    </Card>
  );
}
