//! The dossier state as a pure function of its entries ([`fold`]), and the rules for appending an entry
//! ([`validate_append`]).
//!
//! Decisions (see also the module docs of [`crate::afwegingskader`]):
//!
//! * **Order.** Entries are taken in `seq` order (ties by id), whatever order the slice has. The state
//!   depends on that order only where the meldcode does: the order of the answers, whether a report came
//!   after what triggered it, which correction is the latest, closing and reopening.
//! * **Corrections.** The latest correction of an entry replaces its effective content; it takes effect at
//!   the correction's position (a report made before a correction that turned an answer into "yes" did not
//!   follow that answer). The original stays in the chronology; [`DossierState::corrected`] marks it.
//! * **Rounds.** A reopening starts a new round: the afwegingskader, the steps and the disclosure flag are
//!   computed from the entries after the last reopening. Conversations count across rounds for the
//!   report's conversation precondition.
//! * **When is a melding done?** Meldnorm 3 ("report (again)") and a disclosure need a report recorded
//!   after the answer or disclosure that triggered them: they bring new facts. Meldnorm 1 after question 2
//!   and meldnorm 2 are also satisfied by an earlier report in the same round: Veilig Thuis already has the
//!   case and answers questions 3–5 with the school.
//! * **Closed.** A closing entry closes the dossier (no further entries except a reopening; corrections of
//!   the record stay possible). Open deadlines are not listed for a closed dossier.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, OffsetDateTime};

use crate::afwegingskader::{AfwegingError, Answer, Answers, Evaluation, Melding, Question, Trigger, evaluate};
use crate::attachment::{ATTACHMENT_ID_LEN, FILE_FIELD, MediaType, is_lower_hex, sanitize_file_name};
use crate::entry::{
    AssessmentAnswer, Attachment, ConsultationKind, Decision, Entry, EntryBody, EntryId, HelpPlan, Report, Term,
    UserRef, VeiligThuisRoute,
};
use crate::error::{DomainError, ErrorCode};
use crate::rules::{Reason, Requirement, RequirementKind, RuleId};
use crate::sector::Sector;
use crate::working_days::Calendar;

/// Veilig Thuis decides within this many werkdagen after a report (§7).
pub const VEILIG_THUIS_DECISION_WORKING_DAYS: u32 = 5;

/// The age from which the pupil is told about a report (§8).
pub const PUPIL_INFORMED_FROM_AGE: u8 = 12;

/// What the fold needs besides the entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldContext {
    pub sector: Sector,
    /// The pupil's age in years, if known. Unknown counts as "may be 12 or older" for §8.
    pub pupil_age: Option<u8>,
    /// The organisation's working-day calendar.
    pub calendar: Calendar,
}

/// The steps of the meldcode (§6); education adds step 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    SignalenInKaart = 1,
    Consulteren = 2,
    Gesprek = 3,
    Wegen = 4,
    Beslissen = 5,
    Volgen = 6,
}

impl Step {
    pub fn number(self) -> u8 {
        self as u8
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// Veilig Thuis decides within 5 werkdagen after a report.
    VeiligThuisDecision,
    /// The end of the help term (question 4); question 5 is answered then.
    HelpTermEnd,
    /// The next agreed evaluation.
    NextEvaluation,
    /// The agreed follow-up conversation.
    FollowUpConversation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    pub due: Date,
    pub reason: Reason,
    /// The entry that set the deadline.
    pub source: EntryId,
}

/// A melding the meldnormen require, and whether it has been made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeldingStatus {
    pub melding: Melding,
    /// The entry (answer or disclosure) that triggered it.
    pub triggered_by: Option<EntryId>,
    /// The report that satisfies it; `None` = still due.
    pub reported_in: Option<EntryId>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    /// A disclosure is recorded in this round: meldnorm 1, urgent.
    pub disclosure_recorded: bool,
    /// A signal concerns sexual misconduct by staff: outside this meldcode (§2).
    pub staff_sexual_misconduct: bool,
    /// A report was made without consent.
    pub confidentiality_broken: bool,
}

/// An entry whose content was replaced by a correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectedEntry {
    pub original: EntryId,
    /// The latest correction.
    pub by: EntryId,
}

/// The state of a dossier: a pure function of its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierState {
    pub step: Step,
    pub closed: bool,
    /// The day (UTC) the closing entry that closed the dossier was recorded; `None` while open. Retention
    /// periods count from this day ([`crate::retention`]).
    pub closed_on: Option<Date>,
    /// 1 + the number of reopenings.
    pub round: u32,
    /// The effective answers of this round.
    pub answers: Answers,
    /// The afwegingskader evaluated on the effective answers (disclosure included).
    pub afwegingskader: Evaluation,
    /// Set when corrections made the answers inconsistent: the evaluation then uses the longest valid
    /// prefix of the answers and this error says what is wrong.
    pub afwegingskader_conflict: Option<AfwegingError>,
    pub meldingen: Vec<MeldingStatus>,
    /// Open deadlines (none when closed).
    pub deadlines: Vec<Deadline>,
    pub next_actions: Vec<Requirement>,
    pub flags: Flags,
    pub corrected: Vec<CorrectedEntry>,
}

