//! A node's memory of recent lookups that nearly every request repeats, so that they are not read from the
//! database again and again:
//!
//! - **session lookups** ([`crate::AccountStore::session_context`]: the session, account, role grants and
//!   unread count);
//! - **dossier contexts** ([`crate::Store::dossier_context`]: the dossier row, its pupil, both locations, its
//!   shares, whether it was received, and the newest route map version of its location).
//!
//! The database stays the source of truth; the cache may only ever answer what the database would have
//! answered a moment ago:
//!
//! - **Every write that changes what a lookup returns** marks what it changed *after it committed*, in the store
//!   method that does the write ([`LookupCache::marking`]): a user (its sessions, account, role grants,
//!   notifications), one session, one dossier (its row, its shares), an organisation's dossiers (a new route
//!   map version or a revoked share: many dossiers at once), or everything (an erasure, a bulk load, anything of unknown
//!   reach).
//! - **A lookup is kept with the moment its read began** ([`LookupCache::stamp`], taken before the read). It is
//!   answered from memory only while nothing it depends on changed since that moment. A read that overlapped a
//!   write is therefore never used after the write is marked, whichever committed first.
//! - **Several nodes** (PostgreSQL): triggers on the tables behind both lookups send a notification on every
//!   change (migrations 0016 and 0017), and each node marks what it hears. A node keeps nothing unless it
//!   listens ([`LookupCache::set_listening`]); a lost listening connection empties the cache and turns it off
//!   until the node listens again, since changes may have gone unheard meanwhile.
//! - **Proof that notifications arrive** (PostgreSQL): a node sends a heartbeat of its own on the channel every
//!   [`HEARTBEAT_EVERY`] and answers from memory only while its last heartbeat came back within
//!   [`HEARTBEAT_VALID`]. A connection that drops silently, a proxy that swallows notifications or a stalled
//!   listener therefore turns the cache off within seconds, not only once the connection is found lost.
//! - An entry is used for at most [`MAX_AGE`], whatever happened: a second line behind the above.
//!
//! Callers must not end a session on an answer from memory alone (an expired or disabled verdict): they ask
//! the database again first (`session_context_fresh`), so only the database ends a session. A write that
//! depends on a dossier's state is checked by the writer against the database itself (`expected_last_seq`),
//! and a refused append marks its dossier, so the retry reads it again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::accounts::SessionContext;
use crate::ids::{DossierId, OrgId, UserId};
use crate::types::DossierContext;

/// How long a lookup is used at most.
pub const MAX_AGE: Duration = Duration::from_secs(60);
/// How often a listening node sends its heartbeat, and how long one that came back proves that notifications
/// arrive.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
pub const HEARTBEAT_VALID: Duration = Duration::from_secs(5);
/// How many sessions, dossier contexts, and changed users, sessions, dossiers or organisations (each) are
/// remembered; past any of these, everything is forgotten.
const MAX_SESSIONS: usize = 10_000;
const MAX_CONTEXTS: usize = 10_000;
const MAX_CHANGED: usize = 10_000;

pub struct LookupCache {
    inner: Mutex<Inner>,
    /// Moves on with every change; a lookup's stamp is its value before the read.
    clock: AtomicU64,
    /// Whether lookups are kept at all (on PostgreSQL only while this node hears every other node's changes).
    on: AtomicBool,
    /// Session lookups answered from memory, and from the database (for the metrics and tests).
    hits: AtomicU64,
    misses: AtomicU64,
    /// The same for dossier contexts.
    context_hits: AtomicU64,
    context_misses: AtomicU64,
    /// With heartbeats (PostgreSQL): this node's own heartbeat payload, and when it last came back.
    heartbeat: Mutex<Option<Heartbeat>>,
}

struct Heartbeat {
    payload: String,
    heard: Option<Instant>,
}

