import fs from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { acquireDataDirLock } from './data-dir-lock.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import type { Database } from './schema.ts';

export type DatabaseHandle = {
  db: Kysely<Database>;
  engine: 'pglite' | 'postgres';
  /** Checkpoints (embedded) and closes; safe to call twice. */
  close: () => Promise<void>;
};

const INT8_OID = 20;
// int8 ids and tree sizes stay far below 2^53; numbers keep the code free of bigint/string unions.
const parseInt8 = (v: string) => Number(v);

export type OpenOptions =
  | { engine: 'postgres'; url: string; poolSize?: number }
  | { engine: 'pglite'; dataDir: string; purpose: string }
  | { engine: 'pglite-memory'; pglite?: PGlite };

/**
 * Opens the database: PGlite under `<dataDir>/pgdata` (taking the data-dir lock first) or a
 * PostgreSQL pool. The same Kysely code runs on both.
 */
export async function openDatabase(options: OpenOptions): Promise<DatabaseHandle> {
  if (options.engine === 'postgres') {
    // Each engine's driver is imported only when used: together they cost about half a second of
    // start-up, paid by every CLI command otherwise.
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID
            ? parseInt8
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // A dropped idle connection must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    await sql`select 1`.execute(db);
    let closed = false;
    return {
      db,
      engine: 'postgres',
      close: async () => {
        if (closed) return;
        closed = true;
        await db.destroy();
      },
    };
  }
  let lock: { release: () => void } | undefined;
  const { PGlite } = await import('@electric-sql/pglite');
  let pglite: PGlite;
  if (options.engine === 'pglite') {
    lock = acquireDataDirLock(options.dataDir, options.purpose);
    try {
      const pgdata = path.join(options.dataDir, 'pgdata');
      fs.mkdirSync(pgdata, { recursive: true, mode: 0o700 });
      pglite = await PGlite.create({ dataDir: pgdata, parsers: { [INT8_OID]: parseInt8 } });
    } catch (e) {
      lock.release();
      throw e;
    }
  } else {
    pglite = options.pglite ?? (await PGlite.create({ parsers: { [INT8_OID]: parseInt8 } }));
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  let closed = false;
  return {
    db,
    engine: 'pglite',
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        // Waits for in-flight work (the dialect mutex), then flushes so the next start needs no recovery.
        await sql`checkpoint`.execute(db);
        await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}
