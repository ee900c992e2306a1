import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { type Config, loadConfig } from '../../src/config/config.ts';
import { type AppContext, createContext } from '../../src/context.ts';
import { type DatabaseHandle, openDatabase } from '../../src/db/connect.ts';
import { buildApp } from '../../src/http/app.ts';
import type { Clock } from '../../src/lib/clock.ts';

/**
 * Tests run on embedded PGlite by default and on a real PostgreSQL server when
 * TEST_DATABASE_URL is set (CI runs the suite both ways). Each harness gets a fresh database.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
export const engineName = TEST_DATABASE_URL ? 'postgres' : 'pglite';

export type TestClock = Clock & { advance: (ms: number) => void; set: (d: Date) => void };

export function createTestClock(start = new Date()): TestClock {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms) => (now += ms), set: (d) => (now = d.getTime()) };
}

/** Creates an empty PostgreSQL database for one test file and returns its URL. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  const name = `bulwark_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export type Harness = {
  ctx: AppContext;
  app: FastifyInstance;
  config: Config;
  clock: TestClock;
  dir: string;
  /** Every log line the app wrote, for canary scans. */
  logs: string[];
  close: () => Promise<void>;
};

/** A migrated database, a key dir in a temp folder, the services and the HTTP app. */
export async function createHarness(
  env: Record<string, string> = {},
  appOptions: { consoleDir?: string } = {},
): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-test-'));
  let drop: (() => Promise<void>) | undefined;
  let database: DatabaseHandle;
  if (TEST_DATABASE_URL) {
    const created = await createPostgresDatabase();
    drop = created.drop;
    database = await openDatabase({ engine: 'postgres', url: created.url, poolSize: 4 });
  } else {
    database = await openDatabase({ engine: 'pglite-memory' });
  }
  const config = loadConfig({
    BULWARK_DATA_DIR: path.join(dir, 'data'),
    BULWARK_KEY_DIR: path.join(dir, 'keys'),
    BULWARK_LOG_LEVEL: 'info',
    BULWARK_AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    ...env,
  });
  const clock = createTestClock();
  const ctx = await createContext(config, { purpose: 'test', clock, database });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const app = await buildApp(ctx, { logStream, ...appOptions });
  await app.ready();
  return {
    ctx,
    app,
    config,
    clock,
    dir,
    logs,
    close: async () => {
      await app.close();
      await database.close();
      await ctx.keyProvider.close();
      await drop?.();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
