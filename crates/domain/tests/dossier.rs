//! The fold and the append rules, on concrete dossiers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use meldroute_domain::*;
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-03-10 12:00 +01:00);
const TODAY: Date = date!(2026 - 03 - 10);
const AUTHOR: UserRef = UserRef(7);

/// A change that makes a valid report invalid.
type ReportChange = fn(&mut Report);

fn ctx(sector: Sector, age: Option<u8>) -> FoldContext {
    FoldContext { sector, pupil_age: age, calendar: Calendar::new() }
}

fn po() -> FoldContext {
    ctx(Sector::Po, Some(13))
}

/// A dossier under construction; `push` validates like the store would.
struct Dossier {
    ctx: FoldContext,
    entries: Vec<Entry>,
}

impl Dossier {
    fn new(ctx: FoldContext) -> Dossier {
        Dossier { ctx, entries: Vec::new() }
    }

    fn try_push(&mut self, body: EntryBody) -> Result<EntryId, DomainError> {
        validate_append(&self.ctx, &self.entries, &body, AUTHOR, NOW)?;
        let seq = self.entries.len() as u32 + 1;
        let id = EntryId(100 + i64::from(seq));
        self.entries.push(Entry {
            id,
            seq,
            recorded_at: NOW - Duration::hours(100) + Duration::minutes(i64::from(seq)),
            occurred_on: None,
            author: AUTHOR,
            body,
        });
        Ok(id)
    }

    fn push(&mut self, body: EntryBody) -> EntryId {
        match self.try_push(body.clone()) {
            Ok(id) => id,
            Err(e) => panic!("refused {body:?}: {e}"),
        }
    }

    fn refused(&self, body: EntryBody) -> ErrorCode {
        validate_append(&self.ctx, &self.entries, &body, AUTHOR, NOW).expect_err("should be refused").code
    }

    fn state(&self) -> DossierState {
        fold(&self.ctx, &self.entries)
    }

    /// Steps 1–4 recorded.
    fn prepared(ctx: FoldContext) -> Dossier {
        let mut d = Dossier::new(ctx);
        d.push(observation());
        d.push(consultation());
        d.push(conversation(None));
        d.push(weighing());
        d
    }

    fn answer(&mut self, q: Question, a: Answer) -> EntryId {
        let with_vt = self.state().afwegingskader.with_veilig_thuis;
        self.push(answer(q, a, with_vt))
    }
}

fn observation() -> EntryBody {
    EntryBody::Observation(Observation {
        facts: "Komt drie dagen op rij zonder eten; blauwe plek op de arm.".into(),
        interpretation: Some("Zorg over verwaarlozing".into()),
        source: SignalSource::OwnObservation,
        source_detail: None,
        categories: vec![SignalCategory::ChildPhysical],
        also_noticed_by: vec!["gymdocent".into()],
        concerns_staff_sexual_misconduct: false,
    })
}

fn consultation() -> EntryBody {
    EntryBody::Consultation(Consultation {
        with: ConsultationKind::DesignatedLead,
        with_whom: Some("aandachtsfunctionaris".into()),
        anonymous: false,
        summary: "Besproken, zij ziet het ook.".into(),
        advice: Some("Gesprek met ouders".into()),
    })
}

fn conversation(follow_up_on: Option<Date>) -> EntryBody {
    EntryBody::Conversation(Conversation {
        with: ConversationWith::Parents,
        summary: "Zorgen gedeeld.".into(),
        reactions: None,
        agreements: None,
        follow_up_on,
    })
}

fn weighing() -> EntryBody {
    EntryBody::Weighing(Weighing {
        participants: vec!["IB-er".into(), "JGZ".into()],
        nature: "verwaarlozing".into(),
        severity: "matig".into(),
        risk: "middel".into(),
        protective_factors: "goede band met leerkracht".into(),
        veilig_thuis_judgement_asked: true,
        veilig_thuis_judgement: None,
        instrument: None,
        approach: None,
    })
}

fn answer(question: Question, answer: Answer, with_veilig_thuis: bool) -> EntryBody {
    EntryBody::AssessmentAnswer(AssessmentAnswer {
        question,
        answer,
        reasoning: "Onderbouwing in het ondersteuningsteam.".into(),
        answered_by: "IB-er en directeur".into(),
        with_veilig_thuis,
        board_informed: true,
    })
}

