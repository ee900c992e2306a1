import { describe, expect, it } from 'vitest';
import { detectChat, parseChat, redactChat } from './chat.ts';

const VISA = '4111111111111111';
const MC = '2221000000000009';
const msg = (conversation_id: string, sender: string, text: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ conversation_id, sender, timestamp: '2026-11-27T10:00:00Z', text, ...extra });
/** The 4-digit runs of the canary PANs that appear in `s` (there must be none after redaction). */
const canaryRuns = (s: string) =>
  [VISA, MC].flatMap((pan) =>
    [...pan].map((_, i) => pan.slice(i, i + 4)).filter((r) => r.length === 4 && s.includes(r)),
  );

describe('chat logs as JSONL', () => {
  const log = [
    msg('c-1', 'agent', 'Please type the card number'),
    msg('c-1', 'customer', '4111 1111'),
    msg('c-1', 'agent', 'ok'),
    msg('c-1', 'customer', '1111 1111'),
    msg('c-1', 'customer', 'and the other one is two two two one zero zero zero zero'),
    msg('c-1', 'customer', 'zero zero zero zero zero zero zero nine'),
  ].join('\n');

  it('finds a card number typed over consecutive customer messages, digits or words', () => {
    const found = detectChat(log, 'chat.jsonl');
    expect(found.map((m) => m.line)).toEqual([2, 4, 5, 6]);
    expect(found.every((m) => m.findings.every((f) => f.type === 'PAN'))).toBe(true);
    expect(found[0]).toMatchObject({ conversation: 'c-1' });
  });

  it('never joins messages of different conversations, even interleaved', () => {
    const other = [msg('a', 'customer', '4111 1111'), msg('b', 'customer', '1111 1111')].join('\n');
    expect(detectChat(other, 'x')).toEqual([]);
    const interleaved = [
      msg('a', 'customer', '4111 1111'),
      msg('b', 'customer', 'hello there'),
      msg('a', 'customer', '1111 1111'),
    ].join('\n');
    expect(detectChat(interleaved, 'x').map((m) => m.line)).toEqual([1, 3]);
  });

  it('redacts and writes JSONL back with the same keys; unknown fields are dropped', () => {
    const withChatId = `{"chat_id":7,"role":"customer","text":"card ${VISA}","note":"x","pan":${VISA}}\n`;
    const { output, findings } = redactChat(`${log}\n${withChatId}`, 'chat.jsonl');
    expect(findings).toBe(5);
    const lines = output
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(7);
    expect(lines[1]).toEqual({
      conversation_id: 'c-1',
      sender: 'customer',
      timestamp: '2026-11-27T10:00:00Z',
      text: '[PAN]',
      redactions: [{ type: 'PAN', rule: 'pan.spoken.multiturn' }],
    });
    expect(lines[6]).toMatchObject({ chat_id: 7, role: 'customer', text: 'card [PAN]' });
    expect(lines[6].note).toBeUndefined();
    expect(canaryRuns(output)).toEqual([]);
    expect(output).not.toMatch(/\bzero\b|\bnine\b/);
  });

  it('reads a card number written as a JSON number (above 2^53) without losing digits', () => {
    const { output } = redactChat(`{"chat_id":${MC},"sender":"customer","text":"hi"}\n`, 'c.jsonl');
    expect(JSON.parse(output)).toEqual({ chat_id: '[PAN]', sender: 'customer', text: 'hi' });
  });

  it('names the line of a malformed message and never quotes it', () => {
    const bad = (line: string) => () => redactChat(`${msg('c', 'agent', 'hi')}\n${line}\n`, 'c.jsonl');
    expect(bad(`{"sender":"customer","text":"${VISA}`)).toThrow(/^c\.jsonl:2: chat line is not valid JSON$/);
    expect(bad(JSON.stringify({ text: VISA }))).toThrow(
      /^c\.jsonl:2: field "sender" \(or "role"\) is missing$/,
    );
    expect(bad(JSON.stringify({ sender: 'x', text: 42 }))).toThrow(
      /^c\.jsonl:2: field "text" must be a string$/,
    );
  });
});

describe('chat logs as text lines', () => {
  const log = [
    '[12:01:30] Agent: how can I help?',
    '[12:01:52] Customer: 2221 0000',
    '[12:01:55] Agent: ok',
    '',
    'Customer: 0000 0009',
    'and that is all',
    '[12:02:10] Agent: order 1234567890 is paid',
    '',
  ].join('\r\n');

  it('reads timestamps, senders and continuation lines', () => {
    const doc = parseChat(log, 'chat.txt');
    expect(doc.messages.map((m) => [m.line, m.sender, m.timestamp ?? null])).toEqual([
      [1, 'Agent', '12:01:30'],
      [2, 'Customer', '12:01:52'],
      [3, 'Agent', '12:01:55'],
      [5, 'Customer', null],
      [7, 'Agent', '12:02:10'],
    ]);
    expect(doc.messages[3]!.text).toBe('0000 0009\nand that is all');
  });

  it('finds the split card and writes the same lines back, redacted', () => {
    expect(detectChat(log, 'chat.txt').map((m) => m.line)).toEqual([2, 5]);
    const { output } = redactChat(log, 'chat.txt');
    expect(output).toBe(
      [
        '[12:01:30] Agent: how can I help?',
        '[12:01:52] Customer: [PAN]',
        '[12:01:55] Agent: ok',
        '',
        'Customer: [PAN]',
        'and that is all',
        '[12:02:10] Agent: order 1234567890 is paid',
        '',
      ].join('\r\n'),
    );
  });

  it('refuses a first line that is not a chat line, naming it', () => {
    expect(() => parseChat(`${VISA} is my card\nAgent: hi\n`, 'chat.txt')).toThrow(
      /^chat\.txt:1:1: expected a chat line like "\[12:01:33\] Agent: text" or a JSON object$/,
    );
  });
});
