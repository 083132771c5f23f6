//! Anonymisation of Dutch free text for an anonymous consultation (meldcode.md §6 step 2: Veilig Thuis or a
//! colleague can be consulted without naming the child).
//!
//! Pure: no I/O, no clock. The caller passes the text, the identifiers the structured data already knows
//! (pupil, parents, siblings, staff, schools, places, numbers, dates of birth, rare details the user marked)
//! and a reference date (the day the summary is made). [`anonymize`] returns the anonymised text and every
//! replacement with its span in the original and in the output and its category, so a user interface can
//! highlight each one.
//!
//! Two sources of replacements:
//! - **known identifiers** are replaced in every occurrence, case-insensitively, as a whole and by their parts
//!   (first name alone, surname alone, with or without tussenvoegsel, with initials, inflected as "Daans");
//! - **detectors** find what nobody listed: names (forms of address, initials, lists of common first names and
//!   surnames, capitalised words in the middle of a sentence), addresses, postcodes, phone numbers, e-mail
//!   addresses, BSN and other long numbers, IBAN, dates (to relative time; dates of birth to an age), places
//!   and schools.
//!
//! The detector is a safety net, not a guarantee: see docs/security.md for its limits.

mod dates;
mod detect;
mod lexicon;
mod text;

use std::ops::Range;

use serde::Serialize;
use time::Date;

/// What a known identifier is, from the dossier's structured data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KnownKind {
    /// The pupil.
    Pupil,
    /// A parent or carer.
    Parent,
    /// A brother or sister.
    Sibling,
    /// A member of staff (an author of entries, a named person in the route map).
    Staff,
    /// Another person whose name is known.
    Person,
    /// A school or location.
    School,
    /// A town, village or district.
    Place,
    /// A number: BSN, a student number, an external reference.
    Number,
    /// A detail the user marked as rare and identifying ("the only twins in the village").
    RareDetail,
}

/// One identifier the caller knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub kind: KnownKind,
    pub value: String,
}

impl Known {
    pub fn new(kind: KnownKind, value: impl Into<String>) -> Self {
        Known { kind, value: value.into() }
    }
}

/// What to anonymise and what is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input<'a> {
    pub text: &'a str,
    pub known: &'a [Known],
    /// Dates of birth of the people in the dossier: shown as an age in years on `reference`.
    pub dates_of_birth: &'a [Date],
    /// The day the anonymised text is made; exact dates become time relative to it.
    pub reference: Date,
}

/// The category of a replacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Pupil,
    Parent,
    Sibling,
    Staff,
    Name,
    School,
    Place,
    Address,
    Postcode,
    Phone,
    Email,
    Bsn,
    Iban,
    Number,
    Date,
    DateOfBirth,
    RareDetail,
}

impl Category {
    /// A stable code (for CSS classes, translation keys and tests).
    pub fn code(self) -> &'static str {
        match self {
            Category::Pupil => "pupil",
            Category::Parent => "parent",
            Category::Sibling => "sibling",
            Category::Staff => "staff",
            Category::Name => "name",
            Category::School => "school",
            Category::Place => "place",
            Category::Address => "address",
            Category::Postcode => "postcode",
            Category::Phone => "phone",
            Category::Email => "email",
            Category::Bsn => "bsn",
            Category::Iban => "iban",
            Category::Number => "number",
            Category::Date => "date",
            Category::DateOfBirth => "date_of_birth",
            Category::RareDetail => "rare_detail",
        }
    }

    /// The Dutch placeholder written into the text (dates get a relative time instead).
    pub fn placeholder(self) -> &'static str {
        match self {
            Category::Pupil => "[kind]",
            Category::Parent => "[ouder]",
            Category::Sibling => "[broer/zus]",
            Category::Staff => "[medewerker]",
            Category::Name => "[naam]",
            Category::School => "[school]",
            Category::Place => "[plaats]",
            Category::Address => "[adres]",
            Category::Postcode => "[postcode]",
            Category::Phone => "[telefoonnummer]",
            Category::Email => "[e-mailadres]",
            Category::Bsn => "[BSN]",
            Category::Iban => "[rekeningnummer]",
            Category::Number => "[nummer]",
            Category::Date => "[datum]",
            Category::DateOfBirth => "[leeftijd]",
            Category::RareDetail => "[detail weggelaten]",
        }
    }

    /// Whether the category came from the structured data (known identifiers).
    pub fn is_person(self) -> bool {
        matches!(self, Category::Pupil | Category::Parent | Category::Sibling | Category::Staff | Category::Name)
    }
}

