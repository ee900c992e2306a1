import path from 'node:path';
import { type Config, ConfigError, loadConfig } from '../config/config.ts';

/** Where a demo lives: one folder holding its database, blobs, keys, samples and credentials. */
export type DemoLayout = {
  root: string;
  dataDir: string;
  keyDir: string;
  samplesDir: string;
  credentialsFile: string;
};

// Variables that would point the demo at real storage or real keys: the demo always uses its own.
const STORAGE_VARIABLES = [
  'DATABASE_URL',
  'BULWARK_DATA_DIR',
  'BULWARK_KEY_DIR',
  'BULWARK_BLOB_DIR',
  'BULWARK_KEK_PROVIDER',
  'BULWARK_KEK_PASSPHRASE',
  'BULWARK_PKCS11_LIBRARY',
  'BULWARK_PKCS11_TOKEN_LABEL',
  'BULWARK_PKCS11_PIN',
];

const overlaps = (a: string, b: string) =>
  a === b || a.startsWith(b + path.sep) || b.startsWith(a + path.sep);

/**
 * The configuration of `bulwark serve --demo`: the normal configuration (port, host, TLS, log level
 * …) but on a separate folder, `BULWARK_DEMO_DATA_DIR` or `.bulwark-demo` beside the normal data
 * dir, always on embedded PGlite with a local keystore inside that folder, and MFA on. Refuses a
 * demo folder that overlaps the real data, key or blob directory.
 *
 * @example
 * const { config, layout } = demoConfig(process.env); // layout.root === '/srv/.bulwark-demo'
 */
export function demoConfig(env: Record<string, string | undefined>): { config: Config; layout: DemoLayout } {
  // The real locations, resolved exactly as `bulwark serve` would (defaults included).
  const real = loadConfig(
    Object.fromEntries(['BULWARK_DATA_DIR', 'BULWARK_KEY_DIR', 'BULWARK_BLOB_DIR'].map((k) => [k, env[k]])),
  );
  const root = path.resolve(
    env.BULWARK_DEMO_DATA_DIR || path.join(path.dirname(real.dataDir), '.bulwark-demo'),
  );
  for (const [name, dir] of [
    ['BULWARK_DATA_DIR', real.dataDir],
    ['BULWARK_KEY_DIR', real.keyDir],
    ['BULWARK_BLOB_DIR', real.recordings.blobDir],
  ] as const)
    if (overlaps(root, dir))
      throw new ConfigError(
        `Invalid configuration:\n  BULWARK_DEMO_DATA_DIR: must not overlap ${name} (${dir}); the demo never touches real data`,
      );
  const layout: DemoLayout = {
    root,
    dataDir: path.join(root, 'data'),
    keyDir: path.join(root, 'keys'),
    samplesDir: path.join(root, 'samples'),
    credentialsFile: path.join(root, 'credentials.json'),
  };
  const demoEnv: Record<string, string | undefined> = { ...env };
  for (const k of STORAGE_VARIABLES) delete demoEnv[k];
  Object.assign(demoEnv, {
    BULWARK_DATA_DIR: layout.dataDir,
    BULWARK_KEY_DIR: layout.keyDir,
    BULWARK_MFA_REQUIRED: 'true',
  });
  return { config: loadConfig(demoEnv), layout };
}
