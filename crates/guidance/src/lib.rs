//! The naslagwerk (reference library): practical guidance on the meldcode huiselijk geweld en
//! kindermishandeling for school staff, in Dutch (the reference) and English.
//!
//! The content lives in `content/{nl,en}/NN-slug.md`, one file per section, written in a small markdown
//! subset ([`parse`]) and embedded at compile time. It is parsed into a structured [`model`] that the web
//! renders to HTML and the PDF module typesets; no markup from the files passes through. Pure: no I/O.
//!
//! API: [`sections`], [`section`], [`search`] (with [`parse_query`] for the reason a query is refused) and
//! [`section_for_entry_kind`] for the links from the dossier forms.

pub mod model;
pub mod parse;
pub mod search;

use std::sync::OnceLock;

pub use meldroute_i18n::Lang;
pub use model::{Block, Inline, NoteKind, Section, plain_text};
pub use parse::{ParseError, parse_inlines, parse_section, safe_href};
pub use search::{Hit, MAX_HITS, MAX_QUERY_CHARS, QueryError, SnippetPart, parse_query, search};

/// One section's source files. The slug is the same in every language (it is part of the URL).
struct Source {
    slug: &'static str,
    nl: &'static str,
    en: &'static str,
}

macro_rules! source {
    ($slug:literal, $file:literal) => {
        Source {
            slug: $slug,
            nl: include_str!(concat!("../content/nl/", $file)),
            en: include_str!(concat!("../content/en/", $file)),
        }
    };
}

/// Every section, in reading order.
const SOURCES: &[Source] = &[
    source!("vormen", "01-vormen.md"),
    source!("signalen", "02-signalen.md"),
    source!("bronnen", "03-bronnen.md"),
    source!("kindcheck", "04-kindcheck.md"),
    source!("stappen", "05-stappen.md"),
    source!("afwegingskader", "06-afwegingskader.md"),
    source!("melden", "07-melden.md"),
    source!("gesprek-leerling", "08-gesprek-leerling.md"),
    source!("gesprek-ouders", "09-gesprek-ouders.md"),
    source!("feiten", "10-feiten.md"),
];

/// The slugs of every section, in reading order.
pub fn slugs() -> Vec<&'static str> {
    SOURCES.iter().map(|s| s.slug).collect()
}

fn source_text(source: &Source, lang: Lang) -> &'static str {
    match lang {
        Lang::Nl => source.nl,
        Lang::En => source.en,
    }
}

/// Parses every section of `lang`, with the errors of those that do not parse (a content bug).
pub fn parse_all(lang: Lang) -> (Vec<Section>, Vec<(&'static str, ParseError)>) {
    let mut sections = Vec::new();
    let mut errors = Vec::new();
    for source in SOURCES {
        match parse_section(source.slug, source_text(source, lang)) {
            Ok(section) => sections.push(section),
            Err(e) => errors.push((source.slug, e)),
        }
    }
    (sections, errors)
}

/// Every section in `lang`, in reading order, parsed once. A section whose file does not parse is left out
/// (the tests make sure none does).
pub fn sections(lang: Lang) -> &'static [Section] {
    static NL: OnceLock<Vec<Section>> = OnceLock::new();
    static EN: OnceLock<Vec<Section>> = OnceLock::new();
    let cell = match lang {
        Lang::Nl => &NL,
        Lang::En => &EN,
    };
    cell.get_or_init(|| parse_all(lang).0)
}

/// The section `slug` in `lang`.
pub fn section(lang: Lang, slug: &str) -> Option<&'static Section> {
    sections(lang).iter().find(|s| s.slug == slug)
}

/// The section (and subsection anchor) that helps at the moment an entry of this kind is written, for the
/// "more in the naslagwerk" link on the dossier forms. `kind_code` is `EntryKind::as_str()`; an unknown code
/// gives the section on the steps.
pub fn section_for_entry_kind(kind_code: &str) -> (&'static str, Option<&'static str>) {
    match kind_code {
        "observation" => ("signalen", Some("vastleggen")),
        "consultation" => ("stappen", Some("stap-2")),
        "conversation" => ("gesprek-ouders", Some("voorbereiden")),
        "kindcheck" => ("kindcheck", Some("kindcheck")),
        "weighing" => ("stappen", Some("stap-4")),
        "assessment_answer" => ("afwegingskader", Some("vijf-vragen")),
        "decision" => ("stappen", Some("stap-5")),
        "report" => ("melden", Some("melding-doen")),
        "veilig_thuis_feedback" => ("melden", Some("na-de-melding")),
        "help_plan" => ("afwegingskader", Some("vraag-4")),
        "evaluation" => ("stappen", Some("stap-6")),
        "disclosure" => ("bronnen", Some("leerling-vertelt")),
        "closing" => ("stappen", Some("afsluiten")),
        "reopening" => ("stappen", Some("stap-1")),
        "correction" => ("stappen", Some("vastleggen")),
        "attachment" => ("stappen", Some("vastleggen")),
        _ => ("stappen", None),
    }
}

/// The link for [`section_for_entry_kind`]: `/naslag/{slug}` or `/naslag/{slug}#{anchor}`.
pub fn href_for_entry_kind(kind_code: &str) -> String {
    match section_for_entry_kind(kind_code) {
        (slug, Some(anchor)) => format!("/naslag/{slug}#{anchor}"),
        (slug, None) => format!("/naslag/{slug}"),
    }
}
