-- Personal API tokens for the JSON API, looked up by the SHA-256 of the bearer token (the token itself is
-- never stored). A token belongs to one user of one organisation and stops working when it expires or is
-- revoked.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    token_hash    BLOB    NOT NULL UNIQUE,
    created_at    TEXT    NOT NULL,
    expires_at    TEXT    NOT NULL,
    revoked_at    TEXT,
    last_used_at  TEXT,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
) STRICT;
CREATE INDEX api_tokens_by_user ON api_tokens (org_id, user_id);
