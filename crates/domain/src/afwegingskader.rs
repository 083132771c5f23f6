//! The afwegingskader: the five questions of steps 4–5 and the meldnormen (meldcode.md §7).
//!
//! The whole route is decided by one function, [`transition`]: given the sector, a question and its
//! answer, what happens next. Compare it with §7 line by line. [`evaluate`] only walks the answers in
//! order through that table and checks the order.
//!
//! Decisions on points §7 leaves open (documented here so they are visible in review):
//!
//! * **Doubt.** "twijfel" on question 1 counts as yes (the route continues). On question 2 it counts as yes
//!   and means reporting: in education and leerplicht the framework says so literally ("yes or doubt" →
//!   report directly, by phone); in the other sectors doubt about safety is treated the same way, because
//!   doubt about safety is never a reason to wait. On questions 3–5 doubt is refused: it must first be
//!   resolved (e.g. by consulting Veilig Thuis), because those answers decide between help and reporting.
//! * **Reporting and help both ("melden en/of hulp").** A yes on question 2 gives a melding (meldnorm 1),
//!   and questions 3–5 are *still* answered, together with Veilig Thuis: help may be organised next to the
//!   report. So the route continues to question 3.
//! * **No on 3 or 4** gives a melding (meldnorm 2) and ends the framework's route: there is no help to
//!   accept or to evaluate, so `next_question` is `None`. The dossier is not closed (`closed == false`):
//!   follow-up (step 6) goes on. Answering a later question after that is an error, just like an answer
//!   after a closing no on question 1.
//! * **No on 5** gives a melding (meldnorm 3, "report (again)"); the help that was started stays started
//!   (`hulp == Starten`): it is not closed with monitoring, because it did not reach its results.
//! * **Disclosure** (the pupil tells) always gives a melding under meldnorm 1, listed first, whatever the
//!   answers, and does not stop or change the questions.
//! * **`closed`** is true only after no on question 1.
//! * **Several problems at once.** The answers are walked from question 1; the first problem found wins:
//!   an answer after the end of the route, then an answer after an unanswered question (naming the first
//!   unanswered one), then doubt where it is not allowed.

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, ErrorCode};
use crate::rules::{Reason, Requirement, RequirementKind, RuleId};
use crate::sector::Sector;

/// A question of the afwegingskader. Codes `q1`..`q5`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Question {
    /// Vermoeden: is there a suspicion (education: is action needed)?
    Q1,
    /// Veiligheid: is there acute or structural unsafety?
    Q2,
    /// Hulp mogelijk: can effective help be offered or organised?
    Q3,
    /// Hulp aanvaard: do those involved accept the help?
    Q4,
    /// Resultaat: does the help reach the agreed results within the term?
    Q5,
}

impl Question {
    /// All questions in the order they must be answered.
    pub const ALL: [Question; 5] = [Question::Q1, Question::Q2, Question::Q3, Question::Q4, Question::Q5];

    pub fn as_str(self) -> &'static str {
        match self {
            Question::Q1 => "q1",
            Question::Q2 => "q2",
            Question::Q3 => "q3",
            Question::Q4 => "q4",
            Question::Q5 => "q5",
        }
    }

    pub fn from_code(code: &str) -> Option<Question> {
        Question::ALL.into_iter().find(|q| q.as_str() == code)
    }

    /// The Fluent key of the question's short text, e.g. `question-q2`.
    pub fn message_key(self) -> String {
        format!("question-{}", self.as_str())
    }

    /// 1..=5.
    pub fn number(self) -> u8 {
        match self {
            Question::Q1 => 1,
            Question::Q2 => 2,
            Question::Q3 => 3,
            Question::Q4 => 4,
            Question::Q5 => 5,
        }
    }

    /// Whether doubt is an allowed answer (questions 1 and 2 only).
    pub fn allows_doubt(self) -> bool {
        match self {
            Question::Q1 | Question::Q2 => true,
            Question::Q3 | Question::Q4 | Question::Q5 => false,
        }
    }
}

