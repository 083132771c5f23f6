//! Typed ids, so a pupil id can never be passed where a dossier id is meant.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// A school board (bevoegd gezag): the tenant.
    OrgId,
    /// A school, childcare site or leerplicht office of an organisation.
    LocationId,
    /// A class or group within a location.
    GroupId,
    UserId,
    PupilId,
    /// A family, linking siblings.
    FamilyId,
    DossierId,
    EntryId,
    /// A team learning session (teamleergesprek).
    TeamSessionId,
    /// An anonymous participant of a team session (no name, no device, no address).
    ParticipantId,
);
