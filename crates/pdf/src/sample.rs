//! Fictional, realistic sample data for demos and tests: the primary school "De Regenboog" in the
//! fictional town of Lindenmeer (region Waterland). All people, numbers and addresses are
//! invented, except 112 and the national Veilig Thuis number 0800-2000. E-mail addresses use the
//! reserved `.example` domain.

use time::Date;
use time::macros::date;

use crate::content::{
    Actor, Answer, Assessment, AssessmentQuestion, Block, Chapter, Contact, Field, ImportantNumber, Inline, Labels,
    Lang, Outcome, RouteStep,
};
use crate::document::{Protocol, Report, ReportSection, RouteCard};

/// The sample date: 22 November 2026.
pub fn today() -> Date {
    date!(2026 - 11 - 22)
}

/// Dutch labels.
pub fn labels_nl() -> Labels {
    Labels {
        who: "Wie".into(),
        agreements: "Afspraken".into(),
        numbers: "Belangrijke nummers".into(),
        partners: "Partners en contactpersonen".into(),
        phone: "Telefoon".into(),
        email: "E-mail".into(),
        step: "Stap".into(),
        question: "Vraag".into(),
        page: "Pagina".into(),
        of: "van".into(),
        contents: "Inhoud".into(),
        verwijsindex: "Verwijsindex".into(),
        none: "Nog niet ingevuld".into(),
    }
}

