//! Working days (*werkdagen*) for deadlines.
//!
//! Veilig Thuis decides within 5 werkdagen after a report how it proceeds (meldcode.md §7); help terms and
//! evaluations can also be agreed in working days. A working day is a day that is not a Saturday or Sunday,
//! not a Dutch public holiday as listed in the Algemene termijnenwet, and not one of the organisation's own
//! extra closed days (for example Goede Vrijdag or a study day, when a school closes then).
//!
//! The public holidays of the Algemene termijnenwet are: Nieuwjaarsdag, Eerste en Tweede Paasdag,
//! Hemelvaartsdag, Eerste en Tweede Pinksterdag, Koningsdag, 5 mei (Bevrijdingsdag) and Eerste en Tweede
//! Kerstdag. Goede Vrijdag is *not* among them. The Easter-based days are computed with the anonymous
//! Gregorian algorithm, so the calendar needs no table that runs out.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, Weekday};

/// A Dutch public holiday (Algemene termijnenwet, art. 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holiday {
    Nieuwjaarsdag,
    EerstePaasdag,
    TweedePaasdag,
    /// Ascension Day: Easter + 39 days (a Thursday).
    Hemelvaartsdag,
    EerstePinksterdag,
    /// Whit Monday: Easter + 50 days.
    TweedePinksterdag,
    /// 27 April, or 26 April when the 27th is a Sunday (from 2014; before that Koninginnedag, 30 April, or
    /// 29 April when the 30th was a Sunday).
    Koningsdag,
    /// 5 May. The Algemene termijnenwet counts it every year (not only every fifth year, as many
    /// collective labour agreements do).
    Bevrijdingsdag,
    EersteKerstdag,
    TweedeKerstdag,
}

/// Easter Sunday of `year` (Gregorian calendar), by the anonymous Gregorian ("Meeus/Jones/Butcher")
/// algorithm. `None` only for years the `time` crate cannot represent.
pub fn easter_sunday(year: i32) -> Option<Date> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
}

/// All public holidays of `year`, in calendar order.
pub fn public_holidays(year: i32) -> Vec<(Date, Holiday)> {
    let mut out = Vec::with_capacity(10);
    let fixed = |month: Month, day: u8| Date::from_calendar_date(year, month, day).ok();
    if let Some(d) = fixed(Month::January, 1) {
        out.push((d, Holiday::Nieuwjaarsdag));
    }
    if let Some(easter) = easter_sunday(year) {
        out.push((easter, Holiday::EerstePaasdag));
        out.push((easter.saturating_add(Duration::days(1)), Holiday::TweedePaasdag));
        out.push((easter.saturating_add(Duration::days(39)), Holiday::Hemelvaartsdag));
        out.push((easter.saturating_add(Duration::days(49)), Holiday::EerstePinksterdag));
        out.push((easter.saturating_add(Duration::days(50)), Holiday::TweedePinksterdag));
    }
    if let Some(d) = kings_day(year) {
        out.push((d, Holiday::Koningsdag));
    }
    if let Some(d) = fixed(Month::May, 5) {
        out.push((d, Holiday::Bevrijdingsdag));
    }
    if let Some(d) = fixed(Month::December, 25) {
        out.push((d, Holiday::EersteKerstdag));
    }
    if let Some(d) = fixed(Month::December, 26) {
        out.push((d, Holiday::TweedeKerstdag));
    }
    out.sort_by_key(|(d, _)| *d);
    out
}

/// Koningsdag (from 2014) or Koninginnedag (before): moved one day earlier when it falls on a Sunday.
fn kings_day(year: i32) -> Option<Date> {
    let day = if year >= 2014 { 27 } else { 30 };
    let date = Date::from_calendar_date(year, Month::April, day).ok()?;
    if date.weekday() == Weekday::Sunday { date.previous_day() } else { Some(date) }
}

/// The public holiday on `date`, if any.
pub fn public_holiday(date: Date) -> Option<Holiday> {
    public_holidays(date.year()).into_iter().find(|(d, _)| *d == date).map(|(_, h)| h)
}

/// An organisation's working-day calendar: weekends and public holidays, plus its own closed days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// Extra days the organisation is closed (e.g. Goede Vrijdag, study days). Holidays and weekends need
    /// not be listed.
    #[serde(default)]
    pub extra_closed: BTreeSet<Date>,
}

impl Calendar {
    /// A calendar with only weekends and public holidays.
    pub fn new() -> Calendar {
        Calendar::default()
    }

