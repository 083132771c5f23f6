//! The school's own route (routekaart, meldcode.md §5): per location, who acts in each of the six steps, the
//! aandachtsfunctionaris, the partners and how to reach them, whether the Verwijsindex is used, and local
//! agreements per step. Every school sets its own; [`RouteMap::default_for`] gives a sensible start per
//! sector. [`RouteMap::validate`] lists every problem at once (a form shows them all at their fields).
//!
//! A route map is versioned by the store: a saved map is never changed, a change is a new version. Which
//! version applied when a step was taken follows from the versions' times ([`version_at`]).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::access::Role;
use crate::dossier::Step;
use crate::rules::coded_enum;
use crate::sector::Sector;

coded_enum! {
    /// Who can act in a step: a role at the location, or the school's care team.
    pub enum RouteActor {
        /// Leerkracht, mentor, docent or pedagogisch medewerker: whoever sees the child daily.
        Medewerker => "medewerker",
        /// Intern begeleider, zorgcoördinator or ondersteuningscoördinator.
        InternBegeleider => "intern_begeleider",
        /// The aandachtsfunctionaris huiselijk geweld en kindermishandeling.
        Aandachtsfunctionaris => "aandachtsfunctionaris",
        /// Directeur, bouwcoördinator or leidinggevende.
        Directeur => "directeur",
        /// The ondersteuningsteam / zorgteam / ZAT / MDO: the school with its youth-care partners.
        Ondersteuningsteam => "ondersteuningsteam",
    }
}

impl RouteActor {
    /// The account role that holds this part, if one does (the care team is a meeting, not an account).
    pub fn role(self) -> Option<Role> {
        match self {
            RouteActor::Medewerker => Some(Role::Medewerker),
            RouteActor::InternBegeleider => Some(Role::InternBegeleider),
            RouteActor::Aandachtsfunctionaris => Some(Role::Aandachtsfunctionaris),
            RouteActor::Directeur => Some(Role::Directeur),
            RouteActor::Ondersteuningsteam => None,
        }
    }
}

coded_enum! {
    /// The partners around the school ("de schil om de school", §5).
    pub enum PartnerKind {
        /// The regional Veilig Thuis.
        VeiligThuis => "veilig_thuis",
        /// Wijkteam, sociaal team or CJG.
        Wijkteam => "wijkteam",
        /// Jeugdarts or jeugdverpleegkundige (JGZ).
        Jeugdarts => "jeugdarts",
        /// School social work.
        SchoolMaatschappelijkWerk => "schoolmaatschappelijk_werk",
        /// Leerplichtambtenaar.
        Leerplicht => "leerplicht",
        /// Any other partner the school works with.
        Other => "other",
    }
}

/// A named person with a part in the route, optionally linked to an account (then alerts reach them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutePerson {
    pub name: String,
    /// The account of this person, if they have one in this organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
}

/// Who acts in one step and what the school agreed about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepPlan {
    pub step: u8,
    #[serde(default)]
    pub actors: Vec<RouteActor>,
    #[serde(default)]
    pub people: Vec<RoutePerson>,
    /// Local agreements for this step (free text, may be empty).
    #[serde(default)]
    pub agreements: String,
}

/// A partner and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    pub kind: PartnerKind,
    /// Organisation or team name, e.g. "Wijkteam Noord".
    pub organisation: String,
    /// Contact person, if any.
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub notes: String,
}

/// The aandachtsfunctionaris of the location and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lead {
    pub person: RoutePerson,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
}

/// A location's route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteMap {
    /// Exactly six, steps 1 to 6 in order.
    pub steps: Vec<StepPlan>,
    pub aandachtsfunctionaris: Lead,
    /// The regional Veilig Thuis and its number for professionals.
    pub veilig_thuis_region: String,
    pub veilig_thuis_phone: String,
    #[serde(default)]
    pub partners: Vec<Partner>,
    pub uses_verwijsindex: bool,
}

