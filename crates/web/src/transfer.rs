//! The full dossier export and the transfer import (issue 7 part 3), and the access log as CSV.
//!
//! * `GET /dossiers/{id}/export?purpose=P&format=json|pdf`: the whole dossier as JSON (the documented
//!   format `meldroute.dossier`, see `docs/export-format.md` and [`meldroute_domain::transfer`]) or as a
//!   readable PDF. Only for who may export ([`Action::ExportDossier`]); anyone else gets the standard 404.
//!   Every attempt is audited as `dossier.export.<format>.<purpose>` with its outcome.
//! * `GET /dossiers/{id}/access-log.csv`: who viewed or changed the dossier, for an access request. Every
//!   cell goes through [`crate::csv_export`].
//! * `GET /transfers/import`, `POST /transfers/import`: the receiving aandachtsfunctionaris uploads an
//!   export for one of her locations; it is checked completely ([`meldroute_domain::transfer::check`] plus
//!   the pupil not already being here) and a preview or the list of every problem is shown. Nothing is
//!   written.
//! * `POST /transfers/import/accept`: the explicit acceptance. The preview's form carries the uploaded
//!   document back (base64url in a hidden field): the server keeps no pending upload, so nothing
//!   personal waits in memory, it works on every node behind a load balancer and after a restart, and the
//!   document is checked again completely before anything is written (what is accepted is exactly what was
//!   checked; the SHA-256 shown in the preview is compared too). One [`WriteOp::ImportDossier`] writes
//!   pupil, dossier, entries, files and received marks in one savepoint.
//!
//! Files, names and contents are personal data and never logged.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::extract::{ConnectInfo, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use meldroute_domain::access::{Action, Resource};
use meldroute_domain::transfer::{
    self, DossierExport, ExportDossier, ExportEntry, ExportFile, ExportPupil, ExportPurpose, Person, Problem,
    ProblemCode, School, Sibling,
};
use meldroute_domain::{Calendar, EntryBody, EntryId as DomainEntryId, FoldContext, fold};
use meldroute_pdf::{Block, Document, Field, Report, ReportSection};
use meldroute_store::transfers::{ImportedDossier, ImportedEntry};
use meldroute_store::*;
use serde::Deserialize;

use crate::auth::csrf;
use crate::auth::session::CurrentUser;
use crate::dossier_pages::{
    PageError, audit_read, dossier_resource, entry_fields, format_date, format_datetime, format_size,
};
use crate::dossiers::{self, Loaded};
use crate::pages::{I18n, Layout, render};
use crate::{AppState, clock};

/// The largest export file the import accepts: 40 MiB (a dossier with a few scans; attachments are at
/// most 10 MiB each, and base64 adds a third).
pub const MAX_IMPORT_BYTES: usize = 40 * 1024 * 1024;
/// The upload route's body limit: the file plus the form's other parts.
pub const MAX_UPLOAD_BODY_BYTES: usize = MAX_IMPORT_BYTES + 64 * 1024;
/// The acceptance route's body limit: the document as base64url (4/3) plus the other fields.
pub const MAX_ACCEPT_BODY_BYTES: usize = MAX_IMPORT_BYTES / 3 * 4 + 64 * 1024;

// --- building the export ---------------------------------------------------------------------------------

/// The role of a user at a location, most specific first (for "author name and role").
fn role_at(grants: &[RoleGrant], location: LocationId) -> Option<String> {
    let here: Vec<Role> = grants.iter().filter(|g| g.location.is_none_or(|l| l == location)).map(|g| g.role).collect();
    [
        Role::Aandachtsfunctionaris,
        Role::Directeur,
        Role::InternBegeleider,
        Role::Medewerker,
        Role::ExternePartner,
        Role::Beheerder,
        Role::Bestuur,
    ]
    .into_iter()
    .find(|r| here.contains(r))
    .map(|r| r.code().to_string())
}

