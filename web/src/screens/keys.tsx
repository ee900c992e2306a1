import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, messageOf, type paths, unwrap } from '../api/client';
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
} from '../components/ui';

type KeyStatus = paths['/v1/keys']['get']['responses'][200]['content']['application/json'];
type KekVersion = KeyStatus['versions'][number];

const KEYS_KEY = ['keys'] as const;
/** How often the status is re-read while a rotation runs. */
const POLL_MS = 1_000;

const currentVersion = (s: KeyStatus | undefined) => s?.versions.find((v) => v.current)?.version;

/** Key administration (it_admin): KEK versions, rotation with progress, the minimum decryption version. */
export function KeysScreen() {
  const queryClient = useQueryClient();
  // Set when this screen started a rotation: the version that was current before it.
  const [rotatingFrom, setRotatingFrom] = useState<number | null>(null);
  const [feedback, setFeedback] = useState<{ kind: 'error' | 'success' | 'info'; text: string } | null>(null);

  const status = useQuery({
    queryKey: KEYS_KEY,
    queryFn: () => unwrap(api.GET('/v1/keys')),
    // Poll while a rotation is queued by this screen or running (possibly started elsewhere).
    refetchInterval: (q) =>
      rotatingFrom !== null || (q.state.data as KeyStatus | undefined)?.openRotation ? POLL_MS : false,
  });
  const data = status.data;
  const current = currentVersion(data);

  // A rotation this screen queued is done when a newer version is current and none is open.
  useEffect(() => {
    if (rotatingFrom === null || !data || current === undefined) return;
    if (current > rotatingFrom && !data.openRotation) {
      setRotatingFrom(null);
      setFeedback({
        kind: 'success',
        text: `Rotation complete: KEK version ${current} is current; the table shows where the data keys are wrapped now.`,
      });
    }
  }, [rotatingFrom, data, current]);

  const rotate = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/keys/rotate')),
    onMutate: () => setFeedback(null),
    onSuccess: (result) => {
      setRotatingFrom(current ?? 0);
      setFeedback({
        kind: 'info',
        text: result.queued
          ? 'Rotation queued. A new KEK version is created and every data key is re-wrapped in the background.'
          : 'A rotation was already queued; following its progress.',
      });
      void queryClient.invalidateQueries({ queryKey: KEYS_KEY });
    },
    onError: (e) => setFeedback({ kind: 'error', text: messageOf(e) }),
  });

  const rotationActive = rotatingFrom !== null || Boolean(data?.openRotation);

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Keys"
        description="Key-encryption keys (KEKs) wrap the per-recording data keys. Rotating creates a new KEK version and re-wraps every data key under it; the recordings themselves are not re-encrypted."
      />
      {feedback && <Alert kind={feedback.kind}>{feedback.text}</Alert>}
      {status.isError && <Alert>Could not load the key status: {messageOf(status.error)}</Alert>}
      {!data ? (
        status.isPending && <Loading label="Loading key status…" />
      ) : (
        <>
          <Card title="Key-encryption key versions">
            <dl className="mb-4 grid grid-cols-1 gap-3 text-sm sm:grid-cols-4">
              <Fact label="Key provider" value={data.provider} />
              <Fact label="Current version" value={current === undefined ? 'none' : String(current)} />
              <Fact label="Minimum decryption version" value={String(data.minDecryptVersion)} />
              <Fact label="Data keys under unknown versions" value={String(data.orphanedDataKeys)} />
            </dl>
            <DataTable<KekVersion>
              caption="KEK versions with the number of data keys wrapped under each"
              rows={[...data.versions].sort((a, b) => b.version - a.version)}
              rowKey={(v) => String(v.version)}
              empty="No KEK version exists yet."
              columns={[
                { header: 'Version', cell: (v) => v.version },
                { header: 'Created', cell: (v) => formatDateTime(v.createdAt) },
                {
                  header: 'State',
                  cell: (v) =>
                    v.current ? (
                      <Badge tone="good">Current</Badge>
                    ) : v.version < data.minDecryptVersion ? (
                      <Badge tone="bad">Retired (below minimum)</Badge>
                    ) : (
                      <Badge>Decrypt only</Badge>
                    ),
                },
                { header: 'Data keys', cell: (v) => v.dataKeys.toLocaleString() },
              ]}
            />
          </Card>
          <RotationCard
            status={data}
            active={rotationActive}
            starting={rotate.isPending}
            onRotate={() => rotate.mutate()}
          />
          <MinDecryptCard status={data} disabled={rotationActive} />
        </>
      )}
    </div>
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt className="text-slate-700">{label}</dt>
      <dd className="text-lg font-semibold text-slate-900">{value}</dd>
    </div>
  );
}