fn report_body() -> Report {
    Report {
        reported_on: TODAY,
        reporter: "directeur".into(),
        facts: "Zie observaties.".into(),
        by_phone: true,
        parents_informed: Some(true),
        parents_not_informed_reason: None,
        pupil_informed: Some(true),
        pupil_not_informed_reason: None,
        board_informed: true,
        conversation_exception: None,
        confidentiality_broken: false,
        confidentiality: None,
        shield_identity_requested: false,
        shield_identity_arguments: None,
    }
}

fn report() -> EntryBody {
    EntryBody::Report(report_body())
}

fn help_plan(term: Term) -> EntryBody {
    EntryBody::HelpPlan(HelpPlan {
        goals: vec!["Elke dag ontbijt".into()],
        starts_on: TODAY,
        term,
        case_manager: "schoolmaatschappelijk werker".into(),
        roles: vec![],
        term_agreed_with_veilig_thuis: false,
    })
}

fn disclosure() -> EntryBody {
    EntryBody::Disclosure(Disclosure {
        summary: "Papa slaat mama.".into(),
        told_to: Some("mentor".into()),
        agreements: None,
    })
}

fn kinds(state: &DossierState) -> Vec<RequirementKind> {
    state.next_actions.iter().map(|r| r.kind).collect()
}

#[test]
fn a_new_dossier_starts_at_step_1_and_guides_through_steps_1_to_4() {
    let mut d = Dossier::new(po());
    let s = d.state();
    assert_eq!(s.step, Step::SignalenInKaart);
    assert_eq!(kinds(&s), [RequirementKind::RecordObservations]);
    d.push(observation());
    assert_eq!(kinds(&d.state()), [RequirementKind::Consult]);
    d.push(consultation());
    assert_eq!(d.state().step, Step::Consulteren);
    assert_eq!(kinds(&d.state()), [RequirementKind::HoldConversation]);
    d.push(conversation(None));
    assert_eq!(d.state().step, Step::Gesprek);
    assert_eq!(kinds(&d.state()), [RequirementKind::Weigh]);
    d.push(weighing());
    let s = d.state();
    assert_eq!(s.step, Step::Wegen);
    assert_eq!(kinds(&s), [RequirementKind::AnswerQuestion]);
    assert_eq!(s.next_actions[0].reason.args, vec![("question".into(), "1".into())]);
}

#[test]
fn the_full_route_with_help_and_report_again() {
    let mut d = Dossier::prepared(po());
    d.answer(Question::Q1, Answer::Ja);
    d.answer(Question::Q2, Answer::Nee);
    assert_eq!(d.state().step, Step::Beslissen);
    d.answer(Question::Q3, Answer::Ja);
    d.answer(Question::Q4, Answer::Ja);
    let s = d.state();
    assert_eq!(s.afwegingskader.hulp, Hulp::Starten);
    assert!(kinds(&s).contains(&RequirementKind::HelpPlan));
    // Question 5 needs the help plan first.
    assert_eq!(d.refused(answer(Question::Q5, Answer::Nee, false)), ErrorCode::HelpPlanRequiredBeforeQ5);
    let plan = d.push(help_plan(Term::Weeks { count: 6 }));
    let s = d.state();
    assert_eq!(s.step, Step::Volgen);
    assert!(!kinds(&s).contains(&RequirementKind::HelpPlan));
    let term = s.deadlines.iter().find(|x| x.kind == DeadlineKind::HelpTermEnd).unwrap();
    assert_eq!(term.due, date!(2026 - 04 - 21));
    assert_eq!(term.source, plan);
    assert_eq!(term.reason.rule, RuleId::HelpTermEnds);
    // The help does not work: report again under meldnorm 3.
    d.answer(Question::Q5, Answer::Nee);
    let s = d.state();
    let due: Vec<_> = s.meldingen_due().map(|m| m.melding.meldnorm).collect();
    assert_eq!(due, [3]);
    assert!(kinds(&s).contains(&RequirementKind::ReportToVeiligThuis));
    assert!(kinds(&s).contains(&RequirementKind::RecordDecision));
    assert!(s.deadlines.iter().all(|x| x.kind != DeadlineKind::HelpTermEnd));
    // A decision not to report is refused; closing too.
    let no_report = EntryBody::Decision(Decision {
        report: false,
        help: true,
        reporter: None,
        informs_parents: None,
        informs_pupil: None,
        school_after: None,
    });
    assert_eq!(d.refused(no_report), ErrorCode::DecisionContradictsMeldnorm);
    let closing = EntryBody::Closing(Closing { conclusion: "klaar".into(), no_concern: false });
    assert_eq!(d.refused(closing.clone()), ErrorCode::ClosingWithReportDue);
    let rep = d.push(report());
    let s = d.state();
    assert_eq!(s.meldingen[0].reported_in, Some(rep));
    assert_eq!(s.meldingen_due().count(), 0);
    // Veilig Thuis decides within 5 werkdagen: Tuesday 10 March → Tuesday 17 March.
    let vt = s.deadlines.iter().find(|x| x.kind == DeadlineKind::VeiligThuisDecision).unwrap();
    assert_eq!(vt.due, date!(2026 - 03 - 17));
    assert_eq!(s.overdue(date!(2026 - 03 - 17)).len(), 0);
    assert_eq!(s.overdue(date!(2026 - 03 - 18)).len(), 1);
    d.push(EntryBody::VeiligThuisFeedback(VeiligThuisFeedback {
        received_on: TODAY,
        route: VeiligThuisRoute::Melding,
        decision: Some(VeiligThuisDecision::HandedToLocalTeam),
        outcome: None,
        summary: "Overgedragen aan het wijkteam.".into(),
        handelingsadviezen: Some("Blijf het gesprek aangaan.".into()),
    }));
    assert!(d.state().deadlines.is_empty());
    d.push(closing);
    let s = d.state();
    assert!(s.closed);
    assert!(s.next_actions.is_empty());
    assert_eq!(d.refused(observation()), ErrorCode::DossierClosed);
}

