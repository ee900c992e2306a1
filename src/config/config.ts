import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const positiveSeconds = (name: string, fallback: number) =>
  z.coerce
    .number({ error: `${name} must be a number of seconds` })
    .int(`${name} must be a whole number of seconds`)
    .positive(`${name} must be greater than zero`)
    .default(fallback);

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be one of true, false, 1, 0, yes, no' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Every environment variable Bulwark reads, validated once at start-up. Nothing else reads process.env. */
const envSchema = z
  .object({
    BULWARK_DATA_DIR: z.string().min(1).default('./data'),
    BULWARK_KEY_DIR: z.string().min(1).optional(),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must start with postgres:// or postgresql://')
      .optional(),
    BULWARK_HOST: z.string().min(1).default('0.0.0.0'),
    BULWARK_PORT: z.coerce
      .number({ error: 'BULWARK_PORT must be a port number' })
      .int('BULWARK_PORT must be a whole number')
      .min(0, 'BULWARK_PORT must be between 0 and 65535')
      .max(65535, 'BULWARK_PORT must be between 0 and 65535')
      .default(8080),
    BULWARK_SESSION_IDLE_SECONDS: positiveSeconds('BULWARK_SESSION_IDLE_SECONDS', 15 * 60),
    BULWARK_SESSION_MAX_SECONDS: positiveSeconds('BULWARK_SESSION_MAX_SECONDS', 12 * 60 * 60),
    BULWARK_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(100).default(10),
    BULWARK_LOCKOUT_SECONDS: z.coerce
      .number()
      .int()
      .min(1800, 'BULWARK_LOCKOUT_SECONDS must be at least 1800 (PCI DSS 8.3.4)')
      .default(1800),
    BULWARK_AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(30),
    BULWARK_MFA_REQUIRED: booleanFlag.default(true),
    BULWARK_TLS_CERT_FILE: z.string().min(1).optional(),
    BULWARK_TLS_KEY_FILE: z.string().min(1).optional(),
    BULWARK_METRICS_TOKEN: z
      .string()
      .min(16, 'BULWARK_METRICS_TOKEN must be at least 16 characters')
      .optional(),
    BULWARK_AUDIT_ORIGIN: z
      .string()
      .regex(/^[a-z0-9.-]+(\/[A-Za-z0-9._-]+)*$/, 'BULWARK_AUDIT_ORIGIN must look like host/path (no scheme)')
      .default('bulwark.local/audit'),
    BULWARK_AUDIT_CHECKPOINT_MS: z.coerce.number().int().min(50).max(1000).default(250),
    BULWARK_CONSOLE_DIR: z.string().min(1).optional(),
    BULWARK_CONSOLE_DEV: booleanFlag.default(false),
    BULWARK_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    BULWARK_TRUST_PROXY: z
      .string()
      .default('')
      .transform((v) => (v === '' || v === 'false' ? [] : v.split(',').map((p) => p.trim())))
      .refine(
        (list) =>
          list.every((p) => {
            const [ip, bits] = p.split('/');
            return isIP(ip ?? '') !== 0 && (bits === undefined || /^\d{1,3}$/.test(bits));
          }),
        {
          // Trusting every hop would let any client pick the address used for rate limits and audit.
          message:
            'BULWARK_TRUST_PROXY must list the reverse proxies as IP addresses or CIDR ranges, e.g. 10.0.0.5,10.1.0.0/16',
        },
      ),
    // Recording vault: where KEKs live, where bodies live, limits and schedules.
    BULWARK_KEK_PROVIDER: z
      .enum(['local', 'pkcs11'], { error: 'BULWARK_KEK_PROVIDER must be local or pkcs11' })
      .default('local'),
    BULWARK_KEK_PASSPHRASE: z
      .string()
      .min(12, 'BULWARK_KEK_PASSPHRASE must be at least 12 characters')
      .optional(),
    BULWARK_PKCS11_LIBRARY: z.string().min(1).optional(),
    BULWARK_PKCS11_TOKEN_LABEL: z.string().min(1).optional(),
    BULWARK_PKCS11_PIN: z.string().min(1).optional(),
    BULWARK_BLOB_DIR: z.string().min(1).optional(),
    BULWARK_RECORDING_MAX_BYTES: z.coerce
      .number({ error: 'BULWARK_RECORDING_MAX_BYTES must be a number of bytes' })
      .int()
      .min(1024)
      .default(16 * 1024 ** 3),
    BULWARK_SUPERVISOR_PLAYBACK: booleanFlag.default(false),
    BULWARK_PURGE_INTERVAL_SECONDS: positiveSeconds('BULWARK_PURGE_INTERVAL_SECONDS', 3600),
    BULWARK_COOKIE_SECURE: z
      .enum(['auto', 'true', 'false'], { error: 'BULWARK_COOKIE_SECURE must be auto, true or false' })
      .default('auto'),
    // Passkeys: the relying party is the host name the console is served from (no scheme, no port).
    BULWARK_WEBAUTHN_RP_ID: z
      .string()
      .regex(
        /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/,
        'BULWARK_WEBAUTHN_RP_ID must be a host name such as bulwark.example.com',
      )
      .default('localhost'),
    BULWARK_WEBAUTHN_ORIGIN: z
      .string()
      .regex(
        /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/,
        'BULWARK_WEBAUTHN_ORIGIN must be the console origin, scheme://host[:port], e.g. https://bulwark.example.com',
      )
      .default('http://localhost:8080'),
  })
  .refine((e) => Boolean(e.BULWARK_TLS_CERT_FILE) === Boolean(e.BULWARK_TLS_KEY_FILE), {
    message: 'BULWARK_TLS_CERT_FILE and BULWARK_TLS_KEY_FILE must be set together',
    path: ['BULWARK_TLS_CERT_FILE'],
  })
  .refine(
    (e) =>
      e.BULWARK_KEK_PROVIDER !== 'pkcs11' ||
      Boolean(e.BULWARK_PKCS11_LIBRARY && e.BULWARK_PKCS11_TOKEN_LABEL && e.BULWARK_PKCS11_PIN),
    {
      message:
        'BULWARK_KEK_PROVIDER=pkcs11 needs BULWARK_PKCS11_LIBRARY, BULWARK_PKCS11_TOKEN_LABEL and BULWARK_PKCS11_PIN',
      path: ['BULWARK_KEK_PROVIDER'],
    },
  )
  .refine(
    (e) => {
      const host = new URL(e.BULWARK_WEBAUTHN_ORIGIN).hostname;
      return host === e.BULWARK_WEBAUTHN_RP_ID || host.endsWith(`.${e.BULWARK_WEBAUTHN_RP_ID}`);
    },
    {
      message: 'BULWARK_WEBAUTHN_ORIGIN must be on BULWARK_WEBAUTHN_RP_ID or one of its subdomains',
      path: ['BULWARK_WEBAUTHN_ORIGIN'],
    },
  )
  .refine((e) => e.BULWARK_SESSION_IDLE_SECONDS <= e.BULWARK_SESSION_MAX_SECONDS, {
    message: 'BULWARK_SESSION_IDLE_SECONDS must not exceed BULWARK_SESSION_MAX_SECONDS',
    path: ['BULWARK_SESSION_IDLE_SECONDS'],
  });

