//! The two summaries of a dossier (issue 7 parts 1 and 2):
//!
//! - the **report summary for Veilig Thuis**: an HTML page, a plain text to read out on the phone and a PDF,
//!   all three from [`meldroute_domain::report_summary::summarize`] and one [`View`];
//! - the **anonymous consultation summary**: the same facts passed through `meldroute_anonymize` with the
//!   dossier's structured identifiers (pupil, siblings, staff, schools, leerlingnummer, date of birth) as
//!   known identifiers. The user reviews a preview with every replacement highlighted, may add rare details
//!   to remove (re-rendered, never saved), and copies or downloads the text.
//!
//! Every request is audited: allowed, denied (a 404 like a dossier that does not exist) or not found.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use meldroute_anonymize::{Category, Input, Known, KnownKind};
use meldroute_domain::access::Action;
use meldroute_domain::report_summary::{Field, Item, ReportSummary, Value, summarize};
use meldroute_i18n::Lang;
use meldroute_pdf::{Block, Document, Report, ReportSection};
use meldroute_store::*;
use time::Date;

use crate::auth::session::CurrentUser;
use crate::documents::{RENDER_WAIT, labels, long_date, pdf_error_kind, pdf_lang, pdf_response};
use crate::dossier_pages::{PageError, audit_read, dossier_resource, format_date};
use crate::dossiers::{self, Loaded};
use crate::pages::{I18n, Layout, render};
use crate::{AppState, clock};

/// At most this much text of rare details (one per line) is accepted.
const MAX_RARE_BYTES: usize = 4000;

/// A piece of a shown value: plain, or a replacement of the anonymiser with its category label.
pub struct Piece {
    pub text: String,
    /// The category's label and code, for a highlighted replacement.
    pub mark: Option<(String, &'static str)>,
}

impl Piece {
    fn plain(text: impl Into<String>) -> Piece {
        Piece { text: text.into(), mark: None }
    }
}

pub struct ViewField {
    pub label: String,
    pub value: Vec<Piece>,
}

impl ViewField {
    fn text(&self) -> String {
        self.value.iter().map(|p| p.text.as_str()).collect()
    }
}

pub struct ViewItem {
    pub when: Vec<Piece>,
    pub author: Vec<Piece>,
    pub corrected: bool,
    pub fields: Vec<ViewField>,
}

pub struct ViewSection {
    pub heading: String,
    pub items: Vec<ViewItem>,
}

/// A summary ready to show, print or read out: translated, and (for the anonymous one) anonymised.
pub struct View {
    pub title: String,
    pub facts: Vec<ViewField>,
    pub status: Vec<ViewField>,
    pub sections: Vec<ViewSection>,
}

/// Everything about a dossier a summary needs, loaded once.
struct Source {
    loaded: Loaded,
    users: Vec<User>,
    locations: Vec<Location>,
    org: Organisation,
    siblings: Vec<Pupil>,
    group: Option<String>,
    /// The other pupils of the pupil's group: a note may name a classmate.
    classmates: Vec<Pupil>,
    /// For a dossier received from another school: the sending school and the original authors.
    received: Option<meldroute_store::ReceivedDossier>,
    summary: ReportSummary,
}

/// Load and authorize; audit every outcome under `audit_action`.
async fn prepare(
    state: &AppState,
    me: &CurrentUser,
    addr: &SocketAddr,
    id: i64,
    action: Action,
    audit_action: &str,
) -> Result<Source, PageError> {
    let loaded = match dossiers::load(&state.db, &state.chronologies, &me.tenant, DossierId(id)).await {
        Ok(l) => l,
        Err(e) => {
            audit_read(state, me, addr, audit_action, "not_found", None, Some(DossierId(id))).await?;
            return Err(e.into());
        }
    };
    let resource = dossier_resource(me, &loaded);
    if let Err(denied) = me.authorize(action, &resource) {
        audit_read(state, me, addr, audit_action, "denied", Some(loaded.pupil.id), Some(loaded.dossier.id)).await?;
        return Err(denied.into());
    }
    audit_read(state, me, addr, audit_action, "allowed", Some(loaded.pupil.id), Some(loaded.dossier.id)).await?;
    let users = state.db.list_users(&me.tenant).await?;
    let locations = state.db.list_locations(&me.tenant).await?;
    let org = state.db.get_organisation(&me.tenant).await?;
    let siblings = state.db.siblings_of(&me.tenant, loaded.pupil.id).await?;
    let group = match loaded.pupil.group {
        Some(g) => state
            .db
            .list_groups(&me.tenant, loaded.pupil.location)
            .await?
            .into_iter()
            .find(|x| x.id == g)
            .map(|x| x.name),
        None => None,
    };
    let classmates = match loaded.pupil.group {
        Some(g) => {
            let filter = meldroute_store::PupilFilter {
                location: Some(loaded.pupil.location),
                group: Some(g),
                name_contains: None,
                limit: Some(200),
            };
            state.db.list_pupils(&me.tenant, &filter).await?.into_iter().filter(|p| p.id != loaded.pupil.id).collect()
        }
        None => Vec::new(),
    };
    let received = state.db.received_dossier(&me.tenant, loaded.dossier.id).await?;
    let summary = summarize(&loaded.entries);
    Ok(Source { loaded, users, locations, org, siblings, group, classmates, received, summary })
}

impl Source {
    fn author(&self, id: i64) -> String {
        self.users.iter().find(|u| u.id.0 == id).map_or_else(|| format!("#{id}"), |u| u.display_name.clone())
    }

