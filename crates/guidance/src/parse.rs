//! A deliberately small markdown subset, parsed into the [`crate::model`]:
//!
//! ```text
//! # Title                       first line; exactly one
//! The first paragraph is the summary.
//!
//! ## Heading {#anchor}          level 2 or 3; the anchor is required, [a-z0-9-], same in every language
//! A paragraph: lines up to a blank line, with **strong**, *emphasis*, [link text](/naslag/slug#anchor)
//! and \* for a literal asterisk.
//!
//! - an unordered item           or `1. ` for ordered items; an indented line continues the item
//!
//! > [!tip]                     a note: [!note], [!tip] or [!warning] on its first line
//! > Its text; a lone `>` line separates paragraphs.
//! ```
//!
//! Nothing else has a meaning: HTML is kept as literal text (the renderer escapes it), and a link whose
//! target is not an internal `/naslag/...` path, `tel:` or `https:` becomes its plain text.

use crate::model::{Block, Inline, NoteKind, Section};

/// Why a content file does not parse (a content bug; the tests catch it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError { line, message: message.into() })
}

/// Whether `id` is a valid anchor id: lowercase ASCII letters, digits and single inner hyphens.
pub fn valid_anchor(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 60
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
}

/// The link target if it is allowed, else `None` (the link is then rendered as its plain text).
/// Allowed: internal `/naslag` paths (`/naslag`, `/naslag/slug`, `/naslag/slug#anchor`), `tel:` numbers and
/// `https:` addresses without spaces, quotes or angle brackets.
pub fn safe_href(href: &str) -> Option<String> {
    let href = href.trim();
    if href == "/naslag" || href.starts_with("/naslag/") {
        let rest = &href["/naslag".len()..];
        let ok = rest.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '/' | '#'))
            && !rest.contains("//")
            && rest.matches('#').count() <= 1;
        return ok.then(|| href.to_string());
    }
    if let Some(number) = href.strip_prefix("tel:") {
        let ok = !number.is_empty()
            && number.chars().all(|c| c.is_ascii_digit() || c == '+' || c == '-')
            && number.chars().any(|c| c.is_ascii_digit());
        return ok.then(|| href.to_string());
    }
    if let Some(rest) = href.strip_prefix("https://") {
        let ok = !rest.is_empty()
            && !rest.starts_with('/')
            && rest.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\'));
        return ok.then(|| href.to_string());
    }
    None
}

/// The index of the `)` that closes a link target starting at `from`, counting nested parentheses.
fn closing_paren(chars: &[char], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &c) in chars.iter().enumerate().skip(from) {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Parses the inline markup of one run of text.
pub fn parse_inlines(text: &str) -> Vec<Inline> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<Inline> = Vec::new();
    let mut plain = String::new();
    let flush = |plain: &mut String, out: &mut Vec<Inline>| {
        if !plain.is_empty() {
            out.push(Inline::Text(std::mem::take(plain)));
        }
    };
    let find = |from: usize, pat: &[char]| -> Option<usize> {
        (from..chars.len()).find(|&i| chars[i..].starts_with(pat) && (i == 0 || chars[i - 1] != '\\'))
    };
    let unescape = |s: &[char]| -> String {
        let mut r = String::new();
        let mut esc = false;
        for &c in s {
            if c == '\\' && !esc {
                esc = true;
                continue;
            }
            esc = false;
            r.push(c);
        }
        r
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            plain.push(chars[i + 1]);
            i += 2;
            continue;
        }
        // Emphasis opens before and closes after a non-space (so "5 * 3" stays text).
        let tight = |a: usize, b: usize| !chars[a].is_whitespace() && !chars[b - 1].is_whitespace();
        if chars[i..].starts_with(&['*', '*'])
            && let Some(end) = find(i + 2, &['*', '*'])
            && end > i + 2
            && tight(i + 2, end)
        {
            flush(&mut plain, &mut out);
            out.push(Inline::Strong(unescape(&chars[i + 2..end])));
            i = end + 2;
            continue;
        }
        if c == '*'
            && !chars[i..].starts_with(&['*', '*'])
            && let Some(end) = find(i + 1, &['*'])
            && end > i + 1
            && tight(i + 1, end)
        {
            flush(&mut plain, &mut out);
            out.push(Inline::Emph(unescape(&chars[i + 1..end])));
            i = end + 1;
            continue;
        }
        if c == '['
            && let Some(mid) = find(i + 1, &[']', '('])
            && let Some(end) = closing_paren(&chars, mid + 2)
        {
            let label = unescape(&chars[i + 1..mid]);
            let href: String = chars[mid + 2..end].iter().collect();
            flush(&mut plain, &mut out);
            match safe_href(&href) {
                Some(href) if !label.trim().is_empty() => out.push(Inline::Link { href, text: label }),
                _ => plain.push_str(&label),
            }
            i = end + 1;
            continue;
        }
        plain.push(c);
        i += 1;
    }
    flush(&mut plain, &mut out);
    // Adjacent texts (a neutralised link next to text) become one.
    let mut merged: Vec<Inline> = Vec::with_capacity(out.len());
    for inline in out {
        match (merged.last_mut(), inline) {
            (Some(Inline::Text(prev)), Inline::Text(next)) => prev.push_str(&next),
            (_, inline) => merged.push(inline),
        }
    }
    merged
}

