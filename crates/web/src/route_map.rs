//! The school's route map (routekaart) per location: who acts in each step, the aandachtsfunctionaris, the
//! partners and their contacts, the Verwijsindex, local agreements. Everyone at the location reads it; the
//! aandachtsfunctionaris and the administrator change it. A change is a new version (never an edit), and a
//! version saved by someone else in the meantime is never overwritten: the editor gets the form back.
//!
//! The rules (what makes a valid map, defaults per sector, which version applied when) are in
//! `meldroute_domain::route_map`; this module reads and writes forms.

#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use meldroute_database::Database;
use meldroute_domain::access::{Action, Actor, Resource, Role, authorize};
use meldroute_domain::route_map::{
    Lead, Partner, PartnerKind, RouteActor, RouteMap, RoutePerson, STEPS, StepPlan, normalize_phone,
};
use meldroute_store::*;

use crate::admin::locations::location_for;
use crate::admin::{Outcome, db, finish, not_found, sector_label};
use crate::auth::csrf;
use crate::auth::session::CurrentUser;
use crate::dossier_pages::format_datetime;
use crate::pages::{Layout, render};
use crate::{AppState, clock};

/// Empty partner rows offered below the existing ones (the form works without JavaScript).
const SPARE_PARTNER_ROWS: usize = 3;
/// The longest accepted "what changed" note, in characters.
const MAX_NOTE: usize = 500;

// --- reading ---------------------------------------------------------------------------------------------

/// The map a location works with now: its newest version, or the sector's defaults when none was saved.
pub struct Current {
    pub map: RouteMap,
    pub version: Option<RouteMapVersion>,
}

/// The current route map of a location. A stored version that no longer parses (it never should) counts as
/// absent rather than failing the page that asked.
pub async fn current(state: &AppState, tenant: &TenantCtx, location: &Location) -> StoreResult<Current> {
    Ok(current_of(location, state.db.current_route_map(tenant, location.id).await?))
}

/// A location's route maps as the dossier page's panel uses them: every version's number and date (newest
/// first), and the map in force.
pub struct History {
    pub versions: Vec<(i64, time::OffsetDateTime)>,
    pub current: Current,
}

/// The [`History`] of recently shown locations. Saved versions are never changed and a change is a new version,
/// so a kept history whose newest version is the one the dossier row names (`DossierContext::route_map_version`)
/// is current; any other is read again. A location without a route map needs no read at all.
#[derive(Default)]
pub struct Histories {
    inner: Mutex<HashMap<(OrgId, LocationId), Arc<History>>>,
}

/// How many locations' histories are kept; when full, they are all read again.
const MAX_HISTORIES: usize = 1_000;

