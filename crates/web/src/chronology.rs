//! Decoded chronologies kept in memory, so that showing a dossier, or appending to it, does not read and
//! decode every entry again (the largest part of a page's work and most of an append's, measured in
//! docs/performance.md).
//!
//! A chronology only grows: the entries up to sequence number `n` of a dossier never change. So a cached
//! chronology is used only when the dossier row just read (always from the database) still ends at the
//! same `last_seq`, and belongs to the same pupil with the same opening moment. Anything else is a miss and
//! reads the database, which stays the only source of truth; this holds for several nodes on one
//! PostgreSQL too, where another node's append simply moves `last_seq` on.
//!
//! Next to each chronology the cache keeps, per language, what a page shows of its entries
//! ([`EntryText`]: labels, values and dates, the same for everyone allowed to see the entry), rendered once.
//! They cover the first entries of the chronology; since entries never change, an append leaves them valid,
//! and a page renders only the entries beyond them.
//!
//! Erasure is the one way rows disappear (ids are never handed out again: SQLite migration 0014).
//! [`Chronologies::erasing`] is called before and after every erasure: it empties the cache (no erased text
//! stays in this process's memory) and moves an epoch on, and a chronology read before the epoch moved is
//! never stored after it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use meldroute_domain::access::EntryKindFilter;
use meldroute_domain::{Entry, EntryKind, FoldContext};
use meldroute_i18n::Lang;
use meldroute_store::{Dossier, DossierId, LocationId, OrgId, PupilId};
use time::OffsetDateTime;

use crate::dossier_pages::EntryText;

/// How many dossiers, and how many entries and bytes (the entries' encoded size and their rendered texts) in
/// all, are kept.
const MAX_DOSSIERS: usize = 2_000;
const MAX_ENTRIES: usize = 100_000;
const MAX_BYTES: usize = 32 << 20;
/// How many renderings of a chronology's list ([`ListKey`]), and how many of its panel ([`PanelKey`]), are kept
/// per chronology; a new one replaces the one kept longest.
const MAX_RENDERINGS: usize = 4;

pub struct Chronologies {
    inner: Mutex<Inner>,
    epoch: AtomicU64,
    max_dossiers: usize,
    max_entries: usize,
    max_bytes: usize,
}

#[derive(Default)]
struct Inner {
    map: HashMap<(OrgId, DossierId), Cached>,
    entries: usize,
    bytes: usize,
    /// Moves on with every use, for evicting the chronology used longest ago.
    clock: u64,
}

struct Cached {
    last_seq: i64,
    pupil: PupilId,
    opened_at: OffsetDateTime,
    entries: Arc<Vec<Entry>>,
    bytes: usize,
    texts: Rendered,
    /// The chronology list as HTML, per [`ListKey`], for exactly this state.
    lists: Renderings<ListKey>,
    /// The dossier page's panel as HTML, per [`PanelKey`], for exactly this state.
    panels: Renderings<PanelKey>,
    used: u64,
}

impl Cached {
    /// What this chronology counts against the byte bound.
    fn size(&self) -> usize {
        self.bytes + self.texts.bytes() + self.lists.bytes() + self.panels.bytes()
    }

    fn is(&self, dossier: &Dossier) -> bool {
        self.last_seq == dossier.last_seq && self.pupil == dossier.pupil && self.opened_at == dossier.opened_at
    }
}

/// A cached chronology, its encoded size, and its entries' texts as far as rendered (all three for
/// [`Chronologies::put`] after an append).
#[derive(Clone)]
pub struct Chronology {
    pub entries: Arc<Vec<Entry>>,
    pub bytes: usize,
    pub texts: Rendered,
}

/// The texts of the first entries of a chronology in one language, and their size in bytes.
#[derive(Clone, Default)]
pub struct Texts {
    pub entries: Arc<Vec<Arc<EntryText>>>,
    pub bytes: usize,
}

/// [`Texts`] per language, where rendered.
#[derive(Clone, Default)]
pub struct Rendered([Option<Texts>; 2]);

impl Rendered {
    fn slot(lang: Lang) -> usize {
        match lang {
            Lang::Nl => 0,
            Lang::En => 1,
        }
    }

    pub fn get(&self, lang: Lang) -> Option<&Texts> {
        self.0[Self::slot(lang)].as_ref()
    }

    fn bytes(&self) -> usize {
        self.0.iter().flatten().map(|t| t.bytes).sum()
    }
}

