//! Dates in Dutch text ("12-03-2026", "2026-03-12", "12 maart 2026", "donderdag 5 maart", "november 2025"),
//! turned into time relative to the reference date, or into an age for a date of birth.

use time::{Date, Month};

use crate::text::Word;
use crate::{Candidate, Category};

const MONTHS: &[(&str, u8)] = &[
    ("januari", 1),
    ("jan", 1),
    ("februari", 2),
    ("feb", 2),
    ("febr", 2),
    ("maart", 3),
    ("mrt", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("mei", 5),
    ("juni", 6),
    ("jun", 6),
    ("juli", 7),
    ("jul", 7),
    ("augustus", 8),
    ("aug", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("oktober", 10),
    ("okt", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

const WEEKDAYS: &[&str] = &["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"];

const BIRTH_MARKERS: &[&str] = &["geboren", "geb.", "geb ", "geboortedatum", "geboortedag", "geb:"];

fn month_of(word: &str) -> Option<u8> {
    let lower = word.to_lowercase();
    MONTHS.iter().find(|(name, _)| *name == lower).map(|&(_, m)| m)
}

fn full_month(word: &str) -> Option<u8> {
    let lower = word.to_lowercase();
    MONTHS.iter().find(|(name, _)| *name == lower && (name.len() >= 5 || lower == "mei")).map(|&(_, m)| m)
}

fn make(year: i32, month: u8, day: u8) -> Option<Date> {
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// A date without a year: the occurrence nearest to the reference date.
fn nearest(reference: Date, month: u8, day: u8) -> Option<Date> {
    [reference.year() - 1, reference.year(), reference.year() + 1]
        .into_iter()
        .filter_map(|y| make(y, month, day))
        .min_by_key(|d| (*d - reference).whole_days().abs())
}

fn two_digit_year(yy: i32, reference: Date) -> i32 {
    let century = reference.year() / 100 * 100;
    if century + yy > reference.year() + 1 { century - 100 + yy } else { century + yy }
}

/// "[ongeveer 3 weken geleden]", "[over 4 dagen]".
pub fn relative(date: Date, reference: Date) -> String {
    let days = (reference - date).whole_days();
    let n = days.abs();
    let phrase = match n {
        0 => return "[op de dag van deze samenvatting]".to_string(),
        1 if days > 0 => return "[een dag eerder]".to_string(),
        1 => return "[een dag later]".to_string(),
        2..=6 => format!("{n} dagen"),
        7..=10 => "ongeveer 1 week".to_string(),
        11..=55 => format!("ongeveer {} weken", (n + 3) / 7),
        56..=364 => format!("ongeveer {} maanden", ((n as f64) / 30.44).round() as i64),
        _ => format!("ongeveer {} jaar", ((n as f64) / 365.25).round() as i64),
    };
    if days > 0 { format!("[{phrase} eerder]") } else { format!("[{phrase} later]") }
}

/// A month without a day ("november 2025").
fn relative_month(year: i32, month: u8, reference: Date) -> String {
    let months = (reference.year() - year) * 12 + (reference.month() as i32 - month as i32);
    match months {
        0 => "[in dezelfde maand]".to_string(),
        1 => "[ongeveer een maand eerder]".to_string(),
        -1 => "[ongeveer een maand later]".to_string(),
        m if m > 0 && m < 24 => format!("[ongeveer {m} maanden eerder]"),
        m if m > 0 => format!("[ongeveer {} jaar eerder]", m / 12),
        m if m > -24 => format!("[ongeveer {} maanden later]", -m),
        m => format!("[ongeveer {} jaar later]", -m / 12),
    }
}

/// Age in whole years on `reference`.
pub fn age(birth: Date, reference: Date) -> i32 {
    let mut years = reference.year() - birth.year();
    if (reference.month() as u8, reference.day()) < (birth.month() as u8, birth.day()) {
        years -= 1;
    }
    years
}

fn candidate(text: &str, span: std::ops::Range<usize>, date: Date, births: &[Date], reference: Date) -> Candidate {
    let window_start = text[..span.start].char_indices().rev().nth(24).map_or(0, |(p, _)| p);
    let before = text[window_start..span.start].to_lowercase();
    let is_birth = births.contains(&date) || BIRTH_MARKERS.iter().any(|m| before.contains(m));
    if is_birth {
        let years = age(date, reference).max(0);
        Candidate {
            span,
            category: Category::DateOfBirth,
            replacement: format!("[leeftijd {years} jaar]"),
            priority: 85,
            known: births.contains(&date),
        }
    } else {
        Candidate { span, category: Category::Date, replacement: relative(date, reference), priority: 85, known: false }
    }
}

fn digits_at(bytes: &[u8], at: usize, min: usize, max: usize) -> Option<(u32, usize)> {
    let mut end = at;
    while end < bytes.len() && bytes[end].is_ascii_digit() && end - at < max {
        end += 1;
    }
    if end - at < min || (end < bytes.len() && bytes[end].is_ascii_digit()) {
        return None;
    }
    let value = std::str::from_utf8(&bytes[at..end]).ok()?.parse().ok()?;
    Some((value, end))
}

/// Numeric dates: d-m-yyyy, d/m/yy, dd.mm.yyyy, yyyy-mm-dd.
fn numeric(text: &str, reference: Date, births: &[Date]) -> Vec<Candidate> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] >= 0x80);
        if !(boundary && bytes[i].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let parsed = (|| {
            // ISO first.
            if let Some((y, e1)) = digits_at(bytes, i, 4, 4)
                && bytes.get(e1) == Some(&b'-')
                && let Some((m, e2)) = digits_at(bytes, e1 + 1, 1, 2)
                && bytes.get(e2) == Some(&b'-')
                && let Some((d, e3)) = digits_at(bytes, e2 + 1, 1, 2)
            {
                return make(y as i32, m as u8, d as u8).map(|date| (date, e3));
            }
            let (d, e1) = digits_at(bytes, i, 1, 2)?;
            let sep = *bytes.get(e1)?;
            if !matches!(sep, b'-' | b'/' | b'.') {
                return None;
            }
            let (m, e2) = digits_at(bytes, e1 + 1, 1, 2)?;
            if bytes.get(e2) != Some(&sep) {
                return None;
            }
            let (y, e3) = digits_at(bytes, e2 + 1, 2, 4)?;
            let year = match e3 - (e2 + 1) {
                4 => y as i32,
                2 => two_digit_year(y as i32, reference),
                _ => return None,
            };
            make(year, m as u8, d as u8).map(|date| (date, e3))
        })();
        if let Some((date, end)) = parsed {
            let alnum_after = bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric());
            if !alnum_after {
                out.push(candidate(text, i..end, date, births, reference));
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Written dates: "(donderdag) 5 maart (2026)", "november 2025".
fn written(text: &str, words: &[Word<'_>], reference: Date, births: &[Date]) -> Vec<Candidate> {
    let mut out = Vec::new();
    let gap_ok = |a: &Word<'_>, b: &Word<'_>| {
        text[a.end..b.start].chars().all(|c| c == ' ' || c == '.' || c == ',') && b.start - a.end <= 3
    };
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if w.is_digits() && w.text.len() <= 2 {
            if let Some(next) = words.get(i + 1)
                && gap_ok(&w, next)
                && text[w.end..next.start].trim().is_empty()
                && let Some(month) = month_of(next.text)
                && let Ok(day) = w.text.parse::<u8>()
            {
                let mut start = w.start;
                if i > 0
                    && WEEKDAYS.contains(&words[i - 1].lower().as_str())
                    && text[words[i - 1].end..w.start].trim().is_empty()
                {
                    start = words[i - 1].start;
                }
                let mut end = next.end;
                let mut year = None;
                if let Some(y) = words.get(i + 2)
                    && y.is_digits()
                    && y.text.len() == 4
                    && text[next.end..y.start].trim_matches(['.', ' ']).is_empty()
                {
                    year = y.text.parse::<i32>().ok();
                    end = y.end;
                }
                let date = match year {
                    Some(y) => make(y, month, day),
                    None => nearest(reference, month, day),
                };
                if let Some(date) = date {
                    out.push(candidate(text, start..end, date, births, reference));
                    i += if year.is_some() { 3 } else { 2 };
                    continue;
                }
            }
        } else if let Some(month) = full_month(w.text)
            && let Some(y) = words.get(i + 1)
            && y.is_digits()
            && y.text.len() == 4
            && text[w.end..y.start].trim().is_empty()
            && let Ok(year) = y.text.parse::<i32>()
            && (1900..=2100).contains(&year)
        {
            out.push(Candidate {
                span: w.start..y.end,
                category: Category::Date,
                replacement: relative_month(year, month, reference),
                priority: 84,
                known: false,
            });
            i += 2;
            continue;
        }
        i += 1;
    }
    out
}

pub fn detect(text: &str, words: &[Word<'_>], reference: Date, births: &[Date]) -> Vec<Candidate> {
    let mut out = numeric(text, reference, births);
    out.extend(written(text, words, reference, births));
    out
}
