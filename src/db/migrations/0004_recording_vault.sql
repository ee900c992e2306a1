-- Recording vault (issue 4): encrypted call and screen recordings, their wrapped data keys,
-- investigation cases, legal holds, retention policies, pause/resume markers and the job table.
-- Bodies live in the blob store (files under the data dir by default), never in the database;
-- data keys are stored only wrapped by a key-encryption key (KEK) that lives elsewhere.

CREATE TABLE recordings (
  id                 uuid PRIMARY KEY,
  tenant_id          uuid NOT NULL REFERENCES tenants(id),
  call_id            text NOT NULL CHECK (length(call_id) BETWEEN 1 AND 200),
  kind               text NOT NULL CHECK (kind IN ('audio', 'screen')),
  agent_user_id      uuid REFERENCES users(id),
  -- The agent as the recorder names them (username or external id), kept even without a Bulwark user.
  agent              text NOT NULL,
  team_id            uuid NOT NULL REFERENCES teams(id),
  site               text,
  region             text NOT NULL,
  -- Token from the vault (deterministic per tenant), never the customer reference itself.
  customer_ref_token text,
  started_at         timestamptz NOT NULL,
  ended_at           timestamptz,
  codec              text,
  content_type       text NOT NULL,
  payment_taken      boolean NOT NULL DEFAULT false,
  tags               text[] NOT NULL DEFAULT '{}',
  -- A redacted derivative points at the recording it was made from.
  derived_from       uuid REFERENCES recordings(id),
  -- 'restricted' originals are played only through an investigation case.
  status             text NOT NULL DEFAULT 'stored' CHECK (status IN ('stored', 'restricted', 'deleted')),
  blob_key           text NOT NULL,
  plaintext_bytes    bigint NOT NULL CHECK (plaintext_bytes >= 0),
  ciphertext_bytes   bigint NOT NULL CHECK (ciphertext_bytes >= 0),
  -- Data-key generation bound into the encryption context (not the KEK version).
  dek_version        integer NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  created_by         uuid,
  deleted_at         timestamptz,
  deleted_reason     text,
  -- The call's transcript, stored only after redaction and encrypted under the recording's data key.
  transcript_blob_key          text,
  transcript_bytes             bigint,
  transcript_ciphertext_bytes  bigint,
  transcript_redactions        integer,
  -- Audio spans (seconds, padded) the transcript's findings cover: input to audio redaction.
  transcript_silence           jsonb,
  UNIQUE (tenant_id, blob_key)
);
CREATE INDEX recordings_list ON recordings (tenant_id, started_at DESC, id DESC);
CREATE INDEX recordings_team ON recordings (tenant_id, team_id, started_at DESC, id DESC);
CREATE INDEX recordings_call ON recordings (tenant_id, call_id);
CREATE INDEX recordings_retention ON recordings (tenant_id, started_at) WHERE status <> 'deleted';

-- One wrapped data key per recording. Crypto-shredding deletes the row: the body is then noise.
CREATE TABLE recording_keys (
  recording_id  uuid PRIMARY KEY REFERENCES recordings(id),
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  provider      text NOT NULL,
  kek_version   integer NOT NULL CHECK (kek_version >= 1),
  alg           text NOT NULL,
  wrapped       bytea NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  rewrapped_at  timestamptz
);
CREATE INDEX recording_keys_version ON recording_keys (provider, kek_version, recording_id);

-- Per key provider: data keys wrapped under a KEK version below this are refused, retiring it.
CREATE TABLE kek_settings (
  provider             text PRIMARY KEY,
  min_decrypt_version  integer NOT NULL DEFAULT 1 CHECK (min_decrypt_version >= 1),
  updated_at           timestamptz NOT NULL DEFAULT now()
);

