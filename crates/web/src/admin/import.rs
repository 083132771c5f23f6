//! Pupil import from a CSV file of the school's administration system, for one location.
//!
//! Everything is checked first and every bad line is reported by its number; if any line is bad nothing is
//! imported. Good files land in one transaction (`Store::import_pupils`).
//!
//! Family codes (`gezin`) become [`FamilyId`]s without a table of their own: the id is derived from the
//! organisation and the code (48 bits of a SHA-256, offset above 2^48 so it never meets small hand-made
//! ids). The same code in a later import, at any location of the organisation, gives the same family, so
//! siblings imported at different times or schools are linked; different organisations never share one.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use meldroute_domain::access::Action;
use meldroute_store::{FamilyId, Group, GroupId, Location, NewPupil, OrgId, PupilFilter, Store, StoreError};
use sha2::{Digest, Sha256};
use time::{Date, Month};

use super::locations::location_for;
use super::{MAX_NAME, Outcome, db, finish, record, store_error};
use crate::AppState;
use crate::auth::csrf;
use crate::auth::session::CurrentUser;
use crate::clock;
use crate::pages::{Layout, render};

/// Largest file accepted.
pub const MAX_FILE_BYTES: usize = 2 * 1024 * 1024;
/// Largest request body: the file plus the form's other parts.
pub const MAX_BODY_BYTES: usize = MAX_FILE_BYTES + 64 * 1024;
/// Longest leerlingnummer and family code.
const MAX_CODE: usize = 50;

/// The columns, by their header name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    FirstName,
    LastName,
    DateOfBirth,
    Group,
    Number,
    Family,
}

impl Column {
    const ALL: [(Column, &'static str); 6] = [
        (Column::FirstName, "voornaam"),
        (Column::LastName, "achternaam"),
        (Column::DateOfBirth, "geboortedatum"),
        (Column::Group, "groep"),
        (Column::Number, "leerlingnummer"),
        (Column::Family, "gezin"),
    ];
}

/// One problem: the line (0 for the file as a whole), the translation key, and the value concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub key: &'static str,
    pub detail: String,
}

fn problem(line: u64, key: &'static str, detail: impl Into<String>) -> Problem {
    Problem { line, key, detail: detail.into() }
}

/// A checked line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<Date>,
    pub group: Option<GroupId>,
    pub number: Option<String>,
    pub family: Option<String>,
}

/// `dd-mm-jjjj` or `jjjj-mm-dd` (also with `/` or `.` between the parts).
fn parse_date(s: &str) -> Option<Date> {
    let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
    let [a, b, c] = parts.as_slice() else { return None };
    let (y, m, d) = if a.len() == 4 {
        (a, b, c)
    } else if c.len() == 4 {
        (c, b, a)
    } else {
        return None;
    };
    let all_digits = |p: &str| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit());
    if !(all_digits(y) && all_digits(m) && all_digits(d)) {
        return None;
    }
    let year: i32 = y.parse().ok()?;
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let date = Date::from_calendar_date(year, month, d.parse().ok()?).ok()?;
    (year >= 1900).then_some(date)
}

/// Line numbers as a person counts them, from byte offsets. (The csv reader's own line number lags by one
/// in files with CRLF line ends: a record's position is taken before the `\n` of the previous line end.)
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter { text: text.as_bytes(), byte: 0, line: 1 }
    }

    /// The line of the first character at or after `byte` that is not a line end (offsets only grow).
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(self.text.len());
        while start < self.text.len() && matches!(self.text[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > self.byte {
            self.line += self.text[self.byte..start].iter().filter(|b| **b == b'\n').count() as u64;
            self.byte = start;
        }
        self.line
    }
}

