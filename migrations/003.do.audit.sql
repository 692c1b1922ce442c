-- Append-only, hash-chained audit trail.
CREATE TABLE audit_events (
  seq         bigint PRIMARY KEY,
  event_id    text NOT NULL UNIQUE,   -- idempotency key: a retried append writes once
  at          timestamptz NOT NULL,
  actor       text NOT NULL,
  action      text NOT NULL,
  request_id  text,
  account_id  text,
  details     jsonb NOT NULL,
  prev_hash   text NOT NULL,
  hash        text NOT NULL
);

CREATE INDEX audit_events_request_idx ON audit_events (request_id, seq);
CREATE INDEX audit_events_account_idx ON audit_events (account_id, seq);

-- The head remembers the last seq and hash, so deleting the newest rows is detected too.
CREATE TABLE audit_head (
  id         boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq        bigint NOT NULL,
  hash       text NOT NULL
);

-- Defence in depth: the application never updates or deletes audit rows; someone who
-- disables this trigger to tamper is still caught by the hash chain.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- The chain starts from a fixed genesis hash.
INSERT INTO audit_head (id, seq, hash) VALUES (true, 0, repeat('0', 64));
