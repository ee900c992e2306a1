import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createProgress, PROGRESS_MIN_BYTES } from '../../src/cli/progress.ts';
import { parseCsv } from '../../src/modules/redaction/engine/formats/csv.ts';
import { parseSubtitles } from '../../src/modules/redaction/engine/formats/subtitles.ts';
import { parseTranscriptJsonl } from '../../src/modules/redaction/engine/transcript.ts';
import { type CliResult, runBulwark } from '../support/cli.ts';

const VISA = '4111111111111111';
/** Carriage return and "erase line": how the bar redraws and clears itself. */
const CLEAR = '\r\x1b[2K';
const MC = '2221000000000009';
const fixtures = path.resolve(import.meta.dirname, '../fixtures');
const fixture = (name: string) => path.join(fixtures, name);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-formats-'));
const env = {
  PATH: process.env.PATH ?? '',
  HOME: tmp,
  BULWARK_DATA_DIR: path.join(tmp, 'data'),
  BULWARK_KEY_DIR: path.join(tmp, 'keys'),
};
const write = (name: string, data: string) => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, data);
  return p;
};
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** No 4-digit run of either canary PAN may appear anywhere in what the CLI printed. */
function expectNoCanary(r: CliResult): void {
  const all = r.stdout + r.stderr;
  for (const pan of [VISA, MC])
    for (let i = 0; i + 4 <= pan.length; i++)
      expect(all, pan.slice(i, i + 4)).not.toContain(pan.slice(i, i + 4));
}

/** Bad input: exit 1, nothing on stdout, one error line naming where, no card data. */
function expectRefused(r: CliResult, where: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(where);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expectNoCanary(r);
}

describe('bulwark detect / redact: CSV', { timeout: 120_000 }, () => {
  it('detects per cell, redacts with the same header and quoting, restricts with --fields', async () => {
    const det = await runBulwark(['detect', fixture('customers.csv'), '--json'], env);
    expect(det.code).toBe(0);
    expect(JSON.parse(det.stdout).cells.map((c: { path: string }) => c.path)).toEqual([
      'row 1, column card',
      'row 2, column note',
    ]);
    const red = await runBulwark(['redact', fixture('customers.csv')], env);
    expect(red.code).toBe(0);
    expect(red.stderr).toBe('2 finding(s) redacted\n');
    expectNoCanary(red);
    const doc = parseCsv(red.stdout, 'out.csv');
    expect(doc.records[0]!.fields.map((f) => f.value)).toEqual(['id', 'name', 'note', 'card']);
    expect(doc.records[2]!.fields[1]).toEqual({ value: 'Sam "The Man" Roe', quoted: true });
    expect(red.stdout).toContain('\r\n');
    const only = await runBulwark(['redact', fixture('customers.csv'), '--fields', 'card,name'], env);
    expect(only.stdout).toContain('2221 0000 0000 0009');
    expect(only.stdout).not.toContain(VISA);
  });

  it('refuses malformed CSV and unknown --fields naming where', async () => {
    expectRefused(
      await runBulwark(['redact', write('stray.csv', `a,b\n1,2\n3,${VISA}"x\n`)], env),
      /^error: .*stray\.csv:3:19: stray quote/,
    );
    expectRefused(
      await runBulwark(['detect', write('open.csv', `a,b\n1,"${MC}\n`), '--json'], env),
      /^error: .*open\.csv:2:3: unterminated quoted field/,
    );
    expectRefused(
      await runBulwark(['redact', write('ragged.csv', `a,b\n1,2,${MC}\n`)], env),
      /^error: .*ragged\.csv:2:5: row has 3 field\(s\), the header has 2/,
    );
    expectRefused(
      await runBulwark(['redact', fixture('customers.csv'), '--fields', 'card,pan'], env),
      /customers\.csv: --fields names a column that is not in the header: "pan"/,
    );
    expectRefused(
      await runBulwark(['redact', fixture('call.srt'), '--fields', 'card'], env),
      /--fields applies to CSV input only/,
    );
  });
});

