//! The naslagwerk (reference library) pages: public, readable without an account, in Dutch or English.
//! The content and its logic (parsing, search, links from entry kinds) live in `meldroute-guidance`; this
//! module only picks the language, renders the structured model (askama escapes every text) and shows
//! search results or a clear message for a query that cannot be searched.
//!
//! Language: `?lang=nl|en` when given (so anonymous readers can switch), else the logged-in user's
//! language, else Dutch. Links between library pages keep an explicit `?lang=`.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use meldroute_guidance::{self as guidance, Block, Hit, Inline, NoteKind, QueryError, Section};
use meldroute_i18n::Lang;

use crate::AppState;
use crate::auth::session::{CurrentUser, NoSession};
use crate::pages::{I18n, Layout, render};

/// The query parameters of a request, decoded leniently (invalid UTF-8 becomes U+FFFD, never an error).
pub fn query_params(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok()).unwrap_or_default()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The language of a public page: an explicit `?lang=`, else the user's, else Dutch. The flag says
/// whether the language was given explicitly (then links keep it).
pub fn page_lang(me: Option<&CurrentUser>, params: &[(String, String)]) -> (Lang, bool) {
    match param(params, "lang").and_then(Lang::from_code) {
        Some(lang) => (lang, true),
        None => (me.map_or(Lang::Nl, |m| m.lang), false),
    }
}

/// The layout for a public page: with the user's header when logged in, in `lang`.
pub fn public_layout(state: &AppState, me: Option<&CurrentUser>, lang: Lang, title_key: &str) -> Layout {
    let mut layout = match me {
        Some(me) => Layout::for_user(state, me, title_key),
        None => Layout::new(state, lang, title_key),
    };
    layout.i = I18n { lang };
    layout.title = layout.i.t(title_key);
    layout
}

/// A session is optional on public pages; a half-finished login or an unavailable database reads them
/// anonymously.
pub fn optional_user(me: Result<CurrentUser, NoSession>) -> Option<CurrentUser> {
    me.ok()
}

/// Appends `?lang=..` to an internal library link (before the `#anchor`) when the language was chosen
/// explicitly; other links are returned unchanged.
pub fn localize_href(href: &str, lang_param: &str) -> String {
    if lang_param.is_empty() || !(href == "/naslag" || href.starts_with("/naslag/")) {
        return href.to_string();
    }
    match href.split_once('#') {
        Some((path, anchor)) => format!("{path}{lang_param}#{anchor}"),
        None => format!("{href}{lang_param}"),
    }
}

/// The `?lang=..` suffix for links, or empty.
fn lang_param(lang: Lang, explicit: bool) -> &'static str {
    match (explicit, lang) {
        (false, _) => "",
        (true, Lang::Nl) => "?lang=nl",
        (true, Lang::En) => "?lang=en",
    }
}

/// The link to the same page in the other language.
pub struct LangSwitch {
    pub href: String,
    /// The other language's name in that language ("English", "Nederlands").
    pub label: &'static str,
    pub code: &'static str,
}

/// The switch to the other language for `path`, keeping `extra` parameters (e.g. the search query).
pub fn lang_switch(path: &str, lang: Lang, extra: &[(&str, &str)]) -> LangSwitch {
    let (other, label) = match lang {
        Lang::Nl => (Lang::En, "English"),
        Lang::En => (Lang::Nl, "Nederlands"),
    };
    let mut params: Vec<(&str, &str)> = extra.to_vec();
    params.push(("lang", other.code()));
    let query = serde_urlencoded::to_string(&params).unwrap_or_else(|_| format!("lang={}", other.code()));
    LangSwitch { href: format!("{path}?{query}"), label, code: other.code() }
}

/// A section in the index: slug, title, summary.
pub struct SectionLink {
    pub slug: &'static str,
    pub title: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "library_index.html")]
pub struct IndexPage {
    pub layout: Layout,
    pub lang_param: &'static str,
    pub switch: LangSwitch,
    pub sections: Vec<SectionLink>,
    pub query: String,
}

/// `GET /naslag`: the list of sections and the search form.
pub async fn index(
    State(state): State<AppState>,
    me: Result<CurrentUser, NoSession>,
    RawQuery(raw): RawQuery,
) -> Response {
    let me = optional_user(me);
    let params = query_params(raw.as_deref());
    let (lang, explicit) = page_lang(me.as_ref(), &params);
    let layout = public_layout(&state, me.as_ref(), lang, "library-title");
    let sections = guidance::sections(lang)
        .iter()
        .map(|s| SectionLink { slug: s.slug, title: s.title.clone(), summary: s.summary.clone() })
        .collect();
    render(
        &IndexPage {
            layout,
            lang_param: lang_param(lang, explicit),
            switch: lang_switch("/naslag", lang, &[]),
            sections,
            query: String::new(),
        },
        StatusCode::OK,
    )
}

#[derive(Template)]
#[template(path = "library_section.html")]
pub struct SectionPage {
    pub layout: Layout,
    pub lang_param: &'static str,
    pub switch: LangSwitch,
    pub section: &'static Section,
    pub previous: Option<SectionLink>,
    pub next: Option<SectionLink>,
    pub query: String,
}

impl SectionPage {
    /// A link in the content, keeping the chosen language on internal links.
    pub fn href(&self, href: &str) -> String {
        localize_href(href, self.lang_param)
    }

    /// The label of a note ("Tip", "Let op", ...).
    pub fn note_label(&self, kind: &NoteKind) -> String {
        self.layout.i.t(&format!("library-note-{}", kind.code()))
    }
}

