//! Forms for every entry kind of the engine, built from one field table per kind: one template renders
//! them, one parser turns the posted fields into the domain's `EntryBody` (whose serde shape, with
//! `deny_unknown_fields`, is the contract), and the domain validates. A refused form comes back with the
//! user's input kept and the problem named at the field; nothing is saved.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use meldroute_domain::access::{Action, Resource, authorize_append};
use meldroute_domain::{DomainError, EntryBody, EntryKind};
use meldroute_store::*;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::auth::csrf;
use crate::auth::session::CurrentUser;
use crate::dossier_pages::{PageError, audit_event, audit_read, dossier_resource};
use crate::dossiers::{self, DossierError, Draft};
use crate::pages::{I18n, Layout, render};
use crate::{AppState, clock};

/// How a field is asked and parsed.
#[derive(Clone, Copy)]
pub enum Input {
    Text,
    Textarea,
    Date,
    /// A checkbox; absent means false.
    Bool,
    /// Yes / no / not recorded (`Option<bool>`).
    Tri,
    /// One of these codes; `required: false` adds an empty choice.
    Select {
        options: &'static [&'static str],
        required: bool,
    },
    /// Any of these codes (a list).
    Checks(&'static [&'static str]),
    /// One item per line (a list of strings).
    Lines,
    /// One "who: task" per line (help-plan roles).
    RoleLines,
    Number,
}

pub struct FieldSpec {
    /// The serde name; `a.b` is a field `b` of the nested object `a`.
    pub name: &'static str,
    pub input: Input,
}

const fn f(name: &'static str, input: Input) -> FieldSpec {
    FieldSpec { name, input }
}

const SOURCES: &[&str] = &["own_observation", "third_party", "external_partner", "pupil_told", "parents"];
const CATEGORIES: &[&str] =
    &["child_behaviour", "child_physical", "child_development_and_school", "parent_signals", "disclosure"];

/// The fields of each kind that is recorded through a form (corrections have their own flow).
pub fn fields(kind: EntryKind) -> &'static [FieldSpec] {
    use Input::*;
    match kind {
        EntryKind::Observation => {
            const {
                &[
                    f("facts", Textarea),
                    f("interpretation", Textarea),
                    f("source", Select { options: SOURCES, required: true }),
                    f("source_detail", Text),
                    f("categories", Checks(CATEGORIES)),
                    f("also_noticed_by", Lines),
                    f("concerns_staff_sexual_misconduct", Bool),
                ]
            }
        }
        EntryKind::Consultation => {
            const {
                &[
                    f(
                        "with",
                        Select {
                            options: &["colleague", "designated_lead", "veilig_thuis_advice", "external_partner"],
                            required: true,
                        },
                    ),
                    f("with_whom", Text),
                    f("anonymous", Bool),
                    f("summary", Textarea),
                    f("advice", Textarea),
                ]
            }
        }
        EntryKind::Conversation => {
            const {
                &[
                    f("with", Select { options: &["pupil", "parents", "both"], required: true }),
                    f("summary", Textarea),
                    f("reactions", Textarea),
                    f("agreements", Textarea),
                    f("follow_up_on", Date),
                ]
            }
        }
        EntryKind::Kindcheck => {
            const {
                &[
                    f("concern_about_adult", Textarea),
                    f("dependent_children", Textarea),
                    f("children_safe", Tri),
                    f("follow_up", Textarea),
                ]
            }
        }
        EntryKind::Weighing => {
            const {
                &[
                    f("participants", Lines),
                    f("nature", Textarea),
                    f("severity", Textarea),
                    f("risk", Textarea),
                    f("protective_factors", Textarea),
                    f("veilig_thuis_judgement_asked", Bool),
                    f("veilig_thuis_judgement", Textarea),
                    f("instrument", Text),
                    f("approach", Textarea),
                ]
            }
        }
        EntryKind::AssessmentAnswer => {
            const {
                &[
                    f("question", Select { options: &["q1", "q2", "q3", "q4", "q5"], required: true }),
                    f("answer", Select { options: &["ja", "nee", "twijfel"], required: true }),
                    f("reasoning", Textarea),
                    f("answered_by", Text),
                    f("with_veilig_thuis", Bool),
                    f("board_informed", Bool),
                ]
            }
        }
        EntryKind::Decision => {
            const {
                &[
                    f("report", Bool),
                    f("help", Bool),
                    f("reporter", Text),
                    f("informs_parents", Text),
                    f("informs_pupil", Text),
                    f("school_after", Textarea),
                ]
            }
        }
        EntryKind::Report => {
            const {
                &[
                    f("reported_on", Date),
                    f("reporter", Text),
                    f("facts", Textarea),
                    f("by_phone", Bool),
                    f("parents_informed", Tri),
                    f("parents_not_informed_reason", Textarea),
                    f("pupil_informed", Tri),
                    f("pupil_not_informed_reason", Textarea),
                    f("board_informed", Bool),
                    f(
                        "conversation_exception.ground",
                        Select { options: &["safety_at_stake", "contact_would_break"], required: false },
                    ),
                    f("conversation_exception.explanation", Textarea),
                    f("confidentiality_broken", Bool),
                    f("confidentiality.serves_serious_interests", Textarea),
                    f("confidentiality.other_way", Textarea),
                    f("confidentiality.why_no_consent", Textarea),
                    f("confidentiality.weighing", Textarea),
                    f("confidentiality.what_to_whom", Textarea),
                    f("shield_identity_requested", Bool),
                    f("shield_identity_arguments", Textarea),
                ]
            }
        }
        EntryKind::VeiligThuisFeedback => {
            const {
                &[
                    f("received_on", Date),
                    f("route", Select { options: &["advies", "melding"], required: true }),
                    f(
                        "decision",
                        Select {
                            options: &[
                                "handed_to_local_team",
                                "veiligheidsvoorwaarden",
                                "onderzoek",
                                "no_further_action",
                            ],
                            required: false,
                        },
                    ),
                    f("outcome", Select { options: &["no_abuse", "not_confirmed", "abuse"], required: false }),
                    f("summary", Textarea),
                    f("handelingsadviezen", Textarea),
                ]
            }
        }
        EntryKind::HelpPlan => {
            const {
                &[
                    f("goals", Lines),
                    f("starts_on", Date),
                    f(
                        "term.unit",
                        Select { options: &["working_days", "days", "weeks", "months", "until"], required: true },
                    ),
                    f("term.count", Number),
                    f("term.end", Date),
                    f("case_manager", Text),
                    f("roles", RoleLines),
                    f("term_agreed_with_veilig_thuis", Bool),
                ]
            }
        }
        EntryKind::Evaluation => {
            const { &[f("summary", Textarea), f("results_reached", Tri), f("next_evaluation_on", Date)] }
        }
        EntryKind::Disclosure => const { &[f("summary", Textarea), f("told_to", Text), f("agreements", Textarea)] },
        EntryKind::Closing => const { &[f("conclusion", Textarea), f("no_concern", Bool)] },
        EntryKind::Reopening => const { &[f("reason", Textarea)] },
        EntryKind::Correction => &[],
        // Added with its file through the attachment form; a correction can change the description only.
        EntryKind::Attachment => const { &[f("description", Textarea)] },
    }
}