    fn location_name(&self) -> String {
        self.locations.iter().find(|l| l.id == self.loaded.pupil.location).map_or_else(String::new, |l| l.name.clone())
    }

    fn pupil_name(&self) -> String {
        format!("{} {}", self.loaded.pupil.first_name, self.loaded.pupil.last_name)
    }
}

fn field_label(i: &I18n, label: &str) -> String {
    i.t(&format!("summary-field-{label}"))
}

fn value_text(i: &I18n, field: &Field) -> String {
    match &field.value {
        Value::Text(t) => t.clone(),
        Value::Code(c) if field.label == "question" => i.t(&format!("question-{c}")),
        Value::Code(c) => {
            let key = format!("value-{c}");
            if meldroute_i18n::has(Lang::Nl, &key) { i.t(&key) } else { c.replace('_', " ") }
        }
        Value::Bool(b) => i.t(if *b { "yes" } else { "no" }),
        Value::Date(d) => format_date(*d),
    }
}

fn yes_no_unknown(i: &I18n, value: Option<bool>) -> String {
    match value {
        Some(true) => i.t("yes"),
        Some(false) => i.t("no"),
        None => i.t("summary-not-recorded"),
    }
}

fn with_reason(i: &I18n, told: Option<bool>, reason: &Option<String>) -> String {
    match (told, reason) {
        (Some(false), Some(r)) if !r.trim().is_empty() => format!("{} ({})", yes_no_unknown(i, told), r.trim()),
        _ => yes_no_unknown(i, told),
    }
}

/// The report's particulars: who reports, were parents and pupil told, does the bevoegd gezag know.
fn status_fields(i: &I18n, s: &ReportSummary) -> Vec<(String, String)> {
    let st = &s.status;
    let mut out = vec![
        (
            i.t("summary-status-reported-on"),
            st.reported_on.map_or_else(|| i.t("summary-not-yet-reported"), format_date),
        ),
        (i.t("summary-status-reporter"), st.reporter.clone().unwrap_or_else(|| i.t("summary-not-recorded"))),
        (i.t("summary-status-parents"), with_reason(i, st.parents_informed, &st.parents_not_informed_reason)),
        (i.t("summary-status-pupil"), with_reason(i, st.pupil_informed, &st.pupil_not_informed_reason)),
        (i.t("summary-status-board"), yes_no_unknown(i, st.board_informed)),
    ];
    if st.reported_on.is_none() {
        if let Some(who) = &st.informs_parents {
            out.push((i.t("summary-field-informs-parents"), who.clone()));
        }
        if let Some(who) = &st.informs_pupil {
            out.push((i.t("summary-field-informs-pupil"), who.clone()));
        }
    }
    out
}

fn plain_field(label: String, value: String) -> ViewField {
    ViewField { label, value: vec![Piece::plain(value)] }
}

/// The report summary as it is: names and dates as recorded.
fn report_view(i: &I18n, src: &Source) -> View {
    let p = &src.loaded.pupil;
    let mut facts = vec![
        plain_field(i.t("summary-fact-pupil"), src.pupil_name()),
        plain_field(i.t("summary-fact-born"), p.date_of_birth.map_or_else(|| i.t("summary-not-recorded"), format_date)),
        plain_field(i.t("summary-fact-school"), format!("{} ({})", src.location_name(), src.org.name)),
    ];
    if let Some(g) = &src.group {
        facts.push(plain_field(i.t("summary-fact-group"), g.clone()));
    }
    if let Some(r) = &p.external_ref {
        facts.push(plain_field(i.t("summary-fact-external-ref"), r.clone()));
    }
    if !src.siblings.is_empty() {
        let names: Vec<String> = src
            .siblings
            .iter()
            .map(|s| match s.date_of_birth {
                Some(d) => format!("{} {} ({})", s.first_name, s.last_name, format_date(d)),
                None => format!("{} {}", s.first_name, s.last_name),
            })
            .collect();
        facts.push(plain_field(i.t("summary-fact-siblings"), names.join("; ")));
    }
    facts.push(plain_field(i.t("summary-fact-dossier"), src.loaded.dossier.id.0.to_string()));
    facts.push(plain_field(i.t("summary-fact-made-on"), long_date(i, clock::today_nl())));
    let status = status_fields(i, &src.summary).into_iter().map(|(l, v)| plain_field(l, v)).collect();
    let sections = src
        .summary
        .sections
        .iter()
        .map(|s| ViewSection {
            heading: i.t(&format!("summary-section-{}", s.kind.code())),
            items: s
                .items
                .iter()
                .map(|item| ViewItem {
                    when: vec![Piece::plain(format_date(item.date))],
                    author: vec![Piece::plain(src.author(item.author.0))],
                    corrected: item.corrected,
                    fields: item
                        .fields
                        .iter()
                        .map(|f| plain_field(field_label(i, f.label), value_text(i, f)))
                        .collect(),
                })
                .collect(),
        })
        .collect();
    View { title: i.t("summary-report-title"), facts, status, sections }
}

// --- the anonymous summary -----------------------------------------------------------------------------------

fn category_label(i: &I18n, c: Category) -> String {
    i.t(&format!("anon-category-{}", c.code().replace('_', "-")))
}

fn marked(i: &I18n, text: String, c: Category) -> Piece {
    Piece { text, mark: Some((category_label(i, c), c.code())) }
}

/// What the dossier's structured data knows, as the anonymiser's known identifiers.
fn known_identifiers(src: &Source, rare: &[String]) -> Vec<Known> {
    let p = &src.loaded.pupil;
    let mut known = vec![Known::new(KnownKind::Pupil, format!("{} {}", p.first_name, p.last_name))];
    for s in &src.siblings {
        known.push(Known::new(KnownKind::Sibling, format!("{} {}", s.first_name, s.last_name)));
        if let Some(r) = &s.external_ref {
            known.push(Known::new(KnownKind::Number, r.clone()));
        }
    }
    // Every colleague of the organisation: a note names colleagues who wrote nothing themselves.
    for u in &src.users {
        known.push(Known::new(KnownKind::Staff, u.display_name.clone()));
    }
    for l in &src.locations {
        known.push(Known::new(KnownKind::School, l.name.clone()));
    }
    known.push(Known::new(KnownKind::School, src.org.name.clone()));
    for c in &src.classmates {
        known.push(Known::new(KnownKind::Person, format!("{} {}", c.first_name, c.last_name)));
    }
    if let Some(r) = &src.received {
        known.push(Known::new(KnownKind::School, r.sending_organisation.clone()));
        known.push(Known::new(KnownKind::School, r.sending_location.clone()));
        for e in &r.entries {
            known.push(Known::new(KnownKind::Staff, e.author_name.clone()));
        }
    }
    // The group's name ("Groep 7", "Klas 2b") narrows the pupil down to a handful of children.
    if let Some(g) = &src.group {
        known.push(Known::new(KnownKind::RareDetail, g.clone()));
    }
    if let Some(r) = &p.external_ref {
        known.push(Known::new(KnownKind::Number, r.clone()));
    }
    known.extend(rare.iter().map(|r| Known::new(KnownKind::RareDetail, r.clone())));
    known
}

/// Per category, how many replacements were made (for the page's overview).
pub struct Count {
    pub label: String,
    pub count: usize,
}

fn anonymous_view(i: &I18n, src: &Source, rare: &[String], today: Date) -> (View, Vec<Count>) {
    let known = known_identifiers(src, rare);
    let births: Vec<Date> =
        src.loaded.pupil.date_of_birth.into_iter().chain(src.siblings.iter().filter_map(|s| s.date_of_birth)).collect();
    let mut counts: BTreeMap<Category, usize> = BTreeMap::new();
    let mut anon = |text: &str| -> Vec<Piece> {
        let out =
            meldroute_anonymize::anonymize(&Input { text, known: &known, dates_of_birth: &births, reference: today });
        for r in &out.replacements {
            *counts.entry(r.category).or_default() += 1;
        }
        out.segments()
            .into_iter()
            .map(|s| match s.category {
                Some(c) => marked(i, s.text.to_string(), c),
                None => Piece::plain(s.text),
            })
            .collect()
    };
    let p = &src.loaded.pupil;
    let mut facts = vec![ViewField {
        label: i.t("summary-fact-pupil"),
        value: vec![marked(i, Category::Pupil.placeholder().to_string(), Category::Pupil)],
    }];
    if let Some(birth) = p.date_of_birth {
        let years = meldroute_anonymize::age_in_years(birth, today).max(0);
        facts.push(ViewField {
            label: i.t("summary-fact-age"),
            value: vec![marked(
                i,
                i.t_args("summary-age-years", &[("years", years.to_string())]),
                Category::DateOfBirth,
            )],
        });
    }
    facts.push(ViewField {
        label: i.t("summary-fact-siblings-count"),
        value: vec![Piece::plain(src.siblings.len().to_string())],
    });
    let status =
        status_fields(i, &src.summary).into_iter().map(|(l, v)| ViewField { label: l, value: anon(&v) }).collect();
    let mut sections = Vec::new();
    for s in &src.summary.sections {
        let mut items = Vec::new();
        for item in &s.items {
            items.push(anonymous_item(i, item, today, &mut anon));
        }
        sections.push(ViewSection { heading: i.t(&format!("summary-section-{}", s.kind.code())), items });
    }
    let view = View { title: i.t("anon-title"), facts, status, sections };
    let counts = counts.into_iter().map(|(c, count)| Count { label: category_label(i, c), count }).collect();
    (view, counts)
}

fn anonymous_item(i: &I18n, item: &Item, today: Date, anon: &mut impl FnMut(&str) -> Vec<Piece>) -> ViewItem {
    let fields = item
        .fields
        .iter()
        .map(|f| {
            let value = match &f.value {
                Value::Text(t) => anon(t),
                Value::Date(d) => vec![marked(i, meldroute_anonymize::relative_date(*d, today), Category::Date)],
                _ => vec![Piece::plain(value_text(i, f))],
            };
            ViewField { label: field_label(i, f.label), value }
        })
        .collect();
    ViewItem {
        when: vec![marked(i, meldroute_anonymize::relative_date(item.date, today), Category::Date)],
        author: vec![marked(i, Category::Staff.placeholder().to_string(), Category::Staff)],
        corrected: item.corrected,
        fields,
    }
}

// --- plain text and PDF ------------------------------------------------------------------------------------

fn pieces_text(pieces: &[Piece]) -> String {
    pieces.iter().map(|p| p.text.as_str()).collect()
}

/// The plain text: headings underlined, every field on its own line, easy to read out.
pub fn plain_text(i: &I18n, view: &View, marking: &str) -> String {
    let mut out = String::new();
    let underline = |out: &mut String, text: &str, c: char| {
        out.push_str(text);
        out.push('\n');
        out.push_str(&c.to_string().repeat(text.chars().count()));
        out.push_str("\n\n");
    };
    if !marking.is_empty() {
        out.push_str(marking);
        out.push_str("\n\n");
    }
    underline(&mut out, &view.title, '=');
    for f in &view.facts {
        out.push_str(&format!("{}: {}\n", f.label, f.text()));
    }
    out.push('\n');
    underline(&mut out, &i.t("summary-status-heading"), '-');
    for f in &view.status {
        out.push_str(&format!("{}: {}\n", f.label, f.text()));
    }
    out.push('\n');
    for s in &view.sections {
        underline(&mut out, &s.heading, '-');
        if s.items.is_empty() {
            out.push_str(&i.t("summary-none"));
            out.push_str("\n\n");
        }
        for item in &s.items {
            out.push_str(&format!("* {} · {}", pieces_text(&item.when), pieces_text(&item.author)));
            if item.corrected {
                out.push_str(&format!(" ({})", i.t("summary-corrected")));
            }
            out.push('\n');
            for f in &item.fields {
                out.push_str(&format!("  {}: {}\n", f.label, f.text().replace('\n', "\n    ")));
            }
            out.push('\n');
        }
    }
    out
}

fn pdf_document(i: &I18n, view: &View, marking: &str, subtitle: String, footer: String) -> Document {
    let mut sections = vec![ReportSection {
        heading: i.t("summary-status-heading"),
        blocks: vec![Block::Fields {
            fields: view.status.iter().map(|f| meldroute_pdf::Field::new(f.label.clone(), f.text())).collect(),
        }],
    }];
    for s in &view.sections {
        let mut blocks = Vec::new();
        if s.items.is_empty() {
            blocks.push(Block::paragraph(i.t("summary-none")));
        }
        for item in &s.items {
            let mut heading = format!("{} · {}", pieces_text(&item.when), pieces_text(&item.author));
            if item.corrected {
                heading.push_str(&format!(" ({})", i.t("summary-corrected")));
            }
            blocks.push(Block::Heading { text: heading });
            blocks.push(Block::Fields {
                fields: item.fields.iter().map(|f| meldroute_pdf::Field::new(f.label.clone(), f.text())).collect(),
            });
        }
        sections.push(ReportSection { heading: s.heading.clone(), blocks });
    }
    Document::Report(Report {
        lang: pdf_lang(i.lang),
        today: clock::today_nl(),
        labels: labels(i),
        title: view.title.clone(),
        subtitle,
        marking: marking.to_string(),
        facts: view.facts.iter().map(|f| meldroute_pdf::Field::new(f.label.clone(), f.text())).collect(),
        sections,
        footer,
    })
}

fn text_response(text: String, file: &str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        text,
    )
        .into_response()
}

