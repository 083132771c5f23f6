//! Retention and erasure of closed dossiers (issue 7 part 4): when a closed dossier is due for review, who may
//! propose and confirm its erasure, and who may ask for it.
//!
//! Decisions:
//!
//! * **The period is the organisation's.** There is no default: until the organisation sets a period, nothing
//!   is due ([`RetentionStatus::NoPeriod`]). The period counts whole calendar months from the day the dossier
//!   was closed (the closing entry's recording day, UTC); a reopened dossier is not closed and never due.
//! * **Two people.** Erasure cannot be undone, so one person allowed to erase proposes it with a reason and a
//!   *different* person allowed to erase confirms it. The proposer can never confirm her own proposal; either
//!   of them (or any other person allowed to erase) may withdraw a proposal. A proposal is bound to the
//!   chronology as it was when proposed: when anything was added since (a reopening, a correction), the
//!   proposal is stale and must be withdrawn and made again, so nobody confirms something they did not see.
//! * **Only closed dossiers.** An open dossier is still being worked on; erasing it would end a meldcode route
//!   half-way. Even after a granted request the route is first closed (with a closing entry that says why) and
//!   then erased. So: closed, and either past the retention period or with a granted erasure request.
//! * **Who may ask.** A parent (or guardian), or the pupil from the age of 16 on the day the request was
//!   received. The age is computed from the date of birth; without a date of birth a pupil's own request
//!   cannot be checked and is refused as input (the school records the date of birth first).
//!
//! Which *roles* may erase is the access policy's business ([`crate::access::Action::EraseDossier`]); this
//! module decides the rule between two people who both hold that right.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::entry::UserRef;
use crate::rules::coded_enum;

/// The longest period the form accepts: 100 years.
pub const MAX_RETENTION_MONTHS: u32 = 1200;

/// From this age a pupil may ask for erasure herself.
pub const ERASURE_REQUEST_MIN_AGE: u8 = 16;

/// How long an organisation keeps closed dossiers, in whole months (1 to [`MAX_RETENTION_MONTHS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RetentionPeriod {
    months: u32,
}

impl RetentionPeriod {
    /// `None` for 0 or more than [`MAX_RETENTION_MONTHS`].
    pub fn from_months(months: u32) -> Option<RetentionPeriod> {
        (1..=MAX_RETENTION_MONTHS).contains(&months).then_some(RetentionPeriod { months })
    }

    pub fn months(self) -> u32 {
        self.months
    }

    /// The first day on which a dossier closed on `closed_on` is due for review (closing day + the period,
    /// clamped to the month's last day: closed 31 January, 1 month → due 28/29 February).
    pub fn due_on(self, closed_on: Date) -> Date {
        add_months(closed_on, self.months)
    }
}

fn add_months(d: Date, months: u32) -> Date {
    let index = i64::from(d.year()) * 12 + i64::from(u8::from(d.month())) - 1 + i64::from(months);
    let (Ok(year), Ok(month)) = (i32::try_from(index.div_euclid(12)), u8::try_from(index.rem_euclid(12) + 1)) else {
        return Date::MAX;
    };
    let Ok(month) = Month::try_from(month) else {
        return Date::MAX;
    };
    Date::from_calendar_date(year, month, d.day().min(month.length(year))).unwrap_or(Date::MAX)
}

/// Where a dossier stands against the retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RetentionStatus {
    /// The organisation has not set a period: nothing is due.
    NoPeriod,
    /// The dossier is open (or was reopened).
    Open,
    /// Closed, and the period has not yet passed.
    Kept { closed_on: Date, due_on: Date },
    /// Closed longer than the period: list it for review.
    Due { closed_on: Date, due_on: Date, days_past_due: i64 },
}

impl RetentionStatus {
    pub fn is_due(self) -> bool {
        matches!(self, RetentionStatus::Due { .. })
    }
}

