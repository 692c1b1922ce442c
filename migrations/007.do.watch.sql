-- Watching the accounts through Microsoft Graph: sign-ins, unexplained-sign-in cases, drift checks, drills.

-- The account's Entra object id (the user the watch reads) and its watch settings.
ALTER TABLE accounts ADD COLUMN entra_object_id text;
ALTER TABLE accounts ADD COLUMN watch jsonb NOT NULL DEFAULT '{}';

-- Per account: the sign-in log was read completely up to this instant (the next read looks back from here).
CREATE TABLE signin_cursors (
  account_id    text PRIMARY KEY REFERENCES accounts (id),
  polled_until  timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Every sign-in of a watched account, once (Graph's sign-in id is the key, so re-reads de-duplicate).
CREATE TABLE signin_observations (
  signin_id     text PRIMARY KEY,
  account_id    text NOT NULL REFERENCES accounts (id),
  request_id    text REFERENCES requests (id),   -- NULL: outside every release window
  signed_in_at  timestamptz NOT NULL,            -- Graph's createdDateTime
  observed_at   timestamptz NOT NULL DEFAULT now(),
  succeeded     boolean NOT NULL,
  details       jsonb NOT NULL,
  -- Set once alerts (and the case) for this sign-in were raised: a run that died half-way hands the rest to the next.
  handled_at    timestamptz
);

CREATE INDEX signin_observations_request_idx ON signin_observations (request_id, signed_in_at);
CREATE INDEX signin_observations_account_idx ON signin_observations (account_id, signed_in_at DESC);
CREATE INDEX signin_observations_unhandled_idx ON signin_observations (account_id) WHERE handled_at IS NULL;

-- An unexplained sign-in: open until a reviewer closes it with an explanation.
CREATE TABLE signin_cases (
  id            text PRIMARY KEY,
  account_id    text NOT NULL REFERENCES accounts (id),
  signin_id     text NOT NULL UNIQUE REFERENCES signin_observations (signin_id),
  status        text NOT NULL CHECK (status IN ('open', 'closed')),
  opened_at     timestamptz NOT NULL,
  due_at        timestamptz NOT NULL,
  reminders     integer NOT NULL DEFAULT 0,
  closed_at     timestamptz,
  closed_by     text,
  explanation   text
);

CREATE INDEX signin_cases_account_idx ON signin_cases (account_id, opened_at DESC);

-- Whether a watch reaches Graph: consecutive failed runs, and whether degraded was raised.
CREATE TABLE watch_health (
  watch                 text PRIMARY KEY,
  consecutive_failures  integer NOT NULL DEFAULT 0,
  degraded              boolean NOT NULL DEFAULT false,
  last_error            text,
  last_success_at       timestamptz,
  updated_at            timestamptz NOT NULL DEFAULT now()
);

-- The latest result of each drift check per account; changed_at moves only when pass/fail flips.
CREATE TABLE drift_checks (
  account_id    text NOT NULL REFERENCES accounts (id),
  check_name    text NOT NULL,
  passed        boolean NOT NULL,
  evidence      jsonb NOT NULL,
  checked_at    timestamptz NOT NULL,
  changed_at    timestamptz NOT NULL,
  PRIMARY KEY (account_id, check_name)
);

-- When drill.overdue was last raised per account (it repeats weekly until a drill succeeds).
CREATE TABLE drill_reminders (
  account_id    text PRIMARY KEY REFERENCES accounts (id),
  alerted_at    timestamptz NOT NULL
);
