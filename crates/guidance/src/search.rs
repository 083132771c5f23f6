//! Search in the naslagwerk: case- and accent-insensitive ("geensceneerd" finds "geënsceneerd"), every
//! word of the query must occur in the same subsection, title hits first, a limited number of results,
//! each with a short snippet in which the matches are marked.

use meldroute_i18n::Lang;

use crate::model::{Block, Section};

/// Queries longer than this (in characters) are refused with a message.
pub const MAX_QUERY_CHARS: usize = 100;
/// At most this many words of a query are used.
pub const MAX_TERMS: usize = 6;
/// At most this many hits are returned.
pub const MAX_HITS: usize = 20;
/// Words shorter than this (after folding) are ignored.
pub const MIN_TERM_CHARS: usize = 2;

/// Why a query cannot be searched; the web shows a message for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryError {
    /// Nothing (or only spaces) was entered.
    Empty,
    /// More than [`MAX_QUERY_CHARS`] characters.
    TooLong,
    /// No word of at least [`MIN_TERM_CHARS`] letters or digits remains.
    NoWords,
}

impl QueryError {
    /// A stable code (for translation keys).
    pub fn code(self) -> &'static str {
        match self {
            QueryError::Empty => "empty",
            QueryError::TooLong => "too-long",
            QueryError::NoWords => "no-words",
        }
    }
}

/// A piece of a snippet; `marked` pieces matched the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetPart {
    pub text: String,
    pub marked: bool,
}

/// One search result: a section, optionally a subsection in it, and a snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub slug: &'static str,
    pub section_title: String,
    /// The anchor of the subsection; `None` for the section's introduction.
    pub anchor: Option<String>,
    /// The heading of the subsection.
    pub subsection: Option<String>,
    pub snippet: Vec<SnippetPart>,
    /// Higher is better: 100+ the section title matches, 50+ the subsection heading matches, else 10+.
    pub score: u32,
}

impl Hit {
    /// The link to the hit: `/naslag/{slug}` or `/naslag/{slug}#{anchor}`.
    pub fn href(&self) -> String {
        match &self.anchor {
            Some(a) => format!("/naslag/{}#{a}", self.slug),
            None => format!("/naslag/{}", self.slug),
        }
    }
}

/// Lowercases and removes diacritics from one character, appending the result to `out`.
fn fold_char(c: char, out: &mut Vec<char>) {
    // Combining marks (a decomposed "ë" is "e" + U+0308) disappear.
    if ('\u{0300}'..='\u{036f}').contains(&c) {
        return;
    }
    for l in c.to_lowercase() {
        let mapped: &[char] = match l {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => &['a'],
            'ç' | 'ć' | 'č' => &['c'],
            'ď' => &['d'],
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => &['e'],
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => &['i'],
            'ñ' | 'ń' | 'ň' => &['n'],
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => &['o'],
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => &['u'],
            'ý' | 'ÿ' => &['y'],
            'ś' | 'š' | 'ş' => &['s'],
            'ź' | 'ż' | 'ž' => &['z'],
            'ł' => &['l'],
            'ř' => &['r'],
            'ť' => &['t'],
            'ß' => &['s', 's'],
            'æ' => &['a', 'e'],
            'œ' => &['o', 'e'],
            'ĳ' => &['i', 'j'],
            '’' | '‘' => &['\''],
            '–' | '—' | '‑' => &['-'],
            other => {
                out.push(other);
                continue;
            }
        };
        out.extend_from_slice(mapped);
    }
}

/// Folds a text for comparison: lowercase, no diacritics.
pub fn fold(text: &str) -> String {
    let mut out = Vec::new();
    for c in text.chars() {
        fold_char(c, &mut out);
    }
    out.into_iter().collect()
}

/// A folded text that remembers, per folded character, the byte range of the original character.
struct Folded {
    chars: Vec<char>,
    spans: Vec<(usize, usize)>,
}

