//! Pupils and dossiers as the people working with them see them: the pupil list, a pupil's page and a
//! dossier's chronology with the engine's "next step" panel. Every read of pupil or dossier data is audited;
//! what a person may see comes from the domain's access policy, never from here.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use meldroute_domain::access::{
    Action, EntryKindFilter, ListScope, Resource, ShareGrant, dossier_list_scope, visible_entry_kinds,
};
use meldroute_domain::{Entry, EntryKind};
use meldroute_i18n::Lang;
use meldroute_store::*;
use serde::Deserialize;

use crate::audit::{self, Event};
use crate::auth::session::{CurrentUser, Denied};
use crate::chronology::{ListKey, PanelKey};
use crate::dossiers::{self, DossierError, Loaded};
use crate::pages::{I18n, Layout, render};
use crate::{AppState, clock};

/// Any failure of these pages: a 404 that reveals nothing, or 503 when the database or audit log fails.
pub enum PageError {
    NotFound,
    Unavailable,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND.into_response(),
            PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        }
    }
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => PageError::NotFound,
            other => {
                tracing::error!(error = %other, "store failure");
                PageError::Unavailable
            }
        }
    }
}

impl From<Denied> for PageError {
    fn from(_: Denied) -> Self {
        PageError::NotFound
    }
}

impl From<audit::AuditFailed> for PageError {
    fn from(_: audit::AuditFailed) -> Self {
        PageError::Unavailable
    }
}

impl From<DossierError> for PageError {
    fn from(err: DossierError) -> Self {
        match err {
            DossierError::NotFound => PageError::NotFound,
            _ => PageError::Unavailable,
        }
    }
}

pub(crate) async fn audit_read(
    state: &AppState,
    me: &CurrentUser,
    addr: &SocketAddr,
    action: &str,
    outcome: &str,
    pupil: Option<PupilId>,
    dossier: Option<DossierId>,
) -> Result<(), PageError> {
    Ok(begin_audit_read(state, me, addr, action, outcome, pupil, dossier).await?.done().await?)
}

/// As [`audit_read`], but returns while the row commits: the page is prepared meanwhile and sent only after
/// [`audit::Recording::done`] answered.
pub(crate) async fn begin_audit_read(
    state: &AppState,
    me: &CurrentUser,
    addr: &SocketAddr,
    action: &str,
    outcome: &str,
    pupil: Option<PupilId>,
    dossier: Option<DossierId>,
) -> Result<audit::Recording, PageError> {
    let source = addr.ip().to_string();
    let event =
        Event { org: Some(me.tenant.org), actor: Some(me.user.id), pupil, dossier, action, outcome, source: &source };
    audit::begin(state, event).await.map_err(PageError::from)
}

/// The audit row of `me` doing `action` (for a write that carries its own audit row, see
/// [`dossiers::append_audited`]); `at` is set when the write happens.
pub(crate) fn audit_event(
    me: &CurrentUser,
    addr: &SocketAddr,
    action: &str,
    outcome: &str,
    pupil: Option<PupilId>,
    dossier: Option<DossierId>,
) -> meldroute_store::NewAuditEvent {
    meldroute_store::NewAuditEvent {
        at: clock::now_utc(),
        org: Some(me.tenant.org),
        actor: Some(me.user.id),
        on_behalf_of: None,
        pupil,
        dossier,
        action: action.to_string(),
        outcome: outcome.to_string(),
        source: addr.ip().to_string(),
    }
}

// --- pupil list -------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct PupilQuery {
    #[serde(default)]
    q: Option<String>,
}

pub struct PupilRow {
    pub id: i64,
    pub name: String,
    pub location: String,
    pub group: String,
}

#[derive(Template)]
#[template(path = "pupils.html")]
pub struct PupilsPage {
    pub layout: Layout,
    pub query: String,
    pub rows: Vec<PupilRow>,
    /// The aandachtsfunctionaris may take in a dossier from another school (issue 7).
    pub can_import: bool,
}

pub async fn pupils(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Query(query): Query<PupilQuery>,
) -> Result<Response, PageError> {
    let text = query.q.unwrap_or_default().trim().chars().take(100).collect::<String>();
    let locations = state.db.list_locations(&me.tenant).await?;
    let mut rows = Vec::new();
    let mut any = false;
    for location in &locations {
        if me.authorize(Action::ListPupils, &Resource::Location { location: location.id.0 }).is_err() {
            continue;
        }
        any = true;
        let groups = state.db.list_groups(&me.tenant, location.id).await?;
        let filter = PupilFilter {
            location: Some(location.id),
            name_contains: (!text.is_empty()).then(|| text.clone()),
            limit: Some(200),
            ..Default::default()
        };
        for p in state.db.list_pupils(&me.tenant, &filter).await? {
            let group =
                p.group.and_then(|g| groups.iter().find(|x| x.id == g)).map_or_else(String::new, |g| g.name.clone());
            rows.push(PupilRow {
                id: p.id.0,
                name: format!("{} {}", p.first_name, p.last_name),
                location: location.name.clone(),
                group,
            });
        }
    }
    if !any {
        return Err(PageError::NotFound);
    }
    audit_read(&state, &me, &addr, "pupil.list", "allowed", None, None).await?;
    let layout = Layout::for_user(&state, &me, "pupils-title");
    let can_import =
        locations.iter().any(|l| me.authorize(Action::ImportDossier, &Resource::Location { location: l.id.0 }).is_ok());
    Ok(render(&PupilsPage { layout, query: text, rows, can_import }, StatusCode::OK))
}

// --- dossier visibility ------------------------------------------------------------------------------------

/// The dossier as a resource for the access policy, seen by `me`.
pub(crate) fn dossier_resource(me: &CurrentUser, loaded: &Loaded) -> Resource {
    resource_for(me.user.id, loaded)
}