export type Config = {
  dataDir: string;
  keyDir: string;
  databaseUrl: string | undefined;
  engine: 'pglite' | 'postgres';
  host: string;
  port: number;
  session: { idleSeconds: number; maxSeconds: number };
  lockout: { threshold: number; seconds: number };
  authRateLimitPerMinute: number;
  mfaRequired: boolean;
  tls: { certFile: string; keyFile: string } | undefined;
  metricsToken: string | undefined;
  audit: { origin: string; checkpointIntervalMs: number };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** The web console: the built folder served at / (default web/dist), or Vite's dev middleware. */
  console: { dir: string | undefined; dev: boolean };
  /** Reverse proxies whose X-Forwarded-For is believed; empty: none. */
  trustProxy: string[];
  /** Secure flag on the session cookie: always under in-process TLS, and when set behind a TLS proxy. */
  secureCookies: boolean;
  /** Passkey relying party: id (host name), display name, and the one origin assertions may come from. */
  webauthn: { rpId: string; rpName: string; origin: string };
  recordings: {
    /** Key-encryption-key provider; the local keystore file lives in `keyDir`, never the data dir. */
    kek:
      | { provider: 'local'; file: string; passphrase: string | undefined }
      | { provider: 'pkcs11'; library: string; tokenLabel: string; pin: string };
    blobDir: string;
    maxBytes: number;
    /** Supervisors may play their own teams' recordings (off by default). */
    supervisorPlayback: boolean;
    purgeIntervalSeconds: number;
  };
};

