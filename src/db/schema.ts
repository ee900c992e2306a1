import type { ColumnType, Generated } from 'kysely';

/** Hand-written table types; they mirror migrations/*.sql and are checked by the integration tests. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Bytes = ColumnType<Buffer, Buffer | Uint8Array, Buffer | Uint8Array>;

export interface TenantsTable {
  id: string;
  slug: string;
  name: string;
  created_at: CreatedAt;
}

export interface TeamsTable {
  id: string;
  tenant_id: string;
  name: string;
  created_at: CreatedAt;
}

export interface UsersTable {
  id: string;
  tenant_id: string;
  username: string;
  roles: string[];
  region: string;
  site: string | null;
  status: ColumnType<'active' | 'disabled', 'active' | 'disabled' | undefined, 'active' | 'disabled'>;
  password_hash: string;
  must_change_password: ColumnType<boolean, boolean | undefined, boolean>;
  failed_attempts: ColumnType<number, number | undefined, number>;
  locked_until: Timestamp | null;
  totp_secret_enc: string | null;
  totp_enrolled_at: Timestamp | null;
  totp_last_step: ColumnType<number, number | undefined, number>;
  /** Role-independent grants such as 'detokenize' (migration 0002). */
  permissions: ColumnType<string[], string[] | undefined, string[]>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface UserTeamsTable {
  tenant_id: string;
  user_id: string;
  team_id: string;
}

export interface PasswordHistoryTable {
  id: Generated<number>;
  tenant_id: string;
  user_id: string;
  password_hash: string;
  created_at: CreatedAt;
}

export interface RecoveryCodesTable {
  id: string;
  tenant_id: string;
  user_id: string;
  code_hash: string;
  used_at: Timestamp | null;
}

