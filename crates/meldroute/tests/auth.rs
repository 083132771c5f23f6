//! Logging in and out through the real server: password plus TOTP, session rotation, replay, throttling,
//! CSRF, timeouts, and messages that reveal nothing.

// Integration tests: helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::*;

async fn login_logout_and_session_rotation(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let secret = secret_of(&server, "ib.po");
    let mut b = Browser::new(&server);

    // Protected pages send an anonymous visitor to the login page; the start page shows a login button.
    let home = b.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("href=\"/login\""));

    let r = b.post("/login", &[("login", "IB.po"), ("password", DEMO_PASSWORD)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let half = b.cookie.clone().unwrap();
    // Half logged in: the start page still demands the second factor.
    let r = b.get("/");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/login/code"));

    let page = b.get("/login/code");
    let csrf = Browser::csrf_of(&page);
    // Without the form token, or from another site: refused, and nothing changes.
    assert_eq!(b.post("/login/code", &[("code", "123456")]).status, 403);
    assert_eq!(
        b.post_with_origin("/login/code", &[("_csrf", &csrf), ("code", "123456")], "https://evil.example").status,
        403
    );
    // A wrong code.
    let r = b.post("/login/code", &[("_csrf", &csrf), ("code", "000000")]);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("klopt niet"), "{}", r.body);

    let code = fresh_code(&secret);
    let r = b.post("/login/code", &[("_csrf", &csrf), ("code", &code)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let full = b.cookie.clone().unwrap();
    assert_ne!(half, full, "the session id is rotated after the second factor");
    let home = b.get("/");
    assert!(home.body.contains("Ilse Intern-Begeleider"), "{}", home.body);
    assert!(home.body.contains("Intern begeleider"));

    // The old (half) session id is dead.
    let mut old = Browser { addr: server.addr.clone(), cookie: Some(half) };
    assert!(old.get("/").body.contains("href=\"/login\""));

    // The same code cannot be used again, not even in a new login within the same 30 seconds.
    let mut again = Browser::new(&server);
    assert_eq!(again.post("/login", &[("login", "ib.po"), ("password", DEMO_PASSWORD)]).status, 303);
    let page = again.get("/login/code");
    let r = again.post("/login/code", &[("_csrf", &Browser::csrf_of(&page)), ("code", &code)]);
    assert_eq!(r.status, 200, "replayed code refused");
    assert!(r.body.contains("al gebruikt"));

    // Logging out needs the form token and ends the session.
    assert_eq!(b.post("/logout", &[]).status, 403);
    let csrf = Browser::csrf_of(&b.get("/"));
    let r = b.post("/logout", &[("_csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert!(b.cookie.is_none(), "cookie cleared");
    let mut reuse = Browser { addr: server.addr.clone(), cookie: Some(full) };
    assert!(reuse.get("/").body.contains("href=\"/login\""), "the logged-out session is gone on the server too");
    env.finish().await;
}

#[tokio::test]
async fn sqlite_login_logout_and_session_rotation() {
    login_logout_and_session_rotation(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_login_logout_and_session_rotation() {
    login_logout_and_session_rotation(Backend::Postgres).await;
}

#[tokio::test]
async fn failures_look_the_same_and_are_throttled() {
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let mut b = Browser::new(&server);
    let wrong_password = b.post("/login", &[("login", "af.po"), ("password", "not the right password")]);
    let unknown = b.post("/login", &[("login", "nobody.at.all"), ("password", "not the right password")]);
    assert_eq!(wrong_password.status, unknown.status);
    assert_eq!(wrong_password.status, 200);
    let strip = |body: &str| body.replace("af.po", "X").replace("nobody.at.all", "X");
    assert_eq!(
        strip(&wrong_password.body),
        strip(&unknown.body),
        "same page for a wrong password and an unknown account"
    );
    assert!(b.cookie.is_none(), "no session after a failure");

    // Five failures are free, then the name is locked for a while, whether the account exists or not.
    for _ in 0..6 {
        b.post("/login", &[("login", "directeur.po"), ("password", "not the right password")]);
        b.post("/login", &[("login", "ghost"), ("password", "not the right password")]);
    }
    let locked = b.post("/login", &[("login", "directeur.po"), ("password", DEMO_PASSWORD)]);
    assert!(locked.body.contains("Te veel mislukte pogingen"), "the right password does not help during the lock");
    assert!(b.cookie.is_none());
    let ghost = b.post("/login", &[("login", "ghost"), ("password", "x")]);
    assert!(ghost.body.contains("Te veel mislukte pogingen"));
    // Other accounts are not affected.
    let secret = secret_of(&server, "leerkracht.po");
    b.login("leerkracht.po", &secret);
    env.finish().await;
}

/// Guesses sent at the same moment are counted one after the other before any is checked: of twenty wrong
/// passwords in parallel, no more are checked than the free five and the one that sets the lock.
#[tokio::test]
async fn parallel_guesses_do_not_slip_past_the_lock() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(env) = Env::new(backend).await else { continue };
        let server = Server::start(&env, &["--demo"]);
        let guesses: Vec<_> = (0..20)
            .map(|i| {
                let mut b = Browser::new(&server);
                std::thread::spawn(move || {
                    let password = format!("wrong guess {i}");
                    b.post("/login", &[("login", "directeur.po"), ("password", password.as_str())]).body
                })
            })
            .collect();
        let bodies: Vec<String> = guesses.into_iter().map(|g| g.join().unwrap()).collect();
        let checked = bodies.iter().filter(|b| b.contains("klopt niet")).count();
        let refused = bodies.iter().filter(|b| b.contains("Te veel mislukte pogingen")).count();
        assert_eq!(checked + refused, 20, "every guess is answered as checked or refused");
        assert_eq!(checked, 6, "{checked} of 20 parallel guesses were checked ({backend:?})");
        // The refused guesses took back what they had counted against the address.
        let url = match &env.pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", env.data_dir().join("meldroute.db").display()),
        };
        let db = meldroute_database::Database::connect(&url).await.unwrap();
        let address = meldroute_store::AccountStore::throttle_get(&db, "ip:127.0.0.1").await.unwrap();
        assert_eq!(address.map(|a| a.failures), Some(6), "{backend:?}");
        db.close().await;
        // The right password does not help during the lock.
        let mut b = Browser::new(&server);
        let locked = b.post("/login", &[("login", "directeur.po"), ("password", DEMO_PASSWORD)]);
        assert!(locked.body.contains("Te veel mislukte pogingen"));
        drop(server);
        env.finish().await;
    }
}

#[tokio::test]
async fn idle_and_disabled_sessions_end() {
    use meldroute_store::Store;
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let mut b = Browser::new(&server);
    b.login("af.po", &secret_of(&server, "af.po"));
    assert!(b.get("/").body.contains("Anouk Aandacht"));

    // Disabling an account (as the administrator does) ends its sessions at once, although the server keeps
    // the session's lookup in memory (decision 0011).
    let mut admin = Browser::new(&server);
    admin.login("beheer", &secret_of(&server, "beheer"));
    let db_path = env.data_dir().join("meldroute.db");
    let url = format!("sqlite://{}", db_path.display());
    let db = meldroute_database::Database::connect(&url).await.unwrap();
    let user = db.find_user_by_login("af.po").await.unwrap().unwrap();
    let csrf = Browser::csrf_of(&admin.get("/admin/users"));
    let r = admin.post(&format!("/admin/users/{}/disabled", user.id), &[("_csrf", &csrf), ("disabled", "1")]);
    assert_eq!(r.status, 303);
    assert!(b.get("/").body.contains("href=\"/login\""), "disabled account's session ended");
    let r = b.post("/login", &[("login", "af.po"), ("password", DEMO_PASSWORD)]);
    assert!(r.body.contains("klopt niet"), "a disabled account cannot log in, with the usual message");
    let r = admin.post(&format!("/admin/users/{}/disabled", user.id), &[("_csrf", &csrf), ("disabled", "0")]);
    assert_eq!(r.status, 303);

    // Sessions idle for more than 15 minutes are over. The idle time is made by moving the session's
    // "last seen" back in the database file, behind the server's back; a server judges a lookup it keeps in
    // memory by the "last seen" it read, so the check is made by a freshly started server.
    b.login("af.po", &secret_of(&server, "af.po"));
    assert!(b.get("/").body.contains("Anouk Aandacht"));
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE sessions SET last_seen_at = '2020-01-01T00:00:00Z'").execute(&pool).await.unwrap();
    pool.close().await;
    drop(server);
    let server = Server::start(&env, &["--demo"]);
    b.addr = server.addr.clone();
    assert!(b.get("/").body.contains("href=\"/login\""), "idle session ended");
    env.finish().await;
}

/// The server deletes ended sessions and spent throttle rows on its own (at start and every ten minutes), and
/// leaves what is still in force.
#[tokio::test]
async fn the_server_purges_ended_sessions_and_spent_throttle_rows() {
    use meldroute_store::{AccountStore, ThrottleState};
    use time::{Duration, OffsetDateTime};
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(env) = Env::new(backend).await else { continue };
        let server = Server::start(&env, &["--demo"]);
        let mut ended = Browser::new(&server);
        ended.login("af.po", &secret_of(&server, "af.po"));
        let mut live = Browser::new(&server);
        live.login("ib.po", &secret_of(&server, "ib.po"));
        drop(server);

        let url = match &env.pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", env.data_dir().join("meldroute.db").display()),
        };
        let db = meldroute_database::Database::connect(&url).await.unwrap();
        let hash =
            |b: &Browser| meldroute_web::auth::token_hash(b.cookie.as_deref().unwrap().split('=').nth(1).unwrap());
        let (ended_hash, live_hash) = (hash(&ended), hash(&live));
        let now = OffsetDateTime::now_utc();
        db.touch_session(&ended_hash, now - Duration::minutes(16)).await.unwrap();
        let spent = ThrottleState { failures: 7, window_start: now - Duration::minutes(40), locked_until: None };
        let counting = ThrottleState { failures: 2, window_start: now - Duration::minutes(1), locked_until: None };
        db.throttle_put("ip:192.0.2.1", &spent).await.unwrap();
        db.throttle_put("ip:192.0.2.2", &counting).await.unwrap();
        assert!(db.get_session(&ended_hash).await.unwrap().is_some());

        let server = Server::start(&env, &[]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        // The purge deletes sessions, then throttle rows, then links, each in a statement of its own.
        while db.get_session(&ended_hash).await.unwrap().is_some()
            || db.throttle_get("ip:192.0.2.1").await.unwrap().is_some()
        {
            assert!(std::time::Instant::now() < deadline, "the ended session was not purged ({backend:?})");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let kept = db.throttle_get("ip:192.0.2.2").await.unwrap();
        assert_eq!(kept.map(|s| s.failures), Some(counting.failures), "{backend:?}");
        assert!(db.get_session(&live_hash).await.unwrap().is_some(), "{backend:?}");
        live.addr = server.addr.clone();
        assert!(live.get("/").body.contains("Ilse Intern"), "the live session still works ({backend:?})");
        db.close().await;
        drop(server);
        env.finish().await;
    }
}

/// Behind a trusted reverse proxy the login throttle counts the client's address from `X-Forwarded-For`; without
/// the setting, or from a peer that is not a trusted proxy, the header is ignored.
#[tokio::test]
async fn the_client_address_comes_from_a_trusted_proxy_only() {
    use meldroute_store::AccountStore;
    let guess = |server: &Server, forwarded: &str| {
        let body = "login=directeur.po&password=wrong+guess";
        let origin = format!("http://{}", server.addr);
        let headers = [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", origin.as_str()),
            ("X-Forwarded-For", forwarded),
        ];
        let r = request(&server.addr, "POST", "/login", &headers, Some(body));
        assert!(r.body.contains("klopt niet"), "{}", r.body);
    };
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let url = format!("sqlite://{}", env.data_dir().join("meldroute.db").display());
    let failures = |db: meldroute_database::Database, key: &'static str| async move {
        let state = db.throttle_get(key).await.unwrap();
        db.close().await;
        state.map(|s| s.failures)
    };

    // Not set: a client cannot choose the address it is counted under.
    let server = Server::start(&env, &["--demo"]);
    guess(&server, "203.0.113.9");
    let db = meldroute_database::Database::connect(&url).await.unwrap();
    assert_eq!(failures(db, "ip:203.0.113.9").await, None);
    let db = meldroute_database::Database::connect(&url).await.unwrap();
    assert_eq!(failures(db, "ip:127.0.0.1").await, Some(1));
    drop(server);

    // Set, and the connection comes from the proxy: the right-most address not of a proxy is the client.
    let server = Server::start(&env, &["--trusted-proxies", "127.0.0.1, 10.0.0.0/8"]);
    guess(&server, "198.51.100.1, 203.0.113.9, 10.1.2.3");
    guess(&server, "203.0.113.9");
    let db = meldroute_database::Database::connect(&url).await.unwrap();
    assert_eq!(failures(db, "ip:203.0.113.9").await, Some(2));
    let db = meldroute_database::Database::connect(&url).await.unwrap();
    assert_eq!(failures(db, "ip:198.51.100.1").await, None, "what the client wrote itself is not believed");
    let db = meldroute_database::Database::connect(&url).await.unwrap();
    assert_eq!(failures(db, "ip:127.0.0.1").await, Some(1), "the proxy's own address is not counted again");
    drop(server);

    // Set, but the connection does not come from a proxy: ignored.
    let server = Server::start(&env, &["--trusted-proxies", "10.0.0.0/8"]);
    guess(&server, "203.0.113.9");
    let db = meldroute_database::Database::connect(&url).await.unwrap();
    assert_eq!(failures(db, "ip:127.0.0.1").await, Some(2));
    drop(server);
    env.finish().await;
}

#[test]
fn demo_totp_command_works_only_for_demo_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let (code, _, err) = run(
        &[
            "admin",
            "create-user",
            "--data-dir",
            &data,
            "--org",
            "Echte School",
            "--login",
            "echt",
            "--name",
            "E",
            "--password-stdin",
        ],
        Some("een heel goed wachtwoord\n"),
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&["demo", "totp", "--data-dir", &data, "echt"], None);
    assert_ne!(code, 0);
    assert!(err.contains("not a demo account"), "{err}");
}