/// One replacement: which bytes of the input became which bytes of the output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replacement {
    pub original: Range<usize>,
    pub output: Range<usize>,
    pub category: Category,
    /// Whether it came from a known identifier (as opposed to a detector).
    pub known: bool,
}

/// The anonymised text and what was replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anonymized {
    pub text: String,
    pub replacements: Vec<Replacement>,
}

impl Anonymized {
    /// The output cut into plain and replaced pieces, in order (for highlighting).
    pub fn segments(&self) -> Vec<Segment<'_>> {
        let mut out = Vec::new();
        let mut at = 0;
        for r in &self.replacements {
            if r.output.start > at {
                out.push(Segment { text: &self.text[at..r.output.start], category: None });
            }
            out.push(Segment { text: &self.text[r.output.clone()], category: Some(r.category) });
            at = r.output.end;
        }
        if at < self.text.len() {
            out.push(Segment { text: &self.text[at..], category: None });
        }
        out
    }
}

/// A piece of the output: plain text, or a replacement with its category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    pub text: &'a str,
    pub category: Option<Category>,
}

/// A found span before overlaps are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub span: Range<usize>,
    pub category: Category,
    /// The text written instead (placeholder, relative time, age).
    pub replacement: String,
    /// Higher wins an overlap; then the longer span.
    pub priority: u8,
    pub known: bool,
}

/// Anonymise `input.text`.
pub fn anonymize(input: &Input<'_>) -> Anonymized {
    let mut candidates = detect::known(input);
    candidates.extend(detect::free_text(input));
    resolve(input.text, candidates)
}

/// An exact date as time relative to `reference`, as the anonymiser writes it ("[ongeveer 3 weken eerder]").
pub fn relative_date(date: Date, reference: Date) -> String {
    dates::relative(date, reference)
}

/// Age in whole years on `reference` (a date of birth becomes this).
pub fn age_in_years(birth: Date, reference: Date) -> i32 {
    dates::age(birth, reference)
}

/// Anonymise with only the detectors and the given names and places (the command line).
pub fn anonymize_with(text: &str, names: &[String], places: &[String], reference: Date) -> Anonymized {
    let mut known: Vec<Known> = names.iter().map(|n| Known::new(KnownKind::Person, n.clone())).collect();
    known.extend(places.iter().map(|p| Known::new(KnownKind::Place, p.clone())));
    anonymize(&Input { text, known: &known, dates_of_birth: &[], reference })
}

/// Keep the strongest non-overlapping candidates and write the output.
fn resolve(text: &str, mut candidates: Vec<Candidate>) -> Anonymized {
    candidates.retain(|c| c.span.start < c.span.end && c.span.end <= text.len());
    candidates.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then((b.span.end - b.span.start).cmp(&(a.span.end - a.span.start)))
            .then(a.span.start.cmp(&b.span.start))
    });
    let mut chosen: Vec<Candidate> = Vec::new();
    for c in candidates {
        if chosen.iter().all(|k| c.span.end <= k.span.start || c.span.start >= k.span.end) {
            chosen.push(c);
        } else if matches!(c.category, Category::Name | Category::Place | Category::School | Category::Address) {
            // "Hugo Olivier Lambert" with "Hugo" known: the rest of the name is still replaced.
            for piece in uncovered(text, &c.span, &chosen) {
                chosen.push(Candidate { span: piece, ..c.clone() });
            }
        }
    }
    chosen.sort_by_key(|c| c.span.start);
    let mut out = String::with_capacity(text.len());
    let mut replacements = Vec::with_capacity(chosen.len());
    let mut at = 0;
    for c in chosen {
        out.push_str(&text[at..c.span.start]);
        let start = out.len();
        out.push_str(&c.replacement);
        replacements.push(Replacement {
            original: c.span.clone(),
            output: start..out.len(),
            category: c.category,
            known: c.known,
        });
        at = c.span.end;
    }
    out.push_str(&text[at..]);
    Anonymized { text: out, replacements }
}

