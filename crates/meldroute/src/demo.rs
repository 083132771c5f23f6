//! Demo data: a fictional school board with a primary and a secondary school, a user for every role,
//! pupils (some of them siblings) and dossiers in different steps of the meldcode. Every name is made up
//! and obviously so. Created once; starting again with `--demo` finds it and changes nothing.

use meldroute_database::Database;
use meldroute_domain::*;
use meldroute_store::{AccountStore, RouteMapStore};
use meldroute_store::{
    NewGroup, NewLocation, NewOrganisation, NewPupil, NewUser, Role, RoleGrant, Store, TenantCtx, UserId,
};
use meldroute_web::auth::{login, totp};
use meldroute_web::{clock, dossiers, password};
use time::{Date, Duration};

pub const ORG_NAME: &str = "Stichting Demoscholen Nergenshuizen (fictief)";
pub const PO_NAME: &str = "Basisschool De Verzonnen Vlinder";
pub const VO_NAME: &str = "Fictief College Nergenshuizen";
/// The demo attachment: a teacher's notes as a plain text file (fictional).
const DAAN_NOTE: &str = "Aantekeningen pauzes (fictief demovoorbeeld)\n\
    maandag: Daan at niets, zat alleen op het bankje.\n\
    woensdag: viel na de pauze in slaap in de kring.\n\
    vrijdag: vroeg een klasgenoot om een boterham.\n";

/// One password for every demo account; demo data is fictional and the banner says so.
pub const PASSWORD: &str = "demo-wachtwoord-2026";

/// A demo account as printed at start-up.
pub struct DemoLogin {
    pub login: &'static str,
    pub name: &'static str,
    pub role: &'static str,
    /// The TOTP secret (base32), so a newcomer can log in without a phone.
    pub totp_secret: String,
}

/// (login, display name, role, school: None = whole organisation, Some(true) = PO, Some(false) = VO)
const USERS: [(&str, &str, Role, Option<bool>); 11] = [
    ("leerkracht.po", "Lieke Leerkracht (demo)", Role::Medewerker, Some(true)),
    ("ib.po", "Ilse Intern-Begeleider (demo)", Role::InternBegeleider, Some(true)),
    ("af.po", "Anouk Aandacht (demo)", Role::Aandachtsfunctionaris, Some(true)),
    ("directeur.po", "Dirk Directeur (demo)", Role::Directeur, Some(true)),
    ("mentor.vo", "Mehmet Mentor (demo)", Role::Medewerker, Some(false)),
    ("zorg.vo", "Zara Zorgcoördinator (demo)", Role::InternBegeleider, Some(false)),
    ("af.vo", "Annemarie Aandacht (demo)", Role::Aandachtsfunctionaris, Some(false)),
    ("directeur.vo", "Daphne Directeur (demo)", Role::Directeur, Some(false)),
    ("bestuur", "Bea Bestuurder (demo)", Role::Bestuur, None),
    ("beheer", "Bart Beheerder (demo)", Role::Beheerder, None),
    ("jeugdarts", "Jeroen Jeugdarts (demo)", Role::ExternePartner, None),
];

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Medewerker => "leerkracht / mentor",
        Role::InternBegeleider => "intern begeleider / zorgcoördinator",
        Role::Aandachtsfunctionaris => "aandachtsfunctionaris",
        Role::Directeur => "directeur",
        Role::Bestuur => "bestuur",
        Role::Beheerder => "beheerder",
        Role::ExternePartner => "externe partner",
    }
}

/// The demo accounts with their TOTP secrets, read from the database.
async fn logins(db: &Database) -> Result<Vec<DemoLogin>, String> {
    let mut out = Vec::new();
    for (login, name, role, _) in USERS {
        let user = db.find_user_by_login(login).await.map_err(err)?.ok_or_else(|| err("a demo account is missing"))?;
        out.push(DemoLogin { login, name, role: role_label(role), totp_secret: user.totp_secret.unwrap_or_default() });
    }
    Ok(out)
}

