/**
 * Incremental redaction of a canonical JSONL call transcript arriving in chunks. A card number may
 * be read across up to four turns of one speaker while the other side backchannels ("mm-hmm"), so
 * an utterance is held back until no later turn can join it, then redacted with `redactCall` over a
 * window of earlier (already emitted) context, the held utterances and everything received after
 * them — the same findings as redacting the whole call at once.
 */
import { InputError, MAX_LINE_CHARS } from './input.ts';
import type { RedactionPolicy } from './mask.ts';
import { redactCall } from './pipeline.ts';
import {
  isBackchannelText,
  parseTranscriptJsonl,
  TranscriptFormatError,
  type Utterance,
} from './transcript.ts';

/** Most utterances held back; beyond this the oldest is redacted and emitted (bounded memory). */
export const MAX_HELD_UTTERANCES = 8;
/** Emitted utterances kept as context (cues and a PAN read earlier carry from turn to turn). */
export const CONTEXT_UTTERANCES = 8;
/** Turns of one speaker a split card number may span (mirrors transcript.ts). */
const MAX_PARTS = 4;

/** The same backchannel rule as the detector's, so holding and joining can never disagree. */
export { isBackchannelText };

/** A transcript redactor: each call returns complete redacted JSON lines (without newlines). */
export type TranscriptRedactor = { push(chunk: string): string[]; end(): string[] };

/** Serialises one redacted utterance exactly as `redactDocument` does. */
function serialise({ utterance, result }: ReturnType<typeof redactCall>[number]): string {
  const redactions = result.findings.map((f) => ({ type: f.type, rule: f.rule }));
  return JSON.stringify({
    ...utterance,
    ...(redactions.length > 0 ? { redactions, silence: result.audio } : {}),
  });
}

/**
 * True when no utterance after `held[i]` can still be joined to it: the other speaker said more
 * than a backchannel, or its speaker took {@link MAX_PARTS} more turns.
 */
function closed(held: Utterance[], i: number): boolean {
  const speaker = held[i]!.speaker;
  let turns = 0;
  for (let j = i + 1; j < held.length; j++) {
    const u = held[j]!;
    if (u.speaker === speaker) {
      turns += 1;
      if (turns >= MAX_PARTS) return true;
    } else if (!isBackchannelText(u.text)) return true;
  }
  return false;
}

/** Re-numbers a parse error of a single line to its line in the whole stream. */
function atLine(e: unknown, line: number): unknown {
  if (!(e instanceof TranscriptFormatError)) return e;
  const problem = e.message.replace(/^transcript line \d+: (field "[^"]*" )?/, '');
  return new TranscriptFormatError(line, e.field, problem);
}

/**
 * Creates an incremental redactor for JSONL transcripts. The lines returned by all calls, joined
 * with newlines, equal `redactDocument(all, 'transcript', policy).output` (without its final newline).
 * Hold-back: until the utterance is closed (see above) or at most {@link MAX_HELD_UTTERANCES}.
 * @throws TranscriptFormatError for a malformed line (numbered within the whole stream)
 * @throws InputError for a line over `MAX_LINE_CHARS`
 */
export function createTranscriptRedactor(policy?: RedactionPolicy, name = 'input'): TranscriptRedactor {
  let partial = '';
  let lineNo = 0;
  let blankAt: number | null = null;
  let context: Utterance[] = [];
  let held: Utterance[] = [];

  const emit = (count: number): string[] => {
    if (count === 0) return [];
    const window = [...context, ...held];
    const results = redactCall(window, policy).slice(context.length, context.length + count);
    context = [...context, ...held.slice(0, count)].slice(-CONTEXT_UTTERANCES);
    held = held.slice(count);
    return results.map(serialise);
  };

  const line = (raw: string): void => {
    lineNo += 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') {
      blankAt ??= lineNo;
      return;
    }
    // Blank lines are allowed only at the end, as in parseTranscriptJsonl.
    if (blankAt !== null) throw new TranscriptFormatError(blankAt, null, 'is blank');
    let parsed: Utterance[];
    try {
      parsed = parseTranscriptJsonl(text);
    } catch (e) {
      throw atLine(e, lineNo);
    }
    held.push(parsed[0]!);
  };

  return {
    push(chunk: string): string[] {
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      if (partial.length > MAX_LINE_CHARS)
        throw new InputError(`line is longer than ${MAX_LINE_CHARS} characters`, `${name}:${lineNo + 1}`);
      const out: string[] = [];
      for (const raw of lines) {
        if (raw.length > MAX_LINE_CHARS)
          throw new InputError(`line is longer than ${MAX_LINE_CHARS} characters`, `${name}:${lineNo + 1}`);
        line(raw);
        let count = 0;
        while (count < held.length && (held.length - count > MAX_HELD_UTTERANCES || closed(held, count)))
          count += 1;
        out.push(...emit(count));
      }
      return out;
    },
    end(): string[] {
      if (partial !== '') line(partial);
      partial = '';
      const out = emit(held.length);
      context = [];
      return out;
    },
  };
}
