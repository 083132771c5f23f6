//! The pupil and dossier pages as users see them.

// Integration tests: helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::*;

fn dossier_link(page: &str) -> String {
    let start = page.find("href=\"/dossiers/").unwrap() + "href=\"".len();
    let end = page[start..].find('"').unwrap() + start;
    page[start..end].to_string()
}

fn pupil_link(list: &str, name: &str) -> String {
    let at = list.find(name).unwrap_or_else(|| panic!("{name} not in list"));
    let start = list[..at].rfind("href=\"/pupils/").unwrap() + "href=\"".len();
    let end = list[start..].find('"').unwrap() + start;
    list[start..end].to_string()
}

#[tokio::test]
async fn dossier_page_shows_chronology_next_step_and_who_looked() {
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let mut af = Browser::new(&server);
    af.login("af.po", &secret_of(&server, "af.po"));
    let list = af.get("/pupils");
    assert!(list.body.contains("Bram Bedacht"));
    assert!(!list.body.contains("Sanne Bedacht"), "a VO pupil is not in the PO list");
    let pupil = af.get(&pupil_link(&list.body, "Bram Bedacht"));
    assert_eq!(pupil.status, 200);
    let dossier_path = dossier_link(&pupil.body);
    let dossier = af.get(&dossier_path);
    assert_eq!(dossier.status, 200);
    // The chronology in order, with the engine's panel: a report was made, Veilig Thuis answers within 5
    // working days, question 3 is next, with Veilig Thuis.
    let body = &dossier.body;
    assert!(body.find("1. Signaal").unwrap() < body.find("2. Overleg").unwrap());
    assert!(body.contains("Melding bij Veilig Thuis"));
    assert!(body.contains("5 werkdagen"), "the Veilig Thuis deadline is shown");
    assert!(body.contains("Vraag 3"), "the next question is shown");
    // Filter by kind.
    let only = af.get(&format!("{dossier_path}?kind=assessment_answer"));
    assert!(only.body.contains("Antwoord afwegingskader") && !only.body.contains("1. Signaal"));

    // The access log names who looked.
    let log = af.get(&format!("{dossier_path}/access-log"));
    assert_eq!(log.status, 200);
    assert!(log.body.contains("Anouk Aandacht") && log.body.contains("dossier bekeken"), "{}", log.body);

    // The teacher opened this dossier herself, but the access log is for the aandachtsfunctionaris.
    let mut teacher = Browser::new(&server);
    teacher.login("leerkracht.po", &secret_of(&server, "leerkracht.po"));
    assert_eq!(teacher.get(&dossier_path).status, 200, "involved teacher reads the dossier");
    assert_eq!(teacher.get(&format!("{dossier_path}/access-log")).status, 404);
    let log = af.get(&format!("{dossier_path}/access-log"));
    assert!(log.body.contains("Lieke Leerkracht"), "the teacher's read is in the log");

    // The youth doctor sees the dossier shared with him, limited to the shared kinds, and nothing else.
    let mut partner = Browser::new(&server);
    partner.login("jeugdarts", &secret_of(&server, "jeugdarts"));
    let home = partner.get("/");
    assert!(home.body.contains("Noor Nepnaam"), "shared dossier listed on the start page");
    let shared = dossier_link(&home.body);
    let page = partner.get(&shared);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("beperkte weergave"), "clearly marked limited view");
    assert!(page.body.contains("Hulpplan") && !page.body.contains("Antwoord afwegingskader"), "only shared kinds");
    assert_eq!(partner.get(&dossier_path).status, 404, "an unshared dossier stays closed");
    assert_eq!(partner.get("/pupils").status, 404);

    // The aandachtsfunctionaris shares Bram's observations with the youth doctor, then stops sharing.
    let shares = af.get(&format!("{dossier_path}/shares"));
    assert_eq!(shares.status, 200);
    let csrf = Browser::csrf_of(&shares);
    let partner_id = {
        let marker = "<option value=\"";
        let at = shares.body.find("Jeroen Jeugdarts").unwrap();
        let start = shares.body[..at].rfind(marker).unwrap() + marker.len();
        shares.body[start..start + shares.body[start..].find('"').unwrap()].to_string()
    };
    let r = af.post(
        &format!("{dossier_path}/shares"),
        &[("_csrf", &csrf), ("partner", &partner_id), ("until", "2000-01-01"), ("kinds", "observation")],
    );
    assert_eq!(r.status, 422, "an end date in the past is refused");
    let until = format!("{}-12-31", time::OffsetDateTime::now_utc().year() + 1);
    let r = af.post(
        &format!("{dossier_path}/shares"),
        &[("_csrf", &csrf), ("partner", &partner_id), ("until", &until), ("kinds", "observation")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = partner.get(&dossier_path);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("1. Signaal") && !page.body.contains("Weging"), "only the shared kind");
    assert_eq!(teacher.get(&format!("{dossier_path}/shares")).status, 404, "teachers cannot share");
    let shares = af.get(&format!("{dossier_path}/shares"));
    let action = {
        let start = shares.body.find("/revoke\"").unwrap();
        let begin = shares.body[..start].rfind("action=\"").unwrap() + "action=\"".len();
        format!("{}/revoke", &shares.body[begin..start])
    };
    let r = af.post(&action, &[("_csrf", &Browser::csrf_of(&shares))]);
    assert_eq!(r.status, 303);
    assert_eq!(partner.get(&dossier_path).status, 404, "revoked at once");

    // English for a user who chose it.
    let mut en = Browser::new(&server);
    en.login("ib.po", &secret_of(&server, "ib.po"));
    let csrf = Browser::csrf_of(&en.get("/"));
    assert_eq!(en.post("/account/language", &[("_csrf", &csrf), ("lang", "en")]).status, 303);
    let page = en.get(&dossier_path);
    assert!(page.body.contains("<html lang=\"en\">") && page.body.contains("Next step"), "English page");
    env.finish().await;
}