/// The longest accepted free text (agreements, notes) in characters.
pub const MAX_TEXT: usize = 4_000;
/// The longest accepted name, organisation or region in characters.
pub const MAX_NAME: usize = 200;
/// The most partners or named people per step a map may hold.
pub const MAX_ITEMS: usize = 40;

coded_enum! {
    /// Why a route map is refused. Texts under `routemap-error-<code>` in the locale files.
    pub enum RouteMapErrorCode {
        /// A step has no role, care team or person acting on it (argument `step`).
        StepWithoutActor => "step_without_actor",
        /// The map does not hold the six steps in order.
        StepsIncomplete => "steps_incomplete",
        /// A phone number is not a Dutch or international number.
        PhoneInvalid => "phone_invalid",
        /// An e-mail address is not of the form name@domain.tld.
        EmailInvalid => "email_invalid",
        /// A required field is empty.
        Required => "required",
        /// A text is longer than allowed (argument `max`).
        TooLong => "too_long",
        /// A list holds more items than allowed (argument `max`).
        TooMany => "too_many",
        /// A partner needs a phone number or an e-mail address.
        PartnerUnreachable => "partner_unreachable",
    }
}

/// One problem with a route map, at one form field (`steps.2.actors`, `partners.0.phone`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteMapProblem {
    pub code: RouteMapErrorCode,
    pub field: String,
    pub args: Vec<(String, String)>,
}

impl RouteMapProblem {
    fn new(code: RouteMapErrorCode, field: impl Into<String>) -> RouteMapProblem {
        RouteMapProblem { code, field: field.into(), args: Vec::new() }
    }

    fn arg(mut self, name: &str, value: impl ToString) -> RouteMapProblem {
        self.args.push((name.to_string(), value.to_string()));
        self
    }

    /// The Fluent key of the message.
    pub fn message_key(&self) -> String {
        format!("routemap-error-{}", self.code.as_str())
    }

    /// The arguments in the shape `meldroute_i18n::text` takes.
    pub fn fluent_args(&self) -> Vec<(&str, String)> {
        self.args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect()
    }
}

/// Every step of the route, in order.
pub const STEPS: [Step; 6] =
    [Step::SignalenInKaart, Step::Consulteren, Step::Gesprek, Step::Wegen, Step::Beslissen, Step::Volgen];

impl RouteMap {
    /// A sensible start for a location of this sector, after the typical route of §5. The school fills in
    /// names and numbers and adjusts the rest; nothing here pretends to be the school's own choice.
    pub fn default_for(sector: Sector) -> RouteMap {
        use RouteActor::*;
        let plans: [&[RouteActor]; 6] = match sector {
            // Childcare and childminders: the pedagogisch medewerker signals; the leidinggevende (directeur
            // role) and the aandachtsfunctionaris carry the weighing and the decision.
            Sector::Kinderopvang | Sector::Gastouder => [
                &[Medewerker],
                &[Medewerker, Aandachtsfunctionaris],
                &[Medewerker, Aandachtsfunctionaris],
                &[Aandachtsfunctionaris, Directeur],
                &[Directeur, Aandachtsfunctionaris],
                &[Medewerker, Aandachtsfunctionaris],
            ],
            // Primary school, the typical route of §5.
            Sector::Po => [
                &[Medewerker],
                &[Medewerker, InternBegeleider],
                &[Medewerker, InternBegeleider],
                &[InternBegeleider, Medewerker, Ondersteuningsteam],
                &[Directeur],
                &[Medewerker, InternBegeleider, Directeur],
            ],
            // Secondary and vocational: the mentor signals, the zorgcoördinator leads with the care team.
            Sector::Vo | Sector::Mbo | Sector::Leerplicht => [
                &[Medewerker],
                &[Medewerker, InternBegeleider, Aandachtsfunctionaris],
                &[Medewerker, InternBegeleider],
                &[InternBegeleider, Ondersteuningsteam],
                &[Directeur, Aandachtsfunctionaris],
                &[Medewerker, InternBegeleider],
            ],
        };
        RouteMap {
            steps: STEPS
                .iter()
                .zip(plans)
                .map(|(step, actors)| StepPlan {
                    step: step.number(),
                    actors: actors.to_vec(),
                    people: Vec::new(),
                    agreements: String::new(),
                })
                .collect(),
            aandachtsfunctionaris: Lead {
                person: RoutePerson { name: String::new(), user_id: None },
                phone: String::new(),
                email: String::new(),
            },
            veilig_thuis_region: String::new(),
            veilig_thuis_phone: String::new(),
            partners: Vec::new(),
            uses_verwijsindex: false,
        }
    }

