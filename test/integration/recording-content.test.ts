import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { type AppContext, createContext } from '../../src/context.ts';
import { detectDtmfInWav } from '../../src/modules/audio/dtmf-wav.ts';
import { encodeWav, parseWav } from '../../src/modules/audio/wav.ts';
import { luhnValid } from '../../src/modules/redaction/engine/validators.ts';
import { systemActor } from '../support/builders.ts';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/harness.ts';

const RATE = 8000;
/** A Luhn-valid canary card number that must never be stored in plaintext. */
const CANARY_PAN = (() => {
  const body = '453914880343646';
  for (let c = 0; c < 10; c++) if (luhnValid(body + c)) return body + c;
  throw new Error('unreachable');
})();
const KEYPAD_DIGITS = '4539';

/** Deterministic "speech-like" noise (an LCG), so a window of it is a searchable audio pattern. */
function pattern(n: number, seed = 12345): Int16Array {
  const out = new Int16Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = ((x >> 8) % 6000) - 3000;
  }
  return out;
}

const DTMF: Record<string, [number, number]> = {
  '1': [697, 1209],
  '2': [697, 1336],
  '3': [697, 1477],
  '4': [770, 1209],
  '5': [770, 1336],
  '6': [770, 1477],
  '7': [852, 1209],
  '8': [852, 1336],
  '9': [852, 1477],
  '0': [941, 1336],
};

/** 2 s of pattern, then the keypad digits (120 ms tones, 100 ms gaps), then 3 s of silence-ish noise. */
function buildCallWav(): { wav: Buffer; patternBytes: Buffer; tonesFrom: number; tonesTo: number } {
  const head = pattern(2 * RATE);
  const tones: number[] = [];
  for (const d of KEYPAD_DIGITS) {
    const [lo, hi] = DTMF[d]!;
    for (let i = 0; i < 0.12 * RATE; i++)
      tones.push(
        Math.round(
          6000 * Math.sin((2 * Math.PI * lo * i) / RATE) + 6000 * Math.sin((2 * Math.PI * hi * i) / RATE),
        ),
      );
    for (let i = 0; i < 0.1 * RATE; i++) tones.push(0);
  }
  const tail = pattern(3 * RATE, 999).map((v) => v >> 4);
  const all = new Int16Array(head.length + tones.length + tail.length);
  all.set(head, 0);
  all.set(Int16Array.from(tones), head.length);
  all.set(tail, head.length + tones.length);
  const wav = encodeWav(all, { encoding: 'pcm16', channels: 1, sampleRate: RATE });
  return {
    wav,
    patternBytes: Buffer.from(head.buffer, head.byteOffset + 4000, 64),
    tonesFrom: 2,
    tonesTo: 2 + tones.length / RATE,
  };
}

let ctx: AppContext;
let dir: string;
let dropPg: (() => Promise<void>) | undefined;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-vault-'));
  let databaseUrl: string | undefined;
  if (TEST_DATABASE_URL) {
    const created = await createPostgresDatabase();
    databaseUrl = created.url;
    dropPg = created.drop;
  }
  // A file-backed store (PGlite under the data dir unless PostgreSQL is given), so the scan below
  // reads what really lands on disk.
  const config = loadConfig({
    BULWARK_DATA_DIR: path.join(dir, 'data'),
    BULWARK_KEY_DIR: path.join(dir, 'keys'),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  ctx = await createContext(config, { purpose: 'vault content test' });
}, 120_000);

afterAll(async () => {
  await ctx?.close().catch(() => {});
  await dropPg?.();
  fs.rmSync(dir, { recursive: true, force: true });
});

const drain = async (r: Readable) => {
  const parts: Buffer[] = [];
  for await (const p of r) parts.push(p as Buffer);
  return Buffer.concat(parts);
};