/// `GET /naslag/{slug}`: one section; 404 (the readable page) for an unknown slug.
pub async fn section(
    State(state): State<AppState>,
    me: Result<CurrentUser, NoSession>,
    Path(slug): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let me = optional_user(me);
    let params = query_params(raw.as_deref());
    let (lang, explicit) = page_lang(me.as_ref(), &params);
    let all = guidance::sections(lang);
    let Some(position) = all.iter().position(|s| s.slug == slug) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let link = |s: &Section| SectionLink { slug: s.slug, title: s.title.clone(), summary: s.summary.clone() };
    let section = &all[position];
    let mut layout = public_layout(&state, me.as_ref(), lang, "library-title");
    layout.title = section.title.clone();
    let page = SectionPage {
        layout,
        lang_param: lang_param(lang, explicit),
        switch: lang_switch(&format!("/naslag/{}", section.slug), lang, &[]),
        section,
        previous: position.checked_sub(1).and_then(|i| all.get(i)).map(link),
        next: all.get(position + 1).map(link),
        query: String::new(),
    };
    render(&page, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "library_search.html")]
pub struct SearchPage {
    pub layout: Layout,
    pub lang_param: &'static str,
    pub switch: LangSwitch,
    pub query: String,
    /// A message instead of results (empty, too long, no words).
    pub problem: Option<String>,
    pub hits: Vec<Hit>,
    pub limited: bool,
}

impl SearchPage {
    pub fn href(&self, hit: &Hit) -> String {
        localize_href(&hit.href(), self.lang_param)
    }
}

/// `GET /naslag/zoeken?q=...`: results with marked snippets, or a message; always a normal page.
pub async fn search(
    State(state): State<AppState>,
    me: Result<CurrentUser, NoSession>,
    RawQuery(raw): RawQuery,
) -> Response {
    let me = optional_user(me);
    let params = query_params(raw.as_deref());
    let (lang, explicit) = page_lang(me.as_ref(), &params);
    let layout = public_layout(&state, me.as_ref(), lang, "library-search-title");
    let query = param(&params, "q").unwrap_or_default().to_string();
    let (problem, hits) = match guidance::parse_query(&query) {
        Ok(_) => (None, guidance::search(lang, &query)),
        Err(e) => {
            let key = match e {
                QueryError::Empty => "library-search-empty",
                QueryError::TooLong => "library-search-too-long",
                QueryError::NoWords => "library-search-no-words",
            };
            (Some(layout.i.t(key)), Vec::new())
        }
    };
    // Echo a long query only in part: the form shows what was searched, not an unbounded string.
    let shown: String = query.chars().take(guidance::MAX_QUERY_CHARS * 2).collect();
    let limited = hits.len() >= guidance::MAX_HITS;
    render(
        &SearchPage {
            layout,
            lang_param: lang_param(lang, explicit),
            switch: lang_switch("/naslag/zoeken", lang, &[("q", &shown)]),
            query: shown,
            problem,
            hits,
            limited,
        },
        StatusCode::OK,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_links_keep_the_chosen_language() {
        assert_eq!(localize_href("/naslag/stappen#stap-2", "?lang=en"), "/naslag/stappen?lang=en#stap-2");
        assert_eq!(localize_href("/naslag/stappen", "?lang=en"), "/naslag/stappen?lang=en");
        assert_eq!(localize_href("/naslag/stappen#stap-2", ""), "/naslag/stappen#stap-2");
        assert_eq!(localize_href("tel:112", "?lang=en"), "tel:112");
        assert_eq!(localize_href("https://x.nl/#a", "?lang=en"), "https://x.nl/#a");
    }

    #[test]
    fn query_parameters_are_decoded_leniently() {
        let p = query_params(Some("q=ge%C3%ABnsceneerd&lang=en"));
        assert_eq!(param(&p, "q"), Some("geënsceneerd"));
        assert_eq!(param(&p, "lang"), Some("en"));
        let p = query_params(Some("q=%FF%FE&x"));
        assert_eq!(param(&p, "q"), Some("\u{fffd}\u{fffd}"));
        assert!(query_params(None).is_empty());
        assert_eq!(lang_switch("/naslag/zoeken", Lang::Nl, &[("q", "a&b c")]).href, "/naslag/zoeken?q=a%26b+c&lang=en");
        assert_eq!(page_lang(None, &query_params(Some("lang=xx"))), (Lang::Nl, false));
        assert_eq!(page_lang(None, &query_params(Some("lang=EN"))), (Lang::En, true));
    }

    #[test]
    fn content_is_escaped_when_rendered() {
        // The model never carries markup; a hostile text is escaped by askama.
        let section = Box::leak(Box::new(
            guidance::parse_section(
                "x",
                "# <b>Titel</b>\nSamenvatting <img src=x onerror=alert(1)>\n\n## Kop <i> {#kop}\n\
                 Tekst <script>alert(1)</script> en [klik](javascript:alert(1)) en [ok](/naslag/x#kop).\n",
            )
            .unwrap(),
        ));
        let layout = Layout { i: I18n { lang: Lang::Nl }, demo: false, title: section.title.clone(), user: None };
        let page = SectionPage {
            layout,
            lang_param: "?lang=nl",
            switch: lang_switch("/naslag/x", Lang::Nl, &[]),
            section,
            previous: None,
            next: None,
            query: String::new(),
        };
        let html = page.render().unwrap();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img src=x"));
        assert!(!html.contains("<b>Titel"));
        assert!(!html.contains("javascript:"));
        assert!(html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"), "{html}");
        assert!(html.contains("href=\"/naslag/x?lang=nl#kop\""));
        assert!(html.contains("id=\"kop\""));
    }
}