// --- handlers ----------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "summary_report.html")]
pub struct ReportPage {
    pub layout: Layout,
    pub id: i64,
    pub pupil_name: String,
    pub view: View,
}

/// `GET /dossiers/{id}/report-summary`: the summary for Veilig Thuis, with links to the PDF and the text.
pub async fn report_page(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let src = prepare(&state, &me, &addr, id, Action::ReportSummary, "dossier.report_summary").await?;
    let layout = Layout::for_user(&state, &me, "summary-report-title");
    let view = report_view(&layout.i, &src);
    let page = ReportPage { layout, id, pupil_name: src.pupil_name(), view };
    Ok(render(&page, StatusCode::OK))
}

/// `GET /dossiers/{id}/report-summary.txt`: the same as plain text, to read out on the phone.
pub async fn report_text(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let src = prepare(&state, &me, &addr, id, Action::ReportSummary, "dossier.report_summary.txt").await?;
    let i = I18n { lang: me.lang };
    let text = plain_text(&i, &report_view(&i, &src), &i.t("summary-marking"));
    Ok(text_response(text, &format!("samenvatting-veilig-thuis-dossier-{id}.txt")))
}

/// `GET /dossiers/{id}/report-summary.pdf`: the same as a PDF.
pub async fn report_pdf(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let src = prepare(&state, &me, &addr, id, Action::ReportSummary, "dossier.report_summary.pdf").await?;
    let i = I18n { lang: me.lang };
    let view = report_view(&i, &src);
    let subtitle = format!("{} · {}", src.pupil_name(), src.location_name());
    let footer = format!("{} · {} {id}", i.t("summary-marking"), i.t("summary-fact-dossier"));
    let doc = pdf_document(&i, &view, &i.t("summary-marking"), subtitle, footer);
    let bytes = match tokio::time::timeout(RENDER_WAIT, state.pdf.render(doc)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(err)) => {
            tracing::error!(document = "report_summary", kind = pdf_error_kind(&err), "PDF rendering failed");
            return Err(PageError::Unavailable);
        }
        Err(_) => {
            tracing::warn!(document = "report_summary", "PDF rendering busy; request refused");
            return Err(PageError::Unavailable);
        }
    };
    Ok(pdf_response(bytes, &format!("samenvatting-veilig-thuis-dossier-{id}.pdf")))
}