/// The dossier as a resource for the access policy, seen by `user` (whether they are involved in it, and what
/// is shared with them).
pub(crate) fn resource_for(user: UserId, loaded: &Loaded) -> Resource {
    let involved = loaded.dossier.opened_by == user || loaded.entries.iter().any(|e| e.author.0 == user.0);
    let today = clock::today_nl();
    let share = loaded.shares.iter().filter(|s| s.partner == user).fold(None::<ShareGrant>, |acc, s| {
        let kinds: BTreeSet<EntryKind> = s.entry_kinds.iter().filter_map(|k| EntryKind::from_code(k)).collect();
        let active = s.is_active(today);
        match acc {
            // Several shares: the union of the active ones.
            Some(mut grant) => {
                if active {
                    grant.active = true;
                    grant.entry_kinds.extend(kinds);
                }
                Some(grant)
            }
            None => Some(ShareGrant { entry_kinds: if active { kinds } else { BTreeSet::new() }, active }),
        }
    });
    Resource::Dossier { location: loaded.dossier.location.0, involved, share }
}

/// Dossiers matching `base` at `location` that `me` may read, by the policy's list scope: all of the
/// location's, the ones `me` is involved in, and/or the ones actively shared with `me`.
pub(crate) async fn visible_dossiers(
    state: &AppState,
    me: &CurrentUser,
    location: LocationId,
    base: DossierFilter,
) -> Result<Vec<Dossier>, PageError> {
    let base = DossierFilter { location: Some(location), ..base };
    let scope = dossier_list_scope(me.actor(), location.0);
    let (all, involved, shared) = match scope {
        ListScope::Nothing => (false, false, false),
        ListScope::AllAtLocation => (true, false, false),
        ListScope::InvolvedOnly => (false, true, false),
        ListScope::SharedOnly => (false, false, true),
        ListScope::InvolvedOrShared => (false, true, true),
    };
    let mut list = Vec::new();
    if all {
        list = state.db.list_dossiers(&me.tenant, &base).await?;
    }
    if involved {
        list.extend(
            state.db.list_dossiers(&me.tenant, &DossierFilter { involving: Some(me.user.id), ..base.clone() }).await?,
        );
    }
    if shared {
        let today = clock::today_nl();
        for share in state.db.shares_for_partner(&me.tenant, me.user.id).await? {
            if !share.is_active(today)
                || share.entry_kinds.is_empty()
                || list.iter().any(|d: &Dossier| d.id == share.dossier)
            {
                continue;
            }
            let d = state.db.get_dossier(&me.tenant, share.dossier).await?;
            let matches = d.location == location
                && base.pupil.is_none_or(|p| p == d.pupil)
                && (!base.open_only || !d.projection.closed);
            if matches {
                list.push(d);
            }
        }
    }
    Ok(list)
}

/// Dossiers of `pupil` that `me` may read, newest first.
pub(crate) async fn visible_dossiers_of(
    state: &AppState,
    me: &CurrentUser,
    pupil: &Pupil,
) -> Result<Vec<Dossier>, PageError> {
    let base = DossierFilter { pupil: Some(pupil.id), limit: Some(100), ..Default::default() };
    let mut found = visible_dossiers(state, me, pupil.location, base).await?;
    found.sort_by_key(|d| std::cmp::Reverse(d.opened_at));
    Ok(found)
}

// --- pupil page ----------------------------------------------------------------------------------------------

pub struct DossierRow {
    pub id: i64,
    pub opened: String,
    pub step: String,
    pub closed: bool,
    pub urgent: bool,
}

#[derive(Template)]
#[template(path = "pupil.html")]
pub struct PupilPage {
    pub layout: Layout,
    pub name: String,
    pub location: String,
    pub born: String,
    pub dossiers: Vec<DossierRow>,
    /// Siblings with an open dossier that this user may also see.
    pub siblings_with_dossier: Vec<(i64, String)>,
    pub id: i64,
    pub can_open: bool,
}

fn dossier_row(i: &I18n, d: &Dossier) -> DossierRow {
    DossierRow {
        id: d.id.0,
        opened: format_date(clock::dutch_local(d.opened_at).date()),
        step: i.t(&format!("step-{}", d.projection.step)),
        closed: d.projection.closed,
        urgent: d.projection.urgent,
    }
}

pub fn format_date(d: time::Date) -> String {
    format!("{:02}-{:02}-{}", d.day(), d.month() as u8, d.year())
}

pub async fn pupil(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let pupil = match state.db.get_pupil(&me.tenant, PupilId(id)).await {
        Ok(p) => p,
        Err(e) => {
            audit_read(&state, &me, &addr, "pupil.read", "not_found", Some(PupilId(id)), None).await?;
            return Err(e.into());
        }
    };
    if let Err(denied) = me.authorize(Action::ViewPupil, &Resource::Pupil { location: pupil.location.0 }) {
        audit_read(&state, &me, &addr, "pupil.read", "denied", Some(pupil.id), None).await?;
        return Err(denied.into());
    }
    audit_read(&state, &me, &addr, "pupil.read", "allowed", Some(pupil.id), None).await?;
    let layout = Layout::for_user(&state, &me, "pupil-title");
    let locations = state.db.list_locations(&me.tenant).await?;
    let location = locations.iter().find(|l| l.id == pupil.location).map_or_else(String::new, |l| l.name.clone());
    let dossiers = visible_dossiers_of(&state, &me, &pupil).await?.iter().map(|d| dossier_row(&layout.i, d)).collect();
    let mut siblings_with_dossier = Vec::new();
    for sibling in state.db.siblings_of(&me.tenant, pupil.id).await? {
        if me.authorize(Action::ViewPupil, &Resource::Pupil { location: sibling.location.0 }).is_err() {
            continue;
        }
        if visible_dossiers_of(&state, &me, &sibling).await?.iter().any(|d| !d.projection.closed) {
            siblings_with_dossier.push((sibling.id.0, format!("{} {}", sibling.first_name, sibling.last_name)));
        }
    }
    let page = PupilPage {
        layout,
        name: format!("{} {}", pupil.first_name, pupil.last_name),
        location,
        born: pupil.date_of_birth.map(format_date).unwrap_or_default(),
        dossiers,
        siblings_with_dossier,
        id: pupil.id.0,
        can_open: me.authorize(Action::OpenDossier, &Resource::Pupil { location: pupil.location.0 }).is_ok(),
    };
    Ok(render(&page, StatusCode::OK))
}

