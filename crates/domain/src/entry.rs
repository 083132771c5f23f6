//! The dossier chronology: append-only, typed entries (meldcode.md §6: "record every observation,
//! consultation, conversation, weighing and decision in writing, with date and author").
//!
//! Nothing is edited or deleted: a [`Correction`] is a new entry that names the corrected entry, says why,
//! and carries the corrected content; the original stays in the chronology, marked as corrected by the fold.
//! Payloads are plain data (serde); the rules about them live in [`crate::dossier::validate_append`].
//! Free text is stored as given (no HTML); the web layer escapes it.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::afwegingskader::{Answer, Question};
use crate::attachment::MediaType;
use crate::rules::coded_enum;

/// The id of an entry, assigned by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntryId(pub i64);

/// The id of a user (author), assigned by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserRef(pub i64);

/// One entry of a dossier's chronology.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: EntryId,
    /// 1-based position in the dossier; the order of the chronology.
    pub seq: u32,
    /// When it was recorded (UTC or with offset); set by the server, never by the user.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// When it happened, if that differs from the recording day (e.g. a conversation yesterday).
    #[serde(default)]
    pub occurred_on: Option<Date>,
    pub author: UserRef,
    pub body: EntryBody,
}

coded_enum! {
    /// The kind of an entry, as stored in a listable column. Equal to the `kind` tag of [`EntryBody`].
    pub enum EntryKind {
        Observation => "observation",
        Consultation => "consultation",
        Conversation => "conversation",
        Kindcheck => "kindcheck",
        Weighing => "weighing",
        AssessmentAnswer => "assessment_answer",
        Decision => "decision",
        Report => "report",
        VeiligThuisFeedback => "veilig_thuis_feedback",
        HelpPlan => "help_plan",
        Evaluation => "evaluation",
        Disclosure => "disclosure",
        Closing => "closing",
        Reopening => "reopening",
        Correction => "correction",
        Attachment => "attachment",
    }
}

/// The content of an entry. JSON: `{"kind": "observation", ...fields}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryBody {
    /// Step 1: a signal, as concrete facts.
    Observation(Observation),
    /// Step 2: consulting a colleague, the aandachtsfunctionaris, Veilig Thuis (advice) or a partner.
    Consultation(Consultation),
    /// Step 3 (and at every step): a conversation with the pupil and/or the parents.
    Conversation(Conversation),
    /// §4: concerns about a parent; are there dependent children, are they safe?
    Kindcheck(Kindcheck),
    /// Step 4: the multidisciplinary weighing.
    Weighing(Weighing),
    /// Steps 4–5: one answer of the afwegingskader (§7).
    AssessmentAnswer(AssessmentAnswer),
    /// Step 5: the decision and who does what.
    Decision(Decision),
    /// §8: the report (melding) to Veilig Thuis.
    Report(Report),
    /// §8: what Veilig Thuis reported back.
    VeiligThuisFeedback(VeiligThuisFeedback),
    /// §7 question 4: the help with its term, case manager and roles.
    HelpPlan(HelpPlan),
    /// Step 6: an evaluation of help or follow-up.
    Evaluation(HelpEvaluation),
    /// §4: the pupil tells (meldnorm 1).
    Disclosure(Disclosure),
    /// The route is closed with a conclusion.
    Closing(Closing),
    /// A closed dossier is opened again (e.g. new signals).
    Reopening(Reopening),
    /// A correction of an earlier entry.
    Correction(Correction),
    /// A file added to the dossier (a scan, a letter, a photo of a drawing); its content is stored next to
    /// the entry, written in the same transaction.
    Attachment(Attachment),
}

