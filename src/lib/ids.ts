import { randomBytes, randomUUID } from 'node:crypto';

/** Random UUID v4 for row ids; ids carry no meaning so they leak nothing. */
export const newId = (): string => randomUUID();

/** URL-safe random secret with `bytes` of entropy. */
export const randomSecret = (bytes = 32): string => randomBytes(bytes).toString('base64url');

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isUuid = (s: string): boolean => UUID_RE.test(s);