/// The parts of `span` that no chosen candidate covers, trimmed to letters and digits, at least two long.
fn uncovered(text: &str, span: &Range<usize>, chosen: &[Candidate]) -> Vec<Range<usize>> {
    let mut pieces = vec![span.clone()];
    for k in chosen {
        pieces = pieces
            .into_iter()
            .flat_map(|p| {
                if p.end <= k.span.start || p.start >= k.span.end {
                    vec![p]
                } else {
                    let mut v = Vec::new();
                    if p.start < k.span.start {
                        v.push(p.start..k.span.start);
                    }
                    if k.span.end < p.end {
                        v.push(k.span.end..p.end);
                    }
                    v
                }
            })
            .collect();
    }
    pieces
        .into_iter()
        .filter_map(|p| {
            // From the first to the last capitalised word of the piece ("van Marieke Groen van het").
            let piece = &text[p.clone()];
            let capitalised: Vec<_> = text::words(piece).into_iter().filter(|w| w.is_capitalised()).collect();
            let (first, last) = (capitalised.first()?, capitalised.last()?);
            let span = p.start + first.start..p.start + last.end;
            (text[span.clone()].chars().filter(|c| c.is_alphanumeric()).count() >= 2).then_some(span)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const REF: Date = date!(2026 - 03 - 16);

    fn run(text: &str, known: &[Known]) -> Anonymized {
        anonymize(&Input { text, known, dates_of_birth: &[], reference: REF })
    }

    fn free(text: &str) -> String {
        run(text, &[]).text
    }

    #[test]
    fn known_names_in_every_form() {
        let known = [
            Known::new(KnownKind::Pupil, "Daan de Vries"),
            Known::new(KnownKind::Parent, "Marloes de Vries"),
            Known::new(KnownKind::Sibling, "Emre Yılmaz"),
            Known::new(KnownKind::Staff, "Anke Postma"),
        ];
        let out = run(
            "DAAN kwam binnen. daan huilde. Daans moeder, mevrouw De Vries (M. de Vries), belde. Juf Anke en mw. Postma zagen het. \
             Zijn broer Emre ook. Daan's jas was nat.",
            &known,
        );
        for gone in ["DAAN", "daan", "Daan", "Vries", "Anke", "Postma", "Emre", "Marloes", "M. "] {
            assert!(!out.text.contains(gone), "{gone} left in {}", out.text);
        }
        assert!(out.text.contains("[kind] moeder"), "{}", out.text);
        assert!(out.text.contains("Juf [medewerker]"), "{}", out.text);
        assert!(out.text.contains("broer [broer/zus]"), "{}", out.text);
        assert!(out.replacements.iter().all(|r| r.known));
    }

    #[test]
    fn a_known_name_that_is_a_word_needs_its_capital() {
        let known = [Known::new(KnownKind::Parent, "Wil Bakker")];
        let out = run("Wil Bakker zei dat ze niet wil praten.", &known);
        assert_eq!(out.text, "[ouder] zei dat ze niet wil praten.");
    }

    #[test]
    fn replacements_map_original_to_output() {
        let known = [Known::new(KnownKind::Pupil, "Noor")];
        let out = run("Toen Noor kwam, belde ik 06-12345678.", &known);
        assert_eq!(out.text, "Toen [kind] kwam, belde ik [telefoonnummer].");
        let r = &out.replacements[0];
        assert_eq!(r.original, 5..9);
        assert_eq!(&out.text[r.output.clone()], "[kind]");
        assert_eq!(out.replacements[1].category, Category::Phone);
        let segments = out.segments();
        assert_eq!(segments.iter().map(|s| s.text).collect::<String>(), out.text);
        assert_eq!(segments.iter().filter(|s| s.category.is_some()).count(), 2);
    }

    #[test]
    fn names_without_a_list() {
        assert_eq!(free("Ik sprak met meneer Kramer over de gymles."), "Ik sprak met meneer [naam] over de gymles.");
        assert_eq!(free("Het was volgens Ghislaine erg druk."), "Het was volgens [naam] erg druk.");
        assert_eq!(free("De buurman, dhr. P. van der Meer, belde."), "De buurman, dhr. [naam], belde.");
        assert_eq!(free("Aanwezig: Karin de Boer en Wendy Smits."), "Aanwezig: [naam] en [naam].");
        assert_eq!(free("Sanne Jansen kwam later."), "[naam] kwam later.");
        assert_eq!(free("Finns juf belde."), "[naam] juf belde.");
        assert_eq!(free("Brief aan J. de Vries gestuurd."), "Brief aan [naam] gestuurd.");
    }

    #[test]
    fn ordinary_words_stay() {
        for text in [
            "Maandag kwam hij te laat. De moeder belde. Het gesprek was goed.",
            "Op school gaat het goed. Daarna gingen we naar buiten.",
            "Veilig Thuis gaf advies. De GGD is op de hoogte. Afspraak: over twee weken verder.",
            "Moeder. Afspraak volgt. Vader werkt in de bouw.",
            "In groep 6 zitten 28 kinderen. Om 14.00 uur begint de gym.",
            "Bel Veilig Thuis op 0800-2000 voor advies, schooljaar 2025-2026.",
            "Hij wil naar Marokko in de zomer. Ze spreekt Turks en Nederlands.",
        ] {
            let out = run(text, &[]);
            assert_eq!(out.text, text, "{:?}", out.replacements);
        }
    }

    #[test]
    fn addresses_postcodes_and_places() {
        assert_eq!(
            free("Het gezin woont aan de Vechtstraat 112-2, 3523 AB Utrecht."),
            "Het gezin woont aan de [adres], [postcode] [plaats]."
        );
        assert_eq!(free("Huisbezoek op Burgemeester Stramanweg 45 in Zwolle."), "Huisbezoek op [adres] in [plaats].");
        assert_eq!(free("Vader rijdt vanuit Helmond."), "Vader rijdt vanuit [plaats].");
        assert_eq!(free("Ze woont in de wijk Kanaleneiland."), "Ze woont in de wijk [plaats].");
        assert_eq!(free("Postcode 8011AB, Molenweg 8a."), "Postcode [postcode], [adres].");
    }

    #[test]
    fn numbers_phones_mail_iban() {
        assert_eq!(free("Bel 06-12345678 of +31 6 24 68 13 57."), "Bel [telefoonnummer] of [telefoonnummer].");
        assert_eq!(free("Nummer: 020 - 555 12 34."), "Nummer: [telefoonnummer].");
        assert_eq!(free("Mobiel +31 (0)6 55 44 33 22."), "Mobiel [telefoonnummer].");
        assert_eq!(free("BSN 111222333 volgens het formulier."), "BSN [BSN] volgens het formulier.");
        assert_eq!(free("Leerlingnummer 1047392."), "Leerlingnummer [nummer].");
        assert_eq!(free("Dossier VT-2025-048812 loopt."), "Dossier [nummer] loopt.");
        assert_eq!(free("Mail naar d.wouters@ziggo.nl."), "Mail naar [e-mailadres].");
        assert_eq!(free("IBAN NL91 ABNA 0417 1643 00 graag."), "IBAN [rekeningnummer] graag.");
        assert_eq!(free("IBAN NL91ABNA0417164300."), "IBAN [rekeningnummer].");
    }

    #[test]
    fn elfproef() {
        assert!(detect_elfproef("111222333"));
        assert!(!detect_elfproef("111222334"));
        assert!(!detect_elfproef("12345678"));
    }

    fn detect_elfproef(s: &str) -> bool {
        run(&format!("x {s} x"), &[]).replacements.iter().any(|r| r.category == Category::Bsn)
    }

    #[test]
    fn dates_become_relative_and_births_an_age() {
        assert_eq!(free("Op 23-02-2026 was hij ziek."), "Op [ongeveer 3 weken eerder] was hij ziek.");
        assert_eq!(free("Gesprek op maandag 9 maart."), "Gesprek op [ongeveer 1 week eerder].");
        assert_eq!(
            free("Vanaf 16 maart 2026 en 18 maart."),
            "Vanaf [op de dag van deze samenvatting] en [2 dagen later]."
        );
        assert_eq!(free("Sinds november 2025 geen contact."), "Sinds [ongeveer 4 maanden eerder] geen contact.");
        assert_eq!(free("Op 2026-01-14 aangemeld."), "Op [ongeveer 2 maanden eerder] aangemeld.");
        assert_eq!(free("Geboren op 14-05-2016."), "Geboren op [leeftijd 9 jaar].");
        let birth = date!(2016 - 05 - 14);
        let out =
            anonymize(&Input { text: "Datum 14 mei 2016.", known: &[], dates_of_birth: &[birth], reference: REF });
        assert_eq!(out.text, "Datum [leeftijd 9 jaar].");
        assert_eq!(out.replacements[0].category, Category::DateOfBirth);
    }

    #[test]
    fn schools_and_rare_details() {
        assert_eq!(free("Hij zat op basisschool De Regenboog."), "Hij zat op [school].");
        assert_eq!(
            free("Nu op het Stedelijk Gymnasium en daarvoor OBS De Wilgen."),
            "Nu op het [school] en daarvoor [school]."
        );
        let known = [
            Known::new(KnownKind::School, "CBS De Fontein"),
            Known::new(KnownKind::RareDetail, "de enige tweeling in het dorp"),
        ];
        let out = run("Op de Fontein zijn zij de enige tweeling in het dorp.", &known);
        assert_eq!(out.text, "Op [school] zijn zij [detail weggelaten].");
    }

    #[test]
    fn the_command_line_form() {
        let out = anonymize_with(
            "Kees woont in Tiel en Jansen ook.",
            &["Kees Jansen".to_string()],
            &["Tiel".to_string()],
            REF,
        );
        assert_eq!(out.text, "[naam] woont in [plaats] en [naam] ook.");
    }
}
