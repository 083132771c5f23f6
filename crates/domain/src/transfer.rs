//! The full dossier export (`meldroute.dossier`, version 1) and its checks on import: the format a dossier
//! takes when it leaves one meldroute instance (a transfer to another school, an access request, an archive)
//! and what a receiving instance verifies before it accepts one. Every field is documented in
//! `docs/export-format.md`.
//!
//! * **Complete.** Pupil and family details, the dossier, every entry with its sequence number, kind, time,
//!   author (name and role: authors are not users of the receiving instance), content and file.
//! * **Instance-free references.** Entry ids exist only inside one database, so in the export a
//!   correction's `corrects` holds the *sequence number* of the corrected entry, and the engine state
//!   ([`DossierExport::state`]) is the fold over the entries with `id = seq` ([`domain_entries`]).
//! * **Integrity.** Each entry carries `hash = SHA-256(previous hash ‖ "\n" ‖ canonical JSON of the entry
//!   without its hash)`, starting from [`GENESIS`]; `chain_head` is the last hash. The canonical JSON has
//!   object keys sorted by their UTF-8 bytes and no whitespace ([`canonical_json`]); it is computed from the
//!   JSON as received, so any change to any field of any entry, a removed, added or moved entry, breaks the
//!   chain. Attachments carry their bytes (base64) and their SHA-256, which is inside the hashed entry.
//!
//! [`check`] does every verification that needs no database; the receiving instance adds the checks that
//! do (an existing pupil). Pure: no I/O, no clock.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

use crate::attachment::{ATTACHMENT_ID_LEN, is_lower_hex};
use crate::dossier::DossierState;
use crate::entry::{Entry, EntryBody, EntryId, UserRef};
use crate::rules::coded_enum;
use crate::sector::Sector;

/// The value of the top-level `format` field.
pub const FORMAT: &str = "meldroute.dossier";
/// The version of the format this build writes and reads.
pub const VERSION: u32 = 1;
/// The "previous hash" of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

coded_enum! {
    /// Why a dossier is exported; chosen by the user and recorded in the audit log (`dossier.export.<code>`).
    pub enum ExportPurpose {
        /// The pupil moves to another school; the receiving school imports the JSON.
        Transfer => "transfer",
        /// A parent or a pupil of 16+ asks what is recorded (inzageverzoek).
        AccessRequest => "access_request",
        /// The school keeps a copy outside the application.
        Archive => "archive",
    }
}

/// The whole export. Field order here is the order in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DossierExport {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`] for this build.
    pub version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: OffsetDateTime,
    pub purpose: ExportPurpose,
    /// Who made the export.
    pub exported_by: Person,
    /// The sending organisation and location.
    pub sender: School,
    pub pupil: ExportPupil,
    pub dossier: ExportDossier,
    /// The chronology in order, `seq` 1, 2, 3, ...
    pub entries: Vec<ExportEntry>,
    /// The hash of the last entry.
    pub chain_head: String,
}

/// A person named in the export: not a user of the receiving instance, so a name and a role code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub name: String,
    /// The role at the sending location (`Role::as_str`, e.g. `aandachtsfunctionaris`), if known.
    #[serde(default)]
    pub role: Option<String>,
}

/// A school: organisation, location and sector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct School {
    pub organisation: String,
    pub location: String,
    pub sector: Sector,
}