/// Checks a whole file against the groups of the location and the leerlingnummers already there.
pub fn check(bytes: &[u8], groups: &[Group], existing: &HashSet<String>) -> Result<Vec<Row>, Vec<Problem>> {
    let Ok(text) = std::str::from_utf8(bytes) else { return Err(vec![problem(0, "admin-import-not-utf8", "")]) };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header = text.lines().next().unwrap_or("");
    let delimiter = if header.matches(';').count() > header.matches(',').count() { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());

    let mut problems = Vec::new();
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(_) => return Err(vec![problem(1, "admin-import-unreadable", "")]),
    };
    let mut columns: HashMap<Column, usize> = HashMap::new();
    for (index, name) in headers.iter().enumerate() {
        let name = name.trim().to_lowercase();
        match Column::ALL.iter().find(|(_, n)| *n == name) {
            Some((column, _)) => {
                if columns.insert(*column, index).is_some() {
                    problems.push(problem(1, "admin-import-duplicate-column", name));
                }
            }
            None => problems.push(problem(1, "admin-import-unknown-column", name)),
        }
    }
    for (column, name) in [(Column::FirstName, "voornaam"), (Column::LastName, "achternaam")] {
        if !columns.contains_key(&column) {
            problems.push(problem(1, "admin-import-missing-column", name));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut rows = Vec::new();
    let mut numbers: HashMap<String, u64> = HashMap::new();
    let mut lines = LineCounter::new(text);
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(0, |p| lines.line_at(p.byte()));
                problems.push(problem(line, "admin-import-unreadable", ""));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // Empty lines (spreadsheets like to add `;;;;`).
        }
        if record.len() != headers.len() {
            problems.push(problem(line, "admin-import-field-count", format!("{} / {}", record.len(), headers.len())));
            continue;
        }
        let get = |c: Column| columns.get(&c).and_then(|i| record.get(*i)).unwrap_or("").trim().to_string();
        let mut bad = false;
        let mut complain = |key: &'static str, detail: String| {
            bad = true;
            problems.push(problem(line, key, detail));
        };
        let first_name = get(Column::FirstName);
        let last_name = get(Column::LastName);
        for (value, missing, limit) in [
            (&first_name, "admin-import-first-name-missing", MAX_NAME),
            (&last_name, "admin-import-last-name-missing", MAX_NAME),
        ] {
            if value.is_empty() {
                complain(missing, String::new());
            } else if value.chars().count() > limit {
                complain("admin-import-too-long", value.chars().take(40).collect::<String>() + "…");
            }
        }
        let date_text = get(Column::DateOfBirth);
        let date_of_birth = if date_text.is_empty() {
            None
        } else {
            let date = parse_date(&date_text);
            if date.is_none() {
                complain("admin-import-bad-date", date_text.chars().take(40).collect());
            }
            date
        };
        let group_text = get(Column::Group);
        let group = if group_text.is_empty() {
            None
        } else {
            let found = groups.iter().find(|g| g.name.trim().to_lowercase() == group_text.to_lowercase());
            if found.is_none() {
                complain("admin-import-unknown-group", group_text.chars().take(60).collect());
            }
            found.map(|g| g.id)
        };
        let number = Some(get(Column::Number)).filter(|n| !n.is_empty());
        if let Some(n) = &number {
            if n.chars().count() > MAX_CODE {
                complain("admin-import-too-long", n.chars().take(40).collect::<String>() + "…");
            } else if let Some(first) = numbers.get(n) {
                complain("admin-import-duplicate-number", format!("{first} ({n})"));
            } else if existing.contains(n) {
                complain("admin-import-existing-number", n.clone());
            } else {
                numbers.insert(n.clone(), line);
            }
        }
        let family = Some(get(Column::Family)).filter(|f| !f.is_empty());
        if let Some(f) = family.as_ref().filter(|f| f.chars().count() > MAX_CODE) {
            complain("admin-import-too-long", f.chars().take(40).collect::<String>() + "…");
        }
        if !bad {
            rows.push(Row { first_name, last_name, date_of_birth, group, number, family });
        }
    }
    if problems.is_empty() && rows.is_empty() {
        problems.push(problem(0, "admin-import-empty", ""));
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}

/// The family id of a family code within an organisation (see the module documentation).
pub fn family_id(org: OrgId, key: &str) -> FamilyId {
    let digest = Sha256::digest(format!("meldroute-family\0{}\0{}", org.0, key.trim().to_lowercase()).as_bytes());
    let mut bytes = [0u8; 8];
    bytes[2..].copy_from_slice(&digest[..6]);
    FamilyId((1i64 << 48) | i64::from_be_bytes(bytes))
}

pub struct ProblemLine {
    pub line: String,
    pub message: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin/import.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub csrf: String,
    pub id: i64,
    pub location: String,
    pub groups: Vec<String>,
    pub problems: Vec<ProblemLine>,
    pub error: Option<String>,
    pub imported: Option<usize>,
}

async fn page(
    state: &AppState,
    me: &CurrentUser,
    location: &Location,
    problems: Vec<Problem>,
    error: Option<&str>,
    imported: Option<usize>,
) -> Outcome {
    let layout = Layout::for_user(state, me, "admin-import-title");
    let groups = db(state.db.list_groups(&me.tenant, location.id).await)?.into_iter().map(|g| g.name).collect();
    let problems: Vec<ProblemLine> = problems
        .into_iter()
        .map(|p| ProblemLine {
            line: if p.line == 0 {
                layout.i.t("admin-import-file-level")
            } else {
                format!("{} {}", layout.i.t("admin-import-line"), p.line)
            },
            message: layout.i.t(p.key),
            detail: p.detail,
        })
        .collect();
    let status = if problems.is_empty() && error.is_none() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let error = error.map(|key| layout.i.t(key));
    let page = ImportPage {
        layout,
        csrf: me.session.csrf_token.clone(),
        id: location.id.0,
        location: location.name.clone(),
        groups,
        problems,
        error,
        imported,
    };
    Ok(render(&page, status))
}

