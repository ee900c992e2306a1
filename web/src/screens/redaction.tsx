import { useMutation } from '@tanstack/react-query';
import { type FormEvent, Fragment, type ReactNode, useId, useState } from 'react';
import { api, messageOf, ProblemError, toProblem, unwrap } from '../api/client';
import {
  decodeUtf8,
  downloadOf,
  FILE_FORMATS,
  type FileFormat,
  FORMAT_LABEL,
  guessFormat,
  INLINE_LIMIT_BYTES,
  quoteLongNumbers,
  saveText,
  stringsByPath,
} from '../components/redaction-input';
import { Alert, Button, Card, DataTable, PageHeader, SelectField } from '../components/ui';

type Finding = { type: string; start: number; end: number; score: number; rule: string };
/** One finding with where it is (utterance, field, cell, cue…) and, when known, the text it is in. */
type Located = Finding & { where: string; key: string };
type Segment = { where: string; text: string; findings: Finding[] };

type Result = {
  format: FileFormat;
  inputName: string | null;
  findings: Located[];
  /** Pieces of the input with their findings, for the highlighted view (empty when not mappable). */
  segments: Segment[];
  output: string;
  count: number;
  note?: string;
};

type Report = { format: FileFormat } & Record<string, unknown>;

const POLICIES: Record<string, { label: string; policy?: Record<string, unknown> }> = {
  placeholder: { label: 'Typed placeholder, e.g. [PAN]' },
  last4: { label: 'Masked, last 4 digits shown', policy: { PAN: { kind: 'mask', keepLast: 4 } } },
  bin: {
    label: 'Masked, first 6 and last 4 digits shown',
    policy: { PAN: { kind: 'mask', keepFirst: 6, keepLast: 4 } },
  },
};

type Source =
  | { kind: 'paste'; text: string }
  | { kind: 'file'; name: string; size: number; bytes: ArrayBuffer; text: string | null; format: FileFormat };

/**
 * Redaction workbench: paste text or upload a file, see what the engine finds (highlighted by type
 * and listed), and download the redacted file in the same format. The content lives in this
 * component's state only: never in the query cache, storage or the URL; leaving the screen or
 * signing out drops it.
 */
