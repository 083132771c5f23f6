//! `meldroute seed`: reproducible from its seed value, refuses a database that holds data, and writes data
//! the application accepts: a verifiable audit chain, listing columns equal to a fresh fold of every
//! chronology, dossiers in many steps and outcomes, and accounts that can log in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;

use meldroute_database::Database;
use meldroute_domain::{Calendar, FoldContext, fold};
use meldroute_store::*;
use meldroute_web::dossiers;
use sqlx::Row;
use support::*;

const AS_OF: &str = "2026-11-20";

fn seed(env: &Env, seed: u64) -> std::process::Output {
    bin()
        .arg("seed")
        .args(env.db_args())
        .args(["--schools", "3", "--pupils-per-school", "30", "--dossiers-per-school", "12"])
        .args(["--entries-per-dossier", "9", "--seed", &seed.to_string(), "--as-of", AS_OF, "--quiet"])
        .output()
        .unwrap()
}

fn url(env: &Env) -> String {
    match &env.pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", env.data_dir().join("meldroute.db").display()),
    }
}

/// Every row of every table of a SQLite database as text. Left out: the password hash (its salt is random)
/// and the audit chain's hashes (each data dir has its own key).
async fn dump(env: &Env) -> Vec<String> {
    let pool = sqlx::SqlitePool::connect(&url(env)).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_sqlx%' ESCAPE '\\' \
         AND name NOT LIKE 'sqlite%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let columns: Vec<String> = sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .fetch_all(&pool)
            .await
            .unwrap();
        let shown: Vec<String> = columns
            .iter()
            .filter(|c| !["password_hash", "prev_hash", "hash", "last_hash", "mac"].contains(&c.as_str()))
            .map(|c| format!("quote(\"{c}\")"))
            .collect();
        let sql = format!("SELECT {} AS line FROM \"{table}\" ORDER BY 1", shown.join(" || ',' || "));
        for row in sqlx::query(&sql).fetch_all(&pool).await.unwrap() {
            out.push(format!("{table}: {}", row.get::<String, _>("line")));
        }
    }
    pool.close().await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_seed_same_data() {
    let (a, b, c) = (
        Env::new(Backend::Sqlite).await.unwrap(),
        Env::new(Backend::Sqlite).await.unwrap(),
        Env::new(Backend::Sqlite).await.unwrap(),
    );
    for (env, s) in [(&a, 7), (&b, 7), (&c, 8)] {
        let out = seed(env, s);
        assert!(out.status.success(), "seed failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let (da, db, dc) = (dump(&a).await, dump(&b).await, dump(&c).await);
    assert!(da.len() > 500, "too little data: {} rows", da.len());
    assert_eq!(da, db, "the same seed must give the same rows");
    assert_ne!(da, dc, "another seed must give other data");
}

async fn seeded_data_is_valid(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let out = seed(&env, 42);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "seed failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("seed.login=s1.af"), "{stdout}");

    // A second run refuses: the database holds data now.
    let again = seed(&env, 42);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds data"));

    // The audit chain verifies.
    let verify = bin().args(["audit", "verify"]).args(env.db_args()).output().unwrap();
    assert!(verify.status.success(), "audit verify: {}", String::from_utf8_lossy(&verify.stderr));

    // Every dossier's listing columns equal a fresh fold of its chronology; steps and outcomes vary.
    let db = Database::connect(&url(&env)).await.unwrap();
    let as_of = time::Date::parse(AS_OF, time::macros::format_description!("[year]-[month]-[day]")).unwrap();
    let (mut steps, mut closed, mut open, mut dossier_count) = (BTreeSet::new(), 0, 0, 0);
    let mut org = 1;
    while let Ok(o) = db.get_organisation(&TenantCtx::new(OrgId(org))).await {
        assert!(o.is_demo, "seeded organisations are marked fictional");
        let t = TenantCtx::new(o.id);
        let locations = db.list_locations(&t).await.unwrap();
        for d in db.list_dossiers(&t, &DossierFilter::default()).await.unwrap() {
            let pupil = db.get_pupil(&t, d.pupil).await.unwrap();
            let sector = locations.iter().find(|l| l.id == d.location).unwrap().sector;
            let ctx = FoldContext {
                sector,
                pupil_age: pupil.date_of_birth.map(|dob| dossiers::age_on(dob, as_of)),
                calendar: Calendar::new(),
            };
            let entries: Vec<_> =
                db.list_entries(&t, d.id).await.unwrap().iter().map(|e| dossiers::decode(e).unwrap()).collect();
            assert_eq!(entries.len() as i64, d.last_seq);
            assert_eq!(dossiers::projection(&fold(&ctx, &entries)), d.projection, "dossier {}", d.id.0);
            steps.insert(d.projection.step);
            if d.projection.closed {
                closed += 1
            } else {
                open += 1
            }
            dossier_count += 1;
        }
        org += 1;
    }
    assert_eq!(dossier_count, 36);
    assert!(steps.len() >= 3, "steps seen: {steps:?}");
    assert!(closed > 0 && open > 0, "closed {closed}, open {open}");

    // A seeded account logs in with the printed password and a TOTP code, and reads a dossier.
    let user = db.find_user_by_login("s1.af").await.unwrap().unwrap();
    let dossier: i64 = stdout.lines().find_map(|l| l.strip_prefix("seed.dossier=")).unwrap().parse().unwrap();
    db.close().await;
    let server = Server::start(&env, &[]);
    let mut browser = Browser::new(&server);
    let r = browser.post("/login", &[("login", "s1.af"), ("password", "seed-wachtwoord-2026")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let page = browser.get("/login/code");
    let csrf = Browser::csrf_of(&page);
    let code = fresh_code(user.totp_secret.as_deref().unwrap());
    let r = browser.post("/login/code", &[("_csrf", &csrf), ("code", &code)]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(browser.get(&format!("/dossiers/{dossier}")).status, 200);
    assert_eq!(browser.get("/tasks").status, 200);
    drop(server);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_seeded_data_is_valid() {
    seeded_data_is_valid(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_seeded_data_is_valid() {
    seeded_data_is_valid(Backend::Postgres).await;
}
