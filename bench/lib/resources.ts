import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * Everything a benchmark creates outside its process (PostgreSQL databases, temp dirs) registers
 * its removal here; the runner calls `cleanupAll()` at the end, on error and on Ctrl-C.
 */
const cleanups: Array<{ what: string; run: () => Promise<void> }> = [];

export function onCleanup(what: string, run: () => Promise<void>): () => Promise<void> {
  const entry = { what, run };
  cleanups.push(entry);
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i < 0) return;
    cleanups.splice(i, 1);
    await run();
  };
}

let draining: Promise<void> | undefined;

/**
 * Runs every pending cleanup, newest first; reports failures and carries on. Concurrent callers
 * (the runner and a Ctrl-C handler) share one pass, so neither returns while a drop is in flight.
 */
export function cleanupAll(): Promise<void> {
  draining ??= (async () => {
    try {
      while (cleanups.length > 0) {
        const entry = cleanups.pop()!;
        try {
          await entry.run();
        } catch (e) {
          console.error(`bench: cleanup of ${entry.what} failed: ${e instanceof Error ? e.message : e}`);
        }
      }
    } finally {
      draining = undefined;
    }
  })();
  return draining;
}

export type ScratchDatabase = { name: string; url: string; drop: () => Promise<void> };

/**
 * Creates `bulwark_bench_<random>` on the server behind `adminUrl` and returns its URL. Only
 * databases created here are ever dropped.
 */
export async function createScratchDatabase(adminUrl: string): Promise<ScratchDatabase> {
  const name = `bulwark_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const drop = onCleanup(`database ${name}`, async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(`drop database if exists ${name} with (force)`);
    } finally {
      await c.end();
    }
  });
  return { name, url: url.toString(), drop };
}

/** A fresh directory under the OS temp dir, removed at cleanup. */
export function createTempDir(prefix: string): { dir: string; remove: () => Promise<void> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bulwark-bench-${prefix}-`));
  const remove = onCleanup(`temp dir ${dir}`, async () => fs.rmSync(dir, { recursive: true, force: true }));
  return { dir, remove };
}

/** One query on a short-lived connection (server settings, version). */
export async function queryOnce<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}
