//! The HTTP side of meldroute: routes, server-rendered pages, health and metrics endpoints, and the
//! middleware every response passes through (request ids, security headers, metrics).
//!
//! Handlers stay thin: they parse input, ask the domain or the store, and render. They never decide
//! meldcode logic themselves.

pub mod admin;
pub mod api;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod chronology;
pub mod client_addr;
pub mod clock;
pub mod csv_export;
pub mod documents;
pub mod dossier_pages;
pub mod dossiers;
pub mod edge;
pub mod emergency;
pub mod entry_forms;
pub mod headers;
pub mod health;
pub mod library;
pub mod metrics;
pub mod names;
pub mod pages;
pub mod password;
pub mod retention;
pub mod route_map;
pub mod routes;
pub mod summaries;
pub mod team;
pub mod transfer;

use std::sync::Arc;

use axum::Router;
use meldroute_database::Database;
use meldroute_store::Writer;

/// What every handler can reach: one shared [`App`], so a clone (axum makes several per request) is one
/// reference count.
#[derive(Clone)]
pub struct AppState(Arc<App>);

impl AppState {
    pub fn new(app: App) -> AppState {
        AppState(Arc::new(app))
    }
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

/// See [`AppState`].
pub struct App {
    pub db: Database,
    pub writer: Writer,
    pub demo: bool,
    pub metrics: Arc<metrics::Metrics>,
    pub auth: Arc<auth::AuthConfig>,
    /// Typesets PDFs off the async runtime, a bounded number at a time.
    pub pdf: Arc<meldroute_pdf::PdfRenderer>,
    /// Live updates of team sessions on this node.
    pub team: Arc<team::live::TeamHub>,
    /// Decoded chronologies of recently used dossiers (see [`chronology`]).
    pub chronologies: Arc<chronology::Chronologies>,
    /// Display names of accounts, for the authors a dossier page names (see [`names`]).
    pub names: names::Names,
    /// Route map histories of recently shown locations (see [`route_map::Histories`]).
    pub route_histories: route_map::Histories,
    /// Reverse proxies whose `X-Forwarded-For` names the client (see [`client_addr`]).
    pub trusted_proxies: Arc<client_addr::TrustedProxies>,
    /// The address users reach the service at (`https://meldroute.example.nl`), for links that leave the
    /// browser (first-login links, the team session's join address and QR code). `None`: the request's host.
    pub public_url: Option<String>,
}

impl App {
    /// The start of an absolute link to this service: the configured public address, or else the scheme and
    /// host the request came in with.
    pub fn public_base(&self, headers: &axum::http::HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
        let scheme = if self.auth.secure_cookie { "https" } else { "http" };
        format!("{scheme}://{host}")
    }

    /// What [`dossiers::append`] and its siblings write with.
    pub fn dossier_io(&self) -> dossiers::Io<'_> {
        dossiers::Io { db: &self.db, writer: &self.writer, cache: &self.chronologies }
    }
}

/// The application's routes with all middleware applied.
pub fn router(state: AppState) -> Router {
    routes::build()
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), pages::readable_errors))
        .layer(axum::middleware::from_fn_with_state(state.clone(), edge::edge))
        .with_state(state)
}
