//! Partial calendar dates: a year, a year and month, or a full date.
//!
//! Agreements are often known only to the year (`2003`) or the month (`2011-07`).
//! [`PartialDate`] keeps exactly the precision it was given, prints back unchanged,
//! and orders so that a coarser date sorts before the finer dates it contains
//! (`2003` < `2003-01` < `2003-07-17` < `2004`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A year (`2003`), a year-month (`2011-07`) or a full date (`2003-07-17`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartialDate {
    year: u16,
    month: Option<u8>,
    day: Option<u8>,
}

/// Why a string is not a [`PartialDate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a date: {reason} (expected YYYY, YYYY-MM or YYYY-MM-DD)")]
pub struct DateError {
    input: String,
    reason: &'static str,
}

/// A day as `(year, month, day)`, comparable.
pub type Day = (u16, u8, u8);

impl PartialDate {
    /// Builds a date, checking month and day ranges (leap years included).
    pub fn new(year: u16, month: Option<u8>, day: Option<u8>) -> Result<Self, &'static str> {
        if !(1..=9999).contains(&year) {
            return Err("year must be between 0001 and 9999");
        }
        match (month, day) {
            (None, Some(_)) => return Err("a day needs a month"),
            (Some(m), _) if !(1..=12).contains(&m) => return Err("month must be 01..12"),
            (Some(m), Some(d)) if d == 0 || d > days_in_month(year, m) => {
                return Err("day is out of range for the month")
            }
            _ => {}
        }
        Ok(Self { year, month, day })
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, when known.
    pub fn month(&self) -> Option<u8> {
        self.month
    }

    /// The day of the month, when known.
    pub fn day(&self) -> Option<u8> {
        self.day
    }

    /// The first day the date can stand for (`2003` → 2003-01-01).
    pub fn earliest(&self) -> Day {
        (self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
    }

    /// The last day the date can stand for (`2003-02` → 2003-02-28).
    pub fn latest(&self) -> Day {
        let month = self.month.unwrap_or(12);
        let day = self.day.unwrap_or_else(|| days_in_month(self.year, month));
        (self.year, month, day)
    }

    /// True when something dated `self` had happened by the end of `cut`:
    /// `2003` and `2003-07-17` both count as of `2003-07-17`, `2004` does not.
    pub fn is_by(&self, cut: &PartialDate) -> bool {
        self.earliest() <= cut.latest()
    }
}

fn is_leap(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn digits<T: FromStr>(part: &str, len: usize) -> Option<T> {
    (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
        .then(|| part.parse().ok())
        .flatten()
}

impl FromStr for PartialDate {
    type Err = DateError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason| DateError {
            input: input.chars().take(40).collect(),
            reason,
        };
        let mut parts = input.split('-');
        let year = parts
            .next()
            .and_then(|p| digits::<u16>(p, 4))
            .ok_or_else(|| fail("the year must have four digits"))?;
        let month = match parts.next() {
            None => None,
            Some(p) => {
                Some(digits::<u8>(p, 2).ok_or_else(|| fail("the month must have two digits"))?)
            }
        };
        let day = match parts.next() {
            None => None,
            Some(p) => {
                Some(digits::<u8>(p, 2).ok_or_else(|| fail("the day must have two digits"))?)
            }
        };
        if parts.next().is_some() {
            return Err(fail("too many parts"));
        }
        PartialDate::new(year, month, day).map_err(fail)
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
        }
        if let Some(d) = self.day {
            write!(f, "-{d:02}")?;
        }
        Ok(())
    }
}

impl Serialize for PartialDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> PartialDate {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_prints_back_every_precision() {
        for s in ["2003", "2011-07", "2003-07-17", "0001", "2000-02-29"] {
            assert_eq!(date(s).to_string(), s);
        }
    }

    #[test]
    fn rejects_malformed_dates() {
        for s in [
            "",
            "03",
            "2003-7",
            "2003-13",
            "2003-00",
            "2003-02-30",
            "1900-02-29",
            "2003-07-17-1",
            "abcd",
            "2003/07",
            "0000",
            "2003-07-1",
            " 2003",
            "２００３",
        ] {
            assert!(s.parse::<PartialDate>().is_err(), "{s} should be rejected");
        }
    }

    #[test]
    fn coarser_dates_sort_before_the_dates_they_contain() {
        assert!(date("2003") <= date("2003-07-17"));
        assert!(date("2003") < date("2003-01"));
        assert!(date("2003-07") < date("2003-07-01"));
        assert!(date("2003-12-31") < date("2004"));
    }

    #[test]
    fn as_of_cut_uses_the_earliest_day_against_the_latest_day_of_the_cut() {
        assert!(date("2003").is_by(&date("2003-07-17")));
        assert!(date("2003-07-17").is_by(&date("2003")));
        assert!(!date("2003-07-18").is_by(&date("2003-07-17")));
        assert!(!date("2004").is_by(&date("2003")));
        assert_eq!(date("2004-02").latest(), (2004, 2, 29));
    }
}