impl DossierState {
    /// Deadlines due before `today`.
    pub fn overdue(&self, today: Date) -> Vec<&Deadline> {
        self.deadlines.iter().filter(|d| d.due < today).collect()
    }

    /// The meldingen that are required and not yet made.
    pub fn meldingen_due(&self) -> impl Iterator<Item = &MeldingStatus> {
        self.meldingen.iter().filter(|m| m.reported_in.is_none())
    }
}

/// An entry with its effective content after corrections.
struct Effective<'a> {
    id: EntryId,
    seq: u32,
    /// The position from which the effective content counts (the latest correction's, if any).
    effective_seq: u32,
    body: &'a EntryBody,
}

/// The non-correction entries with their effective content, in chronological order, plus the list of
/// corrected entries.
fn effective_entries(entries: &[Entry]) -> (Vec<Effective<'_>>, Vec<CorrectedEntry>) {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by_key(|e| (e.seq, e.id));
    let mut latest: BTreeMap<EntryId, (u32, EntryId, &EntryBody)> = BTreeMap::new();
    for e in &sorted {
        if let EntryBody::Correction(c) = &e.body {
            latest.insert(c.corrects, (e.seq, e.id, c.corrected.as_ref()));
        }
    }
    let mut out = Vec::new();
    let mut corrected = Vec::new();
    for e in sorted {
        if matches!(e.body, EntryBody::Correction(_)) {
            continue;
        }
        let (effective_seq, body) = match latest.get(&e.id) {
            Some((seq, by, body)) => {
                corrected.push(CorrectedEntry { original: e.id, by: *by });
                (*seq, *body)
            }
            None => (e.seq, &e.body),
        };
        out.push(Effective { id: e.id, seq: e.seq, effective_seq, body });
    }
    (out, corrected)
}

/// The step an entry shows the route has reached (§6). `None` for entries that say nothing about it.
pub fn step_of(body: &EntryBody) -> Option<Step> {
    match body {
        EntryBody::Observation(_) | EntryBody::Disclosure(_) | EntryBody::Kindcheck(_) => Some(Step::SignalenInKaart),
        EntryBody::Consultation(_) => Some(Step::Consulteren),
        EntryBody::Conversation(_) => Some(Step::Gesprek),
        EntryBody::Weighing(_) => Some(Step::Wegen),
        // Question 1 belongs to weighing; the decisions (2 onwards) to step 5 (§6 step 5, §7).
        EntryBody::AssessmentAnswer(a) => match a.question {
            Question::Q1 => Some(Step::Wegen),
            Question::Q2 | Question::Q3 | Question::Q4 | Question::Q5 => Some(Step::Beslissen),
        },
        EntryBody::Decision(_) => Some(Step::Beslissen),
        EntryBody::Report(_)
        | EntryBody::VeiligThuisFeedback(_)
        | EntryBody::HelpPlan(_)
        | EntryBody::Evaluation(_) => Some(Step::Volgen),
        // A file documents whatever step the route is at; it moves nothing.
        EntryBody::Closing(_) | EntryBody::Reopening(_) | EntryBody::Correction(_) | EntryBody::Attachment(_) => None,
    }
}

/// The end date of a help term.
pub fn term_end(calendar: &Calendar, starts_on: Date, term: Term) -> Date {
    match term {
        Term::Until { end } => end,
        Term::Days { count } => starts_on.saturating_add(Duration::days(i64::from(count))),
        Term::WorkingDays { count } => calendar.add_working_days(starts_on, count),
        Term::Weeks { count } => starts_on.saturating_add(Duration::weeks(i64::from(count))),
        Term::Months { count } => add_months(starts_on, count),
    }
}

/// `d` plus `months` calendar months, clamped to the last day of the target month (31 Jan + 1 = 28/29 Feb).
fn add_months(d: Date, months: u32) -> Date {
    let index = i64::from(d.year()) * 12 + i64::from(u8::from(d.month())) - 1 + i64::from(months);
    let Ok(year) = i32::try_from(index.div_euclid(12)) else {
        return d;
    };
    let Ok(month) = u8::try_from(index.rem_euclid(12) + 1) else {
        return d;
    };
    let Ok(month) = Month::try_from(month) else {
        return d;
    };
    let day = d.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(d)
}

/// Everything the fold derives, before it is packed into [`DossierState`]; shared with validation.
struct Analysis<'a> {
    effective: Vec<Effective<'a>>,
    corrected: Vec<CorrectedEntry>,
    closed: bool,
    round: u32,
    /// Entries after this seq belong to the current round.
    round_start: u32,
    answers: Answers,
    /// Per question: (entry id, effective seq) of the answer.
    answer_at: BTreeMap<Question, (EntryId, u32)>,
    evaluation: Evaluation,
    conflict: Option<AfwegingError>,
    meldingen: Vec<MeldingStatus>,
}

