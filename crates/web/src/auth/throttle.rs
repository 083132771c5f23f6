//! Login throttling per account name and per source address.
//!
//! Every attempt is counted before it is checked, as if it fails (see [`begin_attempt`]), so attempts sent in
//! parallel cannot slip past a lock that the first of them would have set.
//!
//! After [`ACCOUNT_FREE_FAILURES`] failures within the window, an account name is locked for a minute,
//! doubling with every further failure up to [`MAX_LOCK`]. The lock always expires, so nobody can lock a
//! colleague out for longer than that by guessing; it applies to unknown names exactly as to real ones, so
//! it reveals nothing about which accounts exist. Addresses get a looser limit.

use meldroute_store::{AccountStore, StoreResult, ThrottleState};
use time::{Duration, OffsetDateTime};

use crate::AppState;

pub const WINDOW: Duration = Duration::minutes(15);
pub const ACCOUNT_FREE_FAILURES: i64 = 5;
pub const ADDRESS_FREE_FAILURES: i64 = 50;
pub const MAX_LOCK: Duration = Duration::minutes(15);

pub fn account_key(login: &str) -> String {
    format!("account:{}", login.trim().to_lowercase())
}

/// Second-factor guesses of one account: never cleared by a correct password, only by a correct code.
pub fn second_factor_key(user_id: i64) -> String {
    format!("second_factor:{user_id}")
}

pub fn address_key(addr: &str) -> String {
    format!("ip:{addr}")
}

/// Counts an attempt on each of `keys` (a key with its free failures) **before** it is checked, as if it will
/// fail, with the lock that failure would bring: attempts made at the same moment are counted one after
/// the other, so no more of them get checked than one at a time would. `false` when a key is locked; then
/// nothing stays counted.
pub async fn begin_attempt(state: &AppState, keys: &[(&str, i64)], now: OffsetDateTime) -> StoreResult<bool> {
    for (i, &(key, free)) in keys.iter().enumerate() {
        let mut allowed = false;
        state
            .db
            .throttle_update(key, &mut |previous| {
                let (next, ok) = count_attempt(previous, free, now);
                allowed = ok;
                next
            })
            .await?;
        if !allowed {
            // Take back what the keys before this one counted: the attempt is not made.
            for &(counted, free) in &keys[..i] {
                state.db.throttle_update(counted, &mut |previous| uncount_attempt(previous, free)).await?;
            }
            return Ok(false);
        }
    }
    Ok(true)
}

/// The attempt counted by [`begin_attempt`] succeeded: it no longer counts against `key`.
pub async fn attempt_succeeded(state: &AppState, key: &str, free: i64) -> StoreResult<()> {
    state.db.throttle_update(key, &mut |previous| uncount_attempt(previous, free)).await?;
    Ok(())
}

/// One more attempt on a key: refused (state unchanged) while the key is locked; otherwise counted as a failure
/// in advance, in the window of the last [`WINDOW`], with the lock that failure brings.
pub fn count_attempt(previous: Option<ThrottleState>, free: i64, now: OffsetDateTime) -> (Option<ThrottleState>, bool) {
    if let Some(s) = &previous
        && s.locked_until.is_some_and(|until| until > now)
    {
        return (previous, false);
    }
    let (failures, window_start) = match previous {
        Some(s) if now - s.window_start < WINDOW => (s.failures + 1, s.window_start),
        _ => (1, now),
    };
    let locked_until = lock_after(failures, free).map(|lock| now + lock);
    (Some(ThrottleState { failures, window_start, locked_until }), true)
}

/// Takes one counted attempt back (it succeeded, or was not made). The lock it set in advance goes when the
/// failures left bring none; a lock that earlier failures brought stays.
pub fn uncount_attempt(previous: Option<ThrottleState>, free: i64) -> Option<ThrottleState> {
    let s = previous?;
    let failures = s.failures - 1;
    if failures <= 0 {
        return None;
    }
    let locked_until = if lock_after(failures, free).is_some() { s.locked_until } else { None };
    Some(ThrottleState { failures, window_start: s.window_start, locked_until })
}

/// The lock that follows `failures` failures: none up to `free`, then 1, 2, 4, ... minutes, at most 15.
pub fn lock_after(failures: i64, free: i64) -> Option<Duration> {
    if failures <= free {
        return None;
    }
    let exponent = u32::try_from((failures - free - 1).min(10)).unwrap_or(10);
    let minutes = 1i64 << exponent;
    Some(Duration::minutes(minutes).min(MAX_LOCK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_grow_and_are_capped() {
        assert_eq!(lock_after(5, 5), None);
        assert_eq!(lock_after(6, 5), Some(Duration::minutes(1)));
        assert_eq!(lock_after(7, 5), Some(Duration::minutes(2)));
        assert_eq!(lock_after(9, 5), Some(Duration::minutes(8)));
        assert_eq!(lock_after(10, 5), Some(MAX_LOCK));
        assert_eq!(lock_after(1000, 5), Some(MAX_LOCK));
    }

    fn at(minute: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::minutes(minute)
    }

    #[test]
    fn attempts_are_counted_in_advance_and_locked_like_failures() {
        let mut state = None;
        for n in 1..=5 {
            let (next, allowed) = count_attempt(state, 5, at(0));
            assert!(allowed);
            assert_eq!(next.as_ref().map(|s| (s.failures, s.locked_until)), Some((n, None)));
            state = next;
        }
        // The sixth is checked, with the lock its failure would bring already set; a seventh at the same
        // moment (sent in parallel) is refused and changes nothing.
        let (sixth, allowed) = count_attempt(state, 5, at(0));
        assert!(allowed);
        assert_eq!(sixth.as_ref().and_then(|s| s.locked_until), Some(at(1)));
        let (seventh, allowed) = count_attempt(sixth.clone(), 5, at(0));
        assert!(!allowed);
        assert_eq!(seventh, sixth);
        // After the lock, one more, with a longer lock; after the window, counting starts again.
        let (eighth, allowed) = count_attempt(sixth, 5, at(1));
        assert!(allowed);
        assert_eq!(eighth.as_ref().map(|s| (s.failures, s.locked_until)), Some((7, Some(at(3)))));
        let (fresh, allowed) = count_attempt(eighth, 5, at(20));
        assert!(allowed);
        assert_eq!(fresh.map(|s| (s.failures, s.window_start, s.locked_until)), Some((1, at(20), None)));
    }

    #[test]
    fn a_successful_attempt_is_taken_back_with_the_lock_it_set() {
        let counted = |failures, locked_until: Option<i64>| {
            Some(ThrottleState { failures, window_start: at(0), locked_until: locked_until.map(at) })
        };
        assert_eq!(uncount_attempt(None, 5), None);
        assert_eq!(uncount_attempt(counted(1, None), 5), None);
        assert_eq!(uncount_attempt(counted(3, None), 5), counted(2, None));
        // The sixth attempt's lock in advance goes with it; with seven counted, the sixth's lock stays.
        assert_eq!(uncount_attempt(counted(6, Some(1)), 5), counted(5, None));
        assert_eq!(uncount_attempt(counted(7, Some(3)), 5), counted(6, Some(3)));
    }

    #[test]
    fn keys_ignore_case() {
        assert_eq!(account_key(" Lieke.PO "), "account:lieke.po");
    }
}
