//! The school's route map: read by staff, set by the aandachtsfunctionaris, versioned, and driving the
//! dossier's "who acts" panel and the alerts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::*;

/// The demo's primary school is location 1, the secondary school location 2.
const PO_MAP: &str = "/locations/1/route-map";
const VO_MAP: &str = "/locations/2/route-map";

fn pupil_path(list: &str, name: &str) -> String {
    let at = list.find(name).unwrap_or_else(|| panic!("{name} not in list"));
    let start = list[..at].rfind("href=\"/pupils/").unwrap() + "href=\"".len();
    let end = list[start..].find('"').unwrap() + start;
    list[start..end].to_string()
}

fn pdf_tool(tool: &str, pdf: &[u8], args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new(tool)
        .args(args)
        .arg(&file)
        .args(if tool == "pdftotext" { vec!["-"] } else { vec![] })
        .output()
        .unwrap_or_else(|e| panic!("{tool} (Debian poppler-utils, installed by test.sh): {e}"));
    assert!(out.status.success(), "{tool} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pdf_text(pdf: &[u8]) -> String {
    pdf_tool("pdftotext", pdf, &[])
}

fn pdf_pages(pdf: &[u8]) -> usize {
    let info = pdf_tool("pdfinfo", pdf, &[]);
    let line = info.lines().find(|l| l.starts_with("Pages:")).unwrap();
    line.trim_start_matches("Pages:").trim().parse().unwrap()
}

/// A complete, valid form for the route map, to be changed per test.
fn valid_form<'a>(csrf: &'a str, based_on: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("based_on", based_on),
        ("steps.0.actors", "medewerker"),
        ("steps.1.actors", "directeur"),
        ("steps.1.people", "Dirk Directeur (demo)\nMevrouw Zonder Account"),
        ("steps.1.agreements", "Overleg binnen twee dagen met de directeur."),
        ("steps.2.actors", "medewerker"),
        ("steps.3.actors", "ondersteuningsteam"),
        ("steps.4.actors", "directeur"),
        ("steps.5.actors", "medewerker"),
        ("lead.name", "Iemand Zonder Account"),
        ("lead.phone", "030-555 01 23"),
        ("lead.email", "aandacht@regenboog.example"),
        ("vt.region", "Veilig Thuis Voorbeeldregio"),
        ("vt.phone", "030-555 09 99"),
        ("partners.0.kind", "wijkteam"),
        ("partners.0.organisation", "Wijkteam Zuid"),
        ("partners.0.phone", "06-12345678"),
        ("partners.1.kind", "jeugdarts"),
        ("partners.1.organisation", ""),
        ("note", "Directeur in stap 2"),
    ]
}

