//! Direct, synchronous SQLite access (rusqlite) for the two paths where sqlx's design costs most: the hot
//! reads of every page, and the group-commit writer.
//!
//! sqlx drives each SQLite connection from a worker thread of its own, so every statement is two
//! cross-thread hand-offs (the command in, the rows out). Under load that switching, not SQLite, was half of
//! the server's CPU (decision 0008, docs/performance.md). Here:
//!
//! - **Reads** run inline on the calling task: a connection is taken from a small idle list, the statement
//!   runs (microseconds for a lookup by key in the page cache), and the connection goes back. No thread hop at
//!   all. Only reads bounded by one organisation, location or dossier belong here; whole-table scans, exports,
//!   backups and audit verification stay on the sqlx pool.
//! - **The writer** is one dedicated thread with its own connection: a whole batch (every savepoint,
//!   statement and the commit with its fsync) is one hand-off there and one back, instead of two per statement.
//!
//! Both open the same file with the same per-connection settings as the sqlx pools (`synchronous=FULL`,
//! foreign keys, `secure_delete`, a busy timeout; WAL is a property of the file, set by the sqlx pool that
//! opens it first) and store values in sqlx's encoding ([`Ts`], [`Day`]), so rows written by either side read
//! the same on the other.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use meldroute_store::{StoreError, StoreResult};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::FK_PREFIX;

/// How long a statement waits for a lock held by another connection before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements kept per connection (the hot paths use a few dozen distinct statements).
const STATEMENT_CACHE: usize = 128;
/// Idle read connections kept at least; more when the machine has more cores (one per thread that may read
/// at once). Beyond that, a connection is opened for the read and closed after it.
const MIN_IDLE_READERS: usize = 8;

/// Opens a connection to `path` with the settings every meldroute connection has.
pub(crate) fn open(path: &Path, read_only: bool) -> rusqlite::Result<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    if read_only {
        // Belt and braces: a read connection refuses writes even if a statement tried one.
        conn.pragma_update(None, "query_only", "ON")?;
    }
    Ok(conn)
}

/// The idle read connections of one database file. Reads run inline on the caller's thread.
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    max_idle: usize,
    closed: AtomicBool,
}

impl Readers {
    pub(crate) fn new(path: PathBuf) -> Readers {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Readers {
            path,
            idle: Mutex::new(Vec::new()),
            max_idle: MIN_IDLE_READERS.max(2 * cores),
            closed: AtomicBool::new(false),
        }
    }

    /// Runs `read` on an idle connection (opening one when none is idle). Errors map as in [`sql_err`].
    pub(crate) fn read<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::Other("the database is closed".into()));
        }
        // The list is only ever pushed to and popped from, so it stays consistent even after a panic elsewhere.
        let popped = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let conn = match popped {
            Some(conn) => conn,
            None => {
                open(&self.path, true).map_err(|e| StoreError::Other(format!("cannot open SQLite database: {e}")))?
            }
        };
        let result = read(&conn).map_err(sql_err);
        // A connection left inside a transaction (never by the reads here, but cheap to check) is not reused.
        if conn.is_autocommit() && !self.closed.load(Ordering::Acquire) {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < self.max_idle {
                idle.push(conn);
            }
        }
        result
    }

    /// Closes the idle connections; later reads are refused.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

/// rusqlite's errors as the store's, the same way the sqlx side maps them: no row is `NotFound`, a unique
/// violation is `Conflict`, a foreign-key violation is marked with [`FK_PREFIX`].
pub(crate) fn sql_err(err: rusqlite::Error) -> StoreError {
    match &err {
        rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
        rusqlite::Error::SqliteFailure(failure, message) if failure.code == ErrorCode::ConstraintViolation => {
            let message = message.clone().unwrap_or_else(|| err.to_string());
            match failure.extended_code {
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    StoreError::Conflict(message)
                }
                rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => StoreError::Other(format!("{FK_PREFIX}{message}")),
                _ => StoreError::Other(message),
            }
        }
        _ => StoreError::Other(err.to_string()),
    }
}

/// [`sql_err`], with a foreign-key violation reported as `NotFound`: a reference to another tenant's row (or
/// to none) fails a composite foreign key, and to the caller that is simply "not found".
pub(crate) fn fk_not_found(err: rusqlite::Error) -> StoreError {
    match sql_err(err) {
        StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
        e => e,
    }
}

