//! `meldroute anonymize`: Dutch text on standard input, the anonymised text on standard output (issue 7
//! part 2). Known names and places come as options; everything else is found by the detector of
//! `meldroute_anonymize`. For operators and for checks; the web app's anonymous summary uses the same crate.

use meldroute_anonymize::anonymize_with;
use time::Date;

/// At most this much text is read (a dossier note, not a book).
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// Anonymise `input`. `reference` is the date exact dates are made relative to.
pub fn run(input: &str, names: &[String], places: &[String], reference: Date) -> Result<String, String> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(format!("the text is longer than {MAX_INPUT_BYTES} bytes; split it up"));
    }
    if let Some(empty) = names.iter().chain(places).find(|v| v.trim().is_empty()) {
        return Err(format!("an empty --name or --place ({empty:?}) is not allowed"));
    }
    Ok(anonymize_with(input, names, places, reference).text)
}

/// Parse `--reference-date YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Result<Date, String> {
    Date::parse(raw, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("--reference-date must look like 2026-03-16, not {raw:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn names_and_places_from_options_and_the_detector_for_the_rest() {
        let out = run(
            "Kees Jansen uit Tiel belde op 06-12345678 over 14-03-2026.",
            &["Kees Jansen".into()],
            &["Tiel".into()],
            date!(2026 - 03 - 16),
        )
        .unwrap();
        assert_eq!(out, "[naam] uit [plaats] belde op [telefoonnummer] over [2 dagen eerder].");
    }

    #[test]
    fn bad_options_are_refused() {
        assert!(run("x", &[" ".into()], &[], date!(2026 - 03 - 16)).is_err());
        assert!(parse_date("16-03-2026").is_err());
        assert_eq!(parse_date("2026-03-16").unwrap(), date!(2026 - 03 - 16));
    }
}
