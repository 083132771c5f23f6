//! A node keeps recent dossier contexts in memory (`meldroute_store::LookupCache`): the dossier row, its pupil,
//! both locations, its shares, whether it was received and its location's newest route map version. Every
//! change to any of these is seen at the next read, on this node at once and, on PostgreSQL, on every other
//! node as soon as it hears the change.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use meldroute_database::Database;
use meldroute_store::*;
use meldroute_store_tests::suite::{self, Fixture};
use meldroute_store_tests::{TestDb, lookups_turn_on};
use time::macros::{date, datetime};

const T0: time::OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn append(f: &Fixture, dossier: DossierId, expected_last_seq: i64) -> WriteOp {
    WriteOp::AppendEntry {
        tenant: f.tenant,
        dossier,
        expected_last_seq: Some(expected_last_seq),
        entry: NewEntry { recorded_at: T0, author: f.user.id, kind: "observation".into(), payload: b"{}".to_vec() },
        projection: DossierProjection { step: 1, closed: false, urgent: false, next_due: None, closed_on: None },
    }
}

fn share(f: &Fixture, dossier: DossierId, partner: UserId) -> NewShare {
    NewShare {
        dossier,
        partner,
        entry_kinds: vec![],
        until: date!(2026 - 04 - 30),
        created_by: f.user.id,
        created_at: T0,
    }
}

fn route_map(f: &Fixture, based_on: Option<i64>) -> NewRouteMapVersion {
    NewRouteMapVersion {
        location: f.location.id,
        based_on,
        content: "{}".into(),
        note: String::new(),
        created_by: f.user.id,
        created_at: T0,
    }
}

