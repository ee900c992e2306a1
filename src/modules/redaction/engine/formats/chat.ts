/**
 * Chat logs, in either of two shapes (chosen by the first non-blank line):
 *
 * - JSONL, one message a line: `{"conversation_id"|"chat_id", "sender"|"role", "timestamp"?, "text"}`.
 *   The conversation id may be left out (one conversation). Other fields are dropped on redaction,
 *   as with transcripts: a field the engine does not know would escape it.
 * - Plain text, one message a line: `[12:01:33] Agent: text` or `Customer: text` (the bracketed
 *   timestamp is optional; the sender starts with a letter and is at most 40 characters). A line
 *   without a sender continues the message above; blank lines are kept.
 *
 * Messages are mapped to utterances of one call per conversation, with synthetic times (message k
 * of a conversation is second k): typing gaps are not speech pauses, so they never stop a card
 * number typed over several messages ("4111 1111", then "1111 1111") from being joined.
 */
import { detect } from '../detect.ts';
import { splitLines } from '../input.ts';
import { applyOperators, type RedactionPolicy } from '../mask.ts';
import { detectCall, redactCall } from '../pipeline.ts';
import type { Utterance } from '../transcript.ts';
import type { Finding } from '../types.ts';
import { formatError, isObject, type ProgressFn, quoteLongNumbers, redactionOf } from './common.ts';

/** One message: where it is, who sent it, its text; `keys` remembers the JSON field names used. */
export type ChatMessage = {
  line: number;
  conversation: string | null;
  sender: string;
  timestamp?: string | number;
  text: string;
  keys?: { conversation: 'conversation_id' | 'chat_id'; sender: 'sender' | 'role' };
  /** a numeric conversation id, written back as a number */
  numericConversation?: boolean;
};

type TextEntry = { kind: 'raw'; raw: string } | { kind: 'message'; index: number; prefix: string };
type ChatDocument =
  | { shape: 'jsonl'; messages: ChatMessage[]; lines: Array<number | null>; eols: string[] }
  | { shape: 'text'; messages: ChatMessage[]; entries: TextEntry[]; eols: string[] };

