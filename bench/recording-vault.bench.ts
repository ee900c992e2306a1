/**
 * The recording vault end to end through its service (not the bare crypto, which
 * bench/recording-crypto.bench.ts measures): streaming ingest into the blob store with the DEK
 * wrapped and the row committed, its memory at two sizes, and a 1 MiB Range read as the playback
 * route does it (unwrap the DEK, open the body, decrypt only the needed chunks) at random offsets.
 * Baselines in the same run: the same bytes through `createEncryptStream` into a file, and a plain
 * read of the same ciphertext bytes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { loadConfig } from '../src/config/config.ts';
import { createContext } from '../src/context.ts';
import { openDatabase } from '../src/db/connect.ts';
import { newDataKey, recordingContext } from '../src/modules/keys/envelope.ts';
import { createEncryptStream } from '../src/modules/recordings/chunked-encryption.ts';
import { fmtMs, fmtRatio, summarize } from './lib/measure.ts';
import type { BenchOptions, BenchResult } from './lib/types.ts';

const MiB = 1024 * 1024;

/** `total` bytes from one reused 1 MiB buffer of random bytes (generation costs nothing). */
function source(total: number): Readable {
  const block = Buffer.alloc(MiB, 7);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(MiB, total - sent);
      sent += n;
      this.push(n === MiB ? block : block.subarray(0, n));
    },
  });
}

