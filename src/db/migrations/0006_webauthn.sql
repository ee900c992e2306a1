-- Passkeys (WebAuthn, issue 5): registered credentials and the single-use challenges of
-- registration and passkey sign-in. Only public keys are stored; a credential row is useless
-- without the authenticator that holds the private key.

CREATE TABLE webauthn_credentials (
  id             uuid PRIMARY KEY,
  tenant_id      uuid NOT NULL REFERENCES tenants(id),
  user_id        uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  -- The authenticator's credential id, base64url as the browser sends it.
  credential_id  text NOT NULL CHECK (length(credential_id) BETWEEN 16 AND 1400),
  -- COSE_Key bytes from the attestation.
  public_key     bytea NOT NULL,
  -- Last signature counter seen (0 for authenticators that do not count); never goes back.
  counter        bigint NOT NULL DEFAULT 0 CHECK (counter >= 0),
  transports     text[] NOT NULL DEFAULT '{}',
  aaguid         text NOT NULL,
  backed_up      boolean NOT NULL,
  device_type    text NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_used_at   timestamptz,
  UNIQUE (tenant_id, credential_id)
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

-- A challenge is consumed by the first response that names it, whatever the outcome.
CREATE TABLE webauthn_challenges (
  id              uuid PRIMARY KEY,
  tenant_id       uuid NOT NULL REFERENCES tenants(id),
  -- Registration: the signed-in user. Sign-in: the named user, or null for a discoverable sign-in.
  user_id         uuid REFERENCES users(id) ON DELETE CASCADE,
  -- Registration only: the session that asked, so another session cannot complete it.
  session_id      uuid REFERENCES sessions(id) ON DELETE CASCADE,
  kind            text NOT NULL CHECK (kind IN ('registration', 'authentication')),
  -- SHA-256 of the base64url challenge; the challenge itself is not stored.
  challenge_hash  text NOT NULL UNIQUE,
  expires_at      timestamptz NOT NULL,
  consumed_at     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);
