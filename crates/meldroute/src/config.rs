//! Configuration: defaults, then a TOML file (`--config` / `MELDROUTE_CONFIG`), then environment variables
//! (`MELDROUTE_*`), then command-line flags. Unknown keys in the file are refused with the key named.
//! Secrets (the database URL may hold a password) never print: see [`Secret`].

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";

/// The settings file. Every key is optional; an unknown key is an error.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Address to listen on, `HOST:PORT`.
    pub addr: Option<String>,
    /// Directory for the embedded database, keys and backups.
    pub data_dir: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`.
    pub database_url: Option<String>,
    /// Address of the separate Prometheus metrics listener; none by default.
    pub metrics_addr: Option<String>,
    /// `text` (default) or `json` log lines.
    pub log_format: Option<String>,
    /// Minutes without a request after which a session ends (default 15).
    pub session_idle_minutes: Option<u64>,
    /// Hours after login after which a session ends (default 12).
    pub session_absolute_hours: Option<u64>,
    /// Send cookies with `Secure` and the `__Host-` prefix (default true; browsers accept them on
    /// http://localhost and http://127.0.0.1 too). Turn off only behind a plain-HTTP test proxy.
    pub secure_cookies: Option<bool>,
    /// The audit log's HMAC key file (default DATA_DIR/audit.key). Several nodes on one PostgreSQL
    /// database must share the same key file. Keep it out of the database and out of database backups.
    pub audit_key_file: Option<PathBuf>,
    /// Reverse proxies (addresses such as `10.0.0.5` or networks such as `10.0.0.0/8`) whose
    /// `X-Forwarded-For` header names the client; none by default (the header is then ignored).
    pub trusted_proxies: Option<Vec<String>>,
    /// The address users reach the service at, such as `https://meldroute.example.nl`, for links that leave
    /// the browser (first-login links, join addresses). Default: the host each request came in with.
    pub public_url: Option<String>,
}

/// Values given on the command line or in the environment (clap fills these; `None` when absent).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub addr: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub metrics_addr: Option<String>,
    pub log_format: Option<String>,
    /// Comma-separated, as `--trusted-proxies` and `MELDROUTE_TRUSTED_PROXIES` give it.
    pub trusted_proxies: Option<String>,
    pub public_url: Option<String>,
}

/// A value that must never appear in logs or error messages.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The real value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A database URL with any password replaced by `***`, safe to print.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_string() };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else { return url.to_string() };
    let userinfo = &authority[..at];
    let user = userinfo.split(':').next().unwrap_or_default();
    let redacted_userinfo = if userinfo.contains(':') { format!("{user}:***") } else { user.to_string() };
    format!("{}://{}{}", &url[..scheme_end], redacted_userinfo, &rest[at..])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The resolved settings a command runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub audit_key_file: PathBuf,
    pub session_idle: std::time::Duration,
    pub session_absolute: std::time::Duration,
    pub secure_cookies: bool,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Secret,
    pub metrics_addr: Option<SocketAddr>,
    pub log_format: LogFormat,
    pub trusted_proxies: meldroute_web::client_addr::TrustedProxies,
    /// Without a trailing slash.
    pub public_url: Option<String>,
}

impl Settings {
    /// The database URL, safe to print.
    pub fn database_url_redacted(&self) -> String {
        redact_url(self.database_url.expose())
    }
}

