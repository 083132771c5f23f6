//! A node's memory of recent session lookups ([`crate::AccountStore::session_context`]), so that a user's
//! next request does not read the session, account, role grants and unread count from the database again.
//!
//! The database stays the source of truth; the cache may only ever answer what the database would have
//! answered a moment ago:
//!
//! - **Every write that changes what a lookup returns** (the session row, the account, its role grants, its
//!   notifications) marks its user as changed *after it committed*, in the store method that does the write
//!   ([`SessionCache::changed`]); an erasure, a bulk load or anything of unknown reach marks everything
//!   ([`SessionCache::changed_all`]).
//! - **A lookup is kept with the moment its read began** ([`SessionCache::stamp`], taken before the read). It is
//!   answered from memory only while nothing of its user (or everything) changed since that moment. A read that
//!   overlapped a write is therefore never used after the write is marked, whichever committed first.
//! - **Several nodes** (PostgreSQL): triggers on the four tables send a notification with the user on every
//!   change, and each node marks that user as changed when it hears it. A node keeps nothing unless it listens
//!   ([`SessionCache::set_listening`]); a lost listening connection empties the cache and turns it off until
//!   the node listens again, since changes may have gone unheard meanwhile.
//! - **Proof that notifications arrive** (PostgreSQL): a node sends a heartbeat of its own on the channel every
//!   [`HEARTBEAT_EVERY`] and answers from memory only while its last heartbeat came back within
//!   [`HEARTBEAT_VALID`]. A connection that drops silently, a proxy that swallows notifications or a stalled
//!   listener therefore turns the cache off within seconds, not only once the connection is found lost.
//! - An entry is used for at most [`MAX_AGE`], whatever happened: a second line behind the above.
//!
//! Callers must not end a session on an answer from memory alone (an expired or disabled verdict): they ask
//! the database again first (`session_context_fresh`), so only the database ends a session.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::accounts::SessionContext;
use crate::ids::{OrgId, UserId};

/// How long a lookup is used at most.
pub const MAX_AGE: Duration = Duration::from_secs(60);
/// How often a listening node sends its heartbeat, and how long one that came back proves that notifications
/// arrive.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
pub const HEARTBEAT_VALID: Duration = Duration::from_secs(5);
/// How many sessions, and how many changed users, are remembered; past either, everything is forgotten.
const MAX_SESSIONS: usize = 10_000;
const MAX_CHANGED: usize = 10_000;

pub struct SessionCache {
    inner: Mutex<Inner>,
    /// Moves on with every change; a lookup's stamp is its value before the read.
    clock: AtomicU64,
    /// Whether lookups are kept at all (on PostgreSQL only while this node hears every other node's changes).
    on: AtomicBool,
    /// Lookups answered from memory, and from the database (for the metrics and tests).
    hits: AtomicU64,
    misses: AtomicU64,
    /// With heartbeats (PostgreSQL): this node's own heartbeat payload, and when it last came back.
    heartbeat: Mutex<Option<Heartbeat>>,
}

struct Heartbeat {
    payload: String,
    heard: Option<Instant>,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<Vec<u8>, Kept>,
    /// The clock value of the newest change per user, and per session (by token hash).
    changed: HashMap<(OrgId, UserId), u64>,
    changed_sessions: HashMap<Vec<u8>, u64>,
    /// The clock value of the newest change of everything.
    all_changed: u64,
}

struct Kept {
    context: SessionContext,
    stamp: u64,
    at: Instant,
}

impl Inner {
    /// Whether a lookup of `context` stamped `stamp` is still what the database holds.
    fn current(&self, context: &SessionContext, stamp: u64) -> bool {
        let session = &context.session;
        stamp >= self.all_changed
            && self.changed.get(&(session.org, session.user)).is_none_or(|changed| stamp >= *changed)
            && self.changed_sessions.get(&session.id_hash).is_none_or(|changed| stamp >= *changed)
    }
}

impl SessionCache {
    /// A cache that keeps lookups (`on`) or keeps nothing until [`SessionCache::set_listening`] turns it on.
    pub fn new(on: bool) -> SessionCache {
        SessionCache {
            inner: Mutex::default(),
            clock: AtomicU64::new(0),
            on: AtomicBool::new(on),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            heartbeat: Mutex::new(None),
        }
    }