describe('transcripts and audio redaction in the vault', () => {
  const call = buildCallWav();
  let tenantId: string;
  let id: string;
  let derivativeId: string;

  it('stores a transcript only after redaction, encrypted, with the audio spans of its findings', async () => {
    tenantId = (await ctx.tenants.ensureDefault()).id;
    const actor = systemActor(tenantId);
    const rec = await ctx.recordings.ingest(
      actor,
      {
        callId: 'call-1',
        kind: 'audio',
        agent: 'agent.k',
        team: 'Payments',
        region: 'eu',
        startedAt: new Date(),
        contentType: 'audio/wav',
      },
      Readable.from([call.wav]),
    );
    id = rec.id;
    const transcript = [
      { call_id: 'call-1', speaker: 'agent', start: 0, end: 0.3, text: 'can I take the card number please' },
      {
        call_id: 'call-1',
        speaker: 'customer',
        start: 0.4,
        end: 1.5,
        text: `it is ${CANARY_PAN.match(/.{4}/g)!.join(' ')}`,
      },
      { call_id: 'call-1', speaker: 'agent', start: 3.5, end: 4.5, text: 'thank you, now key in your PIN' },
    ]
      .map((u) => JSON.stringify(u))
      .join('\n');
    const res = await ctx.recordingContent.attachTranscript(actor, id, transcript);
    expect(res.redactions).toBeGreaterThanOrEqual(1);
    expect(res.silence.length).toBeGreaterThanOrEqual(1);
    const back = (await ctx.recordingContent.readTranscript(tenantId, id)).toString('utf8');
    expect(back).toContain('[PAN]');
    expect(back).not.toContain(CANARY_PAN.slice(0, 8));
    await expect(ctx.recordingContent.attachTranscript(actor, id, '{"call_id":')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('makes a redacted derivative: transcript spans silenced, DTMF key presses masked, original restricted', async () => {
    const actor = systemActor(tenantId);
    const before = detectDtmfInWav(call.wav);
    expect(before.tones.length).toBe(KEYPAD_DIGITS.length);
    const result = await ctx.recordingContent.redactAudio(actor, id, {
      fromTranscript: true,
      maskDtmf: true,
      purpose: 'PCI: remove card digits from audio',
    });
    expect(result.dtmfTones).toBe(KEYPAD_DIGITS.length);
    expect(result.original).toBe('restricted');
    derivativeId = result.derivative.id;
    expect(result.derivative.derivedFrom).toBe(id);
    const content = await ctx.recordings.openContent(await ctx.recordings.require(tenantId, derivativeId));
    const out = await drain(content.stream(0, content.length));
    expect(out.length).toBe(call.wav.length);
    expect(detectDtmfInWav(out, { sensitivity: 'max' }).tones).toEqual([]);
    // The customer's turn (0.4-1.5 s, padded by 250 ms) is silent in the derivative; the key presses
    // (2.0-2.9 s) lie outside it and were found and masked by the DTMF detector.
    const parsed = parseWav(out);
    const data = new Int16Array(
      parsed.data.buffer.slice(parsed.data.byteOffset, parsed.data.byteOffset + parsed.dataBytes),
    );
    for (let i = Math.ceil(0.2 * RATE); i < 1.7 * RATE; i++) expect(data[i]).toBe(0);
    expect(data.subarray(Math.ceil(1.8 * RATE), 1.9 * RATE).some((v) => v !== 0)).toBe(false);
    expect((await ctx.recordings.require(tenantId, id)).status).toBe('restricted');
  });

  it('can destroy the original after redaction, but never one under legal hold', async () => {
    const actor = systemActor(tenantId);
    const meta = {
      callId: 'call-2',
      kind: 'audio' as const,
      agent: 'agent.k',
      team: 'Payments',
      region: 'eu',
      startedAt: new Date(),
      contentType: 'audio/wav',
    };
    const held = await ctx.recordings.ingest(actor, meta, Readable.from([call.wav]));
    await ctx.cases.placeHold(actor, { recordingId: held.id }, 'litigation');
    await expect(
      ctx.recordingContent.redactAudio(actor, held.id, {
        maskDtmf: true,
        original: 'destroy',
        purpose: 'pci',
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    const free = await ctx.recordings.ingest(actor, meta, Readable.from([call.wav]));
    const res = await ctx.recordingContent.redactAudio(actor, free.id, {
      spans: [{ start: 0.5, end: 1 }],
      mode: 'beep',
      original: 'destroy',
      purpose: 'pci',
    });
    expect(res.original).toBe('destroyed');
    expect(res.redactedSpans).toEqual([{ start: 0.25, end: 1.25 }]);
    expect((await ctx.recordings.require(tenantId, free.id)).status).toBe('deleted');
    expect((await ctx.recordings.require(tenantId, res.derivative.id)).status).toBe('stored');
  });

  it('leaves neither the audio pattern nor the card number in plaintext anywhere in the data dir or database', async () => {
    const needles = [
      { name: 'audio pattern', bytes: call.patternBytes },
      { name: 'card number', bytes: Buffer.from(CANARY_PAN) },
      { name: 'card number (grouped)', bytes: Buffer.from(CANARY_PAN.match(/.{4}/g)!.join(' ')) },
      { name: 'card number (UTF-16)', bytes: Buffer.from(CANARY_PAN, 'utf16le') },
    ];
    // The database, table by table (works on PGlite and PostgreSQL alike).
    const tables = await sql<{
      tablename: string;
    }>`select tablename from pg_tables where schemaname = 'public'`.execute(ctx.database.db);
    for (const { tablename } of tables.rows) {
      const rows = await sql<{ t: string }>`select t::text as t from ${sql.table(tablename)} t`.execute(
        ctx.database.db,
      );
      for (const r of rows.rows) {
        expect(r.t.includes(CANARY_PAN), `${tablename} holds the card number`).toBe(false);
        expect(
          r.t.includes(CANARY_PAN.match(/.{4}/g)!.join(' ')),
          `${tablename} holds the grouped card number`,
        ).toBe(false);
      }
    }
    await ctx.close();
    // Then every file under the data dir (PGlite's own files included), after the store closed.
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(path.join(dir, 'data'));
    expect(files.some((f) => f.endsWith('.c2sp'))).toBe(true);
    for (const f of files) {
      const bytes = fs.readFileSync(f);
      for (const n of needles)
        expect(bytes.includes(n.bytes), `${n.name} in ${path.relative(dir, f)}`).toBe(false);
    }
  }, 120_000);
});
