/**
 * What the vault does with a recording's content beyond storing it:
 * - attach the call's transcript: the sensitive-data engine redacts it first (card numbers, CVVs,
 *   ...), and only the redacted text is stored, encrypted under the recording's own data key (so
 *   shredding the recording destroys it too), with the audio spans its findings cover;
 * - make a redacted derivative of a WAV recording: silence or a beep over given spans, over the
 *   transcript's spans, and over in-band DTMF key presses (ITU-T Q.24 detector), streamed in one
 *   pass into a new encrypted recording; the original is kept, restricted (reachable only through an
 *   investigation case) or destroyed, as the caller's policy says.
 */
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import {
  type AudioRedactionSummary,
  createWavRedactor,
  type RedactionMode,
  type WavRewriter,
} from '../audio/audio-redaction.ts';
import { type AudioSpan, AudioSpanError } from '../audio/audio-spans.ts';
import { createDtmfMasker, type DtmfMaskSummary } from '../audio/dtmf-mask.ts';
import { WavFormatError } from '../audio/wav.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { DataKeysService } from '../keys/data-keys.service.ts';
import { recordingContext, wipe } from '../keys/envelope.ts';
import { redactCall } from '../redaction/engine/pipeline.ts';
import { parseTranscriptJsonl, TranscriptFormatError } from '../redaction/engine/transcript-format.ts';
import type { Actor } from '../users/users.service.ts';
import type { BlobStore } from './blob-store.ts';
import { decryptBuffer, encryptBuffer } from './chunked-encryption.ts';
import type { RecordingsService, RecordingView } from './recordings.service.ts';

const WAV_TYPES = new Set(['audio/wav', 'audio/x-wav', 'audio/wave']);
/** A transcript is redacted as a whole (a card can span turns), so it is bounded. */
export const MAX_TRANSCRIPT_BYTES = 32 * 1024 * 1024;

export type TranscriptAttachResult = { bytes: number; redactions: number; silence: AudioSpan[] };

export type AudioRedactionRequest = {
  /** Spans in seconds, padded and merged (`padMs`, default 250 ms). */
  spans?: AudioSpan[] | undefined;
  /** Also cover the audio spans of the attached transcript's findings (already padded). */
  fromTranscript?: boolean | undefined;
  /** Find and cover in-band DTMF key presses. */
  maskDtmf?: boolean | undefined;
  mode?: RedactionMode | undefined;
  padMs?: number | undefined;
  /** What happens to the original: kept, restricted to investigation cases (default), or destroyed. */
  original?: 'keep' | 'restrict' | 'destroy' | undefined;
  purpose: string;
};

export type AudioRedactionResult = {
  derivative: RecordingView;
  redactedSpans: AudioSpan[];
  /** Key presses covered (times only: the digits may be a card number). */
  dtmfTones: number;
  original: 'kept' | 'restricted' | 'destroyed';
};

type Deps = {
  db: Kysely<Database>;
  blobs: BlobStore;
  keys: DataKeysService;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
  recordings: RecordingsService;
};

const transcriptContext = (tenantId: string, id: string, dekVersion: number) =>
  recordingContext(tenantId, `${id}/transcript`, dekVersion);

/** Runs bytes through rewriters in order (each a one-pass, bounded-memory WAV rewriter). */
async function* chain(
  source: AsyncIterable<Uint8Array>,
  rewriters: WavRewriter<unknown>[],
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    let pieces: Uint8Array[] = [chunk];
    for (const r of rewriters) pieces = pieces.flatMap((p) => r.push(p));
    yield* pieces;
  }
  let tail: Uint8Array[] = [];
  for (const r of rewriters) tail = [...tail.flatMap((p) => r.push(p)), ...r.end()];
  yield* tail;
}

