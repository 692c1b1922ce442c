-- Alerts of a recorded event, one row per sink, written in the same transaction as the event's
-- audit row: an alert exists exactly when its event does, and survives any crash until a sink
-- takes it. The worker that recorded the event sends it at once and holds it (claimed_until)
-- while it does; a row left unclaimed or past its claim is picked up by any worker's sweep.
CREATE TABLE alert_outbox (
  event_id        text NOT NULL,
  sink_id         text NOT NULL,
  request_id      text,
  alert           jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  claimed_until   timestamptz,
  last_error      text,
  delivered_at    timestamptz,
  PRIMARY KEY (event_id, sink_id)
);

-- The sweep reads only what is still to deliver.
CREATE INDEX alert_outbox_due_idx ON alert_outbox (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX alert_outbox_request_idx ON alert_outbox (request_id) WHERE request_id IS NOT NULL;
