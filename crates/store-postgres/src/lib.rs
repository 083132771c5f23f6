//! The PostgreSQL backend, for scale-out: several stateless meldroute nodes against one database. The
//! schema and queries mirror the SQLite backend with native types; the conformance suite in `store-tests`
//! runs the same tests against both.

use std::str::FromStr;
use std::time::Duration;

use meldroute_store::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Row};
use time::OffsetDateTime;

mod accounts;
mod api_tokens;
mod attachments;
pub mod audit;
mod batch;
mod bulk;
mod notifications;
mod retention;
mod route_maps;
mod team_sessions;
mod transfers;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The key that chains audit rows (see `audit.rs`); audit writes fail without it.
    audit_key: Option<std::sync::Arc<meldroute_store::audit::AuditKey>>,
    /// Write batches applied a second time, with a savepoint around every operation (see `batch.rs`).
    retried: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Recent session lookups: off until this node hears every other node's changes
    /// ([`PgStore::listen_for_changes`]).
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

impl PgStore {
    /// Connects to a `postgres://` URL.
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("invalid PostgreSQL URL: {e}")))?
            .application_name("meldroute");
        // No ping before handing out a connection (sqlx's default pings every time: one extra network round trip
        // per query, doubling what a page waits for). A connection the server dropped (a restart) fails the one
        // query that meets it, with "unavailable", and is then discarded; connections are also retired after
        // 30 idle minutes. docs/performance.md.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .test_before_acquire(false)
            .idle_timeout(Duration::from_secs(30 * 60))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Other(format!("cannot connect to PostgreSQL: {e}")))?;
        let lookups = std::sync::Arc::new(meldroute_store::LookupCache::new(false));
        Ok(PgStore { pool, audit_key: None, retried: Default::default(), lookups })
    }

    /// Keeps recent session lookups in memory while this node hears every change to sessions, accounts,
    /// grants and notifications from any node (the triggers of migration 0016 notify
    /// [`meldroute_store::LOOKUPS_CHANNEL`] with `org:user`); a lost connection forgets them and keeps none
    /// until the node listens again.
    ///
    /// The node also sends a heartbeat of its own on the channel every two seconds, and answers from memory only
    /// while it comes back: proof that notifications arrive, whatever happens to the connection unnoticed.
    pub async fn listen_for_changes(&self) -> StoreResult<tokio::task::JoinHandle<()>> {
        static NODES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let node = format!(
            "{}-{}-{}",
            std::process::id(),
            NODES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            time::OffsetDateTime::now_utc().unix_timestamp_nanos()
        );
        let heartbeat = self.lookups.require_heartbeat(&node);
        let sessions = self.lookups.clone();
        let listener = self
            .listen_channel(meldroute_store::LOOKUPS_CHANNEL, move |heard| match heard {
                Heard::Listening => sessions.set_listening(true),
                Heard::Notification(payload) => sessions.on_notification(payload),
                Heard::Lost => sessions.set_listening(false),
            })
            .await?;
        let pool = self.pool.clone();
        tokio::spawn(async move {
            loop {
                let sent = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(meldroute_store::LOOKUPS_CHANNEL)
                    .bind(&heartbeat)
                    .execute(&pool)
                    .await;
                match sent {
                    Err(sqlx::Error::PoolClosed) => return,
                    // Unsent heartbeats simply keep the memory off.
                    Err(err) => tracing::warn!(error = %err, "could not send the session listener's heartbeat"),
                    Ok(_) => {}
                }
                tokio::time::sleep(meldroute_store::lookup_cache::HEARTBEAT_EVERY).await;
            }
        });
        Ok(listener)
    }

    /// This node's memory of session lookups.
    pub fn lookup_cache(&self) -> &meldroute_store::LookupCache {
        &self.lookups
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn ts(row: &PgRow, col: &str) -> Result<OffsetDateTime, sqlx::Error> {
    row.try_get(col)
}

fn organisation(row: PgRow) -> Result<Organisation, sqlx::Error> {
    Ok(Organisation {
        id: OrgId(row.try_get("id")?),
        name: row.try_get("name")?,
        is_demo: row.try_get("is_demo")?,
        created_at: ts(&row, "created_at")?,
    })
}

fn location(row: PgRow) -> StoreResult<Location> {
    let sector: String = row.try_get("sector").map_err(other)?;
    Ok(Location {
        id: LocationId(row.try_get("id").map_err(other)?),
        org: OrgId(row.try_get("org_id").map_err(other)?),
        name: row.try_get("name").map_err(other)?,
        sector: sector_from_code(&sector)?,
    })
}

fn user(row: PgRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: UserId(row.try_get("id")?),
        org: OrgId(row.try_get("org_id")?),
        login: row.try_get("login")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        totp_secret: row.try_get("totp_secret")?,
        lang: row.try_get("lang")?,
        disabled: row.try_get("disabled")?,
        created_at: ts(&row, "created_at")?,
    })
}