/// The complete export of a loaded dossier (sealed: every entry hashed, `chain_head` set).
pub async fn build_export(
    state: &AppState,
    me: &CurrentUser,
    loaded: &Loaded,
    purpose: ExportPurpose,
) -> Result<DossierExport, PageError> {
    let t = &me.tenant;
    let org = state.db.get_organisation(t).await?;
    let location = state
        .db
        .list_locations(t)
        .await?
        .into_iter()
        .find(|l| l.id == loaded.dossier.location)
        .ok_or(PageError::NotFound)?;
    let users = state.db.list_users(t).await?;
    let received = state.db.received_dossier(t, loaded.dossier.id).await?;
    let mut roles: BTreeMap<i64, Option<String>> = BTreeMap::new();
    let mut person = async |id: UserId| -> Result<Person, PageError> {
        let name = users.iter().find(|u| u.id == id).map_or_else(|| format!("#{}", id.0), |u| u.display_name.clone());
        if let std::collections::btree_map::Entry::Vacant(slot) = roles.entry(id.0) {
            let grants = state.db.roles_of(t, id).await?;
            slot.insert(role_at(&grants, location.id));
        }
        Ok(Person { name, role: roles.get(&id.0).cloned().flatten() })
    };
    let exported_by = person(me.user.id).await?;
    let opened_by = match &received {
        // Opened at another school: the first entry's original author opened it there.
        Some(r) => r
            .entries
            .first()
            .map(|e| Person { name: e.author_name.clone(), role: e.author_role.clone() })
            .unwrap_or(person(loaded.dossier.opened_by).await?),
        None => person(loaded.dossier.opened_by).await?,
    };
    let seq_of: BTreeMap<DomainEntryId, u32> = loaded.entries.iter().map(|e| (e.id, e.seq)).collect();
    let mut sorted: Vec<&meldroute_domain::Entry> = loaded.entries.iter().collect();
    sorted.sort_by_key(|e| e.seq);
    let mut entries = Vec::with_capacity(sorted.len());
    for e in sorted {
        let mut body = e.body.clone();
        if let EntryBody::Correction(c) = &mut body {
            let target = seq_of.get(&c.corrects).copied().ok_or(PageError::Unavailable)?;
            c.corrects = DomainEntryId(i64::from(target));
        }
        let original = received.as_ref().and_then(|r| r.entries.iter().find(|x| x.entry.0 == e.id.0));
        let author = match original {
            Some(o) => Person { name: o.author_name.clone(), role: o.author_role.clone() },
            None => person(UserId(e.author.0)).await?,
        };
        let received_from = match (original, &received) {
            (Some(_), Some(r)) => Some(transfer::ReceivedFrom {
                organisation: r.sending_organisation.clone(),
                location: r.sending_location.clone(),
            }),
            _ => None,
        };
        let attachment = match &e.body {
            EntryBody::Attachment(a) => {
                let stored = state.db.get_attachment(t, loaded.dossier.id, &a.attachment_id).await?;
                Some(ExportFile {
                    media_type: stored.media_type.clone(),
                    size_bytes: u64::try_from(stored.size_bytes).unwrap_or(0),
                    sha256: transfer::sha256_hex(&stored.content),
                    content_base64: transfer::encode_file(&stored.content),
                })
            }
            _ => None,
        };
        entries.push(ExportEntry {
            seq: e.seq,
            kind: e.body.kind().as_str().to_string(),
            recorded_at: e.recorded_at,
            occurred_on: e.occurred_on,
            author,
            received_from,
            body,
            attachment,
            hash: String::new(),
        });
    }
    let group = match loaded.pupil.group {
        Some(g) => {
            state.db.list_groups(t, loaded.pupil.location).await?.into_iter().find(|x| x.id == g).map(|x| x.name)
        }
        None => None,
    };
    let siblings = state
        .db
        .siblings_of(t, loaded.pupil.id)
        .await?
        .into_iter()
        .map(|s| Sibling { first_name: s.first_name, last_name: s.last_name, date_of_birth: s.date_of_birth })
        .collect();
    let state_at_export = fold(&loaded.ctx, &transfer::domain_entries(&entries));
    let mut export = DossierExport {
        format: transfer::FORMAT.to_string(),
        version: transfer::VERSION,
        exported_at: clock::now_utc(),
        purpose,
        exported_by,
        sender: School { organisation: org.name, location: location.name, sector: location.sector },
        pupil: ExportPupil {
            first_name: loaded.pupil.first_name.clone(),
            last_name: loaded.pupil.last_name.clone(),
            date_of_birth: loaded.pupil.date_of_birth,
            external_ref: loaded.pupil.external_ref.clone(),
            group,
            siblings,
        },
        dossier: ExportDossier {
            opened_at: loaded.dossier.opened_at,
            opened_by,
            received_from: received.as_ref().map(|r| transfer::ReceivedFrom {
                organisation: r.sending_organisation.clone(),
                location: r.sending_location.clone(),
            }),
            state: state_at_export,
        },
        entries,
        chain_head: String::new(),
    };
    transfer::seal(&mut export).map_err(|_| PageError::Unavailable)?;
    Ok(export)
}

// --- the export routes ---------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    #[serde(default)]
    purpose: Option<String>,
    #[serde(default)]
    format: Option<String>,
}

