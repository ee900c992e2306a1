import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPostgresDatabase, TEST_DATABASE_URL } from './harness.ts';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/bulwark');

export type CliEnv = { env: Record<string, string>; dir: string; cleanup: () => Promise<void> };

/** A fresh data dir and key dir (and a fresh PostgreSQL database when TEST_DATABASE_URL is set). */
export async function createCliEnv(extra: Record<string, string> = {}): Promise<CliEnv> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-cli-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    BULWARK_DATA_DIR: path.join(dir, 'data'),
    BULWARK_KEY_DIR: path.join(dir, 'keys'),
    BULWARK_LOG_LEVEL: 'warn',
    ...extra,
  };
  let drop: (() => Promise<void>) | undefined;
  if (TEST_DATABASE_URL) {
    const created = await createPostgresDatabase();
    env.DATABASE_URL = created.url;
    drop = created.drop;
  }
  return {
    env,
    dir,
    cleanup: async () => {
      await drop?.();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type CliResult = { code: number; stdout: string; stderr: string };

/** Runs `bin/bulwark` to completion. */
export function runBulwark(args: string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

export type RunningCli = { child: ChildProcess; url: string; output: () => string; exited: Promise<number> };

/** Starts `bulwark serve` on a free port and waits until it prints its URL. */
export async function startServe(env: Record<string, string>): Promise<RunningCli> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { BULWARK_PORT: '0', BULWARK_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : -1))),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    const check = () => {
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited early:\n${out}`));
    });
  });
  return { child, url, output: () => out, exited };
}
