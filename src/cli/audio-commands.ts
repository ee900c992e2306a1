import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { type Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { REDACTION_MODES, type RedactionMode, redactWavStream } from '../modules/audio/audio-redaction.ts';
import {
  AudioSpanError,
  DEFAULT_MERGE_GAP_MS,
  DEFAULT_PAD_MS,
  parseSpansText,
} from '../modules/audio/audio-spans.ts';
import { DTMF_SENSITIVITIES, type DtmfSensitivity } from '../modules/audio/dtmf.ts';
import { maskDtmfStream } from '../modules/audio/dtmf-mask.ts';
import { detectDtmfInWavStream, type WavDtmfTone } from '../modules/audio/dtmf-wav.ts';
import { WavFormatError } from '../modules/audio/wav.ts';
import { writeOut } from './io.ts';

/** Input the audio commands refuse; one line naming the file and why, exit 1. */
export class AudioInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AudioInputError';
  }
}

const errnoCode = (e: unknown) => (e as NodeJS.ErrnoException).code ?? 'error';

/** Opens a WAV file for streaming, refusing what is missing or not a regular file. */
function openInput(file: string): fs.ReadStream {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new AudioInputError(`${file}: cannot read (${errnoCode(e)})`);
  }
  if (!st.isFile()) throw new AudioInputError(`${file}: not a regular file`);
  return fs.createReadStream(file, { highWaterMark: 256 * 1024 });
}

/** Turns engine refusals into {@link AudioInputError}; other errors name the file and code. */
function explain(e: unknown, file: string): Error {
  if (e instanceof WavFormatError || e instanceof AudioSpanError || e instanceof AudioInputError)
    return new AudioInputError(e.message);
  if (e instanceof RangeError) return new AudioInputError(`${file}: ${e.message}`);
  const code = (e as NodeJS.ErrnoException).code;
  if (code) return new AudioInputError(`${file}: ${code} (${(e as Error).message})`);
  return e as Error;
}

/**
 * Writes `out` through a temporary file beside it (mode 0600: a recording derivative is still
 * personal data), synced and renamed into place only when `write` succeeded, so a failed or
 * interrupted run never leaves a partial file under the output's name.
 */