/// A heading line `## Text {#id}` → (text, id).
fn heading_parts(rest: &str, line: usize) -> Result<(String, String), ParseError> {
    let rest = rest.trim_end();
    let Some(body) = rest.strip_suffix('}') else { return err(line, "a heading needs an anchor: `## Text {#id}`") };
    let Some(open) = body.rfind("{#") else { return err(line, "a heading needs an anchor: `## Text {#id}`") };
    let id = &body[open + 2..];
    let text = body[..open].trim();
    if !valid_anchor(id) {
        return err(line, format!("invalid anchor id `{id}`"));
    }
    if text.is_empty() {
        return err(line, "empty heading");
    }
    Ok((text.to_string(), id.to_string()))
}

/// An ordered list item `12. text` → text.
fn ordered_item(line: &str) -> Option<&str> {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    line[digits..].strip_prefix(". ")
}

/// What is being collected between lines.
enum Open {
    None,
    Paragraph(Vec<String>),
    List { ordered: bool, items: Vec<Vec<String>> },
    Note { kind: NoteKind, paragraphs: Vec<Vec<String>> },
}

fn close(open: Open, blocks: &mut Vec<Block>) {
    let join = |lines: &[String]| parse_inlines(&lines.join(" "));
    match open {
        Open::None => {}
        Open::Paragraph(lines) => blocks.push(Block::Paragraph(join(&lines))),
        Open::List { ordered, items } => {
            blocks.push(Block::List { ordered, items: items.iter().map(|i| join(i)).collect() })
        }
        Open::Note { kind, paragraphs } => {
            let paragraphs: Vec<Vec<Inline>> = paragraphs.iter().filter(|p| !p.is_empty()).map(|p| join(p)).collect();
            if !paragraphs.is_empty() {
                blocks.push(Block::Note { kind, paragraphs });
            }
        }
    }
}

