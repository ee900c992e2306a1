/**
 * Redaction speed on one core: structured detection and the full pipeline in MB/s over the
 * evaluation corpus text (eval/corpus.ts), a 10 KB call transcript's `redactCall` latency,
 * adversarial 1 MB inputs, and streaming throughput. Every figure has a baseline run in the same
 * process over the same input.
 */
import { performance } from 'node:perf_hooks';
import { type CallDoc, createRng, generateCorpus, type Utterance } from '../eval/corpus.ts';
import { detect, redactText } from '../src/modules/redaction/engine/detect.ts';
import { detectCall, redactCall } from '../src/modules/redaction/engine/pipeline.ts';
import { createTextRedactor } from '../src/modules/redaction/engine/stream.ts';
import { detectStructured } from '../src/modules/redaction/engine/structured.ts';
import { DetectionLimitError } from '../src/modules/redaction/engine/types.ts';
import { fmtMs, fmtRatio, summarize } from './lib/measure.ts';
import type { BenchOptions, BenchResult, GoalResult, Table } from './lib/types.ts';

const SEED = 20261128;
const CHUNK_CHARS = 64 * 1024;
const MB = 1e6;
const fmtMBps = (x: number) => `${x.toFixed(x >= 10 ? 1 : 2)} MB/s`;
const cpuRate = (label: string) => {
  const r = cpuRates.get(label);
  return r === undefined ? '' : fmtMBps(r);
};

/** CPU-time MB/s of the best round of the last {@link throughput} call, keyed by label. */
const cpuRates = new Map<string, number>();

/**
 * Best-of-`rounds` MB/s of `fn` over `bytes` by wall time (the baseline is measured the same way);
 * the same round's rate by this process's CPU time goes to {@link cpuRates} (the machine is shared).
 */
function throughput(rounds: number, bytes: number, fn: () => void, label = ''): number {
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn();
    const ms = performance.now() - t;
    const cpu = process.cpuUsage(c);
    if (ms < best) {
      best = ms;
      bestCpu = (cpu.user + cpu.system) / 1000;
    }
  }
  if (label) cpuRates.set(label, bytes / MB / (bestCpu / 1000));
  return bytes / MB / (best / 1000);
}

/** Splits text into chunks of about `size` characters at line ends. */
function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    let end = Math.min(text.length, at + size);
    if (end < text.length) {
      const nl = text.lastIndexOf('\n', end);
      if (nl > at) end = nl + 1;
    }
    out.push(text.slice(at, end));
    at = end;
  }
  return out;
}

let sink = 0;
const digitScan = (s: string) => {
  const re = /\d+/g;
  while (re.exec(s) !== null) sink++;
};

/** One call of at least `minChars` of text, from consecutive generated calls (renumbered as one call). */
function bigTranscript(calls: CallDoc[], minChars: number): Utterance[] {
  const out: Utterance[] = [];
  let chars = 0;
  let offset = 0;
  for (const c of calls) {
    for (const u of c.utterances) {
      out.push({
        ...u,
        call_id: 'bench-10k',
        start: u.start + offset,
        end: u.end + offset,
        words: u.words?.map((w) => ({ ...w, start: w.start + offset, end: w.end + offset })),
      });
      chars += u.text.length;
    }
    offset = out[out.length - 1]!.end + 1;
    if (chars >= minChars) break;
  }
  return out;
}