struct Inner {
    sessions: HashMap<Vec<u8>, Kept<SessionContext>>,
    contexts: HashMap<(OrgId, DossierId), Kept<DossierContext>>,
    /// The newest change per user, per session (by token hash), per dossier and per organisation.
    changed: HashMap<(OrgId, UserId), Mark>,
    changed_sessions: HashMap<Vec<u8>, Mark>,
    changed_dossiers: HashMap<(OrgId, DossierId), Mark>,
    changed_orgs: HashMap<OrgId, Mark>,
    /// The clock value of the newest change of everything.
    all_changed: u64,
    /// When everything past [`MAX_AGE`] was last forgotten.
    swept: Instant,
}

impl Default for Inner {
    fn default() -> Inner {
        Inner {
            sessions: HashMap::new(),
            contexts: HashMap::new(),
            changed: HashMap::new(),
            changed_sessions: HashMap::new(),
            changed_dossiers: HashMap::new(),
            changed_orgs: HashMap::new(),
            all_changed: 0,
            swept: Instant::now(),
        }
    }
}

/// A change: its clock value, and when it was marked.
#[derive(Clone, Copy)]
struct Mark {
    clock: u64,
    at: Instant,
}

/// How often what is past [`MAX_AGE`] is forgotten (kept lookups and marks).
const SWEEP_EVERY: Duration = Duration::from_secs(10);

struct Kept<T> {
    value: T,
    stamp: u64,
    at: Instant,
}

/// Records a change of `key` at clock value `now` in `marks`; `false` when `marks` is full (the caller then
/// forgets every mark, and with them everything kept).
fn note<K: std::hash::Hash + Eq>(marks: &mut HashMap<K, Mark>, key: K, now: u64) -> bool {
    if marks.len() >= MAX_CHANGED && !marks.contains_key(&key) {
        return false;
    }
    marks.insert(key, Mark { clock: now, at: Instant::now() });
    true
}

/// Whether nothing was marked in `marks` under `key` since `stamp`.
fn unmarked<K: std::hash::Hash + Eq>(marks: &HashMap<K, Mark>, key: &K, stamp: u64) -> bool {
    marks.get(key).is_none_or(|changed| stamp >= changed.clock)
}

impl Inner {
    /// Whether a session lookup of `context` stamped `stamp` is still what the database holds.
    fn current(&self, context: &SessionContext, stamp: u64) -> bool {
        let session = &context.session;
        stamp >= self.all_changed
            && unmarked(&self.changed, &(session.org, session.user), stamp)
            && unmarked(&self.changed_sessions, &session.id_hash, stamp)
    }

    /// Forgets, every [`SWEEP_EVERY`], the lookups kept longer than [`MAX_AGE`] (unusable anyway, and an
    /// erased pupil's name should not linger) and the marks older than that: a lookup read before a mark was
    /// kept before it (a later keep is refused), so once the mark is past `MAX_AGE`, so is every lookup it
    /// could refuse.
    fn sweep(&mut self) {
        if self.swept.elapsed() < SWEEP_EVERY {
            return;
        }
        self.swept = Instant::now();
        self.sessions.retain(|_, k| k.at.elapsed() < MAX_AGE);
        self.contexts.retain(|_, k| k.at.elapsed() < MAX_AGE);
        self.changed.retain(|_, m| m.at.elapsed() < MAX_AGE);
        self.changed_sessions.retain(|_, m| m.at.elapsed() < MAX_AGE);
        self.changed_dossiers.retain(|_, m| m.at.elapsed() < MAX_AGE);
        self.changed_orgs.retain(|_, m| m.at.elapsed() < MAX_AGE);
    }

    /// Whether a dossier context stamped `stamp` is still what the database holds.
    fn context_current(&self, context: &DossierContext, stamp: u64) -> bool {
        let dossier = &context.dossier;
        stamp >= self.all_changed
            && unmarked(&self.changed_orgs, &dossier.org, stamp)
            && unmarked(&self.changed_dossiers, &(dossier.org, dossier.id), stamp)
    }
}