export interface AuthChallengesTable {
  id: string;
  tenant_id: string;
  user_id: string;
  secret_hash: string;
  kind: 'mfa' | 'enroll';
  totp_secret_enc: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  expires_at: Timestamp;
  consumed_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface SessionsTable {
  id: string;
  tenant_id: string;
  user_id: string;
  secret_hash: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  absolute_expires_at: Timestamp;
  mfa_at: Timestamp;
  source_ip: string | null;
  revoked_at: Timestamp | null;
  revoked_reason: string | null;
}

export interface AuditEventsTable {
  id: Generated<number>;
  tenant_id: string;
  event_id: string;
  occurred_at: Timestamp;
  actor_user_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  outcome: string;
  body: string;
  body_mac: Bytes;
  leaf_index: number | null;
  leaf_hash: Bytes | null;
  seal: Bytes | null;
}

export interface AuditNodesTable {
  tenant_id: string;
  level: number;
  idx: number;
  hash: Bytes;
}

export interface AuditTreesTable {
  tenant_id: string;
  size: ColumnType<number, number | undefined, number>;
  frontier: ColumnType<Buffer[], Buffer[] | undefined, Buffer[]>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AuditCheckpointsTable {
  tenant_id: string;
  tree_size: number;
  root_hash: Bytes;
  note: string;
  created_at: CreatedAt;
}

export interface TokenVaultTable {
  id: string;
  tenant_id: string;
  token: string;
  kind: 'random' | 'ff1';
  entity_type: string;
  /** AES-256-GCM ciphertext of the original value (AAD: tenant + token); never plaintext. */
  value_enc: string;
  /** HMAC-SHA-256 of the normalised value under a per-tenant key; set for deterministic tokens. */
  fingerprint: string | null;
  metadata: ColumnType<Record<string, string>, string | undefined, string>;
  expires_at: Timestamp | null;
  created_at: CreatedAt;
  created_by: string | null;
}

export interface RecordingsTable {
  id: string;
  tenant_id: string;
  call_id: string;
  kind: 'audio' | 'screen';
  agent_user_id: string | null;
  agent: string;
  team_id: string;
  site: string | null;
  region: string;
  /** Vault token of the customer reference; never the reference itself. */
  customer_ref_token: string | null;
  started_at: Timestamp;
  ended_at: Timestamp | null;
  codec: string | null;
  content_type: string;
  payment_taken: ColumnType<boolean, boolean | undefined, boolean>;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  derived_from: string | null;
  status: ColumnType<
    'stored' | 'restricted' | 'deleted',
    'stored' | 'restricted' | undefined,
    'stored' | 'restricted' | 'deleted'
  >;
  blob_key: string;
  plaintext_bytes: number;
  ciphertext_bytes: number;
  dek_version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  created_by: string | null;
  deleted_at: Timestamp | null;
  deleted_reason: string | null;
  transcript_blob_key: ColumnType<string | null, string | null | undefined, string | null>;
  transcript_bytes: ColumnType<number | null, number | null | undefined, number | null>;
  transcript_ciphertext_bytes: ColumnType<number | null, number | null | undefined, number | null>;
  transcript_redactions: ColumnType<number | null, number | null | undefined, number | null>;
  transcript_silence: ColumnType<
    Array<{ start: number; end: number }> | null,
    string | null | undefined,
    string | null
  >;
}

export interface RecordingKeysTable {
  recording_id: string;
  tenant_id: string;
  provider: string;
  kek_version: number;
  alg: string;
  /** The data key wrapped by a KEK; safe to store, useless without the KEK. */
  wrapped: Bytes;
  created_at: CreatedAt;
  rewrapped_at: Timestamp | null;
}

export interface KekSettingsTable {
  provider: string;
  min_decrypt_version: number;
  updated_at: Timestamp;
}

export interface KeyRotationsTable {
  id: string;
  provider: string;
  target_version: number;
  started_at: CreatedAt;
  finished_at: Timestamp | null;
  rewrapped: ColumnType<number, number | undefined, number>;
  failed: ColumnType<number, number | undefined, number>;
}

export interface CasesTable {
  id: string;
  tenant_id: string;
  title: string;
  status: ColumnType<'open' | 'closed', 'open' | undefined, 'open' | 'closed'>;
  assignee_user_id: string | null;
  created_by: string | null;
  created_at: CreatedAt;
  closed_at: Timestamp | null;
}

export interface CaseRecordingsTable {
  tenant_id: string;
  case_id: string;
  recording_id: string;
  linked_by: string | null;
  linked_at: CreatedAt;
}

export interface LegalHoldsTable {
  id: string;
  tenant_id: string;
  recording_id: string | null;
  case_id: string | null;
  reason: string;
  placed_by: string | null;
  placed_at: CreatedAt;
  released_by: string | null;
  released_at: Timestamp | null;
}

export interface RetentionPoliciesTable {
  id: string;
  tenant_id: string;
  kind: 'audio' | 'screen' | null;
  region: string | null;
  tag: string | null;
  retain_days: number;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface RecordingMarkersTable {
  id: Generated<number>;
  tenant_id: string;
  recording_id: string;
  kind: 'pause' | 'resume';
  at_seconds: number;
  reason: string | null;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  tenant_id: string | null;
  payload: ColumnType<Record<string, unknown>, string | undefined, string>;
  status: ColumnType<
    'queued' | 'running' | 'done' | 'failed',
    'queued' | undefined,
    'queued' | 'running' | 'done' | 'failed'
  >;
  run_at: ColumnType<Date, Date | string | undefined, Date | string>;
  attempts: ColumnType<number, number | undefined, number>;
  locked_until: Timestamp | null;
  last_error: string | null;
  result: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  finished_at: Timestamp | null;
}

/** Workforce-management agents (migration 0005): the WFM system's view of a person. */
export interface WfmAgentsTable {
  id: string;
  tenant_id: string;
  /** The WFM system's key (the import's agent_id column). */
  agent_id: string;
  user_id: string | null;
  name: string;
  team_id: string;
  site: string | null;
  region: string;
  /** Keyring field ciphertext (AAD binds tenant and agent_id); never plaintext. */
  home_address_enc: string | null;
  status: ColumnType<'active' | 'left', 'active' | 'left' | undefined, 'active' | 'left'>;
  left_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** Columns every WFM data row has: whose it is, the team that may read it, the residency region. */
interface WfmRowBase {
  id: string;
  tenant_id: string;
  agent_ref: string;
  team_id: string;
  region: string;
}

export interface WfmSchedulesTable extends WfmRowBase {
  starts_at: Timestamp;
  ends_at: Timestamp;
  activity: string;
}

export interface WfmAdherenceEventsTable extends WfmRowBase {
  occurred_at: Timestamp;
  state: string;
}

export interface WfmAdherenceIntervalsTable extends WfmRowBase {
  interval_start: Timestamp;
  state: string;
  seconds: number;
}

/** Seconds per state per agent per UTC day, kept equal to the sum of that day's intervals (migration 0010). */
export interface WfmAdherenceDailyTable {
  tenant_id: string;
  agent_ref: string;
  day: ColumnType<string, string, string>;
  state: string;
  seconds: number;
}

/** Dates are `date` columns: read them with `::text` (drivers turn them into local-time Dates). */
export interface WfmAbsencesTable extends WfmRowBase {
  start_date: ColumnType<string, string, string>;
  end_date: ColumnType<string, string, string>;
  reason_code: string;
}

export interface WfmPerformanceTable extends WfmRowBase {
  period_start: ColumnType<string, string, string>;
  metric: string;
  value: number;
}

/** Pseudonymisation of leavers (migration 0008), merged into WfmAgentsTable. */
export interface WfmAgentsTable {
  pseudonymised_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** HMAC of the external id a pseudonymised agent had (refuses its re-import); never the id. */
  former_key_digest: ColumnType<string | null, string | null | undefined, string | null>;
}

/** WFM retention settings per tenant (migration 0008); no row means the defaults. */
export interface WfmRetentionSettingsTable {
  tenant_id: string;
  raw_event_days: ColumnType<number, number | undefined, number>;
  interval_days: ColumnType<number, number | undefined, number>;
  leaver_days: ColumnType<number, number | undefined, number>;
  capture_raw_events: ColumnType<boolean, boolean | undefined, boolean>;
  raw_events_removed_before: ColumnType<Date | null, Date | null | undefined, Date | null>;
  updated_by: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** Recorded cross-border transfer mechanisms (migration 0008). */
export interface TransferMechanismsTable {
  id: string;
  tenant_id: string;
  from_region: string;
  to_region: string;
  mechanism: 'adequacy' | 'scc' | 'bcr';
  reference: string | null;
  created_by: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  revoked_by: string | null;
  revoked_at: Timestamp | null;
}

export interface Database {
  wfm_retention_settings: WfmRetentionSettingsTable;
  transfer_mechanisms: TransferMechanismsTable;
}

export interface Database {
  tenants: TenantsTable;
  teams: TeamsTable;
  users: UsersTable;
  user_teams: UserTeamsTable;
  password_history: PasswordHistoryTable;
  recovery_codes: RecoveryCodesTable;
  auth_challenges: AuthChallengesTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  audit_nodes: AuditNodesTable;
  audit_trees: AuditTreesTable;
  audit_checkpoints: AuditCheckpointsTable;
  token_vault: TokenVaultTable;
  recordings: RecordingsTable;
  recording_keys: RecordingKeysTable;
  kek_settings: KekSettingsTable;
  key_rotations: KeyRotationsTable;
  cases: CasesTable;
  case_recordings: CaseRecordingsTable;
  legal_holds: LegalHoldsTable;
  retention_policies: RetentionPoliciesTable;
  recording_markers: RecordingMarkersTable;
  jobs: JobsTable;
  wfm_agents: WfmAgentsTable;
  wfm_schedules: WfmSchedulesTable;
  wfm_adherence_events: WfmAdherenceEventsTable;
  wfm_adherence_intervals: WfmAdherenceIntervalsTable;
  wfm_adherence_daily: WfmAdherenceDailyTable;
  wfm_absences: WfmAbsencesTable;
  wfm_performance: WfmPerformanceTable;
}

export interface WebauthnCredentialsTable {
  id: string;
  tenant_id: string;
  user_id: string;
  /** base64url credential id, unique per tenant. */
  credential_id: string;
  /** COSE public key. */
  public_key: Bytes;
  /** bigint: drivers may return a string; read with Number(). */
  counter: ColumnType<number | string, number | undefined, number>;
  transports: ColumnType<string[], string[] | undefined, string[]>;
  aaguid: string;
  backed_up: boolean;
  device_type: 'singleDevice' | 'multiDevice';
  name: string;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
}

export interface WebauthnChallengesTable {
  id: string;
  tenant_id: string;
  user_id: string | null;
  session_id: string | null;
  kind: 'registration' | 'authentication';
  challenge_hash: string;
  expires_at: Timestamp;
  consumed_at: Timestamp | null;
  created_at: CreatedAt;
}

/** Tables added after the core set (merged into Database by interface declaration merging). */
export interface Database {
  webauthn_credentials: WebauthnCredentialsTable;
  webauthn_challenges: WebauthnChallengesTable;
}

/** Shift-swap offers (migration 0009). Status `expired` is computed (starts_at passed), never stored. */
export interface WfmShiftSwapsTable {
  id: string;
  tenant_id: string;
  schedule_id: string;
  team_id: string;
  region: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  activity: string;
  offered_by_agent: string;
  offered_by_user: string;
  note: string | null;
  status: 'open' | 'claimed' | 'approved' | 'rejected' | 'withdrawn';
  claimed_by_agent: string | null;
  claimed_by_user: string | null;
  claimed_at: Timestamp | null;
  decided_by: string | null;
  decided_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface Database {
  wfm_shift_swaps: WfmShiftSwapsTable;
}

/** Forecast volume and handle time per queue per interval (aggregate; migration 0011). */
export interface WfmForecastsTable {
  tenant_id: string;
  queue: string;
  interval_start: Timestamp;
  volume: number;
  aht_seconds: number;
  updated_at: Generated<Date>;
}

/** Required and scheduled agents per team per planning period (aggregate; migration 0011). */
export interface WfmCapacityTable {
  tenant_id: string;
  team_id: string;
  /** A date (YYYY-MM-DD); read back as a string with `::text`. */
  period_start: ColumnType<string | Date, string, string>;
  required_agents: number;
  scheduled_agents: number;
  updated_at: Generated<Date>;
}

export interface Database {
  wfm_forecasts: WfmForecastsTable;
  wfm_capacity: WfmCapacityTable;
}
