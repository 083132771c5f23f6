-- Accounts: server-side sessions, second factor, login throttling, one-time links, partner shares.

-- The last TOTP time step accepted per user: a code of that step or an earlier one is refused (replay).
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

-- Sessions are looked up by the SHA-256 of the token in the cookie; the token itself is never stored.
CREATE TABLE sessions (
    id_hash             BLOB    PRIMARY KEY,
    org_id              INTEGER NOT NULL,
    user_id             INTEGER NOT NULL,
    created_at          TEXT    NOT NULL,
    last_seen_at        TEXT    NOT NULL,
    second_factor_done  INTEGER NOT NULL DEFAULT 0 CHECK (second_factor_done IN (0, 1)),
    csrf_token          TEXT    NOT NULL,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
) STRICT;
CREATE INDEX sessions_by_user ON sessions (org_id, user_id);

CREATE TABLE recovery_codes (
    org_id     INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    code_hash  BLOB    NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (org_id, user_id, code_hash),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
) STRICT;

-- Failed logins per key ("account:<login>" or "ip:<address>") in the current window.
CREATE TABLE login_throttle (
    key           TEXT    PRIMARY KEY,
    failures      INTEGER NOT NULL,
    window_start  TEXT    NOT NULL,
    locked_until  TEXT
) STRICT;

-- One-time links (first login, password reset), looked up by the SHA-256 of the token.
CREATE TABLE one_time_links (
    token_hash  BLOB    PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    purpose     TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    used_at     TEXT,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
) STRICT;

-- A dossier shared with an external partner: which entry kinds, until which date.
CREATE TABLE shares (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL,
    dossier_id       INTEGER NOT NULL,
    partner_user_id  INTEGER NOT NULL,
    entry_kinds      TEXT    NOT NULL,
    until            TEXT    NOT NULL,
    created_by       INTEGER NOT NULL,
    created_at       TEXT    NOT NULL,
    revoked_at       TEXT,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, dossier_id) REFERENCES dossiers (org_id, id),
    FOREIGN KEY (org_id, partner_user_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
) STRICT;
CREATE INDEX shares_by_partner ON shares (org_id, partner_user_id);
CREATE INDEX shares_by_dossier ON shares (org_id, dossier_id);
