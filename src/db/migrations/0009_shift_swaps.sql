-- Shift-swap marketplace (issue 6): an agent offers one of their own schedule segments, another agent
-- of the same team claims it, a supervisor of the team (or a WFM manager) approves or rejects; on
-- approval the schedule row moves to the claimant in the same transaction as the audit event.
--
-- The offer's id is an opaque random uuid. Other agents see only the shift's time, team and activity;
-- who offered it (offered_by_*) and the note are shown to the offerer and the deciding supervisor only.
-- starts_at/ends_at/activity copy the segment at offer time: approval moves the row only while it is
-- unchanged and still the offerer's. An offer is expired (not stored, computed) once starts_at passes.
CREATE TABLE wfm_shift_swaps (
  id                 uuid PRIMARY KEY,
  tenant_id          uuid NOT NULL REFERENCES tenants(id),
  schedule_id        uuid NOT NULL REFERENCES wfm_schedules(id),
  team_id            uuid NOT NULL REFERENCES teams(id),
  region             text NOT NULL,
  starts_at          timestamptz NOT NULL,
  ends_at            timestamptz NOT NULL,
  activity           text NOT NULL,
  offered_by_agent   uuid NOT NULL REFERENCES wfm_agents(id),
  offered_by_user    uuid NOT NULL REFERENCES users(id),
  note               text CHECK (note IS NULL OR length(note) BETWEEN 1 AND 500),
  status             text NOT NULL DEFAULT 'open'
    CHECK (status IN ('open', 'claimed', 'approved', 'rejected', 'withdrawn')),
  claimed_by_agent   uuid REFERENCES wfm_agents(id),
  claimed_by_user    uuid REFERENCES users(id),
  claimed_at         timestamptz,
  decided_by         uuid REFERENCES users(id),
  decided_at         timestamptz,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  CHECK (ends_at > starts_at),
  CHECK ((status = 'open') = (claimed_by_user IS NULL) OR status IN ('rejected', 'withdrawn'))
);
-- One live (open or claimed) offer per schedule segment.
CREATE UNIQUE INDEX wfm_shift_swaps_live ON wfm_shift_swaps (tenant_id, schedule_id)
  WHERE status IN ('open', 'claimed');
CREATE INDEX wfm_shift_swaps_team ON wfm_shift_swaps (tenant_id, team_id, status, starts_at);
CREATE INDEX wfm_shift_swaps_offerer ON wfm_shift_swaps (tenant_id, offered_by_user, starts_at);
CREATE INDEX wfm_shift_swaps_claimant ON wfm_shift_swaps (tenant_id, claimed_by_user, starts_at);