/** Raised when the environment is invalid; the message names each offending variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Builds the configuration from an environment map (process.env by default).
 * @example
 * const config = loadConfig({ BULWARK_PORT: '9090' });
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings are treated as unset so `VAR= bulwark serve` behaves like omitting VAR.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([k, v]) =>
      k.startsWith('BULWARK_') || k === 'DATABASE_URL' ? v !== '' : false,
    ),
  );
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'environment');
      // Never echo the offending value: it may be a secret such as a metrics token or a database password.
      return `${variable}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.BULWARK_DATA_DIR);
  // Keys live beside, never inside, the data directory: a copy of the data dir alone must not carry its keys.
  const keyDir = path.resolve(
    e.BULWARK_KEY_DIR ?? path.join(path.dirname(dataDir), `${path.basename(dataDir)}-keys`),
  );
  if (keyDir === dataDir || keyDir.startsWith(dataDir + path.sep)) {
    throw new ConfigError(
      'Invalid configuration:\n  BULWARK_KEY_DIR: must not be inside BULWARK_DATA_DIR (keys are kept apart from data)',
    );
  }
  return {
    dataDir,
    keyDir,
    databaseUrl: e.DATABASE_URL,
    engine: e.DATABASE_URL ? 'postgres' : 'pglite',
    host: e.BULWARK_HOST,
    port: e.BULWARK_PORT,
    session: { idleSeconds: e.BULWARK_SESSION_IDLE_SECONDS, maxSeconds: e.BULWARK_SESSION_MAX_SECONDS },
    lockout: { threshold: e.BULWARK_LOCKOUT_THRESHOLD, seconds: e.BULWARK_LOCKOUT_SECONDS },
    authRateLimitPerMinute: e.BULWARK_AUTH_RATE_LIMIT_PER_MINUTE,
    mfaRequired: e.BULWARK_MFA_REQUIRED,
    tls:
      e.BULWARK_TLS_CERT_FILE && e.BULWARK_TLS_KEY_FILE
        ? { certFile: e.BULWARK_TLS_CERT_FILE, keyFile: e.BULWARK_TLS_KEY_FILE }
        : undefined,
    metricsToken: e.BULWARK_METRICS_TOKEN,
    audit: { origin: e.BULWARK_AUDIT_ORIGIN, checkpointIntervalMs: e.BULWARK_AUDIT_CHECKPOINT_MS },
    logLevel: e.BULWARK_LOG_LEVEL,
    console: {
      dir: e.BULWARK_CONSOLE_DIR ? path.resolve(e.BULWARK_CONSOLE_DIR) : undefined,
      dev: e.BULWARK_CONSOLE_DEV,
    },
    trustProxy: e.BULWARK_TRUST_PROXY,
    secureCookies:
      e.BULWARK_COOKIE_SECURE === 'auto'
        ? Boolean(e.BULWARK_TLS_CERT_FILE)
        : e.BULWARK_COOKIE_SECURE === 'true',
    webauthn: { rpId: e.BULWARK_WEBAUTHN_RP_ID, rpName: 'Bulwark', origin: e.BULWARK_WEBAUTHN_ORIGIN },
    recordings: {
      kek:
        e.BULWARK_KEK_PROVIDER === 'pkcs11'
          ? {
              provider: 'pkcs11',
              library: e.BULWARK_PKCS11_LIBRARY!,
              tokenLabel: e.BULWARK_PKCS11_TOKEN_LABEL!,
              pin: e.BULWARK_PKCS11_PIN!,
            }
          : { provider: 'local', file: path.join(keyDir, 'kek.json'), passphrase: e.BULWARK_KEK_PASSPHRASE },
      blobDir: path.resolve(e.BULWARK_BLOB_DIR ?? path.join(dataDir, 'blobs')),
      maxBytes: e.BULWARK_RECORDING_MAX_BYTES,
      supervisorPlayback: e.BULWARK_SUPERVISOR_PLAYBACK,
      purgeIntervalSeconds: e.BULWARK_PURGE_INTERVAL_SECONDS,
    },
  };
}
