//! How issued invoices' PDFs are kept (電子帳簿保存法): every object under
//! `tenants/<id>/invoices/` is written with a retain-until date (S3 Object Lock on AWS; the
//! embedded store's own metadata locally) and cannot be replaced or deleted before it. Staging
//! uploads (`tenants/<id>/uploads/`) and anything else are not locked.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Months, SubsecRound, TimeDelta, Utc};

use super::ObjectKey;

/// S3 Object Lock's retention modes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LockMode {
    /// Nobody can shorten or remove the retention, the account's root user included, until it
    /// ends (only closing the account removes the objects).
    Compliance,
    /// A principal granted `s3:BypassGovernanceRetention` (and sending the bypass header) can
    /// still delete a version or shorten its retention; no seikyu function has that permission.
    #[default]
    Governance,
}

impl LockMode {
    /// S3's name for the mode (`ObjectLockMode`).
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::Compliance => "COMPLIANCE",
            LockMode::Governance => "GOVERNANCE",
        }
    }
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LockMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "GOVERNANCE" => Ok(LockMode::Governance),
            "COMPLIANCE" => Ok(LockMode::Compliance),
            other => Err(format!("{} must be GOVERNANCE or COMPLIANCE, not {other:?}", PdfRetention::MODE_ENV)),
        }
    }
}

/// How long, and in which mode, issued PDFs are locked from when they are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfRetention {
    pub years: u32,
    pub mode: LockMode,
}

impl Default for PdfRetention {
    fn default() -> Self {
        Self { years: Self::DEFAULT_YEARS, mode: LockMode::default() }
    }
}

impl PdfRetention {
    pub const YEARS_ENV: &'static str = "SEIKYU_PDF_RETENTION_YEARS";
    pub const MODE_ENV: &'static str = "SEIKYU_PDF_LOCK_MODE";
    /// 7 years: what the corporation tax act asks of invoices; 10 where losses are carried forward.
    pub const DEFAULT_YEARS: u32 = 7;
    pub const MIN_YEARS: u32 = 7;
    pub const MAX_YEARS: u32 = 10;

    /// From `SEIKYU_PDF_RETENTION_YEARS` (7–10, default 7) and `SEIKYU_PDF_LOCK_MODE`
    /// (`GOVERNANCE`, the default, or `COMPLIANCE`); an empty variable counts as unset.
    pub fn from_env() -> Result<Self, String> {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.trim().is_empty());
        Self::parse(var(Self::YEARS_ENV).as_deref(), var(Self::MODE_ENV).as_deref())
    }

    pub fn parse(years: Option<&str>, mode: Option<&str>) -> Result<Self, String> {
        let years = match years {
            None => Self::DEFAULT_YEARS,
            Some(y) => y
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|y| (Self::MIN_YEARS..=Self::MAX_YEARS).contains(y))
                .ok_or_else(|| format!("{} must be a whole number of years from {} to {}, not {y:?}", Self::YEARS_ENV, Self::MIN_YEARS, Self::MAX_YEARS))?,
        };
        let mode = mode.map(str::parse).transpose()?.unwrap_or_default();
        Ok(Self { years, mode })
    }

    /// Whether objects under `key` are locked: issued invoices' PDFs (`tenants/<id>/invoices/…`).
    pub fn applies_to(key: &ObjectKey) -> bool {
        let mut parts = key.as_str().split('/').skip(2);
        parts.next() == Some("invoices") && parts.next().is_some()
    }

    /// When an object stored at `stored` may be deleted: `years` later, in whole seconds (rounded
    /// up, as S3 keeps them), 29 February becoming 28 February.
    pub fn retain_until(&self, stored: DateTime<Utc>) -> DateTime<Utc> {
        let whole = stored.trunc_subsecs(0);
        let up = if whole < stored { whole + TimeDelta::seconds(1) } else { whole };
        up.checked_add_months(Months::new(self.years * 12)).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The retain-until date that holds for an object at `key`: the one stored with it, or, for
    /// an invoice PDF stored without one (before locking was turned on), `years` after it was
    /// written. `None`: not retained.
    pub fn effective_until(&self, key: &ObjectKey, stored_until: Option<DateTime<Utc>>, last_modified: DateTime<Utc>) -> Option<DateTime<Utc>> {
        stored_until.or_else(|| Self::applies_to(key).then(|| self.retain_until(last_modified)))
    }
}

/// The refusal for changing an object under retention.
#[cfg_attr(not(any(feature = "s3", feature = "embedded")), allow(dead_code))]
pub(crate) fn retained(key: &ObjectKey, until: DateTime<Utc>) -> super::StoreError {
    super::StoreError::Retained(format!("{key} is an issued invoice's PDF, kept unchanged until {}", until.format("%Y-%m-%dT%H:%M:%SZ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_environment_strictly() {
        assert_eq!(PdfRetention::parse(None, None), Ok(PdfRetention { years: 7, mode: LockMode::Governance }));
        assert_eq!(PdfRetention::parse(Some("10"), Some("COMPLIANCE")), Ok(PdfRetention { years: 10, mode: LockMode::Compliance }));
        assert_eq!(PdfRetention::parse(Some(" 8 "), Some("governance")), Ok(PdfRetention { years: 8, mode: LockMode::Governance }));
        for bad in ["6", "11", "0", "seven", "-7", "7.5"] {
            assert!(PdfRetention::parse(Some(bad), None).is_err_and(|e| e.contains(PdfRetention::YEARS_ENV)), "{bad}");
        }
        assert!(PdfRetention::parse(None, Some("LEGAL_HOLD")).is_err_and(|e| e.contains(PdfRetention::MODE_ENV)));
    }

    #[test]
    fn only_invoice_pdfs_are_locked_for_whole_years() {
        let t = crate::domain::TenantId::parse("tn_0000000000000001").unwrap();
        assert!(PdfRetention::applies_to(&ObjectKey::new(&t, "invoices/INV-2025-000001.pdf").unwrap()));
        for other in ["uploads/INV-2025-000001.pdf", "exports/invoices.zip", "invoices"] {
            assert!(!PdfRetention::applies_to(&ObjectKey::new(&t, other).unwrap()), "{other}");
        }
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let r = PdfRetention::default();
        assert_eq!(r.retain_until(at("2025-04-01T09:00:00Z")), at("2032-04-01T09:00:00Z"));
        assert_eq!(r.retain_until(at("2025-04-01T09:00:00.250Z")), at("2032-04-01T09:00:01Z"));
        assert_eq!(PdfRetention { years: 10, ..r }.retain_until(at("2024-02-29T00:00:00Z")), at("2034-02-28T00:00:00Z"));
        let key = ObjectKey::new(&t, "invoices/INV-2025-000001.pdf").unwrap();
        assert_eq!(r.effective_until(&key, None, at("2025-04-01T09:00:00Z")), Some(at("2032-04-01T09:00:00Z")));
        assert_eq!(r.effective_until(&key, Some(at("2035-01-01T00:00:00Z")), at("2025-04-01T09:00:00Z")), Some(at("2035-01-01T00:00:00Z")));
        let upload = ObjectKey::new(&t, "uploads/x.pdf").unwrap();
        assert_eq!(r.effective_until(&upload, None, at("2025-04-01T09:00:00Z")), None);
    }
}
