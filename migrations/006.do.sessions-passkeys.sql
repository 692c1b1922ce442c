-- Sessions owned by the service: the token itself is never stored, only its SHA-256.
CREATE TABLE sessions (
  id             text PRIMARY KEY,
  token_hash     text NOT NULL UNIQUE,
  principal      text NOT NULL,
  roles          text[] NOT NULL DEFAULT '{}',
  amr            text[] NOT NULL,
  auth_time      timestamptz NOT NULL,
  passkey_id     text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_seen_at   timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  revoked_at     timestamptz,
  revoked_by     text
);
CREATE INDEX sessions_principal_idx ON sessions (principal, created_at DESC);

-- Passkeys (WebAuthn credentials). Only public material: the private key never leaves the authenticator.
CREATE TABLE passkeys (
  id             text PRIMARY KEY,          -- credential id, base64url
  principal      text NOT NULL,
  name           text NOT NULL,
  public_key     bytea NOT NULL,            -- COSE public key
  counter        bigint NOT NULL,
  transports     text[] NOT NULL DEFAULT '{}',
  aaguid         text NOT NULL,
  device_type    text NOT NULL,
  backed_up      boolean NOT NULL,
  status         text NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  confirmed_by   text,
  confirmed_at   timestamptz,
  revoked_by     text,
  revoked_at     timestamptz,
  last_used_at   timestamptz
);
CREATE INDEX passkeys_principal_idx ON passkeys (principal);

-- WebAuthn challenges: single use (deleted when consumed), valid a few minutes; stored as hashes.
CREATE TABLE webauthn_challenges (
  challenge_hash text PRIMARY KEY,
  purpose        text NOT NULL CHECK (purpose IN ('registration', 'authentication')),
  principal      text,
  expires_at     timestamptz NOT NULL
);

-- A second issuer's identities act as principals only through this admin-managed table.
CREATE TABLE identity_mappings (
  issuer         text NOT NULL,
  subject        text NOT NULL,
  principal      text NOT NULL,
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issuer, subject)
);
