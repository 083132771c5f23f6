//! Files added to a dossier (issue 5): a scan of a signed conversation report, a letter from Veilig Thuis, a
//! photo of a drawing. Pure checks, no I/O:
//!
//! * [`sniff`] decides what a file *is* from its first bytes. Only four types are accepted: PDF (`%PDF-`),
//!   PNG (its 8-byte signature), JPEG (`FF D8 FF`) and plain text (valid UTF-8 without NUL bytes). The
//!   browser's `Content-Type` is never asked.
//! * [`sanitize_file_name`] keeps the last path component of the name the browser sent, without control or
//!   bidirectional-override characters, limited to [`MAX_FILE_NAME_CHARS`] characters. The name is shown and
//!   offered back on download; it never decides the type.
//! * [`check_upload`] puts them together: an empty file, a file over the limit, a name without one of the
//!   accepted extensions, or content that is not what the extension claims is refused with an
//!   [`ErrorCode`] at the form field [`FILE_FIELD`], so the form can say exactly what is wrong.

use crate::error::{DomainError, ErrorCode};
use crate::rules::coded_enum;

/// The largest file accepted: 10 MiB.
pub const MAX_ATTACHMENT_BYTES: u64 = 10 * 1024 * 1024;
/// The longest file name kept (characters, extension included).
pub const MAX_FILE_NAME_CHARS: usize = 120;
/// The form field (and API field) the file arrives in; refusals name it.
pub const FILE_FIELD: &str = "file";
/// Length of an attachment id: 128 random bits as lowercase hex, chosen by the caller.
pub const ATTACHMENT_ID_LEN: usize = 32;

const PDF_MAGIC: &[u8] = b"%PDF-";
const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_MAGIC: &[u8] = &[0xff, 0xd8, 0xff];

coded_enum! {
    /// What a file is, as found by [`sniff`]. The code is the media type it is served with.
    pub enum MediaType {
        Pdf => "application/pdf",
        Png => "image/png",
        Jpeg => "image/jpeg",
        Text => "text/plain",
    }
}

impl MediaType {
    /// A short, language-neutral name for messages ("PDF", "PNG", "JPEG", "TXT").
    pub fn label(self) -> &'static str {
        match self {
            MediaType::Pdf => "PDF",
            MediaType::Png => "PNG",
            MediaType::Jpeg => "JPEG",
            MediaType::Text => "TXT",
        }
    }

    /// The file name extensions (lowercase, without the dot) that claim this type.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            MediaType::Pdf => &["pdf"],
            MediaType::Png => &["png"],
            MediaType::Jpeg => &["jpg", "jpeg"],
            MediaType::Text => &["txt"],
        }
    }

    /// The `Content-Type` header value to serve the file with.
    pub fn content_type(self) -> &'static str {
        match self {
            MediaType::Text => "text/plain; charset=utf-8",
            other => other.as_str(),
        }
    }

    /// The type a file name's extension claims, if it is one of the accepted ones (case-insensitive).
    pub fn claimed_by(file_name: &str) -> Option<MediaType> {
        let ext = extension(file_name)?.to_ascii_lowercase();
        MediaType::ALL.iter().copied().find(|t| t.extensions().contains(&ext.as_str()))
    }
}

/// The extension of a file name (after the last dot), if any; never the whole name.
fn extension(file_name: &str) -> Option<&str> {
    match file_name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => Some(ext),
        _ => None,
    }
}

/// What the content is, judged from its bytes only; `None` for anything not accepted (and for an empty file).
pub fn sniff(content: &[u8]) -> Option<MediaType> {
    if content.is_empty() {
        None
    } else if content.starts_with(PDF_MAGIC) {
        Some(MediaType::Pdf)
    } else if content.starts_with(PNG_MAGIC) {
        Some(MediaType::Png)
    } else if content.starts_with(JPEG_MAGIC) {
        Some(MediaType::Jpeg)
    } else if !content.contains(&0) && std::str::from_utf8(content).is_ok() {
        Some(MediaType::Text)
    } else {
        None
    }
}

