import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, messageOf, type paths, unwrap } from '../api/client';
import { BarChart, type BarSeries } from '../components/bar-chart';
import { Alert, Card, Loading, PageHeader, SelectField, TextField } from '../components/ui';

type ReportKind = 'adherence' | 'absence' | 'performance';
type Report = paths['/v1/wfm/reports/{report}']['get']['responses'][200]['content']['application/json'];
type Cell = Report['cells'][number];

/** What a suppressed cell says, everywhere it appears: never a number, never 0. */
export const SUPPRESSED = (min: number) => `suppressed (fewer than ${min} people)`;

const PALETTE: Array<Pick<BarSeries, 'fillClass' | 'swatchClass'>> = [
  { fillClass: 'fill-blue-800', swatchClass: 'bg-blue-800' },
  { fillClass: 'fill-amber-700', swatchClass: 'bg-amber-700' },
  { fillClass: 'fill-emerald-700', swatchClass: 'bg-emerald-700' },
  { fillClass: 'fill-purple-700', swatchClass: 'bg-purple-700' },
  { fillClass: 'fill-red-700', swatchClass: 'bg-red-700' },
  { fillClass: 'fill-slate-600', swatchClass: 'bg-slate-600' },
];

const label = (key: string) => key.replace(/_/g, ' ');
const thisMonth = () => new Date().toISOString().slice(0, 7);
const round1 = (n: number) => Math.round(n * 10) / 10;

/** The report's measures: one column per series, the unit in the header. */
function measuresOf(report: Report): Array<{ key: string; header: string; of: (c: Cell) => number }> {
  const released = report.cells.filter((c) => !c.suppressed);
  const keys = [...new Set(released.flatMap((c) => Object.keys(c.totals ?? {})))];
  if (report.report === 'adherence')
    return keys.map((k) => ({
      key: k,
      header: `${label(k)} (hours)`,
      of: (c) => round1((c.totals?.[k] ?? 0) / 3600),
    }));
  if (report.report === 'absence')
    return [
      ...keys.map((k) => ({ key: k, header: `${label(k)} (days)`, of: (c: Cell) => c.totals?.[k] ?? 0 })),
      { key: 'total', header: 'All absence days', of: (c: Cell) => c.value ?? 0 },
    ];
  return [
    { key: 'mean', header: `Mean ${label(report.metric ?? 'value')}`, of: (c) => round1(c.value ?? 0) },
  ];
}

/**
 * Aggregate WFM reports (executives, wfm_manager): adherence, absence or performance of one month
 * by team or site, as a chart with the numbers as a table. Cells covering fewer than five people
 * are suppressed by the server; they are shown as such, never as zero, and left out of the chart.
 */
export function WfmReportsScreen() {
  const [kind, setKind] = useState<ReportKind>('adherence');
  const [groupBy, setGroupBy] = useState<'team' | 'site'>('team');
  const [month, setMonth] = useState(thisMonth());
  const [metric, setMetric] = useState('');
  const metricOk = /^[a-z][a-z0-9_]{0,63}$/.test(metric.trim());
  const ready = /^\d{4}-(0[1-9]|1[0-2])$/.test(month) && (kind !== 'performance' || metricOk);
  const report = useQuery({
    queryKey: ['wfm', 'report', kind, groupBy, month, kind === 'performance' ? metric.trim() : ''],
    enabled: ready,
    queryFn: () =>
      unwrap(
        api.GET('/v1/wfm/reports/{report}', {
          params: {
            path: { report: kind },
            query: { groupBy, month, ...(kind === 'performance' ? { metric: metric.trim() } : {}) },
          },
        }),
      ),
  });
  return (
    <>
      <PageHeader
        title="WFM reports"
        description="Aggregates only: any figure that would describe fewer than five people is suppressed."
      />
      <form className="mb-4 flex flex-wrap items-end gap-3" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label="Report"
          value={kind}
          onChange={(v) => setKind(v as ReportKind)}
          options={[
            { value: 'adherence', label: 'Adherence' },
            { value: 'absence', label: 'Absence' },
            { value: 'performance', label: 'Performance' },
          ]}
        />
        <SelectField
          label="Group by"
          value={groupBy}
          onChange={(v) => setGroupBy(v as 'team' | 'site')}
          options={[
            { value: 'team', label: 'Team' },
            { value: 'site', label: 'Site' },
          ]}
        />
        <TextField label="Month" type="month" value={month} onChange={setMonth} name="month" />
        {kind === 'performance' && (
          <TextField
            label="Metric"
            value={metric}
            onChange={setMetric}
            name="metric"
            hint="The metric name as imported, e.g. aht or csat."
          />
        )}
      </form>
      {!ready ? (
        <Alert kind="info">
          {kind === 'performance' && !metricOk
            ? 'Name the metric to report on (lower-case letters, digits and underscores).'
            : 'Choose a month.'}
        </Alert>
      ) : report.isPending ? (
        <Loading label="Loading the report…" />
      ) : report.isError ? (
        <Alert>{messageOf(report.error)}</Alert>
      ) : (
        <ReportView report={report.data} />
      )}
    </>
  );
}