impl<'a> Analysis<'a> {
    fn in_round(&self) -> impl DoubleEndedIterator<Item = &Effective<'a>> {
        let start = self.round_start;
        self.effective.iter().filter(move |e| e.seq > start)
    }

    fn any_in_round(&self, pred: impl Fn(&EntryBody) -> bool) -> bool {
        self.in_round().any(|e| pred(e.body))
    }

    /// The effective help plan of this round recorded after question 4's answer, if any.
    fn help_plan_after_q4(&self) -> Option<(&Effective<'a>, &'a HelpPlan)> {
        let q4_seq = self.answer_at.get(&Question::Q4).map(|(_, s)| *s)?;
        self.in_round()
            .filter(|e| e.effective_seq > q4_seq)
            .filter_map(|e| match e.body {
                EntryBody::HelpPlan(p) => Some((e, p)),
                _ => None,
            })
            .next_back()
    }

    fn reports(&self) -> impl Iterator<Item = (&Effective<'a>, &'a Report)> {
        self.effective.iter().filter_map(|e| match e.body {
            EntryBody::Report(r) => Some((e, r)),
            _ => None,
        })
    }
}

fn analyse<'a>(ctx: &FoldContext, entries: &'a [Entry]) -> Analysis<'a> {
    let (effective, corrected) = effective_entries(entries);
    let mut closed = false;
    let mut round = 1u32;
    let mut round_start = 0u32;
    for e in &effective {
        match e.body {
            EntryBody::Closing(_) => closed = true,
            EntryBody::Reopening(_) => {
                closed = false;
                round = round.saturating_add(1);
                round_start = e.seq;
            }
            _ => {}
        }
    }

    // The effective answers of this round; the first answer per question counts (a second one is
    // refused by validation; a change is a correction).
    let mut answers = Answers::default();
    let mut answer_at = BTreeMap::new();
    let mut disclosure_at: Option<(EntryId, u32)> = None;
    for e in effective.iter().filter(|e| e.seq > round_start) {
        match e.body {
            EntryBody::AssessmentAnswer(a) if answers.get(a.question).is_none() => {
                answers.set(a.question, Some(a.answer));
                answer_at.insert(a.question, (e.id, e.effective_seq));
            }
            EntryBody::Disclosure(_) if disclosure_at.is_none() => {
                disclosure_at = Some((e.id, e.effective_seq));
            }
            _ => {}
        }
    }

    // Evaluate; if corrections made the answers inconsistent, use the longest valid prefix.
    let disclosure = disclosure_at.is_some();
    let mut used = answers;
    let mut conflict = None;
    let evaluation = loop {
        match evaluate(ctx.sector, &used, disclosure) {
            Ok(eval) => break eval,
            Err(err) => {
                conflict.get_or_insert(err);
                match Question::ALL.into_iter().rev().find(|q| used.get(*q).is_some()) {
                    Some(last) => used.set(last, None),
                    None => {
                        break Evaluation {
                            next_question: Some(Question::Q1),
                            meldingen: Vec::new(),
                            with_veilig_thuis: false,
                            hulp: crate::afwegingskader::Hulp::Geen,
                            closed: false,
                            reasons: Vec::new(),
                            requirements: Vec::new(),
                        };
                    }
                }
            }
        }
    };

    let mut analysis = Analysis {
        effective,
        corrected,
        closed,
        round,
        round_start,
        answers,
        answer_at,
        evaluation,
        conflict,
        meldingen: Vec::new(),
    };
    analysis.meldingen = melding_statuses(&analysis, disclosure_at);
    analysis
}

fn melding_statuses(a: &Analysis<'_>, disclosure_at: Option<(EntryId, u32)>) -> Vec<MeldingStatus> {
    let round_reports: Vec<(EntryId, u32)> =
        a.reports().filter(|(e, _)| e.seq > a.round_start).map(|(e, _)| (e.id, e.effective_seq)).collect();
    a.evaluation
        .meldingen
        .iter()
        .map(|m| {
            let trigger = match m.after {
                Trigger::Disclosure => disclosure_at,
                Trigger::Question(q) => a.answer_at.get(&q).copied(),
            };
            let trigger_seq = trigger.map(|(_, s)| s).unwrap_or(0);
            // See the module docs: which meldingen an earlier report in this round satisfies.
            let needs_later_report = match (m.after, m.meldnorm) {
                (Trigger::Disclosure, _) => true,
                (Trigger::Question(_), 3) => true,
                (Trigger::Question(_), _) => false,
            };
            let reported_in =
                round_reports.iter().find(|(_, seq)| !needs_later_report || *seq > trigger_seq).map(|(id, _)| *id);
            MeldingStatus { melding: m.clone(), triggered_by: trigger.map(|(id, _)| id), reported_in }
        })
        .collect()
}