/// A point in time as sqlx stores it in SQLite: RFC 3339 text. Text comparisons in SQL (`next_due < ?`,
/// `ORDER BY updated_at`) depend on every writer using this one format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ts(pub OffsetDateTime);

impl ToSql for Ts {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        let text = self.0.format(&Rfc3339).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(ToSqlOutput::from(text))
    }
}

impl FromSql for Ts {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Text(bytes) => {
                let text = std::str::from_utf8(bytes).map_err(|e| FromSqlError::Other(Box::new(e)))?;
                parse_ts(text).map(Ts).ok_or_else(|| FromSqlError::Other(format!("invalid time: {text}").into()))
            }
            ValueRef::Integer(secs) => {
                OffsetDateTime::from_unix_timestamp(secs).map(Ts).map_err(|e| FromSqlError::Other(Box::new(e)))
            }
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

/// RFC 3339 first (what every writer stores), then the other forms sqlx reads: with a space for the `T`, with
/// or without an offset (none means UTC), seconds and fractions optional.
fn parse_ts(text: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t);
    }
    let with_offset = format_description!(
        "[year]-[month]-[day][first [ ][T]][hour]:[minute][optional [:[second][optional [.[subsecond]]]]][offset_hour sign:mandatory]:[offset_minute]"
    );
    if let Ok(t) = OffsetDateTime::parse(text, &with_offset) {
        return Some(t);
    }
    let utc = format_description!(
        "[year]-[month]-[day][first [ ][T]][hour]:[minute][optional [:[second][optional [.[subsecond]]]]]"
    );
    PrimitiveDateTime::parse(text, &utc).ok().map(PrimitiveDateTime::assume_utc)
}

/// A calendar day as sqlx stores it in SQLite: `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Day(pub Date);

const DAY: &[time::format_description::BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

impl ToSql for Day {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        let text = self.0.format(&DAY).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(ToSqlOutput::from(text))
    }
}

