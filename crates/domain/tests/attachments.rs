//! Attachment entries in the chronology: added at any step of an open dossier, moving nothing; their file
//! data must be well-formed and unique; a correction may change the description only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use meldroute_domain::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-03-10 12:00 +01:00);
const AUTHOR: UserRef = UserRef(7);

fn ctx() -> FoldContext {
    FoldContext { sector: Sector::Po, pupil_age: Some(9), calendar: Calendar::new() }
}

fn attachment(id: &str) -> Attachment {
    Attachment {
        attachment_id: id.into(),
        file_name: "gespreksverslag.pdf".into(),
        media_type: MediaType::Pdf,
        size_bytes: 1234,
        sha256: "ab".repeat(32),
        description: Some("Ondertekend verslag van het gesprek met moeder.".into()),
    }
}

/// A change that spoils an attachment's file data.
type Change = fn(&mut Attachment);

const ID_1: &str = "0123456789abcdef0123456789abcdef";
const ID_2: &str = "00000000000000000000000000000002";

fn observation() -> EntryBody {
    EntryBody::Observation(Observation {
        facts: "Blauwe plek op de arm.".into(),
        interpretation: None,
        source: SignalSource::OwnObservation,
        source_detail: None,
        categories: vec![],
        also_noticed_by: vec![],
        concerns_staff_sexual_misconduct: false,
    })
}

struct D {
    entries: Vec<Entry>,
}

impl D {
    fn push(&mut self, body: EntryBody) -> EntryId {
        self.try_push(body).unwrap()
    }

    fn try_push(&mut self, body: EntryBody) -> Result<EntryId, DomainError> {
        validate_append(&ctx(), &self.entries, &body, AUTHOR, NOW)?;
        let seq = self.entries.len() as u32 + 1;
        let id = EntryId(100 + i64::from(seq));
        self.entries.push(Entry {
            id,
            seq,
            recorded_at: NOW - Duration::hours(10) + Duration::minutes(i64::from(seq)),
            occurred_on: None,
            author: AUTHOR,
            body,
        });
        Ok(id)
    }

    fn refused(&self, body: EntryBody) -> DomainError {
        validate_append(&ctx(), &self.entries, &body, AUTHOR, NOW).unwrap_err()
    }
}

#[test]
fn an_attachment_can_be_added_at_any_step_and_changes_no_state() {
    // Even as the very first entry, and after every kind of entry a dossier starts with.
    let mut d = D { entries: vec![] };
    d.push(EntryBody::Attachment(attachment(ID_1)));
    assert_eq!(fold(&ctx(), &d.entries).step, Step::SignalenInKaart);
    d.push(observation());
    let before = fold(&ctx(), &d.entries);
    d.push(EntryBody::Attachment(attachment(ID_2)));
    let after = fold(&ctx(), &d.entries);
    assert_eq!(before, after, "an attachment moves nothing in the state");
}

#[test]
fn a_closed_dossier_takes_no_attachment() {
    let mut d = D { entries: vec![] };
    d.push(observation());
    d.push(EntryBody::Closing(Closing { conclusion: "Geen zorg meer.".into(), no_concern: true }));
    assert_eq!(d.refused(EntryBody::Attachment(attachment(ID_1))).code, ErrorCode::DossierClosed);
    d.push(EntryBody::Reopening(Reopening { reason: "Nieuwe signalen.".into() }));
    d.push(EntryBody::Attachment(attachment(ID_1)));
}

#[test]
fn the_file_data_must_be_well_formed_and_unique_in_the_dossier() {
    let mut d = D { entries: vec![] };
    d.push(EntryBody::Attachment(attachment(ID_1)));
    let e = d.refused(EntryBody::Attachment(attachment(ID_1)));
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::AttachmentInvalid, Some("file")));

    let bad: Vec<(&str, Change)> = vec![
        ("id not hex", |a| a.attachment_id = "../../etc/passwd/0123456789abcd".into()),
        ("id uppercase", |a| a.attachment_id = "0123456789ABCDEF0123456789ABCDEF".into()),
        ("id short", |a| a.attachment_id = "0123".into()),
        ("empty file", |a| a.size_bytes = 0),
        ("checksum", |a| a.sha256 = "xyz".into()),
        ("name with a path", |a| a.file_name = "map/verslag.pdf".into()),
        ("name with a control character", |a| a.file_name = "ver\nslag.pdf".into()),
        ("name without an accepted extension", |a| a.file_name = "verslag.docx".into()),
        ("name and type disagree", |a| a.media_type = MediaType::Png),
    ];
    for (what, change) in bad {
        let mut a = attachment(ID_2);
        change(&mut a);
        let e = d.refused(EntryBody::Attachment(a));
        assert_eq!(e.code, ErrorCode::AttachmentInvalid, "{what}");
    }
    // JPEG under either extension.
    let mut jpeg = attachment(ID_2);
    jpeg.file_name = "tekening.JPEG".into();
    jpeg.media_type = MediaType::Jpeg;
    d.push(EntryBody::Attachment(jpeg));
}

