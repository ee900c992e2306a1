-- Token vault (issue 3): tokens stand in for card numbers and other sensitive values.
-- The original value is stored only as AES-256-GCM ciphertext (AAD binds it to tenant and token);
-- deterministic tokens are found by a keyed HMAC fingerprint, never by the value itself.

CREATE TABLE token_vault (
  id           uuid PRIMARY KEY,
  tenant_id    uuid NOT NULL REFERENCES tenants(id),
  token        text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('random', 'ff1')),
  entity_type  text NOT NULL,
  value_enc    text NOT NULL,
  fingerprint  text,
  metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
  expires_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   uuid,
  UNIQUE (tenant_id, token)
);

CREATE INDEX token_vault_fingerprint ON token_vault (tenant_id, fingerprint);

-- Role-independent grants (e.g. 'detokenize'), checked by Cedar as principal.permissions.
ALTER TABLE users ADD COLUMN permissions text[] NOT NULL DEFAULT '{}';