/// Folds the entries into the dossier state. Pure and deterministic.
pub fn fold(ctx: &FoldContext, entries: &[Entry]) -> DossierState {
    let a = analyse(ctx, entries);

    let step = a.in_round().filter_map(|e| step_of(e.body)).max().unwrap_or(Step::SignalenInKaart);

    let flags = Flags {
        disclosure_recorded: a.any_in_round(|b| matches!(b, EntryBody::Disclosure(_))),
        staff_sexual_misconduct: a
            .any_in_round(|b| matches!(b, EntryBody::Observation(o) if o.concerns_staff_sexual_misconduct)),
        confidentiality_broken: a.reports().any(|(_, r)| r.confidentiality_broken),
    };

    let deadlines = if a.closed { Vec::new() } else { deadlines(ctx, &a) };
    let next_actions = if a.closed { Vec::new() } else { next_actions(&a, flags) };

    DossierState {
        step,
        closed: a.closed,
        closed_on: if a.closed { closed_on(entries) } else { None },
        round: a.round,
        answers: a.answers,
        afwegingskader: a.evaluation.clone(),
        afwegingskader_conflict: a.conflict,
        meldingen: a.meldingen.clone(),
        deadlines,
        next_actions,
        flags,
        corrected: a.corrected.clone(),
    }
}

/// The recording day (UTC) of the latest closing entry after the latest reopening.
fn closed_on(entries: &[Entry]) -> Option<Date> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by_key(|e| (e.seq, e.id));
    let mut on = None;
    for e in sorted {
        match e.body {
            EntryBody::Closing(_) => on = Some(e.recorded_at.to_offset(time::UtcOffset::UTC).date()),
            EntryBody::Reopening(_) => on = None,
            _ => {}
        }
    }
    on
}

fn deadline(kind: DeadlineKind, due: Date, rule: RuleId, source: EntryId) -> Deadline {
    Deadline { kind, due, reason: Reason::new(rule).with("due", due.to_string()), source }
}

fn deadlines(ctx: &FoldContext, a: &Analysis<'_>) -> Vec<Deadline> {
    let mut out = Vec::new();
    // Veilig Thuis's decision: 5 werkdagen after each report without feedback on a melding after it.
    for (e, report) in a.reports() {
        let answered = a.effective.iter().any(|f| {
            f.seq > e.seq
                && matches!(f.body, EntryBody::VeiligThuisFeedback(fb) if fb.route == VeiligThuisRoute::Melding)
        });
        if !answered {
            let due = ctx.calendar.add_working_days(report.reported_on, VEILIG_THUIS_DECISION_WORKING_DAYS);
            out.push(deadline(DeadlineKind::VeiligThuisDecision, due, RuleId::VeiligThuisDecisionDue, e.id));
        }
    }
    // The help term, until question 5 is answered.
    if a.answers.q5.is_none()
        && let Some((e, plan)) = a.help_plan_after_q4()
    {
        let due = term_end(&ctx.calendar, plan.starts_on, plan.term);
        out.push(deadline(DeadlineKind::HelpTermEnd, due, RuleId::HelpTermEnds, e.id));
    }
    // The latest evaluation's next date.
    if let Some((e, due)) = a
        .in_round()
        .filter_map(|e| match e.body {
            EntryBody::Evaluation(ev) => Some((e, ev.next_evaluation_on)),
            _ => None,
        })
        .next_back()
        .and_then(|(e, due)| due.map(|d| (e, d)))
    {
        out.push(deadline(DeadlineKind::NextEvaluation, due, RuleId::EvaluationDue, e.id));
    }
    // The latest conversation's agreed follow-up.
    if let Some((e, due)) = a
        .in_round()
        .filter_map(|e| match e.body {
            EntryBody::Conversation(c) => Some((e, c.follow_up_on)),
            _ => None,
        })
        .next_back()
        .and_then(|(e, due)| due.map(|d| (e, d)))
    {
        out.push(deadline(DeadlineKind::FollowUpConversation, due, RuleId::FollowUpConversationDue, e.id));
    }
    out.sort_by_key(|d| (d.due, d.source));
    out
}

fn has_conversation(a: &Analysis<'_>) -> bool {
    a.effective.iter().any(|e| matches!(e.body, EntryBody::Conversation(_)))
}

/// Whether a signal (observation or disclosure) was recorded after a report and not yet passed on to Veilig
/// Thuis: no consultation with Veilig Thuis and no feedback from Veilig Thuis recorded after the latest such
/// signal (§6 step 6). Entries are compared by where they were recorded, so correcting an earlier signal
/// is not a new one.
fn new_signal_after_report(a: &Analysis<'_>) -> bool {
    let Some(first_report) = a.reports().map(|(e, _)| e.seq).min() else {
        return false;
    };
    let Some(signal) = a
        .effective
        .iter()
        .filter(|e| e.seq > first_report && matches!(e.body, EntryBody::Observation(_) | EntryBody::Disclosure(_)))
        .map(|e| e.seq)
        .max()
    else {
        return false;
    };
    let passed_on = |b: &EntryBody| match b {
        EntryBody::Consultation(c) => c.with == ConsultationKind::VeiligThuisAdvice,
        EntryBody::VeiligThuisFeedback(_) => true,
        _ => false,
    };
    !a.effective.iter().any(|e| e.seq > signal && passed_on(e.body))
}