    /// Requires this node's heartbeat (`payload`, unique to the node) to come back regularly before anything
    /// is answered from memory; returns the payload to send every [`HEARTBEAT_EVERY`].
    pub fn require_heartbeat(&self, node: &str) -> String {
        let payload = format!("hb:{node}");
        *self.heartbeat.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(Heartbeat { payload: payload.clone(), heard: None });
        payload
    }

    /// Whether notifications are known to arrive: no heartbeat is required, or this node's came back lately.
    fn notifications_arrive(&self) -> bool {
        match &*self.heartbeat.lock().unwrap_or_else(|p| p.into_inner()) {
            None => true,
            Some(h) => h.heard.is_some_and(|at| at.elapsed() < HEARTBEAT_VALID),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every change under the lock is one call; a panic elsewhere leaves a consistent map.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Take this before reading a session from the database, and pass it to [`SessionCache::put`].
    pub fn stamp(&self) -> u64 {
        self.clock.load(Ordering::Acquire)
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// The lookup of the session with this token hash, if one is kept and nothing changed since it was read.
    pub fn get(&self, id_hash: &[u8]) -> Option<SessionContext> {
        if !self.on.load(Ordering::Acquire) || !self.notifications_arrive() {
            return None;
        }
        let inner = self.lock();
        let found =
            inner.sessions.get(id_hash).filter(|k| k.at.elapsed() < MAX_AGE && inner.current(&k.context, k.stamp));
        let context = found.map(|k| k.context.clone());
        drop(inner);
        let counter = if context.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        context
    }

    /// Keeps a lookup read from the database after `stamp` was taken, unless its user changed since.
    pub fn put(&self, stamp: u64, context: &SessionContext) {
        if !self.on.load(Ordering::Acquire) {
            return;
        }
        let mut inner = self.lock();
        if !inner.current(context, stamp) {
            return;
        }
        if inner.sessions.len() >= MAX_SESSIONS && !inner.sessions.contains_key(&context.session.id_hash) {
            inner.sessions.clear();
        }
        let kept = Kept { context: context.clone(), stamp, at: Instant::now() };
        inner.sessions.insert(context.session.id_hash.clone(), kept);
    }

    /// Marks `user` of `org` as changed: call after the write committed (the sessions, account, role grants or
    /// notifications of that user). Their kept lookups are refused from now on and replaced by the next read.
    pub fn changed(&self, org: OrgId, user: UserId) {
        let mut inner = self.lock();
        let now = self.tick();
        if inner.changed.len() >= MAX_CHANGED && !inner.changed.contains_key(&(org, user)) {
            Self::forget_marks(&mut inner, now);
        } else {
            inner.changed.insert((org, user), now);
        }
    }

    /// Marks one session (by its token hash) as changed, after the write committed.
    pub fn changed_session(&self, id_hash: &[u8]) {
        let mut inner = self.lock();
        let now = self.tick();
        if inner.changed_sessions.len() >= MAX_CHANGED && !inner.changed_sessions.contains_key(id_hash) {
            Self::forget_marks(&mut inner, now);
        } else {
            inner.changed_sessions.insert(id_hash.to_vec(), now);
        }
    }

    /// Forgetting the marks is safe only together with everything kept before them.
    fn forget_marks(inner: &mut Inner, now: u64) {
        inner.changed.clear();
        inner.changed_sessions.clear();
        inner.all_changed = now;
        inner.sessions.clear();
    }

    /// Marks every user as changed and forgets every lookup.
    pub fn changed_all(&self) {
        let mut inner = self.lock();
        let now = self.tick();
        Self::forget_marks(&mut inner, now);
    }

    /// A guard that marks `change` when it is dropped: create it before a write and keep it until after the
    /// commit, so the mark also follows a write whose request was cancelled after it committed.
    pub fn marking(&self, change: Change) -> Marking<'_> {
        Marking { cache: self, change }
    }

    /// Turns keeping on (`true`: this node now hears every change) or off; either way everything kept so far
    /// is forgotten, since changes may have gone unheard before.
    pub fn set_listening(&self, listening: bool) {
        self.on.store(listening, Ordering::Release);
        self.changed_all();
    }

    /// Whether lookups are kept and answered (listening, and heartbeats coming back where required).
    pub fn is_on(&self) -> bool {
        self.on.load(Ordering::Acquire) && self.notifications_arrive()
    }

    /// Lookups answered from memory and from the database so far (while on).
    pub fn counts(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }

    /// Marks the users named in a change notification (`org:user` pairs separated by commas, or `*` for
    /// everything); anything it cannot read marks everything.
    pub fn on_notification(&self, payload: &str) {
        if payload.starts_with("hb:") {
            // A heartbeat changes nothing; this node's own one proves that notifications arrive.
            if let Some(h) = &mut *self.heartbeat.lock().unwrap_or_else(|p| p.into_inner())
                && h.payload == payload
            {
                h.heard = Some(Instant::now());
            }
            return;
        }
        let mut users = Vec::new();
        for pair in payload.split(',') {
            let parsed =
                pair.split_once(':').and_then(|(o, u)| Some((OrgId(o.parse().ok()?), UserId(u.parse().ok()?))));
            match parsed {
                Some(user) => users.push(user),
                None => return self.changed_all(),
            }
        }
        for (org, user) in users {
            self.changed(org, user);
        }
    }
}

/// What a write changes, for [`SessionCache::marking`].
pub enum Change {
    User(OrgId, UserId),
    Session(Vec<u8>),
    Everything,
}

/// See [`SessionCache::marking`].
pub struct Marking<'a> {
    cache: &'a SessionCache,
    change: Change,
}

impl Drop for Marking<'_> {
    fn drop(&mut self) {
        match &self.change {
            Change::User(org, user) => self.cache.changed(*org, *user),
            Change::Session(id_hash) => self.cache.changed_session(id_hash),
            Change::Everything => self.cache.changed_all(),
        }
    }
}

