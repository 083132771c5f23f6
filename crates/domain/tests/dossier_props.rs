//! Property tests of the fold: dossiers are built by random walks of entries that `validate_append`
//! accepts, the way a real dossier grows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use meldroute_domain::*;
use proptest::prelude::*;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-03-10 12:00 +01:00);

fn text(s: &str) -> String {
    s.to_string()
}

/// The candidate entries a random walk picks from (by index).
fn candidate(i: u8, with_vt: bool, entries: &[Entry]) -> EntryBody {
    candidate_for(i, with_vt, None, entries)
}

/// `next`: the question the dossier waits for; half of the answer candidates answer it (so walks get far),
/// the other half answer a random question (so refusals are exercised too).
fn candidate_for(i: u8, with_vt: bool, next: Option<Question>, entries: &[Entry]) -> EntryBody {
    let random_q = Question::ALL[usize::from(i % 5)];
    let q = match (i % 16, next) {
        (4..=6, Some(next)) => next,
        _ => random_q,
    };
    let a = Answer::ALL[usize::from((i / 16) % 3)];
    match i % 16 {
        0 => EntryBody::Observation(Observation {
            facts: text("feit"),
            interpretation: None,
            source: SignalSource::ThirdParty,
            source_detail: None,
            categories: vec![],
            also_noticed_by: vec![],
            concerns_staff_sexual_misconduct: false,
        }),
        1 => EntryBody::Consultation(Consultation {
            with: ConsultationKind::VeiligThuisAdvice,
            with_whom: None,
            anonymous: true,
            summary: text("advies"),
            advice: None,
        }),
        2 => EntryBody::Conversation(Conversation {
            with: ConversationWith::Both,
            summary: text("gesprek"),
            reactions: None,
            agreements: None,
            follow_up_on: Some(date!(2026 - 03 - 20)),
        }),
        3 => EntryBody::Weighing(Weighing {
            participants: vec![text("ZAT")],
            nature: text("n"),
            severity: text("s"),
            risk: text("r"),
            protective_factors: text("p"),
            veilig_thuis_judgement_asked: false,
            veilig_thuis_judgement: None,
            instrument: None,
            approach: None,
        }),
        4..=9 => EntryBody::AssessmentAnswer(AssessmentAnswer {
            question: q,
            answer: a,
            reasoning: text("omdat"),
            answered_by: text("team"),
            with_veilig_thuis: with_vt,
            board_informed: true,
        }),
        10 => EntryBody::Report(Report {
            reported_on: date!(2026 - 03 - 09),
            reporter: text("IB-er"),
            facts: text("feiten"),
            by_phone: false,
            parents_informed: Some(true),
            parents_not_informed_reason: None,
            pupil_informed: Some(true),
            pupil_not_informed_reason: None,
            board_informed: true,
            conversation_exception: Some(ConversationException {
                ground: ExceptionGround::SafetyAtStake,
                explanation: text("gevaar"),
            }),
            confidentiality_broken: false,
            confidentiality: None,
            shield_identity_requested: false,
            shield_identity_arguments: None,
        }),
        11 => EntryBody::HelpPlan(HelpPlan {
            goals: vec![text("doel")],
            starts_on: date!(2026 - 03 - 01),
            term: Term::WorkingDays { count: 20 },
            case_manager: text("cm"),
            roles: vec![],
            term_agreed_with_veilig_thuis: with_vt,
        }),
        12 => EntryBody::Disclosure(Disclosure { summary: text("verteld"), told_to: None, agreements: None }),
        13 if i < 128 => EntryBody::Closing(Closing { conclusion: text("klaar"), no_concern: false }),
        13 | 14 => EntryBody::Reopening(Reopening { reason: text("nieuw") }),
        _ => {
            // Correct the answer of some earlier assessment answer to another answer.
            let answers: Vec<&Entry> =
                entries.iter().filter(|e| matches!(e.body, EntryBody::AssessmentAnswer(_))).collect();
            match answers.get(usize::from(i) % answers.len().max(1)) {
                Some(e) => {
                    let EntryBody::AssessmentAnswer(old) = &e.body else { unreachable!() };
                    let mut new = old.clone();
                    new.answer = match old.answer {
                        Answer::Ja => Answer::Nee,
                        Answer::Nee | Answer::Twijfel => Answer::Ja,
                    };
                    EntryBody::Correction(Correction {
                        corrects: e.id,
                        reason: text("correctie"),
                        corrected: Box::new(EntryBody::AssessmentAnswer(new)),
                    })
                }
                None => EntryBody::Observation(Observation {
                    facts: text("nog een feit"),
                    interpretation: None,
                    source: SignalSource::OwnObservation,
                    source_detail: None,
                    categories: vec![],
                    also_noticed_by: vec![],
                    concerns_staff_sexual_misconduct: false,
                }),
            }
        }
    }
}

