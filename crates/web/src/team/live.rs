//! Live updates of team sessions: a change (an answer, a control) is announced on a broadcast channel of
//! this node; every open server-sent-events stream of that session then sends its audience the current
//! state. A stream starts with the current state, so a reload or a reconnect never misses anything.
//!
//! Many answers at once must not make many database reads: changes bump a per-session generation, and the
//! first stream that needs a newer snapshot loads it once for all (the others wait for it and share it).
//! Streams send at most a few updates per second and only when what they show changed.
//!
//! Across nodes (PostgreSQL), [`TeamHub::changed`] is also published through the database's notification
//! channel; each node's listener feeds it into its own hub (see `meldroute::serve`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use meldroute_domain::team_casework::{CaseField, DraftStep, FieldText, draft_route_map};
use meldroute_domain::team_session::{AnswerValue, Level, PollResult, RankedPoint, RunState, SessionPlan, rank, tally};
use meldroute_store::*;
use tokio::sync::{broadcast, watch};

use crate::AppState;

/// Least time between two updates of one stream.
pub const MIN_INTERVAL: Duration = Duration::from_millis(250);
/// A stream ends after this long; the browser reconnects and starts from the current state.
pub const MAX_STREAM: Duration = Duration::from_secs(30 * 60);
/// Streams open at once on this node (presenters and participants together).
pub const MAX_STREAMS: usize = 2000;
/// Streams one holder (a participant, or a staff member) may keep open on this node: a few tabs or screens.
/// A further one ends the holder's oldest, so a phone that lost its connection a few times (leaving streams
/// the server has not yet noticed are dead) still gets live updates, and one cookie cannot take the node's
/// streams.
pub const MAX_STREAMS_PER_HOLDER: usize = 4;
/// Streams of one session on this node: its 500 participants and a few screens of its facilitators, so one
/// join code cannot take every stream of the node.
pub const MAX_STREAMS_PER_SESSION: usize = 600;

/// What every audience's view is computed from.
pub struct Snapshot {
    pub session: TeamSession,
    pub plan: SessionPlan,
    pub run: RunState,
    pub results: Vec<PollResult>,
    pub participants: i64,
    /// The action points, most dots first.
    pub points: Vec<RankedPoint>,
    /// How many case work groups there are.
    pub groups: usize,
    /// What the groups collected per worksheet step (the draft route map).
    pub draft: Vec<DraftStep>,
}

impl Snapshot {
    pub async fn load(state: &AppState, tenant: &TenantCtx, id: TeamSessionId) -> StoreResult<Snapshot> {
        let session = state.db.get_team_session(tenant, id).await?;
        let plan: SessionPlan = serde_json::from_str(&session.plan)
            .map_err(|e| StoreError::Other(format!("stored team plan does not parse at line {}", e.line())))?;
        let run: RunState = serde_json::from_str(&session.state)
            .map_err(|e| StoreError::Other(format!("stored team state does not parse at line {}", e.line())))?;
        let answers = state.db.list_team_answers(tenant, id).await?;
        let results = plan
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let values: Vec<AnswerValue> = answers
                    .iter()
                    .filter(|a| a.question == i as i64)
                    .filter_map(|a| serde_json::from_str(&a.value).ok())
                    .collect();
                tally(q.kind, &values)
            })
            .collect();
        let participants = state.db.count_team_participants(tenant, id).await?;
        let dots = state.db.list_team_dots(tenant, id).await?;
        let points = rank(
            state
                .db
                .list_team_points(tenant, id)
                .await?
                .into_iter()
                .filter_map(|p| {
                    let level = Level::parse(&p.level)?;
                    let dots = dots.iter().filter(|d| d.point == p.id).count() as u32;
                    Some(RankedPoint { id: p.id, text: p.text, level, dots })
                })
                .collect(),
        );
        let groups = state.db.list_team_groups(tenant, id).await?.len();
        let fields: Vec<FieldText> = state
            .db
            .list_team_group_fields(tenant, id)
            .await?
            .into_iter()
            .filter_map(|f| {
                Some(FieldText {
                    step: usize::try_from(f.step).ok()?,
                    field: CaseField::parse(&f.field)?,
                    text: f.text,
                })
            })
            .collect();
        let draft = draft_route_map(&plan.worksheet, &fields);
        Ok(Snapshot { session, plan, run, results, participants, points, groups, draft })
    }
}

