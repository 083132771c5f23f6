//! The conformance tests. Each takes a fresh, migrated, empty store and must pass on every backend.

use std::collections::BTreeSet;
use std::sync::Arc;

use meldroute_domain::Sector;
use meldroute_store::*;
use time::OffsetDateTime;
use time::macros::{date, datetime};

const T0: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

/// A small organisation: one location, one group, one user (teacher) and one pupil.
pub struct Fixture {
    pub tenant: TenantCtx,
    pub location: Location,
    pub group: Group,
    pub user: User,
    pub pupil: Pupil,
}

pub async fn fixture<S: Store>(s: &S, name: &str) -> Fixture {
    let org =
        s.create_organisation(NewOrganisation { name: name.into(), is_demo: false, created_at: T0 }).await.unwrap();
    let tenant = TenantCtx::new(org.id);
    let location =
        s.create_location(&tenant, NewLocation { name: format!("{name} school"), sector: Sector::Po }).await.unwrap();
    let group = s.create_group(&tenant, NewGroup { location: location.id, name: "Groep 5".into() }).await.unwrap();
    let user = s.create_user(&tenant, new_user(&format!("teacher@{name}"))).await.unwrap();
    let pupil = s.create_pupil(&tenant, new_pupil(location.id, Some(group.id), "Pim", name, None)).await.unwrap();
    Fixture { tenant, location, group, user, pupil }
}

pub fn new_user(login: &str) -> NewUser {
    NewUser {
        login: login.into(),
        display_name: format!("User {login}"),
        email: None,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        totp_secret: None,
        lang: "nl".into(),
        created_at: T0,
    }
}

fn new_pupil(
    location: LocationId,
    group: Option<GroupId>,
    first: &str,
    last: &str,
    family: Option<FamilyId>,
) -> NewPupil {
    NewPupil {
        location,
        group,
        first_name: first.into(),
        last_name: last.into(),
        date_of_birth: Some(date!(2016 - 05 - 17)),
        family,
        external_ref: None,
        created_at: T0,
    }
}

fn entry(author: UserId, n: usize) -> NewEntry {
    NewEntry { recorded_at: T0, author, kind: "observation".into(), payload: format!("{{\"n\":{n}}}").into_bytes() }
}

fn projection(step: u8) -> DossierProjection {
    DossierProjection { step, closed: false, urgent: false, next_due: None, closed_on: None }
}

pub async fn open_dossier<S: Store + BatchApply>(s: &S, f: &Fixture) -> DossierId {
    let results = s
        .apply_batch(&[WriteOp::OpenDossier {
            tenant: f.tenant,
            location: f.location.id,
            pupil: f.pupil.id,
            opened_by: f.user.id,
            opened_at: T0,
            first_entry: entry(f.user.id, 0),
            projection: projection(1),
        }])
        .await
        .unwrap();
    match results.into_iter().next().unwrap().unwrap() {
        WriteOutcome::DossierOpened { dossier, .. } => dossier,
        other => panic!("unexpected outcome {other:?}"),
    }
}

pub async fn migrations_are_idempotent_and_current<S: Store>(s: &S) {
    s.migrate().await.unwrap();
    s.migrate().await.unwrap();
    let status = s.schema_status().await.unwrap();
    assert!(status.is_current(), "{status:?}");
    assert!(status.expected >= 1);
    assert!(s.is_empty().await.unwrap());
}

pub async fn structure_round_trips<S: Store>(s: &S) {
    let f = fixture(s, "Alpha").await;
    assert_eq!(s.get_organisation(&f.tenant).await.unwrap().name, "Alpha");
    assert_eq!(s.find_organisation_by_name("Alpha").await.unwrap().map(|o| o.id), Some(f.tenant.org));
    assert_eq!(s.find_organisation_by_name("Nope").await.unwrap(), None);
    let locations = s.list_locations(&f.tenant).await.unwrap();
    assert_eq!(locations, vec![f.location.clone()]);
    assert_eq!(locations[0].sector, Sector::Po);
    assert_eq!(s.list_groups(&f.tenant, f.location.id).await.unwrap(), vec![f.group.clone()]);
    assert_eq!(s.get_user(&f.tenant, f.user.id).await.unwrap(), f.user);
    assert_eq!(s.find_user_by_login(&f.user.login).await.unwrap(), Some(f.user.clone()));
    assert_eq!(s.get_pupil(&f.tenant, f.pupil.id).await.unwrap(), f.pupil);
    assert_eq!(f.pupil.date_of_birth, Some(date!(2016 - 05 - 17)));
    assert!(!s.is_empty().await.unwrap());

    s.grant_role(&f.tenant, RoleGrant { user: f.user.id, location: Some(f.location.id), role: Role::Medewerker })
        .await
        .unwrap();
    s.grant_role(&f.tenant, RoleGrant { user: f.user.id, location: None, role: Role::Beheerder }).await.unwrap();
    // Granting twice is harmless.
    s.grant_role(&f.tenant, RoleGrant { user: f.user.id, location: None, role: Role::Beheerder }).await.unwrap();
    let roles = s.roles_of(&f.tenant, f.user.id).await.unwrap();
    assert_eq!(roles.len(), 2);
    assert!(roles.contains(&RoleGrant { user: f.user.id, location: None, role: Role::Beheerder }));
    assert!(roles.contains(&RoleGrant { user: f.user.id, location: Some(f.location.id), role: Role::Medewerker }));

    let counts = s.table_counts().await.unwrap();
    let get = |t: &str| counts.iter().find(|(n, _)| n == t).map(|(_, c)| *c);
    assert_eq!(get("organisations"), Some(1));
    assert_eq!(get("pupils"), Some(1));
    assert_eq!(get("role_grants"), Some(2));
}

