//! `meldroute seed`: fills an EMPTY database with synthetic, obviously fictional data at any scale, up to a
//! whole country: school boards with their schools (locations), staff accounts with roles, groups, pupils
//! (some of them siblings), dossiers in every step and outcome of the meldcode, their audit history and
//! notifications.
//!
//! The dossiers are built from real domain entries: each chronology is checked entry by entry with
//! `validate_append` (what the meldcode refuses is left out), and the listing columns come from the same
//! `fold` the application uses. Audit rows are chained with the installation's audit key, so
//! `meldroute audit verify` passes on a seeded database.
//!
//! Reproducible: the same `--seed` and `--as-of` give the same rows (the one exception is the password hash,
//! whose salt is random). Rows are written with multi-row INSERTs in large transactions.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use meldroute_database::Database;
use meldroute_domain::*;
use meldroute_store::audit::{AuditKey, GENESIS, HASH_LEN, chain_hash, head_mac, normalize_at};
use meldroute_store::bulk::*;
use meldroute_store::{DossierProjection, NewAuditEvent, OrgId, Store, UserId};
use meldroute_web::{clock, dossiers, password};
use time::{Date, Duration, OffsetDateTime, Time};

use crate::config::Settings;
use crate::ops;

/// The password of every seeded account (fictional data only; printed at the end).
pub const PASSWORD: &str = "seed-wachtwoord-2026";
/// Rows gathered before a transaction is written.
const CHUNK_ROWS: usize = 60_000;

#[derive(Debug, Clone)]
pub struct Params {
    pub schools: u32,
    pub pupils_per_school: u32,
    pub dossiers_per_school: u32,
    pub entries_per_dossier: u32,
    pub seed: u64,
    /// The day the data is "as of" (dossiers are dated before it); default today.
    pub as_of: Option<Date>,
    /// Print no progress bar.
    pub quiet: bool,
}

/// What was written, for the summary and the benchmark script.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub organisations: usize,
    pub locations: usize,
    pub users: usize,
    pub pupils: usize,
    pub dossiers: usize,
    pub entries: usize,
    pub audit: usize,
    pub notifications: usize,
    /// Entries the meldcode refused while generating (left out, so every chronology is valid).
    pub refused: usize,
    /// An open dossier of school 1 with the most entries (for benchmarks).
    pub example_dossier: i64,
    /// A last name at school 1 (for a pupil search).
    pub example_last_name: String,
    /// The open dossiers of school 1 (at most 256).
    pub open_dossiers_school_1: Vec<i64>,
    /// The open dossiers of the first [`WRITE_SCHOOLS`] schools, by school number: the write benchmark spreads
    /// its writers over them (each school's aandachtsfunctionaris writes to her own school's dossiers), so
    /// concurrent appends seldom meet on the same chronology.
    pub open_dossiers_by_school: Vec<(u32, Vec<i64>)>,
}

/// Schools whose open dossiers the summary lists for the write benchmark.
pub const WRITE_SCHOOLS: u32 = 32;

