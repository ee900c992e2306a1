import type { FastifyServerOptions } from 'fastify';

// Key names that may carry secrets or card data anywhere in a logged object (three levels deep,
// as Infisical does). Paths are static configuration, never user input.
const SENSITIVE_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'secret',
  'challenge',
  'code',
  'recoveryCode',
  'pan',
  'cvv',
  'totp',
];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...SENSITIVE_KEYS.flatMap((k) => {
    const key = k.includes('-') ? `["${k}"]` : k;
    return k.includes('-') ? [key, `*${key}`, `*.*${key}`] : [key, `*.${key}`, `*.*.${key}`];
  }),
];

/** pino options: JSON lines, redaction, request bodies never logged (Fastify does not log them). */
export function createLoggerOptions(
  level: string,
  stream?: NodeJS.WritableStream,
): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    ...(stream ? { stream } : {}),
    serializers: {
      // Only the path template and method: query strings can carry identifiers.
      req: (req: {
        method: string;
        routeOptions?: { url?: string };
        url: string;
        id: string;
        ip?: string;
      }) => ({
        method: req.method,
        route: req.routeOptions?.url ?? 'unmatched',
        id: req.id,
        ip: req.ip,
      }),
    },
  } as FastifyServerOptions['logger'];
}