// --- dossier page --------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct DossierQuery {
    #[serde(default)]
    kind: Option<String>,
}

pub struct EntryView {
    pub seq: u32,
    pub kind: &'static str,
    /// Labels, values and dates, kept rendered in the chronology cache.
    pub text: Arc<EntryText>,
    pub author: String,
    pub corrected_by: Option<u32>,
    pub corrects: Option<u32>,
    /// The entry came with a transfer from another school (the author is the original author there).
    pub received: bool,
}

/// What a page shows of an entry in one language that is the same for everyone who may see it (who wrote
/// it, and what corrects it, are looked up per page). Rendered once per entry and language and kept next to
/// the cached chronology ([`crate::chronology`]).
pub struct EntryText {
    pub kind_label: String,
    pub recorded: String,
    pub occurred: String,
    pub fields: Vec<(String, String)>,
    /// For an attachment entry: the file, with its download link.
    pub attachment: Option<AttachmentView>,
}

impl EntryText {
    pub(crate) fn new(i: &I18n, dossier: DossierId, e: &Entry) -> EntryText {
        EntryText {
            kind_label: i.t(&format!("kind-{}", e.body.kind().as_str())),
            recorded: format_datetime(e.recorded_at),
            occurred: e.occurred_on.map(format_date).unwrap_or_default(),
            fields: entry_fields(i, e),
            attachment: match &e.body {
                meldroute_domain::EntryBody::Attachment(a) => Some(AttachmentView {
                    url: format!("/dossiers/{}/attachments/{}", dossier.0, a.attachment_id),
                    file_name: a.file_name.clone(),
                    media_label: a.media_type.label().to_string(),
                    size: format_size(i.lang, a.size_bytes),
                }),
                _ => None,
            },
        }
    }

    /// About how much memory it takes (for the cache's bound).
    fn bytes(&self) -> usize {
        let strings = |s: &[&String]| s.iter().map(|s| s.capacity() + size_of::<String>()).sum::<usize>();
        let fields: usize = self.fields.iter().map(|(l, v)| strings(&[l, v])).sum();
        let attachment =
            self.attachment.as_ref().map_or(0, |a| strings(&[&a.url, &a.file_name, &a.media_label, &a.size]));
        size_of::<Self>() + strings(&[&self.kind_label, &self.recorded, &self.occurred]) + fields + attachment
    }
}

/// The texts of every entry of `loaded` in the page's language: those the cache holds, and the rest rendered
/// now and handed to the cache.
fn entry_texts(state: &AppState, i: &I18n, loaded: &Loaded) -> Arc<Vec<Arc<EntryText>>> {
    let kept = loaded.texts.get(i.lang).cloned().unwrap_or_default();
    if kept.entries.len() >= loaded.entries.len() {
        return kept.entries;
    }
    let mut texts = Arc::unwrap_or_clone(kept.entries);
    let mut bytes = kept.bytes;
    for e in &loaded.entries[texts.len()..] {
        let text = EntryText::new(i, loaded.dossier.id, e);
        bytes += text.bytes() + size_of::<Arc<EntryText>>();
        texts.push(Arc::new(text));
    }
    let texts = Arc::new(texts);
    let kept = crate::chronology::Texts { entries: texts.clone(), bytes };
    state.chronologies.put_texts(&loaded.dossier, loaded.epoch, i.lang, kept);
    texts
}

pub struct AttachmentView {
    pub url: String,
    pub file_name: String,
    pub media_label: String,
    pub size: String,
}

/// The inline "add attachment" form on the dossier page.
pub struct AttachmentForm {
    pub csrf: String,
    pub seen_last_seq: i64,
    pub hint: String,
}

/// A file size as people read it (rounded up, so a non-empty file never shows as 0).
pub fn format_size(lang: Lang, bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes < KIB {
        return format!("{bytes} bytes");
    }
    if bytes < MIB {
        return format!("{} KB", bytes.div_ceil(KIB));
    }
    let tenths = (bytes * 10).div_ceil(MIB);
    let text = format!("{}.{} MB", tenths / 10, tenths % 10);
    if lang == Lang::Nl { text.replace('.', ",") } else { text }
}

pub struct Panel {
    pub step: String,
    pub closed: bool,
    pub next: Vec<String>,
    pub deadlines: Vec<(String, String, bool)>,
    pub meldingen_due: Vec<String>,
    pub next_question: Option<String>,
    /// Who acts now and next according to the location's route map: (step title, names).
    pub who: Vec<(String, String)>,
    /// Set when the location has no route map yet.
    pub route_not_set: bool,
    /// Each step reached: since when, under which version of the route map.
    pub steps_taken: Vec<String>,
}

#[derive(Template)]
#[template(path = "dossier.html")]
pub struct DossierPage {
    pub layout: Layout,
    pub id: i64,
    pub pupil_id: i64,
    pub pupil_name: String,
    pub limited: bool,
    /// The panel's HTML ([`PanelView`]), rendered once per chronology state and [`PanelKey`].
    pub panel: Arc<str>,
    /// The chronology's HTML ([`ChronologyList`]), rendered once per chronology state and [`ListKey`].
    pub chronology: Arc<str>,
    pub can_see_access_log: bool,
    /// Entry kinds this user may add now: (code, label).
    pub can_add: Vec<(&'static str, std::borrow::Cow<'static, str>)>,
    pub can_share: bool,
    /// The aandachtsfunctionaris and directeur: retention, erasure and erasure requests.
    pub can_erase: bool,
    /// Shown when this user may export the dossier (JSON and PDF, issue 7).
    pub can_export: bool,
    /// For a dossier received from another school: who sent it and when it was accepted here.
    pub received_from: Option<String>,
    /// Links to the summary for Veilig Thuis and the anonymous consultation summary (issue 7).
    pub can_report_summary: bool,
    pub can_anonymous_summary: bool,
    /// Shown when this user may add an attachment and the dossier is open.
    pub attachment_form: Option<AttachmentForm>,
}

