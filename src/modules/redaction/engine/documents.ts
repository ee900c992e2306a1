import { detect } from './detect.ts';
import {
  type AwsUtteranceFindings,
  awsToUtterances,
  detectAwsTranscribe,
  redactAwsTranscribe,
} from './formats/aws-transcribe.ts';
import { type ChatMessageFindings, detectChat, redactChat } from './formats/chat.ts';
import { type ProgressFn, quoteLongNumbers } from './formats/common.ts';
import { type CsvCellFindings, detectCsv, redactCsv } from './formats/csv.ts';
import {
  detectSubtitles,
  redactSubtitles,
  type SubtitleReport,
  subtitlesToUtterances,
} from './formats/subtitles.ts';
import { InputError, splitLines } from './input.ts';
import { applyOperators, type RedactionPolicy } from './mask.ts';
import { detectCall, redactCall } from './pipeline.ts';
import { parseTranscriptJsonl, type Utterance } from './transcript.ts';
import type { Finding } from './types.ts';

/**
 * Document formats the CLI and API read and write back in the same shape: plain text, JSON, call
 * transcripts (canonical JSONL), CSV, chat logs, WebVTT and SubRip subtitles, and Amazon
 * Transcribe output (see formats/ for each).
 */
export const DOCUMENT_FORMATS = [
  'text',
  'json',
  'jsonl',
  'transcript',
  'csv',
  'chat',
  'vtt',
  'srt',
  'aws',
] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

