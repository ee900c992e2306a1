import { useId } from 'react';

export type BarSeries = {
  label: string;
  /** A literal Tailwind fill class (kept literal so Tailwind's scanner sees it), e.g. 'fill-blue-800'. */
  fillClass: string;
  /** The legend swatch, same colour as a background class, e.g. 'bg-blue-800'. */
  swatchClass: string;
};

type Props = {
  /** Names the chart and its table (the table's caption). */
  title: string;
  /** One line saying what is counted, read by screen readers with the chart. */
  summary: string;
  /** Header of the category column in the table, e.g. 'Day'. */
  categoryHeader: string;
  categories: string[];
  series: BarSeries[];
  /** values[c][s]: the value of series s for category c. */
  values: number[][];
};

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { top: 12, right: 8, bottom: 28, left: 40 };

/** A round axis maximum (1, 2, 5 × 10^n) at or above the largest value. */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const pow = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * pow >= max) return m * pow;
  return 10 * pow;
}

/**
 * Grouped bar chart in SVG (no scripts, no external resources), with a legend that names every
 * colour in text and the same numbers as a captioned table for anyone who cannot see the chart.
 */
export function BarChart({ title, summary, categoryHeader, categories, series, values }: Props) {
  const id = useId();
  const max = niceMax(Math.max(0, ...values.flat()));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const groupW = categories.length > 0 ? plotW / categories.length : plotW;
  const barW = Math.max(1, (groupW * 0.8) / Math.max(1, series.length));
  const labelEvery = Math.max(1, Math.ceil(categories.length / 10));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  // Whole-number ticks only: these are counts.
  const ticks = Number.isInteger(max / 2) ? [0, max / 2, max] : [0, max];

  return (
    <figure className="flex flex-col gap-2">
      <figcaption className="text-sm font-semibold text-slate-900">{title}</figcaption>
      <ul className="flex flex-wrap gap-4 text-sm text-slate-800" aria-label={`${title}: legend`}>
        {series.map((s) => (
          <li key={s.label} className="flex items-center gap-2">
            <span aria-hidden="true" className={`inline-block h-3 w-3 rounded-sm ${s.swatchClass}`} />
            {s.label}
          </li>
        ))}
      </ul>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        className="h-auto w-full max-w-3xl"
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
      >
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>{summary} The table below lists the same numbers.</desc>
        {ticks.map((t) => (
          <g key={t}>
            <line
              x1={PAD.left}
              x2={WIDTH - PAD.right}
              y1={y(t)}
              y2={y(t)}
              className="stroke-slate-300"
              strokeWidth={1}
            />
            <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" className="fill-slate-700 text-[13px]">
              {t}
            </text>
          </g>
        ))}
        {categories.map((c, ci) => {
          const x0 = PAD.left + ci * groupW + groupW * 0.1;
          return (
            <g key={c}>
              {series.map((s, si) => {
                const v = values[ci]?.[si] ?? 0;
                return (
                  <rect
                    key={s.label}
                    x={x0 + si * barW}
                    y={y(v)}
                    width={Math.max(1, barW - 1)}
                    height={PAD.top + plotH - y(v)}
                    className={s.fillClass}
                  >
                    <title>{`${c}, ${s.label}: ${v}`}</title>
                  </rect>
                );
              })}
              {ci % labelEvery === 0 && (
                <text
                  x={x0 + (barW * series.length) / 2}
                  y={HEIGHT - 8}
                  textAnchor="middle"
                  className="fill-slate-700 text-[13px]"
                >
                  {c}
                </text>
              )}
            </g>
          );
        })}
        <line
          x1={PAD.left}
          x2={WIDTH - PAD.right}
          y1={PAD.top + plotH}
          y2={PAD.top + plotH}
          className="stroke-slate-700"
          strokeWidth={1}
        />
      </svg>
      <details className="text-sm">
        <summary className="cursor-pointer text-slate-900">Show the numbers as a table</summary>
        <div className="mt-2 overflow-x-auto rounded-lg border border-slate-300 bg-white">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <caption className="sr-only">{title}</caption>
            <thead className="bg-slate-100">
              <tr>
                <th scope="col" className="px-3 py-2 text-left font-semibold text-slate-900">
                  {categoryHeader}
                </th>
                {series.map((s) => (
                  <th key={s.label} scope="col" className="px-3 py-2 text-right font-semibold text-slate-900">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200">
              {categories.map((c, ci) => (
                <tr key={c}>
                  <th scope="row" className="px-3 py-1 text-left font-normal text-slate-900">
                    {c}
                  </th>
                  {series.map((s, si) => (
                    <td key={s.label} className="px-3 py-1 text-right tabular-nums text-slate-900">
                      {(values[ci]?.[si] ?? 0).toLocaleString()}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