/// SplitMix64: small, fast, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x6d65_6c64_726f_7574)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
    pub fn range(&mut self, lo: i64, hi_inclusive: i64) -> i64 {
        lo + self.below((hi_inclusive - lo + 1).max(1) as u64) as i64
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const FIRST_NAMES: &[&str] = &[
    "Emma", "Julia", "Mila", "Tess", "Sophie", "Zoë", "Sara", "Nora", "Yara", "Eva", "Liv", "Anna", "Evi", "Saar",
    "Lotte", "Fenna", "Noor", "Lina", "Fleur", "Roos", "Isa", "Femke", "Maud", "Elin", "Hanna", "Lieke", "Jill",
    "Amira", "Nina", "Ilse", "Noah", "Sem", "Liam", "Lucas", "Daan", "Finn", "Levi", "Luuk", "Mees", "Jesse", "Milan",
    "Bram", "Thijs", "Sven", "Ties", "Jayden", "Adam", "Mohammed", "Ruben", "Thomas", "Stijn", "Gijs", "Lars", "Hugo",
    "Jens", "Olivier", "Teun", "Boaz", "Floris", "Mats", "Ayoub", "Daniël", "Wout", "Kees",
];
const LAST_NAMES: &[&str] = &[
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "van der Linden",
    "Kok",
    "Jacobs",
    "de Haan",
    "Vermeulen",
    "van den Heuvel",
    "van der Veen",
    "van den Broek",
    "de Bruijn",
    "de Bruin",
    "van der Heijden",
    "Schouten",
    "van Beek",
    "Willems",
    "van Vliet",
    "van de Ven",
    "Hoekstra",
    "Maas",
    "Verhoeven",
    "Koster",
    "van Dam",
    "van der Wal",
    "Prins",
    "Blom",
    "Huisman",
    "Peeters",
    "de Lange",
    "Kuipers",
    "van Wijk",
    "Postma",
    "Kramer",
    "van den Bosch",
    "Veenstra",
    "Bouwman",
    "Yilmaz",
    "El Amrani",
    "Kaya",
    "Nguyen",
    "Bulut",
];
const SCHOOL_NAMES: &[&str] = &[
    "De Zilverreiger",
    "Het Klaverblad",
    "De Windroos",
    "De Sterrenkijker",
    "Het Kompas",
    "De Notenkraker",
    "De Zeppelin",
    "Het Talent",
    "De Vuurtoren",
    "De Regenboogvis",
    "Het Baken",
    "De Kleine Prins",
    "De Boomgaard",
    "De Wilgenhoek",
    "Het Palet",
    "De Ontdekking",
    "De Springplank",
    "Het Startpunt",
    "De Horizon",
    "De Triangel",
];
const PLACES: &[&str] = &[
    "Nergenshuizen",
    "Verzonnendam",
    "Fictiedorp",
    "Bedachtveen",
    "Droomwijk",
    "Denkbeeldhoven",
    "Ergenswoude",
    "Voorbeeldrecht",
    "Modelmeer",
    "Proefkerk",
    "Schetsbergen",
    "Oefenhaven",
];
const OBSERVATIONS: &[&str] = &[
    "Komt de laatste weken vaak zonder ontbijt op school en heeft geen lunch bij zich.",
    "Had blauwe plekken op de bovenarm; zegt gevallen te zijn van de fiets.",
    "Is sinds de vakantie stil en teruggetrokken en speelt in de pauze alleen.",
    "Schrikt zichtbaar als een volwassene de stem verheft en kruipt weg.",
    "Verzuimt regelmatig op maandag; het verzuim is niet gemeld door ouders.",
    "Vertelde in de kring dat het thuis 's avonds vaak onrustig is.",
    "Kleding is al een week dezelfde en ruikt; de leerling heeft het koud op het plein.",
    "Valt in de les in slaap en zegt 's nachts wakker te liggen van ruzie.",
    "Een ouder kwam onder invloed het kind ophalen en was verbaal agressief.",
    "Tekent herhaaldelijk tekeningen met boze volwassenen en een huilend kind.",
];
const INTERPRETATIONS: &[&str] = &[
    "Ik maak me zorgen en wil dit bespreken met de IB-er.",
    "Mogelijk speelt er iets thuis; ik houd het in de gaten.",
    "Het patroon herhaalt zich; ik wil overleggen.",
];
const SUMMARIES: &[&str] = &[
    "Herkent de signalen; adviseert om te observeren en ouders uit te nodigen.",
    "Zag vorig jaar hetzelfde patroon in de weken na de vakanties.",
    "Adviseert de signalen concreet te noteren en het gesprek met ouders voor te bereiden.",
    "Geen eerdere zorgen bekend; afgesproken om twee weken extra te letten op de leerling.",
];
const CONVERSATIONS: &[&str] = &[
    "Ouders herkennen de zorgen; er is veel spanning thuis door werkloosheid.",
    "Ouders geven aan dat het kind slecht slaapt; zij willen graag hulp.",
    "De leerling vertelt dat het thuis beter gaat sinds opa helpt.",
    "Ouders schrikken van de signalen en zijn eerst boos, daarna open in gesprek.",
];

/// How far a generated dossier gets (the mix of steps and outcomes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Signal,
    Consulted,
    Talked,
    Weighed,
    Reported,
    FeedbackReceived,
    HelpRunning,
    Evaluated,
    ClosedNoConcern,
    ClosedAfterHelp,
    ClosedAfterReport,
    Disclosure,
}

impl Path {
    fn closed(self) -> bool {
        matches!(self, Path::ClosedNoConcern | Path::ClosedAfterHelp | Path::ClosedAfterReport)
    }

    /// About a quarter of all dossiers is still open; the rest is history over ten years.
    fn draw(rng: &mut Rng) -> Path {
        match rng.below(100) {
            0..=4 => Path::Signal,
            5..=8 => Path::Consulted,
            9..=11 => Path::Talked,
            12..=14 => Path::Weighed,
            15..=16 => Path::Reported,
            17..=18 => Path::FeedbackReceived,
            19..=21 => Path::HelpRunning,
            22..=23 => Path::Evaluated,
            24 => Path::Disclosure,
            25..=59 => Path::ClosedNoConcern,
            60..=84 => Path::ClosedAfterHelp,
            _ => Path::ClosedAfterReport,
        }
    }
}