impl Folded {
    fn new(text: &str) -> Folded {
        let mut chars = Vec::new();
        let mut spans = Vec::new();
        for (start, c) in text.char_indices() {
            let before = chars.len();
            fold_char(c, &mut chars);
            spans.extend(std::iter::repeat_n((start, start + c.len_utf8()), chars.len() - before));
        }
        Folded { chars, spans }
    }

    /// Byte ranges in the original text of every occurrence of `term` (folded).
    fn find_all(&self, term: &[char]) -> Vec<(usize, usize)> {
        if term.is_empty() || term.len() > self.chars.len() {
            return Vec::new();
        }
        (0..=self.chars.len() - term.len())
            .filter(|&i| self.chars[i..i + term.len()] == *term)
            .map(|i| (self.spans[i].0, self.spans[i + term.len() - 1].1))
            .collect()
    }
}

/// Checks a query and splits it into folded words (letters and digits; other characters separate words).
pub fn parse_query(query: &str) -> Result<Vec<String>, QueryError> {
    let query = query.trim();
    if query.is_empty() {
        return Err(QueryError::Empty);
    }
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong);
    }
    let folded = fold(query);
    let mut terms: Vec<String> = Vec::new();
    for word in folded.split(|c: char| !c.is_alphanumeric()) {
        if word.chars().count() >= MIN_TERM_CHARS && !terms.iter().any(|t| t == word) {
            terms.push(word.to_string());
        }
    }
    if terms.is_empty() {
        return Err(QueryError::NoWords);
    }
    terms.truncate(MAX_TERMS);
    Ok(terms)
}

/// A subsection as a search unit: its heading (the section title for the introduction) and its texts.
struct Unit<'a> {
    anchor: Option<&'a str>,
    heading: &'a str,
    texts: Vec<String>,
}

fn units(section: &Section) -> Vec<Unit<'_>> {
    let mut units = vec![Unit { anchor: None, heading: section.title.as_str(), texts: vec![section.summary.clone()] }];
    for block in &section.blocks {
        match block {
            Block::Heading { id, text, .. } => {
                units.push(Unit { anchor: Some(id.as_str()), heading: text.as_str(), texts: Vec::new() })
            }
            other => {
                if let Some(unit) = units.last_mut() {
                    unit.texts.push(other.plain_text());
                }
            }
        }
    }
    units
}

/// Characters of context before the first match in a snippet, and the snippet's maximum length.
const SNIPPET_BEFORE: usize = 60;
const SNIPPET_LEN: usize = 180;

/// A snippet of `text` around the first match of any term, with every match in it marked.
pub fn snippet(text: &str, terms: &[Vec<char>]) -> Vec<SnippetPart> {
    let folded = Folded::new(text);
    let mut ranges: Vec<(usize, usize)> = terms.iter().flat_map(|t| folded.find_all(t)).collect();
    ranges.sort_unstable();
    let first = ranges.first().map_or(0, |r| r.0);
    // Window in characters, moved to word boundaries.
    let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    let first_char = boundaries.iter().position(|&b| b >= first).unwrap_or(0);
    let mut start_char = first_char.saturating_sub(SNIPPET_BEFORE);
    let mut end_char = (start_char + SNIPPET_LEN).min(boundaries.len() - 1);
    let is_space = |char_index: usize| text[boundaries[char_index]..].starts_with(char::is_whitespace);
    if start_char > 0 {
        while start_char < first_char && !is_space(start_char - 1) {
            start_char += 1;
        }
    }
    if end_char < boundaries.len() - 1 {
        let mut e = end_char;
        while e > first_char + 1 && !is_space(e) {
            e -= 1;
        }
        if e > first_char + 1 {
            end_char = e;
        }
    }
    let (start, end) = (boundaries[start_char], boundaries[end_char]);
    // Merge overlapping matches inside the window.
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for (a, b) in ranges.into_iter().filter(|&(a, b)| a >= start && b <= end) {
        match marks.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => marks.push((a, b)),
        }
    }
    let mut parts = Vec::new();
    let mut at = start;
    let mut push = |text: String, marked: bool| {
        if !text.is_empty() {
            parts.push(SnippetPart { text, marked });
        }
    };
    if start > 0 {
        push("…".to_string(), false);
    }
    for (a, b) in marks {
        push(text[at..a].to_string(), false);
        push(text[a..b].to_string(), true);
        at = b;
    }
    push(text[at..end].trim_end().to_string(), false);
    if end < text.len() {
        push("…".to_string(), false);
    }
    parts
}