/** Adversarial 1 MiB shapes. */
function adversarial(): Array<{ name: string; text: string }> {
  const size = 1 << 20;
  const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  const rng = createRng(7);
  let noise = '';
  const parts = ['4', '1', ' ', '-', '.', '/', '0', '9', ' one', ' oh', ' double', ' card', ' cvv', '\n'];
  while (noise.length < size) noise += rng.pick(parts);
  return [
    { name: 'one 1 MiB digit run', text: fill('4') },
    { name: 'digit groups "4111 " repeated', text: fill('4111 ') },
    { name: 'Luhn-valid cards repeated', text: fill('4111 1111 1111 1111 ') },
    { name: 'digit-dash "1-" repeated', text: fill('1-') },
    { name: 'separators only "- . / "', text: fill('- . / ') },
    { name: 'single digits "1 " repeated', text: fill('1 ') },
    { name: 'number words "four " repeated', text: fill('four ') },
    { name: 'tens words "forty five " repeated', text: fill('forty five ') },
    { name: '"double oh triple four " repeated', text: fill('double oh triple four ') },
    { name: 'digits with fillers "one um " repeated', text: fill('one um ') },
    { name: 'corrections "one sorry that\'s two not one "', text: fill("one sorry that's two not one ") },
    // Every "forty uh five" may be 40 5 or 45: the worst case for reading runs both ways.
    {
      name: 'ambiguous tens "forty uh five" runs',
      text: fill(`${'forty uh five '.repeat(4)}${'one '.repeat(5)}word `),
    },
    { name: 'cues only "card number cvv expiry "', text: fill('card number cvv expiry ') },
    { name: 'email-like "a@b." repeated', text: fill('a@b.') },
    { name: 'IPv4-like "1.1.1.1." repeated', text: fill('1.1.1.1.') },
    { name: 'IPv6-like "ab:" repeated', text: fill('ab:') },
    { name: 'dates "12/12/" repeated', text: fill('12/12/') },
    { name: 'names "Mr Smith " repeated', text: fill('Mr Smith ') },
    { name: 'random digits, separators, number words and cues', text: noise.slice(0, size) },
  ];
}

type AdvResult = {
  name: string;
  detectMs: number;
  callMs: number;
  /** Process CPU time of the `detect` and `detectCall` runs together (the machine is shared). */
  cpuMs: number;
  scanMs: number;
  limit: string;
  findings: number;
};

function runAdversarial(text: string, name: string): AdvResult {
  let limit = '';
  let findings = 0;
  const timeOne = (fn: () => number): number => {
    const t = performance.now();
    try {
      findings = Math.max(findings, fn());
    } catch (e) {
      if (!(e instanceof DetectionLimitError)) throw e;
      limit = 'DetectionLimitError (fails closed)';
    }
    return performance.now() - t;
  };
  const cpu0 = process.cpuUsage();
  const detectMs = timeOne(() => detect(text).length);
  const call: Utterance[] = [{ call_id: 'adv', speaker: 'customer', start: 0, end: 1, text }];
  const callMs = timeOne(() => detectCall(call)[0]!.findings.length);
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const t = performance.now();
  digitScan(text);
  const scanMs = performance.now() - t;
  return { name, detectMs, callMs, cpuMs, scanMs, limit, findings };
}

