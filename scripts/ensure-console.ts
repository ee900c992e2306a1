/**
 * Builds the web console when web/dist is missing or older than its sources, so `npm start`
 * on a fresh clone serves the console without a separate build step. Quick when up to date.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const web = path.resolve(import.meta.dirname, '../web');
const built = path.join(web, 'dist', 'index.html');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

const sources = [path.join(web, 'src'), path.join(web, 'public')];
const inputs = ['index.html', 'vite.config.ts', 'package.json'].map(
  (f) => fs.statSync(path.join(web, f)).mtimeMs,
);
const newest = Math.max(...inputs, ...sources.map(newestSource));
const builtAt = fs.statSync(built, { throwIfNoEntry: false })?.mtimeMs ?? 0;
if (builtAt < newest) {
  process.stderr.write('Building the web console (web/dist)…\n');
  execFileSync('npm', ['run', 'build', '--workspace', 'web', '--silent'], { stdio: 'inherit' });
}
