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

fn point(f: &suite::Fixture, session: TeamSessionId, participant: ParticipantId, seq: i64, text: &str) -> WriteOp {
    WriteOp::TeamPoint { tenant: f.tenant, session, participant, seq, level: "team".into(), text: text.into() }
}

fn dot(f: &suite::Fixture, session: TeamSessionId, participant: ParticipantId, point: i64, slot: i64) -> WriteOp {
    WriteOp::TeamDot { tenant: f.tenant, session, participant, point, slot }
}

fn new_action(f: &suite::Fixture, session: TeamSessionId, point: Option<i64>) -> NewTeamAction {
    NewTeamAction {
        session,
        point,
        text: "Signalen vast bespreken".into(),
        level: "team".into(),
        owner: f.user.id,
        planned_on: time::macros::date!(2026 - 12 - 01),
        created_by: f.user.id,
        created_at: T0,
    }
}

async fn points_dots_and_actions(db: &Database) {
    let f = suite::fixture(db, "team-f").await;
    let s = db.create_team_session(&f.tenant, new_session(&f, "BCDEFG")).await.unwrap();
    let other = db.create_team_session(&f.tenant, new_session(&f, "BCDEFH")).await.unwrap();
    let p1 = db.add_team_participant(&f.tenant, s.id, "pd-1").await.unwrap();
    let p2 = db.add_team_participant(&f.tenant, s.id, "pd-2").await.unwrap();
    let stranger = db.add_team_participant(&f.tenant, other.id, "pd-3").await.unwrap();

    // Points: a seq is taken once, the same text twice by one participant counts once, another participant
    // may post the same text; a participant of another session cannot post here.
    let results = db
        .apply_batch(&[
            point(&f, s.id, p1, 0, "Vaste bespreking"),
            point(&f, s.id, p1, 0, "Iets anders"),
            point(&f, s.id, p1, 1, "Vaste bespreking"),
            point(&f, s.id, p2, 0, "Vaste bespreking"),
            point(&f, s.id, stranger, 0, "Van elders"),
        ])
        .await
        .unwrap();
    let first = match results[0] {
        Ok(WriteOutcome::TeamPointPosted { id }) => id,
        ref r => panic!("{r:?}"),
    };
    assert!(matches!(results[1], Err(StoreError::Conflict(_))), "{results:?}");
    assert!(matches!(results[2], Err(StoreError::Conflict(_))), "{results:?}");
    let second = match results[3] {
        Ok(WriteOutcome::TeamPointPosted { id }) => id,
        ref r => panic!("{r:?}"),
    };
    assert!(matches!(results[4], Err(StoreError::NotFound)), "{results:?}");
    let points = db.list_team_points(&f.tenant, s.id).await.unwrap();
    assert_eq!(points.iter().map(|p| (p.id, p.participant)).collect::<Vec<_>>(), vec![(first, p1), (second, p2)]);
    assert_eq!((points[0].level.as_str(), points[0].text.as_str()), ("team", "Vaste bespreking"));
    // A level the schema does not know is refused.
    let bad = WriteOp::TeamPoint {
        tenant: f.tenant,
        session: s.id,
        participant: p2,
        seq: 1,
        level: "school".into(),
        text: "x".into(),
    };
    assert!(db.apply_batch(&[bad]).await.unwrap()[0].is_err());

    // Dots: one per slot, on a point of this session only; several on one point are fine.
    let results = db
        .apply_batch(&[
            dot(&f, s.id, p1, first, 0),
            dot(&f, s.id, p1, first, 1),
            dot(&f, s.id, p1, second, 1),
            dot(&f, s.id, p2, first, 0),
            dot(&f, s.id, p2, 999_999, 1),
        ])
        .await
        .unwrap();
    assert!(matches!(results[0], Ok(WriteOutcome::TeamDotPlaced)), "{results:?}");
    assert!(matches!(results[1], Ok(WriteOutcome::TeamDotPlaced)), "{results:?}");
    assert!(matches!(results[2], Err(StoreError::Conflict(_))), "{results:?}");
    assert!(matches!(results[3], Ok(WriteOutcome::TeamDotPlaced)), "{results:?}");
    assert!(matches!(results[4], Err(StoreError::NotFound)), "{results:?}");
    let dots = db.list_team_dots(&f.tenant, s.id).await.unwrap();
    assert_eq!(dots.iter().filter(|d| d.point == first).count(), 3);
    assert_eq!(dots.iter().filter(|d| d.participant == p1).count(), 2);
    assert!(db.list_team_dots(&f.tenant, other.id).await.unwrap().is_empty());

    // Actions: at the session's location, one per point; done once.
    let made = db
        .apply_batch(&[WriteOp::TeamActionCreate { tenant: f.tenant, action: new_action(&f, s.id, Some(first)) }])
        .await
        .unwrap();
    let action = match made[0] {
        Ok(WriteOutcome::TeamActionCreated { id }) => id,
        ref r => panic!("{r:?}"),
    };
    let again = db
        .apply_batch(&[WriteOp::TeamActionCreate { tenant: f.tenant, action: new_action(&f, s.id, Some(first)) }])
        .await
        .unwrap();
    assert!(matches!(again[0], Err(StoreError::Conflict(_))), "{again:?}");
    // A point of another session is refused.
    let cross = db
        .apply_batch(&[WriteOp::TeamActionCreate { tenant: f.tenant, action: new_action(&f, other.id, Some(second)) }])
        .await
        .unwrap();
    assert!(matches!(cross[0], Err(StoreError::NotFound)), "{cross:?}");
    let free = db
        .apply_batch(&[WriteOp::TeamActionCreate { tenant: f.tenant, action: new_action(&f, other.id, None) }])
        .await
        .unwrap();
    assert!(matches!(free[0], Ok(WriteOutcome::TeamActionCreated { .. })), "{free:?}");

    let a = db.get_team_action(&f.tenant, action).await.unwrap();
    assert_eq!(
        (a.location, a.session, a.point, a.owner, a.state.as_str()),
        (f.location.id, s.id, Some(first), f.user.id, "open")
    );
    assert_eq!(a.planned_on, time::macros::date!(2026 - 12 - 01));
    assert_eq!(db.list_team_actions(&f.tenant, f.location.id).await.unwrap().len(), 2);
    assert_eq!(db.list_session_team_actions(&f.tenant, s.id).await.unwrap().len(), 1);
    assert_eq!(db.list_owned_team_actions(&f.tenant, f.user.id).await.unwrap().len(), 2);

    let done = |id| WriteOp::TeamActionDone { tenant: f.tenant, action: id, by: f.user.id, at: T0 };
    let results = db.apply_batch(&[done(action), done(action), done(999_999)]).await.unwrap();
    assert!(matches!(results[0], Ok(WriteOutcome::TeamActionDone)), "{results:?}");
    assert!(matches!(results[1], Err(StoreError::Conflict(_))), "{results:?}");
    assert!(matches!(results[2], Err(StoreError::NotFound)), "{results:?}");
    let a = db.get_team_action(&f.tenant, action).await.unwrap();
    assert_eq!((a.state.as_str(), a.done_at, a.done_by), ("done", Some(T0), Some(f.user.id)));

    // Another tenant sees none of it and changes none of it.
    let b = suite::fixture(db, "team-g").await;
    assert!(matches!(db.get_team_action(&b.tenant, action).await, Err(StoreError::NotFound)));
    assert!(db.list_team_actions(&b.tenant, f.location.id).await.unwrap().is_empty());
    assert!(db.list_team_points(&b.tenant, s.id).await.unwrap().is_empty());
    let results = db
        .apply_batch(&[
            WriteOp::TeamActionDone { tenant: b.tenant, action, by: b.user.id, at: T0 },
            WriteOp::TeamActionCreate { tenant: b.tenant, action: new_action(&b, s.id, None) },
            WriteOp::TeamDot { tenant: b.tenant, session: s.id, participant: p2, point: first, slot: 1 },
        ])
        .await
        .unwrap();
    assert!(results.iter().all(|r| matches!(r, Err(StoreError::NotFound))), "{results:?}");
}

