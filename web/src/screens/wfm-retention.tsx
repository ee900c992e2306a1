import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, messageOf, type paths, unwrap } from '../api/client';
import { hasCapability, useMe } from '../app/session';
import { Alert, Badge, Button, Card, formatDateTime, Loading, PageHeader, TextField } from '../components/ui';

type Settings = paths['/v1/wfm/retention']['get']['responses'][200]['content']['application/json'];
type DayKey = 'rawEventDays' | 'intervalDays' | 'leaverDays';

/** The server's limits (src/modules/wfm/wfm-retention.ts RETENTION_LIMITS); it checks them again. */
const FIELDS: Array<{ key: DayKey; label: string; hint: string; min: number; max: number }> = [
  {
    key: 'rawEventDays',
    label: 'Raw adherence states (days)',
    hint: 'Per-second state changes; rolled up into 15-minute intervals, then removed. 1 to 366.',
    min: 1,
    max: 366,
  },
  {
    key: 'intervalDays',
    label: '15-minute intervals (days)',
    hint: 'Interval aggregates used for adherence reporting. 30 to 3660.',
    min: 30,
    max: 3660,
  },
  {
    key: 'leaverDays',
    label: 'Leavers pseudonymised after (days)',
    hint: 'Days after an agent leaves before their identity is replaced by a pseudonym. 0 to 3660.',
    min: 0,
    max: 3660,
  },
];

/**
 * WFM retention settings: how long raw adherence states, 15-minute intervals and leavers'
 * identities are kept, and whether per-second states are captured at all. Read by wfm_manager,
 * compliance officers and IT administrators; changed by wfm_manager (audited, old and new values).
 */
export function WfmRetentionScreen() {
  const me = useMe();
  const canEdit = hasCapability(me.data, 'wfm-retention-edit');
  const settings = useQuery({
    queryKey: ['wfm', 'retention'],
    queryFn: () => unwrap(api.GET('/v1/wfm/retention')),
  });
  return (
    <>
      <PageHeader
        title="WFM retention"
        description="How long workforce data is kept. A job in the server enforces these settings and records evidence in the audit log."
      />
      {settings.isPending ? (
        <Loading label="Loading retention settings…" />
      ) : settings.isError ? (
        <Alert>{messageOf(settings.error)}</Alert>
      ) : (
        <>
          <Card title="Current settings" className="mb-6">
            <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm text-slate-900">
              {FIELDS.map((f) => (
                <div key={f.key} className="contents">
                  <dt className="font-medium">{f.label}</dt>
                  <dd>{settings.data[f.key]}</dd>
                </div>
              ))}
              <dt className="font-medium">Per-second states captured</dt>
              <dd>{settings.data.captureRawEvents ? 'yes' : 'no (15-minute aggregates only)'}</dd>
              <dt className="font-medium">Raw states removed before</dt>
              <dd>{formatDateTime(settings.data.rawEventsRemovedBefore)}</dd>
              <dt className="font-medium">Last changed</dt>
              <dd>
                {settings.data.defaults ? (
                  <Badge tone="good">privacy-protective defaults</Badge>
                ) : (
                  formatDateTime(settings.data.updatedAt)
                )}
              </dd>
            </dl>
          </Card>
          {canEdit && <EditRetention current={settings.data} />}
        </>
      )}
    </>
  );
}

function EditRetention({ current }: { current: Settings }) {
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Record<DayKey, string>>({
    rawEventDays: String(current.rawEventDays),
    intervalDays: String(current.intervalDays),
    leaverDays: String(current.leaverDays),
  });
  const [capture, setCapture] = useState(current.captureRawEvents);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: Partial<Record<DayKey, number>> & { captureRawEvents?: boolean } = {};
    for (const f of FIELDS) {
      const n = Number(values[f.key]);
      if (!Number.isInteger(n) || n < f.min || n > f.max) {
        setError(`${f.label}: a whole number from ${f.min} to ${f.max}.`);
        return;
      }
      if (n !== current[f.key]) body[f.key] = n;
    }
    if (capture !== current.captureRawEvents) body.captureRawEvents = capture;
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await unwrap(api.PUT('/v1/wfm/retention', { body }));
      await queryClient.invalidateQueries({ queryKey: ['wfm', 'retention'] });
      setSaved(true);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Change the settings">
      <form onSubmit={submit} className="flex max-w-xl flex-col gap-3" noValidate>
        {FIELDS.map((f) => (
          <TextField
            key={f.key}
            label={f.label}
            type="number"
            inputMode="numeric"
            value={values[f.key]}
            onChange={(v) => setValues((s) => ({ ...s, [f.key]: v }))}
            hint={f.hint}
            required
          />
        ))}
        <label className="flex items-center gap-2 text-sm text-slate-900">
          <input type="checkbox" checked={capture} onChange={(e) => setCapture(e.target.checked)} />
          Capture per-second adherence states (off: imports keep only 15-minute aggregates)
        </label>
        <p className="text-xs text-slate-700">
          Longer retention keeps more about people. Changes are audited.
        </p>
        {error && <Alert>{error}</Alert>}
        {saved && <Alert kind="success">Settings saved.</Alert>}
        <div>
          <Button type="submit" disabled={busy}>
            {busy ? 'Saving…' : 'Save settings'}
          </Button>
        </div>
      </form>
    </Card>
  );
}