/// Characters that are never kept in a file name: control characters and the bidirectional overrides and
/// isolates, which can make `gesprek\u{202e}fdp.exe` look like `gespreksexe.pdf`.
fn unwanted(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The name to keep for a file: the last path component (either slash), without unwanted characters,
/// leading dots and surrounding spaces, shortened to [`MAX_FILE_NAME_CHARS`] characters with its
/// extension kept. `None` when nothing usable remains.
pub fn sanitize_file_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last.chars().filter(|c| !unwanted(*c)).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return None;
    }
    if cleaned.chars().count() <= MAX_FILE_NAME_CHARS {
        return Some(cleaned.to_string());
    }
    // Too long: shorten the stem, keep a short extension.
    let (stem, ext) = match extension(cleaned) {
        Some(ext) if ext.chars().count() <= 10 => (&cleaned[..cleaned.len() - ext.len() - 1], Some(ext)),
        _ => (cleaned, None),
    };
    let room = MAX_FILE_NAME_CHARS - ext.map_or(0, |e| e.chars().count() + 1);
    let mut out: String = stem.chars().take(room).collect::<String>().trim_end().to_string();
    if let Some(ext) = ext {
        out.push('.');
        out.push_str(ext);
    }
    Some(out)
}

/// A file that passed [`check_upload`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    pub file_name: String,
    pub media_type: MediaType,
    pub size_bytes: u64,
}

