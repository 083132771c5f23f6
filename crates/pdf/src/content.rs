//! Building blocks shared by every document: languages, rich-text blocks, contacts, the
//! afwegingskader flow and the route steps.
//!
//! Every string in these types is *data*. The templates read them from `data.json` and place them
//! as plain text, so a string such as `*bold* #panic()` is printed literally.

use serde::{Deserialize, Serialize};

/// The language of a document: it drives hyphenation and typographic conventions (quotes),
/// never the words themselves (the caller passes every text already translated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Dutch (the default).
    #[default]
    Nl,
    /// English.
    En,
}

impl Lang {
    /// The ISO 639-1 code Typst uses for `text(lang: ..)`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }
}

/// A run of text inside a paragraph, list item or note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inline {
    /// Plain text.
    Text {
        /// The text, printed literally.
        text: String,
    },
    /// Strongly emphasised text (bold).
    Strong {
        /// The text, printed literally.
        text: String,
    },
    /// Emphasised text (italic).
    Emph {
        /// The text, printed literally.
        text: String,
    },
    /// A hyperlink. Only `https:`, `http:`, `mailto:` and `tel:` targets become clickable; any
    /// other target is printed as plain text.
    Link {
        /// The visible text.
        text: String,
        /// The target address.
        url: String,
    },
}

impl Inline {
    /// Plain text.
    pub fn text(text: impl Into<String>) -> Self {
        Inline::Text { text: text.into() }
    }
    /// Bold text.
    pub fn strong(text: impl Into<String>) -> Self {
        Inline::Strong { text: text.into() }
    }
    /// Italic text.
    pub fn emph(text: impl Into<String>) -> Self {
        Inline::Emph { text: text.into() }
    }
    /// A link.
    pub fn link(text: impl Into<String>, url: impl Into<String>) -> Self {
        Inline::Link { text: text.into(), url: url.into() }
    }
}

/// A label with a value, e.g. "Datum" – "22 november 2026".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The label (already translated).
    pub label: String,
    /// The value.
    pub value: String,
}

impl Field {
    /// A label with a value.
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Field { label: label.into(), value: value.into() }
    }
}

/// A block of running text. Reference chapters, report sections and the protocol's own
/// introduction are made of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// A sub-heading inside a chapter or section.
    Heading {
        /// The heading text.
        text: String,
    },
    /// A paragraph.
    Paragraph {
        /// Its runs of text.
        inlines: Vec<Inline>,
    },
    /// A bulleted or numbered list.
    List {
        /// Numbered (`true`) or bulleted.
        #[serde(default)]
        ordered: bool,
        /// One entry per item.
        items: Vec<Vec<Inline>>,
    },
    /// A highlighted box, e.g. "Let op" or a tip.
    Note {
        /// An optional title, e.g. "Let op".
        #[serde(default)]
        title: Option<String>,
        /// Its runs of text.
        inlines: Vec<Inline>,
    },
    /// A table of plain-text cells, e.g. the entries of a dossier.
    Table {
        /// Column headings; also fixes the number of columns.
        header: Vec<String>,
        /// Rows; a short row is padded with empty cells, extra cells are dropped.
        rows: Vec<Vec<String>>,
    },
    /// Label–value pairs, e.g. the facts of a report ("Datum", "Opgesteld door").
    Fields {
        /// The pairs.
        fields: Vec<Field>,
    },
    /// A horizontal bar chart of counts, e.g. the results of a poll question (the longest bar is the
    /// largest count).
    Bars {
        /// One bar per row, in order.
        rows: Vec<Bar>,
    },
}

/// One bar of [`Block::Bars`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    /// What was counted, e.g. a choice of a poll question.
    pub label: String,
    pub count: u32,
}

impl Block {
    /// A sub-heading.
    pub fn heading(text: impl Into<String>) -> Self {
        Block::Heading { text: text.into() }
    }
    /// A paragraph of plain text.
    pub fn paragraph(text: impl Into<String>) -> Self {
        Block::Paragraph { inlines: vec![Inline::text(text)] }
    }
    /// A paragraph of mixed runs.
    pub fn rich(inlines: Vec<Inline>) -> Self {
        Block::Paragraph { inlines }
    }
    /// A bulleted list of plain-text items.
    pub fn bullets<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Self {
        Block::List { ordered: false, items: items.into_iter().map(|i| vec![Inline::text(i)]).collect() }
    }
    /// A numbered list of plain-text items.
    pub fn numbered<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Self {
        Block::List { ordered: true, items: items.into_iter().map(|i| vec![Inline::text(i)]).collect() }
    }
    /// A note box.
    pub fn note(title: Option<&str>, text: impl Into<String>) -> Self {
        Block::Note { title: title.map(str::to_owned), inlines: vec![Inline::text(text)] }
    }
}

