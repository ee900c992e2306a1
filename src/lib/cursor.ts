import { AppError } from './errors.ts';

/** Opaque keyset cursor over a numeric row id. */
export const encodeCursor = (id: number): string => Buffer.from(`k1:${id}`).toString('base64url');

export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^k1:(\d{1,15})$/.exec(text);
  if (!match)
    throw new AppError('VALIDATION_FAILED', 'cursor is not a value returned by this API', {
      details: { errors: [{ pointer: '/cursor', message: 'invalid cursor' }] },
    });
  return Number(match[1]);
}

/** Opaque keyset cursor over a unique text key (e.g. a username). */
export const encodeTextCursor = (key: string): string => Buffer.from(`t1:${key}`).toString('base64url');

export function decodeTextCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('t1:') || text.length > 300) {
    throw new AppError('VALIDATION_FAILED', 'cursor is not a value returned by this API', {
      details: { errors: [{ pointer: '/cursor', message: 'invalid cursor' }] },
    });
  }
  return text.slice(3);
}