pub fn print_logins(logins: &[DemoLogin]) {
    println!();
    println!("DEMO: fictional data. Every demo account uses the password: {PASSWORD}");
    println!("Second step: add the TOTP secret to an authenticator app, or print a current code with");
    println!("  meldroute demo totp LOGIN [--data-dir DIR | --database-url URL]");
    println!("  {:<14} {:<34} {:<36} TOTP secret", "login", "name", "role");
    for l in logins {
        println!("  {:<14} {:<34} {:<36} {}", l.login, l.name, l.role, l.totp_secret);
    }
    println!();
}

/// `meldroute demo totp LOGIN`: the current code of a demo account. Refused for accounts outside a demo
/// organisation, so it can never help anyone into real data.
pub async fn current_code(db: &Database, login: &str) -> Result<String, String> {
    let user = db
        .find_user_by_login(&login.trim().to_lowercase())
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("there is no account '{login}'"))?;
    let org = db.get_organisation(&TenantCtx::new(user.org)).await.map_err(|e| e.to_string())?;
    if !org.is_demo {
        return Err(format!("refused: '{login}' is not a demo account"));
    }
    let secret = user
        .totp_secret
        .as_deref()
        .and_then(totp::base32_decode)
        .ok_or_else(|| format!("'{login}' has no second factor set up"))?;
    totp::code_for_step(&secret, totp::step_at(clock::now_utc().unix_timestamp()))
        .ok_or_else(|| "cannot compute a code".to_string())
}

fn err(e: impl std::fmt::Display) -> String {
    format!("cannot create the demo data: {e}")
}

/// Creates the demo data unless it is already there. Returns the demo logins.
pub async fn ensure(db: &Database) -> Result<Vec<DemoLogin>, String> {
    if let Some(org) = db.find_organisation_by_name(ORG_NAME).await.map_err(err)? {
        // The last account is created last: if it is there, the demo data is complete.
        let last = USERS[USERS.len() - 1].0;
        return match db.find_user_by_login(last).await.map_err(err)? {
            Some(user) if user.org == org.id => logins(db).await,
            _ => Err("the demo data in this database is incomplete (an earlier start was interrupted); \
                      start with an empty --data-dir"
                .to_string()),
        };
    }
    // Never mix the demo's published password and printed secrets into a database with real data.
    if !db.is_empty().await.map_err(err)? {
        return Err("this database already holds data that is not demo data; start --demo with an empty --data-dir \
                    (or another --database-url)"
            .to_string());
    }
    create(db).await?;
    logins(db).await
}

