//! The naslagwerk (reference library), the emergency bar and `/noodnummers`, as a browser sees them on the
//! real binary: public without a session, Dutch and English, search with odd input, and the links from
//! the dossier forms landing on an existing subsection.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::*;

/// The emergency bar: a labelled landmark with both numbers as `tel:` links and the link to the page.
fn assert_emergency_bar(body: &str, page: &str) {
    assert!(body.contains("<nav class=\"emergency-bar\" aria-label=\""), "{page}: no emergency bar");
    assert!(body.contains("href=\"tel:112\""), "{page}: no 112 link");
    assert!(body.contains("href=\"tel:08002000\""), "{page}: no Veilig Thuis link");
    assert!(body.contains("href=\"/noodnummers\""), "{page}: no link to the numbers page");
    assert!(body.contains("href=\"/naslag\""), "{page}: no link to the naslagwerk in the header");
}

fn href_after(body: &str, text: &str) -> String {
    let at = body.find(text).unwrap_or_else(|| panic!("{text} not on page"));
    let start = body[..at].rfind("href=\"").unwrap() + "href=\"".len();
    let end = start + body[start..].find('"').unwrap();
    body[start..end].to_string()
}

#[tokio::test]
async fn the_library_is_public_bilingual_linkable_and_searchable() {
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &[]);

    // The index, without a session, and no session is created for it.
    let index = server.get("/naslag");
    assert_eq!(index.status, 200);
    assert!(index.header("set-cookie").is_none(), "reading the library starts no session");
    assert!(index.body.contains("<html lang=\"nl\""));
    assert_emergency_bar(&index.body, "/naslag");
    for slug in meldroute_guidance::slugs() {
        assert!(index.body.contains(&format!("href=\"/naslag/{slug}\"")), "index lists {slug}");
    }
    assert!(index.body.contains("action=\"/naslag/zoeken\""), "the search form is on the index");

    // A section in Dutch, with its anchors, and in English with the same anchors.
    let nl = server.get("/naslag/afwegingskader");
    assert_eq!(nl.status, 200);
    assert!(nl.body.contains("<h1>Het afwegingskader en de meldnormen</h1>"));
    assert!(nl.body.contains("id=\"vraag-2\"") && nl.body.contains("id=\"meldnormen\""));
    assert!(nl.body.contains("href=\"/naslag/melden\""), "internal links");
    assert!(nl.body.contains("href=\"tel:112\">112</a>"), "a phone link in the content");
    let en = server.get("/naslag/afwegingskader?lang=en");
    assert_eq!(en.status, 200);
    assert!(en.body.contains("<html lang=\"en\""));
    assert!(en.body.contains("<h1>The afwegingskader and the meldnormen</h1>"));
    assert!(en.body.contains("id=\"vraag-2\"") && en.body.contains("id=\"meldnormen\""));
    assert!(en.body.contains("href=\"/naslag/melden?lang=en\""), "the chosen language sticks to internal links");
    assert!(en.body.contains("hreflang=\"nl\""), "a switch back to Dutch");
    assert_emergency_bar(&en.body, "/naslag/afwegingskader?lang=en");
    // Every section renders in both languages.
    for slug in meldroute_guidance::slugs() {
        for lang in ["nl", "en"] {
            let r = server.get(&format!("/naslag/{slug}?lang={lang}"));
            assert_eq!(r.status, 200, "{slug} {lang}");
            assert!(!r.body.contains("<script"), "{slug}: no script on a library page");
        }
    }
    // Unknown section: the readable not-found page.
    let missing = server.get("/naslag/bestaat-niet");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("<html"));

    // Search: accents ignored, match marked, link to the subsection.
    let hit = server.get("/naslag/zoeken?q=geinformeerd");
    assert_eq!(hit.status, 200);
    assert!(hit.body.contains("<mark>geïnformeerd</mark>"), "{}", hit.body);
    assert!(hit.body.contains("href=\"/naslag/afwegingskader#vraag-1\""));
    let en_hit = server.get("/naslag/zoeken?q=secrecy&lang=en");
    assert!(en_hit.body.contains("<mark>secrecy</mark>") && en_hit.body.contains("?lang=en#geheimhouding"));
    assert!(en_hit.body.contains("name=\"lang\" value=\"en\""), "the search form keeps the language");
    // Odd queries: a clear message on a normal page, never an error, never reflected unescaped.
    let long = "a".repeat(150);
    for (q, expect) in [
        ("", "Vul een zoekwoord in"),
        ("%20%20", "Vul een zoekwoord in"),
        ("%2A%2A%2A", "minstens één woord"),
        ("%FF%FE", "minstens één woord"),
        (long.as_str(), "te lang"),
        ("%3Cscript%3Ealert(1)%3C%2Fscript%3E", "Niets gevonden"),
        ("qqqxxyz", "Niets gevonden"),
    ] {
        let r = server.get(&format!("/naslag/zoeken?q={q}"));
        assert_eq!(r.status, 200, "q={q}");
        assert!(r.body.contains(expect), "q={q}: expected {expect:?}");
        assert!(!r.body.contains("<script>alert"), "q={q} is escaped");
    }
    let r = server.get("/naslag/zoeken");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Vul een zoekwoord in"));
    let r = server.get("/naslag/zoeken?q=a&q=b&lang=xx&lang=en");
    assert_eq!(r.status, 200, "repeated and unknown parameters are tolerated");

    // The emergency numbers page.
    let numbers = server.get("/noodnummers");
    assert_eq!(numbers.status, 200);
    assert!(numbers.body.contains("<a class=\"button call-button\" href=\"tel:112\">"));
    assert!(numbers.body.contains("<a class=\"button call-button\" href=\"tel:08002000\">"));
    assert!(numbers.body.contains("Na het inloggen ziet u hier ook de nummers van uw eigen school."));
    let numbers_en = server.get("/noodnummers?lang=en");
    assert!(numbers_en.body.contains("Call 112"));

    // The bar is on the login page and on other public pages.
    for path in ["/login", "/", "/noodnummers", "/naslag/zoeken?q=melden", "/nergens"] {
        assert_emergency_bar(&server.get(path).body, path);
    }
    // The print stylesheet hides the chrome.
    let css = server.get("/static/app.css").body;
    let print = &css[css.find("@media print").unwrap()..];
    for chrome in [".emergency-bar", ".site-header", ".site-footer", ".library-tools"] {
        assert!(print.contains(chrome), "{chrome} is hidden in print");
    }
    env.finish().await;
}