fn next_actions(a: &Analysis<'_>, flags: Flags) -> Vec<Requirement> {
    let mut out = Vec::new();
    if flags.staff_sexual_misconduct {
        out.push(Requirement::new(
            RequirementKind::Klachtenregeling,
            Reason::new(RuleId::StaffMisconductKlachtenregeling),
        ));
    }
    // Reports first: they are the urgent part.
    let mut report_due = false;
    for m in a.meldingen.iter().filter(|m| m.reported_in.is_none()) {
        report_due = true;
        out.push(Requirement::new(RequirementKind::ReportToVeiligThuis, m.melding.reason.clone()));
    }
    if report_due && !has_conversation(a) {
        out.push(Requirement::new(
            RequirementKind::ConversationOrException,
            Reason::new(RuleId::ReportNeedsConversationOrException),
        ));
    }

    if new_signal_after_report(a) {
        out.push(Requirement::new(RequirementKind::PassNewSignal, Reason::new(RuleId::PassNewSignalToVeiligThuis)));
    }

    // Steps 1–4 until the afwegingskader has started (the steps are a route, not a strict sequence).
    let started = a.answers.q1.is_some();
    if !started {
        let guidance = [
            (
                a.any_in_round(|b| {
                    matches!(b, EntryBody::Observation(_) | EntryBody::Disclosure(_) | EntryBody::Kindcheck(_))
                }),
                RequirementKind::RecordObservations,
                RuleId::RecordObservations,
            ),
            (
                a.any_in_round(|b| matches!(b, EntryBody::Consultation(_))),
                RequirementKind::Consult,
                RuleId::ConsultColleague,
            ),
            (
                a.any_in_round(|b| matches!(b, EntryBody::Conversation(_))),
                RequirementKind::HoldConversation,
                RuleId::HoldConversation,
            ),
            (a.any_in_round(|b| matches!(b, EntryBody::Weighing(_))), RequirementKind::Weigh, RuleId::WeighTogether),
        ];
        if let Some((_, kind, rule)) = guidance.iter().find(|(done, _, _)| !done) {
            out.push(Requirement::new(*kind, Reason::new(*rule)));
            return out;
        }
    }

    // The afwegingskader's own requirements, minus what the chronology shows is done.
    let board_informed = a.any_in_round(|b| matches!(b, EntryBody::AssessmentAnswer(x) if x.board_informed));
    let plan = a.help_plan_after_q4();
    let q5_seq = a.answer_at.get(&Question::Q5).map(|(_, s)| *s);
    let monitoring_recorded = q5_seq
        .is_some_and(|q5| a.in_round().any(|e| e.effective_seq > q5 && matches!(e.body, EntryBody::Evaluation(_))));
    for r in &a.evaluation.requirements {
        let done = match r.kind {
            RequirementKind::InformBoard => r.reason.rule == RuleId::InformBoardEducation && board_informed,
            RequirementKind::HelpPlan => plan.is_some(),
            RequirementKind::AgreeSafetyTerm => plan.is_some_and(|(_, p)| p.term_agreed_with_veilig_thuis),
            RequirementKind::MonitoringAgreements => monitoring_recorded,
            RequirementKind::RecordObservations
            | RequirementKind::Consult
            | RequirementKind::HoldConversation
            | RequirementKind::Weigh
            | RequirementKind::AnswerQuestion
            | RequirementKind::AnswerWithVeiligThuis
            | RequirementKind::ReportToVeiligThuis
            | RequirementKind::ConversationOrException
            | RequirementKind::RecordDecision
            | RequirementKind::ClosingConclusion
            | RequirementKind::Klachtenregeling
            | RequirementKind::PassNewSignal => false,
        };
        if !done {
            out.push(r.clone());
        }
    }

    // The framework is complete: record the decision (who reports, who informs whom, what next).
    let last_answer_seq = a.answer_at.values().map(|(_, s)| *s).max().unwrap_or(0);
    let decided = a.in_round().any(|e| e.effective_seq > last_answer_seq && matches!(e.body, EntryBody::Decision(_)));
    if started && a.evaluation.next_question.is_none() && !a.evaluation.closed && !decided {
        out.push(Requirement::new(RequirementKind::RecordDecision, Reason::new(RuleId::RecordDecision)));
    }
    out
}

// ------------------------------------------------------------------------------------------------------
// Validation
// ------------------------------------------------------------------------------------------------------

fn required(value: &str, field: &str) -> Result<(), DomainError> {
    if value.trim().is_empty() { Err(DomainError::new(ErrorCode::FieldRequired).field(field)) } else { Ok(()) }
}

