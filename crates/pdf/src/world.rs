//! Typst's `World` for one render: the embedded templates, one virtual `data.json`, the embedded
//! fonts and a fixed date. Nothing is read from disk or the network.

use std::sync::OnceLock;

use time::Date;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// Template of the route card.
pub(crate) const ROUTE_CARD: &str = "/route-card.typ";
/// Template of the protocol.
pub(crate) const PROTOCOL: &str = "/protocol.typ";
/// Template of the generic report.
pub(crate) const REPORT: &str = "/report.typ";
/// The virtual file holding the serialized input.
const DATA: &str = "/data.json";

/// Every template file, embedded at compile time.
const TEMPLATES: &[(&str, &str)] = &[
    ("/common.typ", include_str!("../templates/common.typ")),
    (ROUTE_CARD, include_str!("../templates/route-card.typ")),
    (PROTOCOL, include_str!("../templates/protocol.typ")),
    (REPORT, include_str!("../templates/report.typ")),
];

/// The embedded fonts (see `fonts/OFL.txt`).
const FONT_FILES: &[&[u8]] = &[
    include_bytes!("../fonts/Inter-Regular.otf"),
    include_bytes!("../fonts/Inter-Italic.otf"),
    include_bytes!("../fonts/Inter-SemiBold.otf"),
    include_bytes!("../fonts/Inter-Bold.otf"),
    include_bytes!("../fonts/Inter-BoldItalic.otf"),
    include_bytes!("../fonts/NotoSansArabic-Regular.ttf"),
    include_bytes!("../fonts/NotoSansHebrew-Regular.ttf"),
];

/// What every render shares: parsed once, on first use, then reused by all threads.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    sources: Vec<Source>,
    data_id: FileId,
}

static SHARED: OnceLock<Result<Shared, String>> = OnceLock::new();

fn file_id(path: &str) -> Result<FileId, String> {
    let vpath = VirtualPath::new(path).map_err(|e| format!("invalid template path {path}: {e:?}"))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

fn load_shared() -> Result<Shared, String> {
    let fonts: Vec<Font> = FONT_FILES.iter().flat_map(|data| Font::iter(Bytes::new(*data))).collect();
    if fonts.len() != FONT_FILES.len() {
        return Err(format!("expected {} embedded fonts, parsed {}", FONT_FILES.len(), fonts.len()));
    }
    let book = LazyHash::new(FontBook::from_fonts(&fonts));
    let sources = TEMPLATES
        .iter()
        .map(|(path, text)| Ok(Source::new(file_id(path)?, (*text).to_owned())))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Shared { library: LazyHash::new(Library::default()), book, fonts, sources, data_id: file_id(DATA)? })
}

fn shared() -> Result<&'static Shared, String> {
    SHARED.get_or_init(load_shared).as_ref().map_err(Clone::clone)
}

/// Loads the fonts and templates now instead of on the first render.
pub(crate) fn warm_up() -> Result<(), String> {
    shared().map(|_| ())
}

/// The number of embedded font faces.
pub(crate) fn font_count() -> usize {
    shared().map(|s| s.fonts.len()).unwrap_or(0)
}

/// The world of one render.
pub(crate) struct DocWorld {
    shared: &'static Shared,
    main: FileId,
    data: Bytes,
    today: Datetime,
}

impl DocWorld {
    /// A world whose main file is `template`, with `data` as `data.json` and `today` as the date.
    pub(crate) fn new(template: &str, data: Vec<u8>, today: Date) -> Result<Self, String> {
        let shared = shared()?;
        let main = file_id(template)?;
        let today = Datetime::from_ymd(today.year(), u8::from(today.month()), today.day())
            .ok_or_else(|| "date out of range".to_owned())?;
        Ok(DocWorld { shared, main, data: Bytes::new(data), today })
    }

    /// The template file name of a diagnostic's file, for logs (never the data).
    pub(crate) fn file_name(&self, id: FileId) -> String {
        if id == self.shared.data_id {
            return "data.json".to_owned();
        }
        self.shared
            .sources
            .iter()
            .find(|s| s.id() == id)
            .map(|s| format!("{:?}", s.id()))
            .unwrap_or_else(|| "?".to_owned())
    }

    /// The 1-based line of a byte offset in a template (not in the data).
    pub(crate) fn line_of(&self, id: FileId, offset: usize) -> Option<usize> {
        self.shared.sources.iter().find(|s| s.id() == id).and_then(|s| s.lines().byte_to_line(offset)).map(|l| l + 1)
    }
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.shared
            .sources
            .iter()
            .find(|s| s.id() == id)
            .cloned()
            .ok_or_else(|| if id == self.shared.data_id { FileError::NotSource } else { FileError::AccessDenied })
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.shared.data_id {
            return Ok(self.data.clone());
        }
        self.source(id).map(Bytes::from_string)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}
