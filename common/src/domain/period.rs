//! Billing period: one calendar month, written `YYYY-MM`.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BillingPeriod {
    year: u16,
    month: u8,
}

impl BillingPeriod {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let err = || "must be a month written YYYY-MM, between 2000-01 and 2999-12".to_string();
        let b = raw.as_bytes();
        if b.len() != 7 || b[4] != b'-' || !b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit) {
            return Err(err());
        }
        let year: u16 = raw[..4].parse().map_err(|_| err())?;
        let month: u8 = raw[5..].parse().map_err(|_| err())?;
        if !(2000..=2999).contains(&year) || !(1..=12).contains(&month) {
            return Err(err());
        }
        Ok(Self { year, month })
    }

    pub fn of_date(d: NaiveDate) -> Self {
        // chrono's year is within 2000..=2999 for any date this service stores; clamp defensively.
        Self { year: d.year().clamp(2000, 2999) as u16, month: d.month() as u8 }
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year.into(), self.month.into(), 1)
    }

    pub fn next(self) -> Option<Self> {
        let (y, m) = if self.month == 12 { (self.year + 1, 1) } else { (self.year, self.month + 1) };
        (y <= 2999).then_some(Self { year: y, month: m })
    }
}

impl fmt::Display for BillingPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl TryFrom<String> for BillingPeriod {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<BillingPeriod> for String {
    fn from(p: BillingPeriod) -> String {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let p = BillingPeriod::parse("2025-03").unwrap();
        assert_eq!((p.year(), p.month()), (2025, 3));
        assert_eq!(p.to_string(), "2025-03");
        assert_eq!(p.first_day(), NaiveDate::from_ymd_opt(2025, 3, 1));
    }

    #[test]
    fn refuses_other_shapes() {
        for bad in ["2025-3", "2025-13", "2025-00", "1999-12", "3000-01", "2025/03", "２０２５-03", "2025-03-01", "+025-03"] {
            assert!(BillingPeriod::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn orders_and_steps_by_month() {
        let dec = BillingPeriod::parse("2025-12").unwrap();
        assert_eq!(dec.next(), Some(BillingPeriod::parse("2026-01").unwrap()));
        assert!(dec < BillingPeriod::parse("2026-01").unwrap());
        assert_eq!(BillingPeriod::parse("2999-12").unwrap().next(), None);
    }
}