    /// The plan of one step.
    pub fn step(&self, step: Step) -> Option<&StepPlan> {
        self.steps.iter().find(|p| p.step == step.number())
    }

    /// Every problem, in form order; empty when the map can be saved.
    pub fn validate(&self) -> Vec<RouteMapProblem> {
        use RouteMapErrorCode as E;
        let mut problems = Vec::new();
        let numbers: Vec<u8> = self.steps.iter().map(|p| p.step).collect();
        if numbers != [1, 2, 3, 4, 5, 6] {
            problems.push(RouteMapProblem::new(E::StepsIncomplete, "steps"));
        }
        for (i, plan) in self.steps.iter().enumerate() {
            let at = format!("steps.{i}");
            if plan.actors.is_empty() && plan.people.iter().all(|p| p.name.trim().is_empty()) {
                problems.push(RouteMapProblem::new(E::StepWithoutActor, format!("{at}.actors")).arg("step", plan.step));
            }
            if plan.people.len() > MAX_ITEMS {
                problems.push(RouteMapProblem::new(E::TooMany, format!("{at}.people")).arg("max", MAX_ITEMS));
            }
            for person in &plan.people {
                check_len(&mut problems, &person.name, MAX_NAME, &format!("{at}.people"));
            }
            check_len(&mut problems, &plan.agreements, MAX_TEXT, &format!("{at}.agreements"));
        }
        let lead = &self.aandachtsfunctionaris;
        if lead.person.name.trim().is_empty() {
            problems.push(RouteMapProblem::new(E::Required, "aandachtsfunctionaris.name"));
        }
        check_len(&mut problems, &lead.person.name, MAX_NAME, "aandachtsfunctionaris.name");
        check_phone(&mut problems, &lead.phone, false, "aandachtsfunctionaris.phone");
        check_email(&mut problems, &lead.email, false, "aandachtsfunctionaris.email");
        if self.veilig_thuis_region.trim().is_empty() {
            problems.push(RouteMapProblem::new(E::Required, "veilig_thuis_region"));
        }
        check_len(&mut problems, &self.veilig_thuis_region, MAX_NAME, "veilig_thuis_region");
        check_phone(&mut problems, &self.veilig_thuis_phone, true, "veilig_thuis_phone");
        if self.partners.len() > MAX_ITEMS {
            problems.push(RouteMapProblem::new(E::TooMany, "partners").arg("max", MAX_ITEMS));
        }
        for (i, partner) in self.partners.iter().enumerate() {
            let at = format!("partners.{i}");
            if partner.organisation.trim().is_empty() {
                problems.push(RouteMapProblem::new(E::Required, format!("{at}.organisation")));
            }
            check_len(&mut problems, &partner.organisation, MAX_NAME, &format!("{at}.organisation"));
            check_len(&mut problems, &partner.contact, MAX_NAME, &format!("{at}.contact"));
            check_len(&mut problems, &partner.notes, MAX_TEXT, &format!("{at}.notes"));
            if partner.phone.trim().is_empty() && partner.email.trim().is_empty() {
                problems.push(RouteMapProblem::new(E::PartnerUnreachable, format!("{at}.phone")));
            }
            check_phone(&mut problems, &partner.phone, false, &format!("{at}.phone"));
            check_email(&mut problems, &partner.email, false, &format!("{at}.email"));
        }
        problems
    }

