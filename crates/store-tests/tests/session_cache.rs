//! A node keeps recent session lookups in memory (`meldroute_store::LookupCache`): every change to what a
//! lookup returns is seen at the next lookup, on this node at once and, on PostgreSQL, on every other node as
//! soon as it hears the change.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use meldroute_database::Database;
use meldroute_store::*;
use meldroute_store_tests::{TestDb, lookups_turn_on, suite};
use time::macros::datetime;

const T0: time::OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

struct Setup {
    tenant: TenantCtx,
    user: User,
    dossier: DossierId,
    session: SessionRecord,
}

async fn setup(db: &Database, name: &str) -> Setup {
    let f = suite::fixture(db, name).await;
    db.grant_role(
        &f.tenant,
        RoleGrant { user: f.user.id, location: Some(f.location.id), role: Role::InternBegeleider },
    )
    .await
    .unwrap();
    let dossier = suite::open_dossier(db, &f).await;
    let session = SessionRecord {
        id_hash: vec![7; 32],
        org: f.tenant.org,
        user: f.user.id,
        created_at: T0,
        last_seen_at: T0,
        second_factor_done: true,
        csrf_token: "csrf".into(),
    };
    db.create_session(&session).await.unwrap();
    Setup { tenant: f.tenant, user: f.user, dossier, session }
}

fn note(s: &Setup) -> NewNotification {
    NewNotification {
        user: s.user.id,
        dossier: s.dossier,
        kind: "dossier_opened".into(),
        urgent: false,
        created_at: T0,
    }
}

