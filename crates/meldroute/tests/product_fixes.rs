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
    env.finish().await;
}
