#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! User text is data, never markup: hostile input renders without error, appears literally and
//! leaves the layout alone.

mod common;

use common::{assert_contains, assert_pdf, page_count, pdf_text, squeezed};
use meldroute_pdf::{
    Actor, Block, Chapter, Contact, Document, Field, Inline, Report, ReportSection, render_blocking, sample,
};

const MARKUP: &str = "*#set page(width: 1cm)] = #panic()";
const SCRIPT: &str = "<script>alert('x')</script>";
const MORE_MARKUP: &str = "#import \"/data.json\" $x^2$ `raw` @ref <label> \\ _emph_ // comment";
const EMOJI: &str = "Groep 5 🌈👍🏽";
const ARABIC: &str = "مرحبا بالعالم";
const HEBREW: &str = "שלום עולם";

fn long_word() -> String {
    "Kindermishandelingsonderzoeksverslag".repeat(8)
}

fn long_field() -> String {
    let sentence = "Dit is een lange observatie van de leerkracht over de leerling. ";
    let mut s = sentence.repeat(40);
    s.truncate(2000);
    s
}

#[test]
fn hostile_route_card_renders_literally_and_keeps_its_layout() {
    let mut card = sample::route_card();
    card.school = MARKUP.into();
    card.location = SCRIPT.into();
    card.motto = MORE_MARKUP.into();
    card.steps[0].title = format!("{EMOJI} {ARABIC}");
    card.steps[0].summary = long_field();
    card.steps[1].agreements = vec![long_word(), HEBREW.into()];
    card.steps[2].actors = vec![Actor::new("#emph[role]", ["= Heading", "- list"])];
    card.contacts[0].email = Some("javascript:alert(1)".into());
    card.contacts[1].name = Some(long_word());
    card.verwijsindex = long_field();

    let pdf = render_blocking(&Document::RouteCard(card)).unwrap();
    assert_pdf(&pdf);
    let text = pdf_text(&pdf);
    // A page width of 1 cm would give hundreds of pages: the layout is unchanged (the two
    // 2,000-character fields in narrow columns add a page or two).
    let pages = page_count(&text);
    assert!((2..=5).contains(&pages), "{pages} pages");
    assert_contains(&text, MARKUP);
    assert_contains(&text, SCRIPT);
    assert_contains(&text, "#import \"/data.json\" $x^2$ `raw` @ref <label>");
    assert_contains(&text, "#emph[role]");
    assert_contains(&text, "= Heading");
    assert_contains(&text, "javascript:alert(1)");
    assert!(squeezed(&text).contains(&long_word()), "long word lost");
    assert!(squeezed(&text).contains(&squeezed(&long_field())), "2,000-character field lost");
    // No embedded font has emoji glyphs: they render as an empty box (no error) and are not in
    // the text layer; the text around them is.
    assert_contains(&text, "Groep 5");
    assert!(squeezed(&text).contains("مرحبا") || squeezed(&text).contains("ابحرم"));
    assert!(squeezed(&text).contains("שלום") || squeezed(&text).contains("םולש"));
}

#[test]
fn empty_lists_render() {
    let mut card = sample::route_card();
    card.steps.clear();
    card.contacts.clear();
    card.numbers.clear();
    card.assessment.questions.clear();
    card.assessment.norms.clear();
    card.assessment.notes.clear();
    card.motto.clear();
    card.verwijsindex.clear();
    card.footer.clear();
    let text = pdf_text(&render_blocking(&Document::RouteCard(card)).unwrap());
    assert_contains(&text, "Nog niet ingevuld");

    let mut protocol = sample::protocol();
    protocol.steps.clear();
    protocol.contacts.clear();
    protocol.numbers.clear();
    protocol.facts.clear();
    protocol.chapters.clear();
    protocol.route_intro.clear();
    protocol.introduction.blocks.clear();
    protocol.assessment.questions.clear();
    let pdf = render_blocking(&Document::Protocol(protocol)).unwrap();
    assert_pdf(&pdf);

    let report = Report {
        lang: meldroute_pdf::Lang::Nl,
        today: sample::today(),
        labels: sample::labels_nl(),
        title: String::new(),
        subtitle: String::new(),
        marking: String::new(),
        facts: vec![],
        sections: vec![ReportSection {
            heading: String::new(),
            blocks: vec![
                Block::Table { header: vec![], rows: vec![] },
                Block::List { ordered: true, items: vec![] },
                Block::Paragraph { inlines: vec![] },
                Block::Fields { fields: vec![] },
                Block::Note { title: None, inlines: vec![] },
            ],
        }],
        footer: String::new(),
    };
    assert_pdf(&render_blocking(&Document::Report(report)).unwrap());
}

#[test]
fn hostile_blocks_in_protocol_chapters_and_reports_are_text() {
    let hostile_blocks = vec![
        Block::heading(MARKUP),
        Block::rich(vec![
            Inline::text(SCRIPT),
            Inline::strong(MORE_MARKUP),
            Inline::emph(EMOJI),
            Inline::link("klik hier", "javascript:alert(1)"),
            Inline::link(MARKUP, "https://example.org/#panic()"),
        ]),
        Block::bullets([MARKUP, &long_word()]),
        Block::note(Some(MARKUP), SCRIPT),
        Block::Table {
            header: vec!["#panic()".into(), "b".into()],
            // A short row, a long row and a row with a long word.
            rows: vec![
                vec!["only one cell".into()],
                vec!["1".into(), "2".into(), "dropped".into()],
                vec![long_word(), long_field()],
            ],
        },
        Block::Fields { fields: vec![Field::new(MARKUP, SCRIPT)] },
    ];
    let mut protocol = sample::protocol();
    protocol.title = MARKUP.into();
    protocol.chapters.push(Chapter { title: MARKUP.into(), blocks: hostile_blocks.clone() });
    protocol.contacts.push(Contact {
        role: MARKUP.into(),
        name: None,
        phone: Some(SCRIPT.into()),
        email: None,
        note: Some(EMOJI.into()),
    });
    let text = pdf_text(&render_blocking(&Document::Protocol(protocol)).unwrap());
    assert_contains(&text, MARKUP);
    assert_contains(&text, SCRIPT);
    assert_contains(&text, "klik hier");
    assert_contains(&text, "only one cell");
    assert!(!common::flat(&text).contains("dropped"));

    let mut report = sample::report();
    report.title = MARKUP.into();
    report.sections.push(ReportSection { heading: SCRIPT.into(), blocks: hostile_blocks });
    let text = pdf_text(&render_blocking(&Document::Report(report)).unwrap());
    assert_contains(&text, MARKUP);
    assert_contains(&text, SCRIPT);
}

#[test]
fn a_very_long_report_spans_many_pages() {
    let mut report = sample::report();
    let rows: Vec<Vec<String>> = (0..400)
        .map(|i| {
            vec![format!("{:02}-10-2026", i % 28 + 1), "Leerkracht".into(), format!("Observatie {i}: {}", long_field())]
        })
        .take(60)
        .collect();
    report.sections.push(ReportSection {
        heading: "Alle observaties".into(),
        blocks: vec![Block::Table { header: vec!["Datum".into(), "Door".into(), "Observatie".into()], rows }],
    });
    let text = pdf_text(&render_blocking(&Document::Report(report)).unwrap());
    let pages = page_count(&text);
    assert!(pages >= 10, "{pages} pages");
    assert_contains(&text, "Observatie 59:");
    assert_contains(&text, &format!("Pagina {pages} van {pages}"));
}
