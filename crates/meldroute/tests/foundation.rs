//! The foundation, end to end through the real binary: start-up with demo data on both databases, health
//! and readiness, headers, graceful shutdown, backup and restore, and one clear line for every bad input.

// Integration tests: helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use sqlx::Connection;
use support::*;

async fn serves_demo_and_stops_gracefully(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let server = Server::start(&env, &["--demo"]);
    assert!(server.stdout.contains("meldroute is running at http://127.0.0.1:"), "{}", server.stdout);
    assert!(server.stdout.contains("leerkracht.po"), "demo logins are printed: {}", server.stdout);
    assert!(server.stdout.contains("demo-wachtwoord-2026"));

    let health = server.get("/healthz");
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    let ready = server.get("/readyz");
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.json()["status"], "ready");

    let home = server.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("class=\"demo-banner\""), "DEMO banner on the page");
    assert!(home.body.contains("<html lang=\"nl\">"));
    for (name, expected) in [
        ("content-security-policy", "frame-ancestors 'none'"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("strict-transport-security", "max-age="),
    ] {
        let value = home.header(name).unwrap_or_else(|| panic!("missing header {name}"));
        assert!(value.contains(expected), "{name}: {value}");
    }
    assert!(!home.header("content-security-policy").unwrap().contains("unsafe-inline"));
    assert_eq!(home.header("x-request-id").map(str::len), Some(16));
    let missing = server.get("/no-such-page");
    assert_eq!(missing.status, 404);
    assert!(missing.header("content-security-policy").is_some());

    let status = server.terminate();
    assert!(status.success(), "graceful shutdown exits 0, got {status:?}");

    // A second start finds the demo data and creates nothing new.
    let counts_before = table_counts(&env).await;
    let server = Server::start(&env, &["--demo"]);
    assert_eq!(server.get("/healthz").status, 200);
    assert!(server.terminate().success());
    assert_eq!(table_counts(&env).await, counts_before);
    assert!(counts_before.iter().any(|(t, n)| t == "dossiers" && *n >= 5), "{counts_before:?}");
    assert!(counts_before.iter().any(|(t, n)| t == "users" && *n >= 7), "{counts_before:?}");
    env.finish().await;
}

async fn table_counts(env: &Env) -> Vec<(String, i64)> {
    use meldroute_store::Store;
    let url = match &env.pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", env.data_dir().join("meldroute.db").display()),
    };
    let db = meldroute_database::Database::connect(&url).await.unwrap();
    let counts = db.table_counts().await.unwrap();
    db.close().await;
    counts
}

