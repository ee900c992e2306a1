import { describe, expect, it } from 'vitest';
import { detectDocument, redactDocument } from '../documents.ts';
import { InputError } from '../input.ts';

const CARD = '4111111111111111';

describe('generic JSON Lines (--format jsonl)', () => {
  const text = `{"id":1,"note":"card ${CARD.replace(/(\d{4})(?=\d)/g, '$1 ')}"}\n\n{"id":2,"pan":${CARD},"ok":"hello"}\n`;

  it('reports findings per line and field path, long numbers included', () => {
    const report = detectDocument(text, 'jsonl');
    expect(report.lines.map((l) => [l.line, l.fields.map((f) => f.path)])).toEqual([
      [1, ['$.note']],
      [3, ['$.pan']],
    ]);
  });

  it('writes every record back on its own line, blank lines kept, with no card digits left', () => {
    const { output, findings } = redactDocument(text, 'jsonl');
    expect(findings).toBe(2);
    const lines = output.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({ id: 1, note: 'card [PAN]' });
    expect(JSON.parse(lines[2]!)).toEqual({ id: 2, pan: '[PAN]', ok: 'hello' });
    expect(output).not.toMatch(/4111|1111/);
  });

  it('refuses a malformed line naming its number, never quoting it', () => {
    const bad = `{"a":1}\n{"pan":"${CARD}",\n`;
    expect(() => redactDocument(bad, 'jsonl', undefined, 'f.jsonl')).toThrow(InputError);
    expect(() => redactDocument(bad, 'jsonl', undefined, 'f.jsonl')).toThrow('f.jsonl:2: malformed JSON');
    let message = '';
    try {
      detectDocument(bad, 'jsonl', 'f.jsonl');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('f.jsonl:2: malformed JSON');
    expect(message).not.toContain(CARD);
  });
});