impl LookupCache {
    /// A cache that keeps lookups (`on`) or keeps nothing until [`LookupCache::set_listening`] turns it on.
    pub fn new(on: bool) -> LookupCache {
        LookupCache {
            inner: Mutex::default(),
            clock: AtomicU64::new(0),
            on: AtomicBool::new(on),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            context_hits: AtomicU64::new(0),
            context_misses: AtomicU64::new(0),
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

    /// Take this before reading a session from the database, and pass it to [`LookupCache::put`].
    pub fn stamp(&self) -> u64 {
        self.clock.load(Ordering::Acquire)
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Whether anything may be answered from memory right now.
    fn answering(&self) -> bool {
        self.on.load(Ordering::Acquire) && self.notifications_arrive()
    }

    /// The lookup of the session with this token hash, if one is kept and nothing changed since it was read.
    pub fn get(&self, id_hash: &[u8]) -> Option<SessionContext> {
        if !self.answering() {
            return None;
        }
        let inner = self.lock();
        let found =
            inner.sessions.get(id_hash).filter(|k| k.at.elapsed() < MAX_AGE && inner.current(&k.value, k.stamp));
        let context = found.map(|k| k.value.clone());
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
        inner.sweep();
        if inner.sessions.len() >= MAX_SESSIONS && !inner.sessions.contains_key(&context.session.id_hash) {
            inner.sessions.clear();
        }
        let kept = Kept { value: context.clone(), stamp, at: Instant::now() };
        inner.sessions.insert(context.session.id_hash.clone(), kept);
    }

    /// The context of this dossier of `org`, if one is kept and nothing it depends on changed since it was read.
    pub fn get_context(&self, org: OrgId, dossier: DossierId) -> Option<DossierContext> {
        if !self.answering() {
            return None;
        }
        let inner = self.lock();
        let found = inner
            .contexts
            .get(&(org, dossier))
            .filter(|k| k.at.elapsed() < MAX_AGE && inner.context_current(&k.value, k.stamp));
        let context = found.map(|k| k.value.clone());
        drop(inner);
        let counter = if context.is_some() { &self.context_hits } else { &self.context_misses };
        counter.fetch_add(1, Ordering::Relaxed);
        context
    }

    /// Keeps a dossier context read from the database after `stamp` was taken, unless it changed since.
    pub fn put_context(&self, stamp: u64, context: &DossierContext) {
        if !self.on.load(Ordering::Acquire) {
            return;
        }
        let mut inner = self.lock();
        if !inner.context_current(context, stamp) {
            return;
        }
        inner.sweep();
        let key = (context.dossier.org, context.dossier.id);
        if inner.contexts.len() >= MAX_CONTEXTS && !inner.contexts.contains_key(&key) {
            inner.contexts.clear();
        }
        inner.contexts.insert(key, Kept { value: context.clone(), stamp, at: Instant::now() });
    }

    /// Marks `user` of `org` as changed: call after the write committed (the sessions, account, role grants or
    /// notifications of that user). Their kept lookups are refused from now on and replaced by the next read.
    pub fn changed(&self, org: OrgId, user: UserId) {
        let mut inner = self.lock();
        let now = self.tick();
        if !note(&mut inner.changed, (org, user), now) {
            Self::forget_marks(&mut inner, now);
        }
    }

    /// Marks one session (by its token hash) as changed, after the write committed.
    pub fn changed_session(&self, id_hash: &[u8]) {
        let mut inner = self.lock();
        let now = self.tick();
        if !note(&mut inner.changed_sessions, id_hash.to_vec(), now) {
            Self::forget_marks(&mut inner, now);
        }
    }

    /// Marks one dossier of `org` as changed (its row or its shares), after the write committed, and forgets
    /// its kept context (an erased dossier's must not linger).
    pub fn changed_dossier(&self, org: OrgId, dossier: DossierId) {
        let mut inner = self.lock();
        let now = self.tick();
        inner.contexts.remove(&(org, dossier));
        if !note(&mut inner.changed_dossiers, (org, dossier), now) {
            Self::forget_marks(&mut inner, now);
        }
    }

    /// Marks every dossier context of one organisation as changed, after the write committed, and forgets
    /// them: for the rare writes that reach many dossiers at once. Its sessions stay.
    pub fn changed_organisation(&self, org: OrgId) {
        let mut inner = self.lock();
        let now = self.tick();
        inner.contexts.retain(|(o, _), _| *o != org);
        if !note(&mut inner.changed_orgs, org, now) {
            Self::forget_marks(&mut inner, now);
        }
    }

    /// Forgetting the marks is safe only together with everything kept before them.
    fn forget_marks(inner: &mut Inner, now: u64) {
        inner.changed.clear();
        inner.changed_sessions.clear();
        inner.changed_dossiers.clear();
        inner.changed_orgs.clear();
        inner.all_changed = now;
        inner.sessions.clear();
        inner.contexts.clear();
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
        self.answering()
    }

    /// Session lookups answered from memory and from the database so far (while on).
    pub fn counts(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }

    /// Dossier contexts answered from memory and from the database so far (while on).
    pub fn context_counts(&self) -> (u64, u64) {
        (self.context_hits.load(Ordering::Relaxed), self.context_misses.load(Ordering::Relaxed))
    }

    /// Marks what a change notification names, a list separated by commas of `org:user` (a user), `d:org:dossier`
    /// (a dossier) and `o:org` (an organisation), or `*` for everything; anything it cannot read marks
    /// everything.
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
        let mut changes = Vec::new();
        for item in payload.split(',') {
            match Change::parse(item) {
                Some(change) => changes.push(change),
                None => return self.changed_all(),
            }
        }
        for change in changes {
            self.mark(&change);
        }
    }

    fn mark(&self, change: &Change) {
        match change {
            Change::User(org, user) => self.changed(*org, *user),
            Change::Session(id_hash) => self.changed_session(id_hash),
            Change::Dossier(org, dossier) => self.changed_dossier(*org, *dossier),
            Change::Organisation(org) => self.changed_organisation(*org),
            Change::Everything => self.changed_all(),
        }
    }
}

/// What a write changes, for [`LookupCache::marking`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A user's sessions, account, role grants or notifications.
    User(OrgId, UserId),
    /// One session, by its token hash.
    Session(Vec<u8>),
    /// One dossier's row or shares.
    Dossier(OrgId, DossierId),
    /// What many dossiers of one organisation show (a route map version, a revoked share, an imported dossier);
    /// its sessions are not affected.
    Organisation(OrgId),
    Everything,
}

impl Change {
    /// One item of a notification: `org:user`, `d:org:dossier`, `o:org` or `*`.
    fn parse(item: &str) -> Option<Change> {
        let id = |s: &str| s.parse::<i64>().ok();
        match item.split(':').collect::<Vec<_>>().as_slice() {
            ["*"] => Some(Change::Everything),
            ["o", org] => Some(Change::Organisation(OrgId(id(org)?))),
            ["d", org, dossier] => Some(Change::Dossier(OrgId(id(org)?), DossierId(id(dossier)?))),
            [org, user] => Some(Change::User(OrgId(id(org)?), UserId(id(user)?))),
            _ => None,
        }
    }
}

/// See [`LookupCache::marking`].
pub struct Marking<'a> {
    cache: &'a LookupCache,
    change: Change,
}