const TEXT_LINE = /^(\[[^\]\n]{1,40}\]\s*)?(\p{L}[\p{L}\p{N} ._'-]{0,39}):[ \t]?/u;

function chatString(o: Record<string, unknown>, keys: string[], name: string, line: number): string | null {
  for (const k of keys) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string' && v.length > 0) return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    throw formatError(name, line, null, `field "${k}" must be a non-empty string`);
  }
  return null;
}

function jsonMessage(raw: string, name: string, line: number): ChatMessage {
  let v: unknown;
  try {
    v = JSON.parse(quoteLongNumbers(raw));
  } catch {
    throw formatError(name, line, null, 'chat line is not valid JSON');
  }
  if (!isObject(v)) throw formatError(name, line, null, 'chat line is not a JSON object');
  const sender = chatString(v, ['sender', 'role'], name, line);
  if (sender === null) throw formatError(name, line, null, 'field "sender" (or "role") is missing');
  if (typeof v.text !== 'string') throw formatError(name, line, null, 'field "text" must be a string');
  const ts = v.timestamp;
  if (ts !== undefined && ts !== null && typeof ts !== 'string' && typeof ts !== 'number')
    throw formatError(name, line, null, 'field "timestamp" must be a string or a number');
  const m: ChatMessage = {
    line,
    conversation: chatString(v, ['conversation_id', 'chat_id'], name, line),
    sender,
    text: v.text,
    keys: {
      conversation:
        v.conversation_id === undefined && v.chat_id !== undefined ? 'chat_id' : 'conversation_id',
      sender: v.sender === undefined ? 'role' : 'sender',
    },
  };
  if (ts !== undefined && ts !== null) m.timestamp = ts;
  if (typeof (v.conversation_id ?? v.chat_id) === 'number') m.numericConversation = true;
  return m;
}

/**
 * Parses a chat log (see the module comment). Throws InputError at `name:line` for a line that is
 * neither; messages never quote the input.
 */
export function parseChat(text: string, name: string): ChatDocument {
  const raw = splitLines(text, name).filter((l) => l.length > 0);
  const eols = raw.map((l) => /\r?\n$/.exec(l)?.[0] ?? '');
  const lines = raw.map((l, k) => l.slice(0, l.length - eols[k]!.length));
  const first = lines.find((l) => l.trim() !== '');
  const messages: ChatMessage[] = [];
  if (first?.trimStart().startsWith('{')) {
    const at = lines.map((l, k) => {
      if (l.trim() === '') return null;
      messages.push(jsonMessage(l, name, k + 1));
      return messages.length - 1;
    });
    return { shape: 'jsonl', messages, lines: at, eols };
  }
  const entries: TextEntry[] = [];
  let current: ChatMessage | null = null;
  lines.forEach((l, k) => {
    const m = TEXT_LINE.exec(l);
    if (m) {
      current = {
        line: k + 1,
        conversation: null,
        sender: m[2]!,
        text: l.slice(m[0].length),
        ...(m[1] ? { timestamp: m[1].trim().slice(1, -1) } : {}),
      };
      messages.push(current);
      entries.push({ kind: 'message', index: messages.length - 1, prefix: m[0] });
    } else if (l.trim() === '') entries.push({ kind: 'raw', raw: l });
    else if (current) {
      (current as ChatMessage).text += `\n${l}`;
    } else {
      throw formatError(
        name,
        k + 1,
        1,
        'expected a chat line like "[12:01:33] Agent: text" or a JSON object',
      );
    }
  });
  return { shape: 'text', messages, entries, eols };
}

/** Messages grouped by conversation (in first-seen order), each as the utterances of one call. */
function conversations(
  messages: ChatMessage[],
  name: string,
): Array<{ indices: number[]; utterances: Utterance[] }> {
  const groups = new Map<string, number[]>();
  messages.forEach((m, k) => {
    const id = m.conversation ?? name;
    const g = groups.get(id);
    if (g) g.push(k);
    else groups.set(id, [k]);
  });
  return [...groups.entries()].map(([id, indices]) => ({
    indices,
    utterances: indices.map((k, t) => ({
      call_id: id,
      speaker: messages[k]!.sender.trim().toLowerCase(),
      start: t,
      end: t,
      text: messages[k]!.text,
    })),
  }));
}

export type ChatMessageFindings = { line: number; conversation?: string; findings: Finding[] };

/** Findings per message (only messages with findings, in file order); offsets are into the message text. */
export function detectChat(text: string, name: string, onProgress?: ProgressFn): ChatMessageFindings[] {
  const doc = parseChat(text, name);
  const found = new Map<number, Finding[]>();
  let done = 0;
  for (const c of conversations(doc.messages, name)) {
    for (const r of detectCall(c.utterances))
      if (r.findings.length > 0) found.set(c.indices[r.index]!, r.findings);
    done += c.indices.length;
    onProgress?.(Math.round((text.length * done) / doc.messages.length), text.length);
  }
  return [...found.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([k, findings]) => {
      const m = doc.messages[k]!;
      return { line: m.line, ...(m.conversation !== null ? { conversation: m.conversation } : {}), findings };
    });
}

/** Redacts a chat log and writes it back in its own shape (JSONL or text lines). */
export function redactChat(
  text: string,
  name: string,
  policy?: RedactionPolicy,
  onProgress?: ProgressFn,
): { output: string; findings: number } {
  const doc = parseChat(text, name);
  const redacted: Array<{ text: string; findings: Finding[] }> = doc.messages.map((m) => ({
    text: m.text,
    findings: [],
  }));
  let done = 0;
  for (const c of conversations(doc.messages, name)) {
    for (const { utterance, result } of redactCall(c.utterances, policy))
      redacted[c.indices[result.index]!] = { text: utterance.text, findings: result.findings };
    done += c.indices.length;
    onProgress?.(Math.round((text.length * done) / doc.messages.length), text.length);
  }
  let findings = redacted.reduce((n, r) => n + r.findings.length, 0);
  // Ids, senders and timestamps are not message text, but nothing passes unscanned.
  const scrub = (s: string): string => {
    const f = detect(s);
    findings += f.length;
    return f.length > 0 ? applyOperators(s, f, policy).text : s;
  };
  let out = '';
  if (doc.shape === 'jsonl') {
    doc.lines.forEach((k, line) => {
      if (k !== null) {
        const m = doc.messages[k]!;
        const r = redacted[k]!;
        const o: Record<string, unknown> = {};
        if (m.conversation !== null) {
          const id = scrub(m.conversation);
          o[m.keys!.conversation] = m.numericConversation && id === m.conversation ? Number(id) : id;
        }
        o[m.keys!.sender] = scrub(m.sender);
        if (m.timestamp !== undefined)
          o.timestamp = typeof m.timestamp === 'string' ? scrub(m.timestamp) : m.timestamp;
        o.text = r.text;
        if (r.findings.length > 0) o.redactions = r.findings.map(redactionOf);
        out += JSON.stringify(o);
      }
      out += doc.eols[line] ?? '';
    });
    return { output: out, findings };
  }
  const eol = doc.eols.find((e) => e !== '') ?? '\n';
  const lines: string[] = [];
  for (const e of doc.entries) {
    if (e.kind === 'raw') lines.push(e.raw);
    else {
      const [head, ...rest] = redacted[e.index]!.text.split('\n');
      lines.push(scrub(e.prefix) + head, ...rest);
    }
  }
  const last = doc.eols[doc.eols.length - 1] ?? '';
  return { output: lines.join(eol) + (last === '' ? '' : eol), findings };
}
