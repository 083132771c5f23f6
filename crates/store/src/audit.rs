//! The tamper-evident audit chain.
//!
//! Every audit row carries `hash = HMAC-SHA256(key, "row" tag || prev_hash || canonical(row))`, where
//! `prev_hash` is the hash of the row before it (32 zero bytes before the first row) and `canonical` is an
//! unambiguous, length-prefixed encoding of every field including the sequence number. The key lives outside
//! the database (a key file in the data dir), so someone who can write to the database but does not hold the
//! key cannot alter, remove, insert or reorder a row without breaking the chain.
//!
//! A one-row *head* (last sequence number, last hash, and a MAC over both) records where the chain ends, so
//! cutting rows off the end is detected too. The backends append rows and move the head inside the write
//! transaction; on PostgreSQL the head row is locked (`SELECT ... FOR UPDATE`), which serialises appends
//! across nodes and makes the sequence numbers gap-free.
//!
//! Limits (see also `docs`): someone with write access who also kept an *old* head (from a backup, or by
//! reading it earlier) can roll the log back to that point, and wiping the log and the head together looks
//! like a fresh database. Detecting those needs an anchor outside the database (for example the head printed
//! by `meldroute audit verify`, kept by the operator).

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::types::{AuditEvent, NewAuditEvent};

type HmacSha256 = Hmac<Sha256>;

/// Length of a key, a row hash and a head MAC.
pub const HASH_LEN: usize = 32;
/// The `prev_hash` of the first row.
pub const GENESIS: [u8; HASH_LEN] = [0; HASH_LEN];

/// Domain separation: a row hash can never be mistaken for a head MAC or the other way round.
const ROW_TAG: &[u8] = b"meldroute audit row v1";
const HEAD_TAG: &[u8] = b"meldroute audit head v1";

/// The secret key of the chain. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; HASH_LEN]);

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditKey(***)")
    }
}

/// Why a key file could not be used; the message names the file and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

impl AuditKey {
    pub fn from_bytes(bytes: [u8; HASH_LEN]) -> AuditKey {
        AuditKey(bytes)
    }

    /// A fresh random key.
    pub fn generate() -> Result<AuditKey, KeyError> {
        let mut bytes = [0u8; HASH_LEN];
        getrandom::fill(&mut bytes)
            .map_err(|e| KeyError(format!("cannot draw random bytes for a new audit key: {e}")))?;
        Ok(AuditKey(bytes))
    }

    /// Parses 64 hexadecimal characters (surrounding whitespace allowed).
    pub fn from_hex(text: &str) -> Result<AuditKey, KeyError> {
        let text = text.trim();
        if text.len() != 2 * HASH_LEN {
            return Err(KeyError(format!(
                "expected {} hexadecimal characters ({HASH_LEN} bytes), found {} characters",
                2 * HASH_LEN,
                text.chars().count()
            )));
        }
        let mut bytes = [0u8; HASH_LEN];
        hex::decode_to_slice(text, &mut bytes)
            .map_err(|_| KeyError("the key contains characters that are not hexadecimal digits".into()))?;
        Ok(AuditKey(bytes))
    }

    /// The key as lowercase hex, for writing the key file.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Reads an existing key file; a missing or malformed file is an error (nothing is created).
    pub fn load(path: &Path) -> Result<AuditKey, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                KeyError(format!(
                    "the audit key file {} does not exist; it is created when the server first starts",
                    path.display()
                ))
            } else {
                KeyError(format!("cannot read the audit key file {}: {e}", path.display()))
            }
        })?;
        warn_if_readable_by_others(path);
        AuditKey::from_hex(&text).map_err(|e| {
            KeyError(format!(
                "the audit key file {} is malformed: {e}; refusing to continue (restore the file from your key backup; \
                 never replace it with a new key, or the existing audit log can no longer be verified)",
                path.display()
            ))
        })
    }

    /// Reads the key file at `path`, or creates it (mode 0600) with a new random key when it does not exist.
    /// A file that exists but is malformed is refused, never overwritten.
    pub fn load_or_create(path: &Path) -> Result<AuditKey, KeyError> {
        match create_key_file(path) {
            Ok(key) => {
                tracing::info!(path = %path.display(), "created a new audit key file; back it up separately from the database");
                Ok(key)
            }
            Err(CreateError::Exists) => AuditKey::load(path),
            Err(CreateError::Failed(e)) => Err(e),
        }
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC pads a key shorter than the hash's block size with zeros (RFC 2104), so constructing it from the
        // zero-padded block is the same MAC as `new_from_slice(&self.0)`, without a fallible call.
        let mut block = [0u8; 64];
        block[..HASH_LEN].copy_from_slice(&self.0);
        <HmacSha256 as KeyInit>::new(&block.into())
    }
}