-- KEK rotations: a row per `bulwark keys rotate`; an unfinished row is resumed by the next run.
CREATE TABLE key_rotations (
  id              uuid PRIMARY KEY,
  provider        text NOT NULL,
  target_version  integer NOT NULL,
  started_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  rewrapped       bigint NOT NULL DEFAULT 0,
  failed          bigint NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX key_rotations_one_open ON key_rotations (provider) WHERE finished_at IS NULL;

-- Investigation cases: compliance officers open them, assign them and link recordings to them.
CREATE TABLE cases (
  id                uuid PRIMARY KEY,
  tenant_id         uuid NOT NULL REFERENCES tenants(id),
  title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  assignee_user_id  uuid REFERENCES users(id),
  created_by        uuid,
  created_at        timestamptz NOT NULL DEFAULT now(),
  closed_at         timestamptz
);
CREATE INDEX cases_assignee ON cases (assignee_user_id) WHERE status = 'open';

CREATE TABLE case_recordings (
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  case_id       uuid NOT NULL REFERENCES cases(id),
  recording_id  uuid NOT NULL REFERENCES recordings(id),
  linked_by     uuid,
  linked_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (case_id, recording_id)
);
CREATE INDEX case_recordings_recording ON case_recordings (recording_id);

-- Legal holds, on a recording or on a case (covering every recording linked to it). Any number of
-- holds; a hold ends only when released, and released holds stay as history.
CREATE TABLE legal_holds (
  id            uuid PRIMARY KEY,
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  recording_id  uuid REFERENCES recordings(id),
  case_id       uuid REFERENCES cases(id),
  reason        text NOT NULL CHECK (length(reason) BETWEEN 3 AND 500),
  placed_by     uuid,
  placed_at     timestamptz NOT NULL DEFAULT now(),
  released_by   uuid,
  released_at   timestamptz,
  CHECK ((recording_id IS NULL) <> (case_id IS NULL))
);
CREATE INDEX legal_holds_recording ON legal_holds (recording_id) WHERE released_at IS NULL;
CREATE INDEX legal_holds_case ON legal_holds (case_id) WHERE released_at IS NULL;

-- Retention by kind, region and tag; a NULL selector matches anything. The most specific matching
-- policy decides; among equally specific ones the longest retention wins.
CREATE TABLE retention_policies (
  id           uuid PRIMARY KEY,
  tenant_id    uuid NOT NULL REFERENCES tenants(id),
  kind         text CHECK (kind IN ('audio', 'screen')),
  region       text,
  tag          text,
  retain_days  integer NOT NULL CHECK (retain_days BETWEEN 1 AND 36500),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX retention_policies_selector
  ON retention_policies (tenant_id, coalesce(kind, ''), coalesce(region, ''), coalesce(tag, ''));

-- Pause/resume markers, in seconds from the start of the recording.
CREATE TABLE recording_markers (
  id            bigserial PRIMARY KEY,
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  recording_id  uuid NOT NULL REFERENCES recordings(id),
  kind          text NOT NULL CHECK (kind IN ('pause', 'resume')),
  at_seconds    double precision NOT NULL CHECK (at_seconds >= 0),
  reason        text,
  created_by    uuid,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recording_markers_recording ON recording_markers (recording_id, at_seconds, id);

-- Background jobs, claimed with SELECT ... FOR UPDATE SKIP LOCKED (no Redis).
CREATE TABLE jobs (
  id            bigserial PRIMARY KEY,
  kind          text NOT NULL,
  tenant_id     uuid REFERENCES tenants(id),
  payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
  status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
  run_at        timestamptz NOT NULL DEFAULT now(),
  attempts      integer NOT NULL DEFAULT 0,
  locked_until  timestamptz,
  last_error    text,
  result        jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE status IN ('queued', 'running');
-- At most one queued job of a singleton kind (e.g. the scheduled purge) per tenant; a running one
-- does not count, so it can queue its own next run.
CREATE UNIQUE INDEX jobs_one_queued ON jobs (kind, coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'))
  WHERE status = 'queued' AND (payload ->> 'singleton') = 'true';
