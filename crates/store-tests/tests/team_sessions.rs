//! Team learning sessions on both backends: create and find by code, optimistic updates, anonymous
//! participants, one answer per participant per question through the writer, tenant isolation.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use meldroute_database::Database;
use meldroute_store::*;
use meldroute_store_tests::{TestDb, suite};
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn new_session(f: &suite::Fixture, code: &str) -> NewTeamSession {
    NewTeamSession {
        location: f.location.id,
        join_code: code.into(),
        plan: "{\"plan\":1}".into(),
        state: "{\"phase\":\"draft\"}".into(),
        follow_up_of: None,
        created_by: f.user.id,
        created_at: T0,
    }
}

fn answer(f: &suite::Fixture, session: TeamSessionId, participant: ParticipantId, question: i64) -> WriteOp {
    WriteOp::TeamAnswer { tenant: f.tenant, session, participant, question, value: "{\"choice\":2}".into() }
}

async fn create_find_update(db: &Database) {
    let f = suite::fixture(db, "team-a").await;
    let s = db.create_team_session(&f.tenant, new_session(&f, "ABCDEF")).await.unwrap();
    assert_eq!((s.phase.as_str(), s.version, s.org, s.location), ("draft", 1, f.tenant.org, f.location.id));
    assert_eq!(db.get_team_session(&f.tenant, s.id).await.unwrap(), s);
    assert_eq!(db.find_team_session_by_code("ABCDEF").await.unwrap(), Some(s.clone()));
    assert_eq!(db.find_team_session_by_code("ABCDEG").await.unwrap(), None);
    // A join code is never handed out twice.
    let again = db.create_team_session(&f.tenant, new_session(&f, "ABCDEF")).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

    let update = |v: i64, phase: &str| TeamSessionUpdate {
        expected_version: v,
        phase: phase.into(),
        plan: "{\"plan\":2}".into(),
        state: format!("{{\"phase\":\"{phase}\"}}"),
    };
    let s2 = db.update_team_session(&f.tenant, s.id, update(1, "running")).await.unwrap();
    assert_eq!((s2.phase.as_str(), s2.version, s2.plan.as_str()), ("running", 2, "{\"plan\":2}"));
    // A stale version changes nothing.
    let stale = db.update_team_session(&f.tenant, s.id, update(1, "closed")).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    assert_eq!(db.get_team_session(&f.tenant, s.id).await.unwrap().phase, "running");
    // A phase the schema does not know is refused.
    assert!(db.update_team_session(&f.tenant, s.id, update(2, "paused")).await.is_err());

    let follow = db
        .create_team_session(&f.tenant, NewTeamSession { follow_up_of: Some(s.id), ..new_session(&f, "GHJKMN") })
        .await
        .unwrap();
    let listed: Vec<_> =
        db.list_team_sessions(&f.tenant, f.location.id).await.unwrap().into_iter().map(|x| x.id).collect();
    assert_eq!(listed, vec![follow.id, s.id], "newest first");
}

async fn participants_answer_once(db: &Database) {
    let f = suite::fixture(db, "team-b").await;
    let s = db.create_team_session(&f.tenant, new_session(&f, "PQRSTU")).await.unwrap();
    let p1 = db.add_team_participant(&f.tenant, s.id, "hash-1").await.unwrap();
    let p2 = db.add_team_participant(&f.tenant, s.id, "hash-2").await.unwrap();
    assert_ne!(p1, p2);
    assert_eq!(db.find_team_participant(&f.tenant, s.id, "hash-1").await.unwrap(), Some(p1));
    assert_eq!(db.find_team_participant(&f.tenant, s.id, "hash-3").await.unwrap(), None);
    assert_eq!(db.count_team_participants(&f.tenant, s.id).await.unwrap(), 2);
    // A token hash belongs to one participant only.
    assert!(matches!(db.add_team_participant(&f.tenant, s.id, "hash-1").await, Err(StoreError::Conflict(_))));

    // In one batch: the second answer of p1 to question 0 is refused, its neighbours are kept.
    let results = db
        .apply_batch(&[
            answer(&f, s.id, p1, 0),
            answer(&f, s.id, p1, 0),
            answer(&f, s.id, p2, 0),
            answer(&f, s.id, p1, 1),
        ])
        .await
        .unwrap();
    assert!(matches!(results[0], Ok(WriteOutcome::TeamAnswered)), "{results:?}");
    assert!(matches!(results[1], Err(StoreError::Conflict(_))), "{results:?}");
    assert!(matches!(results[2], Ok(WriteOutcome::TeamAnswered)), "{results:?}");
    assert!(matches!(results[3], Ok(WriteOutcome::TeamAnswered)), "{results:?}");
    let answers = db.list_team_answers(&f.tenant, s.id).await.unwrap();
    let got: Vec<_> = answers.iter().map(|a| (a.participant, a.question)).collect();
    assert_eq!(got, vec![(p1, 0), (p2, 0), (p1, 1)]);
    assert_eq!(answers[0].value, "{\"choice\":2}");
}