fn attachment_response(content_type: &str, file: &str, bytes: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// Loads the dossier for an export-like action, auditing not-found and denied attempts under `audit`.
async fn load_for(
    state: &AppState,
    me: &CurrentUser,
    addr: &SocketAddr,
    id: i64,
    action: Action,
    audit: &str,
) -> Result<(Loaded, Resource), PageError> {
    let loaded = match dossiers::load(&state.db, &state.chronologies, &me.tenant, DossierId(id)).await {
        Ok(l) => l,
        Err(e) => {
            audit_read(state, me, addr, audit, "not_found", None, Some(DossierId(id))).await?;
            return Err(e.into());
        }
    };
    let resource = dossier_resource(me, &loaded);
    if let Err(denied) = me.authorize(action, &resource) {
        audit_read(state, me, addr, audit, "denied", Some(loaded.pupil.id), Some(loaded.dossier.id)).await?;
        return Err(denied.into());
    }
    Ok((loaded, resource))
}

/// `GET /dossiers/{id}/export?purpose=transfer|access_request|archive&format=json|pdf`.
pub async fn export(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let purpose = query.purpose.as_deref().and_then(ExportPurpose::from_code);
    let format = query.format.as_deref().filter(|f| *f == "json" || *f == "pdf");
    let audit = match (format, purpose) {
        (Some(f), Some(p)) => format!("dossier.export.{f}.{}", p.as_str()),
        _ => "dossier.export".to_string(),
    };
    let (loaded, _) = load_for(&state, &me, &addr, id, Action::ExportDossier, &audit).await?;
    let i = I18n { lang: me.lang };
    let (Some(format), Some(purpose)) = (format, purpose) else {
        // Only reachable by editing the address: the dossier page's form always sends both.
        return Ok((StatusCode::BAD_REQUEST, i.t("export-bad-request")).into_response());
    };
    let export = build_export(&state, &me, &loaded, purpose).await?;
    let today = clock::today_nl();
    let response = if format == "json" {
        let bytes = serde_json::to_vec_pretty(&export).map_err(|_| PageError::Unavailable)?;
        attachment_response("application/json", &format!("dossier-{id}-{today}.json"), bytes)
    } else {
        let doc = pdf_document(&i, &export, today);
        let bytes = render_pdf(&state, doc).await?;
        attachment_response("application/pdf", &format!("dossier-{id}-{today}.pdf"), bytes)
    };
    audit_read(&state, &me, &addr, &audit, "allowed", Some(loaded.pupil.id), Some(loaded.dossier.id)).await?;
    Ok(response)
}

async fn render_pdf(state: &AppState, doc: Document) -> Result<Vec<u8>, PageError> {
    match tokio::time::timeout(std::time::Duration::from_secs(30), state.pdf.render(doc)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => {
            tracing::error!(document = "dossier_export", "PDF rendering failed");
            Err(PageError::Unavailable)
        }
        Err(_) => {
            tracing::warn!(document = "dossier_export", "PDF rendering busy; request refused");
            Err(PageError::Unavailable)
        }
    }
}

fn person_text(i: &I18n, p: &Person) -> String {
    match &p.role {
        Some(role) => format!("{} ({})", p.name, i.t(&format!("role-{role}"))),
        None => p.name.clone(),
    }
}

/// The readable PDF: title page facts, the current state, pupil and family, the chronology with every
/// field (the dossier page's own labels, [`entry_fields`]) and the files.
pub fn pdf_document(i: &I18n, e: &DossierExport, today: time::Date) -> Document {
    let pupil_name = format!("{} {}", e.pupil.first_name, e.pupil.last_name);
    let first = e.entries.first().map(|x| clock::dutch_local(x.recorded_at).date());
    let last = e.entries.last().map(|x| clock::dutch_local(x.recorded_at).date());
    let period = match (first, last) {
        (Some(a), Some(b)) => format!("{} – {}", format_date(a), format_date(b)),
        _ => String::new(),
    };
    let st = &e.dossier.state;
    let state_text = format!(
        "{}{}",
        i.t(&format!("step-{}", st.step.number())),
        if st.closed { format!(" · {}", i.t("dossier-closed")) } else { String::new() }
    );
    let mut facts = vec![
        Field::new(i.t("export-pdf-pupil"), pupil_name.clone()),
        Field::new(i.t("export-pdf-school"), format!("{}, {}", e.sender.organisation, e.sender.location)),
        Field::new(i.t("export-pdf-period"), period),
        Field::new(i.t("export-pdf-state"), state_text.clone()),
        Field::new(i.t("export-pdf-purpose"), i.t(&format!("export-purpose-{}", e.purpose.as_str()))),
        Field::new(i.t("export-pdf-by"), person_text(i, &e.exported_by)),
        Field::new(i.t("export-pdf-at"), format_datetime(e.exported_at)),
        Field::new(i.t("export-pdf-entries"), e.entries.len().to_string()),
        Field::new(i.t("export-pdf-chain"), e.chain_head.clone()),
    ];
    if let Some(r) = &e.dossier.received_from {
        facts.push(Field::new(i.t("export-pdf-received-from"), format!("{}, {}", r.organisation, r.location)));
    }
    let reason = |r: &meldroute_domain::Reason| meldroute_i18n::text(i.lang, &r.message_key(), &r.fluent_args());
    // The current state.
    let mut now = vec![Block::Fields { fields: vec![Field::new(i.t("panel-step"), state_text)] }];
    let due: Vec<String> = st.meldingen_due().map(|m| reason(&m.melding.reason)).collect();
    if !due.is_empty() {
        now.push(Block::heading(i.t("export-pdf-meldingen")));
        now.push(Block::bullets(due));
    }
    if let Some(q) = st.afwegingskader.next_question {
        now.push(Block::Fields {
            fields: vec![Field::new(i.t("panel-next-question"), i.t(&format!("question-{}", q.as_str())))],
        });
    }
    if !st.next_actions.is_empty() {
        now.push(Block::heading(i.t("export-pdf-next")));
        now.push(Block::bullets(st.next_actions.iter().map(|r| reason(&r.reason))));
    }
    now.push(Block::heading(i.t("panel-deadlines")));
    if st.deadlines.is_empty() {
        now.push(Block::paragraph(i.t("export-pdf-no-deadlines")));
    } else {
        now.push(Block::bullets(st.deadlines.iter().map(|d| format!("{}: {}", format_date(d.due), reason(&d.reason)))));
    }
    // Pupil and family.
    let mut pupil = vec![
        Field::new(i.t("export-pdf-first-name"), e.pupil.first_name.clone()),
        Field::new(i.t("export-pdf-last-name"), e.pupil.last_name.clone()),
    ];
    if let Some(d) = e.pupil.date_of_birth {
        pupil.push(Field::new(i.t("export-pdf-dob"), format_date(d)));
    }
    if let Some(r) = &e.pupil.external_ref {
        pupil.push(Field::new(i.t("export-pdf-external-ref"), r.clone()));
    }
    if let Some(g) = &e.pupil.group {
        pupil.push(Field::new(i.t("export-pdf-group"), g.clone()));
    }
    let mut family = vec![Block::Fields { fields: pupil }];
    if !e.pupil.siblings.is_empty() {
        family.push(Block::heading(i.t("export-pdf-siblings")));
        family.push(Block::bullets(e.pupil.siblings.iter().map(|s| match s.date_of_birth {
            Some(d) => format!("{} {} ({})", s.first_name, s.last_name, format_date(d)),
            None => format!("{} {}", s.first_name, s.last_name),
        })));
    }
    // The chronology.
    let corrected_by: BTreeMap<i64, i64> = st.corrected.iter().map(|c| (c.original.0, c.by.0)).collect();
    let mut chronology = Vec::new();
    for x in &e.entries {
        chronology.push(Block::heading(format!(
            "{}. {} · {}",
            x.seq,
            i.t(&format!("kind-{}", x.kind)),
            format_datetime(x.recorded_at)
        )));
        let mut meta = vec![Field::new(i.t("export-pdf-author"), person_text(i, &x.author))];
        if let Some(d) = x.occurred_on {
            meta.push(Field::new(i.t("entry-occurred"), format_date(d)));
        }
        if let Some(r) = &x.received_from {
            meta.push(Field::new(i.t("export-pdf-received-from"), format!("{}, {}", r.organisation, r.location)));
        }
        if let EntryBody::Correction(c) = &x.body {
            meta.push(Field::new(i.t("entry-corrects"), c.corrects.0.to_string()));
        }
        if let Some(by) = corrected_by.get(&i64::from(x.seq)) {
            meta.push(Field::new(i.t("entry-corrected-by"), by.to_string()));
        }
        if let (EntryBody::Attachment(a), Some(f)) = (&x.body, &x.attachment) {
            meta.push(Field::new(
                i.t("export-pdf-file"),
                format!("{} ({}, {})", a.file_name, a.media_type.label(), format_size(i.lang, f.size_bytes)),
            ));
        }
        chronology.push(Block::Fields { fields: meta });
        let as_entry = meldroute_domain::Entry {
            id: DomainEntryId(i64::from(x.seq)),
            seq: x.seq,
            recorded_at: x.recorded_at,
            occurred_on: x.occurred_on,
            author: meldroute_domain::UserRef(0),
            body: x.body.clone(),
        };
        let fields: Vec<Field> = entry_fields(i, &as_entry).into_iter().map(|(l, v)| Field::new(l, v)).collect();
        if !fields.is_empty() {
            chronology.push(Block::Fields { fields });
        }
    }
    let files: Vec<Vec<String>> = e
        .entries
        .iter()
        .filter_map(|x| match (&x.body, &x.attachment) {
            (EntryBody::Attachment(a), Some(f)) => Some(vec![
                x.seq.to_string(),
                a.file_name.clone(),
                a.media_type.label().to_string(),
                format_size(i.lang, f.size_bytes),
            ]),
            _ => None,
        })
        .collect();
    let mut sections = vec![
        ReportSection { heading: i.t("export-pdf-section-state"), blocks: now },
        ReportSection { heading: i.t("export-pdf-section-pupil"), blocks: family },
        ReportSection { heading: i.t("export-pdf-section-chronology"), blocks: chronology },
    ];
    sections.push(ReportSection {
        heading: i.t("export-pdf-section-files"),
        blocks: vec![if files.is_empty() {
            Block::paragraph(i.t("export-pdf-no-files"))
        } else {
            Block::Table {
                header: vec![
                    i.t("export-pdf-file-entry"),
                    i.t("export-pdf-file-name"),
                    i.t("export-pdf-file-type"),
                    i.t("export-pdf-file-size"),
                ],
                rows: files,
            }
        }],
    });
    Document::Report(Report {
        lang: crate::documents::pdf_lang(i.lang),
        today,
        labels: crate::documents::labels(i),
        title: i.t_args("export-pdf-title", &[("pupil", pupil_name)]),
        subtitle: format!("{}, {}", e.sender.organisation, e.sender.location),
        marking: i.t("export-pdf-marking"),
        facts,
        sections,
        footer: i.t_args("export-pdf-footer", &[("date", format_date(today))]),
    })
}

/// `GET /dossiers/{id}/access-log.csv`: the access log for an access request.
pub async fn access_log_csv(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let audit = "dossier.access_log.csv";
    let (loaded, _) = load_for(&state, &me, &addr, id, Action::ViewDossierAccessLog, audit).await?;
    let events = state
        .db
        .list_audit(&me.tenant, &AuditFilter { dossier: Some(loaded.dossier.id), actor: None, limit: Some(10_000) })
        .await?;
    let users = state.db.list_users(&me.tenant).await?;
    let i = I18n { lang: me.lang };
    let header = ["access-log-when", "access-log-who", "access-log-what", "access-log-code", "access-log-outcome"]
        .map(|k| i.t(k))
        .to_vec();
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let who = e
                .event
                .actor
                .and_then(|a| users.iter().find(|u| u.id == a))
                .map_or_else(|| "-".to_string(), |u| u.display_name.clone());
            let key = format!("audit-action-{}", e.event.action.replace('.', "-"));
            let what =
                if meldroute_i18n::has(meldroute_i18n::Lang::Nl, &key) { i.t(&key) } else { e.event.action.clone() };
            vec![format_datetime(e.event.at), who, what, e.event.action.clone(), e.event.outcome.clone()]
        })
        .collect();
    let bytes = crate::csv_export::write(&header, &rows).map_err(|_| PageError::Unavailable)?;
    audit_read(&state, &me, &addr, audit, "allowed", Some(loaded.pupil.id), Some(loaded.dossier.id)).await?;
    Ok(attachment_response("text/csv; charset=utf-8", &format!("toegangslog-dossier-{id}.csv"), bytes))
}