pub async fn form(State(state): State<AppState>, me: CurrentUser, Path(id): Path<String>) -> Response {
    finish(
        async {
            let location = location_for(&state, &me, &id, Action::ManagePupils).await?;
            page(&state, &me, &location, Vec::new(), None, None).await
        }
        .await,
    )
}

/// Reads the form's `_csrf` and `file` parts. `Err(key)` names what went wrong for the user.
async fn read_parts(multipart: &mut Multipart) -> Result<(String, Option<Vec<u8>>), &'static str> {
    let mut token = String::new();
    let mut file = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(part)) => match part.name() {
                Some(csrf::FIELD) => token = part.text().await.map_err(|_| "admin-import-too-large")?,
                Some("file") => {
                    let bytes = part.bytes().await.map_err(|_| "admin-import-too-large")?;
                    if bytes.len() > MAX_FILE_BYTES {
                        return Err("admin-import-too-large");
                    }
                    if !bytes.is_empty() {
                        file = Some(bytes.to_vec());
                    }
                }
                _ => {}
            },
            Ok(None) => return Ok((token, file)),
            Err(_) => return Err("admin-import-too-large"),
        }
    }
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    me: CurrentUser,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Response {
    finish(submit_inner(&state, &me, &addr, &id, multipart).await)
}

