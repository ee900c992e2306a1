/**
 * POST /v1/redact/stream: the streaming variant of /v1/redact. The request body is read as it
 * arrives and the redacted text is sent back as soon as it can no longer change, so memory stays
 * bounded whatever the body size and a card number split across network chunks never leaks part of
 * itself (the engine's hold-back, see engine/stream.ts).
 *
 * Completeness is signalled in-band at the HTTP level, because the status line has already gone out
 * when a problem is found mid-stream:
 * - a complete redaction ends with the trailer `Bulwark-Redaction: complete`;
 * - on bad input or an engine limit after output has started, the connection is reset before the
 *   final chunk, so every HTTP client reports a truncated response (curl exits 18), never a
 *   response that looks whole;
 * - a problem found before any output (bad policy, binary or invalid UTF-8 at the start, wrong
 *   content type) is an ordinary 4xx problem+json.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import type { Keyring } from '../../lib/keyring.ts';
import { InputError } from './engine/input.ts';
import { parsePolicy, type RedactionPolicy } from './engine/mask.ts';
import { redactByteStream, type StreamFormat } from './engine/stream-bytes.ts';
import { TranscriptFormatError } from './engine/transcript.ts';
import { DetectionLimitError } from './engine/types.ts';

/** One streamed request body may not exceed this (the engine itself needs no such bound). */
export const MAX_STREAM_BYTES = 256 * 1024 * 1024;
export const COMPLETE_TRAILER = 'Bulwark-Redaction';

/** Media types accepted on the stream route, and what each means. */
const STREAM_TYPES: Record<string, StreamFormat> = {
  'text/plain': 'text',
  'application/x-ndjson': 'transcript',
  'application/jsonl': 'transcript',
};

const mediaType = (header: string | undefined): string => (header ?? '').split(';')[0]!.trim().toLowerCase();

/** Engine errors are the caller's input problems: 4xx naming where, never a 500. */
function asAppError(e: unknown): unknown {
  if (e instanceof InputError || e instanceof TranscriptFormatError)
    return new AppError('VALIDATION_FAILED', e.message);
  if (e instanceof DetectionLimitError) return new AppError('PAYLOAD_TOO_LARGE', `withheld: ${e.message}`);
  return e;
}

/** Re-throws engine errors as AppErrors so a failure before the first byte becomes problem+json. */
async function* mapErrors(source: AsyncGenerator<string>): AsyncGenerator<string, void> {
  try {
    yield* source;
  } catch (e) {
    throw asAppError(e);
  }
}

export const redactionStreamRoutes: FastifyPluginAsyncZod<{ keyring: Keyring }> = async (
  app,
  { keyring },
) => {
  // The body is consumed by the handler, not buffered by a parser (that is the point of the route).
  // Every media type passes through unread so authentication runs first and the handler names the
  // accepted types; this plugin is encapsulated, so the pass-through applies to this route only.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  app.post(
    '/v1/redact/stream',
    {
      config: {
        access: {
          action: 'content.redact',
          resource: (req) => ({ type: 'System' as const, tenantId: req.auth!.tenantId }),
        },
      },
      schema: {
        tags: ['redaction'],
        operationId: 'redactStream',
        summary: 'Redact a text or JSONL transcript body as it arrives, streaming the result back',
        description:
          'Body `text/plain` (free text) or `application/x-ndjson` (canonical transcript, one utterance a line); ' +
          'the response has the same media type. A complete response ends with the HTTP trailer ' +
          '`Bulwark-Redaction: complete`; if the input turns out bad after output has started the connection ' +
          'is reset, so the client sees a truncated transfer rather than a partial result that looks whole.',
        consumes: Object.keys(STREAM_TYPES),
        produces: Object.keys(STREAM_TYPES),
        querystring: z.strictObject({
          policy: z
            .string()
            .max(16_384)
            .optional()
            .describe('JSON policy, operator per entity type, e.g. {"PAN":{"kind":"mask"}}'),
        }),
      },
    },
    async (req, reply) => {
      const type = mediaType(req.headers['content-type']);
      const format = STREAM_TYPES[type];
      if (!format)
        throw new AppError(
          'UNSUPPORTED_MEDIA_TYPE',
          `content type must be one of ${Object.keys(STREAM_TYPES).join(', ')}`,
        );
      let policy: RedactionPolicy | undefined;
      if (req.query.policy !== undefined) {
        try {
          policy = parsePolicy(
            JSON.parse(req.query.policy) as unknown,
            keyring.derivedKey(req.auth!.tenantId, 'redaction-hash'),
          );
        } catch (e) {
          throw new AppError('VALIDATION_FAILED', `policy: ${(e as Error).message}`, {
            details: { errors: [{ pointer: '/query/policy', message: (e as Error).message }] },
          });
        }
      }
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > MAX_STREAM_BYTES)
        throw new AppError('PAYLOAD_TOO_LARGE', `body is larger than ${MAX_STREAM_BYTES} bytes`);
      const pieces = mapErrors(
        redactByteStream(req.raw, { format, policy, name: 'body', maxBytes: MAX_STREAM_BYTES }),
      );
      // Wait for the first redacted piece before answering: until then nothing has been sent, so a
      // refusal is still an ordinary problem+json instead of a reset connection.
      const first = await pieces.next();
      const body = Readable.from(
        (async function* () {
          if (!first.done) yield first.value;
          yield* pieces;
        })(),
      );
      reply
        .type(`${type === 'text/plain' ? 'text/plain' : type}; charset=utf-8`)
        .header('cache-control', 'no-store')
        .trailer(COMPLETE_TRAILER, async () => 'complete');
      return reply.send(body);
    },
  );
};
