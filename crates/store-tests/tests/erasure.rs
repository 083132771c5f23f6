//! Retention and erasure on both backends (issue 7 part 4): the retention history, proposals and requests,
//! and `WriteOp::EraseDossier`: everything of the dossier gone (entries, file bytes, notifications, shares,
//! proposal, requests, the dossier row, the pupil when no other dossier is left), the tombstone in the audit
//! log naming both people, the audit chain still verifying, other dossiers untouched, and every refusal
//! (own proposal, stale or withdrawn proposal, reopened dossier, another tenant) changing nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use meldroute_database::Database;
use meldroute_domain::Sector;
use meldroute_store::*;
use meldroute_store_tests::{TestDb, test_audit_key};
use time::OffsetDateTime;
use time::macros::{date, datetime};

const T0: OffsetDateTime = datetime!(2024-03-02 09:00 UTC);
const MARKER: &str = "ZQXJ-erasure-marker-7781";

macro_rules! both_backends {
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

both_backends!(
    retention_history_and_closed_dossiers,
    proposals_and_requests,
    erasure_removes_everything_and_leaves_a_tombstone,
    erasure_refusals_change_nothing,
    erased_ids_are_never_given_again,
);

struct World {
    t: TenantCtx,
    location: LocationId,
    af: UserId,
    director: UserId,
    pupil: PupilId,
}

async fn world(db: &Database, name: &str) -> World {
    let org =
        db.create_organisation(NewOrganisation { name: name.into(), is_demo: false, created_at: T0 }).await.unwrap();
    let t = TenantCtx::new(org.id);
    let location = db.create_location(&t, NewLocation { name: "School".into(), sector: Sector::Po }).await.unwrap().id;
    let user = |login: &str| NewUser {
        login: format!("{login}@{name}"),
        display_name: login.into(),
        email: None,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        totp_secret: None,
        lang: "nl".into(),
        created_at: T0,
    };
    let af = db.create_user(&t, user("af")).await.unwrap().id;
    let director = db.create_user(&t, user("dir")).await.unwrap().id;
    let pupil = db
        .create_pupil(
            &t,
            NewPupil {
                location,
                group: None,
                first_name: format!("Pim{MARKER}"),
                last_name: name.into(),
                date_of_birth: Some(date!(2010 - 01 - 01)),
                family: None,
                external_ref: None,
                created_at: T0,
            },
        )
        .await
        .unwrap()
        .id;
    World { t, location, af, director, pupil }
}

fn projection(closed: bool) -> DossierProjection {
    DossierProjection { step: 1, closed, urgent: false, next_due: None, closed_on: closed.then_some(T0.date()) }
}

fn entry(author: UserId, kind: &str, text: &str) -> NewEntry {
    NewEntry { recorded_at: T0, author, kind: kind.into(), payload: format!("{{\"text\":\"{text}\"}}").into_bytes() }
}

/// A dossier with an observation, a file and a closing entry (last_seq 3), closed on T0's day.
async fn closed_dossier(db: &Database, w: &World) -> DossierId {
    let r = db
        .apply_batch(&[WriteOp::OpenDossier {
            tenant: w.t,
            location: w.location,
            pupil: w.pupil,
            opened_by: w.af,
            opened_at: T0,
            first_entry: entry(w.af, "observation", MARKER),
            projection: projection(false),
        }])
        .await
        .unwrap();
    let Ok(WriteOutcome::DossierOpened { dossier, .. }) = r[0] else { panic!("{r:?}") };
    let content: std::sync::Arc<[u8]> = format!("%PDF-1.4 {MARKER}").into_bytes().into();
    let r = db
        .apply_batch(&[
            WriteOp::AppendAttachment {
                tenant: w.t,
                dossier,
                expected_last_seq: Some(1),
                entry: entry(w.af, "attachment", "file"),
                projection: projection(false),
                attachment: NewAttachment {
                    id: format!("{:032x}", dossier.0),
                    media_type: "application/pdf".into(),
                    sha256: "0".repeat(64),
                    content,
                    created_at: T0,
                },
            },
            WriteOp::AppendEntry {
                tenant: w.t,
                dossier,
                expected_last_seq: Some(2),
                entry: entry(w.af, "closing", "klaar"),
                projection: projection(true),
            },
        ])
        .await
        .unwrap();
    assert!(r.iter().all(|r| r.is_ok()), "{r:?}");
    dossier
}

async fn propose(db: &Database, w: &World, d: DossierId, by: UserId) -> ErasureProposal {
    db.propose_erasure(
        &w.t,
        NewErasureProposal {
            dossier: d,
            proposed_by: by,
            proposed_at: T0,
            reason: format!("past {MARKER}"),
            dossier_seq: 3,
        },
    )
    .await
    .unwrap()
}

fn erase(w: &World, d: DossierId, proposal: i64, by: UserId) -> WriteOp {
    WriteOp::EraseDossier {
        tenant: w.t,
        dossier: d,
        proposal,
        confirmed_by: by,
        at: datetime!(2026-03-02 10:00 UTC),
        source: "192.0.2.1".into(),
    }
}

fn count(counts: &[(String, i64)], table: &str) -> i64 {
    counts.iter().find(|(n, _)| n == table).map(|(_, c)| *c).unwrap()
}

async fn retention_history_and_closed_dossiers(db: &Database) {
    let w = world(db, "Alpha").await;
    let other = world(db, "Beta").await;
    assert!(db.retention_history(&w.t).await.unwrap().is_empty(), "no default period");
    for (months, at) in [(24, T0), (60, T0 + time::Duration::days(1))] {
        db.set_retention(&w.t, RetentionSetting { months, basis: "besluit".into(), set_by: w.af, set_at: at })
            .await
            .unwrap();
    }
    let history = db.retention_history(&w.t).await.unwrap();
    assert_eq!(history.iter().map(|s| s.months).collect::<Vec<_>>(), vec![60, 24], "newest first");
    assert!(db.retention_history(&other.t).await.unwrap().is_empty(), "per organisation");
    // A user of another organisation cannot set this one's period.
    let err =
        db.set_retention(&w.t, RetentionSetting { months: 1, basis: "x".into(), set_by: other.af, set_at: T0 }).await;
    assert!(err.is_err());

    let d = closed_dossier(db, &w).await;
    let stored = db.get_dossier(&w.t, d).await.unwrap();
    assert_eq!(stored.projection.closed_on, Some(T0.date()));
    let listed = db.closed_dossiers(&w.t, T0.date()).await.unwrap();
    assert_eq!(listed, vec![ClosedDossier { dossier: d, location: w.location, pupil: w.pupil, closed_on: T0.date() }]);
    assert!(db.closed_dossiers(&w.t, T0.date().previous_day().unwrap()).await.unwrap().is_empty());
    assert!(db.closed_dossiers(&other.t, T0.date()).await.unwrap().is_empty(), "tenant isolated");
}

async fn proposals_and_requests(db: &Database) {
    let w = world(db, "Alpha").await;
    let other = world(db, "Beta").await;
    let d = closed_dossier(db, &w).await;
    let p = propose(db, &w, d, w.af).await;
    assert_eq!((p.dossier, p.proposed_by, p.dossier_seq), (d, w.af, 3));
    assert_eq!(db.erasure_proposal(&w.t, d).await.unwrap(), Some(p.clone()));
    assert_eq!(db.erasure_proposals(&w.t).await.unwrap(), vec![p.clone()]);
    // One proposal per dossier.
    let again = db
        .propose_erasure(
            &w.t,
            NewErasureProposal {
                dossier: d,
                proposed_by: w.director,
                proposed_at: T0,
                reason: "r".into(),
                dossier_seq: 3,
            },
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    // Another tenant sees nothing and cannot withdraw or propose on it.
    assert!(db.erasure_proposals(&other.t).await.unwrap().is_empty());
    assert!(matches!(db.withdraw_erasure(&other.t, d, p.id).await, Err(StoreError::NotFound)));
    let foreign = db
        .propose_erasure(
            &other.t,
            NewErasureProposal {
                dossier: d,
                proposed_by: other.af,
                proposed_at: T0,
                reason: "r".into(),
                dossier_seq: 3,
            },
        )
        .await;
    assert!(matches!(foreign, Err(StoreError::NotFound)), "{foreign:?}");
    // Withdrawing twice: the second finds nothing.
    db.withdraw_erasure(&w.t, d, p.id).await.unwrap();
    assert!(matches!(db.withdraw_erasure(&w.t, d, p.id).await, Err(StoreError::NotFound)));
    assert_eq!(db.erasure_proposal(&w.t, d).await.unwrap(), None);

    let r = db
        .record_erasure_request(
            &w.t,
            NewErasureRequest {
                dossier: d,
                requester: "parent".into(),
                received_on: date!(2026 - 02 - 01),
                decision: "refused".into(),
                reason: "still needed".into(),
                decided_by: w.director,
                recorded_at: T0,
            },
        )
        .await
        .unwrap();
    assert_eq!(db.erasure_requests(&w.t, d).await.unwrap(), vec![r]);
    assert!(db.erasure_requests(&other.t, d).await.unwrap().is_empty());
}

async fn erasure_removes_everything_and_leaves_a_tombstone(db: &Database) {
    let w = world(db, "Alpha").await;
    let d = closed_dossier(db, &w).await;
    // A second pupil's dossier in the same school, and a second dossier of the same pupil: untouched.
    let keep = closed_dossier(db, &w).await;
    let partner = w.director;
    db.create_share(
        &w.t,
        NewShare {
            dossier: d,
            partner,
            entry_kinds: vec!["observation".into()],
            until: date!(2030 - 01 - 01),
            created_by: w.af,
            created_at: T0,
        },
    )
    .await
    .unwrap();
    db.notify(
        &w.t,
        &[NewNotification {
            user: w.director,
            dossier: d,
            kind: "dossier_opened".into(),
            urgent: false,
            created_at: T0,
        }],
    )
    .await
    .unwrap();
    db.record_erasure_request(
        &w.t,
        NewErasureRequest {
            dossier: d,
            requester: "pupil".into(),
            received_on: date!(2026 - 02 - 01),
            decision: "granted".into(),
            reason: MARKER.into(),
            decided_by: w.director,
            recorded_at: T0,
        },
    )
    .await
    .unwrap();
    let p = propose(db, &w, d, w.af).await;
    let before = db.table_counts().await.unwrap();

    let r = db.apply_batch(&[erase(&w, d, p.id, w.director)]).await.unwrap();
    assert!(matches!(r[0], Ok(WriteOutcome::DossierErased { pupil_erased: false })), "another dossier remains: {r:?}");
    assert!(matches!(db.get_dossier(&w.t, d).await, Err(StoreError::NotFound)));
    assert!(db.list_entries(&w.t, d).await.unwrap().is_empty());
    assert!(matches!(db.get_attachment(&w.t, d, &format!("{:032x}", d.0)).await, Err(StoreError::NotFound)));
    assert!(db.shares_of_dossier(&w.t, d).await.unwrap().is_empty());
    assert!(db.notifications_for(&w.t, w.director, 100).await.unwrap().is_empty());
    assert!(db.erasure_requests(&w.t, d).await.unwrap().is_empty());
    assert_eq!(db.erasure_proposal(&w.t, d).await.unwrap(), None);
    let after = db.table_counts().await.unwrap();
    for (table, gone) in [("entries", 3), ("attachments", 1), ("dossiers", 1), ("shares", 1), ("notifications", 1)] {
        assert_eq!(count(&before, table) - count(&after, table), gone, "{table}");
    }
    assert_eq!(count(&after, "pupils"), count(&before, "pupils"));
    // The other dossier is whole.
    assert_eq!(db.list_entries(&w.t, keep).await.unwrap().len(), 3);
    assert_eq!(
        db.get_attachment(&w.t, keep, &format!("{:032x}", keep.0)).await.unwrap().content.len(),
        9 + MARKER.len()
    );

    // The tombstone: both people, the dossier's id, no content; the chain verifies.
    let audit = db.list_audit(&w.t, &AuditFilter { dossier: Some(d), ..Default::default() }).await.unwrap();
    let tomb: Vec<_> = audit.iter().map(|a| (a.event.action.as_str(), a.event.actor)).collect();
    assert!(tomb.contains(&("dossier.erased", Some(w.director))), "{tomb:?}");
    assert!(tomb.contains(&("dossier.erased.proposer", Some(w.af))), "{tomb:?}");
    db.verify_audit(&test_audit_key()).await.unwrap();

    // Erasing the last dossier of the pupil removes the pupil too.
    let p = propose(db, &w, keep, w.director).await;
    let r = db.apply_batch(&[erase(&w, keep, p.id, w.af)]).await.unwrap();
    assert!(matches!(r[0], Ok(WriteOutcome::DossierErased { pupil_erased: true })), "{r:?}");
    assert!(matches!(db.get_pupil(&w.t, w.pupil).await, Err(StoreError::NotFound)));
    db.verify_audit(&test_audit_key()).await.unwrap();
}

async fn erasure_refusals_change_nothing(db: &Database) {
    let w = world(db, "Alpha").await;
    let other = world(db, "Beta").await;
    let d = closed_dossier(db, &w).await;
    let p = propose(db, &w, d, w.af).await;
    let before = db.table_counts().await.unwrap();
    // The proposer herself, a proposal id that is not the pending one, another tenant.
    let r = db
        .apply_batch(&[erase(&w, d, p.id, w.af), erase(&w, d, p.id + 1, w.director), erase(&other, d, p.id, other.af)])
        .await
        .unwrap();
    assert!(matches!(r[0], Err(StoreError::Conflict(_))), "{r:?}");
    assert!(matches!(r[1], Err(StoreError::Conflict(_))), "{r:?}");
    assert!(matches!(r[2], Err(StoreError::NotFound)), "{r:?}");
    // Reopened meanwhile: the chronology moved on.
    let r = db
        .apply_batch(&[
            WriteOp::AppendEntry {
                tenant: w.t,
                dossier: d,
                expected_last_seq: Some(3),
                entry: entry(w.af, "reopening", "new signals"),
                projection: projection(false),
            },
            erase(&w, d, p.id, w.director),
        ])
        .await
        .unwrap();
    assert!(r[0].is_ok());
    assert!(matches!(r[1], Err(StoreError::Conflict(_))), "{r:?}");
    let after = db.table_counts().await.unwrap();
    assert_eq!(count(&after, "entries"), count(&before, "entries") + 1);
    assert_eq!(count(&after, "attachments"), count(&before, "attachments"));
    assert_eq!(count(&after, "dossiers"), count(&before, "dossiers"));
    assert_eq!(db.erasure_proposal(&w.t, d).await.unwrap(), Some(p));
    db.verify_audit(&test_audit_key()).await.unwrap();
}

/// An erased dossier's id, and an erased pupil's, are never given to a new one (SQLite would hand out the
/// highest id again, see migration 0014): a request that loaded the erased dossier or pupil a moment before can
/// never act on another child's.
async fn erased_ids_are_never_given_again(db: &Database) {
    let w = world(db, "Alpha").await;
    let first = closed_dossier(db, &w).await;
    let newest = closed_dossier(db, &w).await;
    let p = propose(db, &w, newest, w.af).await;
    let r = db.apply_batch(&[erase(&w, newest, p.id, w.director)]).await.unwrap();
    assert!(matches!(r[0], Ok(WriteOutcome::DossierErased { pupil_erased: false })), "{r:?}");
    let next = closed_dossier(db, &w).await;
    assert!(next.0 > newest.0, "dossier {next:?} opened after erasing {newest:?}");

    // Erasing the pupil's last dossiers erases the pupil (the newest pupil); the next pupil gets a new id.
    for d in [first, next] {
        let p = propose(db, &w, d, w.af).await;
        let r = db.apply_batch(&[erase(&w, d, p.id, w.director)]).await.unwrap();
        assert!(r[0].is_ok(), "{r:?}");
    }
    assert!(matches!(db.get_pupil(&w.t, w.pupil).await, Err(StoreError::NotFound)));
    let new_pupil = NewPupil {
        location: w.location,
        group: None,
        first_name: "Sem".into(),
        last_name: "Nieuw".into(),
        date_of_birth: Some(date!(2011 - 01 - 01)),
        family: None,
        external_ref: None,
        created_at: T0,
    };
    let created = db.create_pupil(&w.t, new_pupil.clone()).await.unwrap();
    assert!(created.id.0 > w.pupil.0, "pupil {:?} created after erasing {:?}", created.id, w.pupil);
    // An import takes the next id as well.
    db.import_pupils(&w.t, w.location, vec![NewPupil { first_name: "Lot".into(), ..new_pupil }]).await.unwrap();
    let listed = db.list_pupils(&w.t, &PupilFilter::default()).await.unwrap();
    assert!(listed.iter().all(|p| p.id.0 > w.pupil.0), "{listed:?}");
    assert_eq!(listed.len(), 2);
}
