/**
 * `bulwark serve --demo`: prepares the demo folder (seeding it on first start, through the
 * services, before the server opens it) and prints the sign-in banner once the server listens.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.ts';
import { createContext } from '../context.ts';
import {
  credentialsOf,
  type DemoCredentials,
  formatDemoBanner,
  readCredentials,
  tokensFileText,
  writeCredentials,
} from './banner.ts';
import { demoConfig } from './demo-config.ts';
import { writeDemoSamples } from './samples.ts';
import { DEMO_MARK, DemoSeedError, seedDemo } from './seed.ts';

export type PreparedDemo = {
  config: Config;
  /** Prints the banner for the server's URL. */
  printBanner: (url: string) => void;
};

/**
 * Resolves the demo folder, seeds it when it is new, and writes the sample files. A second start
 * finds the credentials file and the database and seeds nothing.
 *
 * @example
 * const demo = await prepareDemo(process.env, print);
 * const server = await startServer(demo.config, print);
 * demo.printBanner(server.url);
 */
export async function prepareDemo(
  env: Record<string, string | undefined>,
  print: (line: string) => void,
): Promise<PreparedDemo> {
  const { config, layout } = demoConfig(env);
  fs.mkdirSync(layout.root, { recursive: true, mode: 0o700 });
  let credentials: DemoCredentials | undefined = readCredentials(layout.credentialsFile);
  const hasStore = fs.existsSync(path.join(layout.dataDir, 'pgdata', 'PG_VERSION'));
  if (credentials && !hasStore)
    throw new DemoSeedError(
      `${layout.credentialsFile} exists but the demo database does not. Delete ${layout.root} to start the demo afresh.`,
    );
  if (!credentials) {
    print(`${DEMO_MARK}: seeding a synthetic contact center into ${layout.root} (first start) ...`);
    const started = Date.now();
    const ctx = await createContext(config, { purpose: 'bulwark serve --demo (seeding)' });
    try {
      const result = await seedDemo(ctx);
      await ctx.audit.sequenceAll();
      if (result.status === 'already_seeded')
        throw new DemoSeedError(
          `The demo store in ${layout.root} is seeded but its credentials file is missing. Delete ${layout.root} to start the demo afresh.`,
        );
      credentials = credentialsOf(result.users, result.tokens, new Date());
      writeCredentials(layout.credentialsFile, credentials);
    } finally {
      await ctx.close();
    }
    print(`Seeded in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  }
  writeDemoSamples(layout.samplesDir);
  const tokensFile = path.join(layout.samplesDir, 'tokens.txt');
  if (!fs.existsSync(tokensFile)) fs.writeFileSync(tokensFile, tokensFileText(credentials), { mode: 0o600 });
  const shown = credentials;
  return {
    config,
    printBanner: (url) => {
      for (const line of formatDemoBanner({
        url,
        root: layout.root,
        samplesDir: layout.samplesDir,
        credentialsFile: layout.credentialsFile,
        credentials: shown,
      }))
        print(line);
    },
  };
}