impl EntryBody {
    pub fn kind(&self) -> EntryKind {
        match self {
            EntryBody::Observation(_) => EntryKind::Observation,
            EntryBody::Consultation(_) => EntryKind::Consultation,
            EntryBody::Conversation(_) => EntryKind::Conversation,
            EntryBody::Kindcheck(_) => EntryKind::Kindcheck,
            EntryBody::Weighing(_) => EntryKind::Weighing,
            EntryBody::AssessmentAnswer(_) => EntryKind::AssessmentAnswer,
            EntryBody::Decision(_) => EntryKind::Decision,
            EntryBody::Report(_) => EntryKind::Report,
            EntryBody::VeiligThuisFeedback(_) => EntryKind::VeiligThuisFeedback,
            EntryBody::HelpPlan(_) => EntryKind::HelpPlan,
            EntryBody::Evaluation(_) => EntryKind::Evaluation,
            EntryBody::Disclosure(_) => EntryKind::Disclosure,
            EntryBody::Closing(_) => EntryKind::Closing,
            EntryBody::Reopening(_) => EntryKind::Reopening,
            EntryBody::Correction(_) => EntryKind::Correction,
            EntryBody::Attachment(_) => EntryKind::Attachment,
        }
    }
}

/// Where a signal came from (§4); the first actions differ per source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalSource {
    OwnObservation,
    ThirdParty,
    ExternalPartner,
    PupilTold,
    Parents,
}

/// The signal categories of §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalCategory {
    ChildBehaviour,
    ChildPhysical,
    ChildDevelopmentAndSchool,
    ParentSignals,
    Disclosure,
}

/// A signal: facts (seen or heard) kept apart from interpretation (§4, §6: "separating facts from opinions").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// What was seen or heard: concrete, where and when. Required.
    pub facts: String,
    /// The concern or interpretation, kept apart from the facts.
    #[serde(default)]
    pub interpretation: Option<String>,
    pub source: SignalSource,
    /// Who the third party or partner was, how they know.
    #[serde(default)]
    pub source_detail: Option<String>,
    #[serde(default)]
    pub categories: Vec<SignalCategory>,
    /// Who else noticed the same.
    #[serde(default)]
    pub also_noticed_by: Vec<String>,
    /// The signal concerns sexual misconduct by staff: outside this meldcode, klachtenregeling route (§2).
    #[serde(default)]
    pub concerns_staff_sexual_misconduct: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationKind {
    Colleague,
    /// The aandachtsfunctionaris.
    DesignatedLead,
    /// (Anonymous) advice from Veilig Thuis: no personal data recorded there.
    VeiligThuisAdvice,
    ExternalPartner,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consultation {
    pub with: ConsultationKind,
    /// Name or role of the person consulted.
    #[serde(default)]
    pub with_whom: Option<String>,
    /// The pupil's identity was not shared.
    #[serde(default)]
    pub anonymous: bool,
    pub summary: String,
    #[serde(default)]
    pub advice: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationWith {
    Pupil,
    Parents,
    Both,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversation {
    pub with: ConversationWith,
    pub summary: String,
    #[serde(default)]
    pub reactions: Option<String>,
    #[serde(default)]
    pub agreements: Option<String>,
    /// The agreed follow-up conversation (a deadline in the dossier state).
    #[serde(default)]
    pub follow_up_on: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kindcheck {
    /// The concern about the adult (addiction, psychiatric crisis, violence between adults, ...).
    pub concern_about_adult: String,
    /// Which children depend on that adult, if any.
    #[serde(default)]
    pub dependent_children: Option<String>,
    /// Whether those children are judged safe; `None` = not yet known.
    #[serde(default)]
    pub children_safe: Option<bool>,
    #[serde(default)]
    pub follow_up: Option<String>,
}

/// Step 4: weigh nature, severity and risk, and also the protective factors (forgetting them is a pitfall).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weighing {
    /// Names or roles of those present (support team, MDO, ZAT; parents where possible).
    pub participants: Vec<String>,
    pub nature: String,
    pub severity: String,
    pub risk: String,
    pub protective_factors: String,
    /// Veilig Thuis was asked for its judgement.
    #[serde(default)]
    pub veilig_thuis_judgement_asked: bool,
    #[serde(default)]
    pub veilig_thuis_judgement: Option<String>,
    /// Risk or safety assessment instrument used, if any.
    #[serde(default)]
    pub instrument: Option<String>,
    /// The agreed approach.
    #[serde(default)]
    pub approach: Option<String>,
}

/// One answer of the afwegingskader, recorded "with its reasoning, by whom, when, and whether Veilig Thuis
/// took part" (§7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentAnswer {
    pub question: Question,
    pub answer: Answer,
    /// Required, non-empty.
    pub reasoning: String,
    /// Who answered (names or roles). Required.
    pub answered_by: String,
    #[serde(default)]
    pub with_veilig_thuis: bool,
    /// The bevoegd gezag was informed / took part (education and leerplicht, questions 1–2).
    #[serde(default)]
    pub board_informed: bool,
}

/// Step 5: the decisions, and who does what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub report: bool,
    pub help: bool,
    /// Who makes the report (teacher, coordinator, director, partner such as JGZ).
    #[serde(default)]
    pub reporter: Option<String>,
    /// Who informs the parents.
    #[serde(default)]
    pub informs_parents: Option<String>,
    /// Who informs the pupil.
    #[serde(default)]
    pub informs_pupil: Option<String>,
    /// What the school itself still does after the report.
    #[serde(default)]
    pub school_after: Option<String>,
}

/// The two grounds on which a report without a conversation with pupil/parents is allowed (§6 step 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionGround {
    /// The safety of the pupil, the professional or someone else is at stake.
    SafetyAtStake,
    /// There are good reasons to believe pupil/parents would break off contact.
    ContactWouldBreak,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationException {
    pub ground: ExceptionGround,
    pub explanation: String,
}

/// The five questions on reporting without consent (breaking confidentiality), §8.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfidentialityAnswers {
    /// 1. Does reporting serve the serious interests of the child and parents?
    pub serves_serious_interests: String,
    /// 2. Is there another way to reach the same goal without breaking confidentiality?
    pub other_way: String,
    /// 3. Why is it not possible to ask for or get consent?
    pub why_no_consent: String,
    /// 4. Which weighs more: the interest served by reporting or by not reporting?
    pub weighing: String,
    /// 5. To whom is which information given, so the violence can be addressed effectively?
    pub what_to_whom: String,
}