#[test]
fn a_disclosure_requires_an_urgent_report_and_does_not_stop_the_questions() {
    let mut d = Dossier::new(ctx(Sector::Vo, Some(14)));
    d.push(disclosure());
    let s = d.state();
    assert!(s.flags.disclosure_recorded);
    assert_eq!(s.meldingen.len(), 1);
    assert_eq!(s.meldingen[0].melding.after, Trigger::Disclosure);
    assert_eq!(s.next_actions[0].kind, RequirementKind::ReportToVeiligThuis);
    assert_eq!(s.next_actions[0].reason.rule, RuleId::Meldnorm1Disclosure);
    // No conversation yet: the report needs one of the two exceptions.
    assert!(kinds(&s).contains(&RequirementKind::ConversationOrException));
    assert_eq!(d.refused(report()), ErrorCode::ReportNeedsConversationOrException);
    let mut with_exception = report_body();
    with_exception.conversation_exception = Some(ConversationException {
        ground: ExceptionGround::SafetyAtStake,
        explanation: "Gesprek met vader brengt de leerling in gevaar.".into(),
    });
    d.push(EntryBody::Report(with_exception));
    let s = d.state();
    assert_eq!(s.meldingen_due().count(), 0);
    assert_eq!(s.step, Step::Volgen);
    // The questions still go on.
    assert_eq!(s.afwegingskader.next_question, Some(Question::Q1));
}

#[test]
fn report_at_q2_covers_later_meldnorm_2_but_not_meldnorm_3() {
    let mut d = Dossier::prepared(po());
    d.answer(Question::Q1, Answer::Ja);
    d.answer(Question::Q2, Answer::Ja);
    d.push(report());
    // Questions 3–5 go with Veilig Thuis.
    assert_eq!(d.refused(answer(Question::Q3, Answer::Nee, false)), ErrorCode::VeiligThuisMustTakePart);
    d.answer(Question::Q3, Answer::Nee);
    let s = d.state();
    assert_eq!(s.meldingen.len(), 2);
    assert_eq!(s.meldingen_due().count(), 0, "{:?}", s.meldingen);
    assert_eq!(s.afwegingskader.next_question, None);
    assert_eq!(d.refused(answer(Question::Q4, Answer::Ja, true)), ErrorCode::AnsweredAfterEnd);
}

#[test]
fn order_matters_only_where_the_meldcode_says_so() {
    // A report before the "no" on question 5 does not satisfy meldnorm 3; after it, it does.
    let build = |report_first: bool| {
        let mut d = Dossier::prepared(po());
        d.answer(Question::Q1, Answer::Ja);
        d.answer(Question::Q2, Answer::Nee);
        d.answer(Question::Q3, Answer::Ja);
        d.answer(Question::Q4, Answer::Ja);
        d.push(help_plan(Term::Months { count: 2 }));
        if report_first {
            d.push(report());
            d.answer(Question::Q5, Answer::Nee);
        } else {
            d.answer(Question::Q5, Answer::Nee);
            d.push(report());
        }
        d.state()
    };
    assert_eq!(build(true).meldingen_due().count(), 1);
    assert_eq!(build(false).meldingen_due().count(), 0);

    // Swapping the positions of an observation and a consultation changes nothing in the state.
    let mut a = Dossier::new(po());
    a.push(observation());
    a.push(consultation());
    let mut b = Dossier::new(po());
    b.push(consultation());
    b.push(observation());
    assert_eq!(a.state(), b.state());
}