/// Kinds offered as forms (an attachment has its own form, with the file).
pub fn form_kinds() -> impl Iterator<Item = EntryKind> {
    EntryKind::ALL.iter().copied().filter(|k| !fields(*k).is_empty() && *k != EntryKind::Attachment)
}

/// The posted form as name -> values (checkbox lists have several).
type Posted = BTreeMap<String, Vec<String>>;

fn posted(body: &[u8]) -> Result<Posted, PageError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| PageError::NotFound)?;
    let mut map = Posted::new();
    for (k, v) in pairs {
        map.entry(k).or_default().push(v);
    }
    Ok(map)
}

/// Longest accepted value of one field (characters); longer input is refused at the field.
pub const MAX_FIELD_CHARS: usize = 20_000;

/// The first field whose value is too long, if any.
fn too_long(p: &Posted) -> Option<String> {
    p.iter().find(|(_, values)| values.iter().any(|v| v.chars().count() > MAX_FIELD_CHARS)).map(|(k, _)| k.clone())
}

fn too_long_message(i: &I18n) -> String {
    meldroute_i18n::text(i.lang, "form-too-long", &[("max", MAX_FIELD_CHARS.to_string())])
}

fn one<'a>(p: &'a Posted, name: &str) -> &'a str {
    p.get(name).and_then(|v| v.first()).map_or("", |s| s.as_str())
}

/// Turns posted fields into the JSON shape of `EntryBody` for `kind`.
pub fn to_json(kind: EntryKind, p: &Posted) -> Value {
    let mut root = Map::new();
    root.insert("kind".into(), Value::String(kind.as_str().into()));
    for spec in fields(kind) {
        let raw = one(p, spec.name).trim();
        let value = match spec.input {
            Input::Text | Input::Textarea => {
                (!raw.is_empty() || required_text(kind, spec.name)).then(|| Value::String(raw.to_string()))
            }
            Input::Date => (!raw.is_empty()).then(|| Value::String(raw.to_string())),
            Input::Bool => Some(Value::Bool(matches!(raw, "on" | "true" | "1"))),
            Input::Tri => match raw {
                "yes" => Some(Value::Bool(true)),
                "no" => Some(Value::Bool(false)),
                _ => None,
            },
            Input::Select { .. } => (!raw.is_empty()).then(|| Value::String(raw.to_string())),
            Input::Checks(_) => {
                Some(Value::Array(p.get(spec.name).into_iter().flatten().map(|v| Value::String(v.clone())).collect()))
            }
            Input::Lines => Some(Value::Array(
                raw.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| Value::String(l.into())).collect(),
            )),
            Input::RoleLines => Some(Value::Array(
                raw.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| {
                        let (who, task) = l.split_once(':').unwrap_or((l, ""));
                        serde_json::json!({ "who": who.trim(), "task": task.trim() })
                    })
                    .collect(),
            )),
            Input::Number => raw.parse::<u32>().ok().map(|n| Value::Number(n.into())),
        };
        let Some(value) = value else { continue };
        match spec.name.split_once('.') {
            None => {
                root.insert(spec.name.into(), value);
            }
            Some((outer, inner)) => {
                let slot = root.entry(outer.to_string()).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(map) = slot {
                    map.insert(inner.into(), value);
                }
            }
        }
    }
    // A nested group left (nearly) empty means "not given".
    for (outer, must) in
        [("conversation_exception", "ground"), ("confidentiality", "serves_serious_interests"), ("term", "unit")]
    {
        let drop = match root.get(outer) {
            Some(Value::Object(map)) => {
                !map.contains_key(must) && map.values().all(|v| v.as_str().is_some_and(str::is_empty))
            }
            _ => false,
        };
        if drop {
            root.remove(outer);
        }
    }
    // The help term: only the fields of the chosen unit.
    if let Some(Value::Object(term)) = root.get_mut("term") {
        match term.get("unit").and_then(Value::as_str) {
            Some("until") => {
                term.remove("count");
            }
            Some(_) => {
                term.remove("end");
            }
            None => {}
        }
    }
    Value::Object(root)
}

