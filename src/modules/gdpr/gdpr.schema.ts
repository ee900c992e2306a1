/**
 * Table types of migration 0007 (access requests, record-of-processing edits), merged into
 * `Database` of src/db/schema.ts by module augmentation so this module's tables live beside it.
 */
import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** Data subject access requests (migration 0007). */
export interface DsarRequestsTable {
  id: string;
  tenant_id: string;
  subject_user_id: string | null;
  subject_agent_ref: string | null;
  received_at: Timestamp;
  due_at: Timestamp;
  status: ColumnType<
    'received' | 'in_progress' | 'completed' | 'rejected',
    'received' | 'in_progress' | 'completed' | 'rejected' | undefined,
    'received' | 'in_progress' | 'completed' | 'rejected'
  >;
  note: string | null;
  created_by: string | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  completed_at: Timestamp | null;
  /** jsonb: rows per category of the export that completed the request. */
  export_counts: ColumnType<Record<string, number> | string | null, string | null | undefined, string | null>;
}

/** A tenant's edits to one category of the record of processing activities (migration 0007). */
export interface ProcessingRecordOverridesTable {
  tenant_id: string;
  category: string;
  purpose: string | null;
  lawful_basis: string | null;
  recipients: string | null;
  transfers: string | null;
  updated_by: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

declare module '../../db/schema.ts' {
  interface Database {
    dsar_requests: DsarRequestsTable;
    processing_record_overrides: ProcessingRecordOverridesTable;
  }
}
