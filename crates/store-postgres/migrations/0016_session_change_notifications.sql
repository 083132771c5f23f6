-- Every change to what a session lookup returns (the session row, the account, its role grants and its
-- notifications) tells every node which user it concerns, on the channel meldroute_sessions with the payload
-- 'org:user'. A node keeps session lookups in memory only while it hears these (see
-- crates/store/src/session_cache.rs), so no write path can be forgotten: the database itself reports it.
-- pg_notify sends on commit only, and one payload once per transaction.
-- A bulk load (the seed, into an empty database before any node serves it) turns this off for its own
-- transaction with set_config('meldroute.bulk_load', 'on', true).
CREATE FUNCTION meldroute_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('meldroute.bulk_load', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    IF TG_TABLE_NAME = 'users' THEN
      PERFORM pg_notify('meldroute_sessions', OLD.org_id || ':' || OLD.id);
    ELSE
      PERFORM pg_notify('meldroute_sessions', OLD.org_id || ':' || OLD.user_id);
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF TG_TABLE_NAME = 'users' THEN
      PERFORM pg_notify('meldroute_sessions', NEW.org_id || ':' || NEW.id);
    ELSE
      PERFORM pg_notify('meldroute_sessions', NEW.org_id || ':' || NEW.user_id);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER sessions_changed AFTER INSERT OR UPDATE OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION meldroute_session_changed();
CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION meldroute_session_changed();
CREATE TRIGGER role_grants_changed AFTER INSERT OR UPDATE OR DELETE ON role_grants
  FOR EACH ROW EXECUTE FUNCTION meldroute_session_changed();
CREATE TRIGGER notifications_changed AFTER INSERT OR UPDATE OR DELETE ON notifications
  FOR EACH ROW EXECUTE FUNCTION meldroute_session_changed();