export function RedactionScreen() {
  const [mode, setMode] = useState<'paste' | 'file'>('paste');
  const [pasted, setPasted] = useState('');
  const [file, setFile] = useState<Extract<Source, { kind: 'file' }> | null>(null);
  const [policy, setPolicy] = useState('placeholder');
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ids = useId();

  const scan = useMutation({
    mutationFn: (source: Source) => run(source, POLICIES[policy]?.policy),
    onSuccess: (r) => setResult(r),
    onError: (e) => setError(messageOf(e)),
    // Nothing of the input or output is kept by the mutation cache once it settles.
    gcTime: 0,
  });

  const chooseFile = async (f: File | undefined) => {
    setResult(null);
    setError(null);
    if (!f) {
      setFile(null);
      return;
    }
    const bytes = await f.arrayBuffer();
    const text = decodeUtf8(bytes);
    setFile({
      kind: 'file',
      name: f.name,
      size: f.size,
      bytes,
      text,
      format: text === null ? 'text' : guessFormat(f.name, text),
    });
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    if (mode === 'paste') {
      if (pasted.trim() === '') {
        setError('Paste some text to scan first.');
        return;
      }
      scan.mutate({ kind: 'paste', text: pasted });
    } else {
      if (!file) {
        setError('Choose a file to scan first.');
        return;
      }
      scan.mutate(file);
    }
  };

  const clear = () => {
    setPasted('');
    setFile(null);
    setResult(null);
    setError(null);
    scan.reset();
  };

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Redaction workbench"
        description="Find card numbers (typed or spoken), CVVs and personal data, and get a redacted copy. Nothing you paste or upload is stored."
      />
      <Card title="Input">
        <form onSubmit={submit} className="flex flex-col gap-4">
          <fieldset className="flex flex-wrap gap-4">
            <legend className="mb-1 text-sm font-medium text-slate-800">Source</legend>
            {(['paste', 'file'] as const).map((m) => (
              <label key={m} className="flex items-center gap-2 text-sm text-slate-900">
                <input
                  type="radio"
                  name={`${ids}-mode`}
                  value={m}
                  checked={mode === m}
                  onChange={() => {
                    setMode(m);
                    setResult(null);
                    setError(null);
                  }}
                />
                {m === 'paste' ? 'Paste text' : 'Upload a file'}
              </label>
            ))}
          </fieldset>
          {mode === 'paste' ? (
            <div className="flex flex-col gap-1">
              <label htmlFor={`${ids}-text`} className="text-sm font-medium text-slate-800">
                Text to scan
              </label>
              <textarea
                id={`${ids}-text`}
                value={pasted}
                onChange={(e) => setPasted(e.target.value)}
                rows={8}
                autoComplete="off"
                spellCheck={false}
                className="rounded-md border border-slate-400 bg-white px-3 py-2 font-mono text-sm focus-visible:outline-2 focus-visible:outline-blue-700"
              />
            </div>
          ) : (
            <div className="flex flex-col gap-3">
              <div className="flex flex-col gap-1">
                <label htmlFor={`${ids}-file`} className="text-sm font-medium text-slate-800">
                  File to scan
                </label>
                <input
                  id={`${ids}-file`}
                  type="file"
                  accept=".txt,.text,.log,.jsonl,.ndjson,.json,.csv,.vtt,.srt,text/*,application/json"
                  aria-describedby={`${ids}-file-hint`}
                  onChange={(e) => void chooseFile(e.target.files?.[0])}
                  className="text-sm text-slate-900"
                />
                <p id={`${ids}-file-hint`} className="text-xs text-slate-700">
                  Plain text, call transcripts (JSONL), chat logs, CSV, WebVTT, SubRip, JSON or Amazon
                  Transcribe output, as UTF-8. Up to 6 MB here; larger text and transcript files are redacted
                  by streaming (output only).
                </p>
              </div>
              {file && file.text !== null && (
                <SelectField
                  label="File format"
                  value={file.format}
                  onChange={(v) => setFile({ ...file, format: v as FileFormat })}
                  options={FILE_FORMATS.map((f) => ({ value: f, label: FORMAT_LABEL[f] }))}
                />
              )}
            </div>
          )}
          <SelectField
            label="Card numbers are replaced by"
            value={policy}
            onChange={setPolicy}
            options={Object.entries(POLICIES).map(([value, p]) => ({ value, label: p.label }))}
          />
          <div className="flex gap-2">
            <Button type="submit" disabled={scan.isPending}>
              {scan.isPending ? 'Scanning…' : 'Scan and redact'}
            </Button>
            <Button variant="secondary" onClick={clear}>
              Clear
            </Button>
          </div>
        </form>
      </Card>
      {error && <Alert>{error}</Alert>}
      {result && <Results result={result} />}
    </div>
  );
}

async function run(source: Source, policy: Record<string, unknown> | undefined): Promise<Result> {
  if (source.kind === 'paste') {
    const [det, red] = await Promise.all([
      unwrap(api.POST('/v1/detect', { body: { text: source.text } })),
      unwrap(api.POST('/v1/redact', { body: { text: source.text, policy } })),
    ]);
    const findings = 'findings' in det ? (det.findings as Finding[]) : [];
    return {
      format: 'text',
      inputName: null,
      findings: findings.map((f, i) => ({ ...f, where: 'text', key: `t${i}` })),
      segments: [{ where: 'text', text: source.text, findings }],
      output: red.text ?? '',
      count: red.findings,
    };
  }
  if (source.text === null) {
    // Not UTF-8 text: let the server say what is wrong with it (it names the byte, never quotes it).
    const response = await fetch('/v1/redact/stream', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'text/plain' },
      body: source.bytes,
    });
    if (!response.ok) throw await toProblem(response);
    await response.body?.cancel();
    throw new Error('This file is not UTF-8 text, so it cannot be scanned here.');
  }
  if (source.size > INLINE_LIMIT_BYTES) return stream(source.name, source.text, source.format, policy);
  const [det, red] = await Promise.all([
    unwrap(api.POST('/v1/detect', { body: { file: source.text, format: source.format } })),
    unwrap(api.POST('/v1/redact', { body: { file: source.text, format: source.format, policy } })),
  ]);
  const report = ('report' in det ? det.report : { format: source.format }) as Report;
  const { findings, segments } = locate(report, source.text);
  return {
    format: source.format,
    inputName: source.name,
    findings,
    segments,
    output: red.file ?? '',
    count: red.findings,
  };
}

