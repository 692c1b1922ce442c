-- Read model of requests, projected from the workflows (Temporal is the source of truth).
CREATE TABLE requests (
  id                   text PRIMARY KEY,
  account_id           text NOT NULL REFERENCES accounts (id),
  requester            text NOT NULL,
  status               text NOT NULL,
  created_at           timestamptz NOT NULL,
  -- Monotonic version from the workflow: a stale or repeated projection never moves a request backwards.
  version              integer NOT NULL,
  view                 jsonb NOT NULL
);

CREATE INDEX requests_created_idx ON requests (created_at DESC, id DESC);
CREATE INDEX requests_account_idx ON requests (account_id, created_at DESC);

-- At most one request per account may be waiting for approval or released at a time.
CREATE UNIQUE INDEX requests_one_open_per_account ON requests (account_id)
  WHERE status IN ('pending_approval', 'released');
