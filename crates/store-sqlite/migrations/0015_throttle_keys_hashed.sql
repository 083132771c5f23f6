-- Login throttling now keys an account name by its SHA-256 (see crates/web/src/auth/throttle.rs), so the
-- table holds no login names. Counters under the old keys held the names in the clear: remove them. (At most
-- a lock of 15 minutes is forgotten.)
DELETE FROM login_throttle WHERE key LIKE 'account:%';
