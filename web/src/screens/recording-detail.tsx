import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from '@tanstack/react-router';
import { type FormEvent, type ReactNode, useRef, useState } from 'react';
import { api, messageOf, ProblemError, type paths, problemFrom, unwrap } from '../api/client';
import { hasCapability, type Me, useMe } from '../app/session';
import { LegalHolds } from '../components/legal-holds';
import { type PlayerHandle, RecordingPlayer } from '../components/recording-player';
import { isMfaFresh, StepUpForm } from '../components/step-up';
import { formatSeconds, type TimeSpan } from '../components/timeline';
import {
  Alert,
  Badge,
  Button,
  Card,
  formatDateTime,
  Loading,
  PageHeader,
  SelectField,
  TextField,
} from '../components/ui';
import { durationOf, RecordingBadges } from './recordings';

type RecordingDetail = paths['/v1/recordings/{id}']['get']['responses'][200]['content']['application/json'];

/** One utterance of the redacted transcript as the server stores it (JSONL). */
type Utterance = {
  speaker: string;
  start: number;
  end: number;
  text: string;
  redactions?: Array<{ type: string; rule?: string }>;
  silence?: TimeSpan[];
};

/** The API's purpose rule: 3 to 200 characters after trimming. */
const validPurpose = (p: string) => p.trim().length >= 3 && p.trim().length <= 200;

// Who may do what, mirroring policies/recordings.cedar so the console offers only what the API
// allows: holds and downloads are the compliance officer's (compliance-recording-governance,
// compliance-case-recordings); linking to a case needs case.write (compliance-cases).
const canHold = (me: Me | null | undefined) => me?.roles.includes('compliance_officer') === true;
const canDownload = canHold;
const canLinkCases = (me: Me | null | undefined) => canHold(me) && hasCapability(me, 'cases');

function parseTranscript(text: string): Utterance[] {
  const out: Utterance[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const u = JSON.parse(line) as Partial<Utterance>;
      if (typeof u.text === 'string')
        out.push({
          speaker: typeof u.speaker === 'string' ? u.speaker : 'unknown',
          start: Number(u.start) || 0,
          end: Number(u.end) || 0,
          text: u.text,
          redactions: Array.isArray(u.redactions) ? u.redactions : undefined,
          silence: Array.isArray(u.silence) ? u.silence : undefined,
        });
    } catch {
      // A line that is not JSON is skipped; the server writes one JSON object per line.
    }
  }
  return out;
}

const contentUrl = (id: string, route: 'content' | 'download', purpose: string) =>
  `/v1/recordings/${encodeURIComponent(id)}/${route}?${new URLSearchParams({ purpose: purpose.trim() })}`;

export function RecordingDetailScreen() {
  const { recordingId = '' } = useParams({ strict: false }) as { recordingId?: string };
  const me = useMe();
  const queryClient = useQueryClient();
  const detail = useQuery({
    queryKey: ['recordings', 'detail', recordingId],
    queryFn: () => unwrap(api.GET('/v1/recordings/{id}', { params: { path: { id: recordingId } } })),
    retry: false,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['recordings'] });

  if (detail.isPending) return <Loading label="Loading recording…" />;
  if (detail.isError) {
    const e = detail.error;
    return (
      <>
        <PageHeader title="Recording" />
        <Alert>
          {e instanceof ProblemError && e.status === 403
            ? `Access refused: ${e.userMessage}. Recordings open to you are those of your own teams or of open investigation cases assigned to you.`
            : e instanceof ProblemError && e.status === 404
              ? `Not found: ${e.userMessage}`
              : messageOf(e)}
        </Alert>
        <p className="mt-4 text-sm">
          <Link to="/recordings" className="text-blue-800 underline">
            Back to recordings
          </Link>
        </p>
      </>
    );
  }
  const r = detail.data;
  return (
    <>
      <PageHeader
        title={`Recording ${r.callId}`}
        description={`${r.kind === 'audio' ? 'Audio' : 'Screen'} recording of ${r.agent}, team ${r.team.name}, started ${formatDateTime(r.startedAt)}.`}
        actions={
          <Link to="/recordings" className="text-sm text-blue-800 underline">
            Back to recordings
          </Link>
        }
      />
      <div className="flex flex-col gap-4">
        <Metadata r={r} casesLinked={hasCapability(me.data, 'cases')} />
        {r.status === 'deleted' ? (
          <Alert kind="info">This recording was deleted (crypto-shredded); only its record remains.</Alert>
        ) : (
          <Review r={r} me={me.data} />
        )}
        <Card title="Legal holds and retention">
          <LegalHolds
            holds={r.legalHolds}
            subject="this recording"
            canManage={canHold(me.data) && r.status !== 'deleted'}
            place={(reason) =>
              unwrap(
                api.POST('/v1/recordings/{id}/holds', { params: { path: { id: r.id } }, body: { reason } }),
              )
            }
            onChanged={refresh}
          />
          <h3 className="mt-4 mb-1 text-sm font-semibold text-slate-900">Retention</h3>
          <p className="text-sm text-slate-800">
            The tenant&apos;s retention policies decide when this recording is purged: the most specific
            policy matching its kind ({r.kind}), region ({r.region}) and tags (
            {r.tags.length ? r.tags.join(', ') : 'none'}) applies, and a recording no policy matches is kept.
            The policies are configuration that IT administrators see; the recordings API does not tell other
            roles which one applies or the purge date.{' '}
            {r.legalHold
              ? 'While a legal hold is active it is neither purged nor deleted.'
              : 'No legal hold stops a purge now.'}
          </p>
        </Card>
        {canLinkCases(me.data) && r.status !== 'deleted' && (
          <LinkToCase recordingId={r.id} onLinked={refresh} />
        )}
      </div>
    </>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-semibold uppercase tracking-wide text-slate-700">{label}</dt>
      <dd className="text-sm text-slate-900">{children}</dd>
    </div>
  );
}