/** Large text or transcripts through POST /v1/redact/stream: redacted output only, no findings list. */
async function stream(
  name: string,
  text: string,
  format: FileFormat,
  policy: Record<string, unknown> | undefined,
): Promise<Result> {
  if (format !== 'text' && format !== 'transcript')
    throw new Error(
      `This ${FORMAT_LABEL[format]} file is larger than 6 MB: only plain text and call transcripts that large can be redacted here. Use bulwark redact on the command line.`,
    );
  const query = policy ? `?policy=${encodeURIComponent(JSON.stringify(policy))}` : '';
  const response = await fetch(`/v1/redact/stream${query}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': format === 'text' ? 'text/plain' : 'application/x-ndjson' },
    body: text,
  });
  if (!response.ok) throw await toProblem(response);
  let output: string;
  try {
    output = await response.text();
  } catch {
    // The server resets the connection when the input turns out bad mid-way: never show a part.
    throw new ProblemError(
      422,
      'INCOMPLETE',
      'Redaction did not complete',
      'The server stopped part-way (bad input further into the file, or a limit); no partial result is shown.',
    );
  }
  return {
    format,
    inputName: name,
    findings: [],
    segments: [],
    output,
    count: 0,
    note: 'Large file: redacted by streaming, so findings are not listed. Check the output before sharing it.',
  };
}

type Cell = { row: number; column: string; findings: Finding[] };
type Cue = { cue: number; line: number; speaker: string; findings: Finding[] };

/** Flattens a format's report into located findings, and the input pieces they point into. */
function locate(report: Report, text: string): { findings: Located[]; segments: Segment[] } {
  const findings: Located[] = [];
  const segments: Segment[] = [];
  const add = (where: string, list: Finding[], piece?: string) => {
    list.forEach((f, i) => {
      findings.push({ ...f, where, key: `${where}#${i}` });
    });
    if (piece !== undefined && list.length > 0) segments.push({ where, text: piece, findings: list });
  };
  const lines = () => text.split(/\r?\n/);
  switch (report.format) {
    case 'text':
      add('text', report.findings as Finding[], text);
      break;
    case 'json': {
      const strings = stringsByPath(JSON.parse(quoteLongNumbers(text)));
      for (const f of report.fields as Array<{ path: string; findings: Finding[] }>)
        add(f.path, f.findings, strings.get(f.path));
      break;
    }
    case 'jsonl': {
      const all = lines();
      for (const l of report.lines as Array<{
        line: number;
        fields: Array<{ path: string; findings: Finding[] }>;
      }>) {
        const strings = stringsByPath(JSON.parse(quoteLongNumbers(all[l.line - 1] ?? 'null')));
        for (const f of l.fields) add(`line ${l.line} ${f.path}`, f.findings, strings.get(f.path));
      }
      break;
    }
    case 'transcript': {
      const utterances = lines().filter((l) => l.trim() !== '');
      for (const u of report.utterances as Array<{ line: number; findings: Finding[] }>) {
        let piece: string | undefined;
        try {
          piece = (JSON.parse(quoteLongNumbers(utterances[u.line - 1] ?? '')) as { text?: string }).text;
        } catch {
          piece = undefined;
        }
        add(`utterance ${u.line}`, u.findings, piece);
      }
      break;
    }
    case 'csv':
      for (const c of report.cells as Cell[]) add(`row ${c.row}, column ${c.column}`, c.findings);
      break;
    case 'chat':
      for (const m of report.messages as Array<{ line: number; findings: Finding[] }>)
        add(`message on line ${m.line}`, m.findings);
      break;
    case 'vtt':
    case 'srt':
      for (const c of report.cues as Cue[])
        add(`cue ${c.cue} (line ${c.line}${c.speaker ? `, ${c.speaker}` : ''})`, c.findings);
      for (const n of report.notes as Array<{ line: number; findings: Finding[] }>)
        add(`note on line ${n.line}`, n.findings);
      break;
    case 'aws':
      for (const u of report.utterances as Array<{ utterance: number; speaker: string; findings: Finding[] }>)
        add(`utterance ${u.utterance}${u.speaker ? ` (${u.speaker})` : ''}`, u.findings);
      break;
  }
  return { findings, segments };
}