    /// The account ids named in a step (for alerts), without duplicates.
    pub fn people_of(&self, step: Step) -> Vec<i64> {
        let mut ids: Vec<i64> =
            self.step(step).map(|p| p.people.iter().filter_map(|x| x.user_id).collect()).unwrap_or_default();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The account roles that act in a step (for alerts).
    pub fn roles_of(&self, step: Step) -> Vec<Role> {
        self.step(step).map(|p| p.actors.iter().filter_map(|a| a.role()).collect()).unwrap_or_default()
    }
}

fn check_len(problems: &mut Vec<RouteMapProblem>, text: &str, max: usize, field: &str) {
    if text.chars().count() > max {
        problems.push(RouteMapProblem::new(RouteMapErrorCode::TooLong, field).arg("max", max));
    }
}

fn check_phone(problems: &mut Vec<RouteMapProblem>, phone: &str, required: bool, field: &str) {
    if phone.trim().is_empty() {
        if required {
            problems.push(RouteMapProblem::new(RouteMapErrorCode::Required, field));
        }
    } else if normalize_phone(phone).is_none() {
        problems.push(RouteMapProblem::new(RouteMapErrorCode::PhoneInvalid, field));
    }
}

fn check_email(problems: &mut Vec<RouteMapProblem>, email: &str, required: bool, field: &str) {
    if email.trim().is_empty() {
        if required {
            problems.push(RouteMapProblem::new(RouteMapErrorCode::Required, field));
        }
    } else if !is_email(email.trim()) {
        problems.push(RouteMapProblem::new(RouteMapErrorCode::EmailInvalid, field));
    }
}

/// A phone number as digits for a `tel:` link (`+31…` kept), or `None` when it is not a plausible Dutch or
/// international number. Accepts spaces, dashes, dots and parentheses between digits: `020-123 45 67`,
/// `+31 20 123 4567`, `0800-2000`, `(010) 123 45 67`.
pub fn normalize_phone(phone: &str) -> Option<String> {
    let phone = phone.trim();
    if phone.chars().count() > 30 {
        return None;
    }
    let (plus, rest) = match phone.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, phone),
    };
    let mut digits = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    let ok = if plus {
        // E.164: a country code and up to 15 digits in all.
        (8..=15).contains(&digits.len()) && !digits.starts_with('0')
    } else if digits.starts_with("0800") || digits.starts_with("0900") || digits.starts_with("0880") {
        // Free and service numbers: 0800-2000 has 8 digits, 0800-1234567 has 11.
        (8..=11).contains(&digits.len())
    } else {
        // Geographic and mobile numbers: ten digits starting with 0 (not 00, an international prefix).
        digits.len() == 10 && digits.starts_with('0') && !digits.starts_with("00")
    };
    ok.then(|| if plus { format!("+{digits}") } else { digits })
}