/// One node: a second lookup is answered from memory, and every kind of change is seen at the next one.
async fn every_change_is_seen_at_the_next_lookup(db: &Database) {
    let s = setup(db, "Alpha").await;
    let hash = &s.session.id_hash;
    let first = db.session_context(hash).await.unwrap().unwrap();
    // On PostgreSQL this node also hears its own writes of the setup, a moment later, and reads again once.
    let mut from_memory = false;
    for _ in 0..100 {
        let (hits, _) = db.lookup_cache().counts();
        assert_eq!(db.session_context(hash).await.unwrap(), Some(first.clone()));
        if db.lookup_cache().counts().0 == hits + 1 {
            from_memory = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(from_memory, "a later lookup came from memory");

    let later = T0 + time::Duration::minutes(1);
    db.touch_session(hash, later).await.unwrap();
    assert_eq!(db.session_context(hash).await.unwrap().unwrap().session.last_seen_at, later);
    db.set_user_lang(&s.tenant, s.user.id, "en").await.unwrap();
    assert_eq!(db.session_context(hash).await.unwrap().unwrap().user.lang, "en");
    db.notify(&s.tenant, &[note(&s), note(&s)]).await.unwrap();
    assert_eq!(db.session_context(hash).await.unwrap().unwrap().unread, 2);
    db.mark_all_read(&s.tenant, s.user.id, later).await.unwrap();
    assert_eq!(db.session_context(hash).await.unwrap().unwrap().unread, 0);
    db.set_totp_secret(&s.tenant, s.user.id, Some("SECRET")).await.unwrap();
    assert_eq!(db.session_context(hash).await.unwrap().unwrap().user.totp_secret.as_deref(), Some("SECRET"));

    // A new grant (an administrator's `grant_role`, which ends no session) is seen at once.
    let location = db.list_locations(&s.tenant).await.unwrap()[0].id;
    db.grant_role(
        &s.tenant,
        RoleGrant { user: s.user.id, location: Some(location), role: Role::Aandachtsfunctionaris },
    )
    .await
    .unwrap();
    assert_eq!(db.session_context(hash).await.unwrap().unwrap().grants.len(), 2);

    // Logging out, and a rotated session: gone at once.
    db.delete_session(hash).await.unwrap();
    assert_eq!(db.session_context(hash).await.unwrap(), None);
    db.create_session(&s.session).await.unwrap();
    assert!(db.session_context(hash).await.unwrap().is_some());
    let rotated = SessionRecord { id_hash: vec![8; 32], ..s.session.clone() };
    db.rotate_session(hash, &rotated).await.unwrap();
    assert_eq!(db.session_context(hash).await.unwrap(), None);
    assert!(db.session_context(&rotated.id_hash).await.unwrap().is_some());

    // Disabling the account ends its sessions at once.
    db.set_user_disabled(&s.tenant, s.user.id, true).await.unwrap();
    assert_eq!(db.session_context(&rotated.id_hash).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_every_change_is_seen_at_the_next_lookup() {
    let t = TestDb::sqlite().await.unwrap();
    every_change_is_seen_at_the_next_lookup(&t.db).await;
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_every_change_is_seen_at_the_next_lookup() {
    let Some(t) = TestDb::postgres().await.unwrap() else { return };
    every_change_is_seen_at_the_next_lookup(&t.db).await;
    t.finish().await;
}

/// Asks node `db` until `ok` holds for its lookup (the other node's change has to arrive as a notification).
async fn eventually(db: &Database, hash: &[u8], what: &str, ok: impl Fn(Option<&SessionContext>) -> bool) {
    for _ in 0..100 {
        if ok(db.session_context(hash).await.unwrap().as_ref()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the other node did not see it within two seconds: {what}");
}

/// Two nodes on one PostgreSQL database: what one node changes, the other sees, although it keeps lookups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_change_on_one_node_is_seen_by_the_other() {
    let Some(t) = TestDb::postgres().await.unwrap() else { return };
    let a = &t.db;
    let b = Database::connect(&t.url).await.unwrap();
    let listener = b.listen_for_changes().await.unwrap().unwrap();
    // On once its own heartbeat came back through the database.
    assert!(lookups_turn_on(&b).await, "node B keeps lookups");
    let s = setup(a, "Alpha").await;
    let hash = &s.session.id_hash;

    // Node B keeps the lookup ...
    let mut from_memory = false;
    for _ in 0..100 {
        let (hits, _) = b.lookup_cache().counts();
        assert!(b.session_context(hash).await.unwrap().is_some());
        if b.lookup_cache().counts().0 == hits + 1 {
            from_memory = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(from_memory, "node B answers from memory");

    // ... and sees each change made through node A.
    a.notify(&s.tenant, &[note(&s)]).await.unwrap();
    eventually(&b, hash, "a notification", |c| c.is_some_and(|c| c.unread == 1)).await;
    a.set_user_lang(&s.tenant, s.user.id, "en").await.unwrap();
    eventually(&b, hash, "a language", |c| c.is_some_and(|c| c.user.lang == "en")).await;
    a.delete_session(hash).await.unwrap();
    eventually(&b, hash, "a logout", |c| c.is_none()).await;
    a.create_session(&s.session).await.unwrap();
    eventually(&b, hash, "a new login", |c| c.is_some()).await;
    a.set_user_disabled(&s.tenant, s.user.id, true).await.unwrap();
    eventually(&b, hash, "a disabled account", |c| c.is_none()).await;

    // A node whose listening connection is gone keeps nothing until it listens again.
    a.set_user_disabled(&s.tenant, s.user.id, false).await.unwrap();
    a.create_session(&s.session).await.unwrap();
    eventually(&b, hash, "an enabled account", |c| c.is_some()).await;
    let Database::Postgres(pg) = a else { unreachable!() };
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN \"meldroute_sessions\"%' AND pid <> pg_backend_pid()",
    )
    .execute(pg.pool())
    .await
    .unwrap();
    // Both listeners (A's and B's) were ended; each turns its memory off until it listens again (a second on).
    let mut turned_off = false;
    for _ in 0..50 {
        if !b.lookup_cache().is_on() {
            turned_off = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(turned_off, "a lost listening connection turns the memory off");
    assert!(lookups_turn_on(&b).await, "listening again after the lost connection");
    a.delete_session(hash).await.unwrap();
    eventually(&b, hash, "a logout after the reconnect", |c| c.is_none()).await;

    listener.abort();
    b.close().await;
    t.finish().await;
}
