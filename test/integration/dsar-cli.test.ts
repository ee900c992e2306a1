import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_CATEGORIES } from '../../src/modules/gdpr/dsar-export.ts';
import { PROCESSING_CATEGORIES } from '../../src/modules/gdpr/processing-record.ts';
import { type CliEnv, createCliEnv, runBulwark } from '../support/cli.ts';

let env: CliEnv;
beforeAll(async () => {
  env = await createCliEnv();
});
afterAll(async () => env?.cleanup());

const NAME = 'Zed <script>alert(1)</script> Zero';
const HOME = 'CANARY-CLI-HOME 9 Lane';

describe('bulwark dsar export / processing-record', () => {
  it('writes one JSON and one CSV per category plus an escaped index.html; refuses a non-empty directory', async () => {
    const dir = env.dir;
    fs.writeFileSync(
      path.join(dir, 'agents.csv'),
      `agent_id,username,name,team,site,region,home_address\nZ1,,"${NAME}",Team Z,Leeds,eu,"${HOME}"\nZ2,,Other Person,Team Z,Leeds,eu,CANARY-OTHER-HOME\n`,
    );
    const imported = await runBulwark(['wfm', 'import', 'agents', path.join(dir, 'agents.csv')], env.env);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);

    const out = path.join(dir, 'export-z1');
    const res = await runBulwark(['dsar', 'export', 'Z1', '--out', out], env.env);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^wrote \d+ row\(s\) in 11 categories to .*export-z1 \(open index\.html\)\n$/);
    const files = fs.readdirSync(out).sort();
    expect(files).toEqual(
      [...EXPORT_CATEGORIES.flatMap((c) => [`${c}.json`, `${c}.csv`]), 'index.html'].sort(),
    );
    for (const c of EXPORT_CATEGORIES)
      expect(Array.isArray(JSON.parse(fs.readFileSync(path.join(out, `${c}.json`), 'utf8')))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'wfm_agent.json'), 'utf8'))[0]).toMatchObject({
      agentId: 'Z1',
      name: NAME,
      homeAddress: HOME,
    });
    expect(fs.readFileSync(path.join(out, 'wfm_agent.csv'), 'utf8')).toContain(HOME);
    const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(html).not.toContain('<script>');
    expect(html).toContain('Zed &lt;script&gt;alert(1)&lt;/script&gt; Zero');
    expect(html).toContain('href="schedules.csv"');
    const all = files.map((f) => fs.readFileSync(path.join(out, f), 'utf8')).join('\n');
    expect(all).not.toContain('CANARY-OTHER-HOME');
    expect(all).not.toContain('Other Person');
    expect(fs.statSync(path.join(out, 'index.html')).mode & 0o077).toBe(0);

    const again = await runBulwark(['dsar', 'export', 'Z1', '--out', out], env.env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not empty');

    const record = await runBulwark(['processing-record', '--format', 'csv'], env.env);
    expect(record.code).toBe(0);
    const lines = record.stdout.trim().split('\r\n');
    expect(lines[0]).toBe(
      'category,title,data,purpose,lawfulBasis,specialCategory,retention,retentionConfiguredIn,recipients,transfers,customized',
    );
    expect(lines).toHaveLength(1 + PROCESSING_CATEGORIES.length);
    expect(record.stdout).toContain('No recording retention policy is configured');
  });
});
