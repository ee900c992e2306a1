import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import type { Keyring } from '../../lib/keyring.ts';
import { DOCUMENT_FORMATS, type DocumentFormat, detectDocument, redactDocument } from './engine/documents.ts';
import { InputError } from './engine/input.ts';
import { parsePolicy } from './engine/mask.ts';
import { TranscriptFormatError } from './engine/transcript.ts';
import { DetectionLimitError, ENTITY_TYPES } from './engine/types.ts';

const finding = z.object({
  type: z.enum(ENTITY_TYPES),
  start: z.number(),
  end: z.number(),
  score: z.number(),
  rule: z.string(),
});
const utterance = z.strictObject({
  call_id: z.string().max(200),
  speaker: z.string().max(100),
  start: z.number().nonnegative(),
  end: z.number().nonnegative(),
  text: z.string().max(1_000_000),
  words: z
    .array(z.strictObject({ w: z.string().max(200), start: z.number(), end: z.number() }))
    .max(100_000)
    .optional(),
});
// Exactly one kind of content per request.
const content = z.union([
  z.strictObject({ text: z.string().max(5_000_000) }),
  z.strictObject({
    document: z.unknown().describe('any JSON value; every string (and long number) is scanned'),
  }),
  z.strictObject({
    utterances: z.array(utterance).max(50_000).describe('one call transcript, canonical utterances in order'),
  }),
  z.strictObject({
    file: z
      .string()
      .max(5_000_000)
      .describe('a whole file as text, read in `format` and (for /v1/redact) written back in it'),
    format: z
      .enum(DOCUMENT_FORMATS)
      .describe(
        'text, json, jsonl (any JSON per line), transcript (canonical JSONL), csv, chat (JSONL chat log), vtt, srt, aws (Amazon Transcribe JSON)',
      ),
  }),
]);
const policySchema = z
  .record(z.string(), z.unknown())
  .optional()
  .describe('operator per entity type, e.g. {"PAN":{"kind":"mask"},"default":{"kind":"redact"}}');

type Content = z.infer<typeof content>;
const serialise = (c: Content): { text: string; format: DocumentFormat } =>
  'file' in c
    ? { text: c.file, format: c.format }
    : 'text' in c
      ? { text: c.text, format: 'text' }
      : 'document' in c
        ? { text: JSON.stringify(c.document), format: 'json' }
        : { text: c.utterances.map((u) => JSON.stringify(u)).join('\n'), format: 'transcript' };

/** Engine errors are the caller's input problems: 422 naming where, never a 500. */
function asProblem(e: unknown): never {
  if (e instanceof InputError || e instanceof TranscriptFormatError)
    throw new AppError('VALIDATION_FAILED', e.message);
  if (e instanceof DetectionLimitError) throw new AppError('PAYLOAD_TOO_LARGE', `withheld: ${e.message}`);
  throw e;
}

/** POST /v1/detect and /v1/redact: the sensitive-data engine over HTTP. Request bodies are never logged. */
export const redactionRoutes: FastifyPluginAsyncZod<{ keyring: Keyring }> = async (app, { keyring }) => {
  const system = (req: import('fastify').FastifyRequest) => ({
    type: 'System' as const,
    tenantId: req.auth!.tenantId,
  });

  app.post(
    '/v1/detect',
    {
      config: { access: { action: 'content.detect', resource: system } },
      bodyLimit: 8 * 1024 * 1024,
      schema: {
        tags: ['redaction'],
        operationId: 'detect',
        summary: 'Find card numbers (digits or spoken), CVVs and personal data; nothing is stored',
        body: content,
        response: {
          200: z.union([
            z.object({ findings: z.array(finding) }),
            z.object({ fields: z.array(z.object({ path: z.string(), findings: z.array(finding) })) }),
            z.object({
              utterances: z.array(
                z.object({
                  line: z.number(),
                  findings: z.array(finding),
                  audio: z.array(z.object({ start: z.number(), end: z.number() })),
                }),
              ),
            }),
            z.object({
              report: z
                .looseObject({ format: z.enum(DOCUMENT_FORMATS) })
                .describe(
                  "a file's findings in its format's shape: text {findings}, json {fields}, jsonl {lines}, transcript/aws {utterances}, csv {cells}, chat {messages}, vtt/srt {cues, notes}",
                ),
            }),
          ]),
        },
      },
    },
    async (req) => {
      try {
        const { text, format } = serialise(req.body);
        const report = detectDocument(text, format, 'body');
        if ('file' in req.body) return { report };
        if (report.format === 'text') return { findings: report.findings };
        if (report.format === 'json') return { fields: report.fields };
        if (report.format === 'transcript') return { utterances: report.utterances };
        throw new Error(`unexpected report format ${report.format}`);
      } catch (e) {
        return asProblem(e);
      }
    },
  );

  app.post(
    '/v1/redact',
    {
      config: { access: { action: 'content.redact', resource: system } },
      bodyLimit: 8 * 1024 * 1024,
      schema: {
        tags: ['redaction'],
        operationId: 'redact',
        summary:
          'Return the content with sensitive data replaced per the policy (default: typed placeholders)',
        body: z.intersection(content, z.object({ policy: policySchema })),
        response: {
          200: z.object({
            findings: z.number(),
            text: z.string().optional(),
            file: z.string().optional().describe('the redacted file, in the format it was sent in'),
            document: z.unknown().optional(),
            utterances: z.array(z.record(z.string(), z.unknown())).optional(),
          }),
        },
      },
    },
    async (req) => {
      const { policy: rawPolicy, ...rest } = req.body as Content & { policy?: Record<string, unknown> };
      let policy: ReturnType<typeof parsePolicy> | undefined;
      try {
        policy = rawPolicy
          ? parsePolicy(rawPolicy, keyring.derivedKey(req.auth!.tenantId, 'redaction-hash'))
          : undefined;
      } catch (e) {
        throw new AppError('VALIDATION_FAILED', `policy: ${(e as Error).message}`, {
          details: { errors: [{ pointer: '/body/policy', message: (e as Error).message }] },
        });
      }
      try {
        const { text, format } = serialise(rest as Content);
        const { output, findings } = redactDocument(text, format, policy, 'body');
        if ('file' in rest) return { findings, file: output };
        if (format === 'text') return { findings, text: output };
        if (format === 'json') return { findings, document: JSON.parse(output) as unknown };
        return {
          findings,
          utterances: output.trim()
            ? output
                .trim()
                .split('\n')
                .map((l) => JSON.parse(l) as Record<string, unknown>)
            : [],
        };
      } catch (e) {
        return asProblem(e);
      }
    },
  );
};