// --- import ------------------------------------------------------------------------------------------------

/// The locations where `me` may take in a transferred dossier.
async fn import_locations(state: &AppState, me: &CurrentUser) -> Result<Vec<Location>, PageError> {
    Ok(state
        .db
        .list_locations(&me.tenant)
        .await?
        .into_iter()
        .filter(|l| me.authorize(Action::ImportDossier, &Resource::Location { location: l.id.0 }).is_ok())
        .collect())
}

#[derive(Template)]
#[template(path = "transfer_import.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub csrf: String,
    pub locations: Vec<(i64, String, bool)>,
    pub hint: String,
    pub problems: Vec<String>,
}

pub struct PreviewView {
    pub pupil: String,
    pub date_of_birth: String,
    pub external_ref: String,
    pub sender: String,
    pub exported_at: String,
    pub exported_by: String,
    pub purpose: String,
    pub entries: usize,
    pub files: usize,
    pub period: String,
    pub state: String,
    pub location: String,
    pub location_id: i64,
    pub sha256: String,
    pub document: String,
}

#[derive(Template)]
#[template(path = "transfer_preview.html")]
pub struct PreviewPage {
    pub layout: Layout,
    pub csrf: String,
    pub p: PreviewView,
}

fn import_page(
    state: &AppState,
    me: &CurrentUser,
    locations: &[Location],
    chosen: Option<LocationId>,
    problems: Vec<String>,
    status: StatusCode,
) -> Response {
    let layout = Layout::for_user(state, me, "transfer-import-title");
    let page = ImportPage {
        csrf: me.session.csrf_token.clone(),
        locations: locations.iter().map(|l| (l.id.0, l.name.clone(), Some(l.id) == chosen)).collect(),
        hint: layout.i.t_args(
            "transfer-import-file-hint",
            &[("limit", meldroute_domain::attachment::format_limit(MAX_IMPORT_BYTES as u64))],
        ),
        problems,
        layout,
    };
    render(&page, status)
}