/// Who writes an entry.
#[derive(Clone, Copy)]
enum Who {
    Teacher,
    Ib,
    Af,
}

/// The staff of one school (user ids).
#[derive(Clone)]
struct Staff {
    teachers: Vec<i64>,
    ib: i64,
    af: i64,
    directeur: i64,
}

struct Gen<'a> {
    rng: Rng,
    key: &'a AuditKey,
    as_of: Date,
    now: OffsetDateTime,
    password_hash: String,
    p: Params,
    // Next ids.
    org: i64,
    location: i64,
    group: i64,
    user: i64,
    pupil: i64,
    family: i64,
    dossier: i64,
    entry: i64,
    notification: i64,
    audit_seq: i64,
    prev_hash: [u8; HASH_LEN],
    chunk: BulkChunk,
    summary: Summary,
}

impl Gen<'_> {
    fn next(counter: &mut i64) -> i64 {
        *counter += 1;
        *counter
    }

    fn name(&mut self) -> (String, String) {
        (self.rng.pick(FIRST_NAMES).to_string(), self.rng.pick(LAST_NAMES).to_string())
    }

    /// A moment on a school day `days_ago` days before the as-of day (Dutch school hours, in UTC).
    fn moment(&mut self, days_ago: i64) -> OffsetDateTime {
        let day = self.as_of - Duration::days(days_ago);
        let minutes = self.rng.range(7 * 60 + 15, 15 * 60 + 30);
        let time = Time::from_hms(u8::try_from(minutes / 60).unwrap_or(7), u8::try_from(minutes % 60).unwrap_or(0), 0)
            .unwrap_or(Time::MIDNIGHT);
        day.with_time(time).assume_utc()
    }

    fn audit(&mut self, event: NewAuditEvent) {
        let mut event = event;
        event.at = normalize_at(event.at);
        let seq = Gen::next(&mut self.audit_seq);
        let hash = chain_hash(self.key, &self.prev_hash, seq, &event);
        self.chunk.audit.push(AuditRow { seq, event, prev_hash: self.prev_hash.to_vec(), hash: hash.to_vec() });
        self.prev_hash = hash;
        self.summary.audit += 1;
    }

    fn user(&mut self, org: i64, login: String, role: Role, location: Option<i64>) -> i64 {
        let id = Gen::next(&mut self.user);
        let (first, last) = self.name();
        let mut secret = [0u8; 20];
        for chunk in secret.chunks_mut(8) {
            let bytes = self.rng.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        self.chunk.users.push(UserRow {
            id,
            org,
            display_name: format!("{first} {last} (fictief)"),
            email: Some(format!("{login}@school.example")),
            login,
            password_hash: self.password_hash.clone(),
            totp_secret: Some(meldroute_web::auth::totp::base32_encode(&secret)),
            created_at: self.now - Duration::days(3650),
        });
        self.chunk.grants.push(GrantRow { org, user: id, location, role });
        self.summary.users += 1;
        id
    }

    /// One school board with `schools` schools.
    fn board(&mut self, schools: u32, school_no: &mut u32) {
        let org = Gen::next(&mut self.org);
        let place = *self.rng.pick(PLACES);
        self.chunk.organisations.push(OrgRow {
            id: org,
            name: format!("Stichting Onderwijs {place} {org} (fictief)"),
            is_demo: true,
            created_at: self.now - Duration::days(3650),
        });
        self.summary.organisations += 1;
        self.user(org, format!("b{org}.beheer"), Role::Beheerder, None);
        self.user(org, format!("b{org}.bestuur"), Role::Bestuur, None);
        for _ in 0..schools {
            *school_no += 1;
            self.school(org, *school_no);
        }
    }

    fn school(&mut self, org: i64, n: u32) {
        let location = Gen::next(&mut self.location);
        let sector = match self.rng.below(100) {
            0..=79 => Sector::Po,
            80..=94 => Sector::Vo,
            _ => Sector::Mbo,
        };
        let kind = match sector {
            Sector::Po => "Basisschool",
            Sector::Vo => "Scholengemeenschap",
            _ => "Vakcollege",
        };
        let name = format!("{kind} {} {} (S{n:05})", self.rng.pick(SCHOOL_NAMES), self.rng.pick(PLACES));
        self.chunk.locations.push(LocationRow { id: location, org, name, sector });
        self.summary.locations += 1;

        // Groups of about 25 pupils; one teacher (mentor) per group.
        let pupils = self.p.pupils_per_school as i64;
        let group_count = ((pupils + 24) / 25).clamp(1, 200);
        let mut groups = Vec::new();
        let mut teachers = Vec::new();
        for g in 0..group_count {
            let id = Gen::next(&mut self.group);
            let name = match sector {
                Sector::Po => {
                    format!("Groep {}{}", g % 8 + 1, char::from(b'a' + u8::try_from(g / 8 % 26).unwrap_or(0)))
                }
                _ => format!("Klas {}{}", g % 6 + 1, char::from(b'a' + u8::try_from(g / 6 % 26).unwrap_or(0))),
            };
            self.chunk.groups.push(GroupRow { id, org, location, name });
            groups.push(id);
            teachers.push(self.user(org, format!("s{n}.mentor{}", g + 1), Role::Medewerker, Some(location)));
        }
        let staff = Staff {
            ib: self.user(org, format!("s{n}.ib"), Role::InternBegeleider, Some(location)),
            af: self.user(org, format!("s{n}.af"), Role::Aandachtsfunctionaris, Some(location)),
            directeur: self.user(org, format!("s{n}.directeur"), Role::Directeur, Some(location)),
            teachers,
        };

        // Pupils: ages by sector; about one in five has a sibling at the same school.
        let (min_age, max_age) = match sector {
            Sector::Po => (4, 12),
            Sector::Vo => (12, 18),
            _ => (16, 22),
        };
        let mut pupil_rows = Vec::with_capacity(pupils as usize);
        for i in 0..pupils {
            let id = Gen::next(&mut self.pupil);
            let group_index = (i * group_count / pupils.max(1)) as usize;
            let (first, mut last) = self.name();
            let mut family = None;
            if i > 0 && self.rng.chance(20) {
                // A sibling of the pupil before: same family, same last name.
                if let Some(prev) = pupil_rows.last() {
                    let prev: &PupilRow = prev;
                    last = prev.last_name.clone();
                    family = Some(prev.family.unwrap_or_else(|| Gen::next(&mut self.family)));
                }
            }
            let age_days = self.rng.range(min_age * 365, max_age * 365 + 364);
            pupil_rows.push(PupilRow {
                id,
                org,
                location,
                group: groups.get(group_index).copied(),
                first_name: first,
                last_name: last,
                date_of_birth: Some(self.as_of - Duration::days(age_days)),
                family,
                external_ref: Some(format!("{:07}", i + 1)),
                created_at: self.now - Duration::days(self.rng.range(1, 2000)),
            });
        }
        // A sibling found later gives the earlier one its family id too.
        for i in 1..pupil_rows.len() {
            if let Some(f) = pupil_rows[i].family
                && pupil_rows[i - 1].family.is_none()
                && pupil_rows[i - 1].last_name == pupil_rows[i].last_name
            {
                pupil_rows[i - 1].family = Some(f);
            }
        }
        if n == 1 {
            self.summary.example_last_name = pupil_rows.first().map(|p| p.last_name.clone()).unwrap_or_default();
        }

        let mut best: Option<(usize, i64)> = None;
        if !pupil_rows.is_empty() {
            for _ in 0..self.p.dossiers_per_school {
                let pupil = &pupil_rows[self.rng.below(pupil_rows.len() as u64) as usize];
                let group_index = groups.iter().position(|g| Some(*g) == pupil.group).unwrap_or(0);
                let teacher = staff.teachers.get(group_index).copied().unwrap_or(staff.ib);
                let dob = pupil.date_of_birth;
                let (pupil_id, org_id) = (pupil.id, pupil.org);
                let made = self.dossier(org_id, location, sector, pupil_id, dob, teacher, &staff);
                if n <= WRITE_SCHOOLS
                    && let Some((_, id)) = made
                {
                    match self.summary.open_dossiers_by_school.last_mut() {
                        Some((school, ids)) if *school == n => ids.push(id),
                        _ => self.summary.open_dossiers_by_school.push((n, vec![id])),
                    }
                }
                if n == 1
                    && let Some((entries, id)) = made
                {
                    if self.summary.open_dossiers_school_1.len() < 256 {
                        self.summary.open_dossiers_school_1.push(id);
                    }
                    if best.is_none_or(|(e, _)| entries > e) {
                        best = Some((entries, id));
                    }
                }
            }
        }
        if let Some((_, id)) = best {
            self.summary.example_dossier = id;
        }
        self.summary.pupils += pupil_rows.len();
        self.chunk.pupils.extend(pupil_rows);
    }

    fn body(&mut self, kind: u8, on: Date) -> EntryBody {
        match kind {
            0 => EntryBody::Observation(Observation {
                facts: self.rng.pick(OBSERVATIONS).to_string(),
                interpretation: self.rng.chance(50).then(|| self.rng.pick(INTERPRETATIONS).to_string()),
                source: SignalSource::OwnObservation,
                source_detail: None,
                categories: vec![*self.rng.pick(&[
                    SignalCategory::ChildBehaviour,
                    SignalCategory::ChildPhysical,
                    SignalCategory::ChildDevelopmentAndSchool,
                    SignalCategory::ParentSignals,
                ])],
                also_noticed_by: Vec::new(),
                concerns_staff_sexual_misconduct: false,
            }),
            1 => EntryBody::Consultation(Consultation {
                with: *self.rng.pick(&[ConsultationKind::Colleague, ConsultationKind::DesignatedLead]),
                with_whom: Some("collega van de onderbouw".into()),
                anonymous: false,
                summary: self.rng.pick(SUMMARIES).to_string(),
                advice: Some("Observeren en ouders uitnodigen voor een gesprek.".into()),
            }),
            _ => EntryBody::Conversation(Conversation {
                with: *self.rng.pick(&[ConversationWith::Parents, ConversationWith::Pupil, ConversationWith::Both]),
                summary: self.rng.pick(CONVERSATIONS).to_string(),
                reactions: Some("Open en betrokken.".into()),
                agreements: Some("Over drie weken een vervolggesprek.".into()),
                follow_up_on: Some(on + Duration::days(21)),
            }),
        }
    }

    fn answer(q: Question, a: Answer, reasoning: &str) -> EntryBody {
        EntryBody::AssessmentAnswer(AssessmentAnswer {
            question: q,
            answer: a,
            reasoning: reasoning.into(),
            answered_by: "ondersteuningsteam".into(),
            with_veilig_thuis: false,
            board_informed: true,
        })
    }

    /// The planned chronology of a path: who writes what (dates filled in later).
    fn plan(&mut self, path: Path) -> Vec<(Who, u8)> {
        // Codes: 0 observation, 1 consultation, 2 conversation, 10.. the fixed entries below.
        use Who::*;
        let mut plan = vec![(Teacher, 0)];
        let talked = [(Ib, 1), (Ib, 2)];
        let weighed = [(Ib, 1), (Ib, 2), (Ib, 10), (Af, 11)];
        let reported = [(Ib, 1), (Ib, 2), (Ib, 10), (Af, 11), (Af, 12), (Af, 13)];
        let help = [(Ib, 2), (Af, 11), (Af, 14), (Af, 15), (Af, 16), (Ib, 17)];
        match path {
            Path::Signal => {}
            Path::Consulted => plan.push((Ib, 1)),
            Path::Talked => plan.extend(talked),
            Path::Weighed => plan.extend(weighed),
            Path::Reported => plan.extend(reported),
            Path::FeedbackReceived => plan.extend(reported.iter().copied().chain([(Af, 18)])),
            Path::HelpRunning => plan.extend(help),
            Path::Evaluated => plan.extend(help.iter().copied().chain([(Ib, 19)])),
            Path::ClosedNoConcern => plan.extend([(Ib, 2), (Ib, 20)]),
            Path::ClosedAfterHelp => plan.extend(help.iter().copied().chain([(Ib, 19), (Af, 21)])),
            Path::ClosedAfterReport => plan.extend(reported.iter().copied().chain([(Af, 18), (Af, 21)])),
            Path::Disclosure => plan[0] = (Teacher, 22),
        }
        plan
    }

    fn fixed(&mut self, code: u8, on: Date) -> EntryBody {
        match code {
            10 => EntryBody::Weighing(Weighing {
                participants: vec!["intern begeleider".into(), "aandachtsfunctionaris".into(), "jeugdarts".into()],
                nature: "Zorgen over de opvoedsituatie thuis.".into(),
                severity: "Matig tot ernstig; het houdt aan.".into(),
                risk: "Onduidelijk zolang er geen hulp is.".into(),
                protective_factors: "Goede band met de leerkracht; betrokken grootouders.".into(),
                veilig_thuis_judgement_asked: false,
                veilig_thuis_judgement: None,
                instrument: None,
                approach: Some("Afwegingskader doorlopen in het ondersteuningsteam.".into()),
            }),
            11 => Gen::answer(Question::Q1, Answer::Ja, "Meerdere signalen en een bevestigend gesprek."),
            12 => Gen::answer(Question::Q2, Answer::Ja, "Het herhaalt zich: structurele onveiligheid."),
            13 => EntryBody::Report(Report {
                reported_on: on,
                reporter: "aandachtsfunctionaris".into(),
                facts: "De vastgelegde signalen en het gesprek met ouders.".into(),
                by_phone: true,
                parents_informed: Some(true),
                parents_not_informed_reason: None,
                pupil_informed: None,
                pupil_not_informed_reason: None,
                board_informed: true,
                conversation_exception: None,
                confidentiality_broken: false,
                confidentiality: None,
                shield_identity_requested: false,
                shield_identity_arguments: None,
            }),
            14 => Gen::answer(Question::Q2, Answer::Nee, "Geen acute of structurele onveiligheid vastgesteld."),
            15 => Gen::answer(Question::Q3, Answer::Ja, "Het wijkteam kan ondersteuning bieden."),
            16 => Gen::answer(Question::Q4, Answer::Ja, "Ouders werken mee; eerste afspraak gepland."),
            17 => EntryBody::HelpPlan(HelpPlan {
                goals: vec!["De leerling is elke dag op school.".into(), "Thuis is hulp geregeld.".into()],
                starts_on: on,
                term: Term::Weeks { count: 8 },
                case_manager: "intern begeleider".into(),
                roles: vec![RoleAssignment { who: "wijkteam".into(), task: "gezinsondersteuning".into() }],
                term_agreed_with_veilig_thuis: false,
            }),
            18 => EntryBody::VeiligThuisFeedback(VeiligThuisFeedback {
                received_on: on,
                route: VeiligThuisRoute::Melding,
                decision: Some(*self.rng.pick(&[
                    VeiligThuisDecision::HandedToLocalTeam,
                    VeiligThuisDecision::Veiligheidsvoorwaarden,
                    VeiligThuisDecision::Onderzoek,
                ])),
                outcome: None,
                summary: "Veilig Thuis heeft de melding opgepakt en koppelt terug aan school.".into(),
                handelingsadviezen: Some("Blijf de leerling dagelijks volgen en geef signalen door.".into()),
            }),
            19 => EntryBody::Evaluation(HelpEvaluation {
                summary: "De hulp loopt; de leerling is rustiger en vaker op school.".into(),
                results_reached: Some(self.rng.chance(60)),
                next_evaluation_on: Some(on + Duration::days(42)),
            }),
            20 => EntryBody::Closing(Closing {
                conclusion: "Na het gesprek zijn de zorgen weggenomen; geen zorgen over de veiligheid.".into(),
                no_concern: true,
            }),
            21 => EntryBody::Closing(Closing {
                conclusion: "De hulp is afgerond en de situatie is stabiel; school blijft alert.".into(),
                no_concern: false,
            }),
            _ => EntryBody::Disclosure(Disclosure {
                summary: "De leerling vertelde na de les dat er thuis geslagen wordt.".into(),
                told_to: Some("leerkracht".into()),
                agreements: Some("De aandachtsfunctionaris wordt vandaag ingelicht.".into()),
            }),
        }
    }

    /// One dossier with its chronology, audit history and notifications. Returns (entries, id).
    #[allow(clippy::too_many_arguments)]
    fn dossier(
        &mut self,
        org: i64,
        location: i64,
        sector: Sector,
        pupil: i64,
        dob: Option<Date>,
        teacher: i64,
        staff: &Staff,
    ) -> Option<(usize, i64)> {
        let path = Path::draw(&mut self.rng);
        let mut plan = self.plan(path);
        let target = self.p.entries_per_dossier.max(1) as usize;
        // Extra observations, consultations and conversations after the first signal, up to the target.
        while plan.len() < target {
            let code = u8::try_from(self.rng.below(3)).unwrap_or(0);
            let who = if code == 0 { Who::Teacher } else { Who::Ib };
            plan.insert(1, (who, code));
        }
        plan.truncate(target);
        // Open dossiers began in the last months; closed ones anywhere in ten years.
        let age_days = if path.closed() { self.rng.range(30, 3650) } else { self.rng.range(2, 120) };
        let span = if path.closed() { age_days.min(20 + plan.len() as i64 * 7) } else { age_days - 1 };
        let pupil_age = dob.map(|d| dossiers::age_on(d, self.as_of));
        let ctx = FoldContext { sector, pupil_age, calendar: Calendar::new() };

        let id = Gen::next(&mut self.dossier);
        let mut entries: Vec<Entry> = Vec::with_capacity(plan.len());
        let mut rows = Vec::with_capacity(plan.len());
        let count = plan.len() as i64;
        for (i, (who, code)) in plan.into_iter().enumerate() {
            let days_ago = age_days - span * i as i64 / count.max(1);
            let at = self.moment(days_ago.max(1)) + Duration::seconds(i as i64);
            let on = at.date();
            let body = if code < 10 { self.body(code, on) } else { self.fixed(code, on) };
            let author = match who {
                Who::Teacher => teacher,
                Who::Ib => staff.ib,
                Who::Af => staff.af,
            };
            if validate_append(&ctx, &entries, &body, UserRef(author), clock::dutch_local(at)).is_err() {
                self.summary.refused += 1;
                continue;
            }
            let entry_id = Gen::next(&mut self.entry);
            let seq = entries.len() as i64 + 1;
            let payload = match dossiers::encode(&body, None) {
                Ok(p) => p,
                Err(_) => continue,
            };
            rows.push(EntryRow {
                id: entry_id,
                org,
                dossier: id,
                seq,
                recorded_at: at,
                author,
                kind: body.kind().as_str().to_string(),
                payload,
            });
            entries.push(Entry {
                id: EntryId(entry_id),
                seq: u32::try_from(seq).unwrap_or(u32::MAX),
                recorded_at: at,
                occurred_on: None,
                author: UserRef(author),
                body,
            });
        }
        let (first, last) = (rows.first()?, rows.last()?);
        let (opened_at, updated_at, opened_by) = (first.recorded_at, last.recorded_at, first.author);
        let state = fold(&ctx, &entries);
        let projection: DossierProjection = dossiers::projection(&state);
        let open = !projection.closed;
        self.chunk.dossiers.push(DossierRow {
            id,
            org,
            location,
            pupil,
            opened_at,
            opened_by,
            projection,
            last_seq: entries.len() as i64,
            updated_at,
        });
        self.summary.dossiers += 1;
        self.summary.entries += rows.len();

        // Audit history: the opening, every append, and some reads by the IB-er and the aandachtsfunctionaris.
        let event = |at, actor: i64, action: &str| NewAuditEvent {
            at,
            org: Some(OrgId(org)),
            actor: Some(UserId(actor)),
            on_behalf_of: None,
            pupil: Some(meldroute_store::PupilId(pupil)),
            dossier: Some(meldroute_store::DossierId(id)),
            action: action.into(),
            outcome: "ok".into(),
            source: "192.0.2.10".into(),
        };
        for (i, row) in rows.iter().enumerate() {
            let action = if i == 0 { "dossier.open" } else { "dossier.append" };
            self.audit(event(row.recorded_at, row.author, action));
            if self.rng.chance(60) {
                let reader = if self.rng.chance(50) { staff.ib } else { staff.af };
                let later = row.recorded_at + Duration::minutes(self.rng.range(5, 600));
                self.audit(event(later, reader, "dossier.read"));
            }
        }
        // Notifications of the opening (and a disclosure) to the location's leads; read unless recent.
        let urgent = matches!(entries.first().map(|e| &e.body), Some(EntryBody::Disclosure(_)));
        for user in [staff.ib, staff.af, staff.directeur] {
            if user == staff.directeur && !urgent {
                continue;
            }
            let recent = open && (updated_at.date() + Duration::days(14)) >= self.as_of;
            self.chunk.notifications.push(NotificationRow {
                id: Gen::next(&mut self.notification),
                org,
                user,
                dossier: id,
                kind: if urgent { "disclosure".into() } else { "dossier_opened".into() },
                urgent,
                created_at: opened_at,
                read_at: (!recent).then(|| opened_at + Duration::hours(3)),
            });
            self.summary.notifications += 1;
        }
        let count = rows.len();
        self.chunk.entries.extend(rows);
        open.then_some((count, id))
    }

    fn take_chunk(&mut self) -> BulkChunk {
        let mut chunk = std::mem::take(&mut self.chunk);
        // The chain head moves with the chunk's last audit row, in the same transaction.
        if !chunk.audit.is_empty() {
            chunk.audit_head = chunk.audit.last().map(|r| AuditHeadRow {
                last_seq: r.seq,
                last_hash: r.hash.clone(),
                mac: head_mac(self.key, r.seq, &r.hash).to_vec(),
            });
        }
        chunk
    }
}

