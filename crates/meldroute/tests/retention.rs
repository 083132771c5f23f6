//! Retention and erasure through the real binary (issue 7 part 4), on SQLite and PostgreSQL: no period until
//! the organisation sets one; a dossier closed years ago is listed for review; erasure requests are recorded
//! with decision and reason (a pupil under 16 refused); the aandachtsfunctionaris proposes, cannot confirm her
//! own proposal, the directeur must confirm deliberately and then erases; another school's lead gets 404s;
//! the dossier is gone, the tombstone names both people, `meldroute audit verify` passes, and on SQLite the
//! raw database file and its WAL hold no byte of the entries, the attachment or the pupil's name.

// Integration tests: helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use meldroute_database::Database;
use meldroute_domain::*;
use meldroute_store::*;
use meldroute_web::dossiers::{self, Draft};
use support::*;
use time::{Duration, OffsetDateTime};

/// Unique enough never to appear anywhere by chance.
const MARKER: &str = "QVXZKJWMarker0412";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A PO pupil born `years` ago with the marker in her name, a dossier with the marker in its first entry.
async fn plant(db: &Database) -> (TenantCtx, DossierId, PupilId) {
    let af = db.find_user_by_login("af.po").await.unwrap().unwrap();
    let t = TenantCtx::new(af.org);
    let po = db.list_locations(&t).await.unwrap().into_iter().find(|l| l.sector == Sector::Po).unwrap().id;
    let now = OffsetDateTime::now_utc();
    let pupil = db
        .create_pupil(
            &t,
            NewPupil {
                location: po,
                group: None,
                first_name: format!("Mila{MARKER}"),
                last_name: "Wisvoorbeeld".into(),
                // 16 on 1 March 2024.
                date_of_birth: Some(time::macros::date!(2008 - 03 - 01)),
                family: None,
                external_ref: None,
                created_at: now,
            },
        )
        .await
        .unwrap();
    let (writer, task) = db.spawn_writer();
    let body = EntryBody::Observation(Observation {
        facts: format!("Zag blauwe plekken; {MARKER} in de feiten."),
        interpretation: None,
        source: SignalSource::OwnObservation,
        source_detail: None,
        categories: vec![SignalCategory::ChildPhysical],
        also_noticed_by: vec![],
        concerns_staff_sexual_misconduct: false,
    });
    let d = dossiers::open(db, &writer, &t, pupil.id, Draft { author: af.id, body, occurred_on: None }).await.unwrap();
    drop(writer);
    task.await.unwrap();
    (t, d, pupil.id)
}

/// Appends a closing entry recorded `days_ago`, with the projection the domain fold gives (the way a closing
/// made back then would have been stored).
async fn close_in_the_past(db: &Database, t: &TenantCtx, d: DossierId, days_ago: i64) {
    let af = db.find_user_by_login("af.po").await.unwrap().unwrap();
    let loaded = dossiers::load(db, &Default::default(), t, d).await.unwrap();
    let at = OffsetDateTime::now_utc() - Duration::days(days_ago);
    let body = EntryBody::Closing(Closing { conclusion: "Zorg is overgedragen.".into(), no_concern: false });
    let mut entries = loaded.entries.to_vec();
    let seq = u32::try_from(loaded.dossier.last_seq + 1).unwrap();
    entries.push(Entry {
        id: meldroute_domain::EntryId(i64::MAX),
        seq,
        recorded_at: at,
        occurred_on: None,
        author: UserRef(af.id.0),
        body: body.clone(),
    });
    let state = fold(&loaded.ctx, &entries);
    assert!(state.closed);
    let (writer, task) = db.spawn_writer();
    writer
        .submit(WriteOp::AppendEntry {
            tenant: *t,
            dossier: d,
            expected_last_seq: Some(loaded.dossier.last_seq),
            entry: NewEntry {
                recorded_at: at,
                author: af.id,
                kind: "closing".into(),
                payload: dossiers::encode(&body, None).unwrap(),
            },
            projection: dossiers::projection(&state),
        })
        .await
        .unwrap();
    drop(writer);
    task.await.unwrap();
    // The stored projection is the fold's.
    let reloaded = dossiers::load(db, &Default::default(), t, d).await.unwrap();
    assert_eq!(reloaded.dossier.projection, dossiers::projection(reloaded.state()));
    assert_eq!(reloaded.dossier.projection.closed_on, Some(at.date()));
}

fn assert_no_marker(env: &Env) {
    let file = env.data_dir().join("meldroute.db");
    let main = std::fs::read(&file).unwrap();
    assert!(main.len() > 10_000, "the database file was read");
    for (path, bytes) in [
        (file.clone(), main),
        (file.with_extension("db-wal"), std::fs::read(file.with_extension("db-wal")).unwrap_or_default()),
    ] {
        for needle in [MARKER.as_bytes(), b"Zorgtraject loopt nog", b"Wisvoorbeeld", b"Over de bewaartermijn"] {
            assert!(!contains(&bytes, needle), "{} still holds {:?}", path.display(), String::from_utf8_lossy(needle));
        }
    }
}

