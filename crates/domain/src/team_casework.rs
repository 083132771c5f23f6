//! The case work of a team learning session (meldcode.md §10, "the meldcode in our school"; issue 10 point 3):
//! groups of three or four take a case and fill in the worksheet per step together. Per step a group writes
//! what went well (positives), points of attention and key persons; the plenary collects them from every
//! group into the draft route map of the school, which the facilitator may apply to the location's route map
//! as a new version after reviewing what changes.
//!
//! A group is made by a participant (name and case) and joined by others who pick it; a participant is in one
//! group. The worksheet is edited per field; each field has a version, so two members saving the same field
//! at once do not silently overwrite each other: the second is told and sees the current text.
//!
//! Pure rules, no I/O.

use serde::{Deserialize, Serialize};

use crate::route_map::{RouteMap, RoutePerson};
use crate::team_session::{At, Part, TeamError, WorksheetStep};

/// Longest group name, in characters.
pub const MAX_GROUP_NAME_CHARS: usize = 60;
/// Most members of one group: groups of three or four, with some room.
pub const MAX_GROUP_MEMBERS: usize = 6;
/// Most groups in one session.
pub const MAX_GROUPS: usize = 40;
/// Longest text of one worksheet field, in characters.
pub const MAX_FIELD_CHARS: usize = 1000;

/// The three things a group records per step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseField {
    /// What goes well.
    Positives,
    /// Points of attention.
    Attention,
    /// Key persons (one per line).
    KeyPersons,
}

impl CaseField {
    pub const ALL: [CaseField; 3] = [CaseField::Positives, CaseField::Attention, CaseField::KeyPersons];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseField::Positives => "positives",
            CaseField::Attention => "attention",
            CaseField::KeyPersons => "key_persons",
        }
    }

    pub fn parse(s: &str) -> Option<CaseField> {
        CaseField::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The Fluent key of the field's label.
    pub fn message_key(self) -> String {
        format!("team-field-{}", self.as_str().replace('_', "-"))
    }
}

/// Groups and worksheets belong to the meldcode cases item (see [`At::require`]).
fn check_at_cases(at: At) -> Result<(), TeamError> {
    at.require(Part::MeldcodeCases)
}

/// Checks a new group: a name, a case of the plan (`case` of `cases`), the participant not yet in a group,
/// and room for another group. Returns the trimmed name.
pub fn validate_group(
    at: At,
    name: &str,
    case: usize,
    cases: usize,
    in_group: bool,
    groups: usize,
) -> Result<String, TeamError> {
    check_at_cases(at)?;
    if in_group {
        return Err(TeamError::AlreadyInGroup);
    }
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_GROUP_NAME_CHARS {
        return Err(TeamError::GroupNameInvalid);
    }
    if case >= cases {
        return Err(TeamError::NoSuchCase);
    }
    if groups >= MAX_GROUPS {
        return Err(TeamError::TooManyGroups);
    }
    Ok(name.to_string())
}

/// Checks joining a group that has `members` members.
pub fn check_join_group(at: At, members: usize, in_group: bool) -> Result<(), TeamError> {
    check_at_cases(at)?;
    if in_group {
        return Err(TeamError::AlreadyInGroup);
    }
    if members >= MAX_GROUP_MEMBERS {
        return Err(TeamError::GroupFull);
    }
    Ok(())
}

/// Checks one worksheet field's new text (empty clears it). Returns the trimmed text.
pub fn validate_field(at: At, step: usize, steps: usize, text: &str) -> Result<String, TeamError> {
    check_at_cases(at)?;
    if step >= steps {
        return Err(TeamError::NoSuchStep);
    }
    let text = text.trim();
    if text.chars().count() > MAX_FIELD_CHARS {
        return Err(TeamError::AnswerTooLong);
    }
    Ok(text.to_string())
}

/// One stored worksheet field of one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldText {
    pub step: usize,
    pub field: CaseField,
    pub text: String,
}

/// The plenary's collection for one worksheet step.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DraftStep {
    pub title: String,
    pub positives: Vec<String>,
    pub attention: Vec<String>,
    pub key_persons: Vec<String>,
}

impl DraftStep {
    pub fn is_empty(&self) -> bool {
        self.positives.is_empty() && self.attention.is_empty() && self.key_persons.is_empty()
    }
}

fn push_unique(list: &mut Vec<String>, text: &str) {
    let text = text.trim();
    if !text.is_empty() && !list.iter().any(|t| t.to_lowercase() == text.to_lowercase()) {
        list.push(text.to_string());
    }
}

/// Collects every group's fields per worksheet step: the draft route map of the school. Positives and points
/// of attention are kept per group text; key persons are split per line (also on `,` and `;`). Equal texts
/// (ignoring case) appear once. `fields` in the order the groups wrote them (the order is kept).
pub fn draft_route_map(worksheet: &[WorksheetStep], fields: &[FieldText]) -> Vec<DraftStep> {
    let mut draft: Vec<DraftStep> =
        worksheet.iter().map(|w| DraftStep { title: w.title.clone(), ..DraftStep::default() }).collect();
    for f in fields {
        let Some(step) = draft.get_mut(f.step) else { continue };
        match f.field {
            CaseField::Positives => push_unique(&mut step.positives, &f.text),
            CaseField::Attention => push_unique(&mut step.attention, &f.text),
            CaseField::KeyPersons => {
                for name in f.text.split(['\n', ',', ';']) {
                    push_unique(&mut step.key_persons, name);
                }
            }
        }
    }
    draft
}

