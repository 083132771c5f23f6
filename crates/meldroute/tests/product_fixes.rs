//! Product bugs found by the browser suite (`e2e/`), each pinned here so it stays fixed.

// Integration tests: helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::*;

/// The link starting with `prefix` (`/pupils/`, `/dossiers/`) nearest before the text `text`.
fn link_before(page: &str, text: &str, prefix: &str) -> String {
    let at = page.find(text).unwrap_or_else(|| panic!("{text} not on the page"));
    let start = page[..at].rfind(&format!("href=\"{prefix}")).unwrap() + "href=\"".len();
    let end = page[start..].find('"').unwrap() + start;
    page[start..end].to_string()
}

/// The first link starting with `prefix` after the text `text`.
fn link_after(page: &str, text: &str, prefix: &str) -> String {
    let at = page.find(text).unwrap_or_else(|| panic!("{text} not on the page"));
    let start = page[at..].find(&format!("href=\"{prefix}")).unwrap() + at + "href=\"".len();
    let end = page[start..].find('"').unwrap() + start;
    page[start..end].to_string()
}

/// The text of the field error `id` (`f-facts`), if any.
fn field_error(page: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}-error\">");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('<')? + start;
    Some(page[start..end].to_string())
}

#[tokio::test]
async fn form_errors_name_the_field_by_its_label_at_that_field() {
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &["--demo"]);

    // An empty first signal: the facts are named by their label, at the facts field.
    let mut teacher = Browser::new(&server);
    teacher.login("leerkracht.po", &secret_of(&server, "leerkracht.po"));
    let list = teacher.get("/pupils");
    let pupil = link_before(&list.body, "Fleur Fictief", "/pupils/");
    let form = teacher.get(&format!("{pupil}/dossiers/new"));
    assert_eq!(form.status, 200);
    let csrf = Browser::csrf_of(&form);
    let r = teacher.post(
        &format!("{pupil}/dossiers"),
        &[("_csrf", &csrf), ("facts", ""), ("source", "own_observation"), ("occurred_on", "")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(field_error(&r.body, "f-facts").as_deref(), Some("Dit veld is verplicht (Wat is gezien of gehoord)."));
    assert!(!r.body.contains("(facts)"), "the field code is shown: {}", r.body);

    // A help plan: a term in weeks without the number is named at the number; a term ending before its start
    // is named once, at the end date.
    let mut zorg = Browser::new(&server);
    zorg.login("zorg.vo", &secret_of(&server, "zorg.vo"));
    let list = zorg.get("/pupils");
    let pupil = zorg.get(&link_before(&list.body, "Noor Nepnaam", "/pupils/"));
    let dossier = link_after(&pupil.body, "dossier-list", "/dossiers/");
    let form = zorg.get(&format!("{dossier}/entries/new?kind=help_plan"));
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = Browser::csrf_of(&form);
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let post = |b: &mut Browser, extra: &[(&str, &str)]| {
        let mut fields = vec![
            ("_csrf", csrf.as_str()),
            ("kind", "help_plan"),
            ("goals", "x"),
            ("starts_on", today.as_str()),
            ("case_manager", "Zara"),
        ];
        fields.extend_from_slice(extra);
        b.post(&format!("{dossier}/entries"), &fields)
    };
    let r = post(&mut zorg, &[("term.unit", "weeks"), ("term.count", "")]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(field_error(&r.body, "f-term-count").as_deref(), Some("Dit veld is verplicht (Aantal)."), "{}", r.body);
    let r = post(&mut zorg, &[("term.unit", "weeks"), ("term.count", "0")]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(field_error(&r.body, "f-term-count").is_some_and(|e| e.contains("(Aantal)")), "{}", r.body);
    let r = post(&mut zorg, &[("term.unit", "until"), ("term.end", "2000-01-01")]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(field_error(&r.body, "f-term-end").as_deref(), Some("Deze datum ligt te vroeg (Einddatum)."));
    assert_eq!(r.body.matches("Deze datum ligt te vroeg").count(), 1, "shown once: {}", r.body);
    assert!(field_error(&r.body, "f-term-unit").is_none() && field_error(&r.body, "f-term-count").is_none());

    // The correction form names the field by its label too (the first entry is the first signal).
    let form = zorg.get(&format!("{dossier}/entries/1/correct"));
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("id=\"f-facts\""), "entry 1 is an observation");
    let csrf = Browser::csrf_of(&form);
    let r = zorg.post(
        &format!("{dossier}/entries/1/correct"),
        &[("_csrf", &csrf), ("facts", ""), ("source", "own_observation"), ("reason", "Tikfout.")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(field_error(&r.body, "f-facts").as_deref(), Some("Dit veld is verplicht (Wat is gezien of gehoord)."));
    env.finish().await;
}

#[tokio::test]
async fn not_found_keeps_the_logged_in_header_and_language_and_tells_nothing() {
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &["--demo"]);
    // A primary-school dossier, as its aandachtsfunctionaris sees it.
    let mut af = Browser::new(&server);
    af.login("af.po", &secret_of(&server, "af.po"));
    let list = af.get("/pupils");
    let pupil = af.get(&link_before(&list.body, "Bram Bedacht", "/pupils/"));
    let dossier = link_after(&pupil.body, "dossier-list", "/dossiers/");

    // A secondary-school mentor: the PO dossier is not hers; a dossier id that does not exist.
    let mut mentor = Browser::new(&server);
    mentor.login("mentor.vo", &secret_of(&server, "mentor.vo"));
    let not_hers = mentor.get(&dossier);
    let missing = mentor.get("/dossiers/987654321");
    let no_route = mentor.get("/no/such/page");
    for page in [&not_hers, &missing, &no_route] {
        assert_eq!(page.status, 404);
        assert!(page.body.contains("Pagina niet gevonden"), "{}", page.body);
        assert!(page.body.contains("Mehmet Mentor"), "her name is in the header: {}", page.body);
        assert!(page.body.contains("action=\"/logout\""), "the logout button is there");
        assert!(!page.body.contains("Bram"), "nothing of the dossier shows");
    }
    // "Not yours" and "does not exist" are the same page (apart from nothing).
    assert_eq!(not_hers.body, missing.body);

    // In her language.
    let csrf = Browser::csrf_of(&mentor.get("/"));
    assert_eq!(mentor.post("/account/language", &[("_csrf", &csrf), ("lang", "en")]).status, 303);
    let page = mentor.get(&dossier);
    assert_eq!(page.status, 404);
    assert!(page.body.contains("<html lang=\"en\">") && page.body.contains("Page not found"), "{}", page.body);
    assert!(page.body.contains("Mehmet Mentor"));
    env.finish().await;
}

#[tokio::test]
async fn a_refused_form_token_gives_a_readable_page_and_saves_nothing() {
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let mut zorg = Browser::new(&server);
    zorg.login("zorg.vo", &secret_of(&server, "zorg.vo"));
    let list = zorg.get("/pupils");
    let pupil = zorg.get(&link_before(&list.body, "Noor Nepnaam", "/pupils/"));
    let dossier = link_after(&pupil.body, "dossier-list", "/dossiers/");
    let before = zorg.get(&dossier).body.matches("class=\"entry").count();
    let summary = "Dit overleg mag niet opgeslagen worden.";
    let form_path = format!("{dossier}/entries/new?kind=consultation");
    let fields = [
        ("_csrf", "0".repeat(32)),
        ("kind", "consultation".into()),
        ("with", "colleague".into()),
        ("summary", summary.into()),
    ];
    let body = serde_urlencoded::to_string(fields).unwrap();
    let origin = format!("http://{}", server.addr);
    let referer = format!("http://{}{form_path}", server.addr);
    let cookie = zorg.cookie.clone().unwrap();
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Origin", origin.as_str()),
        ("Referer", referer.as_str()),
        ("Cookie", cookie.as_str()),
    ];
    let r = request(&server.addr, "POST", &format!("{dossier}/entries"), &headers, Some(&body));
    assert_eq!(r.status, 403);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/html")), "{:?}", r.headers);
    assert!(
        r.body.contains("Formulier niet verwerkt") && r.body.contains("Dit formulier is niet opgeslagen"),
        "{}",
        r.body
    );
    assert!(r.body.contains("action=\"/logout\"") && r.body.contains("Zara"), "the logged-in header: {}", r.body);
    assert!(
        r.body.contains(&format!("href=\"{}\"", form_path.replace('&', "&amp;")))
            || r.body.contains(&format!("href=\"{form_path}\"")),
        "a link back to the form: {}",
        r.body
    );
    assert!(!r.body.contains(summary), "the refusal shows nothing of the form");
    // A referer from elsewhere is not linked.
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Origin", origin.as_str()),
        ("Referer", "https://evil.example/dossiers/1"),
        ("Cookie", cookie.as_str()),
    ];
    let r = request(&server.addr, "POST", &format!("{dossier}/entries"), &headers, Some(&body));
    assert_eq!(r.status, 403);
    assert!(!r.body.contains("evil.example") && !r.body.contains("Terug naar het formulier"));
    // Nothing was saved.
    assert_eq!(zorg.get(&dossier).body.matches("class=\"entry").count(), before);
    assert!(!zorg.get(&dossier).body.contains(summary));
    env.finish().await;
}

#[tokio::test]
async fn forms_show_preparation_checklists_next_to_them() {
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let mut zorg = Browser::new(&server);
    zorg.login("zorg.vo", &secret_of(&server, "zorg.vo"));
    let list = zorg.get("/pupils");
    let pupil = zorg.get(&link_before(&list.body, "Noor Nepnaam", "/pupils/"));
    let dossier = link_after(&pupil.body, "dossier-list", "/dossiers/");

    // A conversation whose kind is not chosen yet: both lists, in the guidance aside, not as inputs.
    let form = zorg.get(&format!("{dossier}/entries/new?kind=conversation"));
    assert_eq!(form.status, 200);
    let aside = &form.body[form.body.find("<aside class=\"guidance\"").unwrap()..];
    assert!(aside.contains("Voorbereiden: gesprek met de leerling"), "{aside}");
    assert!(aside.contains("Voorbereiden: gesprek met de ouders"), "{aside}");
    assert!(aside.contains("Beloof geen geheimhouding"), "{aside}");
    assert!(aside.contains("Vertel eerst de feiten"), "{aside}");
    assert!(!aside[..aside.find("</aside>").unwrap()].contains("<input"), "the checklist is not a form");

    // A refused conversation with the parents keeps only the parents' list.
    let csrf = Browser::csrf_of(&form);
    let r = zorg.post(
        &format!("{dossier}/entries"),
        &[("_csrf", &csrf), ("kind", "conversation"), ("with", "parents"), ("summary", "")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Voorbereiden: gesprek met de ouders"));
    assert!(!r.body.contains("Voorbereiden: gesprek met de leerling"));

    // The Kindcheck and the report have theirs; an observation none.
    let kindcheck = zorg.get(&format!("{dossier}/entries/new?kind=kindcheck"));
    assert!(kindcheck.body.contains("Kindcheck: denk aan de kinderen"));
    let report = zorg.get(&format!("{dossier}/entries/new?kind=report"));
    assert!(report.body.contains("Melden zonder toestemming: vijf vragen"), "{}", report.body);
    let observation = zorg.get(&format!("{dossier}/entries/new?kind=observation"));
    assert!(!observation.body.contains("class=\"checklist\""));
    env.finish().await;
}
