import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { queryOnce } from './resources.ts';

export type Machine = {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  postgres: string;
};

function readFirst(file: string, pattern: RegExp): string | undefined {
  try {
    return pattern.exec(fs.readFileSync(file, 'utf8'))?.[1]?.trim();
  } catch {
    return undefined;
  }
}

/** The machine the numbers come from: CPU from /proc/cpuinfo, memory, Node, OS, PostgreSQL server. */
export async function describeMachine(postgresUrl: string): Promise<Machine> {
  const cpuModel = readFirst('/proc/cpuinfo', /^model name\s*:\s*(.+)$/m) ?? os.cpus()[0]?.model ?? 'unknown';
  const distro = readFirst('/etc/os-release', /^PRETTY_NAME="?([^"\n]+)"?$/m);
  let postgres = 'unreachable';
  try {
    const rows = await queryOnce<{ version: string }>(postgresUrl, 'select version()');
    postgres = rows[0]?.version.split(',')[0] ?? 'unknown';
  } catch (e) {
    postgres = `unreachable (${e instanceof Error ? e.message : e})`;
  }
  return {
    cpuModel,
    cores: os.availableParallelism(),
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    os: `${distro ?? os.type()} (${os.type()} ${os.release()}, ${os.arch()})`,
    postgres,
  };
}

/** `uptime`'s load averages (1, 5, 15 min); falls back to os.loadavg() where `uptime` is missing. */
export function loadAverage(): string {
  try {
    const out = execFileSync('uptime', { encoding: 'utf8', timeout: 5_000 }).trim();
    const m = /load averages?:\s*(.+)$/.exec(out);
    if (m) return m[1]!.trim();
  } catch {
    // fall through
  }
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
}
