//! Regression tests for problems found in a security review: each was exploitable before its fix.

// Integration tests: helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::*;

fn first_dossier_link(page: &str) -> String {
    let start = page.find("href=\"/dossiers/").unwrap() + "href=\"".len();
    let end = page[start..].find('"').unwrap() + start;
    page[start..end].to_string()
}

#[tokio::test]
async fn review_findings_stay_fixed() {
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let url = format!("sqlite://{}", env.data_dir().join("meldroute.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();

    // The partner's shared dossier (Noor): entries 3.. are afwegingskader answers, not shared with him.
    let mut partner = Browser::new(&server);
    partner.login("jeugdarts", &secret_of(&server, "jeugdarts"));
    let noor = first_dossier_link(&partner.get("/").body);
    for seq in 1..=8 {
        let r = partner.get(&format!("{noor}/entries/{seq}/correct"));
        assert_eq!(r.status, 404, "finding 1: a partner gets no correction form (entry {seq})");
        assert!(!r.body.contains("verwaarlozing"), "finding 1: no unshared content");
    }

    // Finding 2: people without any right on a dossier learn nothing from a malformed post.
    for login in ["bestuur", "beheer", "leerkracht.po"] {
        let mut b = Browser::new(&server);
        b.login(login, &secret_of(&server, login));
        let csrf = Browser::csrf_of(&b.get("/"));
        let r = b.post(&format!("{noor}/entries"), &[("_csrf", &csrf), ("kind", "assessment_answer")]);
        assert_eq!(r.status, 404, "finding 2 for {login}");
        assert!(!r.body.contains("Noor") && !r.body.contains("vermoeden"), "finding 2 for {login}: nothing shown");
    }

    // Finding 5: a shared "correction" must not carry the content of an unshared kind.
    let mut af = Browser::new(&server);
    af.login("af.vo", &secret_of(&server, "af.vo"));
    let form = af.get(&format!("{noor}/entries/3/correct"));
    assert_eq!(form.status, 200);
    let csrf = Browser::csrf_of(&form);
    let r = af.post(
        &format!("{noor}/entries/3/correct"),
        &[
            ("_csrf", &csrf),
            ("reason", "typefout"),
            ("question", "q1"),
            ("answer", "ja"),
            ("reasoning", "CANARY-CORRECTED-ANSWER"),
            ("answered_by", "team"),
            ("board_informed", "on"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    sqlx::query("UPDATE shares SET entry_kinds = 'observation,correction'").execute(&pool).await.unwrap();
    let page = partner.get(&noor);
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("CANARY-CORRECTED-ANSWER"), "finding 5: correction of an unshared kind hidden");

    // Finding 3: with every recovery code used, the password alone never shows the existing secret.
    sqlx::query("UPDATE recovery_codes SET used_at = '2026-01-01T00:00:00Z' WHERE user_id = (SELECT id FROM users WHERE login = 'zorg.vo')")
        .execute(&pool)
        .await
        .unwrap();
    let secret = secret_of(&server, "zorg.vo");
    let mut b = Browser::new(&server);
    let r = b.post("/login", &[("login", "zorg.vo"), ("password", DEMO_PASSWORD)]);
    assert_eq!(r.header("location"), Some("/login/code"), "finding 3: to the code page, not to enrolment");
    let setup = b.get("/login/setup");
    assert!(!setup.body.contains(&secret[..8]), "finding 3: the secret is never shown again");

    // Finding 4: a correct password does not reset the count of wrong codes.
    let mut b = Browser::new(&server);
    for round in 0..2 {
        assert_eq!(b.post("/login", &[("login", "directeur.vo"), ("password", DEMO_PASSWORD)]).status, 303);
        let csrf = Browser::csrf_of(&b.get("/login/code"));
        for _ in 0..3 {
            b.post("/login/code", &[("_csrf", &csrf), ("code", "000000")]);
        }
        let _ = round;
    }
    let csrf = Browser::csrf_of(&b.get("/login/code"));
    let code = fresh_code(&secret_of(&server, "directeur.vo"));
    let r = b.post("/login/code", &[("_csrf", &csrf), ("code", &code)]);
    assert!(r.body.contains("Te veel mislukte pogingen"), "finding 4: six wrong codes lock the second step");
    env.finish().await;
}

/// The import's acceptance form may be 53 MiB. Someone who may import nowhere is answered before the body is
/// read: the server answers while most of a large body is still unsent.
#[tokio::test]
async fn an_import_acceptance_is_refused_before_its_body_is_read() {
    use std::io::{Read, Write};
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let mut teacher = Browser::new(&server);
    teacher.login("leerkracht.po", &secret_of(&server, "leerkracht.po"));
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /transfers/import/accept HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 50000000\r\n\r\ndocument=AAAA",
        addr = server.addr,
        cookie = teacher.cookie.as_deref().unwrap(),
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = [0u8; 256];
    let n = stream.read(&mut answer).expect("an answer without the rest of the body");
    let status_line = String::from_utf8_lossy(&answer[..n]).lines().next().unwrap_or_default().to_string();
    assert!(status_line.contains(" 404 "), "{status_line}");
    drop(server);
    env.finish().await;
}