impl Drop for Marking<'_> {
    fn drop(&mut self) {
        self.cache.mark(&self.change);
    }
}

/// The notification channel of changes to what lookups return (PostgreSQL triggers send `org:user`,
/// `d:org:dossier` and `o:org`). Its name is older than the dossier contexts.
pub const LOOKUPS_CHANNEL: &str = "meldroute_sessions";

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;
    use crate::accounts::SessionRecord;
    use crate::ids::{LocationId, PupilId};
    use crate::types::{Dossier, DossierProjection, Location, Pupil, User};
    use meldroute_domain::Sector;

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
        let cache = LookupCache::new(true);
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
        let cache = LookupCache::new(true);
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
        let cache = LookupCache::new(false);
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
        let cache = LookupCache::new(true);
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
        let cache = LookupCache::new(true);
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
        let cache = LookupCache::new(true);
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
        let cache = LookupCache::new(true);
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

    fn dossier(org: i64, id: i64) -> DossierContext {
        let at = OffsetDateTime::UNIX_EPOCH;
        let location = Location { id: LocationId(1), org: OrgId(org), name: "De Linde".into(), sector: Sector::Po };
        DossierContext {
            dossier: Dossier {
                id: DossierId(id),
                org: OrgId(org),
                location: location.id,
                pupil: PupilId(id),
                opened_at: at,
                opened_by: UserId(1),
                projection: DossierProjection {
                    step: 1,
                    closed: false,
                    urgent: false,
                    next_due: None,
                    closed_on: None,
                },
                last_seq: 1,
                updated_at: at,
            },
            pupil: Pupil {
                id: PupilId(id),
                org: OrgId(org),
                location: location.id,
                group: None,
                first_name: "Sam".into(),
                last_name: "Jansen".into(),
                date_of_birth: None,
                family: None,
                external_ref: None,
            },
            pupil_location: location.clone(),
            location,
            shares: vec![],
            received: false,
            route_map_version: None,
        }
    }

    #[test]
    fn a_dossier_context_is_kept_until_its_dossier_or_organisation_changes() {
        let cache = LookupCache::new(true);
        let (a, b, other_org) = (dossier(1, 7), dossier(1, 8), dossier(2, 7));
        for context in [&a, &b, &other_org] {
            cache.put_context(cache.stamp(), context);
        }
        assert_eq!(cache.get_context(OrgId(1), DossierId(7)), Some(a.clone()));
        assert_eq!(cache.get_context(OrgId(1), DossierId(9)), None, "never read");
        drop(cache.marking(Change::Dossier(OrgId(1), DossierId(7))));
        assert_eq!(cache.get_context(OrgId(1), DossierId(7)), None, "the changed dossier is read again");
        assert_eq!(cache.get_context(OrgId(1), DossierId(8)), Some(b.clone()), "another dossier stays");
        assert_eq!(cache.get_context(OrgId(2), DossierId(7)), Some(other_org.clone()), "the same id elsewhere stays");
        // A user's change reaches no dossier; an organisation's reaches all of its dossiers, not its sessions.
        let session = context(1, 10);
        cache.put(cache.stamp(), &session);
        cache.changed(OrgId(1), UserId(1));
        assert_eq!(cache.get_context(OrgId(1), DossierId(8)), Some(b));
        drop(cache.marking(Change::Organisation(OrgId(1))));
        assert_eq!(cache.get_context(OrgId(1), DossierId(8)), None);
        assert_eq!(cache.get(&session.session.id_hash), Some(session));
        assert_eq!(cache.get_context(OrgId(2), DossierId(7)), Some(other_org));
        drop(cache.marking(Change::Everything));
        assert_eq!(cache.get_context(OrgId(2), DossierId(7)), None);
        assert_eq!(cache.context_counts(), (5, 4));
    }

    #[test]
    fn a_dossier_read_that_overlapped_its_change_is_never_kept() {
        let cache = LookupCache::new(true);
        let a = dossier(1, 7);
        let stamp = cache.stamp();
        cache.changed_dossier(OrgId(1), DossierId(7));
        cache.put_context(stamp, &a);
        assert_eq!(cache.get_context(OrgId(1), DossierId(7)), None);
        let stamp = cache.stamp();
        cache.changed_organisation(OrgId(1));
        cache.put_context(stamp, &a);
        assert_eq!(cache.get_context(OrgId(1), DossierId(7)), None);
        cache.put_context(cache.stamp(), &a);
        assert_eq!(cache.get_context(OrgId(1), DossierId(7)), Some(a));
        // Off (not listening): nothing is answered.
        cache.set_listening(false);
        assert_eq!(cache.get_context(OrgId(1), DossierId(7)), None);
    }

    #[test]
    fn notifications_name_dossiers_and_organisations() {
        let cache = LookupCache::new(true);
        let (a, b, c) = (dossier(1, 7), dossier(1, 8), dossier(3, 9));
        let keep_all = |cache: &LookupCache| {
            for context in [&a, &b, &c] {
                cache.put_context(cache.stamp(), context);
            }
        };
        keep_all(&cache);
        cache.on_notification("d:1:7,2:5");
        assert_eq!(cache.get_context(OrgId(1), DossierId(7)), None);
        assert!(cache.get_context(OrgId(1), DossierId(8)).is_some());
        cache.on_notification("o:1");
        assert_eq!(cache.get_context(OrgId(1), DossierId(8)), None);
        assert!(cache.get_context(OrgId(3), DossierId(9)).is_some());
        for unreadable in ["d:1", "d:x:7", "o:", "o:1:2", "x:1:2", "", "1:2:3:4"] {
            keep_all(&cache);
            cache.on_notification(unreadable);
            assert_eq!(cache.get_context(OrgId(3), DossierId(9)), None, "{unreadable:?} marks everything");
        }
        assert_eq!(Change::parse("d:4:5"), Some(Change::Dossier(OrgId(4), DossierId(5))));
        assert_eq!(Change::parse("o:4"), Some(Change::Organisation(OrgId(4))));
        assert_eq!(Change::parse("4:5"), Some(Change::User(OrgId(4), UserId(5))));
        assert_eq!(Change::parse("*"), Some(Change::Everything));
    }

    #[test]
    fn too_many_contexts_forget_the_kept_ones_not_the_marks() {
        let cache = LookupCache::new(true);
        for id in 0..MAX_CONTEXTS as i64 {
            cache.put_context(cache.stamp(), &dossier(1, id));
        }
        assert!(cache.get_context(OrgId(1), DossierId(0)).is_some());
        cache.put_context(cache.stamp(), &dossier(1, -1));
        assert_eq!(cache.get_context(OrgId(1), DossierId(0)), None);
        assert!(cache.get_context(OrgId(1), DossierId(-1)).is_some());
    }

    #[test]
    fn a_changed_dossier_is_forgotten_not_only_refused() {
        let cache = LookupCache::new(true);
        for id in [7, 8] {
            cache.put_context(cache.stamp(), &dossier(1, id));
        }
        cache.put_context(cache.stamp(), &dossier(2, 7));
        cache.changed_dossier(OrgId(1), DossierId(7));
        assert!(!cache.lock().contexts.contains_key(&(OrgId(1), DossierId(7))), "an erased pupil's name goes");
        cache.changed_organisation(OrgId(1));
        let kept: Vec<_> = cache.lock().contexts.keys().copied().collect();
        assert_eq!(kept, vec![(OrgId(2), DossierId(7))]);
    }

    #[test]
    fn lookups_and_marks_past_the_age_limit_are_swept() {
        let cache = LookupCache::new(true);
        let long_ago = |i: Instant| i.checked_sub(MAX_AGE + Duration::from_secs(1)).unwrap_or(i);
        let stamp = cache.stamp();
        cache.put_context(stamp, &dossier(1, 7));
        cache.changed_dossier(OrgId(1), DossierId(8));
        cache.changed(OrgId(1), UserId(3));
        {
            let mut guard = cache.lock();
            let inner = &mut *guard;
            for kept in inner.contexts.values_mut() {
                kept.at = long_ago(kept.at);
            }
            for mark in inner.changed_dossiers.values_mut().chain(inner.changed.values_mut()) {
                mark.at = long_ago(mark.at);
            }
            inner.swept = long_ago(inner.swept);
        }
        // The next keep sweeps: the old lookup and both old marks are gone, the new lookup stays.
        cache.put_context(cache.stamp(), &dossier(1, 9));
        let inner = cache.lock();
        assert_eq!(inner.contexts.keys().copied().collect::<Vec<_>>(), vec![(OrgId(1), DossierId(9))]);
        assert!(inner.changed_dossiers.is_empty() && inner.changed.is_empty());
    }
}