fn form_token(b: &mut Browser, path: &str) -> String {
    let page = b.get(path);
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    Browser::csrf_of(&page)
}

async fn retention_and_erasure(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let url = match &env.pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", env.data_dir().join("meldroute.db").display()),
    };
    let db = Database::connect(&url).await.unwrap();
    let (t, d, pupil) = plant(&db).await;
    let dossier = format!("/dossiers/{}", d.0);
    let erasure = format!("{dossier}/erasure");

    let mut af = Browser::new(&server);
    af.login("af.po", &secret_of(&server, "af.po"));
    let mut director = Browser::new(&server);
    director.login("directeur.po", &secret_of(&server, "directeur.po"));
    let mut other_school = Browser::new(&server);
    other_school.login("af.vo", &secret_of(&server, "af.vo"));
    let mut admin = Browser::new(&server);
    admin.login("beheer", &secret_of(&server, "beheer"));

    // A file with the marker, added while the dossier is open.
    let csrf = form_token(&mut af, &dossier);
    let r = af.post_multipart(
        &format!("{dossier}/attachments"),
        &[("_csrf", &csrf), ("description", "Notitie")],
        Some(("file", "notitie.txt", format!("Gespreksnotitie {MARKER} bijlage").as_bytes())),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    close_in_the_past(&db, &t, d, 3 * 366).await;

    // No period yet: the page says so and lists nothing as due.
    let page = af.get("/retention");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Er is nog geen bewaartermijn vastgesteld."), "{}", page.body);
    assert!(!page.body.contains(MARKER));
    // Only who may set it sets it: not the aandachtsfunctionaris, the administrator (organisation-wide) may.
    assert_eq!(af.get("/retention/period").status, 404);
    let csrf = form_token(&mut admin, "/retention/period");
    let r = admin.post("/retention/period", &[("_csrf", &csrf), ("months", "0"), ("basis", "Besluit")]);
    assert_eq!(r.status, 422, "a period of 0 months is refused");
    assert!(r.body.contains("Vul een heel aantal maanden in"), "{}", r.body);
    let r = admin.post("/retention/period", &[("_csrf", &csrf), ("months", "24"), ("basis", "Besluit bestuur 2026")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let page = admin.get("/retention/period");
    assert!(page.body.contains("Besluit bestuur 2026") && page.body.contains("Bart Beheerder"), "{}", page.body);
    assert!(!page.body.contains(MARKER), "the administrator sees no pupil");
    assert_eq!(admin.get("/retention").status, 404, "the administrator reviews no dossiers");

    // Closed three years ago, period two years: listed with closing date and days past due.
    let page = af.get("/retention");
    assert!(page.body.contains(MARKER), "{}", page.body);
    assert!(page.body.contains(&format!("href=\"{erasure}\"")));
    assert!(!other_school.get("/retention").body.contains(MARKER), "another school's lead does not see it");
    assert_eq!(other_school.get(&erasure).status, 404);

    // Requests: a pupil who was 15 on the day is refused and nothing recorded; a parent's refused request is.
    let csrf = form_token(&mut af, &erasure);
    let request = |requester: &str, on: &str, decision: &str, reason: &str| {
        vec![
            ("_csrf".to_string(), csrf.clone()),
            ("requester".to_string(), requester.to_string()),
            ("received_on".to_string(), on.to_string()),
            ("decision".to_string(), decision.to_string()),
            ("decision_reason".to_string(), reason.to_string()),
        ]
    };
    let post = |b: &mut Browser, path: &str, fields: &[(String, String)]| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        b.post(path, &fields)
    };
    let requests = format!("{erasure}/requests");
    let r = post(&mut af, &requests, &request("pupil", "2024-02-28", "granted", "Wil het wissen"));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("jonger dan 16 jaar"), "{}", r.body);
    let r = post(&mut af, &requests, &request("parent", "2026-01-05", "refused", "Zorgtraject loopt nog"));
    assert_eq!(r.status, 303, "{}", r.body);
    let page = af.get(&erasure);
    assert!(page.body.contains("Zorgtraject loopt nog") && page.body.contains("Afgewezen"), "{}", page.body);
    let r = post(&mut af, &requests, &request("pupil", "2024-03-01", "granted", "Zestien geworden, wil wissen"));
    assert_eq!(r.status, 303, "16 on the day: {}", r.body);
    assert_eq!(db.erasure_requests(&t, d).await.unwrap().len(), 2);

    // The aandachtsfunctionaris proposes; she cannot confirm her own proposal.
    let r = af.post(&format!("{erasure}/propose"), &[("_csrf", &csrf), ("reason", "Over de bewaartermijn")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let proposal = db.erasure_proposal(&t, d).await.unwrap().unwrap().id.to_string();
    let number = d.0.to_string();
    let confirm = format!("{erasure}/confirm");
    let full = |csrf: &str| {
        vec![
            ("_csrf".to_string(), csrf.to_string()),
            ("proposal".to_string(), proposal.clone()),
            ("confirm_number".to_string(), number.clone()),
            ("understood".to_string(), "yes".to_string()),
        ]
    };
    let r = post(&mut af, &confirm, &full(&csrf));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("U hebt dit voorstel zelf gedaan"), "{}", r.body);
    // A second proposal while one is pending is refused.
    let dcsrf = form_token(&mut director, &erasure);
    let r = director.post(&format!("{erasure}/propose"), &[("_csrf", &dcsrf), ("reason", "x")]);
    assert_eq!(r.status, 409, "{}", r.body);

    // The directeur: without the typed number, nothing happens; for a proposal that is not the pending one
    // (a stale form), nothing happens; another school's lead gets a 404.
    let mut no_number = full(&dcsrf);
    no_number[2].1 = String::new();
    let r = post(&mut director, &confirm, &no_number);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Typ het dossiernummer over"), "{}", r.body);
    let mut stale = full(&dcsrf);
    stale[1].1 = "999999".into();
    let r = post(&mut director, &confirm, &stale);
    assert_eq!(r.status, 409);
    assert!(r.body.contains("Dit voorstel bestaat niet meer"), "{}", r.body);
    let ocsrf = form_token(&mut other_school, "/retention");
    assert_eq!(post(&mut other_school, &confirm, &full(&ocsrf)).status, 404);
    assert!(db.get_dossier(&t, d).await.is_ok(), "nothing was erased yet");

    if env.pg.is_none() {
        // The check below can fail: before the erasure the marker is in the file or its log.
        let file = env.data_dir().join("meldroute.db");
        let mut all = std::fs::read(&file).unwrap();
        all.extend(std::fs::read(file.with_extension("db-wal")).unwrap_or_default());
        assert!(contains(&all, MARKER.as_bytes()), "the marker is stored before the erasure");
    }

    // A proposer whose account was disabled meanwhile no longer counts as the first person.
    let proposer = db.find_user_by_login("af.po").await.unwrap().unwrap().id;
    db.set_user_disabled(&t, proposer, true).await.unwrap();
    let r = post(&mut director, &confirm, &full(&dcsrf));
    assert!(r.status == 422 || r.status == 409, "{}", r.status);
    assert!(r.body.contains("Wie dit voorstel deed, heeft geen actief account meer"), "{}", r.body);
    assert!(db.get_dossier(&t, d).await.is_ok(), "nothing was erased");
    db.set_user_disabled(&t, proposer, false).await.unwrap();
    // Disabling ended her sessions: she logs in again.
    af = Browser::new(&server);
    af.login("af.po", &secret_of(&server, "af.po"));

    // Confirmed deliberately by the second person: gone.
    let r = post(&mut director, &confirm, &full(&dcsrf));
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/retention?erased=1"));
    assert!(director.get("/retention?erased=1").body.contains("Het dossier is gewist."));
    assert_eq!(af.get(&dossier).status, 404);
    assert_eq!(af.get(&erasure).status, 404);
    assert!(matches!(db.get_dossier(&t, d).await, Err(StoreError::NotFound)));
    assert!(matches!(db.get_pupil(&t, pupil).await, Err(StoreError::NotFound)), "no other dossier: pupil gone");
    assert!(db.list_entries(&t, d).await.unwrap().is_empty());
    assert!(db.erasure_requests(&t, d).await.unwrap().is_empty());
    if env.pg.is_none() {
        // The raw bytes while the server runs: not in the database file, not in its write-ahead log.
        assert_no_marker(&env);
    }

    // The tombstone: both people, no content.
    let af_id = db.find_user_by_login("af.po").await.unwrap().unwrap().id;
    let dir_id = db.find_user_by_login("directeur.po").await.unwrap().unwrap().id;
    let audit = db.list_audit(&t, &AuditFilter { dossier: Some(d), ..Default::default() }).await.unwrap();
    let has =
        |action: &str, actor: UserId| audit.iter().any(|a| a.event.action == action && a.event.actor == Some(actor));
    assert!(has("dossier.erased", dir_id) && has("dossier.erased.proposer", af_id));
    assert!(has("dossier.erase.confirm", af_id), "the refused self-confirmation is on record");
    db.close().await;
    assert!(server.terminate().success());

    let args = env.db_args();
    let mut verify: Vec<&str> = vec!["audit", "verify"];
    verify.extend(args.iter().map(String::as_str));
    let (code, out, err) = run(&verify, None);
    assert_eq!(code, 0, "the audit chain verifies after the erasure: {out}{err}");
    if env.pg.is_none() {
        assert_no_marker(&env);
    }

    env.finish().await;
}

#[tokio::test]
async fn sqlite_retention_and_two_person_erasure() {
    retention_and_erasure(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_retention_and_two_person_erasure() {
    retention_and_erasure(Backend::Postgres).await;
}

/// A free local port for `--metrics-addr` (taken again by the server a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// How many dossiers' chronologies the node whose metrics listen at `addr` keeps in memory.
fn cached_dossiers(addr: &str) -> u64 {
    let metrics = request(addr, "GET", "/metrics", &[], None);
    assert_eq!(metrics.status, 200);
    let line = metrics.body.lines().find(|l| l.starts_with("meldroute_chronology_cache_dossiers ")).unwrap();
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// Waits (at most ten seconds) until the node whose metrics listen at `addr` keeps no chronology.
async fn wait_until_forgotten(addr: &str, when: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while cached_dossiers(addr) != 0 {
        assert!(std::time::Instant::now() < deadline, "the node still keeps a chronology in memory {when}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Two server processes on one PostgreSQL database: a dossier viewed through node B is kept in B's memory; when
/// it is erased through node A, B forgets it too (NOTIFY from the erasure's transaction), without any request
/// to B; and B forgets what it keeps when its listening connection is lost.
#[tokio::test]
async fn postgres_an_erasure_through_one_node_empties_the_other_nodes_memory() {
    let Some(env) = Env::new(Backend::Postgres).await else { return };
    let a = Server::start(&env, &["--demo"]);
    let metrics_b = format!("127.0.0.1:{}", free_port());
    let b = Server::start(&env, &["--demo", "--metrics-addr", &metrics_b]);
    let db = Database::connect(&env.pg.as_ref().unwrap().url).await.unwrap();
    let (t, d, _) = plant(&db).await;
    close_in_the_past(&db, &t, d, 3 * 366).await;
    let dossier = format!("/dossiers/{}", d.0);
    let erasure = format!("{dossier}/erasure");

    let mut af = Browser::new(&a);
    af.login("af.po", &secret_of(&a, "af.po"));
    let mut director = Browser::new(&a);
    director.login("directeur.po", &secret_of(&a, "directeur.po"));
    let mut admin = Browser::new(&a);
    admin.login("beheer", &secret_of(&a, "beheer"));
    // Sessions live in the database: the same one works on node B.
    let mut af_on_b = Browser::new(&b);
    af_on_b.cookie = af.cookie.clone();
    assert_eq!(cached_dossiers(&metrics_b), 0);
    let page = af_on_b.get(&dossier);
    assert_eq!(page.status, 200);
    assert!(page.body.contains(MARKER), "{}", page.body);
    assert_eq!(cached_dossiers(&metrics_b), 1, "node B keeps the chronology it showed");

    // A lost listening connection: an erasure may have gone unheard, so the node forgets everything once it
    // listens again.
    let pool = sqlx::PgPool::connect(&env.pg.as_ref().unwrap().url).await.unwrap();
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN \"meldroute_erasure\"%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(ended, vec![true, true], "each node listens on a connection of its own");
    pool.close().await;
    wait_until_forgotten(&metrics_b, "after its listening connection was lost").await;
    assert_eq!(af_on_b.get(&dossier).status, 200);
    assert_eq!(cached_dossiers(&metrics_b), 1);

    let csrf = form_token(&mut admin, "/retention/period");
    let r = admin.post("/retention/period", &[("_csrf", &csrf), ("months", "24"), ("basis", "Besluit bestuur")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let csrf = form_token(&mut af, &erasure);
    let r = af.post(&format!("{erasure}/propose"), &[("_csrf", &csrf), ("reason", "Over de bewaartermijn")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let proposal = db.erasure_proposal(&t, d).await.unwrap().unwrap().id.to_string();
    let csrf = form_token(&mut director, &erasure);
    let number = d.0.to_string();
    let fields =
        [("_csrf", csrf.as_str()), ("proposal", &proposal), ("confirm_number", &number), ("understood", "yes")];
    let r = director.post(&format!("{erasure}/confirm"), &fields);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(matches!(db.get_dossier(&t, d).await, Err(StoreError::NotFound)));

    wait_until_forgotten(&metrics_b, "after the erasure through node A").await;
    assert_eq!(af_on_b.get(&dossier).status, 404);
    db.close().await;
    drop((a, b));
    env.finish().await;
}
