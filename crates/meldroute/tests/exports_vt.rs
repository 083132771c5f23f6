//! Issue 7 parts 1 and 2: the summary for Veilig Thuis (page, plain text, PDF) and the anonymous
//! consultation summary, on SQLite and PostgreSQL, plus the `meldroute anonymize` command.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use meldroute_database::Database;
use meldroute_domain::*;
use meldroute_store::*;
use meldroute_web::dossiers::{self, Draft};
use support::*;
use time::macros::date;

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext (Debian poppler-utils, installed by test.sh): {e}"));
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What must never appear in the anonymous summary.
const IDENTIFYING: &[&str] = &[
    "Daan",
    "Vries",
    "Marloes",
    "Vechtstraat",
    "3523",
    "06-12345678",
    "marloes.devries",
    "111222333",
    "4471203",
    "3 maart",
    "Utrecht",
    "Ilse",
    "Sanne",
    "Jansen",
];

/// A dossier like the demo's, with identifying details in its free text.
async fn plant(db: &Database) -> (DossierId, OrgId) {
    let (writer, task) = db.spawn_writer();
    let now = time::OffsetDateTime::now_utc();
    let ib = db.find_user_by_login("ib.po").await.unwrap().unwrap();
    let t = TenantCtx::new(ib.org);
    let po = db.list_locations(&t).await.unwrap().into_iter().find(|l| l.sector == Sector::Po).unwrap();
    let pupil = db
        .create_pupil(
            &t,
            NewPupil {
                location: po.id,
                group: None,
                first_name: "Daan".into(),
                last_name: "de Vries".into(),
                date_of_birth: Some(date!(2016 - 05 - 14)),
                family: None,
                external_ref: Some("4471203".into()),
                created_at: now,
            },
        )
        .await
        .unwrap();
    let draft = |body: EntryBody| Draft { author: ib.id, body, occurred_on: None };
    let d = dossiers::open(
        db,
        &writer,
        &t,
        pupil.id,
        Draft {
            author: ib.id,
            occurred_on: Some(now.date() - time::Duration::days(3)),
            body: EntryBody::Observation(Observation {
                facts: "Daan kwam op 3 maart 2026 met een BLAUWE-PLEK-FEIT op zijn wang binnen. Zijn moeder \
                        Marloes de Vries belde vanaf 06-12345678; zij woont aan de Vechtstraat 12, 3523 AB Utrecht. \
                        Mail: marloes.devries@example.nl, BSN 111222333. Juf Sanne Jansen zag het ook."
                    .into(),
                interpretation: Some("INTERPRETATIE-ZORG: ik vermoed dat het thuis niet veilig is.".into()),
                source: SignalSource::OwnObservation,
                source_detail: None,
                categories: vec![SignalCategory::ChildPhysical],
                also_noticed_by: vec![],
                concerns_staff_sexual_misconduct: false,
            }),
        },
    )
    .await
    .unwrap();
    for body in [
        EntryBody::Consultation(Consultation {
            with: ConsultationKind::VeiligThuisAdvice,
            with_whom: None,
            anonymous: true,
            summary: "CONSULTATIE-VT: advies om met moeder te praten.".into(),
            advice: Some("Signalen concreet benoemen.".into()),
        }),
        EntryBody::Conversation(Conversation {
            with: ConversationWith::Parents,
            summary: "GESPREK-OUDERS met Marloes de Vries over de plek.".into(),
            reactions: Some("REACTIE-MOEDER: Daan is van de trap gevallen.".into()),
            agreements: None,
            follow_up_on: None,
        }),
        EntryBody::Weighing(Weighing {
            participants: vec!["Ilse Intern-Begeleider".into()],
            nature: "lichamelijk".into(),
            severity: "matig".into(),
            risk: "herhaling".into(),
            protective_factors: "BESCHERMEND-OMA: oma woont dichtbij en is betrokken.".into(),
            veilig_thuis_judgement_asked: false,
            veilig_thuis_judgement: None,
            instrument: None,
            approach: None,
        }),
        EntryBody::AssessmentAnswer(AssessmentAnswer {
            question: Question::Q1,
            answer: Answer::Ja,
            reasoning: "REDEN-VRAAG-1: herhaalde letsels zonder passende verklaring.".into(),
            answered_by: "Ilse Intern-Begeleider".into(),
            with_veilig_thuis: false,
            board_informed: true,
        }),
    ] {
        dossiers::append(dossiers::Io { db, writer: &writer, cache: &Default::default() }, &t, d, draft(body), None)
            .await
            .unwrap();
    }
    drop(writer);
    task.await.unwrap();
    (d, ib.org)
}