/// Everything a rendering of a chronology's list depends on besides the chronology itself (its dossier, entries,
/// their texts, authors and corrections): the viewer's language, which entries the viewer may see, the kind
/// asked for, and whether the viewer gets links to correct entries. Two viewers with the same key see the
/// very same list, so the HTML is rendered once per key and kept with the chronology
/// ([`Chronologies::list`], [`Chronologies::put_list`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListKey {
    pub lang: Lang,
    pub filter: EntryKindFilter,
    pub kind: Option<EntryKind>,
    pub correction_links: bool,
}

/// Everything the dossier page's panel (step, next actions, deadlines, who acts, steps taken) depends on besides
/// the chronology: the language, the day (a deadline before it is overdue), whether the viewer gets the
/// limited view, what the fold needs besides the entries, and the location's route map version. Two
/// viewers with the same key see the very same panel ([`Chronologies::panel`], [`Chronologies::put_panel`]).
/// A location's sector (which chooses the default route map of a location without one) is not in it: no
/// code changes a location's sector. Whatever else the panel comes to show must join this key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelKey {
    pub lang: Lang,
    pub today: time::Date,
    pub limited: bool,
    pub ctx: FoldContext,
    pub location: LocationId,
    pub route_map_version: Option<i64>,
}

/// HTML rendered from one chronology state, per key: at most [`MAX_RENDERINGS`], a new one replacing the one
/// kept longest.
struct Renderings<K>(Vec<(K, Arc<str>)>);

impl<K> Default for Renderings<K> {
    fn default() -> Self {
        Renderings(Vec::new())
    }
}

impl<K: PartialEq> Renderings<K> {
    fn get(&self, key: &K) -> Option<Arc<str>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, html)| html.clone())
    }

    fn bytes(&self) -> usize {
        self.0.iter().map(|(_, html)| html.len()).sum()
    }

    /// Adds `html` for `key` unless one is kept for it already; gives what it evicted to make room.
    fn put(&mut self, key: K, html: Arc<str>) -> Option<Option<Arc<str>>> {
        if self.0.iter().any(|(k, _)| *k == key) {
            return None;
        }
        let oldest = (self.0.len() >= MAX_RENDERINGS).then(|| self.0.remove(0).1);
        self.0.push((key, html));
        Some(oldest)
    }
}

/// See [`Chronologies::erasure_guard`].
pub struct ErasureGuard<'a>(&'a Chronologies);

impl Drop for ErasureGuard<'_> {
    fn drop(&mut self) {
        self.0.erasing();
    }
}

/// The moment a chronology was read, as [`Chronologies::epoch`] gave it; needed to store it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epoch(u64);

impl Default for Chronologies {
    fn default() -> Self {
        Chronologies::with_limits(MAX_DOSSIERS, MAX_ENTRIES, MAX_BYTES)
    }
}