#[test]
fn a_correction_changes_the_description_only() {
    let mut d = D { entries: vec![] };
    let id = d.push(EntryBody::Attachment(attachment(ID_1)));
    let fix = |a: Attachment| {
        EntryBody::Correction(Correction {
            corrects: id,
            reason: "Omschrijving aangevuld.".into(),
            corrected: Box::new(EntryBody::Attachment(a)),
        })
    };
    let mut other_file = attachment(ID_1);
    other_file.sha256 = "cd".repeat(32);
    assert_eq!(d.refused(fix(other_file)).code, ErrorCode::AttachmentFileFixed);
    let mut other_id = attachment(ID_2);
    other_id.description = None;
    assert_eq!(d.refused(fix(other_id)).code, ErrorCode::AttachmentFileFixed);
    let mut renamed = attachment(ID_1);
    renamed.file_name = "iets-anders.pdf".into();
    assert_eq!(d.refused(fix(renamed)).code, ErrorCode::AttachmentFileFixed);

    let mut described = attachment(ID_1);
    described.description = Some("Verslag van het gesprek van 3 maart, ondertekend door moeder.".into());
    let by = d.push(fix(described));
    assert_eq!(fold(&ctx(), &d.entries).corrected, vec![CorrectedEntry { original: id, by }]);
    // After the correction the id is still taken.
    assert_eq!(d.refused(EntryBody::Attachment(attachment(ID_1))).code, ErrorCode::AttachmentInvalid);
}

#[test]
fn the_kind_round_trips_and_who_may_add_it() {
    use meldroute_domain::access::*;
    assert_eq!(EntryKind::from_code("attachment"), Some(EntryKind::Attachment));
    let body = EntryBody::Attachment(attachment(ID_1));
    assert_eq!(body.kind(), EntryKind::Attachment);
    let json = serde_json::to_value(&body).unwrap();
    assert_eq!(json["kind"], "attachment");
    assert_eq!(json["media_type"], "application/pdf");
    assert_eq!(serde_json::from_value::<EntryBody>(json).unwrap(), body);

    let dossier = |involved, share| Resource::Dossier { location: 1, involved, share };
    let at = |role| Actor { user: 1, grants: vec![Grant { role, location: Some(1) }] };
    let add = Action::AppendEntry(EntryKind::Attachment);
    // The roles that record observations add attachments; the teacher only where she is involved.
    for role in [Role::InternBegeleider, Role::Aandachtsfunctionaris, Role::Directeur] {
        assert!(authorize(&at(role), add, &dossier(false, None)).is_allowed(), "{role}");
    }
    assert!(authorize(&at(Role::Medewerker), add, &dossier(true, None)).is_allowed());
    assert!(!authorize(&at(Role::Medewerker), add, &dossier(false, None)).is_allowed());
    for role in [Role::Bestuur, Role::Beheerder, Role::ExternePartner] {
        assert!(!authorize(&at(role), add, &dossier(true, None)).is_allowed(), "{role}");
    }
    // A partner sees attachments only when the share includes the kind.
    let partner = at(Role::ExternePartner);
    let share = |kinds: &[EntryKind]| Some(ShareGrant { entry_kinds: kinds.iter().copied().collect(), active: true });
    let without = dossier(false, share(&[EntryKind::Observation]));
    assert!(!visible_entry_kinds(&partner, &without).allows(EntryKind::Attachment));
    let with = dossier(false, share(&[EntryKind::Observation, EntryKind::Attachment]));
    assert!(visible_entry_kinds(&partner, &with).allows(EntryKind::Attachment));
    assert!(!authorize(&partner, add, &with).is_allowed(), "a partner never adds");
}

#[test]
fn an_attachment_entry_needs_its_file_and_only_it_has_one() {
    use meldroute_domain::attachment::require_file;
    let entry = EntryBody::Attachment(attachment(ID_1));
    assert_eq!(require_file(&entry, false).unwrap_err().code, ErrorCode::AttachmentWithoutFile);
    assert!(require_file(&entry, true).is_ok());
    assert!(require_file(&observation(), false).is_ok());
    assert_eq!(require_file(&observation(), true).unwrap_err().code, ErrorCode::AttachmentInvalid);
    // A correction of an attachment carries no new file.
    let fix = EntryBody::Correction(Correction {
        corrects: EntryId(1),
        reason: "omschrijving".into(),
        corrected: Box::new(entry.clone()),
    });
    assert!(require_file(&fix, false).is_ok());
}
