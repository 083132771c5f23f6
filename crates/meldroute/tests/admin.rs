//! The administration screens through the real server: accounts with one-time links, roles, blocking,
//! locations and groups, the CSV pupil import (all or nothing), the audit overview; teachers and other
//! tenants' ids get a plain 404.

// Integration tests: helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use meldroute_database::Database;
use meldroute_domain::Sector;
use meldroute_store::*;
use support::*;

async fn database(env: &Env) -> Database {
    let url = match &env.pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", env.data_dir().join("meldroute.db").display()),
    };
    Database::connect(&url).await.unwrap()
}

/// POSTs a multipart form (text fields plus one file) as a browser on our own page would.
fn post_multipart(b: &Browser, path: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> Response {
    let boundary = "----meldroute-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    let (name, bytes) = file;
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"leerlingen.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{}\r\n--{boundary}--\r\n",
        String::from_utf8(bytes.to_vec()).unwrap()
    ));
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let origin = format!("http://{}", b.addr);
    let mut headers = vec![("Content-Type", content_type.as_str()), ("Origin", origin.as_str())];
    if let Some(c) = &b.cookie {
        headers.push(("Cookie", c.as_str()));
    }
    request(&b.addr, "POST", path, &headers, Some(&body))
}

/// The 32-hex token of the one-time link on a page.
fn link_token(page: &Response) -> String {
    let start = page.body.find("/welkom/").unwrap_or_else(|| panic!("no link on page: {}", page.body)) + 8;
    page.body[start..start + 32].to_string()
}

