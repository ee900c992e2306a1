import { detect } from './detect.ts';
import { InputError, splitLines } from './input.ts';
import { applyOperators, type RedactionPolicy } from './mask.ts';
import { detectCall, redactCall } from './pipeline.ts';
import { parseTranscriptJsonl } from './transcript.ts';
import type { Finding } from './types.ts';

/** Document formats the CLI and API read and write back in the same shape. */
export const DOCUMENT_FORMATS = ['text', 'json', 'transcript'] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

/** Picks a format from a file name: `.jsonl` is a call transcript, `.json` a JSON document, else text. */
export function formatFromName(name: string): DocumentFormat {
  if (name.endsWith('.jsonl')) return 'transcript';
  if (name.endsWith('.json')) return 'json';
  return 'text';
}

export type DetectionReport =
  | { format: 'text'; findings: Finding[] }
  | { format: 'json'; fields: Array<{ path: string; findings: Finding[] }> }
  | {
      format: 'transcript';
      utterances: Array<{ line: number; findings: Finding[]; audio: Array<{ start: number; end: number }> }>;
    };

type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/**
 * JSON numbers above 2^53 lose digits in JSON.parse, so a 19-digit card number written as a number
 * would be altered and then missed. Numeric literals of 16+ digits are quoted before parsing
 * (they come back as strings), outside string literals only. Linear scan.
 */
export function quoteLongNumbers(text: string): string {
  let out = '';
  let i = 0;
  let last = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      i += 1;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i += 1;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + (c === '-' ? 1 : 0);
      let digits = 0;
      while (j < text.length && /[0-9.eE+-]/.test(text[j]!)) {
        if (text[j]! >= '0' && text[j]! <= '9') digits += 1;
        j += 1;
      }
      if (digits >= 16) {
        out += `${text.slice(last, i)}"${text.slice(i, j)}"`;
        last = j;
      }
      i = Math.max(j, i + 1);
      continue;
    }
    i += 1;
  }
  return out + text.slice(last);
}

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

/** Finds entities in a document; line formats report per line. */
export function detectDocument(text: string, format: DocumentFormat, name = 'input'): DetectionReport {
  if (format === 'text') return { format, findings: detect(text) };
  if (format === 'json') {
    const fields: Array<{ path: string; findings: Finding[] }> = [];
    mapStrings(parseJson(text, name), '$', (s, path) => {
      const findings = detect(s);
      if (findings.length > 0) fields.push({ path, findings });
      return s;
    });
    return { format, fields };
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
): { output: string; findings: number } {
  if (format === 'text') {
    const findings = detect(text);
    return { output: applyOperators(text, findings, policy).text, findings: findings.length };
  }
  if (format === 'json') {
    let count = 0;
    const redacted = mapStrings(parseJson(text, name), '$', (s) => {
      const findings = detect(s);
      count += findings.length;
      return findings.length > 0 ? applyOperators(s, findings, policy).text : s;
    });
    return { output: `${JSON.stringify(redacted, null, 2)}\n`, findings: count };
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
