//! The JSON API through the real binary: tokens made on /account/tokens, the whole route of the meldcode
//! through /api/v1, errors in the API's shape, another school's teacher seeing nothing, revoked, expired and
//! disabled tokens refused. On both databases.

// Integration tests: helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use meldroute_database::Database;
use meldroute_store::*;
use serde_json::{Value, json};
use support::*;

/// Creates a token on the account page as `b` and returns it with its id.
fn token_via_page(b: &mut Browser, name: &str, days: &str) -> (String, i64) {
    let page = b.get("/account/tokens");
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = Browser::csrf_of(&page);
    let r = b.post("/account/tokens", &[("_csrf", &csrf), ("name", name), ("days", days)]);
    assert_eq!(r.status, 200, "{}", r.body);
    let marker = "<code id=\"new-token\">";
    let start = r.body.find(marker).unwrap_or_else(|| panic!("no new token shown: {}", r.body)) + marker.len();
    let token = r.body[start..start + 67].to_string();
    assert!(token.starts_with("mr_"), "{token}");
    let revoke = "action=\"/account/tokens/";
    let at = r.body.find(revoke).unwrap() + revoke.len();
    let id = r.body[at..at + r.body[at..].find('/').unwrap()].parse().unwrap();
    // Shown once: the list page afterwards does not contain it.
    assert!(!b.get("/account/tokens").body.contains(&token), "the token is shown only once");
    (token, id)
}

struct Api<'a> {
    addr: &'a str,
    token: String,
}

impl Api<'_> {
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Response {
        let auth = format!("Bearer {}", self.token);
        let text = body.map(|b| b.to_string());
        let mut headers = vec![("Authorization", auth.as_str())];
        if text.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        request(self.addr, method, path, &headers, text.as_deref())
    }

    fn get(&self, path: &str) -> Response {
        self.call("GET", path, None)
    }

    fn post(&self, path: &str, body: &Value) -> Response {
        self.call("POST", path, Some(body))
    }
}

fn error_code(r: &Response) -> String {
    r.json()["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code: {}", r.body)).to_string()
}

fn answer(question: &str, answer: &str) -> Value {
    json!({ "entry": {
        "kind": "assessment_answer",
        "question": question,
        "answer": answer,
        "reasoning": format!("Besproken in het zorgoverleg ({question})."),
        "answered_by": "Ilse (IB) en Anouk (AF)",
        "board_informed": true
    }})
}

