//! THE route table: every route of the application, with who may reach it. The router is built from this
//! table and nothing else (a test fails when `.route(` appears anywhere else), so a route cannot exist
//! without an access rule. For `Access::User(action)` the handler loads the resource and asks
//! `meldroute_domain::access::authorize` for exactly that action; the authorization matrix test drives every
//! route in this table against every role.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{MethodRouter, get, post};
use meldroute_domain::EntryKind;
use meldroute_domain::access::Action;

use crate::auth::login;
use crate::{
    AppState, admin, attachments, documents, dossier_pages, emergency, entry_forms, health, library, pages, retention,
    route_map, summaries, team, transfer,
};

/// Who may reach a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the login page, health checks, static assets, public reference pages.
    Public,
    /// A session after the password, before the second factor (only the second-factor pages).
    HalfSession,
    /// Any logged-in user, for pages about themselves (start page, logout).
    LoggedIn,
    /// A logged-in user allowed `action` on the resource the handler loads.
    User(Action),
    /// An anonymous participant of a running team session, named by its join code: no account, bounded
    /// bodies, per-address limits, and only ever answers to that one session.
    TeamParticipant,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

pub fn entry(
    method: Method,
    path: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
) -> (RouteSpec, MethodRouter<AppState>) {
    (RouteSpec { method, path, access }, handler)
}

