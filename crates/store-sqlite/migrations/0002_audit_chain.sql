-- The audit log becomes a hash chain (see meldroute_store::audit): every row carries the hash of the row
-- before it and its own keyed hash. The key is kept outside the database.
-- Rows written before this migration have no hash; `meldroute audit verify` reports them.
ALTER TABLE audit_log ADD COLUMN prev_hash BLOB;
ALTER TABLE audit_log ADD COLUMN hash BLOB;

-- Where the chain ends, sealed with a MAC under the same key, so cutting rows off the end is detected.
-- Exactly one row. The MAC is NULL until the first keyed append (a migration does not know the key).
CREATE TABLE audit_chain_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq   INTEGER NOT NULL,
    last_hash  BLOB    NOT NULL,
    mac        BLOB
) STRICT;

INSERT INTO audit_chain_head (id, last_seq, last_hash, mac)
VALUES (1, (SELECT COALESCE(MAX(seq), 0) FROM audit_log), zeroblob(32), NULL);
