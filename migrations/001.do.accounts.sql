-- Break-glass accounts: who may request, approve and review, and the policy copied into each request.
CREATE TABLE accounts (
  id            text PRIMARY KEY,
  display_name  text NOT NULL,
  upn           text NOT NULL,
  secret_name   text NOT NULL UNIQUE,
  requesters    text[] NOT NULL,
  approvers     text[] NOT NULL,
  reviewers     text[] NOT NULL,
  policy        jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
