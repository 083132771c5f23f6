//! The store conformance suite: every test is written once against the [`Store`] and [`BatchApply`] traits
//! and runs against both backends (see `tests/conformance.rs`). It also provides fresh, isolated test
//! databases for the other crates' integration tests ([`TestDb`]).
//!
//! PostgreSQL: each test gets its own new database on the server at `MELDROUTE_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped afterwards. When the server is unreachable the
//! PostgreSQL tests are skipped with a notice, unless `MELDROUTE_REQUIRE_PG=1`, which makes that a failure.

// This crate is test code only (a conformance suite and test fixtures): failing loudly is its job.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod suite;

use std::sync::atomic::{AtomicU32, Ordering};

use meldroute_database::Database;
use meldroute_database::audit::AuditKey;
use meldroute_store::Store;
use sqlx::Connection;

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A migrated, empty database that removes itself when dropped. Its audit log is chained under
/// [`test_audit_key`].
pub struct TestDb {
    pub db: Database,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The audit key every [`TestDb`] chains its audit log with (fixed, so tests can verify the chain).
pub fn test_audit_key() -> AuditKey {
    AuditKey::from_bytes([0x5a; 32])
}

/// Whether a missing PostgreSQL must fail the run (CI) instead of skipping.
pub fn pg_required() -> bool {
    std::env::var("MELDROUTE_REQUIRE_PG").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

pub fn pg_admin_url() -> String {
    std::env::var("MELDROUTE_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string())
}

impl TestDb {
    /// A fresh SQLite database in a temporary directory.
    pub async fn sqlite() -> Result<TestDb, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = Database::connect(&url).await.map_err(|e| e.to_string())?.with_audit_key(test_audit_key());
        db.migrate().await.map_err(|e| e.to_string())?;
        Ok(TestDb { db, url, cleanup: Cleanup::Sqlite(dir) })
    }

    /// A fresh PostgreSQL database, or `Ok(None)` when the server is unreachable and not required.
    pub async fn postgres() -> Result<Option<TestDb>, String> {
        let admin_url = pg_admin_url();
        let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
            Ok(conn) => conn,
            Err(e) if pg_required() => {
                return Err(format!(
                    "PostgreSQL is required (MELDROUTE_REQUIRE_PG=1) but unreachable at {admin_url}: {e}"
                ));
            }
            Err(e) => {
                eprintln!("note: PostgreSQL unreachable at {admin_url} ({e}); PostgreSQL test skipped");
                return Ok(None);
            }
        };
        let name = format!(
            "meldroute_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            time::OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000_000
        );
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.map_err(|e| e.to_string())?;
        let _ = admin.close().await;
        let url = with_database(&admin_url, &name);
        let db = Database::connect(&url).await.map_err(|e| e.to_string())?.with_audit_key(test_audit_key());
        db.migrate().await.map_err(|e| e.to_string())?;
        // As a serving node does: session lookups are kept while the node hears every change.
        db.listen_for_changes().await.map_err(|e| e.to_string())?;
        Ok(Some(TestDb { db, url, cleanup: Cleanup::Postgres { admin_url, name } }))
    }

    /// Closes the connections and removes the database.
    pub async fn finish(self) {
        self.db.close().await;
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup
            && let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
        }
    }
}

/// The same server URL with another database name.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    // postgres://user@host:port/db -> replace the path after the authority.
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[after_scheme..].find('/').map(|i| i + after_scheme);
    let mut out = match path_start {
        Some(i) => format!("{}/{name}", &base[..i]),
        None => format!("{base}/{name}"),
    };
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Whether `db` answers lookups from memory within five seconds (on PostgreSQL: once it listens and its own
/// heartbeat came back through the database).
pub async fn lookups_turn_on(db: &Database) -> bool {
    for _ in 0..250 {
        if db.lookup_cache().is_on() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(with_database("postgres://p@h:5432/postgres", "x"), "postgres://p@h:5432/x");
        assert_eq!(with_database("postgres://p@h", "x"), "postgres://p@h/x");
        assert_eq!(with_database("postgres://p@h/db?sslmode=disable", "x"), "postgres://p@h/x?sslmode=disable");
    }
}