describe('bulwark detect / redact: chat logs', { timeout: 120_000 }, () => {
  it('finds a card typed over two messages (JSONL) and writes JSONL back', async () => {
    const det = await runBulwark(['detect', fixture('chat.jsonl'), '--format', 'chat', '--json'], env);
    expect(det.code).toBe(0);
    expect(JSON.parse(det.stdout).messages.map((m: { line: number }) => m.line)).toEqual([5, 6, 7, 9]);
    const red = await runBulwark(['redact', fixture('chat.jsonl'), '--format', 'chat'], env);
    expect(red.code).toBe(0);
    expectNoCanary(red);
    const lines = red.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(11);
    expect(lines[4]).toMatchObject({ conversation_id: 'c-1', sender: 'customer', text: '[PAN]' });
    expect(lines[6]).toMatchObject({ conversation_id: 'c-1', sender: 'customer', text: '[PAN]' });
    expect(red.stdout).not.toMatch(/\bzero\b/);
  });

  it('reads "[time] Sender: text" lines and writes them back', async () => {
    const red = await runBulwark(['redact', fixture('chat.txt'), '--format', 'chat'], env);
    expect(red.code).toBe(0);
    expectNoCanary(red);
    expect(red.stdout.split('\n')[3]).toBe('[12:01:52] Customer: [PAN]');
    expect(red.stdout.split('\n')[5]).toBe('[12:01:58] Customer: [PAN]');
    expect(red.stdout.split('\n')).toHaveLength(
      fs.readFileSync(fixture('chat.txt'), 'utf8').split('\n').length,
    );
  });

  it('refuses a malformed message naming its line', async () => {
    const bad = `${fs.readFileSync(fixture('chat.jsonl'), 'utf8')}{"sender":"customer","text":"${VISA}"\n`;
    expectRefused(
      await runBulwark(['redact', write('bad-chat.jsonl', bad), '--format', 'chat'], env),
      /bad-chat\.jsonl:12: chat line is not valid JSON/,
    );
    expectRefused(
      await runBulwark(['detect', '-', '--format', 'chat'], env, `card ${MC}\n`),
      /stdin:1:1: expected a chat line/,
    );
  });
});

describe('bulwark detect / redact: WebVTT and SRT', { timeout: 120_000 }, () => {
  it('finds a card read across cues, with the audio to silence, and writes VTT back', async () => {
    const det = await runBulwark(['detect', fixture('call.vtt'), '--json'], env);
    expect(det.code).toBe(0);
    const { cues } = JSON.parse(det.stdout);
    expect(cues.map((c: { cue: number }) => c.cue)).toEqual([3, 5, 6]);
    expect(cues[0].audio).toEqual([{ start: 8.25, end: 13.15 }]);
    expect(cues[1].audio).toEqual([{ start: 13.55, end: 18.15 }]);
    const red = await runBulwark(['redact', fixture('call.vtt')], env);
    expect(red.code).toBe(0);
    expectNoCanary(red);
    const before = parseSubtitles(fs.readFileSync(fixture('call.vtt'), 'utf8'), 'vtt', 'call.vtt');
    const after = parseSubtitles(red.stdout, 'vtt', 'out.vtt');
    expect(after.cues.map((c) => [c.start, c.end, c.speaker])).toEqual(
      before.cues.map((c) => [c.start, c.end, c.speaker]),
    );
    expect(after.cues[2]!.text).toBe("<v Customer>It's [PAN]");
  });

  it('does the same for SRT, and converts to a redacted canonical transcript with --to transcript', async () => {
    const red = await runBulwark(['redact', fixture('call.srt')], env);
    expect(red.code).toBe(0);
    expectNoCanary(red);
    expect(parseSubtitles(red.stdout, 'srt', 'o.srt').cues.map((c) => c.plain)).toEqual([
      'Thanks for calling, how can I help you today?',
      "It's [PAN]",
      '[PAN]',
      'My other card is [PAN], order 1234567890',
    ]);
    const to = await runBulwark(['redact', fixture('call.vtt'), '--to', 'transcript'], env);
    expect(to.code).toBe(0);
    expectNoCanary(to);
    const lines = to.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[2]).toMatchObject({ call_id: 'call', speaker: 'Customer', text: "It's [PAN]" });
    expect(lines[2].silence).toEqual([{ start: 8.25, end: 13.15 }]);
  });

  it('refuses malformed subtitles naming line and column', async () => {
    expectRefused(
      await runBulwark(
        ['redact', write('bad.vtt', `WEBVTT\n\n00:00:01.000 --> 00:0x:02.000\n${VISA}\n`)],
        env,
      ),
      /bad\.vtt:3:18: malformed timestamp/,
    );
    expectRefused(
      await runBulwark(['detect', write('bad.srt', `1\n${MC}\nhello\n`)], env),
      /bad\.srt:2: expected a cue timing line/,
    );
    expectRefused(
      await runBulwark(['redact', write('novtt.vtt', `${VISA}\n`)], env),
      /novtt\.vtt:1:1: not a WebVTT/,
    );
  });
});

