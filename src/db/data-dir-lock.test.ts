import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirLockedError } from './data-dir-lock.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-lock-'));

describe('data-dir lock', () => {
  it('refuses a second holder while a live process holds it, naming the holder', async () => {
    const dir = tmp();
    // A separate live process holds the lock (a lock held by our own pid is treated as ours).
    const holder = spawn(process.execPath, [
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'bulwark.lock'))}, JSON.stringify({pid: process.pid, purpose: 'bulwark serve'})); setTimeout(() => {}, 60000)`,
    ]);
    // Wait for the holder to have written its lock (node start-up is slow on a loaded machine).
    const lockFile = path.join(dir, 'bulwark.lock');
    for (let i = 0; i < 300 && !fs.existsSync(lockFile); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 50));
    try {
      expect(() => acquireDataDirLock(dir, 'bulwark users list')).toThrow(DataDirLockedError);
      expect(() => acquireDataDirLock(dir, 'bulwark users list')).toThrow(
        `in use by process ${holder.pid} (bulwark serve)`,
      );
    } finally {
      holder.kill('SIGKILL');
    }
    await new Promise((r) => holder.on('close', r));
    // The holder died without releasing (kill -9): the stale lock is taken over.
    const lock = acquireDataDirLock(dir, 'after crash');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'bulwark.lock'), 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(fs.existsSync(path.join(dir, 'bulwark.lock'))).toBe(false);
  });

  it('takes over a half-written lock file', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'bulwark.lock'), '');
    const lock = acquireDataDirLock(dir, 'test');
    lock.release();
  });
});