/// An answer. Codes `ja`, `nee`, `twijfel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    Ja,
    Nee,
    Twijfel,
}

impl Answer {
    pub const ALL: [Answer; 3] = [Answer::Ja, Answer::Nee, Answer::Twijfel];

    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Ja => "ja",
            Answer::Nee => "nee",
            Answer::Twijfel => "twijfel",
        }
    }
}

/// The answers given so far; `None` = not (yet) answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Answers {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q1: Option<Answer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q2: Option<Answer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q3: Option<Answer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q4: Option<Answer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q5: Option<Answer>,
}

impl Answers {
    pub fn get(&self, q: Question) -> Option<Answer> {
        match q {
            Question::Q1 => self.q1,
            Question::Q2 => self.q2,
            Question::Q3 => self.q3,
            Question::Q4 => self.q4,
            Question::Q5 => self.q5,
        }
    }

    pub fn set(&mut self, q: Question, answer: Option<Answer>) {
        let slot = match q {
            Question::Q1 => &mut self.q1,
            Question::Q2 => &mut self.q2,
            Question::Q3 => &mut self.q3,
            Question::Q4 => &mut self.q4,
            Question::Q5 => &mut self.q5,
        };
        *slot = answer;
    }

    /// Builder form of [`Answers::set`].
    pub fn with(mut self, q: Question, answer: Answer) -> Answers {
        self.set(q, Some(answer));
        self
    }
}

/// What a melding follows: an answer, or a recorded disclosure. Serialised as `"q2"` or `"disclosure"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    Question(Question),
    Disclosure,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Question(q) => q.as_str(),
            Trigger::Disclosure => "disclosure",
        }
    }
}

impl Serialize for Trigger {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Trigger {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Trigger, D::Error> {
        let code = String::deserialize(d)?;
        if code == "disclosure" {
            return Ok(Trigger::Disclosure);
        }
        Question::from_code(&code)
            .map(Trigger::Question)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown trigger `{code}`")))
    }
}

/// A report to Veilig Thuis that the professional norm requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Melding {
    /// 1, 2 or 3 (§7).
    pub meldnorm: u8,
    pub after: Trigger,
    pub reason: Reason,
}

/// The Fluent key of a meldnorm's text (`meldnorm-1` .. `meldnorm-3`).
pub fn meldnorm_message_key(meldnorm: u8) -> String {
    format!("meldnorm-{meldnorm}")
}

/// The help outcome of the framework. Codes `geen`, `starten`, `afsluiten_met_monitoring`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hulp {
    /// No help is started (yet) within this route.
    Geen,
    /// Yes on question 4: the help starts (term and case manager to be agreed).
    Starten,
    /// Yes on question 5: close the help with agreements on monitoring safety.
    AfsluitenMetMonitoring,
}

impl Hulp {
    pub fn as_str(self) -> &'static str {
        match self {
            Hulp::Geen => "geen",
            Hulp::Starten => "starten",
            Hulp::AfsluitenMetMonitoring => "afsluiten_met_monitoring",
        }
    }
}

/// The outcome of the framework for a set of answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The question to answer next; `None` when the route of the framework has ended.
    pub next_question: Option<Question>,
    /// Reports the meldnormen require, in order (a disclosure first).
    pub meldingen: Vec<Melding>,
    /// Whether questions 3–5 are answered together with Veilig Thuis (after yes or doubt on 2).
    pub with_veilig_thuis: bool,
    pub hulp: Hulp,
    /// True only after no on question 1: the meldcode route closes.
    pub closed: bool,
    /// Why: the disclosure first, then one reason per answer, in order.
    pub reasons: Vec<Reason>,
    /// What is still needed, each with its reason.
    pub requirements: Vec<Requirement>,
}