/// A size limit as people read it: "10 MiB", "512 KiB" or "300 bytes".
pub fn format_limit(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The refusal for a file over `max_bytes` (also used by the web layer when the request body itself is too
/// large, so the person reads the same message).
pub fn too_large(max_bytes: u64) -> DomainError {
    DomainError::new(ErrorCode::AttachmentTooLarge).arg("limit", format_limit(max_bytes)).field(FILE_FIELD)
}

/// Checks an uploaded file: not empty, at most `max_bytes`, a usable name with an accepted extension, and
/// content that really is what that extension claims.
pub fn check_upload(raw_name: &str, content: &[u8], max_bytes: u64) -> Result<CheckedFile, DomainError> {
    if content.is_empty() {
        return Err(DomainError::new(ErrorCode::AttachmentEmpty).field(FILE_FIELD));
    }
    let size_bytes = u64::try_from(content.len()).unwrap_or(u64::MAX);
    if size_bytes > max_bytes {
        return Err(too_large(max_bytes));
    }
    let Some(file_name) = sanitize_file_name(raw_name) else {
        return Err(DomainError::new(ErrorCode::AttachmentNameMissing).field(FILE_FIELD));
    };
    let Some(claimed) = MediaType::claimed_by(&file_name) else {
        return Err(DomainError::new(ErrorCode::AttachmentTypeNotAllowed).field(FILE_FIELD));
    };
    if sniff(content) != Some(claimed) {
        let ext = extension(&file_name).unwrap_or_default().to_ascii_lowercase();
        return Err(DomainError::new(ErrorCode::AttachmentContentMismatch)
            .arg("claimed", claimed.label())
            .arg("extension", ext)
            .field(FILE_FIELD));
    }
    Ok(CheckedFile { file_name, media_type: claimed, size_bytes })
}

/// An attachment entry is only ever recorded together with its file: refuses `body` when it is an
/// attachment (not a correction of one) and `with_file` is false. The store layer's generic append calls
/// this, so an entry can never name a file that was not stored.
pub fn require_file(body: &crate::entry::EntryBody, with_file: bool) -> Result<(), DomainError> {
    if matches!(body, crate::entry::EntryBody::Attachment(_)) != with_file {
        return Err(DomainError::new(if with_file {
            ErrorCode::AttachmentInvalid
        } else {
            ErrorCode::AttachmentWithoutFile
        })
        .field(FILE_FIELD));
    }
    Ok(())
}

/// Whether `s` is `len` lowercase hexadecimal digits.
pub(crate) fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
    const JPEG: &[u8] = &[0xff, 0xd8, 0xff, 0xe0, 0, 16, b'J', b'F', b'I', b'F', 0];
    const TEXT: &[u8] = "Gespreksverslag: moeder en leerling, 12 maart. Afspraak: vervolg over twee weken.".as_bytes();

    #[test]
    fn sniffing_looks_at_the_bytes_only() {
        assert_eq!(sniff(PDF), Some(MediaType::Pdf));
        assert_eq!(sniff(PNG), Some(MediaType::Png));
        assert_eq!(sniff(JPEG), Some(MediaType::Jpeg));
        assert_eq!(sniff(TEXT), Some(MediaType::Text));
        assert_eq!(sniff("één zin met accenten: café".as_bytes()), Some(MediaType::Text));
        assert_eq!(sniff(b""), None);
        // Text with a NUL byte, invalid UTF-8, a truncated signature, other formats.
        assert_eq!(sniff(b"abc\0def"), None);
        assert_eq!(sniff(&[0xc3, 0x28]), None);
        assert_eq!(sniff(&[0x89, b'P', b'N', b'G']), None);
        assert_eq!(sniff(&[0xff, 0xd8]), None);
        assert_eq!(sniff(b"GIF89a\x01\x00\x01\x00\x00"), None);
        assert_eq!(sniff(b"PK\x03\x04\x14\x00\x00\x00"), None, "zip / docx");
        assert_eq!(sniff(b"MZ\x90\x00\x03\x00"), None, "windows executable");
        // HTML is text: it is only ever served as text/plain, as a download, sandboxed.
        assert_eq!(sniff(b"<html><script>alert(1)</script></html>"), Some(MediaType::Text));
        // The signature must be at the start.
        assert_eq!(sniff(b" %PDF-1.4"), Some(MediaType::Text));
    }

    #[test]
    fn a_truncated_png_signature_is_not_a_png() {
        assert_ne!(sniff(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a]), Some(MediaType::Png));
    }

    #[test]
    fn extensions_claim_a_type_case_insensitively() {
        assert_eq!(MediaType::claimed_by("verslag.pdf"), Some(MediaType::Pdf));
        assert_eq!(MediaType::claimed_by("VERSLAG.PDF"), Some(MediaType::Pdf));
        assert_eq!(MediaType::claimed_by("tekening.png"), Some(MediaType::Png));
        assert_eq!(MediaType::claimed_by("foto.jpg"), Some(MediaType::Jpeg));
        assert_eq!(MediaType::claimed_by("foto.JPEG"), Some(MediaType::Jpeg));
        assert_eq!(MediaType::claimed_by("notitie.txt"), Some(MediaType::Text));
        assert_eq!(MediaType::claimed_by("brief.docx"), None);
        assert_eq!(MediaType::claimed_by("verslag.pdf.exe"), None);
        assert_eq!(MediaType::claimed_by("pdf"), None);
        assert_eq!(MediaType::claimed_by("verslag."), None);
        for t in MediaType::ALL {
            assert_eq!(MediaType::from_code(t.as_str()), Some(*t));
            assert!(t.content_type().starts_with(t.as_str()));
            for ext in t.extensions() {
                assert_eq!(MediaType::claimed_by(&format!("x.{ext}")), Some(*t));
            }
        }
    }

    #[test]
    fn file_names_lose_paths_control_characters_and_excess_length() {
        assert_eq!(sanitize_file_name("verslag.pdf").as_deref(), Some("verslag.pdf"));
        assert_eq!(sanitize_file_name("C:\\Users\\juf\\Documents\\verslag.pdf").as_deref(), Some("verslag.pdf"));
        assert_eq!(sanitize_file_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(sanitize_file_name("  .verborgen.txt ").as_deref(), Some("verborgen.txt"));
        assert_eq!(sanitize_file_name("ver\nslag\r\t.pdf").as_deref(), Some("verslag.pdf"));
        assert_eq!(sanitize_file_name("gesprek\u{202e}fdp.exe").as_deref(), Some("gesprekfdp.exe"));
        assert_eq!(
            sanitize_file_name("brief van \"Veilig Thuis\".pdf").as_deref(),
            Some("brief van \"Veilig Thuis\".pdf")
        );
        assert_eq!(sanitize_file_name("tekening_één.png").as_deref(), Some("tekening_één.png"));
        assert_eq!(sanitize_file_name(""), None);
        assert_eq!(sanitize_file_name("dir/"), None);
        assert_eq!(sanitize_file_name(" ... "), None);
        assert_eq!(sanitize_file_name("\u{0}\u{1}"), None);
        let long = format!("{}.pdf", "a".repeat(300));
        let kept = sanitize_file_name(&long).unwrap();
        assert_eq!(kept.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(kept.ends_with(".pdf"));
        let long_multibyte = format!("{}.txt", "é".repeat(300));
        let kept = sanitize_file_name(&long_multibyte).unwrap();
        assert_eq!(kept.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(kept.ends_with(".txt"));
        let no_ext = "b".repeat(300);
        assert_eq!(sanitize_file_name(&no_ext).unwrap().chars().count(), MAX_FILE_NAME_CHARS);
    }

    fn refused(name: &str, content: &[u8], max: u64) -> DomainError {
        check_upload(name, content, max).unwrap_err()
    }

    #[test]
    fn uploads_are_checked_and_refusals_name_the_file_field() {
        let ok = check_upload("map/verslag.PDF", PDF, MAX_ATTACHMENT_BYTES).unwrap();
        assert_eq!(
            ok,
            CheckedFile { file_name: "verslag.PDF".into(), media_type: MediaType::Pdf, size_bytes: PDF.len() as u64 }
        );
        assert_eq!(check_upload("tekening.png", PNG, 100).unwrap().media_type, MediaType::Png);
        assert_eq!(check_upload("foto.jpeg", JPEG, 100).unwrap().media_type, MediaType::Jpeg);
        assert_eq!(check_upload("foto.jpg", JPEG, 100).unwrap().media_type, MediaType::Jpeg);
        assert_eq!(check_upload("notitie.txt", TEXT, 1000).unwrap().media_type, MediaType::Text);

        let e = refused("leeg.pdf", b"", 100);
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::AttachmentEmpty, Some(FILE_FIELD)));

        let e = refused("groot.pdf", PDF, 10);
        assert_eq!(e.code, ErrorCode::AttachmentTooLarge);
        assert!(e.args.contains(&("limit".into(), "10 bytes".into())));
        // Exactly at the limit is fine.
        assert!(check_upload("precies.pdf", PDF, PDF.len() as u64).is_ok());

        let e = refused("/", PDF, 1000);
        assert_eq!(e.code, ErrorCode::AttachmentNameMissing);

        let e = refused("brief.docx", PDF, 1000);
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::AttachmentTypeNotAllowed, Some(FILE_FIELD)));
        assert_eq!(refused("zonder-extensie", PDF, 1000).code, ErrorCode::AttachmentTypeNotAllowed);

        // A PNG that calls itself a PDF: named as such.
        let e = refused("verslag.pdf", PNG, 1000);
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::AttachmentContentMismatch, Some(FILE_FIELD)));
        assert!(e.args.contains(&("claimed".into(), "PDF".into())));
        assert!(e.args.contains(&("extension".into(), "pdf".into())));
        assert_eq!(refused("foto.JPG", PNG, 1000).args[1], ("extension".into(), "jpg".into()));
        assert_eq!(refused("notitie.txt", PDF, 1000).code, ErrorCode::AttachmentContentMismatch);
        assert_eq!(refused("notitie.txt", b"a\0b", 1000).code, ErrorCode::AttachmentContentMismatch);
        assert_eq!(refused("tekening.png", JPEG, 1000).code, ErrorCode::AttachmentContentMismatch);
        assert_eq!(refused("programma.pdf", b"MZ\x90\x00", 1000).code, ErrorCode::AttachmentContentMismatch);
    }

    #[test]
    fn every_accepted_combination_of_content_and_extension() {
        let samples = [(MediaType::Pdf, PDF), (MediaType::Png, PNG), (MediaType::Jpeg, JPEG), (MediaType::Text, TEXT)];
        for (content_type, content) in samples {
            for claimed in MediaType::ALL {
                for ext in claimed.extensions() {
                    let result = check_upload(&format!("bestand.{ext}"), content, MAX_ATTACHMENT_BYTES);
                    if content_type == *claimed {
                        assert_eq!(result.unwrap().media_type, content_type);
                    } else {
                        assert_eq!(result.unwrap_err().code, ErrorCode::AttachmentContentMismatch, "{ext}");
                    }
                }
            }
        }
    }

    #[test]
    fn limits_read_well() {
        assert_eq!(format_limit(MAX_ATTACHMENT_BYTES), "10 MiB");
        assert_eq!(format_limit(512 * 1024), "512 KiB");
        assert_eq!(format_limit(1000), "1000 bytes");
        assert_eq!(too_large(MAX_ATTACHMENT_BYTES).args[0], ("limit".into(), "10 MiB".into()));
    }

    #[test]
    fn hex_ids() {
        assert!(is_lower_hex("0123456789abcdef0123456789abcdef", ATTACHMENT_ID_LEN));
        assert!(!is_lower_hex("0123456789ABCDEF0123456789abcdef", ATTACHMENT_ID_LEN));
        assert!(!is_lower_hex("0123", ATTACHMENT_ID_LEN));
        assert!(!is_lower_hex("../../0123456789abcdef0123456789", ATTACHMENT_ID_LEN));
    }
}