pub async fn dossier(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(query): Query<DossierQuery>,
) -> Result<Response, PageError> {
    let loaded = match dossiers::load(&state.db, &state.chronologies, &me.tenant, DossierId(id)).await {
        Ok(l) => l,
        Err(e) => {
            audit_read(&state, &me, &addr, "dossier.read", "not_found", None, Some(DossierId(id))).await?;
            return Err(e.into());
        }
    };
    let resource = dossier_resource(&me, &loaded);
    if let Err(denied) = me.authorize(Action::ReadDossier, &resource) {
        audit_read(&state, &me, &addr, "dossier.read", "denied", Some(loaded.pupil.id), Some(loaded.dossier.id))
            .await?;
        return Err(denied.into());
    }
    // The page is prepared while its read's audit row commits, and sent only once it has.
    let recording =
        begin_audit_read(&state, &me, &addr, "dossier.read", "allowed", Some(loaded.pupil.id), Some(loaded.dossier.id))
            .await?;

    let filter = visible_entry_kinds(me.actor(), &resource);
    let limited = !matches!(filter, EntryKindFilter::All);
    let layout = Layout::for_user(&state, &me, "dossier-title");
    let i = layout.i;
    let received = if loaded.received { state.db.received_dossier(&me.tenant, loaded.dossier.id).await? } else { None };
    let wanted = query.kind.as_deref().and_then(EntryKind::from_code);
    let can_add: Vec<_> = crate::entry_forms::form_kinds()
        .filter(|k| me.authorize(Action::AppendEntry(*k), &resource).is_ok())
        .map(|k| (k.as_str(), i.kind(k)))
        .collect();
    let list_key = ListKey { lang: i.lang, filter, kind: wanted, correction_links: !limited && !can_add.is_empty() };
    let chronology = match state.chronologies.list(&loaded.dossier, &list_key) {
        Some(html) => html,
        None => {
            let html: Arc<str> =
                chronology_list(&state, &me.tenant, &loaded, received.as_ref(), &list_key).await?.into();
            if loaded.is_the_rows_state() {
                state.chronologies.put_list(&loaded.dossier, loaded.epoch, list_key.clone(), html.clone());
            }
            html
        }
    };
    // Who took in a received dossier.
    let received_by = match &received {
        Some(r) => Some(name_in(&state.names.of(&state.db, &me.tenant, &[r.received_by]).await?, r.received_by)),
        None => None,
    };
    let panel_key = PanelKey {
        lang: i.lang,
        today: clock::today_nl(),
        limited,
        ctx: loaded.ctx.clone(),
        location: loaded.location.id,
        route_map_version: loaded.route_map_version,
    };
    let panel = match state.chronologies.panel(&loaded.dossier, &panel_key) {
        Some(html) => html,
        None => {
            let html: Arc<str> = panel_html(&state, &me, &loaded, &panel_key).await?.into();
            if loaded.is_the_rows_state() {
                state.chronologies.put_panel(&loaded.dossier, loaded.epoch, panel_key, html.clone());
            }
            html
        }
    };
    let (can_report_summary, can_anonymous_summary) = crate::summaries::links(&me, &resource);
    let page = DossierPage {
        layout,
        id: loaded.dossier.id.0,
        pupil_id: loaded.pupil.id.0,
        pupil_name: format!("{} {}", loaded.pupil.first_name, loaded.pupil.last_name),
        limited,
        panel,
        chronology,
        can_see_access_log: me.authorize(Action::ViewDossierAccessLog, &resource).is_ok(),
        can_share: me.authorize(Action::ShareDossier, &resource).is_ok(),
        can_erase: me.authorize(Action::EraseDossier, &resource).is_ok(),
        can_export: me.authorize(Action::ExportDossier, &resource).is_ok(),
        received_from: received.as_ref().map(|r| {
            i.t_args(
                "dossier-received-from",
                &[
                    ("organisation", r.sending_organisation.clone()),
                    ("location", r.sending_location.clone()),
                    ("date", format_date(clock::dutch_local(r.received_at).date())),
                    ("who", received_by.clone().unwrap_or_default()),
                ],
            )
        }),
        can_report_summary,
        can_anonymous_summary,
        can_add,
        attachment_form: crate::attachments::may_add(&me, &resource, &loaded).then(|| AttachmentForm {
            csrf: me.session.csrf_token.clone(),
            seen_last_seq: loaded.dossier.last_seq,
            hint: crate::attachments::file_hint(&i),
        }),
    };
    // The chronology's HTML, and room for the header, panel and forms around it.
    let response =
        crate::pages::render_sized(&page, StatusCode::OK, page.chronology.len() + page.panel.len() + 8 * 1024);
    // Nothing of the dossier leaves before its read is in the audit log.
    Ok(recording.release(response).await?)
}

/// The dossier page's panel for `key`: the step and, unless the view is limited, what the engine says now
/// (next actions, deadlines, reports due, the next question) and what the route map says (who acts, which
/// version applied to each step taken). Everything it shows comes from the chronology and the key.
#[derive(Template)]
#[template(path = "dossier_panel.html")]
pub struct PanelView {
    pub i: I18n,
    pub panel: Panel,
}

async fn panel_html(state: &AppState, me: &CurrentUser, loaded: &Loaded, key: &PanelKey) -> Result<String, PageError> {
    let i = I18n { lang: key.lang };
    let state_ = loaded.state();
    let reason_text =
        |r: &meldroute_domain::Reason| meldroute_i18n::text(i.lang, &r.message_key(), &localise_args(r.fluent_args()));
    let panel = if key.limited {
        // A partner's limited view shows no engine state beyond the step.
        Panel {
            step: i.t(&format!("step-{}", state_.step.number())),
            closed: state_.closed,
            next: vec![],
            deadlines: vec![],
            meldingen_due: vec![],
            next_question: None,
            who: vec![],
            route_not_set: false,
            steps_taken: vec![],
        }
    } else {
        let route = route_panel(state, me, loaded, &i).await?;
        Panel {
            step: i.t(&format!("step-{}", state_.step.number())),
            closed: state_.closed,
            next: state_.next_actions.iter().map(|r| reason_text(&r.reason)).collect(),
            deadlines: state_
                .deadlines
                .iter()
                .map(|d| (reason_text(&d.reason), format_date(d.due), d.due < key.today))
                .collect(),
            meldingen_due: state_.meldingen_due().map(|m| reason_text(&m.melding.reason)).collect(),
            next_question: state_.afwegingskader.next_question.map(|q| i.t(&format!("question-{}", q.as_str()))),
            who: route.who,
            route_not_set: route.not_set,
            steps_taken: route.steps_taken,
        }
    };
    PanelView { i, panel }.render().map_err(|_| PageError::Unavailable)
}