/// Required text fields are always sent (possibly empty), so the domain can name them when empty.
fn required_text(kind: EntryKind, name: &str) -> bool {
    matches!(
        (kind, name),
        (EntryKind::Observation, "facts")
            | (EntryKind::Consultation, "summary")
            | (EntryKind::Conversation, "summary")
            | (EntryKind::Kindcheck, "concern_about_adult")
            | (EntryKind::Weighing, "nature" | "severity" | "risk" | "protective_factors")
            | (EntryKind::AssessmentAnswer, "reasoning" | "answered_by")
            | (EntryKind::Report, "reporter" | "facts")
            | (EntryKind::VeiligThuisFeedback, "summary")
            | (EntryKind::HelpPlan, "case_manager")
            | (EntryKind::Evaluation, "summary")
            | (EntryKind::Disclosure, "summary")
            | (EntryKind::Closing, "conclusion")
            | (EntryKind::Reopening, "reason")
    )
}

/// The JSON shape of the body, or the field serde could not take.
pub fn parse_body(kind: EntryKind, p: &Posted) -> Result<EntryBody, String> {
    serde_json::from_value(to_json(kind, p)).map_err(|e| {
        let text = e.to_string();
        // serde names the field between backticks ("missing field `reported_on`").
        text.split('`').nth(1).unwrap_or("").to_string()
    })
}

// --- rendering -----------------------------------------------------------------------------------------

pub struct FieldView {
    pub name: String,
    pub id: String,
    pub label: String,
    pub kind: &'static str,
    pub value: String,
    pub checked: bool,
    pub options: Vec<(String, String, bool)>,
    pub error: Option<String>,
}

/// A preparation checklist next to a form: the Fluent keys `<prefix>-title` and `<prefix>-1` to `<prefix>-<n>`.
pub struct Checklist {
    pub prefix: &'static str,
    pub items: usize,
}

const CONVERSATION_PUPIL: Checklist = Checklist { prefix: "checklist-conversation-pupil", items: 7 };
const CONVERSATION_PARENTS: Checklist = Checklist { prefix: "checklist-conversation-parents", items: 7 };
const KINDCHECK: Checklist = Checklist { prefix: "checklist-kindcheck", items: 4 };
const REPORT_CONFIDENTIALITY: Checklist = Checklist { prefix: "checklist-report-confidentiality", items: 5 };

/// Every checklist, for the test that each has its texts in both languages.
pub const ALL_CHECKLISTS: &[&Checklist] =
    &[&CONVERSATION_PUPIL, &CONVERSATION_PARENTS, &KINDCHECK, &REPORT_CONFIDENTIALITY];

/// The checklists shown next to the form of `kind`; for a conversation, the one for whom it is with (`with`),
/// both when it is with both or not chosen yet.
pub fn checklists(kind: EntryKind, with: &str) -> Vec<&'static Checklist> {
    match kind {
        EntryKind::Conversation => match with {
            "pupil" => vec![&CONVERSATION_PUPIL],
            "parents" => vec![&CONVERSATION_PARENTS],
            _ => vec![&CONVERSATION_PUPIL, &CONVERSATION_PARENTS],
        },
        EntryKind::Kindcheck => vec![&KINDCHECK],
        EntryKind::Report => vec![&REPORT_CONFIDENTIALITY],
        _ => Vec::new(),
    }
}

/// A checklist as the page shows it: its title and items in the reader's language.
pub struct ChecklistView {
    pub title: String,
    pub items: Vec<String>,
}

