//! Identifiers. Each is constructed only by parsing, so a value in hand is always well formed.

use serde::{Deserialize, Serialize};

/// A tenant id: `tn_` followed by exactly 16 characters of `[0-9a-z]`.
///
/// The fixed length matters: storage keys are `TENANT#<id>`, and with IAM's prefix-matched
/// `dynamodb:LeadingKeys` a shorter id that prefixes a longer one would grant access to both.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    pub const PREFIX: &'static str = "tn_";
    pub const RANDOM_LEN: usize = 16;
    const ALPHABET: &'static [u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

    pub fn parse(raw: &str) -> Result<Self, String> {
        let rest = raw.strip_prefix(Self::PREFIX).ok_or_else(Self::format_message)?;
        if rest.len() != Self::RANDOM_LEN || !rest.bytes().all(|b| Self::ALPHABET.contains(&b)) {
            return Err(Self::format_message());
        }
        Ok(Self(raw.to_owned()))
    }

    /// Builds an id from 16 random symbols chosen by the caller's generator (see `clock::IdGenerator`).
    pub fn from_random(symbols: [u8; 16]) -> Self {
        let mut s = String::with_capacity(Self::PREFIX.len() + Self::RANDOM_LEN);
        s.push_str(Self::PREFIX);
        for b in symbols {
            s.push(Self::ALPHABET[(b as usize) % Self::ALPHABET.len()] as char);
        }
        Self(s)
    }

    fn format_message() -> String {
        "must be \"tn_\" followed by 16 characters of 0-9 and a-z".into()
    }
}

/// A contract id chosen by the operator's system: 1 to 64 characters of `[A-Za-z0-9_-]`,
/// starting with a letter or digit (e.g. `C-2025-0001`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContractId(String);

impl ContractId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && raw.as_bytes()[0].is_ascii_alphanumeric()
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok { Ok(Self(raw.to_owned())) } else { Err("must be 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_', starting with a letter or digit".into()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_have_one_fixed_shape() {
        assert!(TenantId::parse("tn_0123456789abcdef").is_ok());
        for bad in [
            "",
            "tn_",
            "tn_0123456789abcde",
            "tn_0123456789abcdefg",
            "TN_0123456789abcdef",
            "tn_0123456789ABCDEF",
            "tn_0123456789abcde#",
            "xx_0123456789abcdef",
        ] {
            assert!(TenantId::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn no_tenant_id_prefixes_another() {
        // Same length and same alphabet: a prefix of a valid id is never itself valid.
        let id = TenantId::from_random([7; 16]);
        for cut in 0..id.as_str().len() {
            assert!(TenantId::parse(&id.as_str()[..cut]).is_err());
        }
        assert!(TenantId::parse(id.as_str()).is_ok());
    }

    #[test]
    fn random_ids_parse() {
        let id = TenantId::from_random([0, 1, 2, 35, 36, 255, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
        assert_eq!(TenantId::parse(id.as_str()), Ok(id));
    }

    #[test]
    fn contract_ids() {
        assert!(ContractId::parse("C-2025-0001").is_ok());
        assert!(ContractId::parse(&"a".repeat(64)).is_ok());
        for bad in ["", "-a", "_a", "a#b", "a/b", "契約", &"a".repeat(65), "a b"] {
            assert!(ContractId::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn serde_goes_through_parse() {
        assert!(serde_json::from_str::<TenantId>("\"tn_0123456789abcdef\"").is_ok());
        assert!(serde_json::from_str::<TenantId>("\"tn_x\"").is_err());
    }
}

/// An API Gateway API key id (not the key's secret value).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ApiKeyId(String);

impl ApiKeyId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if !raw.is_empty() && raw.len() <= 128 && raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be 1 to 128 letters and digits".into())
        }
    }
}

super::newtype::parsed_string!(TenantId, ContractId, ApiKeyId);
