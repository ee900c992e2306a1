/**
 * CSV documents (RFC 4180): a header row, fields separated by commas, quoted fields with `""`
 * escapes and line breaks inside, records ended by CRLF or LF. Every cell is scanned on its own
 * (a card number split over two cells is not joined) with its column name as context, so a bare
 * `123` under `cvv` is a CVV; the header is scanned too: a file without a header must not leak its
 * first row. `fields` restricts scanning to named columns; the others pass
 * through byte for byte. Redaction writes the same records back, keeping each field's quoting and
 * each record's line ending.
 */
import { detect } from '../detect.ts';
import { InputError } from '../input.ts';
import { applyOperators, type RedactionPolicy } from '../mask.ts';
import type { Finding } from '../types.ts';
import { formatError, type ProgressFn } from './common.ts';

/** One field as read: its value (escapes undone) and whether it was quoted. */
export type CsvField = { value: string; quoted: boolean };
/** One record: its fields, the 1-based line it starts on, and the line ending that closed it ('' at EOF). */
export type CsvRecord = { fields: CsvField[]; line: number; eol: string; end: number };
/** `trailer` holds blank lines after the last record, written back as they were. */
export type CsvDocument = { bom: boolean; records: CsvRecord[]; trailer: string };

/** Options of the CSV format: `fields` names the only columns to scan (default: all). */
export type CsvOptions = { fields?: readonly string[]; onProgress?: ProgressFn };

/**
 * Parses CSV in one linear pass. Throws {@link InputError} at `name:line:column` for an
 * unterminated quoted field, a quote inside an unquoted field, text after a closing quote, or a
 * record whose field count differs from the header's. Messages never quote the input.
 * @example parseCsv('a,b\n1,"x,y"\n', 'f.csv').records[1]?.fields[1] // { value: 'x,y', quoted: true }
 */
export function parseCsv(text: string, name: string): CsvDocument {
  const bom = text.charCodeAt(0) === 0xfeff;
  const n = text.length;
  let i = bom ? 1 : 0;
  let line = 1;
  let lineStart = i;
  const records: CsvRecord[] = [];
  const where = (pos: number) => pos - lineStart + 1;
  let trailer = '';
  while (i < n) {
    let j = i;
    while (j < n && (text.charCodeAt(j) === 10 || text.charCodeAt(j) === 13)) j += 1;
    if (j === n && records.length > 0) {
      trailer = text.slice(i);
      break;
    }
    const record: CsvRecord = { fields: [], line, eol: '', end: 0 };
    const starts: number[] = [];
    for (;;) {
      starts.push(where(i));
      let value: string;
      let quoted = false;
      if (text.charCodeAt(i) === 34) {
        quoted = true;
        const openLine = line;
        const openColumn = where(i);
        i += 1;
        let parts = '';
        let from = i;
        for (;;) {
          if (i >= n)
            throw formatError(name, openLine, openColumn, 'unterminated quoted field (no closing quote)');
          const c = text.charCodeAt(i);
          if (c === 34) {
            if (text.charCodeAt(i + 1) === 34) {
              parts += text.slice(from, i + 1);
              i += 2;
              from = i;
              continue;
            }
            parts += text.slice(from, i);
            i += 1;
            break;
          }
          if (c === 10) {
            line += 1;
            lineStart = i + 1;
          }
          i += 1;
        }
        value = parts;
        const c = text.charCodeAt(i);
        const crlf = c === 13 && text.charCodeAt(i + 1) === 10;
        if (i < n && c !== 44 && c !== 10 && !crlf)
          throw formatError(name, line, where(i), 'unexpected character after a closing quote');
      } else {
        const from = i;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === 44 || c === 10 || (c === 13 && text.charCodeAt(i + 1) === 10)) break;
          if (c === 34)
            throw formatError(
              name,
              line,
              where(i),
              'stray quote in an unquoted field (quote the whole field)',
            );
          i += 1;
        }
        value = text.slice(from, i);
      }
      record.fields.push({ value, quoted });
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === 44) {
        i += 1;
        continue;
      }
      record.eol = c === 13 ? '\r\n' : '\n';
      i += record.eol.length;
      line += 1;
      lineStart = i;
      break;
    }
    record.end = i;
    const header = records[0];
    if (header && record.fields.length !== header.fields.length) {
      const count = record.fields.length;
      const want = header.fields.length;
      const column = count > want ? starts[want]! : null;
      throw formatError(
        name,
        record.line,
        column,
        `row has ${count} field(s), the header has ${want} (ragged row)`,
      );
    }
    records.push(record);
  }
  if (records.length === 0) throw new InputError('empty CSV: expected a header row', name);
  return { bom, records, trailer };
}

