import fs from 'node:fs';
import { type Command, Option } from '@commander-js/extra-typings';
import {
  type DetectionReport,
  DOCUMENT_FORMATS,
  type DocumentFormat,
  detectDocument,
  formatFromContent,
  formatFromName,
  IMPORT_FORMATS,
  type ImportFormat,
  importTranscript,
  redactDocument,
  utterancesToJsonl,
} from '../modules/redaction/engine/documents.ts';
import { decodeText, InputError } from '../modules/redaction/engine/input.ts';
import { parsePolicy, type RedactionPolicy } from '../modules/redaction/engine/mask.ts';
import { redactByteStream } from '../modules/redaction/engine/stream-bytes.ts';
import { TranscriptFormatError } from '../modules/redaction/engine/transcript.ts';
import { DetectionLimitError } from '../modules/redaction/engine/types.ts';
import { readStdinBytes, writeOut } from './io.ts';
import { createProgress, PROGRESS_MODES, type Progress, type ProgressMode } from './progress.ts';

/** Thrown for input the engine refuses; exit 1 with one line naming where and why. */
export class RedactionInputError extends Error {}

const inputName = (file: string | undefined) => (!file || file === '-' ? 'stdin' : file);

/** Size in bytes of a file, or of standard input when it is a regular file; null when unknown. */
function inputSize(name: string, file: string | undefined): number | null {
  try {
    const st = name === 'stdin' ? fs.fstatSync(0) : fs.statSync(file!);
    return st.isFile() ? st.size : null;
  } catch (e) {
    if (name === 'stdin') return null;
    throw new RedactionInputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Reads the whole input as strict UTF-8, reporting bytes read to the progress bar. */
async function readInput(
  file: string | undefined,
  progressMode: ProgressMode = 'auto',
): Promise<{ text: string; name: string; progress: Progress }> {
  const name = inputName(file);
  const total = inputSize(name, file);
  const progress = createProgress({ label: name, totalBytes: total, mode: progressMode });
  const onBytes = (n: number) => progress.update('reading', n, total);
  let bytes: Uint8Array;
  try {
    bytes = await readStdinBytes(onBytes, name === 'stdin' ? process.stdin : fs.createReadStream(file!));
  } catch (e) {
    progress.finish();
    throw new RedactionInputError(`${name}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return { text: decodeText(bytes, name), name, progress };
  } catch (e) {
    progress.finish();
    throw e;
  }
}

/** Progress of the engine over the decoded text, as "scanning". */
const scanning = (progress: Progress) => (done: number, total: number) =>
  progress.update('scanning', done, total);

function loadPolicy(file: string | undefined, hashKeyFile: string | undefined): RedactionPolicy | undefined {
  if (!file) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RedactionInputError(
      `${file}: not a readable JSON policy (${(e as Error).message.split('\n')[0]})`,
    );
  }
  const hashKey = hashKeyFile ? fs.readFileSync(hashKeyFile) : undefined;
  try {
    return parsePolicy(json, hashKey);
  } catch (e) {
    throw new RedactionInputError(`${file}: ${(e as Error).message}`);
  }
}

const formatOption = () =>
  new Option(
    '--format <format>',
    'input format (default: from the file name: .jsonl transcript, .json JSON (aws when it is Amazon Transcribe output), .csv, .vtt, .srt, else text; chat needs --format)',
  ).choices(DOCUMENT_FORMATS);

const fieldsOption = () =>
  new Option(
    '--fields <columns>',
    'CSV only: scan just these comma-separated columns (default: every column); an unknown name is an error',
  );

const progressOption = () =>
  new Option(
    '--progress <when>',
    'progress bar on stderr for inputs over 4 MB: auto (only on a terminal), always, never',
  )
    .choices(PROGRESS_MODES)
    .default('auto' as ProgressMode);

/** `--fields a,b` as a list; empty names are refused. */
function parseFields(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((f) => f.trim());
  if (names.some((f) => f === '')) throw new RedactionInputError('--fields: empty column name');
  return names;
}

type AnyFinding = { type: string; start: number; end: number; score: number; rule: string };

/** `detect --json` output per format (JSONL per utterance for transcripts, as before; one object otherwise). */
function reportJson(report: DetectionReport): string {
  switch (report.format) {
    case 'transcript':
      return report.utterances.map((u) => `${JSON.stringify(u)}\n`).join('');
    case 'json':
      return `${JSON.stringify({ fields: report.fields })}\n`;
    case 'jsonl':
      return report.lines.map((l) => `${JSON.stringify(l)}\n`).join('');
    case 'csv':
      return `${JSON.stringify({ cells: report.cells })}\n`;
    case 'chat':
      return `${JSON.stringify({ messages: report.messages })}\n`;
    case 'vtt':
    case 'srt':
      return `${JSON.stringify({ cues: report.cues, notes: report.notes })}\n`;
    case 'aws':
      return `${JSON.stringify({ utterances: report.utterances })}\n`;
    default:
      return `${JSON.stringify({ findings: report.findings })}\n`;
  }
}

/** Where each finding is, for the table: a place name and the findings there. */
function reportRows(report: DetectionReport): Array<{ where: string; findings: AnyFinding[] }> {
  switch (report.format) {
    case 'text':
      return [{ where: '-', findings: report.findings }];
    case 'json':
      return report.fields.map((f) => ({ where: f.path, findings: f.findings }));
    case 'jsonl':
      return report.lines.flatMap((l) =>
        l.fields.map((f) => ({ where: `line ${l.line} ${f.path}`, findings: f.findings })),
      );
    case 'transcript':
      return report.utterances.map((u) => ({ where: `line ${u.line}`, findings: u.findings }));
    case 'csv':
      return report.cells.map((c) => ({ where: c.path, findings: c.findings }));
    case 'chat':
      return report.messages.map((m) => ({ where: `line ${m.line}`, findings: m.findings }));
    case 'vtt':
    case 'srt':
      return [
        ...report.notes.map((n) => ({ where: `note line ${n.line}`, findings: n.findings })),
        ...report.cues.map((c) => ({ where: `cue ${c.cue} (line ${c.line})`, findings: c.findings })),
      ];
    case 'aws':
      return report.utterances.map((u) => ({ where: `utterance ${u.utterance}`, findings: u.findings }));
  }
}

/**
 * Wraps an engine call so bad input becomes one clear line and exit 1, and nothing is written
 * to stdout unless the whole document was processed.
 */
async function guarded(run: () => Promise<string>): Promise<void> {
  let output: string;
  try {
    output = await run();
  } catch (e) {
    if (e instanceof InputError || e instanceof TranscriptFormatError || e instanceof RedactionInputError)
      throw new RedactionInputError(e.message);
    if (e instanceof DetectionLimitError) throw new RedactionInputError(`withheld: ${e.message}`);
    throw e;
  }
  await writeOut(output);
}

/**
 * Streams stdin (or a file) to stdout through the incremental redactors: only text that can no
 * longer be part of an entity is written. On any error the output so far is declared incomplete.
 */
async function streamRedaction(
  source: NodeJS.ReadableStream,
  name: string,
  format: 'text' | 'transcript',
  policy: RedactionPolicy | undefined,
  onBytes?: (consumed: number) => void,
): Promise<void> {
  try {
    for await (const piece of redactByteStream(source as AsyncIterable<Uint8Array>, {
      format,
      policy,
      name,
      ...(onBytes ? { onBytes } : {}),
    }))
      await writeOut(piece);
  } catch (e) {
    const why = e instanceof DetectionLimitError ? `withheld: ${e.message}` : (e as Error).message;
    if (e instanceof InputError || e instanceof TranscriptFormatError || e instanceof DetectionLimitError) {
      throw new RedactionInputError(`${why} (the output written so far is INCOMPLETE)`);
    }
    throw e;
  }
}

/** `bulwark detect` and `bulwark redact`: the sensitive-data engine on files, without a server. */
export function registerRedactionCommands(program: Command): void {
  program
    .command('detect [file]')
    .description('Find card numbers and personal data in a file or standard input (-)')
    .addOption(formatOption())
    .addOption(fieldsOption())
    .addOption(progressOption())
    .option(
      '--json',
      'print the findings as JSON: {findings} for text, per line for transcripts and jsonl, {cells} for CSV, {messages} for chat, {cues,notes} for subtitles, {utterances} for aws',
    )
    .action(async (file, opts) => {
      await guarded(async () => {
        const fields = parseFields(opts.fields);
        const { text, name, progress } = await readInput(file, opts.progress);
        const format: DocumentFormat = opts.format ?? formatFromContent(name, text);
        let report: DetectionReport;
        try {
          report = detectDocument(text, format, name, { fields, onProgress: scanning(progress) });
        } finally {
          progress.finish();
        }
        if (opts.json) return reportJson(report);
        const rows: string[] = [];
        for (const { where, findings } of reportRows(report))
          for (const f of findings)
            rows.push(
              `${where.padEnd(14)} ${f.type.padEnd(18)} ${`${f.start}-${f.end}`.padEnd(12)} ${f.score.toFixed(2)}  ${f.rule}`,
            );
        return rows.length === 0
          ? 'no findings\n'
          : `${'WHERE'.padEnd(14)} ${'TYPE'.padEnd(18)} ${'CHARS'.padEnd(12)} SCORE RULE\n${rows.join('\n')}\n`;
      });
    });

  program
    .command('redact [file]')
    .description('Write the document with card numbers and personal data replaced, in its own format')
    .addOption(formatOption())
    .addOption(fieldsOption())
    .addOption(progressOption())
    .option(
      '--policy <file>',
      'JSON policy: operator per entity type, e.g. {"PAN":{"kind":"mask"},"default":{"kind":"redact"}}',
    )
    .option('--hash-key-file <file>', 'key for {"kind":"hash"} operators (32 random bytes or more)')
    .option('--stream', 'redact as the input arrives (text or transcript), with bounded memory and hold-back')
    .addOption(
      new Option(
        '--to <format>',
        'write a canonical JSONL transcript instead (for vtt, srt and aws input)',
      ).choices(['transcript'] as const),
    )
    .action(async (file, opts) => {
      if (opts.stream) {
        const policy = loadPolicy(opts.policy, opts.hashKeyFile);
        const name = inputName(file);
        const format: DocumentFormat = opts.format ?? formatFromName(name);
        if (format !== 'text' && format !== 'transcript')
          throw new RedactionInputError(
            `--stream works on text and transcript input; ${format} input needs the whole file`,
          );
        if (opts.fields || opts.to)
          throw new RedactionInputError('--stream cannot be combined with --fields or --to');
        const total = inputSize(name, file);
        const progress = createProgress({ label: name, totalBytes: total, mode: opts.progress });
        try {
          await streamRedaction(
            name === 'stdin' ? process.stdin : fs.createReadStream(file!),
            name,
            format,
            policy,
            (n) => progress.update('streaming', n, total),
          );
        } finally {
          progress.finish();
        }
        return;
      }
      await guarded(async () => {
        const policy = loadPolicy(opts.policy, opts.hashKeyFile);
        const fields = parseFields(opts.fields);
        const { text, name, progress } = await readInput(file, opts.progress);
        let format: DocumentFormat = opts.format ?? formatFromContent(name, text);
        let input = text;
        let result: { output: string; findings: number };
        try {
          if (opts.to === 'transcript') {
            if (format !== 'vtt' && format !== 'srt' && format !== 'aws')
              throw new RedactionInputError('--to transcript works on vtt, srt and aws input');
            input = utterancesToJsonl(importTranscript(text, format, name));
            format = 'transcript';
          }
          result = redactDocument(input, format, policy, name, { fields, onProgress: scanning(progress) });
        } finally {
          progress.finish();
        }
        process.stderr.write(`${result.findings} finding(s) redacted\n`);
        return result.output;
      });
    });

  const transcript = program
    .command('transcript')
    .description('Work with call transcripts in the canonical JSONL format');
  transcript
    .command('import [file]')
    .description(
      'Convert Amazon Transcribe JSON or VTT/SRT subtitles to canonical transcript JSONL (nothing is redacted)',
    )
    .addOption(
      new Option(
        '--from <format>',
        'input format (default: from the file name, .vtt or .srt, or aws for Amazon Transcribe JSON)',
      ).choices(IMPORT_FORMATS),
    )
    .action(async (file, opts) => {
      await guarded(async () => {
        const { text, name, progress } = await readInput(file, 'never');
        progress.finish();
        const guess = formatFromContent(name, text);
        const from: ImportFormat | undefined =
          opts.from ?? (guess === 'vtt' || guess === 'srt' || guess === 'aws' ? guess : undefined);
        if (!from) throw new RedactionInputError(`${name}: say which format with --from aws|vtt|srt`);
        return utterancesToJsonl(importTranscript(text, from, name));
      });
    });
}