function Metadata({ r, casesLinked }: { r: RecordingDetail; casesLinked: boolean }) {
  return (
    <Card title="Details">
      <dl className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <Field label="Call id">{r.callId}</Field>
        <Field label="Started">{formatDateTime(r.startedAt)}</Field>
        <Field label="Ended">{formatDateTime(r.endedAt)}</Field>
        <Field label="Duration">{formatSeconds(durationOf(r))}</Field>
        <Field label="Team">{r.team.name}</Field>
        <Field label="Agent">{r.agent}</Field>
        <Field label="Site and region">
          {r.site ?? '—'} · {r.region}
        </Field>
        <Field label="Format">
          {r.contentType}
          {r.codec ? ` (${r.codec})` : ''}, {(r.bytes / 1024).toFixed(0)} KiB
        </Field>
        <Field label="Customer reference">{r.customerRef ?? '—'}</Field>
        <Field label="Status">{r.status}</Field>
        <Field label="Transcript">
          {r.transcript
            ? `${r.transcript.redactions} ${r.transcript.redactions === 1 ? 'redaction' : 'redactions'} (stored redacted)`
            : 'none attached'}
        </Field>
        <Field label="State">
          <RecordingBadges r={r} />
        </Field>
        {r.derivedFrom && (
          <Field label="Redacted copy of">
            <Link
              to="/recordings/$recordingId"
              params={{ recordingId: r.derivedFrom }}
              className="text-blue-800 underline"
            >
              the original recording
            </Link>
          </Field>
        )}
        <Field label="Cases">
          {r.cases.length === 0
            ? 'none'
            : r.cases.map((c, i) => (
                <span key={c}>
                  {i > 0 && ', '}
                  {casesLinked ? (
                    <Link to="/cases/$caseId" params={{ caseId: c }} className="text-blue-800 underline">
                      case {c.slice(0, 8)}
                    </Link>
                  ) : (
                    `case ${c.slice(0, 8)}`
                  )}
                </span>
              ))}
        </Field>
      </dl>
      <h3 className="mt-4 mb-1 text-sm font-semibold text-slate-900">Pause and resume markers</h3>
      {r.markers.length === 0 ? (
        <p className="text-sm text-slate-800">No pause or resume markers.</p>
      ) : (
        <ul className="text-sm text-slate-900">
          {r.markers.map((m) => (
            <li key={m.id}>
              {m.kind === 'pause' ? 'Paused' : 'Resumed'} at {formatSeconds(m.atSeconds)}
              {m.reason ? ` (${m.reason})` : ''}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

/**
 * Playback and transcript: the caller states a purpose (recorded with every request the player
 * makes) and confirms a fresh second factor; only then does the player ask for content.
 */
function Review({ r, me }: { r: RecordingDetail; me: Me | null | undefined }) {
  const [draft, setDraft] = useState('');
  const [purpose, setPurpose] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fresh = isMfaFresh(me);

  const start = (e: FormEvent) => {
    e.preventDefault();
    if (!validPurpose(draft)) {
      setError('State the purpose in 3 to 200 characters, e.g. "QA review of call 123".');
      return;
    }
    setError(null);
    setPurpose(draft.trim());
  };

  return (
    <Card title="Playback and transcript">
      {purpose === null ? (
        !fresh ? (
          <StepUpForm reason="Playing a recording or reading its transcript needs a second-factor check within the last 15 minutes. Enter a current code from your authenticator app." />
        ) : (
          <form onSubmit={start} className="flex max-w-lg flex-col gap-3" noValidate>
            {error && <Alert>{error}</Alert>}
            <TextField
              label="Purpose"
              value={draft}
              onChange={setDraft}
              required
              maxLength={200}
              hint='Why you are reviewing this recording, e.g. "QA review of call 123". Recorded in the audit log with each playback request.'
            />
            <div>
              <Button type="submit">Play recording</Button>
            </div>
          </form>
        )
      ) : (
        <Playback r={r} purpose={purpose} onStop={() => setPurpose(null)} />
      )}
      {canDownload(me) && <Download r={r} fresh={fresh} />}
    </Card>
  );
}

function Playback({ r, purpose, onStop }: { r: RecordingDetail; purpose: string; onStop: () => void }) {
  const player = useRef<PlayerHandle>(null);
  const [now, setNow] = useState(0);
  const transcript = useQuery({
    queryKey: ['recordings', 'transcript', r.id, purpose],
    enabled: r.transcript !== null,
    retry: false,
    queryFn: async () => {
      const { data, error, response } = await api.GET('/v1/recordings/{id}/transcript', {
        params: { path: { id: r.id }, query: { purpose } },
        parseAs: 'text',
      });
      if (!response.ok) throw problemFrom(response, error);
      return parseTranscript(String(data ?? ''));
    },
  });
  const utterances = transcript.data ?? [];
  const spans = utterances.flatMap((u) => u.silence ?? []);
  const lastEnd = utterances.reduce((m, u) => Math.max(m, u.end), 0);
  const fallbackDuration = durationOf(r) ?? (lastEnd > 0 ? lastEnd : null);

  return (
    <div className="flex flex-col gap-4">
      <p className="text-sm text-slate-800">
        Purpose: <span className="font-medium">{purpose}</span>{' '}
        <Button variant="secondary" onClick={onStop} className="ml-2">
          Stop and change purpose
        </Button>
      </p>
      <RecordingPlayer
        ref={player}
        key={purpose}
        src={contentUrl(r.id, 'content', purpose)}
        label={`Recording of call ${r.callId}`}
        fallbackDuration={fallbackDuration}
        redactedSpans={spans}
        markers={r.markers}
        onTime={setNow}
      />
      <section aria-labelledby="transcript-heading">
        <h3 id="transcript-heading" className="mb-2 text-base font-semibold text-slate-900">
          Transcript (redacted)
        </h3>
        {r.transcript === null ? (
          <p className="text-sm text-slate-800">No transcript is attached to this recording.</p>
        ) : transcript.isPending ? (
          <Loading label="Loading transcript…" />
        ) : transcript.isError ? (
          <Alert>{messageOf(transcript.error)}</Alert>
        ) : utterances.length === 0 ? (
          <p className="text-sm text-slate-800">The transcript is empty.</p>
        ) : (
          <ol className="flex flex-col gap-2" aria-label="Utterances">
            {utterances.map((u, i) => {
              const current = now >= u.start && now < u.end;
              return (
                <li
                  // biome-ignore lint/suspicious/noArrayIndexKey: utterances have no id; order is fixed
                  key={i}
                  className={`rounded border px-3 py-2 text-sm ${current ? 'border-blue-700 bg-blue-50' : 'border-slate-200'}`}
                >
                  <div className="flex flex-wrap items-center gap-2 text-xs text-slate-700">
                    <button
                      type="button"
                      className="rounded font-mono text-blue-800 underline focus-visible:outline-2 focus-visible:outline-blue-700"
                      onClick={() => player.current?.seek(u.start)}
                    >
                      <span className="sr-only">Play from </span>
                      {formatSeconds(u.start)}–{formatSeconds(u.end)}
                    </button>
                    <span className="font-semibold uppercase text-slate-900">{u.speaker}</span>
                    {u.redactions?.map((x, j) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: findings of one utterance, fixed order
                      <Badge key={j} tone="bad">
                        redacted {x.type}
                      </Badge>
                    ))}
                  </div>
                  <p className="mt-1 text-slate-900">{u.text}</p>
                </li>
              );
            })}
          </ol>
        )}
      </section>
    </div>
  );
}

/** Download is a separate permission (compliance officers, on their cases) with its own purpose. */
function Download({ r, fresh }: { r: RecordingDetail; fresh: boolean }) {
  const [purpose, setPurpose] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!validPurpose(purpose)) {
      setError('State the purpose of the download in 3 to 200 characters.');
      return;
    }
    setError(null);
    const a = document.createElement('a');
    a.href = contentUrl(r.id, 'download', purpose);
    a.download = '';
    document.body.append(a);
    a.click();
    a.remove();
    setStarted(true);
    setPurpose('');
  };
  return (
    <section aria-labelledby="download-heading" className="mt-6 border-t border-slate-200 pt-4">
      <h3 id="download-heading" className="mb-2 text-base font-semibold text-slate-900">
        Download
      </h3>
      {!fresh ? (
        <p className="text-sm text-slate-800">Confirm your second factor above to download.</p>
      ) : (
        <form onSubmit={submit} className="flex max-w-lg flex-col gap-3" noValidate>
          {error && <Alert>{error}</Alert>}
          {started && <Alert kind="success">Download started; it is recorded in the audit log.</Alert>}
          <TextField
            label="Download purpose"
            value={purpose}
            onChange={setPurpose}
            required
            maxLength={200}
            hint="Downloads leave the vault decrypted: state why (e.g. a disclosure reference)."
          />
          <div>
            <Button type="submit" variant="secondary">
              Download recording
            </Button>
          </div>
        </form>
      )}
    </section>
  );
}

/** Links this recording to one of the open investigation cases (compliance officers). */
function LinkToCase({ recordingId, onLinked }: { recordingId: string; onLinked: () => void }) {
  const queryClient = useQueryClient();
  const cases = useQuery({
    queryKey: ['cases', 'list', 'open'],
    queryFn: () => unwrap(api.GET('/v1/cases', { params: { query: { status: 'open' } } })),
  });
  const [caseId, setCaseId] = useState('');
  const [purpose, setPurpose] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const options = (cases.data?.items ?? []).filter((c) => !c.recordings.includes(recordingId));
  const selected = caseId || options[0]?.id || '';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!selected) return;
    if (!validPurpose(purpose)) {
      setError('State the purpose of the link in 3 to 200 characters.');
      return;
    }
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await unwrap(
        api.POST('/v1/cases/{id}/recordings', {
          params: { path: { id: selected } },
          body: { recordingIds: [recordingId], purpose: purpose.trim() },
        }),
      );
      setNotice('Linked to the case.');
      setPurpose('');
      setCaseId('');
      await queryClient.invalidateQueries({ queryKey: ['cases'] });
      onLinked();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Link to an investigation case">
      {cases.isPending ? (
        <Loading label="Loading open cases…" />
      ) : cases.isError ? (
        <Alert>{messageOf(cases.error)}</Alert>
      ) : options.length === 0 ? (
        <p className="text-sm text-slate-800">
          {notice ?? 'No open case left to link this recording to.'}{' '}
          <Link to="/cases" className="text-blue-800 underline">
            Open a case
          </Link>
        </p>
      ) : (
        <form onSubmit={(e) => void submit(e)} className="flex max-w-lg flex-col gap-3" noValidate>
          {error && <Alert>{error}</Alert>}
          {notice && <Alert kind="success">{notice}</Alert>}
          <SelectField
            label="Case"
            value={selected}
            onChange={setCaseId}
            options={options.map((c) => ({ value: c.id, label: c.title }))}
          />
          <TextField
            label="Purpose of the link"
            value={purpose}
            onChange={setPurpose}
            required
            maxLength={200}
            hint="Recorded in the audit log. The case's assignee may then play this recording while the case is open."
          />
          <div>
            <Button type="submit" disabled={busy}>
              Link to case
            </Button>
          </div>
        </form>
      )}
    </Card>
  );
}
