//! CSV output that is safe to open in a spreadsheet. A cell whose text starts with `=`, `+`, `-`, `@`, a
//! tab or a carriage return (also after leading spaces, and the full-width forms of the four signs) would
//! be taken as a formula by Excel, LibreOffice or Google Sheets: [`neutralise`] puts a single quote in
//! front, so the cell is shown as the text it is (OWASP's advice on CSV injection). [`write`] quotes every
//! cell and doubles embedded quotes. Every CSV the application produces goes through [`write`].

use std::borrow::Cow;

/// Characters that make a spreadsheet read a cell as a formula when they come first.
const FORMULA_STARTS: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}'];

/// The cell text, with a leading `'` when a spreadsheet would otherwise evaluate it.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let first = cell.trim_start_matches(' ').chars().next();
    match first {
        Some(c) if FORMULA_STARTS.contains(&c) => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// A CSV document (UTF-8 with a byte-order mark, so spreadsheets pick the encoding; CRLF line ends) with a
/// header row; every cell neutralised and quoted.
pub fn write(header: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{FEFF}".as_bytes());
    {
        let mut w = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        w.write_record(header.iter().map(|c| neutralise(c).into_owned()))?;
        for row in rows {
            w.write_record(row.iter().map(|c| neutralise(c).into_owned()))?;
        }
        w.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised() {
        for bad in
            ["=HYPERLINK(\"http://x\")", "+31 6 1234", "-2+3", "@SUM(A1)", "\tcmd", "\r=1", "  =1+1", "\u{FF1D}1+1"]
        {
            assert_eq!(neutralise(bad), format!("'{bad}"), "{bad:?}");
        }
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for ok in ["Fatima El Idrissi", "dossier.read", "22-11-2026 10:15", "a=b", "", "'quoted"] {
            assert_eq!(neutralise(ok), ok);
        }
    }

    #[test]
    fn written_csv_quotes_and_neutralises_every_cell() {
        let out =
            write(&["wie".into(), "wat".into()], &[vec!["=cmd|' /C calc'!A0".into(), "zegt \"hoi\"".into()]]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "\u{FEFF}\"wie\",\"wat\"\r\n\"'=cmd|' /C calc'!A0\",\"zegt \"\"hoi\"\"\"\r\n");
    }
}
