//! The tamper-evident audit chain on both backends: concurrent appends verify intact (also from two store
//! instances, standing in for two nodes), verification sees a consistent snapshot while writes go on, an
//! unkeyed store never writes an audit row, and every kind of tampering done by hand in SQL is detected and
//! the first bad entry named.

// Test code: failing loudly is its job (the helpers below are not `#[test]` functions themselves).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use meldroute_database::Database;
use meldroute_database::audit::{AuditKey, VerifyError, VerifyReport};
use meldroute_store::*;
use meldroute_store_tests::{TestDb, test_audit_key};
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-03-02 09:00:00.123456789 UTC);

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let t = TestDb::sqlite().await.unwrap();
                    super::$name(&t).await;
                    t.finish().await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(t) = TestDb::postgres().await.unwrap() else { return };
                    super::$name(&t).await;
                    t.finish().await;
                }
            )*
        }
    };
}

both_backends!(
    concurrent_writes_from_two_nodes_verify_intact,
    verification_during_writes_sees_a_consistent_snapshot,
    an_unkeyed_store_refuses_audit_writes,
    an_altered_field_is_named,
    a_deleted_middle_row_is_named,
    a_forged_row_at_the_end_is_named,
    a_forged_row_in_the_middle_is_named,
    swapped_rows_are_named,
    a_truncated_tail_is_named,
    a_rewound_head_is_refused_and_blocks_further_writes,
    a_wrong_key_is_reported,
);

fn event(n: i64) -> NewAuditEvent {
    NewAuditEvent {
        at: T0 + time::Duration::milliseconds(n),
        org: Some(OrgId(1 + n % 3)),
        actor: Some(UserId(100 + n)),
        on_behalf_of: (n % 4 == 0).then_some(UserId(7)),
        pupil: Some(PupilId(200 + n % 5)),
        dossier: (n % 2 == 0).then_some(DossierId(300 + n % 7)),
        action: "dossier.read".into(),
        outcome: "allowed".into(),
        source: format!("192.0.2.{}", n % 250),
    }
}

/// Writes `n` audit events one after the other through the group-commit writer.
async fn seed(db: &Database, n: i64) {
    let (writer, task) = db.spawn_writer();
    for i in 1..=n {
        assert_eq!(writer.submit(WriteOp::Audit(event(i))).await.unwrap(), WriteOutcome::Audited { seq: i });
    }
    drop(writer);
    task.await.unwrap();
}

/// Runs SQL by hand, as an attacker with database access would (bypassing the application).
async fn tamper(db: &Database, statements: &[&str]) {
    for sql in statements {
        match db {
            Database::Sqlite(s) => sqlx::query(sql).execute(s.pool()).await.map(|_| ()),
            Database::Postgres(p) => sqlx::query(sql).execute(p.pool()).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("tampering statement failed: {sql}: {e}"));
    }
}

async fn intact(db: &Database) -> VerifyReport {
    match db.verify_audit(&test_audit_key()).await {
        Ok(report) => report,
        Err(e) => panic!("expected an intact audit log, got: {e}"),
    }
}

/// Asserts verification fails at `seq` and returns the problem text.
async fn broken_at(db: &Database, seq: i64) -> String {
    match db.verify_audit(&test_audit_key()).await {
        Err(VerifyError::Broken(b)) => {
            assert_eq!(b.seq, seq, "wrong first bad entry: {b}");
            assert_eq!(b.to_string(), format!("audit log broken at entry {seq}: {}", b.problem));
            b.problem
        }
        other => panic!("expected a break at entry {seq}, got {other:?}"),
    }
}

async fn concurrent_writes_from_two_nodes_verify_intact(t: &TestDb) {
    const TASKS: i64 = 8;
    const PER_TASK: i64 = 40;
    // A second store instance on the same database stands in for a second meldroute node.
    let other_node = Database::connect(&t.url).await.unwrap().with_audit_key(test_audit_key());
    let writers = [t.db.spawn_writer(), other_node.spawn_writer()];
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let writer = writers[(task % 2) as usize].0.clone();
        handles.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..PER_TASK {
                match writer.submit(WriteOp::Audit(event(task * 1000 + i))).await.unwrap() {
                    WriteOutcome::Audited { seq } => seqs.push(seq),
                    other => panic!("unexpected {other:?}"),
                }
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        let seqs = h.await.unwrap();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "one writer's events out of order: {seqs:?}");
        all.extend(seqs);
    }
    for (writer, task) in writers {
        drop(writer);
        task.await.unwrap();
    }
    other_node.close().await;
    all.sort_unstable();
    let n = TASKS * PER_TASK;
    assert_eq!(all, (1..=n).collect::<Vec<_>>(), "sequence numbers must be gap-free and unique");

    let report = intact(&t.db).await;
    assert_eq!(report.entries, n as u64);
    assert_eq!(report.last_seq, n);
    let head = t.db.audit_head().await.unwrap().unwrap();
    assert_eq!(head.last_seq, n);
    assert_eq!(head.last_hash, report.head_hash.to_vec());
    let rows = t.db.audit_chain_rows().await.unwrap();
    assert_eq!(rows.len() as i64, n);
    assert!(rows.iter().all(|r| r.hash.as_ref().is_some_and(|h| h.len() == 32)));
    // The stored time is exactly the hashed one: UTC, whole microseconds.
    assert_eq!(rows[0].entry.event.at.nanosecond() % 1000, 0);
}

