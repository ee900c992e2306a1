import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, ERROR_STATUS, type ErrorCode, isAppError } from '../lib/errors.ts';

const TITLES: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The request is not valid',
  MALFORMED_REQUEST: 'The request could not be read',
  PAYLOAD_TOO_LARGE: 'The request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported content type',
  NOT_FOUND: 'Not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  AUTHENTICATION_REQUIRED: 'Authentication required',
  INVALID_CREDENTIALS: 'Invalid credentials',
  INVALID_MFA_CODE: 'Invalid authentication code',
  INVALID_CHALLENGE: 'Invalid or expired sign-in challenge',
  SESSION_EXPIRED: 'Session expired',
  ACCOUNT_LOCKED: 'Account locked',
  ACCOUNT_DISABLED: 'Account disabled',
  FORBIDDEN: 'Forbidden',
  TRANSFER_NOT_PERMITTED: 'Cross-border transfer not permitted',
  PASSWORD_CHANGE_REQUIRED: 'Password change required',
  PASSWORD_REJECTED: 'Password rejected',
  CONFLICT: 'Conflict',
  GONE: 'Gone',
  RANGE_NOT_SATISFIABLE: 'Range not satisfiable',
  RATE_LIMITED: 'Too many requests',
  SERVICE_UNAVAILABLE: 'Service unavailable',
  INTERNAL: 'Internal server error',
};

export type Problem = {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  instance?: string;
  request_id: string;
  errors?: Array<{ pointer: string; message: string }>;
  [k: string]: unknown;
};

/** Renders an AppError as RFC 9457 problem+json. */
export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  const body: Problem = {
    type: `urn:bulwark:problem:${error.code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[error.code],
    status: error.status,
    code: error.code,
    request_id: request.id,
  };
  if (error.status < 500) {
    body.detail = error.message;
    if (error.details) Object.assign(body, error.details);
  }
  if (error.headers) reply.headers(error.headers);
  return reply.code(error.status).type('application/problem+json').send(body);
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_REQUEST',
};

/** Maps every error to problem+json. 5xx responses never carry detail; the log keeps the cause. */
export function toAppError(error: FastifyError | Error): AppError {
  if (isAppError(error)) return error;
  const fe = error as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fe)) {
    const where = fe.validationContext ?? 'body';
    const errors = fe.validation.map((v) => ({
      pointer: `/${where}${v.instancePath}`,
      message: v.message ?? 'invalid',
    }));
    const detail = errors.map((e) => `${e.pointer}: ${e.message}`).join('; ');
    return new AppError('VALIDATION_FAILED', detail.slice(0, 500), { details: { errors } });
  }
  if (fe.code && FASTIFY_CODES[fe.code]) {
    const code = FASTIFY_CODES[fe.code]!;
    const message =
      code === 'MALFORMED_REQUEST'
        ? 'The request body is not valid JSON.'
        : code === 'PAYLOAD_TOO_LARGE'
          ? 'The request body exceeds the size limit for this route.'
          : 'Send the body as application/json.';
    return new AppError(code, message);
  }
  if (fe instanceof SyntaxError || (fe as { type?: string }).type === 'entity.parse.failed')
    return new AppError('MALFORMED_REQUEST', 'The request body is not valid JSON.');
  const status = fe.statusCode ?? 500;
  if (status === 429) return new AppError('RATE_LIMITED', 'Too many requests; slow down and retry later.');
  if (status === 404) return new AppError('NOT_FOUND', 'Not found.');
  if (status === 405) return new AppError('METHOD_NOT_ALLOWED', 'Method not allowed.');
  if (status === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type.');
  if (status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large.');
  if (status >= 400 && status < 500)
    return new AppError('MALFORMED_REQUEST', 'The request could not be processed.');
  return new AppError('INTERNAL', 'Internal server error', { cause: error });
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error as FastifyError);
    if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: appError.code, status: appError.status }, 'request rejected');
    return sendProblem(reply, request, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      request,
      new AppError('NOT_FOUND', 'No such route. The API is described at /openapi.json.'),
    ),
  );
}

export const problemStatusCodes = ERROR_STATUS;