enum CreateError {
    Exists,
    Failed(KeyError),
}

fn create_key_file(path: &Path) -> Result<AuditKey, CreateError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(CreateError::Exists),
        Err(e) => {
            return Err(CreateError::Failed(KeyError(format!(
                "cannot create the audit key file {}: {e}",
                path.display()
            ))));
        }
    };
    let key = AuditKey::generate().map_err(CreateError::Failed)?;
    let written = file.write_all(format!("{}\n", key.to_hex()).as_bytes()).and_then(|_| file.sync_all());
    if let Err(e) = written {
        // Never leave a half-written key behind: the next start would refuse it.
        let _ = std::fs::remove_file(path);
        return Err(CreateError::Failed(KeyError(format!("cannot write the audit key file {}: {e}", path.display()))));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(dir) = std::fs::File::open(dir)
    {
        let _ = dir.sync_all();
    }
    Ok(key)
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the audit key file is readable by other users; chmod 600 it");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The conventional key file inside a data directory.
pub fn default_key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("audit.key")
}

/// The timestamp as it is stored and hashed: UTC, whole microseconds (PostgreSQL's precision), so the value
/// read back from either backend is exactly the value that was hashed.
pub fn normalize_at(at: OffsetDateTime) -> OffsetDateTime {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let micros = utc.microsecond();
    utc.replace_microsecond(micros).unwrap_or(utc)
}

/// RFC 3339 in UTC with exactly six fractional digits, e.g. `2026-03-02T09:00:00.000000Z`.
pub fn rfc3339_utc(at: OffsetDateTime) -> String {
    let t = normalize_at(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// The canonical byte encoding of a row: each field as a 4-byte big-endian length and its UTF-8 text, in a
/// fixed order. An absent id is the empty string (a present id is never empty), so no two different rows
/// encode alike and no field can run into its neighbour.
pub fn canonical(seq: i64, event: &NewAuditEvent) -> Vec<u8> {
    fn id(v: Option<i64>) -> String {
        v.map(|v| v.to_string()).unwrap_or_default()
    }
    let fields: [String; 10] = [
        seq.to_string(),
        rfc3339_utc(event.at),
        id(event.org.map(|o| o.0)),
        id(event.actor.map(|a| a.0)),
        id(event.on_behalf_of.map(|a| a.0)),
        id(event.pupil.map(|p| p.0)),
        id(event.dossier.map(|d| d.0)),
        event.action.clone(),
        event.outcome.clone(),
        event.source.clone(),
    ];
    let mut out = Vec::with_capacity(fields.iter().map(|f| f.len() + 4).sum());
    for field in &fields {
        // Fields are far shorter than 4 GiB; saturate rather than wrap just in case.
        let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(field.as_bytes());
    }
    out
}

/// The hash of a row: HMAC-SHA256 over the previous row's hash and the row's canonical encoding.
pub fn chain_hash(key: &AuditKey, prev_hash: &[u8; HASH_LEN], seq: i64, event: &NewAuditEvent) -> [u8; HASH_LEN] {
    let mut mac = key.mac();
    mac.update(ROW_TAG);
    mac.update(prev_hash);
    mac.update(&canonical(seq, event));
    mac.finalize().into_bytes().into()
}

/// The MAC that seals the head (where the chain ends).
pub fn head_mac(key: &AuditKey, last_seq: i64, last_hash: &[u8]) -> [u8; HASH_LEN] {
    head_mac_state(key, last_seq, last_hash).finalize().into_bytes().into()
}

fn head_mac_state(key: &AuditKey, last_seq: i64, last_hash: &[u8]) -> HmacSha256 {
    let mut mac = key.mac();
    mac.update(HEAD_TAG);
    mac.update(&last_seq.to_be_bytes());
    mac.update(&u32::try_from(last_hash.len()).unwrap_or(u32::MAX).to_be_bytes());
    mac.update(last_hash);
    mac
}

/// One stored row with its chain columns (absent only on rows written before the chain existed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRow {
    pub entry: AuditEvent,
    pub prev_hash: Option<Vec<u8>>,
    pub hash: Option<Vec<u8>>,
}

/// The stored head. `mac` is absent until the first row is appended with a key (a migration cannot know the
/// key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub last_seq: i64,
    pub last_hash: Vec<u8>,
    pub mac: Option<Vec<u8>>,
}

