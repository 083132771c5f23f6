-- In-app notifications: a new dossier, a disclosure. They name the dossier, never its content.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    dossier_id  INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    urgent      INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
    created_at  TEXT    NOT NULL,
    read_at     TEXT,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, dossier_id) REFERENCES dossiers (org_id, id)
) STRICT;
CREATE INDEX notifications_by_user ON notifications (org_id, user_id, read_at);