/// The status of a dossier closed on `closed_on` (`None`: open), with the organisation's period, `today`.
pub fn retention_status(closed_on: Option<Date>, period: Option<RetentionPeriod>, today: Date) -> RetentionStatus {
    let Some(period) = period else {
        return RetentionStatus::NoPeriod;
    };
    let Some(closed_on) = closed_on else {
        return RetentionStatus::Open;
    };
    let due_on = period.due_on(closed_on);
    if today >= due_on {
        RetentionStatus::Due { closed_on, due_on, days_past_due: (today - due_on).whole_days() }
    } else {
        RetentionStatus::Kept { closed_on, due_on }
    }
}

/// Whole years between `dob` and `on` (0 when `on` is before `dob`).
pub fn age_in_years(dob: Date, on: Date) -> u8 {
    let mut years = on.year() - dob.year();
    if (u8::from(on.month()), on.day()) < (u8::from(dob.month()), dob.day()) {
        years -= 1;
    }
    u8::try_from(years.max(0)).unwrap_or(u8::MAX)
}

coded_enum! {
    /// Who asked for erasure.
    pub enum Requester {
        /// The pupil herself (only from 16).
        Pupil => "pupil",
        /// A parent or guardian (ouder / voogd).
        Parent => "parent",
    }
}

coded_enum! {
    /// The school's decision on an erasure request.
    pub enum RequestDecision {
        Granted => "granted",
        Refused => "refused",
    }
}

coded_enum! {
    /// Why an erasure step is refused. Stable codes; the texts are in `locales/{nl,en}/domain.ftl` under
    /// `erasure-refusal-<code>`.
    pub enum ErasureRefusal {
        /// The dossier is open (never closed, or reopened).
        NotClosed => "not_closed",
        /// Closed, but neither past the retention period nor with a granted request.
        NoGround => "no_ground",
        /// There is already a proposal for this dossier.
        AlreadyProposed => "already_proposed",
        /// There is no proposal (any more), or a different one than the form was made for.
        NoProposal => "no_proposal",
        /// The proposer cannot confirm her own proposal.
        OwnProposal => "own_proposal",
        /// The proposer's account is disabled or no longer allowed to erase this dossier: her proposal no
        /// longer counts as the first of two people.
        ProposerWithoutRight => "proposer_without_right",
        /// The chronology changed since the proposal.
        StaleProposal => "stale_proposal",
        /// The reason is empty.
        ReasonRequired => "reason_required",
        /// The deliberate confirmation (typed dossier number, ticked box) is missing or wrong.
        NotConfirmed => "not_confirmed",
        /// The pupil was younger than 16 on the day the request was received.
        PupilTooYoung => "pupil_too_young",
        /// The pupil's date of birth is not known, so her age cannot be checked.
        PupilAgeUnknown => "pupil_age_unknown",
        /// The request date lies in the future.
        RequestDateInFuture => "request_date_in_future",
    }
}

/// What the erasure rule needs to know of a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErasureFacts {
    /// Closed (and not reopened).
    pub closed: bool,
    /// The sequence number of the newest entry.
    pub last_seq: i64,
    pub retention: RetentionStatus,
    /// A request to erase this dossier was granted.
    pub granted_request: bool,
}

/// A pending proposal to erase a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal {
    pub id: i64,
    pub proposed_by: UserRef,
    /// The dossier's newest entry when the proposal was made.
    pub dossier_seq: i64,
    /// The proposer's account is still active and still allowed to erase this dossier (checked when the
    /// second person confirms; otherwise one remaining person could complete a departed colleague's proposal).
    pub proposer_may_erase: bool,
}

/// Whether `facts` allow a new proposal (with a non-empty `reason`) while `pending` is the current proposal.
pub fn may_propose(facts: &ErasureFacts, pending: Option<&Proposal>, reason: &str) -> Result<(), ErasureRefusal> {
    if pending.is_some() {
        return Err(ErasureRefusal::AlreadyProposed);
    }
    if !facts.closed {
        return Err(ErasureRefusal::NotClosed);
    }
    if !facts.retention.is_due() && !facts.granted_request {
        return Err(ErasureRefusal::NoGround);
    }
    if reason.trim().is_empty() {
        return Err(ErasureRefusal::ReasonRequired);
    }
    Ok(())
}

