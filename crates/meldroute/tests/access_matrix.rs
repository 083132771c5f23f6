//! The authorization matrix: every GET route of the route table, for every demo role, with the ids of
//! pupils and dossiers of the own location, another location and another organisation, and dossiers that
//! are shared, shared with some kinds only, or shared with an expired end date. Canary strings are planted
//! in data; each must be seen by exactly the people the access policy allows, and by nobody else. Every
//! response also carries the security headers.

// Integration tests: helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{BTreeMap, BTreeSet};

use meldroute_database::Database;
use meldroute_domain::*;
use meldroute_store::*;
use meldroute_web::dossiers::{self, Draft};
use support::*;
use time::Duration;

const USERS: [&str; 11] = [
    "leerkracht.po",
    "ib.po",
    "af.po",
    "directeur.po",
    "mentor.vo",
    "zorg.vo",
    "af.vo",
    "directeur.vo",
    "bestuur",
    "beheer",
    "jeugdarts",
];

fn observation(facts: &str) -> EntryBody {
    EntryBody::Observation(Observation {
        facts: facts.into(),
        interpretation: None,
        source: SignalSource::OwnObservation,
        source_detail: None,
        categories: vec![SignalCategory::ChildBehaviour],
        also_noticed_by: vec![],
        concerns_staff_sexual_misconduct: false,
    })
}

fn consultation(summary: &str) -> EntryBody {
    EntryBody::Consultation(Consultation {
        with: ConsultationKind::Colleague,
        with_whom: None,
        anonymous: false,
        summary: summary.into(),
        advice: None,
    })
}

struct Planted {
    pupils: Vec<i64>,
    dossiers: Vec<i64>,
    /// Attachment ids, for `{attachment}` in paths.
    attachments: Vec<String>,
    /// canary -> the users who may see it
    expected: BTreeMap<&'static str, BTreeSet<&'static str>>,
}