fn pupil(row: PgRow) -> Result<Pupil, sqlx::Error> {
    Ok(Pupil {
        id: PupilId(row.try_get("id")?),
        org: OrgId(row.try_get("org_id")?),
        location: LocationId(row.try_get("location_id")?),
        group: row.try_get::<Option<i64>, _>("group_id")?.map(GroupId),
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        date_of_birth: row.try_get("date_of_birth")?,
        family: row.try_get::<Option<i64>, _>("family_id")?.map(FamilyId),
        external_ref: row.try_get("external_ref")?,
    })
}

fn dossier(row: PgRow) -> Result<Dossier, sqlx::Error> {
    let step: i64 = row.try_get("step")?;
    Ok(Dossier {
        id: DossierId(row.try_get("id")?),
        org: OrgId(row.try_get("org_id")?),
        location: LocationId(row.try_get("location_id")?),
        pupil: PupilId(row.try_get("pupil_id")?),
        opened_at: ts(&row, "opened_at")?,
        opened_by: UserId(row.try_get("opened_by")?),
        projection: DossierProjection {
            step: u8::try_from(step).unwrap_or(1),
            closed: row.try_get("closed")?,
            urgent: row.try_get("urgent")?,
            next_due: row.try_get("next_due")?,
            closed_on: row.try_get("closed_on")?,
        },
        last_seq: row.try_get("last_seq")?,
        updated_at: ts(&row, "updated_at")?,
    })
}

/// Reads a row's columns one after the other.
struct Columns<'a> {
    row: &'a PgRow,
    next: usize,
}

impl<'a> Columns<'a> {
    fn at(row: &'a PgRow, first: usize) -> Self {
        Columns { row, next: first }
    }

    fn next<T>(&mut self) -> Result<T, sqlx::Error>
    where
        T: sqlx::Decode<'a, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        self.next += 1;
        self.row.try_get(self.next - 1)
    }

    /// A location's name and sector, the next two columns.
    fn location(&mut self, id: LocationId, org: OrgId) -> Result<Location, sqlx::Error> {
        let name = self.next()?;
        let sector: String = self.next()?;
        let sector = sector_from_code(&sector).map_err(|e| sqlx::Error::Decode(e.to_string().into()))?;
        Ok(Location { id, org, name, sector })
    }
}