#[tokio::test]
async fn logged_in_pages_have_the_bar_and_form_links_land_on_a_subsection() {
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let mut af = Browser::new(&server);
    af.login("af.po", &secret_of(&server, "af.po"));

    let home = af.get("/");
    assert_eq!(home.status, 200);
    assert_emergency_bar(&home.body, "home");

    // A dossier page.
    let list = af.get("/pupils");
    let at = list.body.find("Bram Bedacht").unwrap();
    let start = list.body[..at].rfind("href=\"/pupils/").unwrap() + "href=\"".len();
    let pupil_path = list.body[start..start + list.body[start..].find('"').unwrap()].to_string();
    let pupil = af.get(&pupil_path);
    let start = pupil.body.find("href=\"/dossiers/").unwrap() + "href=\"".len();
    let dossier_path = pupil.body[start..start + pupil.body[start..].find('"').unwrap()].to_string();
    let dossier = af.get(&dossier_path);
    assert_eq!(dossier.status, 200);
    assert_emergency_bar(&dossier.body, "dossier");

    // Every entry form the dossier offers links to an existing subsection of the naslagwerk.
    let mut forms = Vec::new();
    let mut rest = dossier.body.as_str();
    while let Some(i) = rest.find("/entries/new?kind=") {
        let start = i + "/entries/new?kind=".len();
        let end = start + rest[start..].find('"').unwrap();
        forms.push(rest[start..end].to_string());
        rest = &rest[end..];
    }
    forms.sort();
    forms.dedup();
    assert!(forms.len() >= 5, "the dossier offers several entry forms: {forms:?}");
    let first_signal = pupil_path.clone() + "/dossiers/new";
    let mut pages: Vec<String> = forms.iter().map(|k| format!("{dossier_path}/entries/new?kind={k}")).collect();
    pages.push(first_signal);
    for page in pages {
        let form = af.get(&page);
        assert_eq!(form.status, 200, "{page}");
        assert_emergency_bar(&form.body, &page);
        let href = href_after(&form.body, "Meer hierover in het naslagwerk");
        let (path, anchor) = href.split_once('#').unwrap_or_else(|| panic!("{page}: {href} has no anchor"));
        assert!(path.starts_with("/naslag/"), "{page}: {href}");
        let target = af.get(path);
        assert_eq!(target.status, 200, "{page}: {href}");
        assert!(target.body.contains(&format!("id=\"{anchor}\"")), "{page}: {href} has no such anchor");
    }
    let conversation = af.get(&format!("{dossier_path}/entries/new?kind=conversation"));
    if conversation.status == 200 {
        assert!(
            href_after(&conversation.body, "Meer hierover in het naslagwerk").starts_with("/naslag/gesprek-ouders#")
        );
    }

    // The numbers page for a logged-in user: the school's numbers from its route map (the demo primary
    // school has one; tests/route_map.rs checks the numbers themselves).
    let numbers = af.get("/noodnummers");
    assert_eq!(numbers.status, 200);
    assert!(numbers.body.contains("Veilig Thuis Voorbeeldregio"), "{}", numbers.body);
    // The library keeps the user's header (still logged in) and language.
    let lib = af.get("/naslag/stappen");
    assert_eq!(lib.status, 200);
    assert!(lib.body.contains("action=\"/logout\""), "the user's header stays on public pages");
    env.finish().await;
}
