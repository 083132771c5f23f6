//! Team learning sessions end to end, on SQLite and PostgreSQL: a facilitator prepares and runs a session,
//! participants join with the code and answer every poll type, bad input is refused with a clear message
//! and counted once, results arrive live over server-sent events (also with 100 participants answering at
//! once), and other people's facilitators get the standard 404.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::*;

/// The first number after `marker` in `body`.
fn number_after(body: &str, marker: &str) -> i64 {
    let at = body.find(marker).unwrap_or_else(|| panic!("no {marker} in {body}")) + marker.len();
    body[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
}

fn join_code(page: &str) -> String {
    let marker = "class=\"team-code\">";
    let at = page.find(marker).unwrap() + marker.len();
    page[at..at + 6].to_string()
}

/// An open server-sent-events stream.
struct Events {
    stream: TcpStream,
    seen: String,
}

impl Events {
    fn open(addr: &str, path: &str, cookie: Option<&str>) -> Events {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n{cookie}\r\n").unwrap();
        Events { stream, seen: String::new() }
    }

    /// Reads until `needle` arrived (after what was read before), or fails after `secs`.
    fn wait_for(&mut self, needle: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(at) = self.seen.find(needle) {
                let upto = at + needle.len();
                let out = self.seen[..upto].to_string();
                self.seen = self.seen[upto..].to_string();
                return out;
            }
            assert!(Instant::now() < deadline, "no {needle:?} in the event stream; got: {}", self.seen);
            match self.stream.read(&mut chunk) {
                Ok(0) => panic!("the event stream ended; got: {}", self.seen),
                Ok(n) => self.seen.push_str(&String::from_utf8_lossy(&chunk[..n])),
                Err(_) => {}
            }
        }
    }
}

struct Facilitator {
    b: Browser,
    session: i64,
    csrf: String,
    code: String,
}

impl Facilitator {
    fn control(&mut self, action: &str, question: Option<usize>) -> Response {
        let q = question.map(|q| q.to_string()).unwrap_or_default();
        let mut fields = vec![("_csrf", self.csrf.as_str()), ("action", action)];
        if question.is_some() {
            fields.push(("question", &q));
        }
        self.b.post(&format!("/team-sessions/{}/control", self.session), &fields)
    }

