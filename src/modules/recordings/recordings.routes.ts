/**
 * Recording vault over HTTP: streaming ingest, scoped list, metadata, Range playback, download,
 * deletion, pause/resume markers and the gap report, legal holds, storage statistics. Every route
 * declares its Cedar action; per-recording routes authorize against the recording (its team and
 * linked cases) with the stated purpose, and that decision is the audit record of the access.
 */
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import { toPrincipal } from '../identity/auth.service.ts';
import { actorFrom } from '../users/users.routes.ts';
import { holdView } from './cases.routes.ts';
import type { CasesService } from './cases.service.ts';
import { MAX_TRANSCRIPT_BYTES, type RecordingContentService } from './recording-content.service.ts';
import type { ListFilters, RecordingsService } from './recordings.service.ts';

const purpose = z
  .string()
  .trim()
  .min(3)
  .max(200)
  .describe('why the recording is accessed; recorded in the audit log');
const idParams = z.object({ id: z.uuid() });
const kind = z.enum(['audio', 'screen']);
const isoDate = z.iso.datetime({ offset: true });

const recordingView = z.object({
  id: z.string(),
  callId: z.string(),
  kind,
  agent: z.string(),
  agentUserId: z.string().nullable(),
  team: z.object({ id: z.string(), name: z.string() }),
  site: z.string().nullable(),
  region: z.string(),
  customerRef: z.string().nullable().describe('vault token of the customer reference'),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  codec: z.string().nullable(),
  contentType: z.string(),
  paymentTaken: z.boolean(),
  tags: z.array(z.string()),
  derivedFrom: z.string().nullable(),
  status: z.enum(['stored', 'restricted', 'deleted']),
  bytes: z.number(),
  cases: z.array(z.string()),
  legalHold: z.boolean(),
  transcript: z.object({ bytes: z.number(), redactions: z.number() }).nullable(),
  createdAt: z.string(),
});
const markerView = z.object({
  id: z.number(),
  kind: z.enum(['pause', 'resume']),
  atSeconds: z.number(),
  reason: z.string().nullable(),
  createdAt: z.string(),
});
const listQuery = z.strictObject({
  team: z.string().max(200).optional(),
  agent: z.string().max(200).optional(),
  callId: z.string().max(200).optional(),
  kind: kind.optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  paymentTaken: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
  purpose: purpose.optional(),
});

/** The list query as service filters (dates parsed, the boolean flag read). */
const listFilters = (q: z.infer<typeof listQuery>): ListFilters => ({
  ...q,
  from: q.from ? new Date(q.from) : undefined,
  to: q.to ? new Date(q.to) : undefined,
  paymentTaken: q.paymentTaken === undefined ? undefined : q.paymentTaken === 'true',
});

/** Media types a recording may be uploaded as. */
const INGEST_TYPES = new Set([
  'audio/wav',
  'audio/x-wav',
  'audio/wave',
  'audio/basic',
  'audio/mpeg',
  'audio/ogg',
  'audio/webm',
  'video/webm',
  'video/mp4',
  'application/octet-stream',
]);

/**
 * One `bytes=` range of RFC 9110 §14.1.2: `a-b`, `a-` or `-n`. Returns undefined without a Range
 * header, throws 416 when it cannot be satisfied or asks for several ranges.
 */
export function parseRange(
  header: string | undefined,
  length: number,
): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const unsatisfiable = (why: string) =>
    new AppError('RANGE_NOT_SATISFIABLE', `Range ${why}; the recording has ${length} bytes.`, {
      headers: { 'content-range': `bytes */${length}` },
    });
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m) throw unsatisfiable('must be one "bytes=start-end" range');
  const [, a, b] = m;
  if (a === '' && b === '') throw unsatisfiable('names no bytes');
  if (a === '') {
    const n = Number(b);
    if (n === 0 || length === 0) throw unsatisfiable('asks for no bytes');
    return { start: Math.max(0, length - n), end: length };
  }
  const start = Number(a);
  const end = b === '' ? length : Math.min(length, Number(b) + 1);
  if (start >= length || end <= start) throw unsatisfiable(`${header.trim()} is outside the content`);
  return { start, end };
}

