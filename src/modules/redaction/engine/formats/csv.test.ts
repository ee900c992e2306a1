import { describe, expect, it } from 'vitest';
import { InputError } from '../input.ts';
import { detectCsv, parseCsv, redactCsv, writeCsv } from './csv.ts';

const VISA = '4111111111111111';
const MC = '2221000000000009';
/** Every run of 4+ digits of a PAN, which must never survive redaction or appear in an error. */
const fragments = (pan: string) => {
  const out: string[] = [];
  for (let i = 0; i + 4 <= pan.length; i++) out.push(pan.slice(i, i + 4));
  return [...new Set(out)];
};
const expectNoCanary = (s: string) => {
  for (const pan of [VISA, MC]) expect(s).not.toContain(pan);
};
const errorOf = (f: () => unknown): InputError => {
  try {
    f();
  } catch (e) {
    return e as InputError;
  }
  throw new Error('expected an error');
};

describe('CSV parsing (RFC 4180)', () => {
  it('reads quoted fields, "" escapes, CRLF and LF, and line breaks inside quotes', () => {
    const text = 'a,b,c\r\n1,"x, ""y""","multi\r\nline"\n2,,"" \n';
    const doc = parseCsv(text.replace(' \n', '\n'), 'f.csv');
    expect(doc.records.map((r) => r.fields.map((f) => f.value))).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, "y"', 'multi\r\nline'],
      ['2', '', ''],
    ]);
    expect(doc.records.map((r) => r.line)).toEqual([1, 2, 4]);
    expect(doc.records[2]!.fields[2]!.quoted).toBe(true);
  });

  it('writes back byte for byte: quoting, line endings, BOM, trailing blank lines, no final newline', () => {
    for (const text of [
      'a,b\r\n1,"2"\r\n',
      '\uFEFFa,b\n"x\ny",z\n\n\n',
      'a\n1\n2',
      'name,"quoted header"\n"",plain\n',
    ]) {
      expect(writeCsv(parseCsv(text, 'f.csv'))).toBe(text);
    }
  });

  it('names line and column of malformed input and never quotes it', () => {
    const cases: Array<[string, RegExp]> = [
      [`a,b\n1,"${VISA}\n2,3\n`, /^f\.csv:2:3: unterminated quoted field/],
      [`a,b\n1,${VISA}"x\n`, /^f\.csv:2:19: stray quote/],
      [`a,b\n1,"${VISA}"x\n`, /^f\.csv:2:21: unexpected character after a closing quote/],
      [`a,b\n1,2\n${VISA},4,5\n`, /^f\.csv:3:20: row has 3 field\(s\), the header has 2 \(ragged row\)/],
      [`a,b\n1,2\n${VISA}\n`, /^f\.csv:3: row has 1 field\(s\), the header has 2/],
      ['', /^f\.csv: empty CSV/],
    ];
    for (const [text, message] of cases) {
      const e = errorOf(() => parseCsv(text, 'f.csv'));
      expect(e).toBeInstanceOf(InputError);
      expect(e.message).toMatch(message);
      for (const part of fragments(VISA).filter((p) => p !== '1111')) expect(e.message).not.toContain(part);
    }
  });

  it('parses in linear time (a million-character quoted field of escapes, 100k rows)', () => {
    const t0 = performance.now();
    parseCsv(`a\n"${'""'.repeat(500_000)}"\n`, 'f.csv');
    parseCsv(`a,b\n${'1,2\n'.repeat(100_000)}`, 'f.csv');
    expect(performance.now() - t0).toBeLessThan(10_000); // quadratic would take minutes
  });
});

describe('CSV detection and redaction', () => {
  const text =
    `id,name,note,card\r\n` +
    `1,Pat Lee,"paid, thanks",${VISA}\r\n` +
    `2,"Sam ""The Man"" Roe","card on file:\r\n2221 0000 0000 0009",\r\n` +
    `3,Kim Park,order 1234567890,\r\n`;

  it('reports findings per cell as "row N, column NAME"', () => {
    const cells = detectCsv(text, 'c.csv');
    expect(cells.map((c) => c.path)).toEqual(['row 1, column card', 'row 2, column note']);
    expect(cells[1]).toMatchObject({ row: 2, line: 3, column: 'note', column_index: 3 });
    expect(cells.every((c) => c.findings.every((f) => f.type === 'PAN'))).toBe(true);
  });

  it('redacts each cell and writes the same header, quoting and line endings back', () => {
    const { output, findings } = redactCsv(text, 'c.csv');
    expect(findings).toBe(2);
    expectNoCanary(output);
    for (const part of fragments(MC)) expect(output).not.toContain(part);
    expect(output).toBe(
      'id,name,note,card\r\n1,Pat Lee,"paid, thanks",[PAN]\r\n2,"Sam ""The Man"" Roe","card on file:\r\n[PAN]",\r\n3,Kim Park,order 1234567890,\r\n',
    );
    const back = parseCsv(output, 'out.csv');
    expect(back.records).toHaveLength(4);
    expect(back.records.every((r) => r.fields.length === 4)).toBe(true);
  });

  it('finds a card number written over two lines of one cell; each cell is scanned on its own', () => {
    const cells = detectCsv(`a,b\n"4111 1111\n1111 1111",x\n4111 1111,1111 1111\n`, 'c.csv');
    expect(cells.map((c) => c.path)).toEqual(['row 1, column a']);
  });

  it('--fields scans only the named columns, passes the others through untouched, refuses unknown names', () => {
    const { output } = redactCsv(text, 'c.csv', undefined, { fields: ['card'] });
    expect(output).toContain('[PAN]\r\n');
    expect(output).toContain('2221 0000 0000 0009'); // the note column was not selected
    expect(errorOf(() => detectCsv(text, 'c.csv', { fields: ['card', 'nope'] })).message).toBe(
      'c.csv: --fields names a column that is not in the header: "nope"',
    );
  });

  it('reads the column name as context, so a bare CVV, expiry or SSN under its header is found', () => {
    const { output } = redactCsv('name,cvv,expiry,ssn,qty\nPat,123,04/27,536904399,12\n,,,,\n', 'c.csv');
    expect(output).toBe('name,cvv,expiry,ssn,qty\nPat,[CVV],[CARD_EXPIRY],[US_SSN],12\n,,,,\n');
  });

  it('scans the header too (a file without one must not leak its first row), naming the column by position', () => {
    const cells = detectCsv(`${VISA},name\n${MC},Pat\n`, 'c.csv');
    expect(cells.map((c) => c.path)).toEqual(['header, column #1', 'row 1, column #1']);
    const { output } = redactCsv(`${VISA},name\n${MC},Pat\n`, 'c.csv');
    expect(output).toBe('[PAN],name\n[PAN],Pat\n');
  });
});
