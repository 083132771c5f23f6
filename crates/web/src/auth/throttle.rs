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
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::AppState;

pub const WINDOW: Duration = Duration::minutes(15);
pub const ACCOUNT_FREE_FAILURES: i64 = 5;
pub const ADDRESS_FREE_FAILURES: i64 = 50;
pub const MAX_LOCK: Duration = Duration::minutes(15);

/// The key of a login name: a hash, so the table holds no names (nor a password typed into the name field),
/// and every key has the same short length whatever was sent.
pub fn account_key(login: &str) -> String {
    format!("account:{}", hex::encode(Sha256::digest(login.trim().to_lowercase().as_bytes())))
}

/// Second-factor guesses of one account: never cleared by a correct password, only by a correct code.
pub fn second_factor_key(user_id: i64) -> String {
    format!("second_factor:{user_id}")
}

pub fn address_key(addr: &str) -> String {
    format!("ip:{addr}")
}

/// What counting one attempt changed on a key, to take it back exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// The key's lock before the attempt (possibly one that has expired).
    pub before: Option<OffsetDateTime>,
    /// The lock the attempt set in advance.
    pub set: Option<OffsetDateTime>,
}

/// Counts an attempt on each of `keys` (a key with its free failures) **before** it is checked, as if it will
/// fail, with the lock that failure would bring: attempts made at the same moment are counted one after
/// the other, so no more of them get checked than one at a time would. `None` when a key is locked; then
/// nothing stays counted. A locked key is refused on a plain read, without a write.
pub async fn begin_attempt(
    state: &AppState,
    keys: &[(&str, i64)],
    now: OffsetDateTime,
) -> StoreResult<Option<Vec<Counted>>> {
    let mut counted = Vec::with_capacity(keys.len());
    for &(key, free) in keys {
        let outcome = match state.db.throttle_get(key).await {
            Ok(current) if is_locked(current.as_ref(), now) => Ok(None),
            Ok(_) => count(state, key, free, now).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(Some(done)) => counted.push(done),
            refused_or_failed => {
                // Take back what the keys before this one counted: the attempt is not made.
                for (&(key, _), done) in keys.iter().zip(&counted) {
                    take_back(state, key, done).await;
                }
                return refused_or_failed.map(|_| None);
            }
        }
    }
    Ok(Some(counted))
}

async fn count(state: &AppState, key: &str, free: i64, now: OffsetDateTime) -> StoreResult<Option<Counted>> {
    let mut done = None;
    state
        .db
        .throttle_update(key, &mut |previous| {
            let before = previous.as_ref().and_then(|s| s.locked_until);
            let (next, allowed) = count_attempt(previous, free, now);
            done = allowed.then(|| Counted { before, set: next.as_ref().and_then(|s| s.locked_until) });
            next
        })
        .await?;
    Ok(done)
}

/// The attempt counted on `key` by [`begin_attempt`] succeeded, or was not made: it no longer counts. Best
/// effort: a failure is logged (without the key, which names an account or an address) and otherwise ignored.
pub async fn take_back(state: &AppState, key: &str, counted: &Counted) {
    if state.db.throttle_update(key, &mut |previous| uncount_attempt(previous, counted)).await.is_err() {
        tracing::warn!("could not take back a counted login attempt");
    }
}

/// Forgets a key's failures after a success (the account name, or the account's second factor). Best effort,
/// like [`take_back`].
pub async fn clear(state: &AppState, key: &str) {
    if state.db.throttle_update(key, &mut |_| None).await.is_err() {
        tracing::warn!("could not clear a login throttle after a success");
    }
}

fn is_locked(state: Option<&ThrottleState>, now: OffsetDateTime) -> bool {
    state.and_then(|s| s.locked_until).is_some_and(|until| until > now)
}

/// One more attempt on a key: refused (state unchanged) while the key is locked; otherwise counted as a failure
/// in advance, in the window of the last [`WINDOW`], with the lock that failure brings.
pub fn count_attempt(previous: Option<ThrottleState>, free: i64, now: OffsetDateTime) -> (Option<ThrottleState>, bool) {
    if is_locked(previous.as_ref(), now) {
        return (previous, false);
    }
    let (failures, window_start) = match previous {
        Some(s) if now - s.window_start < WINDOW => (s.failures + 1, s.window_start),
        _ => (1, now),
    };
    let locked_until = lock_after(failures, free).map(|lock| now + lock);
    (Some(ThrottleState { failures, window_start, locked_until }), true)
}

/// Takes one counted attempt back. The lock it set in advance gives way to the lock before it, unless a later
/// attempt has set another one meanwhile.
pub fn uncount_attempt(previous: Option<ThrottleState>, counted: &Counted) -> Option<ThrottleState> {
    let s = previous?;
    let failures = s.failures - 1;
    if failures <= 0 {
        return None;
    }
    let locked_until = if s.locked_until == counted.set { counted.before } else { s.locked_until };
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
        let state = |failures, locked_until: Option<i64>| {
            Some(ThrottleState { failures, window_start: at(0), locked_until: locked_until.map(at) })
        };
        let none = Counted { before: None, set: None };
        assert_eq!(uncount_attempt(None, &none), None);
        assert_eq!(uncount_attempt(state(1, None), &none), None);
        assert_eq!(uncount_attempt(state(3, None), &none), state(2, None));
        // The sixth attempt's lock in advance goes with it.
        assert_eq!(uncount_attempt(state(6, Some(1)), &Counted { before: None, set: Some(at(1)) }), state(5, None));
        // A lock that a later attempt set meanwhile stays.
        assert_eq!(uncount_attempt(state(7, Some(3)), &Counted { before: None, set: Some(at(1)) }), state(6, Some(3)));
    }

    #[test]
    fn a_success_behind_a_busy_address_leaves_it_as_it_was() {
        // 51 failures from one school's address, their lock (until minute 6) over; a teacher logs in at 7.
        let busy = Some(ThrottleState { failures: 51, window_start: at(0), locked_until: Some(at(6)) });
        let before = busy.as_ref().and_then(|s| s.locked_until);
        let (counted, allowed) = count_attempt(busy.clone(), ADDRESS_FREE_FAILURES, at(7));
        assert!(allowed);
        let set = counted.as_ref().and_then(|s| s.locked_until);
        assert_eq!(set, Some(at(9)), "counted as the 52nd failure, with its lock");
        assert_eq!(uncount_attempt(counted, &Counted { before, set }), busy, "taken back: not locked again");
    }

    #[test]
    fn keys_ignore_case_and_have_one_length() {
        assert_eq!(account_key(" Lieke.PO "), account_key("lieke.po"));
        assert_ne!(account_key("lieke.po"), account_key("lieke.vo"));
        assert_eq!(account_key(&"x".repeat(100_000)).len(), account_key("a").len());
        assert!(!account_key("lieke.po").contains("lieke"));
    }
}
