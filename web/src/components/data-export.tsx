import { useState } from 'react';
import { messageOf, type paths } from '../api/client';
import { downloadFile } from './download';
import { Alert, Button, SelectField } from './ui';

export type ExportCategory = NonNullable<
  NonNullable<paths['/v1/me/data-export']['get']['parameters']['query']>['category']
>;

/** The categories of an access-request export (one CSV each), in the server's order. */
export const EXPORT_CATEGORIES: Array<{ value: ExportCategory; label: string }> = [
  { value: 'identity', label: 'Identity (account)' },
  { value: 'sessions', label: 'Sign-in sessions' },
  { value: 'audit', label: 'Audit events' },
  { value: 'wfm_agent', label: 'WFM agent record' },
  { value: 'schedules', label: 'Schedules' },
  { value: 'adherence_events', label: 'Adherence state events' },
  { value: 'adherence_intervals', label: 'Adherence intervals' },
  { value: 'absences', label: 'Absences' },
  { value: 'performance', label: 'Performance' },
  { value: 'shift_swaps', label: 'Shift swaps' },
  { value: 'recordings', label: 'Recordings metadata' },
];

/**
 * Download buttons for an access-request export: one JSON document, a CSV of one category, or the
 * readable HTML summary. `base` is the export route (e.g. /v1/me/data-export); every download is
 * audited by the server, which is said next to the buttons.
 */
export function ExportDownloads({
  base,
  label,
  fileBase,
}: {
  base: string;
  label: string;
  fileBase: string;
}) {
  const [category, setCategory] = useState<ExportCategory>('schedules');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const get = async (format: 'json' | 'csv' | 'html') => {
    setBusy(format);
    setError(null);
    setSaved(null);
    const query = format === 'csv' ? `format=csv&category=${category}` : `format=${format}`;
    const ext = format === 'csv' ? `${category}.csv` : format;
    try {
      setSaved(await downloadFile(`${base}?${query}`, `${fileBase}.${ext}`));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <fieldset className="flex flex-col gap-3">
      <legend className="mb-1 text-sm font-semibold text-slate-900">{label}</legend>
      <div className="flex flex-wrap items-end gap-3">
        <Button onClick={() => void get('json')} disabled={busy !== null}>
          {busy === 'json' ? 'Preparing…' : 'Download JSON'}
        </Button>
        <Button variant="secondary" onClick={() => void get('html')} disabled={busy !== null}>
          {busy === 'html' ? 'Preparing…' : 'Download HTML summary'}
        </Button>
        <div className="flex items-end gap-2">
          <SelectField
            label="CSV category"
            value={category}
            onChange={(v) => setCategory(v as ExportCategory)}
            options={EXPORT_CATEGORIES}
          />
          <Button variant="secondary" onClick={() => void get('csv')} disabled={busy !== null}>
            {busy === 'csv' ? 'Preparing…' : 'Download CSV'}
          </Button>
        </div>
      </div>
      <p className="text-xs text-slate-700">Every download is recorded in the audit log.</p>
      {error && <Alert>{error}</Alert>}
      {saved && <Alert kind="success">Saved {saved}.</Alert>}
    </fieldset>
  );
}