/// Invalid answers. Serialised as `{"code": "<error code>", ...}` with the codes of [`ErrorCode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code")]
pub enum AfwegingError {
    /// `answered` was answered while `expected` (an earlier question) was not.
    #[serde(rename = "question_out_of_order")]
    #[error("{} is answered before {}: answer {} first", answered.as_str(), expected.as_str(), expected.as_str())]
    OutOfOrder { answered: Question, expected: Question },
    /// Doubt on question 3, 4 or 5.
    #[serde(rename = "doubt_not_allowed")]
    #[error("doubt is not allowed on {}: resolve the doubt first, for instance by consulting Veilig Thuis", question.as_str())]
    DoubtNotAllowed { question: Question },
    /// An answer after the route ended at `ended_at` (no on 1, no on 3 or 4, or any answer on 5).
    #[serde(rename = "answered_after_end")]
    #[error("{} cannot be answered: the route ended at {}", question.as_str(), ended_at.as_str())]
    AnsweredAfterEnd { question: Question, ended_at: Question },
}

impl AfwegingError {
    pub fn code(self) -> ErrorCode {
        match self {
            AfwegingError::OutOfOrder { .. } => ErrorCode::QuestionOutOfOrder,
            AfwegingError::DoubtNotAllowed { .. } => ErrorCode::DoubtNotAllowed,
            AfwegingError::AnsweredAfterEnd { .. } => ErrorCode::AnsweredAfterEnd,
        }
    }
}

impl From<AfwegingError> for DomainError {
    fn from(e: AfwegingError) -> DomainError {
        let base = DomainError::new(e.code());
        match e {
            AfwegingError::OutOfOrder { answered, expected } => {
                base.arg("question", answered.number().to_string()).arg("expected", expected.number().to_string())
            }
            AfwegingError::DoubtNotAllowed { question } => base.arg("question", question.number().to_string()),
            AfwegingError::AnsweredAfterEnd { question, ended_at } => {
                base.arg("question", question.number().to_string()).arg("ended_at", ended_at.number().to_string())
            }
        }
        .field("answer")
    }
}

/// Where the route goes after an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// Continue with this question.
    Ask(Question),
    /// No suspicion: the meldcode route closes (only after no on question 1).
    CloseRoute,
    /// The framework's route is complete; follow-up goes on.
    EndRoute,
}

/// The effect of one answer: one row of §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub then: Then,
    /// The meldnorm that requires a report after this answer, if any.
    pub meldnorm: Option<u8>,
    /// Questions 3–5 are from now on answered together with Veilig Thuis.
    pub with_veilig_thuis: bool,
    /// The help outcome this answer sets, if it changes it.
    pub hulp: Option<Hulp>,
    pub rule: RuleId,
}

/// THE table of §7: what an answer to a question leads to. One arm per (question, answer).
pub fn transition(sector: Sector, q: Question, a: Answer) -> Result<Transition, AfwegingError> {
    use Answer::{Ja, Nee, Twijfel};
    use Question::{Q1, Q2, Q3, Q4, Q5};
    use Then::{Ask, CloseRoute, EndRoute};
    let education = sector.is_education_or_leerplicht();
    let row =
        |then, meldnorm, with_veilig_thuis, hulp, rule| Transition { then, meldnorm, with_veilig_thuis, hulp, rule };
    Ok(match (q, a) {
        // 1. Vermoeden. Yes → 2 (education: action needed, board informed). Doubt counts as yes.
        //    No → close the route and record the conclusion.
        (Q1, Ja) if education => row(Ask(Q2), None, false, None, RuleId::Q1ActionNeededEducation),
        (Q1, Ja) => row(Ask(Q2), None, false, None, RuleId::Q1Suspicion),
        (Q1, Twijfel) => row(Ask(Q2), None, false, None, RuleId::Q1DoubtContinue),
        (Q1, Nee) => row(CloseRoute, None, false, None, RuleId::Q1NoClose),
        // 2. Veiligheid. Yes (or doubt) → report under meldnorm 1; 3–5 are then answered with Veilig Thuis.
        //    No → 3.
        (Q2, Ja) => row(Ask(Q3), Some(1), true, None, RuleId::Meldnorm1Unsafety),
        (Q2, Twijfel) if education => row(Ask(Q3), Some(1), true, None, RuleId::Meldnorm1DoubtEducation),
        (Q2, Twijfel) => row(Ask(Q3), Some(1), true, None, RuleId::Meldnorm1Doubt),
        (Q2, Nee) => row(Ask(Q3), None, false, None, RuleId::Q2NoUnsafety),
        // 3. Hulp mogelijk. No → report (meldnorm 2); nothing left to accept or evaluate. Yes → 4.
        (Q3, Ja) => row(Ask(Q4), None, false, None, RuleId::Q3HelpPossible),
        (Q3, Nee) => row(EndRoute, Some(2), false, None, RuleId::Meldnorm2HelpNotPossible),
        // 4. Hulp aanvaard. No → report (meldnorm 2). Yes → start the help (term, case manager) → 5.
        (Q4, Ja) => row(Ask(Q5), None, false, Some(Hulp::Starten), RuleId::Q4HelpAccepted),
        (Q4, Nee) => row(EndRoute, Some(2), false, None, RuleId::Meldnorm2HelpNotAccepted),
        // 5. Resultaat. No → report (again) under meldnorm 3. Yes → close the help with monitoring.
        (Q5, Ja) => row(EndRoute, None, false, Some(Hulp::AfsluitenMetMonitoring), RuleId::Q5ResultsReached),
        (Q5, Nee) => row(EndRoute, Some(3), false, None, RuleId::Meldnorm3NoResult),
        // Doubt on 3–5 must be resolved first.
        (Q3 | Q4 | Q5, Twijfel) => return Err(AfwegingError::DoubtNotAllowed { question: q }),
    })
}

