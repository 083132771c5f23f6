//! The detectors: known identifiers, and what is found in free text without being listed.

use std::ops::Range;

use crate::lexicon::*;
use crate::text::{Word, find_word_ci, fold, sentence_start, words};
use crate::{Candidate, Category, Input, KnownKind, dates};

const P_KNOWN: u8 = 100;
// An e-mail address is identifying as a whole, even when a known name is part of it.
const P_EMAIL: u8 = 110;
const P_IBAN: u8 = 90;
const P_PHONE: u8 = 80;
const P_POSTCODE: u8 = 75;
const P_ADDRESS: u8 = 70;
const P_SCHOOL: u8 = 65;
const P_PLACE_LIST: u8 = 60;
const P_NUMBER: u8 = 50;
const P_NAME: u8 = 40;

fn cand(span: Range<usize>, category: Category, priority: u8) -> Candidate {
    Candidate { span, category, replacement: category.placeholder().to_string(), priority, known: false }
}

fn known_category(kind: KnownKind) -> Category {
    match kind {
        KnownKind::Pupil => Category::Pupil,
        KnownKind::Parent => Category::Parent,
        KnownKind::Sibling => Category::Sibling,
        KnownKind::Staff => Category::Staff,
        KnownKind::Person => Category::Name,
        KnownKind::School => Category::School,
        KnownKind::Place => Category::Place,
        KnownKind::Number => Category::Number,
        KnownKind::RareDetail => Category::RareDetail,
    }
}

fn is_tussenvoegsel(word: &str) -> bool {
    TUSSENVOEGSELS.contains(&word.to_lowercase().as_str())
}

/// The ways a person's name appears in text: whole, first name, surname with and without tussenvoegsel,
/// the parts of a double surname.
fn name_variants(full: &str) -> Vec<String> {
    let parts: Vec<&str> = full.split_whitespace().collect();
    let mut out = vec![parts.join(" ")];
    if parts.len() > 1 {
        out.push(parts[0].to_string());
        let rest = &parts[1..];
        out.push(rest.join(" "));
        let core_start = rest.iter().position(|p| !is_tussenvoegsel(p)).unwrap_or(rest.len());
        let core = rest[core_start..].join(" ");
        if !core.is_empty() {
            out.push(core.clone());
            for piece in core.split('-') {
                out.push(piece.trim().to_string());
                // "De Vries-El Amrani": "El Amrani" and "Amrani".
                let sub: Vec<&str> = piece.split_whitespace().collect();
                if let Some(pos) = sub.iter().position(|p| !is_tussenvoegsel(p)) {
                    out.push(sub[pos..].join(" "));
                }
            }
        }
        for p in &parts {
            if !is_tussenvoegsel(p) {
                out.push((*p).to_string());
            }
        }
    }
    for p in full.split(['-', ' ']) {
        if !p.is_empty() && !is_tussenvoegsel(p) {
            out.push(p.to_string());
        }
    }
    out.retain(|v| v.chars().filter(|c| c.is_alphanumeric()).count() >= 2 && !is_tussenvoegsel(v));
    out.sort_by_key(|v| std::cmp::Reverse(v.len()));
    out.dedup();
    out
}

/// The ways a school's or place's name appears: whole, and without its kind and article.
fn school_variants(full: &str) -> Vec<String> {
    let mut out = vec![full.trim().to_string()];
    let words: Vec<&str> = full.split_whitespace().collect();
    let mut start = 0;
    while start < words.len() && SCHOOL_PREFIXES.contains(&words[start].to_lowercase().as_str()) {
        start += 1;
    }
    let without_kind = words[start..].join(" ");
    out.push(without_kind.clone());
    let bare: Vec<&str> = words[start..]
        .iter()
        .copied()
        .skip_while(|w| matches!(w.to_lowercase().as_str(), "de" | "het" | "'t"))
        .collect();
    if bare.len() < words.len() - start {
        out.push(bare.join(" "));
    }
    out.retain(|v| v.chars().filter(|c| c.is_alphanumeric()).count() >= 3);
    out.sort_by_key(|v| std::cmp::Reverse(v.len()));
    out.dedup();
    out
}