impl Chronologies {
    pub fn with_limits(max_dossiers: usize, max_entries: usize, max_bytes: usize) -> Chronologies {
        Chronologies { inner: Mutex::default(), epoch: AtomicU64::new(0), max_dossiers, max_entries, max_bytes }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves a consistent map (every change is one call).
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Take this before reading a chronology from the database, and pass it to [`Chronologies::put`].
    pub fn epoch(&self) -> Epoch {
        Epoch(self.epoch.load(Ordering::Acquire))
    }

    /// The chronology of `dossier` (a row just read) if it is cached at exactly that state.
    pub fn get(&self, dossier: &Dossier) -> Option<Chronology> {
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        let cached = inner.map.get_mut(&(dossier.org, dossier.id)).filter(|c| c.is(dossier))?;
        cached.used = now;
        Some(Chronology { entries: cached.entries.clone(), bytes: cached.bytes, texts: cached.texts.clone() })
    }

    /// Keeps `chronology` as that of `dossier` up to `last_seq`, unless an erasure began since `epoch` was
    /// taken, or the chronology alone is larger than the whole cache.
    /// Texts of more entries than the chronology has are not kept.
    pub fn put(&self, dossier: &Dossier, last_seq: i64, epoch: Epoch, chronology: Chronology) {
        let Chronology { entries, bytes, mut texts } = chronology;
        for slot in &mut texts.0 {
            if slot.as_ref().is_some_and(|t| t.entries.len() > entries.len()) {
                *slot = None;
            }
        }
        if entries.len() > self.max_entries || bytes + texts.bytes() > self.max_bytes || self.max_dossiers == 0 {
            return;
        }
        let mut evicted = Vec::new();
        let mut inner = self.lock();
        // Checked under the lock: `erasing` moves the epoch on and empties the map under the same lock.
        if self.epoch() != epoch {
            return;
        }
        inner.clock += 1;
        let used = inner.clock;
        let added = entries.len();
        let cached = Cached {
            last_seq,
            pupil: dossier.pupil,
            opened_at: dossier.opened_at,
            entries,
            bytes,
            texts,
            lists: Renderings::default(),
            panels: Renderings::default(),
            used,
        };
        let size = cached.size();
        if let Some(old) = inner.map.insert((dossier.org, dossier.id), cached) {
            inner.entries -= old.entries.len();
            inner.bytes -= old.size();
            evicted.push(old);
        }
        inner.entries += added;
        inner.bytes += size;
        self.shrink(&mut inner, &mut evicted);
        drop(inner);
        // Freed here, outside the lock.
        drop(evicted);
    }

    /// Keeps `texts` as the texts in `lang` of `dossier`'s entries, if the cache holds exactly that state (the
    /// one whose entries were rendered), no erasure began since `epoch`, and they cover more entries than the
    /// texts kept so far.
    pub fn put_texts(&self, dossier: &Dossier, epoch: Epoch, lang: Lang, texts: Texts) {
        let mut evicted = Vec::new();
        let mut inner = self.lock();
        if self.epoch() != epoch {
            return;
        }
        let Some(cached) = inner.map.get_mut(&(dossier.org, dossier.id)).filter(|c| c.is(dossier)) else { return };
        let slot = &mut cached.texts.0[Rendered::slot(lang)];
        if texts.entries.len() > cached.entries.len()
            || slot.as_ref().is_some_and(|t| t.entries.len() >= texts.entries.len())
        {
            return;
        }
        let (added, old) = (texts.bytes, slot.replace(texts));
        let removed = old.as_ref().map_or(0, |t| t.bytes);
        inner.bytes = inner.bytes + added - removed;
        self.shrink(&mut inner, &mut evicted);
        drop(inner);
        // Freed here, outside the lock.
        drop(old);
        drop(evicted);
    }

    /// The list of `dossier` (a row just read) rendered for `key`, if the cache holds exactly that state.
    pub fn list(&self, dossier: &Dossier, key: &ListKey) -> Option<Arc<str>> {
        self.rendered(dossier, |c| c.lists.get(key))
    }

    /// Keeps `html` as the list of `dossier` rendered for `key`, if the cache holds exactly that state (the one
    /// whose entries were rendered) and no erasure began since `epoch`.
    pub fn put_list(&self, dossier: &Dossier, epoch: Epoch, key: ListKey, html: Arc<str>) {
        self.put_rendered(dossier, epoch, |c| c.lists.put(key, html));
    }

    /// The panel of `dossier` (a row just read) rendered for `key`, if the cache holds exactly that state.
    pub fn panel(&self, dossier: &Dossier, key: &PanelKey) -> Option<Arc<str>> {
        self.rendered(dossier, |c| c.panels.get(key))
    }

    /// Keeps `html` as the panel of `dossier` rendered for `key`, under the same conditions as
    /// [`Chronologies::put_list`].
    pub fn put_panel(&self, dossier: &Dossier, epoch: Epoch, key: PanelKey, html: Arc<str>) {
        self.put_rendered(dossier, epoch, |c| c.panels.put(key, html));
    }

    fn rendered(&self, dossier: &Dossier, get: impl FnOnce(&Cached) -> Option<Arc<str>>) -> Option<Arc<str>> {
        let inner = self.lock();
        inner.map.get(&(dossier.org, dossier.id)).filter(|c| c.is(dossier)).and_then(get)
    }

    /// Adds a rendering with `put` (which gives what it evicted, or `None` when the key was there already) to
    /// the chronology of `dossier` if the cache holds exactly that state and no erasure began since `epoch`.
    fn put_rendered(&self, dossier: &Dossier, epoch: Epoch, put: impl FnOnce(&mut Cached) -> Option<Option<Arc<str>>>) {
        let mut inner = self.lock();
        if self.epoch() != epoch {
            return;
        }
        let Some(cached) = inner.map.get_mut(&(dossier.org, dossier.id)).filter(|c| c.is(dossier)) else { return };
        let before = cached.size();
        let Some(evicted) = put(cached) else { return };
        let after = cached.size();
        inner.bytes = inner.bytes + after - before;
        let mut gone = Vec::new();
        self.shrink(&mut inner, &mut gone);
        drop(inner);
        // Freed here, outside the lock.
        drop(evicted);
        drop(gone);
    }

    /// Evicts the chronologies used longest ago until the cache is within its bounds.
    fn shrink(&self, inner: &mut Inner, evicted: &mut Vec<Cached>) {
        while inner.map.len() > self.max_dossiers || inner.entries > self.max_entries || inner.bytes > self.max_bytes {
            let Some(oldest) = inner.map.iter().min_by_key(|(_, c)| c.used).map(|(k, _)| *k) else { break };
            if let Some(gone) = inner.map.remove(&oldest) {
                inner.entries -= gone.entries.len();
                inner.bytes -= gone.size();
                evicted.push(gone);
            }
        }
    }

    /// Forgets the chronology of `dossier` if it is cached at exactly that state. An append calls this before
    /// extending the chronology it loaded: with no other reference left, the entries are then extended in place
    /// instead of copied one by one, and the append stores the result again (with the texts it loaded) once it
    /// is written.
    pub fn remove(&self, dossier: &Dossier) {
        let mut inner = self.lock();
        let key = (dossier.org, dossier.id);
        let exact = inner.map.get(&key).is_some_and(|c| c.is(dossier));
        let gone = if exact { inner.map.remove(&key) } else { None };
        if let Some(gone) = &gone {
            inner.entries -= gone.entries.len();
            inner.bytes -= gone.size();
        }
        drop(inner);
        // Freed here, outside the lock.
        drop(gone);
    }

    /// Call before and after erasing a dossier: forgets every cached chronology and refuses to store any
    /// read before now.
    pub fn erasing(&self) {
        let mut inner = self.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        let forgotten = std::mem::take(&mut *inner);
        drop(inner);
        // Freed here, outside the lock.
        drop(forgotten);
    }

    /// [`Chronologies::erasing`] now and again when the guard is dropped. The erasure handler holds it in a task
    /// of its own until the writer has answered, so the second emptying also follows an erasure whose request
    /// was cancelled (the erasure itself still commits).
    pub fn erasure_guard(&self) -> ErasureGuard<'_> {
        self.erasing();
        ErasureGuard(self)
    }

