//! Server-rendered pages. Every text comes from the translation files through [`I18n`].

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use meldroute_i18n::Lang;

use meldroute_store::{AccountStore, Store};

use crate::AppState;
use crate::auth::session::{CurrentUser, NoSession};

/// The texts of one page in the reader's language.
#[derive(Clone, Copy)]
pub struct I18n {
    pub lang: Lang,
}

impl I18n {
    pub fn t(&self, key: &str) -> String {
        meldroute_i18n::text(self.lang, key, &[])
    }

    /// [`I18n::t`] for templates, and only for them: the text escaped for HTML, which templates write as it
    /// is ([`EscapedText`]). Plain texts (most labels and headings; a page shows a hundred or so) were escaped
    /// once, when the translations loaded; the others are escaped here.
    pub(crate) fn tr(&self, key: &str) -> EscapedText {
        match escaped_plain_texts(self.lang).get(key) {
            Some(text) => EscapedText(std::borrow::Cow::Borrowed(text.as_str())),
            None => EscapedText(std::borrow::Cow::Owned(escape_html(&meldroute_i18n::text(self.lang, key, &[])))),
        }
    }

    /// The name of an entry kind (text `kind-{code}`), borrowed when it is plain text.
    pub fn kind(&self, kind: meldroute_domain::EntryKind) -> std::borrow::Cow<'static, str> {
        use std::sync::LazyLock;
        static KEYS: LazyLock<Vec<(meldroute_domain::EntryKind, String)>> = LazyLock::new(|| {
            meldroute_domain::EntryKind::ALL.iter().map(|k| (*k, format!("kind-{}", k.as_str()))).collect()
        });
        match KEYS.iter().find(|(k, _)| *k == kind) {
            Some((_, key)) => meldroute_i18n::text_ref(self.lang, key),
            None => meldroute_i18n::text_ref(self.lang, &format!("kind-{}", kind.as_str())),
        }
    }

    /// A text with named arguments.
    pub fn t_args(&self, key: &str, args: &[(&str, String)]) -> String {
        meldroute_i18n::text(self.lang, key, args)
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

/// A translated text already escaped for HTML ([`I18n::tr`]). Askama writes it without escaping it again
/// (`HtmlSafe`); nothing else may be put in one.
pub struct EscapedText(std::borrow::Cow<'static, str>);

impl std::fmt::Display for EscapedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl askama::filters::HtmlSafe for EscapedText {}

impl askama::FastWritable for EscapedText {
    fn write_into<W: std::fmt::Write + ?Sized>(&self, dest: &mut W, _: &dyn askama::Values) -> askama::Result<()> {
        Ok(dest.write_str(&self.0)?)
    }
}

/// `text` escaped as askama escapes what a template writes.
fn escape_html(text: &str) -> String {
    askama::filters::escape(text, askama::filters::Html).map_or_else(|_| String::new(), |escaped| escaped.to_string())
}

/// Escaped plain texts by message key.
type EscapedTexts = std::collections::HashMap<&'static str, String, meldroute_i18n::KeyHashing>;

/// The plain texts of `lang` escaped for HTML, by key: made once, on first use.
fn escaped_plain_texts(lang: Lang) -> &'static EscapedTexts {
    use std::sync::LazyLock;
    fn table(lang: Lang) -> EscapedTexts {
        meldroute_i18n::plain_messages(lang).map(|(key, text)| (key, escape_html(text))).collect()
    }
    static NL: LazyLock<EscapedTexts> = LazyLock::new(|| table(Lang::Nl));
    static EN: LazyLock<EscapedTexts> = LazyLock::new(|| table(Lang::En));
    match lang {
        Lang::Nl => &NL,
        Lang::En => &EN,
    }
}

/// The logged-in user as the header shows it.
pub struct UserBar {
    pub name: String,
    pub unread: i64,
    /// The session's form token, for the logout button.
    pub csrf: String,
    /// Whether the header links to the route maps (staff and administrators).
    pub route_maps: bool,
    /// Where the header's retention link goes: the review (the leads) or the period (who sets it), if anywhere.
    pub retention: Option<&'static str>,
    /// Whether the header links to the team learning sessions (those who may lead one).
    pub team_sessions: bool,
}

/// What the shared layout (`base.html`) needs.
pub struct Layout {
    pub i: I18n,
    pub demo: bool,
    pub title: String,
    pub user: Option<UserBar>,
}

impl Layout {
    /// A page for someone not logged in.
    pub fn new(state: &AppState, lang: Lang, title_key: &str) -> Layout {
        let i = I18n { lang };
        Layout { i, demo: state.demo, title: i.t(title_key), user: None }
    }

    /// A page for a logged-in user, in their language.
    pub fn for_user(state: &AppState, me: &CurrentUser, title_key: &str) -> Layout {
        let i = I18n { lang: me.lang };
        let may = |action| {
            me.grants.iter().any(|g| {
                let at = g.location.map_or(meldroute_domain::access::Resource::Organisation, |l| {
                    meldroute_domain::access::Resource::Location { location: l.0 }
                });
                me.authorize(action, &at).is_ok()
            })
        };
        let route_maps = may(meldroute_domain::access::Action::ViewRouteMap);
        let team_sessions = may(meldroute_domain::access::Action::ManageTeamSession);
        let retention = may(meldroute_domain::access::Action::ReviewRetention);
        let retention_period = me
            .authorize(
                meldroute_domain::access::Action::ManageRetention,
                &meldroute_domain::access::Resource::Organisation,
            )
            .is_ok();
        let user = UserBar {
            retention: if retention {
                Some("/retention")
            } else if retention_period {
                Some("/retention/period")
            } else {
                None
            },
            name: me.user.display_name.clone(),
            unread: me.unread,
            csrf: me.session.csrf_token.clone(),
            route_maps,
            team_sessions,
        };
        Layout { i, demo: state.demo, title: i.t(title_key), user: Some(user) }
    }
}

/// Renders a template, turning a (programming) error into a plain 500 without details.
pub fn render<T: Template>(template: &T, status: StatusCode) -> Response {
    render_sized(template, status, 0)
}

/// [`render`], into a buffer made room for `extra` bytes more than the template's own text: for a page that
/// inserts HTML rendered before (the dossier page's chronology), so the buffer is not grown and copied
/// several times on the way.
pub fn render_sized<T: Template>(template: &T, status: StatusCode, extra: usize) -> Response {
    let mut html = String::with_capacity(T::SIZE_HINT + extra);
    match template.render_into(&mut html) {
        Ok(()) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub roles: Vec<String>,
    /// Dossiers shared with this user (external partners): (dossier id, pupil name, until).
    pub shared: Vec<(i64, String, String)>,
}

pub async fn home(State(state): State<AppState>, me: Result<CurrentUser, NoSession>) -> Response {
    match me {
        Ok(me) => {
            let layout = Layout::for_user(&state, &me, "home-title");
            let locations = state.db.list_locations(&me.tenant).await.unwrap_or_default();
            let roles = me
                .grants
                .iter()
                .map(|g| {
                    let place = match g.location {
                        Some(id) => locations.iter().find(|l| l.id == id).map_or_else(String::new, |l| l.name.clone()),
                        None => layout.i.t("role-whole-organisation"),
                    };
                    format!("{} · {place}", layout.i.t(&format!("role-{}", g.role.code())))
                })
                .collect();
            let today = crate::clock::today_nl();
            let mut shared = Vec::new();
            for share in state.db.shares_for_partner(&me.tenant, me.user.id).await.unwrap_or_default() {
                if !share.is_active(today) || share.entry_kinds.is_empty() {
                    continue;
                }
                if let Ok(d) = state.db.get_dossier(&me.tenant, share.dossier).await
                    && let Ok(p) = state.db.get_pupil(&me.tenant, d.pupil).await
                {
                    let until = crate::dossier_pages::format_date(share.until);
                    shared.push((d.id.0, format!("{} {}", p.first_name, p.last_name), until));
                }
            }
            render(&HomePage { layout, roles, shared }, StatusCode::OK)
        }
        Err(NoSession::SecondFactor) => NoSession::SecondFactor.into_response(),
        Err(_) => render(
            &HomePage { layout: Layout::new(&state, Lang::Nl, "home-title"), roles: Vec::new(), shared: Vec::new() },
            StatusCode::OK,
        ),
    }
}

#[derive(Template)]
#[template(path = "not_found.html")]
pub struct NotFoundPage {
    pub layout: Layout,
}

/// The layout of an error page: with the user's header and language when the request carries a valid,
/// fully logged-in session; otherwise the anonymous layout in Dutch. Only the cookie is looked at, and the
/// page shows nothing of what was asked for, so "exists but not yours" and "does not exist" look the same.
async fn error_layout(state: &AppState, headers: &HeaderMap, title_key: &str) -> Layout {
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    for cookie in headers.get_all(header::COOKIE) {
        parts.headers.append(header::COOKIE, cookie.clone());
    }
    match CurrentUser::from_request_parts(&mut parts, state).await {
        Ok(me) => Layout::for_user(state, &me, title_key),
        Err(_) => Layout::new(state, Lang::Nl, title_key),
    }
}

async fn not_found_page(state: &AppState, headers: &HeaderMap) -> Response {
    render(&NotFoundPage { layout: error_layout(state, headers, "not-found-title").await }, StatusCode::NOT_FOUND)
}

pub async fn not_found(State(state): State<AppState>, headers: HeaderMap) -> Response {
    not_found_page(&state, &headers).await
}

#[derive(Template)]
#[template(path = "form_refused.html")]
pub struct FormRefusedPage {
    pub layout: Layout,
    /// The page the form came from (a path on this site), to fill it in again.
    pub back: Option<String>,
}

/// The path of the `Referer` if it is a page of this site (same host), for a link back to the form.
fn same_site_referer(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let referer: axum::http::Uri = headers.get(header::REFERER)?.to_str().ok()?.parse().ok()?;
    let path = referer.path_and_query()?.as_str();
    (referer.authority()?.as_str() == host && path.starts_with('/') && !path.starts_with("//"))
        .then(|| path.to_string())
}

const STYLESHEET: &str = include_str!("../static/app.css");

/// The small script that makes team sessions live (the pages work without it).
const TEAM_SCRIPT: &str = include_str!("../static/team.js");

pub async fn team_script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], TEAM_SCRIPT).into_response()
}