/// The display name of `user` among `users` (as [`crate::names::Names::of`] gives them), or its number.
fn name_in(users: &[(UserId, String)], user: UserId) -> String {
    users.iter().find(|(id, _)| *id == user).map_or_else(|| format!("#{}", user.0), |(_, name)| name.clone())
}

/// The chronology of the dossier page: the kind filter and the entries a viewer with this [`ListKey`] sees.
/// Everything it shows comes from its fields, which depend only on the chronology and the key.
#[derive(Template)]
#[template(path = "dossier_chronology.html")]
pub struct ChronologyList {
    pub i: I18n,
    pub id: i64,
    pub correction_links: bool,
    pub kinds: Vec<(String, String, bool)>,
    pub entries: Vec<EntryView>,
}

/// Renders the chronology list of `loaded` for `key`: the entries the key's filter lets through (and of the
/// kind asked for), with their texts, authors and corrections.
async fn chronology_list(
    state: &AppState,
    tenant: &TenantCtx,
    loaded: &Loaded,
    received: Option<&meldroute_store::ReceivedDossier>,
    key: &ListKey,
) -> Result<String, PageError> {
    let i = I18n { lang: key.lang };
    // Only the accounts this list names: the authors.
    let mut named: Vec<UserId> = loaded.entries.iter().map(|e| UserId(e.author.0)).collect();
    named.sort_by_key(|u| u.0);
    named.dedup();
    let users = state.names.of(&state.db, tenant, &named).await?;
    let original = |id: meldroute_domain::EntryId| received.and_then(|r| r.entries.iter().find(|x| x.entry.0 == id.0));
    let corrected = &loaded.state().corrected;
    let seq_of = |id: meldroute_domain::EntryId| loaded.entries.iter().find(|e| e.id == id).map(|e| e.seq);
    let texts = entry_texts(state, &i, loaded);
    let entries = loaded
        .entries
        .iter()
        .zip(texts.iter())
        .filter(|(e, _)| entry_visible(&key.filter, &e.body))
        .filter(|(e, _)| key.kind.is_none_or(|k| e.body.kind() == k))
        .map(|(e, text)| EntryView {
            seq: e.seq,
            kind: e.body.kind().as_str(),
            text: text.clone(),
            author: original(e.id).map_or_else(|| name_in(&users, UserId(e.author.0)), |o| o.author_name.clone()),
            received: original(e.id).is_some(),
            corrected_by: corrected.iter().find(|c| c.original == e.id).and_then(|c| seq_of(c.by)),
            corrects: match &e.body {
                meldroute_domain::EntryBody::Correction(c) => seq_of(c.corrects),
                _ => None,
            },
        })
        .collect();
    let kinds = EntryKind::ALL
        .iter()
        .filter(|k| key.filter.allows(**k))
        .map(|k| (k.as_str().to_string(), i.t(&format!("kind-{}", k.as_str())), Some(*k) == key.kind))
        .collect();
    let list = ChronologyList { i, id: loaded.dossier.id.0, correction_links: key.correction_links, kinds, entries };
    list.render().map_err(|_| PageError::Unavailable)
}

struct RoutePanel {
    who: Vec<(String, String)>,
    not_set: bool,
    steps_taken: Vec<String>,
}

/// What the location's route map says about this dossier: who acts in the current and the next step, and
/// for each step reached the version of the route map that applied when it was reached.
async fn route_panel(state: &AppState, me: &CurrentUser, loaded: &Loaded, i: &I18n) -> Result<RoutePanel, PageError> {
    use meldroute_domain::route_map::{STEPS, version_at};
    // Newest version first: the one in force, and every version's date for the steps already taken.
    let history = state.route_histories.of(&state.db, &me.tenant, &loaded.location, loaded.route_map_version).await?;
    let (versions, current) = (&history.versions, &history.current);
    let step = loaded.state().step;
    let mut who = Vec::new();
    if !loaded.state().closed {
        let next = STEPS.iter().find(|s| s.number() == step.number() + 1);
        for s in std::iter::once(&step).chain(next) {
            let names = crate::route_map::who_acts(i, &current.map, *s);
            if !names.is_empty() {
                who.push((i.t(&format!("step-{}", s.number())), names.join(", ")));
            }
        }
    }
    let mut reached: Vec<(meldroute_domain::Step, time::OffsetDateTime)> = Vec::new();
    for e in loaded.entries.iter() {
        if let Some(s) = meldroute_domain::step_of(&e.body)
            && !reached.iter().any(|(r, _)| *r == s)
        {
            reached.push((s, e.recorded_at));
        }
    }
    reached.sort_by_key(|(s, _)| s.number());
    let steps_taken = reached
        .into_iter()
        .map(|(s, at)| {
            let version = match version_at(versions, at) {
                Some(v) => i.t_args("routemap-version-short", &[("version", v.to_string())]),
                None => i.t("routemap-panel-no-version"),
            };
            i.t_args(
                "routemap-panel-step-line",
                &[
                    ("step", i.t(&format!("step-{}", s.number()))),
                    ("date", format_date(clock::dutch_local(at).date())),
                    ("version", version),
                ],
            )
        })
        .collect();
    Ok(RoutePanel { who, not_set: current.version.is_none(), steps_taken })
}

pub fn format_datetime(at: time::OffsetDateTime) -> String {
    let local = clock::dutch_local(at);
    format!("{} {:02}:{:02}", format_date(local.date()), local.hour(), local.minute())
}