/// Reads the settings file (when given) and applies the overrides.
pub fn resolve(over: &Overrides) -> Result<Settings, String> {
    let file = match &over.config {
        Some(path) => read_file(path)?,
        None => FileConfig::default(),
    };
    let addr_text = over.addr.clone().or(file.addr).unwrap_or_else(|| DEFAULT_ADDR.to_string());
    let addr = parse_addr(&addr_text, "address")?;
    let data_dir = over.data_dir.clone().or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let database_url =
        over.database_url.clone().or(file.database_url).unwrap_or_else(|| default_database_url(&data_dir));
    let metrics_addr = match over.metrics_addr.clone().or(file.metrics_addr) {
        Some(text) if !text.trim().is_empty() => Some(parse_addr(&text, "metrics address")?),
        _ => None,
    };
    let log_format = match over.log_format.clone().or(file.log_format).as_deref() {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => return Err(format!("log format '{other}' is not known; use 'text' or 'json'")),
    };
    let env_number = |name: &str| -> Result<Option<u64>, String> {
        match std::env::var(name) {
            Ok(v) => v.trim().parse().map(Some).map_err(|_| format!("{name} must be a whole number, not '{v}'")),
            Err(_) => Ok(None),
        }
    };
    let idle = env_number("MELDROUTE_SESSION_IDLE_MINUTES")?.or(file.session_idle_minutes).unwrap_or(15);
    let absolute = env_number("MELDROUTE_SESSION_ABSOLUTE_HOURS")?.or(file.session_absolute_hours).unwrap_or(12);
    if idle == 0 || idle > 24 * 60 || absolute == 0 || absolute > 24 * 7 {
        return Err("session times out of range: idle 1 to 1440 minutes, absolute 1 to 168 hours".into());
    }
    let secure_cookies = match std::env::var("MELDROUTE_SECURE_COOKIES") {
        Ok(v) => matches!(v.trim(), "1" | "true" | "yes"),
        Err(_) => file.secure_cookies.unwrap_or(true),
    };
    let trusted_proxies = match &over.trusted_proxies {
        Some(list) => meldroute_web::client_addr::TrustedProxies::parse(list.split(',')),
        None => {
            meldroute_web::client_addr::TrustedProxies::parse(file.trusted_proxies.iter().flatten().map(String::as_str))
        }
    }?;
    let public_url = match over.public_url.clone().or(file.public_url) {
        Some(text) if !text.trim().is_empty() => Some(parse_public_url(&text)?),
        _ => None,
    };
    let audit_key_file = std::env::var_os("MELDROUTE_AUDIT_KEY_FILE")
        .map(PathBuf::from)
        .or(file.audit_key_file)
        .unwrap_or_else(|| data_dir.join("audit.key"));
    Ok(Settings {
        audit_key_file,
        session_idle: std::time::Duration::from_secs(idle * 60),
        session_absolute: std::time::Duration::from_secs(absolute * 3600),
        secure_cookies,
        addr,
        data_dir,
        database_url: Secret::new(database_url),
        metrics_addr,
        log_format,
        trusted_proxies,
        public_url,
    })
}

/// `https://host[:port]` (or `http://`), with at most a trailing slash, which is dropped.
fn parse_public_url(text: &str) -> Result<String, String> {
    let bad =
        || format!("the public address '{text}' is not of the form https://HOST, such as https://meldroute.example.nl");
    let trimmed = text.trim().trim_end_matches('/');
    if trimmed.contains(['#', '?', '\\']) {
        return Err(bad());
    }
    let uri: axum::http::Uri = trimmed.parse().map_err(|_| bad())?;
    let scheme = uri.scheme_str().filter(|s| matches!(*s, "https" | "http")).ok_or_else(bad)?;
    let bare = uri.path_and_query().is_none_or(|p| p.as_str().is_empty() || p.as_str() == "/");
    let authority = uri.authority().filter(|a| !a.as_str().contains('@') && !a.host().is_empty()).ok_or_else(bad)?;
    // Rebuilt from its parts: nothing else of the text ends up in the links.
    if bare { Ok(format!("{scheme}://{authority}")) } else { Err(bad()) }
}

/// The embedded database inside the data directory.
pub fn default_database_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("meldroute.db").display())
}

fn parse_addr(text: &str, what: &str) -> Result<SocketAddr, String> {
    text.trim().parse().map_err(|_| format!("the {what} '{text}' is not of the form HOST:PORT, such as 127.0.0.1:8080"))
}

