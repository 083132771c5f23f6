//! Operator commands that touch the database: opening it (with clear errors), migrate, backup, restore.

use std::path::Path;

use meldroute_database::{Backend, Database};
use meldroute_store::Store;

use crate::config::Settings;

/// Creates the data directory when missing and proves it is writable.
pub fn prepare_data_dir(settings: &Settings) -> Result<(), String> {
    let dir = &settings.data_dir;
    let hint = "choose another with --data-dir or MELDROUTE_DATA_DIR";
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the data directory {}: {e}; {hint}", dir.display()))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok")
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| format!("the data directory {} is not writable: {e}; {hint}", dir.display()))
}

/// Connects to the configured database, explaining what to do when that fails.
pub async fn open(settings: &Settings) -> Result<Database, String> {
    let url = settings.database_url.expose();
    let backend = Backend::of_url(url)?;
    if backend == Backend::Sqlite {
        prepare_data_dir(settings)?;
    }
    Database::connect(url).await.map_err(|e| {
        let shown = settings.database_url_redacted();
        match backend {
            Backend::Sqlite => format!("cannot open the database {shown}: {e}"),
            Backend::Postgres => format!(
                "cannot reach the database {shown}: {e}; check that PostgreSQL runs and the URL is right (--database-url or MELDROUTE_DATABASE_URL)"
            ),
        }
    })
}

/// Opens and migrates.
pub async fn open_migrated(settings: &Settings) -> Result<Database, String> {
    let db = open(settings).await?;
    db.migrate().await.map_err(|e| format!("cannot bring the database schema up to date: {e}"))?;
    Ok(db)
}

pub async fn migrate(settings: Settings) -> Result<(), String> {
    let db = open_migrated(&settings).await?;
    let status = db.schema_status().await.map_err(|e| e.to_string())?;
    println!("database {} is up to date (schema version {})", settings.database_url_redacted(), status.applied);
    db.close().await;
    Ok(())
}

pub async fn backup(settings: Settings, out: &Path) -> Result<(), String> {
    let db = open(&settings).await?;
    let result = match &db {
        Database::Sqlite(store) => store.backup_to(out).await.map_err(|e| format!("backup failed: {e}")),
        Database::Postgres(_) => {
            Err("backups of a PostgreSQL database are made with PostgreSQL's own tools (pg_dump or base backups); \
             meldroute backup covers the embedded SQLite database"
                .to_string())
        }
    };
    db.close().await;
    let report = result?;
    println!("backup written and verified: {} ({} bytes)", report.path.display(), report.bytes);
    for (table, n) in &report.counts {
        println!("  {table}: {n}");
    }
    Ok(())
}

pub async fn restore(settings: Settings, from: &Path, force: bool) -> Result<(), String> {
    let url = settings.database_url.expose();
    match Backend::of_url(url)? {
        Backend::Sqlite => {}
        Backend::Postgres => {
            return Err("restoring into PostgreSQL is done with PostgreSQL's own tools (pg_restore); \
                        meldroute restore covers the embedded SQLite database"
                .to_string());
        }
    }
    prepare_data_dir(&settings)?;
    let path = sqlite_path(url);
    let report = meldroute_database::restore_sqlite_file(from, Path::new(&path), force)
        .await
        .map_err(|e| format!("restore refused: {e}"))?;
    println!("restored {} into {}", from.display(), path);
    for (table, n) in &report.counts {
        println!("  {table}: {n}");
    }
    Ok(())
}

/// The file path inside a `sqlite://` URL (without query parameters).
fn sqlite_path(url: &str) -> String {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    rest.split('?').next().unwrap_or(rest).to_string()
}

#[cfg(test)]
mod tests {
    use super::sqlite_path;

    #[test]
    fn sqlite_paths() {
        assert_eq!(sqlite_path("sqlite://./data/meldroute.db"), "./data/meldroute.db");
        assert_eq!(sqlite_path("sqlite:///abs/x.db?mode=rwc"), "/abs/x.db");
        assert_eq!(sqlite_path("sqlite:rel.db"), "rel.db");
    }
}
