-- Ids of erased dossiers and pupils are never handed out again.
--
-- A rowid table without AUTOINCREMENT gives a new row the highest id in use plus one, so after the dossier
-- (or pupil) with the highest id is erased, the next one would get the same id. A request that loaded the
-- erased one moments before could then act on the new one (an append whose expected sequence number happens
-- to match; a dossier opened for a pupil id that now names another child). PostgreSQL's identity sequences
-- never go back; this table gives SQLite the same: every insert takes `last + 1`, and a trigger keeps `last`
-- at the highest id ever inserted (also for rows inserted with an explicit id, as the seed does).
CREATE TABLE id_high_water (
    name  TEXT    PRIMARY KEY CHECK (name IN ('dossiers', 'pupils')),
    last  INTEGER NOT NULL
) STRICT;

INSERT INTO id_high_water (name, last) SELECT 'dossiers', coalesce(max(id), 0) FROM dossiers;
INSERT INTO id_high_water (name, last) SELECT 'pupils', coalesce(max(id), 0) FROM pupils;

CREATE TRIGGER dossiers_id_high_water AFTER INSERT ON dossiers BEGIN
    UPDATE id_high_water SET last = max(last, NEW.id) WHERE name = 'dossiers';
END;

CREATE TRIGGER pupils_id_high_water AFTER INSERT ON pupils BEGIN
    UPDATE id_high_water SET last = max(last, NEW.id) WHERE name = 'pupils';
END;