/// Progress on stderr: a bar on a terminal, a line per tenth otherwise.
struct Progress {
    total: u64,
    started: Instant,
    tty: bool,
    last_tenth: u64,
    quiet: bool,
}

impl Progress {
    fn show(&mut self, done: u64, rows: u64) {
        if self.quiet || self.total == 0 {
            return;
        }
        let secs = self.started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { rows as f64 / secs } else { 0.0 };
        if self.tty {
            let width = 30;
            let filled = (done * width / self.total) as usize;
            eprint!(
                "\rseed [{}{}] {done}/{} schools, {rows} rows, {rate:.0} rows/s, {secs:.0} s ",
                "#".repeat(filled),
                ".".repeat(width as usize - filled),
                self.total
            );
            let _ = std::io::stderr().flush();
        } else {
            let tenth = done * 10 / self.total;
            if tenth > self.last_tenth || done == self.total {
                self.last_tenth = tenth;
                eprintln!("seed: {done}/{} schools, {rows} rows, {rate:.0} rows/s, {secs:.0} s", self.total);
            }
        }
    }

    fn finish(&self) {
        if self.tty && !self.quiet {
            eprintln!();
        }
    }
}

/// Generates and writes everything; the database must be empty. Returns what was written.
pub async fn fill(db: &Database, key: &AuditKey, p: Params, password_hash: String) -> Result<Summary, String> {
    if !db.is_empty().await.map_err(|e| e.to_string())? {
        return Err("refused: this database already holds data; seed only into an empty database \
                    (a new --data-dir or a new PostgreSQL database)"
            .into());
    }
    let as_of = p.as_of.unwrap_or_else(clock::today_nl);
    let now = as_of.with_time(Time::from_hms(16, 0, 0).unwrap_or(Time::MIDNIGHT)).assume_utc();
    let mut g = Gen {
        rng: Rng::new(p.seed),
        key,
        as_of,
        now,
        password_hash,
        p: p.clone(),
        org: 0,
        location: 0,
        group: 0,
        user: 0,
        pupil: 0,
        family: 0,
        dossier: 0,
        entry: 0,
        notification: 0,
        audit_seq: 0,
        prev_hash: GENESIS,
        chunk: BulkChunk::default(),
        summary: Summary::default(),
    };
    let mut progress = Progress {
        total: u64::from(p.schools),
        started: Instant::now(),
        tty: std::io::stderr().is_terminal(),
        last_tenth: 0,
        quiet: p.quiet,
    };
    let mut school_no = 0u32;
    let mut rows = 0u64;
    while school_no < p.schools {
        // Boards of 1 to 15 schools (many small boards, a few large ones).
        let size = match g.rng.below(10) {
            0..=4 => 1,
            5..=7 => g.rng.range(2, 6),
            _ => g.rng.range(7, 15),
        };
        let size = u32::try_from(size).unwrap_or(1).min(p.schools - school_no);
        g.board(size, &mut school_no);
        if g.chunk.rows() >= CHUNK_ROWS || school_no == p.schools {
            let chunk = g.take_chunk();
            rows += chunk.rows() as u64;
            db.bulk_insert(&chunk).await.map_err(|e| format!("cannot write the generated data: {e}"))?;
            progress.show(u64::from(school_no), rows);
        }
    }
    progress.finish();
    db.bulk_finish().await.map_err(|e| format!("cannot finish the load: {e}"))?;
    Ok(g.summary)
}

