//! Printable documents of a location: the route card for the wall and the school's full meldcode protocol,
//! built from the location's current route map, the reference library and the translation files, and
//! typeset by `meldroute_pdf` (Typst). Everything the documents say comes from data: the route map's own
//! text travels as data into the templates and never becomes markup.

#![allow(clippy::result_large_err)]

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use meldroute_domain::access::Action;
use meldroute_domain::route_map::{RouteMap, normalize_phone};
use meldroute_i18n::Lang;
use meldroute_pdf::{
    Actor, Answer, Assessment, AssessmentQuestion, Block, Chapter, Contact, Document, Field, ImportantNumber, Inline,
    Labels, Outcome, Protocol, RouteCard, RouteStep,
};
use meldroute_store::*;
use time::Date;

use crate::admin::locations::location_for;
use crate::admin::{db, finish, record};
use crate::auth::session::CurrentUser;
use crate::pages::I18n;
use crate::{AppState, clock};

/// "22 november 2026" / "22 November 2026".
pub fn long_date(i: &I18n, d: Date) -> String {
    format!("{} {} {}", d.day(), i.t(&format!("doc-month-{}", d.month() as u8)), d.year())
}

pub(crate) fn pdf_lang(lang: Lang) -> meldroute_pdf::Lang {
    match lang {
        Lang::Nl => meldroute_pdf::Lang::Nl,
        Lang::En => meldroute_pdf::Lang::En,
    }
}

pub(crate) fn labels(i: &I18n) -> Labels {
    Labels {
        who: i.t("doc-label-who"),
        agreements: i.t("doc-label-agreements"),
        numbers: i.t("doc-label-numbers"),
        partners: i.t("doc-label-partners"),
        phone: i.t("doc-label-phone"),
        email: i.t("doc-label-email"),
        step: i.t("doc-label-step"),
        question: i.t("doc-label-question"),
        page: i.t("doc-label-page"),
        of: i.t("doc-label-of"),
        contents: i.t("doc-label-contents"),
        verwijsindex: i.t("doc-label-verwijsindex"),
        none: i.t("doc-label-none"),
    }
}

/// The six steps with who acts (roles, then named people) and the agreements, one per paragraph.
fn steps(i: &I18n, map: &RouteMap) -> Vec<RouteStep> {
    map.steps
        .iter()
        .map(|plan| {
            let mut actors: Vec<Actor> = plan
                .actors
                .iter()
                .map(|a| Actor::new(i.t(&format!("route-actor-{}", a.as_str())), Vec::<String>::new()))
                .collect();
            if !plan.people.is_empty() {
                actors.push(Actor::new(i.t("routemap-people-short"), plan.people.iter().map(|p| p.name.clone())));
            }
            RouteStep {
                number: plan.step,
                title: step_title(i, plan.step),
                summary: i.t(&format!("doc-step-summary-{}", plan.step)),
                actors,
                agreements: plan
                    .agreements
                    .split("\n\n")
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect(),
            }
        })
        .collect()
}

/// "Signalen in kaart brengen" without the leading "1. " of the step keys.
fn step_title(i: &I18n, step: u8) -> String {
    let full = i.t(&format!("step-{step}"));
    full.split_once(". ").map_or(full.clone(), |(_, rest)| rest.to_string())
}

fn assessment(i: &I18n, education: bool) -> Assessment {
    let yes = |label: String, q: u8, outcome| Answer { label, text: i.t(&format!("doc-q{q}-yes")), outcome };
    let no = |q: u8, outcome| Answer { label: i.t("doc-no"), text: i.t(&format!("doc-q{q}-no")), outcome };
    let q = |n: u8, yes_answer: Answer, no_answer: Answer| AssessmentQuestion {
        number: n,
        name: i.t(&format!("doc-q{n}-name")),
        question: i.t(&format!("doc-q{n}-question")),
        yes: yes_answer,
        no: no_answer,
    };
    let q2_yes = if education { i.t("doc-q2-yes-label-edu") } else { i.t("doc-yes") };
    Assessment {
        title: i.t("doc-assessment-title"),
        intro: i.t("doc-assessment-intro"),
        questions: vec![
            q(1, yes(i.t("doc-yes"), 1, Outcome::Continue), no(1, Outcome::Close)),
            q(2, yes(q2_yes, 2, Outcome::Report), no(2, Outcome::Continue)),
            q(3, yes(i.t("doc-yes"), 3, Outcome::Continue), no(3, Outcome::Report)),
            q(4, yes(i.t("doc-yes"), 4, Outcome::Continue), no(4, Outcome::Report)),
            q(5, yes(i.t("doc-yes"), 5, Outcome::Close), no(5, Outcome::Report)),
        ],
        norms_title: i.t("doc-norms-title"),
        // The list numbers the norms itself: "Meldnorm 1: ..." becomes "...".
        norms: (1..=3)
            .map(|n| {
                let text = i.t(&meldroute_domain::meldnorm_message_key(n));
                text.split_once(": ").map_or(text.clone(), |(_, rest)| rest.to_string())
            })
            .collect(),
        notes: vec![i.t("doc-note-advice"), i.t("doc-note-five-days"), i.t("doc-note-staff")],
    }
}