    /// A calendar with extra closed days.
    pub fn with_closed_days(days: impl IntoIterator<Item = Date>) -> Calendar {
        Calendar { extra_closed: days.into_iter().collect() }
    }

    /// Whether `d` is a working day: not a weekend, not a public holiday, not an extra closed day.
    pub fn is_working_day(&self, d: Date) -> bool {
        let weekend = match d.weekday() {
            Weekday::Saturday | Weekday::Sunday => true,
            Weekday::Monday | Weekday::Tuesday | Weekday::Wednesday | Weekday::Thursday | Weekday::Friday => false,
        };
        !weekend && public_holiday(d).is_none() && !self.extra_closed.contains(&d)
    }

    /// The date `n` working days after `from`. Counting starts the day after `from` (the day of the event
    /// itself does not count, as in the Algemene termijnenwet), so a report on Monday 5 January 2026 has
    /// its 5-werkdagen deadline on Monday 12 January. With `n == 0` the answer is `from`.
    pub fn add_working_days(&self, from: Date, n: u32) -> Date {
        let mut d = from;
        let mut left = n;
        while left > 0 {
            let next = d.saturating_add(Duration::days(1));
            if next == d {
                break; // the end of representable time; nothing sensible is left to count
            }
            d = next;
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The number of working days in the half-open range (`from`, `to`]: the days after `from` up to and
    /// including `to`. Zero when `to <= from`. It is the inverse of [`Calendar::add_working_days`] whenever
    /// `to` is itself a working day.
    pub fn working_days_between(&self, from: Date, to: Date) -> u32 {
        let mut count = 0u32;
        let mut d = from;
        while d < to {
            d = d.saturating_add(Duration::days(1));
            if self.is_working_day(d) {
                count = count.saturating_add(1);
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn easter_matches_the_real_calendar_2025_to_2030() {
        let expected = [
            date!(2025 - 04 - 20),
            date!(2026 - 04 - 05),
            date!(2027 - 03 - 28),
            date!(2028 - 04 - 16),
            date!(2029 - 04 - 01),
            date!(2030 - 04 - 21),
        ];
        for (i, want) in expected.into_iter().enumerate() {
            let year = 2025 + i as i32;
            assert_eq!(easter_sunday(year), Some(want), "Easter {year}");
        }
        // Extremes of the Easter range and a century year.
        assert_eq!(easter_sunday(2285), Some(date!(2285 - 03 - 22)));
        assert_eq!(easter_sunday(2038), Some(date!(2038 - 04 - 25)));
        assert_eq!(easter_sunday(2000), Some(date!(2000 - 04 - 23)));
    }

    #[test]
    fn ascension_and_whit_monday_2025_to_2030() {
        let expected = [
            (2025, date!(2025 - 05 - 29), date!(2025 - 06 - 09)),
            (2026, date!(2026 - 05 - 14), date!(2026 - 05 - 25)),
            (2027, date!(2027 - 05 - 06), date!(2027 - 05 - 17)),
            (2028, date!(2028 - 05 - 25), date!(2028 - 06 - 05)),
            (2029, date!(2029 - 05 - 10), date!(2029 - 05 - 21)),
            (2030, date!(2030 - 05 - 30), date!(2030 - 06 - 10)),
        ];
        for (year, ascension, whit_monday) in expected {
            assert_eq!(ascension.weekday(), Weekday::Thursday);
            assert_eq!(whit_monday.weekday(), Weekday::Monday);
            assert_eq!(public_holiday(ascension), Some(Holiday::Hemelvaartsdag), "{year}");
            assert_eq!(public_holiday(whit_monday), Some(Holiday::TweedePinksterdag), "{year}");
        }
    }

    #[test]
    fn kings_day_moves_to_saturday_when_the_27th_is_a_sunday() {
        // 27 April 2025 was a Sunday: Koningsdag was Saturday 26 April.
        assert_eq!(date!(2025 - 04 - 27).weekday(), Weekday::Sunday);
        assert_eq!(public_holiday(date!(2025 - 04 - 26)), Some(Holiday::Koningsdag));
        assert_eq!(public_holiday(date!(2025 - 04 - 27)), None);
        // 2026: Monday 27 April.
        assert_eq!(public_holiday(date!(2026 - 04 - 27)), Some(Holiday::Koningsdag));
        // 2031: 27 April is a Sunday again.
        assert_eq!(public_holiday(date!(2031 - 04 - 26)), Some(Holiday::Koningsdag));
    }

    #[test]
    fn each_year_has_ten_holidays_and_good_friday_is_not_one() {
        for year in 2000..2100 {
            assert_eq!(public_holidays(year).len(), 10, "{year}");
        }
        assert_eq!(public_holiday(date!(2026 - 04 - 03)), None); // Goede Vrijdag 2026
        assert!(Calendar::new().is_working_day(date!(2026 - 04 - 03)));
        let school = Calendar::with_closed_days([date!(2026 - 04 - 03)]);
        assert!(!school.is_working_day(date!(2026 - 04 - 03)));
    }

    #[test]
    fn five_working_days_in_an_ordinary_week() {
        let cal = Calendar::new();
        // Monday 2 March 2026 → Monday 9 March.
        assert_eq!(cal.add_working_days(date!(2026 - 03 - 02), 5), date!(2026 - 03 - 09));
        // A report on Friday 6 March → Friday 13 March.
        assert_eq!(cal.add_working_days(date!(2026 - 03 - 06), 5), date!(2026 - 03 - 13));
        // A report on a Saturday counts from Monday: Saturday 7 March → Friday 13 March.
        assert_eq!(cal.add_working_days(date!(2026 - 03 - 07), 5), date!(2026 - 03 - 13));
        assert_eq!(cal.add_working_days(date!(2026 - 03 - 07), 0), date!(2026 - 03 - 07));
    }

    #[test]
    fn five_working_days_across_easter_kings_day_and_liberation_day() {
        let cal = Calendar::new();
        // Thursday 2 April 2026; Goede Vrijdag 3 April is a working day, Easter Monday 6 April is not:
        // Fri 3, Tue 7, Wed 8, Thu 9, Fri 10.
        assert_eq!(cal.add_working_days(date!(2026 - 04 - 02), 5), date!(2026 - 04 - 10));
        // A school closed on Goede Vrijdag: one day later.
        let school = Calendar::with_closed_days([date!(2026 - 04 - 03)]);
        assert_eq!(school.add_working_days(date!(2026 - 04 - 02), 5), date!(2026 - 04 - 13));
        // Thursday 23 April 2026; Koningsdag Monday 27 April: Fri 24, Tue 28, Wed 29, Thu 30, Fri 1 May.
        assert_eq!(cal.add_working_days(date!(2026 - 04 - 23), 5), date!(2026 - 05 - 01));
        // Thursday 30 April 2026; 5 May (Tuesday) is a holiday: Fri 1, Mon 4, Wed 6, Thu 7, Fri 8.
        assert_eq!(cal.add_working_days(date!(2026 - 04 - 30), 5), date!(2026 - 05 - 08));
    }

    #[test]
    fn five_working_days_across_ascension_whitsun_and_christmas() {
        let cal = Calendar::new();
        // Tuesday 12 May 2026; Ascension Thursday 14 May: Wed 13, Fri 15, Mon 18, Tue 19, Wed 20.
        assert_eq!(cal.add_working_days(date!(2026 - 05 - 12), 5), date!(2026 - 05 - 20));
        // Friday 22 May 2026; Whit Monday 25 May: Tue 26 … Fri 29, Mon 1 June.
        assert_eq!(cal.add_working_days(date!(2026 - 05 - 22), 5), date!(2026 - 06 - 01));
        // Wednesday 23 December 2026; Christmas Friday 25 and Saturday 26, New Year Friday 1 January 2027:
        // Thu 24, Mon 28, Tue 29, Wed 30, Thu 31.
        assert_eq!(cal.add_working_days(date!(2026 - 12 - 23), 5), date!(2026 - 12 - 31));
        // Wednesday 24 December 2025: Christmas Thursday 25 and Friday 26, New Year Thursday 1 January
        // 2026: Mon 29, Tue 30, Wed 31, Fri 2, Mon 5.
        assert_eq!(cal.add_working_days(date!(2025 - 12 - 24), 5), date!(2026 - 01 - 05));
    }

    #[test]
    fn working_days_between_is_the_inverse_of_adding() {
        let cal = Calendar::with_closed_days([date!(2026 - 04 - 03)]);
        let mut from = date!(2025 - 12 - 01);
        while from < date!(2027 - 01 - 31) {
            for n in [0u32, 1, 5, 20] {
                let to = cal.add_working_days(from, n);
                assert_eq!(cal.working_days_between(from, to), n, "{from} + {n}");
            }
            from = from.saturating_add(Duration::days(1));
        }
        assert_eq!(cal.working_days_between(date!(2026 - 03 - 09), date!(2026 - 03 - 02)), 0);
    }
}