/** Formats `bulwark transcript import` turns into canonical utterances. */
export const IMPORT_FORMATS = ['aws', 'vtt', 'srt'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/**
 * Picks a format from a file name: `.jsonl` is a call transcript, `.json` a JSON document, `.csv`,
 * `.vtt` and `.srt` themselves, else text. Chat logs and Amazon Transcribe output need `--format`.
 */
export function formatFromName(name: string): DocumentFormat {
  const lower = name.toLowerCase();
  if (lower.endsWith('.jsonl')) return 'transcript';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.vtt')) return 'vtt';
  if (lower.endsWith('.srt')) return 'srt';
  return 'text';
}

/**
 * The format of a named document, looking at its content where the name is ambiguous: a `.json`
 * file that is Amazon Transcribe output is read as `aws`, because scanning it as generic JSON (each
 * word item on its own) would miss a card number spoken over many items.
 */
export function formatFromContent(name: string, text: string): DocumentFormat {
  const format = formatFromName(name);
  if (format === 'json' && AWS_SHAPE.every((re) => re.test(text))) return 'aws';
  return format;
}
const AWS_SHAPE = [/"results"\s*:\s*\{/, /"items"\s*:\s*\[/, /"alternatives"\s*:\s*\[/];

/** Options of a document: `fields` restricts a CSV scan to named columns; `onProgress` reports work done. */
export type DocumentOptions = { fields?: readonly string[]; onProgress?: ProgressFn };

export type DetectionReport =
  | { format: 'text'; findings: Finding[] }
  | { format: 'json'; fields: Array<{ path: string; findings: Finding[] }> }
  | { format: 'jsonl'; lines: Array<{ line: number; fields: Array<{ path: string; findings: Finding[] }> }> }
  | {
      format: 'transcript';
      utterances: Array<{ line: number; findings: Finding[]; audio: Array<{ start: number; end: number }> }>;
    }
  | { format: 'csv'; cells: CsvCellFindings[] }
  | { format: 'chat'; messages: ChatMessageFindings[] }
  | ({ format: 'vtt' } & SubtitleReport)
  | ({ format: 'srt' } & SubtitleReport)
  | { format: 'aws'; utterances: AwsUtteranceFindings[] };

export { quoteLongNumbers };

type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

function parseJson(text: string, name: string): JsonValue {
  try {
    return JSON.parse(quoteLongNumbers(text)) as JsonValue;
  } catch {
    // Report the position in the original text (quoting shifted it).
    let pos = 0;
    try {
      JSON.parse(text);
    } catch (e) {
      const m = /position (\d+)/.exec((e as Error).message);
      pos = m ? Number(m[1]) : text.length;
    }
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const column = pos - before.lastIndexOf('\n');
    throw new InputError('malformed JSON', `${name}:${line}:${column}`);
  }
}

/**
 * Generic JSON Lines (`--format jsonl`): one JSON value per line (records, events, chat exports),
 * each scanned field by field like a JSON document and written back on its own line. Blank lines
 * are kept. A malformed line is refused naming its number, never quoting it.
 */
function parseJsonLines(text: string, name: string): Array<JsonValue | null> {
  return splitLines(text, name).map((line, i) => {
    if (line.trim() === '') return null;
    try {
      return JSON.parse(quoteLongNumbers(line)) as JsonValue;
    } catch {
      throw new InputError('malformed JSON', `${name}:${i + 1}`);
    }
  });
}

/** Visits every string value with its JSONPath-like path; numbers are visited as text too (a PAN can be a number). */
function mapStrings(value: JsonValue, path: string, fn: (s: string, path: string) => JsonValue): JsonValue {
  if (typeof value === 'string') return fn(value, path);
  if (typeof value === 'number') {
    const replaced = fn(String(value), path);
    return replaced === String(value) ? value : replaced;
  }
  if (Array.isArray(value)) return value.map((v, i) => mapStrings(v, `${path}[${i}]`, fn));
  if (value && typeof value === 'object') {
    const out: { [k: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value))
      out[k] = mapStrings(
        v,
        /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`,
        fn,
      );
    return out;
  }
  return value;
}

/** Findings of every string (and long number) of a JSON value, by path. */
function detectFields(value: JsonValue): Array<{ path: string; findings: Finding[] }> {
  const fields: Array<{ path: string; findings: Finding[] }> = [];
  mapStrings(value, '$', (s, path) => {
    const findings = detect(s);
    if (findings.length > 0) fields.push({ path, findings });
    return s;
  });
  return fields;
}

/** The JSON value with every string redacted; `counter.n` counts the findings. */
function redactFields(
  value: JsonValue,
  policy: RedactionPolicy | undefined,
  counter: { n: number },
): JsonValue {
  return mapStrings(value, '$', (s) => {
    const findings = detect(s);
    counter.n += findings.length;
    return findings.length > 0 ? applyOperators(s, findings, policy).text : s;
  });
}

function checkOptions(format: DocumentFormat, options: DocumentOptions, name: string): void {
  if (options.fields && format !== 'csv') throw new InputError('--fields applies to CSV input only', name);
}

/**
 * Finds entities in a document; line formats report per line, CSV per cell, subtitles per cue,
 * chat logs per message, Amazon Transcribe per utterance.
 * @throws InputError or TranscriptFormatError naming where the input is malformed (never quoting it)
 */
export function detectDocument<F extends DocumentFormat>(
  text: string,
  format: F,
  name = 'input',
  options: DocumentOptions = {},
): Extract<DetectionReport, { format: F }> {
  checkOptions(format, options, name);
  const report = detectAny(text, format, name, options);
  options.onProgress?.(text.length, text.length);
  return report as Extract<DetectionReport, { format: F }>;
}

function detectAny(
  text: string,
  format: DocumentFormat,
  name: string,
  options: DocumentOptions,
): DetectionReport {
  const progress = options.onProgress;
  if (format === 'csv') return { format, cells: detectCsv(text, name, options) };
  if (format === 'chat') return { format, messages: detectChat(text, name, progress) };
  if (format === 'vtt' || format === 'srt')
    return { format, ...detectSubtitles(text, format, name, progress) } as DetectionReport;
  if (format === 'aws') return { format, utterances: detectAwsTranscribe(text, name, progress) };
  if (format === 'text') return { format, findings: detect(text) };
  if (format === 'json') return { format, fields: detectFields(parseJson(text, name)) };
  if (format === 'jsonl') {
    const lines: Array<{ line: number; fields: Array<{ path: string; findings: Finding[] }> }> = [];
    parseJsonLines(text, name).forEach((value, i) => {
      const fields = value === null ? [] : detectFields(value);
      if (fields.length > 0) lines.push({ line: i + 1, fields });
    });
    return { format, lines };
  }
  splitLines(text, name);
  const utterances = parseTranscriptJsonl(text);
  return {
    format,
    utterances: detectCall(utterances).map((r) => ({
      line: r.index + 1,
      findings: r.findings,
      audio: r.audio,
    })),
  };
}

/** Redacts a document and writes it back in its own format; returns the findings too. */
export function redactDocument(
  text: string,
  format: DocumentFormat,
  policy?: RedactionPolicy,
  name = 'input',
  options: DocumentOptions = {},
): { output: string; findings: number } {
  checkOptions(format, options, name);
  const result = redactAny(text, format, policy, name, options);
  options.onProgress?.(text.length, text.length);
  return result;
}

function redactAny(
  text: string,
  format: DocumentFormat,
  policy: RedactionPolicy | undefined,
  name: string,
  options: DocumentOptions,
): { output: string; findings: number } {
  const progress = options.onProgress;
  if (format === 'csv') return redactCsv(text, name, policy, options);
  if (format === 'chat') return redactChat(text, name, policy, progress);
  if (format === 'vtt' || format === 'srt') {
    const { output, findings } = redactSubtitles(text, format, name, policy, progress);
    return { output, findings };
  }
  if (format === 'aws') {
    const { output, findings } = redactAwsTranscribe(text, name, policy, progress);
    return { output, findings };
  }
  if (format === 'text') {
    const findings = detect(text);
    return { output: applyOperators(text, findings, policy).text, findings: findings.length };
  }
  if (format === 'json') {
    const counter = { n: 0 };
    const redacted = redactFields(parseJson(text, name), policy, counter);
    return { output: `${JSON.stringify(redacted, null, 2)}\n`, findings: counter.n };
  }
  if (format === 'jsonl') {
    const counter = { n: 0 };
    const lines = parseJsonLines(text, name).map((value) =>
      value === null ? '' : JSON.stringify(redactFields(value, policy, counter)),
    );
    const body = lines.join('\n');
    return { output: text.endsWith('\n') || lines.length === 0 ? `${body}\n` : body, findings: counter.n };
  }
  splitLines(text, name);
  const results = redactCall(parseTranscriptJsonl(text), policy);
  let count = 0;
  const lines = results.map(({ utterance, result }) => {
    count += result.findings.length;
    const redactions = result.findings.map((f) => ({ type: f.type, rule: f.rule }));
    return JSON.stringify({
      ...utterance,
      ...(redactions.length > 0 ? { redactions, silence: result.audio } : {}),
    });
  });
  return { output: lines.length > 0 ? `${lines.join('\n')}\n` : '', findings: count };
}

/**
 * Converts a subtitle file or Amazon Transcribe output to canonical utterances (for
 * `bulwark transcript import`), one JSON line each. Nothing is redacted.
 */
export function importTranscript(text: string, from: ImportFormat, name = 'input'): Utterance[] {
  return from === 'aws' ? awsToUtterances(text, name) : subtitlesToUtterances(text, from, name);
}

/** Canonical JSONL of utterances, ending with a newline when not empty. */
export const utterancesToJsonl = (utterances: Utterance[]): string =>
  utterances.map((u) => `${JSON.stringify(u)}\n`).join('');