fn numbers(i: &I18n, map: &RouteMap) -> Vec<ImportantNumber> {
    let mut out = vec![
        ImportantNumber {
            label: i.t("doc-number-112"),
            number: "112".into(),
            note: Some(i.t("doc-number-112-note")),
            urgent: true,
        },
        ImportantNumber {
            label: i.t("doc-number-vt"),
            number: "0800-2000".into(),
            note: Some(i.t("doc-number-vt-note")),
            urgent: false,
        },
    ];
    if normalize_phone(&map.veilig_thuis_phone).is_some() {
        out.push(ImportantNumber {
            label: i.t("doc-number-region"),
            number: map.veilig_thuis_phone.clone(),
            note: (!map.veilig_thuis_region.is_empty()).then(|| map.veilig_thuis_region.clone()),
            urgent: false,
        });
    }
    out
}

fn contacts(i: &I18n, map: &RouteMap) -> Vec<Contact> {
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let lead = &map.aandachtsfunctionaris;
    let mut out = vec![Contact {
        role: i.t("doc-lead"),
        name: some(&lead.person.name),
        phone: some(&lead.phone),
        email: some(&lead.email),
        note: None,
    }];
    out.extend(map.partners.iter().map(|p| Contact {
        role: format!("{}: {}", i.t(&format!("partner-kind-{}", p.kind.as_str())), p.organisation),
        name: some(&p.contact),
        phone: some(&p.phone),
        email: some(&p.email),
        note: some(&p.notes),
    }));
    out
}

/// The reference library's sections as protocol chapters (the texts of the naslagwerk, in one language).
fn reference_chapters(lang: Lang) -> Vec<Chapter> {
    use meldroute_guidance::{Block as G, Inline as GI};
    let inline = |x: &GI| match x {
        GI::Text(t) => Inline::text(t.clone()),
        GI::Strong(t) => Inline::strong(t.clone()),
        GI::Emph(t) => Inline::emph(t.clone()),
        // Internal links mean nothing on paper: their text stays, the address goes.
        GI::Link { href, text } if href.starts_with("https:") => Inline::link(text.clone(), href.clone()),
        GI::Link { text, .. } => Inline::text(text.clone()),
    };
    let inlines = |xs: &[GI]| xs.iter().map(inline).collect::<Vec<_>>();
    meldroute_guidance::sections(lang)
        .iter()
        .map(|s| Chapter {
            title: s.title.clone(),
            blocks: s
                .blocks
                .iter()
                .flat_map(|b| match b {
                    G::Heading { text, .. } => vec![Block::heading(text.clone())],
                    G::Paragraph(xs) => vec![Block::rich(inlines(xs))],
                    G::List { ordered, items } => {
                        vec![Block::List { ordered: *ordered, items: items.iter().map(|x| inlines(x)).collect() }]
                    }
                    G::Note { paragraphs, .. } => {
                        paragraphs.iter().map(|p| Block::Note { title: None, inlines: inlines(p) }).collect::<Vec<_>>()
                    }
                })
                .collect(),
        })
        .collect()
}

/// What both documents need about the location.
struct Source {
    location: Location,
    map: RouteMap,
    version: Option<RouteMapVersion>,
    set_by: Option<String>,
}

async fn source(state: &AppState, me: &CurrentUser, id: &str) -> Result<Source, Response> {
    let location = location_for(state, me, id, Action::ViewRouteMap).await?;
    let current = db(crate::route_map::current(state, &me.tenant, &location).await)?;
    let set_by = match &current.version {
        Some(v) => Some(db(state.db.get_user(&me.tenant, v.created_by).await)?.display_name),
        None => None,
    };
    Ok(Source { location, map: current.map, version: current.version, set_by })
}

fn organisation_line(org: &Organisation, location: &Location) -> (String, String) {
    (org.name.clone(), location.name.clone())
}

fn route_card(i: &I18n, org: &Organisation, src: &Source, today: Date) -> Document {
    let (school, location) = organisation_line(org, &src.location);
    let version = match &src.version {
        Some(v) => i.t_args(
            "doc-card-version",
            &[("version", v.version.to_string()), ("date", long_date(i, clock::dutch_local(v.created_at).date()))],
        ),
        None => i.t_args("doc-card-version-none", &[("date", long_date(i, today))]),
    };
    Document::RouteCard(RouteCard {
        lang: pdf_lang(i.lang),
        today,
        labels: labels(i),
        title: i.t("doc-card-title"),
        school,
        location,
        version,
        motto: i.t("doc-card-motto"),
        steps: steps(i, &src.map),
        assessment: assessment(i, src.location.sector.is_education_or_leerplicht()),
        numbers: numbers(i, &src.map),
        contacts: contacts(i, &src.map),
        verwijsindex: i.t(if src.map.uses_verwijsindex { "doc-verwijsindex-yes" } else { "doc-verwijsindex-no" }),
        footer: i.t("doc-card-footer"),
    })
}

