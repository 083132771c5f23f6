//! The meldcode as pure logic (meldcode.md §6–§8): no I/O, no clock, no randomness. Time, ids and the
//! organisation's calendar are parameters, so every rule can be tested and every outcome explained.
//!
//! Where to find what:
//!
//! * [`afwegingskader`]: the five questions and the meldnormen (§7). One transition table
//!   ([`afwegingskader::transition`]) decides what each answer leads to; [`evaluate`] walks the answers.
//! * [`entry`]: the dossier chronology, an append-only list of typed entries ([`Entry`], [`EntryBody`]).
//!   Nothing is edited in place: a [`Correction`] references the corrected entry and says why.
//! * [`dossier`]: [`fold`] turns the entries into a [`DossierState`] (step, afwegingskader, meldingen due or
//!   done, deadlines, next actions, flags); [`validate_append`] refuses what the meldcode forbids.
//! * [`attachment`]: what an uploaded file really is (by its bytes), its sanitised name and the size limit.
//! * [`working_days`]: werkdagen with Dutch public holidays and the organisation's closed days ([`Calendar`]).
//! * [`sector`]: the sector parameter and its differences (§7).
//! * [`team_session`]: the team learning session (§10): template, agenda, poll, dots and join code rules.
//! * [`rules`] and [`error`]: every decision carries a [`Reason`] (a stable [`RuleId`] plus arguments) and
//!   every refusal a [`DomainError`] (a stable [`ErrorCode`], arguments and the form field). Their plain
//!   Dutch and English texts are in `locales/{nl,en}/domain.ftl` under the keys `rule-<id>` and
//!   `error-<code>` ([`message_keys`] lists them all; a test checks both files).
//!
//! Typical use by the store and web layers:
//!
//! ```
//! use meldroute_domain::*;
//! use time::macros::datetime;
//!
//! let ctx = FoldContext { sector: Sector::Po, pupil_age: Some(9), calendar: Calendar::new() };
//! let entries: Vec<Entry> = Vec::new(); // loaded from the store, any order
//! let new = EntryBody::Disclosure(Disclosure {
//!     summary: "Vertelt dat er thuis wordt geslagen.".into(),
//!     told_to: Some("leerkracht".into()),
//!     agreements: None,
//! });
//! let now = datetime!(2026-03-10 09:30 +01:00);
//! validate_append(&ctx, &entries, &new, UserRef(1), now).expect("allowed");
//! // ... the store appends it with the next seq; then:
//! let state = fold(&ctx, &entries);
//! assert_eq!(state.step, Step::SignalenInKaart);
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod access;
pub mod afwegingskader;
pub mod attachment;
pub mod dossier;
pub mod entry;
pub mod error;
pub mod report_summary;
pub mod retention;
pub mod route_map;
pub mod rules;
pub mod sector;
pub mod team_casework;
pub mod team_session;
pub mod transfer;
pub mod working_days;

pub use access::{
    Action, Actor, Decision as AccessDecision, DenyReason, EntryKindFilter, Grant, ListScope, Resource, Role,
    ShareGrant, authorize, authorize_append, dossier_list_scope, requires_second_factor, visible_entry_kinds,
};
pub use afwegingskader::{
    AfwegingError, Answer, Answers, Evaluation, Hulp, Melding, Question, Then, Transition, Trigger, evaluate,
    meldnorm_message_key, transition,
};
pub use attachment::{CheckedFile, MAX_ATTACHMENT_BYTES, MediaType, check_upload, sanitize_file_name, sniff};
pub use dossier::{
    CorrectedEntry, Deadline, DeadlineKind, DossierState, Flags, FoldContext, MeldingStatus, Step, fold, step_of,
    term_end, validate_append, validate_occurred_on,
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
    keys.extend(DenyReason::ALL.iter().map(|d| d.message_key()));
    keys.extend(retention::ErasureRefusal::ALL.iter().map(|c| format!("erasure-refusal-{}", c.as_str())));
    keys.extend(route_map::RouteMapErrorCode::ALL.iter().map(|c| format!("routemap-error-{}", c.as_str())));
    keys.extend(route_map::RouteActor::ALL.iter().map(|a| format!("route-actor-{}", a.as_str())));
    keys.extend(route_map::PartnerKind::ALL.iter().map(|k| format!("partner-kind-{}", k.as_str())));
    keys
}

/// The Fluent key of the afwegingskader's title.
pub const AFWEGINGSKADER_TITLE_KEY: &str = "afwegingskader-title";
