//! The documents this crate renders: one variant of [`Document`] per document, each with its own
//! input struct and its own Typst template.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::content::{Assessment, Block, Chapter, Contact, Field, ImportantNumber, Labels, Lang, RouteStep};

/// The route card (*routekaart*) of one school location: one or two A4 pages for the wall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteCard {
    /// Language, for hyphenation and typography.
    pub lang: Lang,
    /// The rendering date (Typst's `today`, the PDF's creation date). Not printed.
    pub today: Date,
    /// Labels around the data.
    pub labels: Labels,
    /// Small line above the school name, e.g. "Routekaart meldcode huiselijk geweld en
    /// kindermishandeling".
    pub title: String,
    /// The school, e.g. "Openbare basisschool De Regenboog".
    pub school: String,
    /// The location, e.g. "Locatie Zuid, Kastanjelaan 12".
    pub location: String,
    /// The version line, e.g. "Routekaart versie 3 · 22 november 2026".
    pub version: String,
    /// A short motto under the header, e.g. "Doe het niet alleen …" (may be empty).
    #[serde(default)]
    pub motto: String,
    /// The six steps.
    pub steps: Vec<RouteStep>,
    /// The afwegingskader.
    pub assessment: Assessment,
    /// 112, Veilig Thuis and the regional number for professionals.
    pub numbers: Vec<ImportantNumber>,
    /// Partners and contact persons.
    pub contacts: Vec<Contact>,
    /// Whether and how the Verwijsindex is used, as a sentence (empty hides the line).
    #[serde(default)]
    pub verwijsindex: String,
    /// A closing line in the footer (may be empty).
    #[serde(default)]
    pub footer: String,
}

/// The school's full meldcode protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protocol {
    /// Language, for hyphenation and typography.
    pub lang: Lang,
    /// The rendering date (Typst's `today`, the PDF's creation date). Not printed.
    pub today: Date,
    /// Labels around the data.
    pub labels: Labels,
    /// The title, e.g. "Meldcodeprotocol huiselijk geweld en kindermishandeling".
    pub title: String,
    /// The school.
    pub school: String,
    /// Facts on the title page: locations, version, date, who set it.
    pub facts: Vec<Field>,
    /// The running footer, e.g. "Meldcodeprotocol De Regenboog · versie 3 · 22 november 2026".
    pub footer: String,
    /// The introduction chapter.
    pub introduction: Chapter,
    /// The title of the route chapter, e.g. "De route in zes stappen".
    pub route_title: String,
    /// Text before the steps.
    #[serde(default)]
    pub route_intro: Vec<Block>,
    /// The steps with who acts and the agreements.
    pub steps: Vec<RouteStep>,
    /// The afwegingskader chapter.
    pub assessment: Assessment,
    /// The title of the contacts chapter, e.g. "Partners en contactgegevens".
    pub contacts_title: String,
    /// 112, Veilig Thuis and the regional number.
    pub numbers: Vec<ImportantNumber>,
    /// Partners and contact persons.
    pub contacts: Vec<Contact>,
    /// Whether and how the Verwijsindex is used (empty hides the paragraph).
    #[serde(default)]
    pub verwijsindex: String,
    /// Reference chapters (conversations, signals, the report, …), supplied by another crate.
    #[serde(default)]
    pub chapters: Vec<Chapter>,
}

/// A section of a [`Report`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSection {
    /// The section heading.
    pub heading: String,
    /// Its content.
    pub blocks: Vec<Block>,
}

/// A generic report: title, facts and sections of blocks. The dossier exports (a summary for
/// Veilig Thuis, a full dossier export) are built on this shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Language, for hyphenation and typography.
    pub lang: Lang,
    /// The rendering date (Typst's `today`, the PDF's creation date). Not printed.
    pub today: Date,
    /// Labels around the data (only `page`, `of` and `none` are used).
    pub labels: Labels,
    /// The title.
    pub title: String,
    /// A subtitle (may be empty).
    #[serde(default)]
    pub subtitle: String,
    /// A confidentiality or status line printed above the title (may be empty), e.g.
    /// "Vertrouwelijk".
    #[serde(default)]
    pub marking: String,
    /// Facts under the title (who, when, which dossier).
    #[serde(default)]
    pub facts: Vec<Field>,
    /// The sections.
    pub sections: Vec<ReportSection>,
    /// The running footer.
    #[serde(default)]
    pub footer: String,
}

/// Every document the renderer knows. Add a variant, an input struct and a template to add one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Document {
    /// The route card for the wall.
    RouteCard(RouteCard),
    /// The full meldcode protocol.
    Protocol(Protocol),
    /// A generic report (the base of the dossier exports).
    Report(Report),
}

impl Document {
    /// A short, stable name of the kind of document (for logs and metrics: no personal data).
    pub fn kind(&self) -> &'static str {
        match self {
            Document::RouteCard(_) => "route_card",
            Document::Protocol(_) => "protocol",
            Document::Report(_) => "report",
        }
    }

    /// The rendering date.
    pub fn today(&self) -> Date {
        match self {
            Document::RouteCard(d) => d.today,
            Document::Protocol(d) => d.today,
            Document::Report(d) => d.today,
        }
    }

    /// The document language.
    pub fn lang(&self) -> Lang {
        match self {
            Document::RouteCard(d) => d.lang,
            Document::Protocol(d) => d.lang,
            Document::Report(d) => d.lang,
        }
    }

    /// The path of the template that renders this document.
    pub(crate) fn template(&self) -> &'static str {
        match self {
            Document::RouteCard(_) => crate::world::ROUTE_CARD,
            Document::Protocol(_) => crate::world::PROTOCOL,
            Document::Report(_) => crate::world::REPORT,
        }
    }

    /// The input as the JSON the template reads (`data.json`).
    pub(crate) fn data_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        match self {
            Document::RouteCard(d) => serde_json::to_vec(d),
            Document::Protocol(d) => serde_json::to_vec(d),
            Document::Report(d) => serde_json::to_vec(d),
        }
    }
}

impl From<RouteCard> for Document {
    fn from(d: RouteCard) -> Self {
        Document::RouteCard(d)
    }
}

impl From<Protocol> for Document {
    fn from(d: Protocol) -> Self {
        Document::Protocol(d)
    }
}

impl From<Report> for Document {
    fn from(d: Report) -> Self {
        Document::Report(d)
    }
}
