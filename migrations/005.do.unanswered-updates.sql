-- An action whose update the API could not see finish in time (worker down, Temporal slow) may
-- still take effect. Its update id is kept here, so the same person sending the same action
-- again is answered with that update's outcome, not refused as a repeat of their own attempt.
CREATE TABLE unanswered_updates (
  request_id   text NOT NULL,
  actor        text NOT NULL,
  action       text NOT NULL,
  args_hash    text NOT NULL,
  update_id    text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, actor, action, args_hash)
);
