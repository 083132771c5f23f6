//! `meldroute audit verify`: checks the audit log's hash chain with the key file from the data dir.
//!
//! Exits 0 with a one-line summary on an intact log; otherwise names the first bad entry. The key is read from
//! the configured key file (`audit_key_file`, by default [`key_path`] in the data dir), the same one the
//! server writes with. Verifying never creates a key: a missing key file is an error (a new key could not
//! verify the existing log anyway).

use std::path::{Path, PathBuf};

use meldroute_database::audit::{AuditKey, VerifyError};

use crate::config::Settings;

/// The default key file: `audit.key` in the data dir (64 hex characters, mode 0600).
// Meant for config.rs's default of `audit_key_file`, which spells the path out today.
#[allow(dead_code)]
pub fn key_path(data_dir: &Path) -> PathBuf {
    meldroute_database::audit::default_key_path(data_dir)
}

/// Verifies the whole audit log and prints `audit log intact: N entries, head <hex>`.
pub async fn verify(settings: Settings) -> Result<(), String> {
    let key = AuditKey::load(&settings.audit_key_file).map_err(|e| e.to_string())?;
    let db = crate::ops::open(&settings).await?;
    let result = db.verify_audit(&key).await;
    db.close().await;
    match result {
        Ok(report) => {
            println!(
                "audit log intact: {} entries, head {} (entry {})",
                report.entries,
                report.head_prefix(),
                report.last_seq
            );
            Ok(())
        }
        Err(VerifyError::Broken(b)) => Err(format!("audit log broken at entry {}: {}", b.seq, b.problem)),
        Err(VerifyError::Store(e)) => Err(format!(
            "cannot read the audit log of {}: {e}; is the schema up to date (meldroute migrate)?",
            settings.database_url_redacted()
        )),
    }
}

#[cfg(test)]
mod tests {
    use meldroute_database::Database;
    use meldroute_store::*;

    use super::*;
    use crate::config::{Overrides, resolve};

    fn settings(dir: &Path) -> Settings {
        resolve(&Overrides { data_dir: Some(dir.to_path_buf()), ..Default::default() }).unwrap()
    }

    async fn write_events(db: &Database, n: i64) {
        let (writer, task) = db.spawn_writer();
        for i in 0..n {
            writer
                .submit(WriteOp::Audit(NewAuditEvent {
                    at: time::OffsetDateTime::now_utc(),
                    org: None,
                    actor: Some(UserId(i)),
                    on_behalf_of: None,
                    pupil: None,
                    dossier: None,
                    action: "login.ok".into(),
                    outcome: "allowed".into(),
                    source: "cli".into(),
                }))
                .await
                .unwrap();
        }
        drop(writer);
        task.await.unwrap();
    }

    #[tokio::test]
    async fn verify_needs_the_key_file_and_names_the_first_bad_entry() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path());
        let db = crate::ops::open_migrated(&s).await.unwrap();

        // No key file: an error, and none is created.
        let err = verify(settings(dir.path())).await.unwrap_err();
        assert!(err.contains("audit.key") && err.contains("does not exist"), "{err}");
        assert!(!key_path(dir.path()).exists());

        let key = AuditKey::load_or_create(&key_path(dir.path())).unwrap();
        let db = db.with_audit_key(key);
        write_events(&db, 5).await;
        verify(settings(dir.path())).await.unwrap();

        let Database::Sqlite(store) = &db else { panic!("expected SQLite") };
        sqlx::query("UPDATE audit_log SET action = 'login.failed' WHERE seq = 3").execute(store.pool()).await.unwrap();
        db.close().await;
        let err = verify(settings(dir.path())).await.unwrap_err();
        assert!(err.starts_with("audit log broken at entry 3: "), "{err}");
    }
}
