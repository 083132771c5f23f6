//! The audit log through the real binary: logins are recorded, `meldroute audit verify` passes on an intact
//! log and fails, naming the entry, after one row is changed by hand; a dossier whose read cannot be recorded
//! is not shown.

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
    by_hand(&env, "UPDATE audit_log SET outcome = 'ok' WHERE outcome = 'failed'").await;
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

/// Runs one statement on the environment's database, as someone with database access might.
async fn by_hand(env: &Env, sql: &str) {
    match &env.pg {
        Some(pg) => {
            let pool = sqlx::PgPool::connect(&pg.url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
        None => {
            let url = format!("sqlite://{}", env.data_dir().join("meldroute.db").display());
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

/// The dossier page is prepared while its read's audit row commits; when the row cannot be written, nothing
/// of the page may leave.
async fn a_read_that_cannot_be_audited_shows_nothing(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let mut b = Browser::new(&server);
    b.login("af.po", &secret_of(&server, "af.po"));
    let tasks = b.get("/tasks").body;
    let start = tasks.find("href=\"/dossiers/").unwrap() + "href=\"".len();
    let link = &tasks[start..start + tasks[start..].find('"').unwrap()];
    let page = b.get(link);
    assert_eq!(page.status, 200);
    let start = page.body.find("<h1>").unwrap();
    let heading = &page.body[start..start + page.body[start..].find("</h1>").unwrap()];
    let pupil = heading.rsplit(": ").next().unwrap().trim();
    assert!(pupil.len() > 3, "{heading}");

    // Without its chain head the log refuses every row (see `audit verify`).
    by_hand(&env, "DELETE FROM audit_chain_head").await;
    let refused = b.get(link);
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert!(!refused.body.contains(pupil) && !refused.body.contains("<h1>"), "nothing is shown: {}", refused.body);
    assert!(server.terminate().success());
    env.finish().await;
}

#[tokio::test]
async fn sqlite_a_read_that_cannot_be_audited_shows_nothing() {
    a_read_that_cannot_be_audited_shows_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_a_read_that_cannot_be_audited_shows_nothing() {
    a_read_that_cannot_be_audited_shows_nothing(Backend::Postgres).await;
}