#[test]
fn a_correction_replaces_the_effective_content() {
    let mut d = Dossier::prepared(po());
    let q1 = d.answer(Question::Q1, Answer::Ja);
    let q2 = d.answer(Question::Q2, Answer::Nee);
    assert!(d.state().meldingen.is_empty());
    let corr = d.push(EntryBody::Correction(Correction {
        corrects: q2,
        reason: "Verkeerd genoteerd: het ging om structurele onveiligheid.".into(),
        corrected: Box::new(answer(Question::Q2, Answer::Ja, false)),
    }));
    let s = d.state();
    assert_eq!(s.answers.q2, Some(Answer::Ja));
    assert_eq!(s.meldingen.len(), 1);
    assert_eq!(s.meldingen[0].melding.meldnorm, 1);
    assert_eq!(s.corrected, vec![CorrectedEntry { original: q2, by: corr }]);
    // Correcting question 1 to "no" while later answers exist: the state flags the conflict and uses
    // the valid prefix.
    d.push(EntryBody::Correction(Correction {
        corrects: q1,
        reason: "Bij nader inzien geen vermoeden.".into(),
        corrected: Box::new(answer(Question::Q1, Answer::Nee, false)),
    }));
    let s = d.state();
    assert!(s.afwegingskader.closed);
    assert!(matches!(s.afwegingskader_conflict, Some(AfwegingError::AnsweredAfterEnd { .. })));
}

#[test]
fn reopening_starts_a_new_round() {
    let mut d = Dossier::prepared(po());
    d.answer(Question::Q1, Answer::Nee);
    let s = d.state();
    assert!(s.afwegingskader.closed);
    assert!(!s.closed, "the dossier closes with a closing entry");
    assert!(kinds(&s).contains(&RequirementKind::ClosingConclusion));
    assert_eq!(s.closed_on, None);
    d.push(EntryBody::Closing(Closing { conclusion: "Geen zorg: uitleg van ouders klopt.".into(), no_concern: true }));
    assert!(d.state().closed);
    // Retention counts from the UTC day the closing entry was recorded.
    let closing_day = d.entries.last().unwrap().recorded_at.to_offset(time::UtcOffset::UTC).date();
    assert_eq!(d.state().closed_on, Some(closing_day));
    d.push(EntryBody::Reopening(Reopening { reason: "Nieuwe signalen".into() }));
    let s = d.state();
    assert!(!s.closed);
    assert_eq!(s.closed_on, None, "a reopened dossier is not closed, so never due for retention");
    assert_eq!(s.round, 2);
    assert_eq!(s.answers, Answers::default());
    assert_eq!(s.step, Step::SignalenInKaart);
    d.push(observation());
    d.push(consultation());
    d.push(conversation(None));
    d.push(weighing());
    d.answer(Question::Q1, Answer::Twijfel);
    assert_eq!(d.state().afwegingskader.next_question, Some(Question::Q2));
}

#[test]
fn follow_up_and_evaluation_deadlines() {
    let mut d = Dossier::new(po());
    d.push(observation());
    d.push(conversation(Some(date!(2026 - 03 - 20))));
    let s = d.state();
    assert_eq!(s.deadlines.len(), 1);
    assert_eq!(s.deadlines[0].kind, DeadlineKind::FollowUpConversation);
    assert_eq!(s.overdue(date!(2026 - 03 - 21)).len(), 1);
    d.push(conversation(None));
    assert!(d.state().deadlines.is_empty());
    d.push(EntryBody::Evaluation(HelpEvaluation {
        summary: "Gaat beter.".into(),
        results_reached: None,
        next_evaluation_on: Some(date!(2026 - 04 - 15)),
    }));
    let s = d.state();
    assert_eq!(s.deadlines[0].kind, DeadlineKind::NextEvaluation);
    assert_eq!(s.deadlines[0].reason.args, vec![("due".into(), "2026-04-15".into())]);
}

