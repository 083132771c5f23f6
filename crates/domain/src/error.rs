//! Domain errors: what the meldcode forbids, with a stable code, a Fluent key, arguments and the form field.

use serde::Serialize;

use crate::rules::coded_enum;

coded_enum! {
    /// Why an entry (or an afwegingskader input) is refused. Stable codes, like [`crate::RuleId`].
    pub enum ErrorCode {
        // ---- afwegingskader (§7) ----
        /// A question was answered before an earlier one (arguments `question`, `expected`).
        QuestionOutOfOrder => "question_out_of_order",
        /// Doubt on question 3, 4 or 5: it must be resolved first (argument `question`).
        DoubtNotAllowed => "doubt_not_allowed",
        /// An answer after the route ended: after no on 1 (closed) or after a report on 3/4, or after 5
        /// (arguments `question`, `ended_at`).
        AnsweredAfterEnd => "answered_after_end",
        /// The question already has an answer; change it with a correction (argument `question`).
        QuestionAlreadyAnswered => "question_already_answered",
        /// Every answer is recorded with its reasoning (§7).
        ReasoningRequired => "reasoning_required",
        /// After yes or doubt on 2, questions 3–5 are answered together with Veilig Thuis (§7).
        VeiligThuisMustTakePart => "veilig_thuis_must_take_part",
        /// Education/leerplicht: question 2 is answered together with the bevoegd gezag (§7).
        BoardMustTakePart => "board_must_take_part",
        /// After yes on 4, question 5 needs a help plan with a term and a case manager (§7).
        HelpPlanRequiredBeforeQ5 => "help_plan_required_before_q5",

        // ---- the report to Veilig Thuis (§6 step 3, §8) ----
        /// No recorded conversation with pupil or parents and no allowed exception.
        ReportNeedsConversationOrException => "report_needs_conversation_or_exception",
        /// An exception to the conversation needs an explanation.
        ExceptionNeedsExplanation => "exception_needs_explanation",
        /// Whether the parents were told beforehand is not recorded.
        ReportParentsInformedMissing => "report_parents_informed_missing",
        /// Parents were not told: the reason why not is missing.
        ReportParentsNotInformedReasonMissing => "report_parents_not_informed_reason_missing",
        /// The pupil is 12 or older (or the age is unknown): whether they were told is not recorded.
        ReportPupilInformedMissing => "report_pupil_informed_missing",
        /// The pupil was not told: the reason why not is missing.
        ReportPupilNotInformedReasonMissing => "report_pupil_not_informed_reason_missing",
        /// The bevoegd gezag must know of every report (§2).
        ReportBoardNotInformed => "report_board_not_informed",
        /// Confidentiality is broken: the five questions of §8 must be answered (argument `number`).
        ConfidentialityQuestionsMissing => "confidentiality_questions_missing",
        /// Shielding the reporter's identity is asked with arguments (§2, §8).
        ShieldIdentityNeedsArguments => "shield_identity_needs_arguments",
        /// Veilig Thuis feedback on a melding needs a recorded report first.
        FeedbackWithoutReport => "feedback_without_report",
        /// A decision not to report while a meldnorm requires a report (argument `meldnorm`).
        DecisionContradictsMeldnorm => "decision_contradicts_meldnorm",

        // ---- corrections, closing, general ----
        /// The corrected entry does not exist in this dossier (argument `entry`).
        CorrectionTargetMissing => "correction_target_missing",
        /// A correction says why.
        CorrectionReasonRequired => "correction_reason_required",
        /// Correct the original entry, not a correction of it.
        CorrectionOfCorrection => "correction_of_correction",
        /// The corrected content must be of the same kind (and for an answer: the same question).
        CorrectionKindMismatch => "correction_kind_mismatch",
        /// The dossier is closed: only a reopening can be added.
        DossierClosed => "dossier_closed",
        /// Only a closed dossier can be reopened.
        ReopenNotClosed => "reopen_not_closed",
        /// The route cannot close while a required report has not been made (argument `meldnorm`).
        ClosingWithReportDue => "closing_with_report_due",
        /// A required text field is empty (argument `field`).
        FieldRequired => "field_required",
        /// A date lies after today (argument `field`).
        DateInFuture => "date_in_future",
        /// A date lies before the date it must follow (argument `field`).
        DateTooEarly => "date_too_early",
        /// A term needs a positive length (argument `field`).
        TermInvalid => "term_invalid",
        /// The author is not a known user id.
        AuthorUnknown => "author_unknown",

        // ---- attachments (issue 5) ----
        /// The uploaded file is empty.
        AttachmentEmpty => "attachment_empty",
        /// The file is larger than the limit (argument `limit`, e.g. "10 MiB").
        AttachmentTooLarge => "attachment_too_large",
        /// Nothing usable is left of the file name.
        AttachmentNameMissing => "attachment_name_missing",
        /// The name does not end in one of the accepted extensions (.pdf, .png, .jpg, .jpeg, .txt).
        AttachmentTypeNotAllowed => "attachment_type_not_allowed",
        /// The content is not what the name claims (arguments `claimed`, e.g. "PDF", and `extension`).
        AttachmentContentMismatch => "attachment_content_mismatch",
        /// An attachment entry whose file data is malformed or refers to a file already in the dossier.
        AttachmentInvalid => "attachment_invalid",
        /// An attachment entry is only recorded together with its file (the upload form or route).
        AttachmentWithoutFile => "attachment_without_file",
        /// A correction of an attachment may change its description only, not the file.
        AttachmentFileFixed => "attachment_file_fixed",
    }
}

impl ErrorCode {
    /// The Fluent key of the error's message, e.g. `error-doubt_not_allowed`.
    pub fn message_key(self) -> String {
        format!("error-{}", self.as_str())
    }
}

/// A refusal by the domain. `field` names the form field it concerns (a payload field name), so a form can
/// show the message next to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}{}", describe_args(args, field))]
pub struct DomainError {
    pub code: ErrorCode,
    pub args: Vec<(String, String)>,
    pub field: Option<String>,
}

fn describe_args(args: &[(String, String)], field: &Option<String>) -> String {
    let mut out = String::new();
    for (k, v) in args {
        out.push_str(&format!(" {k}={v}"));
    }
    if let Some(f) = field {
        out.push_str(&format!(" (field {f})"));
    }
    out
}

impl DomainError {
    pub fn new(code: ErrorCode) -> DomainError {
        DomainError { code, args: Vec::new(), field: None }
    }

    /// Adds a named argument for the message.
    pub fn arg(mut self, name: &str, value: impl Into<String>) -> DomainError {
        self.args.push((name.to_string(), value.into()));
        self
    }

    /// Names the form field; also passed as the `field` argument so the message can mention it.
    pub fn field(mut self, field: &str) -> DomainError {
        self.field = Some(field.to_string());
        if !self.args.iter().any(|(k, _)| k == "field") {
            self.args.push(("field".to_string(), field.to_string()));
        }
        self
    }

    /// The Fluent key of the message.
    pub fn message_key(&self) -> String {
        self.code.message_key()
    }

    /// The arguments in the shape `meldroute_i18n::text` takes.
    pub fn fluent_args(&self) -> Vec<(&str, String)> {
        self.args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect()
    }
}
