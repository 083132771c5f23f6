//! The full dossier export and the transfer between two meldroute instances (issue 7 part 3): export a demo
//! dossier (with a correction and a file) as JSON and PDF from one server, take it in at a second, fresh
//! server, and find the same chronology and the same engine state there; every bad upload imports nothing
//! and says what is wrong; who may not export gets the standard 404 and the attempt is audited; the access
//! log as CSV. Runs on SQLite and PostgreSQL.

// Integration tests: helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use meldroute_database::Database;
use meldroute_domain::EntryBody;
use meldroute_domain::transfer::{self, DossierExport};
use meldroute_store::Store;
use support::*;

fn link_after(page: &str, prefix: &str) -> Option<String> {
    let start = page.find(&format!("href=\"{prefix}"))? + "href=\"".len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].to_string())
}

fn pupil_link(list: &str, name: &str) -> String {
    let at = list.find(name).unwrap_or_else(|| panic!("{name} not in list"));
    let start = list[..at].rfind("href=\"/pupils/").unwrap() + "href=\"".len();
    let end = list[start..].find('"').unwrap() + start;
    list[start..end].to_string()
}

/// The value of a hidden input on a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {name} on page: {page}")) + marker.len();
    let end = page[start..].find('"').unwrap() + start;
    page[start..end].to_string()
}

fn db_url(env: &Env) -> String {
    match &env.pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", env.data_dir().join("meldroute.db").display()),
    }
}

async fn counts(env: &Env) -> Vec<(String, i64)> {
    let db = Database::connect(&db_url(env)).await.unwrap();
    let mut counts = db.table_counts().await.unwrap();
    db.close().await;
    // The audit log and sessions grow with every request; the data tables are what an import touches.
    counts.retain(|(t, _)| {
        ["pupils", "dossiers", "entries", "attachments", "received_dossiers", "received_entries"].contains(&t.as_str())
    });
    counts
}

