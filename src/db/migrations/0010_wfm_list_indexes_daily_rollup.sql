-- WFM at scale (issue 6, ADR 0016): a daily roll-up of the 15-minute adherence intervals for the
-- aggregate report, and indexes for each scoped list's keyset order under its filters and the
-- residency rule.

-- Seconds per state per agent per UTC day: the sum of that day's rows in wfm_adherence_intervals,
-- kept equal to it in the same transaction by every writer of intervals (the interval rebuild of
-- imports and retention roll-ups, and the retention removal). Per agent, so the report still counts
-- distinct agents per cell for cohort suppression. Derived data: no row exists without intervals.
CREATE TABLE wfm_adherence_daily (
  tenant_id  uuid NOT NULL REFERENCES tenants(id),
  agent_ref  uuid NOT NULL REFERENCES wfm_agents(id),
  day        date NOT NULL,
  state      text NOT NULL,
  seconds    double precision NOT NULL CHECK (seconds >= 0),
  PRIMARY KEY (tenant_id, day, agent_ref, state)
);
CREATE INDEX wfm_adherence_daily_agent ON wfm_adherence_daily (tenant_id, agent_ref, day);

INSERT INTO wfm_adherence_daily (tenant_id, agent_ref, day, state, seconds)
SELECT tenant_id, agent_ref, cast(interval_start AT TIME ZONE 'UTC' AS date), state, sum(seconds)
FROM wfm_adherence_intervals
GROUP BY 1, 2, 3, 4;

-- A supervisor's page walks their teams' rows in the list's order; without these the tenant-wide
-- list index was scanned and filtered by team (the whole tenant's rows of the page's period).
CREATE INDEX wfm_absences_team ON wfm_absences (tenant_id, team_id, start_date DESC, id DESC);
CREATE INDEX wfm_performance_team ON wfm_performance (tenant_id, team_id, period_start DESC, id DESC);
CREATE INDEX wfm_intervals_team ON wfm_adherence_intervals (tenant_id, team_id, interval_start DESC, id DESC);