impl Histories {
    pub async fn of(
        &self,
        db: &Database,
        t: &TenantCtx,
        location: &Location,
        newest: Option<i64>,
    ) -> StoreResult<Arc<History>> {
        let Some(newest) = newest else {
            return Ok(Arc::new(History { versions: Vec::new(), current: current_of(location, None) }));
        };
        let key = (t.org, location.id);
        let ends_at = |h: &History| h.current.version.as_ref().map(|v| v.version) == Some(newest);
        if let Some(kept) = self.lock().get(&key).filter(|h| ends_at(h)) {
            return Ok(kept.clone());
        }
        let stored = db.route_map_history(t, location.id).await?;
        let versions = stored.iter().map(|v| (v.version, v.created_at)).collect();
        let history = Arc::new(History { versions, current: current_of(location, stored.into_iter().next()) });
        // Kept only when it ends at the version the row named and parsed (a version saved since is read next
        // time; one that does not parse shows the defaults and is not kept).
        if ends_at(&history) {
            let mut kept = self.lock();
            if kept.len() >= MAX_HISTORIES {
                kept.clear();
            }
            kept.insert(key, history.clone());
        }
        Ok(history)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<(OrgId, LocationId), Arc<History>>> {
        // Every change is one insert or clear, so the map is consistent even after a panic elsewhere.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The route map in force at `location` given its newest stored version: that version, or the sector's
/// default when none is stored (or, logged, when it does not parse).
pub fn current_of(location: &Location, stored: Option<RouteMapVersion>) -> Current {
    match stored.as_ref().map(|v| serde_json::from_str::<RouteMap>(&v.content)) {
        Some(Ok(map)) => Current { map, version: stored },
        Some(Err(err)) => {
            // Only where in the JSON: serde's message could quote a stored name.
            tracing::error!(line = err.line(), column = err.column(), "stored route map does not parse");
            Current { map: RouteMap::default_for(location.sector), version: None }
        }
        None => Current { map: RouteMap::default_for(location.sector), version: None },
    }
}

/// Who acts in a step, as text for the "next step" panel: the roles, then the named people.
pub fn who_acts(layout_lang: &crate::pages::I18n, map: &RouteMap, step: meldroute_domain::Step) -> Vec<String> {
    let Some(plan) = map.step(step) else { return Vec::new() };
    let mut out: Vec<String> =
        plan.actors.iter().map(|a| layout_lang.t(&format!("route-actor-{}", a.as_str()))).collect();
    out.extend(plan.people.iter().map(|p| p.name.clone()));
    out
}

/// The accounts to alert about a dossier at this location that moves into `step`, in one pass over the
/// organisation's accounts: the location's IB-ers and aandachtsfunctionarissen always (an edited route map
/// cannot silence a safeguarding alert), and, from the current route map if one is set, the people named in
/// the step, everyone holding a role that acts in it and the aandachtsfunctionaris named on the map. Only
/// those who may read the dossier (a teacher is not alerted about a colleague's dossier she cannot open).
pub async fn alert_recipients(
    state: &AppState,
    tenant: &TenantCtx,
    location: &Location,
    step: meldroute_domain::Step,
) -> StoreResult<Vec<UserId>> {
    let current = current(state, tenant, location).await?;
    let (mut roles, mut named) = (vec![Role::InternBegeleider, Role::Aandachtsfunctionaris], Vec::new());
    if current.version.is_some() {
        roles.extend(current.map.roles_of(step));
        named = current.map.people_of(step);
        named.extend(current.map.aandachtsfunctionaris.person.user_id);
    }
    let resource = Resource::Dossier { location: location.id.0, involved: false, share: None };
    let mut out = Vec::new();
    let all_grants = state.db.list_role_grants(tenant).await?;
    for user in state.db.list_users(tenant).await? {
        if user.disabled {
            continue;
        }
        let grants: Vec<&RoleGrant> = all_grants.iter().filter(|g| g.user == user.id).collect();
        let actor = Actor {
            user: user.id.0,
            grants: grants
                .iter()
                .map(|g| meldroute_domain::Grant { role: g.role, location: g.location.map(|l| l.0) })
                .collect(),
        };
        let mut at_location = grants.iter().filter(|g| g.location.is_none_or(|l| l == location.id));
        let acts = named.contains(&user.id.0) || at_location.any(|g| roles.contains(&g.role));
        if acts && authorize(&actor, Action::ReadDossier, &resource).is_allowed() {
            out.push(user.id);
        }
    }
    Ok(out)
}

// --- pages -----------------------------------------------------------------------------------------------

pub struct StepView {
    pub number: u8,
    pub title: String,
    pub actors: Vec<String>,
    /// Name, and whether the name is linked to an account (then alerts reach the person).
    pub people: Vec<(String, bool)>,
    pub agreements: String,
}

pub struct ContactView {
    pub label: String,
    pub name: String,
    pub contact: String,
    pub phone: String,
    pub tel: Option<String>,
    pub email: String,
    pub notes: String,
}

pub struct VersionRow {
    pub version: i64,
    pub saved: String,
    pub by: String,
    pub note: String,
    pub shown: bool,
    pub shown_is_newest: bool,
}

#[derive(Template)]
#[template(path = "route_map.html")]
pub struct RouteMapPage {
    pub layout: Layout,
    pub location_id: i64,
    pub location_name: String,
    pub sector: String,
    /// `None`: nothing saved yet, the sector's defaults are shown.
    pub version: Option<VersionRow>,
    pub newest: Option<i64>,
    pub version_line: String,
    pub defaults_line: String,
    pub steps: Vec<StepView>,
    /// The aandachtsfunctionaris and the regional Veilig Thuis.
    pub main_contacts: Vec<ContactView>,
    pub partners: Vec<ContactView>,
    pub verwijsindex: String,
    pub history: Vec<VersionRow>,
    pub can_edit: bool,
}

pub struct LocationRow {
    pub id: i64,
    pub name: String,
    pub sector: String,
    pub version: String,
}

#[derive(Template)]
#[template(path = "route_maps.html")]
pub struct RouteMapsPage {
    pub layout: Layout,
    pub rows: Vec<LocationRow>,
}

/// The locations this user may read the route map of.
async fn readable_locations(state: &AppState, me: &CurrentUser) -> StoreResult<Vec<Location>> {
    Ok(state
        .db
        .list_locations(&me.tenant)
        .await?
        .into_iter()
        .filter(|l| me.authorize(Action::ViewRouteMap, &Resource::Location { location: l.id.0 }).is_ok())
        .collect())
}

/// `GET /route-maps`: the locations whose route map this user may read.
pub async fn index(State(state): State<AppState>, me: CurrentUser) -> Response {
    finish(
        async {
            let locations = db(readable_locations(&state, &me).await)?;
            if locations.is_empty() {
                return Err(not_found());
            }
            if let [only] = locations.as_slice() {
                return Ok(Redirect::to(&format!("/locations/{}/route-map", only.id.0)).into_response());
            }
            let layout = Layout::for_user(&state, &me, "routemap-index-title");
            let mut rows = Vec::new();
            for l in locations {
                let current = db(state.db.current_route_map(&me.tenant, l.id).await)?;
                rows.push(LocationRow {
                    id: l.id.0,
                    sector: sector_label(&layout, l.sector),
                    version: match current {
                        Some(v) => layout.i.t_args("routemap-version-short", &[("version", v.version.to_string())]),
                        None => layout.i.t("routemap-not-set"),
                    },
                    name: l.name,
                });
            }
            Ok(render(&RouteMapsPage { layout, rows }, StatusCode::OK))
        }
        .await,
    )
}

/// `GET /locations/{id}/route-map`: the current route map.
pub async fn show(State(state): State<AppState>, me: CurrentUser, Path(id): Path<String>) -> Response {
    finish(view_page(&state, &me, &id, None).await)
}

/// `GET /locations/{id}/route-map/versions/{version}`: an earlier version, as it was.
pub async fn show_version(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, version)): Path<(String, String)>,
) -> Response {
    let Ok(version) = version.parse::<i64>() else { return not_found() };
    finish(view_page(&state, &me, &id, Some(version)).await)
}

async fn view_page(state: &AppState, me: &CurrentUser, id: &str, version: Option<i64>) -> Outcome {
    let location = location_for(state, me, id, Action::ViewRouteMap).await?;
    let layout = Layout::for_user(state, me, "routemap-title");
    let i = layout.i;
    let history = db(state.db.route_map_history(&me.tenant, location.id).await)?;
    let newest = history.first().map(|v| v.version);
    let (map, shown) = match version {
        Some(v) => {
            let stored = history.iter().find(|x| x.version == v).ok_or_else(not_found)?;
            (serde_json::from_str::<RouteMap>(&stored.content).map_err(|_| not_found())?, Some(stored.clone()))
        }
        None => {
            let current = db(current(state, &me.tenant, &location).await)?;
            (current.map, current.version)
        }
    };
    let users = db(state.db.list_users(&me.tenant).await)?;
    let name_of = |u: UserId| users.iter().find(|x| x.id == u).map_or_else(String::new, |x| x.display_name.clone());
    let row = |v: &RouteMapVersion| VersionRow {
        version: v.version,
        saved: format_datetime(v.created_at),
        by: name_of(v.created_by),
        note: v.note.clone(),
        shown: shown.as_ref().is_some_and(|s| s.version == v.version),
        shown_is_newest: newest == Some(v.version),
    };
    let steps = map
        .steps
        .iter()
        .map(|p| StepView {
            number: p.step,
            title: i.t(&format!("step-{}", p.step)),
            actors: p.actors.iter().map(|a| i.t(&format!("route-actor-{}", a.as_str()))).collect(),
            people: p.people.iter().map(|x| (x.name.clone(), x.user_id.is_some())).collect(),
            agreements: p.agreements.clone(),
        })
        .collect();
    let contact = |label: String, name: &str, contact: &str, phone: &str, email: &str, notes: &str| ContactView {
        label,
        name: name.to_string(),
        contact: contact.to_string(),
        phone: phone.to_string(),
        tel: normalize_phone(phone),
        email: email.to_string(),
        notes: notes.to_string(),
    };
    let lead = &map.aandachtsfunctionaris;
    let sector = sector_label(&layout, location.sector);
    let version = shown.as_ref().map(row);
    let page = RouteMapPage {
        location_id: location.id.0,
        location_name: location.name.clone(),
        version_line: version.as_ref().map_or_else(String::new, |v| {
            i.t_args(
                "routemap-version-line",
                &[("version", v.version.to_string()), ("saved", v.saved.clone()), ("by", v.by.clone())],
            )
        }),
        defaults_line: i.t_args("routemap-defaults-shown", &[("sector", sector.clone())]),
        sector,
        version,
        newest,
        steps,
        main_contacts: vec![
            contact(i.t("route-actor-aandachtsfunctionaris"), &lead.person.name, "", &lead.phone, &lead.email, ""),
            contact(i.t("routemap-veilig-thuis"), &map.veilig_thuis_region, "", &map.veilig_thuis_phone, "", ""),
        ],
        partners: map
            .partners
            .iter()
            .map(|p| {
                contact(
                    i.t(&format!("partner-kind-{}", p.kind.as_str())),
                    &p.organisation,
                    &p.contact,
                    &p.phone,
                    &p.email,
                    &p.notes,
                )
            })
            .collect(),
        verwijsindex: i.t(if map.uses_verwijsindex { "routemap-verwijsindex-yes" } else { "routemap-verwijsindex-no" }),
        history: history.iter().map(row).collect(),
        can_edit: me.authorize(Action::EditRouteMap, &Resource::Location { location: location.id.0 }).is_ok(),
        layout,
    };
    Ok(render(&page, StatusCode::OK))
}

// --- editing ---------------------------------------------------------------------------------------------

pub struct Choice {
    pub code: &'static str,
    pub label: String,
    pub chosen: bool,
}

pub struct StepForm {
    pub index: usize,
    pub number: u8,
    pub title: String,
    pub actors: Vec<Choice>,
    pub people: String,
    pub agreements: String,
    pub actors_error: Option<String>,
    pub people_error: Option<String>,
    pub agreements_error: Option<String>,
}

/// One text input with its label and error.
pub struct TextField {
    pub name: String,
    pub id: String,
    pub label: String,
    pub value: String,
    /// The input type: text, tel or email.
    pub kind: &'static str,
    pub error: Option<String>,
}

pub struct PartnerForm {
    pub index: usize,
    pub kinds: Vec<Choice>,
    /// Organisation, contact person, phone, e-mail.
    pub fields: Vec<TextField>,
    pub notes: String,
    pub errors: BTreeMap<&'static str, String>,
}

impl PartnerForm {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

/// One problem for the summary at the top: the field's id and the message.
pub struct SummaryItem {
    pub id: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "route_map_edit.html")]
pub struct EditPage {
    pub layout: Layout,
    pub csrf: String,
    pub location_id: i64,
    pub location_name: String,
    pub based_on: String,
    pub note: String,
    pub steps: Vec<StepForm>,
    pub lead_fields: Vec<TextField>,
    pub vt_fields: Vec<TextField>,
    pub partners: Vec<PartnerForm>,
    pub verwijsindex: bool,
    pub summary: Vec<SummaryItem>,
    pub general_error: Option<String>,
    pub errors: BTreeMap<String, String>,
}

impl EditPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

/// `GET /locations/{id}/route-map/edit`
pub async fn edit_form(State(state): State<AppState>, me: CurrentUser, Path(id): Path<String>) -> Response {
    finish(
        async {
            let location = location_for(&state, &me, &id, Action::EditRouteMap).await?;
            let current = db(current(&state, &me.tenant, &location).await)?;
            let based_on = current.version.as_ref().map(|v| v.version);
            Ok(edit_page(&state, &me, &location, &current.map, based_on, "", BTreeMap::new(), None, StatusCode::OK))
        }
        .await,
    )
}

#[allow(clippy::too_many_arguments)]
fn edit_page(
    state: &AppState,
    me: &CurrentUser,
    location: &Location,
    map: &RouteMap,
    based_on: Option<i64>,
    note: &str,
    errors: BTreeMap<String, String>,
    general_error: Option<String>,
    status: StatusCode,
) -> Response {
    let layout = Layout::for_user(state, me, "routemap-edit-title");
    let i = layout.i;
    let steps = STEPS
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let plan = map.step(*step);
            let at = |f: &str| errors.get(&format!("steps.{index}.{f}")).cloned();
            StepForm {
                index,
                number: step.number(),
                title: i.t(&format!("step-{}", step.number())),
                actors: RouteActor::ALL
                    .iter()
                    .map(|a| Choice {
                        code: a.as_str(),
                        label: i.t(&format!("route-actor-{}", a.as_str())),
                        chosen: plan.is_some_and(|p| p.actors.contains(a)),
                    })
                    .collect(),
                people: plan
                    .map(|p| p.people.iter().map(|x| x.name.as_str()).collect::<Vec<_>>().join("\n"))
                    .unwrap_or_default(),
                agreements: plan.map(|p| p.agreements.clone()).unwrap_or_default(),
                actors_error: at("actors"),
                people_error: at("people"),
                agreements_error: at("agreements"),
            }
        })
        .collect();
    let kinds = |chosen: Option<PartnerKind>| {
        PartnerKind::ALL
            .iter()
            .map(|k| Choice {
                code: k.as_str(),
                label: i.t(&format!("partner-kind-{}", k.as_str())),
                chosen: chosen == Some(*k),
            })
            .collect::<Vec<_>>()
    };
    let text_field = |name: String, label_key: &str, value: &str, kind: &'static str| TextField {
        id: field_id(&name),
        error: errors.get(&name).cloned(),
        label: i.t(label_key),
        value: value.to_string(),
        kind,
        name,
    };
    let partner_fields = |index: usize, values: [&String; 4]| {
        [
            ("organisation", "routemap-organisation", "text"),
            ("contact", "routemap-contact-person", "text"),
            ("phone", "routemap-phone", "tel"),
            ("email", "routemap-email", "email"),
        ]
        .iter()
        .zip(values)
        .map(|((f, key, kind), value)| text_field(format!("partners.{index}.{f}"), key, value, kind))
        .collect::<Vec<_>>()
    };
    let lead = &map.aandachtsfunctionaris;
    let lead_fields = vec![
        text_field("lead.name".into(), "routemap-name", &lead.person.name, "text"),
        text_field("lead.phone".into(), "routemap-phone", &lead.phone, "tel"),
        text_field("lead.email".into(), "routemap-email", &lead.email, "email"),
    ];
    let vt_fields = vec![
        text_field("vt.region".into(), "routemap-vt-region", &map.veilig_thuis_region, "text"),
        text_field("vt.phone".into(), "routemap-vt-phone", &map.veilig_thuis_phone, "tel"),
    ];
    let mut partners: Vec<PartnerForm> = map
        .partners
        .iter()
        .enumerate()
        .map(|(index, p)| {
            let mut errs = BTreeMap::new();
            for f in ["notes"] {
                if let Some(e) = errors.get(&format!("partners.{index}.{f}")) {
                    errs.insert(f, e.clone());
                }
            }
            PartnerForm {
                index,
                kinds: kinds(Some(p.kind)),
                fields: partner_fields(index, [&p.organisation, &p.contact, &p.phone, &p.email]),
                notes: p.notes.clone(),
                errors: errs,
            }
        })
        .collect();
    for _ in 0..SPARE_PARTNER_ROWS {
        let index = partners.len();
        let empty = String::new();
        partners.push(PartnerForm {
            index,
            kinds: kinds(None),
            fields: partner_fields(index, [&empty, &empty, &empty, &empty]),
            notes: String::new(),
            errors: BTreeMap::new(),
        });
    }
    let summary =
        errors.iter().map(|(field, message)| SummaryItem { id: field_id(field), message: message.clone() }).collect();
    let page = EditPage {
        csrf: me.session.csrf_token.clone(),
        location_id: location.id.0,
        location_name: location.name.clone(),
        based_on: based_on.map(|v| v.to_string()).unwrap_or_default(),
        note: note.to_string(),
        steps,
        lead_fields,
        vt_fields,
        partners,
        verwijsindex: map.uses_verwijsindex,
        summary,
        general_error,
        errors,
        layout,
    };
    render(&page, status)
}