/// `GET /transfers/import`.
pub async fn import_form(State(state): State<AppState>, me: CurrentUser) -> Result<Response, PageError> {
    let locations = import_locations(&state, &me).await?;
    if locations.is_empty() {
        return Err(PageError::NotFound);
    }
    Ok(import_page(&state, &me, &locations, None, Vec::new(), StatusCode::OK))
}

fn problem_text(i: &I18n, p: &Problem) -> String {
    meldroute_i18n::text(i.lang, &p.message_key(), &p.args.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>())
}

/// Imports being checked at the same time on this node.
static IMPORT_CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Every check of an uploaded document for `location`: the domain's, and the pupil not being here yet.
async fn check_all(state: &AppState, me: &CurrentUser, bytes: &[u8]) -> Result<transfer::Checked, Vec<Problem>> {
    if bytes.is_empty() {
        return Err(vec![Problem::new(ProblemCode::NoFile)]);
    }
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(vec![
            Problem::new(ProblemCode::TooLarge)
                .with("limit", meldroute_domain::attachment::format_limit(MAX_IMPORT_BYTES as u64)),
        ]);
    }
    // Checking parses and hashes the whole document (several times its size in memory, CPU-bound): at most
    // two at a time per node, off the async runtime.
    let Ok(_permit) = IMPORT_CHECKS.acquire().await else {
        return Err(vec![Problem::new(ProblemCode::Schema).with("detail", "server busy")]);
    };
    let owned = bytes.to_vec();
    let checked = match tokio::task::spawn_blocking(move || transfer::check(&owned)).await {
        Ok(result) => result?,
        Err(_) => return Err(vec![Problem::new(ProblemCode::Schema).with("detail", "check failed")]),
    };
    match pupil_exists(state, me, &checked.export.pupil).await {
        Ok(false) => Ok(checked),
        Ok(true) => Err(vec![Problem::new(ProblemCode::PupilExists)]),
        Err(_) => Err(vec![Problem::new(ProblemCode::Schema).with("detail", "database unavailable")]),
    }
}