fn required_opt(value: &Option<String>, field: &str) -> Result<(), DomainError> {
    required(value.as_deref().unwrap_or(""), field)
}

fn not_in_future(d: Date, today: Date, field: &str) -> Result<(), DomainError> {
    if d > today { Err(DomainError::new(ErrorCode::DateInFuture).field(field)) } else { Ok(()) }
}

/// Checks an entry's `occurred_on` (it may not lie in the future). The store calls this next to
/// [`validate_append`], which only sees the body.
pub fn validate_occurred_on(occurred_on: Option<Date>, now: OffsetDateTime) -> Result<(), DomainError> {
    match occurred_on {
        Some(d) => not_in_future(d, now.date(), "occurred_on"),
        None => Ok(()),
    }
}

/// The rules about the content of one body, independent of the rest of the dossier.
fn validate_content(ctx: &FoldContext, body: &EntryBody, today: Date) -> Result<(), DomainError> {
    match body {
        EntryBody::Observation(o) => required(&o.facts, "facts"),
        EntryBody::Consultation(c) => required(&c.summary, "summary"),
        EntryBody::Conversation(c) => required(&c.summary, "summary"),
        EntryBody::Kindcheck(k) => required(&k.concern_about_adult, "concern_about_adult"),
        EntryBody::Weighing(w) => {
            if w.participants.iter().all(|p| p.trim().is_empty()) {
                return Err(DomainError::new(ErrorCode::FieldRequired).field("participants"));
            }
            required(&w.nature, "nature")?;
            required(&w.severity, "severity")?;
            required(&w.risk, "risk")?;
            // Forgetting the protective factors is a named pitfall of step 4.
            required(&w.protective_factors, "protective_factors")
        }
        EntryBody::AssessmentAnswer(a) => validate_answer_content(a),
        EntryBody::Decision(d) => validate_decision_content(d),
        EntryBody::Report(r) => validate_report_content(ctx, r, today),
        EntryBody::VeiligThuisFeedback(f) => {
            not_in_future(f.received_on, today, "received_on")?;
            required(&f.summary, "summary")
        }
        EntryBody::HelpPlan(p) => validate_help_plan(p),
        EntryBody::Evaluation(e) => required(&e.summary, "summary"),
        EntryBody::Disclosure(d) => required(&d.summary, "summary"),
        EntryBody::Closing(c) => required(&c.conclusion, "conclusion"),
        EntryBody::Reopening(r) => required(&r.reason, "reason"),
        EntryBody::Attachment(a) => validate_attachment_content(a),
        EntryBody::Correction(c) => {
            if c.reason.trim().is_empty() {
                return Err(DomainError::new(ErrorCode::CorrectionReasonRequired).field("reason"));
            }
            if matches!(c.corrected.as_ref(), EntryBody::Correction(_)) {
                return Err(DomainError::new(ErrorCode::CorrectionOfCorrection).field("corrected"));
            }
            validate_content(ctx, &c.corrected, today)
        }
    }
}

/// What identifies the stored file of an attachment entry (everything but the description).
fn file_of(a: &Attachment) -> (&str, &str, MediaType, u64, &str) {
    (&a.attachment_id, &a.file_name, a.media_type, a.size_bytes, &a.sha256)
}

/// The metadata of an attachment entry must describe a file that passed [`crate::attachment::check_upload`].
fn validate_attachment_content(a: &Attachment) -> Result<(), DomainError> {
    let invalid = || DomainError::new(ErrorCode::AttachmentInvalid).field(FILE_FIELD);
    if !is_lower_hex(&a.attachment_id, ATTACHMENT_ID_LEN) || !is_lower_hex(&a.sha256, 64) || a.size_bytes == 0 {
        return Err(invalid());
    }
    if sanitize_file_name(&a.file_name).as_deref() != Some(a.file_name.as_str())
        || MediaType::claimed_by(&a.file_name) != Some(a.media_type)
    {
        return Err(invalid());
    }
    Ok(())
}

fn validate_answer_content(a: &AssessmentAnswer) -> Result<(), DomainError> {
    if !a.question.allows_doubt() && a.answer == Answer::Twijfel {
        return Err(AfwegingError::DoubtNotAllowed { question: a.question }.into());
    }
    if a.reasoning.trim().is_empty() {
        return Err(DomainError::new(ErrorCode::ReasoningRequired).field("reasoning"));
    }
    required(&a.answered_by, "answered_by")
}

fn validate_decision_content(d: &Decision) -> Result<(), DomainError> {
    if d.report {
        required_opt(&d.reporter, "reporter")?;
        required_opt(&d.informs_parents, "informs_parents")?;
    }
    Ok(())
}

