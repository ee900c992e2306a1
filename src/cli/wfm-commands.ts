/**
 * `bulwark wfm import <kind> FILE.csv [--mapping FILE.json]`: imports a WFM export directly on the
 * data store, all or nothing, with a progress bar for big files. Operator command: audited with the
 * `cli` channel (counts only).
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Command, Option } from '@commander-js/extra-typings';
import type { AppContext } from '../context.ts';
import { AppError } from '../lib/errors.ts';
import type { Actor } from '../modules/users/users.service.ts';
import { parseMapping, WFM_KINDS } from '../modules/wfm/wfm-csv.ts';
import { writeOut } from './io.ts';
import { createProgress, PROGRESS_MODES, type ProgressMode } from './progress.ts';

type Deps = {
  withContext: <T>(purpose: string, fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
  cliActor: (ctx: AppContext, tenantSlug: string) => Promise<Actor>;
  tenantOption: () => Option<'--tenant <slug>', undefined, string, undefined, false, undefined>;
};

const readFile = (file: string): string => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new AppError('VALIDATION_FAILED', `${file}: cannot read the file`);
  }
};

export function registerWfmCommands(program: Command, { withContext, cliActor, tenantOption }: Deps): void {
  const wfm = program.command('wfm').description('Workforce-management data');
  wfm
    .command('import')
    .description(
      'Import a WFM export (canonical CSV columns, or any columns with --mapping); upserts, all or nothing',
    )
    .addArgument(program.createArgument('<kind>', 'what the file holds').choices(WFM_KINDS))
    .argument('<file>', 'CSV file')
    .option('--mapping <file>', 'JSON column mapping: {"columns": {"Source": "canonical"}, "values": {...}}')
    .addOption(
      new Option('--progress <mode>', 'progress bar on stderr')
        .choices(PROGRESS_MODES)
        .default('auto' as const),
    )
    .addOption(tenantOption())
    .action(async (kind, file, opts) => {
      const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
      const text = readFile(file);
      const mapping = opts.mapping
        ? parseMapping(readFile(opts.mapping), path.basename(opts.mapping))
        : undefined;
      await withContext('bulwark wfm import', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const progress = createProgress({
          label: path.basename(file),
          totalBytes: size,
          mode: opts.progress as ProgressMode,
        });
        try {
          const result = await ctx.wfm.importCsv(actor, kind, text, {
            file: path.basename(file),
            mapping,
            onProgress: (phase, done, total) => progress.update(phase, done, total),
          });
          progress.finish();
          await writeOut(
            `imported ${result.rows} ${kind} row(s) from ${path.basename(file)}: ` +
              `${result.inserted} new, ${result.updated} updated\n`,
          );
        } catch (e) {
          progress.finish();
          const issues =
            e instanceof AppError ? (e.details?.errors as Array<{ message: string }> | undefined) : undefined;
          if (!issues || issues.length < 2) throw e;
          // Every problem on its own line; the last line says that nothing changed.
          for (const issue of issues) process.stderr.write(`${issue.message}\n`);
          throw new AppError('VALIDATION_FAILED', `${issues.length} problem(s); nothing was imported`);
        }
      });
    });
}
