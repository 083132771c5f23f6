-- The audit log becomes a hash chain (see meldroute_store::audit): every row carries the hash of the row
-- before it and its own keyed hash. The key is kept outside the database.
-- Rows written before this migration have no hash; `meldroute audit verify` reports them.
ALTER TABLE audit_log ADD COLUMN prev_hash BYTEA;
ALTER TABLE audit_log ADD COLUMN hash BYTEA;

-- Where the chain ends, sealed with a MAC under the same key, so cutting rows off the end is detected.
-- Exactly one row; appends lock it (SELECT ... FOR UPDATE) inside the write transaction, which serialises
-- them across nodes and keeps sequence numbers gap-free (they are assigned from last_seq, not the identity).
-- The MAC is NULL until the first keyed append (a migration does not know the key).
CREATE TABLE audit_chain_head (
    id         SMALLINT PRIMARY KEY CHECK (id = 1),
    last_seq   BIGINT NOT NULL,
    last_hash  BYTEA  NOT NULL,
    mac        BYTEA
);

INSERT INTO audit_chain_head (id, last_seq, last_hash, mac)
VALUES (1, (SELECT COALESCE(MAX(seq), 0) FROM audit_log), decode(repeat('00', 32), 'hex'), NULL);
