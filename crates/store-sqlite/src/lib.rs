//! The embedded SQLite backend, the default: one file under the data dir, WAL journal, `synchronous=FULL`
//! (a committed transaction survives power loss), foreign keys on, and `BEGIN IMMEDIATE` for every write
//! transaction so writers never deadlock on a lock upgrade.
//!
//! The reads of every page and the group-commit writer use rusqlite directly (`direct.rs`: no thread hop per
//! statement). Migrations, the writes outside the writer (accounts, sessions, pupils, shares, route map
//! versions, retention settings, imports), scans, backups and audit verification use sqlx pools.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use meldroute_store::*;
use rusqlite::{OptionalExtension, params};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use time::OffsetDateTime;

use crate::direct::{Day, Ts};

mod accounts;
mod api_tokens;
mod attachments;
pub mod audit;
pub mod backup;
mod batch;
mod bulk;
mod direct;
mod notifications;
mod retention;
mod route_maps;
mod team_sessions;
mod transfers;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone)]
pub struct SqliteStore {
    /// The sqlx pool: the writes outside the writer, and the reads that are not on a hot path.
    pool: SqlitePool,
    /// One connection for migrations and for the pupil import's all-or-nothing transaction.
    write_pool: SqlitePool,
    /// Inline rusqlite readers for the hot reads.
    readers: std::sync::Arc<direct::Readers>,
    /// The group-commit writer's own thread and connection.
    writer: std::sync::Arc<batch::WriterThread>,
    /// The key that chains audit rows (see `audit.rs`); audit writes fail without it.
    audit_key: Option<std::sync::Arc<meldroute_store::audit::AuditKey>>,
    /// Recent session lookups. One process writes the embedded database, and every store method that changes
    /// a session, an account, its grants or its notifications marks it here, so it is always on.
    lookups: std::sync::Arc<meldroute_store::LookupCache>,
}

/// Marks a foreign-key violation in [`StoreError::Other`], so callers that expect one (a reference to a row
/// of another tenant) can turn it into `NotFound`.
const FK_PREFIX: &str = "foreign key: ";

fn other(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(db.message().to_string()),
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::Other(format!("{FK_PREFIX}{}", db.message()))
        }
        _ => StoreError::Other(err.to_string()),
    }
}

impl SqliteStore {
    /// Opens (creating when missing) the database at a `sqlite://` URL.
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("invalid SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Deleted content is overwritten with zeros, in the table and index pages and in freed pages, so an
            // erased dossier does not linger in the file (issue 7 part 4; see `retention.rs`).
            .pragma("secure_delete", "ON")
            .busy_timeout(Duration::from_secs(10));
        // The direct connections (`direct.rs`) open the same file by its path with the default VFS: a URL that
        // asks for anything else (in memory, read-only, another VFS) would mean two different databases or two
        // locking protocols on one file, so it is refused.
        let path = options.get_filename().to_path_buf();
        if url.contains(":memory:") || path.to_string_lossy().starts_with("file:") || !plain_file_url(url) {
            return Err(StoreError::Other(
                "meldroute needs a plain SQLite file URL (sqlite://PATH, optionally ?mode=rwc)".into(),
            ));
        }
        // No ping before handing out a connection (sqlx's default): an embedded database has no other end that
        // could hang up, and each ping is one more round trip to the connection's worker thread, as costly as
        // a query (docs/performance.md).
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(|e| StoreError::Other(format!("cannot open SQLite database: {e}")))?;
        let write_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Other(format!("cannot open SQLite database: {e}")))?;
        Ok(SqliteStore {
            pool,
            write_pool,
            readers: std::sync::Arc::new(direct::Readers::new(path.clone())),
            writer: std::sync::Arc::new(batch::WriterThread::new(path)),
            audit_key: None,
            lookups: std::sync::Arc::new(meldroute_store::LookupCache::new(true)),
        })
    }

    /// This process's memory of session lookups.
    pub fn lookup_cache(&self) -> &meldroute_store::LookupCache {
        &self.lookups
    }

    /// Runs `write` in a task of its own and waits for it. For the writes that mark the session cache: sqlx
    /// runs a statement it handed to the connection's thread even when nobody waits for it any more, so a
    /// cancelled request would mark the cache before its statement commits, and a lookup read in between would
    /// be kept. In a task of its own the write, and its mark after the commit, always run to the end.
    pub(crate) async fn detached<T: Send + 'static>(
        &self,
        write: impl std::future::Future<Output = StoreResult<T>> + Send + 'static,
    ) -> StoreResult<T> {
        tokio::spawn(write).await.map_err(|e| StoreError::Other(format!("a write task ended early: {e}")))?
    }

    /// Opens the database file at `path`.
    pub async fn open_file(path: &Path) -> StoreResult<SqliteStore> {
        SqliteStore::connect(&format!("sqlite://{}", path.display())).await
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Stops the writer thread after what it has queued, and closes every connection (the last one to close
    /// checkpoints the WAL).
    pub async fn close(&self) {
        if let Some(thread) = self.writer.stop() {
            let joined = tokio::task::spawn_blocking(move || thread.join()).await;
            if !matches!(joined, Ok(Ok(()))) {
                tracing::error!("the SQLite writer thread ended abnormally");
            }
        }
        self.readers.close();
        self.write_pool.close().await;
        self.pool.close().await;
    }
}

fn ts(row: &SqliteRow, col: &str) -> Result<OffsetDateTime, sqlx::Error> {
    row.try_get(col)
}

fn organisation(row: SqliteRow) -> Result<Organisation, sqlx::Error> {
    Ok(Organisation {
        id: OrgId(row.try_get("id")?),
        name: row.try_get("name")?,
        is_demo: row.try_get("is_demo")?,
        created_at: ts(&row, "created_at")?,
    })
}

// Row mappers of the direct (rusqlite) reads.

fn location(row: &rusqlite::Row<'_>) -> rusqlite::Result<Location> {
    let sector: String = row.get("sector")?;
    Ok(Location {
        id: LocationId(row.get("id")?),
        org: OrgId(row.get("org_id")?),
        name: row.get("name")?,
        sector: sector_from_code(&sector)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))?,
    })
}

