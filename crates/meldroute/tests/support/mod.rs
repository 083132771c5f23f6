//! Helpers for tests that run the real `meldroute` binary: start it on a free port with a fresh database,
//! talk HTTP to it, stop it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use meldroute_store_tests::TestDb;

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_meldroute"));
    // Tests must not pick up an operator's environment.
    for var in
        ["MELDROUTE_CONFIG", "MELDROUTE_DATA_DIR", "MELDROUTE_DATABASE_URL", "MELDROUTE_ADDR", "MELDROUTE_METRICS_ADDR"]
    {
        cmd.env_remove(var);
    }
    cmd.env("MELDROUTE_LOG", "warn");
    cmd
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A data directory plus (for PostgreSQL) a fresh database.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub pg: Option<TestDb>,
}

impl Env {
    /// `None` when PostgreSQL is asked for but unreachable and not required.
    pub async fn new(backend: Backend) -> Option<Env> {
        let dir = tempfile::tempdir().unwrap();
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(TestDb::postgres().await.unwrap()?),
        };
        Some(Env { dir, pg })
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The arguments that point a command at this environment's database.
    pub fn db_args(&self) -> Vec<String> {
        let mut args = vec!["--data-dir".to_string(), self.dir.path().display().to_string()];
        if let Some(pg) = &self.pg {
            args.push("--database-url".into());
            args.push(pg.url.clone());
        }
        args
    }

    pub async fn finish(self) {
        if let Some(pg) = self.pg {
            pg.finish().await;
        }
    }
}

/// A running server.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub stdout: String,
}

impl Server {
    /// Starts `meldroute serve` with `extra` arguments on a free port and waits until it listens.
    pub fn start(env: &Env, extra: &[&str]) -> Server {
        let mut cmd = bin();
        cmd.arg("serve").args(env.db_args()).args(["--addr", "127.0.0.1:0"]).args(extra);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut reader = BufReader::new(stdout);
        let mut seen = String::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).unwrap();
            if n == 0 {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("server exited before listening; stdout: {seen}\nstderr: {err}");
            }
            seen.push_str(&line);
            if let Some(rest) = line.strip_prefix("meldroute is running at http://") {
                break rest.trim().trim_end_matches('/').to_string();
            }
            assert!(Instant::now() < deadline, "server did not start in time");
        };
        // Read the rest of the start-up output (demo logins) until the blank line that ends it.
        if extra.contains(&"--demo") {
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                seen.push_str(&line);
                if line.trim().is_empty() && seen.contains("DEMO:") {
                    break;
                }
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = reader.read_to_string(&mut sink);
        });
        Server { child, addr, stdout: seen }
    }

    pub fn get(&self, path: &str) -> Response {
        request(&self.addr, "GET", path, &[], None)
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body as sent, byte for byte (for downloads).
    pub bytes: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A minimal HTTP/1.1 client (one request per connection), enough for tests.
pub fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Response {
    request_bytes(addr, method, path, headers, body.map(str::as_bytes))
}

/// As [`request`], with a binary body. A server may answer before it has read the whole body (a body over
/// its limit): the answer is still read.
pub fn request_bytes(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    let mut raw_request = req.into_bytes();
    if let Some(body) = body {
        raw_request.extend_from_slice(body);
    }
    let _ = stream.write_all(&raw_request);
    let mut raw = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(_) if !raw.is_empty() => break,
            Err(e) => panic!("{method} {path}: {e}"),
        }
    }
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").map_or(raw.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect::<Vec<_>>();
    let chunked = headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let bytes = if chunked { dechunk(&raw[split..]) } else { raw[split..].to_vec() };
    let body = String::from_utf8_lossy(&bytes).to_string();
    Response { status, headers, body, bytes }
}

fn dechunk(mut s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = s.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&s[..eol]).to_string();
        let rest = &s[eol + 2..];
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || rest.len() < n {
            break;
        }
        out.extend_from_slice(&rest[..n]);
        s = rest[n..].strip_prefix(b"\r\n").unwrap_or(&rest[n..]);
    }
    out
}

