-- GDPR (issue 6, part 1): data subject access requests tracked against the one-month deadline, and
-- a tenant's edits to the record of processing activities (Art. 30). The defaults of the record live
-- in code (src/modules/gdpr/processing-record.ts); a row here overrides the fields it sets.

CREATE TABLE dsar_requests (
  id                 uuid PRIMARY KEY,
  tenant_id          uuid NOT NULL REFERENCES tenants(id),
  -- The person the request is about: their Bulwark user, their WFM agent record, or both.
  subject_user_id    uuid REFERENCES users(id),
  subject_agent_ref  uuid REFERENCES wfm_agents(id),
  received_at        timestamptz NOT NULL,
  -- received_at + 1 calendar month (the last day of that month when the day does not exist).
  due_at             timestamptz NOT NULL,
  status             text NOT NULL DEFAULT 'received'
                     CHECK (status IN ('received', 'in_progress', 'completed', 'rejected')),
  -- Free text of the compliance officer (how the request came in, identity checks); never audited.
  note               text CHECK (length(note) <= 1000),
  created_by         uuid,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  completed_at       timestamptz,
  -- Rows per category of the latest export (counts only, never the data).
  export_counts      jsonb,
  CHECK (subject_user_id IS NOT NULL OR subject_agent_ref IS NOT NULL),
  CHECK (due_at > received_at)
);
CREATE INDEX dsar_requests_due ON dsar_requests (tenant_id, due_at, id);

CREATE TABLE processing_record_overrides (
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  category      text NOT NULL CHECK (category ~ '^[a-z][a-z_]{1,40}$'),
  purpose       text CHECK (length(purpose) BETWEEN 1 AND 2000),
  lawful_basis  text CHECK (length(lawful_basis) BETWEEN 1 AND 2000),
  recipients    text CHECK (length(recipients) BETWEEN 1 AND 2000),
  transfers     text CHECK (length(transfers) BETWEEN 1 AND 2000),
  updated_by    uuid,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, category)
);

-- Keyset readers of one person's data for access requests (each starts with the subject).
CREATE INDEX sessions_user_created ON sessions (user_id, created_at, id);
CREATE INDEX audit_events_subject ON audit_events (tenant_id, resource_id, id) WHERE resource_id IS NOT NULL;
CREATE INDEX recordings_agent_user ON recordings (tenant_id, agent_user_id, started_at, id);
CREATE INDEX recordings_agent_name ON recordings (tenant_id, agent, started_at, id);
