-- The school's route map per location, versioned: a saved version is never changed; a change is a new
-- version. `content` is the domain's RouteMap as JSON (validated before it is written).
CREATE TABLE route_maps (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL,
    location_id  INTEGER NOT NULL,
    version      INTEGER NOT NULL CHECK (version >= 1),
    content      TEXT    NOT NULL,
    note         TEXT    NOT NULL DEFAULT '',
    created_by   INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    UNIQUE (org_id, location_id, version),
    FOREIGN KEY (org_id, location_id) REFERENCES locations (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
) STRICT;
