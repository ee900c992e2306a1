-- Forecasts and capacity models (issue 6): aggregate planning data about queues and teams, no person.
-- Imported from the planning system (natural keys below, re-import upserts); read by WFM analysts and
-- managers, capacity also by executives (policies/wfm.cedar).

-- Forecast contact volume and average handle time per queue per interval.
CREATE TABLE wfm_forecasts (
  tenant_id       uuid NOT NULL REFERENCES tenants(id),
  queue           text NOT NULL CHECK (length(queue) BETWEEN 1 AND 64),
  interval_start  timestamptz NOT NULL,
  volume          double precision NOT NULL CHECK (volume >= 0),
  aht_seconds     double precision NOT NULL CHECK (aht_seconds >= 0),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, queue, interval_start)
);
CREATE INDEX wfm_forecasts_time ON wfm_forecasts (tenant_id, interval_start);

-- Agents required by the capacity model and agents scheduled, per team per planning period.
CREATE TABLE wfm_capacity (
  tenant_id         uuid NOT NULL REFERENCES tenants(id),
  team_id           uuid NOT NULL REFERENCES teams(id),
  period_start      date NOT NULL,
  required_agents   double precision NOT NULL CHECK (required_agents >= 0),
  scheduled_agents  double precision NOT NULL CHECK (scheduled_agents >= 0),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, team_id, period_start)
);
CREATE INDEX wfm_capacity_time ON wfm_capacity (tenant_id, period_start);