async fn admin_screens(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let db = database(&env).await;
    let teacher_user = db.find_user_by_login("leerkracht.po").await.unwrap().unwrap();
    let tenant = TenantCtx::new(teacher_user.org);
    let locations = db.list_locations(&tenant).await.unwrap();
    let po = locations.iter().find(|l| l.sector == Sector::Po).unwrap().id;

    // Another organisation, whose ids must lead nowhere.
    let other_org = db
        .create_organisation(NewOrganisation { name: "Ander bestuur".into(), is_demo: true, created_at: now() })
        .await
        .unwrap();
    let other = TenantCtx::new(other_org.id);
    let other_loc =
        db.create_location(&other, NewLocation { name: "Elders".into(), sector: Sector::Po }).await.unwrap();
    let other_user = db
        .create_user(
            &other,
            NewUser {
                login: "elders.beheer".into(),
                display_name: "Elders".into(),
                email: None,
                password_hash: "x".into(),
                totp_secret: None,
                lang: "nl".into(),
                created_at: now(),
            },
        )
        .await
        .unwrap();

    let mut admin = Browser::new(&server);
    admin.login("beheer", &secret_of(&server, "beheer"));
    let mut teacher = Browser::new(&server);
    teacher.login("leerkracht.po", &secret_of(&server, "leerkracht.po"));

    // Every admin page is there for the administrator and a plain 404 for a teacher.
    let pages = [
        "/admin".to_string(),
        "/admin/users".into(),
        "/admin/users/new".into(),
        format!("/admin/users/{}", teacher_user.id),
        "/admin/locations".into(),
        format!("/admin/locations/{po}"),
        format!("/admin/locations/{po}/import"),
        "/admin/audit".into(),
    ];
    for path in &pages {
        assert_eq!(admin.get(path).status, 200, "admin: {path}");
        let r = teacher.get(path);
        assert_eq!(r.status, 404, "teacher: {path}");
        assert!(!r.body.contains("leerkracht.po"), "a 404 reveals nothing");
    }
    let teacher_csrf = Browser::csrf_of(&teacher.get("/"));
    let r = teacher.post("/admin/users", &[("_csrf", &teacher_csrf), ("login", "x.y.z"), ("display_name", "X")]);
    assert_eq!(r.status, 404, "teacher cannot create users");
    let r = teacher
        .post(&format!("/admin/users/{}/disabled", teacher_user.id), &[("_csrf", &teacher_csrf), ("disabled", "1")]);
    assert_eq!(r.status, 404);

    // Another tenant's ids: 404, in URLs and in forms.
    let form = admin.get("/admin/users/new");
    let csrf = Browser::csrf_of(&form);
    for path in [
        format!("/admin/users/{}", other_user.id),
        format!("/admin/locations/{}", other_loc.id),
        format!("/admin/locations/{}/import", other_loc.id),
        "/admin/users/999999".into(),
        "/admin/users/abc".into(),
    ] {
        assert_eq!(admin.get(&path).status, 404, "{path}");
    }
    let r =
        admin.post(&format!("/admin/users/{}/roles", other_user.id), &[("_csrf", &csrf), ("role", "beheerder@org")]);
    assert_eq!(r.status, 404);
    let r = admin.post(&format!("/admin/users/{}/link", other_user.id), &[("_csrf", &csrf)]);
    assert_eq!(r.status, 404);
    let foreign_role = format!("medewerker@{}", other_loc.id);
    let r = admin.post(
        "/admin/users",
        &[("_csrf", &csrf), ("login", "sluiper"), ("display_name", "S"), ("lang", "nl"), ("role", &foreign_role)],
    );
    assert_eq!(r.status, 404);
    assert!(db.find_user_by_login("sluiper").await.unwrap().is_none());

    // Bad input: the form comes back with the input kept and the problems named; nothing is saved.
    let long_name = "n".repeat(201);
    let r = admin.post(
        "/admin/users",
        &[("_csrf", &csrf), ("login", "ib.po"), ("display_name", &long_name), ("email", "geen-adres"), ("lang", "nl")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("al in gebruik"), "duplicate login named");
    assert!(r.body.contains("hoogstens 200 tekens"));
    assert!(r.body.contains("geen geldig e-mailadres"));
    assert!(r.body.contains("aria-describedby=\"email-error\""));
    assert!(r.body.contains("value=\"geen-adres\""), "input kept");
    let r = admin.post("/admin/users", &[("login", "zonder.token"), ("display_name", "Z"), ("lang", "nl")]);
    assert_eq!(r.status, 403, "no form token");

    // Creating a user shows a first-login link once.
    let role = format!("medewerker@{po}");
    let r = admin.post(
        "/admin/users",
        &[
            ("_csrf", &csrf),
            ("login", "nieuw.collega"),
            ("display_name", "Nina Nieuw"),
            ("email", "nina@school.example"),
            ("lang", "en"),
            ("role", &role),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let token = link_token(&r);
    let nina = db.find_user_by_login("nieuw.collega").await.unwrap().unwrap();
    let grants = db.roles_of(&tenant, nina.id).await.unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].location, Some(po));

    // The link: a form (in the user's language), a weak password refused, then set once.
    let mut nina_b = Browser::new(&server);
    let path = format!("/welkom/{token}");
    let r = nina_b.get(&path);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Choose your password"));
    assert!(nina_b.get(&path).status == 200, "looking does not use the link");
    let r = nina_b.post(&path, &[("password", "kort"), ("confirm", "kort")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("aria-describedby=\"password-hint password-error\""));
    let r = nina_b.post(&path, &[("password", "nieuw.collega in de zon"), ("confirm", "nieuw.collega in de zon")]);
    assert_eq!(r.status, 422, "a password containing the login is refused");
    let good = "paarse olifant op de fiets";
    let r = nina_b.post(&path, &[("password", good), ("confirm", "paarse olifant op de fiets!")]);
    assert_eq!(r.status, 422, "the two must match");
    let r = nina_b.post(&path, &[("password", good), ("confirm", good)]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/login"));
    let again =
        nina_b.post(&path, &[("password", "nog een ander wachtwoord"), ("confirm", "nog een ander wachtwoord")]);
    assert_eq!(again.status, 404, "used once");
    assert!(again.body.contains("niet (meer) geldig"));
    assert_eq!(nina_b.get(&path).status, 404);
    let r = nina_b.post("/login", &[("login", "nieuw.collega"), ("password", good)]);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/login/setup"), "next: enrol the second factor");

    // An expired link and a malformed one say the same, and change nothing.
    let expired = meldroute_web::auth::new_token().unwrap();
    let t0 = now() - time::Duration::days(8);
    db.create_link(
        &tenant,
        nina.id,
        &meldroute_web::auth::token_hash(&expired),
        LinkPurpose::FirstLogin,
        t0,
        t0 + time::Duration::days(7),
    )
    .await
    .unwrap();
    let before = db.get_user(&tenant, nina.id).await.unwrap().password_hash;
    let r = nina_b.post(
        &format!("/welkom/{expired}"),
        &[("password", "weer iets nieuws hier"), ("confirm", "weer iets nieuws hier")],
    );
    assert_eq!(r.status, 404);
    assert!(r.body.contains("niet (meer) geldig"));
    assert_eq!(db.get_user(&tenant, nina.id).await.unwrap().password_hash, before);
    assert_eq!(nina_b.get("/welkom/not-a-token").status, 404);

    // A reset link with "also reset the second factor" removes the TOTP secret.
    let af = db.find_user_by_login("af.po").await.unwrap().unwrap();
    assert!(af.totp_secret.is_some());
    let r = admin.post(&format!("/admin/users/{}/link", af.id), &[("_csrf", &csrf)]);
    assert_eq!(r.status, 200);
    assert_eq!(link_token(&r).len(), 32);
    assert!(db.get_user(&tenant, af.id).await.unwrap().totp_secret.is_some(), "not ticked: second factor kept");
    let r = admin.post(&format!("/admin/users/{}/link", af.id), &[("_csrf", &csrf), ("reset_totp", "1")]);
    assert_eq!(r.status, 200);
    assert!(db.get_user(&tenant, af.id).await.unwrap().totp_secret.is_none());

    // Changing a user's roles ends their sessions; an admin cannot change their own.
    assert!(!teacher.get("/").body.contains("href=\"/login\""), "teacher logged in");
    let r = admin.post(
        &format!("/admin/users/{}/roles", teacher_user.id),
        &[("_csrf", &csrf), ("role", &role), ("role", "intern_begeleider@org")],
    );
    assert_eq!(r.status, 303);
    assert!(teacher.get("/").body.contains("href=\"/login\""), "the teacher's session ended");
    assert_eq!(db.roles_of(&tenant, teacher_user.id).await.unwrap().len(), 2);
    let me = db.find_user_by_login("beheer").await.unwrap().unwrap();
    let r = admin
        .post(&format!("/admin/users/{}/roles", me.id), &[("_csrf", &csrf), ("role", "aandachtsfunctionaris@org")]);
    assert_eq!(r.status, 422);
    assert!(db.roles_of(&tenant, me.id).await.unwrap().iter().all(|g| g.role == Role::Beheerder));

    // Blocking and allowing again.
    let r = admin.post(&format!("/admin/users/{}/disabled", nina.id), &[("_csrf", &csrf), ("disabled", "1")]);
    assert_eq!(r.status, 303);
    assert!(db.get_user(&tenant, nina.id).await.unwrap().disabled);
    assert!(admin.get("/admin/users").body.contains("<strong>ja</strong>"));
    let r = admin.post(&format!("/admin/users/{}/disabled", nina.id), &[("_csrf", &csrf), ("disabled", "0")]);
    assert_eq!(r.status, 303);
    assert!(!db.get_user(&tenant, nina.id).await.unwrap().disabled);

    // Locations and groups.
    let r = admin.post(
        "/admin/locations",
        &[("_csrf", &csrf), ("name", "Kinderopvang Het Testnest"), ("sector", "kinderopvang")],
    );
    assert_eq!(r.status, 303);
    let r = admin.post(
        "/admin/locations",
        &[("_csrf", &csrf), ("name", "Kinderopvang Het Testnest"), ("sector", "kinderopvang")],
    );
    assert_eq!(r.status, 422, "duplicate name");
    assert!(r.body.contains("al een locatie met deze naam"));
    let r = admin.post(&format!("/admin/locations/{po}/groups"), &[("_csrf", &csrf), ("group_name", "Groep 8 test")]);
    assert_eq!(r.status, 303);
    let r = admin.post(&format!("/admin/locations/{}/groups", other_loc.id), &[("_csrf", &csrf), ("group_name", "X")]);
    assert_eq!(r.status, 404);

    // CSV import: one bad line, nothing lands and the line is named.
    let import = format!("/admin/locations/{po}/import");
    let by_location = PupilFilter { location: Some(po), limit: Some(10_000), ..PupilFilter::default() };
    let count_before = db.list_pupils(&tenant, &by_location).await.unwrap().len();
    let bad = "voornaam;achternaam;geboortedatum;groep;leerlingnummer;gezin\n\
               Ida;Import;01-02-2016;Groep 8 test;T-1;FAM-T\n\
               Jop;Import;2016-02-30;Groep 8 test;T-2;FAM-T\n";
    let r = post_multipart(&admin, &import, &[("_csrf", &csrf)], ("file", bad.as_bytes()));
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("Regel 3"), "{}", r.body);
    assert!(!r.body.contains("Regel 2"));
    assert_eq!(db.list_pupils(&tenant, &by_location).await.unwrap().len(), count_before, "nothing imported");
    // Without the form token: refused.
    let r = post_multipart(&admin, &import, &[], ("file", bad.as_bytes()));
    assert_eq!(r.status, 403);

    let good = "\u{feff}voornaam,achternaam,geboortedatum,groep,leerlingnummer,gezin\r\n\
                Ida,Import,01-02-2016,Groep 8 test,T-1,FAM-T\r\n\
                Jop,\"Import, de\",2014-03-30,,T-2,FAM-T\r\n";
    let r = post_multipart(&admin, &import, &[("_csrf", &csrf)], ("file", good.as_bytes()));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<strong>2</strong>"));
    let pupils = db.list_pupils(&tenant, &by_location).await.unwrap();
    assert_eq!(pupils.len(), count_before + 2);
    let ida = pupils.iter().find(|p| p.first_name == "Ida").unwrap();
    assert_eq!(ida.external_ref.as_deref(), Some("T-1"));
    assert!(ida.group.is_some());
    assert_eq!(db.siblings_of(&tenant, ida.id).await.unwrap()[0].first_name, "Jop");
    // The same file again: the leerlingnummers exist, nothing is imported.
    let r = post_multipart(&admin, &import, &[("_csrf", &csrf)], ("file", good.as_bytes()));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Regel 2") && r.body.contains("Regel 3"), "{}", r.body);
    assert_eq!(db.list_pupils(&tenant, &by_location).await.unwrap().len(), count_before + 2);
    let r = post_multipart(
        &admin,
        &format!("/admin/locations/{}/import", other_loc.id),
        &[("_csrf", &csrf)],
        ("file", good.as_bytes()),
    );
    assert_eq!(r.status, 404);

    // The audit overview: newest first, filterable by actor, never content.
    let r = admin.get("/admin/audit");
    assert_eq!(r.status, 200);
    for action in ["admin.user.create", "admin.user.roles", "admin.pupil.import", "account.first_login_link"] {
        assert!(r.body.contains(action), "{action} in the audit overview");
    }
    assert!(!r.body.contains("paarse olifant"));
    let r = admin.get(&format!("/admin/audit?actor={}&limit=50", teacher_user.id));
    assert!(r.body.contains("login") && !r.body.contains("admin.user.create"), "filtered by actor");
    let r = admin.get("/admin/audit?dossier=abc");
    assert_eq!(r.status, 422);
    let r = admin.get(&format!("/admin/audit?actor={}", other_user.id));
    assert!(r.body.contains("Geen gebeurtenissen"), "another tenant's user shows nothing");

    db.close().await;
    env.finish().await;
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_admin_screens() {
    admin_screens(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_admin_screens() {
    admin_screens(Backend::Postgres).await;
}

/// With a public address configured, the first-login link uses it whatever host the request came in with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_use_the_configured_public_address() {
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &["--demo", "--public-url", "https://meldroute.example.nl/"]);
    let db = database(&env).await;
    let tenant = TenantCtx::new(db.find_user_by_login("beheer").await.unwrap().unwrap().org);
    let po = db.list_locations(&tenant).await.unwrap().iter().find(|l| l.sector == Sector::Po).unwrap().id;
    let mut admin = Browser::new(&server);
    admin.login("beheer", &secret_of(&server, "beheer"));
    let csrf = Browser::csrf_of(&admin.get("/admin/users/new"));
    let role = format!("medewerker@{po}");
    let r = admin.post(
        "/admin/users",
        &[("_csrf", &csrf), ("login", "p.adres"), ("display_name", "Pim Adres"), ("lang", "nl"), ("role", &role)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let token = link_token(&r);
    assert!(r.body.contains(&format!("https://meldroute.example.nl/welkom/{token}")), "{}", r.body);
    assert!(!r.body.contains(&format!("{}/welkom/", server.addr)));
    db.close().await;
    drop(server);
    env.finish().await;
}