async fn create(db: &Database) -> Result<(), String> {
    let now = clock::now_utc();
    let org = db
        .create_organisation(NewOrganisation { name: ORG_NAME.into(), is_demo: true, created_at: now })
        .await
        .map_err(err)?;
    let t = TenantCtx::new(org.id);
    let po = db.create_location(&t, NewLocation { name: PO_NAME.into(), sector: Sector::Po }).await.map_err(err)?;
    let vo = db.create_location(&t, NewLocation { name: VO_NAME.into(), sector: Sector::Vo }).await.map_err(err)?;
    let groep4 = db.create_group(&t, NewGroup { location: po.id, name: "Groep 4".into() }).await.map_err(err)?;
    let groep7 = db.create_group(&t, NewGroup { location: po.id, name: "Groep 7".into() }).await.map_err(err)?;
    let klas2 = db.create_group(&t, NewGroup { location: vo.id, name: "Klas 2b".into() }).await.map_err(err)?;
    let klas4 = db.create_group(&t, NewGroup { location: vo.id, name: "Klas 4h".into() }).await.map_err(err)?;

    let mut ids = Vec::new();
    // The last account is created after everything else (see `ensure`).
    let (last, first_ones) = USERS.split_last().ok_or_else(|| err("no demo users"))?;
    for (login, name, role, school) in first_ones {
        let id = create_user(db, &t, login, name, *role, school.map(|is_po| if is_po { po.id } else { vo.id })).await?;
        ids.push((*login, id));
    }
    let user = |login: &str| ids.iter().find(|(l, _)| *l == login).map(|(_, id)| *id).unwrap_or(UserId(0));

    let today = clock::today_nl();
    let born = |years: i64, days: i64| today - Duration::days(years * 365 + years / 4 + days);
    let pupils = [
        ("Fleur", "Fictief", po.id, groep4.id, born(7, 40), None),
        ("Daan", "Denkbeeld", po.id, groep4.id, born(7, 200), None),
        ("Bram", "Bedacht", po.id, groep7.id, born(10, 90), Some(1)),
        ("Milan", "Modelmans", po.id, groep7.id, born(10, 10), None),
        ("Yara", "Verzonnen", po.id, groep7.id, born(11, 5), None),
        ("Sanne", "Bedacht", vo.id, klas2.id, born(13, 150), Some(1)),
        ("Noor", "Nepnaam", vo.id, klas2.id, born(13, 20), None),
        ("Sem", "Voorbeeld", vo.id, klas4.id, born(15, 300), Some(2)),
        ("Lina", "Voorbeeld", po.id, groep4.id, born(7, 100), Some(2)),
        ("Ties", "Testmans", vo.id, klas4.id, born(15, 60), None),
    ];
    let mut pupil_ids = Vec::new();
    for (first, last, location, group, dob, family) in pupils {
        let p = db
            .create_pupil(
                &t,
                NewPupil {
                    location,
                    group: Some(group),
                    first_name: first.into(),
                    last_name: last.into(),
                    date_of_birth: Some(dob),
                    family: family.map(meldroute_store::FamilyId),
                    external_ref: None,
                    created_at: now,
                },
            )
            .await
            .map_err(err)?;
        pupil_ids.push((first, p.id));
    }
    let pupil = |first: &str| pupil_ids.iter().find(|(f, _)| *f == first).map(|(_, id)| *id);

    demo_route_map(db, &t, po.id, &user, now - Duration::days(120)).await?;

    let (writer, task) = db.spawn_writer();
    let chronologies = meldroute_web::chronology::Chronologies::default();
    let d = DemoDossiers { db, writer: &writer, chronologies: &chronologies, t, today };
    let result = async {
        if let Some(p) = pupil("Fleur") {
            d.fleur(p, user("leerkracht.po")).await?;
        }
        if let Some(p) = pupil("Daan") {
            d.daan(p, user("leerkracht.po"), user("ib.po")).await?;
        }
        if let Some(p) = pupil("Bram") {
            d.bram(p, user("leerkracht.po"), user("ib.po"), user("af.po")).await?;
        }
        if let Some(p) = pupil("Sanne") {
            d.sanne(p, user("mentor.vo")).await?;
        }
        if let Some(p) = pupil("Noor") {
            d.noor(p, user("mentor.vo"), user("zorg.vo")).await?;
        }
        if let Some(p) = pupil("Milan") {
            d.milan(p, user("leerkracht.po"), user("ib.po")).await?;
        }
        Ok::<(), String>(())
    }
    .await;
    drop(writer);
    let _ = task.await;
    result?;

    // Created last on purpose: `ensure` takes its presence as "the demo data is complete".
    let (login, name, role, school) = last;
    let partner =
        create_user(db, &t, login, name, *role, school.map(|is_po| if is_po { po.id } else { vo.id })).await?;
    // The youth doctor (external partner) works with Noor's family: share part of that dossier.
    if let Some(noor) = pupil("Noor") {
        let filter = meldroute_store::DossierFilter { pupil: Some(noor), ..Default::default() };
        if let Some(dossier) = db.list_dossiers(&t, &filter).await.map_err(err)?.first() {
            let share = meldroute_store::NewShare {
                dossier: dossier.id,
                partner,
                entry_kinds: ["observation", "conversation", "help_plan", "evaluation"].map(String::from).to_vec(),
                until: today + Duration::days(60),
                created_by: user("zorg.vo"),
                created_at: now,
            };
            db.create_share(&t, share).await.map_err(err)?;
        }
    }
    Ok(())
}