#[derive(Default)]
struct Slot {
    generation: AtomicU64,
    cached: tokio::sync::Mutex<Option<(u64, Arc<Snapshot>)>>,
}

/// One open stream as its holder's list keeps it: the node's place it takes, and the signal that ends it.
struct OpenStream {
    id: u64,
    end: watch::Sender<bool>,
    _node: tokio::sync::OwnedSemaphorePermit,
}

/// Per holder and session, its open streams, oldest first.
type Holders = Arc<Mutex<HashMap<(String, i64), std::collections::VecDeque<OpenStream>>>>;

/// The node's live hub. Cheap to share (`Arc`).
pub struct TeamHub {
    changes: broadcast::Sender<i64>,
    slots: Mutex<HashMap<i64, Arc<Slot>>>,
    shutdown: watch::Sender<bool>,
    streams: Arc<tokio::sync::Semaphore>,
    /// Per holder, its open streams (oldest first): an id and the signal that ends it.
    holders: Holders,
    next_stream: AtomicU64,
    /// Set by the PostgreSQL listener's owner: publishes a change to the other nodes.
    publish: Mutex<Option<tokio::sync::mpsc::UnboundedSender<i64>>>,
    /// Request limits of the public participant routes.
    pub limiter: super::participant::Limiter,
    /// This node's random id, so it can ignore its own notifications coming back from the database.
    node: String,
}

/// The database notification channel of team session changes.
pub const CHANNEL: &str = "meldroute_team_session";

impl Default for TeamHub {
    fn default() -> Self {
        TeamHub {
            changes: broadcast::channel(1024).0,
            slots: Mutex::new(HashMap::new()),
            shutdown: watch::channel(false).0,
            streams: Arc::new(tokio::sync::Semaphore::new(MAX_STREAMS)),
            holders: Default::default(),
            next_stream: AtomicU64::new(0),
            publish: Mutex::new(None),
            limiter: Default::default(),
            node: {
                let mut bytes = [0u8; 8];
                let _ = getrandom::fill(&mut bytes);
                hex::encode(bytes)
            },
        }
    }
}