/// English labels.
pub fn labels_en() -> Labels {
    Labels {
        who: "Who".into(),
        agreements: "Agreements".into(),
        numbers: "Important numbers".into(),
        partners: "Partners and contacts".into(),
        phone: "Phone".into(),
        email: "E-mail".into(),
        step: "Step".into(),
        question: "Question".into(),
        page: "Page".into(),
        of: "of".into(),
        contents: "Contents".into(),
        verwijsindex: "Referral index".into(),
        none: "Not filled in yet".into(),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The six steps of De Regenboog, location Zuid.
pub fn steps() -> Vec<RouteStep> {
    vec![
        RouteStep {
            number: 1,
            title: "Signalen in kaart brengen".into(),
            summary: "Leg je zorg vast als concrete observaties met datum. Bespreek wat je ziet met \
                      de leerling of de ouders, zonder al een vermoeden uit te spreken."
                .into(),
            actors: vec![Actor::new("Leerkracht of mentor", ["eigen groep"])],
            agreements: strings(&[
                "Observaties dezelfde dag vastleggen in het leerlingdossier: feiten en meningen gescheiden.",
                "Bij een niet-pluisgevoel binnen twee werkdagen de intern begeleider inlichten.",
                "Ook signalen van ouders meenemen (oudercheck).",
            ]),
        },
        RouteStep {
            number: 2,
            title: "Collegiale consultatie en Veilig Thuis raadplegen".into(),
            summary: "Toets je zorg bij een collega, de intern begeleider of de aandachtsfunctionaris. \
                      Vraag zo nodig advies aan Veilig Thuis, anoniem als dat nodig is; bij letsel ook \
                      aan de forensisch arts."
                .into(),
            actors: vec![
                Actor::new("Intern begeleider", ["Sanne de Vries"]),
                Actor::new("Aandachtsfunctionaris", ["Mohamed El Amrani"]),
            ],
            agreements: strings(&[
                "De intern begeleider observeert binnen een week in de groep.",
                "De aandachtsfunctionaris vraagt advies aan Veilig Thuis; bij letsel wordt de forensisch arts geraadpleegd.",
                "De directeur wordt geïnformeerd; we spreken af wie de regie heeft.",
            ]),
        },
        RouteStep {
            number: 3,
            title: "Gesprek met leerling en ouders".into(),
            summary: "Bespreek de feiten en observaties, vraag om een reactie en benoem pas daarna \
                      een mogelijke uitleg. Beloof de leerling nooit geheimhouding."
                .into(),
            actors: vec![
                Actor::new("Leerkracht", Vec::<String>::new()),
                Actor::new("Intern begeleider", ["Sanne de Vries"]),
            ],
            agreements: strings(&[
                "Een zorggesprek met ouders voer je nooit alleen.",
                "Verslag met afspraken binnen twee werkdagen in het dossier.",
                "Alleen overslaan als de veiligheid in het geding is of het contact zou worden verbroken.",
            ]),
        },
        RouteStep {
            number: 4,
            title: "Wegen van het geweld".into(),
            summary: "Weeg in het ondersteuningsteam de aard, ernst en risico's, en ook de \
                      beschermende factoren. Beantwoord vraag 1 en 2 van het afwegingskader."
                .into(),
            actors: vec![
                Actor::new("Ondersteuningsteam", ["Sanne de Vries", "dr. Karim Haddou (jeugdarts)"]),
                Actor::new("Schoolmaatschappelijk werk", ["Zoë Hoogeveen"]),
            ],
            agreements: strings(&[
                "Het ondersteuningsteam komt elke tweede dinsdag bijeen; bij spoed binnen twee werkdagen.",
                "Ja of twijfel bij vraag 2: direct melden bij Veilig Thuis.",
                "Vraag Veilig Thuis om een oordeel.",
            ]),
        },
        RouteStep {
            number: 5,
            title: "Beslissen: melden en/of hulp organiseren".into(),
            summary: "Beantwoord vraag 3 tot en met 5 van het afwegingskader. Besluit wie meldt, wie \
                      de ouders informeert en wat de school zelf nog doet."
                .into(),
            actors: vec![Actor::new("Directeur", ["Petra Bakker"])],
            agreements: strings(&[
                "Het bevoegd gezag (Stichting Lindenmeer Onderwijs) weet van elke melding.",
                "Het voornemen tot melden bespreken we vooraf met ouders, en met de leerling vanaf 12 jaar.",
                "Registratie in de Verwijsindex wordt overwogen en vastgelegd.",
            ]),
        },
        RouteStep {
            number: 6,
            title: "Volgen en evalueren".into(),
            summary: "Blijf de leerling volgen, houd contact met ouders en partners en kijk of de \
                      hulp werkt. Geef nieuwe signalen door aan Veilig Thuis."
                .into(),
            actors: vec![
                Actor::new("Leerkracht", Vec::<String>::new()),
                Actor::new("Intern begeleider", ["Sanne de Vries"]),
                Actor::new("Directeur", ["Petra Bakker"]),
            ],
            agreements: strings(&[
                "Na zes weken evaluatie in het ondersteuningsteam.",
                "Opnieuw melden als de veiligheid niet verbetert.",
                "Nazorg voor leerling, ouders en leerkracht; knelpunten gaan naar het bestuur.",
            ]),
        },
    ]
}

fn answer(label: &str, text: &str, outcome: Outcome) -> Answer {
    Answer { label: label.into(), text: text.into(), outcome }
}

/// The afwegingskader for education, with the meldnormen.
pub fn assessment() -> Assessment {
    Assessment {
        title: "Afwegingskader: melden en/of hulp organiseren".into(),
        intro: "Beantwoord de vijf vragen in deze volgorde en sla er geen over. Leg elk antwoord \
                vast met de reden, wie het gaf en wanneer."
            .into(),
        questions: vec![
            AssessmentQuestion {
                number: 1,
                name: "Vermoeden".into(),
                question: "Is er op basis van stap 1 tot en met 3 een vermoeden van huiselijk geweld \
                           of kindermishandeling, en is handelen nodig?"
                    .into(),
                yes: answer("Ja", "Bevoegd gezag informeren, ga naar vraag 2", Outcome::Continue),
                no: answer("Nee", "Route afsluiten, conclusie vastleggen", Outcome::Close),
            },
            AssessmentQuestion {
                number: 2,
                name: "Veiligheid".into(),
                question: "Is er sprake van acute of structurele onveiligheid?".into(),
                yes: answer("Ja of twijfel", "Direct (telefonisch) melden bij Veilig Thuis", Outcome::Report),
                no: answer("Nee", "Ga naar vraag 3", Outcome::Continue),
            },
            AssessmentQuestion {
                number: 3,
                name: "Hulp mogelijk".into(),
                question: "Kunnen wij of onze ketenpartners passende hulp bieden of organiseren die \
                           de dreiging wegneemt?"
                    .into(),
                yes: answer("Ja", "Ga naar vraag 4", Outcome::Continue),
                no: answer("Nee", "Melden bij Veilig Thuis", Outcome::Report),
            },
            AssessmentQuestion {
                number: 4,
                name: "Hulp aanvaard".into(),
                question: "Aanvaarden de betrokkenen deze hulp en werken zij actief mee?".into(),
                yes: answer(
                    "Ja",
                    "Hulp starten: termijn en casemanager vastleggen, ga naar vraag 5",
                    Outcome::Continue,
                ),
                no: answer("Nee", "Melden bij Veilig Thuis", Outcome::Report),
            },
            AssessmentQuestion {
                number: 5,
                name: "Resultaat".into(),
                question: "Leidt de hulp binnen de afgesproken termijn tot de afgesproken resultaten \
                           voor veiligheid en welzijn?"
                    .into(),
                yes: answer("Ja", "Hulp afsluiten met afspraken over het volgen van de veiligheid", Outcome::Close),
                no: answer("Nee", "(Opnieuw) melden bij Veilig Thuis", Outcome::Report),
            },
        ],
        norms_title: "Meldnormen: melden is nodig".into(),
        norms: strings(&[
            "Altijd bij acute en/of structurele onveiligheid, en als een leerling zelf vertelt over geweld thuis.",
            "In alle andere gevallen waarin wij, binnen onze mogelijkheden en grenzen, niet voldoende passende hulp kunnen bieden of organiseren.",
            "Als de onveiligheid tijdens de hulp niet stopt of terugkomt.",
        ]),
        notes: strings(&[
            "Advies vragen aan Veilig Thuis kan bij elke stap, ook anoniem.",
            "Veilig Thuis besluit binnen 5 werkdagen hoe het verdergaat en laat dat de melder weten.",
            "Seksueel grensoverschrijdend gedrag door een medewerker valt niet onder de meldcode: volg de klachtenregeling.",
        ]),
    }
}

/// 112, Veilig Thuis and the (fictional) regional number for professionals.
pub fn numbers() -> Vec<ImportantNumber> {
    vec![
        ImportantNumber {
            label: "Acuut gevaar".into(),
            number: "112".into(),
            note: Some("politie, ambulance, brandweer".into()),
            urgent: true,
        },
        ImportantNumber {
            label: "Veilig Thuis".into(),
            number: "0800-2000".into(),
            note: Some("gratis, dag en nacht".into()),
            urgent: false,
        },
        ImportantNumber {
            label: "Veilig Thuis Waterland".into(),
            number: "088 555 0180".into(),
            note: Some("voor professionals: advies en melden".into()),
            urgent: false,
        },
    ]
}

/// The partners around the school.
pub fn contacts() -> Vec<Contact> {
    let c = |role: &str, name: &str, phone: &str, email: &str, note: Option<&str>| Contact {
        role: role.into(),
        name: Some(name.into()),
        phone: Some(phone.into()),
        email: Some(email.into()),
        note: note.map(Into::into),
    };
    vec![
        c(
            "Aandachtsfunctionaris",
            "Mohamed El Amrani",
            "0499 555 140",
            "m.elamrani@deregenboog.example",
            Some("ma, di, do"),
        ),
        c("Intern begeleider", "Sanne de Vries", "0499 555 141", "s.devries@deregenboog.example", None),
        c(
            "Wijkteam / CJG Lindenmeer-Zuid",
            "René Jansen",
            "0499 555 230",
            "wijkteamzuid@lindenmeer.example",
            Some("inloop woensdag 9–12 uur"),
        ),
        c("Jeugdarts (JGZ)", "dr. Karim Haddou", "0499 555 239", "jgz@ggd-waterland.example", None),
        c("Schoolmaatschappelijk werk", "Zoë Hoogeveen", "06 5555 1234", "z.hoogeveen@smw-lindenmeer.example", None),
        c("Leerplichtambtenaar", "Noël Visser", "0499 555 220", "leerplicht@lindenmeer.example", None),
    ]
}

const VERWIJSINDEX: &str = "Wij gebruiken de Verwijsindex Risicojongeren. De intern begeleider \
    overweegt in stap 5 een registratie en legt die afweging vast in het dossier.";

/// The route card of De Regenboog, location Zuid.
pub fn route_card() -> RouteCard {
    RouteCard {
        lang: Lang::Nl,
        today: today(),
        labels: labels_nl(),
        title: "Routekaart meldcode huiselijk geweld en kindermishandeling".into(),
        school: "Openbare basisschool De Regenboog".into(),
        location: "Locatie Zuid · Kastanjelaan 12, Lindenmeer".into(),
        version: "Routekaart versie 3 · 22 november 2026".into(),
        motto: "Doe het niet alleen. Twijfel je? Overleg met de intern begeleider of de \
                aandachtsfunctionaris; advies vragen aan Veilig Thuis kan altijd."
            .into(),
        steps: steps(),
        assessment: assessment(),
        numbers: numbers(),
        contacts: contacts(),
        verwijsindex: VERWIJSINDEX.into(),
        footer: "Bij acuut gevaar: bel 112. Twijfel over veiligheid is nooit een reden om te wachten.".into(),
    }
}

fn reference_chapters() -> Vec<Chapter> {
    vec![
        Chapter {
            title: "Signalen herkennen".into(),
            blocks: vec![
                Block::paragraph(
                    "Geen enkel signaal bewijst kindermishandeling. Meestal gaat het om een optelsom \
                     van observaties over een langere periode. Het belangrijkste signaal is een \
                     plotselinge verandering in gedrag of schoolprestaties.",
                ),
                Block::heading("Signalen bij de leerling"),
                Block::bullets([
                    "Gedrag: teruggetrokken, angstig, agressief, erg aanhankelijk of juist schrikachtig bij volwassenen.",
                    "Lichamelijk: blauwe plekken, brandwonden, slechte hygiëne, kleding die niet past bij het seizoen.",
                    "School: dalende resultaten, verzuim, vaak thuisgehouden, zorgtaken voor broertjes of zusjes.",
                ]),
                Block::heading("Signalen bij ouders"),
                Block::bullets([
                    "Vreemde verklaringen voor verwondingen of veel bezoeken aan arts of ziekenhuis.",
                    "Geen belangstelling voor de resultaten van het kind, afspraken niet nakomen.",
                    "Een (v)echtscheiding, verslaving of herhaalde betalingsachterstanden.",
                ]),
                Block::note(
                    Some("Kindcheck"),
                    "Zie je zorgwekkende signalen bij een ouder, maar niet bij het kind? Ga dan na \
                     of er kinderen van deze volwassene afhankelijk zijn en of zij veilig zijn.",
                ),
            ],
        },
        Chapter {
            title: "Het gesprek met de leerling".into(),
            blocks: vec![
                Block::rich(vec![
                    Inline::text("De leerling staat centraal. Bereid het gesprek voor, houd het "),
                    Inline::strong("kort"),
                    Inline::text(" en volg het tempo van de leerling. Vraag "),
                    Inline::emph("nooit"),
                    Inline::text(" naar details van het geweld: dat doet Veilig Thuis later."),
                ]),
                Block::numbered([
                    "Vertel waarom je het gesprek voert en wat je hebt gezien.",
                    "Stel open vragen en gebruik de woorden van de leerling; vermijd waarom-vragen.",
                    "Zeg wat steunt: het is dapper dat je het vertelt, ik geloof je, het is niet jouw schuld.",
                    "Sluit af met wat je nu gaat doen, wanneer je erop terugkomt en hoe de leerling je bij nood bereikt.",
                ]),
                Block::note(
                    Some("Geen geheimhouding"),
                    "Beloof nooit geheimhouding. Beloof wel zorgvuldigheid, en dat er niets achter \
                     de rug van de leerling om gebeurt.",
                ),
            ],
        },
        Chapter {
            title: "Het gesprek met ouders".into(),
            blocks: vec![
                Block::paragraph(
                    "Deel zorgen vroeg: een later gesprek over een melding is dan veel makkelijker. \
                     Spreek vanuit jezelf („Ik zie dat …”) en benoem signalen als feiten en als \
                     zorgen, niet als mishandeling.",
                ),
                Block::bullets([
                    "Spreek vooraf af of een collega of de aandachtsfunctionaris aanschuift.",
                    "Laat het kind niet tolken voor de ouders.",
                    "Maak concrete vervolgafspraken en leg een samenvatting vast.",
                ]),
                Block::paragraph(
                    "Als ouders dreigen, benoem dat en stop het gesprek. Brengt het gesprek iemand \
                     in gevaar, voer het dan niet en overleg eerst met Veilig Thuis.",
                ),
            ],
        },
        Chapter {
            title: "De melding bij Veilig Thuis".into(),
            blocks: vec![
                Block::paragraph(
                    "Een melding gebeurt in principe op naam. De melder kan Veilig Thuis met \
                     argumenten vragen de identiteit af te schermen voor het gezin. Onderbouw de \
                     melding met zoveel mogelijk feiten en gebeurtenissen.",
                ),
                Block::Table {
                    header: strings(&["Route", "Wat Veilig Thuis vastlegt", "Wanneer"]),
                    rows: vec![
                        strings(&["Advies", "Geen persoonsgegevens", "Bij elke stap, ook anoniem"]),
                        strings(&["Melding", "Persoonsgegevens van het gezin en de melder", "Volgens de meldnormen"]),
                    ],
                },
                Block::rich(vec![
                    Inline::text("Meer informatie: "),
                    Inline::link("veiligthuis.nl", "https://veiligthuis.nl"),
                    Inline::text("."),
                ]),
            ],
        },
    ]
}

/// The full meldcode protocol of De Regenboog.
pub fn protocol() -> Protocol {
    Protocol {
        lang: Lang::Nl,
        today: today(),
        labels: labels_nl(),
        title: "Meldcodeprotocol huiselijk geweld en kindermishandeling".into(),
        school: "Openbare basisschool De Regenboog".into(),
        facts: vec![
            Field::new("Locaties", "Locatie Zuid (Kastanjelaan 12) en locatie Noord (Wilgenhof 3), Lindenmeer"),
            Field::new("Versie", "3"),
            Field::new("Datum", "22 november 2026"),
            Field::new("Vastgesteld door", "Petra Bakker, directeur, namens Stichting Lindenmeer Onderwijs"),
            Field::new("Instemming MR", "10 november 2026"),
            Field::new("Volgende evaluatie", "november 2027"),
        ],
        footer: "Meldcodeprotocol De Regenboog · versie 3 · 22 november 2026".into(),
        introduction: Chapter {
            title: "Inleiding".into(),
            blocks: vec![
                Block::paragraph(
                    "Elk jaar krijgt ongeveer drie procent van de kinderen in Nederland te maken \
                     met kindermishandeling: gemiddeld één leerling per klas. School is vaak de \
                     plek waar zo'n kind zich veilig voelt en waar volwassenen het elke dag zien.",
                ),
                Block::paragraph(
                    "Dit protocol beschrijft hoe De Regenboog de meldcode huiselijk geweld en \
                     kindermishandeling toepast: wie in welke stap handelt, welke afspraken we \
                     hebben gemaakt en wie onze partners zijn.",
                ),
                Block::note(
                    Some("Doe het niet alleen"),
                    "Een leerkracht is geen hulpverlener. De route deel je met de intern \
                     begeleider, de aandachtsfunctionaris, het ondersteuningsteam en onze \
                     partners. Advies vragen aan Veilig Thuis kan altijd.",
                ),
                Block::heading("Wettelijk kader"),
                Block::bullets([
                    "Sinds 2019 geldt de verbeterde meldcode met een afwegingskader voor onderwijs en leerplicht.",
                    "Bij acute of structurele onveiligheid melden we altijd bij Veilig Thuis, ook als er al hulp is.",
                    "Het bevoegd gezag wordt geïnformeerd bij elke melding.",
                ]),
            ],
        },
        route_title: "De route in zes stappen".into(),
        route_intro: vec![Block::paragraph(
            "De stappen vormen een route, geen strikte volgorde: gesprekken met ouders komen bij \
             elke stap terug, en Veilig Thuis raadplegen kan bij elke stap. Leg elke observatie, \
             elk overleg en elk besluit vast in het dossier, met datum en auteur.",
        )],
        steps: steps(),
        assessment: assessment(),
        contacts_title: "Partners en contactgegevens".into(),
        numbers: numbers(),
        contacts: contacts(),
        verwijsindex: VERWIJSINDEX.into(),
        chapters: reference_chapters(),
    }
}

/// A summary report for Veilig Thuis about a fictional pupil (the shape of the dossier exports).
pub fn report() -> Report {
    Report {
        lang: Lang::Nl,
        today: today(),
        labels: labels_nl(),
        title: "Samenvatting voor Veilig Thuis".into(),
        subtitle: "Openbare basisschool De Regenboog, locatie Zuid".into(),
        marking: "Vertrouwelijk".into(),
        facts: vec![
            Field::new("Dossier", "2026-014"),
            Field::new("Leerling", "Leerling A. (groep 5)"),
            Field::new("Opgesteld door", "Sanne de Vries, intern begeleider"),
            Field::new("Datum", "22 november 2026"),
        ],
        sections: vec![
            ReportSection {
                heading: "Aanleiding".into(),
                blocks: vec![Block::paragraph(
                    "Sinds september is het gedrag van de leerling sterk veranderd: zij is stil, \
                     teruggetrokken en schrikt als volwassenen haar aanspreken.",
                )],
            },
            ReportSection {
                heading: "Observaties".into(),
                blocks: vec![Block::Table {
                    header: strings(&["Datum", "Door", "Observatie"]),
                    rows: vec![
                        strings(&[
                            "15-09-2026",
                            "Leerkracht",
                            "Blauwe plek op de bovenarm; verklaring: van de fiets gevallen.",
                        ]),
                        strings(&[
                            "02-10-2026",
                            "Intern begeleider",
                            "Observatie in de groep: zit alleen, eet haar brood niet op.",
                        ]),
                        strings(&[
                            "28-10-2026",
                            "Leerkracht",
                            "Vertelt onverwacht dat papa en mama „heel hard ruzie” maken.",
                        ]),
                    ],
                }],
            },
            ReportSection {
                heading: "Afwegingskader".into(),
                blocks: vec![Block::Fields {
                    fields: vec![
                        Field::new("Vraag 1 · Vermoeden", "Ja (ondersteuningsteam, 04-11-2026)"),
                        Field::new("Vraag 2 · Veiligheid", "Twijfel: direct melden"),
                    ],
                }],
            },
        ],
        footer: "Vertrouwelijk · dossier 2026-014 · 22 november 2026".into(),
    }
}