/// The meldcode steps (1–6) a worksheet step is about: the worksheet takes steps 4 and 5 together (§10).
pub fn route_steps_of(worksheet_step: usize) -> &'static [u8] {
    match worksheet_step {
        0 => &[1],
        1 => &[2],
        2 => &[3],
        3 => &[4, 5],
        _ => &[],
    }
}

/// The texts used when the draft is written into a route map (in the facilitator's language).
pub struct DraftLabels<'a> {
    /// A heading above what the session added, e.g. "Uit het teamleergesprek van 22-11-2026".
    pub heading: &'a str,
    pub positives: &'a str,
    pub attention: &'a str,
}

/// The route map with the draft applied: per meldcode step, a block with the positives and points of
/// attention is added below the existing agreements, and key persons not yet named in the step are added
/// (linked to an account by `link` when it finds exactly one). Nothing is removed, and a block that is there
/// already is not added again.
pub fn apply_draft(
    map: &RouteMap,
    draft: &[DraftStep],
    labels: &DraftLabels<'_>,
    link: &dyn Fn(&str) -> Option<i64>,
) -> RouteMap {
    let mut next = map.clone();
    for (index, step) in draft.iter().enumerate() {
        for &number in route_steps_of(index) {
            let Some(plan) = next.steps.iter_mut().find(|p| p.step == number) else { continue };
            let mut block = Vec::new();
            if !step.positives.is_empty() {
                block.push(format!("{}: {}", labels.positives, step.positives.join("; ")));
            }
            if !step.attention.is_empty() {
                block.push(format!("{}: {}", labels.attention, step.attention.join("; ")));
            }
            let block = format!("{}\n{}", labels.heading, block.join("\n"));
            // Applying the same draft twice adds it once.
            if block.lines().count() > 1 && !plan.agreements.contains(&block) {
                plan.agreements =
                    if plan.agreements.trim().is_empty() { block } else { format!("{}\n\n{block}", plan.agreements) };
            }
            for name in &step.key_persons {
                if !plan.people.iter().any(|p| p.name.trim().to_lowercase() == name.to_lowercase()) {
                    plan.people.push(RoutePerson { name: name.clone(), user_id: link(name) });
                }
            }
        }
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route_map::RouteMap;
    use crate::sector::Sector;
    use crate::team_session::standard_plan;

    use crate::team_session::{Phase, SessionPlan};

    fn plan() -> SessionPlan {
        standard_plan(&|key| format!("<{key}>"))
    }

    /// Running at the meldcode cases.
    fn running() -> At {
        let p = plan();
        let current = p.agenda.iter().position(|a| a.part == Part::MeldcodeCases).unwrap_or(usize::MAX);
        At::of(Phase::Running { current }, &p)
    }

    #[test]
    fn groups_and_worksheets_are_taken_only_at_the_cases() {
        let p = plan();
        for (index, a) in p.agenda.iter().enumerate() {
            let at = At::of(Phase::Running { current: index }, &p);
            let expected = if a.part == Part::MeldcodeCases { Ok(()) } else { Err(TeamError::NotAtThisItem) };
            assert_eq!(validate_group(at, "A", 0, 4, false, 0).map(|_| ()), expected, "{:?}", a.part);
            assert_eq!(check_join_group(at, 1, false), expected, "{:?}", a.part);
            assert_eq!(validate_field(at, 0, 4, "x").map(|_| ()), expected, "{:?}", a.part);
        }
    }

    #[test]
    fn a_group_needs_a_name_a_case_and_room() {
        assert_eq!(validate_group(running(), "  Groep A ", 0, 4, false, 0), Ok("Groep A".into()));
        assert_eq!(validate_group(running(), " ", 0, 4, false, 0), Err(TeamError::GroupNameInvalid));
        assert_eq!(validate_group(running(), &"x".repeat(61), 0, 4, false, 0), Err(TeamError::GroupNameInvalid));
        assert!(validate_group(running(), &"é".repeat(60), 0, 4, false, 0).is_ok());
        assert_eq!(validate_group(running(), "A", 4, 4, false, 0), Err(TeamError::NoSuchCase));
        assert_eq!(validate_group(running(), "A", 0, 4, true, 0), Err(TeamError::AlreadyInGroup));
        assert_eq!(validate_group(running(), "A", 0, 4, false, MAX_GROUPS), Err(TeamError::TooManyGroups));
        assert_eq!(validate_group(At::of(Phase::Closed, &plan()), "A", 0, 4, false, 0), Err(TeamError::SessionClosed));
        assert_eq!(
            validate_group(At::of(Phase::Draft, &plan()), "A", 0, 4, false, 0),
            Err(TeamError::SessionNotRunning)
        );
    }

    #[test]
    fn joining_a_group_once_while_there_is_room() {
        assert_eq!(check_join_group(running(), 3, false), Ok(()));
        assert_eq!(check_join_group(running(), MAX_GROUP_MEMBERS, false), Err(TeamError::GroupFull));
        assert_eq!(check_join_group(running(), 1, true), Err(TeamError::AlreadyInGroup));
        assert_eq!(check_join_group(At::of(Phase::Closed, &plan()), 1, false), Err(TeamError::SessionClosed));
    }

    #[test]
    fn fields_are_bounded_and_may_be_cleared() {
        assert_eq!(validate_field(running(), 0, 4, "  korte lijnen "), Ok("korte lijnen".into()));
        assert_eq!(validate_field(running(), 3, 4, ""), Ok(String::new()));
        assert_eq!(validate_field(running(), 4, 4, "x"), Err(TeamError::NoSuchStep));
        assert!(validate_field(running(), 0, 4, &"é".repeat(MAX_FIELD_CHARS)).is_ok());
        assert_eq!(validate_field(running(), 0, 4, &"é".repeat(MAX_FIELD_CHARS + 1)), Err(TeamError::AnswerTooLong));
        assert_eq!(validate_field(At::of(Phase::Closed, &plan()), 0, 4, "x"), Err(TeamError::SessionClosed));
        for f in CaseField::ALL {
            assert_eq!(CaseField::parse(f.as_str()), Some(f));
        }
        assert_eq!(CaseField::parse("names"), None);
    }

    fn field(step: usize, field: CaseField, text: &str) -> FieldText {
        FieldText { step, field, text: text.into() }
    }

    #[test]
    fn the_draft_collects_every_group_per_step_once() {
        let plan = standard_plan(&|k| format!("<{k}>"));
        let draft = draft_route_map(
            &plan.worksheet,
            &[
                field(0, CaseField::Positives, "Signalen worden genoteerd"),
                field(0, CaseField::Positives, "signalen worden genoteerd"),
                field(0, CaseField::Attention, "Wie belt de ouders?"),
                field(1, CaseField::KeyPersons, "Ilse (IB)\nAnouk; Ilse (IB), ,"),
                field(1, CaseField::KeyPersons, "Jeugdarts"),
                field(2, CaseField::Positives, "   "),
                field(9, CaseField::Positives, "off the sheet"),
            ],
        );
        assert_eq!(draft.len(), 4);
        assert_eq!(draft[0].title, "<team-worksheet-1-title>");
        assert_eq!(draft[0].positives, vec!["Signalen worden genoteerd"], "equal texts once");
        assert_eq!(draft[0].attention, vec!["Wie belt de ouders?"]);
        assert_eq!(draft[1].key_persons, vec!["Ilse (IB)", "Anouk", "Jeugdarts"]);
        assert!(draft[2].is_empty() && draft[3].is_empty());
    }

    #[test]
    fn applying_the_draft_adds_and_never_removes() {
        let mut map = RouteMap::default_for(Sector::Po);
        map.steps[0].agreements = "Bestaande afspraak".into();
        map.steps[1].people.push(RoutePerson { name: "Anouk".into(), user_id: Some(3) });
        let draft = vec![
            DraftStep {
                title: "1".into(),
                positives: vec!["Goed genoteerd".into(), "Snel gemeld".into()],
                attention: vec!["Bronnen noemen".into()],
                key_persons: vec![],
            },
            DraftStep { title: "2".into(), key_persons: vec!["anouk".into(), "Ilse".into()], ..DraftStep::default() },
            DraftStep::default(),
            DraftStep {
                title: "4-5".into(),
                attention: vec!["Nazorg voor de leerkracht".into()],
                ..DraftStep::default()
            },
        ];
        let labels = DraftLabels { heading: "Uit het teamleergesprek", positives: "Goed", attention: "Aandacht" };
        let next = apply_draft(&map, &draft, &labels, &|name| (name == "Ilse").then_some(7));
        assert_eq!(
            next.steps[0].agreements,
            "Bestaande afspraak\n\nUit het teamleergesprek\nGoed: Goed genoteerd; Snel gemeld\nAandacht: Bronnen noemen"
        );
        let people: Vec<_> = next.steps[1].people.iter().map(|p| (p.name.as_str(), p.user_id)).collect();
        assert_eq!(people, vec![("Anouk", Some(3)), ("Ilse", Some(7))], "a named person is not added twice");
        assert_eq!(next.steps[2], map.steps[2], "an empty step changes nothing");
        for i in [3, 4] {
            assert!(next.steps[i].agreements.ends_with("Aandacht: Nazorg voor de leerkracht"), "steps 4 and 5");
        }
        assert_eq!(next.steps[5], map.steps[5]);
        assert_eq!((&next.partners, &next.aandachtsfunctionaris), (&map.partners, &map.aandachtsfunctionaris));
        assert_eq!(apply_draft(&map, &[], &labels, &|_| None), map);
        assert_eq!(apply_draft(&next, &draft, &labels, &|_| None), next, "twice is once");
    }
}