fn user(row: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: UserId(row.get("id")?),
        org: OrgId(row.get("org_id")?),
        login: row.get("login")?,
        display_name: row.get("display_name")?,
        email: row.get("email")?,
        password_hash: row.get("password_hash")?,
        totp_secret: row.get("totp_secret")?,
        lang: row.get("lang")?,
        disabled: row.get("disabled")?,
        created_at: row.get::<_, Ts>("created_at")?.0,
    })
}

fn pupil(row: &rusqlite::Row<'_>) -> rusqlite::Result<Pupil> {
    Ok(Pupil {
        id: PupilId(row.get("id")?),
        org: OrgId(row.get("org_id")?),
        location: LocationId(row.get("location_id")?),
        group: row.get::<_, Option<i64>>("group_id")?.map(GroupId),
        first_name: row.get("first_name")?,
        last_name: row.get("last_name")?,
        date_of_birth: row.get::<_, Option<Day>>("date_of_birth")?.map(|d| d.0),
        family: row.get::<_, Option<i64>>("family_id")?.map(FamilyId),
        external_ref: row.get("external_ref")?,
    })
}

fn dossier(row: &rusqlite::Row<'_>) -> rusqlite::Result<Dossier> {
    let step: i64 = row.get("step")?;
    Ok(Dossier {
        id: DossierId(row.get("id")?),
        org: OrgId(row.get("org_id")?),
        location: LocationId(row.get("location_id")?),
        pupil: PupilId(row.get("pupil_id")?),
        opened_at: row.get::<_, Ts>("opened_at")?.0,
        opened_by: UserId(row.get("opened_by")?),
        projection: DossierProjection {
            step: u8::try_from(step).unwrap_or(1),
            closed: row.get("closed")?,
            urgent: row.get("urgent")?,
            next_due: row.get::<_, Option<Day>>("next_due")?.map(|d| d.0),
            closed_on: row.get::<_, Option<Day>>("closed_on")?.map(|d| d.0),
        },
        last_seq: row.get("last_seq")?,
        updated_at: row.get::<_, Ts>("updated_at")?.0,
    })
}

/// A chronology's rows, with the columns [`entry`] reads by position (a chronology is the most rows a page
/// reads).
const LIST_ENTRIES: &str = "SELECT id, dossier_id, seq, recorded_at, author_id, kind, payload FROM entries \
     WHERE org_id = ? AND dossier_id = ? ORDER BY seq";

