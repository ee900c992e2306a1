import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { api, messageOf, type paths, unwrap } from '../api/client';
import { hasCapability, useMe } from '../app/session';
import { BarChart, type BarSeries } from '../components/bar-chart';
import { Alert, Badge, Card, formatDateTime, Loading, PageHeader } from '../components/ui';

type SecurityOverview =
  paths['/v1/overview/security']['get']['responses'][200]['content']['application/json'];
type Day = SecurityOverview['perDay'][number];

const ALLOW_DENY: BarSeries[] = [
  { label: 'Allowed', fillClass: 'fill-blue-800', swatchClass: 'bg-blue-800' },
  { label: 'Denied', fillClass: 'fill-red-700', swatchClass: 'bg-red-700' },
];
const FAILURES: BarSeries[] = [
  { label: 'Failed sign-in steps', fillClass: 'fill-amber-700', swatchClass: 'bg-amber-700' },
];

/** '2026-11-27' as '27 Nov' (the series is per UTC day). */
const dayLabel = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, {
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });

const sum = (days: Day[], pick: (d: Day) => number) => days.reduce((n, d) => n + pick(d), 0);

/** The tenant's security posture: counts and per-day totals from GET /v1/overview/security. */
export function OverviewScreen() {
  const me = useMe();
  const overview = useQuery({
    queryKey: ['overview', 'security'],
    queryFn: () => unwrap(api.GET('/v1/overview/security')),
    staleTime: 30_000,
  });
  const data = overview.data;

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Security overview"
        description={
          data
            ? `Counts for your organisation, as of ${formatDateTime(data.generatedAt)}. Per-day totals are UTC days.`
            : 'Counts for your organisation; no individual records.'
        }
      />
      {overview.isError && <Alert>Could not load the security overview: {messageOf(overview.error)}</Alert>}
      {!data ? (
        overview.isPending && <Loading label="Loading the security overview…" />
      ) : (
        <>
          <section aria-labelledby="accounts-heading">
            <h2 id="accounts-heading" className="mb-3 text-lg font-semibold text-slate-900">
              Accounts and sessions
            </h2>
            <dl className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4">
              <Stat
                label="MFA coverage"
                value={`${data.mfa.coveragePercent}%`}
                note={`${data.mfa.enrolled} of ${data.mfa.total} active accounts have a second factor`}
                tone={data.mfa.enrolled < data.mfa.total ? 'warn' : undefined}
              />
              <Stat
                label="Locked accounts"
                value={String(data.lockedAccounts)}
                note="Locked after repeated failed sign-ins"
                tone={data.lockedAccounts > 0 ? 'warn' : undefined}
              />
              <Stat
                label="Active sessions"
                value={String(data.activeSessions)}
                note="Signed in and not idle"
              />
              <Stat label="Passkeys" value={String(data.passkeys)} note="Registered WebAuthn passkeys" />
            </dl>
          </section>

          <AuditState audit={data.audit} canOpenLog={hasCapability(me.data, 'audit')} />

          <section aria-labelledby="activity-heading" className="flex flex-col gap-4">
            <h2 id="activity-heading" className="text-lg font-semibold text-slate-900">
              Sensitive access per day (last {data.perDay.length} days)
            </h2>
            <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
              <Card>
                <BarChart
                  title="Detokenizations per day"
                  summary={`Detokenization decisions per day: ${sum(data.perDay, (d) => d.detokenizations.allow)} allowed and ${sum(data.perDay, (d) => d.detokenizations.deny)} denied in total.`}
                  categoryHeader="Day"
                  categories={data.perDay.map((d) => dayLabel(d.day))}
                  series={ALLOW_DENY}
                  values={data.perDay.map((d) => [d.detokenizations.allow, d.detokenizations.deny])}
                />
              </Card>
              <Card>
                <BarChart
                  title="Recording plays per day"
                  summary={`Playback decisions per day: ${sum(data.perDay, (d) => d.recordingPlays.allow)} allowed and ${sum(data.perDay, (d) => d.recordingPlays.deny)} denied in total.`}
                  categoryHeader="Day"
                  categories={data.perDay.map((d) => dayLabel(d.day))}
                  series={ALLOW_DENY}
                  values={data.perDay.map((d) => [d.recordingPlays.allow, d.recordingPlays.deny])}
                />
              </Card>
              <Card>
                <BarChart
                  title="Sign-in failures per day"
                  summary={`Failed password, authentication code and passkey steps per day: ${sum(data.perDay, (d) => d.signInFailures)} in total.`}
                  categoryHeader="Day"
                  categories={data.perDay.map((d) => dayLabel(d.day))}
                  series={FAILURES}
                  values={data.perDay.map((d) => [d.signInFailures])}
                />
              </Card>
            </div>
          </section>
        </>
      )}
    </div>
  );
}