impl ChainHead {
    /// Whether the head is authentic under `key`: sealed with a MAC that checks out, or the untouched
    /// genesis state (no MAC, all-zero hash).
    pub fn check(&self, key: &AuditKey) -> Result<(), String> {
        match &self.mac {
            Some(mac) => head_mac_state(key, self.last_seq, &self.last_hash).verify_slice(mac).map_err(|_| {
                "the chain head's seal does not match: the head was altered, or the audit key is not the one \
                     this log was written with"
                    .to_string()
            }),
            None if self.last_hash == GENESIS => Ok(()),
            None => Err("the chain head is not sealed but does not start a new chain: the head was altered".into()),
        }
    }

    /// The hash the next row must chain from (after [`ChainHead::check`]).
    pub fn last_hash_array(&self) -> Result<[u8; HASH_LEN], String> {
        <[u8; HASH_LEN]>::try_from(self.last_hash.as_slice())
            .map_err(|_| format!("the chain head's hash has {} bytes instead of {HASH_LEN}", self.last_hash.len()))
    }
}

/// What an intact chain holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub entries: u64,
    pub last_seq: i64,
    pub head_hash: [u8; HASH_LEN],
}

impl VerifyReport {
    /// The first bytes of the head hash in hex, to note down and compare later.
    pub fn head_prefix(&self) -> String {
        hex::encode(&self.head_hash[..8])
    }
}

/// The first place where the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit log broken at entry {seq}: {problem}")]
pub struct ChainBreak {
    /// The sequence number of the first bad (or first missing) entry.
    pub seq: i64,
    pub problem: String,
}

/// Why a verification did not produce a report: the chain is broken, or it could not be read.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Broken(#[from] ChainBreak),
    #[error("cannot read the audit log: {0}")]
    Store(#[from] crate::StoreError),
}

/// Checks rows one at a time, in sequence order, so a long log need not fit in memory.
pub struct ChainVerifier<'k> {
    key: &'k AuditKey,
    expected_seq: i64,
    prev: [u8; HASH_LEN],
    entries: u64,
}

impl<'k> ChainVerifier<'k> {
    pub fn new(key: &'k AuditKey) -> Self {
        ChainVerifier { key, expected_seq: 1, prev: GENESIS, entries: 0 }
    }

    /// Checks the next row.
    pub fn push(&mut self, row: &ChainRow) -> Result<(), ChainBreak> {
        let seq = row.entry.seq;
        let expected = self.expected_seq;
        if seq != expected {
            let problem = if seq > expected {
                if expected == 1 {
                    format!("the log starts at entry {seq}: the entries before it are missing")
                } else if seq == expected + 1 {
                    format!("entry {expected} is missing (the log jumps from entry {} to {seq})", expected - 1)
                } else {
                    format!("entries {expected} to {} are missing (the log jumps to {seq})", seq - 1)
                }
            } else {
                format!("entry {seq} appears after entry {} (rows out of order or duplicated)", expected - 1)
            };
            return Err(ChainBreak { seq: expected, problem });
        }
        let Some(hash) = row.hash.as_deref() else {
            return Err(ChainBreak {
                seq,
                problem:
                    "the entry has no chain hash (written before the audit chain existed, or the hash was removed)"
                        .into(),
            });
        };
        if row.prev_hash.as_deref() != Some(&self.prev[..]) {
            return Err(ChainBreak {
                seq,
                problem: format!(
                    "the entry does not follow entry {} (its link to the previous entry was changed, or rows were \
                     removed, inserted or reordered)",
                    seq - 1
                ),
            });
        }
        let computed = chain_hash(self.key, &self.prev, seq, &row.entry.event);
        if hash != computed {
            let hint = if seq == 1 { " (or the audit key is not the one this log was written with)" } else { "" };
            return Err(ChainBreak {
                seq,
                problem: format!("the entry's contents do not match its hash: the entry was altered or forged{hint}"),
            });
        }
        self.prev = computed;
        self.expected_seq = seq + 1;
        self.entries += 1;
        Ok(())
    }