const needsQuotes = (value: string) => /[",\r\n]/.test(value);

/** Writes records back: a field keeps its quotes, and gains them if its new value needs them. */
export function writeCsv(doc: CsvDocument): string {
  let out = doc.bom ? '\uFEFF' : '';
  for (const r of doc.records) {
    out += r.fields
      .map((f) => (f.quoted || needsQuotes(f.value) ? `"${f.value.replace(/"/g, '""')}"` : f.value))
      .join(',');
    out += r.eol;
  }
  return out + doc.trailer;
}

/** Findings of one cell. `row` counts data rows from 1 (0 is the header); `line` is where the record starts. */
export type CsvCellFindings = {
  row: number;
  line: number;
  column: string;
  column_index: number;
  path: string;
  findings: Finding[];
};

/** Which columns to scan, by index; an unknown name in `fields` is an error. */
function selectedColumns(header: CsvField[], fields: readonly string[] | undefined, name: string): boolean[] {
  if (!fields) return header.map(() => true);
  const picked = header.map(() => false);
  for (const wanted of fields) {
    let found = false;
    header.forEach((h, k) => {
      if (h.value === wanted) {
        picked[k] = true;
        found = true;
      }
    });
    if (!found)
      throw new InputError(
        `--fields names a column that is not in the header: ${JSON.stringify(wanted)}`,
        name,
      );
  }
  return picked;
}

/**
 * Scans a CSV document cell by cell. Returns the cells with findings (header cells as row 0) and
 * the document with every finding replaced under `policy` when `redact` is set.
 */
function scanCsv(
  text: string,
  name: string,
  options: CsvOptions,
  policy: RedactionPolicy | undefined,
  redact: boolean,
): { cells: CsvCellFindings[]; doc: CsvDocument } {
  const doc = parseCsv(text, name);
  const header = doc.records[0]!.fields;
  const scan = selectedColumns(header, options.fields, name);
  const cells: CsvCellFindings[] = [];
  // A header cell holding sensitive data is named by its position, never by its value.
  const headerFindings = header.map((h) => detect(h.value));
  const columnName = header.map((h, k) =>
    headerFindings[k]!.length > 0 || h.value === '' ? `#${k + 1}` : h.value,
  );
  const visit = (field: CsvField, findings: Finding[], row: number, line: number, k: number) => {
    if (findings.length === 0) return;
    const column = columnName[k]!;
    const path = row === 0 ? `header, column ${column}` : `row ${row}, column ${column}`;
    cells.push({ row, line, column, column_index: k + 1, path, findings });
    if (redact) field.value = applyOperators(field.value, findings, policy).text;
  };
  header.forEach((h, k) => {
    visit(h, headerFindings[k]!, 0, doc.records[0]!.line, k);
  });
  // The column name is the cue a bare value lacks ("cvv" over "123"): each cell is read as
  // "name: value", and findings are moved back onto the value.
  const cue = header.map((h, k) => (columnName[k] === h.value ? `${h.value}: ` : ''));
  const detectCell = (value: string, k: number): Finding[] => {
    if (value.trim() === '') return [];
    const prefix = cue[k]!;
    if (prefix === '') return detect(value);
    return detect(prefix + value)
      .filter((f) => f.end > prefix.length)
      .map((f) => ({ ...f, start: Math.max(0, f.start - prefix.length), end: f.end - prefix.length }));
  };
  for (let r = 1; r < doc.records.length; r++) {
    const record = doc.records[r]!;
    record.fields.forEach((f, k) => {
      if (scan[k]) visit(f, detectCell(f.value, k), r, record.line, k);
    });
    options.onProgress?.(record.end, text.length);
  }
  return { cells, doc };
}

/** Findings per cell of a CSV document (see {@link parseCsv} for errors). */
export function detectCsv(text: string, name: string, options: CsvOptions = {}): CsvCellFindings[] {
  return scanCsv(text, name, options, undefined, false).cells;
}

/** Redacts a CSV document cell by cell and writes it back with the same header and quoting. */
export function redactCsv(
  text: string,
  name: string,
  policy?: RedactionPolicy,
  options: CsvOptions = {},
): { output: string; findings: number } {
  const { cells, doc } = scanCsv(text, name, options, policy, true);
  return { output: writeCsv(doc), findings: cells.reduce((n, c) => n + c.findings.length, 0) };
}