/// Initials and tussenvoegsels directly before a name belong to it ("J. de Vries").
fn extend_left(text: &str, ws: &[Word<'_>], mut idx: usize, mut start: usize) -> usize {
    while idx > 0 {
        let prev = ws[idx - 1];
        let gap = &text[prev.end..start];
        let is_initial = prev.text.chars().count() == 1
            && prev.text.chars().all(char::is_uppercase)
            && (gap == ". " || gap == "." || gap == " ");
        // A capitalised tussenvoegsel at a sentence start is an ordinary word ("De vader").
        let is_tv = is_tussenvoegsel(prev.text)
            && gap == " "
            && (prev.text.starts_with(char::is_lowercase) || !sentence_start(text, ws, idx - 1));
        if is_initial || is_tv {
            start = prev.start;
            idx -= 1;
        } else {
            break;
        }
    }
    start
}

/// Initials directly before a name belong to it ("J. Jansen").
fn extend_left_initials(text: &str, ws: &[Word<'_>], mut idx: usize, mut start: usize) -> usize {
    while idx > 0 {
        let prev = ws[idx - 1];
        let gap = &text[prev.end..start];
        let is_initial =
            prev.text.chars().count() == 1 && prev.text.chars().all(char::is_uppercase) && (gap == ". " || gap == ".");
        if !is_initial {
            break;
        }
        start = prev.start;
        idx -= 1;
    }
    start
}

fn word_index_at(ws: &[Word<'_>], byte: usize) -> Option<usize> {
    ws.iter().position(|w| w.start == byte)
}

fn strip_brackets(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut depth = 0usize;
    for c in value.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Known identifiers from the structured data: every occurrence, case-insensitively.
pub fn known(input: &Input<'_>) -> Vec<Candidate> {
    let text = input.text;
    let folded = fold(text);
    let ws = words(text);
    let mut out = Vec::new();
    for k in input.known {
        // "Ilse Jansen (IB)": a remark in brackets is not part of the name.
        let stripped = strip_brackets(&k.value);
        let value = stripped.trim();
        if value.is_empty() {
            continue;
        }
        let category = known_category(k.kind);
        let mk = |span: Range<usize>| Candidate {
            span,
            category,
            replacement: category.placeholder().to_string(),
            priority: P_KNOWN,
            known: true,
        };
        match k.kind {
            KnownKind::Number => {
                out.extend(find_word_ci(&folded, value).into_iter().map(mk));
                let digits: String = value.chars().filter(char::is_ascii_digit).collect();
                if digits.len() >= 4 {
                    for run in digit_runs(text) {
                        if run.digits == digits {
                            out.push(mk(run.span));
                        }
                    }
                }
            }
            KnownKind::RareDetail => out.extend(find_word_ci(&folded, value).into_iter().map(mk)),
            KnownKind::School | KnownKind::Place => {
                for v in school_variants(value) {
                    out.extend(find_word_ci(&folded, &v).into_iter().map(mk));
                }
            }
            KnownKind::Pupil | KnownKind::Parent | KnownKind::Sibling | KnownKind::Staff | KnownKind::Person => {
                for v in name_variants(value) {
                    let common_word = STOPWORDS.contains(&v.to_lowercase().as_str());
                    for span in find_word_ci(&folded, &v) {
                        // A name that is also an ordinary word ("Wil", "Roos") only counts with its capital.
                        if common_word && !text[span.clone()].starts_with(char::is_uppercase) {
                            continue;
                        }
                        let start = match word_index_at(&ws, span.start) {
                            Some(idx) => extend_left_initials(text, &ws, idx, span.start),
                            None => span.start,
                        };
                        out.push(mk(start..span.end));
                    }
                }
            }
        }
    }
    out
}

/// Everything found without being listed.
pub fn free_text(input: &Input<'_>) -> Vec<Candidate> {
    let text = input.text;
    let ws = words(text);
    let mut out = Vec::new();
    out.extend(emails(text));
    out.extend(ibans(text));
    out.extend(dates::detect(text, &ws, input.reference, input.dates_of_birth));
    out.extend(numbers(text));
    out.extend(postcodes(text, &ws));
    out.extend(addresses(text, &ws));
    out.extend(schools(text, &ws));
    out.extend(listed_places(text, &ws));
    out.extend(names(text, &ws));
    out
}

fn emails(text: &str) -> Vec<Candidate> {
    let bytes = text.as_bytes();
    let local = |b: u8| b.is_ascii_alphanumeric() || b"._%+-".contains(&b);
    let domain = |b: u8| b.is_ascii_alphanumeric() || b".-".contains(&b);
    let mut out = Vec::new();
    for (at, _) in text.match_indices('@') {
        let mut s = at;
        while s > 0 && local(bytes[s - 1]) {
            s -= 1;
        }
        let mut e = at + 1;
        while e < bytes.len() && domain(bytes[e]) {
            e += 1;
        }
        while e > at + 1 && (bytes[e - 1] == b'.' || bytes[e - 1] == b'-') {
            e -= 1;
        }
        if s < at && text[at + 1..e].contains('.') {
            out.push(cand(s..e, Category::Email, P_EMAIL));
        }
    }
    out
}

/// IBAN: two capitals, two digits, then capitals and digits, optionally in groups of four.
fn ibans(text: &str) -> Vec<Candidate> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if boundary
            && bytes[i].is_ascii_uppercase()
            && bytes[i + 1].is_ascii_uppercase()
            && bytes[i + 2].is_ascii_digit()
            && bytes[i + 3].is_ascii_digit()
        {
            let mut e = i + 4;
            let mut count = 4;
            loop {
                let mut j = e;
                if j < bytes.len() && bytes[j] == b' ' {
                    j += 1;
                }
                let group_start = j;
                while j < bytes.len() && (bytes[j].is_ascii_uppercase() || bytes[j].is_ascii_digit()) {
                    j += 1;
                }
                if j == group_start || (j < bytes.len() && bytes[j].is_ascii_alphanumeric()) {
                    break;
                }
                count += j - group_start;
                e = j;
                if count >= 34 {
                    break;
                }
            }
            if (15..=34).contains(&count) {
                out.push(cand(i..e, Category::Iban, P_IBAN));
                i = e;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// A run of digits with spaces, dashes, dots, slashes or brackets between them.
pub(crate) struct DigitRun {
    pub span: Range<usize>,
    pub digits: String,
    /// The digits as written, group by group.
    pub groups: Vec<String>,
    pub plus: bool,
}

pub(crate) fn digit_runs(text: &str) -> Vec<DigitRun> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] >= 0x80);
        let plus = bytes[i] == b'+' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
        if !(boundary && (bytes[i].is_ascii_digit() || plus)) {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = if plus { i + 1 } else { i };
        let mut end = j;
        let mut groups: Vec<String> = Vec::new();
        let mut current = String::new();
        while j < bytes.len() {
            let b = bytes[j];
            if b.is_ascii_digit() {
                current.push(b as char);
                j += 1;
                end = j;
            } else if b"  -./()".contains(&b) {
                // A separator only counts when more digits follow within three characters.
                let mut k = j;
                while k < bytes.len() && k - j < 3 && b" -./()".contains(&bytes[k]) {
                    k += 1;
                }
                if k < bytes.len() && bytes[k].is_ascii_digit() && k - j <= 3 {
                    if !current.is_empty() {
                        groups.push(std::mem::take(&mut current));
                    }
                    j = k;
                } else {
                    break;
                }
            } else {
                break;
            }
        }
        if !current.is_empty() {
            groups.push(current);
        }
        let alnum_after = bytes.get(end).is_some_and(|b| b.is_ascii_alphabetic());
        // Closing bracket of "(0)" is fine; a letter right after means a word like "3a" or a postcode.
        if !alnum_after {
            let digits: String = groups.concat();
            out.push(DigitRun { span: start..end, digits, groups, plus });
        }
        i = end.max(i + 1);
    }
    out
}

fn elfproef(digits: &str) -> bool {
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 9 {
        return false;
    }
    let sum: i64 =
        d.iter().enumerate().map(|(k, &v)| if k == 8 { -(v as i64) } else { (9 - k as i64) * v as i64 }).sum();
    sum != 0 && sum % 11 == 0
}

fn is_phone(run: &DigitRun) -> bool {
    let mut digits = run.digits.clone();
    if run.plus || digits.starts_with("00") {
        digits = digits.trim_start_matches("00").to_string();
        // "+31 (0)6 ...": the trunk zero in brackets is not dialled.
        if digits.starts_with("310") && digits.len() == 12 {
            digits.remove(2);
        }
        return if digits.starts_with("31") { digits.len() == 11 } else { (10..=14).contains(&digits.len()) };
    }
    digits.len() == 10 && digits.starts_with('0')
}

fn numbers(text: &str) -> Vec<Candidate> {
    let mut out = Vec::new();
    for run in digit_runs(text) {
        let n = run.digits.len();
        if is_phone(&run) {
            out.push(cand(run.span, Category::Phone, P_PHONE));
        } else if n == 9 && elfproef(&run.digits) {
            out.push(cand(run.span, Category::Bsn, P_PHONE));
        } else if (run.digits.starts_with("0800") || run.digits.starts_with("0900")) && n == 8 {
            // Public service lines (Veilig Thuis 0800-2000) identify nobody.
        } else if run.groups.iter().all(|g| g.len() == 4 && g.starts_with(['1', '2'])) {
            // "2025-2026", "2024/2025": years.
        } else if n >= 7 || run.groups.iter().any(|g| g.len() >= 5) {
            out.push(cand(run.span, Category::Number, P_NUMBER));
        }
    }
    // References with letters and digits: "VT-2025-048812", "DOS/12345".
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || bytes[i - 1].is_ascii_whitespace() || b"(:,;\"'".contains(&bytes[i - 1]);
        if !boundary || !bytes[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let mut e = i;
        while e < bytes.len() && (bytes[e].is_ascii_alphanumeric() || b"-/_".contains(&bytes[e])) {
            e += 1;
        }
        while e > i && b"-/_".contains(&bytes[e - 1]) {
            e -= 1;
        }
        let token = &text[i..e];
        let digits = token.chars().filter(char::is_ascii_digit).count();
        let letters = token.chars().filter(char::is_ascii_alphabetic).count();
        let tail_ok = bytes.get(e).is_none_or(|b| !b.is_ascii_alphanumeric() && *b < 0x80);
        if tail_ok && digits >= 5 && letters >= 1 && token.contains(['-', '/', '_']) {
            out.push(cand(i..e, Category::Number, P_NUMBER + 1));
        }
        i = e.max(i + 1);
    }
    out
}

/// "1234 AB" (and "1234AB"), and the place written right after it.
fn postcodes(text: &str, ws: &[Word<'_>]) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (idx, w) in ws.iter().enumerate() {
        let b = w.text.as_bytes();
        let (span, next_idx) = if b.len() == 4 && b.iter().all(u8::is_ascii_digit) && b[0] != b'0' {
            let Some(next) = ws.get(idx + 1) else { continue };
            let nb = next.text.as_bytes();
            if &text[w.end..next.start] == " " && nb.len() == 2 && nb.iter().all(u8::is_ascii_uppercase) {
                (w.start..next.end, idx + 2)
            } else {
                continue;
            }
        } else if b.len() == 6
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[0] != b'0'
            && b[4..].iter().all(u8::is_ascii_alphabetic)
        {
            (w.start..w.end, idx + 1)
        } else {
            continue;
        };
        out.push(cand(span.clone(), Category::Postcode, P_POSTCODE));
        // The place after the postcode.
        if let Some(place) = ws.get(next_idx)
            && text[span.end..place.start].trim().is_empty()
            && place.is_capitalised()
        {
            let mut end = place.end;
            let mut k = next_idx + 1;
            while let Some(more) = ws.get(k) {
                let gap = &text[end..more.start];
                if gap == " "
                    && (more.is_capitalised() || is_tussenvoegsel(more.text))
                    && !STOPWORDS.contains(&more.lower().as_str())
                {
                    end = more.end;
                    k += 1;
                } else {
                    break;
                }
            }
            out.push(cand(place.start..end, Category::Place, P_POSTCODE));
        }
    }
    out
}

fn street_like(w: &Word<'_>) -> bool {
    let lower = w.lower();
    w.is_capitalised()
        && !STOPWORDS.contains(&lower.as_str())
        && STREET_SUFFIXES.iter().any(|s| lower.ends_with(s) && lower.chars().count() >= s.chars().count() + 2)
}

/// A street name (by its ending) with the words before it and the house number after it.
fn addresses(text: &str, ws: &[Word<'_>]) -> Vec<Candidate> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for (idx, w) in ws.iter().enumerate() {
        if !street_like(w) {
            continue;
        }
        let mut start = w.start;
        let mut k = idx;
        while k > 0 && idx - k < 3 {
            let prev = ws[k - 1];
            if &text[prev.end..start] == " "
                && (prev.is_capitalised() && !sentence_start(text, ws, k - 1)
                    || is_tussenvoegsel(prev.text) && prev.text.starts_with(char::is_uppercase))
            {
                start = prev.start;
                k -= 1;
            } else {
                break;
            }
        }
        let mut end = w.end;
        // House number: digits, an optional letter, an optional addition ("112-2", "8a", "263-1").
        let mut j = end;
        if j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        let num_start = j;
        while j < bytes.len() && bytes[j].is_ascii_digit() && j - num_start < 5 {
            j += 1;
        }
        if j > num_start {
            if j < bytes.len()
                && bytes[j].is_ascii_alphabetic()
                && !bytes.get(j + 1).is_some_and(u8::is_ascii_alphanumeric)
            {
                j += 1;
            }
            if j + 1 < bytes.len() && bytes[j] == b'-' && bytes[j + 1].is_ascii_alphanumeric() {
                let mut t = j + 1;
                while t < bytes.len() && bytes[t].is_ascii_alphanumeric() && t - j <= 4 {
                    t += 1;
                }
                j = t;
            }
            if !bytes.get(j).is_some_and(u8::is_ascii_alphanumeric) {
                end = j;
            }
        }
        out.push(cand(start..end, Category::Address, P_ADDRESS));
    }
    out
}

fn lower_in(list: &[&str], word: &str) -> bool {
    list.contains(&word.to_lowercase().as_str())
}

/// Capitalised words after `idx` (names of schools, places): up to `max`, allowing an article first.
fn capitalised_run(text: &str, ws: &[Word<'_>], idx: usize, max: usize) -> Option<usize> {
    let mut k = idx;
    let mut end = None;
    let mut prev_end = ws.get(idx.checked_sub(1)?)?.end;
    let mut taken = 0;
    while let Some(w) = ws.get(k) {
        let gap = &text[prev_end..w.start];
        if gap != " " || taken >= max {
            break;
        }
        let article = matches!(w.lower().as_str(), "de" | "het" | "'t") && taken == 0;
        let cap = (w.is_capitalised() || w.is_digits() && taken > 0) && !lower_in(NOT_NAMES, w.text)
            || w.text.starts_with("'t");
        if article && ws.get(k + 1).is_some_and(|n| n.is_capitalised()) {
            // "de Regenboog": the article belongs to the name.
        } else if !cap {
            break;
        }
        end = Some(w.end);
        prev_end = w.end;
        taken += 1;
        k += 1;
    }
    end.filter(|_| ws.get(idx).is_some_and(|w| w.is_capitalised() || matches!(w.lower().as_str(), "de" | "het" | "'t")))
}

fn schools(text: &str, ws: &[Word<'_>]) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (idx, w) in ws.iter().enumerate() {
        let lower = w.lower();
        // "basisschool De Regenboog", "OBS De Wilgen", "Kindcentrum De Zonnewijzer".
        let is_prefix = SCHOOL_PREFIXES.contains(&lower.as_str())
            && (lower.len() > 4 || w.text.chars().all(|c| c.is_uppercase()))
            || lower.ends_with("school") && lower.len() > 6;
        if is_prefix && let Some(end) = capitalised_run(text, ws, idx + 1, 3) {
            out.push(cand(w.start..end, Category::School, P_SCHOOL));
            continue;
        }
        // "Het Baken College", "Stedelijk Gymnasium", "Da Vinci College".
        if SCHOOL_SUFFIXES.contains(&lower.as_str()) && w.is_capitalised() && idx > 0 {
            let mut start = w.start;
            let mut k = idx;
            while k > 0 && idx - k < 3 {
                let prev = ws[k - 1];
                if &text[prev.end..start] == " "
                    && (prev.is_capitalised() || prev.text == "'t")
                    && !lower_in(NOT_NAMES, prev.text)
                {
                    start = prev.start;
                    k -= 1;
                } else {
                    break;
                }
            }
            if start < w.start {
                out.push(cand(start..w.end, Category::School, P_SCHOOL));
            }
        }
    }
    out
}

fn listed_places(text: &str, ws: &[Word<'_>]) -> Vec<Candidate> {
    let mut out = Vec::new();
    for place in PLACES {
        for (pos, _) in text.match_indices(place) {
            let end = pos + place.len();
            let before_ok = text[..pos].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
            let after = text[end..].chars().next();
            let mut stop = end;
            if after == Some('-') {
                // "Amsterdam-Zuidoost".
                let rest = &text[end + 1..];
                let more = rest.find(|c: char| !c.is_alphanumeric()).unwrap_or(rest.len());
                stop = end + 1 + more;
            } else if after.is_some_and(char::is_alphanumeric) {
                continue;
            }
            if !before_ok {
                continue;
            }
            // At a sentence start a short place name may be an ordinary word ("Echt waar").
            if let Some(idx) = word_index_at(ws, pos)
                && sentence_start(text, ws, idx)
                && place.chars().count() < 6
            {
                continue;
            }
            out.push(cand(pos..stop, Category::Place, P_PLACE_LIST));
        }
    }
    out
}

fn base_name(lower: &str) -> &str {
    lower.strip_suffix("'s").or_else(|| lower.strip_suffix("’s")).unwrap_or(lower)
}

fn in_name_lists(lower: &str) -> bool {
    let base = base_name(lower);
    let no_s = lower.strip_suffix('s').unwrap_or(lower);
    [lower, base, no_s].iter().any(|w| FIRST_NAMES.contains(w) || SURNAMES.contains(w))
}

fn ordinary(w: &Word<'_>) -> bool {
    let lower = w.lower();
    STOPWORDS.contains(&lower.as_str()) || NOT_NAMES.contains(&lower.as_str()) || lower_in(NOT_NAMES, base_name(&lower))
}

/// After a form of address (with tussenvoegsels or initials between)?
fn after_honorific(text: &str, ws: &[Word<'_>], idx: usize) -> bool {
    let mut k = idx;
    while k > 0 {
        let prev = ws[k - 1];
        let lower = prev.lower();
        if is_tussenvoegsel(prev.text) || prev.text.chars().count() == 1 && prev.text.chars().all(char::is_uppercase) {
            k -= 1;
            continue;
        }
        let gap = &text[prev.end..ws[k].start];
        // A full stop only belongs to an abbreviation ("dhr. Jansen"), not to a sentence end ("moeder. Afspraak").
        let gap_ok = gap.trim().is_empty()
            || ABBREVIATIONS.contains(&lower.as_str()) && gap.trim_start_matches('.').trim().is_empty();
        return HONORIFICS.contains(&lower.as_str()) && gap_ok;
    }
    false
}

/// Person names in free text.
fn names(text: &str, ws: &[Word<'_>]) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut idx = 0;
    while idx < ws.len() {
        let w = ws[idx];
        if !w.is_capitalised() || w.is_digits() || w.text.chars().count() < 2 {
            idx += 1;
            continue;
        }
        let lower = w.lower();
        let start_of_sentence = sentence_start(text, ws, idx);
        // "dhr. P. van der Meer": an ordinary word is a surname after a form of address or a tussenvoegsel.
        let surname_despite_word = !lower_in(NOT_NAMES, &lower)
            && (after_honorific(text, ws, idx)
                || !start_of_sentence
                    && SURNAMES.contains(&lower.as_str())
                    && idx > 0
                    && is_tussenvoegsel(ws[idx - 1].text)
                    && ws[idx - 1].text.starts_with(char::is_lowercase));
        if ordinary(&w) && !surname_despite_word {
            idx += 1;
            continue;
        }
        let next_is_name_part = |k: usize| -> bool {
            let mut j = k + 1;
            while ws.get(j).is_some_and(|n| is_tussenvoegsel(n.text) && n.text.starts_with(char::is_lowercase)) {
                j += 1;
            }
            ws.get(j).is_some_and(|n| {
                n.is_capitalised()
                    && n.text.chars().count() >= 2
                    && !ordinary(n)
                    && text[ws[j - 1].end..n.start] == *" "
            })
        };
        let flagged =
            in_name_lists(&lower) || after_honorific(text, ws, idx) || !start_of_sentence || next_is_name_part(idx);
        if !flagged {
            idx += 1;
            continue;
        }
        // Extend to the right over further name parts: "Karin de Boer", "Jan-Willem Vos".
        let mut last = idx;
        loop {
            let mut j = last + 1;
            while ws.get(j).is_some_and(|n| is_tussenvoegsel(n.text) && n.text.starts_with(char::is_lowercase))
                && text[ws[j - 1].end..ws[j].start] == *" "
            {
                j += 1;
            }
            match ws.get(j) {
                Some(n)
                    if n.is_capitalised() && !ordinary(n) && text[ws[j - 1].end..n.start] == *" " && j - last <= 4 =>
                {
                    last = j;
                }
                _ => break,
            }
        }
        // "van Marieke" is not a surname: only a surname takes the tussenvoegsels before it.
        let start = if FIRST_NAMES.contains(&base_name(&lower)) {
            extend_left_initials(text, ws, idx, w.start)
        } else {
            extend_left(text, ws, idx, w.start)
        };
        let mut end = ws[last].end;
        let rest = &text[end..];
        if rest.starts_with("'s") || rest.starts_with("’s") {
            end += if rest.starts_with("'s") { 2 } else { 4 };
        }
        let prev_lower = idx.checked_sub(1).map(|p| ws[p].lower());
        let is_place = prev_lower.as_deref().is_some_and(|p| PLACE_PREPOSITIONS.contains(&p))
            && !FIRST_NAMES.contains(&base_name(&lower))
            && start == w.start;
        let category = if is_place { Category::Place } else { Category::Name };
        out.push(cand(start..end, category, P_NAME));
        idx = last + 1;
    }
    out
}