/// Same external reference, or same first and last name (case-insensitive) and date of birth, anywhere in
/// the organisation. The store checks the same again inside the import's transaction.
async fn pupil_exists(state: &AppState, me: &CurrentUser, p: &ExportPupil) -> Result<bool, StoreError> {
    let filter = PupilFilter { name_contains: Some(p.last_name.trim().to_string()), ..PupilFilter::default() };
    let mut candidates = state.db.list_pupils(&me.tenant, &filter).await?;
    if let Some(r) = &p.external_ref {
        candidates.extend(
            state
                .db
                .list_pupils(&me.tenant, &PupilFilter::default())
                .await?
                .into_iter()
                .filter(|x| x.external_ref.as_deref() == Some(r.as_str())),
        );
    }
    Ok(candidates.iter().any(|x| {
        (p.external_ref.is_some() && x.external_ref == p.external_ref)
            || (x.first_name.trim().to_lowercase() == p.first_name.trim().to_lowercase()
                && x.last_name.trim().to_lowercase() == p.last_name.trim().to_lowercase()
                && x.date_of_birth == p.date_of_birth)
    }))
}

/// The uploaded form: location and file.
#[derive(Default)]
struct Upload {
    location: Option<i64>,
    file: Vec<u8>,
    too_large: bool,
}

