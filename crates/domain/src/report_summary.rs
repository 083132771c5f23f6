//! The summary of a dossier for a report to Veilig Thuis (issue 7 part 1; meldcode.md §8): the facts in
//! time order kept apart from interpretations, the consultations, the conversations with the reactions, the
//! weighing with the protective factors, the afwegingskader answers with their reasons, and the report's own
//! particulars (who reports, whether parents and pupil were told, whether the bevoegd gezag knows).
//!
//! Pure: built from the entries alone. A corrected entry is shown with its corrected content (and marked);
//! correction entries themselves are not repeated. The web layer turns the [`Value`]s into words in the
//! reader's language, for the HTML page, the plain text (read out on the phone) and the PDF alike; the
//! anonymous consultation summary runs the same structure through the anonymiser.

use std::collections::BTreeMap;

use serde::Serialize;
use time::Date;

use crate::entry::*;

/// The sections, in the order a report is read out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// What was seen or heard, and what the pupil told.
    Facts,
    /// Concerns and interpretations, kept apart from the facts.
    Interpretations,
    Consultations,
    /// Conversations with pupil and parents, with their reactions.
    Conversations,
    /// The weighing, with the protective factors.
    Weighing,
    /// The afwegingskader answers with their reasons.
    Afwegingskader,
    /// Decisions: report or not, help or not, who does what.
    Decisions,
    /// The report itself (if already made) and what Veilig Thuis said.
    Report,
}

impl SectionKind {
    pub const ALL: [SectionKind; 8] = [
        SectionKind::Facts,
        SectionKind::Interpretations,
        SectionKind::Consultations,
        SectionKind::Conversations,
        SectionKind::Weighing,
        SectionKind::Afwegingskader,
        SectionKind::Decisions,
        SectionKind::Report,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SectionKind::Facts => "facts",
            SectionKind::Interpretations => "interpretations",
            SectionKind::Consultations => "consultations",
            SectionKind::Conversations => "conversations",
            SectionKind::Weighing => "weighing",
            SectionKind::Afwegingskader => "afwegingskader",
            SectionKind::Decisions => "decisions",
            SectionKind::Report => "report",
        }
    }
}

/// A value of a field: free text (as recorded), a code to translate, a yes/no or a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Value {
    Text(String),
    /// A stored code ("own_observation", "q1", "ja"); translated as `value-{code}` (`question-{code}` for
    /// the question of an afwegingskader answer).
    Code(String),
    Bool(bool),
    Date(Date),
}

/// One labelled field; `label` is a translation key suffix (`summary-field-{label}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub label: &'static str,
    pub value: Value,
}

fn text(label: &'static str, value: &str) -> Option<Field> {
    let value = value.trim();
    (!value.is_empty()).then(|| Field { label, value: Value::Text(value.to_string()) })
}

fn opt_text(label: &'static str, value: &Option<String>) -> Option<Field> {
    value.as_deref().and_then(|v| text(label, v))
}

fn code(label: &'static str, value: String) -> Option<Field> {
    Some(Field { label, value: Value::Code(value) })
}

fn flag(label: &'static str, value: bool) -> Option<Field> {
    Some(Field { label, value: Value::Bool(value) })
}

fn date(label: &'static str, value: Date) -> Option<Field> {
    Some(Field { label, value: Value::Date(value) })
}

/// The stored code of an enum value ("own_observation"); the web layer translates it as `value-{code}`.
fn raw<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// One item of a section: from one entry of the chronology.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub seq: u32,
    /// When it happened (or, when not given, the day it was recorded).
    pub date: Date,
    pub author: UserRef,
    /// The entry was corrected later; these are the corrected contents.
    pub corrected: bool,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub kind: SectionKind,
    pub items: Vec<Item>,
}

