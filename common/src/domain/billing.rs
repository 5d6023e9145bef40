//! Billing records (請求情報): a tenant's charges for one billing period, line by line, from draft
//! to issued invoice.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{BillingPeriod, InvoiceNumber, Rounding, TaxCategory, TenantId, Totals, Yen, totals};

/// A billing record id: its period and 8 random characters, `2025-04-k3j9x2m1`. Leading with the
/// period keeps a tenant's records in period order in storage, so a period range is one query.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BillingId(String);

impl BillingId {
    const ALPHABET: &'static [u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

    pub fn parse(raw: &str) -> Result<Self, String> {
        let err = || "must be a billing id such as 2025-04-k3j9x2m1".to_string();
        let (period, rest) = (raw.get(..7).ok_or_else(err)?, raw.get(7..).ok_or_else(err)?);
        BillingPeriod::parse(period).map_err(|_| err())?;
        let ok = rest.len() == 9 && rest.starts_with('-') && rest[1..].bytes().all(|b| Self::ALPHABET.contains(&b));
        if ok { Ok(Self(raw.to_owned())) } else { Err(err()) }
    }

    pub fn new(period: BillingPeriod, random: [u8; 8]) -> Self {
        let suffix: String = random.iter().map(|b| Self::ALPHABET[(*b as usize) % Self::ALPHABET.len()] as char).collect();
        Self(format!("{period}-{suffix}"))
    }

    pub fn period(&self) -> BillingPeriod {
        // Parsing guaranteed the first seven characters are a period.
        BillingPeriod::parse(&self.0[..7]).unwrap_or_else(|_| unreachable!("billing ids start with their period"))
    }
}

/// A quantity on a line: a whole number of units, 1 to 1,000,000.
pub fn parse_quantity(q: i64) -> Result<i64, String> {
    if (1..=1_000_000).contains(&q) { Ok(q) } else { Err("must be a whole number from 1 to 1,000,000".into()) }
}

/// A unit price: whole yen, at most ¥999,999,999 either way (negative for a discount line).
pub fn parse_unit_price(p: i64) -> Result<Yen, String> {
    if (-999_999_999..=999_999_999).contains(&p) { Yen::new(p) } else { Err("must be whole yen between -999,999,999 and 999,999,999".into()) }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BillingLine {
    pub description: String,
    pub quantity: i64,
    pub unit_price: Yen,
    pub tax_category: TaxCategory,
}

impl BillingLine {
    /// quantity × unit price; `None` when it leaves `Yen`'s range.
    pub fn amount(&self) -> Option<Yen> {
        self.quantity.checked_mul(self.unit_price.get()).and_then(|v| Yen::new(v).ok())
    }
}

/// Where a billing record is in its life; see `lifecycle` for what each step freezes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum BillingStatus {
    Draft,
    /// Its invoice number is bound and its PDF is being rendered.
    Issuing,
    /// Its invoice number is bound and the operator's system is to upload the PDF.
    AwaitingUpload,
    Issued,
    Paid,
    Void,
}

impl BillingStatus {
    pub const ALL: [BillingStatus; 6] = [Self::Draft, Self::Issuing, Self::AwaitingUpload, Self::Issued, Self::Paid, Self::Void];

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw).ok_or_else(|| "must be one of draft, issuing, awaitingUpload, issued, paid, void".into())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Issuing => "issuing",
            Self::AwaitingUpload => "awaitingUpload",
            Self::Issued => "issued",
            Self::Paid => "paid",
            Self::Void => "void",
        }
    }

    /// Issued, paid or void: what a tenant may see.
    pub fn is_delivered(self) -> bool {
        matches!(self, Self::Issued | Self::Paid | Self::Void)
    }
}

/// What the operator sets on a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingContent {
    pub lines: Vec<BillingLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
}

impl BillingContent {
    pub fn totals(&self, rounding: Rounding) -> Result<Totals, String> {
        let amounts: Option<Vec<(TaxCategory, Yen)>> = self.lines.iter().map(|l| l.amount().map(|a| (l.tax_category, a))).collect();
        totals(amounts.ok_or("a line amount is beyond ¥999,999,999,999")?, rounding)
    }
}

/// What binding an invoice number fixed on a billing record: the number, and the totals as
/// invoiced with the rounding they used (copied from the invoice in the same write).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    pub invoice_number: InvoiceNumber,
    pub rounding: Rounding,
    pub totals: Totals,
}