async fn route_map_journey(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let server = Server::start(&env, &["--demo"]);

    // A teacher reads her school's route (the demo set version 1) with tel: links, and cannot change it.
    let mut teacher = Browser::new(&server);
    teacher.login("leerkracht.po", &secret_of(&server, "leerkracht.po"));
    let r = teacher.get("/route-maps");
    assert_eq!(r.status, 303, "one location: straight to its map");
    let page = teacher.get(PO_MAP);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Versie 1"), "{}", page.body);
    assert!(page.body.contains("href=\"tel:0305550999\""), "the regional Veilig Thuis number is a tel: link");
    assert!(page.body.contains("Wijkteam Voorbeeld-Noord"));
    assert!(!page.body.contains("/route-map/edit"), "no edit button for a teacher");
    assert_eq!(teacher.get(&format!("{PO_MAP}/edit")).status, 404);
    let csrf = Browser::csrf_of(&page);
    let form = valid_form(&csrf, "1");
    assert_eq!(teacher.post(PO_MAP, &form).status, 404, "a teacher cannot save a route map");
    // Another school's route map does not exist for her.
    assert_eq!(teacher.get(VO_MAP).status, 404);

    // The aandachtsfunctionaris edits. A step nobody acts on is refused with the step named, input kept.
    let mut af = Browser::new(&server);
    af.login("af.po", &secret_of(&server, "af.po"));
    let edit = af.get(&format!("{PO_MAP}/edit"));
    assert_eq!(edit.status, 200);
    assert!(edit.body.contains("Veilig Thuis Voorbeeldregio (fictief)"), "the form starts from the current version");
    let csrf = Browser::csrf_of(&edit);
    let mut form = valid_form(&csrf, "1");
    form.retain(|(k, _)| *k != "steps.3.actors");
    form.retain(|(k, _)| *k != "lead.phone");
    form.push(("lead.phone", "bel maar"));
    let r = af.post(PO_MAP, &form);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Stap 4 heeft niemand"), "{}", r.body);
    assert!(r.body.contains("id=\"steps-3-actors-error\""), "the error sits at the step");
    assert!(r.body.contains("geen geldig telefoonnummer") && r.body.contains("id=\"lead-phone-error\""));
    assert!(r.body.contains("Overleg binnen twee dagen met de directeur."), "input kept");
    assert!(af.get(PO_MAP).body.contains("Versie 1"), "nothing saved");

    // Valid: version 2, with the old one kept and readable.
    let form = valid_form(&csrf, "1");
    let r = af.post(PO_MAP, &form);
    assert_eq!(r.status, 303, "{}", r.body);
    let page = af.get(PO_MAP);
    assert!(page.body.contains("Versie 2") && page.body.contains("Directeur in stap 2"), "{}", page.body);
    assert!(page.body.contains("Wijkteam Zuid") && !page.body.contains("Wijkteam Voorbeeld-Noord"));
    assert!(page.body.contains("versions/1"), "history links to version 1");
    let old = af.get(&format!("{PO_MAP}/versions/1"));
    assert!(old.body.contains("Wijkteam Voorbeeld-Noord") && old.body.contains("eerdere versie"));
    assert_eq!(af.get(&format!("{PO_MAP}/versions/9")).status, 404);

    // Someone who edited version 1 cannot overwrite version 2: told so, input kept, nothing saved.
    let mut stale = valid_form(&csrf, "1");
    stale.push(("steps.0.agreements", "Mijn eigen afspraak"));
    let r = af.post(PO_MAP, &stale);
    assert_eq!(r.status, 409);
    assert!(r.body.contains("Iemand anders") && r.body.contains("Mijn eigen afspraak"));
    assert!(r.body.contains("name=\"based_on\" value=\"2\""), "the form now builds on the newest version");
    assert!(!af.get(PO_MAP).body.contains("Versie 3"));

    // The route adds to the alerts: step 2 is now the director's (named and by role), so a new dossier alerts
    // the director too; the location's IB-er and aandachtsfunctionaris are always alerted, whatever the route
    // says (an edited route map cannot silence a safeguarding alert).
    let list = teacher.get("/pupils");
    let pupil = pupil_path(&list.body, "Yara Verzonnen");
    let form = teacher.get(&format!("{pupil}/dossiers/new"));
    let csrf = Browser::csrf_of(&form);
    let r = teacher.post(
        &format!("{pupil}/dossiers"),
        &[("_csrf", &csrf), ("facts", "Yara kwam drie keer te laat en was stil."), ("source", "own_observation")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let dossier = r.header("location").unwrap().to_string();
    let mut director = Browser::new(&server);
    director.login("directeur.po", &secret_of(&server, "directeur.po"));
    let link = format!("href=\"{dossier}\"");
    assert!(director.get("/notifications").body.contains(&link), "the director acts in step 2: alerted");
    let mut ib = Browser::new(&server);
    ib.login("ib.po", &secret_of(&server, "ib.po"));
    assert!(ib.get("/notifications").body.contains(&link), "the IB-er is always alerted");
    let mut af_vo = Browser::new(&server);
    af_vo.login("af.vo", &secret_of(&server, "af.vo"));
    assert!(!af_vo.get("/notifications").body.contains(&link), "another school's lead is not");

    // The dossier's panel names who acts now and next, and which route version applied to each step.
    let page = teacher.get(&dossier);
    assert!(page.body.contains("Wie doet het volgens de routekaart"), "{}", page.body);
    assert!(page.body.contains("Dirk Directeur (demo)"), "step 2 names the director");
    assert!(page.body.contains("routekaart versie 2"), "step 1 was reached under version 2");

    // A new version of the route map shows on the next view of the same dossier (the server keeps the
    // history it read, and must notice the newer version).
    let edit = af.get(&format!("{PO_MAP}/edit"));
    let af_csrf = Browser::csrf_of(&edit);
    let mut form = valid_form(&af_csrf, "2");
    form.retain(|(k, _)| *k != "steps.1.people");
    form.push(("steps.1.people", "Nieuwe Directeur (fictief)"));
    assert_eq!(af.post(PO_MAP, &form).status, 303);
    let page = teacher.get(&dossier);
    assert!(page.body.contains("Nieuwe Directeur (fictief)") && !page.body.contains("Dirk Directeur (demo)"));
    assert!(page.body.contains("routekaart versie 2"), "step 1 was still reached under version 2");

    // The emergency page lists the school's own numbers from the route map, as tel: links.
    let page = teacher.get("/noodnummers");
    assert!(page.body.contains("href=\"tel:0305550999\""), "regional Veilig Thuis: {}", page.body);
    assert!(page.body.contains("href=\"tel:0612345678\"") && page.body.contains("Wijkteam Zuid"));
    let mut mentor = Browser::new(&server);
    mentor.login("mentor.vo", &secret_of(&server, "mentor.vo"));
    let page = mentor.get("/noodnummers");
    assert!(!page.body.contains("Wijkteam Zuid"), "another school's partners are not listed");
    assert!(page.body.contains("href=\"tel:112\""), "the national numbers always are");

    // The route card and the protocol as PDF, from the current version, with selectable text.
    for (path, pages, expected) in
        [("card.pdf", 2..=3, "Routekaart versie 3"), ("protocol.pdf", 8..=60, "Meldcodeprotocol huiselijk geweld")]
    {
        let r = teacher.get(&format!("{PO_MAP}/{path}"));
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some("application/pdf"));
        assert!(r.bytes.starts_with(b"%PDF-"), "{path} is a PDF");
        // Words as a reader sees them, whatever the columns and line breaks.
        let text = pdf_text(&r.bytes).split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains(expected), "{path}: {text}");
        assert!(text.contains("Wijkteam Zuid") && text.contains("030-555 09 99"), "{path}: route map data");
        assert!(text.contains("0800-2000") && text.contains("112"), "{path}: the numbers");
        let n = pdf_pages(&r.bytes);
        assert!(pages.contains(&n), "{path}: {n} pages");
    }
    assert!(pdf_text(&teacher.get(&format!("{PO_MAP}/protocol.pdf")).bytes).contains("Kindcheck"), "library chapters");
    // Another school's documents do not exist for her.
    assert_eq!(teacher.get(&format!("{VO_MAP}/card.pdf")).status, 404);
    assert_eq!(teacher.get("/locations/999/route-map/protocol.pdf").status, 404);

    // In English too.
    let page = af.get(PO_MAP);
    let csrf = Browser::csrf_of(&page);
    af.post("/account/language", &[("_csrf", &csrf), ("lang", "en")]);
    let page = af.get(PO_MAP);
    assert!(page.body.contains("Version 3") && page.body.contains("Who acts"), "{}", page.body);

    server.terminate();
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_route_map_journey() {
    route_map_journey(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_route_map_journey() {
    route_map_journey(Backend::Postgres).await;
}
