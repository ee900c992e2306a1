/**
 * Writes the API description the console's typed client is generated from:
 *   node --import tsx scripts/export-openapi.ts [--check]
 * Builds the app on a throwaway in-memory database (no network, no data dir of yours is touched).
 * With --check it exits 1 when the committed openapi/openapi.json differs (CI runs this).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.ts';
import { createContext } from '../src/context.ts';
import { openDatabase } from '../src/db/connect.ts';
import { buildApp } from '../src/http/app.ts';

const target = path.resolve(import.meta.dirname, '../openapi/openapi.json');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-openapi-'));
const database = await openDatabase({ engine: 'pglite-memory' });
try {
  const config = loadConfig({
    BULWARK_DATA_DIR: path.join(dir, 'data'),
    BULWARK_KEY_DIR: path.join(dir, 'keys'),
    BULWARK_LOG_LEVEL: 'silent',
  });
  const ctx = await createContext(config, { purpose: 'openapi export', database });
  const app = await buildApp(ctx);
  await app.ready();
  const text = `${JSON.stringify(app.swagger(), null, 2)}\n`;
  await app.close();
  await ctx.keyProvider.close();
  if (process.argv.includes('--check')) {
    const committed = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (committed !== text) {
      console.error('openapi/openapi.json is out of date: run `npm run openapi` and commit the result.');
      process.exitCode = 1;
    }
  } else {
    fs.writeFileSync(target, text);
  }
} finally {
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
