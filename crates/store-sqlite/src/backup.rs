//! Online, consistent backups of the SQLite database, and restores.
//!
//! `VACUUM INTO` writes a snapshot of one read transaction to a new file while the server keeps running
//! (WAL readers do not block writers). The copy goes to a temporary file next to the target, is checked
//! (`PRAGMA integrity_check`, complete migrations, readable tables), synced and only then renamed into
//! place: a failed backup never leaves a half-written file under the requested name.

use std::path::{Path, PathBuf};

use meldroute_store::{Store, StoreError, StoreResult};

use crate::{SqliteStore, other};

/// What a verified backup contains.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub counts: Vec<(String, i64)>,
}

fn temp_path_for(target: &Path) -> PathBuf {
    let mut name = target.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    target.with_file_name(name)
}

impl SqliteStore {
    /// Writes a consistent copy of the live database to `out` and verifies it.
    pub async fn backup_to(&self, out: &Path) -> StoreResult<BackupReport> {
        if out.exists() {
            return Err(StoreError::Conflict(format!("{} already exists; choose a new file name", out.display())));
        }
        let partial = temp_path_for(out);
        let _ = std::fs::remove_file(&partial);
        let partial_str =
            partial.to_str().ok_or_else(|| StoreError::Other("the backup path is not valid UTF-8".into()))?.to_string();
        let result = async {
            sqlx::query("VACUUM INTO ?").bind(&partial_str).execute(&self.pool).await.map_err(other)?;
            let report = verify_backup(&partial).await?;
            sync_file(&partial)?;
            std::fs::rename(&partial, out)
                .map_err(|e| StoreError::Other(format!("cannot move the backup into place: {e}")))?;
            if let Some(dir) = out.parent() {
                let _ = sync_dir(dir);
            }
            Ok(BackupReport { path: out.to_path_buf(), ..report })
        }
        .await;
        if result.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        result
    }
}

/// Opens a backup file read-only and checks it is a complete, intact meldroute database.
pub async fn verify_backup(path: &Path) -> StoreResult<BackupReport> {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};

    let bytes =
        std::fs::metadata(path).map_err(|e| StoreError::Other(format!("cannot read {}: {e}", path.display())))?.len();
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true)
        .connect()
        .await
        .map_err(|e| StoreError::Other(format!("{} is not a readable SQLite database: {e}", path.display())))?;
    let check: Result<String, _> = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await;
    match check {
        Ok(ok) if ok == "ok" => {}
        Ok(problem) => return Err(StoreError::Other(format!("the backup is damaged: {problem}"))),
        Err(e) => return Err(StoreError::Other(format!("{} is not a meldroute backup: {e}", path.display()))),
    }
    let expected = crate::MIGRATOR.iter().count() as i64;
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success = 1")
        .fetch_one(&mut conn)
        .await
        .map_err(|_| StoreError::Other(format!("{} is not a meldroute backup (no migration table)", path.display())))?;
    if applied > expected {
        return Err(StoreError::Other(format!(
            "the backup was made by a newer meldroute (schema version {applied}, this binary knows {expected})"
        )));
    }
    let mut counts = Vec::new();
    for table in crate::TABLES {
        // A backup made before a later migration lacks that migration's tables; the server adds them
        // when it starts on the restored file. A complete schema must have them all.
        let exists: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?")
            .bind(table)
            .fetch_one(&mut conn)
            .await
            .map_err(|e| StoreError::Other(format!("cannot read the backup's schema: {e}")))?;
        if exists == 0 && applied < expected {
            continue;
        }
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .map_err(|e| StoreError::Other(format!("the backup lacks table {table}: {e}")))?;
        counts.push((table.to_string(), n));
    }
    let _ = conn.close().await;
    Ok(BackupReport { path: path.to_path_buf(), bytes, counts })
}

/// Replaces the database file `db_path` by the verified backup `from`. The server must not be running.
/// Refuses to overwrite a database that holds data unless `force` is set.
pub async fn restore_file(from: &Path, db_path: &Path, force: bool) -> StoreResult<BackupReport> {
    let report = verify_backup(from).await?;
    if db_path.exists() {
        let current = SqliteStore::open_file(db_path).await?;
        let empty = current.is_empty().await;
        current.close().await;
        if !empty? && !force {
            return Err(StoreError::Conflict(format!(
                "{} already holds data; add --force to replace it by the backup",
                db_path.display()
            )));
        }
    }
    let partial = temp_path_for(db_path);
    std::fs::copy(from, &partial).map_err(|e| StoreError::Other(format!("cannot copy the backup: {e}")))?;
    sync_file(&partial)?;
    // Remove the old write-ahead log first: it belongs to the file being replaced.
    for suffix in ["-wal", "-shm"] {
        let mut side = db_path.as_os_str().to_os_string();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::rename(&partial, db_path)
        .map_err(|e| StoreError::Other(format!("cannot move the restored database into place: {e}")))?;
    if let Some(dir) = db_path.parent() {
        let _ = sync_dir(dir);
    }
    Ok(report)
}

fn sync_file(path: &Path) -> StoreResult<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::Other(format!("cannot sync {}: {e}", path.display())))
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}