async fn groups_and_worksheets(db: &Database) {
    let f = suite::fixture(db, "team-h").await;
    let s = db.create_team_session(&f.tenant, new_session(&f, "GHJKLM")).await.unwrap();
    let other = db.create_team_session(&f.tenant, new_session(&f, "GHJKLN")).await.unwrap();
    let p: Vec<ParticipantId> = futures_join(db, &f, s.id, 3).await;
    let stranger = db.add_team_participant(&f.tenant, other.id, "gw-x").await.unwrap();
    let create = |participant, name: &str| WriteOp::TeamGroupCreate {
        tenant: f.tenant,
        session: s.id,
        participant,
        name: name.into(),
        case_index: 1,
    };
    let results =
        db.apply_batch(&[create(p[0], "Groep A"), create(p[1], "Groep A"), create(p[0], "Groep B")]).await.unwrap();
    let group = match results[0] {
        Ok(WriteOutcome::TeamGroupCreated { id }) => id,
        ref r => panic!("{r:?}"),
    };
    assert!(matches!(results[1], Err(StoreError::Conflict(_))), "a name once per session: {results:?}");
    assert!(matches!(results[2], Err(StoreError::Conflict(_))), "one group per participant: {results:?}");
    assert_eq!(db.list_team_groups(&f.tenant, s.id).await.unwrap().len(), 1, "the refused group left nothing behind");
    let join = |participant, seat| WriteOp::TeamGroupJoin { tenant: f.tenant, session: s.id, group, participant, seat };
    let results = db
        .apply_batch(&[
            join(p[1], 1),
            join(p[2], 1),
            join(p[2], 2),
            WriteOp::TeamGroupJoin { tenant: f.tenant, session: other.id, group, participant: stranger, seat: 3 },
        ])
        .await
        .unwrap();
    assert!(matches!(results[0], Ok(WriteOutcome::TeamGroupJoined)), "{results:?}");
    assert!(matches!(results[1], Err(StoreError::Conflict(_))), "a seat once: {results:?}");
    assert!(matches!(results[2], Ok(WriteOutcome::TeamGroupJoined)), "{results:?}");
    assert!(matches!(results[3], Err(StoreError::NotFound)), "a group of another session: {results:?}");
    let members = db.list_team_group_members(&f.tenant, s.id).await.unwrap();
    assert_eq!(members.iter().map(|m| m.participant).collect::<Vec<_>>(), p);

    let field = |participant, text: &str, expected_version| WriteOp::TeamGroupField {
        tenant: f.tenant,
        session: s.id,
        group,
        participant,
        step: 0,
        field: "positives".into(),
        text: text.into(),
        expected_version,
    };
    let results = db
        .apply_batch(&[
            field(p[0], "Eerste", 0),
            field(p[1], "Tegelijk", 0),
            field(p[1], "Tweede", 1),
            field(p[2], "Oud", 1),
            field(stranger, "Van buiten", 2),
        ])
        .await
        .unwrap();
    assert!(matches!(results[0], Ok(WriteOutcome::TeamFieldSaved { version: 1 })), "{results:?}");
    assert!(matches!(results[1], Err(StoreError::Conflict(_))), "{results:?}");
    assert!(matches!(results[2], Ok(WriteOutcome::TeamFieldSaved { version: 2 })), "{results:?}");
    assert!(matches!(results[3], Err(StoreError::Conflict(_))), "a stale version: {results:?}");
    assert!(matches!(results[4], Err(StoreError::NotFound)), "not a member: {results:?}");
    let fields = db.list_team_group_fields(&f.tenant, s.id).await.unwrap();
    assert_eq!(fields.len(), 1);
    assert_eq!(
        (fields[0].step, fields[0].field.as_str(), fields[0].text.as_str(), fields[0].version),
        (0, "positives", "Tweede", 2)
    );
    let bad = WriteOp::TeamGroupField {
        tenant: f.tenant,
        session: s.id,
        group,
        participant: p[0],
        step: 0,
        field: "names".into(),
        text: "x".into(),
        expected_version: 0,
    };
    assert!(db.apply_batch(&[bad]).await.unwrap()[0].is_err(), "a field the schema does not know");
    // Another tenant reads none of it.
    let b = suite::fixture(db, "team-i").await;
    assert!(db.list_team_groups(&b.tenant, s.id).await.unwrap().is_empty());
    assert!(db.list_team_group_members(&b.tenant, s.id).await.unwrap().is_empty());
    assert!(db.list_team_group_fields(&b.tenant, s.id).await.unwrap().is_empty());
    let results = db
        .apply_batch(&[WriteOp::TeamGroupField {
            tenant: b.tenant,
            session: s.id,
            group,
            participant: p[0],
            step: 1,
            field: "attention".into(),
            text: "x".into(),
            expected_version: 0,
        }])
        .await
        .unwrap();
    assert!(matches!(results[0], Err(StoreError::NotFound)), "{results:?}");
}

async fn futures_join(db: &Database, f: &suite::Fixture, session: TeamSessionId, n: usize) -> Vec<ParticipantId> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(db.add_team_participant(&f.tenant, session, &format!("gw-{session}-{i}")).await.unwrap());
    }
    out
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
    tenants_are_isolated,
    points_dots_and_actions,
    groups_and_worksheets
);