/// Evaluates the answers given so far. `disclosure`: a disclosure by the pupil is recorded.
pub fn evaluate(sector: Sector, answers: &Answers, disclosure: bool) -> Result<Evaluation, AfwegingError> {
    let mut eval = Evaluation {
        next_question: None,
        meldingen: Vec::new(),
        with_veilig_thuis: false,
        hulp: Hulp::Geen,
        closed: false,
        reasons: Vec::new(),
        requirements: Vec::new(),
    };
    if disclosure {
        let reason = Reason::new(RuleId::Meldnorm1Disclosure);
        eval.meldingen.push(Melding { meldnorm: 1, after: Trigger::Disclosure, reason: reason.clone() });
        eval.reasons.push(reason);
    }

    // `at`: the question the route is waiting for; `None` once it has ended at `ended_at`.
    let mut at = Some(Question::Q1);
    let mut ended_at = Question::Q1;
    for q in Question::ALL {
        let answer = answers.get(q);
        // The route only ever waits for the question the loop is at (transitions go one step forward).
        let Some(_waiting) = at else {
            if answer.is_some() {
                return Err(AfwegingError::AnsweredAfterEnd { question: q, ended_at });
            }
            continue;
        };
        let Some(a) = answer else {
            if let Some(later) = Question::ALL.into_iter().find(|later| *later > q && answers.get(*later).is_some()) {
                return Err(AfwegingError::OutOfOrder { answered: later, expected: q });
            }
            eval.next_question = Some(q);
            break;
        };
        let t = transition(sector, q, a)?;
        let reason = Reason::new(t.rule);
        if let Some(meldnorm) = t.meldnorm {
            eval.meldingen.push(Melding { meldnorm, after: Trigger::Question(q), reason: reason.clone() });
        }
        eval.reasons.push(reason);
        eval.with_veilig_thuis |= t.with_veilig_thuis;
        if let Some(hulp) = t.hulp {
            eval.hulp = hulp;
        }
        match t.then {
            Then::Ask(next) => at = Some(next),
            Then::CloseRoute => {
                eval.closed = true;
                at = None;
                ended_at = q;
            }
            Then::EndRoute => {
                at = None;
                ended_at = q;
            }
        }
    }
    eval.requirements = requirements(sector, answers, &eval);
    Ok(eval)
}

