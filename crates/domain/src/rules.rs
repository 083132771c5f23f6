//! Rule ids, reasons and requirements: how the engine explains itself.
//!
//! Every decision the domain takes carries a [`Reason`]: a machine-readable [`RuleId`] plus named arguments.
//! The UI turns a reason into plain Dutch or English through the Fluent key [`Reason::message_key`]
//! (`rule-<id>` in `locales/{nl,en}/domain.ftl`). Rule ids are stable: they are stored, logged and used by
//! integrations, so an id is never renamed; a rule that changes meaning gets a new id.

use serde::{Deserialize, Serialize};

/// Defines a fieldless enum with a stable snake_case code per variant, an `ALL` list, `as_str` and
/// `from_code`, and serde as that code. Adding a variant without a code is a compile error.
macro_rules! coded_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $code:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable snake_case code.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// Parses a code as produced by `as_str`.
            pub fn from_code(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let code = <String as serde::Deserialize>::deserialize(d)?;
                $name::from_code(&code).ok_or_else(|| {
                    serde::de::Error::custom(format!(concat!("unknown ", stringify!($name), " `{}`"), code))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use coded_enum;

coded_enum! {
    /// A rule of the meldcode that the engine applied. The comment on each variant says where it comes from.
    pub enum RuleId {
        // ---- the meldnormen (§7): when the professional norm requires a report ----
        /// Meldnorm 1: the pupil told about violence (disclosure, §4 and §7).
        Meldnorm1Disclosure => "meldnorm_1_disclosure",
        /// Meldnorm 1: question 2 answered yes, acute or structural unsafety.
        Meldnorm1Unsafety => "meldnorm_1_unsafety",
        /// Meldnorm 1: question 2 answered with doubt, which counts as yes (childcare sectors).
        Meldnorm1Doubt => "meldnorm_1_doubt",
        /// Meldnorm 1: education and leerplicht: "yes or doubt" on question 2 → report directly, by phone.
        Meldnorm1DoubtEducation => "meldnorm_1_doubt_education",
        /// Meldnorm 2: question 3 answered no, effective help is not possible.
        Meldnorm2HelpNotPossible => "meldnorm_2_help_not_possible",
        /// Meldnorm 2: question 4 answered no, the help is not accepted.
        Meldnorm2HelpNotAccepted => "meldnorm_2_help_not_accepted",
        /// Meldnorm 3: question 5 answered no, the help does not reach its results in the agreed term.
        Meldnorm3NoResult => "meldnorm_3_no_result",

        // ---- the other answers of the afwegingskader (§7) ----
        /// Question 1 no: no suspicion, the meldcode route closes.
        Q1NoClose => "q1_no_close",
        /// Question 1 yes (generic wording: there is a suspicion).
        Q1Suspicion => "q1_suspicion",
        /// Question 1 yes in education/leerplicht: action is needed, the bevoegd gezag is informed.
        Q1ActionNeededEducation => "q1_action_needed_education",
        /// Question 1 doubt: treated as yes, the route continues.
        Q1DoubtContinue => "q1_doubt_continue",
        /// Question 2 no: no acute or structural unsafety, continue with question 3.
        Q2NoUnsafety => "q2_no_unsafety",
        /// Question 3 yes: effective help is possible, continue with question 4.
        Q3HelpPossible => "q3_help_possible",
        /// Question 4 yes: the help is accepted and starts.
        Q4HelpAccepted => "q4_help_accepted",
        /// Question 5 yes: results reached, close the help with monitoring agreements.
        Q5ResultsReached => "q5_results_reached",

        // ---- what is still needed (requirements and next actions) ----
        /// The next question of the afwegingskader is to be answered (argument `question`).
        NextQuestion => "next_question",
        /// Education/leerplicht: after yes or doubt on question 1 the bevoegd gezag is informed.
        InformBoardEducation => "inform_board_education",
        /// Education/leerplicht: question 2 is answered together with the bevoegd gezag.
        Q2WithBoard => "q2_with_board",
        /// After yes or doubt on question 2, questions 3–5 are answered together with Veilig Thuis.
        AnswerWithVeiligThuis => "answer_with_veilig_thuis",
        /// After acute or structural unsafety, the term for safety results is agreed with Veilig Thuis first.
        AgreeSafetyTermWithVeiligThuis => "agree_safety_term_with_veilig_thuis",
        /// After yes on question 4: agree a term and name a case manager before question 5.
        HelpNeedsTermAndCaseManager => "help_needs_term_and_case_manager",
        /// After yes on question 5: record the agreements on monitoring safety.
        RecordMonitoringAgreements => "record_monitoring_agreements",
        /// After no on question 1: record the conclusion and close the dossier.
        RecordClosingConclusion => "record_closing_conclusion",
        /// A report needs a recorded conversation with pupil or parents, or one of the two exceptions (§6.3).
        ReportNeedsConversationOrException => "report_needs_conversation_or_exception",
        /// Step 1: record concrete observations.
        RecordObservations => "record_observations",
        /// Step 2: consult a colleague or the aandachtsfunctionaris (and Veilig Thuis if needed).
        ConsultColleague => "consult_colleague",
        /// Step 3: talk with the pupil and/or the parents.
        HoldConversation => "hold_conversation",
        /// Step 4: weigh nature, severity, risk and protective factors together.
        WeighTogether => "weigh_together",
        /// Step 5: the afwegingskader is complete; record the decision (who reports, who informs whom).
        RecordDecision => "record_decision",
        /// Veilig Thuis decides within 5 werkdagen after a report how it proceeds (§7).
        VeiligThuisDecisionDue => "veilig_thuis_decision_due",
        /// The term of the help (question 4) ends: answer question 5.
        HelpTermEnds => "help_term_ends",
        /// An agreed evaluation of help or follow-up is due.
        EvaluationDue => "evaluation_due",
        /// An agreed follow-up conversation is due.
        FollowUpConversationDue => "follow_up_conversation_due",
        /// Sexual misconduct by staff is outside this meldcode: follow the klachtenregeling route (§2).
        StaffMisconductKlachtenregeling => "staff_misconduct_klachtenregeling",
        /// After a report, a new signal (observation or disclosure) is passed on to Veilig Thuis (§6 step 6).
        PassNewSignalToVeiligThuis => "pass_new_signal_to_veilig_thuis",
    }
}

impl RuleId {
    /// The Fluent key of the rule's explanation.
    pub fn message_key(self) -> String {
        format!("rule-{}", self.as_str())
    }
}

/// Why the engine decided something: a rule plus the named values the text needs (e.g. `question`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub rule: RuleId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<(String, String)>,
}

impl Reason {
    /// A reason without arguments.
    pub fn new(rule: RuleId) -> Reason {
        Reason { rule, args: Vec::new() }
    }

    /// Adds a named argument.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Reason {
        self.args.push((name.to_string(), value.into()));
        self
    }

    /// The Fluent key for this reason, e.g. `rule-meldnorm_1_unsafety`.
    pub fn message_key(&self) -> String {
        self.rule.message_key()
    }

    /// The arguments in the shape `meldroute_i18n::text` takes.
    pub fn fluent_args(&self) -> Vec<(&str, String)> {
        self.args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect()
    }
}

coded_enum! {
    /// What has to be done (the reason says why).
    pub enum RequirementKind {
        RecordObservations => "record_observations",
        Consult => "consult",
        HoldConversation => "hold_conversation",
        Weigh => "weigh",
        AnswerQuestion => "answer_question",
        InformBoard => "inform_board",
        AnswerWithVeiligThuis => "answer_with_veilig_thuis",
        AgreeSafetyTerm => "agree_safety_term",
        HelpPlan => "help_plan",
        ReportToVeiligThuis => "report_to_veilig_thuis",
        ConversationOrException => "conversation_or_exception",
        RecordDecision => "record_decision",
        MonitoringAgreements => "monitoring_agreements",
        ClosingConclusion => "closing_conclusion",
        Klachtenregeling => "klachtenregeling",
        PassNewSignal => "pass_new_signal",
    }
}

/// Something still needed in the route, with the rule that asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub kind: RequirementKind,
    pub reason: Reason,
}

impl Requirement {
    pub fn new(kind: RequirementKind, reason: Reason) -> Requirement {
        Requirement { kind, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in RuleId::ALL {
            let code = rule.as_str();
            assert!(seen.insert(code), "duplicate rule code {code}");
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{code} is not snake_case"
            );
            assert_eq!(RuleId::from_code(code), Some(*rule));
            let json = serde_json::to_string(rule).unwrap();
            assert_eq!(serde_json::from_str::<RuleId>(&json).unwrap(), *rule);
        }
        assert!(serde_json::from_str::<RuleId>("\"nope\"").is_err());
    }

    #[test]
    fn message_keys_and_args() {
        let reason = Reason::new(RuleId::NextQuestion).with("question", "3");
        assert_eq!(reason.message_key(), "rule-next_question");
        assert_eq!(reason.fluent_args(), vec![("question", "3".to_string())]);
    }
}