#[derive(Template)]
#[template(path = "summary_anonymous.html")]
pub struct AnonymousPage {
    pub layout: Layout,
    pub id: i64,
    pub csrf: String,
    pub view: View,
    pub counts: Vec<Count>,
    pub rare: String,
    pub rare_error: Option<String>,
    pub text: String,
}

fn anonymous_page(
    state: &AppState,
    me: &CurrentUser,
    src: &Source,
    id: i64,
    rare_raw: String,
    rare_error: Option<String>,
) -> Response {
    let layout = Layout::for_user(state, me, "anon-title");
    let today = clock::today_nl();
    let rare = rare_lines(&rare_raw);
    let (view, counts) = anonymous_view(&layout.i, src, &rare, today);
    let text = plain_text(&layout.i, &view, "");
    let page = AnonymousPage {
        layout,
        id,
        csrf: me.session.csrf_token.clone(),
        view,
        counts,
        rare: rare_raw,
        rare_error,
        text,
    };
    render(&page, StatusCode::OK)
}

fn rare_lines(raw: &str) -> Vec<String> {
    raw.lines()
        .map(str::trim)
        .filter(|l| l.chars().filter(|c| c.is_alphanumeric()).count() >= 2)
        .map(str::to_string)
        .collect()
}

/// `GET /dossiers/{id}/anonymous-summary`: the preview with every replacement highlighted.
pub async fn anonymous_get(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let src = prepare(&state, &me, &addr, id, Action::AnonymousSummary, "dossier.anonymous_summary").await?;
    Ok(anonymous_page(&state, &me, &src, id, String::new(), None))
}