describe('bulwark detect / redact: Amazon Transcribe', { timeout: 120_000 }, () => {
  it('detects with word-accurate audio spans and redacts every copy of the text', async () => {
    const det = await runBulwark(
      ['detect', fixture('aws-transcribe.json'), '--format', 'aws', '--json'],
      env,
    );
    expect(det.code).toBe(0);
    const { utterances } = JSON.parse(det.stdout);
    expect(utterances[0].audio).toEqual([{ start: 8.65, end: 12.25 }]);
    const red = await runBulwark(['redact', fixture('aws-transcribe.json'), '--format', 'aws'], env);
    expect(red.code).toBe(0);
    expectNoCanary(red);
    const out = JSON.parse(red.stdout);
    expect(out.results.items).toHaveLength(
      JSON.parse(fs.readFileSync(fixture('aws-transcribe.json'), 'utf8')).results.items.length,
    );
    expect(out.bulwark_redactions.silence).toHaveLength(3);
    expect(out.results.transcripts[0].transcript).toContain('[PAN]');
    // A .json file that is Transcribe output is read as such, never as loose JSON strings.
    const guessed = await runBulwark(['redact', fixture('aws-transcribe.json')], env);
    expect(guessed.stdout).toBe(red.stdout);
  });

  it('imports AWS, VTT and SRT into canonical transcript JSONL', async () => {
    const aws = await runBulwark(
      ['transcript', 'import', fixture('aws-transcribe.json'), '--from', 'aws'],
      env,
    );
    expect(aws.code).toBe(0);
    const utterances = parseTranscriptJsonl(aws.stdout);
    expect(utterances).toHaveLength(6);
    expect(utterances[1]!.words!.find((w) => w.w === 'four')).toEqual({ w: 'four', start: 8.9, end: 9.2 });
    const srt = await runBulwark(['transcript', 'import', fixture('call.srt')], env);
    expect(parseTranscriptJsonl(srt.stdout)).toHaveLength(4);
    const vtt = await runBulwark(
      ['transcript', 'import', '-', '--from', 'vtt'],
      env,
      fs.readFileSync(fixture('call.vtt'), 'utf8'),
    );
    expect(parseTranscriptJsonl(vtt.stdout)[0]).toMatchObject({ call_id: 'stdin', speaker: 'Agent' });
    const none = await runBulwark(['transcript', 'import', fixture('chat.txt')], env);
    expectRefused(none, /chat\.txt: say which format with --from aws\|vtt\|srt/);
  });

  it('refuses malformed AWS output naming the field or line and column', async () => {
    expectRefused(
      await runBulwark(
        ['redact', write('bad-aws.json', `{"results":\n  {"items": [${MC},]}}`), '--format', 'aws'],
        env,
      ),
      /bad-aws\.json:2:\d+: malformed JSON/,
    );
    const doc = JSON.parse(fs.readFileSync(fixture('aws-transcribe.json'), 'utf8'));
    doc.results.items[5].type = VISA;
    expectRefused(
      await runBulwark(['redact', write('bad-type.json', JSON.stringify(doc)), '--format', 'aws'], env),
      /bad-type\.json: field "results\.items\[5\]\.type" must be "pronunciation" or "punctuation"/,
    );
  });
});