/// Every route with its access rule and handler.
pub fn table() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    use Access::*;
    let mut table = vec![
        entry(Method::GET, "/", Public, get(pages::home)),
        entry(Method::GET, "/static/app.css", Public, get(pages::stylesheet)),
        entry(Method::GET, "/healthz", Public, get(health::healthz)),
        entry(Method::GET, "/readyz", Public, get(health::readyz)),
        entry(Method::GET, "/naslag", Public, get(library::index)),
        entry(Method::GET, "/naslag/zoeken", Public, get(library::search)),
        entry(Method::GET, "/naslag/{slug}", Public, get(library::section)),
        entry(Method::GET, "/noodnummers", Public, get(emergency::page)),
        entry(Method::GET, "/login", Public, get(login::login_form)),
        entry(Method::POST, "/login", Public, post(login::login_submit)),
        entry(Method::GET, "/login/code", HalfSession, get(login::code_form)),
        entry(Method::POST, "/login/code", HalfSession, post(login::code_submit)),
        entry(Method::GET, "/login/setup", HalfSession, get(login::setup_form)),
        entry(Method::POST, "/login/setup", HalfSession, post(login::setup_submit)),
        entry(Method::POST, "/logout", LoggedIn, post(login::logout)),
        entry(Method::POST, "/logout/everywhere", User(Action::ManageOwnAccount), post(login::logout_everywhere)),
        entry(Method::GET, "/tasks", User(Action::ViewTasks), get(dossier_pages::tasks)),
        entry(Method::POST, "/account/language", User(Action::ManageOwnAccount), post(pages::set_language)),
        entry(
            Method::GET,
            "/dossiers/{id}/entries/{seq}/correct",
            User(Action::ReadDossier),
            get(entry_forms::correct_form),
        ),
        entry(
            Method::POST,
            "/dossiers/{id}/entries/{seq}/correct",
            User(Action::ReadDossier),
            post(entry_forms::correct_submit),
        ),
        entry(Method::GET, "/dossiers/{id}/shares", User(Action::ShareDossier), get(dossier_pages::shares)),
        entry(Method::POST, "/dossiers/{id}/shares", User(Action::ShareDossier), post(dossier_pages::share_create)),
        entry(
            Method::POST,
            "/dossiers/{id}/shares/{share}/revoke",
            User(Action::ShareDossier),
            post(dossier_pages::share_revoke),
        ),
        entry(Method::GET, "/notifications", LoggedIn, get(dossier_pages::notifications)),
        entry(Method::POST, "/notifications/read", LoggedIn, post(dossier_pages::notifications_read)),
        entry(Method::GET, "/pupils", User(Action::ListPupils), get(dossier_pages::pupils)),
        entry(Method::GET, "/pupils/{id}", User(Action::ViewPupil), get(dossier_pages::pupil)),
        entry(Method::GET, "/dossiers/{id}", User(Action::ReadDossier), get(dossier_pages::dossier)),
        entry(Method::GET, "/pupils/{id}/dossiers/new", User(Action::OpenDossier), get(entry_forms::new_dossier_form)),
        entry(Method::POST, "/pupils/{id}/dossiers", User(Action::OpenDossier), post(entry_forms::create_dossier)),
        entry(Method::GET, "/dossiers/{id}/entries/new", User(Action::ReadDossier), get(entry_forms::new_entry_form)),
        entry(Method::POST, "/dossiers/{id}/entries", User(Action::ReadDossier), post(entry_forms::create_entry)),
        entry(
            Method::POST,
            "/dossiers/{id}/attachments",
            User(Action::AppendEntry(EntryKind::Attachment)),
            // The upload limit holds on this route only; every other form keeps the small default.
            post(attachments::upload).layer(DefaultBodyLimit::max(attachments::MAX_BODY_BYTES)),
        ),
        entry(
            Method::GET,
            "/dossiers/{id}/attachments/{attachment}",
            // The handler also asks whether attachment entries are visible to the reader.
            User(Action::ReadDossier),
            get(attachments::download),
        ),
        entry(
            Method::GET,
            "/dossiers/{id}/access-log",
            User(Action::ViewDossierAccessLog),
            get(dossier_pages::access_log),
        ),
        entry(Method::GET, "/retention", User(Action::ReviewRetention), get(retention::review)),
        entry(Method::GET, "/retention/period", User(Action::ManageRetention), get(retention::period)),
        entry(Method::POST, "/retention/period", User(Action::ManageRetention), post(retention::period_save)),
        entry(Method::GET, "/dossiers/{id}/erasure", User(Action::EraseDossier), get(retention::show)),
        entry(Method::POST, "/dossiers/{id}/erasure/propose", User(Action::EraseDossier), post(retention::propose)),
        entry(Method::POST, "/dossiers/{id}/erasure/confirm", User(Action::EraseDossier), post(retention::confirm)),
        entry(Method::POST, "/dossiers/{id}/erasure/withdraw", User(Action::EraseDossier), post(retention::withdraw)),
        entry(
            Method::POST,
            "/dossiers/{id}/erasure/requests",
            User(Action::EraseDossier),
            post(retention::record_request),
        ),
        entry(
            Method::GET,
            "/dossiers/{id}/access-log.csv",
            User(Action::ViewDossierAccessLog),
            get(transfer::access_log_csv),
        ),
        // The full export; `?purpose=` and `?format=json|pdf` choose what (issue 7).
        entry(Method::GET, "/dossiers/{id}/export", User(Action::ExportDossier), get(transfer::export)),
        entry(Method::GET, "/transfers/import", User(Action::ImportDossier), get(transfer::import_form)),
        entry(
            Method::POST,
            "/transfers/import",
            User(Action::ImportDossier),
            post(transfer::import_upload).layer(DefaultBodyLimit::max(transfer::MAX_UPLOAD_BODY_BYTES)),
        ),
        entry(
            Method::POST,
            "/transfers/import/accept",
            User(Action::ImportDossier),
            post(transfer::import_accept).layer(DefaultBodyLimit::max(transfer::MAX_ACCEPT_BODY_BYTES)),
        ),
        entry(Method::GET, "/dossiers/{id}/report-summary", User(Action::ReportSummary), get(summaries::report_page)),
        entry(
            Method::GET,
            "/dossiers/{id}/report-summary.txt",
            User(Action::ReportSummary),
            get(summaries::report_text),
        ),
        entry(
            Method::GET,
            "/dossiers/{id}/report-summary.pdf",
            User(Action::ReportSummary),
            get(summaries::report_pdf),
        ),
        entry(
            Method::GET,
            "/dossiers/{id}/anonymous-summary",
            User(Action::AnonymousSummary),
            get(summaries::anonymous_get),
        ),
        entry(
            Method::POST,
            "/dossiers/{id}/anonymous-summary",
            User(Action::AnonymousSummary),
            post(summaries::anonymous_post),
        ),
        entry(Method::GET, "/route-maps", User(Action::ViewRouteMap), get(route_map::index)),
        entry(Method::GET, "/locations/{id}/route-map", User(Action::ViewRouteMap), get(route_map::show)),
        entry(
            Method::GET,
            "/locations/{id}/route-map/versions/{version}",
            User(Action::ViewRouteMap),
            get(route_map::show_version),
        ),
        entry(Method::GET, "/locations/{id}/route-map/edit", User(Action::EditRouteMap), get(route_map::edit_form)),
        entry(
            Method::GET,
            "/locations/{id}/route-map/card.pdf",
            User(Action::ViewRouteMap),
            get(documents::route_card_pdf),
        ),
        entry(
            Method::GET,
            "/locations/{id}/route-map/protocol.pdf",
            User(Action::ViewRouteMap),
            get(documents::protocol_pdf),
        ),
        entry(Method::POST, "/locations/{id}/route-map", User(Action::EditRouteMap), post(route_map::save)),
        entry(Method::GET, "/static/team.js", Public, get(pages::team_script)),
        entry(Method::GET, "/team-sessions", User(Action::ManageTeamSession), get(team::index)),
        entry(Method::POST, "/locations/{id}/team-sessions", User(Action::ManageTeamSession), post(team::create)),
        entry(Method::GET, "/team-sessions/{id}", User(Action::ManageTeamSession), get(team::show)),
        entry(Method::POST, "/team-sessions/{id}/agenda", User(Action::ManageTeamSession), post(team::edit_agenda)),
        entry(Method::POST, "/team-sessions/{id}/case", User(Action::ManageTeamSession), post(team::edit_case)),
        entry(Method::POST, "/team-sessions/{id}/control", User(Action::ManageTeamSession), post(team::control)),
        entry(Method::GET, "/team-sessions/{id}/presenter", User(Action::ManageTeamSession), get(team::presenter)),
        entry(Method::GET, "/team-sessions/{id}/events", User(Action::ManageTeamSession), get(team::events)),
        entry(
            Method::POST,
            "/team-sessions/{id}/actions",
            User(Action::ManageTeamSession),
            post(team::actions::make_action),
        ),
        entry(
            Method::GET,
            "/team-sessions/{id}/route-map-draft",
            User(Action::EditRouteMap),
            get(team::route_draft::review),
        ),
        entry(
            Method::POST,
            "/team-sessions/{id}/route-map-draft",
            User(Action::EditRouteMap),
            post(team::route_draft::apply),
        ),
        entry(Method::GET, "/team-sessions/{id}/report.pdf", User(Action::ManageTeamSession), get(team::report::pdf)),
        entry(Method::GET, "/team-actions", User(Action::ViewTeamActions), get(team::actions::index)),
        entry(Method::POST, "/team-actions/{id}/done", User(Action::ViewTeamActions), post(team::actions::mark_done)),
        entry(Method::GET, "/t", Public, get(team::participant::join_form)),
        entry(Method::GET, "/t/{code}", Public, get(team::participant::page)),
        entry(Method::GET, "/t/{code}/events", Public, get(team::participant::events)),
        entry(
            Method::POST,
            "/t/{code}/join",
            TeamParticipant,
            post(team::participant::join).layer(DefaultBodyLimit::max(team::participant::MAX_BODY_BYTES)),
        ),
        entry(
            Method::POST,
            "/t/{code}/answers",
            TeamParticipant,
            // Somewhat above the handler's own limit, so an oversized answer gets a message, not a bare 413.
            post(team::participant::answer).layer(DefaultBodyLimit::max(4 * team::participant::MAX_BODY_BYTES)),
        ),
        entry(
            Method::POST,
            "/t/{code}/points",
            TeamParticipant,
            post(team::participant::post_point).layer(DefaultBodyLimit::max(4 * team::participant::MAX_BODY_BYTES)),
        ),
        entry(
            Method::POST,
            "/t/{code}/groups",
            TeamParticipant,
            post(team::participant::create_group).layer(DefaultBodyLimit::max(team::participant::MAX_BODY_BYTES)),
        ),
        entry(
            Method::POST,
            "/t/{code}/groups/join",
            TeamParticipant,
            post(team::participant::join_group).layer(DefaultBodyLimit::max(team::participant::MAX_BODY_BYTES)),
        ),
        entry(
            Method::POST,
            "/t/{code}/worksheet",
            TeamParticipant,
            post(team::participant::save_worksheet)
                .layer(DefaultBodyLimit::max(2 * team::participant::WORKSHEET_BODY_BYTES)),
        ),
        entry(
            Method::POST,
            "/t/{code}/dots",
            TeamParticipant,
            post(team::participant::dot).layer(DefaultBodyLimit::max(team::participant::MAX_BODY_BYTES)),
        ),
    ];
    table.extend(admin::routes());
    table.extend(crate::api::routes());
    table
}

