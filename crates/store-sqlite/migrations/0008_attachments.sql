-- Files added to a dossier (issue 5). Each is written in the same transaction as its chronology entry and,
-- like the chronology, never updated or deleted by the application. The content is opaque bytes (to be
-- encrypted at rest together with the entry payloads). The file name is personal data: it lives only in the
-- entry's payload. The id is 128 random bits in hex, chosen by the application and named in that payload.
CREATE TABLE attachments (
    org_id      INTEGER NOT NULL,
    id          TEXT    NOT NULL CHECK (length(id) = 32),
    dossier_id  INTEGER NOT NULL,
    entry_id    INTEGER NOT NULL UNIQUE REFERENCES entries (id),
    media_type  TEXT    NOT NULL,
    size_bytes  INTEGER NOT NULL CHECK (size_bytes >= 1),
    sha256      TEXT    NOT NULL CHECK (length(sha256) = 64),
    created_at  TEXT    NOT NULL,
    content     BLOB    NOT NULL,
    PRIMARY KEY (org_id, id),
    CHECK (size_bytes = length(content)),
    FOREIGN KEY (org_id, dossier_id) REFERENCES dossiers (org_id, id)
) STRICT;
CREATE INDEX attachments_by_dossier ON attachments (org_id, dossier_id);
