//! The structured model of the naslagwerk. The web renders it to HTML (askama, auto-escaped) and the PDF
//! module typesets the same sections; neither ever sees raw markup from the content files.

/// One section of the naslagwerk (one content file), e.g. "Het afwegingskader".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The stable, language-independent name in URLs: `/naslag/{slug}`.
    pub slug: &'static str,
    pub title: String,
    /// One plain sentence or two for the index page (the first paragraph of the file).
    pub summary: String,
    pub blocks: Vec<Block>,
}

/// A block of content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A subsection heading (level 2 or 3) with its anchor id, the same in every language.
    Heading {
        level: u8,
        id: String,
        text: String,
    },
    Paragraph(Vec<Inline>),
    /// A list; each item is a run of inline content.
    List {
        ordered: bool,
        items: Vec<Vec<Inline>>,
    },
    /// A highlighted remark: a note, a practical tip or a warning. Each element is a paragraph.
    Note {
        kind: NoteKind,
        paragraphs: Vec<Vec<Inline>>,
    },
}

/// The flavour of a [`Block::Note`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    Note,
    Tip,
    Warning,
}

impl NoteKind {
    /// A stable code (for CSS classes and translation keys).
    pub fn code(self) -> &'static str {
        match self {
            NoteKind::Note => "note",
            NoteKind::Tip => "tip",
            NoteKind::Warning => "warning",
        }
    }
}

/// Inline content. No nesting: strong and emphasised text and link texts are plain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Strong(String),
    Emph(String),
    /// A link whose `href` passed [`crate::safe_href`]: an internal `/naslag/...` path, `tel:` or `https:`.
    Link {
        href: String,
        text: String,
    },
}

impl Inline {
    /// The text a reader sees.
    pub fn text(&self) -> &str {
        match self {
            Inline::Text(t) | Inline::Strong(t) | Inline::Emph(t) => t,
            Inline::Link { text, .. } => text,
        }
    }
}

/// The plain text of a run of inlines.
pub fn plain_text(inlines: &[Inline]) -> String {
    inlines.iter().map(Inline::text).collect()
}

impl Block {
    /// The plain text of the block (list items and note paragraphs joined by a space).
    pub fn plain_text(&self) -> String {
        match self {
            Block::Heading { text, .. } => text.clone(),
            Block::Paragraph(inlines) => plain_text(inlines),
            Block::List { items, .. } => items.iter().map(|i| plain_text(i)).collect::<Vec<_>>().join(" "),
            Block::Note { paragraphs, .. } => paragraphs.iter().map(|p| plain_text(p)).collect::<Vec<_>>().join(" "),
        }
    }

    /// The links in this block.
    pub fn links(&self) -> Vec<(&str, &str)> {
        let runs: Vec<&Vec<Inline>> = match self {
            Block::Heading { .. } => Vec::new(),
            Block::Paragraph(inlines) => vec![inlines],
            Block::List { items, .. } => items.iter().collect(),
            Block::Note { paragraphs, .. } => paragraphs.iter().collect(),
        };
        runs.into_iter()
            .flatten()
            .filter_map(|i| match i {
                Inline::Link { href, text } => Some((href.as_str(), text.as_str())),
                _ => None,
            })
            .collect()
    }
}

impl Section {
    /// The anchor ids of the subsections, in order.
    pub fn anchors(&self) -> Vec<&str> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading { id, .. } => Some(id.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The subsection headings: (level, id, text), for a table of contents.
    pub fn headings(&self) -> Vec<(u8, &str, &str)> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading { level, id, text } => Some((*level, id.as_str(), text.as_str())),
                _ => None,
            })
            .collect()
    }

    /// Whether `id` is the anchor of one of the subsections.
    pub fn has_anchor(&self, id: &str) -> bool {
        self.anchors().contains(&id)
    }

    /// Every link in the section: (href, text).
    pub fn links(&self) -> Vec<(&str, &str)> {
        self.blocks.iter().flat_map(Block::links).collect()
    }
}
