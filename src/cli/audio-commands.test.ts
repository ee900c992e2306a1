import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALAW_SILENCE, MULAW_SILENCE } from '../modules/audio/g711.ts';
import { run, scratchDir, soxConcat, soxDigits, soxSilence } from '../modules/audio/peers.test-support.ts';
import { parseWav } from '../modules/audio/wav.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = scratchDir('bulwark-audio-cli-');
afterAll(tmp.cleanup);

/**
 * A `bulwark` with only the audio commands registered, in a child process, failing the way the
 * real entry point does (commander usage errors exit 2, anything thrown prints `error: …` and
 * exits 1).
 */
const RUNNER = `
import { Command } from '@commander-js/extra-typings';
const { registerAudioCommands } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'src/cli/audio-commands.ts')).href)});
const program = new Command('bulwark').exitOverride();
registerAudioCommands(program);
try {
  await program.parseAsync(process.argv.slice(1), { from: 'user' });
} catch (e) {
  if (e.code?.startsWith('commander.')) process.exit(e.code === 'commander.helpDisplayed' ? 0 : 2);
  process.stderr.write('error: ' + e.message + '\\n');
  process.exit(1);
}
`;

type Result = { code: number; stdout: string; stderr: string };

function bulwark(...args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', RUNNER, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A card number keyed during a 25 s mu-law call (pink noise stands in for the line). */
const CARD = '4111111111111111';
let call = '';
let transcript = '';

beforeAll(async () => {
  const noise = tmp.fresh();
  await run('sox', [
    '-n',
    '-r',
    '8000',
    '-b',
    '16',
    '-c',
    '1',
    noise,
    'synth',
    '25',
    'pinknoise',
    'vol',
    '0.05',
  ]);
  const keys = await soxDigits(tmp.fresh(), CARD, { lead: 0.1 });
  const withKeys = await soxConcat(tmp.fresh(), [await soxSilence(tmp.fresh(), 2), keys]);
  call = tmp.file('call.wav');
  await run('sox', ['-m', '-v', '1', noise, '-v', '1', withKeys, '-e', 'mu-law', call]);
  // The redacted transcript the text engine writes for the same call: spans carry "silence".
  const redacted = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/bulwark'), 'redact', path.join(ROOT, 'test/fixtures/call-with-card.jsonl')],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: tmp.dir,
          BULWARK_DATA_DIR: tmp.file('data'),
          BULWARK_KEY_DIR: tmp.file('keys'),
        },
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`bulwark redact exited ${code}`)),
    );
  });
  transcript = tmp.file('call.redacted.jsonl');
  fs.writeFileSync(transcript, redacted);
}, 60_000);

/** Seconds of `wav` that are entirely the codec's silence byte, as [start, end] runs of at least 50 ms. */
function silentRuns(wav: Buffer): Array<[number, number]> {
  const { format, data } = parseWav(wav);
  const silence = format.encoding === 'mulaw' ? MULAW_SILENCE : format.encoding === 'alaw' ? ALAW_SILENCE : 0;
  const runs: Array<[number, number]> = [];
  let start = -1;
  for (let i = 0; i <= data.length; i++) {
    const quiet = i < data.length && data[i] === silence;
    if (quiet && start < 0) start = i;
    if (!quiet && start >= 0) {
      if (i - start >= 0.05 * format.sampleRate)
        runs.push([start / format.sampleRate, i / format.sampleRate]);
      start = -1;
    }
  }
  return runs;
}

const noTempFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('bulwark audio redact', { timeout: 180_000 }, () => {
  it('silences JSON spans padded by 250 ms by default', async () => {
    const spans = tmp.file('spans.json');
    fs.writeFileSync(
      spans,
      JSON.stringify([
        { start: 5, end: 6 },
        { start: 10, end: 10.5 },
      ]),
    );
    const out = tmp.file('redacted.wav');
    const r = await bulwark('audio', 'redact', call, '--spans', spans, '--out', out);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toBe(
      `${call}: redacted 2 span(s), 2.50 s of 25.00 s (silence, 250 ms padding) -> ${out}\n`,
    );
    expect(silentRuns(fs.readFileSync(out))).toEqual([
      [4.75, 6.25],
      [9.75, 10.75],
    ]);
    expect(fs.statSync(out).size).toBe(fs.statSync(call).size);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
  });

  it('takes the silence spans of a transcript from `bulwark redact`, not padded again unless asked', async () => {
    const out = tmp.file('from-transcript.wav');
    const r = await bulwark('audio', 'redact', call, '--spans', transcript, '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/redacted 3 span\(s\).*0 ms padding/);
    expect(silentRuns(fs.readFileSync(out))).toEqual([
      [8.75, 12.35],
      [13.55, 17.35],
      [20.25, 23.25],
    ]);
    const padded = await bulwark(
      'audio',
      'redact',
      call,
      '--spans',
      transcript,
      '--out',
      out,
      '--pad-ms',
      '100',
      '--mode',
      'beep',
    );
    expect(padded.stderr).toMatch(/redacted 3 span\(s\), 11\.00 s of 25\.00 s \(beep, 100 ms padding\)/);
  });

  it('refuses bad input with one line naming the file and why, leaving no output and no temp file', async () => {
    const out = tmp.file('never.wav');
    const spans = tmp.file('ok.json');
    fs.writeFileSync(spans, '[{"start":1,"end":2}]');
    const text = tmp.file('notes.txt');
    fs.writeFileSync(text, 'not audio at all');
    const cut = tmp.file('cut.wav');
    fs.writeFileSync(cut, fs.readFileSync(call).subarray(0, 50_000));
    const backwards = tmp.file('backwards.json');
    fs.writeFileSync(backwards, '[{"start":3,"end":2}]');
    const cases: Array<[string[], RegExp]> = [
      [
        ['audio', 'redact', tmp.file('missing.wav'), '--spans', spans, '--out', out],
        /missing\.wav: cannot read \(ENOENT\)/,
      ],
      [['audio', 'redact', text, '--spans', spans, '--out', out], /notes\.txt: not a RIFF file/],
      [
        ['audio', 'redact', cut, '--spans', spans, '--out', out],
        /cut\.wav: data chunk declares \d+ bytes but the input ends after \d+/,
      ],
      [
        ['audio', 'redact', call, '--spans', backwards, '--out', out],
        /backwards\.json: span 1: start 3 is after end 2/,
      ],
      [
        ['audio', 'redact', call, '--spans', tmp.file('nope.json'), '--out', out],
        /nope\.json: cannot read \(ENOENT\)/,
      ],
      [['audio', 'mask-dtmf', cut, '--out', out], /cut\.wav: data chunk declares/],
      [['audio', 'dtmf', text], /notes\.txt: not a RIFF file/],
      [
        ['audio', 'redact', call, '--spans', spans, '--out', path.join(tmp.dir, 'no-such-dir', 'x.wav')],
        /x\.wav: cannot write \(ENOENT\)/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => bulwark(...args)));
    for (const [i, [args, message]] of cases.entries()) {
      const r = results[i]!;
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(fs.existsSync(out)).toBe(false);
    expect(noTempFiles(tmp.dir)).toEqual([]);
  });

  it('refuses bad options as usage errors (exit 2)', async () => {
    const spans = tmp.file('ok.json');
    const usage = [
      ['audio', 'redact', call, '--spans', spans, '--out', tmp.file('x.wav'), '--mode', 'loud'],
      ['audio', 'redact', call, '--spans', spans, '--out', tmp.file('x.wav'), '--pad-ms', '-1'],
      ['audio', 'redact', call, '--out', tmp.file('x.wav')],
      ['audio', 'dtmf', call, '--sensitivity', 'extreme'],
    ];
    const results = await Promise.all(usage.map((args) => bulwark(...args)));
    for (const [i, r] of results.entries()) expect(r.code, usage[i]!.join(' ')).toBe(2);
    expect(fs.existsSync(tmp.file('x.wav'))).toBe(false);
  });
});

describe('bulwark audio dtmf and mask-dtmf', { timeout: 180_000 }, () => {
  it('lists key presses with times but hides the digits unless --show-digits', async () => {
    const r = await bulwark('audio', 'dtmf', call);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`${call}: 16 key press(es) in 25.00 s (digits hidden; --show-digits reveals them)`);
    expect(lines).toHaveLength(17);
    for (const line of lines.slice(1))
      expect(line).toMatch(/^\s+\d+ {2}\d+\.\d{3}-\d+\.\d{3} s\s+channel 0 {2}\[digit\]$/);
    const json = await bulwark('audio', 'dtmf', call, '--json');
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ file: call, count: 16, digitsShown: false });
    expect(json.stdout).not.toMatch(/digit"/);
    expect(Object.keys(report.tones[0]).sort()).toEqual(['channels', 'end', 'start']);
    const shown = await bulwark('audio', 'dtmf', call, '--json', '--show-digits');
    expect(
      JSON.parse(shown.stdout)
        .tones.map((t: { digit: string }) => t.digit)
        .join(''),
    ).toBe(CARD);
    const table = await bulwark('audio', 'dtmf', call, '--show-digits');
    expect(
      table.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.at(-1))
        .join(''),
    ).toBe(CARD);
  });

  it('masks the key presses so that even the most sensitive detector finds none', async () => {
    const out = tmp.file('masked.wav');
    const r = await bulwark('audio', 'mask-dtmf', call, '--out', out, '--mode', 'beep');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^${call.replace(/[.]/g, '\\.')}: masked 16 key press\\(es\\) in 1 span\\(s\\), \\d+\\.\\d\\d s \\(beep\\) -> `,
      ),
    );
    expect(r.stderr).not.toMatch(/4111/);
    const after = await bulwark('audio', 'dtmf', out, '--sensitivity', 'max', '--json');
    expect(JSON.parse(after.stdout).count).toBe(0);
    expect(noTempFiles(tmp.dir)).toEqual([]);
  });
});
