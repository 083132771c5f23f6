//! The route a school walks, through the HTML forms: a teacher opens a dossier from a first signal, the
//! IB-er consults and talks with the parents, the team weighs and answers the afwegingskader to a report,
//! the report is made (refused while a precondition is missing), Veilig Thuis answers, and the dossier is
//! followed and closed. Bad input comes back with the input kept and the problem named.

// Integration tests: helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::*;

fn link_to(page: &str, prefix: &str) -> String {
    let start = page.find(&format!("href=\"{prefix}")).unwrap_or_else(|| panic!("no link {prefix}")) + "href=\"".len();
    let end = page[start..].find('"').unwrap() + start;
    page[start..end].to_string()
}

fn pupil_path(list: &str, name: &str) -> String {
    let at = list.find(name).unwrap();
    let start = list[..at].rfind("href=\"/pupils/").unwrap() + "href=\"".len();
    let end = list[start..].find('"').unwrap() + start;
    list[start..end].to_string()
}

/// Posts an entry form of `kind` with `fields` (plus kind, token and the chronology position seen).
fn add(b: &mut Browser, dossier: &str, kind: &str, fields: &[(&str, &str)]) -> Response {
    let form = b.get(&format!("{dossier}/entries/new?kind={kind}"));
    assert_eq!(form.status, 200, "{kind} form: {}", form.body);
    let csrf = Browser::csrf_of(&form);
    let seen = {
        let marker = "name=\"seen_last_seq\" value=\"";
        let s = form.body.find(marker).unwrap() + marker.len();
        form.body[s..s + form.body[s..].find('"').unwrap()].to_string()
    };
    let mut all = vec![("_csrf", csrf.as_str()), ("kind", kind), ("seen_last_seq", seen.as_str())];
    all.extend_from_slice(fields);
    b.post(&format!("{dossier}/entries"), &all)
}