    fn agenda(&mut self, fields: &[(&str, &str)]) -> Response {
        let mut all = vec![("_csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.b.post(&format!("/team-sessions/{}/agenda", self.session), &all)
    }
}

fn prepare(server: &Server) -> Facilitator {
    let mut b = Browser::new(server);
    b.login("af.po", &secret_of(server, "af.po"));
    let list = b.get("/team-sessions");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("Nieuw teamleergesprek voorbereiden"));
    let location = number_after(&list.body, "action=\"/locations/");
    let csrf = Browser::csrf_of(&list);
    let made = b.post(&format!("/locations/{location}/team-sessions"), &[("_csrf", &csrf)]);
    assert_eq!(made.status, 303, "{}", made.body);
    let to = made.header("location").unwrap().to_string();
    let session = to.trim_start_matches("/team-sessions/").parse().unwrap();
    let page = b.get(&to);
    assert_eq!(page.status, 200);
    // The standard template: agenda with time boxes, goals, invitation, poll, worksheet, cases.
    for text in ["Welkom", "Openingspeiling", "De meldcode in onze school", "Totale tijd in minuten: 135"] {
        assert!(page.body.contains(text), "{text} missing from the prepared session");
    }
    assert!(page.body.contains("eigen ervaringen"), "the invitation warns about personal experiences");
    assert!(page.body.contains("Sem, groep 4"), "the fictional cases are there");
    let code = join_code(&page.body);
    assert_eq!(code.len(), 6);
    Facilitator { b, session, csrf, code }
}

fn participant(server: &Server, code: &str) -> Browser {
    let mut p = Browser::new(server);
    let r = p.post(&format!("/t/{code}/join"), &[]);
    assert_eq!(r.status, 303, "join: {}", r.body);
    assert!(p.cookie.as_deref().unwrap_or("").contains("mr_team="), "a participant cookie: {:?}", r.headers);
    p
}

/// The participant's form token (from a page with an open question).
fn token(p: &mut Browser, code: &str) -> String {
    Browser::csrf_of(&p.get(&format!("/t/{code}")))
}

fn answer(p: &mut Browser, code: &str, csrf: &str, question: usize, field: &str, value: &str) -> Response {
    let q = question.to_string();
    p.post(&format!("/t/{code}/answers"), &[("_csrf", csrf), ("question", &q), (field, value)])
}

async fn a_session_from_preparation_to_close(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let mut f = prepare(&server);
    let code = f.code.clone();

    // Preparing: reorder, change a time box, leave out an optional item; bad values change nothing.
    assert_eq!(f.agenda(&[("op", "down"), ("index", "0")]).status, 303);
    let r = f.agenda(&[("op", "minutes"), ("index", "2"), ("minutes", "0")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Kies een tijd van 1 tot 120 minuten."), "{}", r.body);
    assert_eq!(f.agenda(&[("op", "minutes"), ("index", "2"), ("minutes", "20")]).status, 303);
    let r = f.agenda(&[("op", "exclude"), ("index", "0")]);
    assert_eq!(r.status, 422, "a fixed item cannot be left out");
    assert_eq!(f.agenda(&[("op", "exclude"), ("index", "6")]).status, 303);
    let page = f.b.get(&format!("/team-sessions/{}", f.session));
    assert!(page.body.contains("Totale tijd in minuten: 125"), "135 + 5 - 15");
    let intro = page.body.find("<strong>Inleiding</strong>").unwrap();
    let welcome = page.body.find("<strong>Welkom</strong>").unwrap();
    assert!(intro < welcome, "the introduction moved up");

    // Joining before the start, with a wrong code, or a code with letters we never use.
    let mut early = Browser::new(&server);
    let r = early.post(&format!("/t/{code}/join"), &[]);
    assert_eq!(r.status, 409);
    assert!(r.body.contains("nog niet begonnen"), "{}", r.body);
    let wrong = if code == "AAAAAA" { "BBBBBB" } else { "AAAAAA" };
    let r = early.get(&format!("/t?code={wrong}"));
    assert_eq!(r.status, 404);
    assert!(r.body.contains("Deze code kennen we niet"), "{}", r.body);
    assert!(r.body.contains("aria-invalid=\"true\""), "the error is tied to the field");
    let r = request(&server.addr, "GET", "/t?code=O0O0O0", &[("Accept-Language", "en-GB,en;q=0.9")], None);
    assert_eq!(r.status, 404);
    assert!(r.body.contains("We do not know this code"), "in the participant's language: {}", r.body);
    let r = early.get(&format!("/t?code={}", code.to_lowercase()));
    assert_eq!((r.status, r.header("location")), (303, Some(format!("/t/{code}").as_str())));

    // Running.
    assert_eq!(f.control("start", None).status, 303);
    let mut p1 = participant(&server, &code);
    let mut p2 = participant(&server, &code);
    let page = p1.get(&format!("/t/{code}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Inleiding"), "the current item is shown");
    assert!(page.body.contains("Er staat nu geen vraag open"));
    for q in 0..5 {
        assert_eq!(f.control("open", Some(q)).status, 303);
    }
    let (t1, t2) = (token(&mut p1, &code), token(&mut p2, &code));
    assert_eq!(f.control("close-poll", Some(0)).status, 303);
    let r = answer(&mut p1, &code, &t1, 0, "choice", "1");
    assert_eq!(r.status, 409, "no answers to a closed poll");
    assert!(r.body.contains("Deze vraag staat niet open"), "{}", r.body);
    assert_eq!(f.control("open", Some(0)).status, 303);
    let page = p1.get(&format!("/t/{code}"));
    assert!(page.body.contains("Heel vaardig") && page.body.contains("Ontevreden"), "scales with their labels");
    // Every type: 4-point scale, 0-5, open, open, 3-point scale.
    for (q, field, value) in [
        (0, "choice", "0"),
        (1, "choice", "5"),
        (2, "text", "Tijd om te oefenen"),
        (3, "text", "Ervaring met gesprekken"),
        (4, "choice", "2"),
    ] {
        let r = answer(&mut p1, &code, &t1, q, field, value);
        assert_eq!(r.status, 303, "question {q}: {}", r.body);
    }
    // Bad input: a double vote, a choice off the scale, an oversized answer, an empty answer.
    let r = answer(&mut p1, &code, &t1, 0, "choice", "1");
    assert_eq!(r.status, 409);
    assert!(r.body.contains("Je hebt deze vraag al beantwoord"), "{}", r.body);
    let r = answer(&mut p2, &code, &t2, 0, "choice", "4");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Kies een van de antwoorden"), "{}", r.body);
    let r = answer(&mut p2, &code, &t2, 2, "text", &"x".repeat(501));
    assert_eq!(r.status, 413);
    assert!(r.body.contains("Je tekst is te lang"), "{}", r.body);
    let r = answer(&mut p2, &code, &t2, 2, "text", "   ");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Vul eerst iets in"));
    // A form without the participant's token is refused.
    let r = p2.post(
        &format!("/t/{code}/answers"),
        &[("_csrf", "0123456789abcdef0123456789abcdef"), ("question", "0"), ("choice", "1")],
    );
    assert_eq!(r.status, 403);
    assert_eq!(answer(&mut p2, &code, &t2, 0, "choice", "0").status, 303);

    // The facilitator sees the counts; the presenter shows results only when asked to.
    let page = f.b.get(&format!("/team-sessions/{}", f.session));
    assert!(page.body.contains("Antwoorden: 2"), "two answers to question 1");
    assert!(page.body.contains("Tijd om te oefenen"));
    let presenter = f.b.get(&format!("/team-sessions/{}/presenter", f.session));
    assert_eq!(presenter.status, 200);
    assert!(presenter.body.contains("<svg") && presenter.body.contains("class=\"team-qr\""), "a QR code");
    assert!(presenter.body.contains(&code));
    assert!(presenter.body.contains("Deelnemers: 2"));
    assert!(!presenter.body.contains("Tijd om te oefenen"), "results hidden until shown");
    assert_eq!(f.control("show", Some(2)).status, 303);
    let presenter = f.b.get(&format!("/team-sessions/{}/presenter", f.session));
    assert!(presenter.body.contains("Tijd om te oefenen"));
    assert!(p2.get(&format!("/t/{code}")).body.contains("Tijd om te oefenen"), "participants see shown results");

    // Live: the presenter's stream starts with the current state and carries a new answer.
    let mut events = Events::open(
        &server.addr,
        &format!("/team-sessions/{}/events?view=presenter", f.session),
        f.b.cookie.as_deref(),
    );
    events.wait_for("event: live", 10);
    events.wait_for("Tijd om te oefenen", 10);
    let mut p3 = participant(&server, &code);
    let t3 = token(&mut p3, &code);
    assert_eq!(answer(&mut p3, &code, &t3, 2, "text", "Samen oefenen").status, 303);
    events.wait_for("Samen oefenen", 10);
    // A participant's stream too, after a reconnect: it starts from the current state.
    let mut mine = Events::open(&server.addr, &format!("/t/{code}/events"), p3.cookie.as_deref());
    mine.wait_for("event: shape", 10);
    mine.wait_for("Samen oefenen", 10);

    // Others: a teacher, and the facilitator of another school, get the standard 404.
    for login in ["leerkracht.po", "af.vo"] {
        let mut other = Browser::new(&server);
        other.login(login, &secret_of(&server, login));
        for path in [
            format!("/team-sessions/{}", f.session),
            format!("/team-sessions/{}/presenter", f.session),
            format!("/team-sessions/{}/events", f.session),
        ] {
            assert_eq!(other.get(&path).status, 404, "{login} {path}");
        }
        let page = other.get("/");
        let csrf = Browser::csrf_of(&page);
        let r = other.post(&format!("/team-sessions/{}/control", f.session), &[("_csrf", &csrf), ("action", "close")]);
        assert_eq!(r.status, 404, "{login} cannot close it");
    }

    // Closing: nothing more is answered and nobody joins.
    assert_eq!(f.control("close", None).status, 303);
    let r = answer(&mut p2, &code, &t2, 3, "text", "te laat");
    assert_eq!(r.status, 409);
    assert!(r.body.contains("afgesloten"), "{}", r.body);
    let mut late = Browser::new(&server);
    let r = late.post(&format!("/t/{code}/join"), &[]);
    assert_eq!(r.status, 409);
    assert!(r.body.contains("Dit teamleergesprek is afgesloten"), "{}", r.body);
    let page = f.b.get(&format!("/team-sessions/{}", f.session));
    // Question 1 and 3 have two answers each, the others one: nothing was counted twice.
    assert!(page.body.contains("Antwoorden: 2") && !page.body.contains("Antwoorden: 3"), "{}", page.body);

    drop(server);
    env.finish().await;
}

async fn a_hundred_participants_answer_at_once(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let mut f = prepare(&server);
    let code = f.code.clone();
    assert_eq!(f.control("start", None).status, 303);
    assert_eq!(f.control("open", Some(1)).status, 303);
    let mut events =
        Events::open(&server.addr, &format!("/team-sessions/{}/events?view=control", f.session), f.b.cookie.as_deref());
    events.wait_for("event: live", 10);

    let mut people: Vec<(Browser, String)> = (0..100)
        .map(|_| {
            let mut p = participant(&server, &code);
            let csrf = Browser::csrf_of(&p.get(&format!("/t/{code}")));
            (p, csrf)
        })
        .collect();
    let started = Instant::now();
    let threads: Vec<_> = people
        .drain(..)
        .enumerate()
        .map(|(n, (mut p, csrf))| {
            let code = code.clone();
            std::thread::spawn(move || {
                let choice = (n % 6).to_string();
                // Every participant clicks twice; the second is refused.
                let first =
                    p.post(&format!("/t/{code}/answers"), &[("_csrf", &csrf), ("question", "1"), ("choice", &choice)]);
                let second =
                    p.post(&format!("/t/{code}/answers"), &[("_csrf", &csrf), ("question", "1"), ("choice", &choice)]);
                (first.status, second.status)
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), (303, 409));
    }
    events.wait_for("Antwoorden: 100", 20);
    assert!(started.elapsed() < Duration::from_secs(60), "100 answers took {:?}", started.elapsed());
    let page = f.b.get(&format!("/team-sessions/{}", f.session));
    assert!(page.body.contains("Antwoorden: 100") && page.body.contains("Deelnemers: 100"));
    drop(server);
    env.finish().await;
}

/// Two server processes on one PostgreSQL database: an answer given through node A appears in the event
/// stream of a presenter connected to node B (fan-out through LISTEN/NOTIFY).
async fn two_nodes_share_live_updates() {
    let Some(env) = Env::new(Backend::Postgres).await else { return };
    let a = Server::start(&env, &["--demo"]);
    let b = Server::start(&env, &["--demo"]);
    let mut f = prepare(&a);
    let code = f.code.clone();
    assert_eq!(f.control("start", None).status, 303);
    assert_eq!(f.control("open", Some(2)).status, 303);
    assert_eq!(f.control("show", Some(2)).status, 303);
    let path = format!("/team-sessions/{}/events?view=presenter", f.session);
    let mut on_b = Events::open(&b.addr, &path, f.b.cookie.as_deref());
    on_b.wait_for("event: live", 10);
    on_b.wait_for("Antwoorden: 0", 10);
    let mut p = participant(&a, &code);
    let t = token(&mut p, &code);
    assert_eq!(answer(&mut p, &code, &t, 2, "text", "Gegeven via node A").status, 303);
    on_b.wait_for("Gegeven via node A", 10);
    // And the other way round: a participant on node B, the stream on node A.
    let mut on_a = Events::open(&a.addr, &path, f.b.cookie.as_deref());
    on_a.wait_for("Gegeven via node A", 10);
    let mut q = participant(&b, &code);
    let t = token(&mut q, &code);
    assert_eq!(answer(&mut q, &code, &t, 2, "text", "Gegeven via node B").status, 303);
    on_a.wait_for("Gegeven via node B", 10);
    drop((a, b));
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_postgres() {
    two_nodes_share_live_updates().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_sqlite() {
    a_session_from_preparation_to_close(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_postgres() {
    a_session_from_preparation_to_close(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_participants_sqlite() {
    a_hundred_participants_answer_at_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_participants_postgres() {
    a_hundred_participants_answer_at_once(Backend::Postgres).await;
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext (Debian poppler-utils, installed by test.sh): {e}"));
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The ids in `name="point" value="N"` fields of a page, in page order.
fn point_ids(page: &str) -> Vec<String> {
    let marker = "name=\"point\" value=\"";
    page.match_indices(marker)
        .map(|(at, _)| page[at + marker.len()..].chars().take_while(char::is_ascii_digit).collect())
        .collect()
}

/// The value of the `<option>` whose text is `name`.
fn option_value(page: &str, name: &str) -> String {
    let end = page.find(&format!("\">{name}</option>")).unwrap_or_else(|| panic!("no option {name}"));
    let start = page[..end].rfind("value=\"").unwrap() + "value=\"".len();
    page[start..end].to_string()
}

fn post_point(p: &mut Browser, code: &str, csrf: &str, text: &str, level: &str) -> Response {
    p.post(&format!("/t/{code}/points"), &[("_csrf", csrf), ("text", text), ("level", level)])
}

fn give_dot(p: &mut Browser, code: &str, csrf: &str, point: &str) -> Response {
    p.post(&format!("/t/{code}/dots"), &[("_csrf", csrf), ("point", point)])
}

/// Issue 10 point 4 and the follow-up of point 5: action points with a level, dot voting within the limit,
/// the facilitator turns the top points into actions with an owner and a date; they appear in the owner's
/// "Mijn taken" and in the school action list, where the owner marks one done; a follow-up session shows
/// the open ones for review. Bad input is refused with a clear message and counted once.
async fn action_points_dots_and_actions(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let mut f = prepare(&server);
    let code = f.code.clone();
    assert_eq!(f.control("start", None).status, 303);
    let mut p1 = participant(&server, &code);
    let mut p2 = participant(&server, &code);
    let page = p1.get(&format!("/t/{code}"));
    assert!(!page.body.contains("Actiepunt plaatsen"), "no post-its before their agenda item");
    // A few poll answers, for the report's charts.
    for q in [0, 2] {
        assert_eq!(f.control("open", Some(q)).status, 303);
    }
    let (a1, a2) = (token(&mut p1, &code), token(&mut p2, &code));
    assert_eq!(answer(&mut p1, &code, &a1, 0, "choice", "0").status, 303);
    assert_eq!(answer(&mut p2, &code, &a2, 0, "choice", "2").status, 303);
    assert_eq!(answer(&mut p2, &code, &a2, 2, "text", "Tijd om te oefenen").status, 303);
    // A crafted post before its agenda item is refused and saves nothing (points, dots, groups).
    let early = token(&mut p1, &code);
    let r = post_point(&mut p1, &code, &early, "Te vroeg geplaatst", "team");
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("ander onderdeel van het programma"), "{}", r.body);
    let r = p1.post(&format!("/t/{code}/groups"), &[("_csrf", &early), ("name", "Te vroeg"), ("case", "0")]);
    assert_eq!(r.status, 409, "{}", r.body);
    // On to "keeping the theme on the agenda" (the eighth item of the standard agenda).
    for _ in 0..7 {
        assert_eq!(f.control("next", None).status, 303);
    }
    let t1 = token(&mut p1, &code);
    let t2 = token(&mut p2, &code);
    let page = p1.get(&format!("/t/{code}"));
    assert!(page.body.contains("Het thema op de agenda houden"), "{}", page.body);
    assert!(page.body.contains("Actiepunt plaatsen") && page.body.contains("Stippen over: 3"));

    // Posting: typed with a level; bad input changes nothing.
    assert_eq!(post_point(&mut p1, &code, &t1, "Signalen vast bespreken in het teamoverleg", "team").status, 303);
    let r = post_point(&mut p1, &code, &t1, " Signalen vast bespreken in het teamoverleg ", "team");
    assert_eq!(r.status, 409, "the same point twice counts once");
    assert!(r.body.contains("Dit actiepunt heb je al geplaatst"), "{}", r.body);
    let r = post_point(&mut p1, &code, &t1, &"x".repeat(201), "team");
    assert_eq!(r.status, 413);
    assert!(r.body.contains("Je tekst is te lang"), "{}", r.body);
    let r = post_point(&mut p1, &code, &t1, "   ", "team");
    assert_eq!(r.status, 422);
    let r = post_point(&mut p1, &code, &t1, "Iets", "school");
    assert_eq!(r.status, 422, "a level that does not exist");
    let r = p1.post(&format!("/t/{code}/points"), &[("_csrf", "0123456789abcdef0123456789abcdef"), ("text", "x")]);
    assert_eq!(r.status, 403, "a form without the participant's token");
    assert_eq!(post_point(&mut p2, &code, &t2, "Scholing in gesprekken met ouders", "individual").status, 303);
    assert_eq!(post_point(&mut p2, &code, &t2, "Vaste contactpersoon bij Veilig Thuis", "partners").status, 303);

    // Dot voting: three dots each, several on one point allowed, the fourth refused.
    let page = p1.get(&format!("/t/{code}"));
    let ids = point_ids(&page.body);
    assert_eq!(ids.len(), 3, "{}", page.body);
    assert!(page.body.contains("van jou"), "a participant sees which point is their own");
    let (own, scholing, partners) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
    let mut events = Events::open(
        &server.addr,
        &format!("/team-sessions/{}/events?view=presenter", f.session),
        f.b.cookie.as_deref(),
    );
    events.wait_for("Vaste contactpersoon bij Veilig Thuis", 10);
    for point in [&scholing, &scholing, &partners] {
        assert_eq!(give_dot(&mut p1, &code, &t1, point).status, 303);
    }
    let r = give_dot(&mut p1, &code, &t1, &own);
    assert_eq!(r.status, 409, "more dots than allowed");
    assert!(r.body.contains("Je hebt al je stippen gebruikt"), "{}", r.body);
    assert!(r.body.contains("Stippen over: 0"));
    let r = give_dot(&mut p2, &code, &t2, "999999");
    assert_eq!(r.status, 422, "a point that does not exist");
    assert!(r.body.contains("Dit actiepunt bestaat niet"), "{}", r.body);
    assert_eq!(give_dot(&mut p2, &code, &t2, &scholing).status, 303);
    // Live: the presenter's stream carries the ranking.
    events.wait_for("Stippen: 3", 10);

    // The facilitator sees the ranking and makes actions of the top points.
    let page = f.b.get(&format!("/team-sessions/{}", f.session));
    let first = page.body.find("Scholing in gesprekken met ouders</strong>").unwrap();
    let second = page.body.find("Vaste contactpersoon bij Veilig Thuis</strong>").unwrap();
    let third = page.body.find("Signalen vast bespreken in het teamoverleg</strong>").unwrap();
    assert!(first < second && second < third, "most dots first");
    assert!(!page.body.contains("Annemarie Aandacht"), "only staff of this location can own an action");
    let lieke = option_value(&page.body, "Lieke Leerkracht (demo)");
    let ilse = option_value(&page.body, "Ilse Intern-Begeleider (demo)");
    let action = |f: &mut Facilitator, point: &str, owner: &str, planned: &str, text: &str| {
        let csrf = f.csrf.clone();
        f.b.post(
            &format!("/team-sessions/{}/actions", f.session),
            &[("_csrf", &csrf), ("point", point), ("owner", owner), ("planned", planned), ("text", text)],
        )
    };
    let r = action(&mut f, &scholing, &lieke, "2020-01-01", "");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("De geplande datum ligt in het verleden"), "{}", r.body);
    let r = action(&mut f, &scholing, &lieke, "morgen", "");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Vul een geldige datum in"), "{}", r.body);
    let r = action(&mut f, &scholing, "", "2099-03-01", "");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Kies als eigenaar een medewerker van deze locatie"), "{}", r.body);
    let r = action(&mut f, &scholing, &lieke, "2099-03-01", &"x".repeat(201));
    assert_eq!(r.status, 422);
    let r = action(&mut f, "999999", &lieke, "2099-03-01", "");
    assert_eq!(r.status, 422);
    assert_eq!(action(&mut f, &scholing, &lieke, "2099-03-01", "").status, 303);
    let r = action(&mut f, &scholing, &ilse, "2099-03-02", "");
    assert_eq!(r.status, 409, "a point becomes one action");
    assert!(r.body.contains("Van dit actiepunt is al een actie gemaakt"), "{}", r.body);
    assert_eq!(
        action(&mut f, &partners, &ilse, "2099-04-01", "Afspraak met Veilig Thuis over een vast contact").status,
        303
    );
    let page = f.b.get(&format!("/team-sessions/{}", f.session));
    assert!(page.body.contains("er is een actie van gemaakt"));
    assert!(page.body.contains("Afspraak met Veilig Thuis over een vast contact"));

    // The owner's "Mijn taken" and the school action list.
    let mut lieke_b = Browser::new(&server);
    lieke_b.login("leerkracht.po", &secret_of(&server, "leerkracht.po"));
    let tasks = lieke_b.get("/tasks");
    assert_eq!(tasks.status, 200);
    assert!(tasks.body.contains("Acties uit teamleergesprekken"));
    assert!(
        tasks.body.contains("Scholing in gesprekken met ouders") && tasks.body.contains("01-03-2099"),
        "{}",
        tasks.body
    );
    assert!(!tasks.body.contains("Afspraak met Veilig Thuis"), "only her own actions");
    let list = lieke_b.get("/team-actions");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Scholing in gesprekken met ouders") && list.body.contains("Afspraak met Veilig Thuis"));
    let ids: Vec<String> = list
        .body
        .match_indices("action=\"/team-actions/")
        .map(|(at, m)| list.body[at + m.len()..].chars().take_while(char::is_ascii_digit).collect())
        .collect();
    assert_eq!(ids.len(), 1, "she may mark only her own action done: {}", list.body);
    let csrf = Browser::csrf_of(&list);
    let all_ids: Vec<i64> = ids.iter().map(|i| i.parse().unwrap()).collect();
    let mine = all_ids[0];
    // Ilse's action (the other one) cannot be marked done by Lieke.
    let r = lieke_b.post(&format!("/team-actions/{}/done", mine + 1), &[("_csrf", &csrf)]);
    assert_eq!(r.status, 404, "not hers");
    assert_eq!(lieke_b.post(&format!("/team-actions/{mine}/done"), &[("_csrf", &csrf)]).status, 303);
    let r = lieke_b.post(&format!("/team-actions/{mine}/done"), &[("_csrf", &csrf)]);
    assert_eq!(r.status, 409);
    assert!(r.body.contains("Deze actie is al afgerond"), "{}", r.body);
    let tasks = lieke_b.get("/tasks");
    assert!(tasks.body.contains("Je hebt geen open acties uit teamleergesprekken."), "done: no longer a task");
    // Another school sees nothing of it.
    let mut other = Browser::new(&server);
    other.login("af.vo", &secret_of(&server, "af.vo"));
    let list = other.get("/team-actions");
    assert!(!list.body.contains("Scholing in gesprekken"), "{}", list.body);
    let csrf_other = Browser::csrf_of(&other.get("/"));
    assert_eq!(other.post(&format!("/team-actions/{}/done", mine + 1), &[("_csrf", &csrf_other)]).status, 404);

    // Closed: no more points or dots.
    assert_eq!(f.control("close", None).status, 303);
    let r = post_point(&mut p2, &code, &t2, "Te laat", "team");
    assert_eq!(r.status, 409);
    assert!(r.body.contains("afgesloten"), "{}", r.body);
    let r = give_dot(&mut p2, &code, &t2, &own);
    assert_eq!(r.status, 409);
    // Nothing was counted twice: three points, dots 3 + 1 + 0.
    let page = f.b.get(&format!("/team-sessions/{}", f.session));
    assert!(page.body.contains("Stippen: 3") && page.body.contains("Stippen: 1") && page.body.contains("Stippen: 0"));

    // The report: agenda, poll, draft, the ranked points and the actions.
    let pdf = f.b.get(&format!("/team-sessions/{}/report.pdf", f.session));
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf.bytes);
    for expected in [
        "Agenda",
        "Het thema op de agenda houden",
        "Peiling",
        "Concept-routekaart",
        "Scholing in gesprekken met ouders",
        "Afspraak met Veilig Thuis over een vast contact",
        "Lieke Leerkracht (demo)",
        "afgerond",
        "Heel vaardig",
        "Tijd om te oefenen",
    ] {
        assert!(text.contains(expected), "{expected} missing from the report: {text}");
    }
    if let Ok(dir) = std::env::var("TEAM_REPORT_DIR") {
        std::fs::write(format!("{dir}/team-report-{backend:?}.pdf"), &pdf.bytes).unwrap();
    }

    // A follow-up session: the open action of the previous one is shown for review, the done one is not.
    let list = f.b.get("/team-sessions");
    let location = number_after(&list.body, "action=\"/locations/");
    let session = f.session.to_string();
    let made = f.b.post(
        &format!("/locations/{location}/team-sessions"),
        &[("_csrf", &f.csrf.clone()), ("follow_up_of", &session)],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let page = f.b.get(made.header("location").unwrap());
    assert!(page.body.contains("Open acties uit het vorige gesprek"), "{}", page.body);
    assert!(page.body.contains("Afspraak met Veilig Thuis over een vast contact"));
    assert!(!page.body.contains("Scholing in gesprekken met ouders"), "done actions are not carried over");
    // Another school's session cannot be followed up here.
    let r = other
        .post(&format!("/locations/{location}/team-sessions"), &[("_csrf", &csrf_other), ("follow_up_of", &session)]);
    assert_eq!(r.status, 404);

    drop(server);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_points_sqlite() {
    action_points_dots_and_actions(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_points_postgres() {
    action_points_dots_and_actions(Backend::Postgres).await;
}

fn value_of(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page.find(&marker).unwrap_or_else(|| panic!("no {name} in {page}")) + marker.len();
    page[at..].chars().take_while(|c| *c != '"').collect()
}

fn worksheet(p: &mut Browser, code: &str, csrf: &str, group: &str, step: &str, fields: &[(&str, &str)]) -> Response {
    let mut all = vec![("_csrf", csrf), ("group", group), ("step", step)];
    all.extend_from_slice(fields);
    p.post(&format!("/t/{code}/worksheet"), &all)
}

/// Issue 10 point 3: groups pick a case and fill in the worksheet together (a second save of the same field
/// at the same version is told, not lost); the plenary view collects the draft route map; the facilitator
/// reviews what changes and applies it to the location's route map as a new version.
async fn case_work_and_the_draft_route_map(backend: Backend) {
    let Some(env) = Env::new(backend).await else { return };
    let server = Server::start(&env, &["--demo"]);
    let mut f = prepare(&server);
    let code = f.code.clone();
    assert_eq!(f.control("start", None).status, 303);
    let (mut p1, mut p2, mut p3) =
        (participant(&server, &code), participant(&server, &code), participant(&server, &code));
    for _ in 0..5 {
        assert_eq!(f.control("next", None).status, 303);
    }
    let (t1, t2, t3) = (token(&mut p1, &code), token(&mut p2, &code), token(&mut p3, &code));
    let page = p1.get(&format!("/t/{code}"));
    assert!(page.body.contains("Casuswerk in groepjes") && page.body.contains("Groep maken"), "{}", page.body);
    let group = |p: &mut Browser, csrf: &str, name: &str, case: &str| {
        p.post(&format!("/t/{code}/groups"), &[("_csrf", csrf), ("name", name), ("case", case)])
    };
    assert_eq!(group(&mut p1, &t1, "Groep Noord", "0").status, 303);
    let r = group(&mut p2, &t2, "groep noord", "1");
    assert_eq!(r.status, 422, "a name once");
    let r = group(&mut p2, &t2, " ", "1");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Geef de groep een naam"), "{}", r.body);
    let r = group(&mut p2, &t2, "Groep Zuid", "99");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Kies een van de casussen"), "{}", r.body);
    let r = group(&mut p1, &t1, "Groep Zuid", "1");
    assert_eq!(r.status, 409);
    assert!(r.body.contains("Je zit al in een groep"), "{}", r.body);
    let page = p2.get(&format!("/t/{code}"));
    let id = value_of(&page.body, "group");
    assert!(page.body.contains("Groep Noord") && page.body.contains("Leden: 1"));
    let join = |p: &mut Browser, csrf: &str, group: &str| {
        p.post(&format!("/t/{code}/groups/join"), &[("_csrf", csrf), ("group", group)])
    };
    assert_eq!(join(&mut p2, &t2, &id).status, 303);
    assert_eq!(join(&mut p2, &t2, &id).status, 409, "one seat per participant");
    assert_eq!(join(&mut p3, &t3, "999999").status, 422);

    // The worksheet, per step and field, with a version per field.
    let page = p1.get(&format!("/t/{code}"));
    assert!(page.body.contains("Jouw groep: Groep Noord") && page.body.contains("Sem, groep 4"), "{}", page.body);
    let r = worksheet(
        &mut p1,
        &code,
        &t1,
        &id,
        "0",
        &[("positives", "Signalen worden direct genoteerd"), ("positives_version", "0")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = worksheet(&mut p2, &code, &t2, &id, "0", &[("positives", "Iets anders"), ("positives_version", "0")]);
    assert_eq!(r.status, 409, "saved at the same time as someone else");
    assert!(r.body.contains("heeft dit veld intussen gewijzigd"), "{}", r.body);
    assert!(r.body.contains("Jouw tekst: Iets anders") && r.body.contains("Signalen worden direct genoteerd"));
    let r = worksheet(
        &mut p2,
        &code,
        &t2,
        &id,
        "1",
        &[
            ("attention", "Wie belt met Veilig Thuis?"),
            ("attention_version", "0"),
            ("key_persons", "Ilse Intern-Begeleider (demo)\nJeugdarts"),
            ("key_persons_version", "0"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = worksheet(&mut p2, &code, &t2, &id, "2", &[("positives", &"x".repeat(1001)), ("positives_version", "0")]);
    assert_eq!(r.status, 413);
    let r = worksheet(&mut p2, &code, &t2, &id, "7", &[("positives", "x"), ("positives_version", "0")]);
    assert_eq!(r.status, 422, "a step that is not on the worksheet");
    let r = worksheet(&mut p3, &code, &t3, &id, "0", &[("positives", "Van buiten"), ("positives_version", "1")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Je zit niet in deze groep"), "{}", r.body);

    // The plenary: the draft route map on the facilitator's and the presenter's screen.
    let page = f.b.get(&format!("/team-sessions/{}", f.session));
    assert!(page.body.contains("Concept-routekaart") && page.body.contains("Signalen worden direct genoteerd"));
    let presenter = f.b.get(&format!("/team-sessions/{}/presenter", f.session));
    assert!(presenter.body.contains("Wie belt met Veilig Thuis?"));
    assert!(!p3.get(&format!("/t/{code}")).body.contains("Concept-routekaart"), "not on participants' phones");

    // Review and apply: only with the route map right (the IB-er leads sessions but does not edit the map).
    let mut ib = Browser::new(&server);
    ib.login("ib.po", &secret_of(&server, "ib.po"));
    assert_eq!(ib.get(&format!("/team-sessions/{}/route-map-draft", f.session)).status, 404);
    let review = f.b.get(&format!("/team-sessions/{}/route-map-draft", f.session));
    assert_eq!(review.status, 200, "{}", review.body);
    assert!(
        review.body.contains("Na toepassen") && review.body.contains("Gaat goed: Signalen worden direct genoteerd")
    );
    assert!(review.body.contains("Sleutelpersonen erbij: <strong>Jeugdarts</strong>"), "Ilse was named already");
    let based_on = value_of(&review.body, "based_on");
    let mut reviewed = value_of(&review.body, "reviewed");
    assert_eq!(reviewed.len(), 64, "the review carries a digest of what it showed");
    let apply = |f: &mut Facilitator, fields: &[(&str, &str)]| {
        let csrf = f.csrf.clone();
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        f.b.post(&format!("/team-sessions/{}/route-map-draft", f.session), &all)
    };
    let r = apply(&mut f, &[("based_on", &based_on), ("reviewed", &reviewed)]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Vink aan dat u de wijzigingen hebt bekeken"), "{}", r.body);
    let r = apply(&mut f, &[("based_on", "999"), ("reviewed", &reviewed), ("confirm", "on")]);
    assert_eq!(r.status, 409);
    assert!(r.body.contains("De routekaart of het concept is intussen gewijzigd"), "{}", r.body);
    // A group member edits the worksheet after the review: what was reviewed is no longer what would be
    // saved, so nothing is saved until the facilitator looks again.
    let r = worksheet(
        &mut p1,
        &code,
        &t1,
        &id,
        "2",
        &[("key_persons", "Niet bekeken persoon"), ("key_persons_version", "0")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = apply(&mut f, &[("based_on", &based_on), ("reviewed", &reviewed), ("confirm", "on")]);
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("De routekaart of het concept is intussen gewijzigd"), "{}", r.body);
    assert!(r.body.contains("Niet bekeken persoon"), "the fresh review shows the change");
    reviewed = value_of(&r.body, "reviewed");
    let r = apply(&mut f, &[("based_on", &based_on), ("reviewed", &reviewed), ("confirm", "on")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.header("location").unwrap().to_string();
    let map = f.b.get(&to);
    assert!(map.body.contains("Signalen worden direct genoteerd") && map.body.contains("Jeugdarts"), "{}", map.body);
    // Applying again changes nothing: the draft is in the route map already.
    let r = apply(&mut f, &[("based_on", &based_on), ("reviewed", &reviewed), ("confirm", "on")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Het concept staat al in de routekaart"), "{}", r.body);

    drop(server);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_work_sqlite() {
    case_work_and_the_draft_route_map(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_work_postgres() {
    case_work_and_the_draft_route_map(Backend::Postgres).await;
}