function RotationCard({
  status,
  active,
  starting,
  onRotate,
}: {
  status: KeyStatus;
  active: boolean;
  starting: boolean;
  onRotate: () => void;
}) {
  const open = status.openRotation;
  // Data keys not yet under the target version, as the API counts them right now.
  const remaining = open
    ? status.versions.filter((v) => v.version !== open.targetVersion).reduce((n, v) => n + v.dataKeys, 0)
    : 0;
  const total = open ? open.rewrapped + remaining : 0;
  return (
    <Card title="Rotation">
      {open ? (
        <div className="flex flex-col gap-2" aria-live="polite">
          <p className="text-sm text-slate-900">
            Rotating to version {open.targetVersion}, started {formatDateTime(open.startedAt)}: re-wrapped{' '}
            {open.rewrapped.toLocaleString()} data key(s), {remaining.toLocaleString()} still under older
            versions.
          </p>
          <label className="flex flex-col gap-1 text-sm text-slate-800">
            Rotation progress
            <progress
              className="h-3 w-full max-w-md"
              max={Math.max(total, 1)}
              value={total === 0 ? 1 : open.rewrapped}
            />
          </label>
        </div>
      ) : active ? (
        <p role="status" className="text-sm text-slate-900">
          Rotation queued; waiting for the job runner to start it…
        </p>
      ) : (
        <p className="mb-3 text-sm text-slate-700">
          No rotation is running. Rotation is safe to run at any time: recordings stay readable throughout.
        </p>
      )}
      <div className="mt-3">
        <Button onClick={onRotate} disabled={active || starting}>
          {starting ? 'Starting rotation…' : 'Rotate key-encryption key'}
        </Button>
      </div>
    </Card>
  );
}

function MinDecryptCard({ status, disabled }: { status: KeyStatus; disabled: boolean }) {
  const queryClient = useQueryClient();
  const versions = [...status.versions].sort((a, b) => a.version - b.version);
  const [choice, setChoice] = useState(String(status.minDecryptVersion));
  const [confirming, setConfirming] = useState(false);
  const [feedback, setFeedback] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const target = Number(choice);
  const below = status.versions.filter((v) => v.version < target).reduce((n, v) => n + v.dataKeys, 0);
  const unchanged = target === status.minDecryptVersion;
  const raising = target > status.minDecryptVersion;
  // The server refuses to retire a version that still wraps data keys: never offer that.
  const refused = raising && below > 0;

  const save = useMutation({
    mutationFn: (version: number) => unwrap(api.PUT('/v1/keys/min-decrypt-version', { body: { version } })),
    onSuccess: (next, version) => {
      queryClient.setQueryData(KEYS_KEY, next);
      setConfirming(false);
      setFeedback({ kind: 'success', text: `Minimum decryption version set to ${version}.` });
    },
    onError: (e) => {
      setConfirming(false);
      setFeedback({ kind: 'error', text: messageOf(e) });
    },
  });

  return (
    <Card title="Minimum decryption version">
      <p className="mb-3 max-w-3xl text-sm text-slate-700">
        KEK versions below the minimum are retired: the server no longer unwraps data keys with them. A
        recording whose data key is still wrapped under a retired version becomes unreadable until it is
        re-wrapped, so the server refuses to raise the minimum while any data key remains below it. Rotate
        first, then retire the old versions.
      </p>
      {feedback && <Alert kind={feedback.kind}>{feedback.text}</Alert>}
      <div className="mt-3 flex flex-wrap items-end gap-3">
        <SelectField
          label="Minimum version"
          value={choice}
          onChange={(v) => {
            setChoice(v);
            setConfirming(false);
            setFeedback(null);
          }}
          options={versions.map((v) => ({ value: String(v.version), label: `Version ${v.version}` }))}
        />
        <Button
          variant="secondary"
          disabled={unchanged || refused || disabled || save.isPending}
          onClick={() => setConfirming(true)}
        >
          Review change
        </Button>
      </div>
      {refused && (
        <p className="mt-2 text-sm text-red-900">
          {below.toLocaleString()} data key(s) are still wrapped under versions below {target}; the server
          will refuse this until a rotation has re-wrapped them.
        </p>
      )}
      {confirming && !unchanged && !refused && (
        <div
          role="alertdialog"
          aria-labelledby="min-decrypt-confirm-title"
          aria-describedby="min-decrypt-confirm-text"
          className="mt-4 flex max-w-2xl flex-col gap-3 rounded-md border border-amber-400 bg-amber-50 p-4"
        >
          <h3 id="min-decrypt-confirm-title" className="font-semibold text-amber-950">
            Set the minimum decryption version to {target}?
          </h3>
          <p id="min-decrypt-confirm-text" className="text-sm text-amber-950">
            {raising
              ? `KEK versions below ${target} will no longer decrypt anything. Any recording whose data key is still wrapped under them becomes unreadable until it is re-wrapped. ${below.toLocaleString()} data key(s) are below ${target} now.`
              : `KEK versions from ${target} upwards will decrypt again. Only lower the minimum if a retired version must be readable again.`}
          </p>
          <div className="flex gap-2">
            <Button
              variant={raising ? 'danger' : 'primary'}
              disabled={save.isPending}
              onClick={() => save.mutate(target)}
            >
              {save.isPending ? 'Saving…' : `Set minimum to version ${target}`}
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
