-- meldroute schema, SQLite. Never edit a migration once it has landed: add a new one.
-- Every tenant-owned table carries org_id, and references within a tenant include it, so a row can never
-- point at another organisation's row.

CREATE TABLE organisations (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    is_demo     INTEGER NOT NULL DEFAULT 0 CHECK (is_demo IN (0, 1)),
    created_at  TEXT    NOT NULL
) STRICT;

CREATE TABLE locations (
    id      INTEGER PRIMARY KEY,
    org_id  INTEGER NOT NULL REFERENCES organisations (id),
    name    TEXT    NOT NULL,
    sector  TEXT    NOT NULL,
    UNIQUE (org_id, id),
    UNIQUE (org_id, name)
) STRICT;

CREATE TABLE groups (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL,
    location_id  INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    UNIQUE (org_id, id),
    UNIQUE (location_id, name),
    FOREIGN KEY (org_id, location_id) REFERENCES locations (org_id, id)
) STRICT;

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organisations (id),
    login          TEXT    NOT NULL UNIQUE,
    display_name   TEXT    NOT NULL,
    email          TEXT,
    password_hash  TEXT    NOT NULL,
    totp_secret    TEXT,
    lang           TEXT    NOT NULL DEFAULT 'nl',
    disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at     TEXT    NOT NULL,
    UNIQUE (org_id, id)
) STRICT;

CREATE TABLE role_grants (
    org_id       INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    -- 0 means: every location of the organisation (NULL would defeat the primary key).
    location_id  INTEGER NOT NULL DEFAULT 0,
    role         TEXT    NOT NULL,
    PRIMARY KEY (org_id, user_id, location_id, role),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
) STRICT;

CREATE TABLE pupils (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL,
    location_id    INTEGER NOT NULL,
    group_id       INTEGER,
    first_name     TEXT    NOT NULL,
    last_name      TEXT    NOT NULL,
    date_of_birth  TEXT,
    family_id      INTEGER,
    external_ref   TEXT,
    created_at     TEXT    NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, location_id) REFERENCES locations (org_id, id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id)
) STRICT;
CREATE INDEX pupils_by_location ON pupils (org_id, location_id, last_name, first_name);
CREATE INDEX pupils_by_family ON pupils (org_id, family_id) WHERE family_id IS NOT NULL;

CREATE TABLE dossiers (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL,
    location_id  INTEGER NOT NULL,
    pupil_id     INTEGER NOT NULL,
    opened_at    TEXT    NOT NULL,
    opened_by    INTEGER NOT NULL,
    step         INTEGER NOT NULL CHECK (step BETWEEN 1 AND 6),
    closed       INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
    urgent       INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
    next_due     TEXT,
    last_seq     INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT    NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, location_id) REFERENCES locations (org_id, id),
    FOREIGN KEY (org_id, pupil_id) REFERENCES pupils (org_id, id),
    FOREIGN KEY (org_id, opened_by) REFERENCES users (org_id, id)
) STRICT;
CREATE INDEX dossiers_by_location ON dossiers (org_id, location_id, closed, next_due);
CREATE INDEX dossiers_by_pupil ON dossiers (org_id, pupil_id);

-- The chronology. Append-only: the application never updates or deletes a row (corrections are entries).
-- The payload is opaque to SQL (serialised entry content, to be encrypted at rest).
CREATE TABLE entries (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL,
    dossier_id   INTEGER NOT NULL,
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    recorded_at  TEXT    NOT NULL,
    author_id    INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    payload      BLOB    NOT NULL,
    UNIQUE (dossier_id, seq),
    FOREIGN KEY (org_id, dossier_id) REFERENCES dossiers (org_id, id),
    FOREIGN KEY (org_id, author_id) REFERENCES users (org_id, id)
) STRICT;

-- Who did what to whose data; never the data itself. Rows are chained (prev_hash/hash) by the audit module.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT    NOT NULL,
    org_id        INTEGER,
    actor_id      INTEGER,
    on_behalf_of  INTEGER,
    pupil_id      INTEGER,
    dossier_id    INTEGER,
    action        TEXT    NOT NULL,
    outcome       TEXT    NOT NULL,
    source        TEXT    NOT NULL
) STRICT;
CREATE INDEX audit_by_dossier ON audit_log (org_id, dossier_id, seq) WHERE dossier_id IS NOT NULL;