async fn read_upload(multipart: &mut Multipart) -> Upload {
    let mut up = Upload::default();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("location") => up.location = field.text().await.ok().and_then(|t| t.trim().parse().ok()),
                Some("file") => match field.bytes().await {
                    Ok(b) => up.file = b.to_vec(),
                    Err(_) => {
                        up.too_large = true;
                        return up;
                    }
                },
                _ => {}
            },
            Ok(None) => return up,
            Err(_) => {
                up.too_large = true;
                return up;
            }
        }
    }
}

/// `POST /transfers/import` (multipart): check and preview; writes nothing.
pub async fn import_upload(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let token = match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some(csrf::FIELD) => field.text().await.unwrap_or_default(),
        _ => String::new(),
    };
    if !csrf::token_matches(&token, &me.session.csrf_token) {
        return Ok(csrf::FormError::BadToken.into_response());
    }
    let locations = import_locations(&state, &me).await?;
    if locations.is_empty() {
        // Not allowed to import anywhere: refused before the file is read.
        audit_read(&state, &me, &addr, "dossier.import.preview", "denied", None, None).await?;
        return Err(PageError::NotFound);
    }
    let up = read_upload(&mut multipart).await;
    let Some(location) = up.location.and_then(|l| locations.iter().find(|x| x.id.0 == l)) else {
        audit_read(&state, &me, &addr, "dossier.import.preview", "denied", None, None).await?;
        return Err(PageError::NotFound);
    };
    let i = I18n { lang: me.lang };
    let result = if up.too_large {
        Err(vec![
            Problem::new(ProblemCode::TooLarge)
                .with("limit", meldroute_domain::attachment::format_limit(MAX_IMPORT_BYTES as u64)),
        ])
    } else {
        check_all(&state, &me, &up.file).await
    };
    match result {
        Err(problems) => {
            audit_read(&state, &me, &addr, "dossier.import.preview", "refused", None, None).await?;
            let texts = problems.iter().map(|p| problem_text(&i, p)).collect();
            let status = if up.too_large { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::UNPROCESSABLE_ENTITY };
            Ok(import_page(&state, &me, &locations, Some(location.id), texts, status))
        }
        Ok(checked) => {
            audit_read(&state, &me, &addr, "dossier.import.preview", "allowed", None, None).await?;
            Ok(preview_page(&state, &me, &i, location, &checked.export, &up.file))
        }
    }
}

fn preview_page(
    state: &AppState,
    me: &CurrentUser,
    i: &I18n,
    location: &Location,
    e: &DossierExport,
    bytes: &[u8],
) -> Response {
    let first = e.entries.first().map(|x| format_date(clock::dutch_local(x.recorded_at).date()));
    let last = e.entries.last().map(|x| format_date(clock::dutch_local(x.recorded_at).date()));
    let p = PreviewView {
        pupil: format!("{} {}", e.pupil.first_name, e.pupil.last_name),
        date_of_birth: e.pupil.date_of_birth.map(format_date).unwrap_or_default(),
        external_ref: e.pupil.external_ref.clone().unwrap_or_default(),
        sender: format!("{}, {}", e.sender.organisation, e.sender.location),
        exported_at: format_datetime(e.exported_at),
        exported_by: person_text(i, &e.exported_by),
        purpose: i.t(&format!("export-purpose-{}", e.purpose.as_str())),
        entries: e.entries.len(),
        files: e.entries.iter().filter(|x| x.attachment.is_some()).count(),
        period: format!("{} – {}", first.unwrap_or_default(), last.unwrap_or_default()),
        state: i.t(&format!("step-{}", e.dossier.state.step.number())),
        location: location.name.clone(),
        location_id: location.id.0,
        sha256: transfer::sha256_hex(bytes),
        document: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
    };
    let layout = Layout::for_user(state, me, "transfer-preview-title");
    render(&PreviewPage { layout, csrf: me.session.csrf_token.clone(), p }, StatusCode::OK)
}