export function createRecordingContentService({ db, blobs, keys, audit, clock, recordings }: Deps) {
  const auditActor = (a: Actor) => ({ userId: a.userId, roles: a.roles, sessionId: a.sessionId, ip: a.ip });

  /**
   * Redacts a canonical JSONL transcript with the sensitive-data engine and stores only the redacted
   * text, encrypted under the recording's data key. Replaces a previous transcript.
   */
  async function attachTranscript(actor: Actor, id: string, jsonl: string): Promise<TranscriptAttachResult> {
    const row = await recordings.require(actor.tenantId, id);
    if (row.status === 'deleted') throw new AppError('GONE', 'This recording was deleted.');
    let redacted: ReturnType<typeof redactCall>;
    try {
      redacted = redactCall(parseTranscriptJsonl(jsonl));
    } catch (e) {
      if (e instanceof TranscriptFormatError)
        throw new AppError('VALIDATION_FAILED', `transcript: ${e.message}`);
      throw e;
    }
    let redactions = 0;
    const silence: AudioSpan[] = [];
    const lines = redacted.map(({ utterance, result }) => {
      redactions += result.findings.length;
      silence.push(...result.audio);
      const marks = result.findings.map((f) => ({ type: f.type, rule: f.rule }));
      return JSON.stringify({
        ...utterance,
        ...(marks.length > 0 ? { redactions: marks, silence: result.audio } : {}),
      });
    });
    const text = Buffer.from(lines.length > 0 ? `${lines.join('\n')}\n` : '', 'utf8');
    const dataKey = await keys.open(actor.tenantId, id, row.dek_version);
    let sealed: Buffer;
    try {
      sealed = encryptBuffer(text, dataKey, transcriptContext(actor.tenantId, id, row.dek_version));
    } finally {
      wipe(dataKey);
      text.fill(0);
    }
    const blobKey = row.blob_key.replace(/\.c2sp$/, '.transcript.c2sp');
    await blobs.write(blobKey, Readable.from([sealed]));
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('recordings')
        .set({
          transcript_blob_key: blobKey,
          transcript_bytes: text.length,
          transcript_ciphertext_bytes: sealed.length,
          transcript_redactions: redactions,
          transcript_silence: JSON.stringify(silence),
        })
        .where('id', '=', id)
        .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'recording.transcript.attach',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'Transcript', id },
        requestId: actor.requestId,
        details: {
          utterances: lines.length,
          redactions,
          silenceSpans: silence.length,
          channel: actor.channel,
        },
      });
    });
    return { bytes: text.length, redactions, silence };
  }

  /** The redacted transcript (JSONL), decrypted; 404 when none is attached. */
  async function readTranscript(tenantId: string, id: string): Promise<Buffer> {
    const row = await recordings.require(tenantId, id);
    if (row.status === 'deleted') throw new AppError('GONE', 'This recording was deleted.');
    if (!row.transcript_blob_key || row.transcript_ciphertext_bytes === null)
      throw new AppError('NOT_FOUND', 'No transcript is attached to this recording.');
    const dataKey = await keys.open(tenantId, id, row.dek_version);
    try {
      const sealed = await blobs.read(row.transcript_blob_key, 0, row.transcript_ciphertext_bytes);
      return decryptBuffer(sealed, dataKey, transcriptContext(tenantId, id, row.dek_version));
    } finally {
      wipe(dataKey);
    }
  }

  /**
   * Makes a redacted derivative of a WAV recording (PCM16 or G.711) in one streaming pass: decrypt
   * → cover spans → cover transcript spans → mask DTMF → encrypt into a new recording. Then keeps,
   * restricts or destroys the original. Refused before any work when the original is under legal
   * hold and `destroy` was asked.
   */
  async function redactAudio(
    actor: Actor,
    id: string,
    req: AudioRedactionRequest,
  ): Promise<AudioRedactionResult> {
    const row = await recordings.require(actor.tenantId, id);
    if (row.status === 'deleted') throw new AppError('GONE', 'This recording was deleted.');
    if (!WAV_TYPES.has(row.content_type))
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `audio redaction works on WAV recordings (16-bit PCM, G.711 mu-law/A-law); this one is ${row.content_type}`,
      );
    const original = req.original ?? 'restrict';
    if (original === 'destroy' && (await recordings.isHeld(db, id)))
      throw new AppError(
        'CONFLICT',
        'The original is under legal hold and cannot be destroyed; use restrict.',
        {
          details: { reason: 'legal_hold' },
        },
      );
    const transcriptSpans = req.fromTranscript ? row.transcript_silence : [];
    if (req.fromTranscript && !row.transcript_silence)
      throw new AppError('VALIDATION_FAILED', 'fromTranscript: no transcript is attached to this recording');
    const mode = req.mode ?? 'silence';
    const rewriters: WavRewriter<unknown>[] = [];
    let spanRedactor: WavRewriter<AudioRedactionSummary> | undefined;
    let transcriptRedactor: WavRewriter<AudioRedactionSummary> | undefined;
    let masker: WavRewriter<DtmfMaskSummary> | undefined;
    try {
      if (req.spans && req.spans.length > 0) {
        spanRedactor = createWavRedactor(req.spans, {
          mode,
          name: 'recording',
          ...(req.padMs !== undefined ? { padMs: req.padMs } : {}),
        });
        rewriters.push(spanRedactor);
      }
      if (transcriptSpans && transcriptSpans.length > 0) {
        // The engine already padded these by 250 ms and merged them.
        transcriptRedactor = createWavRedactor(transcriptSpans, { mode, padMs: 0, name: 'recording' });
        rewriters.push(transcriptRedactor);
      }
    } catch (e) {
      if (e instanceof AudioSpanError) throw new AppError('VALIDATION_FAILED', `spans: ${e.message}`);
      throw e;
    }
    if (req.maskDtmf) {
      masker = createDtmfMasker({ mode, name: 'recording' });
      rewriters.push(masker);
    }
    if (rewriters.length === 0)
      throw new AppError('VALIDATION_FAILED', 'nothing to redact: give spans, fromTranscript or maskDtmf');

    const content = await recordings.openContent(row);
    const team = await db
      .selectFrom('teams')
      .select('name')
      .where('id', '=', row.team_id)
      .executeTakeFirstOrThrow();
    let derivative: RecordingView;
    try {
      derivative = await recordings.ingest(
        actor,
        {
          callId: row.call_id,
          kind: row.kind,
          agent: row.agent,
          team: team.name,
          site: row.site ?? undefined,
          region: row.region,
          startedAt: row.started_at,
          endedAt: row.ended_at ?? undefined,
          codec: row.codec ?? undefined,
          contentType: row.content_type,
          paymentTaken: row.payment_taken,
          tags: [...row.tags, 'redacted'],
        },
        Readable.from(chain(content.stream(0, content.length), rewriters)),
        { derivedFrom: id, customerRefToken: row.customer_ref_token },
      );
    } catch (e) {
      if (e instanceof WavFormatError)
        throw new AppError('VALIDATION_FAILED', `the recording is not a valid WAV: ${e.message}`);
      throw e;
    }
    const redactedSpans = [
      ...(spanRedactor?.summary().spans ?? []),
      ...(transcriptRedactor?.summary().spans ?? []),
      ...(masker?.summary().spans ?? []),
    ].sort((a, b) => a.start - b.start);
    const dtmfTones = masker?.summary().tones.length ?? 0;

    let outcome: AudioRedactionResult['original'] = 'kept';
    if (original === 'destroy') {
      await recordings.remove(actor, id, { kind: 'redaction', purpose: req.purpose });
      outcome = 'destroyed';
    } else if (original === 'restrict') {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('recordings')
          .set({ status: 'restricted' })
          .where('id', '=', id)
          .where('status', '=', 'stored')
          .execute();
        await audit.append(trx, {
          tenantId: actor.tenantId,
          action: 'recording.restrict',
          outcome: 'success',
          actor: auditActor(actor),
          resource: { type: 'Recording', id },
          purpose: req.purpose,
          requestId: actor.requestId,
          details: { derivative: derivative.id, channel: actor.channel },
        });
      });
      outcome = 'restricted';
    }
    await db.transaction().execute((trx) =>
      audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'recording.redact',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'Recording', id },
        purpose: req.purpose,
        requestId: actor.requestId,
        details: {
          derivative: derivative.id,
          spans: redactedSpans.length,
          dtmfTones,
          original: outcome,
          at: clock.now().toISOString(),
          channel: actor.channel,
        },
      }),
    );
    return {
      derivative: await recordings.view(await recordings.require(actor.tenantId, derivative.id)),
      redactedSpans,
      dtmfTones,
      original: outcome,
    };
  }

  return { attachTranscript, readTranscript, redactAudio };
}

export type RecordingContentService = ReturnType<typeof createRecordingContentService>;