function Stat({ label, value, note, tone }: { label: string; value: string; note: string; tone?: 'warn' }) {
  return (
    <div
      className={`rounded-lg border bg-white p-4 shadow-sm ${tone === 'warn' ? 'border-amber-500' : 'border-slate-300'}`}
    >
      <dt className="text-sm font-medium text-slate-700">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold text-slate-900">{value}</dd>
      <dd className="mt-1 text-sm text-slate-700">{note}</dd>
    </div>
  );
}

function AuditState({ audit, canOpenLog }: { audit: SecurityOverview['audit']; canOpenLog: boolean }) {
  const cp = audit.latestCheckpoint;
  return (
    <section
      aria-labelledby="audit-state-heading"
      className="rounded-lg border border-slate-300 bg-white p-4 shadow-sm"
    >
      <h2 id="audit-state-heading" className="mb-3 text-lg font-semibold text-slate-900">
        Audit log
      </h2>
      {audit.verified ? (
        <Alert kind="success">
          <strong>Verified</strong>: all {audit.verifiedEvents.toLocaleString()} sequenced events, their
          seals, the Merkle roots and every checkpoint signature check out (verified{' '}
          {formatDateTime(audit.verifiedAt)}).
        </Alert>
      ) : (
        <Alert>
          <strong>Verification failed</strong>
          {audit.failure?.index !== null && audit.failure?.index !== undefined
            ? ` at event ${audit.failure.index}`
            : ''}
          : {audit.failure?.reason ?? 'no reason given'} (verified {formatDateTime(audit.verifiedAt)}).
        </Alert>
      )}
      <div className="mt-4 grid grid-cols-1 gap-6 lg:grid-cols-2">
        <dl className="text-sm">
          <Row label="Events in the log">{audit.size.toLocaleString()}</Row>
          <Row label="Awaiting sequencing">{audit.pending.toLocaleString()}</Row>
          <Row label="State">
            {audit.verified ? <Badge tone="good">Verified</Badge> : <Badge tone="bad">Failed</Badge>}
          </Row>
        </dl>
        <div className="text-sm">
          <h3 className="mb-2 font-semibold text-slate-900">Latest signed checkpoint</h3>
          {cp ? (
            <>
              <dl>
                <Row label="Tree size">{cp.treeSize.toLocaleString()}</Row>
                <Row label="Signed">{formatDateTime(cp.signedAt)}</Row>
                <Row label="Root hash">
                  <code className="break-all">{cp.rootHash}</code>
                </Row>
              </dl>
              <details className="mt-2">
                <summary className="cursor-pointer text-slate-900">Signed note</summary>
                <pre className="mt-2 overflow-x-auto rounded bg-slate-100 p-2 text-xs text-slate-900">
                  {cp.note}
                </pre>
              </details>
            </>
          ) : (
            <p className="text-slate-700">No checkpoint has been signed yet.</p>
          )}
        </div>
      </div>
      {canOpenLog && (
        <p className="mt-3 text-sm">
          <Link to="/audit" className="font-medium text-blue-800 underline hover:text-blue-950">
            Open the audit log
          </Link>{' '}
          to check a single event's inclusion proof in this browser.
        </p>
      )}
    </section>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[11rem_1fr] gap-2 py-1">
      <dt className="text-slate-700">{label}</dt>
      <dd className="text-slate-900">{children}</dd>
    </div>
  );
}