/// A `multipart/form-data` body with text fields (in order) and then, optionally, one file part.
pub fn multipart_body(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----meldroute-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((name, file_name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Runs the binary to completion with `args` and optional stdin.
pub fn run(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut cmd = bin();
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// A browser-like client: keeps the session cookie, sends Origin on POST, and can log in with the demo
/// password and a TOTP code computed from the secret printed at start-up.
pub struct Browser {
    pub addr: String,
    pub cookie: Option<String>,
}

pub const DEMO_PASSWORD: &str = "demo-wachtwoord-2026";

impl Browser {
    pub fn new(server: &Server) -> Browser {
        Browser { addr: server.addr.clone(), cookie: None }
    }

    fn absorb(&mut self, response: &Response) {
        for (name, value) in &response.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = value.split(';').next().unwrap_or_default();
                if let Some((_, v)) = pair.split_once('=') {
                    self.cookie = if v.is_empty() { None } else { Some(pair.to_string()) };
                }
            }
        }
    }

    pub fn get(&mut self, path: &str) -> Response {
        let cookie = self.cookie.clone();
        let mut headers = vec![];
        if let Some(c) = &cookie {
            headers.push(("Cookie", c.as_str()));
        }
        let response = request(&self.addr, "GET", path, &headers, None);
        self.absorb(&response);
        response
    }

    /// POSTs a form as a browser on our own page would (with Origin).
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let origin = format!("http://{}", self.addr);
        self.post_with_origin(path, fields, &origin)
    }

    pub fn post_with_origin(&mut self, path: &str, fields: &[(&str, &str)], origin: &str) -> Response {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let cookie = self.cookie.clone();
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded"), ("Origin", origin)];
        if let Some(c) = &cookie {
            headers.push(("Cookie", c.as_str()));
        }
        let response = request(&self.addr, "POST", path, &headers, Some(&body));
        self.absorb(&response);
        response
    }

    /// POSTs a `multipart/form-data` form (fields in order, then one file) as a browser on our own page would.
    pub fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> Response {
        let (content_type, body) = multipart_body(fields, file);
        let origin = format!("http://{}", self.addr);
        let cookie = self.cookie.clone();
        let mut headers = vec![("Content-Type", content_type.as_str()), ("Origin", origin.as_str())];
        if let Some(c) = &cookie {
            headers.push(("Cookie", c.as_str()));
        }
        let response = request_bytes(&self.addr, "POST", path, &headers, Some(&body));
        self.absorb(&response);
        response
    }

    /// The `_csrf` value of the form on a page.
    pub fn csrf_of(page: &Response) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start =
            page.body.find(marker).unwrap_or_else(|| panic!("no form token on page: {}", page.body)) + marker.len();
        page.body[start..start + 32].to_string()
    }

    /// Logs in with password and a fresh TOTP code; panics when that fails.
    pub fn login(&mut self, login: &str, secret: &str) {
        let r = self.post("/login", &[("login", login), ("password", DEMO_PASSWORD)]);
        assert_eq!(r.status, 303, "password step for {login}: {}", r.body);
        assert_eq!(r.header("location"), Some("/login/code"));
        let page = self.get("/login/code");
        let csrf = Browser::csrf_of(&page);
        let code = fresh_code(secret);
        let r = self.post("/login/code", &[("_csrf", &csrf), ("code", &code)]);
        assert_eq!(r.status, 303, "second factor for {login}: {}", r.body);
        assert_eq!(r.header("location"), Some("/"));
    }
}

/// A TOTP code for the current step that has not been handed out by this process before (a step can be
/// used once per account, so consecutive logins within 30 seconds take the next step, which the server
/// accepts as clock drift; beyond that, wait).
pub fn fresh_code(secret: &str) -> String {
    use meldroute_web::auth::totp;
    use std::sync::Mutex;
    static USED: Mutex<Vec<(String, i64)>> = Mutex::new(Vec::new());
    let key = totp::base32_decode(secret).unwrap();
    loop {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let step = totp::step_at(now);
        let mut used = USED.lock().unwrap();
        let last = used.iter().filter(|(s, _)| s == secret).map(|(_, st)| *st).max();
        let candidate = match last {
            Some(l) if l > step => None,
            Some(l) if l >= step => Some(step + 1),
            _ => Some(step),
        };
        if let Some(step) = candidate {
            used.push((secret.to_string(), step));
            return totp::code_for_step(&key, step).unwrap();
        }
        drop(used);
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The TOTP secrets printed at start-up by a demo server, per login.
pub fn demo_secrets(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let secret = cols.last()?;
            (cols.len() >= 3
                && secret.len() == 32
                && secret.chars().all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)))
            .then(|| (cols[0].to_string(), secret.to_string()))
        })
        .collect()
}

pub fn secret_of(server: &Server, login: &str) -> String {
    demo_secrets(&server.stdout)
        .into_iter()
        .find(|(l, _)| l == login)
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no secret for {login}"))
}
