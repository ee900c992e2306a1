/**
 * How the redaction workbench sends a file to the API and writes the result back in the same
 * format. POST /v1/detect and /v1/redact take free text, a JSON document or canonical transcript
 * utterances; POST /v1/redact/stream takes large text or JSONL transcripts. Nothing here stores
 * the content anywhere: it lives in component state only.
 */

/** The formats POST /v1/detect and /v1/redact read from a `{file, format}` body. */
export const FILE_FORMATS = [
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
export type FileFormat = (typeof FILE_FORMATS)[number];

export const FORMAT_LABEL: Record<FileFormat, string> = {
  text: 'Plain text',
  json: 'JSON document',
  jsonl: 'JSON Lines (any records)',
  transcript: 'Call transcript (JSONL utterances)',
  csv: 'CSV',
  chat: 'Chat log (JSONL messages)',
  vtt: 'WebVTT subtitles',
  srt: 'SubRip subtitles',
  aws: 'Amazon Transcribe JSON',
};

/** Larger files go to the streaming route (text and transcripts only); /v1/redact takes 8 MiB of JSON. */
export const INLINE_LIMIT_BYTES = 6 * 1024 * 1024;

const AWS_SHAPE = [/"results"\s*:\s*\{/, /"items"\s*:\s*\[/, /"alternatives"\s*:\s*\[/];

/**
 * JSON numbers above 2^53 lose digits in JSON.parse, so a card number written as a number would be
 * altered before the server sees it. Numbers of 16+ digits are quoted before parsing (the server
 * does the same for its own formats). Outside string literals only; linear.
 */
export function quoteLongNumbers(text: string): string {
  let out = '';
  let i = 0;
  let last = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      i += 1;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i += 1;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + (c === '-' ? 1 : 0);
      let digits = 0;
      while (j < text.length && /[0-9.eE+-]/.test(text[j] as string)) {
        if ((text[j] as string) >= '0' && (text[j] as string) <= '9') digits += 1;
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

const UTTERANCE_KEYS = ['call_id', 'speaker', 'start', 'end', 'text'];

/**
 * The likely format of a file from its name and first line: `.jsonl` is a call transcript when its
 * lines are utterances, a chat log when they carry a sender, else generic JSON Lines; a `.json` file
 * shaped like Amazon Transcribe output is `aws` (as the server's own guess does).
 */
export function guessFormat(name: string, text: string): FileFormat {
  const n = name.toLowerCase();
  if (n.endsWith('.vtt')) return 'vtt';
  if (n.endsWith('.srt')) return 'srt';
  if (n.endsWith('.csv')) return 'csv';
  if (n.endsWith('.json')) return AWS_SHAPE.every((re) => re.test(text)) ? 'aws' : 'json';
  if (n.endsWith('.jsonl') || n.endsWith('.ndjson')) {
    const first = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
    try {
      const value = JSON.parse(quoteLongNumbers(first)) as Record<string, unknown>;
      if (UTTERANCE_KEYS.every((k) => k in value)) return 'transcript';
      if ('sender' in value || 'author' in value || 'role' in value) return 'chat';
    } catch {
      // the server names the malformed line
    }
    return 'jsonl';
  }
  return 'text';
}

/** A file's text as UTF-8, or null when it is not (binary, another encoding). */
export function decodeUtf8(bytes: ArrayBuffer): string | null {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.includes('\u0000') ? null : text;
  } catch {
    return null;
  }
}

/** Every string of a JSON value by the path the API reports (`$.a.b[0]["odd key"]`). */
export function stringsByPath(
  value: unknown,
  path = '$',
  out = new Map<string, string>(),
): Map<string, string> {
  if (typeof value === 'string') out.set(path, value);
  else if (typeof value === 'number') out.set(path, String(value));
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) stringsByPath(v, `${path}[${i}]`, out);
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value))
      stringsByPath(v, /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, out);
  return out;
}

const MEDIA: Record<FileFormat, { ext: string; type: string }> = {
  text: { ext: 'txt', type: 'text/plain' },
  json: { ext: 'json', type: 'application/json' },
  jsonl: { ext: 'jsonl', type: 'application/x-ndjson' },
  transcript: { ext: 'jsonl', type: 'application/x-ndjson' },
  csv: { ext: 'csv', type: 'text/csv' },
  chat: { ext: 'jsonl', type: 'application/x-ndjson' },
  vtt: { ext: 'vtt', type: 'text/vtt' },
  srt: { ext: 'srt', type: 'application/x-subrip' },
  aws: { ext: 'json', type: 'application/json' },
};

/** Name and media type of a redacted file: the input's name and extension, marked as redacted. */
export function downloadOf(inputName: string | null, format: FileFormat): { name: string; type: string } {
  const dot = inputName ? inputName.lastIndexOf('.') : -1;
  const base = inputName ? (dot > 0 ? inputName.slice(0, dot) : inputName) : 'pasted-text';
  const ext = inputName && dot > 0 ? inputName.slice(dot + 1) : MEDIA[format].ext;
  return { name: `${base}.redacted.${ext}`, type: `${MEDIA[format].type};charset=utf-8` };
}

/** Saves text as a file through a short-lived object URL (nothing written to storage). */
export function saveText(text: string, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