/// `POST /dossiers/{id}/anonymous-summary`: re-render with rare details removed, or download the text.
/// Nothing is stored (the rare details are not even in the audit log).
pub async fn anonymous_post(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    if let Err(e) = crate::auth::csrf::parse_form::<BTreeMap<String, String>>(&body, &me.session.csrf_token) {
        return Ok(e.into_response());
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| PageError::NotFound)?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let download = get("download").is_some();
    let audit_action = if download { "dossier.anonymous_summary.txt" } else { "dossier.anonymous_summary" };
    let src = prepare(&state, &me, &addr, id, Action::AnonymousSummary, audit_action).await?;
    let rare_raw = get("rare").unwrap_or_default();
    let i = I18n { lang: me.lang };
    if rare_raw.len() > MAX_RARE_BYTES {
        // Too long: shown again without using it, with a message tied to the field.
        return Ok(anonymous_page(&state, &me, &src, id, String::new(), Some(i.t("anon-rare-too-long"))));
    }
    if download {
        let (view, _) = anonymous_view(&i, &src, &rare_lines(&rare_raw), clock::today_nl());
        return Ok(text_response(plain_text(&i, &view, ""), "anonieme-samenvatting.txt"));
    }
    Ok(anonymous_page(&state, &me, &src, id, rare_raw, None))
}