/// A chapter of the protocol: a title and its blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chapter {
    /// The chapter title.
    pub title: String,
    /// Its content.
    pub blocks: Vec<Block>,
}

/// A person or role who acts in a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The role, e.g. "Intern begeleider".
    pub role: String,
    /// The named persons in that role at this location (may be empty).
    #[serde(default)]
    pub names: Vec<String>,
}

impl Actor {
    /// A role with named persons.
    pub fn new<S: Into<String>>(role: impl Into<String>, names: impl IntoIterator<Item = S>) -> Self {
        Actor { role: role.into(), names: names.into_iter().map(Into::into).collect() }
    }
}

/// One step of the school's route (1–6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteStep {
    /// The step number as shown, e.g. 1.
    pub number: u8,
    /// The step title, e.g. "Signalen in kaart brengen".
    pub title: String,
    /// What happens in this step, in one or two sentences.
    pub summary: String,
    /// Who acts (roles and named persons).
    #[serde(default)]
    pub actors: Vec<Actor>,
    /// The location's own agreements for this step.
    #[serde(default)]
    pub agreements: Vec<String>,
}

/// Where an answer of the afwegingskader leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Go on to the next question (or start the help).
    Continue,
    /// Report to Veilig Thuis (drawn with the warning colour).
    Report,
    /// Close the route (or the help) and record the conclusion.
    Close,
}

/// One answer branch of an afwegingskader question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// What the answer is, e.g. "Ja" or "Ja of twijfel".
    pub label: String,
    /// What follows, e.g. "Melden bij Veilig Thuis".
    pub text: String,
    /// The kind of consequence, which decides the colour and arrow.
    pub outcome: Outcome,
}

/// One of the five questions of the afwegingskader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentQuestion {
    /// The number (1–5).
    pub number: u8,
    /// Its short name, e.g. "Vermoeden".
    pub name: String,
    /// The question itself.
    pub question: String,
    /// The "yes" branch.
    pub yes: Answer,
    /// The "no" branch.
    pub no: Answer,
}

/// The afwegingskader as a decision list, with the meldnormen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// The heading, e.g. "Afwegingskader: melden en/of hulp organiseren".
    pub title: String,
    /// A short line under the heading (may be empty).
    #[serde(default)]
    pub intro: String,
    /// The five questions, in order.
    pub questions: Vec<AssessmentQuestion>,
    /// The heading of the meldnormen, e.g. "Meldnormen: melden is nodig".
    pub norms_title: String,
    /// The meldnormen.
    pub norms: Vec<String>,
    /// Further notes, e.g. "Veilig Thuis besluit binnen 5 werkdagen …".
    #[serde(default)]
    pub notes: Vec<String>,
}

/// A telephone number everybody must be able to find at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportantNumber {
    /// What it is, e.g. "Acuut gevaar".
    pub label: String,
    /// The number, e.g. "112".
    pub number: String,
    /// An optional explanation, e.g. "gratis, 24/7".
    #[serde(default)]
    pub note: Option<String>,
    /// Drawn with the warning colour (for 112).
    #[serde(default)]
    pub urgent: bool,
}

/// A partner or contact person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// The role or organisation, e.g. "Jeugdarts (JGZ)".
    pub role: String,
    /// A person's name, if any.
    #[serde(default)]
    pub name: Option<String>,
    /// Telephone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Anything else, e.g. office hours.
    #[serde(default)]
    pub note: Option<String>,
}

/// The labels a document needs around the data, all already translated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    /// "Wie", heading of the actors.
    pub who: String,
    /// "Afspraken", heading of the local agreements.
    pub agreements: String,
    /// "Belangrijke nummers".
    pub numbers: String,
    /// "Partners en contactpersonen".
    pub partners: String,
    /// "Telefoon".
    pub phone: String,
    /// "E-mail".
    pub email: String,
    /// "Stap", before a step number.
    pub step: String,
    /// "Vraag", before a question number.
    pub question: String,
    /// "Pagina", before a page number.
    pub page: String,
    /// "van", between page number and page count.
    pub of: String,
    /// "Inhoud", the table of contents title (protocol only).
    pub contents: String,
    /// "Verwijsindex".
    pub verwijsindex: String,
    /// Shown when a list is empty, e.g. "Nog niet ingevuld".
    pub none: String,
}
