//! Files in a dossier (issue 5): the upload form's handler and the download, for the pages and the API.
//!
//! Upload (`POST /dossiers/{id}/attachments`, `multipart/form-data`): the form token must be the request's
//! first part and is checked before anything else is read or loaded. Then the policy is asked whether this
//! person may add an attachment here; the file is checked by the domain ([`check_upload`]: content sniffed,
//! extension must match, not empty, not over [`MAX_ATTACHMENT_BYTES`]); the entry and the file are written in
//! one transaction. A refused file re-renders the form with the description kept, the message at the file
//! field and 422; nothing is saved. A request body over [`MAX_BODY_BYTES`] is cut off by axum's body limit
//! on this route only, and answered with the same form and the same message as the size check (413).
//!
//! Download (`GET /dossiers/{id}/attachments/{attachment}` and the same under `/api/v1`): allowed to whoever
//! may read the dossier *and* see attachment entries in it (a partner only when the share includes them);
//! everything else is a 404, like any refusal. Every attempt is audited. The file is served as a download
//! with the sniffed type, `nosniff`, `no-store` and a sandboxing Content-Security-Policy, so nothing served
//! can run script in the application's origin.
//!
//! File names and contents are personal data: they are never logged.

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::extract::{ConnectInfo, Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use meldroute_domain::access::{Action, Resource, visible_entry_kinds};
use meldroute_domain::attachment::{FILE_FIELD, format_limit, too_large};
use meldroute_domain::{Attachment, DomainError, EntryBody, EntryKind, MAX_ATTACHMENT_BYTES, MediaType, check_upload};
use meldroute_store::*;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::csrf;
use crate::auth::session::CurrentUser;
use crate::dossier_pages::{PageError, audit_read, dossier_resource, entry_visible};
use crate::dossiers::{self, DossierError, Loaded, Upload};
use crate::pages::{I18n, Layout, render};

/// The largest request body of an upload: the file plus the form's other parts.
pub const MAX_BODY_BYTES: usize = MAX_ATTACHMENT_BYTES as usize + 64 * 1024;
/// Longest description (characters), as for other free-text fields.
const MAX_DESCRIPTION_CHARS: usize = crate::entry_forms::MAX_FIELD_CHARS;

/// The audit action of a download.
pub const AUDIT_READ: &str = "dossier.attachment.read";
/// The audit action of an upload (as other appends: `dossier.append.<kind>`).
pub const AUDIT_APPEND: &str = "dossier.append.attachment";

// --- the form ------------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "attachment_form.html")]
pub struct AttachmentFormPage {
    pub layout: Layout,
    pub action: String,
    pub csrf: String,
    pub seen_last_seq: i64,
    pub pupil_name: String,
    pub back: String,
    pub hint: String,
    pub description: String,
    /// The problem with the file, shown at the file field.
    pub file_error: Option<String>,
    /// The problem with the description, shown at its field.
    pub description_error: Option<String>,
    /// A problem with the form as a whole (a closed dossier, a changed chronology).
    pub general_error: Option<String>,
}

/// The hint under the file field: which types, how large.
pub fn file_hint(i: &I18n) -> String {
    meldroute_i18n::text(i.lang, "attachment-file-hint", &[("limit", format_limit(MAX_ATTACHMENT_BYTES))])
}

/// What went wrong with a refused upload, and where.
enum Problem {
    File(String),
    Description(String),
    General(String),
}

fn form_page(
    state: &AppState,
    me: &CurrentUser,
    loaded: &Loaded,
    description: &str,
    problem: Problem,
    status: StatusCode,
) -> Response {
    let layout = Layout::for_user(state, me, "attachment-add-title");
    let i = layout.i;
    let (file_error, description_error, general_error) = match problem {
        Problem::File(t) => (Some(t), None, Some(i.t("form-has-errors"))),
        Problem::Description(t) => (None, Some(t), Some(i.t("form-has-errors"))),
        Problem::General(t) => (None, None, Some(t)),
    };
    let page = AttachmentFormPage {
        action: format!("/dossiers/{}/attachments", loaded.dossier.id.0),
        csrf: me.session.csrf_token.clone(),
        seen_last_seq: loaded.dossier.last_seq,
        pupil_name: format!("{} {}", loaded.pupil.first_name, loaded.pupil.last_name),
        back: format!("/dossiers/{}", loaded.dossier.id.0),
        hint: file_hint(&i),
        description: description.to_string(),
        file_error,
        description_error,
        general_error,
        layout,
    };
    render(&page, status)
}

fn domain_text(i: &I18n, err: &DomainError) -> String {
    meldroute_i18n::text(i.lang, &err.message_key(), &err.fluent_args())
}

/// The parts after the form token, as far as they could be read.
#[derive(Default)]
struct Parts {
    seen_last_seq: Option<i64>,
    description: String,
    file: Option<(String, Vec<u8>)>,
    /// The body was larger than the route's limit (or broke off).
    too_large: bool,
}

async fn read_rest(multipart: &mut Multipart) -> Parts {
    let mut parts = Parts::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return parts,
            Err(_) => {
                parts.too_large = true;
                return parts;
            }
        };
        match field.name() {
            Some("seen_last_seq") => match field.text().await {
                Ok(t) => parts.seen_last_seq = t.trim().parse().ok(),
                Err(_) => parts.too_large = true,
            },
            Some("description") => match field.text().await {
                Ok(t) => parts.description = t,
                Err(_) => parts.too_large = true,
            },
            Some(FILE_FIELD) => {
                let name = field.file_name().unwrap_or_default().to_string();
                match field.bytes().await {
                    Ok(bytes) => parts.file = Some((name, bytes.to_vec())),
                    Err(_) => parts.too_large = true,
                }
            }
            _ => {}
        }
        if parts.too_large {
            return parts;
        }
    }
}

