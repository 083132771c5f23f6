//! Display names of accounts kept in memory, for the pages that name the authors of entries (every dossier
//! page names a few).
//!
//! An account's display name is set when it is made and never changed (no store operation renames an
//! account, and accounts are never deleted: ids are not handed out again), so a name once read stays
//! right. It is still read again after [`MAX_AGE`], so that a rename feature added later (which should call
//! [`Names::forget`]) is never stale for long on the other nodes of a PostgreSQL installation. Ids the
//! database does not know for the tenant are not kept: they are asked for again.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use meldroute_database::Database;
use meldroute_store::{OrgId, Store, StoreResult, TenantCtx, UserId};

/// How long a name is used before it is read again.
const MAX_AGE: Duration = Duration::from_secs(300);
/// How many names are kept; when full, the oldest half goes. A display name is at most 300 characters, so
/// this is at most a few megabytes, and typically a few hundred kilobytes.
const MAX_NAMES: usize = 10_000;

pub struct Names {
    inner: Mutex<HashMap<(OrgId, UserId), (String, Instant)>>,
    max: usize,
}

impl Default for Names {
    fn default() -> Self {
        Names::with_limit(MAX_NAMES)
    }
}

impl Names {
    pub fn with_limit(max: usize) -> Names {
        Names { inner: Mutex::default(), max }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<(OrgId, UserId), (String, Instant)>> {
        // Every change is one insert or remove, so the map is consistent even after a panic elsewhere.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The display names of these accounts of the tenant, as [`Store::user_names`] gives them (others'
    /// and unknown ids left out), reading only those not kept.
    pub async fn of(&self, db: &Database, t: &TenantCtx, ids: &[UserId]) -> StoreResult<Vec<(UserId, String)>> {
        self.of_with(t.org, ids, |missing| async move { db.user_names(t, &missing).await }).await
    }

    /// [`Names::of`], with `read` asking the database for the names not kept.
    async fn of_with<F, R>(&self, org: OrgId, ids: &[UserId], read: F) -> StoreResult<Vec<(UserId, String)>>
    where
        F: FnOnce(Vec<UserId>) -> R,
        R: Future<Output = StoreResult<Vec<(UserId, String)>>>,
    {
        let now = Instant::now();
        let mut found = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let kept = self.lock();
            for id in ids {
                match kept.get(&(org, *id)) {
                    Some((name, at)) if now.duration_since(*at) < MAX_AGE => found.push((*id, name.clone())),
                    _ => missing.push(*id),
                }
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let read = read(missing).await?;
        let mut kept = self.lock();
        if kept.len() + read.len() > self.max {
            // The older half goes (all of it when the names were all read at the same moment).
            let mut ages: Vec<Instant> = kept.values().map(|(_, at)| *at).collect();
            ages.sort_unstable();
            if let Some(cut) = ages.get(ages.len() / 2).copied() {
                kept.retain(|_, (_, at)| *at > cut);
            }
            if kept.len() + read.len() > self.max {
                kept.clear();
            }
        }
        let room = self.max.saturating_sub(kept.len());
        for (id, name) in read.iter().take(room) {
            kept.insert((org, *id), (name.clone(), now));
        }
        drop(kept);
        found.extend(read);
        Ok(found)
    }

    /// Forgets an account's name (call after changing it).
    pub fn forget(&self, org: OrgId, user: UserId) {
        self.lock().remove(&(org, user));
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A stand-in for the database: organisation 1 has accounts 1 to 9 named "n<id>"; counts the reads.
    async fn read(reads: &AtomicUsize, ids: Vec<UserId>, org: OrgId) -> StoreResult<Vec<(UserId, String)>> {
        reads.fetch_add(1, Ordering::SeqCst);
        Ok(ids
            .into_iter()
            .filter(|u| org == OrgId(1) && (1..10).contains(&u.0))
            .map(|u| (u, format!("n{}", u.0)))
            .collect())
    }

    fn sorted(mut names: Vec<(UserId, String)>) -> Vec<(UserId, String)> {
        names.sort_by_key(|(u, _)| u.0);
        names
    }

    #[tokio::test]
    async fn names_are_read_once_and_only_the_tenants_own() {
        let names = Names::default();
        let reads = AtomicUsize::new(0);
        let (a, b) = (OrgId(1), OrgId(2));
        let got = names.of_with(a, &[UserId(1), UserId(2), UserId(99)], |m| read(&reads, m, a)).await.unwrap();
        assert_eq!(sorted(got), vec![(UserId(1), "n1".into()), (UserId(2), "n2".into())]);
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        // Kept: no second read; the unknown id is asked for again.
        let got = names.of_with(a, &[UserId(2), UserId(1)], |m| read(&reads, m, a)).await.unwrap();
        assert_eq!(sorted(got), vec![(UserId(1), "n1".into()), (UserId(2), "n2".into())]);
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        let _ = names.of_with(a, &[UserId(99)], |m| read(&reads, m, a)).await.unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 2);
        // Another organisation never gets organisation 1's names from the cache.
        let got = names.of_with(b, &[UserId(1)], |m| read(&reads, m, b)).await.unwrap();
        assert!(got.is_empty());
        assert_eq!(reads.load(Ordering::SeqCst), 3);
        // Forgotten: read again.
        names.forget(a, UserId(1));
        let _ = names.of_with(a, &[UserId(1)], |m| read(&reads, m, a)).await.unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn the_number_of_names_is_bounded() {
        let names = Names::with_limit(4);
        let reads = AtomicUsize::new(0);
        let a = OrgId(1);
        for id in 1..10 {
            let got = names.of_with(a, &[UserId(id)], |m| read(&reads, m, a)).await.unwrap();
            assert_eq!(got, vec![(UserId(id), format!("n{id}"))]);
            assert!(names.len() <= 4, "{} names kept", names.len());
        }
        let got = names.of_with(a, &(1..10).map(UserId).collect::<Vec<_>>(), |m| read(&reads, m, a)).await.unwrap();
        assert_eq!(got.len(), 9);
        assert!(names.len() <= 4);
    }
}
