-- Every change to what a dossier context returns (the dossier row, its shares, whether it was received, its
-- pupil, its locations, the newest route map version of its location) tells every node what it concerns, on
-- the same channel as the session changes of migration 0016 (meldroute_sessions):
--   'd:org:dossier'  one dossier (its row, its shares, its received mark);
--   'o:org'          many dossiers of one organisation (a route map version, a pupil or a location changed).
-- A node keeps dossier contexts in memory only while it hears these (crates/store/src/lookup_cache.rs).
-- A new dossier is nobody's kept context yet, so inserting one sends nothing; pupils and locations are never
-- updated by meldroute today, but their triggers keep any future write path (or a manual one) honest.
-- pg_notify sends on commit only, and one payload once per transaction. A bulk load turns this off for its
-- own transaction, as in 0016.
CREATE FUNCTION meldroute_dossier_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('meldroute.bulk_load', true) = 'on' THEN
    RETURN NULL;
  END IF;
  -- One branch per table: PL/pgSQL plans a statement when it first runs it, and a table without the column a
  -- statement names would fail it.
  IF TG_OP <> 'INSERT' THEN
    IF TG_TABLE_NAME = 'dossiers' THEN
      PERFORM pg_notify('meldroute_sessions', 'd:' || OLD.org_id || ':' || OLD.id);
    ELSIF TG_TABLE_NAME IN ('shares', 'received_dossiers') THEN
      PERFORM pg_notify('meldroute_sessions', 'd:' || OLD.org_id || ':' || OLD.dossier_id);
    ELSE
      PERFORM pg_notify('meldroute_sessions', 'o:' || OLD.org_id);
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF TG_TABLE_NAME = 'dossiers' THEN
      PERFORM pg_notify('meldroute_sessions', 'd:' || NEW.org_id || ':' || NEW.id);
    ELSIF TG_TABLE_NAME IN ('shares', 'received_dossiers') THEN
      PERFORM pg_notify('meldroute_sessions', 'd:' || NEW.org_id || ':' || NEW.dossier_id);
    ELSE
      PERFORM pg_notify('meldroute_sessions', 'o:' || NEW.org_id);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER dossiers_changed AFTER UPDATE OR DELETE ON dossiers
  FOR EACH ROW EXECUTE FUNCTION meldroute_dossier_changed();
CREATE TRIGGER shares_changed AFTER INSERT OR UPDATE OR DELETE ON shares
  FOR EACH ROW EXECUTE FUNCTION meldroute_dossier_changed();
CREATE TRIGGER received_dossiers_changed AFTER INSERT OR UPDATE OR DELETE ON received_dossiers
  FOR EACH ROW EXECUTE FUNCTION meldroute_dossier_changed();
CREATE TRIGGER route_maps_changed AFTER INSERT OR UPDATE OR DELETE ON route_maps
  FOR EACH ROW EXECUTE FUNCTION meldroute_dossier_changed();
CREATE TRIGGER pupils_changed AFTER UPDATE OR DELETE ON pupils
  FOR EACH ROW EXECUTE FUNCTION meldroute_dossier_changed();
CREATE TRIGGER locations_changed AFTER UPDATE OR DELETE ON locations
  FOR EACH ROW EXECUTE FUNCTION meldroute_dossier_changed();
