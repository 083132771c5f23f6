//! Server-rendered pages. Every text comes from the translation files through [`I18n`].

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use meldroute_i18n::Lang;

use crate::AppState;

/// The texts of one page in the reader's language.
#[derive(Clone, Copy)]
pub struct I18n {
    pub lang: Lang,
}

impl I18n {
    pub fn t(&self, key: &str) -> String {
        meldroute_i18n::text(self.lang, key, &[])
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

/// What the shared layout (`base.html`) needs.
pub struct Layout {
    pub i: I18n,
    pub demo: bool,
    pub title: String,
}

impl Layout {
    pub fn new(state: &AppState, lang: Lang, title_key: &str) -> Layout {
        let i = I18n { lang };
        Layout { i, demo: state.demo, title: i.t(title_key) }
    }
}

/// Renders a template, turning a (programming) error into a plain 500 without details.
pub fn render<T: Template>(template: &T, status: StatusCode) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
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
}

pub async fn home(State(state): State<AppState>) -> Response {
    render(&HomePage { layout: Layout::new(&state, Lang::Nl, "home-title") }, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "not_found.html")]
pub struct NotFoundPage {
    pub layout: Layout,
}

pub async fn not_found(State(state): State<AppState>) -> Response {
    render(&NotFoundPage { layout: Layout::new(&state, Lang::Nl, "not-found-title") }, StatusCode::NOT_FOUND)
}

const STYLESHEET: &str = include_str!("../static/app.css");

pub async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLESHEET).into_response()
}