    /// Checks the end of the chain against the head.
    pub fn finish(self, head: Option<&ChainHead>) -> Result<VerifyReport, ChainBreak> {
        let last_seen = self.expected_seq - 1;
        let Some(head) = head else {
            return Err(ChainBreak {
                seq: self.expected_seq,
                problem: "the chain head is missing (the audit_chain_head row was removed)".into(),
            });
        };
        head.check(self.key).map_err(|problem| ChainBreak { seq: last_seen + 1, problem })?;
        if head.last_seq > last_seen {
            let problem = if head.last_seq == last_seen + 1 {
                format!(
                    "entry {} is missing (the log ends early: it should end at entry {})",
                    head.last_seq, head.last_seq
                )
            } else {
                format!(
                    "entries {} to {} are missing (the log ends early: it should end at entry {})",
                    last_seen + 1,
                    head.last_seq,
                    head.last_seq
                )
            };
            return Err(ChainBreak { seq: last_seen + 1, problem });
        }
        if head.last_seq < last_seen {
            return Err(ChainBreak {
                seq: head.last_seq + 1,
                problem: format!(
                    "entry {} lies after the recorded end of the log (entry {}): it was inserted",
                    head.last_seq + 1,
                    head.last_seq
                ),
            });
        }
        if head.last_hash != self.prev {
            return Err(ChainBreak {
                seq: last_seen.max(1),
                problem: "the last entry is not the one the chain head records (it was replaced)".into(),
            });
        }
        Ok(VerifyReport { entries: self.entries, last_seq: last_seen, head_hash: self.prev })
    }
}

/// Verifies a whole log: `rows` in sequence order, and the stored head. Names the first bad entry.
pub fn verify_chain<'a>(
    key: &AuditKey,
    rows: impl IntoIterator<Item = &'a ChainRow>,
    head: Option<&ChainHead>,
) -> Result<VerifyReport, ChainBreak> {
    let mut verifier = ChainVerifier::new(key);
    for row in rows {
        verifier.push(row)?;
    }
    verifier.finish(head)
}

/// The computed chain columns of the next row and the new head, for the backends' append path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Append {
    pub seq: i64,
    pub at: OffsetDateTime,
    pub prev_hash: [u8; HASH_LEN],
    pub hash: [u8; HASH_LEN],
    pub head_mac: [u8; HASH_LEN],
}

/// Computes the next row after `head` (already read inside the write transaction). Refuses a head that is
/// not authentic: extending it would seal a tampered state with a fresh, valid MAC.
pub fn next_append(key: &AuditKey, head: &ChainHead, event: &NewAuditEvent) -> Result<Append, String> {
    head.check(key)?;
    let prev_hash = head.last_hash_array()?;
    let seq = head.last_seq.checked_add(1).ok_or("the audit sequence number overflowed")?;
    let mut normalized = event.clone();
    normalized.at = normalize_at(event.at);
    let hash = chain_hash(key, &prev_hash, seq, &normalized);
    Ok(Append { seq, at: normalized.at, prev_hash, hash, head_mac: head_mac(key, seq, &hash) })
}

/// One computed row of a [`PendingAudit`], ready to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRow {
    pub seq: i64,
    /// The event, its time normalised as it is hashed.
    pub event: NewAuditEvent,
    pub prev_hash: [u8; HASH_LEN],
    pub hash: [u8; HASH_LEN],
}

/// The audit rows of one write transaction (one group-commit batch), chained in memory.
///
/// Appending a row used to cost four statements (read the head, insert the row, move the head, and the
/// savepoint around it); a busy server writes one audit row for every page it shows, so that was most of the
/// writer's work. Now the backend reads (on PostgreSQL: locks) and checks the head once, the first time a row
/// is needed, every row of the batch is chained here, and [`PendingAudit::rows`] and
/// [`PendingAudit::new_head`] are written at the end of the transaction: one multi-row insert and one update.
/// The rows land in the same transaction as the writes they record, so they still commit together or not at
/// all. A savepoint that is rolled back takes its rows back out with [`PendingAudit::rollback_to`].
#[derive(Debug)]
pub struct PendingAudit<'k> {
    key: Option<&'k AuditKey>,
    /// The end of the chain so far: the stored head's, then the last pending row's. `None` until the head is
    /// read.
    end: Option<(i64, [u8; HASH_LEN])>,
    rows: Vec<PendingRow>,
}

/// A position to return to when a savepoint is rolled back (see [`PendingAudit::mark`]).
#[derive(Debug, Clone, Copy)]
pub struct PendingMark {
    rows: usize,
    end: Option<(i64, [u8; HASH_LEN])>,
}

impl<'k> PendingAudit<'k> {
    pub fn new(key: Option<&'k AuditKey>) -> Self {
        PendingAudit { key, end: None, rows: Vec::new() }
    }

