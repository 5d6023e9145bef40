//! Money in integer yen. Never floating point: a yen amount is an exact count.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount in yen. Bounded to ±999,999,999,999 so that any sum of a few thousand amounts stays
/// exact in an `i64` and in a JavaScript number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Yen(i64);

impl Yen {
    pub const MAX: i64 = 999_999_999_999;
    pub const ZERO: Yen = Yen(0);

    pub fn new(v: i64) -> Result<Self, String> {
        if (-Self::MAX..=Self::MAX).contains(&v) { Ok(Self(v)) } else { Err(format!("must be between -{max} and {max} yen", max = Self::MAX)) }
    }

    /// A price or fee: zero or more.
    pub fn non_negative(v: i64) -> Result<Self, String> {
        if v < 0 {
            return Err("must not be negative".into());
        }
        Self::new(v)
    }

    pub fn get(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Yen) -> Option<Yen> {
        self.0.checked_add(other.0).and_then(|v| Yen::new(v).ok())
    }
}

impl TryFrom<i64> for Yen {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        Self::new(v)
    }
}

impl From<Yen> for i64 {
    fn from(y: Yen) -> i64 {
        y.0
    }
}

impl fmt::Display for Yen {
    /// `¥1,234,567` as printed on invoices.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 2);
        if self.0 < 0 {
            out.push('-');
        }
        out.push('¥');
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(Yen::new(Yen::MAX).is_ok());
        assert!(Yen::new(-Yen::MAX).is_ok());
        assert!(Yen::new(Yen::MAX + 1).is_err());
        assert!(Yen::non_negative(-1).is_err());
        assert_eq!(Yen::non_negative(0), Ok(Yen::ZERO));
    }

    #[test]
    fn addition_stays_in_bounds() {
        let max = Yen::new(Yen::MAX).unwrap();
        assert_eq!(max.checked_add(Yen::new(1).unwrap()), None);
        assert_eq!(Yen::new(2).unwrap().checked_add(Yen::new(-3).unwrap()), Some(Yen::new(-1).unwrap()));
    }

    #[test]
    fn display_groups_thousands() {
        assert_eq!(Yen::new(0).unwrap().to_string(), "¥0");
        assert_eq!(Yen::new(999).unwrap().to_string(), "¥999");
        assert_eq!(Yen::new(1000).unwrap().to_string(), "¥1,000");
        assert_eq!(Yen::new(-1234567).unwrap().to_string(), "-¥1,234,567");
    }

    #[test]
    fn json_refuses_fractions_and_strings() {
        assert!(serde_json::from_str::<Yen>("1.5").is_err());
        assert!(serde_json::from_str::<Yen>("\"100\"").is_err());
        assert_eq!(serde_json::from_str::<Yen>("100").unwrap().get(), 100);
    }
}
