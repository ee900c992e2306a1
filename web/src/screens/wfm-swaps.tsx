import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
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
  TextField,
} from '../components/ui';

type Market = paths['/v1/wfm/swaps']['get']['responses'][200]['content']['application/json'];
type Offer = Market['available'][number];
type Own = Market['mine'][number];
type Pending = Market['toDecide'][number];
type Segment =
  paths['/v1/wfm/schedules']['get']['responses'][200]['content']['application/json']['items'][number];

const MARKET_KEY = ['wfm', 'swaps'] as const;
const LIVE: Array<Own['status']> = ['open', 'claimed'];

const statusTone = (s: Own['status']) =>
  s === 'approved' ? 'good' : s === 'open' ? 'neutral' : s === 'claimed' ? 'warn' : 'neutral';

/**
 * Shift-swap marketplace. Agents see open offers of their teams as time, team and activity only
 * (never who offered them), claim one, offer their own future shifts and withdraw their offers;
 * supervisors of the team and WFM managers approve or reject claimed swaps, seeing both people.
 * Every list and action is the API's (GET/POST /v1/wfm/swaps…), offered only where allowed.
 */
export function WfmSwapsScreen() {
  const me = useMe();
  const canOffer = hasCapability(me.data, 'swaps-offer');
  const canDecide = hasCapability(me.data, 'swaps-approve');
  const market = useQuery({ queryKey: MARKET_KEY, queryFn: () => unwrap(api.GET('/v1/wfm/swaps')) });
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (what: string, call: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await call();
      setDone(what);
      await queryClient.invalidateQueries({ queryKey: ['wfm'] });
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const path = (id: string) => ({ params: { path: { id } } });
  return (
    <>
      <PageHeader
        title="Shift swaps"
        description={
          canDecide && !canOffer
            ? 'Claimed swaps in your teams waiting for a decision.'
            : 'Offer a shift you cannot work, or take one a teammate offers. A supervisor approves each swap.'
        }
      />
      {error && <Alert>{error}</Alert>}
      {done && <Alert kind="success">{done}</Alert>}
      {market.isPending ? (
        <Loading label="Loading the marketplace…" />
      ) : market.isError ? (
        <Alert>{messageOf(market.error)}</Alert>
      ) : (
        <div className="mt-4 flex flex-col gap-6">
          {canDecide && (
            <Decisions
              rows={market.data.toDecide}
              busy={busy}
              onApprove={(p) =>
                act('Swap approved: the shift moved to the claimant.', () =>
                  unwrap(api.POST('/v1/wfm/swaps/{id}/approve', path(p.id))),
                )
              }
              onReject={(p) =>
                act('Swap rejected: the shift stays with the offerer.', () =>
                  unwrap(api.POST('/v1/wfm/swaps/{id}/reject', path(p.id))),
                )
              }
            />
          )}
          {canOffer && (
            <>
              <Card title="Open offers in my teams">
                <DataTable
                  caption="Open offers in my teams"
                  rows={market.data.available}
                  rowKey={(o) => o.id}
                  empty="No open offers in your teams."
                  columns={[
                    { header: 'Start', cell: (o: Offer) => formatDateTime(o.start) },
                    { header: 'End', cell: (o: Offer) => formatDateTime(o.end) },
                    { header: 'Team', cell: (o: Offer) => o.team.name },
                    { header: 'Activity', cell: (o: Offer) => o.activity },
                    {
                      header: 'Take it',
                      cell: (o: Offer) => (
                        <Button
                          variant="secondary"
                          disabled={busy}
                          aria-label={`Claim the ${o.activity} shift of ${formatDateTime(o.start)}`}
                          onClick={() =>
                            void act('Claimed: a supervisor will approve or reject the swap.', () =>
                              unwrap(api.POST('/v1/wfm/swaps/{id}/claim', path(o.id))),
                            )
                          }
                        >
                          Claim
                        </Button>
                      ),
                    },
                  ]}
                />
              </Card>
              <Card title="My offers and claims">
                <DataTable
                  caption="My offers and claims"
                  rows={market.data.mine}
                  rowKey={(o) => `${o.role}:${o.id}`}
                  empty="You have no offers or claims."
                  columns={[
                    { header: 'Mine as', cell: (o: Own) => (o.role === 'offerer' ? 'offered' : 'claimed') },
                    { header: 'Start', cell: (o: Own) => formatDateTime(o.start) },
                    { header: 'End', cell: (o: Own) => formatDateTime(o.end) },
                    { header: 'Activity', cell: (o: Own) => o.activity },
                    {
                      header: 'Status',
                      cell: (o: Own) => (
                        <Badge tone={statusTone(o.status)}>
                          {o.role === 'offerer' && o.status === 'claimed'
                            ? 'claimed, awaiting approval'
                            : o.status}
                        </Badge>
                      ),
                    },
                    { header: 'Note', cell: (o: Own) => o.note ?? '—' },
                    {
                      header: 'Withdraw',
                      cell: (o: Own) =>
                        o.role === 'offerer' && LIVE.includes(o.status) ? (
                          <Button
                            variant="secondary"
                            disabled={busy}
                            aria-label={`Withdraw the offer of ${formatDateTime(o.start)}`}
                            onClick={() =>
                              void act('Offer withdrawn: the shift stays yours.', () =>
                                unwrap(api.POST('/v1/wfm/swaps/{id}/withdraw', path(o.id))),
                              )
                            }
                          >
                            Withdraw
                          </Button>
                        ) : null,
                    },
                  ]}
                />
              </Card>
              <OfferShift
                offered={
                  new Set(
                    market.data.mine
                      .filter((o) => o.role === 'offerer' && LIVE.includes(o.status))
                      .map((o) => o.scheduleId ?? ''),
                  )
                }
                busy={busy}
                onOffer={(segment, note) =>
                  act('Offered: teammates now see its time, team and activity (not your name).', () =>
                    unwrap(
                      api.POST('/v1/wfm/swaps', {
                        body: { scheduleId: segment.id, ...(note ? { note } : {}) },
                      }),
                    ),
                  )
                }
              />
            </>
          )}
        </div>
      )}
    </>
  );
}

/** The caller's own future shifts (their schedule from now on), each with "Offer". */
function OfferShift({
  offered,
  busy,
  onOffer,
}: {
  offered: Set<string>;
  busy: boolean;
  onOffer: (segment: Segment, note: string) => Promise<void>;
}) {
  const [note, setNote] = useState('');
  const [from] = useState(() => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'));
  const shifts = useQuery({
    queryKey: ['wfm', 'own-future-shifts', from],
    queryFn: () => unwrap(api.GET('/v1/wfm/schedules', { params: { query: { from, limit: 100 } } })),
  });
  const me = useMe();
  // An agent's schedule list holds only their own shifts; with a wider WFM role it holds others' too.
  const ownOnly = !(me.data?.roles ?? []).some((r) =>
    ['supervisor', 'wfm_analyst', 'wfm_manager'].includes(r),
  );
  const future = (shifts.data?.items ?? []).filter((s) => Date.parse(s.start) > Date.now());
  if (!ownOnly)
    return (
      <Card title="Offer one of my shifts">
        <p className="text-sm text-slate-800">
          Your role also lists other people&apos;s shifts, so offering is not available on this screen.
        </p>
      </Card>
    );
  return (
    <Card title="Offer one of my shifts">
      <div className="mb-3 max-w-xl">
        <TextField
          label="Note for the approver (optional)"
          value={note}
          onChange={setNote}
          maxLength={500}
          hint="Seen by you and whoever decides, never by other agents."
        />
      </div>
      {shifts.isPending ? (
        <Loading label="Loading your shifts…" />
      ) : shifts.isError ? (
        <Alert>{messageOf(shifts.error)}</Alert>
      ) : (
        <DataTable
          caption="My upcoming shifts"
          rows={future}
          rowKey={(s) => s.id}
          empty="You have no upcoming shifts to offer."
          columns={[
            { header: 'Start', cell: (s) => formatDateTime(s.start) },
            { header: 'End', cell: (s) => formatDateTime(s.end) },
            { header: 'Activity', cell: (s) => s.activity },
            {
              header: 'Offer',
              cell: (s) =>
                offered.has(s.id) ? (
                  <Badge>offered</Badge>
                ) : (
                  <Button
                    variant="secondary"
                    disabled={busy}
                    aria-label={`Offer the ${s.activity} shift of ${formatDateTime(s.start)}`}
                    onClick={() => void onOffer(s, note.trim()).then(() => setNote(''))}
                  >
                    Offer
                  </Button>
                ),
            },
          ]}
        />
      )}
    </Card>
  );
}

function Decisions({
  rows,
  busy,
  onApprove,
  onReject,
}: {
  rows: Pending[];
  busy: boolean;
  onApprove: (p: Pending) => Promise<void>;
  onReject: (p: Pending) => Promise<void>;
}) {
  const [approving, setApproving] = useState<Pending | null>(null);
  return (
    <Card title="Swaps to decide">
      <DataTable
        caption="Swaps to decide"
        rows={rows}
        rowKey={(p) => p.id}
        empty="No claimed swaps are waiting for a decision."
        columns={[
          { header: 'Start', cell: (p) => formatDateTime(p.start) },
          { header: 'End', cell: (p) => formatDateTime(p.end) },
          { header: 'Team', cell: (p) => p.team.name },
          { header: 'Activity', cell: (p) => p.activity },
          { header: 'Offered by', cell: (p) => `${p.offeredBy.name} (${p.offeredBy.agentId})` },
          {
            header: 'Claimed by',
            cell: (p) => (p.claimedBy ? `${p.claimedBy.name} (${p.claimedBy.agentId})` : 'not claimed yet'),
          },
          { header: 'Note', cell: (p) => p.note ?? '—' },
          {
            header: 'Decision',
            cell: (p) => (
              <span className="flex gap-2">
                {p.claimedBy && (
                  <Button
                    disabled={busy}
                    aria-label={`Approve the swap of ${formatDateTime(p.start)}`}
                    onClick={() => setApproving(p)}
                  >
                    Approve
                  </Button>
                )}
                <Button
                  variant="danger"
                  disabled={busy}
                  aria-label={`Reject the swap of ${formatDateTime(p.start)}`}
                  onClick={() => void onReject(p)}
                >
                  Reject
                </Button>
              </span>
            ),
          },
        ]}
      />
      <ConfirmDialog
        open={approving !== null}
        busy={busy}
        title="Approve the swap?"
        confirmLabel="Approve"
        onConfirm={() => {
          const p = approving;
          setApproving(null);
          if (p) void onApprove(p);
        }}
        onCancel={() => setApproving(null)}
      >
        The shift of {approving ? formatDateTime(approving.start) : ''} moves from {approving?.offeredBy.name}{' '}
        to {approving?.claimedBy?.name}.
      </ConfirmDialog>
    </Card>
  );
}