async fn whole_route(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let addr = server.addr.as_str();

    // Tokens, made by the users themselves on the account page.
    let mut teacher_browser = Browser::new(&server);
    teacher_browser.login("leerkracht.po", &secret_of(&server, "leerkracht.po"));
    let (teacher_token, teacher_token_id) = token_via_page(&mut teacher_browser, "koppeling leerkracht", "30");
    let mut ib_browser = Browser::new(&server);
    ib_browser.login("ib.po", &secret_of(&server, "ib.po"));
    let (ib_token, _) = token_via_page(&mut ib_browser, "koppeling ib", "90");
    let mut mentor_browser = Browser::new(&server);
    mentor_browser.login("mentor.vo", &secret_of(&server, "mentor.vo"));
    let (mentor_token, _) = token_via_page(&mut mentor_browser, "koppeling mentor", "1");
    // Bad input on the form: the field named, nothing created.
    let page = teacher_browser.get("/account/tokens");
    let csrf = Browser::csrf_of(&page);
    let r = teacher_browser.post("/account/tokens", &[("_csrf", &csrf), ("name", "te lang"), ("days", "366")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"days-error\"") && !r.body.contains("new-token"), "{}", r.body);
    let r = teacher_browser.post("/account/tokens", &[("_csrf", "0000"), ("name", "x"), ("days", "3")]);
    assert_eq!(r.status, 403, "the form token is checked");

    let teacher = Api { addr, token: teacher_token.clone() };
    let ib = Api { addr, token: ib_token };
    let mentor = Api { addr, token: mentor_token };

    // The OpenAPI document is public.
    let doc = request(addr, "GET", "/api/v1/openapi.json", &[], None);
    assert_eq!(doc.status, 200);
    assert_eq!(doc.json()["openapi"], "3.1.0");
    assert!(doc.json()["paths"]["/api/v1/dossiers/{id}/entries"]["post"].is_object());

    // Find the pupil.
    let r = teacher.get("/api/v1/pupils?q=Yara");
    assert_eq!(r.status, 200, "{}", r.body);
    let pupils = r.json()["pupils"].as_array().unwrap().clone();
    assert_eq!(pupils.len(), 1, "{pupils:?}");
    let pupil_id = pupils[0]["id"].as_i64().unwrap();
    assert_eq!(pupils[0]["last_name"], "Verzonnen");
    let r = mentor.get("/api/v1/pupils?q=Yara");
    assert_eq!(r.status, 200);
    assert!(r.json()["pupils"].as_array().unwrap().is_empty(), "a VO mentor does not list PO pupils");

    // 1. The teacher opens a dossier from an observation.
    let observation = json!({ "entry": {
        "kind": "observation",
        "facts": "Yara had maandagochtend blauwe plekken op beide bovenarmen en wilde haar jas niet uitdoen.",
        "interpretation": "Ik maak me zorgen over de situatie thuis.",
        "source": "own_observation",
        "categories": ["child_physical", "child_behaviour"]
    }});
    // Unknown fields in an entry are refused, nothing is opened.
    let mut sloppy = observation.clone();
    sloppy["entry"]["form_of_abuse"] = json!("mishandeling");
    let r = teacher.post(&format!("/api/v1/pupils/{pupil_id}/dossiers"), &sloppy);
    assert_eq!((r.status, error_code(&r).as_str()), (422, "invalid_body"), "{}", r.body);
    assert!(r.json()["error"]["detail"].as_str().unwrap().contains("form_of_abuse"));
    let r = teacher.post(&format!("/api/v1/pupils/{pupil_id}/dossiers"), &observation);
    assert_eq!(r.status, 201, "{}", r.body);
    let dossier_id = r.json()["dossier_id"].as_i64().unwrap();
    assert_eq!(r.header("location"), Some(format!("/api/v1/dossiers/{dossier_id}").as_str()));
    let base = format!("/api/v1/dossiers/{dossier_id}");
    let entries = format!("{base}/entries");

    // The teacher may not record an afwegingskader answer (that is for the care roles): not found.
    let r = teacher.post(&entries, &answer("q1", "ja"));
    assert_eq!((r.status, error_code(&r).as_str()), (404, "not_found"), "{}", r.body);

    // 2. The IB-er records the conversation with the parents and the weighing.
    let r = ib.post(
        &entries,
        &json!({ "entry": {
            "kind": "conversation",
            "with": "parents",
            "summary": "Gesprek met moeder over de blauwe plekken; zij gaf geen verklaring.",
            "reactions": "Moeder schrok en werd boos."
        }, "expected_last_seq": 1 }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["seq"], 2);
    // A stale form (based on seq 1) is refused with 409, not re-validated behind the client's back.
    let weighing = json!({ "entry": {
        "kind": "weighing",
        "participants": ["Ilse (IB)", "Anouk (AF)"],
        "nature": "Mogelijk lichamelijke mishandeling.",
        "severity": "Ernstig: herhaalde verwondingen.",
        "risk": "Hoog.",
        "protective_factors": "Betrokken oma."
    }, "expected_last_seq": 1 });
    let r = ib.post(&entries, &weighing);
    assert_eq!((r.status, error_code(&r).as_str()), (409, "stale"), "{}", r.body);
    let mut weighing = weighing;
    weighing["expected_last_seq"] = json!(2);
    assert_eq!(ib.post(&entries, &weighing).status, 201);

    // 3. The afwegingskader, in order; out of order is refused with the domain's code.
    let r = ib.post(&entries, &answer("q1", "ja"));
    assert_eq!(r.status, 201, "{}", r.body);
    let r = ib.post(&entries, &answer("q3", "ja"));
    assert_eq!((r.status, error_code(&r).as_str()), (422, "question_out_of_order"), "{}", r.body);
    assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
    let r = ib.post(&entries, &answer("q2", "ja"));
    assert_eq!(r.status, 201, "{}", r.body);
    let state = ib.get(&format!("{base}/state"));
    assert_eq!(state.status, 200, "{}", state.body);
    let s = state.json();
    assert_eq!(s["answers"], json!({ "q1": "ja", "q2": "ja" }));
    let melding = &s["meldingen"][0];
    assert_eq!((melding["meldnorm"].as_i64(), melding["due"].as_bool()), (Some(1), Some(true)), "{s}");
    assert!(s["next_actions"].as_array().unwrap().iter().any(|a| a["kind"] == "report_to_veilig_thuis"), "{s}");

    // 4. The report: a missing precondition is named at its field; with all of §8 it lands.
    let today = meldroute_web::clock::today_nl();
    let mut report = json!({ "entry": {
        "kind": "report",
        "reported_on": today.to_string(),
        "reporter": "Ilse (IB)",
        "facts": "Blauwe plekken op beide bovenarmen (maandag), geen verklaring van moeder.",
        "by_phone": true,
        "parents_informed": true,
        "board_informed": false
    }});
    let r = ib.post(&entries, &report);
    assert_eq!((r.status, error_code(&r).as_str()), (422, "report_board_not_informed"), "{}", r.body);
    assert_eq!(r.json()["error"]["field"], "board_informed");
    report["entry"]["board_informed"] = json!(true);
    let r = ib.post(&entries, &report);
    assert_eq!(r.status, 201, "{}", r.body);

    // 5. The state shows the Veilig Thuis deadline: 5 working days after the report.
    let due = meldroute_domain::Calendar::new().add_working_days(today, 5).to_string();
    let s = ib.get(&format!("{base}/state")).json();
    let deadline = s["deadlines"].as_array().unwrap().iter().find(|d| d["kind"] == "veilig_thuis_decision").cloned();
    let deadline = deadline.unwrap_or_else(|| panic!("no Veilig Thuis deadline: {s}"));
    assert_eq!(deadline["due"], due.as_str());
    assert_eq!(deadline["overdue"], false);
    assert_eq!(deadline["reason"]["rule"], "veilig_thuis_decision_due");
    assert!(!deadline["reason"]["text"].as_str().unwrap().starts_with("rule-"), "a real text: {deadline}");
    assert!(s["meldingen"][0]["reported_in"].is_i64(), "the melding is done: {s}");
    assert_eq!(s["step"]["number"], 6);

    // 6. The tasks list it, for the IB-er and for the teacher who opened the dossier.
    for who in [&ib, &teacher] {
        let r = who.get("/api/v1/tasks");
        assert_eq!(r.status, 200, "{}", r.body);
        let tasks = r.json()["tasks"].as_array().unwrap().clone();
        assert!(
            tasks.iter().any(|t| t["dossier_id"] == dossier_id
                && t["kind"] == "veilig_thuis_decision"
                && t["due"] == due.as_str()),
            "{tasks:?}"
        );
        let dates: Vec<&str> = tasks.iter().map(|t| t["due"].as_str().unwrap()).collect();
        assert!(dates.windows(2).all(|w| w[0] <= w[1]), "sorted by date: {dates:?}");
    }
    let r = mentor.get("/api/v1/tasks");
    assert!(!r.body.contains(&format!("\"dossier_id\":{dossier_id}")), "{}", r.body);

    // The chronology and the metadata.
    let r = teacher.get(&entries);
    assert_eq!(r.status, 200, "{}", r.body);
    let list = r.json()["entries"].as_array().unwrap().clone();
    let kinds: Vec<&str> = list.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["observation", "conversation", "weighing", "assessment_answer", "assessment_answer", "report"]);
    assert_eq!(list[0]["body"]["facts"], observation["entry"]["facts"]);
    assert!(list[0]["recorded_at"].as_str().unwrap().ends_with('Z'));
    let r = teacher.get(&format!("{entries}?kind=report"));
    assert_eq!(r.json()["entries"].as_array().unwrap().len(), 1);
    let r = ib.get(&base);
    assert_eq!(r.status, 200);
    assert_eq!((r.json()["last_seq"].as_i64(), r.json()["projection"]["step"].as_i64()), (Some(6), Some(6)));
    let r = ib.get(&format!("/api/v1/pupils/{pupil_id}"));
    assert!(r.json()["dossiers"].as_array().unwrap().iter().any(|d| d["id"] == dossier_id), "{}", r.body);

    // A teacher of the other school gets 404 on all of it, and the message says nothing more.
    for path in [base.clone(), entries.clone(), format!("{base}/state"), format!("/api/v1/pupils/{pupil_id}")] {
        let r = mentor.get(&path);
        assert_eq!((r.status, error_code(&r).as_str()), (404, "not_found"), "{path}: {}", r.body);
        assert!(!r.body.contains("Yara"));
    }
    let r = mentor
        .post(&entries, &json!({ "entry": { "kind": "observation", "facts": "x", "source": "own_observation" } }));
    assert_eq!(r.status, 404);
    let r = mentor.post(&format!("/api/v1/pupils/{pupil_id}/dossiers"), &observation);
    assert_eq!(r.status, 404);
    // Ids that do not exist at all look the same.
    assert_eq!(mentor.get("/api/v1/dossiers/999999").status, 404);
    assert_eq!(mentor.get("/api/v1/dossiers/nonsense").status, 404);

    // Bodies: malformed JSON, not JSON at all, too large.
    let auth = format!("Bearer {teacher_token}");
    let r = request(
        addr,
        "POST",
        &entries,
        &[("Authorization", &auth), ("Content-Type", "application/json")],
        Some("{\"entry\": "),
    );
    assert_eq!((r.status, error_code(&r).as_str()), (400, "malformed_json"), "{}", r.body);
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    let r = request(addr, "POST", &entries, &[("Authorization", &auth), ("Content-Type", "text/plain")], Some("{}"));
    assert_eq!((r.status, error_code(&r).as_str()), (415, "unsupported_media_type"), "{}", r.body);
    let big = format!(
        "{{\"entry\": {{\"kind\": \"observation\", \"facts\": \"{}\", \"source\": \"own_observation\"}}}}",
        "x".repeat(300 * 1024)
    );
    let r =
        request(addr, "POST", &entries, &[("Authorization", &auth), ("Content-Type", "application/json")], Some(&big));
    assert_eq!((r.status, error_code(&r).as_str()), (413, "payload_too_large"), "{}", r.body);

    // No token, a malformed one, an unknown one: 401 with WWW-Authenticate.
    let r = request(addr, "GET", "/api/v1/pupils", &[], None);
    assert_eq!((r.status, error_code(&r).as_str()), (401, "unauthorized"));
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
    let r = request(addr, "GET", "/api/v1/pupils", &[("Authorization", "Bearer nonsense")], None);
    assert_eq!((r.status, error_code(&r).as_str()), (401, "invalid_token"));
    let unknown = format!("Bearer mr_{}", "0".repeat(64));
    let r = request(addr, "GET", "/api/v1/pupils", &[("Authorization", &unknown), ("Accept-Language", "en")], None);
    assert_eq!((r.status, error_code(&r).as_str()), (401, "invalid_token"));
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("token"), "English when asked: {}", r.body);
    // A session cookie is no API credential.
    let cookie = teacher_browser.cookie.clone().unwrap();
    assert_eq!(request(addr, "GET", "/api/v1/pupils", &[("Cookie", &cookie)], None).status, 401);

    // Revoked on the page: refused at once.
    let page = teacher_browser.get("/account/tokens");
    let csrf = Browser::csrf_of(&page);
    let r = teacher_browser.post(&format!("/account/tokens/{teacher_token_id}/revoke"), &[("_csrf", &csrf)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let r = teacher.get("/api/v1/pupils");
    assert_eq!((r.status, error_code(&r).as_str()), (401, "invalid_token"));
    assert!(teacher_browser.get("/account/tokens").body.contains("ingetrokken"));
    // Another user cannot revoke someone else's token (ib's id space is the same table).
    let mentor_csrf = Browser::csrf_of(&mentor_browser.get("/account/tokens"));
    let r = mentor_browser.post(&format!("/account/tokens/{teacher_token_id}/revoke"), &[("_csrf", &mentor_csrf)]);
    assert_eq!(r.status, 404);

    // Expired and disabled: straight in the database.
    let url = match &env.pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", env.data_dir().join("meldroute.db").display()),
    };
    let db = Database::connect(&url).await.unwrap();
    let directeur = db.find_user_by_login("directeur.po").await.unwrap().unwrap();
    let t = TenantCtx::new(directeur.org);
    let now = time::OffsetDateTime::now_utc();
    let expired = format!("mr_{}", "1".repeat(64));
    db.create_api_token(
        &t,
        NewApiToken {
            user: directeur.id,
            name: "verlopen".into(),
            token_hash: meldroute_web::auth::token_hash(&expired),
            created_at: now - time::Duration::days(40),
            expires_at: now - time::Duration::days(10),
        },
    )
    .await
    .unwrap();
    let r = Api { addr, token: expired }.get("/api/v1/pupils");
    assert_eq!((r.status, error_code(&r).as_str()), (401, "invalid_token"));
    let valid = format!("mr_{}", "2".repeat(64));
    db.create_api_token(
        &t,
        NewApiToken {
            user: directeur.id,
            name: "geldig".into(),
            token_hash: meldroute_web::auth::token_hash(&valid),
            created_at: now,
            expires_at: now + time::Duration::days(10),
        },
    )
    .await
    .unwrap();
    let directeur_api = Api { addr, token: valid };
    assert_eq!(directeur_api.get(&base).status, 200, "the directeur reads the dossier of her school");
    db.set_user_disabled(&t, directeur.id, true).await.unwrap();
    assert_eq!(directeur_api.get(&base).status, 401, "a disabled account's tokens stop working");

    // Everything is in the audit log: reads, appends, refusals, the other school's attempts.
    let events = db
        .list_audit(&t, &AuditFilter { dossier: Some(DossierId(dossier_id)), actor: None, limit: Some(1000) })
        .await
        .unwrap();
    let has =
        |action: &str, outcome: &str| events.iter().any(|e| e.event.action == action && e.event.outcome == outcome);
    assert!(has("dossier.open", "allowed"));
    assert!(has("dossier.append", "allowed"));
    assert!(has("dossier.append", "refused"));
    assert!(has("dossier.append", "stale"));
    assert!(has("dossier.read", "allowed"));
    assert!(has("dossier.read", "denied"), "the mentor's attempts are recorded");
    db.close().await;

    // The operator command, once it is wired into the CLI (`meldroute admin token create`).
    let (code, _, _) = run(&["admin", "token", "create", "--help"], None);
    if code == 0 {
        let mut args: Vec<String> = vec!["admin".into(), "token".into(), "create".into()];
        args.extend(env.db_args());
        args.extend(["--login".into(), "ib.po".into(), "--name".into(), "cli".into(), "--days".into(), "7".into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = run(&args, None);
        assert_eq!(code, 0, "{out}{err}");
        let token = out.split_whitespace().find(|w| w.starts_with("mr_")).unwrap().to_string();
        assert_eq!(Api { addr, token }.get(&base).status, 200, "the printed token works");
    } else {
        eprintln!("note: 'meldroute admin token create' is not wired into the CLI yet; skipped");
    }

    drop(server);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_route_through_the_api_sqlite() {
    whole_route(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_route_through_the_api_postgres() {
    whole_route(Backend::Postgres).await;
}
