-- Platform core: tenants, identity, sessions, tamper-evident audit log.
-- Every row belongs to a tenant; services always filter by tenant_id.

CREATE TABLE tenants (
  id          uuid PRIMARY KEY,
  slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE teams (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);

CREATE TABLE users (
  id                    uuid PRIMARY KEY,
  tenant_id             uuid NOT NULL REFERENCES tenants(id),
  username              text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
  roles                 text[] NOT NULL CHECK (cardinality(roles) >= 1),
  region                text NOT NULL,
  site                  text,
  status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  password_hash         text NOT NULL,
  must_change_password  boolean NOT NULL DEFAULT false,
  failed_attempts       integer NOT NULL DEFAULT 0,
  locked_until          timestamptz,
  totp_secret_enc       text,
  totp_enrolled_at      timestamptz,
  totp_last_step        bigint NOT NULL DEFAULT 0,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, username)
);

CREATE TABLE user_teams (
  tenant_id  uuid NOT NULL REFERENCES tenants(id),
  user_id    uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  team_id    uuid NOT NULL REFERENCES teams(id),
  PRIMARY KEY (user_id, team_id)
);
CREATE INDEX user_teams_team ON user_teams (team_id);

CREATE TABLE password_history (
  id             bigserial PRIMARY KEY,
  tenant_id      uuid NOT NULL REFERENCES tenants(id),
  user_id        uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  password_hash  text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_history_user ON password_history (user_id, id DESC);

CREATE TABLE recovery_codes (
  id         uuid PRIMARY KEY,
  tenant_id  uuid NOT NULL REFERENCES tenants(id),
  user_id    uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash  text NOT NULL,
  used_at    timestamptz,
  UNIQUE (user_id, code_hash)
);

-- A password that verified opens a short-lived challenge; the second factor completes it.
CREATE TABLE auth_challenges (
  id               uuid PRIMARY KEY,
  tenant_id        uuid NOT NULL REFERENCES tenants(id),
  user_id          uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  secret_hash      text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('mfa', 'enroll')),
  totp_secret_enc  text,
  attempts         integer NOT NULL DEFAULT 0,
  expires_at       timestamptz NOT NULL,
  consumed_at      timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
  id                   uuid PRIMARY KEY,
  tenant_id            uuid NOT NULL REFERENCES tenants(id),
  user_id              uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  secret_hash          text NOT NULL,
  created_at           timestamptz NOT NULL,
  last_seen_at         timestamptz NOT NULL,
  absolute_expires_at  timestamptz NOT NULL,
  mfa_at               timestamptz NOT NULL,
  source_ip            text,
  revoked_at           timestamptz,
  revoked_reason       text
);
CREATE INDEX sessions_user_active ON sessions (user_id) WHERE revoked_at IS NULL;

-- Audit events are inserted in the business transaction (leaf_index NULL) and sequenced into the
-- tenant's RFC 6962 Merkle tree shortly after by the sequencer, which also seals and checkpoints them.
CREATE TABLE audit_events (
  id             bigserial PRIMARY KEY,
  tenant_id      uuid NOT NULL REFERENCES tenants(id),
  event_id       uuid NOT NULL UNIQUE,
  occurred_at    timestamptz NOT NULL,
  actor_user_id  uuid,
  action         text NOT NULL,
  resource_type  text NOT NULL,
  resource_id    text,
  outcome        text NOT NULL,
  body           text NOT NULL,
  body_mac       bytea NOT NULL,
  leaf_index     bigint,
  leaf_hash      bytea,
  seal           bytea,
  UNIQUE (tenant_id, leaf_index)
);
CREATE INDEX audit_events_pending ON audit_events (id) WHERE leaf_index IS NULL;
CREATE INDEX audit_events_time ON audit_events (tenant_id, occurred_at, id);
CREATE INDEX audit_events_actor ON audit_events (tenant_id, actor_user_id, id);
CREATE INDEX audit_events_action ON audit_events (tenant_id, action, id);
CREATE INDEX audit_events_resource ON audit_events (tenant_id, resource_type, resource_id, id);

-- Roots of complete perfect subtrees (level 0 = leaves), so proofs need O(log n) rows.
CREATE TABLE audit_nodes (
  tenant_id  uuid NOT NULL REFERENCES tenants(id),
  level      smallint NOT NULL,
  idx        bigint NOT NULL,
  hash       bytea NOT NULL,
  PRIMARY KEY (tenant_id, level, idx)
);

CREATE TABLE audit_trees (
  tenant_id   uuid PRIMARY KEY REFERENCES tenants(id),
  size        bigint NOT NULL DEFAULT 0,
  frontier    bytea[] NOT NULL DEFAULT '{}',
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_checkpoints (
  tenant_id   uuid NOT NULL REFERENCES tenants(id),
  tree_size   bigint NOT NULL,
  root_hash   bytea NOT NULL,
  note        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, tree_size)
);