/// The school a received dossier or entry came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceivedFrom {
    pub organisation: String,
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportPupil {
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub date_of_birth: Option<Date>,
    /// The number in the sending school's administration.
    #[serde(default)]
    pub external_ref: Option<String>,
    /// The group or class at the sending school.
    #[serde(default)]
    pub group: Option<String>,
    /// Brothers and sisters known at the sending organisation.
    #[serde(default)]
    pub siblings: Vec<Sibling>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sibling {
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub date_of_birth: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportDossier {
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    pub opened_by: Person,
    /// Set when the sender had itself received this dossier from another school.
    #[serde(default)]
    pub received_from: Option<ReceivedFrom>,
    /// The engine's state at the sender when exported (its fold, with entry ids = sequence numbers).
    /// Informative: the receiver computes its own fold from the entries.
    pub state: DossierState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportEntry {
    pub seq: u32,
    /// Equal to `body.kind`.
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    #[serde(default)]
    pub occurred_on: Option<Date>,
    pub author: Person,
    /// Set when the sender had itself received this entry from another school.
    #[serde(default)]
    pub received_from: Option<ReceivedFrom>,
    /// The content; a correction's `corrects` is the corrected entry's `seq`.
    pub body: EntryBody,
    /// For an attachment entry: the file.
    #[serde(default)]
    pub attachment: Option<ExportFile>,
    /// See the module documentation.
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportFile {
    pub media_type: String,
    pub size_bytes: u64,
    pub sha256: String,
    /// The bytes, base64 (RFC 4648, with padding).
    pub content_base64: String,
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Base64 of a file's bytes, as in [`ExportFile::content_base64`].
pub fn encode_file(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// JSON with object keys sorted (by UTF-8 bytes) and no whitespace; strings and numbers as serde_json
/// writes them.
pub fn canonical_json(value: &serde_json::Value) -> String {
    use serde_json::Value as V;
    match value {
        V::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", V::String(k.clone()), canonical_json(&map[k.as_str()])))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        V::Array(items) => format!("[{}]", items.iter().map(canonical_json).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

/// The hash of one entry (as JSON, its `hash` field ignored) after `previous`.
pub fn entry_hash(previous: &str, entry: &serde_json::Value) -> String {
    let mut without = entry.clone();
    if let serde_json::Value::Object(map) = &mut without {
        map.remove("hash");
    }
    let mut input = previous.as_bytes().to_vec();
    input.push(b'\n');
    input.extend_from_slice(canonical_json(&without).as_bytes());
    sha256_hex(&input)
}

/// Fills in every entry's `hash` and the `chain_head`. Called by the sender as the last step.
pub fn seal(export: &mut DossierExport) -> Result<(), serde_json::Error> {
    let mut previous = GENESIS.to_string();
    for entry in &mut export.entries {
        entry.hash = String::new();
        let value = serde_json::to_value(&*entry)?;
        entry.hash = entry_hash(&previous, &value);
        previous = entry.hash.clone();
    }
    export.chain_head = previous;
    Ok(())
}

/// The entries as domain entries for the fold: `id = seq`, authors unknown (0).
pub fn domain_entries(entries: &[ExportEntry]) -> Vec<Entry> {
    entries
        .iter()
        .map(|e| Entry {
            id: EntryId(i64::from(e.seq)),
            seq: e.seq,
            recorded_at: e.recorded_at,
            occurred_on: e.occurred_on,
            author: UserRef(0),
            body: e.body.clone(),
        })
        .collect()
}

coded_enum! {
    /// What is wrong with an uploaded export. Texts: `transfer-problem-<code>` in `locales/*/transfer.ftl`.
    pub enum ProblemCode {
        /// Not JSON at all (arguments `line`, `column`).
        Malformed => "malformed",
        /// JSON, but not a meldroute dossier export.
        WrongFormat => "wrong_format",
        /// A meldroute export of a version this build does not read (arguments `found`, `supported`).
        UnsupportedVersion => "unsupported_version",
        /// The JSON does not follow the format (argument `detail`, the parser's words).
        Schema => "schema",
        /// No entries.
        NoEntries => "no_entries",
        /// An entry has the wrong sequence number: a gap, a duplicate or a move (arguments `position`,
        /// `expected`, `found`).
        SequenceBroken => "sequence_broken",
        /// An entry was recorded before the one before it (argument `seq`).
        TimeOrder => "time_order",
        /// The entry's hash does not match its content and its predecessor (argument `seq`).
        HashMismatch => "hash_mismatch",
        /// The last hash does not match `chain_head`: entries were removed at the end or added.
        ChainHeadMismatch => "chain_head_mismatch",
        /// `kind` differs from the content's kind (argument `seq`).
        KindMismatch => "kind_mismatch",
        /// A correction points at no earlier entry, or at a correction (arguments `seq`, `target`).
        CorrectionTarget => "correction_target",
        /// An attachment entry without its file, or a file on another entry (argument `seq`).
        AttachmentMissing => "attachment_missing",
        /// The file is not valid base64 (argument `seq`).
        AttachmentEncoding => "attachment_encoding",
        /// The file's bytes do not match its SHA-256 or size (argument `seq`).
        AttachmentHash => "attachment_hash",
        /// The attachment id is not 32 lowercase hex digits or is used twice (argument `seq`).
        AttachmentId => "attachment_id",
        /// The pupil has no first or last name.
        PupilName => "pupil_name",
        /// The receiving organisation already has this pupil (checked by the receiver).
        PupilExists => "pupil_exists",
        /// The upload is larger than the limit (argument `limit`; checked by the receiver).
        TooLarge => "too_large",
        /// No file was chosen (checked by the receiver).
        NoFile => "no_file",
    }
}

/// One problem with its arguments for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: ProblemCode,
    pub args: Vec<(&'static str, String)>,
}

impl Problem {
    pub fn new(code: ProblemCode) -> Problem {
        Problem { code, args: Vec::new() }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> Problem {
        self.args.push((name, value.to_string()));
        self
    }

    /// The Fluent key of the explanation.
    pub fn message_key(&self) -> String {
        format!("transfer-problem-{}", self.code.as_str())
    }
}

/// An export that passed every check, with the attachment bytes decoded (indexed like the entries).
#[derive(Debug, Clone)]
pub struct Checked {
    pub export: DossierExport,
    pub files: Vec<Option<Vec<u8>>>,
}

/// Every check that needs no database. Returns all problems found (never a partial import).
pub fn check(bytes: &[u8]) -> Result<Checked, Vec<Problem>> {
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return Err(vec![Problem::new(ProblemCode::Malformed).with("line", e.line()).with("column", e.column())]);
        }
    };
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(vec![Problem::new(ProblemCode::WrongFormat)]);
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(VERSION) => {}
        other => {
            let found = other.map_or_else(|| "?".to_string(), |v| v.to_string());
            return Err(vec![
                Problem::new(ProblemCode::UnsupportedVersion).with("found", found).with("supported", VERSION),
            ]);
        }
    }
    let mut problems = Vec::new();
    // The chain over the entries exactly as received (before any typed parsing could normalise them).
    if let Some(raw) = value.get("entries").and_then(|e| e.as_array()) {
        let mut previous = GENESIS.to_string();
        for (index, entry) in raw.iter().enumerate() {
            let computed = entry_hash(&previous, entry);
            if entry.get("hash").and_then(|h| h.as_str()) != Some(computed.as_str()) {
                let seq = entry.get("seq").map_or_else(|| (index + 1).to_string(), |s| s.to_string());
                problems.push(Problem::new(ProblemCode::HashMismatch).with("seq", seq));
                break;
            }
            previous = computed;
        }
        if problems.is_empty() && value.get("chain_head").and_then(|h| h.as_str()) != Some(previous.as_str()) {
            problems.push(Problem::new(ProblemCode::ChainHeadMismatch));
        }
    }
    let export: DossierExport = match serde_json::from_value(value) {
        Ok(e) => e,
        Err(e) => {
            problems.push(Problem::new(ProblemCode::Schema).with("detail", e.to_string()));
            return Err(problems);
        }
    };
    if export.pupil.first_name.trim().is_empty() || export.pupil.last_name.trim().is_empty() {
        problems.push(Problem::new(ProblemCode::PupilName));
    }
    if export.entries.is_empty() {
        problems.push(Problem::new(ProblemCode::NoEntries));
    }
    let mut files = Vec::with_capacity(export.entries.len());
    let mut attachment_ids = BTreeSet::new();
    let mut previous_time: Option<OffsetDateTime> = None;
    for (index, entry) in export.entries.iter().enumerate() {
        let position = index + 1;
        if usize::try_from(entry.seq).ok() != Some(position) {
            problems.push(
                Problem::new(ProblemCode::SequenceBroken)
                    .with("position", position)
                    .with("expected", position)
                    .with("found", entry.seq),
            );
        }
        if previous_time.is_some_and(|t| entry.recorded_at < t) {
            problems.push(Problem::new(ProblemCode::TimeOrder).with("seq", entry.seq));
        }
        previous_time = Some(entry.recorded_at);
        if entry.kind != entry.body.kind().as_str() {
            problems.push(Problem::new(ProblemCode::KindMismatch).with("seq", entry.seq));
        }
        if let EntryBody::Correction(c) = &entry.body {
            let target = c.corrects.0;
            let points_back = target >= 1 && target < i64::from(entry.seq);
            let target_entry = usize::try_from(target - 1).ok().and_then(|i| export.entries.get(i));
            let ok = points_back
                && target_entry.is_some_and(|t| {
                    i64::from(t.seq) == target
                        && !matches!(t.body, EntryBody::Correction(_))
                        && t.body.kind() == c.corrected.kind()
                });
            if !ok {
                problems
                    .push(Problem::new(ProblemCode::CorrectionTarget).with("seq", entry.seq).with("target", target));
            }
        }
        files.push(match (&entry.body, &entry.attachment) {
            (EntryBody::Attachment(meta), Some(file)) => {
                if meta.attachment_id.len() != ATTACHMENT_ID_LEN
                    || !is_lower_hex(&meta.attachment_id, ATTACHMENT_ID_LEN)
                    || !attachment_ids.insert(meta.attachment_id.clone())
                {
                    problems.push(Problem::new(ProblemCode::AttachmentId).with("seq", entry.seq));
                }
                match base64::engine::general_purpose::STANDARD.decode(file.content_base64.as_bytes()) {
                    Err(_) => {
                        problems.push(Problem::new(ProblemCode::AttachmentEncoding).with("seq", entry.seq));
                        None
                    }
                    Ok(bytes) => {
                        let digest = sha256_hex(&bytes);
                        let size = bytes.len() as u64;
                        if digest != file.sha256
                            || digest != meta.sha256
                            || size != file.size_bytes
                            || size != meta.size_bytes
                            || size == 0
                            || file.media_type != meta.media_type.as_str()
                            || crate::attachment::sniff(&bytes) != Some(meta.media_type)
                            || !received_file_is_acceptable(&meta.file_name, meta.media_type, &bytes)
                        {
                            problems.push(Problem::new(ProblemCode::AttachmentHash).with("seq", entry.seq));
                        }
                        Some(bytes)
                    }
                }
            }
            (EntryBody::Attachment(_), None) | (_, Some(_)) => {
                problems.push(Problem::new(ProblemCode::AttachmentMissing).with("seq", entry.seq));
                None
            }
            (_, None) => None,
        });
    }
    if problems.is_empty() { Ok(Checked { export, files }) } else { Err(problems) }
}

/// A received file passes the same checks as an upload here: at most [`crate::attachment::MAX_ATTACHMENT_BYTES`],
/// a name that is already clean (no path, control or direction characters, not too long) and an extension
/// that matches the content.
fn received_file_is_acceptable(name: &str, media_type: crate::MediaType, bytes: &[u8]) -> bool {
    let max = crate::attachment::MAX_ATTACHMENT_BYTES;
    crate::attachment::sanitize_file_name(name).as_deref() == Some(name)
        && crate::attachment::check_upload(name, bytes, max).is_ok_and(|f| f.media_type == media_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dossier::{FoldContext, fold};
    use crate::entry::{Attachment, Correction, Observation, SignalSource};
    use crate::working_days::Calendar;
    use time::macros::{date, datetime};

    fn observation(facts: &str) -> EntryBody {
        EntryBody::Observation(Observation {
            facts: facts.into(),
            interpretation: None,
            source: SignalSource::OwnObservation,
            source_detail: None,
            categories: vec![],
            also_noticed_by: vec![],
            concerns_staff_sexual_misconduct: false,
        })
    }

    fn entry(seq: u32, body: EntryBody, file: Option<&[u8]>) -> ExportEntry {
        ExportEntry {
            seq,
            kind: body.kind().as_str().into(),
            recorded_at: datetime!(2026-03-02 09:00 UTC) + time::Duration::hours(i64::from(seq)),
            occurred_on: None,
            author: Person { name: "Ans de Vries".into(), role: Some("medewerker".into()) },
            received_from: None,
            body,
            attachment: file.map(|b| ExportFile {
                media_type: "text/plain".into(),
                size_bytes: b.len() as u64,
                sha256: sha256_hex(b),
                content_base64: encode_file(b),
            }),
            hash: String::new(),
        }
    }

    fn sample() -> DossierExport {
        let file = b"verslag van het gesprek";
        let entries = vec![
            entry(1, observation("Blauwe plek op de arm."), None),
            entry(
                2,
                EntryBody::Attachment(Attachment {
                    attachment_id: "0123456789abcdef0123456789abcdef".into(),
                    file_name: "verslag.txt".into(),
                    media_type: crate::MediaType::Text,
                    size_bytes: file.len() as u64,
                    sha256: sha256_hex(file),
                    description: None,
                }),
                Some(file),
            ),
            entry(
                3,
                EntryBody::Correction(Correction {
                    corrects: EntryId(1),
                    reason: "Linkerarm, niet rechterarm.".into(),
                    corrected: Box::new(observation("Blauwe plek op de linkerarm.")),
                }),
                None,
            ),
        ];
        let ctx = FoldContext { sector: Sector::Po, pupil_age: Some(9), calendar: Calendar::new() };
        let state = fold(&ctx, &domain_entries(&entries));
        let mut export = DossierExport {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: datetime!(2026-03-10 12:00 UTC),
            purpose: ExportPurpose::Transfer,
            exported_by: Person { name: "Fatima El Idrissi".into(), role: Some("aandachtsfunctionaris".into()) },
            sender: School { organisation: "OBS De Linde".into(), location: "Hoofdlocatie".into(), sector: Sector::Po },
            pupil: ExportPupil {
                first_name: "Noor".into(),
                last_name: "Jansen".into(),
                date_of_birth: Some(date!(2017 - 04 - 12)),
                external_ref: Some("L-1001".into()),
                group: Some("Groep 4".into()),
                siblings: vec![],
            },
            dossier: ExportDossier {
                opened_at: datetime!(2026-03-02 10:00 UTC),
                opened_by: Person { name: "Ans de Vries".into(), role: None },
                received_from: None,
                state,
            },
            entries,
            chain_head: String::new(),
        };
        seal(&mut export).unwrap();
        export
    }

    fn bytes(e: &DossierExport) -> Vec<u8> {
        serde_json::to_vec_pretty(e).unwrap()
    }

    fn codes(bytes: &[u8]) -> Vec<ProblemCode> {
        check(bytes).err().unwrap_or_default().into_iter().map(|p| p.code).collect()
    }

    /// Edits the JSON text of a sealed export, keeping everything else (hashes included) as it was.
    fn tampered(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
        let mut v = serde_json::to_value(sample()).unwrap();
        edit(&mut v);
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn a_sealed_export_passes_and_round_trips() {
        let export = sample();
        let checked = check(&bytes(&export)).unwrap();
        assert_eq!(checked.export, export);
        assert_eq!(checked.files[1].as_deref(), Some(&b"verslag van het gesprek"[..]));
        // The fold over the received entries is the state the sender wrote down.
        let ctx = FoldContext { sector: Sector::Po, pupil_age: Some(9), calendar: Calendar::new() };
        assert_eq!(fold(&ctx, &domain_entries(&checked.export.entries)), export.dossier.state);
        assert_eq!(export.dossier.state.corrected.len(), 1);
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v: serde_json::Value = serde_json::from_str(r#"{"b":1,"a":{"d":[2,{"z":1,"y":"é"}],"c":null}}"#).unwrap();
        assert_eq!(canonical_json(&v), r#"{"a":{"c":null,"d":[2,{"y":"é","z":1}]},"b":1}"#);
    }

    #[test]
    fn not_json_names_line_and_column() {
        let problems = check(b"{\n  \"format\": ").unwrap_err();
        assert_eq!(problems[0].code, ProblemCode::Malformed);
        assert!(problems[0].args.iter().any(|(k, v)| *k == "line" && v == "2"));
    }

    #[test]
    fn wrong_format_and_version_are_refused() {
        assert_eq!(codes(br#"{"hello": 1}"#), vec![ProblemCode::WrongFormat]);
        assert_eq!(codes(&tampered(|v| v["version"] = 2.into())), vec![ProblemCode::UnsupportedVersion]);
    }

    #[test]
    fn a_changed_word_breaks_the_chain_at_that_entry() {
        let b = tampered(|v| v["entries"][0]["body"]["facts"] = "Iets anders.".into());
        let problems = check(&b).unwrap_err();
        assert_eq!(problems[0].code, ProblemCode::HashMismatch);
        assert_eq!(problems[0].args, vec![("seq", "1".to_string())]);
    }

    #[test]
    fn removed_reordered_and_renumbered_entries_are_found() {
        let removed_last = tampered(|v| {
            v["entries"].as_array_mut().unwrap().pop();
        });
        assert!(codes(&removed_last).contains(&ProblemCode::ChainHeadMismatch));
        let removed_middle = tampered(|v| {
            v["entries"].as_array_mut().unwrap().remove(1);
        });
        assert!(codes(&removed_middle).contains(&ProblemCode::HashMismatch));
        let swapped = tampered(|v| v["entries"].as_array_mut().unwrap().swap(0, 1));
        assert!(codes(&swapped).contains(&ProblemCode::HashMismatch));
        // Renumbered and re-sealed by someone who knows the algorithm: the sequence check still finds it.
        let mut e = sample();
        e.entries[1].seq = 5;
        seal(&mut e).unwrap();
        assert_eq!(codes(&bytes(&e)), vec![ProblemCode::SequenceBroken]);
        let mut e = sample();
        e.entries[2].recorded_at = e.entries[0].recorded_at - time::Duration::hours(1);
        seal(&mut e).unwrap();
        assert_eq!(codes(&bytes(&e)), vec![ProblemCode::TimeOrder]);
    }

    #[test]
    fn a_correction_pointing_nowhere_is_refused() {
        for target in [0, 3, 7, 2] {
            let mut e = sample();
            if let EntryBody::Correction(c) = &mut e.entries[2].body {
                c.corrects = EntryId(target);
            }
            seal(&mut e).unwrap();
            assert_eq!(codes(&bytes(&e)), vec![ProblemCode::CorrectionTarget], "target {target}");
        }
    }

    #[test]
    fn attachment_problems_are_named() {
        // Other bytes with the hash recomputed over the entry (a re-sealed file swap).
        let mut e = sample();
        if let Some(f) = &mut e.entries[1].attachment {
            f.content_base64 = encode_file(b"verslag van het gesprex");
        }
        seal(&mut e).unwrap();
        assert_eq!(codes(&bytes(&e)), vec![ProblemCode::AttachmentHash]);
        let mut e = sample();
        if let Some(f) = &mut e.entries[1].attachment {
            f.content_base64 = "%%%".into();
        }
        seal(&mut e).unwrap();
        assert_eq!(codes(&bytes(&e)), vec![ProblemCode::AttachmentEncoding]);
        let mut e = sample();
        e.entries[1].attachment = None;
        seal(&mut e).unwrap();
        assert_eq!(codes(&bytes(&e)), vec![ProblemCode::AttachmentMissing]);
    }

    #[test]
    fn a_received_file_passes_the_upload_checks() {
        // A name an upload here would have cleaned (a direction override), or an extension that lies.
        for name in ["verslag\u{202e}txt.exe.txt", "verslag.pdf", "../../verslag.txt"] {
            let mut e = sample();
            if let EntryBody::Attachment(meta) = &mut e.entries[1].body {
                meta.file_name = name.into();
            }
            seal(&mut e).unwrap();
            assert_eq!(codes(&bytes(&e)), vec![ProblemCode::AttachmentHash], "{name}");
        }
    }

    #[test]
    fn unknown_fields_are_a_schema_problem() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["pupil"]["shoe_size"] = 31.into();
        let problems = check(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(problems[0].code, ProblemCode::Schema);
        assert!(problems[0].args[0].1.contains("shoe_size"));
    }

    #[test]
    fn purposes_have_stable_codes() {
        assert_eq!(serde_json::to_string(&ExportPurpose::AccessRequest).unwrap(), "\"access_request\"");
        assert!(serde_json::from_str::<ExportPurpose>("\"gossip\"").is_err());
    }
}