    /// How many dossiers are cached (for tests and metrics).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use meldroute_domain::{EntryBody, EntryId, UserRef};
    use meldroute_store::{DossierProjection, LocationId, UserId};
    use time::macros::datetime;

    use super::*;

    fn dossier(id: i64, last_seq: i64) -> Dossier {
        Dossier {
            id: DossierId(id),
            org: OrgId(1),
            location: LocationId(1),
            pupil: PupilId(10 + id),
            opened_at: datetime!(2026-03-02 09:00 UTC),
            opened_by: UserId(1),
            projection: DossierProjection { step: 1, closed: false, urgent: false, next_due: None, closed_on: None },
            last_seq,
            updated_at: datetime!(2026-03-02 09:00 UTC),
        }
    }

    fn chronology(n: usize) -> Chronology {
        Chronology { entries: entries(n), bytes: 100 * n, texts: Rendered::default() }
    }

    fn entries(n: usize) -> Arc<Vec<Entry>> {
        let body: EntryBody = serde_json::from_value(serde_json::json!({
            "kind": "observation", "facts": "Kwam zonder jas.", "interpretation": null, "source": "own_observation",
            "source_detail": null, "categories": ["child_physical"], "also_noticed_by": [],
            "concerns_staff_sexual_misconduct": false
        }))
        .unwrap();
        Arc::new(
            (1..=n)
                .map(|seq| Entry {
                    id: EntryId(seq as i64),
                    seq: seq as u32,
                    recorded_at: datetime!(2026-03-02 09:00 UTC),
                    occurred_on: None,
                    author: UserRef(1),
                    body: body.clone(),
                })
                .collect(),
        )
    }