/** Runs `fn` while sampling RSS every 25 ms; returns its wall time and the peak RSS seen. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; peakRss: number }> {
  global.gc?.();
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 25);
  const t = performance.now();
  try {
    const value = await fn();
    return { value, ms: performance.now() - t, peakRss: Math.max(peak, process.memoryUsage.rss()) };
  } finally {
    clearInterval(timer);
  }
}

export async function run({ quick, log }: BenchOptions): Promise<BenchResult> {
  const small = quick ? 16 * MiB : 64 * MiB;
  const large = quick ? 128 * MiB : 1024 * MiB;
  const reads = quick ? 200 : 1000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-bench-vault-'));
  const database = await openDatabase({ engine: 'pglite-memory' });
  const config = loadConfig({
    BULWARK_DATA_DIR: path.join(dir, 'data'),
    BULWARK_KEY_DIR: path.join(dir, 'keys'),
    BULWARK_LOG_LEVEL: 'silent',
  });
  const ctx = await createContext(config, { purpose: 'bench', database });
  try {
    const tenantId = (await ctx.tenants.ensureDefault()).id;
    const actor = {
      tenantId,
      userId: null,
      roles: [],
      sessionId: null,
      ip: null,
      requestId: null,
      channel: 'system' as const,
    };
    const ingest = (bytes: number) =>
      ctx.recordings.ingest(
        actor,
        {
          callId: `bench-${bytes}`,
          kind: 'audio',
          agent: 'bench',
          team: 'Bench',
          region: 'eu',
          startedAt: new Date(),
          contentType: 'audio/wav',
        },
        source(bytes),
      );
    const bare = async (bytes: number) => {
      const key = newDataKey();
      await pipeline(
        source(bytes),
        createEncryptStream(key, recordingContext(tenantId, 'bench', 1)),
        fs.createWriteStream(path.join(dir, 'bare.c2sp')),
      );
      fs.rmSync(path.join(dir, 'bare.c2sp'));
    };

    log(`ingest ${small / MiB} MiB (warm-up and small size)`);
    await ingest(4 * MiB);
    const smallRun = await withPeakRss(() => ingest(small));
    log(`ingest ${large / MiB} MiB`);
    const largeRun = await withPeakRss(() => ingest(large));
    log(`bare encrypt stream ${large / MiB} MiB`);
    const bareRun = await withPeakRss(() => bare(large));
    const serviceMBps = large / MiB / (largeRun.ms / 1000);
    const bareMBps = large / MiB / (bareRun.ms / 1000);

    log(`${reads} random 1 MiB ranges through the service`);
    const row = await ctx.recordings.require(tenantId, largeRun.value.id);
    const file = path.join(config.recordings.blobDir, row.blob_key);
    const fh = await fs.promises.open(file, 'r');
    const serviceMs: number[] = [];
    const plainMs: number[] = [];
    const buf = Buffer.allocUnsafe(MiB + 16_400);
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let i = 0; i < reads; i++) {
      const start = Math.floor(rand() * (large - MiB));
      // Alternate, so a burst of load on the shared machine hits both alike.
      let t = performance.now();
      const content = await ctx.recordings.openContent(row);
      for await (const _ of content.stream(start, start + MiB));
      serviceMs.push(performance.now() - t);
      t = performance.now();
      const off = 56 + Math.floor(start / 16_384) * 16_400;
      await fh.read(buf, 0, buf.length, off);
      plainMs.push(performance.now() - t);
    }
    await fh.close();
    const svc = summarize(serviceMs.sort((a, b) => a - b));
    const plain = summarize(plainMs.sort((a, b) => a - b));
    const rssRatio = largeRun.peakRss / smallRun.peakRss;
    return {
      name: 'recording-vault',
      title: 'Recording vault through its service: streaming ingest memory and throughput, Range playback',
      method:
        `\`recordings.ingest\` (DEK wrapped by the local keystore, Cobblestone-256 stream into the filesystem blob store, ` +
        `row, wrapped key and audit event committed on PGlite) of a generated stream of ${small / MiB} MiB and of ` +
        `${large / MiB} MiB, sampling RSS every 25 ms; baseline: the same ${large / MiB} MiB through ` +
        '`createEncryptStream` into a file. Then ' +
        `${reads} reads of 1 MiB at random offsets of the ${large / MiB} MiB recording as the playback route does them ` +
        '(`openContent`: load the wrapped key, unwrap, open and authenticate the body, then stream the range), ' +
        'alternating with a plain file read of the same ciphertext bytes.',
      goals: [
        {
          id: 'V2',
          goal: 'Ingest memory flat whatever the size (service path)',
          measured: `peak RSS ${(largeRun.peakRss / MiB).toFixed(0)} MiB at ${large / MiB} MiB`,
          baseline: `peak RSS ${(smallRun.peakRss / MiB).toFixed(0)} MiB at ${small / MiB} MiB`,
          ratio: `${fmtRatio(rssRatio)} of the small ingest's peak (flat: ≤ 1.25×)`,
          met: rssRatio <= 1.25,
          data: { largePeakRss: largeRun.peakRss, smallPeakRss: smallRun.peakRss },
        },
        {
          id: 'V1',
          goal: 'Ingest throughput through the service (reported)',
          measured: `${serviceMBps.toFixed(0)} MiB/s`,
          baseline: `bare encrypt stream to a file: ${bareMBps.toFixed(0)} MiB/s`,
          ratio: `${fmtRatio(serviceMBps / bareMBps)} of the bare stream`,
          met: null,
          data: { serviceMBps, bareMBps },
        },
        {
          id: 'V3',
          goal: '1 MiB range at a random offset as the playback route serves it, key unwrap and body open included (reported; the ≤ 5 ms goal row is the crypto one above)',
          measured: `p99 ${fmtMs(svc.p99)}, p50 ${fmtMs(svc.p50)}`,
          baseline: `plain read of the same ciphertext: p99 ${fmtMs(plain.p99)}, p50 ${fmtMs(plain.p50)}`,
          ratio: `${fmtRatio(svc.p99 / plain.p99)} the plain read's p99`,
          met: null,
          data: { p99: svc.p99, p50: svc.p50, plainP99: plain.p99, plainP50: plain.p50 },
        },
      ],
      tables: [],
      notes: [],
      findings: [
        `Ingest through the service runs at ${fmtRatio(serviceMBps / bareMBps)} of the bare encrypt stream with peak RSS ` +
          `${(largeRun.peakRss / MiB).toFixed(0)} MiB at ${large / MiB} MiB vs ${(smallRun.peakRss / MiB).toFixed(0)} MiB at ${small / MiB} MiB; ` +
          `a playback range costs p50 ${fmtMs(svc.p50)} (one database round trip for the wrapped key, unwrap, header and final-chunk check, 65 chunks) against ${fmtMs(plain.p50)} for reading the bytes; ` +
          'on embedded PGlite under load the key lookup alone is 1-2 ms.',
      ],
    };
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
