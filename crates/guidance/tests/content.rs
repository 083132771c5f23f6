//! The content of the naslagwerk as shipped: it parses, Dutch and English line up, links resolve, the
//! required topics exist, key facts from the domain brief are present, and every dossier entry kind links
//! to an existing place.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use meldroute_domain::EntryKind;
use meldroute_guidance::*;

#[test]
fn every_section_parses_in_both_languages() {
    for lang in Lang::ALL {
        let (parsed, errors) = parse_all(lang);
        assert!(errors.is_empty(), "{}: {errors:?}", lang.code());
        assert_eq!(parsed.len(), slugs().len());
        assert_eq!(sections(lang).len(), slugs().len());
        for s in parsed {
            assert!(!s.title.trim().is_empty() && !s.summary.trim().is_empty(), "{}", s.slug);
            assert!(s.blocks.len() >= 4, "{} is too thin", s.slug);
        }
    }
}

fn sections_of(lang: Lang) -> &'static [Section] {
    sections(lang)
}

#[test]
fn dutch_and_english_have_the_same_slugs_and_anchors_in_the_same_order() {
    let nl = sections_of(Lang::Nl);
    let en = sections_of(Lang::En);
    assert_eq!(nl.len(), en.len());
    for (a, b) in nl.iter().zip(en) {
        assert_eq!(a.slug, b.slug);
        assert_eq!(a.anchors(), b.anchors(), "anchors of {}", a.slug);
        let levels = |s: &Section| s.headings().iter().map(|h| h.0).collect::<Vec<_>>();
        assert_eq!(levels(a), levels(b), "heading levels of {}", a.slug);
        // The same structure: the translation is faithful block by block.
        let shape = |s: &Section| {
            s.blocks
                .iter()
                .map(|b| match b {
                    Block::Heading { .. } => "h".to_string(),
                    Block::Paragraph(_) => "p".to_string(),
                    Block::List { ordered, items } => format!("l{ordered}{}", items.len()),
                    Block::Note { kind, paragraphs } => format!("n{}{}", kind.code(), paragraphs.len()),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(shape(a), shape(b), "block structure of {}", a.slug);
        assert_eq!(
            a.links().iter().map(|l| l.0).collect::<Vec<_>>(),
            b.links().iter().map(|l| l.0).collect::<Vec<_>>()
        );
        assert_ne!(a.title, b.title, "{} looks untranslated", a.slug);
    }
}

#[test]
fn slugs_and_anchors_are_unique_and_do_not_clash_with_the_page() {
    let slugs = slugs();
    assert_eq!(slugs.iter().collect::<BTreeSet<_>>().len(), slugs.len());
    assert!(!slugs.contains(&"zoeken"), "/naslag/zoeken is the search page");
    // Ids the page itself uses.
    let reserved = ["main", "q", "inhoud", "toc", "lang"];
    for lang in Lang::ALL {
        for s in sections_of(lang) {
            let anchors = s.anchors();
            assert_eq!(anchors.iter().collect::<BTreeSet<_>>().len(), anchors.len(), "{}", s.slug);
            for a in anchors {
                assert!(parse::valid_anchor(a));
                assert!(!reserved.contains(&a), "{}#{a} clashes with the page", s.slug);
            }
        }
    }
}

#[test]
fn every_link_resolves_or_is_a_phone_number() {
    for lang in Lang::ALL {
        let mut internal = 0;
        for s in sections_of(lang) {
            for (href, text) in s.links() {
                assert!(!text.trim().is_empty());
                if let Some(number) = href.strip_prefix("tel:") {
                    assert!(["112", "0800-2000"].contains(&number), "unexpected number {href}");
                    continue;
                }
                assert!(!href.starts_with("https:"), "external links need a check that they still work: {href}");
                let path = href.strip_prefix("/naslag/").unwrap_or_else(|| panic!("{href} in {}", s.slug));
                let (slug, anchor) = match path.split_once('#') {
                    Some((slug, anchor)) => (slug, Some(anchor)),
                    None => (path, None),
                };
                let target = section(lang, slug).unwrap_or_else(|| panic!("{href} in {}: no such section", s.slug));
                if let Some(anchor) = anchor {
                    assert!(target.has_anchor(anchor), "{href} in {}: no such anchor", s.slug);
                }
                internal += 1;
            }
        }
        assert!(internal >= 10, "the sections link to each other");
    }
}

/// One section per topic of the naslagwerk, with the subsections each must have.
const TOPICS: &[(&str, &str, &[&str])] = &[
    (
        "forms of abuse",
        "vormen",
        &[
            "lichamelijk",
            "psychisch",
            "verwaarlozing",
            "seksueel-misbruik",
            "getuige",
            "munchausen",
            "vechtscheiding",
            "eergerelateerd",
            "huiselijk-geweld",
            "buiten-deze-meldcode",
        ],
    ),
    (
        "signals, risk and protective factors",
        "signalen",
        &["gedrag", "lichamelijk", "ontwikkeling-school", "oudersignalen", "risicofactoren", "beschermende-factoren"],
    ),
    (
        "per source of a signal",
        "bronnen",
        &["eigen-waarneming", "derde", "externe-partner", "leerling-vertelt", "geheimhouding"],
    ),
    ("Kindcheck and parent signals", "kindcheck", &["kindcheck", "oudercheck"]),
    ("the six steps", "stappen", &["stap-1", "stap-2", "stap-3", "stap-4", "stap-5", "stap-6"]),
    (
        "afwegingskader and meldnormen",
        "afwegingskader",
        &["vijf-vragen", "vraag-1", "vraag-2", "vraag-3", "vraag-4", "vraag-5", "meldnormen"],
    ),
    ("reporting and Veilig Thuis", "melden", &["advies-of-melding", "melding-doen", "na-de-melding", "uitkomsten"]),
    ("conversations with pupils", "gesprek-leerling", &["voorbereiden", "openingszinnen", "niet-doen", "afsluiten"]),
    ("conversations with parents", "gesprek-ouders", &["voorbereiden", "openingszinnen", "niet-doen", "afsluiten"]),
    ("facts and figures", "feiten", &["cijfers", "wettelijk-kader"]),
];

#[test]
fn every_required_topic_has_its_section_and_subsections() {
    for lang in Lang::ALL {
        for (topic, slug, anchors) in TOPICS {
            let s = section(lang, slug).unwrap_or_else(|| panic!("{topic}: no section {slug}"));
            for a in *anchors {
                assert!(s.has_anchor(a), "{topic}: {slug} lacks #{a} in {}", lang.code());
            }
        }
    }
    assert_eq!(TOPICS.len(), slugs().len(), "every section is a required topic");
}

fn text_of(lang: Lang, slug: &str) -> String {
    let s = section(lang, slug).unwrap();
    let mut t = format!("{} {} ", s.title, s.summary);
    for b in &s.blocks {
        t.push_str(&b.plain_text());
        t.push(' ');
    }
    t
}

/// Facts from the domain brief that the content must state (and that a careless edit could break).
#[test]
fn key_facts_are_stated() {
    let facts: &[(&str, &[&str], &[&str])] = &[
        (
            "afwegingskader",
            &["5 werkdagen", "ja of twijfel", "in deze volgorde", "casemanager"],
            &["5 working days", "yes or doubt", "in this order", "case manager"],
        ),
        (
            "melden",
            &["0800-2000", "12 jaar of ouder", "op naam", "5 werkdagen", "vanaf 4 jaar"],
            &["0800-2000", "12 or older", "by name", "5 working days", "from 4 years"],
        ),
        (
            "feiten",
            &["90.000 tot 127.000", "3%", "2013", "1 januari 2019", "tot 23 jaar"],
            &["90,000 to 127,000", "3%", "2013", "1 January 2019", "up to 23"],
        ),
        ("stappen", &["beschermende factoren", "twee besluiten"], &["protective factors", "two decisions"]),
        (
            "gesprek-leerling",
            &["Niet naar details", "Geen waarom-vragen"],
            &["not ask for details", "No \"why\" questions"],
        ),
        (
            "bronnen",
            &["Beloof nooit geheimhouding", "meldt u bij Veilig Thuis"],
            &["Never promise secrecy", "you report to Veilig Thuis"],
        ),
        (
            "vormen",
            &["altijd van toepassing", "neemt Veilig Thuis altijd de regie", "klachtenregeling"],
            &["always applies", "Veilig Thuis always takes the lead", "complaints regulation"],
        ),
    ];
    for (slug, nl, en) in facts {
        let t = text_of(Lang::Nl, slug);
        for f in *nl {
            assert!(t.contains(f), "nl {slug} lacks {f:?}");
        }
        let t = text_of(Lang::En, slug);
        for f in *en {
            assert!(t.contains(f), "en {slug} lacks {f:?}");
        }
    }
}

#[test]
fn the_afwegingskader_lists_the_five_questions_and_three_meldnormen_in_order() {
    for lang in Lang::ALL {
        let s = section(lang, "afwegingskader").unwrap();
        let ordered: Vec<usize> = s
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::List { ordered: true, items } => Some(items.len()),
                _ => None,
            })
            .collect();
        assert_eq!(ordered, vec![5, 3], "{}: five questions, three meldnormen", lang.code());
        let anchors = s.anchors();
        let pos = |a: &str| anchors.iter().position(|x| *x == a).unwrap();
        assert!(pos("vraag-1") < pos("vraag-2") && pos("vraag-2") < pos("vraag-3"));
        assert!(pos("vraag-3") < pos("vraag-4") && pos("vraag-4") < pos("vraag-5"));
    }
}

#[test]
fn every_entry_kind_links_to_an_existing_section_and_anchor() {
    assert!(!EntryKind::ALL.is_empty());
    for kind in EntryKind::ALL {
        let (slug, anchor) = section_for_entry_kind(kind.as_str());
        let anchor = anchor.unwrap_or_else(|| panic!("{} has no anchor", kind.as_str()));
        for lang in Lang::ALL {
            let s = section(lang, slug).unwrap_or_else(|| panic!("{}: no section {slug}", kind.as_str()));
            assert!(s.has_anchor(anchor), "{}: {slug}#{anchor} missing in {}", kind.as_str(), lang.code());
        }
        assert_eq!(href_for_entry_kind(kind.as_str()), format!("/naslag/{slug}#{anchor}"));
    }
    assert_eq!(section_for_entry_kind("conversation").0, "gesprek-ouders");
    assert_eq!(section_for_entry_kind("assessment_answer").0, "afwegingskader");
    assert_eq!(section_for_entry_kind("disclosure"), ("bronnen", Some("leerling-vertelt")));
    assert_eq!(section_for_entry_kind("no-such-kind"), ("stappen", None));
}

#[test]
fn search_in_the_real_content() {
    // Accents: "hygiëne" and "geïnformeerd" are found without the diaeresis, in either case.
    let hits = search(Lang::Nl, "HYGIENE");
    assert!(hits.iter().any(|h| h.slug == "signalen"), "{hits:?}");
    let hits = search(Lang::Nl, "geinformeerd");
    assert!(hits.iter().any(|h| h.href() == "/naslag/afwegingskader#vraag-1"), "{hits:?}");
    let marked: String = hits[0].snippet.iter().filter(|p| p.marked).map(|p| p.text.as_str()).collect();
    assert_eq!(marked, "geïnformeerd");
    // A section title ranks first.
    let hits = search(Lang::Nl, "afwegingskader");
    assert_eq!((hits[0].slug, hits[0].anchor.as_deref()), ("afwegingskader", None));
    let hits = search(Lang::En, "Kindcheck");
    assert_eq!((hits[0].slug, hits[0].anchor.as_deref()), ("kindcheck", None));
    // Limited, and a query that is too common still returns at most MAX_HITS.
    assert!(search(Lang::Nl, "de").len() <= MAX_HITS);
    assert_eq!(search(Lang::Nl, "de").len(), MAX_HITS);
    // Nothing for nonsense or refused queries, and never a panic.
    assert!(search(Lang::Nl, "qqqxxyz").is_empty());
    assert!(search(Lang::Nl, "").is_empty());
    assert!(search(Lang::Nl, "<script>").is_empty());
    assert!(search(Lang::En, &"x".repeat(500)).is_empty());
    // Phone numbers are searchable.
    assert!(search(Lang::Nl, "0800-2000").iter().any(|h| h.slug == "melden"));
}