async fn verification_during_writes_sees_a_consistent_snapshot(t: &TestDb) {
    seed(&t.db, 5).await;
    let (writer, task) = t.db.spawn_writer();
    let writing = tokio::spawn(async move {
        for i in 0..300 {
            writer.submit(WriteOp::Audit(event(i))).await.unwrap();
        }
        drop(writer);
    });
    // Verifications racing the writes never raise a false alarm (e.g. a head ahead of the rows read).
    let mut last = 0;
    while !writing.is_finished() {
        let report = intact(&t.db).await;
        assert!(report.last_seq >= last);
        last = report.last_seq;
    }
    writing.await.unwrap();
    task.await.unwrap();
    assert_eq!(intact(&t.db).await.entries, 305);
}

async fn an_unkeyed_store_refuses_audit_writes(t: &TestDb) {
    seed(&t.db, 2).await;
    let unkeyed = Database::connect(&t.url).await.unwrap();
    assert!(!unkeyed.has_audit_key());
    let results = unkeyed.apply_batch(&[WriteOp::Audit(event(3))]).await.unwrap();
    let err = results.into_iter().next().unwrap().unwrap_err();
    assert!(err.to_string().contains("no audit key"), "{err}");
    // Through the writer the request fails too, and nothing was written.
    let (writer, task) = unkeyed.spawn_writer();
    assert!(writer.submit(WriteOp::Audit(event(4))).await.is_err());
    drop(writer);
    task.await.unwrap();
    unkeyed.close().await;
    assert_eq!(intact(&t.db).await.entries, 2);
}

async fn an_altered_field_is_named(t: &TestDb) {
    seed(&t.db, 10).await;
    tamper(&t.db, &["UPDATE audit_log SET actor_id = 999 WHERE seq = 6"]).await;
    let problem = broken_at(&t.db, 6).await;
    assert!(problem.contains("altered"), "{problem}");
    tamper(&t.db, &["UPDATE audit_log SET actor_id = 106 WHERE seq = 6"]).await;
    intact(&t.db).await;
    // Earlier rows are reported first.
    tamper(
        &t.db,
        &[
            "UPDATE audit_log SET outcome = 'denied' WHERE seq = 8",
            "UPDATE audit_log SET pupil_id = NULL WHERE seq = 3",
        ],
    )
    .await;
    broken_at(&t.db, 3).await;
}

async fn a_deleted_middle_row_is_named(t: &TestDb) {
    seed(&t.db, 10).await;
    tamper(&t.db, &["DELETE FROM audit_log WHERE seq = 5"]).await;
    let problem = broken_at(&t.db, 5).await;
    assert!(problem.contains("missing"), "{problem}");
}

async fn a_forged_row_at_the_end_is_named(t: &TestDb) {
    seed(&t.db, 10).await;
    // A plausible copy of the last row, linked to it, with a made-up hash (the key is not in the database).
    tamper(
        &t.db,
        &["INSERT INTO audit_log (seq, at, org_id, actor_id, on_behalf_of, pupil_id, dossier_id, action, outcome, source, prev_hash, hash) \
           SELECT 11, at, org_id, actor_id, on_behalf_of, pupil_id, dossier_id, 'login.ok', outcome, source, hash, hash \
           FROM audit_log WHERE seq = 10"],
    )
    .await;
    let problem = broken_at(&t.db, 11).await;
    assert!(problem.contains("forged"), "{problem}");
}

