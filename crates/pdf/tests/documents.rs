#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Each document renders from the sample data, with the expected pages and text.

mod common;

use common::{assert_contains, assert_pdf, page_count, pdf_text};
use meldroute_pdf::{Document, Lang, render_blocking, sample};

#[test]
fn route_card_has_two_pages_with_the_route_numbers_and_partners() {
    let pdf = render_blocking(&Document::RouteCard(sample::route_card())).unwrap();
    assert_pdf(&pdf);
    let text = pdf_text(&pdf);
    assert_eq!(page_count(&text), 2, "the route card is two A4 pages");
    for needle in [
        "Openbare basisschool De Regenboog",
        "Locatie Zuid",
        "Routekaart versie 3 · 22 november 2026",
        "Signalen in kaart brengen",
        "Collegiale consultatie en Veilig Thuis raadplegen",
        "Gesprek met leerling en ouders",
        "Wegen van het geweld",
        "Beslissen: melden en/of hulp organiseren",
        "Volgen en evalueren",
        "forensisch arts",
        "Sanne de Vries",
        "Petra Bakker",
        "112",
        "0800-2000",
        "088 555 0180",
        "Vermoeden",
        "Veiligheid",
        "Hulp mogelijk",
        "Hulp aanvaard",
        "Resultaat",
        "Ja of twijfel",
        "Meldnormen: melden is nodig",
        "Zoë Hoogeveen",
        "René Jansen",
        "Noël Visser",
        "jgz@ggd-waterland.example",
        "Verwijsindex Risicojongeren",
        "Pagina 1 van 2",
        "Pagina 2 van 2",
    ] {
        assert_contains(&text, needle);
    }
    // The six step titles come in order.
    let flat = common::flat(&text);
    let positions: Vec<usize> = sample::steps().iter().map(|s| flat.find(&s.title).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "steps out of order");
}

#[test]
fn protocol_has_title_page_contents_chapters_and_running_footer() {
    let pdf = render_blocking(&Document::Protocol(sample::protocol())).unwrap();
    assert_pdf(&pdf);
    let text = pdf_text(&pdf);
    let pages = page_count(&text);
    assert!((7..=20).contains(&pages), "protocol has {pages} pages");
    let page_texts: Vec<&str> = text.split('\u{c}').collect();
    // Title page: title, school, facts, no page footer.
    assert_contains(page_texts[0], "Meldcodeprotocol huiselijk geweld en kindermishandeling");
    assert_contains(page_texts[0], "Vastgesteld door");
    assert!(!page_texts[0].contains("Pagina 1 van"));
    // Contents on page 2 lists the chapters.
    assert_contains(page_texts[1], "Inhoud");
    for chapter in [
        "Inleiding",
        "De route in zes stappen",
        "Afwegingskader: melden en/of hulp organiseren",
        "Partners en contactgegevens",
        "Signalen herkennen",
        "Het gesprek met de leerling",
        "Het gesprek met ouders",
        "De melding bij Veilig Thuis",
    ] {
        assert_contains(page_texts[1], chapter);
        assert_contains(&page_texts[2..].join(" "), chapter);
    }
    // Running footer with version, date and page numbers.
    assert_contains(page_texts[2], "Meldcodeprotocol De Regenboog · versie 3 · 22 november 2026");
    assert_contains(page_texts[2], &format!("Pagina 3 van {pages}"));
    for needle in [
        "Stap 1 · Signalen in kaart brengen",
        "Stap 6 · Volgen en evalueren",
        "Meldnormen: melden is nodig",
        "Veilig Thuis besluit binnen 5 werkdagen",
        "Zoë Hoogeveen",
        "Kindcheck",
        "Persoonsgegevens van het gezin en de melder",
        "veiligthuis.nl",
        "één leerling per klas",
    ] {
        assert_contains(&text, needle);
    }
}

#[test]
fn report_renders_facts_tables_and_fields() {
    let pdf = render_blocking(&Document::Report(sample::report())).unwrap();
    assert_pdf(&pdf);
    let text = pdf_text(&pdf);
    assert_eq!(page_count(&text), 1);
    for needle in [
        "VERTROUWELIJK",
        "Samenvatting voor Veilig Thuis",
        "2026-014",
        "Observaties",
        "15-09-2026",
        "Blauwe plek op de bovenarm",
        "Vraag 2 · Veiligheid",
        "Pagina 1 van 1",
    ] {
        assert_contains(&text, needle);
    }
}

#[test]
fn english_labels_render() {
    let mut card = sample::route_card();
    card.lang = Lang::En;
    card.labels = sample::labels_en();
    let text = pdf_text(&render_blocking(&Document::RouteCard(card)).unwrap());
    assert_contains(&text, "Page 1 of 2");
    assert_contains(&text, "AGREEMENTS");
}

#[test]
fn output_is_deterministic_for_the_same_input_and_date() {
    let doc = Document::Protocol(sample::protocol());
    let a = render_blocking(&doc).unwrap();
    let b = render_blocking(&doc).unwrap();
    assert!(a == b, "two renders of the same input differ");

    let mut later = sample::protocol();
    later.today = later.today.next_day().unwrap();
    let c = render_blocking(&Document::Protocol(later)).unwrap();
    assert!(a != c, "the date is part of the output (creation date)");
}

#[test]
fn fonts_are_embedded_and_dutch_characters_extract() {
    assert_eq!(meldroute_pdf::embedded_font_count(), 7);
    let pdf = render_blocking(&Document::RouteCard(sample::route_card())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = std::process::Command::new("pdffonts").arg(&path).output().expect("pdffonts (poppler-utils) is needed");
    let fonts = String::from_utf8(out.stdout).unwrap();
    assert!(fonts.contains("Inter"), "{fonts}");
    // Every font line says emb = yes (column "emb").
    for line in fonts.lines().skip(2) {
        assert!(line.contains(" yes "), "font not embedded: {line}");
    }
    let text = pdf_text(&pdf);
    for word in ["Zoë", "René", "Noël", "geïnformeerd"] {
        assert!(common::squeezed(&text).contains(word), "{word} missing from the text");
    }
}