/// The primary school's route map (version 1), set before the demo dossiers began; the secondary school
/// has none yet, so the demo shows both the set route and the sector's defaults.
async fn demo_route_map(
    db: &Database,
    t: &TenantCtx,
    location: meldroute_store::LocationId,
    user: &impl Fn(&str) -> UserId,
    at: time::OffsetDateTime,
) -> Result<(), String> {
    use meldroute_domain::route_map::{Lead, Partner, PartnerKind, RouteMap, RoutePerson};
    let person = |login: &str, name: &str| RoutePerson { name: name.into(), user_id: Some(user(login).0) };
    let mut map = RouteMap::default_for(Sector::Po);
    let agreements = [
        "Noteer wat je ziet en hoort op dezelfde dag in meldroute. Twijfel je? Loop binnen een dag bij de IB-er binnen.",
        "De IB-er plant binnen drie schooldagen een overleg. Advies van Veilig Thuis vraagt de aandachtsfunctionaris aan.",
        "Het gesprek met ouders voer je samen met de IB-er. Bereid het voor met de checklist in meldroute.",
        "Het ondersteuningsteam (IB-er, jeugdarts, schoolmaatschappelijk werk) weegt in het eerstvolgende overleg.",
        "De directeur besluit en informeert het bestuur over elke melding.",
        "Na zes weken evalueert het ondersteuningsteam; de leerkracht houdt de leerling dagelijks in het oog.",
    ];
    for (plan, text) in map.steps.iter_mut().zip(agreements) {
        plan.agreements = text.into();
    }
    map.steps[1].people.push(person("ib.po", "Ilse Intern-Begeleider (demo)"));
    map.steps[4].people.push(person("directeur.po", "Dirk Directeur (demo)"));
    map.aandachtsfunctionaris = Lead {
        person: person("af.po", "Anouk Aandacht (demo)"),
        phone: "030-555 01 23".into(),
        email: "aandacht@regenboog.example".into(),
    };
    map.veilig_thuis_region = "Veilig Thuis Voorbeeldregio (fictief)".into();
    map.veilig_thuis_phone = "030-555 09 99".into();
    let partner = |kind, organisation: &str, contact: &str, phone: &str, email: &str| Partner {
        kind,
        organisation: organisation.into(),
        contact: contact.into(),
        phone: phone.into(),
        email: email.into(),
        notes: String::new(),
    };
    map.partners = vec![
        partner(
            PartnerKind::Wijkteam,
            "Wijkteam Voorbeeld-Noord",
            "Wim Wijkteam",
            "030-555 02 10",
            "noord@wijkteam.example",
        ),
        partner(PartnerKind::Jeugdarts, "JGZ Voorbeeldregio", "Jeroen Jeugdarts (demo)", "030-555 03 20", ""),
        partner(PartnerKind::SchoolMaatschappelijkWerk, "Schoolmaatschappelijk werk", "Sara Smw", "06-55500430", ""),
        partner(
            PartnerKind::Leerplicht,
            "Leerplicht gemeente Voorbeeld",
            "",
            "030-555 04 40",
            "leerplicht@gemeente.example",
        ),
    ];
    map.uses_verwijsindex = true;
    if let Some(problem) = map.validate().first() {
        return Err(format!("demo route map invalid: {} at {}", problem.code, problem.field));
    }
    let content = serde_json::to_string(&map).map_err(err)?;
    let new = meldroute_store::NewRouteMapVersion {
        location,
        based_on: None,
        content,
        note: "Eerste versie, vastgesteld in het teamoverleg.".into(),
        created_by: user("af.po"),
        created_at: at,
    };
    db.save_route_map(t, new).await.map_err(err)?;
    Ok(())
}

async fn create_user(
    db: &Database,
    t: &TenantCtx,
    login: &str,
    name: &str,
    role: Role,
    location: Option<meldroute_store::LocationId>,
) -> Result<UserId, String> {
    let hash = password::hash(PASSWORD.to_string()).await.map_err(err)?;
    let user = db
        .create_user(
            t,
            NewUser {
                login: login.into(),
                display_name: name.into(),
                email: None,
                password_hash: hash,
                totp_secret: Some(totp::new_secret().map_err(err)?),
                lang: "nl".into(),
                created_at: clock::now_utc(),
            },
        )
        .await
        .map_err(err)?;
    db.grant_role(t, RoleGrant { user: user.id, location, role }).await.map_err(err)?;
    // Recovery codes complete the enrolment; demo users get codes nobody sees (they have the secret).
    let codes = login::new_recovery_codes().map_err(err)?;
    db.replace_recovery_codes(t, user.id, &login::recovery_hashes(&codes)).await.map_err(err)?;
    Ok(user.id)
}

