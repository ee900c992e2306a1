import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_LIBRARY = '/usr/lib/softhsm/libsofthsm2.so';

export type SoftHsmToken = { dir: string; conf: string; slotId: string; label: string; pin: string };

/**
 * Makes a fresh SoftHSM2 token in a temp dir and points this process at it (`SOFTHSM2_CONF`, read
 * by SoftHSM2 in C_Initialize, so call this before the first PKCS#11 open). SoftHSM2 missing is an
 * error naming the Debian package, never a skip: CI installs `softhsm2`.
 */
export function makeSoftHsmToken(label: string, pin: string, soPin = '1234'): SoftHsmToken {
  if (!existsSync(SOFTHSM_LIBRARY)) {
    throw new Error(
      `SoftHSM2 PKCS#11 module missing at ${SOFTHSM_LIBRARY}: install the Debian package softhsm2 (apt-get install softhsm2)`,
    );
  }
  try {
    execFileSync('softhsm2-util', ['--version'], { encoding: 'utf8' });
  } catch (e) {
    throw new Error(
      `softhsm2-util is not runnable (${(e as Error).message}): install the Debian package softhsm2`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-softhsm-'));
  const conf = join(dir, 'softhsm2.conf');
  execFileSync('mkdir', ['-p', join(dir, 'tokens')]);
  writeFileSync(
    conf,
    `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  const out = execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--so-pin', soPin, '--pin', pin],
    {
      env: { ...process.env, SOFTHSM2_CONF: conf },
      encoding: 'utf8',
    },
  );
  const m = /reassigned to slot (\d+)/.exec(out);
  if (!m) throw new Error(`could not read the slot id from softhsm2-util output: ${out}`);
  return { dir, conf, slotId: m[1]!, label, pin };
}
