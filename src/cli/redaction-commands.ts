import fs from 'node:fs';
import { type Command, Option } from '@commander-js/extra-typings';
import {
  DOCUMENT_FORMATS,
  type DocumentFormat,
  detectDocument,
  formatFromName,
  redactDocument,
} from '../modules/redaction/engine/documents.ts';
import { decodeText, InputError } from '../modules/redaction/engine/input.ts';
import { parsePolicy, type RedactionPolicy } from '../modules/redaction/engine/mask.ts';
import { createTextRedactor, createTranscriptRedactor } from '../modules/redaction/engine/stream.ts';
import { TranscriptFormatError } from '../modules/redaction/engine/transcript.ts';
import { DetectionLimitError } from '../modules/redaction/engine/types.ts';
import { readStdinBytes, writeOut } from './io.ts';

/** Thrown for input the engine refuses; exit 1 with one line naming where and why. */
export class RedactionInputError extends Error {}

async function readInput(file: string | undefined): Promise<{ text: string; name: string }> {
  const name = !file || file === '-' ? 'stdin' : file;
  let bytes: Uint8Array;
  if (name === 'stdin') bytes = await readStdinBytes();
  else {
    try {
      bytes = fs.readFileSync(file!);
    } catch (e) {
      throw new RedactionInputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return { text: decodeText(bytes, name), name };
}

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
    'input format (default: from the file name: .jsonl transcript, .json JSON, else text)',
  ).choices(DOCUMENT_FORMATS);

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
): Promise<void> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const text = format === 'text' ? createTextRedactor(policy) : undefined;
  const transcript = format === 'transcript' ? createTranscriptRedactor(policy, name) : undefined;
  const emit = async (chunk: string) => {
    if (text) {
      const out = text.push(chunk);
      if (out) await writeOut(out);
    } else {
      for (const line of transcript!.push(chunk)) await writeOut(`${line}\n`);
    }
  };
  let offset = 0;
  try {
    for await (const raw of source) {
      const bytes = raw as Buffer;
      const nul = bytes.indexOf(0);
      if (nul !== -1)
        throw new InputError(`binary data (NUL byte at offset ${offset + nul}); expected UTF-8 text`, name);
      let chunk: string;
      try {
        chunk = decoder.decode(bytes, { stream: true });
      } catch {
        throw new InputError(`invalid UTF-8 near byte offset ${offset}`, name);
      }
      offset += bytes.length;
      await emit(chunk);
    }
    const tail = decoder.decode();
    if (tail) await emit(tail);
    if (text) await writeOut(text.end());
    else for (const line of transcript!.end()) await writeOut(`${line}\n`);
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
    .option(
      '--json',
      'print {findings:[{type,start,end,score,rule}]} (per line or utterance for line formats)',
    )
    .action(async (file, opts) => {
      await guarded(async () => {
        const { text, name } = await readInput(file);
        const format: DocumentFormat = opts.format ?? formatFromName(name);
        const report = detectDocument(text, format, name);
        if (opts.json) {
          if (report.format === 'transcript')
            return (
              report.utterances.map((u) => JSON.stringify(u)).join('\n') +
              (report.utterances.length ? '\n' : '')
            );
          if (report.format === 'json') return `${JSON.stringify({ fields: report.fields })}\n`;
          return `${JSON.stringify({ findings: report.findings })}\n`;
        }
        const rows: string[] = [];
        const row = (
          where: string,
          f: { type: string; start: number; end: number; score: number; rule: string },
        ) =>
          rows.push(
            `${where.padEnd(14)} ${f.type.padEnd(18)} ${`${f.start}-${f.end}`.padEnd(12)} ${f.score.toFixed(2)}  ${f.rule}`,
          );
        if (report.format === 'text') for (const f of report.findings) row('-', f);
        else if (report.format === 'json')
          for (const field of report.fields) for (const f of field.findings) row(field.path, f);
        else for (const u of report.utterances) for (const f of u.findings) row(`line ${u.line}`, f);
        return rows.length === 0
          ? 'no findings\n'
          : `${'WHERE'.padEnd(14)} ${'TYPE'.padEnd(18)} ${'CHARS'.padEnd(12)} SCORE RULE\n${rows.join('\n')}\n`;
      });
    });

  program
    .command('redact [file]')
    .description('Write the document with card numbers and personal data replaced, in its own format')
    .addOption(formatOption())
    .option(
      '--policy <file>',
      'JSON policy: operator per entity type, e.g. {"PAN":{"kind":"mask"},"default":{"kind":"redact"}}',
    )
    .option('--hash-key-file <file>', 'key for {"kind":"hash"} operators (32 random bytes or more)')
    .option('--stream', 'redact as the input arrives (text or transcript), with bounded memory and hold-back')
    .action(async (file, opts) => {
      if (opts.stream) {
        const policy = loadPolicy(opts.policy, opts.hashKeyFile);
        const name = !file || file === '-' ? 'stdin' : file;
        const format: DocumentFormat = opts.format ?? formatFromName(name);
        if (format === 'json')
          throw new RedactionInputError(
            '--stream works on text and transcript input; a JSON document needs the whole file',
          );
        await streamRedaction(
          name === 'stdin' ? process.stdin : fs.createReadStream(file!),
          name,
          format,
          policy,
        );
        return;
      }
      await guarded(async () => {
        const policy = loadPolicy(opts.policy, opts.hashKeyFile);
        const { text, name } = await readInput(file);
        const format: DocumentFormat = opts.format ?? formatFromName(name);
        const { output, findings } = redactDocument(text, format, policy, name);
        process.stderr.write(`${findings} finding(s) redacted\n`);
        return output;
      });
    });
}