/// Whether `confirmer` may confirm the proposal `expected` (the id the confirmation form was made for), given
/// the current proposal `pending` and the dossier now. `deliberate` is the typed-and-ticked confirmation.
pub fn may_confirm(
    facts: &ErasureFacts,
    pending: Option<&Proposal>,
    expected: i64,
    confirmer: UserRef,
    deliberate: bool,
) -> Result<(), ErasureRefusal> {
    let proposal = match pending {
        Some(p) if p.id == expected => p,
        _ => return Err(ErasureRefusal::NoProposal),
    };
    if proposal.proposed_by == confirmer {
        return Err(ErasureRefusal::OwnProposal);
    }
    if !proposal.proposer_may_erase {
        return Err(ErasureRefusal::ProposerWithoutRight);
    }
    if !facts.closed {
        return Err(ErasureRefusal::NotClosed);
    }
    if facts.last_seq != proposal.dossier_seq {
        return Err(ErasureRefusal::StaleProposal);
    }
    if !facts.retention.is_due() && !facts.granted_request {
        return Err(ErasureRefusal::NoGround);
    }
    if !deliberate {
        return Err(ErasureRefusal::NotConfirmed);
    }
    Ok(())
}

/// Whether the proposal `expected` can be withdrawn (it must still be the pending one). Anyone allowed to
/// erase may withdraw: a second person who disagrees withdraws instead of confirming.
pub fn may_withdraw(pending: Option<&Proposal>, expected: i64) -> Result<(), ErasureRefusal> {
    match pending {
        Some(p) if p.id == expected => Ok(()),
        _ => Err(ErasureRefusal::NoProposal),
    }
}

