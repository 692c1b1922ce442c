-- Every change to what GET /v1/requests/:id answers (a request's row, or who belongs to an
-- account) is announced on the channel breakglass_reads once its transaction commits, so an
-- API's cache of recent reads drops what changed (src/db/request-read-cache.ts). The payload
-- starts with the schema, because several deployments (and the tests) may share one database.
CREATE FUNCTION breakglass_notify_request_read() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pg_notify('breakglass_reads', TG_TABLE_SCHEMA || ':r:' || OLD.id);
  END IF;
  -- Ids never change, but one that did must not leave the old id's read behind; the same id
  -- twice in one transaction is sent once.
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pg_notify('breakglass_reads', TG_TABLE_SCHEMA || ':r:' || NEW.id);
  END IF;
  RETURN NULL;
END;
$$;

CREATE FUNCTION breakglass_notify_account_read() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('breakglass_reads', TG_TABLE_SCHEMA || ':a');
  RETURN NULL;
END;
$$;

CREATE TRIGGER requests_read_notify AFTER INSERT OR UPDATE OR DELETE ON requests
  FOR EACH ROW EXECUTE FUNCTION breakglass_notify_request_read();

CREATE TRIGGER accounts_read_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION breakglass_notify_account_read();

-- TRUNCATE has no rows to name: every cached request of the schema goes.
CREATE TRIGGER requests_read_notify_truncate AFTER TRUNCATE ON requests
  FOR EACH STATEMENT EXECUTE FUNCTION breakglass_notify_account_read();
