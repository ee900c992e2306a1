/**
 * Stable, machine-readable error codes. Clients switch on `code`; the HTTP layer maps each
 * to a status and renders RFC 9457 problem+json. Add a code here before using it.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 422,
  MALFORMED_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  AUTHENTICATION_REQUIRED: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_MFA_CODE: 401,
  INVALID_CHALLENGE: 401,
  SESSION_EXPIRED: 401,
  ACCOUNT_LOCKED: 423,
  ACCOUNT_DISABLED: 403,
  FORBIDDEN: 403,
  /** Personal data of another residency region, and no transfer mechanism recorded for the pair. */
  TRANSFER_NOT_PERMITTED: 403,
  PASSWORD_CHANGE_REQUIRED: 403,
  PASSWORD_REJECTED: 422,
  CONFLICT: 409,
  /** The resource existed and was destroyed (e.g. a crypto-shredded recording). */
  GONE: 410,
  RANGE_NOT_SATISFIABLE: 416,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** A domain error whose message is safe to show to the caller (never holds secrets or card data). */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
    this.headers = options.headers;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