async function writeAtomically<T>(
  out: string,
  input: string,
  write: (dest: Writable) => Promise<T>,
): Promise<T> {
  const dir = path.dirname(path.resolve(out));
  const tmp = path.join(dir, `.${path.basename(out)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(tmp, 'wx', 0o600);
  } catch (e) {
    throw new AudioInputError(`${out}: cannot write (${errnoCode(e)})`);
  }
  try {
    const result = await write(handle.createWriteStream());
    const sync = await fs.promises.open(tmp, 'r+');
    try {
      await sync.sync();
    } finally {
      await sync.close();
    }
    await fs.promises.rename(tmp, out);
    return result;
  } catch (e) {
    await handle.close().catch(() => {});
    await fs.promises.rm(tmp, { force: true });
    throw explain(e, input);
  }
}

const msOption = <Flag extends string>(flag: Flag, what: string) =>
  new Option(flag, what).argParser((raw: string) => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0)
      throw new InvalidArgumentError('expected a non-negative number of milliseconds');
    return n;
  });

const modeOption = () =>
  new Option('--mode <mode>', 'what replaces the audio: silence, or a 1 kHz beep at -20 dBFS')
    .choices(REDACTION_MODES)
    .default('silence' as RedactionMode);

const sensitivityOption = (what: string) =>
  new Option(
    '--sensitivity <level>',
    `${what}: standard (ITU-T Q.24 limits) or max (fainter, shorter and more twisted tones)`,
  )
    .choices(DTMF_SENSITIVITIES)
    .default('standard' as DtmfSensitivity);

const seconds = (s: number) => s.toFixed(3);

/** Reads a spans file: a JSON array of {start,end} or a redacted transcript (JSONL with "silence"). */
function loadSpans(file: string) {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new AudioInputError(`${file}: cannot read (${errnoCode(e)})`);
  }
  try {
    return parseSpansText(text, file);
  } catch (e) {
    throw explain(e, file);
  }
}

/** One line per key press; the digit is a placeholder unless `showDigits`. */
function toneTable(tones: readonly WavDtmfTone[], showDigits: boolean): string {
  return tones
    .map(
      (t, i) =>
        `${String(i + 1).padStart(4)}  ${`${seconds(t.start)}-${seconds(t.end)} s`.padEnd(22)} channel ${t.channels.join(',')}  ${showDigits ? t.digit : '[digit]'}\n`,
    )
    .join('');
}

/**
 * `bulwark audio redact|dtmf|mask-dtmf`: redacted derivatives of WAV recordings (16-bit PCM,
 * G.711 mu-law and A-law) and DTMF detection. Key-press digits can be a card number typed on the
 * keypad, so they are never printed unless `--show-digits` asks for them.
 */
export function registerAudioCommands(program: Command): void {
  const audio = program
    .command('audio')
    .description('Redact spans of WAV recordings and find or mask DTMF key presses (PCM16, mu-law, A-law)');

  audio
    .command('redact <in>')
    .description('Write a copy of a WAV recording with the given time spans silenced or beeped')
    .requiredOption(
      '--spans <file>',
      'spans to redact: a JSON array of {"start":s,"end":s}, or a redacted transcript from `bulwark redact call.jsonl` (its "silence" spans)',
    )
    .requiredOption(
      '--out <file>',
      'output WAV (same format; written to a temp file and renamed when complete)',
    )
    .addOption(modeOption())
    .addOption(
      msOption(
        '--pad-ms <ms>',
        `padding on both sides of each span (default ${DEFAULT_PAD_MS} for a JSON array; 0 for a transcript, whose spans the redaction engine already padded by 250 ms)`,
      ),
    )
    .addOption(
      msOption('--merge-gap-ms <ms>', 'spans closer than this are joined and the gap redacted too').default(
        DEFAULT_MERGE_GAP_MS,
      ),
    )
    .action(async (input, opts) => {
      const { source, spans } = loadSpans(opts.spans);
      const padMs = opts.padMs ?? (source === 'transcript' ? 0 : DEFAULT_PAD_MS);
      const stream = openInput(input);
      const summary = await writeAtomically(opts.out, input, (dest) =>
        redactWavStream(stream, dest, spans, {
          mode: opts.mode,
          padMs,
          mergeGapMs: opts.mergeGapMs,
          name: input,
        }),
      ).finally(() => stream.destroy());
      process.stderr.write(
        `${input}: redacted ${summary.spans.length} span(s), ${summary.redactedSeconds.toFixed(2)} s of ${summary.durationSeconds.toFixed(2)} s (${opts.mode}, ${padMs} ms padding) -> ${opts.out}\n`,
      );
    });

  audio
    .command('dtmf <in>')
    .description(
      'List the DTMF key presses in a WAV recording: count, times and channels; digits stay hidden (they may be a card number)',
    )
    .option('--json', 'print {file, durationSeconds, count, tones:[{start,end,channels}]} as JSON')
    .addOption(sensitivityOption('detector setting'))
    .option(
      '--show-digits',
      'SENSITIVE: also print each key press digit (a card number or PIN typed on the keypad would appear in full)',
    )
    .action(async (input, opts) => {
      const stream = openInput(input);
      let report: Awaited<ReturnType<typeof detectDtmfInWavStream>>;
      try {
        report = await detectDtmfInWavStream(stream, { sensitivity: opts.sensitivity, name: input });
      } catch (e) {
        stream.destroy();
        throw explain(e, input);
      }
      const showDigits = opts.showDigits === true;
      if (opts.json) {
        await writeOut(
          `${JSON.stringify({
            file: input,
            durationSeconds: report.durationSeconds,
            count: report.tones.length,
            digitsShown: showDigits,
            tones: report.tones.map((t) =>
              showDigits ? t : { start: t.start, end: t.end, channels: t.channels },
            ),
          })}\n`,
        );
        return;
      }
      await writeOut(
        `${input}: ${report.tones.length} key press(es) in ${report.durationSeconds.toFixed(2)} s${showDigits || report.tones.length === 0 ? '' : ' (digits hidden; --show-digits reveals them)'}\n${toneTable(report.tones, showDigits)}`,
      );
    });

  audio
    .command('mask-dtmf <in>')
    .description('Write a copy of a WAV recording with every DTMF key press (padded) silenced or beeped')
    .requiredOption(
      '--out <file>',
      'output WAV (same format; written to a temp file and renamed when complete)',
    )
    .addOption(modeOption())
    .addOption(msOption('--pad-ms <ms>', 'padding on both sides of each tone').default(DEFAULT_PAD_MS))
    .addOption(
      msOption('--merge-gap-ms <ms>', 'masked ranges closer than this are joined').default(
        DEFAULT_MERGE_GAP_MS,
      ),
    )
    .addOption(sensitivityOption('detector setting for what to mask'))
    .action(async (input, opts) => {
      const stream = openInput(input);
      const summary = await writeAtomically(opts.out, input, (dest) =>
        maskDtmfStream(stream, dest, {
          mode: opts.mode,
          padMs: opts.padMs,
          mergeGapMs: opts.mergeGapMs,
          detection: { sensitivity: opts.sensitivity },
          name: input,
        }),
      ).finally(() => stream.destroy());
      const masked = summary.spans.reduce((t, s) => t + s.end - s.start, 0);
      process.stderr.write(
        `${input}: masked ${summary.tones.length} key press(es) in ${summary.spans.length} span(s), ${masked.toFixed(2)} s (${opts.mode}) -> ${opts.out}\n`,
      );
    });
}
