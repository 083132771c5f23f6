-- Dossiers received from another meldroute instance (issue 7, transfer). The received entries sit in
-- `entries` like any other, with author_id = the aandachtsfunctionaris who accepted the transfer (the
-- original authors are not users here). These tables keep what the sender said: the sending school per
-- dossier, and per entry the original author's name and role and the entry's hash in the sender's export.
-- Like the chronology, never updated by the application; deleted only with the dossier when it is erased.
CREATE TABLE received_dossiers (
    org_id                BIGINT  NOT NULL,
    dossier_id            BIGINT  NOT NULL,
    sending_organisation  TEXT    NOT NULL,
    sending_location      TEXT    NOT NULL,
    exported_at           TIMESTAMPTZ NOT NULL,
    received_at           TIMESTAMPTZ NOT NULL,
    received_by           BIGINT  NOT NULL,
    chain_head            TEXT    NOT NULL CHECK (length(chain_head) = 64),
    PRIMARY KEY (org_id, dossier_id),
    FOREIGN KEY (org_id, dossier_id) REFERENCES dossiers (org_id, id),
    FOREIGN KEY (org_id, received_by) REFERENCES users (org_id, id)
);

CREATE TABLE received_entries (
    org_id         BIGINT  NOT NULL,
    entry_id       BIGINT  NOT NULL PRIMARY KEY REFERENCES entries (id),
    dossier_id     BIGINT  NOT NULL,
    author_name    TEXT    NOT NULL,
    author_role    TEXT,
    original_hash  TEXT    NOT NULL CHECK (length(original_hash) = 64),
    FOREIGN KEY (org_id, dossier_id) REFERENCES received_dossiers (org_id, dossier_id)
);
CREATE INDEX received_entries_by_dossier ON received_entries (org_id, dossier_id);