function ReportView({ report }: { report: Report }) {
  const measures = measuresOf(report);
  const released = report.cells.filter((c) => !c.suppressed);
  const suppressed = report.cells.filter((c) => c.suppressed);
  const groupHeader = report.groupBy === 'team' ? 'Team' : 'Site';
  const title = `${label(report.report)[0]!.toUpperCase()}${label(report.report).slice(1)} by ${report.groupBy}, ${report.month}`;
  return (
    <Card title={title}>
      {report.cells.length === 0 ? (
        <p className="text-sm text-slate-800">No data for this month.</p>
      ) : (
        <div className="flex flex-col gap-4">
          {released.length > 0 ? (
            <BarChart
              title={title}
              summary={`${measures.map((m) => m.header).join(', ')} per ${report.groupBy}; suppressed groups are not charted.`}
              categoryHeader={groupHeader}
              categories={released.map((c) => c.group)}
              series={measures.map((m, i) => ({ label: m.header, ...PALETTE[i % PALETTE.length]! }))}
              values={released.map((c) => measures.map((m) => m.of(c)))}
            />
          ) : (
            <p className="text-sm text-slate-800">
              Every group is suppressed this month: no group has at least {report.minCohort} people.
            </p>
          )}
          {suppressed.length > 0 && (
            <p className="text-sm text-slate-800">
              Not charted, {SUPPRESSED(report.minCohort)}: {suppressed.map((c) => c.group).join(', ')}.
            </p>
          )}
          <div className="overflow-x-auto rounded-lg border border-slate-300 bg-white">
            <table className="min-w-full divide-y divide-slate-200 text-sm">
              <caption className="px-3 py-2 text-left font-semibold text-slate-900">
                {title}: every group
              </caption>
              <thead className="bg-slate-100">
                <tr>
                  <th scope="col" className="px-3 py-2 text-left font-semibold text-slate-900">
                    {groupHeader}
                  </th>
                  <th scope="col" className="px-3 py-2 text-right font-semibold text-slate-900">
                    People
                  </th>
                  {measures.map((m) => (
                    <th key={m.key} scope="col" className="px-3 py-2 text-right font-semibold text-slate-900">
                      {m.header}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200">
                {report.cells.map((c) => (
                  <tr key={c.group}>
                    <th scope="row" className="px-3 py-1 text-left font-normal text-slate-900">
                      {c.group}
                    </th>
                    {c.suppressed ? (
                      <td
                        colSpan={measures.length + 1}
                        className="px-3 py-1 text-right italic text-slate-800"
                      >
                        {SUPPRESSED(report.minCohort)}
                      </td>
                    ) : (
                      <>
                        <td className="px-3 py-1 text-right tabular-nums text-slate-900">{c.agents}</td>
                        {measures.map((m) => (
                          <td key={m.key} className="px-3 py-1 text-right tabular-nums text-slate-900">
                            {m.of(c).toLocaleString()}
                          </td>
                        ))}
                      </>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </Card>
  );
}
