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
}
