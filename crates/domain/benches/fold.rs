//! The domain fold of a dossier with 1,000 entries (target: at most 50 µs; see docs/performance.md).
//! The chronology follows the meldcode's route (signal, consultation, conversation, weighing, the
//! afwegingskader's first two questions, a report to Veilig Thuis, its feedback, a help plan and
//! evaluations) with many further signals, consultations and conversations in between.
//! Run: `cargo bench -p meldroute-domain --bench fold`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use meldroute_domain::*;
use time::{Date, Duration, Month, OffsetDateTime, Time};

fn day(n: i64) -> Date {
    Date::from_calendar_date(2025, Month::September, 1).unwrap_or(Date::MIN) + Duration::days(n)
}

fn body(i: usize, on: Date) -> EntryBody {
    match i {
        0 => EntryBody::Observation(Observation {
            facts: "Komt al weken zonder ontbijt en valt in slaap in de kring.".into(),
            interpretation: Some("Ik maak me zorgen.".into()),
            source: SignalSource::OwnObservation,
            source_detail: None,
            categories: vec![SignalCategory::ChildPhysical, SignalCategory::ChildBehaviour],
            also_noticed_by: Vec::new(),
            concerns_staff_sexual_misconduct: false,
        }),
        400 => EntryBody::Weighing(Weighing {
            participants: vec!["intern begeleider".into(), "aandachtsfunctionaris".into()],
            nature: "Verwaarlozing.".into(),
            severity: "Ernstig.".into(),
            risk: "Hoog.".into(),
            protective_factors: "Grootouders.".into(),
            veilig_thuis_judgement_asked: false,
            veilig_thuis_judgement: None,
            instrument: None,
            approach: None,
        }),
        401 | 402 => EntryBody::AssessmentAnswer(AssessmentAnswer {
            question: if i == 401 { Question::Q1 } else { Question::Q2 },
            answer: Answer::Ja,
            reasoning: "Structurele onveiligheid.".into(),
            answered_by: "ondersteuningsteam".into(),
            with_veilig_thuis: false,
            board_informed: true,
        }),
        403 => EntryBody::Report(Report {
            reported_on: on,
            reporter: "aandachtsfunctionaris".into(),
            facts: "De signalen en het gesprek.".into(),
            by_phone: true,
            parents_informed: Some(true),
            parents_not_informed_reason: None,
            pupil_informed: None,
            pupil_not_informed_reason: None,
            board_informed: true,
            conversation_exception: None,
            confidentiality_broken: false,
            confidentiality: None,
            shield_identity_requested: false,
            shield_identity_arguments: None,
        }),
        404 => EntryBody::VeiligThuisFeedback(VeiligThuisFeedback {
            received_on: on,
            route: VeiligThuisRoute::Melding,
            decision: Some(VeiligThuisDecision::HandedToLocalTeam),
            outcome: None,
            summary: "Overgedragen aan het wijkteam.".into(),
            handelingsadviezen: None,
        }),
        _ if i.is_multiple_of(3) => EntryBody::Consultation(Consultation {
            with: ConsultationKind::Colleague,
            with_whom: None,
            anonymous: false,
            summary: "Herkent de signalen.".into(),
            advice: Some("Blijven observeren.".into()),
        }),
        _ if i % 3 == 1 => EntryBody::Conversation(Conversation {
            with: ConversationWith::Parents,
            summary: "Ouders herkennen de zorgen.".into(),
            reactions: None,
            agreements: Some("Vervolggesprek.".into()),
            follow_up_on: Some(on + Duration::days(14)),
        }),
        _ => EntryBody::Evaluation(HelpEvaluation {
            summary: "Het gaat iets beter.".into(),
            results_reached: Some(false),
            next_evaluation_on: Some(on + Duration::days(42)),
        }),
    }
}

fn chronology(n: usize) -> Vec<Entry> {
    (0..n)
        .map(|i| {
            let on = day(i as i64 / 3);
            Entry {
                id: EntryId(i as i64 + 1),
                seq: u32::try_from(i + 1).unwrap_or(u32::MAX),
                recorded_at: OffsetDateTime::new_utc(on, Time::from_hms(9, 0, 0).unwrap_or(Time::MIDNIGHT)),
                occurred_on: None,
                author: UserRef(1 + (i % 3) as i64),
                body: body(i, on),
            }
        })
        .collect()
}

fn bench_fold(c: &mut Criterion) {
    let ctx = FoldContext { sector: Sector::Po, pupil_age: Some(9), calendar: Calendar::new() };
    for n in [20usize, 1000] {
        let entries = chronology(n);
        c.bench_function(&format!("fold {n} entries"), |b| b.iter(|| fold(black_box(&ctx), black_box(&entries))));
    }
}

criterion_group!(benches, bench_fold);
criterion_main!(benches);