#[test]
fn staff_misconduct_points_to_the_klachtenregeling() {
    let mut d = Dossier::new(po());
    let EntryBody::Observation(mut o) = observation() else { unreachable!() };
    o.concerns_staff_sexual_misconduct = true;
    d.push(EntryBody::Observation(o));
    let s = d.state();
    assert!(s.flags.staff_sexual_misconduct);
    assert_eq!(s.next_actions[0].kind, RequirementKind::Klachtenregeling);
    assert_eq!(s.next_actions[0].reason.rule, RuleId::StaffMisconductKlachtenregeling);
}

#[test]
fn term_ends_in_days_working_days_weeks_months() {
    let cal = Calendar::new();
    let start = date!(2026 - 01 - 31);
    assert_eq!(term_end(&cal, start, Term::Days { count: 10 }), date!(2026 - 02 - 10));
    assert_eq!(term_end(&cal, start, Term::Weeks { count: 2 }), date!(2026 - 02 - 14));
    assert_eq!(term_end(&cal, start, Term::Months { count: 1 }), date!(2026 - 02 - 28));
    assert_eq!(term_end(&cal, start, Term::Months { count: 13 }), date!(2027 - 02 - 28));
    assert_eq!(term_end(&cal, start, Term::WorkingDays { count: 5 }), date!(2026 - 02 - 06));
    let end = date!(2026 - 06 - 01);
    assert_eq!(term_end(&cal, start, Term::Until { end }), end);
}

#[test]
fn entries_round_trip_through_json_with_a_kind_tag() {
    let mut d = Dossier::prepared(po());
    d.answer(Question::Q1, Answer::Ja);
    d.push(report());
    for e in &d.entries {
        let json = serde_json::to_string(e).unwrap();
        let back: Entry = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, e);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["body"]["kind"], e.body.kind().as_str());
    }
    let unknown = r#"{"kind":"observation","facts":"x","source":"own_observation","colour":"red"}"#;
    assert!(serde_json::from_str::<EntryBody>(unknown).is_err());
    let state = serde_json::to_value(d.state()).unwrap();
    assert_eq!(state["step"], "volgen");
}