fn read_file(path: &Path) -> Result<FileConfig, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        // toml's message spans several lines with a source excerpt; keep it to one line.
        let message = e.message().replace('\n', " ");
        let line = e
            .span()
            .map(|span| text.as_bytes()[..span.start.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1);
        match line {
            Some(line) => format!("config file {} line {line}: {message}", path.display()),
            None => format!("config file {}: {message}", path.display()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meldroute.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn defaults_put_the_embedded_database_in_the_data_dir() {
        let s = resolve(&Overrides::default()).unwrap();
        assert_eq!(s.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.database_url.expose(), "sqlite://./data/meldroute.db");
        assert_eq!(s.metrics_addr, None);
    }

    #[test]
    fn file_then_overrides() {
        let (_d, path) = write("addr = \"127.0.0.1:9000\"\ndata_dir = \"/srv/m\"\nmetrics_addr = \"127.0.0.1:9100\"\n");
        let s = resolve(&Overrides { config: Some(path.clone()), ..Default::default() }).unwrap();
        assert_eq!(s.addr.port(), 9000);
        assert_eq!(s.database_url.expose(), "sqlite:///srv/m/meldroute.db");
        assert_eq!(s.metrics_addr.map(|a| a.port()), Some(9100));
        let s = resolve(&Overrides { config: Some(path), addr: Some("0.0.0.0:1234".into()), ..Default::default() })
            .unwrap();
        assert_eq!(s.addr.port(), 1234);
    }

    #[test]
    fn a_typo_in_the_file_is_named_on_one_line() {
        let (_d, path) = write("addr = \"127.0.0.1:9000\"\nadres = \"x\"\n");
        let err = resolve(&Overrides { config: Some(path), ..Default::default() }).unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("unknown field `adres`"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn bad_values_are_explained() {
        let err = resolve(&Overrides { addr: Some("localhost".into()), ..Default::default() }).unwrap_err();
        assert!(err.contains("HOST:PORT"), "{err}");
        let err = resolve(&Overrides { log_format: Some("xml".into()), ..Default::default() }).unwrap_err();
        assert!(err.contains("'xml'"), "{err}");
        let err = resolve(&Overrides { config: Some("/no/such/file.toml".into()), ..Default::default() }).unwrap_err();
        assert!(err.contains("cannot read the config file"), "{err}");
    }

    #[test]
    fn trusted_proxies_come_from_the_file_or_the_flag() {
        let s = resolve(&Overrides::default()).unwrap();
        assert!(s.trusted_proxies.is_empty(), "none by default");
        let (_d, path) = write("trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n");
        let s = resolve(&Overrides { config: Some(path.clone()), ..Default::default() }).unwrap();
        assert!(s.trusted_proxies.contains("10.9.8.7".parse().unwrap()));
        assert!(!s.trusted_proxies.contains("192.0.2.1".parse().unwrap()));
        let s =
            resolve(&Overrides { config: Some(path), trusted_proxies: Some("192.0.2.1".into()), ..Default::default() })
                .unwrap();
        assert!(s.trusted_proxies.contains("192.0.2.1".parse().unwrap()), "the flag wins");
        assert!(!s.trusted_proxies.contains("10.9.8.7".parse().unwrap()));
        let err =
            resolve(&Overrides { trusted_proxies: Some("10.0.0.0/40".into()), ..Default::default() }).unwrap_err();
        assert!(err.contains("10.0.0.0/40"), "{err}");
    }

    #[test]
    fn the_public_address_is_a_bare_web_address() {
        assert_eq!(resolve(&Overrides::default()).unwrap().public_url, None);
        for (given, kept) in [
            ("https://meldroute.example.nl", "https://meldroute.example.nl"),
            (" https://meldroute.example.nl/ ", "https://meldroute.example.nl"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ] {
            let s = resolve(&Overrides { public_url: Some(given.into()), ..Default::default() }).unwrap();
            assert_eq!(s.public_url.as_deref(), Some(kept));
        }
        for bad in [
            "meldroute.example.nl",
            "ftp://x.nl",
            "https://x.nl/path",
            "https://x.nl/?a=1",
            "https://u@x.nl",
            "https://x.nl#a",
        ] {
            let err = resolve(&Overrides { public_url: Some(bad.into()), ..Default::default() }).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("postgres://u:hunter2@h/db".into());
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(redact_url("postgres://u:hunter2@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://./data/x.db"), "sqlite://./data/x.db");
        assert_eq!(redact_url("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
    }
}