/// The answers to "who reports, were parents and pupil told, does the bevoegd gezag know", taken from the
/// latest report, or else from the latest decision. `None` = not recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportStatus {
    pub reported_on: Option<Date>,
    pub reporter: Option<String>,
    pub parents_informed: Option<bool>,
    pub parents_not_informed_reason: Option<String>,
    pub pupil_informed: Option<bool>,
    pub pupil_not_informed_reason: Option<String>,
    pub board_informed: Option<bool>,
    /// Who the decision says informs the parents / the pupil (before a report is made).
    pub informs_parents: Option<String>,
    pub informs_pupil: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportSummary {
    /// Every section of [`SectionKind::ALL`], in that order (possibly empty).
    pub sections: Vec<Section>,
    pub status: ReportStatus,
}

impl ReportSummary {
    pub fn section(&self, kind: SectionKind) -> &[Item] {
        self.sections.iter().find(|s| s.kind == kind).map_or(&[], |s| &s.items)
    }
}

/// The entries with corrections applied: each original carries its latest corrected content.
fn effective(entries: &[Entry]) -> Vec<(&Entry, EntryBody, bool)> {
    let mut replaced: BTreeMap<EntryId, &EntryBody> = BTreeMap::new();
    for e in entries {
        if let EntryBody::Correction(c) = &e.body {
            replaced.insert(c.corrects, &c.corrected);
        }
    }
    entries
        .iter()
        .filter(|e| !matches!(e.body, EntryBody::Correction(_)))
        .map(|e| match replaced.get(&e.id) {
            Some(body) => (e, (*body).clone(), true),
            None => (e, e.body.clone(), false),
        })
        .collect()
}

