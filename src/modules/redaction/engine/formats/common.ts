/**
 * Helpers shared by the document formats: errors that name a place but never quote content, JSON
 * parsing with a line and column, and progress reporting.
 */
import { InputError } from '../input.ts';
import type { Finding } from '../types.ts';

/** Called as units of a document (rows, cues, messages) are processed: characters done of the total. */
export type ProgressFn = (done: number, total: number) => void;

/** A malformed-input error at `name:line[:column]`; `problem` must never contain input content. */
export function formatError(name: string, line: number, column: number | null, problem: string): InputError {
  return new InputError(problem, column === null ? `${name}:${line}` : `${name}:${line}:${column}`);
}

/** 1-based line and column of a UTF-16 offset (linear scan). */
export function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: pos - lineStart + 1 };
}

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

/**
 * JSON.parse whose error names line and column; the parser's own message (which quotes input) is
 * dropped. Long numbers are read as strings (see {@link quoteLongNumbers}).
 */
export function parseJsonAt(text: string, name: string, what = 'malformed JSON'): unknown {
  try {
    return JSON.parse(quoteLongNumbers(text));
  } catch {
    try {
      JSON.parse(text);
    } catch (e) {
      const m = /position (\d+)/.exec((e as Error).message);
      const { line, column } = lineColumn(text, m ? Number(m[1]) : text.length);
      throw formatError(name, line, column, what);
    }
    throw formatError(name, 1, 1, what);
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The file's base name without its extension (a call or chat id for formats that carry none). */
export function baseName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Redaction report entry: the entity type and rule only, never the value. */
export const redactionOf = (f: Finding) => ({ type: f.type, rule: f.rule });
