/**
 * Test support for the audio module: the real peers (SoX makes tones, silence, mixes and codec
 * conversions; espeak-ng makes speech; multimon-ng is an independent DTMF decoder) run in a
 * temporary directory. Imported by tests only.
 */

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Runs a tool and returns its stdout; a non-zero exit rejects with its stderr. */
export async function run(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

/** A scratch directory removed by `cleanup()`; `file(name)` is a path inside it. */
export function scratchDir(prefix = 'bulwark-audio-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  let n = 0;
  return {
    dir,
    file: (name: string) => path.join(dir, name),
    /** A fresh unique path with this extension. */
    fresh: (ext = 'wav') => path.join(dir, `f${n++}.${ext}`),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Keypad frequencies (low, high) per DTMF digit. */
export const DIGIT_HZ: Record<string, [number, number]> = {};
{
  const keys = '123A456B789C*0#D';
  const low = [697, 770, 852, 941];
  const high = [1209, 1336, 1477, 1633];
  for (let i = 0; i < 16; i++) DIGIT_HZ[keys[i]!] = [low[i >> 2]!, high[i & 3]!];
}

/** dBm0 to the peak of a sine in dBFS (full scale is +3.17 dBm0, the mu-law convention). */
export const dbm0ToDbfs = (dbm0: number) => dbm0 - 3.17;

export type ToneSpec = {
  /** Frequencies in Hz: [low, high]. */
  hz: [number, number];
  seconds: number;
  /** Level of each tone in dBm0; default -10 both. */
  dbm0?: [number, number];
  rate?: number;
};

/** Peak amplitude (full scale 1) of a sine at `dbm0`. */
export const dbm0ToAmplitude = (dbm0: number) => 10 ** (dbm0ToDbfs(dbm0) / 20);

/**
 * Writes a two-tone signal made by SoX in one run: two full-scale sines remixed into one channel
 * at the two levels, 16-bit mono.
 */
export async function soxTone(out: string, spec: ToneSpec): Promise<string> {
  const [l1, l2] = spec.dbm0 ?? [-10, -10];
  const gains = `1v${dbm0ToAmplitude(l1).toFixed(6)},2v${dbm0ToAmplitude(l2).toFixed(6)}`;
  await run('sox', [
    ...['-n', '-r', String(spec.rate ?? 8000), '-b', '16', '-c', '1', out],
    ...[
      'synth',
      String(spec.seconds),
      'sine',
      String(spec.hz[0]),
      'sine',
      String(spec.hz[1]),
      'remix',
      gains,
    ],
  ]);
  return out;
}

/** Writes `seconds` of digital silence, 16-bit mono. */
export async function soxSilence(out: string, seconds: number, rate = 8000): Promise<string> {
  await run('sox', ['-n', '-r', String(rate), '-b', '16', '-c', '1', out, 'trim', '0', String(seconds)]);
  return out;
}

/** Concatenates files of one format with SoX; `effects` are appended (e.g. a mix-in is not one). */
export async function soxConcat(out: string, inputs: string[], ...effects: string[]): Promise<string> {
  await run('sox', [...inputs, out, ...effects]);
  return out;
}

/** Converts with SoX: `format` goes before the output name (e.g. ['-e', 'mu-law'], ['-r', '16000']). */
export async function soxConvert(
  input: string,
  out: string,
  format: string[],
  ...effects: string[]
): Promise<string> {
  await run('sox', [input, ...format, out, ...effects]);
  return out;
}

export type Voice = { voice: string; speed: number; pitch: number };

/** Speech from espeak-ng, resampled by SoX to `rate`, 16-bit mono. */
export async function espeak(out: string, text: string, voice: Voice, rate = 8000): Promise<string> {
  const raw = `${out}.espeak.wav`;
  await run('espeak-ng', [
    '-v',
    voice.voice,
    '-s',
    String(voice.speed),
    '-p',
    String(voice.pitch),
    '-w',
    raw,
    text,
  ]);
  await run('sox', [raw, '-r', String(rate), '-b', '16', '-c', '1', out, 'gain', '-n', '-3']);
  fs.rmSync(raw);
  return out;
}

/**
 * The DTMF digits multimon-ng hears in one channel (1-based) of a file, in order. It reads WAV
 * through SoX itself, resampling to its 22,050 Hz; SoX first extracts the channel.
 */
export async function multimonDigits(file: string, channel = 1): Promise<string> {
  const mono = `${file}.ch${channel}.wav`;
  await run('sox', [file, '-b', '16', mono, 'remix', String(channel)]);
  const out = await run('multimon-ng', ['-q', '-c', '-a', 'DTMF', '-t', 'wav', mono]);
  fs.rmSync(mono);
  return out
    .split('\n')
    .map((l) => /^DTMF: (.)/.exec(l)?.[1])
    .filter((d): d is string => d !== undefined)
    .join('');
}

/** One key press of a sequence: frequencies (default the digit's), duration and levels. */
export type KeyPress = { digit: string; hz?: [number, number]; seconds?: number; dbm0?: [number, number] };

/**
 * A keyed sequence made by SoX: `lead` seconds of silence, then each key press followed by
 * `gapSeconds` of silence. Tones are made in parallel, then joined in one run.
 */
export async function soxSequence(
  out: string,
  presses: readonly KeyPress[],
  { gapSeconds = 0.08, lead = 0.2, rate = 8000 } = {},
): Promise<string> {
  const gap = await soxSilence(`${out}.gap.wav`, gapSeconds, rate);
  const leadFile = await soxSilence(`${out}.lead.wav`, lead, rate);
  const tones = await Promise.all(
    presses.map((p, i) =>
      soxTone(`${out}.${i}.wav`, {
        hz: p.hz ?? DIGIT_HZ[p.digit]!,
        seconds: p.seconds ?? 0.08,
        dbm0: p.dbm0 ?? [-8, -6],
        rate,
      }),
    ),
  );
  await soxConcat(out, [leadFile, ...tones.flatMap((t) => [t, gap])]);
  for (const f of [gap, leadFile, ...tones]) fs.rmSync(f);
  return out;
}

/** A keyed sequence of `digits`, each `toneSeconds` long at `dbm0`. */
export function soxDigits(
  out: string,
  digits: string,
  {
    toneSeconds = 0.08,
    gapSeconds = 0.08,
    lead = 0.2,
    rate = 8000,
    dbm0 = [-8, -6] as [number, number],
  } = {},
): Promise<string> {
  return soxSequence(
    out,
    Array.from(digits, (digit) => ({ digit, seconds: toneSeconds, dbm0 })),
    { gapSeconds, lead, rate },
  );
}