fn count(counts: &[(String, i64)], table: &str) -> i64 {
    counts.iter().find(|(t, _)| t == table).map(|(_, n)| *n).unwrap()
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext").args(["-layout"]).arg(&path).arg("-").output().unwrap();
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Daan's demo dossier, opened by af.po, with a correction of entry 2 added. Returns its path.
fn prepare_sender(af: &mut Browser) -> String {
    let list = af.get("/pupils");
    let pupil = af.get(&pupil_link(&list.body, "Daan Denkbeeld"));
    let dossier = link_after(&pupil.body, "/dossiers/").unwrap();
    let form = af.get(&format!("{dossier}/entries/2/correct"));
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = Browser::csrf_of(&form);
    let r = af.post(
        &format!("{dossier}/entries/2/correct"),
        &[
            ("_csrf", &csrf),
            ("reason", "Het was de leerkracht van groep 3"),
            ("with", "colleague"),
            ("with_whom", "leerkracht van groep 3"),
            ("summary", "Vorig jaar zag zij hetzelfde na de kerstvakantie."),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    dossier
}

fn export(b: &mut Browser, dossier: &str, purpose: &str, format: &str) -> Response {
    b.get(&format!("{dossier}/export?purpose={purpose}&format={format}"))
}

/// Uploads `bytes` for the first location on the form; returns the response.
fn upload(af: &mut Browser, bytes: &[u8]) -> Response {
    let form = af.get("/transfers/import");
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = Browser::csrf_of(&form);
    let location = hidden_option(&form.body);
    af.post_multipart(
        "/transfers/import",
        &[("_csrf", &csrf), ("location", &location)],
        Some(("file", "dossier.json", bytes)),
    )
}

fn hidden_option(page: &str) -> String {
    let marker = "<option value=\"";
    let start = page.find(marker).unwrap() + marker.len();
    let end = page[start..].find('"').unwrap() + start;
    page[start..end].to_string()
}

/// The export with the pupil renamed and sealed again: the same dossier for a pupil the receiving demo
/// instance does not have yet (both instances hold the same demo pupils).
fn as_new_pupil(export: &DossierExport) -> Vec<u8> {
    let mut e = export.clone();
    e.pupil.first_name = "Dirk".into();
    e.pupil.last_name = "Doorgestuurd".into();
    transfer::seal(&mut e).unwrap();
    serde_json::to_vec_pretty(&e).unwrap()
}

/// An export edited as JSON (hashes as they were, unless `reseal`).
fn edited(export: &DossierExport, reseal: bool, edit: impl FnOnce(&mut DossierExport)) -> Vec<u8> {
    let mut e = export.clone();
    e.pupil.first_name = "Dirk".into();
    e.pupil.last_name = "Doorgestuurd".into();
    transfer::seal(&mut e).unwrap();
    edit(&mut e);
    if reseal {
        transfer::seal(&mut e).unwrap();
    }
    serde_json::to_vec(&e).unwrap()
}

/// The parts of an entry that must survive a transfer unchanged.
fn essence(e: &transfer::ExportEntry) -> (u32, String, String, Option<time::Date>, String, EntryBody, Option<String>) {
    (
        e.seq,
        e.kind.clone(),
        e.recorded_at.to_string(),
        e.occurred_on,
        e.author.name.clone(),
        e.body.clone(),
        e.attachment.as_ref().map(|f| f.sha256.clone()),
    )
}

async fn transfer_between_instances(backend: Backend) {
    let Some(env_a) = Env::new(backend).await else { return };
    let Some(env_b) = Env::new(backend).await else { return };
    let a = Server::start(&env_a, &["--demo"]);
    let b = Server::start(&env_b, &["--demo"]);

    // --- the sending school ---------------------------------------------------------------------------
    let mut af_a = Browser::new(&a);
    af_a.login("af.po", &secret_of(&a, "af.po"));
    let dossier = prepare_sender(&mut af_a);
    let page = af_a.get(&dossier);
    assert!(page.body.contains(&format!("action=\"{dossier}/export\"")), "export form on the dossier page");
    assert!(page.body.contains("value=\"access_request\""));

    let json = export(&mut af_a, &dossier, "transfer", "json");
    assert_eq!(json.status, 200, "{}", json.body);
    assert_eq!(json.header("content-type"), Some("application/json"));
    assert!(json.header("content-disposition").unwrap().starts_with("attachment;"));
    assert_eq!(json.header("cache-control"), Some("no-store"));
    let checked = transfer::check(&json.bytes).unwrap_or_else(|p| panic!("the sender's export is valid: {p:?}"));
    let sent = checked.export;
    assert_eq!((sent.format.as_str(), sent.version), ("meldroute.dossier", 1));
    assert_eq!(sent.pupil.first_name, "Daan");
    assert!(sent.pupil.date_of_birth.is_some() && sent.pupil.group.is_some());
    assert!(!sent.sender.organisation.is_empty() && !sent.sender.location.is_empty());
    let kinds: Vec<&str> = sent.entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["observation", "consultation", "attachment", "correction"]);
    let EntryBody::Correction(c) = &sent.entries[3].body else { panic!("a correction") };
    assert_eq!(c.corrects.0, 2, "a correction names its target by sequence number");
    assert_eq!(sent.dossier.state.corrected.len(), 1);
    let file = checked.files[2].as_ref().unwrap();
    assert!(String::from_utf8_lossy(file).starts_with("Aantekeningen pauzes (fictief demovoorbeeld)"));
    assert!(sent.entries.iter().all(|e| !e.author.name.is_empty()));
    assert_eq!(sent.exported_by.role.as_deref(), Some("aandachtsfunctionaris"));
    // Every field the documentation lists is in a real export, and nothing undocumented.
    check_documented(&serde_json::from_slice(&json.bytes).unwrap());

    // The readable PDF.
    let pdf = export(&mut af_a, &dossier, "access_request", "pdf");
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.header("content-disposition").unwrap().starts_with("attachment;"));
    assert_eq!(pdf.header("cache-control"), Some("no-store"));
    let text = pdftotext(&pdf.bytes);
    for expected in [
        "Daan Denkbeeld",
        "Vertrouwelijk",
        "Huidige stand",
        "Tijdlijn",
        "Signaal",
        "observatie-pauzes-daan.txt",
        "Correctie van stap",
        "Gecorrigeerd in stap",
        "Inzageverzoek van ouder of leerling",
        "Het was de leerkracht van groep 3",
    ] {
        // Case-insensitive: the template sets the marking in capitals.
        assert!(text.to_lowercase().contains(&expected.to_lowercase()), "PDF lacks {expected:?}:\n{text}");
    }

    // Who may not export gets the standard 404, and the attempt is audited.
    let mut ib = Browser::new(&a);
    ib.login("ib.po", &secret_of(&a, "ib.po"));
    assert_eq!(ib.get(&dossier).status, 200, "the IB-er reads the dossier");
    let refused = export(&mut ib, &dossier, "transfer", "json");
    let missing = export(&mut ib, "/dossiers/999999", "transfer", "json");
    assert_eq!((refused.status, missing.status), (404, 404));
    assert_eq!(refused.body, missing.body, "not yours and not there look the same");
    assert!(!refused.body.contains("Daan"));
    let mut mentor = Browser::new(&a);
    mentor.login("mentor.vo", &secret_of(&a, "mentor.vo"));
    assert_eq!(export(&mut mentor, &dossier, "archive", "pdf").status, 404);
    assert_eq!(ib.get(&format!("{dossier}/access-log.csv")).status, 404);

    // The access log records each export with its purpose, and the refused attempts; also as CSV.
    let log = af_a.get(&format!("{dossier}/access-log"));
    assert!(log.body.contains("geëxporteerd als JSON voor overdracht"), "{}", log.body);
    assert!(log.body.contains("geëxporteerd als PDF voor een inzageverzoek"));
    let csv = af_a.get(&format!("{dossier}/access-log.csv"));
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.header("content-disposition").unwrap().starts_with("attachment;"));
    assert_eq!(csv.header("cache-control"), Some("no-store"));
    assert!(csv.body.starts_with("\u{FEFF}\"Wanneer\",\"Wie\""), "{}", csv.body);
    assert!(csv.body.contains("\"dossier.export.json.transfer\",\"allowed\""), "{}", csv.body);
    assert!(csv.body.contains("\"dossier.export.pdf.access_request\",\"allowed\""));
    assert!(csv.body.contains("\"dossier.export.json.transfer\",\"denied\""), "the IB-er's attempt");
    assert!(csv.body.contains("\"dossier.export.pdf.archive\",\"denied\""), "the mentor's attempt");
    for line in csv.body.lines().skip(1) {
        for cell in line.split("\",\"") {
            let cell = cell.trim_matches('"');
            assert!(!cell.starts_with(['=', '+', '-', '@']), "unescaped formula start in {line}");
        }
    }

    // --- the receiving school -------------------------------------------------------------------------
    let mut af_b = Browser::new(&b);
    af_b.login("af.po", &secret_of(&b, "af.po"));
    let mut teacher_b = Browser::new(&b);
    teacher_b.login("leerkracht.po", &secret_of(&b, "leerkracht.po"));
    assert_eq!(teacher_b.get("/transfers/import").status, 404, "only the aandachtsfunctionaris takes in");
    let before = counts(&env_b).await;

    // Bad input: each is refused with its message, and nothing is imported.
    let huge = vec![b' '; 41 * 1024 * 1024];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("the unchanged export (pupil exists)", json.bytes.clone(), "staat al in uw organisatie"),
        ("not JSON", b"{\"format\": \"meldroute.dossier\", ".to_vec(), "geen geldige JSON"),
        ("another format", br#"{"format": "iets anders", "version": 1}"#.to_vec(), "geen dossierexport van meldroute"),
        ("a newer version", edited(&sent, false, |e| e.version = 2), "formaatversie 2"),
        (
            "a changed word",
            edited(&sent, false, |e| {
                if let EntryBody::Observation(o) = &mut e.entries[0].body {
                    o.facts.push_str(" (aangepast)");
                }
            }),
            "gewijzigd of beschadigd vanaf onderdeel 1",
        ),
        (
            "an entry removed",
            edited(&sent, false, |e| {
                e.entries.remove(1);
            }),
            "gewijzigd of beschadigd",
        ),
        (
            "a gap in the sequence",
            edited(&sent, true, |e| {
                e.entries.remove(1);
            }),
            "op plaats 2 hoort onderdeel 2",
        ),
        (
            "a correction pointing nowhere",
            edited(&sent, true, |e| {
                if let EntryBody::Correction(c) = &mut e.entries[3].body {
                    c.corrects = meldroute_domain::EntryId(9);
                }
            }),
            "verwijst naar onderdeel 9",
        ),
        (
            "a file that does not match its hash",
            edited(&sent, true, |e| {
                if let Some(f) = &mut e.entries[2].attachment {
                    f.content_base64 = transfer::encode_file(b"Aantekeningen pauzes, vervalst");
                }
            }),
            "bij onderdeel 3 klopt niet met het controlegetal",
        ),
        ("an oversized upload", huge, "groter dan 40 MiB"),
    ];
    for (what, bytes, message) in &cases {
        let r = upload(&mut af_b, bytes);
        assert!(matches!(r.status, 413 | 422), "{what}: {}", r.status);
        assert!(r.body.contains(message), "{what}: expected {message:?} in {}", r.body);
        assert!(r.body.contains("Er is niets opgeslagen"), "{what}");
        assert_eq!(counts(&env_b).await, before, "{what}: nothing imported");
    }

    // The good upload: a preview, nothing written yet.
    let good = as_new_pupil(&sent);
    let preview = upload(&mut af_b, &good);
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(preview.body.contains("Dirk Doorgestuurd"));
    assert!(preview.body.contains(&sent.sender.organisation));
    assert!(preview.body.contains("<dd id=\"preview-entries\">4</dd>"), "{}", preview.body);
    assert_eq!(counts(&env_b).await, before, "a preview writes nothing");

    // A document changed between preview and acceptance is refused.
    let csrf = hidden(&preview.body, "_csrf");
    let location = hidden(&preview.body, "location");
    let sha = hidden(&preview.body, "sha256");
    let document = hidden(&preview.body, "document");
    let r = af_b.post(
        "/transfers/import/accept",
        &[("_csrf", &csrf), ("location", &location), ("sha256", &"0".repeat(64)), ("document", &document)],
    );
    assert_eq!(r.status, 422);
    assert_eq!(counts(&env_b).await, before);

    // Accepted: pupil, dossier, every entry and the file, marked as received.
    let r = af_b.post(
        "/transfers/import/accept",
        &[("_csrf", &csrf), ("location", &location), ("sha256", &sha), ("document", &document)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let received_path = r.header("location").unwrap().to_string();
    let after = counts(&env_b).await;
    for (table, added) in [
        ("pupils", 1),
        ("dossiers", 1),
        ("entries", 4),
        ("attachments", 1),
        ("received_dossiers", 1),
        ("received_entries", 4),
    ] {
        assert_eq!(count(&after, table), count(&before, table) + added, "{table}");
    }
    let page = af_b.get(&received_path);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"received-from\""), "{}", page.body);
    assert!(page.body.contains(&format!("overgedragen door {}", sent.sender.organisation)));
    assert_eq!(page.body.matches("ontvangen bij overdracht").count(), 4);
    assert!(page.body.contains(&sent.entries[1].author.name), "original author names are kept");

    // The same chronology and the same engine state at the receiver.
    let back = export(&mut af_b, &received_path, "archive", "json");
    assert_eq!(back.status, 200);
    let received = transfer::check(&back.bytes).unwrap().export;
    assert_eq!(
        received.entries.iter().map(essence).collect::<Vec<_>>(),
        sent.entries.iter().map(essence).collect::<Vec<_>>()
    );
    assert_eq!(received.dossier.state, sent.dossier.state, "the fold gives the same state");
    assert_eq!(received.dossier.opened_at, sent.dossier.opened_at);
    assert!(
        received
            .entries
            .iter()
            .all(|e| e.received_from.as_ref().is_some_and(|r| r.organisation == sent.sender.organisation))
    );
    assert_eq!(
        received.dossier.received_from.as_ref().map(|r| r.location.as_str()),
        Some(sent.sender.location.as_str())
    );
    // The file comes back byte for byte.
    let download = link_after(&page.body, &format!("{received_path}/attachments/")).unwrap();
    assert_eq!(&af_b.get(&download).bytes, file);

    // Taking it in twice: the pupil now exists.
    let again = upload(&mut af_b, &good);
    assert_eq!(again.status, 422);
    assert!(again.body.contains("staat al in uw organisatie"));
    assert_eq!(counts(&env_b).await, after);
    // The access log of the receiving dossier records the import.
    let log = af_b.get(&format!("{received_path}/access-log"));
    assert!(log.body.contains("overgenomen van een andere school"), "{}", log.body);

    drop(a);
    drop(b);
    env_a.finish().await;
    env_b.finish().await;
}