async fn many_concurrent_answers_through_the_writer(db: &Database) {
    let f = suite::fixture(db, "team-c").await;
    let s = db.create_team_session(&f.tenant, new_session(&f, "VWXYZ2")).await.unwrap();
    let (writer, task) = db.spawn_writer();
    let mut handles = Vec::new();
    for i in 0..100 {
        let p = db.add_team_participant(&f.tenant, s.id, &format!("h{i}")).await.unwrap();
        let writer = writer.clone();
        let op = answer(&f, s.id, p, 0);
        let op2 = op.clone();
        handles.push(tokio::spawn(async move { (writer.submit(op).await, writer.submit(op2).await) }));
    }
    let mut ok = 0;
    for h in handles {
        let (first, second) = h.await.unwrap();
        assert!(matches!(first, Ok(WriteOutcome::TeamAnswered)), "{first:?}");
        assert!(matches!(second, Err(StoreError::Conflict(_))), "{second:?}");
        ok += 1;
    }
    assert_eq!(ok, 100);
    assert_eq!(db.list_team_answers(&f.tenant, s.id).await.unwrap().len(), 100);
    drop(writer);
    task.await.unwrap();
}

async fn tenants_are_isolated(db: &Database) {
    let a = suite::fixture(db, "team-d").await;
    let b = suite::fixture(db, "team-e").await;
    let s = db.create_team_session(&a.tenant, new_session(&a, "MNPQRS")).await.unwrap();
    assert!(matches!(db.get_team_session(&b.tenant, s.id).await, Err(StoreError::NotFound)));
    assert!(db.list_team_sessions(&b.tenant, a.location.id).await.unwrap().is_empty());
    let upd =
        TeamSessionUpdate { expected_version: 1, phase: "closed".into(), plan: String::new(), state: String::new() };
    assert!(matches!(db.update_team_session(&b.tenant, s.id, upd).await, Err(StoreError::NotFound)));
    // Another tenant cannot add participants or answers to this session, nor read them.
    assert!(matches!(db.add_team_participant(&b.tenant, s.id, "x").await, Err(StoreError::NotFound)));
    let p = db.add_team_participant(&a.tenant, s.id, "y").await.unwrap();
    let results = db.apply_batch(&[answer(&b, s.id, p, 0)]).await.unwrap();
    assert!(matches!(results[0], Err(StoreError::NotFound)), "{results:?}");
    assert_eq!(db.find_team_participant(&b.tenant, s.id, "y").await.unwrap(), None);
    assert!(db.list_team_answers(&b.tenant, s.id).await.unwrap().is_empty());
    // Another location of another tenant cannot be used to create one.
    let cross = db.create_team_session(&b.tenant, new_session(&a, "QRSTUV")).await;
    assert!(matches!(cross, Err(StoreError::NotFound)), "{cross:?}");
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let t = TestDb::sqlite().await.unwrap();
                    super::$name(&t.db).await;
                    t.finish().await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(t) = TestDb::postgres().await.unwrap() else { return };
                    super::$name(&t.db).await;
                    t.finish().await;
                }
            )*
        }
    };
}

on_both!(
    create_find_update,
    participants_answer_once,
    many_concurrent_answers_through_the_writer,
    tenants_are_isolated
);
