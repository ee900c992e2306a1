-- WFM retention and minimization (issue 6, GDPR part 2) and cross-border transfer mechanisms.

-- One row per tenant; a tenant without a row uses the defaults below (the privacy-protective ones).
CREATE TABLE wfm_retention_settings (
  tenant_id                 uuid PRIMARY KEY REFERENCES tenants(id),
  -- Raw adherence state events (per-second states) are kept this many days, then rolled up and removed.
  raw_event_days            integer NOT NULL DEFAULT 7 CHECK (raw_event_days BETWEEN 1 AND 366),
  -- 15-minute interval aggregates are kept this many days.
  interval_days             integer NOT NULL DEFAULT 730 CHECK (interval_days BETWEEN 30 AND 3660),
  -- Agents who left are pseudonymised this many days after their left_at.
  leaver_days               integer NOT NULL DEFAULT 90 CHECK (leaver_days BETWEEN 0 AND 3660),
  -- false: adherence imports roll events up into intervals at once and store no raw event.
  capture_raw_events        boolean NOT NULL DEFAULT true,
  -- Raw events before this instant were rolled up and removed; imports of older events are refused
  -- while raw events are captured (their intervals already exist and would be rebuilt incompletely).
  raw_events_removed_before timestamptz,
  updated_by                uuid,
  updated_at                timestamptz NOT NULL DEFAULT now()
);

-- Pseudonymised leavers: name, external id, user link and home address are replaced or destroyed;
-- the row (and every aggregate hanging off it) stays under a random pseudonym.
ALTER TABLE wfm_agents ADD COLUMN pseudonymised_at timestamptz;
-- Keyed digest (HMAC under a per-tenant key) of the external id a pseudonymised agent had, so a later
-- agents import naming that id is refused instead of re-creating the person. Not reversible.
ALTER TABLE wfm_agents ADD COLUMN former_key_digest text;
CREATE INDEX wfm_agents_former_key ON wfm_agents (tenant_id, former_key_digest)
  WHERE former_key_digest IS NOT NULL;
CREATE INDEX wfm_agents_leavers ON wfm_agents (tenant_id, left_at)
  WHERE left_at IS NOT NULL AND pseudonymised_at IS NULL;

-- Recorded transfer mechanisms (GDPR Chapter V): personal data of from_region may be read by users of
-- to_region while an unrevoked row exists. Revoked rows stay as history.
CREATE TABLE transfer_mechanisms (
  id           uuid PRIMARY KEY,
  tenant_id    uuid NOT NULL REFERENCES tenants(id),
  from_region  text NOT NULL CHECK (from_region ~ '^[a-z]{2}(-[a-z0-9-]{1,30})?$'),
  to_region    text NOT NULL CHECK (to_region ~ '^[a-z]{2}(-[a-z0-9-]{1,30})?$'),
  mechanism    text NOT NULL CHECK (mechanism IN ('adequacy', 'scc', 'bcr')),
  reference    text CHECK (length(reference) <= 500),
  created_by   uuid,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_by   uuid,
  revoked_at   timestamptz,
  CHECK (from_region <> to_region)
);
CREATE UNIQUE INDEX transfer_mechanisms_active
  ON transfer_mechanisms (tenant_id, from_region, to_region) WHERE revoked_at IS NULL;

-- Presence queries read adherence events and sessions by time.
CREATE INDEX sessions_presence ON sessions (tenant_id, created_at);
