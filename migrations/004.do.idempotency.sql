-- A retried create with the same Idempotency-Key returns the request the first one made.
CREATE TABLE idempotency_keys (
  principal    text NOT NULL,
  key          text NOT NULL,
  body_hash    text NOT NULL,
  request_id   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal, key)
);