/// A billing record. Its content, status and binding are private: only the transitions in
/// `lifecycle` change them, so no caller can edit what an invoice number is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingRecord {
    pub billing_id: BillingId,
    pub tenant_id: TenantId,
    pub period: BillingPeriod,
    #[serde(flatten)]
    content: BillingContent,
    status: BillingStatus,
    /// Set when a number is bound; kept when paid or voided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    binding: Option<Binding>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl BillingRecord {
    /// A new draft, version 1.
    pub fn draft(billing_id: BillingId, tenant_id: TenantId, content: BillingContent, now: DateTime<Utc>) -> Self {
        let period = billing_id.period();
        Self { billing_id, tenant_id, period, content, status: BillingStatus::Draft, binding: None, created_at: now, updated_at: now, version: 1 }
    }

    pub fn content(&self) -> &BillingContent {
        &self.content
    }

    pub fn status(&self) -> BillingStatus {
        self.status
    }

    pub fn binding(&self) -> Option<&Binding> {
        self.binding.as_ref()
    }

    pub fn invoice_number(&self) -> Option<&InvoiceNumber> {
        self.binding.as_ref().map(|b| &b.invoice_number)
    }

    /// The totals to show and the rounding they use: as invoiced once a number is bound, with
    /// `current` (today's issuer setting) only while a draft.
    pub fn totals(&self, current: Rounding) -> Result<(Totals, Rounding), String> {
        match &self.binding {
            Some(b) => Ok((b.totals.clone(), b.rounding)),
            None => Ok((self.content.totals(current)?, current)),
        }
    }

    pub fn etag(&self) -> String {
        super::etag_of(self.version)
    }

    pub(super) fn set_status(&mut self, status: BillingStatus) {
        self.status = status;
    }

    pub(super) fn set_content(&mut self, content: BillingContent) {
        self.content = content;
    }

    pub(super) fn set_binding(&mut self, binding: Binding) {
        self.binding = Some(binding);
    }
}

impl super::Versioned for BillingRecord {
    fn version(&self) -> u64 {
        self.version
    }

    fn stamp(&mut self, now: DateTime<Utc>, version: u64) {
        self.updated_at = now;
        self.version = version;
    }
}

/// Which billing records a listing returns: periods `from..=to` (either open), and statuses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingFilter {
    pub from: Option<BillingPeriod>,
    pub to: Option<BillingPeriod>,
    /// `None`: every status.
    pub statuses: Option<Vec<BillingStatus>>,
}

impl BillingFilter {
    pub fn matches(&self, b: &BillingRecord) -> bool {
        self.from.is_none_or(|f| b.period >= f) && self.to.is_none_or(|t| b.period <= t) && self.statuses.as_ref().is_none_or(|s| s.contains(&b.status))
    }

    /// Names the query for cursor binding.
    pub fn scope(&self) -> String {
        let statuses = self.statuses.as_ref().map(|s| s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(",")).unwrap_or_default();
        format!(
            "billings?from={}&to={}&status={statuses}",
            self.from.map(|p| p.to_string()).unwrap_or_default(),
            self.to.map(|p| p.to_string()).unwrap_or_default()
        )
    }
}

super::newtype::parsed_string!(BillingId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_lead_with_their_period() {
        let id = BillingId::new(BillingPeriod::parse("2025-04").unwrap(), [1, 2, 3, 4, 5, 6, 7, 200]);
        assert_eq!(BillingId::parse(id.as_str()), Ok(id.clone()));
        assert_eq!(id.period().to_string(), "2025-04");
        for bad in ["", "2025-04", "2025-04-", "2025-13-abcdefgh", "2025-04-abcdefg", "2025-04-ABCDEFGH", "2025-04_abcdefgh", "2025-04-abcdefghi"] {
            assert!(BillingId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in BillingStatus::ALL {
            assert_eq!(BillingStatus::parse(s.as_str()), Ok(s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
        assert!(BillingStatus::parse("Draft").is_err());
    }

    #[test]
    fn line_amounts_stay_in_range() {
        let line = |q, p| BillingLine { description: "x".into(), quantity: q, unit_price: Yen::new(p).unwrap(), tax_category: TaxCategory::Standard };
        assert_eq!(line(3, -500).amount(), Some(Yen::new(-1500).unwrap()));
        assert_eq!(line(1_000_000, 999_999_999).amount(), None);
    }
}