impl FromSql for Day {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        Date::parse(text, &DAY).map(Day).map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// `Option<Date>` in sqlx's encoding (NULL for none).
pub(crate) fn day(d: Option<Date>) -> Option<Day> {
    d.map(Day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn conn() -> Connection {
        Connection::open_in_memory().unwrap_or_else(|e| unreachable!("in-memory SQLite: {e}"))
    }

    #[test]
    fn times_are_stored_as_sqlx_stores_them() {
        let c = conn();
        for (t, text) in [
            (datetime!(2026-11-22 09:30:00 UTC), "2026-11-22T09:30:00Z"),
            (datetime!(2026-11-22 09:30:00.25 UTC), "2026-11-22T09:30:00.25Z"),
            (datetime!(2026-03-01 23:00:00 +01:00), "2026-03-01T23:00:00+01:00"),
        ] {
            let stored: String = c.query_row("SELECT ?1", [Ts(t)], |r| r.get(0)).unwrap_or_default();
            assert_eq!(stored, text);
            let back: Ts = c.query_row("SELECT ?1", [text], |r| r.get(0)).unwrap_or(Ts(OffsetDateTime::UNIX_EPOCH));
            assert_eq!(back.0, t);
        }
    }

    #[test]
    fn sqlite_and_unix_times_are_read_as_utc() {
        let c = conn();
        let read = |sql: &str| c.query_row(sql, [], |r| r.get::<_, Ts>(0)).map(|t| t.0).ok();
        assert_eq!(read("SELECT '2026-11-22 09:30:00'"), Some(datetime!(2026-11-22 09:30:00 UTC)));
        assert_eq!(read("SELECT '2026-11-22 09:30:00.5'"), Some(datetime!(2026-11-22 09:30:00.5 UTC)));
        assert_eq!(read("SELECT '2026-11-22T09:30:00'"), Some(datetime!(2026-11-22 09:30:00 UTC)));
        assert_eq!(read("SELECT '2026-11-22 09:30'"), Some(datetime!(2026-11-22 09:30:00 UTC)));
        assert_eq!(read("SELECT '2026-11-22 09:30:00+01:00'"), Some(datetime!(2026-11-22 09:30:00 +01:00)));
        assert_eq!(read("SELECT 0"), Some(OffsetDateTime::UNIX_EPOCH));
        assert_eq!(read("SELECT 'gisteren'"), None);
        assert_eq!(read("SELECT x'00'"), None);
    }

    #[test]
    fn days_round_trip() {
        let c = conn();
        let stored: String = c.query_row("SELECT ?1", [Day(date!(2026 - 01 - 05))], |r| r.get(0)).unwrap_or_default();
        assert_eq!(stored, "2026-01-05");
        let back = c.query_row("SELECT '2026-01-05'", [], |r| r.get::<_, Day>(0)).map(|d| d.0).ok();
        assert_eq!(back, Some(date!(2026 - 01 - 05)));
        assert!(c.query_row("SELECT '5 januari'", [], |r| r.get::<_, Day>(0)).is_err());
    }

    /// Values written by sqlx read the same through rusqlite and the other way round, and both store the very
    /// same text, so SQL comparisons and ordering treat rows from either side alike.
    #[tokio::test]
    async fn sqlx_and_rusqlite_read_each_others_values() {
        use sqlx::Connection as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("formats.db");
        let mut sqlx_conn =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", path.display())).await.unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, at TEXT, day TEXT, flag INTEGER, due TEXT)")
            .execute(&mut sqlx_conn)
            .await
            .unwrap();
        let times = [
            datetime!(2026-11-22 09:30:00 UTC),
            datetime!(2026-11-22 09:30:00.123456789 UTC),
            datetime!(2026-03-01 23:00:00 +01:00),
        ];
        for (i, t) in times.iter().enumerate() {
            sqlx::query("INSERT INTO t VALUES (?, ?, ?, ?, ?)")
                .bind(i as i64)
                .bind(*t)
                .bind(t.date())
                .bind(i % 2 == 0)
                .bind(None::<Date>)
                .execute(&mut sqlx_conn)
                .await
                .unwrap();
        }
        let direct = open(&path, false).unwrap();
        for (i, t) in times.iter().enumerate() {
            let (at, d, flag, due): (Ts, Day, bool, Option<Day>) = direct
                .query_row("SELECT at, day, flag, due FROM t WHERE id = ?", [i as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .unwrap();
            assert_eq!((at.0, d.0, flag, due), (*t, t.date(), i % 2 == 0, None));
            direct
                .execute(
                    "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                    rusqlite::params![100 + i as i64, Ts(*t), Day(t.date()), i % 2 == 0, day(None)],
                )
                .unwrap();
        }
        let differing: i64 = direct
            .query_row(
                "SELECT count(*) FROM t a JOIN t b ON b.id = a.id + 100 \
                 WHERE a.at IS NOT b.at OR a.day IS NOT b.day OR a.flag IS NOT b.flag OR a.due IS NOT b.due",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(differing, 0, "both libraries store the same text");
        for (i, t) in times.iter().enumerate() {
            let (at, d, flag, due): (OffsetDateTime, Date, bool, Option<Date>) =
                sqlx::query_as("SELECT at, day, flag, due FROM t WHERE id = ?")
                    .bind(100 + i as i64)
                    .fetch_one(&mut sqlx_conn)
                    .await
                    .unwrap();
            assert_eq!((at, d, flag, due), (*t, t.date(), i % 2 == 0, None));
        }
    }

    #[test]
    fn constraint_errors_map_like_the_sqlx_side() {
        let c = conn();
        c.execute_batch(
            "PRAGMA foreign_keys = ON; CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT UNIQUE); \
             CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER NOT NULL REFERENCES p(id)); \
             INSERT INTO p VALUES (1, 'a');",
        )
        .unwrap_or_else(|e| unreachable!("schema: {e}"));
        let unique = c.execute("INSERT INTO p VALUES (2, 'a')", []).map_err(sql_err);
        assert!(matches!(unique, Err(StoreError::Conflict(_))), "{unique:?}");
        let primary = c.execute("INSERT INTO p VALUES (1, 'b')", []).map_err(sql_err);
        assert!(matches!(primary, Err(StoreError::Conflict(_))), "{primary:?}");
        let fk = c.execute("INSERT INTO c VALUES (1, 9)", []).map_err(fk_not_found);
        assert!(matches!(fk, Err(StoreError::NotFound)), "{fk:?}");
        let fk_other = c.execute("INSERT INTO c VALUES (1, 9)", []).map_err(sql_err);
        assert!(matches!(&fk_other, Err(StoreError::Other(m)) if m.starts_with(FK_PREFIX)), "{fk_other:?}");
        let none = c.query_row("SELECT id FROM p WHERE id = 7", [], |r| r.get::<_, i64>(0)).map_err(sql_err);
        assert!(matches!(none, Err(StoreError::NotFound)));
        let not_null = c.execute("INSERT INTO c VALUES (2, NULL)", []).map_err(sql_err);
        assert!(matches!(not_null, Err(StoreError::Other(_))));
    }
}