fn entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEntry> {
    let mut c = Columns::new(row);
    Ok(StoredEntry {
        id: EntryId(c.next()?),
        dossier: DossierId(c.next()?),
        seq: c.next()?,
        recorded_at: c.next::<Ts>()?.0,
        author: UserId(c.next()?),
        kind: c.next()?,
        payload: c.next()?,
    })
}

/// Reads a row's columns one after the other (a query whose columns are read by position, which is faster
/// than by name).
struct Columns<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    next: usize,
}

impl<'a, 'r> Columns<'a, 'r> {
    fn new(row: &'a rusqlite::Row<'r>) -> Self {
        Columns { row, next: 0 }
    }

    fn at(row: &'a rusqlite::Row<'r>, first: usize) -> Self {
        Columns { row, next: first }
    }

    fn next<T: rusqlite::types::FromSql>(&mut self) -> rusqlite::Result<T> {
        self.next += 1;
        self.row.get(self.next - 1)
    }

    /// A location's name and sector, the next two columns.
    fn location(&mut self, id: LocationId, org: OrgId) -> rusqlite::Result<Location> {
        let name = self.next()?;
        let sector: String = self.next()?;
        let sector = sector_from_code(&sector)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))?;
        Ok(Location { id, org, name, sector })
    }
}

/// The first row of a [`DOSSIER_CONTEXT_SQL`] result (with its share, if any).
fn dossier_context(org: OrgId, row: &rusqlite::Row<'_>) -> rusqlite::Result<DossierContext> {
    let mut c = Columns::new(row);
    let dossier = Dossier {
        id: DossierId(c.next()?),
        org,
        location: LocationId(c.next()?),
        pupil: PupilId(c.next()?),
        opened_at: c.next::<Ts>()?.0,
        opened_by: UserId(c.next()?),
        projection: DossierProjection {
            step: u8::try_from(c.next::<i64>()?).unwrap_or(1),
            closed: c.next()?,
            urgent: c.next()?,
            next_due: c.next::<Option<Day>>()?.map(|d| d.0),
            closed_on: c.next::<Option<Day>>()?.map(|d| d.0),
        },
        last_seq: c.next()?,
        updated_at: c.next::<Ts>()?.0,
    };
    let pupil = Pupil {
        id: dossier.pupil,
        org,
        location: LocationId(c.next()?),
        group: c.next::<Option<i64>>()?.map(GroupId),
        first_name: c.next()?,
        last_name: c.next()?,
        date_of_birth: c.next::<Option<Day>>()?.map(|d| d.0),
        family: c.next::<Option<i64>>()?.map(FamilyId),
        external_ref: c.next()?,
    };
    let location = c.location(dossier.location, org)?;
    let pupil_location = c.location(pupil.location, org)?;
    let received = c.next()?;
    let route_map_version = c.next()?;
    debug_assert_eq!(c.next, DOSSIER_CONTEXT_SHARE);
    let shares = context_share(dossier.id, row)?.into_iter().collect();
    Ok(DossierContext { dossier, pupil, location, pupil_location, shares, received, route_map_version })
}

