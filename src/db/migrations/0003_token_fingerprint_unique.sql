-- Deterministic tokens: one row per (tenant, type, kind, fingerprint). Without a unique index, two
-- first-time tokenizations of the same value racing on PostgreSQL could both insert and hand out
-- two different "deterministic" tokens. The partial index leaves random tokens (no fingerprint) out.

DROP INDEX token_vault_fingerprint;
CREATE UNIQUE INDEX token_vault_fingerprint_unique
  ON token_vault (tenant_id, entity_type, kind, fingerprint)
  WHERE fingerprint IS NOT NULL;