describe('progress bar', { timeout: 120_000 }, () => {
  const fake = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, stream: { isTTY, columns: 100, write: (s: string) => writes.push(s) } };
  };

  it('draws only on a TTY (or when forced), only for big inputs, at most 10 times a second, and clears', () => {
    let t = 0;
    const total = PROGRESS_MIN_BYTES + 1;
    const tty = fake(true);
    const p = createProgress({ label: 'big.csv', totalBytes: total, stream: tty.stream, now: () => t });
    for (let i = 0; i < 1000; i++) {
      t = i; // 1000 updates within one second
      p.update('reading', (total * i) / 1000, total);
    }
    expect(tty.writes.length).toBeGreaterThan(1);
    expect(tty.writes.length).toBeLessThanOrEqual(10);
    expect(tty.writes[0]).toBe(`${CLEAR}big.csv reading   [${'-'.repeat(30)}]   0%  0.0 MB/4.0 MB`);
    p.finish();
    expect(tty.writes[tty.writes.length - 1]).toBe('\r\x1b[2K');

    for (const [mode, isTTY, size, drawn] of [
      ['auto', false, total, false],
      ['always', false, total, true],
      ['never', true, total, false],
      ['auto', true, PROGRESS_MIN_BYTES, false],
    ] as const) {
      const s = fake(isTTY);
      const q = createProgress({ label: 'x', totalBytes: size, stream: s.stream, mode, now: () => 0 });
      q.update('scanning', 1, 2);
      q.finish();
      expect(s.writes.length > 0, `${mode} ${isTTY} ${size}`).toBe(drawn);
    }
    // Unknown size (a pipe): a count appears once more than 4 MB went through.
    const pipe = fake(true);
    const r = createProgress({ label: 'stdin', totalBytes: null, stream: pipe.stream, now: () => 0 });
    r.update('reading', 1000, null);
    expect(pipe.writes).toEqual([]);
    r.update('reading', PROGRESS_MIN_BYTES + 1, null);
    expect(pipe.writes).toEqual(['\r\x1b[2Kstdin reading 4.0 MB']);
  });

  const line = 'the quick brown fox jumps over the lazy dog and calls support again\n';
  const big = () => write('big.txt', line.repeat(Math.ceil((PROGRESS_MIN_BYTES + 200_000) / line.length)));

  it('appears on stderr when forced (as on a terminal) and never in piped stderr', {
    timeout: 180_000,
  }, async () => {
    const file = big();
    const piped = await runBulwark(['redact', file], env);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('0 finding(s) redacted\n');
    const forced = await runBulwark(['redact', file, '--progress', 'always'], env);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toBe(piped.stdout);
    expect(forced.stderr.startsWith(CLEAR)).toBe(true);
    expect(forced.stderr).toMatch(/big\.txt reading +\[/);
    expect(forced.stderr).toContain('scanning');
    expect(forced.stderr.endsWith('\r\x1b[2K0 finding(s) redacted\n')).toBe(true);
    const streamed = await runBulwark(['redact', file, '--stream', '--progress', 'always'], env);
    expect(streamed.code).toBe(0);
    expect(streamed.stdout).toBe(piped.stdout);
    expect(streamed.stderr).toMatch(/streaming +\[/);
    expect(streamed.stderr.endsWith('\r\x1b[2K')).toBe(true);
    const detect = await runBulwark(['detect', file, '--json'], env);
    expect(detect.stderr).toBe('');
  });

  it('never appears for a small file, even when forced', async () => {
    const r = await runBulwark(['detect', fixture('customers.csv'), '--progress', 'always'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