/// Build the summary from a dossier's chronology.
pub fn summarize(entries: &[Entry]) -> ReportSummary {
    let mut sections: BTreeMap<SectionKind, Vec<Item>> = SectionKind::ALL.iter().map(|k| (*k, Vec::new())).collect();
    let mut status = ReportStatus::default();
    let mut rows = effective(entries);
    // Time order: when it happened, then the order of recording.
    rows.sort_by_key(|(e, _, _)| (e.occurred_on.unwrap_or(e.recorded_at.date()), e.seq));
    for (e, body, corrected) in rows {
        let mut push = |kind: SectionKind, fields: Vec<Option<Field>>| {
            let fields: Vec<Field> = fields.into_iter().flatten().collect();
            if !fields.is_empty() {
                sections.entry(kind).or_default().push(Item {
                    seq: e.seq,
                    date: e.occurred_on.unwrap_or(e.recorded_at.date()),
                    author: e.author,
                    corrected,
                    fields,
                });
            }
        };
        match &body {
            EntryBody::Observation(o) => {
                push(
                    SectionKind::Facts,
                    vec![
                        text("observed", &o.facts),
                        code("source", raw(&o.source)),
                        opt_text("source-detail", &o.source_detail),
                        text("also-noticed-by", &o.also_noticed_by.join(", ")),
                    ],
                );
                push(SectionKind::Interpretations, vec![opt_text("interpretation", &o.interpretation)]);
            }
            EntryBody::Disclosure(d) => push(
                SectionKind::Facts,
                vec![
                    text("pupil-told", &d.summary),
                    opt_text("told-to", &d.told_to),
                    opt_text("agreements", &d.agreements),
                ],
            ),
            EntryBody::Kindcheck(k) => push(
                SectionKind::Facts,
                vec![
                    text("concern-about-adult", &k.concern_about_adult),
                    opt_text("dependent-children", &k.dependent_children),
                    k.children_safe.and_then(|s| flag("children-safe", s)),
                    opt_text("follow-up", &k.follow_up),
                ],
            ),
            EntryBody::Consultation(c) => push(
                SectionKind::Consultations,
                vec![
                    code("consulted", raw(&c.with)),
                    opt_text("with-whom", &c.with_whom),
                    flag("anonymous", c.anonymous),
                    text("summary", &c.summary),
                    opt_text("advice", &c.advice),
                ],
            ),
            EntryBody::Conversation(c) => push(
                SectionKind::Conversations,
                vec![
                    code("conversation-with", raw(&c.with)),
                    text("summary", &c.summary),
                    opt_text("reactions", &c.reactions),
                    opt_text("agreements", &c.agreements),
                ],
            ),
            EntryBody::Weighing(w) => push(
                SectionKind::Weighing,
                vec![
                    text("participants", &w.participants.join(", ")),
                    text("nature", &w.nature),
                    text("severity", &w.severity),
                    text("risk", &w.risk),
                    text("protective-factors", &w.protective_factors),
                    w.veilig_thuis_judgement_asked
                        .then_some(Field { label: "vt-judgement-asked", value: Value::Bool(true) }),
                    opt_text("vt-judgement", &w.veilig_thuis_judgement),
                    opt_text("instrument", &w.instrument),
                    opt_text("approach", &w.approach),
                ],
            ),
            EntryBody::AssessmentAnswer(a) => {
                if a.board_informed {
                    status.board_informed = Some(true);
                }
                push(
                    SectionKind::Afwegingskader,
                    vec![
                        code("question", a.question.as_str().to_string()),
                        code("answer", a.answer.as_str().to_string()),
                        text("reasoning", &a.reasoning),
                        text("answered-by", &a.answered_by),
                        flag("with-veilig-thuis", a.with_veilig_thuis),
                        flag("board-informed", a.board_informed),
                    ],
                )
            }
            EntryBody::Decision(d) => {
                if status.reported_on.is_none() {
                    status.reporter = d.reporter.clone().or(status.reporter.take());
                }
                status.informs_parents = d.informs_parents.clone().or(status.informs_parents.take());
                status.informs_pupil = d.informs_pupil.clone().or(status.informs_pupil.take());
                push(
                    SectionKind::Decisions,
                    vec![
                        flag("decision-report", d.report),
                        flag("decision-help", d.help),
                        opt_text("reporter", &d.reporter),
                        opt_text("informs-parents", &d.informs_parents),
                        opt_text("informs-pupil", &d.informs_pupil),
                        opt_text("school-after", &d.school_after),
                    ],
                )
            }
            EntryBody::Report(r) => {
                status.reported_on = Some(r.reported_on);
                status.reporter = Some(r.reporter.clone());
                status.parents_informed = r.parents_informed;
                status.parents_not_informed_reason = r.parents_not_informed_reason.clone();
                status.pupil_informed = r.pupil_informed;
                status.pupil_not_informed_reason = r.pupil_not_informed_reason.clone();
                status.board_informed = Some(r.board_informed || status.board_informed == Some(true));
                let mut fields = vec![
                    date("reported-on", r.reported_on),
                    text("reporter", &r.reporter),
                    text("report-facts", &r.facts),
                    flag("by-phone", r.by_phone),
                ];
                if let Some(ex) = &r.conversation_exception {
                    fields.push(code("exception-ground", raw(&ex.ground)));
                    fields.push(text("exception-explanation", &ex.explanation));
                }
                if let Some(c) = &r.confidentiality {
                    for (key, answer) in c.in_order() {
                        let label = match key {
                            "serves_serious_interests" => "confidentiality-1",
                            "other_way" => "confidentiality-2",
                            "why_no_consent" => "confidentiality-3",
                            "weighing" => "confidentiality-4",
                            _ => "confidentiality-5",
                        };
                        fields.push(text(label, answer));
                    }
                }
                if r.shield_identity_requested {
                    fields.push(flag("shield-identity", true));
                    fields.push(opt_text("shield-arguments", &r.shield_identity_arguments));
                }
                push(SectionKind::Report, fields)
            }
            EntryBody::VeiligThuisFeedback(f) => push(
                SectionKind::Report,
                vec![
                    date("feedback-received", f.received_on),
                    code("vt-route", raw(&f.route)),
                    text("summary", &f.summary),
                    opt_text("handelingsadviezen", &f.handelingsadviezen),
                ],
            ),
            EntryBody::HelpPlan(_)
            | EntryBody::Evaluation(_)
            | EntryBody::Closing(_)
            | EntryBody::Reopening(_)
            | EntryBody::Correction(_)
            | EntryBody::Attachment(_) => {}
        }
    }
    ReportSummary { sections: sections.into_iter().map(|(kind, items)| Section { kind, items }).collect(), status }
}