fn checklist_views(i: &I18n, kind: EntryKind, with: &str) -> Vec<ChecklistView> {
    checklists(kind, with)
        .into_iter()
        .map(|c| ChecklistView {
            title: i.t(&format!("{}-title", c.prefix)),
            items: (1..=c.items).map(|n| i.t(&format!("{}-{n}", c.prefix))).collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "entry_form.html")]
pub struct EntryFormPage {
    pub layout: Layout,
    pub action: String,
    pub csrf: String,
    pub kind: String,
    pub kind_label: String,
    pub guidance: String,
    pub checklists: Vec<ChecklistView>,
    pub seen_last_seq: i64,
    pub pupil_name: String,
    pub back: String,
    pub fields: Vec<FieldView>,
    pub general_error: Option<String>,
    pub consequences: Vec<String>,
    pub occurred_on: String,
    pub show_occurred_on: bool,
}

fn field_views(i: &I18n, kind: EntryKind, p: &Posted, error_field: Option<&str>, error_text: &str) -> Vec<FieldView> {
    fields(kind)
        .iter()
        .map(|spec| {
            let value = one(p, spec.name).to_string();
            let id = format!("f-{}", spec.name.replace('.', "-"));
            let label_key = format!("field-{}", spec.name.rsplit('.').next().unwrap_or(spec.name));
            let (kind_str, options) = match spec.input {
                Input::Text => ("text", vec![]),
                Input::Textarea => ("textarea", vec![]),
                Input::Date => ("date", vec![]),
                Input::Number => ("number", vec![]),
                Input::Bool => ("bool", vec![]),
                Input::Lines | Input::RoleLines => ("textarea", vec![]),
                Input::Tri => (
                    "select",
                    [("", "value-unknown"), ("yes", "yes"), ("no", "no")]
                        .iter()
                        .map(|(code, key)| (code.to_string(), i.t(key), value == *code))
                        .collect(),
                ),
                Input::Select { options, required } => {
                    let mut list: Vec<(String, String, bool)> = Vec::new();
                    if !required || value.is_empty() {
                        list.push((String::new(), i.t("value-choose"), value.is_empty()));
                    }
                    list.extend(options.iter().map(|o| (o.to_string(), i.t(&format!("value-{o}")), value == *o)));
                    ("select", list)
                }
                Input::Checks(options) => {
                    let chosen = p.get(spec.name).cloned().unwrap_or_default();
                    (
                        "checks",
                        options
                            .iter()
                            .map(|o| (o.to_string(), i.t(&format!("value-{o}")), chosen.iter().any(|c| c == o)))
                            .collect(),
                    )
                }
            };
            let matches_error = error_field == Some(spec.name);
            FieldView {
                name: spec.name.to_string(),
                id,
                label: i.t(&label_key),
                kind: kind_str,
                checked: matches!(value.as_str(), "on" | "true" | "1"),
                value,
                options,
                error: matches_error.then(|| error_text.to_string()),
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct NewEntryQuery {
    #[serde(default)]
    kind: Option<String>,
}

fn kind_of(code: Option<&str>) -> Option<EntryKind> {
    code.and_then(EntryKind::from_code).filter(|k| form_kinds().any(|f| f == *k))
}

/// `GET /dossiers/{id}/entries/new?kind=...`: the form for one kind (the afwegingskader answer is pre-filled
/// with the next question and shows what the answers so far lead to).
pub async fn new_entry_form(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<NewEntryQuery>,
) -> Result<Response, PageError> {
    let kind = kind_of(q.kind.as_deref()).ok_or(PageError::NotFound)?;
    let loaded = dossiers::load(&state.db, &state.chronologies, &me.tenant, DossierId(id)).await?;
    let resource = dossier_resource(&me, &loaded);
    me.authorize(Action::AppendEntry(kind), &resource)?;
    let mut p = Posted::new();
    if kind == EntryKind::AssessmentAnswer
        && let Some(next) = loaded.state().afwegingskader.next_question
    {
        p.insert("question".into(), vec![next.as_str().into()]);
        if loaded.state().afwegingskader.with_veilig_thuis {
            p.insert("with_veilig_thuis".into(), vec!["on".into()]);
        }
    }
    if kind == EntryKind::Report {
        p.insert("reported_on".into(), vec![clock::today_nl().to_string()]);
    }
    Ok(form_page(&state, &me, &loaded, kind, &p, None, None))
}

fn form_page(
    state: &AppState,
    me: &CurrentUser,
    loaded: &dossiers::Loaded,
    kind: EntryKind,
    p: &Posted,
    error_field: Option<&str>,
    error_text: Option<String>,
) -> Response {
    let layout = Layout::for_user(state, me, "entry-new-title");
    let i = layout.i;
    let reason = |r: &meldroute_domain::Reason| meldroute_i18n::text(i.lang, &r.message_key(), &r.fluent_args());
    let consequences = if kind == EntryKind::AssessmentAnswer {
        let mut list: Vec<String> = loaded.state().afwegingskader.reasons.iter().map(reason).collect();
        if let Some(q) = loaded.state().afwegingskader.next_question {
            list.push(format!("{}: {}", i.t("panel-next-question"), i.t(&format!("question-{}", q.as_str()))));
        }
        list
    } else {
        Vec::new()
    };
    let field_error_text = error_text.clone().unwrap_or_default();
    let general_error = match (error_field, &error_text) {
        (Some(f), Some(_)) if fields(kind).iter().any(|s| s.name == f) => Some(i.t("form-has-errors")),
        (_, Some(text)) => Some(text.clone()),
        _ => None,
    };
    let page = EntryFormPage {
        action: format!("/dossiers/{}/entries", loaded.dossier.id.0),
        csrf: me.session.csrf_token.clone(),
        kind: kind.as_str().into(),
        kind_label: i.t(&format!("kind-{}", kind.as_str())),
        guidance: i.t(&format!("guide-{}", kind.as_str())),
        checklists: checklist_views(&i, kind, one(p, "with")),
        seen_last_seq: loaded.dossier.last_seq,
        pupil_name: format!("{} {}", loaded.pupil.first_name, loaded.pupil.last_name),
        back: format!("/dossiers/{}", loaded.dossier.id.0),
        fields: field_views(&i, kind, p, error_field, &field_error_text),
        general_error,
        consequences,
        occurred_on: one(p, "occurred_on").to_string(),
        show_occurred_on: !matches!(
            kind,
            EntryKind::AssessmentAnswer | EntryKind::Report | EntryKind::VeiligThuisFeedback
        ),
        layout,
    };
    let status = if error_text.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(&page, status)
}

/// `POST /dossiers/{id}/entries`: validate, append, back to the dossier (or the wizard's next question).
pub async fn create_entry(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    if let Err(e) = csrf::parse_form::<BTreeMap<String, String>>(&body, &me.session.csrf_token) {
        return Ok(e.into_response());
    }
    let p = posted(&body)?;
    let kind = kind_of(Some(one(&p, "kind"))).ok_or(PageError::NotFound)?;
    let loaded = dossiers::load(&state.db, &state.chronologies, &me.tenant, DossierId(id)).await?;
    let resource = dossier_resource(&me, &loaded);
    // Before anything about the dossier is shown back: may this person record this kind here at all?
    if me.authorize(Action::AppendEntry(kind), &resource).is_err() {
        audit_read(&state, &me, &addr, "dossier.append", "denied", Some(loaded.pupil.id), Some(loaded.dossier.id))
            .await?;
        return Err(PageError::NotFound);
    }
    let i = I18n { lang: me.lang };
    if let Some(field) = too_long(&p) {
        return Ok(form_page(&state, &me, &loaded, kind, &p, Some(&field), Some(too_long_message(&i))));
    }
    let entry_body = match parse_body(kind, &p) {
        Ok(b) => b,
        Err(field) => {
            let (at, text) = missing_field(&i, kind, &field);
            return Ok(form_page(&state, &me, &loaded, kind, &p, at, Some(text)));
        }
    };
    if authorize_append(me.actor(), &entry_body, &resource).into_result().is_err() {
        audit_read(&state, &me, &addr, "dossier.append", "denied", Some(loaded.pupil.id), Some(loaded.dossier.id))
            .await?;
        return Err(PageError::NotFound);
    }
    let occurred_on = parse_date(one(&p, "occurred_on"));
    let seen = one(&p, "seen_last_seq").parse::<i64>().ok();
    let draft = Draft { author: me.user.id, body: entry_body, occurred_on };
    // The entry and the audit row that records it land in one commit.
    let action = format!("dossier.append.{}", kind.as_str());
    let audit = audit_event(&me, &addr, &action, "allowed", Some(loaded.pupil.id), Some(loaded.dossier.id));
    match dossiers::append_audited(state.dossier_io(), &me.tenant, loaded.clone(), draft, seen, audit).await {
        Ok(_) => {
            if kind == EntryKind::Disclosure {
                let (location, dossier) = (loaded.dossier.location, loaded.dossier.id);
                crate::dossier_pages::notify_location_leads(&state, &me, location, dossier, "disclosure", true).await?;
            }
            let next = if kind == EntryKind::AssessmentAnswer {
                format!("/dossiers/{id}/entries/new?kind=assessment_answer")
            } else {
                format!("/dossiers/{id}")
            };
            Ok(Redirect::to(&next).into_response())
        }
        Err(DossierError::Refused(err)) => {
            let (at, text) = refusal(&i, kind, &err);
            Ok(form_page(&state, &me, &loaded, kind, &p, at, Some(text)))
        }
        Err(DossierError::Stale) => {
            let fresh = dossiers::load(&state.db, &state.chronologies, &me.tenant, DossierId(id)).await?;
            Ok(form_page(&state, &me, &fresh, kind, &p, None, Some(i.t("form-stale"))))
        }
        Err(other) => Err(other.into()),
    }
}

/// "This field is required" naming the field by its label.
fn required_text_message(i: &I18n, field: &str) -> String {
    meldroute_i18n::text(i.lang, "error-field_required", &[("field", field_label(i, field))])
}

/// The label of a field (`term.count` -> `field-count`); the code itself if there is no label.
fn field_label(i: &I18n, field: &str) -> String {
    let key = format!("field-{}", field.rsplit('.').next().unwrap_or(field));
    if meldroute_i18n::has(i.lang, &key) { i.t(&key) } else { field.to_string() }
}

/// The field of `kind`'s form that a field code from serde or the domain belongs to: the field itself, the
/// field of a group the error is about (a term ending too early is the end date, a term of zero is the
/// number, a missing confidentiality answer the question it names), a nested field named by its last part
/// (serde says `count` for `term.count`), or the first field of a group. `None` if the form has no such
/// field (the message is then shown at the top).
fn form_field(kind: EntryKind, field: &str, err: Option<&DomainError>) -> Option<&'static str> {
    use meldroute_domain::ErrorCode;
    let specs = fields(kind);
    let named = |name: &str| specs.iter().find(|s| s.name == name).map(|s| s.name);
    if let Some(name) = named(field) {
        return Some(name);
    }
    let specific = match (field, err.map(|e| e.code)) {
        ("term", Some(ErrorCode::DateTooEarly)) => named("term.end"),
        ("term", Some(ErrorCode::TermInvalid)) => named("term.count"),
        ("confidentiality", Some(ErrorCode::ConfidentialityQuestionsMissing)) => err
            .and_then(|e| e.args.iter().find(|(k, _)| k == "number"))
            .and_then(|(_, n)| n.parse::<usize>().ok())
            .and_then(|n| specs.iter().filter(|s| s.name.starts_with("confidentiality.")).nth(n.saturating_sub(1)))
            .map(|s| s.name),
        _ => None,
    };
    specific
        .or_else(|| {
            specs.iter().find(|s| s.name.split_once('.').is_some_and(|(_, last)| last == field)).map(|s| s.name)
        })
        .or_else(|| {
            specs.iter().find(|s| s.name.split_once('.').is_some_and(|(group, _)| group == field)).map(|s| s.name)
        })
}

/// A field serde could not take: the form field and "this field is required" with its label.
fn missing_field(i: &I18n, kind: EntryKind, field: &str) -> (Option<&'static str>, String) {
    let at = form_field(kind, field, None);
    (at, required_text_message(i, at.unwrap_or(field)))
}

/// A refusal by the domain shown in a form: the form field it belongs to, and the message with the field
/// named by its label (the domain and the API name it by its code).
fn refusal(i: &I18n, kind: EntryKind, err: &DomainError) -> (Option<&'static str>, String) {
    let at = err.field.as_deref().and_then(|f| form_field(kind, f, Some(err)));
    let args: Vec<(&str, String)> = err
        .args
        .iter()
        .map(|(k, v)| {
            let v = if k == "field" { field_label(i, at.unwrap_or(v)) } else { v.clone() };
            (k.as_str(), v)
        })
        .collect();
    (at, meldroute_i18n::text(i.lang, &err.message_key(), &args))
}

fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(s.trim(), time::macros::format_description!("[year]-[month]-[day]")).ok()
}

// --- opening a dossier from a first signal ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "dossier_new.html")]
pub struct NewDossierPage {
    pub layout: Layout,
    pub action: String,
    pub csrf: String,
    pub pupil_name: String,
    pub guidance: String,
    pub fields: Vec<FieldView>,
    pub general_error: Option<String>,
    pub occurred_on: String,
}

fn new_dossier_page(
    state: &AppState,
    me: &CurrentUser,
    pupil: &Pupil,
    p: &Posted,
    error: Option<(String, String)>,
) -> Response {
    let layout = Layout::for_user(state, me, "dossier-new-title");
    let i = layout.i;
    let (field, text) = error.clone().unwrap_or_default();
    let page = NewDossierPage {
        action: format!("/pupils/{}/dossiers", pupil.id.0),
        csrf: me.session.csrf_token.clone(),
        pupil_name: format!("{} {}", pupil.first_name, pupil.last_name),
        guidance: i.t("guide-observation"),
        fields: field_views(&i, EntryKind::Observation, p, (!field.is_empty()).then_some(field.as_str()), &text),
        general_error: error.map(|(f, t)| if f.is_empty() { t } else { i.t("form-has-errors") }),
        occurred_on: one(p, "occurred_on").to_string(),
        layout,
    };
    let status = if page.general_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(&page, status)
}

pub async fn new_dossier_form(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let pupil = state.db.get_pupil(&me.tenant, PupilId(id)).await?;
    me.authorize(Action::OpenDossier, &Resource::Pupil { location: pupil.location.0 })?;
    let mut p = Posted::new();
    p.insert("occurred_on".into(), vec![clock::today_nl().to_string()]);
    p.insert("source".into(), vec!["own_observation".into()]);
    Ok(new_dossier_page(&state, &me, &pupil, &p, None))
}

/// `POST /pupils/{id}/dossiers`: a new dossier from a first signal. When the pupil told it themselves, a
/// disclosure entry follows the observation (meldnorm 1: urgent).
pub async fn create_dossier(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    if let Err(e) = csrf::parse_form::<BTreeMap<String, String>>(&body, &me.session.csrf_token) {
        return Ok(e.into_response());
    }
    let p = posted(&body)?;
    let pupil = state.db.get_pupil(&me.tenant, PupilId(id)).await?;
    me.authorize(Action::OpenDossier, &Resource::Pupil { location: pupil.location.0 })?;
    let i = I18n { lang: me.lang };
    if let Some(field) = too_long(&p) {
        return Ok(new_dossier_page(&state, &me, &pupil, &p, Some((field, too_long_message(&i)))));
    }
    let observation = match parse_body(EntryKind::Observation, &p) {
        Ok(b) => b,
        Err(field) => {
            let (at, text) = missing_field(&i, EntryKind::Observation, &field);
            return Ok(new_dossier_page(&state, &me, &pupil, &p, Some((at.unwrap_or_default().to_string(), text))));
        }
    };
    let told =
        matches!(&observation, EntryBody::Observation(o) if o.source == meldroute_domain::SignalSource::PupilTold);
    let facts = match &observation {
        EntryBody::Observation(o) => o.facts.clone(),
        _ => String::new(),
    };
    let occurred_on = parse_date(one(&p, "occurred_on"));
    let draft = Draft { author: me.user.id, body: observation, occurred_on };
    let dossier = match dossiers::open(&state.db, &state.writer, &me.tenant, pupil.id, draft).await {
        Ok(d) => d,
        Err(DossierError::Refused(err)) => {
            let (at, text) = refusal(&i, EntryKind::Observation, &err);
            return Ok(new_dossier_page(&state, &me, &pupil, &p, Some((at.unwrap_or_default().to_string(), text))));
        }
        Err(other) => return Err(other.into()),
    };
    audit_read(&state, &me, &addr, "dossier.open", "allowed", Some(pupil.id), Some(dossier)).await?;
    crate::dossier_pages::notify_location_leads(&state, &me, pupil.location, dossier, "dossier_opened", false).await?;
    if told {
        let disclosure = EntryBody::Disclosure(meldroute_domain::Disclosure {
            summary: facts,
            told_to: Some(me.user.display_name.clone()),
            agreements: None,
        });
        let draft = Draft { author: me.user.id, body: disclosure, occurred_on };
        dossiers::append(state.dossier_io(), &me.tenant, dossier, draft, None).await?;
        audit_read(&state, &me, &addr, "dossier.append.disclosure", "allowed", Some(pupil.id), Some(dossier)).await?;
        crate::dossier_pages::notify_location_leads(&state, &me, pupil.location, dossier, "disclosure", true).await?;
    }
    Ok(Redirect::to(&format!("/dossiers/{}", dossier.0)).into_response())
}

// --- corrections -----------------------------------------------------------------------------------------------

/// The posted-form view of an entry body (the inverse of [`to_json`]), to pre-fill a correction.
pub fn from_json(kind: EntryKind, body: &Value) -> Posted {
    let mut p = Posted::new();
    for spec in fields(kind) {
        let value = match spec.name.split_once('.') {
            None => body.get(spec.name),
            Some((outer, inner)) => body.get(outer).and_then(|o| o.get(inner)),
        };
        let Some(value) = value else { continue };
        let texts: Vec<String> = match (spec.input, value) {
            (Input::Bool, Value::Bool(b)) => {
                if *b {
                    vec!["on".into()]
                } else {
                    vec![]
                }
            }
            (Input::Tri, Value::Bool(b)) => vec![if *b { "yes".into() } else { "no".into() }],
            (Input::Checks(_), Value::Array(items)) => {
                items.iter().filter_map(|v| v.as_str().map(String::from)).collect()
            }
            (Input::Lines, Value::Array(items)) => {
                vec![items.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join("\n")]
            }
            (Input::RoleLines, Value::Array(items)) => vec![
                items
                    .iter()
                    .map(|r| {
                        format!(
                            "{}: {}",
                            r.get("who").and_then(Value::as_str).unwrap_or(""),
                            r.get("task").and_then(Value::as_str).unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ],
            (_, Value::String(s)) => vec![s.clone()],
            (_, Value::Number(n)) => vec![n.to_string()],
            _ => vec![],
        };
        if !texts.is_empty() {
            p.insert(spec.name.to_string(), texts);
        }
    }
    p
}

#[derive(Template)]
#[template(path = "entry_correct.html")]
pub struct CorrectPage {
    pub layout: Layout,
    pub action: String,
    pub csrf: String,
    pub kind_label: String,
    pub seq: u32,
    pub seen_last_seq: i64,
    pub pupil_name: String,
    pub back: String,
    pub fields: Vec<FieldView>,
    pub reason: String,
    pub reason_error: Option<String>,
    pub general_error: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn correct_page(
    state: &AppState,
    me: &CurrentUser,
    loaded: &dossiers::Loaded,
    seq: u32,
    kind: EntryKind,
    p: &Posted,
    error: Option<(String, String)>,
) -> Response {
    let layout = Layout::for_user(state, me, "correct-title");
    let i = layout.i;
    let (field, text) = error.clone().unwrap_or_default();
    let reason_error = (field == "reason").then(|| text.clone());
    let page = CorrectPage {
        action: format!("/dossiers/{}/entries/{seq}/correct", loaded.dossier.id.0),
        csrf: me.session.csrf_token.clone(),
        kind_label: i.t(&format!("kind-{}", kind.as_str())),
        seq,
        seen_last_seq: loaded.dossier.last_seq,
        pupil_name: format!("{} {}", loaded.pupil.first_name, loaded.pupil.last_name),
        back: format!("/dossiers/{}#entry-{seq}", loaded.dossier.id.0),
        fields: field_views(&i, kind, p, (!field.is_empty() && field != "reason").then_some(field.as_str()), &text),
        reason: one(p, "reason").to_string(),
        reason_error,
        general_error: error.map(|(f, t)| if f.is_empty() { t } else { i.t("form-has-errors") }),
        layout,
    };
    let status = if page.general_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(&page, status)
}

/// The entry to correct and the effective content it has now (an earlier correction's, if any).
fn target(loaded: &dossiers::Loaded, seq: u32) -> Result<(meldroute_domain::Entry, EntryBody), PageError> {
    let entry = loaded.entries.iter().find(|e| e.seq == seq).cloned().ok_or(PageError::NotFound)?;
    if matches!(entry.body, EntryBody::Correction(_)) {
        return Err(PageError::NotFound);
    }
    let effective = loaded
        .entries
        .iter()
        .rev()
        .find_map(|e| match &e.body {
            EntryBody::Correction(c) if c.corrects == entry.id => Some((*c.corrected).clone()),
            _ => None,
        })
        .unwrap_or_else(|| entry.body.clone());
    Ok((entry, effective))
}

pub async fn correct_form(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path((id, seq)): Path<(i64, u32)>,
) -> Result<Response, PageError> {
    let loaded = dossiers::load(&state.db, &state.chronologies, &me.tenant, DossierId(id)).await?;
    let resource = dossier_resource(&me, &loaded);
    let (entry, effective) = target(&loaded, seq)?;
    let kind = entry.body.kind();
    // Only someone who may record this kind may see it in a correction form (a partner never can).
    me.authorize(Action::AppendEntry(kind), &resource)?;
    audit_read(&state, &me, &addr, "dossier.read", "allowed", Some(loaded.pupil.id), Some(loaded.dossier.id)).await?;
    let json = serde_json::to_value(&effective).unwrap_or(Value::Null);
    Ok(correct_page(&state, &me, &loaded, seq, kind, &from_json(kind, &json), None))
}

pub async fn correct_submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path((id, seq)): Path<(i64, u32)>,
    body: Bytes,
) -> Result<Response, PageError> {
    if let Err(e) = csrf::parse_form::<BTreeMap<String, String>>(&body, &me.session.csrf_token) {
        return Ok(e.into_response());
    }
    let p = posted(&body)?;
    let loaded = dossiers::load(&state.db, &state.chronologies, &me.tenant, DossierId(id)).await?;
    let resource = dossier_resource(&me, &loaded);
    let (entry, effective) = target(&loaded, seq)?;
    let kind = entry.body.kind();
    me.authorize(Action::AppendEntry(kind), &resource)?;
    let i = I18n { lang: me.lang };
    if let Some(field) = too_long(&p) {
        return Ok(correct_page(&state, &me, &loaded, seq, kind, &p, Some((field, too_long_message(&i)))));
    }
    // The file of an attachment stays as it is; only its description is corrected.
    let parsed = match &effective {
        EntryBody::Attachment(a) => {
            let description = one(&p, "description").trim();
            Ok(EntryBody::Attachment(meldroute_domain::Attachment {
                description: (!description.is_empty()).then(|| description.to_string()),
                ..a.clone()
            }))
        }
        _ => parse_body(kind, &p),
    };
    let corrected = match parsed {
        Ok(b) => b,
        Err(field) => {
            let (at, text) = missing_field(&i, kind, &field);
            return Ok(correct_page(
                &state,
                &me,
                &loaded,
                seq,
                kind,
                &p,
                Some((at.unwrap_or_default().to_string(), text)),
            ));
        }
    };
    let correction = EntryBody::Correction(meldroute_domain::Correction {
        corrects: entry.id,
        reason: one(&p, "reason").trim().to_string(),
        corrected: Box::new(corrected),
    });
    if authorize_append(me.actor(), &correction, &resource).into_result().is_err() {
        audit_read(&state, &me, &addr, "dossier.append", "denied", Some(loaded.pupil.id), Some(loaded.dossier.id))
            .await?;
        return Err(PageError::NotFound);
    }
    let seen = one(&p, "seen_last_seq").parse::<i64>().ok();
    let draft = Draft { author: me.user.id, body: correction, occurred_on: None };
    let (pupil, dossier) = (loaded.pupil.id, loaded.dossier.id);
    let audit = audit_event(&me, &addr, "dossier.append.correction", "allowed", Some(pupil), Some(dossier));
    match dossiers::append_audited(state.dossier_io(), &me.tenant, loaded.clone(), draft, seen, audit).await {
        Ok(_) => Ok(Redirect::to(&format!("/dossiers/{id}")).into_response()),
        Err(DossierError::Refused(err)) => {
            // The reason of the correction itself is its own field, below the entry's fields.
            let (at, text) = refusal(&i, kind, &err);
            let at = if err.field.as_deref() == Some("reason") { Some("reason") } else { at };
            Ok(correct_page(&state, &me, &loaded, seq, kind, &p, Some((at.unwrap_or_default().to_string(), text))))
        }
        Err(DossierError::Stale) => {
            let fresh = dossiers::load(&state.db, &state.chronologies, &me.tenant, DossierId(id)).await?;
            Ok(correct_page(&state, &me, &fresh, seq, kind, &p, Some((String::new(), i.t("form-stale")))))
        }
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use meldroute_i18n::Lang;

    use super::*;

    #[test]
    fn every_checklist_has_its_title_and_items_in_dutch_and_english() {
        for c in ALL_CHECKLISTS {
            for lang in [Lang::Nl, Lang::En] {
                let title = format!("{}-title", c.prefix);
                assert!(meldroute_i18n::has(lang, &title), "{title} missing in {lang:?}");
                for n in 1..=c.items {
                    let key = format!("{}-{n}", c.prefix);
                    assert!(meldroute_i18n::has(lang, &key), "{key} missing in {lang:?}");
                }
                let beyond = format!("{}-{}", c.prefix, c.items + 1);
                assert!(!meldroute_i18n::has(lang, &beyond), "{beyond} exists but is not shown");
            }
        }
    }

    #[test]
    fn a_conversation_shows_the_list_for_whom_it_is_with() {
        let prefixes =
            |with: &str| checklists(EntryKind::Conversation, with).iter().map(|c| c.prefix).collect::<Vec<_>>();
        assert_eq!(prefixes("pupil"), ["checklist-conversation-pupil"]);
        assert_eq!(prefixes("parents"), ["checklist-conversation-parents"]);
        assert_eq!(prefixes("both"), ["checklist-conversation-pupil", "checklist-conversation-parents"]);
        assert_eq!(prefixes(""), ["checklist-conversation-pupil", "checklist-conversation-parents"]);
        assert!(checklists(EntryKind::Observation, "").is_empty());
    }
}
