//! The audit log through the real binary: logins are recorded, `meldroute audit verify` passes on an intact
//! log and fails, naming the entry, after one row is changed by hand.

// Integration tests: helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::*;

async fn verify_detects_a_changed_row(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let mut b = Browser::new(&server);
    b.login("af.po", &secret_of(&server, "af.po"));
    b.post("/login", &[("login", "af.po"), ("password", "wrong password here")]);
    assert!(server.terminate().success());

    let args = env.db_args();
    let mut verify: Vec<&str> = vec!["audit", "verify"];
    verify.extend(args.iter().map(String::as_str));
    let (code, out, err) = run(&verify, None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("intact"), "{out}");

    // Change one recorded fact by hand, as someone with database access might.
    let tamper = "UPDATE audit_log SET outcome = 'ok' WHERE outcome = 'failed'";
    match &env.pg {
        Some(pg) => {
            let pool = sqlx::PgPool::connect(&pg.url).await.unwrap();
            sqlx::query(tamper).execute(&pool).await.unwrap();
            pool.close().await;
        }
        None => {
            let url = format!("sqlite://{}", env.data_dir().join("meldroute.db").display());
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            sqlx::query(tamper).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
    let (code, out, err) = run(&verify, None);
    assert_ne!(code, 0, "a changed row must be detected: {out}");
    assert!(err.contains("entry"), "names the entry: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    env.finish().await;
}

#[tokio::test]
async fn sqlite_verify_detects_a_changed_row() {
    verify_detects_a_changed_row(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_verify_detects_a_changed_row() {
    verify_detects_a_changed_row(Backend::Postgres).await;
}
