-- Retention and erasure (issue 7 part 4).

-- The day a dossier was closed (the domain fold's `closed_on`), for the retention review. Filled for dossiers
-- closed before this migration from their latest closing entry (its UTC day).
ALTER TABLE dossiers ADD COLUMN closed_on DATE;
UPDATE dossiers SET closed_on = (
    SELECT (e.recorded_at AT TIME ZONE 'UTC')::date FROM entries e
    WHERE e.org_id = dossiers.org_id AND e.dossier_id = dossiers.id AND e.kind = 'closing'
    ORDER BY e.seq DESC LIMIT 1
) WHERE closed;
CREATE INDEX dossiers_by_closed_on ON dossiers (org_id, closed_on) WHERE closed;

-- The organisation's retention period for closed dossiers. Append-only: every change is a new row, the newest
-- counts. No row: no period set, nothing is due.
CREATE TABLE retention_settings (
    id       BIGSERIAL   PRIMARY KEY,
    org_id   BIGINT      NOT NULL REFERENCES organisations (id),
    months   INTEGER     NOT NULL CHECK (months BETWEEN 1 AND 1200),
    basis    TEXT        NOT NULL,
    set_by   BIGINT      NOT NULL,
    set_at   TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (org_id, set_by) REFERENCES users (org_id, id)
);
CREATE INDEX retention_settings_by_org ON retention_settings (org_id, id);

-- A pending proposal to erase a dossier: at most one per dossier. Withdrawing deletes it; the erasure deletes
-- it with the dossier.
CREATE TABLE erasure_proposals (
    id           BIGSERIAL   PRIMARY KEY,
    org_id       BIGINT      NOT NULL,
    dossier_id   BIGINT      NOT NULL,
    proposed_by  BIGINT      NOT NULL,
    proposed_at  TIMESTAMPTZ NOT NULL,
    reason       TEXT        NOT NULL,
    dossier_seq  BIGINT      NOT NULL,
    UNIQUE (org_id, dossier_id),
    FOREIGN KEY (org_id, dossier_id) REFERENCES dossiers (org_id, id),
    FOREIGN KEY (org_id, proposed_by) REFERENCES users (org_id, id)
);

-- A request to erase a dossier from a pupil of 16+ or a parent, with the decision and its reason.
CREATE TABLE erasure_requests (
    id           BIGSERIAL   PRIMARY KEY,
    org_id       BIGINT      NOT NULL,
    dossier_id   BIGINT      NOT NULL,
    requester    TEXT        NOT NULL CHECK (requester IN ('pupil', 'parent')),
    received_on  DATE        NOT NULL,
    decision     TEXT        NOT NULL CHECK (decision IN ('granted', 'refused')),
    reason       TEXT        NOT NULL,
    decided_by   BIGINT      NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (org_id, dossier_id) REFERENCES dossiers (org_id, id),
    FOREIGN KEY (org_id, decided_by) REFERENCES users (org_id, id)
);
CREATE INDEX erasure_requests_by_dossier ON erasure_requests (org_id, dossier_id);