/// Whether the dossier page links the summaries.
pub fn links(me: &CurrentUser, resource: &meldroute_domain::access::Resource) -> (bool, bool) {
    (me.authorize(Action::ReportSummary, resource).is_ok(), me.authorize(Action::AnonymousSummary, resource).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use meldroute_domain::report_summary::SectionKind;

    #[test]
    fn rare_details_one_per_line_ignoring_blanks() {
        assert_eq!(rare_lines("  de enige tweeling \n\n x \nrode fiets"), vec!["de enige tweeling", "rode fiets"]);
    }

    #[test]
    fn the_plain_text_shows_every_section_and_field() {
        let i = I18n { lang: Lang::Nl };
        let view = View {
            title: "T".into(),
            facts: vec![plain_field("Leerling".into(), "X".into())],
            status: vec![plain_field("Wie meldt".into(), "Y".into())],
            sections: vec![
                ViewSection {
                    heading: "Feiten".into(),
                    items: vec![ViewItem {
                        when: vec![Piece::plain("01-03-2026")],
                        author: vec![Piece::plain("Juf")],
                        corrected: true,
                        fields: vec![plain_field("Gezien".into(), "regel 1\nregel 2".into())],
                    }],
                },
                ViewSection { heading: "Leeg".into(), items: vec![] },
            ],
        };
        let text = plain_text(&i, &view, "VERTROUWELIJK");
        assert!(text.starts_with("VERTROUWELIJK\n\nT\n=\n"), "{text}");
        assert!(text.contains("Leerling: X\n"));
        assert!(text.contains("Wie meldt: Y\n"));
        assert!(text.contains("* 01-03-2026 · Juf ("), "{text}");
        assert!(text.contains("  Gezien: regel 1\n    regel 2\n"), "{text}");
        assert!(text.contains("Leeg\n----\n\n"), "{text}");
    }

    #[test]
    fn every_section_has_a_heading_key() {
        for kind in SectionKind::ALL {
            assert!(meldroute_i18n::has(Lang::Nl, &format!("summary-section-{}", kind.code())), "{}", kind.code());
        }
    }
}