async fn a_forged_row_in_the_middle_is_named(t: &TestDb) {
    seed(&t.db, 10).await;
    // Make room at 5 by renumbering 5..=10 to 6..=11 (through negative values to keep the key unique), then
    // insert the forgery there.
    tamper(
        &t.db,
        &[
            "UPDATE audit_log SET seq = -seq WHERE seq >= 5",
            "UPDATE audit_log SET seq = 1 - seq WHERE seq < 0",
            "INSERT INTO audit_log (seq, at, org_id, actor_id, on_behalf_of, pupil_id, dossier_id, action, outcome, source, prev_hash, hash) \
             SELECT 5, at, org_id, actor_id, on_behalf_of, pupil_id, dossier_id, 'dossier.read', outcome, source, hash, hash \
             FROM audit_log WHERE seq = 4",
        ],
    )
    .await;
    broken_at(&t.db, 5).await;
}

async fn swapped_rows_are_named(t: &TestDb) {
    seed(&t.db, 10).await;
    tamper(
        &t.db,
        &[
            "UPDATE audit_log SET seq = -1 WHERE seq = 3",
            "UPDATE audit_log SET seq = 3 WHERE seq = 7",
            "UPDATE audit_log SET seq = 7 WHERE seq = -1",
        ],
    )
    .await;
    broken_at(&t.db, 3).await;
    // Swapping the whole content (keeping the sequence numbers) is the same thing seen differently.
    let t2 = fresh_like(t).await;
    seed(&t2.db, 10).await;
    tamper(
        &t2.db,
        &["UPDATE audit_log SET actor_id = CASE seq WHEN 4 THEN 105 ELSE 104 END, \
           source = CASE seq WHEN 4 THEN '192.0.2.5' ELSE '192.0.2.4' END WHERE seq IN (4, 5)"],
    )
    .await;
    broken_at(&t2.db, 4).await;
    t2.finish().await;
}

async fn a_truncated_tail_is_named(t: &TestDb) {
    seed(&t.db, 10).await;
    tamper(&t.db, &["DELETE FROM audit_log WHERE seq = 10"]).await;
    let problem = broken_at(&t.db, 10).await;
    assert!(problem.contains("ends early"), "{problem}");
    tamper(&t.db, &["DELETE FROM audit_log WHERE seq >= 7"]).await;
    broken_at(&t.db, 7).await;
    tamper(&t.db, &["DELETE FROM audit_log"]).await;
    broken_at(&t.db, 1).await;
}

async fn a_rewound_head_is_refused_and_blocks_further_writes(t: &TestDb) {
    seed(&t.db, 10).await;
    // Cut the last row and move the head back to match: the head's seal no longer checks out.
    tamper(
        &t.db,
        &[
            "DELETE FROM audit_log WHERE seq = 10",
            "UPDATE audit_chain_head SET last_seq = 9, last_hash = (SELECT hash FROM audit_log WHERE seq = 9) WHERE id = 1",
        ],
    )
    .await;
    let problem = broken_at(&t.db, 10).await;
    assert!(problem.contains("seal"), "{problem}");
    // Appending would re-seal the tampered state, so the application refuses to audit (and so to serve).
    let results = t.db.apply_batch(&[WriteOp::Audit(event(11))]).await.unwrap();
    assert!(results[0].is_err());
    broken_at(&t.db, 10).await;
    // Resetting the head to "new chain" does not pass either; removing it neither.
    tamper(&t.db, &["UPDATE audit_chain_head SET last_seq = 0, mac = NULL, last_hash = (SELECT prev_hash FROM audit_log WHERE seq = 1) WHERE id = 1"])
        .await;
    broken_at(&t.db, 1).await;
    tamper(&t.db, &["DELETE FROM audit_chain_head"]).await;
    let problem = broken_at(&t.db, 10).await;
    assert!(problem.contains("head is missing"), "{problem}");
    assert!(t.db.apply_batch(&[WriteOp::Audit(event(12))]).await.unwrap()[0].is_err());
}

async fn a_wrong_key_is_reported(t: &TestDb) {
    seed(&t.db, 3).await;
    let wrong = Arc::new(AuditKey::from_bytes([1; 32]));
    match t.db.verify_audit(&wrong).await {
        Err(VerifyError::Broken(b)) => {
            assert_eq!(b.seq, 1);
            assert!(b.problem.contains("key"), "{b}");
        }
        other => panic!("{other:?}"),
    }
    // A store with another key refuses to extend this log.
    let other = t.db.clone().with_audit_key(wrong);
    assert!(other.apply_batch(&[WriteOp::Audit(event(4))]).await.unwrap()[0].is_err());
    intact(&t.db).await;
}

/// Another fresh database on the same backend as `t`.
async fn fresh_like(t: &TestDb) -> TestDb {
    match t.db {
        Database::Sqlite(_) => TestDb::sqlite().await.unwrap(),
        Database::Postgres(_) => TestDb::postgres().await.unwrap().unwrap(),
    }
}