impl ConfidentialityAnswers {
    /// The answers in the order of §8 (for validation and display).
    pub fn in_order(&self) -> [(&'static str, &str); 5] {
        [
            ("serves_serious_interests", &self.serves_serious_interests),
            ("other_way", &self.other_way),
            ("why_no_consent", &self.why_no_consent),
            ("weighing", &self.weighing),
            ("what_to_whom", &self.what_to_whom),
        ]
    }
}

/// §8: the report to Veilig Thuis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub reported_on: Date,
    /// Who reports (name and role).
    pub reporter: String,
    /// The facts and events supporting the report, separate from opinions.
    pub facts: String,
    /// Reported by phone (education: directly by phone on yes or doubt at question 2).
    #[serde(default)]
    pub by_phone: bool,
    /// Were the parents told beforehand? `None` = not recorded (refused).
    #[serde(default)]
    pub parents_informed: Option<bool>,
    #[serde(default)]
    pub parents_not_informed_reason: Option<String>,
    /// Was it discussed with the pupil (required from age 12, or when the age is unknown)?
    #[serde(default)]
    pub pupil_informed: Option<bool>,
    #[serde(default)]
    pub pupil_not_informed_reason: Option<String>,
    /// The bevoegd gezag knows of this report (§2: it must know of every report).
    #[serde(default)]
    pub board_informed: bool,
    /// Set when there was no conversation with pupil/parents.
    #[serde(default)]
    pub conversation_exception: Option<ConversationException>,
    /// Reported without consent (confidentiality broken): the five questions are then required.
    #[serde(default)]
    pub confidentiality_broken: bool,
    #[serde(default)]
    pub confidentiality: Option<ConfidentialityAnswers>,
    /// Ask Veilig Thuis to shield the reporter's identity from the family (with arguments).
    #[serde(default)]
    pub shield_identity_requested: bool,
    #[serde(default)]
    pub shield_identity_arguments: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VeiligThuisRoute {
    /// Advice: no personal data recorded by Veilig Thuis.
    Advies,
    /// Melding: data recorded, Veilig Thuis decides how to proceed.
    Melding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VeiligThuisDecision {
    /// Handed over to the local (neighbourhood) team.
    HandedToLocalTeam,
    /// Veilig Thuis keeps the lead with non-negotiable safety conditions.
    Veiligheidsvoorwaarden,
    /// Veilig Thuis investigates (the heaviest route).
    Onderzoek,
    /// No further action by Veilig Thuis.
    NoFurtherAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VeiligThuisOutcome {
    NoAbuse,
    /// Not confirmed: stay alert, Veilig Thuis keeps the lead.
    NotConfirmed,
    /// Abuse: voluntary help or the Raad voor de Kinderbescherming.
    Abuse,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VeiligThuisFeedback {
    pub received_on: Date,
    pub route: VeiligThuisRoute,
    #[serde(default)]
    pub decision: Option<VeiligThuisDecision>,
    #[serde(default)]
    pub outcome: Option<VeiligThuisOutcome>,
    pub summary: String,
    /// Practical advice for the teacher (ask for it explicitly, §8).
    #[serde(default)]
    pub handelingsadviezen: Option<String>,
}

/// The term of the help (§7 question 4: "days, weeks, months").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "unit", rename_all = "snake_case", deny_unknown_fields)]
pub enum Term {
    Until { end: Date },
    Days { count: u32 },
    WorkingDays { count: u32 },
    Weeks { count: u32 },
    Months { count: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleAssignment {
    pub who: String,
    pub task: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelpPlan {
    /// Concrete, documented goals for safety, well-being and recovery. At least one.
    pub goals: Vec<String>,
    pub starts_on: Date,
    pub term: Term,
    pub case_manager: String,
    #[serde(default)]
    pub roles: Vec<RoleAssignment>,
    /// After acute or structural unsafety the term for safety results is agreed with Veilig Thuis (§7).
    #[serde(default)]
    pub term_agreed_with_veilig_thuis: bool,
}

/// Step 6: evaluation of help or follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelpEvaluation {
    pub summary: String,
    /// Were the agreed results reached? `None` = too early to say.
    #[serde(default)]
    pub results_reached: Option<bool>,
    #[serde(default)]
    pub next_evaluation_on: Option<Date>,
}

/// The pupil tells (§4): always meldnorm 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    /// What the pupil said, as far as possible in their own words. Never ask for details.
    pub summary: String,
    /// To whom the pupil told it.
    #[serde(default)]
    pub told_to: Option<String>,
    /// What was agreed with the pupil (next step, follow-up meeting).
    #[serde(default)]
    pub agreements: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closing {
    pub conclusion: String,
    /// The conclusion is that there was no concern after all.
    #[serde(default)]
    pub no_concern: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reopening {
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    pub corrects: EntryId,
    pub reason: String,
    /// The full corrected content; same kind as the corrected entry.
    pub corrected: Box<EntryBody>,
}

/// A file added to the dossier. The metadata is part of the chronology; the bytes are stored under
/// `attachment_id` with the entry, and their type was decided from the content ([`crate::attachment::sniff`]),
/// never from the name or the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// 128 random bits as 32 lowercase hex digits, unique in the dossier.
    pub attachment_id: String,
    /// The sanitised file name ([`crate::attachment::sanitize_file_name`]).
    pub file_name: String,
    pub media_type: MediaType,
    pub size_bytes: u64,
    /// SHA-256 of the content, 64 lowercase hex digits.
    pub sha256: String,
    /// What the file is and why it is in the dossier.
    #[serde(default)]
    pub description: Option<String>,
}