/// The first row of a [`DOSSIER_CONTEXT_SQL`] result (with its share, if any).
fn dossier_context(org: OrgId, row: &PgRow) -> Result<DossierContext, sqlx::Error> {
    let mut c = Columns::at(row, 0);
    let dossier = Dossier {
        id: DossierId(c.next()?),
        org,
        location: LocationId(c.next()?),
        pupil: PupilId(c.next()?),
        opened_at: c.next()?,
        opened_by: UserId(c.next()?),
        projection: DossierProjection {
            step: u8::try_from(c.next::<i64>()?).unwrap_or(1),
            closed: c.next()?,
            urgent: c.next()?,
            next_due: c.next()?,
            closed_on: c.next()?,
        },
        last_seq: c.next()?,
        updated_at: c.next()?,
    };
    let pupil = Pupil {
        id: dossier.pupil,
        org,
        location: LocationId(c.next()?),
        group: c.next::<Option<i64>>()?.map(GroupId),
        first_name: c.next()?,
        last_name: c.next()?,
        date_of_birth: c.next()?,
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
fn context_share(dossier: DossierId, row: &PgRow) -> Result<Option<Share>, sqlx::Error> {
    let mut c = Columns::at(row, DOSSIER_CONTEXT_SHARE);
    let Some(id) = c.next::<Option<i64>>()? else { return Ok(None) };
    let partner = UserId(c.next()?);
    let kinds: String = c.next()?;
    Ok(Some(Share {
        id,
        dossier,
        partner,
        entry_kinds: kinds.split(',').filter(|k| !k.is_empty()).map(str::to_string).collect(),
        until: c.next()?,
        created_by: UserId(c.next()?),
        created_at: c.next()?,
        revoked_at: c.next()?,
    }))
}

fn entry(row: PgRow) -> Result<StoredEntry, sqlx::Error> {
    Ok(StoredEntry {
        id: EntryId(row.try_get("id")?),
        dossier: DossierId(row.try_get("dossier_id")?),
        seq: row.try_get("seq")?,
        recorded_at: ts(&row, "recorded_at")?,
        author: UserId(row.try_get("author_id")?),
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
    })
}

fn audit_event(row: PgRow) -> Result<AuditEvent, sqlx::Error> {
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

impl Store for PgStore {
    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.pool).await.map_err(|e| StoreError::Other(format!("migration failed: {e}")))
    }

    async fn schema_status(&self) -> StoreResult<SchemaStatus> {
        let expected = MIGRATOR.iter().count() as i64;
        let exists: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = '_sqlx_migrations'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(other)?;
        let applied = if exists == 0 {
            0
        } else {
            sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
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
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'organisations'",
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
        sqlx::query("INSERT INTO organisations (name, is_demo, created_at) VALUES ($1, $2, $3) RETURNING *")
            .bind(&new.name)
            .bind(new.is_demo)
            .bind(new.created_at)
            .try_map(organisation)
            .fetch_one(&self.pool)
            .await
            .map_err(other)
    }

    async fn find_organisation_by_name(&self, name: &str) -> StoreResult<Option<Organisation>> {
        sqlx::query("SELECT * FROM organisations WHERE name = $1")
            .bind(name)
            .try_map(organisation)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)
    }

    async fn get_organisation(&self, t: &TenantCtx) -> StoreResult<Organisation> {
        sqlx::query("SELECT * FROM organisations WHERE id = $1")
            .bind(t.org.0)
            .try_map(organisation)
            .fetch_one(&self.pool)
            .await
            .map_err(other)
    }

    async fn create_location(&self, t: &TenantCtx, new: NewLocation) -> StoreResult<Location> {
        let row = sqlx::query("INSERT INTO locations (org_id, name, sector) VALUES ($1, $2, $3) RETURNING *")
            .bind(t.org.0)
            .bind(&new.name)
            .bind(sector_code(new.sector))
            .fetch_one(&self.pool)
            .await
            .map_err(other)?;
        location(row)
    }

    async fn list_locations(&self, t: &TenantCtx) -> StoreResult<Vec<Location>> {
        let rows = sqlx::query("SELECT * FROM locations WHERE org_id = $1 ORDER BY name")
            .bind(t.org.0)
            .fetch_all(&self.pool)
            .await
            .map_err(other)?;
        rows.into_iter().map(location).collect()
    }

    async fn create_group(&self, t: &TenantCtx, new: NewGroup) -> StoreResult<Group> {
        let row = sqlx::query(
            "INSERT INTO groups (org_id, location_id, name) \
             SELECT $1, id, $3 FROM locations WHERE org_id = $1 AND id = $2 RETURNING id, location_id, name",
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
        let rows = sqlx::query(
            "SELECT id, location_id, name FROM groups WHERE org_id = $1 AND location_id = $2 ORDER BY name",
        )
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
        sqlx::query(
            "INSERT INTO users (org_id, login, display_name, email, password_hash, totp_secret, lang, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
        )
        .bind(t.org.0)
        .bind(&new.login)
        .bind(&new.display_name)
        .bind(&new.email)
        .bind(&new.password_hash)
        .bind(&new.totp_secret)
        .bind(&new.lang)
        .bind(new.created_at)
        .try_map(user)
        .fetch_one(&self.pool)
        .await
        .map_err(other)
    }

    async fn find_user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        sqlx::query("SELECT * FROM users WHERE login = $1")
            .bind(login)
            .try_map(user)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)
    }

    async fn get_user(&self, t: &TenantCtx, id: UserId) -> StoreResult<User> {
        sqlx::query("SELECT * FROM users WHERE org_id = $1 AND id = $2")
            .bind(t.org.0)
            .bind(id.0)
            .try_map(user)
            .fetch_one(&self.pool)
            .await
            .map_err(other)
    }

    async fn list_users(&self, t: &TenantCtx) -> StoreResult<Vec<User>> {
        sqlx::query("SELECT * FROM users WHERE org_id = $1 ORDER BY display_name, id")
            .bind(t.org.0)
            .try_map(user)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn user_names(&self, t: &TenantCtx, ids: &[UserId]) -> StoreResult<Vec<(UserId, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, display_name FROM users WHERE org_id = $1 AND id = ANY($2)")
                .bind(t.org.0)
                .bind(ids.iter().map(|u| u.0).collect::<Vec<i64>>())
                .fetch_all(&self.pool)
                .await
                .map_err(other)?;
        Ok(rows.into_iter().map(|(id, name)| (UserId(id), name)).collect())
    }

    async fn grant_role(&self, t: &TenantCtx, grant: RoleGrant) -> StoreResult<()> {
        let _changed = self.lookups.marking(Change::User(t.org, grant.user));
        // The location must belong to the tenant too (0 = organisation-wide).
        if let Some(loc) = grant.location {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM locations WHERE org_id = $1 AND id = $2")
                .bind(t.org.0)
                .bind(loc.0)
                .fetch_one(&self.pool)
                .await
                .map_err(other)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        }
        sqlx::query("INSERT INTO role_grants (org_id, user_id, location_id, role) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(t.org.0)
            .bind(grant.user.0)
            .bind(grant.location.map_or(0, |l| l.0))
            .bind(grant.role.code())
            .execute(&self.pool)
            .await
            .map_err(|e| match other(e) {
                StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
                e => e,
            })?;
        Ok(())
    }

    async fn roles_of(&self, t: &TenantCtx, user: UserId) -> StoreResult<Vec<RoleGrant>> {
        let rows = sqlx::query(
            "SELECT location_id, role FROM role_grants WHERE org_id = $1 AND user_id = $2 ORDER BY location_id, role",
        )
        .bind(t.org.0)
        .bind(user.0)
        .fetch_all(&self.pool)
        .await
        .map_err(other)?;
        let mut grants = Vec::with_capacity(rows.len());
        for row in rows {
            let loc: i64 = row.try_get("location_id").map_err(other)?;
            let code: String = row.try_get("role").map_err(other)?;
            let role = Role::from_code(&code).ok_or_else(|| StoreError::Other(format!("unknown role code {code}")))?;
            grants.push(RoleGrant { user, location: (loc != 0).then_some(LocationId(loc)), role });
        }
        Ok(grants)
    }

    async fn list_role_grants(&self, t: &TenantCtx) -> StoreResult<Vec<RoleGrant>> {
        let rows = sqlx::query(
            "SELECT user_id, location_id, role FROM role_grants WHERE org_id = $1 ORDER BY user_id, location_id, role",
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
        sqlx::query(
            "INSERT INTO pupils (org_id, location_id, group_id, first_name, last_name, date_of_birth, family_id, external_ref, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
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
        .try_map(pupil)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match other(e) {
            // A location or group of another tenant fails the composite foreign key: report it as absent.
            StoreError::Other(m) if m.starts_with(FK_PREFIX) => StoreError::NotFound,
            e => e,
        })
    }

    async fn get_pupil(&self, t: &TenantCtx, id: PupilId) -> StoreResult<Pupil> {
        sqlx::query("SELECT * FROM pupils WHERE org_id = $1 AND id = $2")
            .bind(t.org.0)
            .bind(id.0)
            .try_map(pupil)
            .fetch_one(&self.pool)
            .await
            .map_err(other)
    }

    async fn list_pupils(&self, t: &TenantCtx, f: &PupilFilter) -> StoreResult<Vec<Pupil>> {
        let pattern = f.name_contains.as_ref().map(|n| format!("%{}%", escape_like(n)));
        sqlx::query(
            "SELECT * FROM pupils WHERE org_id = $1 \
             AND ($2::bigint IS NULL OR location_id = $2) AND ($3::bigint IS NULL OR group_id = $3) \
             AND ($4::text IS NULL OR first_name ILIKE $4 OR last_name ILIKE $4) \
             ORDER BY lower(last_name), lower(first_name), id LIMIT $5",
        )
        .bind(t.org.0)
        .bind(f.location.map(|l| l.0))
        .bind(f.group.map(|g| g.0))
        .bind(pattern)
        .bind(limit(f.limit))
        .try_map(pupil)
        .fetch_all(&self.pool)
        .await
        .map_err(other)
    }

    async fn siblings_of(&self, t: &TenantCtx, id: PupilId) -> StoreResult<Vec<Pupil>> {
        sqlx::query(
            "SELECT s.* FROM pupils p JOIN pupils s ON s.org_id = p.org_id AND s.family_id = p.family_id \
             WHERE p.org_id = $1 AND p.id = $2 AND s.id <> p.id ORDER BY lower(s.last_name), lower(s.first_name), s.id",
        )
        .bind(t.org.0)
        .bind(id.0)
        .try_map(pupil)
        .fetch_all(&self.pool)
        .await
        .map_err(other)
    }

    async fn import_pupils(&self, t: &TenantCtx, location: LocationId, rows: Vec<NewPupil>) -> StoreResult<usize> {
        // All or nothing: any error returns before the commit and the transaction rolls back on drop.
        let mut tx = self.pool.begin().await.map_err(other)?;
        let known: i64 = sqlx::query_scalar("SELECT count(*) FROM locations WHERE org_id = $1 AND id = $2")
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
                    "SELECT count(*) FROM groups WHERE org_id = $1 AND id = $2 AND location_id = $3",
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
                    "SELECT count(*) FROM pupils WHERE org_id = $1 AND location_id = $2 AND external_ref = $3",
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
                "INSERT INTO pupils (org_id, location_id, group_id, first_name, last_name, date_of_birth, family_id, external_ref, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
        sqlx::query("SELECT * FROM dossiers WHERE org_id = $1 AND id = $2")
            .bind(t.org.0)
            .bind(id.0)
            .try_map(dossier)
            .fetch_one(&self.pool)
            .await
            .map_err(other)
    }

    async fn dossier_context(&self, t: &TenantCtx, id: DossierId) -> StoreResult<DossierContext> {
        if let Some(kept) = self.lookups.get_context(t.org, id) {
            return Ok(kept);
        }
        let stamp = self.lookups.stamp();
        let rows =
            sqlx::query(DOSSIER_CONTEXT_SQL).bind(t.org.0).bind(id.0).fetch_all(&self.pool).await.map_err(other)?;
        let (first, rest) = rows.split_first().ok_or(StoreError::NotFound)?;
        let mut context = dossier_context(t.org, first).map_err(other)?;
        for row in rest {
            context.shares.extend(context_share(context.dossier.id, row).map_err(other)?);
        }
        self.lookups.put_context(stamp, &context);
        Ok(context)
    }

    async fn list_dossiers(&self, t: &TenantCtx, f: &DossierFilter) -> StoreResult<Vec<Dossier>> {
        sqlx::query(
            "SELECT * FROM dossiers d WHERE org_id = $1 \
             AND ($2::bigint IS NULL OR location_id = $2) AND ($3::bigint IS NULL OR pupil_id = $3) AND (NOT $4 OR NOT closed) \
             AND ($6::bigint IS NULL OR opened_by = $6 OR EXISTS (SELECT 1 FROM entries e \
                  WHERE e.org_id = d.org_id AND e.dossier_id = d.id AND e.author_id = $6)) \
             ORDER BY updated_at DESC, id DESC LIMIT $5",
        )
        .bind(t.org.0)
        .bind(f.location.map(|l| l.0))
        .bind(f.pupil.map(|p| p.0))
        .bind(f.open_only)
        .bind(limit(f.limit))
        .bind(f.involving.map(|u| u.0))
        .try_map(dossier)
        .fetch_all(&self.pool)
        .await
        .map_err(other)
    }

    async fn list_entries(&self, t: &TenantCtx, d: DossierId) -> StoreResult<Vec<StoredEntry>> {
        sqlx::query("SELECT * FROM entries WHERE org_id = $1 AND dossier_id = $2 ORDER BY seq")
            .bind(t.org.0)
            .bind(d.0)
            .try_map(entry)
            .fetch_all(&self.pool)
            .await
            .map_err(other)
    }

    async fn get_attachment(&self, t: &TenantCtx, d: DossierId, id: &str) -> StoreResult<StoredAttachment> {
        sqlx::query("SELECT * FROM attachments WHERE org_id = $1 AND dossier_id = $2 AND id = $3")
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
            "SELECT * FROM audit_log WHERE org_id = $1 AND ($2::bigint IS NULL OR dossier_id = $2) \
             AND ($3::bigint IS NULL OR actor_id = $3) ORDER BY seq DESC LIMIT $4",
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