/// The HTML id of a form field: `steps.2.actors` → `steps-2-actors`.
fn field_id(field: &str) -> String {
    field.replace('.', "-")
}

/// The form's values (first occurrence), and all values of a repeated field.
struct Form(Vec<(String, String)>);

impl Form {
    fn one(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default()
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}

/// Staff accounts that can be named in the route of this location: (lowercased name, id).
pub(crate) async fn location_staff(
    state: &AppState,
    tenant: &TenantCtx,
    location: LocationId,
) -> StoreResult<Vec<(String, UserId)>> {
    let mut out = Vec::new();
    let grants = state.db.list_role_grants(tenant).await?;
    for user in state.db.list_users(tenant).await? {
        let staff = grants.iter().filter(|g| g.user == user.id).any(|g| {
            matches!(g.role, Role::Medewerker | Role::InternBegeleider | Role::Aandachtsfunctionaris | Role::Directeur)
                && g.location.is_none_or(|l| l == location)
        });
        if staff && !user.disabled {
            out.push((user.display_name.trim().to_lowercase(), user.id));
        }
    }
    Ok(out)
}

/// A person named in the form, linked to the account with exactly that name at the location (if one).
pub(crate) fn person(name: &str, staff: &[(String, UserId)]) -> RoutePerson {
    let wanted = name.trim().to_lowercase();
    let mut matches = staff.iter().filter(|(n, _)| *n == wanted);
    let user_id = match (matches.next(), matches.next()) {
        (Some((_, id)), None) => Some(id.0),
        _ => None, // no account, or two with the same name: do not guess
    };
    RoutePerson { name: name.trim().to_string(), user_id }
}

/// Builds the map from the posted form. Partner rows whose text fields are all empty are ignored.
fn map_from_form(form: &Form, staff: &[(String, UserId)]) -> RouteMap {
    let steps = STEPS
        .iter()
        .enumerate()
        .map(|(index, step)| StepPlan {
            step: step.number(),
            actors: form.all(&format!("steps.{index}.actors")).into_iter().filter_map(RouteActor::from_code).collect(),
            people: form
                .one(&format!("steps.{index}.people"))
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| person(l, staff))
                .collect(),
            agreements: form.one(&format!("steps.{index}.agreements")),
        })
        .collect();
    let mut partners = Vec::new();
    for index in 0.. {
        let at = |f: &str| format!("partners.{index}.{f}");
        if !form.0.iter().any(|(k, _)| k.starts_with(&format!("partners.{index}."))) {
            break;
        }
        let partner = Partner {
            kind: PartnerKind::from_code(&form.one(&at("kind"))).unwrap_or(PartnerKind::Other),
            organisation: form.one(&at("organisation")),
            contact: form.one(&at("contact")),
            phone: form.one(&at("phone")),
            email: form.one(&at("email")),
            notes: form.one(&at("notes")),
        };
        let blank = [&partner.organisation, &partner.contact, &partner.phone, &partner.email, &partner.notes]
            .iter()
            .all(|s| s.is_empty());
        if !blank {
            partners.push(partner);
        }
        if index > 200 {
            break;
        }
    }
    let lead_name = form.one("lead.name");
    RouteMap {
        steps,
        aandachtsfunctionaris: Lead {
            person: person(&lead_name, staff),
            phone: form.one("lead.phone"),
            email: form.one("lead.email"),
        },
        veilig_thuis_region: form.one("vt.region"),
        veilig_thuis_phone: form.one("vt.phone"),
        partners,
        uses_verwijsindex: matches!(form.one("verwijsindex").as_str(), "on" | "true" | "1"),
    }
}