fn append(ctx: &FoldContext, entries: &mut Vec<Entry>, body: EntryBody) -> bool {
    if validate_append(ctx, entries, &body, UserRef(1), NOW).is_err() {
        return false;
    }
    let seq = entries.len() as u32 + 1;
    entries.push(Entry {
        id: EntryId(i64::from(seq) * 3),
        seq,
        recorded_at: NOW - Duration::days(30) + Duration::hours(i64::from(seq)),
        occurred_on: None,
        author: UserRef(1),
        body,
    });
    true
}

fn build(ctx: &FoldContext, picks: &[u8]) -> Vec<Entry> {
    let mut entries = Vec::new();
    for &i in picks {
        let eval = fold(ctx, &entries).afwegingskader;
        let body = candidate_for(i, eval.with_veilig_thuis, eval.next_question, &entries);
        append(ctx, &mut entries, body);
    }
    entries
}

fn any_ctx() -> impl Strategy<Value = FoldContext> {
    (prop::sample::select(Sector::ALL.to_vec()), prop::option::of(4u8..20))
        .prop_map(|(sector, pupil_age)| FoldContext { sector, pupil_age, calendar: Calendar::new() })
}

fn picks() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// The fold is a pure function: the same entries give the same state, in whatever slice order.
    #[test]
    fn fold_is_deterministic(ctx in any_ctx(), picks in picks()) {
        let entries = build(&ctx, &picks);
        let state = fold(&ctx, &entries);
        prop_assert_eq!(&fold(&ctx, &entries), &state);
        let mut reversed = entries.clone();
        reversed.reverse();
        prop_assert_eq!(&fold(&ctx, &reversed), &state);
    }

    /// No validly built dossier has a question skipped; every no on 3–5 requires a report; without
    /// corrections the answers are never in conflict.
    #[test]
    fn the_route_is_never_skipped(ctx in any_ctx(), picks in picks()) {
        let entries = build(&ctx, &picks);
        let s = fold(&ctx, &entries);
        let corrected = entries.iter().any(|e| matches!(e.body, EntryBody::Correction(_)));
        if !corrected {
            prop_assert!(s.afwegingskader_conflict.is_none());
            let answered: Vec<bool> = Question::ALL.iter().map(|q| s.answers.get(*q).is_some()).collect();
            let k = answered.iter().take_while(|x| **x).count();
            prop_assert!(answered[k..].iter().all(|x| !x));
            for (q, norm) in [(Question::Q3, 2u8), (Question::Q4, 2), (Question::Q5, 3)] {
                if s.answers.get(q) == Some(Answer::Nee) {
                    prop_assert!(s.meldingen.iter().any(|m| m.melding.after == Trigger::Question(q) && m.melding.meldnorm == norm));
                }
            }
            // Question 5 was only answered after a help plan.
            if s.answers.q5.is_some() {
                prop_assert!(entries.iter().any(|e| matches!(e.body, EntryBody::HelpPlan(_))));
            }
        }
        // A closed dossier has no open deadlines or next actions; a due melding blocks closing.
        if s.closed {
            prop_assert!(s.deadlines.is_empty() && s.next_actions.is_empty());
        }
    }

    /// Neutral entries (observation, consultation, kindcheck) can be recorded in any order.
    #[test]
    fn order_of_neutral_entries_does_not_matter(ctx in any_ctx(), picks in picks()) {
        let entries = build(&ctx, &picks);
        let kindcheck = EntryBody::Kindcheck(Kindcheck {
            concern_about_adult: text("vader verslaafd"),
            dependent_children: Some(text("twee")),
            children_safe: None,
            follow_up: None,
        });
        let neutral = [candidate(0, false, &entries), candidate(1, false, &entries), kindcheck];
        let mut a = entries.clone();
        let mut b = entries.clone();
        let mut ok = true;
        for body in neutral.iter() {
            ok &= append(&ctx, &mut a, body.clone());
        }
        for body in neutral.iter().rev() {
            ok &= append(&ctx, &mut b, body.clone());
        }
        prop_assume!(ok);
        // Except one thing, by design: after a report, a new signal is passed on to Veilig Thuis until a
        // consultation with Veilig Thuis follows it (§6 step 6), so that reminder depends on the order.
        let without_reminder = |mut s: DossierState| {
            s.next_actions.retain(|r| r.kind != RequirementKind::PassNewSignal);
            s
        };
        let (fa, fb) = (fold(&ctx, &a), fold(&ctx, &b));
        let reported = fa.meldingen.iter().any(|m| m.reported_in.is_some())
            || a.iter().any(|e| matches!(e.body, EntryBody::Report(_)));
        if !reported {
            prop_assert_eq!(&fa, &fb);
        }
        prop_assert_eq!(without_reminder(fa), without_reminder(fb));
    }

    /// A correction of an answer changes the effective answer.
    #[test]
    fn corrections_take_effect(ctx in any_ctx(), picks in picks(), which in any::<u8>()) {
        let mut entries = build(&ctx, &picks);
        let before = fold(&ctx, &entries);
        prop_assume!(!before.closed && before.round == 1);
        let body = candidate(15u8.wrapping_add(which.wrapping_mul(16)), false, &entries);
        let EntryBody::Correction(c) = &body else { return Ok(()); };
        let EntryBody::AssessmentAnswer(new) = c.corrected.as_ref() else { unreachable!() };
        let (q, new_answer, target) = (new.question, new.answer, c.corrects);
        prop_assert!(append(&ctx, &mut entries, body.clone()));
        let after = fold(&ctx, &entries);
        prop_assert_eq!(after.answers.get(q), Some(new_answer));
        prop_assert!(after.corrected.iter().any(|x| x.original == target));
    }
}

/// The random walks above are only as strong as the states they reach: check that they reach the end of
/// the route, closing, reopening, corrections and reports (with a fixed pseudo-random sequence).
#[test]
fn random_walks_reach_every_part_of_the_route() {
    let ctx = FoldContext { sector: Sector::Po, pupil_age: Some(10), calendar: Calendar::new() };
    let mut seed: u64 = 0x5eed;
    let mut next = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as u8
    };
    let (mut q5, mut closed, mut reopened, mut corrected, mut reported) = (0, 0, 0, 0, 0);
    for _ in 0..400 {
        let picks: Vec<u8> = (0..80).map(|_| next()).collect();
        let entries = build(&ctx, &picks);
        let s = fold(&ctx, &entries);
        q5 += usize::from(s.answers.q5.is_some());
        closed += usize::from(s.closed);
        reopened += usize::from(s.round > 1);
        corrected += usize::from(!s.corrected.is_empty());
        reported += usize::from(s.meldingen.iter().any(|m| m.reported_in.is_some()));
    }
    assert!(
        q5 > 10 && closed > 10 && reopened > 10 && corrected > 10 && reported > 10,
        "q5={q5} closed={closed} reopened={reopened} corrected={corrected} reported={reported}"
    );
}