pub async fn logins_are_unique_across_tenants<S: Store>(s: &S) {
    let a = fixture(s, "Alpha").await;
    let b = fixture(s, "Beta").await;
    let err = s.create_user(&b.tenant, new_user(&a.user.login)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let err = s
        .create_organisation(NewOrganisation { name: "Alpha".into(), is_demo: false, created_at: T0 })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

/// Nothing of one organisation is visible to, or changeable by, another.
pub async fn tenants_are_isolated<S: Store + BatchApply>(s: &S) {
    let a = fixture(s, "Alpha").await;
    let b = fixture(s, "Beta").await;
    let dossier_a = open_dossier(s, &a).await;

    // Reads by id answer NotFound, exactly as for an id that does not exist.
    assert!(matches!(s.get_pupil(&b.tenant, a.pupil.id).await, Err(StoreError::NotFound)));
    assert!(matches!(s.get_user(&b.tenant, a.user.id).await, Err(StoreError::NotFound)));
    assert!(matches!(s.get_dossier(&b.tenant, dossier_a).await, Err(StoreError::NotFound)));
    assert!(s.list_entries(&b.tenant, dossier_a).await.unwrap().is_empty());
    assert!(s.list_groups(&b.tenant, a.location.id).await.unwrap().is_empty());
    assert!(s.siblings_of(&b.tenant, a.pupil.id).await.unwrap().is_empty());

    // Lists never include the other tenant's rows, whatever the filter says.
    let pupils =
        s.list_pupils(&b.tenant, &PupilFilter { location: Some(a.location.id), ..Default::default() }).await.unwrap();
    assert!(pupils.is_empty());
    let all: Vec<_> = s.list_pupils(&b.tenant, &PupilFilter::default()).await.unwrap();
    assert_eq!(all, vec![b.pupil.clone()]);
    assert_eq!(s.list_users(&b.tenant).await.unwrap(), vec![b.user.clone()]);
    assert_eq!(s.list_locations(&b.tenant).await.unwrap(), vec![b.location.clone()]);
    let dossiers =
        s.list_dossiers(&b.tenant, &DossierFilter { pupil: Some(a.pupil.id), ..Default::default() }).await.unwrap();
    assert!(dossiers.is_empty());

    // Writes that reference another tenant's rows are refused as NotFound and change nothing.
    let err = s.create_pupil(&b.tenant, new_pupil(a.location.id, None, "X", "Y", None)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = s.create_pupil(&b.tenant, new_pupil(b.location.id, Some(a.group.id), "X", "Y", None)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = s.create_group(&b.tenant, NewGroup { location: a.location.id, name: "Sneaky".into() }).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = s
        .grant_role(&b.tenant, RoleGrant { user: b.user.id, location: Some(a.location.id), role: Role::Directeur })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = s
        .grant_role(&b.tenant, RoleGrant { user: a.user.id, location: None, role: Role::Directeur })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    let results = s
        .apply_batch(&[
            WriteOp::AppendEntry {
                tenant: b.tenant,
                dossier: dossier_a,
                expected_last_seq: None,
                entry: entry(b.user.id, 1),
                projection: projection(2),
            },
            WriteOp::OpenDossier {
                tenant: b.tenant,
                location: a.location.id,
                pupil: a.pupil.id,
                opened_by: b.user.id,
                opened_at: T0,
                first_entry: entry(b.user.id, 0),
                projection: projection(1),
            },
            // B's own location with A's pupil.
            WriteOp::OpenDossier {
                tenant: b.tenant,
                location: b.location.id,
                pupil: a.pupil.id,
                opened_by: b.user.id,
                opened_at: T0,
                first_entry: entry(b.user.id, 0),
                projection: projection(1),
            },
            // Author from another tenant.
            WriteOp::AppendEntry {
                tenant: a.tenant,
                dossier: dossier_a,
                expected_last_seq: None,
                entry: entry(b.user.id, 1),
                projection: projection(2),
            },
        ])
        .await
        .unwrap();
    for result in results {
        assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
    }
    let entries = s.list_entries(&a.tenant, dossier_a).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(s.get_dossier(&a.tenant, dossier_a).await.unwrap().projection.step, 1);
    assert!(s.list_dossiers(&b.tenant, &DossierFilter::default()).await.unwrap().is_empty());
}

pub async fn pupils_search_and_siblings<S: Store>(s: &S) {
    let f = fixture(s, "Alpha").await;
    let family = Some(FamilyId(7));
    let anna = s.create_pupil(&f.tenant, new_pupil(f.location.id, None, "Anna", "de Vries", family)).await.unwrap();
    let bram = s
        .create_pupil(&f.tenant, new_pupil(f.location.id, Some(f.group.id), "Bram", "de Vries", family))
        .await
        .unwrap();
    let _odd = s.create_pupil(&f.tenant, new_pupil(f.location.id, None, "100%", "Under_score", None)).await.unwrap();

    let by_name = |q: &str| PupilFilter { name_contains: Some(q.into()), ..Default::default() };
    let names = |ps: Vec<Pupil>| ps.into_iter().map(|p| p.first_name).collect::<Vec<_>>();
    assert_eq!(names(s.list_pupils(&f.tenant, &by_name("vries")).await.unwrap()), vec!["Anna", "Bram"]);
    assert_eq!(names(s.list_pupils(&f.tenant, &by_name("BRA")).await.unwrap()), vec!["Bram"]);
    // LIKE wildcards in the query match literally.
    assert_eq!(names(s.list_pupils(&f.tenant, &by_name("%")).await.unwrap()), vec!["100%"]);
    assert_eq!(names(s.list_pupils(&f.tenant, &by_name("_")).await.unwrap()), vec!["100%"]);
    let in_group = PupilFilter { group: Some(f.group.id), ..Default::default() };
    assert_eq!(names(s.list_pupils(&f.tenant, &in_group).await.unwrap()), vec!["Pim", "Bram"]);
    let limited = PupilFilter { limit: Some(2), ..Default::default() };
    assert_eq!(s.list_pupils(&f.tenant, &limited).await.unwrap().len(), 2);

    assert_eq!(s.siblings_of(&f.tenant, anna.id).await.unwrap(), vec![bram.clone()]);
    assert_eq!(s.siblings_of(&f.tenant, bram.id).await.unwrap(), vec![anna]);
    assert!(s.siblings_of(&f.tenant, f.pupil.id).await.unwrap().is_empty());
}

pub async fn chronology_is_gap_free_and_checks_staleness<S: Store + BatchApply>(s: &S) {
    let f = fixture(s, "Alpha").await;
    let d = open_dossier(s, &f).await;
    let dossier = s.get_dossier(&f.tenant, d).await.unwrap();
    assert_eq!(dossier.last_seq, 1);
    assert_eq!(dossier.pupil, f.pupil.id);

    let append = |expected, n, step| WriteOp::AppendEntry {
        tenant: f.tenant,
        dossier: d,
        expected_last_seq: expected,
        entry: entry(f.user.id, n),
        projection: DossierProjection {
            step,
            closed: false,
            urgent: step == 3,
            next_due: Some(date!(2026 - 03 - 09)),
            closed_on: None,
        },
    };
    let results = s.apply_batch(&[append(Some(1), 1, 2), append(Some(1), 2, 3), append(None, 3, 3)]).await.unwrap();
    assert!(matches!(results[0], Ok(WriteOutcome::EntryAppended { seq: 2, .. })), "{results:?}");
    // Stale: the caller validated against seq 1, but seq 2 landed first. Refused, nothing written.
    assert!(matches!(results[1], Err(StoreError::Conflict(_))), "{results:?}");
    // A savepoint isolated the refusal: the next op in the same batch still landed.
    assert!(matches!(results[2], Ok(WriteOutcome::EntryAppended { seq: 3, .. })), "{results:?}");

    let entries = s.list_entries(&f.tenant, d).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(entries[2].payload, b"{\"n\":3}".to_vec());
    assert_eq!(entries[0].kind, "observation");
    let dossier = s.get_dossier(&f.tenant, d).await.unwrap();
    assert_eq!(dossier.last_seq, 3);
    assert_eq!(
        dossier.projection,
        DossierProjection {
            step: 3,
            closed: false,
            urgent: true,
            next_due: Some(date!(2026 - 03 - 09)),
            closed_on: None
        }
    );

    let open = s.list_dossiers(&f.tenant, &DossierFilter { open_only: true, ..Default::default() }).await.unwrap();
    assert_eq!(open.len(), 1);
    let results = s
        .apply_batch(&[WriteOp::AppendEntry {
            tenant: f.tenant,
            dossier: d,
            expected_last_seq: Some(3),
            entry: entry(f.user.id, 4),
            projection: DossierProjection { step: 6, closed: true, urgent: false, next_due: None, closed_on: None },
        }])
        .await
        .unwrap();
    assert!(results[0].is_ok());
    assert!(
        s.list_dossiers(&f.tenant, &DossierFilter { open_only: true, ..Default::default() }).await.unwrap().is_empty()
    );
    assert_eq!(s.list_dossiers(&f.tenant, &DossierFilter::default()).await.unwrap().len(), 1);
}

/// Many concurrent writers through the group-commit writer: every acknowledged write is stored exactly once,
/// each dossier's chronology is gap-free, and one writer's own writes keep their order.
pub async fn group_commit_lands_every_acknowledged_write<S: Store + BatchApply + Clone>(s: &S) {
    const TASKS: usize = 16;
    const PER_TASK: usize = 25;
    let f = Arc::new(fixture(s, "Alpha").await);
    let d = open_dossier(s, &f).await;
    let (writer, task) = Writer::spawn(s.clone());

    let mut handles = Vec::new();
    for t in 0..TASKS {
        let writer = writer.clone();
        let f = f.clone();
        handles.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..PER_TASK {
                let n = t * 1000 + i;
                let outcome = writer
                    .submit(WriteOp::AppendEntry {
                        tenant: f.tenant,
                        dossier: d,
                        expected_last_seq: None,
                        entry: entry(f.user.id, n),
                        projection: projection(2),
                    })
                    .await
                    .unwrap();
                match outcome {
                    WriteOutcome::EntryAppended { entry, seq } => acked.push((n, entry, seq)),
                    other => panic!("unexpected {other:?}"),
                }
                if i % 5 == 0 {
                    writer
                        .submit(WriteOp::Audit(NewAuditEvent {
                            at: T0,
                            org: Some(f.tenant.org),
                            actor: Some(f.user.id),
                            on_behalf_of: None,
                            pupil: None,
                            dossier: Some(d),
                            action: "entry.append".into(),
                            outcome: "allowed".into(),
                            source: "test".into(),
                        }))
                        .await
                        .unwrap();
                }
            }
            acked
        }));
    }
    let mut acked = Vec::new();
    for h in handles {
        let mine = h.await.unwrap();
        // One writer's writes are stored in the order it made them.
        assert!(mine.windows(2).all(|w| w[0].2 < w[1].2), "order of one writer broken: {mine:?}");
        acked.extend(mine);
    }
    let batches = writer.stats().batches.load(std::sync::atomic::Ordering::Relaxed);
    let ops = writer.stats().ops.load(std::sync::atomic::Ordering::Relaxed);
    drop(writer);
    task.await.unwrap();

    assert_eq!(acked.len(), TASKS * PER_TASK);
    assert_eq!(ops as usize, TASKS * PER_TASK + TASKS * PER_TASK.div_ceil(5));
    assert!(batches <= ops, "{batches} batches for {ops} ops");

    let entries = s.list_entries(&f.tenant, d).await.unwrap();
    assert_eq!(entries.len(), 1 + TASKS * PER_TASK);
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=entries.len() as i64).collect::<Vec<_>>());
    for (n, id, seq) in &acked {
        let stored = entries.iter().find(|e| e.id == *id).expect("acknowledged entry missing");
        assert_eq!(stored.seq, *seq);
        assert_eq!(stored.payload, format!("{{\"n\":{n}}}").into_bytes());
    }
    let distinct: BTreeSet<_> = acked.iter().map(|a| a.2).collect();
    assert_eq!(distinct.len(), acked.len());
    assert_eq!(s.get_dossier(&f.tenant, d).await.unwrap().last_seq, entries.len() as i64);
    let audit = s
        .list_audit(&f.tenant, &AuditFilter { dossier: Some(d), limit: Some(10_000), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(audit.len(), TASKS * PER_TASK.div_ceil(5));
}

pub async fn audit_events_are_listed_per_tenant<S: Store + BatchApply>(s: &S) {
    let a = fixture(s, "Alpha").await;
    let b = fixture(s, "Beta").await;
    let event = |f: &Fixture, action: &str| {
        WriteOp::Audit(NewAuditEvent {
            at: T0,
            org: Some(f.tenant.org),
            actor: Some(f.user.id),
            on_behalf_of: None,
            pupil: Some(f.pupil.id),
            dossier: None,
            action: action.into(),
            outcome: "allowed".into(),
            source: "127.0.0.1".into(),
        })
    };
    let results =
        s.apply_batch(&[event(&a, "pupil.read"), event(&b, "pupil.read"), event(&a, "pupil.update")]).await.unwrap();
    let seqs: Vec<i64> = results
        .into_iter()
        .map(|r| match r.unwrap() {
            WriteOutcome::Audited { seq } => seq,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let listed = s.list_audit(&a.tenant, &AuditFilter::default()).await.unwrap();
    assert_eq!(listed.iter().map(|e| e.event.action.as_str()).collect::<Vec<_>>(), vec!["pupil.update", "pupil.read"]);
    assert_eq!(listed[0].event.pupil, Some(a.pupil.id));
    assert_eq!(listed[0].event.at, T0);
    let by_actor =
        s.list_audit(&b.tenant, &AuditFilter { actor: Some(a.user.id), ..Default::default() }).await.unwrap();
    assert!(by_actor.is_empty());
}

/// The purge deletes exactly what could no longer be used: idle or too old sessions, throttle rows past their
/// window with no lock left, expired or used links; everything still in force stays.
pub async fn purge_deletes_only_what_can_no_longer_be_used<S: Store + AccountStore>(s: &S) {
    use time::Duration;
    let f = fixture(s, "Purge").await;
    let now = T0 + Duration::days(1);
    let idle = session_record(&f, 1, now - Duration::minutes(20));
    let old = SessionRecord { last_seen_at: now, ..session_record(&f, 2, now - Duration::hours(13)) };
    let live =
        SessionRecord { last_seen_at: now - Duration::minutes(1), ..session_record(&f, 3, now - Duration::hours(2)) };
    for session in [&idle, &old, &live] {
        s.create_session(session).await.unwrap();
    }
    let state = |window_minutes_ago: i64, locked_minutes_ahead: Option<i64>| ThrottleState {
        failures: 3,
        window_start: now - Duration::minutes(window_minutes_ago),
        locked_until: locked_minutes_ahead.map(|m| now + Duration::minutes(m)),
    };
    s.throttle_put("ip:stale", &state(16, None)).await.unwrap();
    s.throttle_put("ip:lock-over", &state(30, Some(-1))).await.unwrap();
    s.throttle_put("ip:in-window", &state(5, None)).await.unwrap();
    s.throttle_put("ip:still-locked", &state(30, Some(5))).await.unwrap();
    s.create_link(&f.tenant, f.user.id, &[1; 32], LinkPurpose::FirstLogin, T0, now - Duration::minutes(1))
        .await
        .unwrap();
    s.create_link(&f.tenant, f.user.id, &[2; 32], LinkPurpose::PasswordReset, T0, now + Duration::hours(1))
        .await
        .unwrap();
    s.create_link(&f.tenant, f.user.id, &[3; 32], LinkPurpose::PasswordReset, T0, now + Duration::hours(1))
        .await
        .unwrap();
    assert!(s.consume_link(&[3; 32], LinkPurpose::PasswordReset, now).await.unwrap().is_some());

    let purge = Purge {
        now,
        sessions_idle_before: now - Duration::minutes(15),
        sessions_created_before: now - Duration::hours(12),
        throttle_window_before: now - Duration::minutes(15),
    };
    assert_eq!(s.purge_expired(&purge).await.unwrap(), Purged { sessions: 2, throttle: 2, links: 2 });
    assert_eq!(s.get_session(&idle.id_hash).await.unwrap(), None, "idle");
    assert_eq!(s.get_session(&old.id_hash).await.unwrap(), None, "past the absolute timeout");
    assert_eq!(s.get_session(&live.id_hash).await.unwrap(), Some(live.clone()));
    assert_eq!(s.throttle_get("ip:stale").await.unwrap(), None);
    assert_eq!(s.throttle_get("ip:lock-over").await.unwrap(), None);
    assert_eq!(s.throttle_get("ip:in-window").await.unwrap(), Some(state(5, None)));
    assert_eq!(s.throttle_get("ip:still-locked").await.unwrap(), Some(state(30, Some(5))));
    assert_eq!(
        s.peek_link(&[2; 32], LinkPurpose::PasswordReset, now).await.unwrap(),
        Some((f.tenant.org, f.user.id)),
        "a link in force stays"
    );
    // A second purge finds nothing more.
    assert_eq!(s.purge_expired(&purge).await.unwrap(), Purged::default());
}

fn session_record(f: &Fixture, id: u8, at: OffsetDateTime) -> SessionRecord {
    SessionRecord {
        id_hash: vec![id; 32],
        org: f.tenant.org,
        user: f.user.id,
        created_at: at,
        last_seen_at: at,
        second_factor_done: false,
        csrf_token: format!("csrf-{id}"),
    }
}

pub async fn sessions_live_rotate_and_die<S: Store + AccountStore>(s: &S) {
    let f = fixture(s, "Alpha").await;
    let first = session_record(&f, 1, T0);
    s.create_session(&first).await.unwrap();
    assert_eq!(s.get_session(&first.id_hash).await.unwrap(), Some(first.clone()));
    assert_eq!(s.get_session(&[9; 32]).await.unwrap(), None);

    let later = T0 + time::Duration::minutes(5);
    s.touch_session(&first.id_hash, later).await.unwrap();
    assert_eq!(s.get_session(&first.id_hash).await.unwrap().unwrap().last_seen_at, later);

    // Rotation: the old id stops working, the new one carries the second factor.
    let rotated = SessionRecord { id_hash: vec![2; 32], second_factor_done: true, ..first.clone() };
    s.rotate_session(&first.id_hash, &rotated).await.unwrap();
    assert_eq!(s.get_session(&first.id_hash).await.unwrap(), None);
    assert!(s.get_session(&rotated.id_hash).await.unwrap().unwrap().second_factor_done);
    // Rotating a session that no longer exists is refused (a replayed old cookie).
    assert!(matches!(s.rotate_session(&first.id_hash, &session_record(&f, 3, T0)).await, Err(StoreError::NotFound)));
    assert_eq!(s.get_session(&[3; 32]).await.unwrap(), None);

    s.create_session(&session_record(&f, 4, T0)).await.unwrap();
    assert_eq!(s.delete_user_sessions(&f.tenant, f.user.id).await.unwrap(), 2);
    assert_eq!(s.get_session(&rotated.id_hash).await.unwrap(), None);

    let fresh = session_record(&f, 6, T0);
    s.create_session(&fresh).await.unwrap();
    s.delete_session(&fresh.id_hash).await.unwrap();
    assert!(s.get_session(&fresh.id_hash).await.unwrap().is_none());

    // Another tenant's user cannot own a session in this tenant.
    let b = fixture(s, "Beta").await;
    let forged = SessionRecord { user: b.user.id, ..session_record(&f, 7, T0) };
    assert!(s.create_session(&forged).await.is_err());
}

pub async fn second_factor_steps_and_recovery_codes_are_single_use<S: Store + AccountStore>(s: &S) {
    let f = fixture(s, "Alpha").await;
    s.set_totp_secret(&f.tenant, f.user.id, Some("JBSWY3DPEHPK3PXP")).await.unwrap();
    assert_eq!(s.get_user(&f.tenant, f.user.id).await.unwrap().totp_secret.as_deref(), Some("JBSWY3DPEHPK3PXP"));
    assert!(s.accept_totp_step(&f.tenant, f.user.id, 1000).await.unwrap());
    assert!(!s.accept_totp_step(&f.tenant, f.user.id, 1000).await.unwrap(), "replay of the same step");
    assert!(!s.accept_totp_step(&f.tenant, f.user.id, 999).await.unwrap(), "an earlier step");
    assert!(s.accept_totp_step(&f.tenant, f.user.id, 1001).await.unwrap());
    let b = fixture(s, "Beta").await;
    assert!(!s.accept_totp_step(&b.tenant, f.user.id, 5000).await.unwrap(), "other tenant");
    s.set_totp_secret(&f.tenant, f.user.id, None).await.unwrap();
    assert_eq!(s.get_user(&f.tenant, f.user.id).await.unwrap().totp_secret, None);
    assert!(matches!(s.set_totp_secret(&b.tenant, f.user.id, None).await, Err(StoreError::NotFound)));

    let codes: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i; 32]).collect();
    s.replace_recovery_codes(&f.tenant, f.user.id, &codes).await.unwrap();
    assert_eq!(s.count_unused_recovery_codes(&f.tenant, f.user.id).await.unwrap(), 10);
    assert!(s.use_recovery_code(&f.tenant, f.user.id, &codes[3], T0).await.unwrap());
    assert!(!s.use_recovery_code(&f.tenant, f.user.id, &codes[3], T0).await.unwrap(), "used twice");
    assert!(!s.use_recovery_code(&b.tenant, f.user.id, &codes[4], T0).await.unwrap(), "other tenant");
    assert!(!s.use_recovery_code(&f.tenant, f.user.id, &[99; 32], T0).await.unwrap(), "unknown code");
    assert_eq!(s.count_unused_recovery_codes(&f.tenant, f.user.id).await.unwrap(), 9);
    s.replace_recovery_codes(&f.tenant, f.user.id, &codes[..2]).await.unwrap();
    assert_eq!(s.count_unused_recovery_codes(&f.tenant, f.user.id).await.unwrap(), 2);

    s.set_password_hash(&f.tenant, f.user.id, "$argon2id$new").await.unwrap();
    assert_eq!(s.get_user(&f.tenant, f.user.id).await.unwrap().password_hash, "$argon2id$new");
    assert!(matches!(s.set_password_hash(&b.tenant, f.user.id, "x").await, Err(StoreError::NotFound)));
    s.set_user_lang(&f.tenant, f.user.id, "en").await.unwrap();
    assert_eq!(s.get_user(&f.tenant, f.user.id).await.unwrap().lang, "en");
}

pub async fn disabling_or_changing_roles_ends_sessions<S: Store + AccountStore>(s: &S) {
    let f = fixture(s, "Alpha").await;
    s.create_session(&session_record(&f, 1, T0)).await.unwrap();
    s.set_user_disabled(&f.tenant, f.user.id, true).await.unwrap();
    assert!(s.get_user(&f.tenant, f.user.id).await.unwrap().disabled);
    assert_eq!(s.get_session(&[1; 32]).await.unwrap(), None);
    s.set_user_disabled(&f.tenant, f.user.id, false).await.unwrap();

    s.create_session(&session_record(&f, 2, T0)).await.unwrap();
    let grants = vec![
        RoleGrant { user: f.user.id, location: Some(f.location.id), role: Role::InternBegeleider },
        RoleGrant { user: f.user.id, location: None, role: Role::Directeur },
    ];
    s.replace_roles(&f.tenant, f.user.id, &grants).await.unwrap();
    assert_eq!(s.get_session(&[2; 32]).await.unwrap(), None);
    let roles = s.roles_of(&f.tenant, f.user.id).await.unwrap();
    assert_eq!(roles.len(), 2);

    // Another tenant can neither disable this user nor give it a role at its own location.
    let b = fixture(s, "Beta").await;
    assert!(matches!(s.set_user_disabled(&b.tenant, f.user.id, true).await, Err(StoreError::NotFound)));
    assert!(!s.get_user(&f.tenant, f.user.id).await.unwrap().disabled);
    let foreign = vec![RoleGrant { user: f.user.id, location: Some(b.location.id), role: Role::Directeur }];
    assert!(matches!(s.replace_roles(&f.tenant, f.user.id, &foreign).await, Err(StoreError::NotFound)));
    assert_eq!(s.roles_of(&f.tenant, f.user.id).await.unwrap().len(), 2, "a refused change changes nothing");

    // All grants of an organisation in one call: the same as per user, never another tenant's.
    let mut all = s.list_role_grants(&f.tenant).await.unwrap();
    all.sort_by_key(|g| (g.user.0, g.location.map(|l| l.0), g.role.code()));
    let mut one = s.roles_of(&f.tenant, f.user.id).await.unwrap();
    one.sort_by_key(|g| (g.user.0, g.location.map(|l| l.0), g.role.code()));
    assert_eq!(all, one);
    assert!(s.list_role_grants(&b.tenant).await.unwrap().iter().all(|g| g.user != f.user.id));
}

pub async fn throttling_and_one_time_links<S: Store + AccountStore>(s: &S) {
    let f = fixture(s, "Alpha").await;
    assert_eq!(s.throttle_get("account:x").await.unwrap(), None);
    let state = ThrottleState { failures: 3, window_start: T0, locked_until: Some(T0 + time::Duration::minutes(1)) };
    s.throttle_put("account:x", &state).await.unwrap();
    assert_eq!(s.throttle_get("account:x").await.unwrap(), Some(state.clone()));
    let more = ThrottleState { failures: 4, ..state };
    s.throttle_put("account:x", &more).await.unwrap();
    assert_eq!(s.throttle_get("account:x").await.unwrap().map(|t| t.failures), Some(4));
    s.throttle_clear("account:x").await.unwrap();
    assert_eq!(s.throttle_get("account:x").await.unwrap(), None);

    // Updates of one key at the same moment each see the one before: twenty increments, twenty counted. An
    // update that gives `None` removes the state.
    let increment = || async {
        let mut count = |previous: Option<ThrottleState>| {
            let failures = previous.map_or(0, |p| p.failures) + 1;
            Some(ThrottleState { failures, window_start: T0, locked_until: None })
        };
        s.throttle_update("account:y", &mut count).await.unwrap()
    };
    let mut seen = BTreeSet::new();
    for round in 0..4 {
        let (a, b, c, d, e) = tokio::join!(increment(), increment(), increment(), increment(), increment());
        for state in [a, b, c, d, e] {
            assert!(seen.insert(state.unwrap().failures), "round {round}: a count was seen twice");
        }
    }
    assert_eq!(seen, (1..=20).collect::<BTreeSet<i64>>());
    assert_eq!(s.throttle_get("account:y").await.unwrap().map(|t| t.failures), Some(20));
    assert_eq!(s.throttle_update("account:y", &mut |_| None).await.unwrap(), None);
    assert_eq!(s.throttle_get("account:y").await.unwrap(), None);

    let expires = T0 + time::Duration::hours(24);
    s.create_link(&f.tenant, f.user.id, &[1; 32], LinkPurpose::FirstLogin, T0, expires).await.unwrap();
    s.create_link(&f.tenant, f.user.id, &[2; 32], LinkPurpose::PasswordReset, T0, expires).await.unwrap();
    assert_eq!(s.consume_link(&[1; 32], LinkPurpose::PasswordReset, T0).await.unwrap(), None, "wrong purpose");
    assert_eq!(s.consume_link(&[1; 32], LinkPurpose::FirstLogin, T0).await.unwrap(), Some((f.tenant.org, f.user.id)));
    assert_eq!(s.consume_link(&[1; 32], LinkPurpose::FirstLogin, T0).await.unwrap(), None, "used once");
    assert_eq!(s.consume_link(&[2; 32], LinkPurpose::PasswordReset, expires).await.unwrap(), None, "expired");
    assert_eq!(s.consume_link(&[3; 32], LinkPurpose::PasswordReset, T0).await.unwrap(), None, "unknown");
}

pub async fn shares_are_scoped_and_revocable<S: Store + AccountStore + BatchApply>(s: &S) {
    let f = fixture(s, "Alpha").await;
    let d = open_dossier(s, &f).await;
    let partner = s.create_user(&f.tenant, new_user("jgz@alpha")).await.unwrap();
    let share = s
        .create_share(
            &f.tenant,
            NewShare {
                dossier: d,
                partner: partner.id,
                entry_kinds: vec!["observation".into(), "help_plan".into()],
                until: date!(2026 - 04 - 30),
                created_by: f.user.id,
                created_at: T0,
            },
        )
        .await
        .unwrap();
    assert_eq!(share.entry_kinds, vec!["observation", "help_plan"]);
    assert!(share.is_active(date!(2026 - 04 - 30)));
    assert!(!share.is_active(date!(2026 - 05 - 01)));
    assert_eq!(s.shares_for_partner(&f.tenant, partner.id).await.unwrap(), vec![share.clone()]);
    assert_eq!(s.shares_of_dossier(&f.tenant, d).await.unwrap(), vec![share.clone()]);

    let b = fixture(s, "Beta").await;
    assert!(s.shares_for_partner(&b.tenant, partner.id).await.unwrap().is_empty());
    assert!(matches!(s.revoke_share(&b.tenant, share.id, T0).await, Err(StoreError::NotFound)));
    // Sharing a dossier with a user of another organisation is impossible.
    let err = s
        .create_share(
            &f.tenant,
            NewShare {
                dossier: d,
                partner: b.user.id,
                entry_kinds: vec!["observation".into()],
                until: date!(2026 - 04 - 30),
                created_by: f.user.id,
                created_at: T0,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    s.revoke_share(&f.tenant, share.id, T0).await.unwrap();
    let revoked = s.shares_of_dossier(&f.tenant, d).await.unwrap().remove(0);
    assert!(!revoked.is_active(date!(2026 - 03 - 02)));
    assert!(matches!(s.revoke_share(&f.tenant, share.id, T0).await, Err(StoreError::NotFound)), "revoked once");
}

pub async fn one_time_links_can_be_looked_up_without_using_them<S: Store + AccountStore>(s: &S) {
    let f = fixture(s, "Alpha").await;
    let expires = T0 + time::Duration::days(7);
    s.create_link(&f.tenant, f.user.id, &[7; 32], LinkPurpose::FirstLogin, T0, expires).await.unwrap();
    let found = Some((f.tenant.org, f.user.id));
    assert_eq!(s.peek_link(&[7; 32], LinkPurpose::FirstLogin, T0).await.unwrap(), found);
    assert_eq!(s.peek_link(&[7; 32], LinkPurpose::FirstLogin, T0).await.unwrap(), found, "peeking uses nothing");
    assert_eq!(s.peek_link(&[7; 32], LinkPurpose::PasswordReset, T0).await.unwrap(), None, "wrong purpose");
    assert_eq!(s.peek_link(&[7; 32], LinkPurpose::FirstLogin, expires).await.unwrap(), None, "expired");
    assert_eq!(s.peek_link(&[8; 32], LinkPurpose::FirstLogin, T0).await.unwrap(), None, "unknown");
    assert_eq!(s.consume_link(&[7; 32], LinkPurpose::FirstLogin, T0).await.unwrap(), found);
    assert_eq!(s.peek_link(&[7; 32], LinkPurpose::FirstLogin, T0).await.unwrap(), None, "used");
}

pub async fn pupil_import_is_all_or_nothing<S: Store>(s: &S) {
    let f = fixture(s, "Alpha").await;
    let b = fixture(s, "Beta").await;
    let row = |first: &str, group: Option<GroupId>, external: &str| NewPupil {
        external_ref: Some(external.into()),
        ..new_pupil(f.location.id, group, first, "Import", Some(FamilyId(41)))
    };
    let by_location = PupilFilter { location: Some(f.location.id), ..PupilFilter::default() };
    let before = s.list_pupils(&f.tenant, &by_location).await.unwrap().len();

    // A group of another tenant in the last row: nothing of the earlier rows lands.
    let bad = vec![row("Ada", Some(f.group.id), "1001"), row("Bo", None, "1002"), row("Cas", Some(b.group.id), "1003")];
    let err = s.import_pupils(&f.tenant, f.location.id, bad).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_eq!(s.list_pupils(&f.tenant, &by_location).await.unwrap().len(), before);
    // Another tenant's location is not found either.
    let err = s.import_pupils(&f.tenant, b.location.id, vec![row("Dirk", None, "1004")]).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    let good = vec![row("Ada", Some(f.group.id), "1001"), row("Bo", None, "1002")];
    assert_eq!(s.import_pupils(&f.tenant, f.location.id, good).await.unwrap(), 2);
    let pupils = s.list_pupils(&f.tenant, &by_location).await.unwrap();
    assert_eq!(pupils.len(), before + 2);
    let ada = pupils.iter().find(|p| p.first_name == "Ada").unwrap();
    assert_eq!(
        (ada.group, ada.external_ref.as_deref(), ada.family),
        (Some(f.group.id), Some("1001"), Some(FamilyId(41)))
    );
    assert_eq!(s.siblings_of(&f.tenant, ada.id).await.unwrap().len(), 1, "same family: siblings");

    // A leerlingnummer already present at the location: a conflict, and again nothing lands.
    let again = vec![row("Eva", None, "1005"), row("Ada", None, "1001")];
    let err = s.import_pupils(&f.tenant, f.location.id, again).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(s.list_pupils(&f.tenant, &by_location).await.unwrap().len(), before + 2);
    assert!(s.list_pupils(&b.tenant, &PupilFilter::default()).await.unwrap().iter().all(|p| p.last_name != "Import"));
}

pub async fn notifications_per_user_and_tenant<S: Store + NotificationStore + BatchApply>(s: &S) {
    let f = fixture(s, "Alpha").await;
    let d = open_dossier(s, &f).await;
    let other = s.create_user(&f.tenant, new_user("ib@alpha")).await.unwrap();
    let n = |user: UserId, kind: &str, urgent: bool| NewNotification {
        user,
        dossier: d,
        kind: kind.into(),
        urgent,
        created_at: T0,
    };
    s.notify(
        &f.tenant,
        &[n(other.id, "dossier_opened", false), n(other.id, "disclosure", true), n(f.user.id, "dossier_opened", false)],
    )
    .await
    .unwrap();
    assert_eq!(s.unread_count(&f.tenant, other.id).await.unwrap(), 2);
    let list = s.notifications_for(&f.tenant, other.id, 10).await.unwrap();
    assert_eq!(list.iter().map(|x| x.kind.as_str()).collect::<Vec<_>>(), vec!["disclosure", "dossier_opened"]);
    assert!(list[0].urgent);
    assert_eq!(s.mark_all_read(&f.tenant, other.id, T0).await.unwrap(), 2);
    assert_eq!(s.unread_count(&f.tenant, other.id).await.unwrap(), 0);
    assert_eq!(s.unread_count(&f.tenant, f.user.id).await.unwrap(), 1, "another user's stay unread");

    // Another tenant sees none of them and cannot notify about this dossier.
    let b = fixture(s, "Beta").await;
    assert!(s.notifications_for(&b.tenant, other.id, 10).await.unwrap().is_empty());
    assert_eq!(s.mark_all_read(&b.tenant, f.user.id, T0).await.unwrap(), 0);
    let err = s
        .notify(
            &b.tenant,
            &[NewNotification { user: b.user.id, dossier: d, kind: "x".into(), urgent: false, created_at: T0 }],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

pub async fn route_maps_are_versioned_per_location_and_tenant<S: Store + RouteMapStore>(s: &S) {
    let f = fixture(s, "Alpha").await;
    assert_eq!(s.current_route_map(&f.tenant, f.location.id).await.unwrap(), None);
    let new = |based_on: Option<i64>, content: &str, at: OffsetDateTime| NewRouteMapVersion {
        location: f.location.id,
        based_on,
        content: content.into(),
        note: format!("note {content}"),
        created_by: f.user.id,
        created_at: at,
    };
    let v1 = s.save_route_map(&f.tenant, new(None, "{\"v\":1}", T0)).await.unwrap();
    assert_eq!(v1.version, 1);
    let later = datetime!(2026-04-01 09:00 UTC);
    let v2 = s.save_route_map(&f.tenant, new(Some(1), "{\"v\":2}", later)).await.unwrap();
    assert_eq!(v2.version, 2);

    // Someone who edited version 1 (or thought there was none) cannot overwrite version 2.
    for stale in [Some(1), None, Some(7)] {
        let err = s.save_route_map(&f.tenant, new(stale, "{\"v\":\"lost\"}", later)).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    }
    let current = s.current_route_map(&f.tenant, f.location.id).await.unwrap().unwrap();
    assert_eq!(current, v2);
    assert_eq!(current.created_at, later);
    assert_eq!(s.route_map_version(&f.tenant, f.location.id, 1).await.unwrap(), v1);
    let history: Vec<i64> =
        s.route_map_history(&f.tenant, f.location.id).await.unwrap().iter().map(|v| v.version).collect();
    assert_eq!(history, [2, 1]);
    assert!(matches!(s.route_map_version(&f.tenant, f.location.id, 3).await, Err(StoreError::NotFound)));

    // Another location of the same organisation starts at version 1.
    let other =
        s.create_location(&f.tenant, NewLocation { name: "Dependance".into(), sector: Sector::Po }).await.unwrap();
    let mut elsewhere = new(None, "{}", T0);
    elsewhere.location = other.id;
    assert_eq!(s.save_route_map(&f.tenant, elsewhere).await.unwrap().version, 1);

    // Another tenant sees nothing and cannot write to this location.
    let b = fixture(s, "Beta").await;
    assert_eq!(s.current_route_map(&b.tenant, f.location.id).await.unwrap(), None);
    assert!(s.route_map_history(&b.tenant, f.location.id).await.unwrap().is_empty());
    assert!(matches!(s.route_map_version(&b.tenant, f.location.id, 1).await, Err(StoreError::NotFound)));
    let mut foreign = new(None, "{}", T0);
    foreign.created_by = b.user.id;
    let err = s.save_route_map(&b.tenant, foreign).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

/// Through the writer, a route map version lands with its audit row or neither does: a stale version or
/// another tenant's location is refused and leaves no audit row; a save that lands has exactly one.
pub async fn route_map_versions_land_with_their_audit_row<S: Store + RouteMapStore + BatchApply>(s: &S) {
    let f = fixture(s, "Alpha").await;
    let b = fixture(s, "Beta").await;
    let new = |based_on: Option<i64>, content: &str| NewRouteMapVersion {
        location: f.location.id,
        based_on,
        content: content.into(),
        note: String::new(),
        created_by: f.user.id,
        created_at: T0,
    };
    let audit = |action: &str, tenant: &Fixture| NewAuditEvent {
        at: T0,
        org: Some(tenant.tenant.org),
        actor: Some(tenant.user.id),
        on_behalf_of: None,
        pupil: None,
        dossier: None,
        action: action.into(),
        outcome: "ok".into(),
        source: "127.0.0.1".into(),
    };
    let save = |tenant: &Fixture, version, action: &str| WriteOp::Audited {
        op: Box::new(WriteOp::SaveRouteMap { tenant: tenant.tenant, version }),
        audit: audit(action, tenant),
    };
    let mut foreign = new(None, "{\"foreign\":1}");
    foreign.created_by = b.user.id;
    let results = s
        .apply_batch(&[
            save(&f, new(None, "{\"v\":1}"), "save.first"),
            save(&f, new(None, "{\"v\":\"lost\"}"), "save.stale"),
            save(&f, new(Some(1), "{\"v\":2}"), "save.second"),
            save(&b, foreign, "save.foreign"),
        ])
        .await
        .unwrap();
    assert!(matches!(results[0], Ok(WriteOutcome::RouteMapSaved { version: 1 })), "{results:?}");
    assert!(matches!(results[1], Err(StoreError::Conflict(_))), "{results:?}");
    assert!(matches!(results[2], Ok(WriteOutcome::RouteMapSaved { version: 2 })), "{results:?}");
    assert!(matches!(results[3], Err(StoreError::NotFound)), "{results:?}");
    let history: Vec<String> =
        s.route_map_history(&f.tenant, f.location.id).await.unwrap().into_iter().map(|v| v.content).collect();
    assert_eq!(history, ["{\"v\":2}", "{\"v\":1}"]);
    let actions = |t: TenantCtx| async move {
        s.list_audit(&t, &AuditFilter::default()).await.unwrap().into_iter().map(|e| e.event.action).collect::<Vec<_>>()
    };
    let mine = actions(f.tenant).await;
    assert_eq!(mine.iter().filter(|a| a.starts_with("save.")).count(), 2, "{mine:?}");
    assert!(mine.contains(&"save.first".to_string()) && mine.contains(&"save.second".to_string()), "{mine:?}");
    assert!(!actions(b.tenant).await.iter().any(|a| a.starts_with("save.")));
}

// ---- attachments ----------------------------------------------------------------------------------------------

/// Bytes that are not text and not UTF-8: every value 0..=255, twice, so a lossy round trip would show.
fn file_bytes() -> Vec<u8> {
    let mut bytes: Vec<u8> = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..=255u8).chain((0..=255u8).rev()));
    bytes
}

fn new_attachment(id: &str, content: &[u8]) -> NewAttachment {
    use sha2::{Digest, Sha256};
    NewAttachment {
        id: id.into(),
        media_type: "application/pdf".into(),
        sha256: hex::encode(Sha256::digest(content)),
        content: Arc::from(content),
        created_at: T0,
    }
}

fn attachment_entry(author: UserId, id: &str) -> NewEntry {
    NewEntry {
        recorded_at: T0,
        author,
        kind: "attachment".into(),
        payload: format!("{{\"attachment_id\":\"{id}\"}}").into_bytes(),
    }
}

fn append_attachment(f: &Fixture, d: DossierId, expected: Option<i64>, id: &str, content: &[u8]) -> WriteOp {
    WriteOp::AppendAttachment {
        tenant: f.tenant,
        dossier: d,
        expected_last_seq: expected,
        entry: attachment_entry(f.user.id, id),
        projection: projection(1),
        attachment: new_attachment(id, content),
    }
}

fn count(counts: &[(String, i64)], table: &str) -> i64 {
    counts.iter().find(|(n, _)| n == table).map(|(_, c)| *c).unwrap_or_else(|| panic!("no count for {table}"))
}

const ID_1: &str = "0123456789abcdef0123456789abcdef";
const ID_2: &str = "fedcba9876543210fedcba9876543210";

/// The entry and its file land together; the content comes back byte for byte, with its checksum.
pub async fn attachments_are_written_with_their_entry<S: Store + BatchApply>(s: &S) {
    use sha2::{Digest, Sha256};
    let f = fixture(s, "Alpha").await;
    let d = open_dossier(s, &f).await;
    let content = file_bytes();
    let results = s.apply_batch(&[append_attachment(&f, d, Some(1), ID_1, &content)]).await.unwrap();
    let WriteOutcome::EntryAppended { entry, seq } = results.into_iter().next().unwrap().unwrap() else {
        panic!("unexpected outcome");
    };
    assert_eq!(seq, 2);
    let entries = s.list_entries(&f.tenant, d).await.unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!((entries[1].id, entries[1].kind.as_str()), (entry, "attachment"));

    let stored = s.get_attachment(&f.tenant, d, ID_1).await.unwrap();
    assert_eq!(stored.content, content, "byte-exact round trip");
    assert_eq!(stored.sha256, hex::encode(Sha256::digest(&content)));
    assert_eq!(stored.size_bytes, content.len() as i64);
    assert_eq!((stored.id.as_str(), stored.dossier, stored.entry), (ID_1, d, entry));
    assert_eq!(stored.media_type, "application/pdf");
    assert_eq!(stored.created_at, T0);
    assert_eq!(s.get_dossier(&f.tenant, d).await.unwrap().last_seq, 2);
    assert_eq!(count(&s.table_counts().await.unwrap(), "attachments"), 1);

    // The same id twice is refused, and the refused entry is not written either.
    let results = s.apply_batch(&[append_attachment(&f, d, None, ID_1, b"%PDF-other")]).await.unwrap();
    assert!(results[0].is_err(), "{results:?}");
    assert_eq!(s.list_entries(&f.tenant, d).await.unwrap().len(), 2);
    assert_eq!(s.get_attachment(&f.tenant, d, ID_1).await.unwrap().content, content);

    // An unknown id is simply not found.
    assert!(matches!(s.get_attachment(&f.tenant, d, ID_2).await, Err(StoreError::NotFound)));
}

/// A refused append (stale chronology, unknown dossier) leaves no file behind; its neighbours in the batch
/// still land.
pub async fn a_refused_attachment_leaves_no_file<S: Store + BatchApply>(s: &S) {
    let f = fixture(s, "Alpha").await;
    let d = open_dossier(s, &f).await;
    let results = s
        .apply_batch(&[
            WriteOp::AppendEntry {
                tenant: f.tenant,
                dossier: d,
                expected_last_seq: Some(1),
                entry: entry(f.user.id, 1),
                projection: projection(1),
            },
            // Validated against seq 1, but seq 2 landed first.
            append_attachment(&f, d, Some(1), ID_1, &file_bytes()),
            // A dossier that does not exist.
            append_attachment(&f, DossierId(d.0 + 1000), None, ID_2, &file_bytes()),
        ])
        .await
        .unwrap();
    assert!(results[0].is_ok(), "{results:?}");
    assert!(matches!(results[1], Err(StoreError::Conflict(_))), "{results:?}");
    assert!(matches!(results[2], Err(StoreError::NotFound)), "{results:?}");
    assert!(matches!(s.get_attachment(&f.tenant, d, ID_1).await, Err(StoreError::NotFound)));
    assert!(matches!(s.get_attachment(&f.tenant, DossierId(d.0 + 1000), ID_2).await, Err(StoreError::NotFound)));
    assert_eq!(count(&s.table_counts().await.unwrap(), "attachments"), 0, "no orphaned file");
    assert_eq!(s.list_entries(&f.tenant, d).await.unwrap().len(), 2);
    assert_eq!(s.get_dossier(&f.tenant, d).await.unwrap().last_seq, 2);
}

/// Another tenant's id, or another dossier's, is not found; writing into another tenant's dossier is refused
/// and leaves nothing.
pub async fn attachments_are_tenant_isolated<S: Store + BatchApply>(s: &S) {
    let a = fixture(s, "Alpha").await;
    let b = fixture(s, "Beta").await;
    let dossier_a = open_dossier(s, &a).await;
    let dossier_b = open_dossier(s, &b).await;
    let results = s.apply_batch(&[append_attachment(&a, dossier_a, None, ID_1, &file_bytes())]).await.unwrap();
    assert!(results[0].is_ok(), "{results:?}");

    assert!(matches!(s.get_attachment(&b.tenant, dossier_a, ID_1).await, Err(StoreError::NotFound)));
    assert!(matches!(s.get_attachment(&b.tenant, dossier_b, ID_1).await, Err(StoreError::NotFound)));
    // Same tenant, another dossier: not found either (a link names its dossier).
    let other = s.create_pupil(&a.tenant, new_pupil(a.location.id, None, "Ot", "Ander", None)).await.unwrap();
    let results = s
        .apply_batch(&[WriteOp::OpenDossier {
            tenant: a.tenant,
            location: a.location.id,
            pupil: other.id,
            opened_by: a.user.id,
            opened_at: T0,
            first_entry: entry(a.user.id, 0),
            projection: projection(1),
        }])
        .await
        .unwrap();
    let Ok(WriteOutcome::DossierOpened { dossier: second, .. }) = &results[0] else { panic!("{results:?}") };
    assert!(matches!(s.get_attachment(&a.tenant, *second, ID_1).await, Err(StoreError::NotFound)));
    assert_eq!(s.get_attachment(&a.tenant, dossier_a, ID_1).await.unwrap().content, file_bytes());

    // Tenant B writing into A's dossier: refused as not found, nothing stored.
    let sneaky = WriteOp::AppendAttachment {
        tenant: b.tenant,
        dossier: dossier_a,
        expected_last_seq: None,
        entry: attachment_entry(b.user.id, ID_2),
        projection: projection(1),
        attachment: new_attachment(ID_2, b"sneaky"),
    };
    let results = s.apply_batch(&[sneaky]).await.unwrap();
    assert!(matches!(results[0], Err(StoreError::NotFound)), "{results:?}");
    assert!(matches!(s.get_attachment(&a.tenant, dossier_a, ID_2).await, Err(StoreError::NotFound)));
    assert!(matches!(s.get_attachment(&b.tenant, dossier_a, ID_2).await, Err(StoreError::NotFound)));
    assert_eq!(count(&s.table_counts().await.unwrap(), "attachments"), 1);
    assert_eq!(s.list_entries(&a.tenant, dossier_a).await.unwrap().len(), 2);
}

// --- received dossiers (issue 7, transfer) ------------------------------------------------------------------

fn imported_entry(author: UserId, n: usize, corrects_seq: Option<i64>, file: Option<(&str, &[u8])>) -> ImportedEntry {
    let (kind, payload) = match (corrects_seq, file) {
        (Some(target), _) => (
            "correction",
            format!("{{\"occurred_on\":null,\"body\":{{\"kind\":\"correction\",\"corrects\":{target},\"n\":{n}}}}}"),
        ),
        (None, Some((id, _))) => ("attachment", format!("{{\"attachment_id\":\"{id}\",\"n\":{n}}}")),
        (None, None) => ("observation", format!("{{\"n\":{n}}}")),
    };
    ImportedEntry {
        entry: NewEntry {
            recorded_at: T0 + time::Duration::minutes(n as i64),
            author,
            kind: kind.into(),
            payload: payload.into_bytes(),
        },
        corrects_seq,
        author_name: format!("Auteur {n}"),
        author_role: n.is_multiple_of(2).then(|| "medewerker".to_string()),
        original_hash: format!("{n:064x}"),
        attachment: file.map(|(id, content)| new_attachment(id, content)),
    }
}

fn imported_dossier(f: &Fixture, first: &str, external_ref: Option<&str>, entries: Vec<ImportedEntry>) -> WriteOp {
    let mut pupil = new_pupil(f.location.id, None, first, "Overgekomen", None);
    pupil.external_ref = external_ref.map(str::to_string);
    WriteOp::ImportDossier {
        tenant: f.tenant,
        dossier: Box::new(ImportedDossier {
            location: f.location.id,
            pupil,
            opened_at: T0,
            received_by: f.user.id,
            received_at: T0 + time::Duration::days(30),
            sending_organisation: "OBS Elders".into(),
            sending_location: "Hoofdgebouw".into(),
            exported_at: T0 + time::Duration::days(29),
            chain_head: "ab".repeat(32),
            projection: DossierProjection {
                step: 3,
                closed: false,
                urgent: true,
                next_due: Some(date!(2026 - 04 - 01)),
                closed_on: None,
            },
            entries,
        }),
    }
}

/// Pupil, dossier, entries (in order, with their times), files and received marks land together; a
/// correction's target becomes the new id of the entry it pointed at by seq.
pub async fn an_imported_dossier_lands_whole<S: Store + BatchApply + TransferStore>(s: &S) {
    let f = fixture(s, "Alpha").await;
    let content = file_bytes();
    let entries = vec![
        imported_entry(f.user.id, 1, None, None),
        imported_entry(f.user.id, 2, None, Some((ID_1, &content))),
        imported_entry(f.user.id, 3, Some(1), None),
    ];
    let results = s.apply_batch(&[imported_dossier(&f, "Sem", Some("L-77"), entries)]).await.unwrap();
    let Ok(WriteOutcome::DossierImported { pupil, dossier }) = results[0] else { panic!("{results:?}") };
    let p = s.get_pupil(&f.tenant, pupil).await.unwrap();
    assert_eq!((p.first_name.as_str(), p.external_ref.as_deref(), p.location), ("Sem", Some("L-77"), f.location.id));
    let d = s.get_dossier(&f.tenant, dossier).await.unwrap();
    assert_eq!((d.pupil, d.last_seq, d.opened_at, d.opened_by), (pupil, 3, T0, f.user.id));
    assert_eq!(d.projection.step, 3);
    assert!(d.projection.urgent);
    let stored = s.list_entries(&f.tenant, dossier).await.unwrap();
    assert_eq!(stored.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(stored[1].recorded_at, T0 + time::Duration::minutes(2));
    assert_eq!(stored.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["observation", "attachment", "correction"]);
    let correction: serde_json::Value = serde_json::from_slice(&stored[2].payload).unwrap();
    assert_eq!(correction["body"]["corrects"], serde_json::json!(stored[0].id.0), "target rewritten to the new id");
    assert_eq!(correction["body"]["n"], 3, "the rest of the payload is untouched");
    assert_eq!(stored[0].payload, b"{\"n\":1}".to_vec());
    assert_eq!(s.get_attachment(&f.tenant, dossier, ID_1).await.unwrap().content, content);

    let r = s.received_dossier(&f.tenant, dossier).await.unwrap().expect("marked as received");
    assert_eq!((r.sending_organisation.as_str(), r.sending_location.as_str()), ("OBS Elders", "Hoofdgebouw"));
    assert_eq!((r.received_by, r.received_at, r.chain_head.len()), (f.user.id, T0 + time::Duration::days(30), 64));
    assert_eq!(r.entries.iter().map(|e| e.entry).collect::<Vec<_>>(), stored.iter().map(|e| e.id).collect::<Vec<_>>());
    assert_eq!(r.entries[1].author_name, "Auteur 2");
    assert_eq!(r.entries[1].author_role.as_deref(), Some("medewerker"));
    assert_eq!(r.entries[0].author_role, None);
    assert_eq!(r.entries[2].original_hash, format!("{:064x}", 3));

    // A dossier opened here is not marked; another tenant sees no mark.
    let own = open_dossier(s, &f).await;
    assert_eq!(s.received_dossier(&f.tenant, own).await.unwrap(), None);
    let b = fixture(s, "Beta").await;
    assert_eq!(s.received_dossier(&b.tenant, dossier).await.unwrap(), None);
}

/// A pupil the organisation already has (same external reference, or same name and date of birth), a bad
/// location or a bad correction target: refused, and nothing at all is written.
pub async fn a_refused_import_writes_nothing<S: Store + BatchApply + TransferStore>(s: &S) {
    let f = fixture(s, "Alpha").await;
    let b = fixture(s, "Beta").await;
    let first = s
        .apply_batch(&[imported_dossier(&f, "Sem", Some("L-77"), vec![imported_entry(f.user.id, 1, None, None)])])
        .await
        .unwrap();
    assert!(first[0].is_ok(), "{first:?}");
    let before = s.table_counts().await.unwrap();
    let content = file_bytes();
    let whole = |first: &str, external_ref: Option<&str>| {
        imported_dossier(
            &f,
            first,
            external_ref,
            vec![imported_entry(f.user.id, 1, None, None), imported_entry(f.user.id, 2, None, Some((ID_2, &content)))],
        )
    };
    // Same external reference, other name.
    let same_ref = whole("Anders", Some("L-77"));
    // Same name (other case) and date of birth, no reference.
    let same_name = whole("SEM", None);
    // The fixture's own pupil: "Pim Alpha" with the same date of birth.
    let mut existing = whole("Pim", None);
    if let WriteOp::ImportDossier { dossier, .. } = &mut existing {
        dossier.pupil.last_name = "alpha".into();
    }
    // A location of another tenant.
    let mut foreign = whole("Nieuw", None);
    if let WriteOp::ImportDossier { dossier, .. } = &mut foreign {
        dossier.location = b.location.id;
        dossier.pupil.location = b.location.id;
    }
    // A correction pointing forward.
    let bad_target = imported_dossier(
        &f,
        "Nieuw",
        None,
        vec![imported_entry(f.user.id, 1, Some(2), None), imported_entry(f.user.id, 2, None, None)],
    );
    let results = s.apply_batch(&[same_ref, same_name, existing, foreign, bad_target]).await.unwrap();
    assert!(matches!(results[0], Err(StoreError::Conflict(_))), "{results:?}");
    assert!(matches!(results[1], Err(StoreError::Conflict(_))), "{results:?}");
    assert!(matches!(results[2], Err(StoreError::Conflict(_))), "{results:?}");
    assert!(matches!(results[3], Err(StoreError::NotFound)), "{results:?}");
    assert!(results[4].is_err(), "{results:?}");
    assert_eq!(s.table_counts().await.unwrap(), before, "no row of any refused import remains");
    // Tenant B may import the same pupil: uniqueness is per organisation.
    let mut for_b = imported_dossier(&b, "Sem", Some("L-77"), vec![imported_entry(b.user.id, 1, None, None)]);
    if let WriteOp::ImportDossier { dossier, .. } = &mut for_b {
        dossier.pupil.location = b.location.id;
    }
    let results = s.apply_batch(&[for_b]).await.unwrap();
    assert!(results[0].is_ok(), "{results:?}");
}

/// The audit row of the fixture's user doing `action` on dossier `d`.
fn audit_row(f: &Fixture, d: DossierId, action: &str) -> NewAuditEvent {
    NewAuditEvent {
        at: T0,
        org: Some(f.tenant.org),
        actor: Some(f.user.id),
        on_behalf_of: None,
        pupil: Some(f.pupil.id),
        dossier: Some(d),
        action: action.into(),
        outcome: "allowed".into(),
        source: "127.0.0.1".into(),
    }
}

/// The actions of dossier `d`'s audit rows, as the store lists them.
async fn audit_actions<S: Store>(s: &S, f: &Fixture, d: DossierId) -> Vec<String> {
    let filter = AuditFilter { dossier: Some(d), ..Default::default() };
    s.list_audit(&f.tenant, &filter).await.unwrap().into_iter().map(|e| e.event.action).collect()
}

/// Appending entry `n` by `author` to dossier `d`, validated against a chronology ending at `expected`.
fn append_op(f: &Fixture, d: DossierId, expected: Option<i64>, author: UserId, n: usize) -> WriteOp {
    WriteOp::AppendEntry {
        tenant: f.tenant,
        dossier: d,
        expected_last_seq: expected,
        entry: entry(author, n),
        projection: DossierProjection { step: 2, closed: false, urgent: false, next_due: None, closed_on: None },
    }
}

/// An audited write lands together with its audit row, in one savepoint: when the write is refused (stale),
/// neither lands; an audited write cannot nest another.
pub async fn audited_writes_land_with_their_audit_row<S: Store + BatchApply>(s: &S) {
    let f = fixture(s, "Alpha").await;
    let d = open_dossier(s, &f).await;
    let audit = |action: &str| audit_row(&f, d, action);
    let append = |expected, n| append_op(&f, d, expected, f.user.id, n);
    let audited = |op, action: &str| WriteOp::Audited { op: Box::new(op), audit: audit(action) };
    let nested = audited(audited(append(None, 9), "inner"), "outer");
    let results = s
        .apply_batch(&[audited(append(Some(1), 2), "append.ok"), audited(append(Some(1), 3), "append.stale"), nested])
        .await
        .unwrap();
    assert!(matches!(results[0], Ok(WriteOutcome::EntryAppended { seq: 2, .. })), "{results:?}");
    assert!(matches!(results[1], Err(StoreError::Conflict(_))), "{results:?}");
    assert!(results[2].is_err(), "{results:?}");
    assert_eq!(s.list_entries(&f.tenant, d).await.unwrap().len(), 2);
    let actions = audit_actions(s, &f, d).await;
    assert_eq!(actions, vec!["append.ok".to_string()]);
}

/// A write that fails in the database itself (here a foreign key: an author of another organisation) fails
/// alone: the writes before and after it in the same batch, page views' audit rows among them, still land, in
/// order. (PostgreSQL first tries a batch without savepoints and applies it again with them after such an
/// error; SQLite always has them.)
///
/// Returns how many times the store applied a batch again ([`BatchApply::batches_retried`]).
pub async fn a_database_error_fails_only_its_own_write<S: Store + BatchApply>(s: &S) -> u64 {
    let f = fixture(s, "Alpha").await;
    let other = fixture(s, "Beta").await;
    let d = open_dossier(s, &f).await;
    let audit = |action: &str| audit_row(&f, d, action);
    let append = |expected, author, n| append_op(&f, d, expected, author, n);
    let audited = |op, action: &str| WriteOp::Audited { op: Box::new(op), audit: audit(action) };
    let retried = s.batches_retried();
    let results = s
        .apply_batch(&[
            WriteOp::Audit(audit("dossier.read")),
            append(Some(1), f.user.id, 2),
            audited(append(None, other.user.id, 3), "append.foreign"),
            audited(append(None, f.user.id, 4), "append.ok"),
            WriteOp::Audit(audit("dossier.read.again")),
        ])
        .await
        .unwrap();
    assert!(matches!(results[0], Ok(WriteOutcome::Audited { .. })), "{results:?}");
    assert!(matches!(results[1], Ok(WriteOutcome::EntryAppended { seq: 2, .. })), "{results:?}");
    assert!(matches!(results[2], Err(StoreError::NotFound)), "{results:?}");
    assert!(matches!(results[3], Ok(WriteOutcome::EntryAppended { seq: 3, .. })), "{results:?}");
    assert!(matches!(results[4], Ok(WriteOutcome::Audited { .. })), "{results:?}");
    let entries = s.list_entries(&f.tenant, d).await.unwrap();
    assert_eq!(
        entries.iter().map(|e| (e.seq, e.payload.clone())).collect::<Vec<_>>(),
        vec![(1, b"{\"n\":0}".to_vec()), (2, b"{\"n\":2}".to_vec()), (3, b"{\"n\":4}".to_vec()),]
    );
    assert_eq!(s.get_dossier(&f.tenant, d).await.unwrap().last_seq, 3);
    let actions = audit_actions(s, &f, d).await;
    let mut actions_sorted = actions.clone();
    actions_sorted.sort();
    assert_eq!(actions_sorted, vec!["append.ok", "dossier.read", "dossier.read.again"], "{actions:?}");
    s.batches_retried() - retried
}

/// A batch of appends to several dossiers, with page views' audit rows between them, gives what applying its
/// writes one at a time gives: each append lands or is refused on its own dossier's state (stale, unknown, or
/// another tenant's), a dossier written twice in one batch gets both entries in order, and the audit rows of
/// the writes that landed follow the batch's order. (PostgreSQL applies such a batch with one statement for
/// all appends to different dossiers, without falling back to savepoints: checked.)
pub async fn a_batch_over_many_dossiers_matches_one_write_at_a_time<S: Store + BatchApply>(s: &S) {
    let f = fixture(s, "Alpha").await;
    let other = fixture(s, "Beta").await;
    let mut d = Vec::new();
    for _ in 0..4 {
        d.push(open_dossier(s, &f).await);
    }
    let foreign = open_dossier(s, &other).await;
    let append = |dossier, expected, n| append_op(&f, dossier, expected, f.user.id, n);
    let audited =
        |op, dossier, action: &str| WriteOp::Audited { op: Box::new(op), audit: audit_row(&f, dossier, action) };
    let urgent = WriteOp::AppendEntry {
        tenant: f.tenant,
        dossier: d[0],
        expected_last_seq: Some(1),
        entry: entry(f.user.id, 10),
        projection: DossierProjection {
            step: 3,
            closed: false,
            urgent: true,
            next_due: Some(date!(2026 - 03 - 09)),
            closed_on: None,
        },
    };
    let retried = s.batches_retried();
    let results = s
        .apply_batch(&[
            WriteOp::Audit(audit_row(&f, d[0], "read.first")),
            audited(urgent, d[0], "append.0"),
            append(d[1], Some(5), 11),
            append(DossierId(i64::MAX), None, 12),
            append(foreign, Some(1), 13),
            audited(append(d[2], None, 14), d[2], "append.2"),
            append(d[0], Some(2), 15),
            audited(append(d[1], Some(1), 16), d[1], "append.1"),
            WriteOp::Audit(audit_row(&f, d[0], "read.second")),
            audited(append(d[3], Some(9), 17), d[3], "append.3.stale"),
        ])
        .await
        .unwrap();
    let seqs: Vec<Option<i64>> = results
        .iter()
        .map(|r| match r {
            Ok(WriteOutcome::EntryAppended { seq, .. }) => Some(*seq),
            _ => None,
        })
        .collect();
    assert_eq!(seqs, vec![None, Some(2), None, None, None, Some(2), Some(3), Some(2), None, None], "{results:?}");
    // No operation failed in the database: PostgreSQL applied the batch in one go, its appends in one statement
    // per run of different dossiers (the refusals are its own, not a foreign key's).
    assert_eq!(s.batches_retried(), retried);
    assert!(matches!(results[0], Ok(WriteOutcome::Audited { .. })), "{results:?}");
    assert!(matches!(results[2], Err(StoreError::Conflict(_))), "{results:?}");
    assert!(matches!(results[3], Err(StoreError::NotFound)), "{results:?}");
    assert!(matches!(results[4], Err(StoreError::NotFound)), "{results:?}");
    assert!(matches!(results[8], Ok(WriteOutcome::Audited { .. })), "{results:?}");
    assert!(matches!(results[9], Err(StoreError::Conflict(_))), "{results:?}");

    let payloads = |entries: Vec<StoredEntry>| entries.into_iter().map(|e| (e.seq, e.payload)).collect::<Vec<_>>();
    let n = |n: usize| format!("{{\"n\":{n}}}").into_bytes();
    let expected = [vec![(1, n(0)), (2, n(10)), (3, n(15))], vec![(1, n(0)), (2, n(16))], vec![(1, n(0)), (2, n(14))]];
    for (dossier, expected) in d.iter().zip(expected) {
        assert_eq!(payloads(s.list_entries(&f.tenant, *dossier).await.unwrap()), expected);
    }
    assert_eq!(payloads(s.list_entries(&f.tenant, d[3]).await.unwrap()), vec![(1, n(0))]);
    assert_eq!(payloads(s.list_entries(&other.tenant, foreign).await.unwrap()), vec![(1, n(0))]);
    let first = s.get_dossier(&f.tenant, d[0]).await.unwrap();
    assert_eq!((first.last_seq, first.projection.step, first.projection.urgent), (3, 2, false));
    assert_eq!(s.get_dossier(&other.tenant, foreign).await.unwrap().last_seq, 1);

    let mut audit = s.list_audit(&f.tenant, &AuditFilter::default()).await.unwrap();
    audit.sort_by_key(|e| e.seq);
    let actions: Vec<&str> = audit.iter().map(|e| e.event.action.as_str()).collect();
    assert_eq!(actions, vec!["read.first", "append.0", "append.2", "append.1", "read.second"]);
    let Ok(WriteOutcome::Audited { seq: first_seq }) = results[0] else { unreachable!() };
    let Ok(WriteOutcome::Audited { seq: last_seq }) = results[8] else { unreachable!() };
    assert_eq!((audit[0].seq, audit[4].seq), (first_seq, last_seq));
}

/// The one-query session lookup every authenticated request makes gives exactly what the separate reads give:
/// the session, its user, the user's grants (none, one organisation-wide, several) and the unread count; and
/// nothing for an unknown token or a session that was ended.
pub async fn session_context_matches_the_separate_reads<S: Store + AccountStore + NotificationStore + BatchApply>(
    s: &S,
) {
    let f = fixture(s, "Alpha").await;
    let b = fixture(s, "Beta").await;
    s.replace_roles(&f.tenant, f.user.id, &[]).await.unwrap();
    let record = SessionRecord { second_factor_done: true, ..session_record(&f, 1, T0) };
    s.create_session(&record).await.unwrap();
    let ctx = s.session_context(&record.id_hash).await.unwrap().unwrap();
    assert_eq!(ctx.session, record);
    assert_eq!(ctx.user, s.get_user(&f.tenant, f.user.id).await.unwrap());
    assert!(ctx.grants.is_empty());
    assert_eq!(ctx.unread, 0);

    // Grants change (which ends sessions), so a new session sees them.
    let grants = vec![
        RoleGrant { user: f.user.id, location: Some(f.location.id), role: Role::InternBegeleider },
        RoleGrant { user: f.user.id, location: None, role: Role::Directeur },
        RoleGrant { user: f.user.id, location: Some(f.location.id), role: Role::Aandachtsfunctionaris },
    ];
    s.replace_roles(&f.tenant, f.user.id, &grants).await.unwrap();
    assert_eq!(s.session_context(&record.id_hash).await.unwrap(), None, "changing roles ended the session");
    s.create_session(&record).await.unwrap();
    let d = open_dossier(s, &f).await;
    let note = || NewNotification {
        user: f.user.id,
        dossier: d,
        kind: "dossier_opened".into(),
        urgent: false,
        created_at: T0,
    };
    s.notify(&f.tenant, &[note(), note()]).await.unwrap();
    let ctx = s.session_context(&record.id_hash).await.unwrap().unwrap();
    assert_eq!(ctx.grants, s.roles_of(&f.tenant, f.user.id).await.unwrap());
    assert_eq!(ctx.grants.len(), 3);
    assert_eq!(ctx.unread, s.unread_count(&f.tenant, f.user.id).await.unwrap());
    assert_eq!(ctx.unread, 2);
    s.mark_all_read(&f.tenant, f.user.id, T0).await.unwrap();
    assert_eq!(s.session_context(&record.id_hash).await.unwrap().unwrap().unread, 0);

    // Another tenant's session sees only its own user and grants.
    let theirs = SessionRecord { id_hash: vec![2; 32], ..session_record(&b, 2, T0) };
    s.create_session(&theirs).await.unwrap();
    let ctx = s.session_context(&theirs.id_hash).await.unwrap().unwrap();
    assert_eq!(ctx.user.id, b.user.id);
    assert_eq!(ctx.grants, s.roles_of(&b.tenant, b.user.id).await.unwrap());
    assert_eq!(ctx.unread, 0);

    assert_eq!(s.session_context(&[9; 32]).await.unwrap(), None, "unknown token");
    s.delete_session(&record.id_hash).await.unwrap();
    assert_eq!(s.session_context(&record.id_hash).await.unwrap(), None, "ended session");
}

/// `dossier_context` gives exactly what the separate reads give: the dossier, its pupil, the dossier's and the
/// pupil's own location, every share, whether it was received, and its location's newest route map version.
pub async fn dossier_context_matches_the_separate_reads<
    S: Store + AccountStore + BatchApply + TransferStore + RouteMapStore,
>(
    s: &S,
) {
    let f = fixture(s, "Alpha").await;
    s.create_location(&f.tenant, NewLocation { name: "Bovenbouw".into(), sector: Sector::Vo }).await.unwrap();
    let d = open_dossier(s, &f).await;

    let ctx = s.dossier_context(&f.tenant, d).await.unwrap();
    assert_eq!(ctx.dossier, s.get_dossier(&f.tenant, d).await.unwrap());
    assert_eq!(ctx.pupil, s.get_pupil(&f.tenant, f.pupil.id).await.unwrap());
    assert_eq!((ctx.location.clone(), ctx.pupil_location.clone()), (f.location.clone(), f.location.clone()));
    assert_eq!((ctx.shares.len(), ctx.received, ctx.route_map_version), (0, false, None));

    // The newest route map version of the dossier's location, as its history gives it; another location's
    // versions do not count.
    let map = |location: LocationId, based_on: Option<i64>| NewRouteMapVersion {
        location,
        based_on,
        content: "{}".into(),
        note: String::new(),
        created_by: f.user.id,
        created_at: T0,
    };
    s.save_route_map(&f.tenant, map(f.location.id, None)).await.unwrap();
    s.save_route_map(&f.tenant, map(f.location.id, Some(1))).await.unwrap();
    let other = s.list_locations(&f.tenant).await.unwrap().into_iter().find(|l| l.id != f.location.id).unwrap();
    for based_on in [None, Some(1), Some(2)] {
        s.save_route_map(&f.tenant, map(other.id, based_on)).await.unwrap();
    }
    let newest = s.route_map_history(&f.tenant, f.location.id).await.unwrap()[0].version;
    assert_eq!((newest, s.dossier_context(&f.tenant, d).await.unwrap().route_map_version), (2, Some(2)));

    // Two partners, one share revoked: every share, in id order, as `shares_of_dossier` gives them.
    for (login, kinds) in [("jgz@alpha", vec!["observation".to_string()]), ("wijk@alpha", vec![])] {
        let partner = s.create_user(&f.tenant, new_user(login)).await.unwrap();
        let share = NewShare {
            dossier: d,
            partner: partner.id,
            entry_kinds: kinds,
            until: date!(2026 - 04 - 30),
            created_by: f.user.id,
            created_at: T0,
        };
        s.create_share(&f.tenant, share).await.unwrap();
    }
    let shares = s.shares_of_dossier(&f.tenant, d).await.unwrap();
    s.revoke_share(&f.tenant, shares[1].id, T0).await.unwrap();
    let shares = s.shares_of_dossier(&f.tenant, d).await.unwrap();
    let ctx = s.dossier_context(&f.tenant, d).await.unwrap();
    assert_eq!(ctx.shares, shares);
    assert_eq!((ctx.shares.len(), ctx.shares[1].revoked_at), (2, Some(T0)));
    assert_eq!(ctx.dossier, s.get_dossier(&f.tenant, d).await.unwrap(), "one row's values, however many shares");

    // A received dossier is marked.
    let imported = imported_dossier(&f, "Sem", None, vec![imported_entry(f.user.id, 1, None, None)]);
    let results = s.apply_batch(&[imported]).await.unwrap();
    let Ok(WriteOutcome::DossierImported { dossier: received, .. }) = results[0] else { panic!("{results:?}") };
    assert!(s.dossier_context(&f.tenant, received).await.unwrap().received);

    // Another tenant's id, or none: not found.
    let b = fixture(s, "Beta").await;
    assert!(matches!(s.dossier_context(&b.tenant, d).await, Err(StoreError::NotFound)));
    assert!(matches!(s.dossier_context(&f.tenant, DossierId(d.0 + 1000)).await, Err(StoreError::NotFound)));
}

/// Names for a few accounts: only the tenant's own, each once, unknown ids left out, none asked none given.
pub async fn user_names_are_tenant_scoped<S: Store>(s: &S) {
    let f = fixture(s, "Alpha").await;
    let b = fixture(s, "Beta").await;
    let second = s.create_user(&f.tenant, new_user("ib@alpha")).await.unwrap();
    let asked = [second.id, f.user.id, b.user.id, UserId(987_654), second.id];
    let mut names = s.user_names(&f.tenant, &asked).await.unwrap();
    names.sort_by_key(|(id, _)| id.0);
    let mut expected = vec![(f.user.id, f.user.display_name.clone()), (second.id, second.display_name.clone())];
    expected.sort_by_key(|(id, _)| id.0);
    assert_eq!(names, expected, "another tenant's account and an unknown id are left out, a repeated id named once");
    assert!(s.user_names(&f.tenant, &[]).await.unwrap().is_empty());
    assert!(s.user_names(&b.tenant, &[f.user.id]).await.unwrap().is_empty());
}