    #[test]
    fn only_the_exact_state_is_a_hit() {
        let cache = Chronologies::default();
        let d = dossier(7, 3);
        cache.put(&d, 3, cache.epoch(), chronology(3));
        assert_eq!(cache.get(&d).map(|c| c.entries.len()), Some(3));
        // Another entry landed (here or on another node): a miss.
        assert!(cache.get(&dossier(7, 4)).is_none());
        // The same id for another pupil, or opened at another moment (an id SQLite handed out again): a miss.
        assert!(cache.get(&Dossier { pupil: PupilId(99), ..d.clone() }).is_none());
        assert!(cache.get(&Dossier { opened_at: datetime!(2026-03-03 09:00 UTC), ..d.clone() }).is_none());
        // Another organisation's dossier with the same id: a miss.
        assert!(cache.get(&Dossier { org: OrgId(2), ..d.clone() }).is_none());
    }

    #[test]
    fn an_erasure_empties_the_cache_and_refuses_what_was_read_before_it() {
        let cache = Chronologies::default();
        let d = dossier(7, 3);
        cache.put(&d, 3, cache.epoch(), chronology(3));
        let read_before = cache.epoch();
        cache.erasing();
        assert!(cache.is_empty());
        assert!(cache.get(&d).is_none());
        // A chronology read while the erasure was under way is not stored afterwards.
        cache.put(&d, 3, read_before, chronology(3));
        assert!(cache.get(&d).is_none());
        // One read after it is.
        cache.put(&d, 3, cache.epoch(), chronology(3));
        assert!(cache.get(&d).is_some());
    }

    #[test]
    fn the_least_recently_used_chronology_goes_first() {
        let cache = Chronologies::with_limits(2, 100, 1 << 20);
        let (a, b, c) = (dossier(1, 1), dossier(2, 1), dossier(3, 1));
        cache.put(&a, 1, cache.epoch(), chronology(1));
        cache.put(&b, 1, cache.epoch(), chronology(1));
        assert!(cache.get(&a).is_some());
        cache.put(&c, 1, cache.epoch(), chronology(1));
        assert!(cache.get(&a).is_some());
        assert!(cache.get(&b).is_none(), "b was used longest ago");
        assert!(cache.get(&c).is_some());
    }

    #[test]
    fn the_number_of_entries_is_bounded() {
        let cache = Chronologies::with_limits(100, 10, 1 << 20);
        cache.put(&dossier(1, 6), 6, cache.epoch(), chronology(6));
        cache.put(&dossier(2, 6), 6, cache.epoch(), chronology(6));
        assert_eq!(cache.len(), 1);
        assert!(cache.get(&dossier(2, 6)).is_some());
        // A chronology larger than the whole cache is not kept at all.
        cache.put(&dossier(3, 11), 11, cache.epoch(), chronology(11));
        assert!(cache.get(&dossier(3, 11)).is_none());
        assert!(cache.get(&dossier(2, 6)).is_some());
    }

    #[test]
    fn the_stored_size_is_bounded() {
        let cache = Chronologies::with_limits(100, 1_000, 1_000);
        cache.put(&dossier(1, 6), 6, cache.epoch(), chronology(6));
        cache.put(&dossier(2, 6), 6, cache.epoch(), chronology(6));
        assert_eq!(cache.len(), 1, "600 + 600 bytes is over the limit");
        cache.put(&dossier(3, 11), 11, cache.epoch(), chronology(11));
        assert!(cache.get(&dossier(3, 11)).is_none(), "1,100 bytes alone is over the limit");
    }

