//! The one place that reads the clock, and Dutch local time (the meldcode's dates are Dutch dates).

use time::{Date, Duration, Month, OffsetDateTime, UtcOffset};

/// Now, in UTC.
pub fn now_utc() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// `at` in Dutch local time: CEST (+02:00) from the last Sunday of March 01:00 UTC until the last Sunday
/// of October 01:00 UTC, CET (+01:00) otherwise (EU summer-time rule).
pub fn dutch_local(at: OffsetDateTime) -> OffsetDateTime {
    let utc = at.to_offset(UtcOffset::UTC);
    let year = utc.year();
    let starts = last_sunday(year, Month::March).with_hms(1, 0, 0).map(|t| t.assume_utc());
    let ends = last_sunday(year, Month::October).with_hms(1, 0, 0).map(|t| t.assume_utc());
    let summer = matches!((starts, ends), (Ok(s), Ok(e)) if utc >= s && utc < e);
    let hours = if summer { 2 } else { 1 };
    match UtcOffset::from_hms(hours, 0, 0) {
        Ok(offset) => utc.to_offset(offset),
        Err(_) => utc,
    }
}

/// Today's date in the Netherlands.
pub fn today_nl() -> Date {
    dutch_local(now_utc()).date()
}

fn last_sunday(year: i32, month: Month) -> Date {
    let first_of_next = match month {
        Month::December => Date::from_calendar_date(year + 1, Month::January, 1),
        m => Date::from_calendar_date(year, m.next(), 1),
    };
    let last = first_of_next.map(|d| d - Duration::days(1)).unwrap_or(Date::MIN);
    // Back from the month's last day to its Sunday: one weekday computation, not one per day.
    last - Duration::days(i64::from(last.weekday().number_days_from_sunday()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn summer_and_winter_time() {
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(dutch_local(datetime!(2026-03-29 00:59 UTC)).offset().whole_hours(), 1);
        assert_eq!(dutch_local(datetime!(2026-03-29 01:00 UTC)).offset().whole_hours(), 2);
        assert_eq!(dutch_local(datetime!(2026-10-25 00:59 UTC)).offset().whole_hours(), 2);
        assert_eq!(dutch_local(datetime!(2026-10-25 01:00 UTC)).offset().whole_hours(), 1);
        // Late evening UTC is already the next day in the Netherlands.
        assert_eq!(dutch_local(datetime!(2026-06-30 22:30 UTC)).date(), time::macros::date!(2026 - 07 - 01));
    }

    #[test]
    fn the_last_sunday_is_a_sunday_in_the_months_last_week() {
        for year in 2000..2100 {
            for month in [Month::March, Month::October, Month::December, Month::February] {
                let sunday = last_sunday(year, month);
                assert_eq!(sunday.weekday(), time::Weekday::Sunday, "{year} {month}");
                assert_eq!(sunday.month(), month, "{year} {month}");
                assert!(sunday.day() + 7 > time::util::days_in_month(month, year), "{year} {month}: {sunday}");
            }
        }
    }
}