impl Item {
    /// The free texts of the item (for anonymisation and tests).
    pub fn texts_mut(&mut self) -> impl Iterator<Item = &mut String> {
        self.fields.iter_mut().filter_map(|f| match &mut f.value {
            Value::Text(t) => Some(t),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::afwegingskader::{Answer, Question};
    use time::macros::{date, datetime};

    fn entry(seq: u32, occurred: Option<Date>, body: EntryBody) -> Entry {
        Entry {
            id: EntryId(seq as i64 + 100),
            seq,
            recorded_at: datetime!(2026-03-10 10:00 UTC),
            occurred_on: occurred,
            author: UserRef(7),
            body,
        }
    }

    fn observation(facts: &str, interpretation: Option<&str>) -> EntryBody {
        EntryBody::Observation(Observation {
            facts: facts.into(),
            interpretation: interpretation.map(str::to_string),
            source: SignalSource::OwnObservation,
            source_detail: None,
            categories: vec![],
            also_noticed_by: vec![],
            concerns_staff_sexual_misconduct: false,
        })
    }

    #[test]
    fn facts_in_time_order_apart_from_interpretations_with_corrections_applied() {
        let entries = vec![
            entry(1, Some(date!(2026 - 03 - 05)), observation("later fact", Some("worried"))),
            entry(2, Some(date!(2026 - 03 - 01)), observation("earlier fact", None)),
            entry(
                3,
                None,
                EntryBody::Correction(Correction {
                    corrects: EntryId(101),
                    reason: "typo".into(),
                    corrected: Box::new(observation("later fact, corrected", Some("worried"))),
                }),
            ),
            entry(
                4,
                None,
                EntryBody::AssessmentAnswer(AssessmentAnswer {
                    question: Question::Q1,
                    answer: Answer::Ja,
                    reasoning: "because".into(),
                    answered_by: "AF".into(),
                    with_veilig_thuis: false,
                    board_informed: true,
                }),
            ),
        ];
        let s = summarize(&entries);
        let facts = s.section(SectionKind::Facts);
        assert_eq!(facts.len(), 2);
        assert_eq!(facts[0].fields[0].value, Value::Text("earlier fact".into()));
        assert_eq!(facts[1].fields[0].value, Value::Text("later fact, corrected".into()));
        assert!(facts[1].corrected);
        let interp = s.section(SectionKind::Interpretations);
        assert_eq!(interp.len(), 1);
        assert_eq!(interp[0].fields[0].value, Value::Text("worried".into()));
        let ak = s.section(SectionKind::Afwegingskader);
        assert_eq!(ak[0].fields[0].value, Value::Code("q1".into()));
        assert_eq!(ak[0].fields[1].value, Value::Code("ja".into()));
        assert_eq!(s.status.board_informed, Some(true));
        assert_eq!(s.status.reporter, None);
    }

    #[test]
    fn the_report_says_who_and_who_was_told() {
        let entries = vec![entry(
            1,
            None,
            EntryBody::Report(Report {
                reported_on: date!(2026 - 03 - 09),
                reporter: "A. Jansen, aandachtsfunctionaris".into(),
                facts: "f".into(),
                by_phone: true,
                parents_informed: Some(false),
                parents_not_informed_reason: Some("safety".into()),
                pupil_informed: Some(true),
                pupil_not_informed_reason: None,
                board_informed: true,
                conversation_exception: None,
                confidentiality_broken: false,
                confidentiality: None,
                shield_identity_requested: false,
                shield_identity_arguments: None,
            }),
        )];
        let s = summarize(&entries);
        assert_eq!(s.status.reporter.as_deref(), Some("A. Jansen, aandachtsfunctionaris"));
        assert_eq!(s.status.parents_informed, Some(false));
        assert_eq!(s.status.pupil_informed, Some(true));
        assert_eq!(s.status.board_informed, Some(true));
        assert_eq!(s.section(SectionKind::Report).len(), 1);
    }
}
