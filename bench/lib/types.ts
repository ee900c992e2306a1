/** What every `bench/<name>.bench.ts` receives. */
export type BenchOptions = {
  /** Smaller iteration counts and shorter runs, for development. */
  quick: boolean;
  /** Progress line to stderr (prefixed with the benchmark name by the runner). */
  log: (message: string) => void;
  /** Admin URL of the PostgreSQL server; benchmarks create and drop their own databases through it. */
  postgresUrl: string;
};

/**
 * One goal from the issue, measured. `measured`, `baseline` and `ratio` are display strings (units
 * included); the numbers behind them are in `data` so the results stay machine-readable.
 */
export type GoalResult = {
  /** Goal number in the issue, e.g. "1" or "2a". */
  id: string;
  /** The claim, e.g. "Audit append on PostgreSQL ≥ 20,000 durable events/s with p99 commit ≤ 10 ms". */
  goal: string;
  measured: string;
  baseline: string;
  /** measured ÷ baseline, with how to read it. */
  ratio: string;
  /** `null` when the row is informative only (no target). */
  met: boolean | null;
  data: Record<string, number>;
};

export type Table = { caption: string; header: string[]; rows: string[][] };

/** What a benchmark returns. */
export type BenchResult = {
  name: string;
  title: string;
  /** One paragraph: what is measured, against what baseline, and how. */
  method: string;
  goals: GoalResult[];
  tables: Table[];
  notes: string[];
  /** One or two sentences on what limits the figure, with the numbers (shown under the summary). */
  findings: string[];
};

export type Benchmark = (options: BenchOptions) => Promise<BenchResult>;
