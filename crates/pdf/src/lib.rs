//! PDF documents for meldroute, rendered with [Typst](https://typst.app) used as a library.
//!
//! Structured data goes in, PDF bytes come out. The crate knows nothing of the web layer, the
//! store or the translations: the caller passes every text already translated, plus a
//! [`Lang`] for hyphenation and typography.
//!
//! ```no_run
//! # async fn demo() -> Result<(), meldroute_pdf::PdfError> {
//! use meldroute_pdf::{Document, PdfRenderer, sample};
//! let renderer = PdfRenderer::new(2);
//! let pdf = renderer.render(Document::RouteCard(sample::route_card())).await?;
//! assert!(pdf.starts_with(b"%PDF-"));
//! # Ok(()) }
//! ```
//!
//! # Data, never markup
//! Each template (`templates/*.typ`, embedded with `include_str!`) reads its input with
//! `json("data.json")` from a virtual file that holds the serialized input struct. Strings from
//! that file are placed as text values, never evaluated, so user text such as
//! `*#set page(width: 1cm)] = #panic()` is printed literally and cannot change the layout. Keep it
//! that way: never call `eval` on data, never build markup from strings in Rust.
//!
//! # Concurrency
//! Compiling a document is CPU work of tens to hundreds of milliseconds.
//! [`PdfRenderer::render`] runs it with `tokio::task::spawn_blocking`, after taking a permit from a
//! semaphore of `max_concurrent` permits, so at most that many renders use the CPU at once. The
//! fonts, the parsed templates and Typst's standard library are loaded once per process
//! (`OnceLock`) and shared by every render.
//!
//! # Adding a document
//! 1. Add an input struct in [`document`] (serde `Serialize`/`Deserialize`, all texts as data,
//!    `lang`, `today`, [`Labels`]), and a variant of [`Document`] with its arms in
//!    `Document::{kind, today, lang, template, data_json}`.
//! 2. Add `templates/<name>.typ` that starts with `#import "common.typ": *` and
//!    `#let d = json("data.json")`, and register it in `TEMPLATES` in `world.rs`.
//! 3. Add a builder in [`sample`] and a test in `tests/documents.rs` that checks the text.
//!
//! Determinism: the output depends only on the input; `today` is part of the input and is
//! what Typst's `datetime.today()` and the PDF's creation date use.

pub mod content;
pub mod document;
mod render;
pub mod sample;
mod world;

pub use content::{
    Actor, Answer, Assessment, AssessmentQuestion, Bar, Block, Chapter, Contact, Field, ImportantNumber, Inline,
    Labels, Lang, Outcome, RouteStep,
};
pub use document::{Document, Protocol, Report, ReportSection, RouteCard};
pub use render::{PdfError, PdfRenderer, embedded_font_count, render_blocking, warm_up};