/// Every precondition of `validate_append`, each with its specific error code; the last assertion checks
/// that every error code the domain defines is exercised here.
#[test]
fn every_precondition_has_its_own_error_code() {
    let mut seen: BTreeSet<ErrorCode> = BTreeSet::new();
    let mut expect = |code: ErrorCode, got: ErrorCode, what: &str| {
        assert_eq!(got, code, "{what}");
        seen.insert(code);
    };

    // ---- afwegingskader ----
    let mut d = Dossier::prepared(po());
    expect(ErrorCode::QuestionOutOfOrder, d.refused(answer(Question::Q2, Answer::Ja, false)), "q2 before q1");
    let mut empty = answer(Question::Q1, Answer::Ja, false);
    if let EntryBody::AssessmentAnswer(a) = &mut empty {
        a.reasoning = "  ".into();
    }
    expect(ErrorCode::ReasoningRequired, d.refused(empty), "empty reasoning");
    let mut nobody = answer(Question::Q1, Answer::Ja, false);
    if let EntryBody::AssessmentAnswer(a) = &mut nobody {
        a.answered_by = String::new();
    }
    expect(ErrorCode::FieldRequired, d.refused(nobody), "answered_by");
    d.answer(Question::Q1, Answer::Ja);
    expect(ErrorCode::QuestionAlreadyAnswered, d.refused(answer(Question::Q1, Answer::Nee, false)), "q1 twice");
    let mut no_board = answer(Question::Q2, Answer::Nee, false);
    if let EntryBody::AssessmentAnswer(a) = &mut no_board {
        a.board_informed = false;
    }
    expect(ErrorCode::BoardMustTakePart, d.refused(no_board.clone()), "education q2 without board");
    d.answer(Question::Q2, Answer::Twijfel);
    expect(ErrorCode::DoubtNotAllowed, d.refused(answer(Question::Q3, Answer::Twijfel, true)), "doubt on q3");
    expect(
        ErrorCode::VeiligThuisMustTakePart,
        d.refused(answer(Question::Q3, Answer::Ja, false)),
        "q3 without Veilig Thuis after report at q2",
    );
    d.answer(Question::Q3, Answer::Ja);
    d.answer(Question::Q4, Answer::Ja);
    expect(
        ErrorCode::HelpPlanRequiredBeforeQ5,
        d.refused(answer(Question::Q5, Answer::Ja, true)),
        "q5 without help plan",
    );
    expect(ErrorCode::TermInvalid, d.refused(help_plan(Term::Weeks { count: 0 })), "zero term");
    expect(ErrorCode::DateTooEarly, d.refused(help_plan(Term::Until { end: TODAY })), "term ends on start");
    let mut no_cm = help_plan(Term::Weeks { count: 4 });
    if let EntryBody::HelpPlan(p) = &mut no_cm {
        p.case_manager = " ".into();
    }
    assert_eq!(d.refused(no_cm), ErrorCode::FieldRequired);
    let mut closed_route = Dossier::prepared(ctx(Sector::Kinderopvang, None));
    closed_route.answer(Question::Q1, Answer::Nee);
    expect(
        ErrorCode::AnsweredAfterEnd,
        closed_route.refused(answer(Question::Q2, Answer::Nee, false)),
        "answer after a closing no",
    );
    // In childcare, question 2 without the board is fine.
    let mut childcare = Dossier::prepared(ctx(Sector::Kinderopvang, None));
    childcare.answer(Question::Q1, Answer::Ja);
    childcare.push(no_board);

    // ---- the report (§8) ----
    let mut d = Dossier::new(po());
    d.push(observation());
    expect(ErrorCode::ReportNeedsConversationOrException, d.refused(report()), "no conversation");
    let mut r = report_body();
    r.conversation_exception =
        Some(ConversationException { ground: ExceptionGround::ContactWouldBreak, explanation: "".into() });
    expect(ErrorCode::ExceptionNeedsExplanation, d.refused(EntryBody::Report(r)), "exception without explanation");
    d.push(conversation(None));
    let variants: [(ErrorCode, ReportChange); 9] = [
        (ErrorCode::ReportParentsInformedMissing, |r| r.parents_informed = None),
        (ErrorCode::ReportParentsNotInformedReasonMissing, |r| r.parents_informed = Some(false)),
        (ErrorCode::ReportPupilInformedMissing, |r| r.pupil_informed = None),
        (ErrorCode::ReportPupilNotInformedReasonMissing, |r| r.pupil_informed = Some(false)),
        (ErrorCode::ReportBoardNotInformed, |r| r.board_informed = false),
        (ErrorCode::ConfidentialityQuestionsMissing, |r| r.confidentiality_broken = true),
        (ErrorCode::ShieldIdentityNeedsArguments, |r| r.shield_identity_requested = true),
        (ErrorCode::DateInFuture, |r| r.reported_on = date!(2026 - 03 - 11)),
        (ErrorCode::FieldRequired, |r| r.reporter = String::new()),
    ];
    for (code, change) in &variants {
        let mut r = report_body();
        change(&mut r);
        expect(*code, d.refused(EntryBody::Report(r)), code.as_str());
    }
    // Which confidentiality question is missing is named.
    let mut r = report_body();
    r.confidentiality_broken = true;
    r.confidentiality = Some(ConfidentialityAnswers {
        serves_serious_interests: "ja".into(),
        other_way: "nee".into(),
        why_no_consent: "".into(),
        weighing: "melden weegt zwaarder".into(),
        what_to_whom: "alleen de feiten aan Veilig Thuis".into(),
    });
    let err = validate_append(&d.ctx, &d.entries, &EntryBody::Report(r.clone()), AUTHOR, NOW).unwrap_err();
    assert_eq!(err.args[0], ("number".to_string(), "3".to_string()));
    assert_eq!(err.field.as_deref(), Some("confidentiality"));
    if let Some(c) = r.confidentiality.as_mut() {
        c.why_no_consent = "Ouders zouden het kind meenemen.".into();
    }
    d.push(EntryBody::Report(r));
    // Pupil under 12: whether they were told is not required; with unknown age it is.
    let mut young = Dossier::new(ctx(Sector::Po, Some(8)));
    young.push(conversation(None));
    let mut r = report_body();
    r.pupil_informed = None;
    young.push(EntryBody::Report(r.clone()));
    let mut unknown_age = Dossier::new(ctx(Sector::Po, None));
    unknown_age.push(conversation(None));
    assert_eq!(unknown_age.refused(EntryBody::Report(r)), ErrorCode::ReportPupilInformedMissing);

    // ---- feedback, decision, closing, reopening ----
    let fresh = Dossier::new(po());
    let feedback = EntryBody::VeiligThuisFeedback(VeiligThuisFeedback {
        received_on: TODAY,
        route: VeiligThuisRoute::Melding,
        decision: None,
        outcome: None,
        summary: "Onderzoek gestart.".into(),
        handelingsadviezen: None,
    });
    expect(ErrorCode::FeedbackWithoutReport, fresh.refused(feedback), "feedback without report");
    let mut unsafe_dossier = Dossier::prepared(po());
    unsafe_dossier.answer(Question::Q1, Answer::Ja);
    unsafe_dossier.answer(Question::Q2, Answer::Ja);
    expect(
        ErrorCode::DecisionContradictsMeldnorm,
        unsafe_dossier.refused(EntryBody::Decision(Decision {
            report: false,
            help: false,
            reporter: None,
            informs_parents: None,
            informs_pupil: None,
            school_after: None,
        })),
        "not reporting under meldnorm 1",
    );
    assert_eq!(
        unsafe_dossier.refused(EntryBody::Decision(Decision {
            report: true,
            help: false,
            reporter: None,
            informs_parents: Some("IB-er".into()),
            informs_pupil: None,
            school_after: None,
        })),
        ErrorCode::FieldRequired,
        "a decision to report names the reporter"
    );
    expect(
        ErrorCode::ClosingWithReportDue,
        unsafe_dossier.refused(EntryBody::Closing(Closing { conclusion: "x".into(), no_concern: false })),
        "closing with a report due",
    );
    expect(
        ErrorCode::ReopenNotClosed,
        fresh.refused(EntryBody::Reopening(Reopening { reason: "nieuw".into() })),
        "reopening an open dossier",
    );
    let mut closed = Dossier::new(po());
    closed.push(EntryBody::Closing(Closing { conclusion: "Geen zorg.".into(), no_concern: true }));
    expect(ErrorCode::DossierClosed, closed.refused(observation()), "closed");
    assert_eq!(closed.refused(EntryBody::Reopening(Reopening { reason: " ".into() })), ErrorCode::FieldRequired);

    // ---- corrections ----
    let mut d = Dossier::new(po());
    let obs = d.push(observation());
    let correction = |corrects: EntryId, reason: &str, corrected: EntryBody| {
        EntryBody::Correction(Correction { corrects, reason: reason.into(), corrected: Box::new(corrected) })
    };
    expect(
        ErrorCode::CorrectionTargetMissing,
        d.refused(correction(EntryId(999), "typo", observation())),
        "missing target",
    );
    expect(ErrorCode::CorrectionReasonRequired, d.refused(correction(obs, " ", observation())), "no reason");
    expect(ErrorCode::CorrectionKindMismatch, d.refused(correction(obs, "typo", consultation())), "other kind");
    let corr = d.push(correction(obs, "typo", observation()));
    expect(
        ErrorCode::CorrectionOfCorrection,
        d.refused(correction(corr, "typo", observation())),
        "correcting a correction",
    );

    // ---- attachments (the upload checks are tested in the attachment module) ----
    let pdf = b"%PDF-1.4\n";
    let upload = |name: &str, content: &[u8], max| check_upload(name, content, max).unwrap_err().code;
    expect(ErrorCode::AttachmentEmpty, upload("a.pdf", b"", 10), "empty file");
    expect(ErrorCode::AttachmentTooLarge, upload("a.pdf", pdf, 3), "too large");
    expect(ErrorCode::AttachmentNameMissing, upload("/", pdf, 100), "no name");
    expect(ErrorCode::AttachmentTypeNotAllowed, upload("a.exe", pdf, 100), "extension");
    expect(ErrorCode::AttachmentContentMismatch, upload("a.png", pdf, 100), "content");
    let file = Attachment {
        attachment_id: "0123456789abcdef0123456789abcdef".into(),
        file_name: "a.pdf".into(),
        media_type: MediaType::Pdf,
        size_bytes: 9,
        sha256: "0".repeat(64),
        description: None,
    };
    expect(
        ErrorCode::AttachmentInvalid,
        d.refused(EntryBody::Attachment(Attachment { size_bytes: 0, ..file.clone() })),
        "empty attachment entry",
    );
    expect(
        ErrorCode::AttachmentWithoutFile,
        meldroute_domain::attachment::require_file(&EntryBody::Attachment(file.clone()), false).unwrap_err().code,
        "an attachment entry without its file",
    );
    let att = d.push(EntryBody::Attachment(file.clone()));
    expect(
        ErrorCode::AttachmentFileFixed,
        d.refused(correction(att, "ander bestand", EntryBody::Attachment(Attachment { size_bytes: 10, ..file }))),
        "a correction swapping the file",
    );

    // ---- general ----
    expect(
        ErrorCode::AuthorUnknown,
        validate_append(&d.ctx, &d.entries, &observation(), UserRef(0), NOW).unwrap_err().code,
        "author 0",
    );
    assert_eq!(validate_occurred_on(Some(date!(2026 - 03 - 11)), NOW).unwrap_err().code, ErrorCode::DateInFuture);
    assert!(validate_occurred_on(Some(TODAY), NOW).is_ok());

    let all: BTreeSet<ErrorCode> = ErrorCode::ALL.iter().copied().collect();
    let untested: Vec<_> = all.difference(&seen).collect();
    assert!(untested.is_empty(), "error codes without a test: {untested:?}");
}