impl TeamHub {
    fn slot(&self, id: i64) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.entry(id).or_default().clone()
    }

    /// Announces a change of a session made on this node (and to the other nodes, when connected).
    pub fn changed(&self, id: TeamSessionId) {
        self.changed_here(id.0);
        let publish = self.publish.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = publish.as_ref() {
            let _ = tx.send(id.0);
        }
    }

    /// Announces a change on this node only (from another node's notification).
    pub fn changed_here(&self, id: i64) {
        self.slot(id).generation.fetch_add(1, Ordering::SeqCst);
        // Nobody listening is fine.
        let _ = self.changes.send(id);
    }

    /// Lets changes also go out to other nodes: whatever is sent here is published by the caller.
    pub fn set_publisher(&self, tx: tokio::sync::mpsc::UnboundedSender<i64>) {
        *self.publish.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
    }

    /// The notification payload announcing a change of session `id` by this node.
    pub fn payload(&self, id: i64) -> String {
        format!("{}:{id}", self.node)
    }

    /// Handles a notification from the database: another node's change is announced here.
    pub fn on_notification(&self, payload: &str) {
        if let Some((node, id)) = payload.split_once(':')
            && node != self.node
            && let Ok(id) = id.parse::<i64>()
        {
            self.changed_here(id);
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<i64> {
        self.changes.subscribe()
    }

    /// Ends every stream (graceful shutdown: the server waits for open connections).
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// A permit to hold a stream of session `session` open for `holder`, or `None` when the node or the
    /// session has as many as it takes. When the holder already has [`MAX_STREAMS_PER_HOLDER`] there, its
    /// oldest is told to end and gives its place to this one at once (a client that stopped reading may not
    /// notice for a while).
    pub fn stream_permit(&self, holder: String, session: i64) -> Option<StreamPermit> {
        let mut holders = self.holders.lock().unwrap_or_else(|e| e.into_inner());
        let key = (holder, session);
        if let Some(open) = holders.get_mut(&key) {
            while open.len() >= MAX_STREAMS_PER_HOLDER {
                if let Some(oldest) = open.pop_front() {
                    let _ = oldest.end.send(true);
                }
            }
        }
        let in_session: usize = holders.iter().filter(|((_, s), _)| *s == session).map(|(_, open)| open.len()).sum();
        if in_session >= MAX_STREAMS_PER_SESSION {
            // Full: only a holder already there gets a place, its own oldest stream's.
            let oldest = holders.get_mut(&key).and_then(|open| open.pop_front())?;
            let _ = oldest.end.send(true);
        }
        let node = self.streams.clone().try_acquire_owned().ok()?;
        let id = self.next_stream.fetch_add(1, Ordering::Relaxed);
        let (end, ended) = watch::channel(false);
        holders.entry(key.clone()).or_default().push_back(OpenStream { id, end, _node: node });
        Some(StreamPermit { id, key, holders: self.holders.clone(), ended })
    }

    /// How many streams `holder` holds open on this node for `session`.
    pub fn streams_of(&self, holder: &str, session: i64) -> usize {
        let holders = self.holders.lock().unwrap_or_else(|e| e.into_inner());
        holders.get(&(holder.to_string(), session)).map_or(0, |open| open.len())
    }

    /// The newest snapshot of a session, loaded at most once per change.
    pub async fn snapshot(
        &self,
        state: &AppState,
        tenant: &TenantCtx,
        id: TeamSessionId,
    ) -> StoreResult<Arc<Snapshot>> {
        let slot = self.slot(id.0);
        let mut cached = slot.cached.lock().await;
        let generation = slot.generation.load(Ordering::SeqCst);
        if let Some((g, snap)) = cached.as_ref()
            && *g == generation
        {
            return Ok(snap.clone());
        }
        let snap = Arc::new(Snapshot::load(state, tenant, id).await?);
        *cached = Some((generation, snap.clone()));
        Ok(snap)
    }
}

/// One open stream's place with its holder (and through that, on the node); dropping it (the stream ended)
/// frees both.
pub struct StreamPermit {
    id: u64,
    key: (String, i64),
    holders: Holders,
    /// Becomes true (or its sender goes) when a newer stream of the same holder took this one's place.
    pub ended: watch::Receiver<bool>,
}

impl StreamPermit {
    /// Whether a newer stream of the same holder took this one's place.
    pub fn is_replaced(&self) -> bool {
        *self.ended.borrow() || self.ended.has_changed().is_err()
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut holders = self.holders.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = holders.get_mut(&self.key) {
            open.retain(|o| o.id != self.id);
            if open.is_empty() {
                holders.remove(&self.key);
            }
        }
    }
}

struct Stream {
    state: AppState,
    tenant: TenantCtx,
    id: TeamSessionId,
    audience: super::Audience,
    i: crate::pages::I18n,
    rx: broadcast::Receiver<i64>,
    shutdown: watch::Receiver<bool>,
    last_live: String,
    last_shape: String,
    first: bool,
    pending: std::collections::VecDeque<axum::response::sse::Event>,
    end: tokio::time::Instant,
    permit: StreamPermit,
    /// The "replaced" event went out; the stream ends.
    replaced: bool,
}

/// Waits for a change of session `id`; false when the hub is gone.
async fn wait_for(rx: &mut broadcast::Receiver<i64>, id: i64) -> bool {
    loop {
        match rx.recv().await {
            Ok(changed) if changed == id => return true,
            Ok(_) => continue,
            // Missed some: one of them may have been ours.
            Err(broadcast::error::RecvError::Lagged(_)) => return true,
            Err(broadcast::error::RecvError::Closed) => return false,
        }
    }
}

/// The server-sent-events stream of one session for one audience: first the current state, then every
/// change (coalesced). Event `shape` says when the page's structure changed (the page reloads), event
/// `live` carries the new HTML of the live region. Text never contains a carriage return.
/// `holder` names who holds the stream (a participant, a staff member), for [`MAX_STREAMS_PER_HOLDER`].
pub fn sse(
    state: AppState,
    tenant: TenantCtx,
    id: TeamSessionId,
    audience: super::Audience,
    i: crate::pages::I18n,
    holder: String,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use axum::response::sse::{Event, KeepAlive, Sse};
    let Some(permit) = state.team.stream_permit(holder, id.0) else {
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, [(axum::http::header::RETRY_AFTER, "10")])
            .into_response();
    };
    let stream = Stream {
        rx: state.team.subscribe(),
        shutdown: state.team.shutdown_signal(),
        state,
        tenant,
        id,
        audience,
        i,
        last_live: String::new(),
        last_shape: String::new(),
        first: true,
        pending: Default::default(),
        end: tokio::time::Instant::now() + MAX_STREAM,
        permit,
        replaced: false,
    };
    let events = futures_util::stream::unfold(stream, |mut s| async move {
        loop {
            if let Some(event) = s.pending.pop_front() {
                return Some((Ok::<Event, std::convert::Infallible>(event), s));
            }
            if *s.shutdown.borrow() || s.replaced {
                return None;
            }
            if s.permit.is_replaced() {
                // The page stops listening (its script closes the stream) instead of reconnecting and pushing
                // out another of the holder's streams in turn.
                s.replaced = true;
                return Some((Ok(Event::default().event("replaced").data("")), s));
            }
            if !s.first {
                tokio::select! {
                    alive = wait_for(&mut s.rx, s.id.0) => if !alive { return None },
                    _ = s.shutdown.changed() => return None,
                    _ = s.permit.ended.changed() => continue,
                    () = tokio::time::sleep_until(s.end) => return None,
                }
                // Let a burst of changes settle, then take them all at once.
                tokio::time::sleep(MIN_INTERVAL).await;
                while !matches!(
                    s.rx.try_recv(),
                    Err(broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Closed)
                ) {}
            }
            s.first = false;
            let snap = match s.state.team.snapshot(&s.state, &s.tenant, s.id).await {
                Ok(snap) => snap,
                Err(err) => {
                    tracing::warn!(error = %err, "team session stream ends: the state could not be read");
                    return None;
                }
            };
            let shape = super::shape(&snap.run, snap.points.len(), snap.groups);
            let live = askama::Template::render(&super::live_region(s.i, &snap, s.audience, super::now_unix()))
                .unwrap_or_default()
                .replace('\r', "");
            if shape != s.last_shape {
                s.pending.push_back(Event::default().event("shape").data(&shape));
                s.last_shape = shape;
            }
            if live != s.last_live {
                s.pending.push_back(Event::default().event("live").data(&live));
                s.last_live = live;
            }
        }
    });
    let mut response = Sse::new(events).keep_alive(KeepAlive::default()).into_response();
    // Proxies must not buffer the stream.
    response.headers_mut().insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_keeps_a_few_streams_and_a_new_one_ends_the_oldest() {
        let hub = TeamHub::default();
        let mut mine: Vec<StreamPermit> =
            (0..MAX_STREAMS_PER_HOLDER).map(|_| hub.stream_permit("participant:1".into(), 7).unwrap()).collect();
        let theirs = hub.stream_permit("participant:2".into(), 7).unwrap();
        assert!(mine.iter().all(|p| !p.is_replaced()));
        assert_eq!(hub.streams_of("participant:1", 7), MAX_STREAMS_PER_HOLDER);

        mine.push(hub.stream_permit("participant:1".into(), 7).unwrap());
        assert!(mine[0].is_replaced(), "the oldest is told to end");
        assert!(mine[1..].iter().all(|p| !p.is_replaced()));
        assert!(!theirs.is_replaced(), "another holder's stream is left alone");
        assert_eq!(hub.streams_of("participant:1", 7), MAX_STREAMS_PER_HOLDER);
        assert_eq!(
            hub.streams.available_permits(),
            MAX_STREAMS - MAX_STREAMS_PER_HOLDER - 1,
            "the replaced stream gave its place on the node at once"
        );

        // Streams that end free their place; the node's places come back too.
        drop(mine);
        assert_eq!(hub.streams_of("participant:1", 7), 0);
        assert_eq!(hub.streams_of("participant:2", 7), 1);
        drop(theirs);
        assert_eq!(hub.streams_of("participant:2", 7), 0);
        assert_eq!(hub.streams.available_permits(), MAX_STREAMS);
    }

    #[test]
    fn one_session_cannot_take_every_stream_of_the_node() {
        let hub = TeamHub::default();
        let busy: Vec<StreamPermit> =
            (0..MAX_STREAMS_PER_SESSION).map(|n| hub.stream_permit(format!("participant:{n}"), 1).unwrap()).collect();
        assert!(hub.stream_permit("participant:new".into(), 1).is_none(), "the session is full");
        assert!(hub.stream_permit("participant:other".into(), 2).is_some(), "another session still gets streams");
        // A holder already there may still replace its own stream.
        assert!(hub.stream_permit("participant:0".into(), 1).is_some());
        drop(busy);
    }
}
