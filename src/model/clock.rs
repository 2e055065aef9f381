//! The one clock: when a change, a token or a repair happened, as the store records it.

use time::OffsetDateTime;

/// The current time as RFC 3339 in UTC, always with three fractional digits
/// (`2026-12-04T20:00:00.120Z`), so that times compare correctly as strings.
pub fn now_rfc3339() -> String {
    format_utc_millis(OffsetDateTime::now_utc())
}

fn format_utc_millis(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use time::{Date, Month, OffsetDateTime, Time};

    fn at(millisecond: u16) -> OffsetDateTime {
        let date = Date::from_calendar_date(2026, Month::December, 4).unwrap();
        let time = Time::from_hms_milli(22, 9, 48, millisecond).unwrap();
        date.with_time(time).assume_utc()
    }

    #[test]
    fn times_keep_three_fractional_digits_even_when_they_end_in_zero() {
        assert_eq!(
            super::format_utc_millis(at(460)),
            "2026-12-04T22:09:48.460Z"
        );
        assert_eq!(super::format_utc_millis(at(0)), "2026-12-04T22:09:48.000Z");
        assert!(super::format_utc_millis(at(460)) < super::format_utc_millis(at(461)));
        let now = super::now_rfc3339();
        assert_eq!(now.len(), "2026-12-04T20:00:00.120Z".len(), "{now}");
    }
}