struct DemoDossiers<'a> {
    db: &'a Database,
    chronologies: &'a meldroute_web::chronology::Chronologies,
    writer: &'a meldroute_store::Writer,
    t: TenantCtx,
    today: Date,
}

impl DemoDossiers<'_> {
    fn io(&self) -> dossiers::Io<'_> {
        dossiers::Io { db: self.db, writer: self.writer, cache: self.chronologies }
    }

    fn ago(&self, days: i64) -> Option<Date> {
        Some(self.today - Duration::days(days))
    }

    async fn open(
        &self,
        pupil: meldroute_store::PupilId,
        author: UserId,
        body: EntryBody,
        on: Option<Date>,
    ) -> Result<meldroute_store::DossierId, String> {
        dossiers::open(self.db, self.writer, &self.t, pupil, dossiers::Draft { author, body, occurred_on: on })
            .await
            .map_err(|e| err(format!("{e:?}")))
    }

    async fn add(
        &self,
        d: meldroute_store::DossierId,
        author: UserId,
        body: EntryBody,
        on: Option<Date>,
    ) -> Result<(), String> {
        dossiers::append(self.io(), &self.t, d, dossiers::Draft { author, body, occurred_on: on }, None)
            .await
            .map(|_| ())
            .map_err(|e| err(format!("{e:?}")))
    }

    /// Step 1: a first signal.
    async fn fleur(&self, p: meldroute_store::PupilId, teacher: UserId) -> Result<(), String> {
        self.open(
            p,
            teacher,
            observation(
                "Fleur had maandagochtend blauwe plekken op beide bovenarmen. Bij de gymles hield ze haar vest aan.",
                Some("Ik maak me zorgen; het is de tweede keer deze maand dat ik plekken zie."),
                SignalSource::OwnObservation,
                vec![SignalCategory::ChildPhysical],
            ),
            self.ago(3),
        )
        .await
        .map(|_| ())
    }

    /// Step 2: signal and a consultation with the IB-er.
    async fn daan(&self, p: meldroute_store::PupilId, teacher: UserId, ib: UserId) -> Result<(), String> {
        let d = self
            .open(
                p,
                teacher,
                observation(
                    "Daan komt sinds drie weken zonder eten naar school en valt in de kring in slaap. Zijn kleding is vaak vuil.",
                    None,
                    SignalSource::OwnObservation,
                    vec![SignalCategory::ChildPhysical, SignalCategory::ChildBehaviour],
                ),
                self.ago(12),
            )
            .await?;
        self.add(
            d,
            ib,
            EntryBody::Consultation(Consultation {
                with: ConsultationKind::Colleague,
                with_whom: Some("leerkracht van vorig jaar".into()),
                anonymous: false,
                summary: "Vorig jaar zag zij hetzelfde in de weken na de kerstvakantie.".into(),
                advice: Some("Observeren in de pauze en ouders uitnodigen voor een gesprek.".into()),
            }),
            self.ago(8),
        )
        .await?;
        // A small fictional attachment, so the feature is visible in the demo.
        self.attach(
            d,
            teacher,
            "observatie-pauzes-daan.txt",
            DAAN_NOTE.as_bytes(),
            "Mijn aantekeningen van de pauzes van deze week (fictief voorbeeld).",
        )
        .await
    }

    /// Adds a file through the same checks and write as the upload form.
    async fn attach(
        &self,
        d: meldroute_store::DossierId,
        author: UserId,
        file_name: &str,
        content: &[u8],
        description: &str,
    ) -> Result<(), String> {
        let checked = check_upload(file_name, content, MAX_ATTACHMENT_BYTES).map_err(err)?;
        let upload = dossiers::Upload {
            author,
            checked,
            content: std::sync::Arc::from(content),
            description: Some(description.to_string()),
        };
        dossiers::append_attachment(self.io(), &self.t, d, upload, None)
            .await
            .map(|_| ())
            .map_err(|e| err(format!("{e:?}")))
    }

    /// Step 5/6: reported to Veilig Thuis after structural unsafety; feedback is awaited.
    async fn bram(&self, p: meldroute_store::PupilId, teacher: UserId, ib: UserId, af: UserId) -> Result<(), String> {
        let d = self
            .open(
                p,
                teacher,
                observation(
                    "Bram vertelde in de klas dat papa 'weer boos was en met dingen gooide'. Hij schrok zichtbaar toen een deur dichtsloeg.",
                    Some("Mogelijk getuige van geweld tussen ouders."),
                    SignalSource::OwnObservation,
                    vec![SignalCategory::ChildBehaviour, SignalCategory::ParentSignals],
                ),
                self.ago(30),
            )
            .await?;
        self.add(
            d,
            af,
            EntryBody::Consultation(Consultation {
                with: ConsultationKind::VeiligThuisAdvice,
                with_whom: Some("Veilig Thuis, adviesgesprek".into()),
                anonymous: true,
                summary: "Anoniem advies gevraagd over signalen van huiselijk geweld.".into(),
                advice: Some("Gesprek met ouders voeren en de signalen concreet benoemen.".into()),
            }),
            self.ago(25),
        )
        .await?;
        self.add(
            d,
            ib,
            EntryBody::Conversation(Conversation {
                with: ConversationWith::Parents,
                summary: "Moeder herkent de zorgen; er is al langer veel spanning thuis.".into(),
                reactions: Some("Vader was niet aanwezig.".into()),
                agreements: Some("School blijft Bram volgen; vervolggesprek over twee weken.".into()),
                follow_up_on: None,
            }),
            self.ago(20),
        )
        .await?;
        self.add(
            d,
            ib,
            EntryBody::Weighing(Weighing {
                participants: vec!["intern begeleider".into(), "aandachtsfunctionaris".into(), "jeugdarts".into()],
                nature: "Getuige van herhaald geweld tussen ouders.".into(),
                severity: "Ernstig: het gebeurt vaker en Bram is angstig.".into(),
                risk: "Hoog zolang de situatie thuis niet verandert.".into(),
                protective_factors: "Goede band met de leerkracht; grootmoeder is betrokken.".into(),
                veilig_thuis_judgement_asked: true,
                veilig_thuis_judgement: Some("Structurele onveiligheid; melden.".into()),
                instrument: None,
                approach: Some("Melden bij Veilig Thuis; school blijft aanspreekpunt voor Bram.".into()),
            }),
            self.ago(15),
        )
        .await?;
        self.answer(d, af, Question::Q1, Answer::Ja, "Meerdere signalen en een bevestigend gesprek met moeder.", false)
            .await?;
        self.answer(d, af, Question::Q2, Answer::Ja, "Het geweld herhaalt zich: structurele onveiligheid.", false)
            .await?;
        self.add(
            d,
            af,
            EntryBody::Report(Report {
                reported_on: self.today - Duration::days(2),
                reporter: "Anouk Aandacht, aandachtsfunctionaris".into(),
                facts: "Uitspraken van Bram over geweld thuis, schrikreacties, gesprek met moeder.".into(),
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
            self.ago(2),
        )
        .await
    }

    /// A disclosure in secondary school: urgent, meldnorm 1.
    async fn sanne(&self, p: meldroute_store::PupilId, mentor: UserId) -> Result<(), String> {
        self.open(
            p,
            mentor,
            EntryBody::Disclosure(Disclosure {
                summary: "Sanne vertelde na de les dat ze thuis wordt geslagen als ze te laat is.".into(),
                told_to: Some("mentor".into()),
                agreements: Some("Mentor bespreekt dit vandaag met de aandachtsfunctionaris en vertelt Sanne morgen wat de volgende stap is.".into()),
            }),
            self.ago(1),
        )
        .await
        .map(|_| ())
    }

    /// Help accepted with a term and a case manager (question 4 yes).
    async fn noor(&self, p: meldroute_store::PupilId, mentor: UserId, zorg: UserId) -> Result<(), String> {
        let d = self
            .open(
                p,
                mentor,
                observation(
                    "Noor verzuimt sinds de herfstvakantie regelmatig op maandag en vertelt dat ze voor haar broertjes zorgt.",
                    Some("Mogelijk te veel zorgtaken thuis."),
                    SignalSource::OwnObservation,
                    vec![SignalCategory::ChildDevelopmentAndSchool],
                ),
                self.ago(45),
            )
            .await?;
        self.add(
            d,
            zorg,
            EntryBody::Conversation(Conversation {
                with: ConversationWith::Both,
                summary: "Gesprek met Noor en moeder: moeder is ziek en de zorg komt op Noor neer.".into(),
                reactions: Some("Moeder staat open voor hulp.".into()),
                agreements: Some("Aanmelding bij het wijkteam.".into()),
                follow_up_on: None,
            }),
            self.ago(40),
        )
        .await?;
        self.answer(d, zorg, Question::Q1, Answer::Ja, "Zorgen over verwaarlozing door overbelasting thuis.", true)
            .await?;
        self.answer(d, zorg, Question::Q2, Answer::Nee, "Geen acute of structurele onveiligheid vastgesteld.", true)
            .await?;
        self.answer(d, zorg, Question::Q3, Answer::Ja, "Wijkteam kan gezinsondersteuning bieden.", false).await?;
        self.answer(d, zorg, Question::Q4, Answer::Ja, "Moeder en Noor werken mee; eerste afspraak gepland.", false)
            .await?;
        self.add(
            d,
            zorg,
            EntryBody::HelpPlan(HelpPlan {
                goals: vec!["Noor is elke maandag op school.".into(), "Thuis is dagelijkse hulp geregeld.".into()],
                starts_on: self.today - Duration::days(30),
                term: Term::Weeks { count: 8 },
                case_manager: "Zara Zorgcoördinator".into(),
                roles: vec![RoleAssignment { who: "wijkteam".into(), task: "gezinsondersteuning".into() }],
                term_agreed_with_veilig_thuis: false,
            }),
            self.ago(30),
        )
        .await
    }

    /// Closed: no concern after all (the guidance asks to record that too).
    async fn milan(&self, p: meldroute_store::PupilId, teacher: UserId, ib: UserId) -> Result<(), String> {
        let d = self
            .open(
                p,
                teacher,
                observation(
                    "Milan is al twee weken stil en teruggetrokken en eet zijn lunch niet op.",
                    None,
                    SignalSource::OwnObservation,
                    vec![SignalCategory::ChildBehaviour],
                ),
                self.ago(60),
            )
            .await?;
        self.add(
            d,
            ib,
            EntryBody::Conversation(Conversation {
                with: ConversationWith::Parents,
                summary: "Ouders vertellen dat opa onlangs is overleden; Milan heeft veel verdriet.".into(),
                reactions: Some("Ouders waarderen dat school het opmerkte.".into()),
                agreements: Some("Leerkracht geeft Milan extra aandacht.".into()),
                follow_up_on: None,
            }),
            self.ago(55),
        )
        .await?;
        self.add(
            d,
            ib,
            EntryBody::Closing(Closing {
                conclusion: "Het gedrag past bij rouw om een overleden opa. Geen zorgen over de veiligheid.".into(),
                no_concern: true,
            }),
            self.ago(50),
        )
        .await
    }

    async fn answer(
        &self,
        d: meldroute_store::DossierId,
        by: UserId,
        q: Question,
        a: Answer,
        reasoning: &str,
        board: bool,
    ) -> Result<(), String> {
        self.add(
            d,
            by,
            EntryBody::AssessmentAnswer(AssessmentAnswer {
                question: q,
                answer: a,
                reasoning: reasoning.into(),
                answered_by: "ondersteuningsteam".into(),
                with_veilig_thuis: false,
                board_informed: board || matches!(q, Question::Q1 | Question::Q2),
            }),
            None,
        )
        .await
    }
}

fn observation(
    facts: &str,
    interpretation: Option<&str>,
    source: SignalSource,
    categories: Vec<SignalCategory>,
) -> EntryBody {
    EntryBody::Observation(Observation {
        facts: facts.into(),
        interpretation: interpretation.map(Into::into),
        source,
        source_detail: None,
        categories,
        also_noticed_by: Vec::new(),
        concerns_staff_sexual_misconduct: false,
    })
}