async fn submit_inner(
    state: &AppState,
    me: &CurrentUser,
    addr: &SocketAddr,
    id: &str,
    mut multipart: Multipart,
) -> Outcome {
    let location = location_for(state, me, id, Action::ManagePupils).await?;
    let (token, file) = match read_parts(&mut multipart).await {
        Ok(parts) => parts,
        Err(key) => return page(state, me, &location, Vec::new(), Some(key), None).await,
    };
    // The form token, checked exactly as for url-encoded forms.
    let encoded = serde_urlencoded::to_string([(csrf::FIELD, token.as_str())])
        .map_err(|_| StatusCode::BAD_REQUEST.into_response())?;
    csrf::parse_form::<Vec<(String, String)>>(encoded.as_bytes(), &me.session.csrf_token)
        .map_err(IntoResponse::into_response)?;
    let Some(file) = file else {
        return page(state, me, &location, Vec::new(), Some("admin-import-no-file"), None).await;
    };

    let groups = db(state.db.list_groups(&me.tenant, location.id).await)?;
    let filter = PupilFilter { location: Some(location.id), limit: Some(10_000), ..PupilFilter::default() };
    let existing: HashSet<String> =
        db(state.db.list_pupils(&me.tenant, &filter).await)?.into_iter().filter_map(|p| p.external_ref).collect();
    let rows = match check(&file, &groups, &existing) {
        Ok(rows) => rows,
        Err(problems) => return page(state, me, &location, problems, None, None).await,
    };
    let now = clock::now_utc();
    let pupils = rows
        .into_iter()
        .map(|r| NewPupil {
            location: location.id,
            group: r.group,
            first_name: r.first_name,
            last_name: r.last_name,
            date_of_birth: r.date_of_birth,
            family: r.family.map(|key| family_id(me.tenant.org, &key)),
            external_ref: r.number,
            created_at: now,
        })
        .collect();
    let count = match state.db.import_pupils(&me.tenant, location.id, pupils).await {
        Ok(count) => count,
        Err(StoreError::Conflict(_)) => {
            return page(state, me, &location, Vec::new(), Some("admin-import-conflict"), None).await;
        }
        Err(e) => return Err(store_error(e)),
    };
    record(state, me, addr, "admin.pupil.import", None).await?;
    page(state, me, &location, Vec::new(), None, Some(count)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use meldroute_store::LocationId;

    fn groups() -> Vec<Group> {
        vec![
            Group { id: GroupId(1), location: LocationId(1), name: "Groep 5".into() },
            Group { id: GroupId(2), location: LocationId(1), name: "Groep 6".into() },
        ]
    }

    #[test]
    fn a_good_file_with_semicolons_bom_and_quotes() {
        let file = "\u{feff}voornaam;achternaam;geboortedatum;groep;leerlingnummer;gezin\r\n\
                    Ada;\"de Vries; jr\";17-05-2016;groep 5;1001;G1\r\n\
                    Bo;Jansen;2015-01-31;;1002;G1\r\n\
                    ;;;;;\r\n\
                    Cas;Bakker;;Groep 6;;\r\n";
        let rows = check(file.as_bytes(), &groups(), &HashSet::new()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].last_name, "de Vries; jr");
        assert_eq!(rows[0].date_of_birth, Some(time::macros::date!(2016 - 05 - 17)));
        assert_eq!(rows[0].group, Some(GroupId(1)));
        assert_eq!(rows[1].date_of_birth, Some(time::macros::date!(2015 - 01 - 31)));
        assert_eq!(rows[2].number, None);
        assert_eq!(rows[2].family, None);
    }

    #[test]
    fn line_numbers_with_crlf_and_quoted_line_breaks() {
        let file = "voornaam;achternaam;groep\r\nAda;\"de\r\nVries\";\r\nBo;Jansen;Groep 9\r\nCas;;\r\n";
        let problems = check(file.as_bytes(), &groups(), &HashSet::new()).unwrap_err();
        let got: Vec<(u64, &str)> = problems.iter().map(|p| (p.line, p.key)).collect();
        assert_eq!(got, vec![(4, "admin-import-unknown-group"), (5, "admin-import-last-name-missing")]);
    }

    #[test]
    fn commas_and_only_the_required_columns() {
        let rows = check(b"Achternaam,Voornaam\nJansen,Bo\n", &[], &HashSet::new()).unwrap();
        assert_eq!((rows[0].first_name.as_str(), rows[0].last_name.as_str()), ("Bo", "Jansen"));
    }

    #[test]
    fn every_bad_line_is_named() {
        let file = "voornaam;achternaam;geboortedatum;groep;leerlingnummer\n\
                    Ada;de Vries;31-02-2016;Groep 5;1001\n\
                    ;Jansen;;;1002\n\
                    Cas;Bakker;;Groep 9;1001\n\
                    Dirk;Smit;;;900\n\
                    Eva;Visser;;\n";
        let existing: HashSet<String> = ["900".to_string()].into();
        let problems = check(file.as_bytes(), &groups(), &existing).unwrap_err();
        let got: Vec<(u64, &str)> = problems.iter().map(|p| (p.line, p.key)).collect();
        assert_eq!(
            got,
            vec![
                (2, "admin-import-bad-date"),
                (3, "admin-import-first-name-missing"),
                (4, "admin-import-unknown-group"),
                (4, "admin-import-duplicate-number"),
                (5, "admin-import-existing-number"),
                (6, "admin-import-field-count"),
            ]
        );
        assert_eq!(problems[3].detail, "2 (1001)");
    }

    #[test]
    fn file_level_problems() {
        assert_eq!(check(&[0xff, 0xfe, 0x00], &[], &HashSet::new()).unwrap_err()[0].key, "admin-import-not-utf8");
        let p = check(b"voornaam;klas\nAda;5\n", &[], &HashSet::new()).unwrap_err();
        let keys: Vec<&str> = p.iter().map(|p| p.key).collect();
        assert_eq!(keys, vec!["admin-import-unknown-column", "admin-import-missing-column"]);
        assert_eq!(check(b"voornaam;achternaam\n", &[], &HashSet::new()).unwrap_err()[0].key, "admin-import-empty");
        let long = format!("voornaam;achternaam\n{};X\n", "a".repeat(201));
        assert_eq!(check(long.as_bytes(), &[], &HashSet::new()).unwrap_err()[0].key, "admin-import-too-long");
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("01-02-2016"), Some(time::macros::date!(2016 - 02 - 01)));
        assert_eq!(parse_date("2016-02-01"), Some(time::macros::date!(2016 - 02 - 01)));
        assert_eq!(parse_date("1-2-2016"), Some(time::macros::date!(2016 - 02 - 01)));
        assert_eq!(parse_date("29-02-2015"), None);
        assert_eq!(parse_date("2016-13-01"), None);
        assert_eq!(parse_date("01-02-16"), None);
        assert_eq!(parse_date("gisteren"), None);
    }

    #[test]
    fn family_ids_are_stable_per_organisation() {
        assert_eq!(family_id(OrgId(1), "G1"), family_id(OrgId(1), " g1 "));
        assert_ne!(family_id(OrgId(1), "G1"), family_id(OrgId(2), "G1"));
        assert_ne!(family_id(OrgId(1), "G1"), family_id(OrgId(1), "G2"));
        assert!(family_id(OrgId(1), "G1").0 >= 1 << 48);
    }
}