fn veilig_thuis_consultation() -> EntryBody {
    EntryBody::Consultation(Consultation {
        with: ConsultationKind::VeiligThuisAdvice,
        with_whom: Some("Veilig Thuis".into()),
        anonymous: false,
        summary: "Het nieuwe signaal doorgegeven aan Veilig Thuis.".into(),
        advice: None,
    })
}

fn feedback() -> EntryBody {
    EntryBody::VeiligThuisFeedback(VeiligThuisFeedback {
        received_on: TODAY,
        route: VeiligThuisRoute::Melding,
        decision: Some(VeiligThuisDecision::HandedToLocalTeam),
        outcome: None,
        summary: "Overgedragen aan het wijkteam.".into(),
        handelingsadviezen: None,
    })
}

fn tells_veilig_thuis(state: &DossierState) -> bool {
    state
        .next_actions
        .iter()
        .any(|r| r.kind == RequirementKind::PassNewSignal && r.reason.rule == RuleId::PassNewSignalToVeiligThuis)
}

/// A dossier with a report (after a disclosure, with an exception to the conversation).
fn reported() -> (Dossier, EntryId) {
    let mut d = Dossier::new(ctx(Sector::Vo, Some(14)));
    let signal = d.push(observation());
    d.push(disclosure());
    let mut with_exception = report_body();
    with_exception.conversation_exception = Some(ConversationException {
        ground: ExceptionGround::SafetyAtStake,
        explanation: "Gesprek met vader brengt de leerling in gevaar.".into(),
    });
    d.push(EntryBody::Report(with_exception));
    (d, signal)
}