/// The fields of an entry as label/value pairs, generically from its serialised form: every field of every
/// kind is shown, with labels and enum values from the translation files.
pub(crate) fn entry_fields(i: &I18n, entry: &Entry) -> Vec<(String, String)> {
    // An attachment shows its description; the file itself is shown as a download link.
    if let meldroute_domain::EntryBody::Attachment(a) = &entry.body {
        return a.description.iter().map(|d| (label(i, "description"), d.clone())).collect();
    }
    // A correction shows its reason and then the corrected content.
    if let meldroute_domain::EntryBody::Correction(c) = &entry.body {
        let mut out = vec![(label(i, "reason"), c.reason.clone())];
        let corrected = Entry { body: (*c.corrected).clone(), ..entry.clone() };
        out.extend(entry_fields(i, &corrected));
        return out;
    }
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&entry.body) else { return Vec::new() };
    let mut out = Vec::new();
    for (key, value) in map {
        if key == "kind"
            || key == "corrected"
            || (FLAGS_SHOWN_WHEN_SET.contains(&key.as_str()) && value == serde_json::Value::Bool(false))
        {
            continue;
        }
        let text = value_text(i, &value);
        if !text.is_empty() {
            out.push((label(i, &key), text));
        }
    }
    out
}

/// Yes/no flags that only say something when set (a report "not by phone" is not news).
const FLAGS_SHOWN_WHEN_SET: [&str; 8] = [
    "concerns_staff_sexual_misconduct",
    "anonymous",
    "by_phone",
    "confidentiality_broken",
    "shield_identity_requested",
    "veilig_thuis_judgement_asked",
    "term_agreed_with_veilig_thuis",
    "no_concern",
];

/// Dates inside rule texts arrive as ISO dates; show them the Dutch way.
fn localise_args(args: Vec<(&str, String)>) -> Vec<(&str, String)> {
    let iso = time::macros::format_description!("[year]-[month]-[day]");
    args.into_iter()
        .map(|(k, v)| match time::Date::parse(&v, iso) {
            Ok(d) => (k, format_date(d)),
            Err(_) => (k, v),
        })
        .collect()
}

fn label(i: &I18n, key: &str) -> String {
    let k = format!("field-{key}");
    if meldroute_i18n::has(i.lang, &k) || meldroute_i18n::has(Lang::Nl, &k) { i.t(&k) } else { key.replace('_', " ") }
}

fn value_text(i: &I18n, value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::Bool(b) => i.t(if *b { "yes" } else { "no" }),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => {
            // Only a code (`own_observation`, `child_physical`) can have a text of its own; free text such as
            // the facts of an observation is never looked up.
            let code = s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            let k = if code { format!("value-{s}") } else { String::new() };
            if code && meldroute_i18n::has(Lang::Nl, &k) {
                i.t(&k)
            } else if let Ok(d) = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")) {
                format_date(d)
            } else {
                s.clone()
            }
        }
        serde_json::Value::Array(items) => {
            items.iter().map(|v| value_text(i, v)).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("; ")
        }
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k, value_text(i, v)))
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{}: {v}", label(i, k)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

// --- who viewed or changed a dossier ---------------------------------------------------------------------------

pub struct AccessRow {
    pub when: String,
    pub who: String,
    pub action: String,
    pub outcome: String,
}

#[derive(Template)]
#[template(path = "dossier_access.html")]
pub struct AccessLogPage {
    pub layout: Layout,
    pub id: i64,
    pub pupil_name: String,
    pub rows: Vec<AccessRow>,
}

/// The aandachtsfunctionaris sees per dossier who viewed or changed it and when (from the audit log).
pub async fn access_log(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let loaded = dossiers::load(&state.db, &state.chronologies, &me.tenant, DossierId(id)).await?;
    let resource = dossier_resource(&me, &loaded);
    if let Err(denied) = me.authorize(Action::ViewDossierAccessLog, &resource) {
        audit_read(&state, &me, &addr, "dossier.access_log", "denied", Some(loaded.pupil.id), Some(loaded.dossier.id))
            .await?;
        return Err(denied.into());
    }
    audit_read(&state, &me, &addr, "dossier.access_log", "allowed", Some(loaded.pupil.id), Some(loaded.dossier.id))
        .await?;
    let events = state
        .db
        .list_audit(&me.tenant, &AuditFilter { dossier: Some(loaded.dossier.id), actor: None, limit: Some(1000) })
        .await?;
    let users = state.db.list_users(&me.tenant).await?;
    let layout = Layout::for_user(&state, &me, "access-log-title");
    let i = layout.i;
    let rows = events
        .iter()
        .map(|e| AccessRow {
            when: format_datetime(e.event.at),
            who: e
                .event
                .actor
                .and_then(|a| users.iter().find(|u| u.id == a))
                .map_or_else(|| "-".to_string(), |u| u.display_name.clone()),
            action: {
                let key = format!("audit-action-{}", e.event.action.replace('.', "-"));
                if meldroute_i18n::has(Lang::Nl, &key) { i.t(&key) } else { e.event.action.clone() }
            },
            outcome: e.event.outcome.clone(),
        })
        .collect();
    let page = AccessLogPage {
        layout,
        id: loaded.dossier.id.0,
        pupil_name: format!("{} {}", loaded.pupil.first_name, loaded.pupil.last_name),
        rows,
    };
    Ok(render(&page, StatusCode::OK))
}

// --- my tasks --------------------------------------------------------------------------------------------------

/// Open dossiers at `location` that `me` may read.
pub(crate) async fn visible_open_dossiers_at(
    state: &AppState,
    me: &CurrentUser,
    location: LocationId,
) -> Result<Vec<Dossier>, PageError> {
    visible_dossiers(state, me, location, DossierFilter { open_only: true, limit: Some(1000), ..Default::default() })
        .await
}

pub struct TaskRow {
    pub due: String,
    pub overdue: bool,
    pub text: String,
    pub dossier: i64,
    pub pupil: String,
}

#[derive(Template)]
#[template(path = "tasks.html")]
pub struct TasksPage {
    pub layout: Layout,
    pub tasks: Vec<TaskRow>,
    pub urgent: Vec<(i64, String)>,
    /// Open actions from team learning sessions that this person owns.
    pub team_actions: Vec<crate::team::actions::ActionRow>,
    pub csrf: String,
}

