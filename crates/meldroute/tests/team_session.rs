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