/// The share of a [`DOSSIER_CONTEXT_SQL`] row, if it has one.
fn context_share(dossier: DossierId, row: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Share>> {
    let mut c = Columns::at(row, DOSSIER_CONTEXT_SHARE);
    let Some(id) = c.next::<Option<i64>>()? else { return Ok(None) };
    let partner = UserId(c.next()?);
    let kinds: String = c.next()?;
    Ok(Some(Share {
        id,
        dossier,
        partner,
        entry_kinds: kinds.split(',').filter(|k| !k.is_empty()).map(str::to_string).collect(),
        until: c.next::<Day>()?.0,
        created_by: UserId(c.next()?),
        created_at: c.next::<Ts>()?.0,
        revoked_at: c.next::<Option<Ts>>()?.map(|t| t.0),
    }))
}

fn audit_event(row: SqliteRow) -> Result<AuditEvent, sqlx::Error> {
    Ok(AuditEvent {
        seq: row.try_get("seq")?,
        event: NewAuditEvent {
            at: ts(&row, "at")?,
            org: row.try_get::<Option<i64>, _>("org_id")?.map(OrgId),
            actor: row.try_get::<Option<i64>, _>("actor_id")?.map(UserId),
            on_behalf_of: row.try_get::<Option<i64>, _>("on_behalf_of")?.map(UserId),
            pupil: row.try_get::<Option<i64>, _>("pupil_id")?.map(PupilId),
            dossier: row.try_get::<Option<i64>, _>("dossier_id")?.map(DossierId),
            action: row.try_get("action")?,
            outcome: row.try_get("outcome")?,
            source: row.try_get("source")?,
        },
    })
}

/// Tables in dependency order (parents first), as used by counts, backups and restores.
pub const TABLES: [&str; 33] = [
    "organisations",
    "locations",
    "groups",
    "users",
    "role_grants",
    "pupils",
    "dossiers",
    "entries",
    "audit_log",
    "audit_chain_head",
    "sessions",
    "recovery_codes",
    "login_throttle",
    "one_time_links",
    "shares",
    "api_tokens",
    "notifications",
    "route_maps",
    "attachments",
    "retention_settings",
    "erasure_proposals",
    "erasure_requests",
    "received_dossiers",
    "received_entries",
    "team_sessions",
    "team_participants",
    "team_answers",
    "team_points",
    "team_dots",
    "team_actions",
    "team_groups",
    "team_group_members",
    "team_group_fields",
];

fn limit(l: Option<i64>) -> i64 {
    l.unwrap_or(500).clamp(1, 10_000)
}

impl Store for SqliteStore {
    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.write_pool).await.map_err(|e| StoreError::Other(format!("migration failed: {e}")))
    }

    async fn schema_status(&self) -> StoreResult<SchemaStatus> {
        let expected = MIGRATOR.iter().count() as i64;
        let exists: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
                .fetch_one(&self.pool)
                .await
                .map_err(other)?;
        let applied = if exists == 0 {
            0
        } else {
            sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success = 1")
                .fetch_one(&self.pool)
                .await
                .map_err(other)?
        };
        Ok(SchemaStatus { expected, applied })
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        if !self.schema_status().await?.is_current() {
            // Tables may not exist yet; an unmigrated database holds nothing of ours.
            let tables: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'organisations'",
            )
            .fetch_one(&self.pool)
            .await
            .map_err(other)?;
            if tables == 0 {
                return Ok(true);
            }
        }
        let n: i64 = sqlx::query_scalar("SELECT (SELECT count(*) FROM organisations) + (SELECT count(*) FROM users)")
            .fetch_one(&self.pool)
            .await
            .map_err(other)?;
        Ok(n == 0)
    }

    async fn table_counts(&self) -> StoreResult<Vec<(String, i64)>> {
        let mut counts = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            // Table names come from the constant above, never from input.
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(&self.pool)
                .await
                .map_err(other)?;
            counts.push((table.to_string(), n));
        }
        Ok(counts)
    }

    async fn create_organisation(&self, new: NewOrganisation) -> StoreResult<Organisation> {
        sqlx::query("INSERT INTO organisations (name, is_demo, created_at) VALUES (?, ?, ?) RETURNING *")
            .bind(&new.name)
            .bind(new.is_demo)
            .bind(new.created_at)
            .try_map(organisation)
            .fetch_one(&self.pool)
            .await
            .map_err(other)
    }

    async fn find_organisation_by_name(&self, name: &str) -> StoreResult<Option<Organisation>> {
        sqlx::query("SELECT * FROM organisations WHERE name = ?")
            .bind(name)
            .try_map(organisation)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)
    }

    async fn get_organisation(&self, t: &TenantCtx) -> StoreResult<Organisation> {
        sqlx::query("SELECT * FROM organisations WHERE id = ?")
            .bind(t.org.0)
            .try_map(organisation)
            .fetch_one(&self.pool)
            .await
            .map_err(other)
    }

    async fn create_location(&self, t: &TenantCtx, new: NewLocation) -> StoreResult<Location> {
        let id: i64 = sqlx::query_scalar("INSERT INTO locations (org_id, name, sector) VALUES (?, ?, ?) RETURNING id")
            .bind(t.org.0)
            .bind(&new.name)
            .bind(sector_code(new.sector))
            .fetch_one(&self.pool)
            .await
            .map_err(other)?;
        Ok(Location { id: LocationId(id), org: t.org, name: new.name, sector: new.sector })
    }

    async fn list_locations(&self, t: &TenantCtx) -> StoreResult<Vec<Location>> {
        self.readers.read(|c| {
            c.prepare_cached("SELECT * FROM locations WHERE org_id = ? ORDER BY name")?
                .query_map([t.org.0], location)?
                .collect()
        })
    }

    async fn create_group(&self, t: &TenantCtx, new: NewGroup) -> StoreResult<Group> {
        let row = sqlx::query(
            "INSERT INTO groups (org_id, location_id, name) \
             SELECT ?1, id, ?3 FROM locations WHERE org_id = ?1 AND id = ?2 RETURNING id, location_id, name",
        )
        .bind(t.org.0)
        .bind(new.location.0)
        .bind(&new.name)
        .fetch_one(&self.pool)
        .await
        .map_err(other)?;
        Ok(Group {
            id: GroupId(row.try_get("id").map_err(other)?),
            location: LocationId(row.try_get("location_id").map_err(other)?),
            name: row.try_get("name").map_err(other)?,
        })
    }

    async fn list_groups(&self, t: &TenantCtx, loc: LocationId) -> StoreResult<Vec<Group>> {
        let rows =
            sqlx::query("SELECT id, location_id, name FROM groups WHERE org_id = ? AND location_id = ? ORDER BY name")
                .bind(t.org.0)
                .bind(loc.0)
                .fetch_all(&self.pool)
                .await
                .map_err(other)?;
        rows.into_iter()
            .map(|row| {
                Ok(Group {
                    id: GroupId(row.try_get("id").map_err(other)?),
                    location: LocationId(row.try_get("location_id").map_err(other)?),
                    name: row.try_get("name").map_err(other)?,
                })
            })
            .collect()
    }

    async fn create_user(&self, t: &TenantCtx, new: NewUser) -> StoreResult<User> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (org_id, login, display_name, email, password_hash, totp_secret, lang, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(t.org.0)
        .bind(&new.login)
        .bind(&new.display_name)
        .bind(&new.email)
        .bind(&new.password_hash)
        .bind(&new.totp_secret)
        .bind(&new.lang)
        .bind(new.created_at)
        .fetch_one(&self.pool)
        .await
        .map_err(other)?;
        // One statement: the account as inserted (a new account is never disabled).
        Ok(User {
            id: UserId(id),
            org: t.org,
            login: new.login,
            display_name: new.display_name,
            email: new.email,
            password_hash: new.password_hash,
            totp_secret: new.totp_secret,
            lang: new.lang,
            disabled: false,
            created_at: new.created_at,
        })
    }

    async fn find_user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        self.readers
            .read(|c| c.prepare_cached("SELECT * FROM users WHERE login = ?")?.query_row([login], user).optional())
    }

    async fn get_user(&self, t: &TenantCtx, id: UserId) -> StoreResult<User> {
        self.readers.read(|c| {
            c.prepare_cached("SELECT * FROM users WHERE org_id = ? AND id = ?")?.query_row(params![t.org.0, id.0], user)
        })
    }

    async fn list_users(&self, t: &TenantCtx) -> StoreResult<Vec<User>> {
        self.readers.read(|c| {
            c.prepare_cached("SELECT * FROM users WHERE org_id = ? ORDER BY display_name, id")?
                .query_map([t.org.0], user)?
                .collect()
        })
    }

    async fn user_names(&self, t: &TenantCtx, ids: &[UserId]) -> StoreResult<Vec<(UserId, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Each id once: the join below gives a row per id in the list.
        let mut ids: Vec<i64> = ids.iter().map(|u| u.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let ids = serde_json::to_string(&ids).map_err(|e| StoreError::Other(e.to_string()))?;
        self.readers.read(|c| {
            // Driven by the list (a join, not `IN (SELECT ...)`, which would build a temporary index first).
            c.prepare_cached(
                "SELECT u.id, u.display_name FROM json_each(?2) AS j JOIN users AS u ON u.id = j.value \
                 WHERE u.org_id = ?1",
            )?
            .query_map(params![t.org.0, ids], |r| Ok((UserId(r.get(0)?), r.get(1)?)))?
            .collect()
        })
    }

    async fn grant_role(&self, t: &TenantCtx, grant: RoleGrant) -> StoreResult<()> {
        let (store, t) = (self.clone(), *t);
        self.detached(async move {
            let _changed = store.lookups.marking(Change::User(t.org, grant.user));
            // The location must belong to the tenant too (0 = organisation-wide).
            if let Some(loc) = grant.location {
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM locations WHERE org_id = ? AND id = ?")
                    .bind(t.org.0)
                    .bind(loc.0)
                    .fetch_one(&store.pool)
                    .await
                    .map_err(other)?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
            }
            sqlx::query("INSERT OR IGNORE INTO role_grants (org_id, user_id, location_id, role) VALUES (?, ?, ?, ?)")
                .bind(t.org.0)
                .bind(grant.user.0)
                .bind(grant.location.map_or(0, |l| l.0))
                .bind(grant.role.code())
                .execute(&store.pool)
                .await
                .map_err(|e| match other(e) {
                    StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
                    e => e,
                })?;
            Ok(())
        })
        .await
    }

    async fn roles_of(&self, t: &TenantCtx, user: UserId) -> StoreResult<Vec<RoleGrant>> {
        let rows: Vec<(i64, String)> = self.readers.read(|c| {
            c.prepare_cached(
                "SELECT location_id, role FROM role_grants WHERE org_id = ? AND user_id = ? ORDER BY location_id, role",
            )?
            .query_map(params![t.org.0, user.0], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
        })?;
        rows.into_iter()
            .map(|(loc, code)| {
                let role =
                    Role::from_code(&code).ok_or_else(|| StoreError::Other(format!("unknown role code {code}")))?;
                Ok(RoleGrant { user, location: (loc != 0).then_some(LocationId(loc)), role })
            })
            .collect()
    }

    async fn list_role_grants(&self, t: &TenantCtx) -> StoreResult<Vec<RoleGrant>> {
        let rows = sqlx::query(
            "SELECT user_id, location_id, role FROM role_grants WHERE org_id = ? ORDER BY user_id, location_id, role",
        )
        .bind(t.org.0)
        .fetch_all(&self.pool)
        .await
        .map_err(other)?;
        let mut grants = Vec::with_capacity(rows.len());
        for row in rows {
            let user: i64 = row.try_get("user_id").map_err(other)?;
            let loc: i64 = row.try_get("location_id").map_err(other)?;
            let code: String = row.try_get("role").map_err(other)?;
            let role = Role::from_code(&code).ok_or_else(|| StoreError::Other(format!("unknown role code {code}")))?;
            grants.push(RoleGrant { user: UserId(user), location: (loc != 0).then_some(LocationId(loc)), role });
        }
        Ok(grants)
    }

    async fn create_pupil(&self, t: &TenantCtx, new: NewPupil) -> StoreResult<Pupil> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO pupils (id, org_id, location_id, group_id, first_name, last_name, date_of_birth, family_id, external_ref, created_at) \
             VALUES ((SELECT last + 1 FROM id_high_water WHERE name = 'pupils'), ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(t.org.0)
        .bind(new.location.0)
        .bind(new.group.map(|g| g.0))
        .bind(&new.first_name)
        .bind(&new.last_name)
        .bind(new.date_of_birth)
        .bind(new.family.map(|f| f.0))
        .bind(&new.external_ref)
        .bind(new.created_at)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match other(e) {
            // A location or group of another tenant fails the composite foreign key: report it as absent.
            StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
            e => e,
        })?;
        Ok(Pupil {
            id: PupilId(id),
            org: t.org,
            location: new.location,
            group: new.group,
            first_name: new.first_name,
            last_name: new.last_name,
            date_of_birth: new.date_of_birth,
            family: new.family,
            external_ref: new.external_ref,
        })
    }

    async fn get_pupil(&self, t: &TenantCtx, id: PupilId) -> StoreResult<Pupil> {
        self.readers.read(|c| {
            c.prepare_cached("SELECT * FROM pupils WHERE org_id = ? AND id = ?")?
                .query_row(params![t.org.0, id.0], pupil)
        })
    }

    async fn list_pupils(&self, t: &TenantCtx, f: &PupilFilter) -> StoreResult<Vec<Pupil>> {
        let pattern = f.name_contains.as_ref().map(|n| format!("%{}%", escape_like(n)));
        self.readers.read(|c| {
            c.prepare_cached(
                "SELECT * FROM pupils WHERE org_id = ?1 \
                 AND (?2 IS NULL OR location_id = ?2) AND (?3 IS NULL OR group_id = ?3) \
                 AND (?4 IS NULL OR first_name LIKE ?4 ESCAPE '\\' OR last_name LIKE ?4 ESCAPE '\\') \
                 ORDER BY lower(last_name), lower(first_name), id LIMIT ?5",
            )?
            .query_map(params![t.org.0, f.location.map(|l| l.0), f.group.map(|g| g.0), pattern, limit(f.limit)], pupil)?
            .collect()
        })
    }

    async fn siblings_of(&self, t: &TenantCtx, id: PupilId) -> StoreResult<Vec<Pupil>> {
        self.readers.read(|c| {
            c.prepare_cached(
                "SELECT s.* FROM pupils p JOIN pupils s ON s.org_id = p.org_id AND s.family_id = p.family_id \
                 WHERE p.org_id = ? AND p.id = ? AND s.id <> p.id ORDER BY lower(s.last_name), lower(s.first_name), s.id",
            )?
            .query_map(params![t.org.0, id.0], pupil)?
            .collect()
        })
    }

    async fn import_pupils(&self, t: &TenantCtx, location: LocationId, rows: Vec<NewPupil>) -> StoreResult<usize> {
        // All or nothing: any error returns before the commit and the transaction rolls back on drop.
        let mut tx = self.write_pool.begin_with("BEGIN IMMEDIATE").await.map_err(other)?;
        let known: i64 = sqlx::query_scalar("SELECT count(*) FROM locations WHERE org_id = ?1 AND id = ?2")
            .bind(t.org.0)
            .bind(location.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(other)?;
        if known == 0 {
            return Err(StoreError::NotFound);
        }
        for row in &rows {
            if row.location != location {
                return Err(StoreError::NotFound);
            }
            if let Some(group) = row.group {
                let n: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM groups WHERE org_id = ?1 AND id = ?2 AND location_id = ?3",
                )
                .bind(t.org.0)
                .bind(group.0)
                .bind(location.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(other)?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
            }
            if let Some(external) = &row.external_ref {
                let n: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pupils WHERE org_id = ?1 AND location_id = ?2 AND external_ref = ?3",
                )
                .bind(t.org.0)
                .bind(location.0)
                .bind(external)
                .fetch_one(&mut *tx)
                .await
                .map_err(other)?;
                if n > 0 {
                    return Err(StoreError::Conflict(format!("leerlingnummer {external} exists at this location")));
                }
            }
            sqlx::query(
                "INSERT INTO pupils (id, org_id, location_id, group_id, first_name, last_name, date_of_birth, family_id, external_ref, created_at) \
                 VALUES ((SELECT last + 1 FROM id_high_water WHERE name = 'pupils'), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .bind(t.org.0)
            .bind(location.0)
            .bind(row.group.map(|g| g.0))
            .bind(&row.first_name)
            .bind(&row.last_name)
            .bind(row.date_of_birth)
            .bind(row.family.map(|f| f.0))
            .bind(&row.external_ref)
            .bind(row.created_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| match other(e) {
                StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
                e => e,
            })?;
        }
        tx.commit().await.map_err(other)?;
        Ok(rows.len())
    }

    async fn get_dossier(&self, t: &TenantCtx, id: DossierId) -> StoreResult<Dossier> {
        self.readers.read(|c| {
            c.prepare_cached("SELECT * FROM dossiers WHERE org_id = ? AND id = ?")?
                .query_row(params![t.org.0, id.0], dossier)
        })
    }

    async fn dossier_context(&self, t: &TenantCtx, id: DossierId) -> StoreResult<DossierContext> {
        if let Some(kept) = self.lookups.get_context(t.org, id) {
            return Ok(kept);
        }
        let stamp = self.lookups.stamp();
        let context = self.readers.read(|c| {
            let mut statement = c.prepare_cached(DOSSIER_CONTEXT_SQL)?;
            let mut rows = statement.query(params![t.org.0, id.0])?;
            let Some(row) = rows.next()? else { return Err(rusqlite::Error::QueryReturnedNoRows) };
            let mut context = dossier_context(t.org, row)?;
            while let Some(row) = rows.next()? {
                context.shares.extend(context_share(context.dossier.id, row)?);
            }
            Ok(context)
        })?;
        self.lookups.put_context(stamp, &context);
        Ok(context)
    }

    async fn list_dossiers(&self, t: &TenantCtx, f: &DossierFilter) -> StoreResult<Vec<Dossier>> {
        self.readers.read(|c| {
            c.prepare_cached(
                "SELECT * FROM dossiers d WHERE org_id = ?1 \
                 AND (?2 IS NULL OR location_id = ?2) AND (?3 IS NULL OR pupil_id = ?3) AND (?4 = 0 OR closed = 0) \
                 AND (?6 IS NULL OR opened_by = ?6 OR EXISTS (SELECT 1 FROM entries e \
                      WHERE e.org_id = d.org_id AND e.dossier_id = d.id AND e.author_id = ?6)) \
                 ORDER BY updated_at DESC, id DESC LIMIT ?5",
            )?
            .query_map(
                params![
                    t.org.0,
                    f.location.map(|l| l.0),
                    f.pupil.map(|p| p.0),
                    f.open_only,
                    limit(f.limit),
                    f.involving.map(|u| u.0)
                ],
                dossier,
            )?
            .collect()
        })
    }

    async fn list_entries(&self, t: &TenantCtx, d: DossierId) -> StoreResult<Vec<StoredEntry>> {
        self.readers.read(|c| c.prepare_cached(LIST_ENTRIES)?.query_map(params![t.org.0, d.0], entry)?.collect())
    }

    async fn get_attachment(&self, t: &TenantCtx, d: DossierId, id: &str) -> StoreResult<StoredAttachment> {
        sqlx::query("SELECT * FROM attachments WHERE org_id = ? AND dossier_id = ? AND id = ?")
            .bind(t.org.0)
            .bind(d.0)
            .bind(id)
            .try_map(attachments::attachment)
            .fetch_one(&self.pool)
            .await
            .map_err(other)
    }

    async fn list_audit(&self, t: &TenantCtx, f: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        sqlx::query(
            "SELECT * FROM audit_log WHERE org_id = ?1 AND (?2 IS NULL OR dossier_id = ?2) \
             AND (?3 IS NULL OR actor_id = ?3) ORDER BY seq DESC LIMIT ?4",
        )
        .bind(t.org.0)
        .bind(f.dossier.map(|d| d.0))
        .bind(f.actor.map(|a| a.0))
        .bind(limit(f.limit))
        .try_map(audit_event)
        .fetch_all(&self.pool)
        .await
        .map_err(other)
    }
}

/// True when the URL's query (if any) asks only for `mode=rw` or `mode=rwc`.
fn plain_file_url(url: &str) -> bool {
    let Some((_, query)) = url.split_once('?') else { return true };
    query.split('&').all(|pair| matches!(pair, "" | "mode=rw" | "mode=rwc"))
}

/// Escapes `%`, `_` and `\` so user input in a LIKE pattern matches literally.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_file_urls_are_accepted() {
        assert!(plain_file_url("sqlite://./data/meldroute.db"));
        assert!(plain_file_url("sqlite:///srv/m/meldroute.db?mode=rwc"));
        assert!(plain_file_url("sqlite:///srv/m/meldroute.db?mode=rw"));
        assert!(!plain_file_url("sqlite:///srv/m/meldroute.db?mode=ro"));
        assert!(!plain_file_url("sqlite:///srv/m/meldroute.db?mode=memory"));
        assert!(!plain_file_url("sqlite:///srv/m/meldroute.db?vfs=unix-dotfile"));
        assert!(!plain_file_url("sqlite:///srv/m/meldroute.db?immutable=true"));
    }

    #[tokio::test]
    async fn other_databases_than_a_plain_file_are_refused() {
        for url in ["sqlite::memory:", "sqlite://x.db?mode=memory", "sqlite://x.db?mode=ro"] {
            let refused = SqliteStore::connect(url).await.err();
            assert!(
                matches!(&refused, Some(StoreError::Other(m)) if m.contains("plain SQLite file")),
                "{url}: {refused:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_closed_store_refuses_reads_and_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_file(&dir.path().join("closed.db")).await.unwrap();
        store.migrate().await.unwrap();
        let tenant = TenantCtx::new(OrgId(1));
        assert!(store.list_locations(&tenant).await.unwrap().is_empty());
        store.close().await;
        assert!(store.list_locations(&tenant).await.is_err());
        let write = store
            .apply_batch(&[WriteOp::TeamActionDone {
                tenant,
                action: 1,
                by: UserId(1),
                at: OffsetDateTime::UNIX_EPOCH,
            }])
            .await;
        assert!(matches!(&write, Err(StoreError::Other(m)) if m.contains("closed")), "{write:?}");
    }
}
