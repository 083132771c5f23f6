//! The meldcode as pure logic.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod afwegingskader;
pub mod error;
pub mod rules;
pub mod sector;
pub mod working_days;

pub use afwegingskader::{
    AfwegingError, Answer, Answers, Evaluation, Hulp, Melding, Question, Then, Transition, Trigger,
    evaluate, transition,
};
pub use error::{DomainError, ErrorCode};
pub use rules::{Reason, Requirement, RequirementKind, RuleId};
pub use sector::Sector;
pub use working_days::{Calendar, Holiday, easter_sunday, public_holiday, public_holidays};
