/**
 * A real `bulwark serve` (or `serve --demo`) for browser tests: its own temporary data and key
 * folders, embedded PGlite, the console built once per run by the global setup, and WebAuthn set
 * up for the exact origin the browser uses (http://localhost:PORT, a secure context).
 *
 * @example
 * const server = await startBulwark();
 * await page.goto(`${server.url}/sign-in`);
 * // … sign in as server.admin (one-time password: enrolment and a password change follow)
 * await server.stop();
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { markTotpStepUsed } from './totp.ts';

const BIN = path.resolve(import.meta.dirname, '../../../bin/bulwark');

/** Sign-in details of an account: TOTP secret once enrolled. */
export type Credentials = { username: string; password: string; totpSecret?: string | undefined };

/** A seeded demo user as printed by `serve --demo` (TOTP already enrolled, no password change due). */
export type DemoUser = {
  username: string;
  roles: string[];
  teams: string[];
  permissions?: string[] | undefined;
  password: string;
  totpSecret: string;
};

export type RunningBulwark = {
  /** http://localhost:PORT (the WebAuthn origin; use this, not 127.0.0.1). */
  url: string;
  port: number;
  /**
   * The bootstrap administrator with the one-time password printed at first start (`it_admin`,
   * TOTP not enrolled yet, password change due). Undefined when the server printed none (demo store).
   */
  admin: Credentials;
  /** The demo's seeded users (only with `demo: true`). */
  demoUsers: DemoUser[];
  /** Vault tokens the demo seeded (only with `demo: true`). */
  demoTokens: Array<{ label: string; token: string }>;
  /** The server's temporary data dir (for a demo, the demo folder). */
  dataDir: string;
  /** Everything the server printed so far (stdout and stderr). */
  output: () => string;
  /** Stops the server (SIGTERM to its process group, SIGKILL after 10 s) and removes its folders. */
  stop: () => Promise<void>;
};

export type StartOptions = {
  /** Extra BULWARK_* variables, e.g. { BULWARK_SESSION_IDLE_SECONDS: '5' }. */
  env?: Record<string, string>;
  /** Runs `serve --demo` (seeded synthetic contact center; slower first start). */
  demo?: boolean;
};

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** A port that was free a moment ago (the server binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The console build of this e2e run (global setup), or BULWARK_E2E_CONSOLE_DIR. */
export function consoleDir(): string {
  const fromEnv = process.env.BULWARK_E2E_CONSOLE_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  return inject('consoleDir');
}

/**
 * Starts `node bin/bulwark serve` on a fresh temporary store and waits until it listens.
 * Auth rate limiting is raised (tests sign in often from one address); pass `env` to override.
 */
export async function startBulwark(options: StartOptions = {}): Promise<RunningBulwark> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (e) {
      // Another process may have taken the port between freePort() and listen: try once more.
      if (attempt >= 2 || !/EADDRINUSE/.test((e as Error).message)) throw e;
    }
  }
}

async function startOnce(options: StartOptions): Promise<RunningBulwark> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-e2e-'));
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? root,
    TZ: process.env.TZ ?? 'UTC',
    BULWARK_HOST: '127.0.0.1',
    BULWARK_PORT: String(port),
    BULWARK_DATA_DIR: path.join(root, 'data'),
    BULWARK_KEY_DIR: path.join(root, 'keys'),
    BULWARK_DEMO_DATA_DIR: path.join(root, 'demo'),
    BULWARK_CONSOLE_DIR: consoleDir(),
    BULWARK_WEBAUTHN_RP_ID: 'localhost',
    BULWARK_WEBAUTHN_ORIGIN: url,
    BULWARK_AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    BULWARK_LOG_LEVEL: 'warn',
    ...options.env,
  };
  const args = [BIN, 'serve', ...(options.demo ? ['--demo'] : [])];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  exited.then(() => running.delete(child));

  const removeRoot = () => fs.rmSync(root, { recursive: true, force: true });
  const stop = async () => {
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    removeRoot();
  };

  try {
    await new Promise<void>((resolve, reject) => {
      // The demo seeds synthetic audio on first start: allow it minutes on a slow machine.
      const timer = setTimeout(
        () => reject(new Error(`bulwark serve did not start in time:\n${out}`)),
        options.demo ? 240_000 : 90_000,
      );
      const check = () => {
        if (/listening on https?:\/\/\S+/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`bulwark serve exited early:\n${out}`));
      });
    });
  } catch (e) {
    await stop();
    throw e;
  }

  const password = /^\s*password: (\S+)$/m.exec(out)?.[1] ?? '';
  let demoUsers: DemoUser[] = [];
  let demoTokens: RunningBulwark['demoTokens'] = [];
  if (options.demo) {
    const file = path.join(root, 'demo', 'credentials.json');
    const creds = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      createdAt: string;
      users: DemoUser[];
      tokens: RunningBulwark['demoTokens'];
    };
    demoUsers = creds.users;
    demoTokens = creds.tokens;
    // The seed enrolled each user's TOTP with the code of its moment, before createdAt: that
    // step is spent (replay protection), so the first code we send must come after it.
    for (const u of demoUsers) markTotpStepUsed(u.totpSecret, Date.parse(creds.createdAt));
  }
  return {
    url,
    port,
    admin: { username: 'admin', password },
    demoUsers,
    demoTokens,
    dataDir: options.demo ? path.join(root, 'demo') : path.join(root, 'data'),
    output: () => out,
    stop,
  };
}

/** The demo user with this role (the first one, e.g. 'it_admin' → it.admin). Throws when none. */
export function demoUser(server: RunningBulwark, role: string): DemoUser {
  const user = server.demoUsers.find((u) => u.roles.includes(role));
  if (!user) throw new Error(`the demo has no user with role ${role}`);
  return user;
}