#[tokio::test]
async fn a_concern_from_signal_to_closing() {
    let Some(env) = Env::new(Backend::Sqlite).await else { return };
    let server = Server::start(&env, &["--demo"]);

    // The teacher opens a dossier for a pupil without one.
    let mut teacher = Browser::new(&server);
    teacher.login("leerkracht.po", &secret_of(&server, "leerkracht.po"));
    let list = teacher.get("/pupils");
    let pupil = pupil_path(&list.body, "Yara Verzonnen");
    let page = teacher.get(&pupil);
    let new = teacher.get(&link_to(&page.body, &format!("{pupil}/dossiers/new")));
    assert_eq!(new.status, 200);
    assert!(new.body.contains("Wat is gezien of gehoord"), "facts asked separately");
    assert!(!new.body.contains("lichamelijke mishandeling"), "no form of abuse asked up front");
    let csrf = Browser::csrf_of(&new);
    // Missing facts: refused at the field, input kept, nothing saved.
    let r = teacher.post(
        &format!("{pupil}/dossiers"),
        &[("_csrf", &csrf), ("facts", ""), ("interpretation", "Mijn zorg blijft"), ("source", "own_observation")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("f-facts-error") && r.body.contains("Mijn zorg blijft"), "{}", r.body);
    assert!(teacher.get(&pupil).body.contains("Er is geen dossier"), "nothing saved");
    // Over-long text is refused at the field.
    let long = "x".repeat(20_001);
    let r = teacher
        .post(&format!("{pupil}/dossiers"), &[("_csrf", &csrf), ("facts", &long), ("source", "own_observation")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("f-facts-error") && r.body.contains("te lang"), "too long named at the field");
    // A date in the future is refused too.
    let r = teacher.post(
        &format!("{pupil}/dossiers"),
        &[
            ("_csrf", &csrf),
            ("facts", "Blauwe plek op de wang"),
            ("source", "own_observation"),
            ("occurred_on", "2099-01-01"),
        ],
    );
    assert_eq!(r.status, 422);
    let r = teacher.post(
        &format!("{pupil}/dossiers"),
        &[
            ("_csrf", &csrf),
            ("facts", "Yara had een blauwe plek op haar wang en wilde niet zeggen hoe dat kwam."),
            ("source", "own_observation"),
            ("categories", "child_physical"),
            ("categories", "child_behaviour"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let dossier = r.header("location").unwrap().to_string();
    let page = teacher.get(&dossier);
    assert!(page.body.contains("blauwe plek op haar wang"));
    assert!(page.body.contains("lichamelijke signalen; gedrag van het kind"));
    // The teacher may not answer the afwegingskader.
    assert_eq!(teacher.get(&format!("{dossier}/entries/new?kind=assessment_answer")).status, 404, "no form for her");
    let csrf = Browser::csrf_of(&teacher.get(&format!("{dossier}/entries/new?kind=observation")));
    let r = teacher.post(
        &format!("{dossier}/entries"),
        &[
            ("_csrf", &csrf),
            ("kind", "assessment_answer"),
            ("question", "q1"),
            ("answer", "ja"),
            ("reasoning", "x"),
            ("answered_by", "ik"),
        ],
    );
    assert_eq!(r.status, 404, "a teacher cannot record afwegingskader answers");

    // The IB-er consults, talks with the parents and weighs; she was alerted in the app.
    let mut ib = Browser::new(&server);
    ib.login("ib.po", &secret_of(&server, "ib.po"));
    let home = ib.get("/");
    assert!(home.body.contains("class=\"badge\""), "unread count in the header");
    let alerts = ib.get("/notifications");
    assert!(alerts.body.contains(&format!("href=\"{dossier}\"")), "the new dossier is in her notifications");
    let csrf = Browser::csrf_of(&alerts);
    assert_eq!(ib.post("/notifications/read", &[("_csrf", &csrf)]).status, 303);
    assert!(!ib.get("/").body.contains("class=\"badge\""), "read");
    let r = add(
        &mut ib,
        &dossier,
        "consultation",
        &[("with", "veilig_thuis_advice"), ("anonymous", "on"), ("summary", "Anoniem advies gevraagd.")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = add(
        &mut ib,
        &dossier,
        "conversation",
        &[("with", "parents"), ("summary", "Moeder zegt dat Yara gevallen is.")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = add(
        &mut ib,
        &dossier,
        "weighing",
        &[
            ("participants", "IB\naandachtsfunctionaris"),
            ("nature", "Herhaald letsel"),
            ("severity", "Ernstig"),
            ("risk", "Hoog"),
            ("protective_factors", "Goede band met de juf"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);

    // The afwegingskader: out of order is refused with the question that comes first.
    let r = add(
        &mut ib,
        &dossier,
        "assessment_answer",
        &[
            ("question", "q2"),
            ("answer", "ja"),
            ("reasoning", "Herhaling"),
            ("answered_by", "team"),
            ("board_informed", "on"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Herhaling"), "input kept");
    // Doubt on question 3 is not allowed (tested later in the route); empty reasoning is refused.
    let r = add(
        &mut ib,
        &dossier,
        "assessment_answer",
        &[("question", "q1"), ("answer", "ja"), ("reasoning", ""), ("answered_by", "team"), ("board_informed", "on")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("f-reasoning-error"));
    let r = add(
        &mut ib,
        &dossier,
        "assessment_answer",
        &[
            ("question", "q1"),
            ("answer", "ja"),
            ("reasoning", "Meerdere signalen en het gesprek"),
            ("answered_by", "team"),
            ("board_informed", "on"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    // The wizard comes back with question 2 pre-selected.
    let wizard = ib.get(r.header("location").unwrap());
    assert!(wizard.body.contains("value=\"q2\" selected"), "next question pre-selected");
    let r = add(
        &mut ib,
        &dossier,
        "assessment_answer",
        &[
            ("question", "q2"),
            ("answer", "ja"),
            ("reasoning", "Structureel: het gebeurt vaker"),
            ("answered_by", "team"),
            ("board_informed", "on"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = ib.get(&dossier);
    assert!(page.body.contains("meldnorm 1"), "the engine says reporting is needed under meldnorm 1: {}", page.body);

    // The report refuses to save while the board is not informed.
    let date = today();
    let report = [
        ("reported_on", date.as_str()),
        ("reporter", "Ilse, intern begeleider"),
        ("facts", "Letsel en uitspraken"),
        ("by_phone", "on"),
        ("parents_informed", "yes"),
        ("pupil_informed", "yes"),
    ];
    let r = add(&mut ib, &dossier, "report", &report);
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("f-board_informed-error"),
        "the missing precondition is named at its field: {}",
        &r.body[r.body.find("error-summary").unwrap_or(0)..][..600]
    );
    let mut with_board = report.to_vec();
    with_board.push(("board_informed", "on"));
    let r = add(&mut ib, &dossier, "report", &with_board);
    assert_eq!(r.status, 303, "{}", r.body);
    let page = ib.get(&dossier);
    assert!(page.body.contains("5 werkdagen"), "Veilig Thuis's deadline runs");
    let tasks = ib.get("/tasks");
    assert_eq!(tasks.status, 200);
    assert!(
        tasks.body.contains("Yara Verzonnen") && tasks.body.contains("5 werkdagen"),
        "Mijn taken shows the deadline"
    );

    // Veilig Thuis answers; a follow-up evaluation; then the team closes.
    let r = add(
        &mut ib,
        &dossier,
        "veilig_thuis_feedback",
        &[
            ("received_on", &today()),
            ("route", "melding"),
            ("decision", "handed_to_local_team"),
            ("summary", "Overgedragen aan het wijkteam."),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r =
        add(&mut ib, &dossier, "evaluation", &[("summary", "Het gaat beter in de klas."), ("results_reached", "yes")]);
    assert_eq!(r.status, 303, "{}", r.body);
    // A correction: the original stays, struck through, with a link to the correction and its reason.
    let form = ib.get(&format!("{dossier}/entries/2/correct"));
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Anoniem advies gevraagd."), "pre-filled with the current content");
    let csrf = Browser::csrf_of(&form);
    let r = ib.post(
        &format!("{dossier}/entries/2/correct"),
        &[("_csrf", &csrf), ("reason", ""), ("with", "veilig_thuis_advice"), ("summary", "x")],
    );
    assert_eq!(r.status, 422, "a correction needs a reason");
    let r = ib.post(
        &format!("{dossier}/entries/2/correct"),
        &[
            ("_csrf", &csrf),
            ("reason", "Verkeerde samenvatting"),
            ("with", "veilig_thuis_advice"),
            ("anonymous", "on"),
            ("summary", "Anoniem advies gevraagd over letsel."),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = ib.get(&dossier);
    assert!(
        page.body.contains("entry corrected") && page.body.contains("Verkeerde samenvatting"),
        "struck through, with the reason"
    );
    assert!(page.body.contains("Anoniem advies gevraagd over letsel."));

    let page = ib.get(&dossier);
    for kind in ["Overleg", "Gesprek", "Weging", "Melding bij Veilig Thuis", "Terugkoppeling Veilig Thuis", "Evaluatie"]
    {
        assert!(page.body.contains(kind), "{kind} in the chronology");
    }

    // A teacher of the other school sees none of it, even with the URL typed by hand.
    let mut other = Browser::new(&server);
    other.login("mentor.vo", &secret_of(&server, "mentor.vo"));
    assert_eq!(other.get(&dossier).status, 404);
    assert_eq!(other.get(&pupil).status, 404);
    env.finish().await;
}

fn today() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!("{:04}-{:02}-{:02}", now.year(), now.month() as u8, now.day())
}