    /// The key, or the refusal to write an unchained row.
    pub fn key(&self) -> Result<&'k AuditKey, String> {
        self.key.ok_or_else(|| "no audit key is configured: refusing to write an audit row outside the chain".into())
    }

    /// Whether the backend still has to read the head (and pass it to [`PendingAudit::start`]).
    pub fn needs_head(&self) -> bool {
        self.end.is_none()
    }

    /// Starts the chain at the stored head, after checking that the head is authentic: extending a tampered
    /// head would seal it with a fresh, valid MAC.
    pub fn start(&mut self, head: &ChainHead) -> Result<(), String> {
        let key = self.key()?;
        head.check(key)?;
        self.end = Some((head.last_seq, head.last_hash_array()?));
        Ok(())
    }

    /// Chains `event` after the rows so far and returns its sequence number. Needs [`PendingAudit::start`].
    pub fn push(&mut self, event: &NewAuditEvent) -> Result<i64, String> {
        let key = self.key()?;
        let (last_seq, prev_hash) = self.end.ok_or("the audit chain head was not read")?;
        let seq = last_seq.checked_add(1).ok_or("the audit sequence number overflowed")?;
        let mut event = event.clone();
        event.at = normalize_at(event.at);
        let hash = chain_hash(key, &prev_hash, seq, &event);
        self.rows.push(PendingRow { seq, event, prev_hash, hash });
        self.end = Some((seq, hash));
        Ok(seq)
    }

    pub fn mark(&self) -> PendingMark {
        PendingMark { rows: self.rows.len(), end: self.end }
    }

    /// Forgets the rows pushed since `mark` (their savepoint was rolled back). When the head was read after
    /// the mark, it is read again: on PostgreSQL the rollback also released its lock.
    pub fn rollback_to(&mut self, mark: PendingMark) {
        self.rows.truncate(mark.rows);
        self.end = mark.end;
    }

    pub fn rows(&self) -> &[PendingRow] {
        &self.rows
    }

    /// The head to store after the rows (sequence number, hash, MAC), or `None` when no row was added.
    pub fn new_head(&self) -> Option<(i64, [u8; HASH_LEN], [u8; HASH_LEN])> {
        let key = self.key.as_ref()?;
        let last = self.rows.last()?;
        Some((last.seq, last.hash, head_mac(key, last.seq, &last.hash)))
    }
}