/// What is still needed after these answers (besides the reports, which are in `meldingen`).
fn requirements(sector: Sector, answers: &Answers, eval: &Evaluation) -> Vec<Requirement> {
    let mut out = Vec::new();
    let education = sector.is_education_or_leerplicht();
    let q1_yes = matches!(answers.q1, Some(Answer::Ja | Answer::Twijfel));
    if education && q1_yes {
        out.push(Requirement::new(RequirementKind::InformBoard, Reason::new(RuleId::InformBoardEducation)));
    }
    if let Some(q) = eval.next_question {
        out.push(Requirement::new(
            RequirementKind::AnswerQuestion,
            Reason::new(RuleId::NextQuestion).with("question", q.number().to_string()),
        ));
        if education && q == Question::Q2 {
            out.push(Requirement::new(RequirementKind::InformBoard, Reason::new(RuleId::Q2WithBoard)));
        }
        if eval.with_veilig_thuis {
            out.push(Requirement::new(
                RequirementKind::AnswerWithVeiligThuis,
                Reason::new(RuleId::AnswerWithVeiligThuis),
            ));
        }
        if q == Question::Q5 {
            out.push(Requirement::new(RequirementKind::HelpPlan, Reason::new(RuleId::HelpNeedsTermAndCaseManager)));
            if eval.with_veilig_thuis {
                out.push(Requirement::new(
                    RequirementKind::AgreeSafetyTerm,
                    Reason::new(RuleId::AgreeSafetyTermWithVeiligThuis),
                ));
            }
        }
    }
    if eval.hulp == Hulp::AfsluitenMetMonitoring {
        out.push(Requirement::new(
            RequirementKind::MonitoringAgreements,
            Reason::new(RuleId::RecordMonitoringAgreements),
        ));
    }
    if eval.closed {
        out.push(Requirement::new(RequirementKind::ClosingConclusion, Reason::new(RuleId::RecordClosingConclusion)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn answers(list: &[(Question, Answer)]) -> Answers {
        list.iter().fold(Answers::default(), |a, (q, ans)| a.with(*q, *ans))
    }

    #[test]
    fn the_issue_example_reports_again_under_meldnorm_3() {
        use Answer::*;
        use Question::*;
        let a = answers(&[(Q1, Ja), (Q2, Nee), (Q3, Ja), (Q4, Ja), (Q5, Nee)]);
        let e = evaluate(Sector::Po, &a, false).unwrap();
        assert_eq!(e.next_question, None);
        assert_eq!(e.meldingen.len(), 1);
        assert_eq!(e.meldingen[0].meldnorm, 3);
        assert_eq!(e.meldingen[0].after, Trigger::Question(Q5));
        assert_eq!(e.hulp, Hulp::Starten);
        assert!(!e.closed && !e.with_veilig_thuis);
    }

    #[test]
    fn report_at_q2_keeps_the_route_going_with_veilig_thuis() {
        use Answer::*;
        use Question::*;
        let e = evaluate(Sector::Vo, &answers(&[(Q1, Ja), (Q2, Ja)]), true).unwrap();
        assert_eq!(e.next_question, Some(Q3));
        assert!(e.with_veilig_thuis);
        let after: Vec<_> = e.meldingen.iter().map(|m| m.after.as_str()).collect();
        assert_eq!(after, ["disclosure", "q2"]);
        let kinds: Vec<_> = e.requirements.iter().map(|r| r.kind).collect();
        assert!(kinds.contains(&RequirementKind::AnswerWithVeiligThuis));
        assert!(kinds.contains(&RequirementKind::InformBoard));
    }

    #[test]
    fn help_plan_is_required_before_q5_and_monitoring_after() {
        use Answer::*;
        use Question::*;
        let a = answers(&[(Q1, Ja), (Q2, Nee), (Q3, Ja), (Q4, Ja)]);
        let e = evaluate(Sector::Kinderopvang, &a, false).unwrap();
        assert_eq!(e.hulp, Hulp::Starten);
        assert!(e.requirements.iter().any(|r| r.reason.rule == RuleId::HelpNeedsTermAndCaseManager));
        let e = evaluate(Sector::Kinderopvang, &a.with(Q5, Ja), false).unwrap();
        assert_eq!(e.hulp, Hulp::AfsluitenMetMonitoring);
        assert_eq!(e.next_question, None);
        assert!(e.requirements.iter().any(|r| r.kind == RequirementKind::MonitoringAgreements));
    }

    #[test]
    fn errors_name_the_problem() {
        use Answer::*;
        use Question::*;
        let err = evaluate(Sector::Po, &answers(&[(Q1, Ja), (Q3, Ja)]), false).unwrap_err();
        assert_eq!(err, AfwegingError::OutOfOrder { answered: Q3, expected: Q2 });
        assert_eq!(err.to_string(), "q3 is answered before q2: answer q2 first");
        let err = evaluate(Sector::Po, &answers(&[(Q1, Ja), (Q2, Nee), (Q3, Twijfel)]), false).unwrap_err();
        assert_eq!(err, AfwegingError::DoubtNotAllowed { question: Q3 });
        let err = evaluate(Sector::Po, &answers(&[(Q1, Nee), (Q2, Nee)]), false).unwrap_err();
        assert_eq!(err, AfwegingError::AnsweredAfterEnd { question: Q2, ended_at: Q1 });
        let d: DomainError = err.into();
        assert_eq!(d.code, ErrorCode::AnsweredAfterEnd);
        assert_eq!(d.message_key(), "error-answered_after_end");
    }

    fn any_answers() -> impl Strategy<Value = Answers> {
        let one = prop::option::of(prop::sample::select(Answer::ALL.to_vec()));
        (one.clone(), one.clone(), one.clone(), one.clone(), one).prop_map(|(q1, q2, q3, q4, q5)| Answers {
            q1,
            q2,
            q3,
            q4,
            q5,
        })
    }

    fn any_sector() -> impl Strategy<Value = Sector> {
        prop::sample::select(Sector::ALL.to_vec())
    }

    proptest! {
        /// No path reaches a decision with a question skipped: whenever the evaluation succeeds, the
        /// answered questions are exactly q1..qk, and every melding follows an answered question.
        #[test]
        fn no_question_is_ever_skipped(sector in any_sector(), a in any_answers(), d in any::<bool>()) {
            if let Ok(e) = evaluate(sector, &a, d) {
                let answered: Vec<bool> = Question::ALL.iter().map(|q| a.get(*q).is_some()).collect();
                let k = answered.iter().take_while(|x| **x).count();
                prop_assert!(answered[k..].iter().all(|x| !x), "gap in {:?}", a);
                if let Some(next) = e.next_question {
                    prop_assert_eq!(usize::from(next.number()), k + 1);
                }
                for m in &e.meldingen {
                    if let Trigger::Question(q) = m.after {
                        prop_assert!(a.get(q).is_some());
                        for earlier in Question::ALL.iter().filter(|e| **e < q) {
                            prop_assert!(a.get(*earlier).is_some());
                        }
                    }
                }
            }
        }

        /// Every no on 3–5 yields a report after that question (meldnorm 2, 2, 3), and doubt there is refused.
        #[test]
        fn every_no_on_3_to_5_requires_a_report(sector in any_sector(), a in any_answers(), d in any::<bool>()) {
            match evaluate(sector, &a, d) {
                Ok(e) => {
                    for (q, norm) in [(Question::Q3, 2u8), (Question::Q4, 2), (Question::Q5, 3)] {
                        if a.get(q) == Some(Answer::Nee) {
                            prop_assert!(e.meldingen.iter().any(|m| m.after == Trigger::Question(q) && m.meldnorm == norm));
                        }
                        prop_assert_ne!(a.get(q), Some(Answer::Twijfel));
                    }
                    prop_assert_eq!(e.closed, a.q1 == Some(Answer::Nee));
                    prop_assert_eq!(d, e.meldingen.first().map(|m| m.after) == Some(Trigger::Disclosure));
                }
                Err(err) => prop_assert!(matches!(err.code(), ErrorCode::QuestionOutOfOrder | ErrorCode::DoubtNotAllowed | ErrorCode::AnsweredAfterEnd)),
            }
        }
    }
}