/// Whether a request from `requester`, received on `received_on`, may be recorded, for a pupil born on `dob`.
pub fn check_request(
    requester: Requester,
    dob: Option<Date>,
    received_on: Date,
    today: Date,
    reason: &str,
) -> Result<(), ErasureRefusal> {
    if received_on > today {
        return Err(ErasureRefusal::RequestDateInFuture);
    }
    if requester == Requester::Pupil {
        let dob = dob.ok_or(ErasureRefusal::PupilAgeUnknown)?;
        if age_in_years(dob, received_on) < ERASURE_REQUEST_MIN_AGE {
            return Err(ErasureRefusal::PupilTooYoung);
        }
    }
    if reason.trim().is_empty() {
        return Err(ErasureRefusal::ReasonRequired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn period(m: u32) -> Option<RetentionPeriod> {
        RetentionPeriod::from_months(m)
    }

    #[test]
    fn period_bounds() {
        assert!(RetentionPeriod::from_months(0).is_none());
        assert!(RetentionPeriod::from_months(1).is_some());
        assert!(RetentionPeriod::from_months(MAX_RETENTION_MONTHS).is_some());
        assert!(RetentionPeriod::from_months(MAX_RETENTION_MONTHS + 1).is_none());
    }

    #[test]
    fn due_dates_clamp_to_month_end() {
        let p = RetentionPeriod::from_months(1).unwrap();
        assert_eq!(p.due_on(date!(2026 - 01 - 31)), date!(2026 - 02 - 28));
        assert_eq!(p.due_on(date!(2028 - 01 - 31)), date!(2028 - 02 - 29));
        let p = RetentionPeriod::from_months(24).unwrap();
        assert_eq!(p.due_on(date!(2024 - 03 - 15)), date!(2026 - 03 - 15));
    }

    #[test]
    fn status_without_period_is_never_due() {
        let s = retention_status(Some(date!(2000 - 01 - 01)), None, date!(2026 - 01 - 01));
        assert_eq!(s, RetentionStatus::NoPeriod);
        assert!(!s.is_due());
    }

    #[test]
    fn status_open_kept_due() {
        let today = date!(2026 - 06 - 10);
        assert_eq!(retention_status(None, period(12), today), RetentionStatus::Open);
        let kept = retention_status(Some(date!(2025 - 06 - 11)), period(12), today);
        assert_eq!(kept, RetentionStatus::Kept { closed_on: date!(2025 - 06 - 11), due_on: date!(2026 - 06 - 11) });
        // Due from the due day itself.
        let due = retention_status(Some(date!(2025 - 06 - 10)), period(12), today);
        assert_eq!(
            due,
            RetentionStatus::Due { closed_on: date!(2025 - 06 - 10), due_on: date!(2026 - 06 - 10), days_past_due: 0 }
        );
        let late = retention_status(Some(date!(2025 - 05 - 31)), period(12), today);
        assert!(matches!(late, RetentionStatus::Due { days_past_due: 10, .. }));
    }

    #[test]
    fn age_in_whole_years() {
        assert_eq!(age_in_years(date!(2010 - 03 - 15), date!(2026 - 03 - 14)), 15);
        assert_eq!(age_in_years(date!(2010 - 03 - 15), date!(2026 - 03 - 15)), 16);
        assert_eq!(age_in_years(date!(2030 - 01 - 01), date!(2026 - 03 - 15)), 0);
        // Born on 29 February: 16 on 1 March in a common year.
        assert_eq!(age_in_years(date!(2008 - 02 - 29), date!(2024 - 02 - 28)), 15);
        assert_eq!(age_in_years(date!(2008 - 02 - 29), date!(2024 - 02 - 29)), 16);
    }

    #[test]
    fn who_may_ask() {
        let today = date!(2026 - 03 - 20);
        let dob = Some(date!(2010 - 03 - 15));
        // 16 on the day the request came in.
        assert_eq!(check_request(Requester::Pupil, dob, date!(2026 - 03 - 15), today, "r"), Ok(()));
        // One day before her birthday: too young, however old she is today.
        assert_eq!(
            check_request(Requester::Pupil, dob, date!(2026 - 03 - 14), today, "r"),
            Err(ErasureRefusal::PupilTooYoung)
        );
        assert_eq!(
            check_request(Requester::Pupil, None, date!(2026 - 03 - 15), today, "r"),
            Err(ErasureRefusal::PupilAgeUnknown)
        );
        // A parent may always ask, even for a young child or without a date of birth.
        assert_eq!(check_request(Requester::Parent, Some(date!(2020 - 01 - 01)), today, today, "r"), Ok(()));
        assert_eq!(check_request(Requester::Parent, None, today, today, "r"), Ok(()));
        assert_eq!(
            check_request(Requester::Parent, None, date!(2026 - 03 - 21), today, "r"),
            Err(ErasureRefusal::RequestDateInFuture)
        );
        assert_eq!(check_request(Requester::Parent, None, today, today, "  "), Err(ErasureRefusal::ReasonRequired));
    }

    const AF: UserRef = UserRef(1);
    const DIR: UserRef = UserRef(2);

    fn due() -> RetentionStatus {
        RetentionStatus::Due { closed_on: date!(2020 - 01 - 01), due_on: date!(2021 - 01 - 01), days_past_due: 5 }
    }

    fn facts(closed: bool, retention: RetentionStatus, granted_request: bool) -> ErasureFacts {
        ErasureFacts { closed, last_seq: 7, retention, granted_request }
    }

    #[test]
    fn proposing_needs_a_closed_dossier_a_ground_and_a_reason() {
        let kept = RetentionStatus::Kept { closed_on: date!(2025 - 01 - 01), due_on: date!(2027 - 01 - 01) };
        // Every combination of closed / ground / reason.
        for closed in [false, true] {
            for retention in [RetentionStatus::NoPeriod, RetentionStatus::Open, kept, due()] {
                for granted in [false, true] {
                    for reason in ["", "past the period"] {
                        let f = facts(closed, retention, granted);
                        let got = may_propose(&f, None, reason);
                        let expected = if !closed {
                            Err(ErasureRefusal::NotClosed)
                        } else if !retention.is_due() && !granted {
                            Err(ErasureRefusal::NoGround)
                        } else if reason.is_empty() {
                            Err(ErasureRefusal::ReasonRequired)
                        } else {
                            Ok(())
                        };
                        assert_eq!(got, expected, "closed {closed} {retention:?} granted {granted} reason {reason:?}");
                    }
                }
            }
        }
        let p = Proposal { id: 1, proposed_by: AF, dossier_seq: 7, proposer_may_erase: true };
        assert_eq!(may_propose(&facts(true, due(), false), Some(&p), "x"), Err(ErasureRefusal::AlreadyProposed));
    }

    #[test]
    fn the_proposer_never_confirms_her_own_proposal() {
        let p = Proposal { id: 3, proposed_by: AF, dossier_seq: 7, proposer_may_erase: true };
        let f = facts(true, due(), false);
        assert_eq!(may_confirm(&f, Some(&p), 3, AF, true), Err(ErasureRefusal::OwnProposal));
        // Not even when everything else is in order or when she ticks everything.
        assert_eq!(may_confirm(&f, Some(&p), 3, AF, false), Err(ErasureRefusal::OwnProposal));
        assert_eq!(may_confirm(&f, Some(&p), 3, DIR, true), Ok(()));
    }

    #[test]
    fn a_proposal_of_someone_who_lost_the_right_does_not_count() {
        let p = Proposal { id: 3, proposed_by: AF, dossier_seq: 7, proposer_may_erase: false };
        let f = facts(true, due(), false);
        assert_eq!(may_confirm(&f, Some(&p), 3, DIR, true), Err(ErasureRefusal::ProposerWithoutRight));
        // It can still be withdrawn.
        assert_eq!(may_withdraw(Some(&p), 3), Ok(()));
    }

    #[test]
    fn confirming_refuses_a_gone_other_or_stale_proposal() {
        let p = Proposal { id: 3, proposed_by: AF, dossier_seq: 7, proposer_may_erase: true };
        let f = facts(true, due(), false);
        assert_eq!(may_confirm(&f, None, 3, DIR, true), Err(ErasureRefusal::NoProposal));
        // The form was made for proposal 2; it was withdrawn and 3 is a new one.
        assert_eq!(may_confirm(&f, Some(&p), 2, DIR, true), Err(ErasureRefusal::NoProposal));
        // Reopened meanwhile.
        let reopened =
            ErasureFacts { closed: false, last_seq: 8, retention: RetentionStatus::Open, granted_request: false };
        assert_eq!(may_confirm(&reopened, Some(&p), 3, DIR, true), Err(ErasureRefusal::NotClosed));
        // Reopened and closed again: closed, but the chronology moved on.
        let moved = ErasureFacts { last_seq: 9, ..f };
        assert_eq!(may_confirm(&moved, Some(&p), 3, DIR, true), Err(ErasureRefusal::StaleProposal));
        // The period was made longer meanwhile: no ground any more.
        let kept = RetentionStatus::Kept { closed_on: date!(2025 - 01 - 01), due_on: date!(2030 - 01 - 01) };
        assert_eq!(may_confirm(&facts(true, kept, false), Some(&p), 3, DIR, true), Err(ErasureRefusal::NoGround));
        assert_eq!(may_confirm(&facts(true, kept, true), Some(&p), 3, DIR, true), Ok(()));
        // Not deliberately confirmed.
        assert_eq!(may_confirm(&f, Some(&p), 3, DIR, false), Err(ErasureRefusal::NotConfirmed));
    }

    #[test]
    fn withdrawing_needs_the_pending_proposal() {
        let p = Proposal { id: 3, proposed_by: AF, dossier_seq: 7, proposer_may_erase: true };
        assert_eq!(may_withdraw(Some(&p), 3), Ok(()));
        assert_eq!(may_withdraw(Some(&p), 4), Err(ErasureRefusal::NoProposal));
        assert_eq!(may_withdraw(None, 3), Err(ErasureRefusal::NoProposal));
    }
}