fn validate_help_plan(p: &HelpPlan) -> Result<(), DomainError> {
    if p.goals.iter().all(|g| g.trim().is_empty()) {
        return Err(DomainError::new(ErrorCode::FieldRequired).field("goals"));
    }
    required(&p.case_manager, "case_manager")?;
    match p.term {
        Term::Until { end } if end <= p.starts_on => Err(DomainError::new(ErrorCode::DateTooEarly).field("term")),
        Term::Until { .. } => Ok(()),
        Term::Days { count } | Term::WorkingDays { count } | Term::Weeks { count } | Term::Months { count } => {
            if count == 0 { Err(DomainError::new(ErrorCode::TermInvalid).field("term")) } else { Ok(()) }
        }
    }
}

/// §8: what every report must record.
fn validate_report_content(ctx: &FoldContext, r: &Report, today: Date) -> Result<(), DomainError> {
    not_in_future(r.reported_on, today, "reported_on")?;
    required(&r.reporter, "reporter")?;
    required(&r.facts, "facts")?;
    if let Some(x) = &r.conversation_exception
        && x.explanation.trim().is_empty()
    {
        return Err(DomainError::new(ErrorCode::ExceptionNeedsExplanation).field("conversation_exception"));
    }
    match r.parents_informed {
        None => {
            return Err(DomainError::new(ErrorCode::ReportParentsInformedMissing).field("parents_informed"));
        }
        Some(false) if r.parents_not_informed_reason.as_deref().unwrap_or("").trim().is_empty() => {
            return Err(
                DomainError::new(ErrorCode::ReportParentsNotInformedReasonMissing).field("parents_not_informed_reason")
            );
        }
        Some(_) => {}
    }
    let pupil_may_be_12 = ctx.pupil_age.is_none_or(|age| age >= PUPIL_INFORMED_FROM_AGE);
    if pupil_may_be_12 {
        match r.pupil_informed {
            None => {
                return Err(DomainError::new(ErrorCode::ReportPupilInformedMissing).field("pupil_informed"));
            }
            Some(false) if r.pupil_not_informed_reason.as_deref().unwrap_or("").trim().is_empty() => {
                return Err(
                    DomainError::new(ErrorCode::ReportPupilNotInformedReasonMissing).field("pupil_not_informed_reason")
                );
            }
            Some(_) => {}
        }
    }
    if !r.board_informed {
        return Err(DomainError::new(ErrorCode::ReportBoardNotInformed).field("board_informed"));
    }
    if r.confidentiality_broken {
        let missing = match &r.confidentiality {
            None => Some(1),
            Some(c) => c.in_order().iter().position(|(_, answer)| answer.trim().is_empty()).map(|i| i + 1),
        };
        if let Some(n) = missing {
            return Err(DomainError::new(ErrorCode::ConfidentialityQuestionsMissing)
                .arg("number", n.to_string())
                .field("confidentiality"));
        }
    }
    if r.shield_identity_requested {
        required_opt(&r.shield_identity_arguments, "shield_identity_arguments").map_err(|_| {
            DomainError::new(ErrorCode::ShieldIdentityNeedsArguments).field("shield_identity_arguments")
        })?;
    }
    Ok(())
}

/// Whether `new` may be appended to the dossier `entries` by `author` at `now`. Refuses what the meldcode
/// forbids, with a stable code, a message key and the field concerned. `now` gives "today" in its own
/// offset: pass it in the organisation's local time (Europe/Amsterdam).
pub fn validate_append(
    ctx: &FoldContext,
    entries: &[Entry],
    new: &EntryBody,
    author: UserRef,
    now: OffsetDateTime,
) -> Result<(), DomainError> {
    if author.0 <= 0 {
        return Err(DomainError::new(ErrorCode::AuthorUnknown));
    }
    let today = now.date();
    let a = analyse(ctx, entries);

    // A closed dossier takes only a reopening (and corrections of the record).
    match new {
        EntryBody::Reopening(_) if !a.closed => {
            return Err(DomainError::new(ErrorCode::ReopenNotClosed));
        }
        EntryBody::Reopening(_) | EntryBody::Correction(_) => {}
        EntryBody::Observation(_)
        | EntryBody::Consultation(_)
        | EntryBody::Conversation(_)
        | EntryBody::Kindcheck(_)
        | EntryBody::Weighing(_)
        | EntryBody::AssessmentAnswer(_)
        | EntryBody::Decision(_)
        | EntryBody::Report(_)
        | EntryBody::VeiligThuisFeedback(_)
        | EntryBody::HelpPlan(_)
        | EntryBody::Evaluation(_)
        | EntryBody::Disclosure(_)
        | EntryBody::Attachment(_)
        | EntryBody::Closing(_) => {
            if a.closed {
                return Err(DomainError::new(ErrorCode::DossierClosed));
            }
        }
    }

    validate_content(ctx, new, today)?;

    match new {
        EntryBody::AssessmentAnswer(answer) => validate_answer_in_route(ctx, &a, answer),
        EntryBody::Report(report) => {
            if report.conversation_exception.is_none() && !has_conversation(&a) {
                return Err(
                    DomainError::new(ErrorCode::ReportNeedsConversationOrException).field("conversation_exception")
                );
            }
            Ok(())
        }
        EntryBody::Decision(d) => {
            if !d.report
                && let Some(m) = a.meldingen.iter().find(|m| m.reported_in.is_none())
            {
                return Err(DomainError::new(ErrorCode::DecisionContradictsMeldnorm)
                    .arg("meldnorm", m.melding.meldnorm.to_string())
                    .field("report"));
            }
            Ok(())
        }
        EntryBody::VeiligThuisFeedback(f) => {
            if f.route == VeiligThuisRoute::Melding && a.reports().next().is_none() {
                return Err(DomainError::new(ErrorCode::FeedbackWithoutReport).field("route"));
            }
            Ok(())
        }
        EntryBody::Closing(_) => {
            if let Some(m) = a.meldingen.iter().find(|m| m.reported_in.is_none()) {
                return Err(
                    DomainError::new(ErrorCode::ClosingWithReportDue).arg("meldnorm", m.melding.meldnorm.to_string())
                );
            }
            Ok(())
        }
        EntryBody::Correction(c) => validate_correction(entries, c),
        EntryBody::Attachment(new) => {
            let taken = entries.iter().any(|e| match &e.body {
                EntryBody::Attachment(old) => old.attachment_id == new.attachment_id,
                EntryBody::Correction(c) => {
                    matches!(c.corrected.as_ref(), EntryBody::Attachment(old) if old.attachment_id == new.attachment_id)
                }
                _ => false,
            });
            if taken {
                return Err(DomainError::new(ErrorCode::AttachmentInvalid).field(FILE_FIELD));
            }
            Ok(())
        }
        EntryBody::Observation(_)
        | EntryBody::Consultation(_)
        | EntryBody::Conversation(_)
        | EntryBody::Kindcheck(_)
        | EntryBody::Weighing(_)
        | EntryBody::HelpPlan(_)
        | EntryBody::Evaluation(_)
        | EntryBody::Disclosure(_)
        | EntryBody::Reopening(_) => Ok(()),
    }
}