export const recordingsRoutes: FastifyPluginAsyncZod<{
  recordings: RecordingsService;
  content: RecordingContentService;
  cases: CasesService;
  supervisorPlayback: boolean;
}> = async (app, { recordings, content: contentService, cases, supervisorPlayback }) => {
  // Ingest consumes the request stream itself: registered in its own scope so the pass-through
  // parser applies to this route only and authentication runs before any byte is read.
  await app.register(async (plain) => {
    plain.removeAllContentTypeParsers();
    plain.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    scope.post(
      '/v1/recordings',
      {
        config: {
          access: {
            action: 'recording.ingest',
            resource: (req) => ({ type: 'System', tenantId: req.auth!.tenantId }),
          },
        },
        schema: {
          tags: ['recordings'],
          operationId: 'ingestRecording',
          summary: 'Upload a recording as the request body; it is encrypted as it streams in',
          description:
            'Metadata travels in the query string; the customer reference (tokenized before storage) in the ' +
            '`Bulwark-Customer-Ref` header so it never appears in URLs or access logs. The body is read as a ' +
            'stream and encrypted chunk by chunk (constant memory whatever the size). The response carries ids ' +
            'only: uploading is not reading.',
          querystring: z.strictObject({
            callId: z.string().min(1).max(200),
            kind: kind.default('audio'),
            agent: z.string().min(1).max(200),
            team: z.string().min(1).max(200),
            site: z.string().max(200).optional(),
            region: z.string().min(1).max(50).optional(),
            startedAt: isoDate,
            endedAt: isoDate.optional(),
            codec: z.string().max(50).optional(),
            paymentTaken: z.enum(['true', 'false']).optional(),
            tags: z
              .string()
              .max(1000)
              .optional()
              .describe('comma-separated tags, used by retention policies'),
          }),
          response: {
            201: z.object({ id: z.string(), bytes: z.number(), status: z.string(), createdAt: z.string() }),
          },
        },
      },
      async (req, reply) => {
        const contentType = (req.headers['content-type'] ?? 'application/octet-stream')
          .split(';')[0]!
          .trim()
          .toLowerCase();
        if (!INGEST_TYPES.has(contentType))
          throw new AppError(
            'UNSUPPORTED_MEDIA_TYPE',
            `content type must be one of ${[...INGEST_TYPES].join(', ')}`,
          );
        const ref = req.headers['bulwark-customer-ref'];
        if (Array.isArray(ref) || (ref !== undefined && (ref.length === 0 || ref.length > 200)))
          throw new AppError(
            'VALIDATION_FAILED',
            'Bulwark-Customer-Ref must be one value of 1 to 200 characters',
          );
        const q = req.query;
        const tags = q.tags
          ?.split(',')
          .map((t) => t.trim())
          .filter(Boolean);
        if (tags?.some((t) => t.length > 64))
          throw new AppError('VALIDATION_FAILED', 'a tag is longer than 64 characters');
        const created = await recordings.ingest(
          actorFrom(req),
          {
            callId: q.callId,
            kind: q.kind,
            agent: q.agent,
            team: q.team,
            site: q.site,
            region: q.region,
            customerRef: ref,
            startedAt: new Date(q.startedAt),
            endedAt: q.endedAt ? new Date(q.endedAt) : undefined,
            codec: q.codec,
            contentType,
            paymentTaken: q.paymentTaken === 'true',
            tags,
          },
          req.raw,
        );
        return reply.code(201).send({
          id: created.id,
          bytes: created.bytes,
          status: created.status,
          createdAt: created.createdAt,
        });
      },
    );
  });

  // Transcripts arrive as canonical JSONL and are redacted before anything is stored.
  await app.register(async (plain) => {
    plain.addContentTypeParser(
      'application/x-ndjson',
      { parseAs: 'string', bodyLimit: MAX_TRANSCRIPT_BYTES },
      (_req, body, done) => done(null, body),
    );
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    scope.put(
      '/v1/recordings/:id/transcript',
      {
        config: {
          access: {
            action: 'recording.ingest',
            resource: (req) => ({ type: 'System', tenantId: req.auth!.tenantId }),
          },
        },
        bodyLimit: MAX_TRANSCRIPT_BYTES,
        schema: {
          tags: ['recordings'],
          operationId: 'attachTranscript',
          summary:
            'Attach the call transcript (canonical JSONL); it is redacted before it is stored, encrypted',
          description:
            'Body `application/x-ndjson`, one utterance a line: {"call_id","speaker","start","end","text","words"?}. ' +
            'Card numbers (digits or spoken, across turns), CVVs and other personal data are replaced before storage; ' +
            'the response gives counts and the audio spans to silence, never content.',
          consumes: ['application/x-ndjson'],
          params: idParams,
          response: {
            200: z.object({
              bytes: z.number(),
              redactions: z.number(),
              silence: z.array(z.object({ start: z.number(), end: z.number() })),
            }),
          },
        },
      },
      async (req) => {
        if (typeof req.body !== 'string')
          throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the transcript as application/x-ndjson');
        return contentService.attachTranscript(actorFrom(req), req.params.id, req.body);
      },
    );
  });

  app.get(
    '/v1/recordings/:id/transcript',
    {
      config: { access: { action: 'recording.play' } },
      schema: {
        tags: ['recordings'],
        operationId: 'readTranscript',
        summary: 'The redacted transcript (JSONL) of a recording, for those who may play it',
        params: idParams,
        querystring: z.strictObject({ purpose }),
      },
    },
    async (req, reply) => {
      const { resource } = await recordings.resourceOf(req.auth!.tenantId, req.params.id);
      await req.authorize({ ...resource, type: 'Transcript' }, { purpose: req.query.purpose });
      const text = await contentService.readTranscript(req.auth!.tenantId, req.params.id);
      return reply.type('application/x-ndjson; charset=utf-8').send(text);
    },
  );

  app.post(
    '/v1/recordings/:id/redact',
    {
      config: { access: { action: 'recording.redact' } },
      bodyLimit: 256 * 1024,
      schema: {
        tags: ['recordings'],
        operationId: 'redactRecordingAudio',
        summary:
          'Make a redacted derivative of a WAV recording (silence or beep over spans, transcript findings, DTMF key presses)',
        params: idParams,
        body: z.strictObject({
          spans: z
            .array(z.object({ start: z.number().min(0), end: z.number().min(0) }))
            .max(10_000)
            .optional(),
          fromTranscript: z.boolean().optional(),
          maskDtmf: z.boolean().optional(),
          mode: z.enum(['silence', 'beep']).optional(),
          padMs: z.number().int().min(0).max(5000).optional(),
          original: z
            .enum(['keep', 'restrict', 'destroy'])
            .optional()
            .describe('default restrict: the original is then reachable only through an investigation case'),
          purpose,
        }),
        response: {
          200: z.object({
            derivative: recordingView,
            redactedSpans: z.array(z.object({ start: z.number(), end: z.number() })),
            dtmfTones: z.number(),
            original: z.enum(['kept', 'restricted', 'destroyed']),
          }),
        },
      },
    },
    async (req) => {
      const { resource } = await recordings.resourceOf(req.auth!.tenantId, req.params.id);
      await req.authorize(resource, { purpose: req.body.purpose });
      return contentService.redactAudio(actorFrom(req), req.params.id, req.body);
    },
  );

  app.get(
    '/v1/recordings',
    {
      config: { access: { action: 'recording.list' } },
      schema: {
        tags: ['recordings'],
        operationId: 'listRecordings',
        summary: "Recordings within the caller's scope (their teams, their open cases), newest first",
        querystring: listQuery,
        response: { 200: z.object({ items: z.array(recordingView), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query;
      await req.authorize({ type: 'System', tenantId: req.auth!.tenantId }, { purpose: q.purpose ?? '' });
      return recordings.list(
        req.auth!.tenantId,
        recordings.scopeOf(toPrincipal(req.auth!), supervisorPlayback),
        listFilters(q),
      );
    },
  );

  app.get(
    '/v1/recordings/gaps',
    {
      config: { access: { action: 'recording.list' } },
      schema: {
        tags: ['recordings'],
        operationId: 'recordingGapReport',
        summary: 'Pause/resume gaps of the recordings in scope, for quality teams',
        querystring: listQuery,
        response: {
          200: z.object({
            items: z.array(
              z.object({
                recordingId: z.string(),
                callId: z.string(),
                team: z.string(),
                startedAt: z.string(),
                durationSeconds: z.number().nullable(),
                gaps: z.array(
                  z.object({
                    from: z.number(),
                    to: z.number().nullable(),
                    seconds: z.number().nullable(),
                    reason: z.string().nullable(),
                  }),
                ),
                pausedSeconds: z.number(),
                anomalies: z.array(z.string()),
              }),
            ),
            nextCursor: z.string().nullable(),
          }),
        },
      },
    },
    async (req) => {
      const q = req.query;
      await req.authorize({ type: 'System', tenantId: req.auth!.tenantId }, { purpose: q.purpose ?? '' });
      return recordings.gapReport(
        req.auth!.tenantId,
        recordings.scopeOf(toPrincipal(req.auth!), supervisorPlayback),
        listFilters(q),
      );
    },
  );

  app.get(
    '/v1/recordings/storage',
    {
      config: {
        access: {
          action: 'recording.storage',
          resource: (req) => ({ type: 'System', tenantId: req.auth!.tenantId }),
        },
      },
      schema: {
        tags: ['recordings'],
        operationId: 'recordingStorage',
        summary: 'Counts and bytes by kind and status, and active legal holds (no content or customer data)',
        response: {
          200: z.object({
            byKindAndStatus: z.array(
              z.object({
                kind: z.string(),
                status: z.string(),
                recordings: z.number(),
                bytes: z.number(),
                storedBytes: z.number(),
              }),
            ),
            activeLegalHolds: z.number(),
          }),
        },
      },
    },
    async (req) => recordings.storage(req.auth!.tenantId),
  );

  app.get(
    '/v1/recordings/:id',
    {
      config: { access: { action: 'recording.read' } },
      schema: {
        tags: ['recordings'],
        operationId: 'getRecording',
        summary: 'Metadata of one recording, with its markers and legal holds',
        params: idParams,
        querystring: z.strictObject({ purpose: purpose.optional() }),
        response: {
          200: recordingView.extend({ markers: z.array(markerView), legalHolds: z.array(holdView) }),
        },
      },
    },
    async (req) => {
      const tenantId = req.auth!.tenantId;
      const { row, resource } = await recordings.resourceOf(tenantId, req.params.id);
      await req.authorize(resource, { purpose: req.query.purpose ?? '' });
      const markers = (await recordings.markersOf([row.id])).get(row.id) ?? [];
      return {
        ...(await recordings.view(row)),
        markers,
        legalHolds: await cases.holdsOfRecording(tenantId, row.id),
      };
    },
  );

  for (const route of [
    { url: '/v1/recordings/:id/content', action: 'recording.play' as const, attachment: false },
    { url: '/v1/recordings/:id/download', action: 'recording.download' as const, attachment: true },
  ]) {
    app.get(
      route.url,
      {
        config: { access: { action: route.action } },
        schema: {
          tags: ['recordings'],
          operationId: route.attachment ? 'downloadRecording' : 'playRecording',
          summary: route.attachment
            ? 'Download the decrypted recording (a separately permitted action)'
            : 'Play the recording: supports one HTTP Range; only the chunks the range needs are decrypted',
          params: idParams,
          querystring: z.strictObject({ purpose }),
        },
      },
      async (req, reply) => {
        const { row, resource } = await recordings.resourceOf(req.auth!.tenantId, req.params.id);
        await req.authorize(resource, { purpose: req.query.purpose });
        // The range is checked against the stored length before the body is opened.
        const range = parseRange(req.headers.range, row.plaintext_bytes);
        const content = await recordings.openContent(row);
        reply.header('accept-ranges', 'bytes').header('cache-control', 'no-store').type(content.contentType);
        if (route.attachment)
          reply.header(
            'content-disposition',
            `attachment; filename="recording-${row.id}${extensionOf(content.contentType)}"`,
          );
        if (range) {
          reply
            .code(206)
            .header('content-range', `bytes ${range.start}-${range.end - 1}/${content.length}`)
            .header('content-length', range.end - range.start);
          return reply.send(content.stream(range.start, range.end));
        }
        reply.header('content-length', content.length);
        return reply.send(content.stream(0, content.length));
      },
    );
  }

  app.delete(
    '/v1/recordings/:id',
    {
      config: { access: { action: 'recording.delete' } },
      schema: {
        tags: ['recordings'],
        operationId: 'deleteRecording',
        summary:
          'Crypto-shred and delete a recording (refused under legal hold); evidence goes to the audit log',
        params: idParams,
        querystring: z.strictObject({ purpose }),
        response: { 200: z.object({ id: z.string(), deletedAt: z.string(), bytes: z.number() }) },
      },
    },
    async (req) => {
      const { resource } = await recordings.resourceOf(req.auth!.tenantId, req.params.id);
      await req.authorize(resource, { purpose: req.query.purpose });
      return recordings.remove(actorFrom(req), req.params.id, {
        kind: 'request',
        purpose: req.query.purpose,
      });
    },
  );

  app.post(
    '/v1/recordings/:id/markers',
    {
      config: {
        access: {
          action: 'recording.annotate',
          resource: (req) => ({ type: 'System', tenantId: req.auth!.tenantId }),
        },
      },
      bodyLimit: 4 * 1024,
      schema: {
        tags: ['recordings'],
        operationId: 'addRecordingMarker',
        summary: 'Record a pause or resume (e.g. while a payment is taken), in seconds from the start',
        params: idParams,
        body: z.strictObject({
          kind: z.enum(['pause', 'resume']),
          atSeconds: z
            .number()
            .min(0)
            .max(7 * 24 * 3600),
          reason: z.string().trim().min(1).max(100).optional().describe('e.g. payment'),
        }),
        response: { 201: markerView },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await recordings.addMarker(actorFrom(req), req.params.id, req.body)),
  );

  app.post(
    '/v1/recordings/:id/holds',
    {
      config: { access: { action: 'recording.hold' } },
      bodyLimit: 4 * 1024,
      schema: {
        tags: ['recordings'],
        operationId: 'placeRecordingHold',
        summary: 'Place a legal hold on a recording: it cannot be deleted or purged until released',
        params: idParams,
        body: z.strictObject({ reason: z.string().trim().min(3).max(500) }),
        response: { 201: holdView },
      },
    },
    async (req, reply) => {
      const { resource } = await recordings.resourceOf(req.auth!.tenantId, req.params.id);
      await req.authorize(resource, { purpose: req.body.reason });
      return reply
        .code(201)
        .send(await cases.placeHold(actorFrom(req), { recordingId: req.params.id }, req.body.reason));
    },
  );

  app.post(
    '/v1/holds/:id/release',
    {
      config: { access: { action: 'recording.hold' } },
      bodyLimit: 4 * 1024,
      schema: {
        tags: ['recordings'],
        operationId: 'releaseHold',
        summary: 'Release one legal hold (others on the same recording or case stay)',
        params: idParams,
        body: z.strictObject({ reason: z.string().trim().min(3).max(500) }),
        response: { 200: holdView },
      },
    },
    async (req) => {
      const tenantId = req.auth!.tenantId;
      const hold = await cases.findHold(tenantId, req.params.id);
      const resource = hold.recording_id
        ? (await recordings.resourceOf(tenantId, hold.recording_id)).resource
        : await cases.resourceOf(tenantId, hold.case_id!);
      await req.authorize(resource, { purpose: req.body.reason });
      return cases.releaseHold(actorFrom(req), req.params.id, req.body.reason);
    },
  );
};

function extensionOf(contentType: string): string {
  switch (contentType) {
    case 'audio/wav':
    case 'audio/x-wav':
    case 'audio/wave':
      return '.wav';
    case 'audio/basic':
      return '.au';
    case 'audio/mpeg':
      return '.mp3';
    case 'audio/ogg':
      return '.ogg';
    case 'audio/webm':
    case 'video/webm':
      return '.webm';
    case 'video/mp4':
      return '.mp4';
    default:
      return '.bin';
  }
}