/// "Mijn taken": what is due and overdue across the dossiers this user may see, sorted by date.
pub async fn tasks(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
) -> Result<Response, PageError> {
    me.authorize(Action::ViewTasks, &Resource::OwnAccount)?;
    let layout = Layout::for_user(&state, &me, "tasks-title");
    let i = layout.i;
    let today = clock::today_nl();
    let mut rows: Vec<(time::Date, TaskRow)> = Vec::new();
    let mut urgent = Vec::new();
    let locations = state.db.list_locations(&me.tenant).await?;
    for location in &locations {
        for d in visible_open_dossiers_at(&state, &me, location.id).await? {
            let id = d.id;
            let loaded = match dossiers::load(&state.db, &state.chronologies, &me.tenant, id).await {
                Ok(loaded) => loaded,
                // Erased since it was listed.
                Err(dossiers::DossierError::NotFound) => continue,
                Err(e) => return Err(e.into()),
            };
            let resource = dossier_resource(&me, &loaded);
            // Read again by id: only the dossier that was listed (the same pupil and opening moment), and only
            // while `me` may still read it.
            if (loaded.dossier.pupil, loaded.dossier.opened_at) != (d.pupil, d.opened_at)
                || me.authorize(Action::ReadDossier, &resource).is_err()
            {
                continue;
            }
            // A partner's limited view carries no engine state.
            if !matches!(visible_entry_kinds(me.actor(), &resource), EntryKindFilter::All) {
                continue;
            }
            let pupil = format!("{} {}", loaded.pupil.first_name, loaded.pupil.last_name);
            if loaded.state().meldingen_due().next().is_some() {
                urgent.push((id.0, pupil.clone()));
            }
            for deadline in &loaded.state().deadlines {
                let text = meldroute_i18n::text(
                    i.lang,
                    &deadline.reason.message_key(),
                    &localise_args(deadline.reason.fluent_args()),
                );
                rows.push((
                    deadline.due,
                    TaskRow {
                        due: format_date(deadline.due),
                        overdue: deadline.due < today,
                        text,
                        dossier: id.0,
                        pupil: pupil.clone(),
                    },
                ));
            }
        }
    }
    rows.sort_by_key(|(due, _)| *due);
    audit_read(&state, &me, &addr, "tasks.read", "allowed", None, None).await?;
    let team_actions = crate::team::actions::owned_open(&state, &me).await?;
    let csrf = me.session.csrf_token.clone();
    let tasks = rows.into_iter().map(|(_, r)| r).collect();
    Ok(render(&TasksPage { layout, tasks, urgent, team_actions, csrf }, StatusCode::OK))
}

// --- notifications -------------------------------------------------------------------------------------------

pub struct NotificationRow {
    pub when: String,
    pub text: String,
    pub dossier: i64,
    pub urgent: bool,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    pub layout: Layout,
    pub rows: Vec<NotificationRow>,
    pub csrf: String,
}

pub async fn notifications(State(state): State<AppState>, me: CurrentUser) -> Result<Response, PageError> {
    let list = state.db.notifications_for(&me.tenant, me.user.id, 100).await?;
    let layout = Layout::for_user(&state, &me, "notifications-title");
    let i = layout.i;
    let rows = list
        .iter()
        .map(|n| NotificationRow {
            when: format_datetime(n.created_at),
            text: i.t(&format!("notification-{}", n.kind)),
            dossier: n.dossier.0,
            urgent: n.urgent,
            unread: n.read_at.is_none(),
        })
        .collect();
    Ok(render(&NotificationsPage { layout, rows, csrf: me.session.csrf_token.clone() }, StatusCode::OK))
}

pub async fn notifications_read(
    State(state): State<AppState>,
    me: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    if let Err(e) =
        crate::auth::csrf::parse_form::<std::collections::HashMap<String, String>>(&body, &me.session.csrf_token)
    {
        return Ok(e.into_response());
    }
    state.db.mark_all_read(&me.tenant, me.user.id, clock::now_utc()).await?;
    Ok(axum::response::Redirect::to("/notifications").into_response())
}

/// Alerts the location's intern begeleider(s) and aandachtsfunctionaris(sen) about a dossier (not the author).
pub async fn notify_location_leads(
    state: &AppState,
    me: &CurrentUser,
    location: LocationId,
    dossier: DossierId,
    kind: &str,
    urgent: bool,
) -> Result<(), PageError> {
    let Some(place) = state.db.list_locations(&me.tenant).await?.into_iter().find(|l| l.id == location) else {
        return Err(PageError::NotFound);
    };
    let recipients =
        crate::route_map::alert_recipients(state, &me.tenant, &place, meldroute_domain::Step::Consulteren).await?;
    let notes: Vec<NewNotification> = recipients
        .into_iter()
        .filter(|u| *u != me.user.id)
        .map(|user| NewNotification { user, dossier, kind: kind.to_string(), urgent, created_at: clock::now_utc() })
        .collect();
    if !notes.is_empty() {
        state.db.notify(&me.tenant, &notes).await?;
    }
    Ok(())
}

// --- sharing with an external partner ----------------------------------------------------------------------------

pub struct ShareRow {
    pub id: i64,
    pub partner: String,
    pub kinds: String,
    pub until: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "dossier_shares.html")]
pub struct SharesPage {
    pub layout: Layout,
    pub id: i64,
    pub pupil_name: String,
    pub csrf: String,
    pub shares: Vec<ShareRow>,
    pub partners: Vec<(i64, String)>,
    pub kinds: Vec<(String, String)>,
    pub error: Option<String>,
}