/// Form field names of the domain's problem fields (the lead and Veilig Thuis are grouped in the form).
fn form_field(problem_field: &str) -> String {
    match problem_field {
        "aandachtsfunctionaris.name" => "lead.name".into(),
        "aandachtsfunctionaris.phone" => "lead.phone".into(),
        "aandachtsfunctionaris.email" => "lead.email".into(),
        "veilig_thuis_region" => "vt.region".into(),
        "veilig_thuis_phone" => "vt.phone".into(),
        other => other.into(),
    }
}

/// `POST /locations/{id}/route-map`: save the next version.
pub async fn save(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    finish(
        async {
            let location = location_for(&state, &me, &id, Action::EditRouteMap).await?;
            let pairs: Vec<(String, String)> =
                csrf::parse_form(&body, &me.session.csrf_token).map_err(IntoResponse::into_response)?;
            let form = Form(pairs);
            let i = crate::pages::I18n { lang: me.lang };
            let staff = db(location_staff(&state, &me.tenant, location.id).await)?;
            let map = map_from_form(&form, &staff);
            let based_on = form.one("based_on").parse::<i64>().ok();
            let note = form.one("note");
            let mut errors = BTreeMap::new();
            for problem in map.validate() {
                let text = meldroute_i18n::text(i.lang, &problem.message_key(), &problem.fluent_args());
                errors.entry(form_field(&problem.field)).or_insert(text);
            }
            if note.chars().count() > MAX_NOTE {
                errors.insert(
                    "note".into(),
                    meldroute_i18n::text(i.lang, "routemap-error-too_long", &[("max", MAX_NOTE.to_string())]),
                );
            }
            if !errors.is_empty() {
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return Ok(edit_page(
                    &state,
                    &me,
                    &location,
                    &map,
                    based_on,
                    &note,
                    errors,
                    Some(i.t("routemap-error-summary")),
                    status,
                ));
            }
            let content = serde_json::to_string(&map).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
            let new = NewRouteMapVersion {
                location: location.id,
                based_on,
                content,
                note: note.clone(),
                created_by: me.user.id,
                created_at: clock::now_utc(),
            };
            // The version and its audit row in one transaction: no saved version without its record.
            let op = WriteOp::Audited {
                op: Box::new(WriteOp::SaveRouteMap { tenant: me.tenant, version: new }),
                audit: crate::dossier_pages::audit_event(&me, &addr, "route_map.save", "ok", None, None),
            };
            match state.writer.submit(op).await {
                Ok(_) => {}
                Err(StoreError::Conflict(_)) => {
                    // Someone saved in between: keep this input, show the newest version number to build on.
                    let newest = db(state.db.current_route_map(&me.tenant, location.id).await)?.map(|v| v.version);
                    let status = StatusCode::CONFLICT;
                    return Ok(edit_page(
                        &state,
                        &me,
                        &location,
                        &map,
                        newest,
                        &note,
                        BTreeMap::new(),
                        Some(i.t("routemap-error-conflict")),
                        status,
                    ));
                }
                Err(e) => return Err(crate::admin::store_error(e)),
            }
            Ok(Redirect::to(&format!("/locations/{}/route-map", location.id.0)).into_response())
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Form {
        Form(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn the_form_becomes_a_map_with_linked_people_and_without_blank_partner_rows() {
        let staff = vec![
            ("karin jansen".to_string(), UserId(7)),
            ("piet".to_string(), UserId(8)),
            ("piet".to_string(), UserId(9)),
        ];
        let f = form(&[
            ("steps.0.actors", "medewerker"),
            ("steps.0.actors", "nonsense"),
            ("steps.1.actors", "intern_begeleider"),
            ("steps.1.people", "Karin Jansen\n\n  Piet  \nExterne Meneer"),
            ("steps.1.agreements", "Binnen twee dagen overleg"),
            ("lead.name", "karin jansen"),
            ("lead.phone", "06-12345678"),
            ("vt.region", "Veilig Thuis Utrecht"),
            ("vt.phone", "0800-2000"),
            ("partners.0.kind", "jeugdarts"),
            ("partners.0.organisation", "GGD"),
            ("partners.0.phone", "030-1234567"),
            ("partners.1.kind", "wijkteam"),
            ("partners.1.organisation", ""),
            ("verwijsindex", "on"),
        ]);
        let map = map_from_form(&f, &staff);
        assert_eq!(map.steps.len(), 6);
        assert_eq!(map.steps[0].actors, [RouteActor::Medewerker]);
        let people: Vec<_> = map.steps[1].people.iter().map(|p| (p.name.as_str(), p.user_id)).collect();
        assert_eq!(people, [("Karin Jansen", Some(7)), ("Piet", None), ("Externe Meneer", None)]);
        assert_eq!(map.aandachtsfunctionaris.person.user_id, Some(7));
        assert_eq!(map.partners.len(), 1, "a row with only a kind chosen is blank");
        assert!(map.uses_verwijsindex);
        // Steps 3-6 have nobody: the domain names them.
        let fields: Vec<String> = map.validate().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["steps.2.actors", "steps.3.actors", "steps.4.actors", "steps.5.actors"]);
    }

    #[test]
    fn problem_fields_map_to_form_ids() {
        assert_eq!(field_id(&form_field("aandachtsfunctionaris.phone")), "lead-phone");
        assert_eq!(field_id(&form_field("partners.2.email")), "partners-2-email");
        assert_eq!(field_id(&form_field("veilig_thuis_phone")), "vt-phone");
    }
}
