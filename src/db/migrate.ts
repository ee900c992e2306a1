import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
// Any constant works; it only has to be the same for every Bulwark process sharing a database.
const MIGRATION_LOCK_KEY = 4_271_977_001;

export type Migration = { version: number; name: string; sql: string };

/** Reads `NNNN_name.sql` files in order; a gap or duplicate number is a packaging error. */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  return files.map((file, i) => {
    const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match) throw new Error(`Migration file name ${file} must look like 0001_name.sql`);
    const version = Number(match[1]);
    if (version !== i + 1) throw new Error(`Migration ${file} is out of sequence: expected number ${i + 1}`);
    return { version, name: match[2]!, sql: fs.readFileSync(path.join(dir, file), 'utf8') };
  });
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock so two servers
 * starting together on PostgreSQL cannot both apply one. Returns the versions applied.
 */
export async function migrate(db: Kysely<Database>, migrations = readMigrations()): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx);
    await sql`create table if not exists schema_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`.execute(
      trx,
    );
    const done = await sql<{ version: number }>`select version from schema_migrations`.execute(trx);
    const applied = new Set(done.rows.map((r) => Number(r.version)));
    const newlyApplied: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await sql.raw(m.sql).execute(trx);
      await sql`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`.execute(trx);
      newlyApplied.push(m.version);
    }
    return newlyApplied;
  });
}
