import { useQuery } from '@tanstack/react-query';
import { api, messageOf, unwrap } from '../api/client';
import { ExportDownloads } from './data-export';
import { Alert, Badge, Card, DataTable, Loading } from './ui';

/**
 * "What Bulwark keeps about me": each category of the record of processing that can hold data
 * about the caller, how many rows it holds now, why, on what basis and for how long (counts only,
 * from GET /v1/me/data-summary), and the self-service export of all of it.
 */
export function MyDataSummary() {
  const summary = useQuery({
    queryKey: ['me', 'data-summary'],
    queryFn: () => unwrap(api.GET('/v1/me/data-summary')),
  });
  return (
    <Card title="What Bulwark keeps about me">
      <p className="mb-3 text-sm text-slate-800">
        Each kind of data Bulwark can hold about you, how many records it holds now, why it is kept and for
        how long. Download all of it at any time.
      </p>
      {summary.isPending ? (
        <Loading label="Loading what is kept about you…" />
      ) : summary.isError ? (
        <Alert>{messageOf(summary.error)}</Alert>
      ) : (
        <DataTable
          caption="What Bulwark keeps about me"
          rows={summary.data.categories}
          rowKey={(c) => c.category}
          empty="Bulwark keeps nothing about you."
          columns={[
            {
              header: 'Data',
              cell: (c) => (
                <span className="flex flex-wrap items-center gap-2">
                  {c.title}
                  {c.specialCategory && <Badge tone="warn">special category</Badge>}
                </span>
              ),
            },
            {
              header: 'Records held',
              cell: (c) => (c.held ? c.rows.toLocaleString() : 'none'),
              className: 'tabular-nums',
            },
            { header: 'Why', cell: (c) => c.purpose },
            { header: 'Lawful basis', cell: (c) => c.lawfulBasis },
            { header: 'Kept for', cell: (c) => c.retention },
            { header: 'Shared with', cell: (c) => c.recipients },
          ]}
        />
      )}
      <div className="mt-4">
        <ExportDownloads base="/v1/me/data-export" label="Download my data" fileBase="my-data" />
      </div>
    </Card>
  );
}