fn textarea(body: &str) -> String {
    let start = body.find("id=\"anon-text\"").unwrap();
    let open = body[start..].find('>').unwrap() + start + 1;
    let close = body[open..].find("</textarea>").unwrap() + open;
    body[open..close].to_string()
}

async fn summaries(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let url = match &env.pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", env.data_dir().join("meldroute.db").display()),
    };
    let db = Database::connect(&url).await.unwrap();
    let (d, org) = plant(&db).await;
    let base = format!("/dossiers/{}", d.0);

    let mut ib = Browser::new(&server);
    ib.login("ib.po", &secret_of(&server, "ib.po"));

    // The dossier page links both summaries.
    let page = ib.get(&base);
    assert!(page.body.contains(&format!("{base}/report-summary")), "no link to the report summary");
    assert!(page.body.contains(&format!("{base}/anonymous-summary")), "no link to the anonymous summary");

    // The HTML page: facts apart from interpretation, links to both downloads.
    let html = ib.get(&format!("{base}/report-summary"));
    assert_eq!(html.status, 200);
    for needle in [
        "BLAUWE-PLEK-FEIT",
        "INTERPRETATIE-ZORG",
        "REDEN-VRAAG-1",
        "BESCHERMEND-OMA",
        "report-summary.pdf",
        "report-summary.txt",
    ] {
        assert!(html.body.contains(needle), "report page lacks {needle}");
    }
    assert!(html.body.find("BLAUWE-PLEK-FEIT").unwrap() < html.body.find("INTERPRETATIE-ZORG").unwrap());

    // The PDF, read back as Veilig Thuis would.
    let pdf = ib.get(&format!("{base}/report-summary.pdf"));
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.header("cache-control").unwrap().contains("no-store"));
    let text = pdf_text(&pdf.bytes);
    for needle in [
        "Samenvatting voor Veilig Thuis",
        "Daan de Vries",
        "BLAUWE-PLEK-FEIT",
        "INTERPRETATIE-ZORG",
        "CONSULTATIE-VT",
        "REACTIE-MOEDER",
        "BESCHERMEND-OMA",
        "REDEN-VRAAG-1",
        "Afwegingskader",
        "Bevoegd gezag",
    ] {
        assert!(text.contains(needle), "PDF lacks {needle}:\n{text}");
    }

    // The plain text, to read out on the phone.
    let txt = ib.get(&format!("{base}/report-summary.txt"));
    assert_eq!(txt.status, 200);
    assert!(txt.header("content-type").unwrap().starts_with("text/plain"));
    for needle in [
        "Leerling: Daan de Vries",
        "Geboortedatum: 14-05-2016",
        "Leerlingnummer: 4471203",
        "Wie meldt: niet vastgelegd",
        "Bevoegd gezag op de hoogte: ja",
        "Feiten, in volgorde van tijd",
        "Gezien of gehoord: Daan kwam",
        "Reden: REDEN-VRAAG-1",
        "Beschermende factoren: BESCHERMEND-OMA",
    ] {
        assert!(txt.body.contains(needle), "text lacks {needle}:\n{}", txt.body);
    }

    // The anonymous summary: the facts stay, the identifiers go.
    let anon = ib.get(&format!("{base}/anonymous-summary"));
    assert_eq!(anon.status, 200);
    let copy = textarea(&anon.body);
    for needle in
        ["BLAUWE-PLEK-FEIT", "REDEN-VRAAG-1", "[kind]", "[telefoonnummer]", "[e-mailadres]", "[adres]", "[BSN]"]
    {
        assert!(copy.contains(needle), "anonymous text lacks {needle}:\n{copy}");
    }
    for gone in IDENTIFYING {
        assert!(!copy.contains(gone), "anonymous text still holds {gone}:\n{copy}");
    }
    assert!(anon.body.contains("<mark class=\"anon anon-pupil\""), "replacements are not highlighted");
    assert!(!anon.body.contains("<script"), "no inline script");

    // Rare details are removed on request, nothing is stored; the download is the same text.
    let csrf = Browser::csrf_of(&anon);
    let again = ib.post(&format!("{base}/anonymous-summary"), &[("_csrf", &csrf), ("rare", "blauwe-plek-feit\n")]);
    assert_eq!(again.status, 200);
    let copy2 = textarea(&again.body);
    assert!(!copy2.contains("BLAUWE-PLEK-FEIT") && copy2.contains("[detail weggelaten]"), "{copy2}");
    let download = ib.post(
        &format!("{base}/anonymous-summary"),
        &[("_csrf", &csrf), ("rare", "blauwe-plek-feit"), ("download", "1")],
    );
    assert_eq!(download.status, 200);
    assert!(download.header("content-disposition").unwrap().contains("attachment"));
    for gone in IDENTIFYING.iter().chain(&["BLAUWE-PLEK-FEIT"]) {
        assert!(!download.body.contains(gone), "download still holds {gone}");
    }
    // Without the form token nothing happens.
    let forged = ib.post(&format!("{base}/anonymous-summary"), &[("rare", "x")]);
    assert_ne!(forged.status, 200);

    // A teacher of another school, and a teacher of this school who is not involved: the standard 404.
    // The page carries the user's own name and form token, so compare with the same user's 404 for a dossier
    // that does not exist.
    for login in ["mentor.vo", "leerkracht.po"] {
        let mut other = Browser::new(&server);
        other.login(login, &secret_of(&server, login));
        for path in ["report-summary", "report-summary.pdf", "report-summary.txt", "anonymous-summary"] {
            let not_found = other.get(&format!("/dossiers/999999/{path}"));
            let r = other.get(&format!("{base}/{path}"));
            assert_eq!(r.status, 404, "{login} {path}");
            assert_eq!(r.body, not_found.body, "{login} {path}: the 404 reveals nothing");
        }
        assert!(!other.get(&base).body.contains("/report-summary"));
    }

    // Every attempt is in the audit log: allowed for the IB-er, denied for the others.
    let t = TenantCtx::new(org);
    let events = db.list_audit(&t, &AuditFilter { dossier: Some(d), actor: None, limit: Some(1000) }).await.unwrap();
    let count = |action: &str, outcome: &str| {
        events.iter().filter(|e| e.event.action == action && e.event.outcome == outcome).count()
    };
    assert!(count("dossier.report_summary", "allowed") >= 1);
    assert_eq!(count("dossier.report_summary.pdf", "allowed"), 1);
    assert_eq!(count("dossier.report_summary.txt", "allowed"), 1);
    assert_eq!(count("dossier.anonymous_summary", "allowed"), 2);
    assert_eq!(count("dossier.anonymous_summary.txt", "allowed"), 1);
    assert_eq!(count("dossier.report_summary", "denied"), 2, "both teachers' attempts are audited");
    assert_eq!(count("dossier.report_summary.pdf", "denied"), 2);
    assert_eq!(count("dossier.anonymous_summary", "denied"), 2);
    db.close().await;
    env.finish().await;
}

#[tokio::test]
async fn sqlite_report_and_anonymous_summaries() {
    summaries(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_report_and_anonymous_summaries() {
    summaries(Backend::Postgres).await;
}

#[test]
fn the_anonymize_command_reads_stdin_and_writes_stdout() {
    let input = "Gesprek met Kees Jansen uit Tiel op 12-03-2026. Zijn dochter Femke belde vanaf 06-12345678, \
                 mail f.jansen@example.nl, adres Molenweg 8a, 8011 AB Zwolle, BSN 111222333.";
    let (code, out, err) =
        run(&["anonymize", "--name", "Kees Jansen", "--place", "Tiel", "--reference-date", "2026-03-16"], Some(input));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "Gesprek met [naam] uit [plaats] op [4 dagen eerder]. Zijn dochter [naam] belde vanaf [telefoonnummer], \
         mail [e-mailadres], adres [adres], [postcode] [plaats], BSN [BSN]."
    );
    let (code, _, err) = run(&["anonymize", "--reference-date", "16-03-2026"], Some("x"));
    assert_ne!(code, 0);
    assert!(err.contains("--reference-date"), "{err}");
}