/// The field paths of `docs/export-format.md` (rows of its tables: `| \`path\` |`) against a real export:
/// every documented path occurs, and every path of the export is documented.
fn check_documented(export: &serde_json::Value) {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/export-format.md")).unwrap();
    let documented: std::collections::BTreeSet<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(p, _)| p.to_string()))
        .collect();
    let mut found = std::collections::BTreeSet::new();
    fn walk(v: &serde_json::Value, path: &str, out: &mut std::collections::BTreeSet<String>) {
        // Entry bodies and the engine state are the domain's own types, documented by reference.
        if path.ends_with(".body") || path.ends_with("dossier.state") {
            out.insert(path.to_string());
            return;
        }
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    out.insert(p.clone());
                    walk(v, &p, out);
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    walk(item, &format!("{path}[]"), out);
                }
            }
            _ => {}
        }
    }
    walk(export, "", &mut found);
    let undocumented: Vec<_> = found.difference(&documented).collect();
    assert!(undocumented.is_empty(), "fields in the export but not in docs/export-format.md: {undocumented:?}");
    let optional = [
        "pupil.siblings[].first_name",
        "pupil.siblings[].last_name",
        "pupil.siblings[].date_of_birth",
        "dossier.received_from.organisation",
        "dossier.received_from.location",
        "entries[].received_from.organisation",
        "entries[].received_from.location",
    ];
    let missing: Vec<_> = documented.difference(&found).filter(|p| !optional.contains(&p.as_str())).collect();
    assert!(missing.is_empty(), "documented but not in a real export: {missing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_transfer_between_two_instances() {
    transfer_between_instances(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_transfer_between_two_instances() {
    transfer_between_instances(Backend::Postgres).await;
}