#[test]
fn a_new_signal_after_a_report_is_passed_on_to_veilig_thuis() {
    // Signals before the report ask nothing: they are in the report.
    let (mut d, _) = reported();
    assert!(!tells_veilig_thuis(&d.state()));
    // A new observation after the report: tell Veilig Thuis, first among the next actions after any report due.
    d.push(observation());
    let s = d.state();
    assert!(tells_veilig_thuis(&s), "{:?}", s.next_actions);
    assert_eq!(s.next_actions[0].kind, RequirementKind::PassNewSignal);
    // A consultation with someone else does not pass it on.
    d.push(consultation());
    assert!(tells_veilig_thuis(&d.state()));
    // A consultation with Veilig Thuis does.
    d.push(veilig_thuis_consultation());
    assert!(!tells_veilig_thuis(&d.state()));
    // A new disclosure asks again, until Veilig Thuis's feedback is recorded.
    d.push(disclosure());
    assert!(tells_veilig_thuis(&d.state()));
    d.push(feedback());
    assert!(!tells_veilig_thuis(&d.state()));
    // Other entries after the report (a kindcheck, a conversation) are no new signal in this sense.
    d.push(conversation(None));
    assert!(!tells_veilig_thuis(&d.state()));
}

#[test]
fn correcting_an_old_signal_after_a_report_is_no_new_signal() {
    let (mut d, signal) = reported();
    d.push(EntryBody::Correction(Correction {
        corrects: signal,
        reason: "Tikfout in de beschrijving.".into(),
        corrected: Box::new(observation()),
    }));
    assert!(!tells_veilig_thuis(&d.state()));
}

#[test]
fn a_new_signal_without_a_report_asks_nothing_of_veilig_thuis() {
    let mut d = Dossier::prepared(po());
    d.push(observation());
    d.push(disclosure());
    assert!(!tells_veilig_thuis(&d.state()));
}

#[test]
fn a_closed_dossier_asks_nothing_more() {
    let (mut d, _) = reported();
    d.push(feedback());
    d.push(EntryBody::Closing(Closing { conclusion: "Veilig Thuis heeft het overgenomen.".into(), no_concern: false }));
    assert!(d.state().next_actions.is_empty());
}
