//! The sector a dossier belongs to.
//!
//! Each sector has its own afwegingskader (meldcode.md §2). The five questions and the three meldnormen are
//! the same everywhere; the education and leerplicht variant ("Afwegingskader Onderwijs en Leerplicht")
//! differs in two ways (§7):
//!
//! * question 1 reads "is action needed?" and a yes means the bevoegd gezag (board) is informed;
//! * question 2 is answered together with the bevoegd gezag, and "yes **or doubt**" leads to reporting
//!   directly (by phone) to Veilig Thuis.

use serde::{Deserialize, Serialize};

/// A sector that works with the meldcode. Serialised as the lowercase codes `kinderopvang`, `gastouder`,
/// `po`, `vo`, `mbo`, `leerplicht`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sector {
    /// Childcare (day care, out-of-school care).
    Kinderopvang,
    /// Childminders working through a gastouderbureau.
    Gastouder,
    /// Primary education (primair onderwijs).
    Po,
    /// Secondary education (voortgezet onderwijs).
    Vo,
    /// Vocational education (middelbaar beroepsonderwijs); students can be adults.
    Mbo,
    /// Compulsory-attendance officers (leerplichtambtenaren).
    Leerplicht,
}

impl Sector {
    /// Every sector, in a stable order (for tests and select lists).
    pub const ALL: [Sector; 6] =
        [Sector::Kinderopvang, Sector::Gastouder, Sector::Po, Sector::Vo, Sector::Mbo, Sector::Leerplicht];

    /// The stable code, equal to the serde representation.
    pub fn as_str(self) -> &'static str {
        match self {
            Sector::Kinderopvang => "kinderopvang",
            Sector::Gastouder => "gastouder",
            Sector::Po => "po",
            Sector::Vo => "vo",
            Sector::Mbo => "mbo",
            Sector::Leerplicht => "leerplicht",
        }
    }

    /// Parses a code as produced by [`Sector::as_str`].
    pub fn from_code(code: &str) -> Option<Sector> {
        Sector::ALL.into_iter().find(|s| s.as_str() == code)
    }

    /// Whether the education and leerplicht variant of the afwegingskader applies (§7): the bevoegd gezag
    /// takes part in questions 1–2, and "yes or doubt" on question 2 means reporting directly.
    pub fn is_education_or_leerplicht(self) -> bool {
        match self {
            Sector::Po | Sector::Vo | Sector::Mbo | Sector::Leerplicht => true,
            Sector::Kinderopvang | Sector::Gastouder => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_serde_and_as_str() {
        for sector in Sector::ALL {
            let json = serde_json::to_string(&sector).unwrap();
            assert_eq!(json, format!("\"{}\"", sector.as_str()));
            assert_eq!(serde_json::from_str::<Sector>(&json).unwrap(), sector);
            assert_eq!(Sector::from_code(sector.as_str()), Some(sector));
        }
        assert_eq!(Sector::from_code("PO"), None);
    }

    #[test]
    fn education_variant_applies_to_schools_and_leerplicht_only() {
        let education: Vec<_> = Sector::ALL.into_iter().filter(|s| s.is_education_or_leerplicht()).collect();
        assert_eq!(education, vec![Sector::Po, Sector::Vo, Sector::Mbo, Sector::Leerplicht]);
    }
}
