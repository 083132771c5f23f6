//! Recall and precision of the anonymiser on a corpus of fictional Dutch notes (tests/corpus/texts.txt,
//! format in tests/corpus/README.md). Fails below the targets: every known (structured) identifier, at
//! least 98% of the identifiers in free text, and a precision floor so replacing everything cannot pass.

// Test helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::ops::Range;

use meldroute_anonymize::{Input, Known, KnownKind, anonymize};
use time::Date;
use time::macros::format_description;

/// Forms of address and family words written next to a name; they may stay ("mevrouw [ouder]").
const ROLE_WORDS: &[&str] = &[
    "mevrouw", "meneer", "juf", "meester", "dhr", "mw", "mr", "dr", "papa", "mama", "opa", "oma", "ome", "familie",
    "agent", "dokter",
];

struct Annotation {
    span: Range<usize>,
    category: String,
    known: bool,
}

struct Text {
    id: String,
    split: String,
    reference: Date,
    known: Vec<Known>,
    births: Vec<Date>,
    plain: String,
    annotations: Vec<Annotation>,
}

fn date(s: &str) -> Date {
    Date::parse(s.trim(), format_description!("[year]-[month]-[day]")).unwrap()
}

fn parse(corpus: &str) -> Vec<Text> {
    let mut out = Vec::new();
    for block in corpus.split("=== ").skip(1) {
        let (head, body) = block.split_once("\n---\n").expect("a --- line");
        let mut lines = head.lines();
        let first: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
        let mut known = Vec::new();
        let mut births = Vec::new();
        for line in lines {
            let (kind, value) = line.split_once(':').unwrap();
            let value = value.trim().to_string();
            let kind = match kind.trim() {
                "kind" => KnownKind::Pupil,
                "ouder" => KnownKind::Parent,
                "broerzus" => KnownKind::Sibling,
                "medewerker" => KnownKind::Staff,
                "school" => KnownKind::School,
                "plaats" => KnownKind::Place,
                "nummer" => KnownKind::Number,
                "detail" => KnownKind::RareDetail,
                "geboortedatum" => {
                    births.push(date(&value));
                    continue;
                }
                other => panic!("unknown known kind {other}"),
            };
            known.push(Known::new(kind, value));
        }
        let mut plain = String::new();
        let mut annotations = Vec::new();
        let mut rest = body.trim_end();
        while let Some(open) = rest.find('{') {
            plain.push_str(&rest[..open]);
            let close = rest[open..].find('}').unwrap() + open;
            let inner = &rest[open + 1..close];
            let (cat, value) = inner.split_once(':').unwrap();
            let (known_flag, cat) = match cat.strip_prefix('!') {
                Some(c) => (true, c),
                None => (false, cat),
            };
            let start = plain.len();
            plain.push_str(value);
            annotations.push(Annotation { span: start..plain.len(), category: cat.to_string(), known: known_flag });
            rest = &rest[close + 1..];
        }
        plain.push_str(rest);
        out.push(Text {
            id: first[0].to_string(),
            split: first[1].to_string(),
            reference: date(first[2]),
            known,
            births,
            plain,
            annotations,
        });
    }
    out
}

/// Byte ranges of the identifying words of an annotation (role words left out).
fn identifying_words(text: &str, span: &Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let slice = &text[span.clone()];
    let mut start = None;
    for (i, c) in slice.char_indices().chain(std::iter::once((slice.len(), ' '))) {
        if c.is_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            let word = slice[s..i].to_lowercase();
            if !ROLE_WORDS.contains(&word.as_str()) {
                out.push(span.start + s..span.start + i);
            }
        }
    }
    out
}

#[derive(Default, Clone, Copy)]
struct Tally {
    found: usize,
    total: usize,
}

impl Tally {
    fn add(&mut self, found: bool) {
        self.total += 1;
        self.found += usize::from(found);
    }
    fn ratio(self) -> f64 {
        if self.total == 0 { 1.0 } else { self.found as f64 / self.total as f64 }
    }
}

#[test]
fn corpus_recall_and_precision() {
    let corpus = include_str!("corpus/texts.txt");
    let texts = parse(corpus);
    assert!(texts.len() >= 40, "the corpus has {} texts", texts.len());
    let mut per_category: BTreeMap<String, Tally> = BTreeMap::new();
    let mut structured = Tally::default();
    let mut free = Tally::default();
    let mut per_split: BTreeMap<String, Tally> = BTreeMap::new();
    let mut replacements = 0usize;
    let mut false_positives = Vec::new();
    let mut misses = Vec::new();
    for t in &texts {
        let result =
            anonymize(&Input { text: &t.plain, known: &t.known, dates_of_birth: &t.births, reference: t.reference });
        let covered = |r: &Range<usize>| {
            result.replacements.iter().any(|x| x.original.start <= r.start && r.end <= x.original.end)
        };
        for a in &t.annotations {
            let words = identifying_words(&t.plain, &a.span);
            assert!(!words.is_empty(), "{}: annotation {:?} has no identifying word", t.id, &t.plain[a.span.clone()]);
            let found = words.iter().all(|w| {
                covered(w)
                    || result.replacements.iter().any(|x| x.original.start <= w.start && w.end <= x.original.end)
                    || {
                        // A word split over two adjacent replacements still counts as covered char by char.
                        (w.start..w.end).all(|b| result.replacements.iter().any(|x| x.original.contains(&b)))
                    }
            });
            let key = if a.known { format!("bekend:{}", a.category) } else { a.category.clone() };
            per_category.entry(key).or_default().add(found);
            if a.known {
                structured.add(found)
            } else {
                free.add(found)
            }
            per_split.entry(t.split.clone()).or_default().add(found);
            if !found {
                misses.push(format!("{} [{}] {:?} in {:?}", t.id, a.category, &t.plain[a.span.clone()], result.text));
            }
        }
        for r in &result.replacements {
            replacements += 1;
            let hits = t.annotations.iter().any(|a| r.original.start < a.span.end && a.span.start < r.original.end);
            if !hits {
                false_positives.push(format!("{} {:?} -> {:?}", t.id, &t.plain[r.original.clone()], r.category));
            }
        }
    }
    println!("anonymiser corpus: {} texts, {} identifiers", texts.len(), structured.total + free.total);
    for (cat, t) in &per_category {
        println!("  {cat:<22} {:>3}/{:<3} {:>6.1}%", t.found, t.total, 100.0 * t.ratio());
    }
    for (split, t) in &per_split {
        println!("  split {split:<16} {:>3}/{:<3} {:>6.1}%", t.found, t.total, 100.0 * t.ratio());
    }
    let precision = 1.0 - false_positives.len() as f64 / replacements.max(1) as f64;
    println!("  structured recall {:.1}%  free-text recall {:.1}%", 100.0 * structured.ratio(), 100.0 * free.ratio());
    println!(
        "  precision {:.1}% ({} of {} replacements hit no identifier)",
        100.0 * precision,
        false_positives.len(),
        replacements
    );
    for m in &misses {
        println!("  MISSED {m}");
    }
    for fp in &false_positives {
        println!("  EXTRA  {fp}");
    }
    assert!(structured.total + free.total >= 300, "the corpus must hold at least 300 identifiers");
    assert_eq!(structured.found, structured.total, "every known identifier must be replaced: {misses:?}");
    assert!(free.ratio() >= 0.98, "free-text recall {:.3} is below 0.98: {misses:?}", free.ratio());
    assert!(precision >= 0.85, "precision {precision:.3} is below 0.85: {false_positives:?}");
}
