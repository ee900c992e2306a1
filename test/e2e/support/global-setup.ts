/**
 * Builds the web console once per e2e run into a temporary folder (never web/dist, which other
 * people build concurrently) and hands its path to the tests as `inject('consoleDir')`.
 * Set BULWARK_E2E_CONSOLE_DIR to an existing build to skip the build (e.g. while iterating).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    consoleDir: string;
  }
}

const WEB = path.resolve(import.meta.dirname, '../../../web');

export default function setup(project: TestProject): () => void {
  const given = process.env.BULWARK_E2E_CONSOLE_DIR;
  if (given) {
    if (!fs.existsSync(path.join(given, 'index.html')))
      throw new Error(`BULWARK_E2E_CONSOLE_DIR=${given} holds no index.html (build the console there first)`);
    project.provide('consoleDir', path.resolve(given));
    return () => {};
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-e2e-console-'));
  const vite = path.resolve(WEB, '../node_modules/.bin/vite');
  execFileSync(vite, ['build', '--outDir', dir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: WEB,
    stdio: 'inherit',
    // vitest sets NODE_ENV=test, which would give a development build of React.
    env: { ...process.env, NODE_ENV: 'production' },
  });
  project.provide('consoleDir', dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
