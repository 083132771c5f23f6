#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]
//! Helpers for the PDF tests: text extraction with `pdftotext` (Debian's poppler-utils).

use std::io::Write;
use std::process::{Command, Stdio};

/// The text of a PDF, as `pdftotext` extracts it (pages separated by form feeds).
pub fn pdf_text(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("pdftotext is needed for these tests: apt-get install -y poppler-utils");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The number of pages: pdftotext ends every page with a form feed.
pub fn page_count(text: &str) -> usize {
    text.matches('\u{c}').count()
}

/// The text with every run of white space made one space (lines joined).
pub fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text with all white space removed and hyphenation at line ends undone, for matching long
/// strings that were wrapped (Typst marks its hyphenation with a soft hyphen).
pub fn squeezed(text: &str) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = text.lines().collect();
    for line in lines {
        let line = line.trim();
        let line = line.strip_suffix('\u{ad}').or_else(|| line.strip_suffix('-')).unwrap_or(line);
        out.push_str(line);
    }
    out.retain(|c| !c.is_whitespace());
    out
}

/// Asserts that `needle` occurs in the flattened text.
pub fn assert_contains(text: &str, needle: &str) {
    let flat = flat(text);
    assert!(flat.contains(needle), "expected {needle:?} in the PDF text:\n{flat}");
}

pub fn assert_pdf(pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    assert!(pdf.len() > 1000);
}
