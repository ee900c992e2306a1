/**
 * The canonical call-transcript model: one utterance per JSONL line,
 * `{"call_id","speaker","start","end","text","words"?:[{"w","start","end"}]}`, times in seconds.
 */

/** One recognised word with its audio timing (seconds). */
export type UtteranceWord = { w: string; start: number; end: number };

/** One turn of a call. `words`, when present, appear in order within `text`. */
export type Utterance = {
  call_id: string;
  speaker: string;
  start: number;
  end: number;
  text: string;
  words?: UtteranceWord[];
};

/**
 * A malformed transcript line. `line` is 1-based; `field` names the offending field (`words[3].end`)
 * or is null when the line is not a JSON object. Messages never quote the line's content, which may
 * hold card data.
 */
export class TranscriptFormatError extends Error {
  override name = 'TranscriptFormatError';
  constructor(
    readonly line: number,
    readonly field: string | null,
    problem: string,
  ) {
    super(
      field === null
        ? `transcript line ${line}: ${problem}`
        : `transcript line ${line}: field "${field}" ${problem}`,
    );
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Record<string, unknown>, key: string, line: number, allowEmpty: boolean): string {
  const v = o[key];
  if (v === undefined) throw new TranscriptFormatError(line, key, 'is missing');
  if (typeof v !== 'string') throw new TranscriptFormatError(line, key, 'must be a string');
  if (!allowEmpty && v.length === 0) throw new TranscriptFormatError(line, key, 'must not be empty');
  return v;
}

function seconds(o: Record<string, unknown>, key: string, line: number, field = key): number {
  const v = o[key];
  if (v === undefined) throw new TranscriptFormatError(line, field, 'is missing');
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new TranscriptFormatError(line, field, 'must be a finite number of seconds, at least 0');
  }
  return v;
}

function words(v: unknown, line: number): UtteranceWord[] {
  if (!Array.isArray(v)) throw new TranscriptFormatError(line, 'words', 'must be an array');
  return v.map((item: unknown, i) => {
    const at = `words[${i}]`;
    if (!isObject(item)) throw new TranscriptFormatError(line, at, 'must be an object');
    if (typeof item.w !== 'string') throw new TranscriptFormatError(line, `${at}.w`, 'must be a string');
    const start = seconds(item, 'start', line, `${at}.start`);
    const end = seconds(item, 'end', line, `${at}.end`);
    if (end < start) throw new TranscriptFormatError(line, `${at}.end`, 'must not be before start');
    return { w: item.w, start, end };
  });
}

/** Validates one parsed line; unknown fields are dropped (they would escape redaction). */
function utterance(v: unknown, line: number): Utterance {
  if (!isObject(v)) throw new TranscriptFormatError(line, null, 'is not a JSON object');
  const start = seconds(v, 'start', line);
  const end = seconds(v, 'end', line);
  if (end < start) throw new TranscriptFormatError(line, 'end', 'must not be before start');
  const u: Utterance = {
    call_id: str(v, 'call_id', line, false),
    speaker: str(v, 'speaker', line, false),
    start,
    end,
    text: str(v, 'text', line, true),
  };
  if (v.words !== undefined && v.words !== null) u.words = words(v.words, line);
  return u;
}

/**
 * Parses a JSONL transcript. Blank lines are allowed only at the end, so utterance `i` is always
 * line `i + 1`. Throws {@link TranscriptFormatError} naming the line and field of the first problem.
 */
export function parseTranscriptJsonl(text: string): Utterance[] {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines.map((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') throw new TranscriptFormatError(line, null, 'is blank');
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // The parser's own message quotes the input, so it is not passed on.
      throw new TranscriptFormatError(line, null, 'is not valid JSON');
    }
    return utterance(parsed, line);
  });
}
