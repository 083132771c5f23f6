//! Rendering: [`render_blocking`] compiles one document; [`PdfRenderer`] runs renders on the
//! blocking thread pool with a bound on how many run at once.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;
use typst::diag::{Severity, SourceDiagnostic, Warned};
use typst::foundations::{Datetime, Smart};
use typst::syntax::DiagSpanKind;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};

use crate::document::Document;
use crate::world::DocWorld;

/// How many memoization generations Typst keeps between renders (bounds memory in a server).
const CACHE_GENERATIONS: usize = 16;

/// Why a document could not be rendered. Messages never contain the input data.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The input could not be turned into `data.json`.
    #[error("the document data could not be serialized")]
    Data(#[source] serde_json::Error),
    /// The embedded fonts or templates could not be loaded, or the date is out of range.
    #[error("the PDF engine could not be set up: {0}")]
    Setup(String),
    /// The template did not compile with this input (see the logs for the diagnostics).
    #[error("the {kind} template failed with {count} error(s); first: {first}")]
    Compile {
        /// The kind of document.
        kind: &'static str,
        /// The number of errors.
        count: usize,
        /// The first error message.
        first: String,
    },
    /// The compiled document could not be exported to PDF.
    #[error("the {kind} document could not be exported to PDF: {first}")]
    Export {
        /// The kind of document.
        kind: &'static str,
        /// The first error message.
        first: String,
    },
    /// The rendering task panicked or was cancelled.
    #[error("the rendering task failed: {0}")]
    Task(String),
}

/// Logs diagnostics without the data: severity, template file and line, and the message.
fn log_diagnostics(world: &DocWorld, kind: &'static str, diags: &[SourceDiagnostic]) {
    for diag in diags {
        let place = match diag.span.get() {
            DiagSpanKind::Detached => "detached".to_owned(),
            DiagSpanKind::Number { id, .. } | DiagSpanKind::Range { id, .. } => {
                let line = typst::WorldExt::range(world, diag.span)
                    .and_then(|r| world.line_of(id, r.start))
                    .map(|l| format!(":{l}"))
                    .unwrap_or_default();
                format!("{}{line}", world.file_name(id))
            }
        };
        let message = short(&diag.message);
        match diag.severity {
            Severity::Error => {
                tracing::error!(document = kind, place = %place, message = %message, "typst error")
            }
            Severity::Warning => {
                tracing::warn!(document = kind, place = %place, message = %message, "typst warning")
            }
        }
    }
}

/// At most 200 characters of a message.
fn short(message: &str) -> String {
    message.chars().take(200).collect()
}

fn first_message(diags: &[SourceDiagnostic]) -> String {
    diags.first().map(|d| short(&d.message)).unwrap_or_else(|| "unknown error".to_owned())
}

fn render_inner(doc: &Document) -> Result<Vec<u8>, PdfError> {
    let kind = doc.kind();
    let data = doc.data_json().map_err(PdfError::Data)?;
    let today = doc.today();
    let world = DocWorld::new(doc.template(), data, today).map_err(PdfError::Setup)?;

    let Warned { output, warnings } = typst::compile::<PagedDocument>(&world);
    log_diagnostics(&world, kind, &warnings);
    let compiled = match output {
        Ok(compiled) => compiled,
        Err(errors) => {
            log_diagnostics(&world, kind, &errors);
            return Err(PdfError::Compile { kind, count: errors.len(), first: first_message(&errors) });
        }
    };

    let timestamp =
        Datetime::from_ymd_hms(today.year(), u8::from(today.month()), today.day(), 0, 0, 0).map(Timestamp::new_utc);
    let options = PdfOptions {
        ident: Smart::Custom(format!("meldroute-{kind}")),
        creator: Smart::Custom(Some("meldroute".to_owned())),
        timestamp,
        ..PdfOptions::default()
    };
    let pdf = typst_pdf::pdf(&compiled, &options).map_err(|errors| {
        log_diagnostics(&world, kind, &errors);
        PdfError::Export { kind, first: first_message(&errors) }
    });
    typst::comemo::evict(CACHE_GENERATIONS);
    pdf
}

/// Renders one document on the current thread and returns the PDF bytes.
///
/// This blocks for tens to hundreds of milliseconds: in async code use [`PdfRenderer::render`].
/// The output is deterministic: the same document (including its `today`) gives the same bytes.
pub fn render_blocking(doc: &Document) -> Result<Vec<u8>, PdfError> {
    catch_unwind(AssertUnwindSafe(|| render_inner(doc))).unwrap_or_else(|payload| {
        let reason = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        tracing::error!(document = doc.kind(), "typst panicked while rendering");
        Err(PdfError::Task(short(&reason)))
    })
}

/// Loads the embedded fonts and templates now (they are otherwise loaded on the first render).
pub fn warm_up() -> Result<(), PdfError> {
    crate::world::warm_up().map_err(PdfError::Setup)
}

/// The number of embedded font faces (for diagnostics and tests).
pub fn embedded_font_count() -> usize {
    crate::world::font_count()
}

#[derive(Debug, Default)]
struct Gauge {
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    done: AtomicUsize,
}

/// Decrements the in-flight gauge when a render ends, also on panic.
struct InFlight<'a>(&'a Gauge);

impl<'a> InFlight<'a> {
    fn enter(gauge: &'a Gauge) -> Self {
        let now = gauge.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        gauge.peak.fetch_max(now, Ordering::SeqCst);
        InFlight(gauge)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.0.done.fetch_add(1, Ordering::SeqCst);
    }
}

/// Renders documents on Tokio's blocking thread pool, at most `max_concurrent` at a time.
///
/// Cheap to clone; clones share the bound. A render whose future is dropped still finishes on its
/// blocking thread and keeps its permit until then, so the bound holds for the CPU work itself.
#[derive(Debug, Clone)]
pub struct PdfRenderer {
    permits: Arc<Semaphore>,
    max_concurrent: usize,
    gauge: Arc<Gauge>,
}

impl PdfRenderer {
    /// A renderer that runs at most `max_concurrent` renders at once (0 is taken as 1).
    pub fn new(max_concurrent: usize) -> Self {
        let max_concurrent = max_concurrent.max(1);
        PdfRenderer {
            permits: Arc::new(Semaphore::new(max_concurrent)),
            max_concurrent,
            gauge: Arc::new(Gauge::default()),
        }
    }

    /// The bound on concurrent renders.
    pub fn max_concurrent(&self) -> usize {
        self.max_concurrent
    }

    /// Renders running right now (for metrics).
    pub fn in_flight(&self) -> usize {
        self.gauge.in_flight.load(Ordering::SeqCst)
    }

    /// The highest number of renders that ran at once since this renderer was made.
    pub fn peak_in_flight(&self) -> usize {
        self.gauge.peak.load(Ordering::SeqCst)
    }

    /// Renders finished (successfully or not) since this renderer was made.
    pub fn completed(&self) -> usize {
        self.gauge.done.load(Ordering::SeqCst)
    }

    /// Renders `doc` on the blocking pool, waiting for a free slot first.
    pub async fn render(&self, doc: Document) -> Result<Vec<u8>, PdfError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| PdfError::Task("the renderer is closed".to_owned()))?;
        let gauge = Arc::clone(&self.gauge);
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _in_flight = InFlight::enter(&gauge);
            render_blocking(&doc)
        });
        match task.await {
            Ok(result) => result,
            Err(join) => {
                tracing::error!(cancelled = join.is_cancelled(), "PDF render task failed");
                Err(PdfError::Task(if join.is_cancelled() { "cancelled".to_owned() } else { "panicked".to_owned() }))
            }
        }
    }
}