/// The notification channel of session-relevant changes (PostgreSQL triggers send `org:user`).
pub const SESSIONS_CHANNEL: &str = "meldroute_sessions";

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;
    use crate::accounts::SessionRecord;
    use crate::types::User;

    fn context(hash: u8, user: i64) -> SessionContext {
        let at = OffsetDateTime::UNIX_EPOCH;
        SessionContext {
            session: SessionRecord {
                id_hash: vec![hash; 32],
                org: OrgId(1),
                user: UserId(user),
                created_at: at,
                last_seen_at: at,
                second_factor_done: true,
                csrf_token: "c".into(),
            },
            user: User {
                id: UserId(user),
                org: OrgId(1),
                login: format!("u{user}"),
                display_name: format!("U {user}"),
                email: None,
                password_hash: String::new(),
                totp_secret: None,
                lang: "nl".into(),
                disabled: false,
                created_at: at,
            },
            grants: vec![],
            unread: 0,
        }
    }

    #[test]
    fn a_lookup_is_kept_until_its_user_changes() {
        let cache = SessionCache::new(true);
        let (a, b) = (context(1, 10), context(2, 20));
        cache.put(cache.stamp(), &a);
        cache.put(cache.stamp(), &b);
        assert_eq!(cache.get(&a.session.id_hash), Some(a.clone()));
        cache.changed(OrgId(1), UserId(10));
        assert_eq!(cache.get(&a.session.id_hash), None, "the changed user's session is read again");
        assert_eq!(cache.get(&b.session.id_hash), Some(b.clone()), "another user's stays");
        // The same user in another organisation is another user.
        cache.changed(OrgId(2), UserId(20));
        assert_eq!(cache.get(&b.session.id_hash), Some(b));
    }

    #[test]
    fn a_read_that_overlapped_a_change_is_never_kept() {
        let cache = SessionCache::new(true);
        let a = context(1, 10);
        // The read begins, the write commits and is marked, then the (possibly old) answer arrives.
        let stamp = cache.stamp();
        cache.changed(OrgId(1), UserId(10));
        cache.put(stamp, &a);
        assert_eq!(cache.get(&a.session.id_hash), None);
        // A read that began after the mark is kept.
        cache.put(cache.stamp(), &a);
        assert_eq!(cache.get(&a.session.id_hash), Some(a.clone()));
        // The same with everything changed.
        let stamp = cache.stamp();
        cache.changed_all();
        cache.put(stamp, &a);
        assert_eq!(cache.get(&a.session.id_hash), None);
    }

    #[test]
    fn nothing_is_kept_while_not_listening_and_turning_on_starts_empty() {
        let cache = SessionCache::new(false);
        let a = context(1, 10);
        cache.put(cache.stamp(), &a);
        assert_eq!(cache.get(&a.session.id_hash), None);
        cache.set_listening(true);
        let stamp = cache.stamp();
        cache.put(stamp, &a);
        assert!(cache.get(&a.session.id_hash).is_some());
        // A lost listener: everything goes, and nothing is kept until it listens again.
        cache.set_listening(false);
        cache.put(cache.stamp(), &a);
        cache.on.store(true, Ordering::Release);
        assert_eq!(cache.get(&a.session.id_hash), None);
    }

    #[test]
    fn notifications_name_users_and_anything_unreadable_changes_everything() {
        let cache = SessionCache::new(true);
        let (a, b) = (context(1, 10), context(2, 20));
        cache.put(cache.stamp(), &a);
        cache.put(cache.stamp(), &b);
        cache.on_notification("1:10");
        assert_eq!(cache.get(&a.session.id_hash), None);
        assert!(cache.get(&b.session.id_hash).is_some());
        cache.put(cache.stamp(), &a);
        cache.on_notification("garbage");
        assert_eq!(cache.get(&a.session.id_hash), None);
        assert_eq!(cache.get(&b.session.id_hash), None);
        cache.put(cache.stamp(), &a);
        cache.on_notification("*");
        assert_eq!(cache.get(&a.session.id_hash), None);
    }

    #[test]
    fn a_session_mark_refuses_that_session_only_and_a_guard_marks_when_dropped() {
        let cache = SessionCache::new(true);
        let (a, b) = (context(1, 10), context(2, 10));
        cache.put(cache.stamp(), &a);
        cache.put(cache.stamp(), &b);
        {
            let _mark = cache.marking(Change::Session(a.session.id_hash.clone()));
            assert!(cache.get(&a.session.id_hash).is_some(), "not before the write is done");
        }
        assert_eq!(cache.get(&a.session.id_hash), None);
        assert_eq!(cache.get(&b.session.id_hash), Some(b.clone()), "the user's other session stays");
        drop(cache.marking(Change::User(OrgId(1), UserId(10))));
        assert_eq!(cache.get(&b.session.id_hash), None);
        cache.put(cache.stamp(), &b);
        drop(cache.marking(Change::Everything));
        assert_eq!(cache.get(&b.session.id_hash), None);
    }

    #[test]
    fn with_heartbeats_nothing_is_answered_until_the_own_one_came_back() {
        let cache = SessionCache::new(true);
        let a = context(1, 10);
        let mine = cache.require_heartbeat("node-a");
        cache.put(cache.stamp(), &a);
        assert_eq!(cache.get(&a.session.id_hash), None, "no heartbeat heard yet");
        cache.on_notification("hb:node-b");
        assert_eq!(cache.get(&a.session.id_hash), None, "another node's heartbeat proves nothing here");
        cache.on_notification(&mine);
        assert!(cache.get(&a.session.id_hash).is_some(), "a heartbeat changes no user");
        // Gone stale: refused again.
        if let Some(h) = &mut *cache.heartbeat.lock().unwrap() {
            h.heard = Instant::now().checked_sub(HEARTBEAT_VALID + Duration::from_secs(1));
        }
        assert_eq!(cache.get(&a.session.id_hash), None);
        assert!(!cache.is_on());
    }

    #[test]
    fn forgetting_the_change_marks_forgets_what_they_guarded() {
        let cache = SessionCache::new(true);
        let a = context(1, 10);
        let stamp = cache.stamp();
        cache.changed(OrgId(1), UserId(10));
        for user in 0..MAX_CHANGED as i64 + 5 {
            cache.changed(OrgId(3), UserId(user));
        }
        // The mark of user 10 is gone with the others, but the old read is still refused.
        cache.put(stamp, &a);
        assert_eq!(cache.get(&a.session.id_hash), None);
    }
}