export async function run({ quick, log }: BenchOptions): Promise<BenchResult> {
  const rounds = quick ? 2 : 5;
  const corpus = generateCorpus({
    seed: SEED,
    ...(quick ? { calls: 300, chats: 300, notes: 300 } : { calls: 1500, chats: 1500, notes: 1500 }),
  });
  const allText = [
    ...corpus.texts.map((d) => d.text),
    ...corpus.calls.flatMap((c) => c.utterances.map((u) => u.text)),
  ].join('\n');
  const blocks = chunks(allText, CHUNK_CHARS);
  const textBytes = Buffer.byteLength(allText);
  const callBytes = corpus.calls.reduce(
    (s, c) => s + c.utterances.reduce((t, u) => t + Buffer.byteLength(u.text), 0),
    0,
  );
  log(
    `corpus ${(textBytes / MB).toFixed(2)} MB in ${blocks.length} chunks of ~${CHUNK_CHARS / 1024} KiB; warm-up`,
  );
  for (const b of blocks.slice(0, 4)) {
    detectStructured(b);
    redactText(b);
  }

  log('structured and full-pipeline throughput');
  const each = (f: (b: string) => unknown) => () => {
    for (const b of blocks) f(b);
  };
  const eachCall = (f: (c: CallDoc) => unknown) => () => {
    for (const c of corpus.calls) f(c);
  };
  const scanMBps = throughput(rounds, textBytes, each(digitScan), 'scan');
  const lowerMBps = throughput(
    rounds,
    textBytes,
    each((b) => {
      sink += b.toLowerCase().length;
    }),
  );
  const structuredMBps = throughput(rounds, textBytes, each(detectStructured), 'structured');
  const pipelineMBps = throughput(rounds, textBytes, each(redactText), 'pipeline');
  const callsMBps = throughput(
    rounds,
    callBytes,
    eachCall((c) => redactCall(c.utterances)),
    'calls',
  );
  const callsScanMBps = throughput(
    rounds,
    callBytes,
    eachCall((c) => {
      for (const u of c.utterances) digitScan(u.text);
    }),
  );

  log('streaming');
  const streamMBps = throughput(
    rounds,
    textBytes,
    () => {
      const r = createTextRedactor();
      for (let at = 0; at < allText.length; at += 4096) r.push(allText.slice(at, at + 4096));
      r.end();
    },
    'stream',
  );

  log('10 KB transcript latency');
  const transcript = bigTranscript(corpus.calls, 10 * 1024);
  const tChars = transcript.reduce((s, u) => s + u.text.length, 0);
  const jsonl = transcript.map((u) => JSON.stringify(u)).join('\n');
  const lines = jsonl.split('\n');
  const n = quick ? 300 : 1000;
  /** Stop early past this much time (a slow engine on a loaded machine), after at least 200 calls. */
  const capMs = quick ? 20_000 : 60_000;
  for (let i = 0; i < 50; i++) redactCall(transcript);
  const callMs: number[] = [];
  const parseMs: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n && (i < 200 || performance.now() - t0 < capMs); i++) {
    let t = performance.now();
    redactCall(transcript);
    callMs.push(performance.now() - t);
    t = performance.now();
    for (const l of lines) sink += (JSON.parse(l) as Utterance).text.length;
    parseMs.push(performance.now() - t);
  }
  const lat = summarize(callMs);
  const parse = summarize(parseMs);

  log('adversarial 1 MiB inputs');
  const adv: AdvResult[] = [];
  for (const a of adversarial()) {
    adv.push(runAdversarial(a.text, a.name));
    log(`  ${a.name}: ${fmtMs(adv[adv.length - 1]!.detectMs)} / ${fmtMs(adv[adv.length - 1]!.callMs)}`);
  }
  const worst = adv.reduce((w, a) =>
    Math.max(a.detectMs, a.callMs) > Math.max(w.detectMs, w.callMs) ? a : w,
  );
  const worstMs = Math.max(worst.detectMs, worst.callMs);

  const goals: GoalResult[] = [
    {
      id: 'R4',
      goal: 'Structured detection ≥ 20 MB/s per core (`detectStructured`, corpus text in 64 KiB chunks)',
      measured: fmtMBps(structuredMBps),
      baseline: `\`/\\d+/g\` scan of the same chunks: ${fmtMBps(scanMBps)}`,
      ratio: `${fmtRatio(structuredMBps / scanMBps)} of the digit scan`,
      met: structuredMBps >= 20,
      data: { structuredMBps, scanMBps, ratio: structuredMBps / scanMBps },
    },
    {
      id: 'R5',
      goal: 'Full pipeline ≥ 5 MB/s per core: `redactText` (structured + spoken + masking) on the corpus text',
      measured: fmtMBps(pipelineMBps),
      baseline: `\`/\\d+/g\` scan: ${fmtMBps(scanMBps)}`,
      ratio: `${fmtRatio(pipelineMBps / scanMBps)} of the digit scan`,
      met: pipelineMBps >= 5,
      data: { pipelineMBps, scanMBps },
    },
    {
      id: 'R5',
      goal: 'Full pipeline ≥ 5 MB/s per core: `redactCall` per call (cross-turn spoken cards, word lists)',
      measured: `${fmtMBps(callsMBps)} of utterance text`,
      baseline: `\`/\\d+/g\` scan of the utterances: ${fmtMBps(callsScanMBps)}`,
      ratio: `${fmtRatio(callsMBps / callsScanMBps)} of the digit scan`,
      met: callsMBps >= 5,
      data: { callsMBps, callsScanMBps },
    },
    {
      id: 'R6',
      goal: `10 KB transcript \`redactCall\` ≤ 5 ms p99 (${transcript.length} utterances, ${(tChars / 1024).toFixed(1)} KiB of text, ${(jsonl.length / 1024).toFixed(1)} KiB JSONL with words)`,
      measured: `p99 ${fmtMs(lat.p99)}, p50 ${fmtMs(lat.p50)}`,
      baseline: `JSON.parse of its JSONL lines: p99 ${fmtMs(parse.p99)}, p50 ${fmtMs(parse.p50)}`,
      ratio: `${fmtRatio(lat.p99 / parse.p99)} the parse p99`,
      met: lat.p99 <= 5,
      data: { p50Ms: lat.p50, p99Ms: lat.p99, parseP50Ms: parse.p50, parseP99Ms: parse.p99 },
    },
    {
      id: 'R7',
      goal: `Any adversarial 1 MiB input ≤ 200 ms (worst of ${adv.length} shapes, \`detect\` and \`detectCall\`; a DetectionLimitError counts as failing closed)`,
      measured: `worst ${fmtMs(worstMs)} (${worst.name})`,
      baseline: `\`/\\d+/g\` scan of it: ${fmtMs(worst.scanMs)}`,
      ratio: `${fmtRatio(worstMs / worst.scanMs)} the scan`,
      met: worstMs <= 200,
      data: { worstMs, worstScanMs: worst.scanMs },
    },
    {
      id: 'R9',
      goal: 'Streaming `createTextRedactor` throughput, 4 KiB pushes (reported)',
      measured: fmtMBps(streamMBps),
      baseline: `one-shot \`redactText\` per 64 KiB chunk: ${fmtMBps(pipelineMBps)}`,
      ratio: `${fmtRatio(streamMBps / pipelineMBps)} of one-shot`,
      met: null,
      data: { streamMBps, pipelineMBps },
    },
  ];

  const tables: Table[] = [
    {
      caption: 'Throughput over the same corpus text, one thread (best of rounds)',
      header: ['what', 'MB/s (wall)', 'MB/s (process CPU time)', 'ratio to `/\\d+/g` scan (wall)'],
      rows: [
        ['`/\\d+/g` scan (baseline)', fmtMBps(scanMBps), cpuRate('scan'), '1.00×'],
        ['`text.toLowerCase()`', fmtMBps(lowerMBps), '', fmtRatio(lowerMBps / scanMBps)],
        [
          '`detectStructured`',
          fmtMBps(structuredMBps),
          cpuRate('structured'),
          fmtRatio(structuredMBps / scanMBps),
        ],
        [
          '`redactText` (detect + mask)',
          fmtMBps(pipelineMBps),
          cpuRate('pipeline'),
          fmtRatio(pipelineMBps / scanMBps),
        ],
        ['`redactCall` per call', fmtMBps(callsMBps), cpuRate('calls'), fmtRatio(callsMBps / callsScanMBps)],
        [
          '`createTextRedactor`, 4 KiB pushes',
          fmtMBps(streamMBps),
          cpuRate('stream'),
          fmtRatio(streamMBps / scanMBps),
        ],
      ],
    },
    {
      caption: 'Adversarial 1 MiB inputs (one run each)',
      header: [
        'shape',
        '`detect`',
        '`detectCall` (one utterance)',
        'CPU time of both',
        '`/\\d+/g` scan',
        'findings',
        'limit',
      ],
      rows: adv.map((a) => [
        a.name,
        fmtMs(a.detectMs),
        fmtMs(a.callMs),
        fmtMs(a.cpuMs),
        fmtMs(a.scanMs),
        String(a.findings),
        a.limit || '—',
      ]),
    },
  ];
  if (sink === -1) log('unreachable');

  return {
    name: 'redaction-speed',
    title: 'Redaction speed: structured, full pipeline, transcript latency, adversarial inputs, streaming',
    method:
      `Text of the evaluation corpus (eval/corpus.ts, seed ${SEED}: chats, notes and utterance texts joined by newlines, ` +
      `${(textBytes / MB).toFixed(2)} MB UTF-8) cut at line ends into ~64 KiB chunks; each function runs over every chunk, best of ${rounds} ` +
      'rounds, one thread. Baseline in the same process over the same chunks: a `/\\d+/g` scan (every digit run found, nothing else). ' +
      `Calls: \`redactCall\` per generated call. 10 KB transcript: consecutive generated calls joined into one call, \`redactCall\` ${lat.count} times (of ${n} planned; capped at ${capMs / 1000} s) ` +
      'after 50 warm-ups, each timed alone, interleaved with `JSON.parse` of its JSONL lines (the baseline). Adversarial: 1 MiB (2^20 ' +
      'characters) of each shape through `detect` and through `detectCall` as one utterance, timed once each.',
    goals,
    tables,
    notes: [],
    findings: [
      `**Redaction speed**: \`detectStructured\` ${fmtMBps(structuredMBps)} (${fmtRatio(structuredMBps / scanMBps)} a bare digit scan), \`redactText\` ${fmtMBps(pipelineMBps)}, ` +
        `\`redactCall\` ${fmtMBps(callsMBps)}; 10 KB transcript p99 ${fmtMs(lat.p99)}; worst adversarial 1 MiB ${fmtMs(worstMs)} (${worst.name}).`,
    ],
  };
}