async fn plant(db: &Database) -> Planted {
    let (writer, task) = db.spawn_writer();
    let now = time::OffsetDateTime::now_utc();
    let user = |login: &'static str| async move { db.find_user_by_login(login).await.unwrap().unwrap() };
    let ib = user("ib.po").await;
    let zorg = user("zorg.vo").await;
    let partner = user("jeugdarts").await;
    let t = TenantCtx::new(ib.org);
    let locations = db.list_locations(&t).await.unwrap();
    let po = locations.iter().find(|l| l.sector == Sector::Po).unwrap().id;
    let vo = locations.iter().find(|l| l.sector == Sector::Vo).unwrap().id;
    let new_pupil = |location, name: &str| NewPupil {
        location,
        group: None,
        first_name: name.into(),
        last_name: "Kanarie".into(),
        date_of_birth: None,
        family: None,
        external_ref: None,
        created_at: now,
    };

    // A PO pupil with a dossier the teacher is not involved in; partly shared with the partner.
    let po_pupil = db.create_pupil(&t, new_pupil(po, "CANARYPUPILPO")).await.unwrap();
    let d1 = dossiers::open(
        db,
        &writer,
        &t,
        po_pupil.id,
        Draft { author: ib.id, body: observation("CANARY-PO-SHARED-OBS"), occurred_on: None },
    )
    .await
    .unwrap();
    dossiers::append(
        dossiers::Io { db, writer: &writer, cache: &Default::default() },
        &t,
        d1,
        Draft { author: ib.id, body: consultation("CANARY-PO-UNSHARED-KIND"), occurred_on: None },
        None,
    )
    .await
    .unwrap();
    // A file whose content only those who see attachment entries of this dossier may read.
    let canary_file: &[u8] = b"CANARY-PO-ATTACHMENT";
    let (_, _, attachment) = dossiers::append_attachment(
        dossiers::Io { db, writer: &writer, cache: &Default::default() },
        &t,
        d1,
        dossiers::Upload {
            author: ib.id,
            checked: check_upload("kanarie.txt", canary_file, MAX_ATTACHMENT_BYTES).unwrap(),
            content: std::sync::Arc::from(canary_file),
            description: None,
        },
        None,
    )
    .await
    .unwrap();
    db.create_share(
        &t,
        NewShare {
            dossier: d1,
            partner: partner.id,
            entry_kinds: vec!["observation".into()],
            until: now.date() + Duration::days(30),
            created_by: ib.id,
            created_at: now,
        },
    )
    .await
    .unwrap();

    // A VO pupil whose share with the partner has expired.
    let vo_pupil = db.create_pupil(&t, new_pupil(vo, "CANARYPUPILVO")).await.unwrap();
    let d2 = dossiers::open(
        db,
        &writer,
        &t,
        vo_pupil.id,
        Draft { author: zorg.id, body: observation("CANARY-VO-EXPIRED"), occurred_on: None },
    )
    .await
    .unwrap();
    db.create_share(
        &t,
        NewShare {
            dossier: d2,
            partner: partner.id,
            entry_kinds: vec!["observation".into()],
            until: now.date() - Duration::days(1),
            created_by: zorg.id,
            created_at: now,
        },
    )
    .await
    .unwrap();

    // Another organisation with its own pupil and dossier: nobody here may ever see it.
    let other = db
        .create_organisation(NewOrganisation {
            name: "Andere Stichting (fictief)".into(),
            is_demo: true,
            created_at: now,
        })
        .await
        .unwrap();
    let ot = TenantCtx::new(other.id);
    let oloc = db.create_location(&ot, NewLocation { name: "Andere School".into(), sector: Sector::Po }).await.unwrap();
    let ouser = db
        .create_user(
            &ot,
            NewUser {
                login: "andere.leerkracht".into(),
                display_name: "CANARY-OTHER-USER".into(),
                email: None,
                password_hash: "x".into(),
                totp_secret: None,
                lang: "nl".into(),
                created_at: now,
            },
        )
        .await
        .unwrap();
    db.grant_role(&ot, RoleGrant { user: ouser.id, location: Some(oloc.id), role: Role::Medewerker }).await.unwrap();
    let opupil = db.create_pupil(&ot, new_pupil(oloc.id, "CANARYPUPILOTHER")).await.unwrap();
    let d3 = dossiers::open(
        db,
        &writer,
        &ot,
        opupil.id,
        Draft { author: ouser.id, body: observation("CANARY-OTHER-ORG"), occurred_on: None },
    )
    .await
    .unwrap();
    drop(writer);
    task.await.unwrap();

    let mut pupils = vec![po_pupil.id.0, vo_pupil.id.0, opupil.id.0];
    let mut dossier_ids = vec![d1.0, d2.0, d3.0];
    pupils.extend(db.list_pupils(&t, &PupilFilter::default()).await.unwrap().iter().map(|p| p.id.0));
    dossier_ids.extend(db.list_dossiers(&t, &DossierFilter::default()).await.unwrap().iter().map(|d| d.id.0));
    pupils.sort_unstable();
    pupils.dedup();
    dossier_ids.sort_unstable();
    dossier_ids.dedup();

    let set = |users: &[&'static str]| users.iter().copied().collect::<BTreeSet<_>>();
    let expected = BTreeMap::from([
        // Pupil names: staff of that school, the administrator (who manages pupils), and the partner with
        // whom a dossier of this pupil is shared (the shared dossier says whose it is).
        ("CANARYPUPILPO", set(&["leerkracht.po", "ib.po", "af.po", "directeur.po", "beheer", "jeugdarts"])),
        ("CANARYPUPILVO", set(&["mentor.vo", "zorg.vo", "af.vo", "directeur.vo", "beheer"])),
        // The dossier content: IB, AF and director of the school; the teacher is not involved; the partner
        // sees only the shared kind.
        ("CANARY-PO-SHARED-OBS", set(&["ib.po", "af.po", "directeur.po", "jeugdarts"])),
        ("CANARY-PO-UNSHARED-KIND", set(&["ib.po", "af.po", "directeur.po"])),
        // The content of an attachment: as the kind it belongs to, not shared with the partner.
        ("CANARY-PO-ATTACHMENT", set(&["ib.po", "af.po", "directeur.po"])),
        ("CANARY-VO-EXPIRED", set(&["zorg.vo", "af.vo", "directeur.vo"])),
        ("CANARYPUPILOTHER", set(&[])),
        ("CANARY-OTHER-ORG", set(&[])),
        ("CANARY-OTHER-USER", set(&[])),
    ]);
    Planted { pupils, dossiers: dossier_ids, attachments: vec![attachment], expected }
}

fn assert_headers(r: &Response, what: &str) {
    for (name, expected) in [
        ("content-security-policy", "frame-ancestors 'none'"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("strict-transport-security", "max-age="),
    ] {
        let value = r.header(name).unwrap_or_else(|| panic!("{what}: missing {name}"));
        assert!(value.contains(expected), "{what}: {name}: {value}");
    }
}

/// The concrete paths to request for a route template.
fn paths_for(template: &str, planted: &Planted, user_ids: &[i64]) -> Vec<String> {
    let Some(start) = template.find('{') else { return vec![template.to_string()] };
    let end = template[start..].find('}').unwrap() + start;
    let name = &template[start + 1..end];
    let ids: Vec<String> = if template.starts_with("/pupils") {
        planted.pupils.iter().map(i64::to_string).collect()
    } else if template.starts_with("/dossiers") {
        planted.dossiers.iter().map(i64::to_string).collect()
    } else if name == "token" {
        vec!["0123456789abcdef0123456789abcdef".into()]
    } else {
        // Any other id (users, locations, groups): everything we know, both organisations.
        planted.pupils.iter().chain(&planted.dossiers).chain(user_ids).map(i64::to_string).collect()
    };
    ids.into_iter()
        .map(|id| format!("{}{}{}", &template[..start], id, &template[end + 1..]))
        .flat_map(|path| match path.contains("{attachment}") {
            true => planted.attachments.iter().map(|a| path.replace("{attachment}", a)).collect::<Vec<_>>(),
            false => vec![path],
        })
        .collect()
}

async fn matrix(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let url = match &env.pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", env.data_dir().join("meldroute.db").display()),
    };
    let db = Database::connect(&url).await.unwrap();
    let planted = plant(&db).await;
    let mut user_ids = Vec::new();
    for login in USERS {
        user_ids.push(db.find_user_by_login(login).await.unwrap().unwrap().id.0);
    }
    db.close().await;

    let routes: Vec<_> = meldroute_web::routes::specs()
        .into_iter()
        .filter(|s| s.method == axum::http::Method::GET && s.access != meldroute_web::routes::Access::Public)
        .collect();
    assert!(routes.iter().any(|r| r.path == "/dossiers/{id}"), "the dossier page is in the matrix");

    // Anonymous visitors: no protected page, no canary.
    let mut anon = Browser::new(&server);
    for route in &routes {
        for path in paths_for(route.path, &planted, &user_ids) {
            let r = anon.get(&path);
            assert_headers(&r, &path);
            assert!(matches!(r.status, 303 | 401 | 404), "anonymous {path}: {}", r.status);
            for canary in planted.expected.keys() {
                assert!(!r.body.contains(canary), "anonymous saw {canary} at {path}");
            }
        }
    }

    let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for login in USERS {
        let mut b = Browser::new(&server);
        b.login(login, &secret_of(&server, login));
        // The same person through the API, with a personal token made on the account page.
        let tokens = b.get("/account/tokens");
        let csrf = Browser::csrf_of(&tokens);
        let made = b.post("/account/tokens", &[("_csrf", &csrf), ("name", "matrix"), ("days", "1")]);
        let marker = "<code id=\"new-token\">";
        let at = made.body.find(marker).unwrap_or_else(|| panic!("{login}: no token: {}", made.body)) + marker.len();
        let bearer = format!("Bearer {}", &made.body[at..at + 67]);
        for route in &routes {
            for path in paths_for(route.path, &planted, &user_ids) {
                let r = if path.starts_with("/api/") {
                    request(&server.addr, "GET", &path, &[("Authorization", bearer.as_str())], None)
                } else {
                    b.get(&path)
                };
                assert_headers(&r, &path);
                assert!(r.status != 500 && r.status != 503, "{login} {path}: {}", r.status);
                for canary in planted.expected.keys() {
                    if r.body.contains(canary) {
                        seen.entry(canary).or_default().insert(login);
                        assert!(
                            planted.expected[canary].contains(login),
                            "{login} saw {canary} at {path}, which the policy forbids"
                        );
                    }
                }
            }
        }
    }
    // Everyone allowed did see it somewhere: the matrix really exercises the pages.
    for (canary, allowed) in &planted.expected {
        let got = seen.get(canary).cloned().unwrap_or_default();
        assert_eq!(&got, allowed, "who saw {canary}");
    }
    env.finish().await;
}

#[tokio::test]
async fn sqlite_authorization_matrix_leaks_no_canary() {
    matrix(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_authorization_matrix_leaks_no_canary() {
    matrix(Backend::Postgres).await;
}