/// Splits `n` rows into chunks of at most `max` rows whose sizes are powers of two, largest first, so a
/// backend that inserts each chunk with one multi-row statement prepares at most a handful of distinct
/// statements (one per size) however the batches vary.
pub fn insert_chunks(n: usize, max: usize) -> Vec<usize> {
    let max = if max == 0 { 1 } else { 1 << (usize::BITS - 1 - max.leading_zeros()) };
    let mut left = n;
    let mut chunks = Vec::new();
    let mut size = max;
    while left > 0 {
        while size > left {
            size /= 2;
        }
        chunks.push(size);
        left -= size;
    }
    chunks
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::ids::*;

    fn key() -> AuditKey {
        AuditKey::from_bytes([7; HASH_LEN])
    }

    fn event(n: i64) -> NewAuditEvent {
        NewAuditEvent {
            at: datetime!(2026-03-02 09:00:00.123456789 +01:00) + time::Duration::seconds(n),
            org: Some(OrgId(1)),
            actor: Some(UserId(n)),
            on_behalf_of: None,
            pupil: Some(PupilId(3)),
            dossier: (n % 2 == 0).then_some(DossierId(4)),
            action: "dossier.read".into(),
            outcome: "allowed".into(),
            source: "192.0.2.1".into(),
        }
    }

    /// A chain of `n` rows as a backend would write it, and its head.
    fn chain(n: i64) -> (Vec<ChainRow>, ChainHead) {
        let k = key();
        let mut head = ChainHead { last_seq: 0, last_hash: GENESIS.to_vec(), mac: None };
        let mut rows = Vec::new();
        for i in 1..=n {
            let a = next_append(&k, &head, &event(i)).unwrap();
            let mut stored = event(i);
            stored.at = a.at;
            rows.push(ChainRow {
                entry: AuditEvent { seq: a.seq, event: stored },
                prev_hash: Some(a.prev_hash.to_vec()),
                hash: Some(a.hash.to_vec()),
            });
            head = ChainHead { last_seq: a.seq, last_hash: a.hash.to_vec(), mac: Some(a.head_mac.to_vec()) };
        }
        (rows, head)
    }

    fn broken_at(rows: &[ChainRow], head: &ChainHead) -> (i64, String) {
        let b = verify_chain(&key(), rows, Some(head)).unwrap_err();
        (b.seq, b.problem)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (rows, head) = chain(5);
        let report = verify_chain(&key(), &rows, Some(&head)).unwrap();
        assert_eq!(report.entries, 5);
        assert_eq!(report.last_seq, 5);
        assert_eq!(report.head_hash.to_vec(), head.last_hash);
        assert_eq!(report.head_prefix().len(), 16);
    }

    #[test]
    fn an_empty_log_with_a_genesis_head_verifies() {
        let head = ChainHead { last_seq: 0, last_hash: GENESIS.to_vec(), mac: None };
        let report = verify_chain(&key(), &[], Some(&head)).unwrap();
        assert_eq!(report.entries, 0);
    }

    #[test]
    fn each_field_is_covered_by_the_hash() {
        let (rows, head) = chain(4);
        type Change = Box<dyn Fn(&mut NewAuditEvent)>;
        let changes: Vec<Change> = vec![
            Box::new(|e| e.at += time::Duration::microseconds(1)),
            Box::new(|e| e.org = Some(OrgId(2))),
            Box::new(|e| e.actor = None),
            Box::new(|e| e.on_behalf_of = Some(UserId(9))),
            Box::new(|e| e.pupil = Some(PupilId(33))),
            Box::new(|e| e.dossier = Some(DossierId(5))),
            Box::new(|e| e.action = "dossier.update".into()),
            Box::new(|e| e.outcome = "denied".into()),
            Box::new(|e| e.source = "192.0.2.2".into()),
        ];
        for change in changes {
            let mut tampered = rows.clone();
            change(&mut tampered[2].entry.event);
            let (seq, problem) = broken_at(&tampered, &head);
            assert_eq!(seq, 3);
            assert!(problem.contains("altered"), "{problem}");
        }
    }

    #[test]
    fn the_same_instant_in_another_offset_is_the_same_row() {
        let (mut rows, head) = chain(2);
        rows[1].entry.event.at = rows[1].entry.event.at.to_offset(time::macros::offset!(+02:00));
        assert!(verify_chain(&key(), &rows, Some(&head)).is_ok());
    }

    #[test]
    fn fields_cannot_run_into_each_other() {
        let mut a = event(1);
        let mut b = event(1);
        a.action = "ab".into();
        a.outcome = "c".into();
        b.action = "a".into();
        b.outcome = "bc".into();
        assert_ne!(canonical(1, &a), canonical(1, &b));
        // An absent id differs from every present id.
        let mut c = event(1);
        c.org = None;
        assert_ne!(canonical(1, &c), canonical(1, &event(1)));
        assert_ne!(canonical(12, &event(1)), canonical(1, &event(1)));
    }

    #[test]
    fn the_canonical_time_is_utc_rfc3339_in_microseconds() {
        assert_eq!(rfc3339_utc(datetime!(2026-03-02 09:00:00.123456789 +01:00)), "2026-03-02T08:00:00.123456Z");
    }

    #[test]
    fn a_removed_row_is_named() {
        let (mut rows, head) = chain(5);
        rows.remove(2);
        let (seq, problem) = broken_at(&rows, &head);
        assert_eq!(seq, 3);
        assert!(problem.contains("missing"), "{problem}");
    }

    #[test]
    fn removing_the_first_rows_is_detected() {
        let (rows, head) = chain(5);
        let (seq, _) = broken_at(&rows[2..], &head);
        assert_eq!(seq, 1);
    }

    #[test]
    fn a_removed_row_renumbered_over_is_detected() {
        // Remove entry 3 and renumber the rest to close the gap: entry 3 (formerly 4) no longer links.
        let (mut rows, head) = chain(5);
        rows.remove(2);
        for (i, r) in rows.iter_mut().enumerate() {
            r.entry.seq = i as i64 + 1;
        }
        let (seq, _) = broken_at(&rows, &head);
        assert_eq!(seq, 3);
    }

    #[test]
    fn a_forged_row_is_named() {
        let (mut rows, head) = chain(3);
        let mut forged = rows[2].clone();
        forged.entry.seq = 4;
        forged.prev_hash = rows[2].hash.clone();
        forged.hash = Some(vec![1; HASH_LEN]);
        rows.push(forged);
        let (seq, problem) = broken_at(&rows, &head);
        assert_eq!(seq, 4);
        assert!(problem.contains("forged"), "{problem}");
    }

    #[test]
    fn a_row_after_the_head_is_named() {
        // Even a row with a correct hash (say, replayed from another log with the same key) is refused when
        // the head does not cover it.
        let (rows, _) = chain(4);
        let (_, head3) = chain(3);
        let (seq, problem) = broken_at(&rows, &head3);
        assert_eq!(seq, 4);
        assert!(problem.contains("after the recorded end"), "{problem}");
    }

    #[test]
    fn swapped_rows_are_named() {
        let (mut rows, head) = chain(5);
        // Exchange the sequence numbers of entries 2 and 4; rows are then read back in seq order.
        rows[1].entry.seq = 4;
        rows[3].entry.seq = 2;
        rows.sort_by_key(|r| r.entry.seq);
        let (seq, _) = broken_at(&rows, &head);
        assert_eq!(seq, 2);
        // Reordered without renumbering (the caller did not sort): named too.
        let (mut rows, head) = chain(5);
        rows.swap(1, 3);
        let (seq, _) = broken_at(&rows, &head);
        assert_eq!(seq, 2);
    }

    fn rows_of(pending: &PendingAudit<'_>) -> (Vec<ChainRow>, ChainHead) {
        let rows = pending
            .rows()
            .iter()
            .map(|r| ChainRow {
                entry: AuditEvent { seq: r.seq, event: r.event.clone() },
                prev_hash: Some(r.prev_hash.to_vec()),
                hash: Some(r.hash.to_vec()),
            })
            .collect();
        let (seq, hash, mac) = pending.new_head().unwrap();
        (rows, ChainHead { last_seq: seq, last_hash: hash.to_vec(), mac: Some(mac.to_vec()) })
    }

    #[test]
    fn a_pending_batch_chains_exactly_like_single_appends() {
        let k = key();
        let (single_rows, single_head) = chain(5);
        let mut pending = PendingAudit::new(Some(&k));
        assert!(pending.needs_head());
        pending.start(&ChainHead { last_seq: 0, last_hash: GENESIS.to_vec(), mac: None }).unwrap();
        for i in 1..=5 {
            assert_eq!(pending.push(&event(i)).unwrap(), i);
        }
        let (rows, head) = rows_of(&pending);
        assert_eq!(rows, single_rows);
        assert_eq!(head, single_head);
        verify_chain(&k, &rows, Some(&head)).unwrap();
    }

    #[test]
    fn a_pending_batch_continues_a_stored_chain() {
        let k = key();
        let (mut stored, head) = chain(3);
        let mut pending = PendingAudit::new(Some(&k));
        pending.start(&head).unwrap();
        assert_eq!(pending.push(&event(4)).unwrap(), 4);
        let (more, new_head) = rows_of(&pending);
        stored.extend(more);
        verify_chain(&k, &stored, Some(&new_head)).unwrap();
    }

    #[test]
    fn rolling_back_to_a_mark_forgets_the_rows_and_the_head_read_after_it() {
        let k = key();
        let (_, head) = chain(2);
        let mut pending = PendingAudit::new(Some(&k));
        let before_head = pending.mark();
        pending.start(&head).unwrap();
        pending.push(&event(3)).unwrap();
        let after_first = pending.mark();
        pending.push(&event(4)).unwrap();
        pending.rollback_to(after_first);
        assert_eq!(pending.rows().len(), 1);
        assert_eq!(pending.push(&event(9)).unwrap(), 4, "the rolled-back row's number is given again");
        pending.rollback_to(before_head);
        assert!(pending.rows().is_empty());
        assert!(pending.needs_head(), "the head is read (and locked) again after its savepoint was rolled back");
        assert_eq!(pending.new_head(), None);
    }

    #[test]
    fn a_pending_batch_refuses_a_tampered_head_and_a_missing_key() {
        let k = key();
        let (_, mut head) = chain(2);
        head.last_seq = 1;
        let mut pending = PendingAudit::new(Some(&k));
        assert!(pending.start(&head).is_err());
        assert!(pending.push(&event(1)).is_err(), "nothing is chained before an authentic head");
        let mut keyless = PendingAudit::new(None);
        assert!(keyless.start(&ChainHead { last_seq: 0, last_hash: GENESIS.to_vec(), mac: None }).is_err());
        assert!(keyless.push(&event(1)).is_err());
    }

    #[test]
    fn insert_chunks_are_powers_of_two_that_add_up() {
        assert_eq!(insert_chunks(0, 64), Vec::<usize>::new());
        assert_eq!(insert_chunks(1, 64), vec![1]);
        assert_eq!(insert_chunks(7, 64), vec![4, 2, 1]);
        assert_eq!(insert_chunks(64, 64), vec![64]);
        assert_eq!(insert_chunks(200, 64), vec![64, 64, 64, 8]);
        assert_eq!(insert_chunks(5, 3), vec![2, 2, 1], "a maximum that is no power of two is rounded down");
        for n in 0..600 {
            let chunks = insert_chunks(n, 100);
            assert_eq!(chunks.iter().sum::<usize>(), n);
            assert!(chunks.iter().all(|c| c.is_power_of_two() && *c <= 64));
        }
    }

    #[test]
    fn a_truncated_tail_is_named() {
        let (rows, head) = chain(5);
        let (seq, problem) = broken_at(&rows[..4], &head);
        assert_eq!(seq, 5);
        assert!(problem.contains("ends early"), "{problem}");
        let (seq, _) = broken_at(&rows[..2], &head);
        assert_eq!(seq, 3);
        let (seq, _) = broken_at(&[], &head);
        assert_eq!(seq, 1);
    }

    #[test]
    fn a_forged_head_is_refused() {
        let (rows, mut head) = chain(5);
        head.last_seq = 4;
        head.last_hash = rows[3].hash.clone().unwrap();
        let (_, problem) = broken_at(&rows[..4], &head);
        assert!(problem.contains("seal"), "{problem}");
        // Resetting the head to "new chain" while rows exist does not help either.
        let genesis = ChainHead { last_seq: 0, last_hash: GENESIS.to_vec(), mac: None };
        let (seq, _) = broken_at(&rows, &genesis);
        assert_eq!(seq, 1);
        let missing = verify_chain(&key(), &rows, None).unwrap_err();
        assert!(missing.problem.contains("head is missing"), "{}", missing.problem);
    }

    #[test]
    fn a_wrong_key_fails_at_the_first_entry() {
        let (rows, head) = chain(3);
        let other = AuditKey::from_bytes([8; HASH_LEN]);
        let b = verify_chain(&other, &rows, Some(&head)).unwrap_err();
        assert_eq!(b.seq, 1);
        assert!(b.problem.contains("key"), "{}", b.problem);
    }

    #[test]
    fn a_row_without_a_hash_is_named() {
        let (mut rows, head) = chain(3);
        rows[1].hash = None;
        assert_eq!(broken_at(&rows, &head).0, 2);
    }

    #[test]
    fn appending_onto_a_tampered_head_is_refused() {
        let (_, mut head) = chain(3);
        head.last_seq = 2;
        assert!(next_append(&key(), &head, &event(9)).is_err());
        let unsealed = ChainHead { last_seq: 3, last_hash: vec![1; HASH_LEN], mac: None };
        assert!(next_append(&key(), &unsealed, &event(9)).is_err());
    }

    #[test]
    fn the_mac_is_standard_hmac_sha256() {
        let k = key();
        let mut standard = <HmacSha256 as Mac>::new_from_slice(&[7; HASH_LEN]).unwrap();
        standard.update(b"x");
        let mut ours = k.mac();
        ours.update(b"x");
        assert_eq!(ours.finalize().into_bytes(), standard.finalize().into_bytes());
    }

    #[test]
    fn debug_never_prints_the_key() {
        let k = AuditKey::from_hex(&"ab".repeat(32)).unwrap();
        assert_eq!(format!("{k:?}"), "AuditKey(***)");
        assert!(!format!("{k:?}").contains("ab"));
    }

    #[test]
    fn hex_keys_parse_and_malformed_ones_are_refused() {
        let k = AuditKey::from_hex(&format!("  {}\n", "0f".repeat(32))).unwrap();
        assert_eq!(k.to_hex(), "0f".repeat(32));
        assert!(AuditKey::from_hex("abc").unwrap_err().0.contains("64 hexadecimal"));
        assert!(AuditKey::from_hex(&"zz".repeat(32)).unwrap_err().0.contains("not hexadecimal"));
    }

    #[test]
    fn key_files_are_created_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = default_key_path(dir.path());
        assert!(AuditKey::load(&path).unwrap_err().0.contains("does not exist"));
        let created = AuditKey::load_or_create(&path).unwrap();
        let again = AuditKey::load_or_create(&path).unwrap();
        assert_eq!(created, again);
        assert_eq!(AuditKey::load(&path).unwrap(), created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let other = AuditKey::load_or_create(&dir.path().join("other.key")).unwrap();
        assert_ne!(created, other);
    }

    #[test]
    fn a_malformed_key_file_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.key");
        std::fs::write(&path, "not a key\n").unwrap();
        let err = AuditKey::load_or_create(&path).unwrap_err();
        assert!(err.0.contains("malformed") && err.0.contains("audit.key"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a key\n");
    }
}
