-- Workforce-management data (issue 6): agents as the WFM system knows them, their schedules,
-- adherence state events and 15-minute interval aggregates, absences with coded reasons, and
-- performance metrics. Every row carries tenant_id and the agent's residency region; team_id is the
-- agent's team when the row was imported (the team whose supervisors may read it).

CREATE TABLE wfm_agents (
  id                uuid PRIMARY KEY,
  tenant_id         uuid NOT NULL REFERENCES tenants(id),
  -- The WFM system's key for the agent (the import's agent_id column).
  agent_id          text NOT NULL CHECK (length(agent_id) BETWEEN 1 AND 200),
  -- The Bulwark user this agent signs in as, when they have one.
  user_id           uuid REFERENCES users(id),
  name              text NOT NULL,
  team_id           uuid NOT NULL REFERENCES teams(id),
  site              text,
  region            text NOT NULL,
  -- AES-256-GCM under the tenant's field key (AAD: tenant + agent_id); never plaintext.
  home_address_enc  text,
  status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'left')),
  left_at           timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, agent_id)
);
CREATE INDEX wfm_agents_user ON wfm_agents (tenant_id, user_id);
CREATE INDEX wfm_agents_team ON wfm_agents (tenant_id, team_id);

-- Shifts and activities within them (one row per segment; an agent's segment starts once).
CREATE TABLE wfm_schedules (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id),
  agent_ref   uuid NOT NULL REFERENCES wfm_agents(id),
  team_id     uuid NOT NULL REFERENCES teams(id),
  region      text NOT NULL,
  starts_at   timestamptz NOT NULL,
  ends_at     timestamptz NOT NULL,
  activity    text NOT NULL CHECK (length(activity) BETWEEN 1 AND 64),
  CHECK (ends_at > starts_at),
  UNIQUE (tenant_id, agent_ref, starts_at)
);
CREATE INDEX wfm_schedules_list ON wfm_schedules (tenant_id, starts_at DESC, id DESC);
CREATE INDEX wfm_schedules_team ON wfm_schedules (tenant_id, team_id, starts_at DESC, id DESC);
CREATE INDEX wfm_schedules_agent ON wfm_schedules (tenant_id, agent_ref, starts_at DESC, id DESC);

-- Raw state changes (kept briefly; the retention job removes them, the intervals stay).
CREATE TABLE wfm_adherence_events (
  id           uuid PRIMARY KEY,
  tenant_id    uuid NOT NULL REFERENCES tenants(id),
  agent_ref    uuid NOT NULL REFERENCES wfm_agents(id),
  team_id      uuid NOT NULL REFERENCES teams(id),
  region       text NOT NULL,
  occurred_at  timestamptz NOT NULL,
  state        text NOT NULL CHECK (state IN
    ('logged_in', 'available', 'on_call', 'after_call_work', 'break', 'logged_out')),
  UNIQUE (tenant_id, agent_ref, occurred_at)
);
CREATE INDEX wfm_adherence_list ON wfm_adherence_events (tenant_id, occurred_at DESC, id DESC);
CREATE INDEX wfm_adherence_team ON wfm_adherence_events (tenant_id, team_id, occurred_at DESC, id DESC);

-- Seconds per state per agent per 15-minute interval, derived from the events at import.
CREATE TABLE wfm_adherence_intervals (
  id              uuid PRIMARY KEY,
  tenant_id       uuid NOT NULL REFERENCES tenants(id),
  agent_ref       uuid NOT NULL REFERENCES wfm_agents(id),
  team_id         uuid NOT NULL REFERENCES teams(id),
  region          text NOT NULL,
  interval_start  timestamptz NOT NULL,
  state           text NOT NULL,
  seconds         double precision NOT NULL CHECK (seconds >= 0 AND seconds <= 900),
  UNIQUE (tenant_id, agent_ref, interval_start, state)
);
CREATE INDEX wfm_intervals_list ON wfm_adherence_intervals (tenant_id, interval_start DESC, id DESC);

-- Absences: a coded reason category, never free text (a note could reveal a health condition).
CREATE TABLE wfm_absences (
  id           uuid PRIMARY KEY,
  tenant_id    uuid NOT NULL REFERENCES tenants(id),
  agent_ref    uuid NOT NULL REFERENCES wfm_agents(id),
  team_id      uuid NOT NULL REFERENCES teams(id),
  region       text NOT NULL,
  start_date   date NOT NULL,
  end_date     date NOT NULL,
  reason_code  text NOT NULL CHECK (reason_code IN ('vacation', 'sick', 'family_leave', 'personal', 'other')),
  CHECK (end_date >= start_date),
  UNIQUE (tenant_id, agent_ref, start_date)
);
CREATE INDEX wfm_absences_list ON wfm_absences (tenant_id, start_date DESC, id DESC);

-- One value of one metric for one agent and period (period_start is the first day of the period).
CREATE TABLE wfm_performance (
  id            uuid PRIMARY KEY,
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  agent_ref     uuid NOT NULL REFERENCES wfm_agents(id),
  team_id       uuid NOT NULL REFERENCES teams(id),
  region        text NOT NULL,
  period_start  date NOT NULL,
  metric        text NOT NULL CHECK (metric ~ '^[a-z][a-z0-9_]{0,63}$'),
  value         double precision NOT NULL,
  UNIQUE (tenant_id, agent_ref, period_start, metric)
);
CREATE INDEX wfm_performance_list ON wfm_performance (tenant_id, period_start DESC, id DESC);
