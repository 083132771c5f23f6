//! The meldcode as pure logic.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod afwegingskader;
pub mod dossier;
pub mod entry;
pub mod error;
pub mod rules;
pub mod sector;
pub mod working_days;

pub use afwegingskader::{
    AfwegingError, Answer, Answers, Evaluation, Hulp, Melding, Question, Then, Transition, Trigger, evaluate,
    meldnorm_message_key, transition,
};
pub use dossier::{
    CorrectedEntry, Deadline, DeadlineKind, DossierState, Flags, FoldContext, MeldingStatus, Step, fold, term_end,
    validate_append, validate_occurred_on,
};
pub use entry::*;
pub use error::{DomainError, ErrorCode};
pub use rules::{Reason, Requirement, RequirementKind, RuleId};
pub use sector::Sector;
pub use working_days::{Calendar, Holiday, easter_sunday, public_holiday, public_holidays};

/// Every Fluent key the domain uses (rules, errors, questions, meldnormen, the framework's title). The
/// texts live in `locales/{nl,en}/domain.ftl`; a test checks that both files define exactly these keys.
pub fn message_keys() -> std::collections::BTreeSet<String> {
    let mut keys = std::collections::BTreeSet::new();
    keys.extend(RuleId::ALL.iter().map(|r| r.message_key()));
    keys.extend(ErrorCode::ALL.iter().map(|e| e.message_key()));
    keys.extend(Question::ALL.iter().map(|q| q.message_key()));
    keys.extend((1..=3).map(meldnorm_message_key));
    keys.insert(AFWEGINGSKADER_TITLE_KEY.to_string());
    keys
}

/// The Fluent key of the afwegingskader's title.
pub const AFWEGINGSKADER_TITLE_KEY: &str = "afwegingskader-title";