/// Reads the context on `db` until one read comes from memory (on PostgreSQL a node also hears its own
/// writes, a moment later, and reads again once).
async fn kept(db: &Database, f: &Fixture, dossier: DossierId) -> DossierContext {
    for _ in 0..100 {
        let (hits, _) = db.lookup_cache().context_counts();
        let context = db.dossier_context(&f.tenant, dossier).await.unwrap();
        if db.lookup_cache().context_counts().0 == hits + 1 {
            return context;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no read came from memory");
}

/// One node: a second read is answered from memory, and every kind of change is seen at the next one.
async fn every_change_is_seen_at_the_next_read(db: &Database) {
    let f = suite::fixture(db, "Alpha").await;
    let d = suite::open_dossier(db, &f).await;
    let first = kept(db, &f, d).await;
    assert_eq!(first, db.dossier_context(&f.tenant, d).await.unwrap());
    assert_eq!(first.dossier.last_seq, 1);

    // An append.
    let results = db.apply_batch(&[append(&f, d, 1)]).await.unwrap();
    assert!(matches!(results[0], Ok(WriteOutcome::EntryAppended { seq: 2, .. })), "{results:?}");
    assert_eq!(db.dossier_context(&f.tenant, d).await.unwrap().dossier.last_seq, 2);
    kept(db, &f, d).await;

    // A refused append (another node's, or a stale form's) makes the next read go to the database.
    let results = db.apply_batch(&[append(&f, d, 1)]).await.unwrap();
    assert!(matches!(results[0], Err(StoreError::Conflict(_))), "{results:?}");
    let (_, misses) = db.lookup_cache().context_counts();
    assert_eq!(db.dossier_context(&f.tenant, d).await.unwrap().dossier.last_seq, 2);
    assert_eq!(db.lookup_cache().context_counts().1, misses + 1, "read again after the refusal");

    // A share, and its revocation.
    let partner = db.create_user(&f.tenant, suite::new_user("jgz@alpha")).await.unwrap();
    kept(db, &f, d).await;
    let made = db.create_share(&f.tenant, share(&f, d, partner.id)).await.unwrap();
    assert_eq!(db.dossier_context(&f.tenant, d).await.unwrap().shares, vec![made.clone()]);
    kept(db, &f, d).await;
    db.revoke_share(&f.tenant, made.id, T0).await.unwrap();
    assert_eq!(db.dossier_context(&f.tenant, d).await.unwrap().shares[0].revoked_at, Some(T0));

    // A route map version, saved directly and through the writer.
    kept(db, &f, d).await;
    db.save_route_map(&f.tenant, route_map(&f, None)).await.unwrap();
    assert_eq!(db.dossier_context(&f.tenant, d).await.unwrap().route_map_version, Some(1));
    kept(db, &f, d).await;
    let save = [WriteOp::SaveRouteMap { tenant: f.tenant, version: route_map(&f, Some(1)) }];
    assert!(matches!(db.apply_batch(&save).await.unwrap()[0], Ok(WriteOutcome::RouteMapSaved { version: 2 })));
    assert_eq!(db.dossier_context(&f.tenant, d).await.unwrap().route_map_version, Some(2));

    // Another tenant never gets this dossier, kept or not.
    let b = suite::fixture(db, "Beta").await;
    kept(db, &f, d).await;
    assert!(matches!(db.dossier_context(&b.tenant, d).await, Err(StoreError::NotFound)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_every_change_is_seen_at_the_next_read() {
    let t = TestDb::sqlite().await.unwrap();
    every_change_is_seen_at_the_next_read(&t.db).await;
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_every_change_is_seen_at_the_next_read() {
    let Some(t) = TestDb::postgres().await.unwrap() else { return };
    every_change_is_seen_at_the_next_read(&t.db).await;
    t.finish().await;
}

/// Asks node `db` until `ok` holds for its context (the other node's change has to arrive as a notification).
async fn eventually(db: &Database, f: &Fixture, d: DossierId, what: &str, ok: impl Fn(&DossierContext) -> bool) {
    for _ in 0..100 {
        if ok(&db.dossier_context(&f.tenant, d).await.unwrap()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the other node did not see it within two seconds: {what}");
}

/// Two nodes on one PostgreSQL database: what one node changes, the other sees, although it keeps contexts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_change_on_one_node_is_seen_by_the_other() {
    let Some(t) = TestDb::postgres().await.unwrap() else { return };
    let a = &t.db;
    let b = Database::connect(&t.url).await.unwrap();
    let listener = b.listen_for_changes().await.unwrap().unwrap();
    assert!(lookups_turn_on(&b).await, "node B keeps lookups");
    let f = suite::fixture(a, "Alpha").await;
    let d = suite::open_dossier(a, &f).await;
    let partner = a.create_user(&f.tenant, suite::new_user("jgz@alpha")).await.unwrap();
    kept(&b, &f, d).await;

    a.apply_batch(&[append(&f, d, 1)]).await.unwrap().pop().unwrap().unwrap();
    eventually(&b, &f, d, "an append", |c| c.dossier.last_seq == 2).await;
    kept(&b, &f, d).await;
    let made = a.create_share(&f.tenant, share(&f, d, partner.id)).await.unwrap();
    eventually(&b, &f, d, "a share", |c| c.shares.len() == 1).await;
    kept(&b, &f, d).await;
    a.revoke_share(&f.tenant, made.id, T0).await.unwrap();
    eventually(&b, &f, d, "a revoked share", |c| c.shares[0].revoked_at.is_some()).await;
    kept(&b, &f, d).await;
    a.save_route_map(&f.tenant, route_map(&f, None)).await.unwrap();
    eventually(&b, &f, d, "a route map version", |c| c.route_map_version == Some(1)).await;

    // Pupils and locations are not changed by meldroute today; a change by hand is heard all the same.
    kept(&b, &f, d).await;
    let Database::Postgres(pg) = a else { unreachable!() };
    sqlx::query("UPDATE pupils SET first_name = 'Noor' WHERE id = $1")
        .bind(f.pupil.id.0)
        .execute(pg.pool())
        .await
        .unwrap();
    eventually(&b, &f, d, "a renamed pupil", |c| c.pupil.first_name == "Noor").await;
    kept(&b, &f, d).await;
    sqlx::query("UPDATE locations SET name = 'De Eik' WHERE id = $1")
        .bind(f.location.id.0)
        .execute(pg.pool())
        .await
        .unwrap();
    eventually(&b, &f, d, "a renamed location", |c| c.location.name == "De Eik").await;

    listener.abort();
    b.close().await;
    t.finish().await;
}
