import { type FormEvent, useState } from 'react';
import { api, messageOf, unwrap } from '../api/client';
import { Alert, Badge, Button, DataTable, formatDateTime, TextField } from './ui';

export type HoldShape = {
  id: string;
  recordingId: string | null;
  caseId: string | null;
  reason: string;
  placedBy: string | null;
  placedAt: string;
  releasedAt: string | null;
};

/** Legal holds need a reason of 3 to 500 characters (the API's rule). */
const validReason = (r: string) => r.trim().length >= 3 && r.trim().length <= 500;

/**
 * The legal holds on a recording or a case: history (released holds stay listed), and for
 * callers the policies let place and release holds, a form to place one and a release per hold,
 * each with a required reason that goes to the audit log.
 */
export function LegalHolds({
  holds,
  canManage,
  subject,
  place,
  onChanged,
}: {
  holds: readonly HoldShape[];
  canManage: boolean;
  subject: string;
  place: (reason: string) => Promise<unknown>;
  onChanged: () => void | Promise<void>;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [releasing, setReleasing] = useState<string | null>(null);
  const [releaseReason, setReleaseReason] = useState('');
  const active = holds.filter((h) => !h.releasedAt);

  const run = async (action: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await action();
      setNotice(done);
      await onChanged();
      return true;
    } catch (e) {
      setError(messageOf(e));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const submitPlace = async (e: FormEvent) => {
    e.preventDefault();
    if (!validReason(reason)) {
      setError('Give a reason of at least 3 characters.');
      return;
    }
    if (await run(() => place(reason.trim()), 'Legal hold placed.')) setReason('');
  };

  const submitRelease = async (e: FormEvent, holdId: string) => {
    e.preventDefault();
    if (!validReason(releaseReason)) {
      setError('Give a reason of at least 3 characters for the release.');
      return;
    }
    const ok = await run(
      () =>
        unwrap(
          api.POST('/v1/holds/{id}/release', {
            params: { path: { id: holdId } },
            body: { reason: releaseReason.trim() },
          }),
        ),
      'Legal hold released.',
    );
    if (ok) {
      setReleasing(null);
      setReleaseReason('');
    }
  };

  return (
    <div className="flex flex-col gap-3">
      <p className="text-sm text-slate-800">
        {active.length > 0 ? (
          <>
            <Badge tone="warn">On legal hold</Badge> {active.length} active{' '}
            {active.length === 1 ? 'hold keeps' : 'holds keep'} {subject} from deletion and retention purge.
          </>
        ) : (
          <>No active legal hold on {subject}.</>
        )}
      </p>
      {error && <Alert>{error}</Alert>}
      {notice && <Alert kind="success">{notice}</Alert>}
      {holds.length > 0 && (
        <DataTable
          caption={`Legal holds on ${subject}`}
          rows={[...holds]}
          rowKey={(h) => h.id}
          columns={[
            { header: 'Reason', cell: (h) => h.reason },
            { header: 'Placed', cell: (h) => formatDateTime(h.placedAt) },
            {
              header: 'State',
              cell: (h) =>
                h.releasedAt ? (
                  <span>Released {formatDateTime(h.releasedAt)}</span>
                ) : (
                  <Badge tone="warn">Active</Badge>
                ),
            },
            ...(canManage
              ? [
                  {
                    header: 'Action',
                    cell: (h: HoldShape) =>
                      h.releasedAt ? null : releasing === h.id ? (
                        <form onSubmit={(e) => void submitRelease(e, h.id)} className="flex flex-col gap-2">
                          <TextField
                            label="Reason for release"
                            value={releaseReason}
                            onChange={setReleaseReason}
                            required
                            maxLength={500}
                          />
                          <div className="flex gap-2">
                            <Button type="submit" variant="danger" disabled={busy}>
                              Release hold
                            </Button>
                            <Button variant="secondary" onClick={() => setReleasing(null)}>
                              Cancel
                            </Button>
                          </div>
                        </form>
                      ) : (
                        <Button
                          variant="secondary"
                          onClick={() => {
                            setReleasing(h.id);
                            setReleaseReason('');
                          }}
                        >
                          Release…
                        </Button>
                      ),
                  },
                ]
              : []),
          ]}
        />
      )}
      {canManage && (
        <form onSubmit={(e) => void submitPlace(e)} className="flex max-w-lg flex-col gap-2">
          <TextField
            label="Reason for a new legal hold"
            value={reason}
            onChange={setReason}
            required
            maxLength={500}
            hint="Recorded in the audit log. Use a reference, no customer data."
          />
          <div>
            <Button type="submit" disabled={busy}>
              Place legal hold
            </Button>
          </div>
        </form>
      )}
    </div>
  );
}
