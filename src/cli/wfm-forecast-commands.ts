/**
 * `bulwark wfm forecasts import <forecasts|capacity> FILE.csv`: imports the planning system's
 * forecasts or capacity model directly on the data store, all or nothing, upserted on the natural
 * key (queue + interval_start; team + period_start). Operator command: audited as
 * `wfm.forecast.import` with the `cli` channel (counts only).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command, Option } from '@commander-js/extra-typings';
import type { AppContext } from '../context.ts';
import { AppError } from '../lib/errors.ts';
import type { Actor } from '../modules/users/users.service.ts';
import { createForecastsService, FORECAST_KINDS } from '../modules/wfm/wfm-forecasts.ts';
import { writeOut } from './io.ts';

type Deps = {
  withContext: <T>(purpose: string, fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
  cliActor: (ctx: AppContext, tenantSlug: string) => Promise<Actor>;
  tenantOption: () => Option<'--tenant <slug>', undefined, string, undefined, false, undefined>;
};

export function registerWfmForecastCommands(
  program: Command,
  { withContext, cliActor, tenantOption }: Deps,
): void {
  const wfm =
    (program.commands.find((c) => c.name() === 'wfm') as Command | undefined) ?? program.command('wfm');
  const forecasts = wfm
    .command('forecasts')
    .description('Forecasts and capacity models (aggregate, no person)');
  forecasts
    .command('import')
    .description(
      'Import forecasts (queue,interval_start,volume,aht_seconds) or capacity ' +
        '(team,period_start,required_agents,scheduled_agents); upserts, all or nothing',
    )
    .addArgument(program.createArgument('<kind>', 'what the file holds').choices(FORECAST_KINDS))
    .argument('<file>', 'CSV file')
    .addOption(tenantOption())
    .action(async (kind, file, opts) => {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        throw new AppError('VALIDATION_FAILED', `${file}: cannot read the file`);
      }
      await withContext('bulwark wfm forecasts import', async (ctx) => {
        const actor = await cliActor(ctx, opts.tenant);
        const service = createForecastsService({ db: ctx.database.db, audit: ctx.audit });
        try {
          const result = await service.importCsv(actor, kind, text, { file: path.basename(file) });
          await writeOut(
            `imported ${result.rows} ${kind} row(s) from ${path.basename(file)}: ` +
              `${result.inserted} new, ${result.updated} updated\n`,
          );
        } catch (e) {
          const issues =
            e instanceof AppError ? (e.details?.errors as Array<{ message: string }> | undefined) : undefined;
          if (!issues || issues.length < 2) throw e;
          for (const issue of issues) process.stderr.write(`${issue.message}\n`);
          throw new AppError('VALIDATION_FAILED', `${issues.length} problem(s); nothing was imported`);
        }
      });
    });
}