/// `POST /transfers/import/accept`: checks the document again and writes it.
pub async fn import_accept(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    body: axum::body::Body,
) -> Result<Response, PageError> {
    // Who may import nowhere is refused before the (large) body is read.
    let locations = import_locations(&state, &me).await?;
    if locations.is_empty() {
        audit_read(&state, &me, &addr, "dossier.import", "denied", None, None).await?;
        return Err(PageError::NotFound);
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_ACCEPT_BODY_BYTES).await else {
        return Ok(csrf::FormError::TooLarge.into_response());
    };
    let pairs: Vec<(String, String)> = match serde_urlencoded::from_bytes(&body) {
        Ok(p) => p,
        Err(_) => return Ok(csrf::FormError::Malformed.into_response()),
    };
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.as_str());
    if !csrf::token_matches(get(csrf::FIELD), &me.session.csrf_token) {
        return Ok(csrf::FormError::BadToken.into_response());
    }
    let Some(location) = get("location").parse::<i64>().ok().and_then(|l| locations.iter().find(|x| x.id.0 == l))
    else {
        audit_read(&state, &me, &addr, "dossier.import", "denied", None, None).await?;
        return Err(PageError::NotFound);
    };
    let i = I18n { lang: me.lang };
    let refuse = async |problems: Vec<Problem>| -> Result<Response, PageError> {
        audit_read(&state, &me, &addr, "dossier.import", "refused", None, None).await?;
        let texts = problems.iter().map(|p| problem_text(&i, p)).collect();
        Ok(import_page(&state, &me, &locations, Some(location.id), texts, StatusCode::UNPROCESSABLE_ENTITY))
    };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(get("document").as_bytes()) else {
        return refuse(vec![Problem::new(ProblemCode::NoFile)]).await;
    };
    if transfer::sha256_hex(&bytes) != get("sha256") {
        return refuse(vec![Problem::new(ProblemCode::NoFile)]).await;
    }
    let checked = match check_all(&state, &me, &bytes).await {
        Ok(c) => c,
        Err(problems) => return refuse(problems).await,
    };
    let op = match imported(&me, location, &checked) {
        Ok(op) => op,
        Err(_) => return Err(PageError::Unavailable),
    };
    match state.writer.submit(WriteOp::ImportDossier { tenant: me.tenant, dossier: Box::new(op) }).await {
        Ok(WriteOutcome::DossierImported { pupil, dossier }) => {
            audit_read(&state, &me, &addr, "dossier.import", "allowed", Some(pupil), Some(dossier)).await?;
            Ok(Redirect::to(&format!("/dossiers/{}", dossier.0)).into_response())
        }
        Ok(_) => Err(PageError::Unavailable),
        Err(StoreError::Conflict(_)) => refuse(vec![Problem::new(ProblemCode::PupilExists)]).await,
        Err(e) => Err(e.into()),
    }
}

/// The write op for a checked export at `location`, accepted by `me` now.
pub fn imported(
    me: &CurrentUser,
    location: &Location,
    checked: &transfer::Checked,
) -> Result<ImportedDossier, StoreError> {
    let e = &checked.export;
    let now = clock::now_utc();
    let ctx = FoldContext {
        sector: location.sector,
        pupil_age: e.pupil.date_of_birth.map(|d| dossiers::age_on(d, clock::today_nl())),
        calendar: Calendar::new(),
    };
    let state = fold(&ctx, &transfer::domain_entries(&e.entries));
    let mut entries = Vec::with_capacity(e.entries.len());
    for (x, file) in e.entries.iter().zip(&checked.files) {
        let corrects_seq = match &x.body {
            EntryBody::Correction(c) => Some(c.corrects.0),
            _ => None,
        };
        let attachment = match (&x.body, file) {
            (EntryBody::Attachment(a), Some(bytes)) => Some(NewAttachment {
                id: a.attachment_id.clone(),
                media_type: a.media_type.as_str().to_string(),
                sha256: a.sha256.clone(),
                content: Arc::from(bytes.clone()),
                created_at: x.recorded_at,
            }),
            _ => None,
        };
        entries.push(ImportedEntry {
            entry: NewEntry {
                recorded_at: x.recorded_at,
                author: me.user.id,
                kind: x.kind.clone(),
                payload: dossiers::encode(&x.body, x.occurred_on)?,
            },
            corrects_seq,
            author_name: x.author.name.clone(),
            author_role: x.author.role.clone(),
            original_hash: x.hash.clone(),
            attachment,
        });
    }
    Ok(ImportedDossier {
        location: location.id,
        pupil: NewPupil {
            location: location.id,
            group: None,
            first_name: e.pupil.first_name.trim().to_string(),
            last_name: e.pupil.last_name.trim().to_string(),
            date_of_birth: e.pupil.date_of_birth,
            family: None,
            external_ref: e.pupil.external_ref.clone(),
            created_at: now,
        },
        opened_at: e.dossier.opened_at,
        received_by: me.user.id,
        received_at: now,
        sending_organisation: e.sender.organisation.clone(),
        sending_location: e.sender.location.clone(),
        exported_at: e.exported_at,
        chain_head: e.chain_head.clone(),
        projection: dossiers::projection(&state),
        entries,
    })
}