/// A plain check of `name@domain.tld`: no spaces, one `@`, a dot in the domain, sane lengths.
pub fn is_email(email: &str) -> bool {
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    // The unquoted local part of RFC 5322, without the characters that mean something in a `mailto:` link
    // (`?`, `&`, `%`, `=`, `#`, `/`: an address must not smuggle in a hidden bcc or body).
    let local_ok = local.chars().all(|c| c.is_alphanumeric() || ".!$'*+^_`{|}~-".contains(c));
    if local.is_empty() || local.len() > 64 || !local_ok || local.starts_with('.') || local.ends_with('.') {
        return false;
    }
    if domain.contains('@') {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
}

/// The version in effect at `at`: the newest version saved at or before it. `versions` holds (version,
/// saved at) pairs in any order.
pub fn version_at(versions: &[(i64, OffsetDateTime)], at: OffsetDateTime) -> Option<i64> {
    versions.iter().filter(|(_, saved)| *saved <= at).max_by_key(|(v, saved)| (*saved, *v)).map(|(v, _)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn complete(sector: Sector) -> RouteMap {
        let mut map = RouteMap::default_for(sector);
        map.aandachtsfunctionaris.person.name = "Sanne de Vries".into();
        map.aandachtsfunctionaris.phone = "06-12345678".into();
        map.aandachtsfunctionaris.email = "s.devries@regenboog.example".into();
        map.veilig_thuis_region = "Veilig Thuis Utrecht".into();
        map.veilig_thuis_phone = "030 - 123 45 67".into();
        map.partners.push(Partner {
            kind: PartnerKind::Jeugdarts,
            organisation: "GGD regio Utrecht".into(),
            contact: "Dr. A. Bakker".into(),
            phone: "+31 30 765 4321".into(),
            email: String::new(),
            notes: String::new(),
        });
        map
    }

    #[test]
    fn every_sector_default_covers_every_step_and_becomes_valid_once_named() {
        for sector in Sector::ALL {
            let map = RouteMap::default_for(sector);
            assert_eq!(map.steps.len(), 6);
            for (i, plan) in map.steps.iter().enumerate() {
                assert_eq!(plan.step as usize, i + 1);
                assert!(!plan.actors.is_empty(), "{sector:?} step {} has nobody", plan.step);
            }
            // Only the school's own facts are missing.
            let codes: Vec<_> = map.validate().into_iter().map(|p| p.field).collect();
            assert_eq!(codes, ["aandachtsfunctionaris.name", "veilig_thuis_region", "veilig_thuis_phone"]);
            assert!(complete(sector).validate().is_empty(), "{sector:?}");
        }
    }

    #[test]
    fn primary_default_follows_the_typical_route() {
        let map = RouteMap::default_for(Sector::Po);
        assert_eq!(map.step(Step::SignalenInKaart).unwrap().actors, [RouteActor::Medewerker]);
        assert_eq!(map.step(Step::Beslissen).unwrap().actors, [RouteActor::Directeur]);
        assert!(map.step(Step::Wegen).unwrap().actors.contains(&RouteActor::InternBegeleider));
    }

    #[test]
    fn a_step_nobody_acts_on_is_refused_with_the_step_named() {
        let mut map = complete(Sector::Po);
        map.steps[3].actors.clear();
        let problems = map.validate();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, RouteMapErrorCode::StepWithoutActor);
        assert_eq!(problems[0].field, "steps.3.actors");
        assert_eq!(problems[0].args, [("step".to_string(), "4".to_string())]);
        // A named person is enough; a blank name is not.
        map.steps[3].people.push(RoutePerson { name: "  ".into(), user_id: None });
        assert_eq!(map.validate().len(), 1);
        map.steps[3].people[0].name = "Karin Jansen".into();
        assert!(map.validate().is_empty());
    }

    #[test]
    fn steps_must_be_the_six_in_order() {
        let mut map = complete(Sector::Vo);
        map.steps.swap(0, 1);
        assert!(map.validate().iter().any(|p| p.code == RouteMapErrorCode::StepsIncomplete));
        let mut map = complete(Sector::Vo);
        map.steps.pop();
        assert!(map.validate().iter().any(|p| p.code == RouteMapErrorCode::StepsIncomplete));
    }

    #[test]
    fn phone_numbers() {
        for (input, want) in [
            ("020-123 45 67", "0201234567"),
            ("06 12345678", "0612345678"),
            ("(010) 123 45 67", "0101234567"),
            ("0800-2000", "08002000"),
            ("0800 1234567", "08001234567"),
            ("+31 20 123 4567", "+31201234567"),
            ("+32 2 123 45 67", "+3221234567"),
            ("  030.123.45.67 ", "0301234567"),
        ] {
            assert_eq!(normalize_phone(input).as_deref(), Some(want), "{input}");
        }
        for bad in [
            "",
            "112",
            "12345",
            "020-123 45 6",
            "020-123 45 678",
            "0031 20 123 4567",
            "+0 20 123",
            "06-1234567a",
            "bel 020 1234567",
            "+31",
            "0800-12",
            "javascript:alert(1)",
            "020/1234567",
            "+31 20 123 4567 8888 9999",
        ] {
            assert_eq!(normalize_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn email_addresses() {
        for good in ["a@b.nl", "s.devries@regenboog.example", "info@wijkteam-noord.nl", "zorg+meld@school.nl"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@b.nl",
            "a@.nl",
            "a@b.",
            "a b@c.nl",
            "a@b@c.nl",
            "a@-b.nl",
            "a@b.n1",
            "a@b.n",
            "a@b..nl",
            "<script>@x.nl",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn invalid_contacts_are_named_at_their_fields() {
        let mut map = complete(Sector::Po);
        map.aandachtsfunctionaris.phone = "twaalf".into();
        map.aandachtsfunctionaris.email = "sanne-at-school".into();
        map.veilig_thuis_phone = String::new();
        map.partners.push(Partner {
            kind: PartnerKind::Wijkteam,
            organisation: String::new(),
            contact: String::new(),
            phone: String::new(),
            email: String::new(),
            notes: String::new(),
        });
        let fields: Vec<(RouteMapErrorCode, String)> = map.validate().into_iter().map(|p| (p.code, p.field)).collect();
        use RouteMapErrorCode as E;
        assert_eq!(
            fields,
            [
                (E::PhoneInvalid, "aandachtsfunctionaris.phone".to_string()),
                (E::EmailInvalid, "aandachtsfunctionaris.email".to_string()),
                (E::Required, "veilig_thuis_phone".to_string()),
                (E::Required, "partners.1.organisation".to_string()),
                (E::PartnerUnreachable, "partners.1.phone".to_string()),
            ]
        );
    }

    #[test]
    fn lengths_and_counts_are_bounded() {
        let mut map = complete(Sector::Po);
        map.steps[0].agreements = "x".repeat(MAX_TEXT + 1);
        map.steps[1].people = vec![RoutePerson { name: "A".into(), user_id: None }; MAX_ITEMS + 1];
        let codes: Vec<_> = map.validate().into_iter().map(|p| (p.code, p.field)).collect();
        assert!(codes.contains(&(RouteMapErrorCode::TooLong, "steps.0.agreements".into())));
        assert!(codes.contains(&(RouteMapErrorCode::TooMany, "steps.1.people".into())));
        map.steps[0].agreements = "é".repeat(MAX_TEXT); // characters, not bytes
        map.steps[1].people.truncate(2);
        assert!(map.validate().is_empty());
    }

    #[test]
    fn who_acts_gives_roles_and_linked_people() {
        let mut map = complete(Sector::Po);
        map.steps[1].people = vec![
            RoutePerson { name: "Karin".into(), user_id: Some(7) },
            RoutePerson { name: "Piet".into(), user_id: None },
        ];
        assert_eq!(map.people_of(Step::Consulteren), [7]);
        assert_eq!(map.roles_of(Step::Consulteren), [Role::Medewerker, Role::InternBegeleider]);
        assert_eq!(map.roles_of(Step::Wegen), [Role::InternBegeleider, Role::Medewerker]); // not the care team
    }

    #[test]
    fn serde_round_trip_and_unknown_fields_refused() {
        let map = complete(Sector::Po);
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(serde_json::from_str::<RouteMap>(&json).unwrap(), map);
        let mut value = serde_json::to_value(&map).unwrap();
        value["surprise"] = serde_json::json!(1);
        assert!(serde_json::from_value::<RouteMap>(value).is_err());
    }

    #[test]
    fn the_version_in_effect_at_a_moment() {
        let v = [
            (1, datetime!(2026-09-01 10:00 UTC)),
            (3, datetime!(2026-11-01 10:00 UTC)),
            (2, datetime!(2026-10-01 10:00 UTC)),
        ];
        assert_eq!(version_at(&v, datetime!(2026-08-31 23:00 UTC)), None);
        assert_eq!(version_at(&v, datetime!(2026-09-01 10:00 UTC)), Some(1));
        assert_eq!(version_at(&v, datetime!(2026-10-15 00:00 UTC)), Some(2));
        assert_eq!(version_at(&v, datetime!(2027-01-01 00:00 UTC)), Some(3));
        assert_eq!(version_at(&[], datetime!(2027-01-01 00:00 UTC)), None);
    }
}