    #[test]
    fn an_append_takes_out_only_the_state_it_extends() {
        let cache = Chronologies::with_limits(100, 10, 1 << 20);
        let d = dossier(7, 3);
        cache.put(&d, 3, cache.epoch(), chronology(3));
        // Another state of the same dossier (another node appended, or the id was handed out again): kept.
        cache.remove(&dossier(7, 2));
        cache.remove(&Dossier { pupil: PupilId(99), ..d.clone() });
        let loaded = cache.get(&d).unwrap();
        cache.remove(&d);
        assert!(cache.get(&d).is_none());
        // With the cache's reference gone, the loaded entries are the only ones: extended without a copy.
        let buffer = loaded.entries.as_ptr();
        let mut extended = Arc::unwrap_or_clone(loaded.entries);
        assert_eq!(extended.as_ptr(), buffer, "the same entries, not a copy");
        extended.extend(entries(1).iter().cloned());
        // The entry count was given back: the 4 extended entries and 6 more still fit the bound of 10.
        let extended = Chronology { entries: Arc::new(extended), bytes: 400, texts: Rendered::default() };
        cache.put(&dossier(7, 4), 4, cache.epoch(), extended);
        cache.put(&dossier(8, 6), 6, cache.epoch(), chronology(6));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn a_dropped_erasure_guard_still_empties_the_cache() {
        let cache = Chronologies::default();
        let d = dossier(7, 3);
        let guard = cache.erasure_guard();
        // Read while the erasure is under way, stored before it commits.
        cache.put(&d, 3, cache.epoch(), chronology(3));
        assert!(cache.get(&d).is_some());
        drop(guard);
        assert!(cache.get(&d).is_none());
    }

    fn texts(n: usize, bytes: usize) -> Texts {
        let text = |seq: usize| EntryText {
            kind_label: "Signaal".into(),
            recorded: format!("2 maart 2026 10:0{seq}"),
            occurred: String::new(),
            fields: vec![],
            attachment: None,
        };
        Texts { entries: Arc::new((1..=n).map(|seq| Arc::new(text(seq))).collect()), bytes }
    }

    fn text_count(cache: &Chronologies, d: &Dossier, lang: Lang) -> Option<usize> {
        cache.get(d)?.texts.get(lang).map(|t| t.entries.len())
    }

    #[test]
    fn texts_are_kept_only_for_the_exact_state_and_per_language() {
        let cache = Chronologies::default();
        let d = dossier(7, 3);
        cache.put(&d, 3, cache.epoch(), chronology(3));
        assert_eq!(text_count(&cache, &d, Lang::Nl), None);
        // Rendered from an older state of the dossier (another entry landed since): not kept.
        cache.put_texts(&dossier(7, 2), cache.epoch(), Lang::Nl, texts(2, 10));
        assert_eq!(text_count(&cache, &d, Lang::Nl), None);
        // Read before an erasure began: not kept.
        let before = cache.epoch();
        cache.erasing();
        cache.put(&d, 3, cache.epoch(), chronology(3));
        cache.put_texts(&d, before, Lang::Nl, texts(3, 10));
        assert_eq!(text_count(&cache, &d, Lang::Nl), None);
        // The exact state: kept, for that language only.
        cache.put_texts(&d, cache.epoch(), Lang::Nl, texts(3, 10));
        assert_eq!(text_count(&cache, &d, Lang::Nl), Some(3));
        assert_eq!(text_count(&cache, &d, Lang::En), None);
        // Fewer texts than kept, or more than there are entries: ignored.
        cache.put_texts(&d, cache.epoch(), Lang::Nl, texts(2, 10));
        cache.put_texts(&d, cache.epoch(), Lang::En, texts(4, 10));
        assert_eq!(text_count(&cache, &d, Lang::Nl), Some(3));
        assert_eq!(text_count(&cache, &d, Lang::En), None);
    }

    #[test]
    fn an_append_keeps_the_texts_of_the_entries_before_it() {
        let cache = Chronologies::default();
        let d = dossier(7, 3);
        cache.put(&d, 3, cache.epoch(), chronology(3));
        cache.put_texts(&d, cache.epoch(), Lang::Nl, texts(3, 10));
        let loaded = cache.get(&d).unwrap();
        cache.remove(&d);
        let mut extended = Arc::unwrap_or_clone(loaded.entries);
        extended.extend(entries(1).iter().cloned());
        let next = dossier(7, 4);
        cache.put(&next, 4, cache.epoch(), Chronology { entries: Arc::new(extended), bytes: 400, texts: loaded.texts });
        // The first three still hold; a page renders the fourth and stores all four.
        assert_eq!(text_count(&cache, &next, Lang::Nl), Some(3));
        cache.put_texts(&next, cache.epoch(), Lang::Nl, texts(4, 12));
        assert_eq!(text_count(&cache, &next, Lang::Nl), Some(4));
        // Texts longer than the chronology they are stored with are dropped, never shown for other entries.
        let more = cache.get(&next).unwrap().texts;
        cache.put(&dossier(8, 2), 2, cache.epoch(), Chronology { entries: entries(2), bytes: 200, texts: more });
        assert_eq!(text_count(&cache, &dossier(8, 2), Lang::Nl), None);
    }

    #[test]
    fn texts_count_against_the_byte_bound() {
        let cache = Chronologies::with_limits(100, 1_000, 1_000);
        cache.put(&dossier(1, 3), 3, cache.epoch(), chronology(3));
        cache.put(&dossier(2, 3), 3, cache.epoch(), chronology(3));
        assert_eq!(cache.len(), 2, "300 + 300 bytes fit");
        let _ = cache.get(&dossier(2, 3));
        cache.put_texts(&dossier(2, 3), cache.epoch(), Lang::Nl, texts(3, 500));
        assert_eq!(cache.len(), 1, "with 500 bytes of texts the one used longest ago goes");
        assert_eq!(text_count(&cache, &dossier(2, 3), Lang::Nl), Some(3));
        // Everything removed gives its bytes back: the texts too.
        cache.remove(&dossier(2, 3));
        cache.put(&dossier(3, 3), 3, cache.epoch(), chronology(3));
        cache.put(&dossier(4, 3), 3, cache.epoch(), chronology(3));
        assert_eq!(cache.len(), 2);
    }

    fn panel_key(day: u8) -> PanelKey {
        PanelKey {
            lang: Lang::Nl,
            today: time::Date::from_calendar_date(2026, time::Month::March, day).unwrap(),
            limited: false,
            ctx: FoldContext {
                sector: meldroute_domain::Sector::Po,
                pupil_age: Some(9),
                calendar: meldroute_domain::Calendar::new(),
            },
            location: LocationId(1),
            route_map_version: Some(2),
        }
    }

    #[test]
    fn a_panel_is_kept_for_the_exact_state_and_key_only() {
        let cache = Chronologies::default();
        let d = dossier(7, 3);
        cache.put(&d, 3, cache.epoch(), chronology(3));
        let key = panel_key(2);
        // Rendered from an older state, or read before an erasure began: not kept.
        cache.put_panel(&dossier(7, 2), cache.epoch(), key.clone(), "old".into());
        assert!(cache.panel(&d, &key).is_none());
        let before = cache.epoch();
        cache.erasing();
        cache.put(&d, 3, cache.epoch(), chronology(3));
        cache.put_panel(&d, before, key.clone(), "before".into());
        assert!(cache.panel(&d, &key).is_none());
        // The exact state: kept, and found only with the very same key.
        cache.put_panel(&d, cache.epoch(), key.clone(), "panel".into());
        assert_eq!(cache.panel(&d, &key).as_deref(), Some("panel"));
        let others = [
            panel_key(3),
            PanelKey { lang: Lang::En, ..key.clone() },
            PanelKey { limited: true, ..key.clone() },
            PanelKey { route_map_version: Some(3), ..key.clone() },
            PanelKey { location: LocationId(2), ..key.clone() },
            PanelKey { ctx: FoldContext { pupil_age: Some(12), ..key.ctx.clone() }, ..key.clone() },
        ];
        for other in &others {
            assert!(cache.panel(&d, other).is_none(), "{other:?}");
        }
        // Another entry landed: the state differs, so does the panel.
        assert!(cache.panel(&dossier(7, 4), &key).is_none());
        // A chronology keeps a few renderings; a new one replaces the one kept longest.
        for (n, other) in others.iter().enumerate().take(MAX_RENDERINGS) {
            cache.put_panel(&d, cache.epoch(), other.clone(), format!("panel {n}").into());
        }
        assert!(cache.panel(&d, &key).is_none());
        assert_eq!(cache.panel(&d, &others[MAX_RENDERINGS - 1]).as_deref(), Some("panel 3"));
        // An erasure forgets them with the chronology.
        cache.erasing();
        assert!(cache.panel(&d, &others[0]).is_none());
    }

    #[test]
    fn panels_count_against_the_byte_bound() {
        let cache = Chronologies::with_limits(100, 1_000, 1_000);
        cache.put(&dossier(1, 3), 3, cache.epoch(), chronology(3));
        cache.put(&dossier(2, 3), 3, cache.epoch(), chronology(3));
        let _ = cache.get(&dossier(2, 3));
        cache.put_panel(&dossier(2, 3), cache.epoch(), panel_key(2), "x".repeat(500).into());
        assert_eq!(cache.len(), 1, "with a 500-byte panel the one used longest ago goes");
        assert!(cache.panel(&dossier(2, 3), &panel_key(2)).is_some());
        // Removing the chronology gives the panel's bytes back.
        cache.remove(&dossier(2, 3));
        cache.put(&dossier(3, 3), 3, cache.epoch(), chronology(3));
        cache.put(&dossier(4, 3), 3, cache.epoch(), chronology(3));
        assert_eq!(cache.len(), 2);
    }
}