const CARD_TYPES = new Set(['PAN', 'CVV', 'CARD_EXPIRY']);
const toneOf = (type: string) =>
  CARD_TYPES.has(type)
    ? 'bg-red-100 text-red-950 ring-red-400'
    : type === 'EMAIL' || type === 'PHONE' || type === 'DATE_OF_BIRTH'
      ? 'bg-amber-100 text-amber-950 ring-amber-400'
      : 'bg-sky-100 text-sky-950 ring-sky-400';

/** Text with each finding in a <mark> that starts with its type, so the type is read out too. */
function Highlighted({ text, findings }: { text: string; findings: Finding[] }) {
  const sorted = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
  const parts: ReactNode[] = [];
  let pos = 0;
  sorted.forEach((f) => {
    if (f.start < pos) return; // overlapping finding: the wider, earlier one is shown
    if (f.start > pos) parts.push(<Fragment key={`t${pos}`}>{text.slice(pos, f.start)}</Fragment>);
    parts.push(
      <mark
        key={`m${f.start}-${f.end}`}
        data-type={f.type}
        className={`rounded px-0.5 ring-1 ${toneOf(f.type)}`}
      >
        <span className="mr-1 rounded bg-white px-1 font-sans text-[0.7rem] font-semibold">{f.type}</span>
        {text.slice(f.start, f.end)}
        <span className="sr-only"> (end of {f.type})</span>
      </mark>,
    );
    pos = f.end;
  });
  if (pos < text.length) parts.push(<Fragment key="rest">{text.slice(pos)}</Fragment>);
  return <>{parts}</>;
}

function Results({ result }: { result: Result }) {
  const download = () => {
    const { name, type } = downloadOf(result.inputName, result.format);
    saveText(result.output, name, type);
  };
  const types = [...new Set(result.findings.map((f) => f.type))];
  return (
    <>
      <Card title="Findings">
        <div className="flex flex-col gap-4">
          {result.note ? (
            <Alert kind="info">{result.note}</Alert>
          ) : (
            <p role="status" className="text-sm text-slate-900">
              {result.findings.length === 0
                ? 'Nothing sensitive was found.'
                : `${result.findings.length} finding${result.findings.length === 1 ? '' : 's'}: ${types.join(', ')}.`}
            </p>
          )}
          {result.segments.length > 0 && (
            <section aria-labelledby="highlighted-heading">
              <h3 id="highlighted-heading" className="mb-2 text-sm font-semibold text-slate-900">
                Highlighted input
              </h3>
              <div className="flex flex-col gap-2 rounded-md border border-slate-300 bg-slate-50 p-3">
                {result.segments.map((s) => (
                  <div key={s.where}>
                    {result.segments.length > 1 && (
                      <p className="text-xs font-medium text-slate-700">{s.where}</p>
                    )}
                    <p className="whitespace-pre-wrap break-words font-mono text-sm text-slate-900">
                      <Highlighted text={s.text} findings={s.findings} />
                    </p>
                  </div>
                ))}
              </div>
            </section>
          )}
          {result.findings.length > 0 && (
            <DataTable<Located>
              caption="Findings by type and position"
              rows={result.findings}
              rowKey={(f) => f.key}
              columns={[
                { header: 'Where', cell: (f) => f.where },
                { header: 'Type', cell: (f) => <span className="font-medium">{f.type}</span> },
                { header: 'Start', cell: (f) => f.start },
                { header: 'End', cell: (f) => f.end },
                { header: 'Score', cell: (f) => f.score.toFixed(2) },
                { header: 'Rule', cell: (f) => <code>{f.rule}</code> },
              ]}
            />
          )}
        </div>
      </Card>
      <Card title="Redacted output">
        <div className="flex flex-col gap-3">
          <p className="text-sm text-slate-900">
            {FORMAT_LABEL[result.format]}
            {result.note ? '' : `, ${result.count} replacement${result.count === 1 ? '' : 's'}`}.
          </p>
          <pre
            data-testid="redacted-output"
            className="whitespace-pre-wrap break-words rounded-md border border-slate-300 bg-white p-3 font-mono text-sm text-slate-900"
          >
            {result.output}
          </pre>
          <div>
            <Button onClick={download}>Download redacted file</Button>
          </div>
        </div>
      </Card>
    </>
  );
}