/// The specs alone (for tests and documentation).
pub fn specs() -> Vec<RouteSpec> {
    table().into_iter().map(|(spec, _)| spec).collect()
}

/// The application's routes, built from [`table`].
pub fn build() -> Router<AppState> {
    table().into_iter().fold(Router::new(), |router, (spec, handler)| router.route(spec.path, handler))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_route_is_listed_twice() {
        let specs = specs();
        for (i, a) in specs.iter().enumerate() {
            for b in &specs[i + 1..] {
                assert!(!(a.method == b.method && a.path == b.path), "{} {} listed twice", a.method, a.path);
            }
        }
    }

    #[test]
    fn routes_are_only_registered_in_this_table() {
        // Any `.route(` elsewhere in the web crate would create a route without an access rule.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("routes.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(!text.contains(".route("), "{} registers a route outside routes.rs", path.display());
            }
        }
    }

    #[test]
    fn anonymous_team_participants_only_reach_the_join_code_routes() {
        for spec in specs() {
            if spec.access == Access::TeamParticipant {
                assert!(spec.path.starts_with("/t/{code}/"), "{} {} is open to participants", spec.method, spec.path);
                assert_ne!(spec.method, Method::GET, "participant GETs are plain public pages");
            }
        }
    }

    #[test]
    fn state_changing_routes_are_never_public_except_login() {
        for spec in specs() {
            if spec.method != Method::GET && spec.access == Access::Public {
                // `/welkom/{token}`: the one-time link's 128-bit token in the path stands in for a session.
                assert!(
                    spec.path == "/login" || spec.path == "/welkom/{token}",
                    "{} {} changes state without a session",
                    spec.method,
                    spec.path
                );
            }
        }
    }
}
