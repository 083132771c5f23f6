//! Login throttling per account name and per source address.
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

/// When a key is locked, until when.
pub async fn locked_until(state: &AppState, key: &str, now: OffsetDateTime) -> StoreResult<Option<OffsetDateTime>> {
    Ok(state.db.throttle_get(key).await?.and_then(|s| s.locked_until).filter(|until| *until > now))
}

/// Records a failure; returns the new state.
pub async fn record_failure(state: &AppState, key: &str, free: i64, now: OffsetDateTime) -> StoreResult<ThrottleState> {
    let previous = state.db.throttle_get(key).await?;
    let (failures, window_start) = match previous {
        Some(s) if now - s.window_start < WINDOW => (s.failures + 1, s.window_start),
        _ => (1, now),
    };
    let locked_until = lock_after(failures, free).map(|lock| now + lock);
    let next = ThrottleState { failures, window_start, locked_until };
    state.db.throttle_put(key, &next).await?;
    Ok(next)
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

    #[test]
    fn keys_ignore_case() {
        assert_eq!(account_key(" Lieke.PO "), "account:lieke.po");
    }
}