#[tokio::test]
async fn sqlite_serves_demo_and_stops_gracefully() {
    serves_demo_and_stops_gracefully(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_serves_demo_and_stops_gracefully() {
    serves_demo_and_stops_gracefully(Backend::Postgres).await;
}

async fn migrate_and_create_admin(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let args = env.db_args();
    let mut migrate: Vec<&str> = vec!["migrate"];
    migrate.extend(args.iter().map(String::as_str));
    let (code, out, err) = run(&migrate, None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("up to date"), "{out}");

    let mut create: Vec<&str> = vec![
        "admin",
        "create-user",
        "--org",
        "Stichting Test",
        "--login",
        "Beheer",
        "--name",
        "Bea Beheer",
        "--password-stdin",
    ];
    create.extend(args.iter().map(String::as_str));
    let (code, out, err) = run(&create, Some("een lang genoeg wachtwoord\n"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("user 'beheer' created"), "{out}");
    assert!(!out.contains("een lang genoeg wachtwoord"), "a given password is never echoed");
    // The same login again: one clear line, non-zero.
    let (code, _, err) = run(&create, Some("een lang genoeg wachtwoord\n"));
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // A short password is refused.
    let mut short: Vec<&str> =
        vec!["admin", "create-user", "--org", "Stichting Test", "--login", "kort", "--name", "K", "--password-stdin"];
    short.extend(args.iter().map(String::as_str));
    let (code, _, err) = run(&short, Some("kort\n"));
    assert_ne!(code, 0);
    assert!(err.contains("12 to 128 characters"), "{err}");
    // A database with real accounts never gets the demo data (its password and secrets are public).
    let mut demo: Vec<&str> = vec!["serve", "--demo", "--addr", "127.0.0.1:0"];
    demo.extend(args.iter().map(String::as_str));
    let (code, _, err) = run(&demo, None);
    assert_ne!(code, 0);
    assert!(err.contains("not demo data"), "{err}");
    // Without --password-stdin a strong password is generated and shown once.
    let mut generated: Vec<&str> = vec![
        "admin",
        "create-user",
        "--org",
        "Stichting Test",
        "--login",
        "tweede",
        "--name",
        "T",
        "--role",
        "directeur",
    ];
    generated.extend(args.iter().map(String::as_str));
    let (code, out, err) = run(&generated, None);
    assert_eq!(code, 0, "{err}");
    let line = out.lines().find(|l| l.starts_with("password")).unwrap();
    assert_eq!(line.rsplit(' ').next().unwrap().len(), 20);
    env.finish().await;
}

#[tokio::test]
async fn sqlite_migrate_and_create_admin() {
    migrate_and_create_admin(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_migrate_and_create_admin() {
    migrate_and_create_admin(Backend::Postgres).await;
}

#[tokio::test]
async fn online_backup_and_restore() {
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let out_dir = tempfile::tempdir().unwrap();
    let backup = out_dir.path().join("backup.db");
    let backup_s = backup.display().to_string();
    let data = env.data_dir().display().to_string();

    // Online: the server keeps answering while the backup runs.
    let (code, out, err) = run(&["backup", "--data-dir", &data, "--out", &backup_s], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("written and verified"), "{out}");
    assert_eq!(server.get("/readyz").status, 200);
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{backup_s}?mode=ro")).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await.unwrap();
    assert_eq!(check, "ok");
    drop(conn);

    // An existing file is never overwritten.
    let (code, _, err) = run(&["backup", "--data-dir", &data, "--out", &backup_s], None);
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");
    assert!(server.terminate().success());
    let original = table_counts(&env).await;

    // Restore into an empty data dir brings back the same data.
    let target = tempfile::tempdir().unwrap();
    let target_s = target.path().display().to_string();
    let (code, out, err) = run(&["restore", "--data-dir", &target_s, "--from", &backup_s], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("restored"), "{out}");
    let restored_env = Env { dir: target, pg: None };
    assert_eq!(table_counts(&restored_env).await, original);

    // A database that holds data is not overwritten without --force.
    let (code, _, err) = run(&["restore", "--data-dir", &target_s, "--from", &backup_s], None);
    assert_ne!(code, 0);
    assert!(err.contains("--force"), "{err}");
    let (code, _, err) = run(&["restore", "--data-dir", &target_s, "--from", &backup_s, "--force"], None);
    assert_eq!(code, 0, "{err}");

    // A corrupt backup is refused and leaves the database as it was.
    let corrupt = out_dir.path().join("corrupt.db");
    std::fs::write(&corrupt, b"this is not a database at all, just some text pretending to be one").unwrap();
    let (code, _, err) =
        run(&["restore", "--data-dir", &target_s, "--from", &corrupt.display().to_string(), "--force"], None);
    assert_ne!(code, 0);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(table_counts(&restored_env).await, original);
    let server = Server::start(&restored_env, &[]);
    assert_eq!(server.get("/readyz").status, 200);
    assert!(server.terminate().success());
    env.finish().await;
}

/// Every mistake an operator can make: one line on stderr naming it, a non-zero exit, nothing written.
#[test]
fn bad_input_gives_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.display().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["serve".into(), "--database-url".into(), "mysql://x/y".into(), "--addr".into(), "127.0.0.1:0".into()],
            "'mysql' is not supported",
        ),
        (
            vec![
                "serve".into(),
                "--database-url".into(),
                "postgres://nobody@127.0.0.1:1/none".into(),
                "--addr".into(),
                "127.0.0.1:0".into(),
            ],
            "cannot reach the database",
        ),
        (
            vec![
                "serve".into(),
                "--data-dir".into(),
                "/proc/meldroute-test".into(),
                "--addr".into(),
                "127.0.0.1:0".into(),
            ],
            "data directory",
        ),
        (vec!["serve".into(), "--data-dir".into(), data_s.clone(), "--addr".into(), "nonsense".into()], "HOST:PORT"),
        (
            vec!["restore".into(), "--data-dir".into(), data_s.clone(), "--from".into(), "/no/such/backup.db".into()],
            "cannot read",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, err) = run(&args, None);
        assert_ne!(code, 0, "{args:?}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("meldroute: error: "), "{err}");
    }
    assert!(!data.join("meldroute.db").exists(), "nothing was written");

    // A typo in the config file.
    let config = dir.path().join("meldroute.toml");
    std::fs::write(&config, "addr = \"127.0.0.1:0\"\ndata_dri = \"x\"\n").unwrap();
    let (code, _, err) = run(&["serve", "--config", &config.display().to_string()], None);
    assert_ne!(code, 0);
    assert!(err.contains("unknown field `data_dri`") && err.contains("line 2"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    // A port in use.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, _, err) = run(&["serve", "--data-dir", &data_s, "--addr", &addr], None);
    assert_ne!(code, 0);
    assert!(err.contains("already in use"), "{err}");
    assert!(!data.join("meldroute.db").exists(), "a port in use fails before anything is written");
}

#[test]
fn afwegingskader_evaluate_through_the_binary() {
    let (code, out, err) = run(
        &["afwegingskader", "evaluate"],
        Some(r#"{"sector":"po","answers":{"q1":"ja","q2":"nee","q3":"ja","q4":"ja","q5":"nee"},"disclosure":false}"#),
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["next_question"], serde_json::Value::Null);
    assert_eq!(v["meldingen"], serde_json::json!([{"meldnorm": 3, "after": "q5"}]));
    let (code, _, err) = run(&["afwegingskader", "evaluate"], Some(r#"{"sector":"po","answers":{"q2":"ja"}}"#));
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("q1"), "{err}");
    let (code, _, _) = run(&["afwegingskader", "evaluate"], Some("{not json"));
    assert_eq!(code, 2);
    let (code, out, _) = run(&["afwegingskader", "explain"], None);
    assert_eq!(code, 0);
    assert!(out.contains("meldnorm"), "{out}");
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["backup", "--help"],
        vec!["restore", "--help"],
        vec!["admin", "create-user", "--help"],
        vec!["afwegingskader", "evaluate", "--help"],
    ] {
        let (code, out, _) = run(&args, None);
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Usage:"), "{args:?}: {out}");
    }
    let (_, out, _) = run(&["serve", "--help"], None);
    for flag in ["--demo", "--addr", "--data-dir", "--database-url", "--config", "--metrics-addr"] {
        assert!(out.contains(flag), "serve --help mentions {flag}");
    }
}
