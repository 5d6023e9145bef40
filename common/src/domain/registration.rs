//! 登録番号: a qualified-invoice issuer's registration number, `T` + 13 digits, the 13 digits being
//! a corporate number whose first digit is a check digit over the other twelve.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegistrationNumber(String);

/// The check digit of a 12-digit corporate-number base: 9 − (Σ Pn×Qn mod 9), where Pn is the n-th
/// digit from the right and Qn is 1 for odd n, 2 for even n.
pub fn check_digit(base: &[u8; 12]) -> u8 {
    let sum: u32 = base.iter().rev().enumerate().map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 1 } else { 2 }).sum();
    9 - (sum % 9) as u8
}

impl RegistrationNumber {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let digits = raw.strip_prefix('T').filter(|d| d.len() == 13 && d.bytes().all(|b| b.is_ascii_digit()));
        let Some(digits) = digits else {
            return Err("must be T followed by 13 digits, e.g. T8700110005901".into());
        };
        let d: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
        let mut base = [0u8; 12];
        base.copy_from_slice(&d[1..]);
        if check_digit(&base) != d[0] {
            return Err("has a wrong check digit: check the number on the issuer's registration notice".into());
        }
        Ok(Self(raw.to_owned()))
    }
}

super::newtype::parsed_string!(RegistrationNumber);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_numbers_pass() {
        // National Tax Agency (国税庁) corporate number 7000012050002, and the sample in its
        // check-digit specification, 8700110005901.
        assert!(RegistrationNumber::parse("T7000012050002").is_ok());
        assert!(RegistrationNumber::parse("T8700110005901").is_ok());
    }

    #[test]
    fn every_wrong_check_digit_fails() {
        for bad_check in (0..=9).filter(|d| *d != 8) {
            let n = format!("T{bad_check}700110005901");
            assert!(RegistrationNumber::parse(&n).unwrap_err().contains("check digit"), "{n}");
        }
    }

    #[test]
    fn shape_is_checked() {
        for bad in ["8700110005901", "T870011000590", "T87001100059012", "t8700110005901", "T870011000590X", "T８７００１１０００５９０１"] {
            assert!(RegistrationNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn check_digit_is_a_single_digit_from_1_to_9() {
        for n in [0u64, 1, 999_999_999_999, 123_456_789_012, 700_110_005_901] {
            let s = format!("{n:012}");
            let mut base = [0u8; 12];
            for (b, c) in base.iter_mut().zip(s.bytes()) {
                *b = c - b'0';
            }
            let d = check_digit(&base);
            assert!((1..=9).contains(&d));
            assert!(RegistrationNumber::parse(&format!("T{d}{s}")).is_ok());
        }
    }
}
