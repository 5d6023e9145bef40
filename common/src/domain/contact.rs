//! Contact details that parse: e-mail addresses and Japanese postal codes.

use serde::{Deserialize, Serialize};

/// An e-mail address checked for shape (one `@`, a dotted domain, no spaces), not deliverability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        let err = || "must be an e-mail address such as billing@example.co.jp".to_string();
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err());
        }
        let (local, domain) = s.split_once('@').ok_or_else(err)?;
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'));
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(err());
        }
        Ok(Self(s.to_owned()))
    }
}

/// A Japanese postal code, `NNN-NNNN`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PostalCode(String);

impl PostalCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let b = raw.as_bytes();
        if b.len() == 8 && b[3] == b'-' && b[..3].iter().chain(&b[4..]).all(u8::is_ascii_digit) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be a postal code written NNN-NNNN, e.g. 690-0887".into())
        }
    }
}

super::newtype::parsed_string!(Email, PostalCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["a@example.co.jp", "billing+jp@x.io", " keiri@example.com "] {
            assert!(Email::parse(ok).is_ok(), "{ok:?}");
        }
        for bad in ["", "a", "a@", "@b.c", "a@b", "a@@b.c", "a b@c.d", "a@b..c", "a@-b.c", "a@b.c\u{0}x"] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn postal_codes() {
        assert!(PostalCode::parse("690-0887").is_ok());
        for bad in ["6900887", "690-088", "69a-0887", "690ー0887", "690-08870"] {
            assert!(PostalCode::parse(bad).is_err(), "{bad:?}");
        }
    }
}