/// `POST /dossiers/{id}/attachments`.
pub async fn upload(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    // The form token comes first in the form, and is checked before anything else.
    let token = match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some(csrf::FIELD) => field.text().await.unwrap_or_default(),
        _ => String::new(),
    };
    if !csrf::token_matches(&token, &me.session.csrf_token) {
        return Ok(csrf::FormError::BadToken.into_response());
    }
    let loaded = dossiers::load(&state.db, &state.chronologies, &me.tenant, DossierId(id)).await?;
    let resource = dossier_resource(&me, &loaded);
    let (pupil, dossier) = (Some(loaded.pupil.id), Some(loaded.dossier.id));
    if me.authorize(Action::AppendEntry(EntryKind::Attachment), &resource).is_err() {
        audit_read(&state, &me, &addr, "dossier.append", "denied", pupil, dossier).await?;
        return Err(PageError::NotFound);
    }
    let i = I18n { lang: me.lang };
    let parts = read_rest(&mut multipart).await;
    if parts.too_large {
        let text = domain_text(&i, &too_large(MAX_ATTACHMENT_BYTES));
        return Ok(form_page(
            &state,
            &me,
            &loaded,
            &parts.description,
            Problem::File(text),
            StatusCode::PAYLOAD_TOO_LARGE,
        ));
    }
    let description = parts.description;
    let refuse = |problem| -> Result<Response, PageError> {
        Ok(form_page(&state, &me, &loaded, &description, problem, StatusCode::UNPROCESSABLE_ENTITY))
    };
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        let text = meldroute_i18n::text(i.lang, "form-too-long", &[("max", MAX_DESCRIPTION_CHARS.to_string())]);
        return refuse(Problem::Description(text));
    }
    let (raw_name, content) = parts.file.unwrap_or_default();
    let checked = match check_upload(&raw_name, &content, MAX_ATTACHMENT_BYTES) {
        Ok(checked) => checked,
        Err(err) => return refuse(Problem::File(domain_text(&i, &err))),
    };
    let upload =
        Upload { author: me.user.id, checked, content: Arc::from(content), description: Some(description.clone()) };
    match dossiers::append_attachment(state.dossier_io(), &me.tenant, loaded.dossier.id, upload, parts.seen_last_seq)
        .await
    {
        Ok((_, seq, _)) => {
            audit_read(&state, &me, &addr, AUDIT_APPEND, "allowed", pupil, dossier).await?;
            Ok(Redirect::to(&format!("/dossiers/{id}#entry-{seq}")).into_response())
        }
        Err(DossierError::Refused(err)) => {
            let text = domain_text(&i, &err);
            if err.field.as_deref() == Some(FILE_FIELD) {
                refuse(Problem::File(text))
            } else {
                refuse(Problem::General(text))
            }
        }
        Err(DossierError::Stale) => {
            let fresh = dossiers::load(&state.db, &state.chronologies, &me.tenant, DossierId(id)).await?;
            Ok(form_page(
                &state,
                &me,
                &fresh,
                &description,
                Problem::General(i.t("form-stale")),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(other) => Err(other.into()),
    }
}

/// Whether `me` may add an attachment to this dossier now (for showing the form).
pub fn may_add(me: &CurrentUser, resource: &Resource, loaded: &Loaded) -> bool {
    !loaded.closed() && me.authorize(Action::AppendEntry(EntryKind::Attachment), resource).is_ok()
}

// --- the download --------------------------------------------------------------------------------------------------

/// A file ready to be served.
pub struct Download {
    pub file_name: String,
    pub media_type: MediaType,
    pub content: Vec<u8>,
}

/// Loads attachment `attachment` of dossier `id` for `me`: the dossier must be readable, attachment entries
/// visible to `me`, the attachment named by one of them, and its content must still match the recorded
/// SHA-256. Audits the attempt with its outcome. Every refusal is `NotFound`.
pub async fn fetch(
    state: &AppState,
    me: &CurrentUser,
    addr: &SocketAddr,
    id: DossierId,
    attachment: &str,
) -> Result<Download, PageError> {
    let loaded = match dossiers::load(&state.db, &state.chronologies, &me.tenant, id).await {
        Ok(l) => l,
        Err(e) => {
            audit_read(state, me, addr, AUDIT_READ, "not_found", None, Some(id)).await?;
            return Err(e.into());
        }
    };
    let (pupil, dossier) = (Some(loaded.pupil.id), Some(loaded.dossier.id));
    let resource = dossier_resource(me, &loaded);
    if let Err(denied) = me.authorize(Action::ReadDossier, &resource) {
        audit_read(state, me, addr, AUDIT_READ, "denied", pupil, dossier).await?;
        return Err(denied.into());
    }
    let filter = visible_entry_kinds(me.actor(), &resource);
    let meta: Option<Attachment> = loaded.entries.iter().find_map(|e| match &e.body {
        EntryBody::Attachment(a) if a.attachment_id == attachment => Some(a.clone()),
        _ => None,
    });
    let Some(meta) = meta else {
        audit_read(state, me, addr, AUDIT_READ, "not_found", pupil, dossier).await?;
        return Err(PageError::NotFound);
    };
    if !entry_visible(&filter, &EntryBody::Attachment(meta.clone())) {
        audit_read(state, me, addr, AUDIT_READ, "denied", pupil, dossier).await?;
        return Err(PageError::NotFound);
    }
    let stored = match state.db.get_attachment(&me.tenant, loaded.dossier.id, attachment).await {
        Ok(s) => s,
        Err(e) => {
            audit_read(state, me, addr, AUDIT_READ, "not_found", pupil, dossier).await?;
            return Err(e.into());
        }
    };
    if hex::encode(Sha256::digest(&stored.content)) != meta.sha256 || stored.sha256 != meta.sha256 {
        // The stored bytes are not the ones recorded: never serve them.
        tracing::error!(dossier = %loaded.dossier.id, "attachment content does not match its recorded checksum");
        audit_read(state, me, addr, AUDIT_READ, "failed", pupil, dossier).await?;
        return Err(PageError::Unavailable);
    }
    audit_read(state, me, addr, AUDIT_READ, "allowed", pupil, dossier).await?;
    Ok(Download { file_name: meta.file_name, media_type: meta.media_type, content: stored.content })
}

/// `GET /dossiers/{id}/attachments/{attachment}`.
pub async fn download(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path((id, attachment)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    let file = fetch(&state, &me, &addr, DossierId(id), &attachment).await?;
    Ok(serve(file))
}

/// The response for a file: a download with the sniffed type, never rendered in the application's origin.
pub fn serve(file: Download) -> Response {
    let mut response = (StatusCode::OK, file.content).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.media_type.content_type()));
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&file.file_name)) {
        h.insert(header::CONTENT_DISPOSITION, value);
    } else {
        h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(crate::headers::DOWNLOAD_CSP));
    response
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<RFC 5987 percent-encoding>`.
pub fn content_disposition(file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{}", rfc5987(file_name))
}

/// Percent-encodes everything but RFC 5987's `attr-char`.
fn rfc5987(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_is_rfc5987_encoded_with_an_ascii_fallback() {
        assert_eq!(
            content_disposition("verslag.pdf"),
            "attachment; filename=\"verslag.pdf\"; filename*=UTF-8''verslag.pdf"
        );
        assert_eq!(
            content_disposition("brief van \"VT\" één.pdf"),
            "attachment; filename=\"brief van _VT_ __n.pdf\"; filename*=UTF-8''brief%20van%20%22VT%22%20%C3%A9%C3%A9n.pdf"
        );
        // Nothing that could end the header value or start a new parameter survives unencoded.
        let tricky = content_disposition("a;b=c\\d'e%f.txt");
        assert!(tricky.ends_with("filename*=UTF-8''a%3Bb%3Dc%5Cd%27e%25f.txt"), "{tricky}");
        assert!(HeaderValue::from_str(&content_disposition("tekening\u{1F600}.png")).is_ok());
    }

    #[test]
    fn the_body_limit_leaves_room_for_the_other_parts_only() {
        assert!(MAX_BODY_BYTES > MAX_ATTACHMENT_BYTES as usize);
        assert!(MAX_BODY_BYTES - (MAX_ATTACHMENT_BYTES as usize) <= 64 * 1024);
    }
}