/// `meldroute seed`.
pub async fn run(settings: Settings, p: Params) -> Result<(), String> {
    if p.schools == 0 {
        return Err("--schools must be at least 1".into());
    }
    let started = Instant::now();
    let db = ops::open_migrated(&settings).await?;
    ops::prepare_data_dir(&settings)?;
    let key = AuditKey::load_or_create(&settings.audit_key_file)
        .map_err(|e| format!("cannot use the audit key {}: {}", settings.audit_key_file.display(), e.0))?;
    let hash = password::hash(PASSWORD.to_string()).await?;
    let result = fill(&db, &key, p, hash).await;
    db.close().await;
    let s = result?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "seeded in {secs:.1} s: {} organisations, {} schools, {} accounts, {} pupils, {} dossiers, {} entries, {} audit rows, {} notifications ({} planned entries refused by the meldcode and left out)",
        s.organisations, s.locations, s.users, s.pupils, s.dossiers, s.entries, s.audit, s.notifications, s.refused
    );
    println!("every seeded account uses the password {PASSWORD}; get a TOTP code with `meldroute demo totp LOGIN`");
    println!("seed.seconds={secs:.1}");
    println!("seed.login=s1.af");
    println!("seed.teacher=s1.mentor1");
    println!("seed.dossier={}", s.example_dossier);
    println!("seed.pupil_query={}", s.example_last_name);
    let open: Vec<String> = s.open_dossiers_school_1.iter().map(i64::to_string).collect();
    println!("seed.open_dossiers={}", open.join(","));
    // "s1.af:12,15 s2.af:40,41 ...": who may append to which open dossiers, for the write benchmark.
    let targets: Vec<String> = s
        .open_dossiers_by_school
        .iter()
        .map(|(n, ids)| format!("s{n}.af:{}", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")))
        .collect();
    println!("seed.write_targets={}", targets.join(" "));
    Ok(())
}