pub async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLESHEET).into_response()
}

#[derive(serde::Deserialize)]
pub struct LanguageForm {
    lang: String,
}

/// `POST /account/language`: the user's language for every page (Dutch or English).
pub async fn set_language(State(state): State<AppState>, me: CurrentUser, body: axum::body::Bytes) -> Response {
    let form: LanguageForm = match crate::auth::csrf::parse_form(&body, &me.session.csrf_token) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let Some(lang) = Lang::from_code(&form.lang) else { return StatusCode::BAD_REQUEST.into_response() };
    if state.db.set_user_lang(&me.tenant, me.user.id, lang.code()).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    axum::response::Redirect::to("/").into_response()
}

/// Gives bare 404s (a refused or unknown id) the readable "not found" page, so a person who followed a
/// stale link sees where they are, and a form refused for its token a page that says nothing was saved
/// and leads back. Both keep the logged-in header and language. API answers keep their JSON.
pub async fn readable_errors(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let headers = request.headers().clone();
    let response = next.run(request).await;
    if api {
        return response;
    }
    let bare = response.status() == StatusCode::NOT_FOUND && response.headers().get(header::CONTENT_TYPE).is_none();
    if bare {
        return not_found_page(&state, &headers).await;
    }
    if response.extensions().get::<crate::auth::csrf::TokenRefused>().is_some() {
        let layout = error_layout(&state, &headers, "form-refused-title").await;
        return render(&FormRefusedPage { layout, back: same_site_referer(&headers) }, StatusCode::FORBIDDEN);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text a template names literally exists in Dutch and in English (a missing one would show its key),
    /// and the borrowed form gives the same text as [`I18n::t`].
    #[test]
    fn every_text_a_template_names_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut files = vec![dir];
        let mut keys = std::collections::BTreeSet::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("i.tr(\"").skip(1) {
                let (key, rest) = part.split_once('"').unwrap();
                keys.insert(key.to_string());
                // Written as it is: a filter after it would escape the escaped text again.
                assert!(
                    rest.starts_with(") }}"),
                    "{}: tr(\"{key}\") goes on with {:?}",
                    path.display(),
                    rest.chars().take(8).collect::<String>()
                );
            }
        }
        assert!(keys.len() > 300, "the templates were read: {} keys", keys.len());
        for lang in Lang::ALL {
            let i = I18n { lang };
            for key in &keys {
                assert!(meldroute_i18n::has(lang, key), "{} lacks {key}", lang.code());
                assert_eq!(i.tr(key).to_string(), escape_html(&i.t(key)), "{key}");
            }
        }
    }

    /// A template writes a translated text escaped exactly once: the characters HTML gives a meaning to are
    /// escaped, and nothing is escaped twice.
    #[test]
    fn a_template_escapes_a_translated_text_once() {
        #[derive(Template)]
        #[template(source = "<p>{{ i.tr(key) }}</p>", ext = "html")]
        struct One<'a> {
            i: I18n,
            key: &'a str,
        }
        let i = I18n { lang: Lang::Nl };
        let (key, text) = meldroute_i18n::plain_messages(Lang::Nl)
            .find(|(_, text)| text.contains('\''))
            .expect("a Dutch text with an apostrophe");
        let html = One { i, key }.render().unwrap();
        assert_eq!(html, format!("<p>{}</p>", text.replace('\'', "&#39;")));
        // askama writes `&` as `&#38;`: a second escaping would show it.
        assert!(!html.contains("&#38;"), "{html}");
        // A text that is not plain (it takes arguments) is escaped when asked for.
        let i = I18n { lang: Lang::Nl };
        assert_eq!(i.tr("dossier-received-from").to_string(), escape_html(&i.t("dossier-received-from")));
    }
}