/// §7: strict order, no second answer, Veilig Thuis and the bevoegd gezag where they take part, and a
/// help plan with term and case manager before question 5.
fn validate_answer_in_route(ctx: &FoldContext, a: &Analysis<'_>, answer: &AssessmentAnswer) -> Result<(), DomainError> {
    let q = answer.question;
    if a.answers.get(q).is_some() {
        return Err(DomainError::new(ErrorCode::QuestionAlreadyAnswered)
            .arg("question", q.number().to_string())
            .field("question"));
    }
    let mut with = a.answers;
    with.set(q, Some(answer.answer));
    evaluate(ctx.sector, &with, false).map_err(DomainError::from)?;
    let after_q2 = matches!(q, Question::Q3 | Question::Q4 | Question::Q5);
    if after_q2 && a.evaluation.with_veilig_thuis && !answer.with_veilig_thuis {
        return Err(DomainError::new(ErrorCode::VeiligThuisMustTakePart).field("with_veilig_thuis"));
    }
    if q == Question::Q2 && ctx.sector.is_education_or_leerplicht() && !answer.board_informed {
        return Err(DomainError::new(ErrorCode::BoardMustTakePart).field("board_informed"));
    }
    if q == Question::Q5 && a.help_plan_after_q4().is_none() {
        return Err(DomainError::new(ErrorCode::HelpPlanRequiredBeforeQ5).field("question"));
    }
    Ok(())
}

fn validate_correction(entries: &[Entry], c: &crate::entry::Correction) -> Result<(), DomainError> {
    let Some(target) = entries.iter().find(|e| e.id == c.corrects) else {
        return Err(DomainError::new(ErrorCode::CorrectionTargetMissing)
            .arg("entry", c.corrects.0.to_string())
            .field("corrects"));
    };
    if matches!(target.body, EntryBody::Correction(_)) {
        return Err(DomainError::new(ErrorCode::CorrectionOfCorrection).field("corrects"));
    }
    if target.body.kind() != c.corrected.kind() {
        return Err(DomainError::new(ErrorCode::CorrectionKindMismatch).field("corrected"));
    }
    if let (EntryBody::AssessmentAnswer(old), EntryBody::AssessmentAnswer(new)) = (&target.body, c.corrected.as_ref())
        && old.question != new.question
    {
        return Err(DomainError::new(ErrorCode::CorrectionKindMismatch).field("question"));
    }
    // The stored file cannot be swapped by a correction: only what is said about it.
    if let (EntryBody::Attachment(old), EntryBody::Attachment(new)) = (&target.body, c.corrected.as_ref())
        && file_of(old) != file_of(new)
    {
        return Err(DomainError::new(ErrorCode::AttachmentFileFixed).field(FILE_FIELD));
    }
    Ok(())
}

/// The ids of entries in `entries` (for callers that want to check a reference).
pub fn entry_ids(entries: &[Entry]) -> BTreeSet<EntryId> {
    entries.iter().map(|e| e.id).collect()
}