fn protocol(i: &I18n, org: &Organisation, src: &Source, today: Date) -> Document {
    let version = src.version.as_ref().map_or_else(|| i.t("doc-not-set"), |v| v.version.to_string());
    let set_on = src.version.as_ref().map_or(today, |v| clock::dutch_local(v.created_at).date());
    let mut facts = vec![
        Field::new(i.t("doc-protocol-location"), src.location.name.clone()),
        Field::new(i.t("doc-protocol-version"), version.clone()),
        Field::new(i.t("doc-protocol-date"), long_date(i, set_on)),
    ];
    if let Some(by) = &src.set_by {
        facts.push(Field::new(i.t("doc-protocol-set-by"), by.clone()));
    }
    Document::Protocol(Protocol {
        lang: pdf_lang(i.lang),
        today,
        labels: labels(i),
        title: i.t("doc-protocol-title"),
        school: org.name.clone(),
        facts,
        footer: i.t_args(
            "doc-protocol-footer",
            &[("school", src.location.name.clone()), ("version", version), ("date", long_date(i, set_on))],
        ),
        introduction: Chapter {
            title: i.t("doc-protocol-intro-title"),
            blocks: (1..=3).map(|n| Block::paragraph(i.t(&format!("doc-protocol-intro-{n}")))).collect(),
        },
        route_title: i.t("doc-protocol-route-title"),
        route_intro: vec![Block::paragraph(i.t("doc-protocol-route-intro"))],
        steps: steps(i, &src.map),
        assessment: assessment(i, src.location.sector.is_education_or_leerplicht()),
        contacts_title: i.t("doc-protocol-contacts-title"),
        numbers: numbers(i, &src.map),
        contacts: contacts(i, &src.map),
        verwijsindex: i.t(if src.map.uses_verwijsindex { "doc-verwijsindex-yes" } else { "doc-verwijsindex-no" }),
        chapters: reference_chapters(i.lang),
    })
}

/// How long a request waits for a render (its turn included) before it is refused with 503.
pub(crate) const RENDER_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

pub(crate) fn pdf_error_kind(err: &meldroute_pdf::PdfError) -> &'static str {
    use meldroute_pdf::PdfError as E;
    match err {
        E::Data(_) => "data",
        E::Setup(_) => "setup",
        E::Compile { .. } => "compile",
        E::Export { .. } => "export",
        E::Task(..) => "task",
    }
}

/// A PDF response: shown inline in the browser's viewer, with a file name.
pub(crate) fn pdf_response(bytes: Vec<u8>, file: &str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{file}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

async fn render_for(
    state: &AppState,
    me: &CurrentUser,
    addr: &SocketAddr,
    id: &str,
    which: &'static str,
) -> Result<Response, Response> {
    let src = source(state, me, id).await?;
    let org = db(state.db.get_organisation(&me.tenant).await)?;
    let i = I18n { lang: me.lang };
    let today = clock::today_nl();
    let doc = match which {
        "card" => route_card(&i, &org, &src, today),
        _ => protocol(&i, &org, &src, today),
    };
    // A bounded wait: when the renderer is busy for longer, the user is asked to try again rather than
    // requests piling up behind it.
    let rendered = tokio::time::timeout(RENDER_WAIT, state.pdf.render(doc)).await;
    let bytes = match rendered {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(err)) => {
            // The error's kind only: a Typst message could quote the data.
            tracing::error!(document = which, kind = pdf_error_kind(&err), "PDF rendering failed");
            return Err(StatusCode::SERVICE_UNAVAILABLE.into_response());
        }
        Err(_) => {
            tracing::warn!(document = which, "PDF rendering busy; request refused");
            return Err((StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "10")]).into_response());
        }
    };
    record(state, me, addr, &format!("route_map.{which}.pdf"), None).await?;
    let version = src.version.map_or(0, |v| v.version);
    let file = match which {
        "card" => format!("routekaart-locatie-{}-v{version}.pdf", src.location.id.0),
        _ => format!("meldcodeprotocol-locatie-{}-v{version}.pdf", src.location.id.0),
    };
    Ok(pdf_response(bytes, &file))
}

/// `GET /locations/{id}/route-map/card.pdf`
pub async fn route_card_pdf(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> Response {
    finish(render_for(&state, &me, &addr, &id, "card").await)
}

/// `GET /locations/{id}/route-map/protocol.pdf`
pub async fn protocol_pdf(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> Response {
    finish(render_for(&state, &me, &addr, &id, "protocol").await)
}