/// Searches `sections` for `terms` (from [`parse_query`]).
pub fn search_sections(sections: &[Section], terms: &[String]) -> Vec<Hit> {
    let terms: Vec<Vec<char>> = terms.iter().map(|t| t.chars().collect()).collect();
    let contains_all = |text: &str| {
        let f = Folded::new(text);
        terms.iter().all(|t| !f.find_all(t).is_empty())
    };
    let count = |text: &str| {
        let f = Folded::new(text);
        terms.iter().map(|t| f.find_all(t).len()).sum::<usize>()
    };
    let mut hits: Vec<(Hit, usize, usize)> = Vec::new();
    for (order, section) in sections.iter().enumerate() {
        for (position, unit) in units(section).into_iter().enumerate() {
            let all_text: String = std::iter::once(unit.heading.to_string())
                .chain(unit.texts.iter().cloned())
                .collect::<Vec<_>>()
                .join("\n");
            if !contains_all(&all_text) {
                continue;
            }
            let occurrences = u32::try_from(count(&all_text).min(9)).unwrap_or(9);
            let base = match unit.anchor {
                None if contains_all(&section.title) => 100,
                Some(_) if contains_all(unit.heading) => 50,
                _ => 10,
            };
            // The snippet comes from the text with the most distinct words found; a heading only when no text
            // has any.
            let distinct = |text: &str| {
                let f = Folded::new(text);
                terms.iter().filter(|t| !f.find_all(t).is_empty()).count()
            };
            let best = unit
                .texts
                .iter()
                .map(|t| (distinct(t), t))
                .filter(|(n, _)| *n > 0)
                .fold(None::<(usize, &String)>, |acc, (n, t)| match acc {
                    Some((m, _)) if m >= n => acc,
                    _ => Some((n, t)),
                })
                .map_or(unit.heading, |(_, t)| t.as_str());
            let hit = Hit {
                slug: section.slug,
                section_title: section.title.clone(),
                anchor: unit.anchor.map(str::to_string),
                subsection: unit.anchor.map(|_| unit.heading.to_string()),
                snippet: snippet(best, &terms),
                score: base + occurrences,
            };
            hits.push((hit, order, position));
        }
    }
    hits.sort_by(|a, b| b.0.score.cmp(&a.0.score).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    hits.into_iter().take(MAX_HITS).map(|(h, _, _)| h).collect()
}

/// Searches the naslagwerk in `lang`. An invalid query gives no hits; use [`parse_query`] for the reason.
pub fn search(lang: Lang, query: &str) -> Vec<Hit> {
    match parse_query(query) {
        Ok(terms) => search_sections(crate::sections(lang), &terms),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_section;

    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(fold("Geënsceneerd"), "geensceneerd");
        assert_eq!(fold("CLIËNT Ĳs Straße façade"), "client ijs strasse facade");
        assert_eq!(fold("e\u{0308}e"), "ee", "decomposed diaeresis");
    }

    #[test]
    fn queries_are_checked() {
        assert_eq!(parse_query(""), Err(QueryError::Empty));
        assert_eq!(parse_query("   \t "), Err(QueryError::Empty));
        assert_eq!(parse_query(&"a".repeat(MAX_QUERY_CHARS + 1)), Err(QueryError::TooLong));
        assert!(parse_query(&"ab ".repeat(33)).is_ok());
        assert_eq!(parse_query("*** ?? <>"), Err(QueryError::NoWords));
        assert_eq!(parse_query("a b c"), Err(QueryError::NoWords));
        assert_eq!(parse_query("Veilig THUIS veilig"), Ok(vec!["veilig".to_string(), "thuis".to_string()]));
        assert_eq!(parse_query("0800-2000"), Ok(vec!["0800".to_string(), "2000".to_string()]));
        assert_eq!(parse_query("<script>alert(1)</script>").map(|t| t.len()), Ok(2));
        assert_eq!(parse_query("a1 b2 c3 d4 e5 f6 g7 h8").map(|t| t.len()), Ok(MAX_TERMS));
    }

    fn sample() -> Vec<Section> {
        vec![
            parse_section(
                "een",
                "# Signalen\nWat u ziet.\n\n## Gedrag {#gedrag}\nEen kind dat schrikt van volwassenen.\n\n\
                 ## Ouders {#ouders}\nEen verklaring die geënsceneerd lijkt.\n",
            )
            .unwrap(),
            parse_section(
                "twee",
                "# Gesprekken\nPraten over signalen.\n\n## Openen {#openen}\nBegin met wat u zag, niet met een oordeel.\n",
            )
            .unwrap(),
        ]
    }

    fn q(s: &str) -> Vec<String> {
        parse_query(s).unwrap()
    }

    #[test]
    fn accents_are_found_without_accents_and_marked_in_the_original() {
        for query in ["geensceneerd", "GEËNSCENEERD", "geënsceneerd"] {
            let hits = search_sections(&sample(), &q(query));
            assert_eq!(hits.len(), 1, "{query}");
            assert_eq!(hits[0].href(), "/naslag/een#ouders");
            assert_eq!(hits[0].subsection.as_deref(), Some("Ouders"));
            let marked: Vec<&str> = hits[0].snippet.iter().filter(|p| p.marked).map(|p| p.text.as_str()).collect();
            assert_eq!(marked, vec!["geënsceneerd"]);
        }
    }

    #[test]
    fn title_hits_rank_first() {
        // "signalen" is in the title of "een" (intro) and in the summary of "twee" (intro, not in its title).
        let hits = search_sections(&sample(), &q("signalen"));
        assert_eq!(hits[0].slug, "een");
        assert_eq!(hits[0].anchor, None);
        assert!(hits[0].score >= 100);
        assert!(hits.iter().any(|h| h.slug == "twee" && h.score < 100));
        // A heading match outranks a body match, even in a later section.
        let hits = search_sections(&sample(), &q("openen"));
        assert_eq!(hits[0].href(), "/naslag/twee#openen");
        assert!(hits[0].score >= 50);
    }

    #[test]
    fn all_words_must_match_in_one_subsection() {
        assert_eq!(search_sections(&sample(), &q("kind volwassenen")).len(), 1);
        assert!(search_sections(&sample(), &q("kind oordeel")).is_empty());
        assert!(search_sections(&sample(), &q("xyzzy")).is_empty());
    }

    #[test]
    fn results_are_limited() {
        let mut src = String::from("# Veel\nwoord\n");
        for i in 0..50 {
            src.push_str(&format!("\n## Kop {i} {{#k{i}}}\nwoord hier\n"));
        }
        let sections = vec![parse_section("veel", &src).unwrap()];
        assert_eq!(search_sections(&sections, &q("woord")).len(), MAX_HITS);
    }

    #[test]
    fn snippets_are_short_and_mark_every_match() {
        let long = format!(
            "{} de melding bij Veilig Thuis, en later weer Veilig. {}",
            "vooraf ".repeat(40),
            "achteraf ".repeat(40)
        );
        let parts = snippet(&long, &[fold("veilig").chars().collect()]);
        let text: String = parts.iter().map(|p| p.text.as_str()).collect();
        assert!(text.chars().count() <= SNIPPET_LEN + 4, "{text}");
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        let marked: Vec<&str> = parts.iter().filter(|p| p.marked).map(|p| p.text.as_str()).collect();
        assert_eq!(marked, vec!["Veilig", "Veilig"]);
        // Short text: whole, no ellipsis; overlapping terms merge into one mark.
        let parts = snippet("Bel Veilig Thuis.", &[fold("veilig").chars().collect(), fold("lig th").chars().collect()]);
        assert_eq!(
            parts,
            vec![
                SnippetPart { text: "Bel ".into(), marked: false },
                SnippetPart { text: "Veilig Th".into(), marked: true },
                SnippetPart { text: "uis.".into(), marked: false },
            ]
        );
    }
}