async fn shares_page(
    state: &AppState,
    me: &CurrentUser,
    loaded: &Loaded,
    error: Option<String>,
) -> Result<Response, PageError> {
    let layout = Layout::for_user(state, me, "shares-title");
    let i = layout.i;
    let users = state.db.list_users(&me.tenant).await?;
    let today = clock::today_nl();
    let shares = state
        .db
        .shares_of_dossier(&me.tenant, loaded.dossier.id)
        .await?
        .into_iter()
        .map(|s| ShareRow {
            id: s.id,
            partner: users.iter().find(|u| u.id == s.partner).map_or_else(String::new, |u| u.display_name.clone()),
            kinds: s.entry_kinds.iter().map(|k| i.t(&format!("kind-{k}"))).collect::<Vec<_>>().join(", "),
            until: format_date(s.until),
            active: s.is_active(today),
        })
        .collect();
    let mut partners = Vec::new();
    let grants = state.db.list_role_grants(&me.tenant).await?;
    for u in users.iter().filter(|u| !u.disabled) {
        if grants
            .iter()
            .filter(|g| g.user == u.id)
            .any(|g| g.role == Role::ExternePartner && g.location.is_none_or(|l| l == loaded.dossier.location))
        {
            partners.push((u.id.0, u.display_name.clone()));
        }
    }
    let kinds = EntryKind::ALL.iter().map(|k| (k.as_str().to_string(), i.t(&format!("kind-{}", k.as_str())))).collect();
    let page = SharesPage {
        id: loaded.dossier.id.0,
        pupil_name: format!("{} {}", loaded.pupil.first_name, loaded.pupil.last_name),
        csrf: me.session.csrf_token.clone(),
        shares,
        partners,
        kinds,
        error,
        layout,
    };
    let status = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(&page, status))
}

async fn load_for_sharing(state: &AppState, me: &CurrentUser, id: i64) -> Result<Loaded, PageError> {
    let loaded = dossiers::load(&state.db, &state.chronologies, &me.tenant, DossierId(id)).await?;
    let resource = dossier_resource(me, &loaded);
    me.authorize(Action::ShareDossier, &resource)?;
    Ok(loaded)
}

pub async fn shares(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let loaded = load_for_sharing(&state, &me, id).await?;
    shares_page(&state, &me, &loaded, None).await
}

pub async fn share_create(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    if let Err(e) =
        crate::auth::csrf::parse_form::<std::collections::HashMap<String, String>>(&body, &me.session.csrf_token)
    {
        return Ok(e.into_response());
    }
    let loaded = load_for_sharing(&state, &me, id).await?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| PageError::NotFound)?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.as_str());
    let kinds: Vec<String> = pairs
        .iter()
        .filter(|(n, _)| n == "kinds")
        .filter_map(|(_, v)| EntryKind::from_code(v))
        .map(|k| k.as_str().to_string())
        .collect();
    let i = I18n { lang: me.lang };
    let until = time::Date::parse(get("until"), time::macros::format_description!("[year]-[month]-[day]")).ok();
    let partner = get("partner").parse::<i64>().ok().map(UserId);
    let today = clock::today_nl();
    let problem = match (partner, until) {
        (None, _) => Some("shares-error-partner"),
        (_, None) => Some("shares-error-until"),
        (_, Some(u)) if u < today => Some("shares-error-until"),
        _ if kinds.is_empty() => Some("shares-error-kinds"),
        _ => None,
    };
    if let Some(key) = problem {
        return shares_page(&state, &me, &loaded, Some(i.t(key))).await;
    }
    let (Some(partner), Some(until)) = (partner, until) else { return Err(PageError::NotFound) };
    // The partner must be an external partner of this organisation (the store checks the tenant).
    let grants = state.db.roles_of(&me.tenant, partner).await?;
    if !grants.iter().any(|g| g.role == Role::ExternePartner && g.location.is_none_or(|l| l == loaded.dossier.location))
    {
        return shares_page(&state, &me, &loaded, Some(i.t("shares-error-partner"))).await;
    }
    state
        .db
        .create_share(
            &me.tenant,
            NewShare {
                dossier: loaded.dossier.id,
                partner,
                entry_kinds: kinds,
                until,
                created_by: me.user.id,
                created_at: clock::now_utc(),
            },
        )
        .await?;
    audit_read(&state, &me, &addr, "dossier.share", "allowed", Some(loaded.pupil.id), Some(loaded.dossier.id)).await?;
    Ok(axum::response::Redirect::to(&format!("/dossiers/{id}/shares")).into_response())
}

pub async fn share_revoke(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path((id, share)): Path<(i64, i64)>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    if let Err(e) =
        crate::auth::csrf::parse_form::<std::collections::HashMap<String, String>>(&body, &me.session.csrf_token)
    {
        return Ok(e.into_response());
    }
    let loaded = load_for_sharing(&state, &me, id).await?;
    // Only a share of this dossier.
    if !state.db.shares_of_dossier(&me.tenant, loaded.dossier.id).await?.iter().any(|s| s.id == share) {
        return Err(PageError::NotFound);
    }
    state.db.revoke_share(&me.tenant, share, clock::now_utc()).await?;
    audit_read(&state, &me, &addr, "dossier.share.revoke", "allowed", Some(loaded.pupil.id), Some(loaded.dossier.id))
        .await?;
    Ok(axum::response::Redirect::to(&format!("/dossiers/{id}/shares")).into_response())
}

/// Whether an entry may be shown under `filter`. A correction carries the full corrected content, so it
/// shows only when both "correction" and the corrected kind are visible.
pub(crate) fn entry_visible(filter: &EntryKindFilter, body: &meldroute_domain::EntryBody) -> bool {
    match body {
        meldroute_domain::EntryBody::Correction(c) => {
            filter.allows(EntryKind::Correction) && filter.allows(c.corrected.kind())
        }
        other => filter.allows(other.kind()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_translated_and_free_text_is_shown_as_written() {
        let i = I18n { lang: Lang::Nl };
        // Every `value-` text belongs to a code that `value_text` looks up.
        for key in meldroute_i18n::keys(Lang::Nl) {
            if let Some(code) = key.strip_prefix("value-") {
                let text = value_text(&i, &serde_json::Value::String(code.to_string()));
                assert_eq!(text, i.t(&key), "{key}");
            }
        }
        let facts = "Kwam zonder jas; zei dat own_observation niet klopte.";
        assert_eq!(value_text(&i, &serde_json::Value::String(facts.into())), facts);
        assert_eq!(
            value_text(&i, &serde_json::Value::String("2026-03-02".into())),
            format_date(time::macros::date!(2026 - 03 - 02))
        );
    }
}