/// Parses one content file into a section.
pub fn parse_section(slug: &'static str, source: &str) -> Result<Section, ParseError> {
    let mut title: Option<String> = None;
    let mut blocks: Vec<Block> = Vec::new();
    let mut open = Open::None;
    for (n, raw) in source.lines().enumerate() {
        let line_no = n + 1;
        let line = raw.trim_end();
        if line.trim().is_empty() {
            close(std::mem::replace(&mut open, Open::None), &mut blocks);
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            if title.is_some() || !blocks.is_empty() || !matches!(open, Open::None) {
                return err(line_no, "the title (`# `) must be the first line, and there is only one");
            }
            let text = rest.trim();
            if text.is_empty() {
                return err(line_no, "empty title");
            }
            title = Some(text.to_string());
            continue;
        }
        if title.is_none() {
            return err(line_no, "a section starts with its title: `# Title`");
        }
        if line.starts_with("####") {
            return err(line_no, "only headings of level 2 (`##`) and 3 (`###`) are supported");
        }
        let heading =
            line.strip_prefix("### ").map(|r| (3u8, r)).or_else(|| line.strip_prefix("## ").map(|r| (2u8, r)));
        if let Some((level, rest)) = heading {
            close(std::mem::replace(&mut open, Open::None), &mut blocks);
            let (text, id) = heading_parts(rest, line_no)?;
            blocks.push(Block::Heading { level, id, text });
            continue;
        }
        if line.starts_with('#') {
            return err(line_no, "a heading needs a space after the `#` signs");
        }
        if line == ">" || line.starts_with("> ") {
            let rest = line.strip_prefix('>').unwrap_or_default().trim();
            let kind = match rest {
                "[!note]" => Some(NoteKind::Note),
                "[!tip]" => Some(NoteKind::Tip),
                "[!warning]" => Some(NoteKind::Warning),
                _ => None,
            };
            match (&mut open, kind) {
                (Open::Note { paragraphs, .. }, None) => {
                    if rest.is_empty() {
                        paragraphs.push(Vec::new());
                    } else if let Some(last) = paragraphs.last_mut() {
                        last.push(rest.to_string());
                    }
                }
                (_, kind) => {
                    close(std::mem::replace(&mut open, Open::None), &mut blocks);
                    let paragraphs = match kind {
                        Some(_) => vec![Vec::new()],
                        None => vec![vec![rest.to_string()]],
                    };
                    open = Open::Note { kind: kind.unwrap_or(NoteKind::Note), paragraphs };
                }
            }
            continue;
        }
        let item = line.strip_prefix("- ").map(|t| (false, t)).or_else(|| ordered_item(line).map(|t| (true, t)));
        if let Some((ordered, text)) = item {
            match &mut open {
                Open::List { ordered: o, items } if *o == ordered => items.push(vec![text.trim().to_string()]),
                Open::List { .. } => return err(line_no, "ordered and unordered items mixed in one list"),
                _ => {
                    close(std::mem::replace(&mut open, Open::None), &mut blocks);
                    open = Open::List { ordered, items: vec![vec![text.trim().to_string()]] };
                }
            }
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        match &mut open {
            Open::List { .. } if indented && (line.trim().starts_with("- ") || ordered_item(line.trim()).is_some()) => {
                return err(line_no, "nested lists are not supported");
            }
            Open::List { items, .. } if indented => {
                if let Some(last) = items.last_mut() {
                    last.push(line.trim().to_string());
                }
            }
            Open::List { .. } => return err(line_no, "a list continues with indented lines; end it with a blank line"),
            Open::Note { .. } => return err(line_no, "a note continues with `> ` lines; end it with a blank line"),
            Open::Paragraph(lines) => lines.push(line.trim().to_string()),
            Open::None => open = Open::Paragraph(vec![line.trim().to_string()]),
        }
    }
    close(open, &mut blocks);
    let Some(title) = title else { return err(1, "empty file") };
    let summary = match blocks.first() {
        Some(Block::Paragraph(inlines)) => crate::model::plain_text(inlines),
        _ => return err(2, "the first block after the title must be a paragraph: the summary"),
    };
    blocks.remove(0);
    let mut seen = std::collections::BTreeSet::new();
    for id in blocks.iter().filter_map(|b| match b {
        Block::Heading { id, .. } => Some(id),
        _ => None,
    }) {
        if !seen.insert(id.clone()) {
            return err(0, format!("anchor `{id}` is used twice"));
        }
    }
    Ok(Section { slug, title, summary, blocks })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plain_text;

    fn t(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn inline_constructs() {
        assert_eq!(
            parse_inlines("a **b** *c* [d](/naslag/x#y) e"),
            vec![
                t("a "),
                Inline::Strong("b".into()),
                t(" "),
                Inline::Emph("c".into()),
                t(" "),
                Inline::Link { href: "/naslag/x#y".into(), text: "d".into() },
                t(" e"),
            ]
        );
        assert_eq!(
            parse_inlines("[bel](tel:0800-2000) of [site](https://example.org/a?b=c)"),
            vec![
                Inline::Link { href: "tel:0800-2000".into(), text: "bel".into() },
                t(" of "),
                Inline::Link { href: "https://example.org/a?b=c".into(), text: "site".into() },
            ]
        );
    }

    #[test]
    fn unclosed_markers_and_escapes_stay_text() {
        assert_eq!(parse_inlines("5 * 3 en **open"), vec![t("5 * 3 en **open")]);
        assert_eq!(parse_inlines(r"\*niet schuin\*"), vec![t("*niet schuin*")]);
        assert_eq!(parse_inlines("[geen link] (x)"), vec![t("[geen link] (x)")]);
        assert_eq!(parse_inlines("****"), vec![t("****")]);
    }

    #[test]
    fn html_is_plain_text() {
        let inl = parse_inlines("<script>alert(1)</script> <b>vet</b>");
        assert_eq!(inl, vec![t("<script>alert(1)</script> <b>vet</b>")]);
    }

    #[test]
    fn dangerous_links_become_plain_text() {
        for href in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "http://example.org",
            "//evil.example",
            "/admin",
            "/naslag/../admin",
            "/naslag//evil.example",
            "/naslag/x\"onmouseover=\"alert(1)",
            "https://evil.example/\"><script>",
            "https:///x",
            "tel:",
            "tel:112;javascript:alert(1)",
            "vbscript:x",
            "mailto:a@b.c",
        ] {
            let inl = parse_inlines(&format!("voor [klik]({href}) na"));
            assert_eq!(inl, vec![t("voor klik na")], "{href}");
            assert!(safe_href(href).is_none(), "{href}");
        }
        for href in ["/naslag", "/naslag/afwegingskader", "/naslag/afwegingskader#vraag-2", "tel:112", "https://x.nl"] {
            assert_eq!(safe_href(href).as_deref(), Some(href));
        }
    }

    #[test]
    fn anchors() {
        assert!(valid_anchor("vraag-2"));
        for bad in ["", "Vraag", "a b", "-a", "a-", "a--b", "é", "a\"b", "x<y"] {
            assert!(!valid_anchor(bad), "{bad}");
        }
    }

    const DOC: &str = "# Titel\nDe samenvatting\nover twee regels.\n\n## Kop {#kop}\nEen **alinea**\nmet *nadruk*.\n\n\
        - een\n- twee\n  vervolg\n\n1. eerste\n2. tweede\n\n### Sub {#sub-kop}\n> [!tip]\n> Tip een.\n>\n> Tip twee.\n\n\
        > Gewone noot.\n\n> [!warning]\n> Let op.\n";

    #[test]
    fn section_constructs() {
        let s = parse_section("x", DOC).unwrap();
        assert_eq!(s.title, "Titel");
        assert_eq!(s.summary, "De samenvatting over twee regels.");
        assert_eq!(s.anchors(), vec!["kop", "sub-kop"]);
        assert_eq!(s.blocks[0], Block::Heading { level: 2, id: "kop".into(), text: "Kop".into() });
        assert_eq!(
            s.blocks[1],
            Block::Paragraph(vec![
                t("Een "),
                Inline::Strong("alinea".into()),
                t(" met "),
                Inline::Emph("nadruk".into()),
                t("."),
            ])
        );
        assert_eq!(s.blocks[2], Block::List { ordered: false, items: vec![vec![t("een")], vec![t("twee vervolg")]] });
        assert_eq!(s.blocks[3], Block::List { ordered: true, items: vec![vec![t("eerste")], vec![t("tweede")]] });
        assert_eq!(s.blocks[4], Block::Heading { level: 3, id: "sub-kop".into(), text: "Sub".into() });
        assert_eq!(
            s.blocks[5],
            Block::Note { kind: NoteKind::Tip, paragraphs: vec![vec![t("Tip een.")], vec![t("Tip twee.")]] }
        );
        assert_eq!(s.blocks[6], Block::Note { kind: NoteKind::Note, paragraphs: vec![vec![t("Gewone noot.")]] });
        assert_eq!(s.blocks[7], Block::Note { kind: NoteKind::Warning, paragraphs: vec![vec![t("Let op.")]] });
        assert_eq!(s.blocks.len(), 8);
        assert_eq!(
            plain_text(match &s.blocks[1] {
                Block::Paragraph(i) => i,
                _ => unreachable!(),
            }),
            "Een alinea met nadruk."
        );
    }

    #[test]
    fn structural_errors_are_reported_with_a_line() {
        let cases = [
            ("Geen titel\n", 1),
            ("# T\nS\n\n## Kop zonder anker\n", 4),
            ("# T\nS\n\n## Kop {#Fout}\n", 4),
            ("# T\nS\n\n#### Te diep {#x}\n", 4),
            ("# T\nS\n\n# Tweede titel\n", 4),
            ("# T\nS\n\n- a\n1. b\n", 5),
            ("# T\nS\n\n- a\nniet ingesprongen\n", 5),
            ("# T\nS\n\n> noot\nzonder teken\n", 5),
            ("# T\nS\n\n##Kop {#x}\n", 4),
            ("# T\nS\n\n- a\n  - genest\n", 5),
        ];
        for (src, line) in cases {
            let e = parse_section("x", src).unwrap_err();
            assert_eq!(e.line, line, "{src:?}: {e}");
        }
        assert!(parse_section("x", "# T\n\n## Kop {#a}\n").is_err(), "summary required");
        assert!(parse_section("x", "# T\nS\n\n## A {#a}\n\n## B {#a}\n").is_err(), "duplicate anchor");
        assert!(parse_section("x", "").is_err());
    }

    #[test]
    fn raw_html_lines_stay_text() {
        let s = parse_section("x", "# T <i>\nS\n\n<div onclick=\"x\">hoi</div>\n").unwrap();
        assert_eq!(s.title, "T <i>");
        assert_eq!(s.blocks, vec![Block::Paragraph(vec![t("<div onclick=\"x\">hoi</div>")])]);
    }
}
