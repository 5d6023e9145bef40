//! Invoices (請求書): what issuing a billing record produces. An invoice is a frozen copy of what
//! was billed, to whom, by whom, with its gapless number; once issued it never changes, except to
//! be voided (keeping its number).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{BillingId, BillingLine, BillingPeriod, CustomerProfile, RegistrationNumber, Rounding, TenantId, Totals};

/// The issuer (the operator, as a qualified-invoice issuer), set by the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerSettings {
    pub name: String,
    pub address: String,
    pub registration_number: RegistrationNumber,
    /// Printed under お振込先, e.g. "しまね銀行 松江支店 普通 1234567 カ）セイキュウ".
    pub bank_details: String,
    /// Invoice numbers are `<prefix>-<year>-<6-digit sequence>`.
    pub invoice_prefix: InvoicePrefix,
    pub rounding: Rounding,
    /// How month-end runs date the invoices they generate.
    #[serde(default)]
    pub invoice_dates: super::InvoiceDates,
    pub version: u64,
    pub updated_at: DateTime<Utc>,
}

impl IssuerSettings {
    pub fn etag(&self) -> String {
        super::etag_of(self.version)
    }
}

/// 1 to 10 characters of `[A-Z0-9]`, e.g. `INV`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InvoicePrefix(String);

impl InvoicePrefix {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if !raw.is_empty() && raw.len() <= 10 && raw.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be 1 to 10 characters of A-Z and 0-9, e.g. INV".into())
        }
    }
}

/// `<prefix>-<year>-<sequence, 6 digits or more>`: sequences are per issuer and year, gapless.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InvoiceNumber(String);

impl InvoiceNumber {
    pub fn new(prefix: &InvoicePrefix, year: i32, seq: u64) -> Self {
        Self(format!("{}-{year:04}-{seq:06}", prefix.0))
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        let err = || "must be an invoice number such as INV-2025-000123".to_string();
        let mut parts = raw.split('-');
        let (Some(prefix), Some(year), Some(seq), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else { return Err(err()) };
        InvoicePrefix::parse(prefix).map_err(|_| err())?;
        let year_ok = year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit());
        let seq_ok = (6..=12).contains(&seq.len()) && seq.bytes().all(|b| b.is_ascii_digit());
        if year_ok && seq_ok { Ok(Self(raw.to_owned())) } else { Err(err()) }
    }

    /// The sequence part.
    pub fn seq(&self) -> u64 {
        self.0.rsplit('-').next().and_then(|s| s.parse().ok()).unwrap_or(0)
    }
}

/// Where an invoice is in its life; see `lifecycle` for what each step freezes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum InvoiceStatus {
    /// Numbered, its PDF being rendered: not yet an invoice anyone but the operator sees.
    Rendering,
    /// Numbered, waiting for the PDF the operator's system uploads: seen by the operator only.
    AwaitingUpload,
    Issued,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "rendering" => Ok(Self::Rendering),
            "awaitingUpload" => Ok(Self::AwaitingUpload),
            "issued" => Ok(Self::Issued),
            "paid" => Ok(Self::Paid),
            "void" => Ok(Self::Void),
            _ => Err("must be one of rendering, awaitingUpload, issued, paid, void".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rendering => "rendering",
            Self::AwaitingUpload => "awaitingUpload",
            Self::Issued => "issued",
            Self::Paid => "paid",
            Self::Void => "void",
        }
    }

    /// Issued, paid or void: an invoice the tenant has received. Before that it has a number but
    /// no document.
    pub fn is_delivered(self) -> bool {
        matches!(self, Self::Issued | Self::Paid | Self::Void)
    }
}

/// Where an invoice's PDF comes from: rendered by seikyu, or made elsewhere and uploaded by the
/// operator's system.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PdfSource {
    #[default]
    Rendered,
    External,
}

/// The issuer as printed on one invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IssuerSnapshot {
    pub name: String,
    pub address: String,
    pub registration_number: RegistrationNumber,
    pub bank_details: String,
}

impl From<&IssuerSettings> for IssuerSnapshot {
    fn from(i: &IssuerSettings) -> Self {
        Self { name: i.name.clone(), address: i.address.clone(), registration_number: i.registration_number.clone(), bank_details: i.bank_details.clone() }
    }
}

/// The stored PDF (its object key follows from the invoice: `tenants/<id>/invoices/<number>.pdf`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PdfInfo {
    pub sha256: String,
    pub size: u64,
}

/// Everything an invoice number is bound to, fixed when the number is allocated: what was billed,
/// to whom, by whom, and how its tax was rounded. Nothing here changes afterwards, and nothing is
/// recomputed from later settings: an [`Invoice`] hands it out read-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrozenInvoice {
    pub invoice_number: InvoiceNumber,
    pub tenant_id: TenantId,
    pub billing_id: BillingId,
    pub period: BillingPeriod,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub recipient: CustomerProfile,
    pub issuer: IssuerSnapshot,
    pub lines: Vec<BillingLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub rounding: Rounding,
    pub totals: Totals,
    #[serde(default)]
    pub pdf_source: PdfSource,
}

/// An invoice: its frozen content (read through `Deref`, never written) and the few things that
/// still move: its status, its PDF once stored, payment and voiding. Only the transitions in
/// `lifecycle` make one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    #[serde(flatten)]
    frozen: FrozenInvoice,
    status: InvoiceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pdf: Option<PdfInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    paid_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    void_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl std::ops::Deref for Invoice {
    type Target = FrozenInvoice;
    fn deref(&self) -> &FrozenInvoice {
        &self.frozen
    }
}

impl Invoice {
    /// A newly numbered invoice, before its PDF exists.
    pub(super) fn numbered(frozen: FrozenInvoice, now: DateTime<Utc>) -> Self {
        let status = match frozen.pdf_source {
            PdfSource::Rendered => InvoiceStatus::Rendering,
            PdfSource::External => InvoiceStatus::AwaitingUpload,
        };
        Self { frozen, status, pdf: None, paid_on: None, void_reason: None, created_at: now, updated_at: now, version: 1 }
    }

    pub(super) fn set_status(&mut self, status: InvoiceStatus) {
        self.status = status;
    }

    pub(super) fn set_pdf(&mut self, pdf: PdfInfo) {
        self.pdf = Some(pdf);
    }

    pub(super) fn set_paid_on(&mut self, on: NaiveDate) {
        self.paid_on = Some(on);
    }

    pub(super) fn set_void_reason(&mut self, reason: String) {
        self.void_reason = Some(reason);
    }

    pub fn frozen(&self) -> &FrozenInvoice {
        &self.frozen
    }

    pub fn status(&self) -> InvoiceStatus {
        self.status
    }

    pub fn pdf(&self) -> Option<&PdfInfo> {
        self.pdf.as_ref()
    }

    pub fn paid_on(&self) -> Option<NaiveDate> {
        self.paid_on
    }

    pub fn void_reason(&self) -> Option<&str> {
        self.void_reason.as_deref()
    }

    pub fn etag(&self) -> String {
        super::etag_of(self.version)
    }

    /// The year an invoice's number belongs to: its issue date's.
    pub fn year_of(issue_date: NaiveDate) -> i32 {
        issue_date.year()
    }
}

impl super::Versioned for Invoice {
    fn version(&self) -> u64 {
        self.version
    }

    fn stamp(&mut self, now: DateTime<Utc>, version: u64) {
        self.updated_at = now;
        self.version = version;
    }
}

/// Which invoices a listing returns: every condition given must hold (the electronic
/// bookkeeping act's search by transaction date, amount and counterparty, with period and status).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceFilter {
    pub period: Option<BillingPeriod>,
    /// `None`: every status.
    pub statuses: Option<Vec<InvoiceStatus>>,
    /// Issue dates in `issued_from..=issued_to`.
    pub issued_from: Option<NaiveDate>,
    pub issued_to: Option<NaiveDate>,
    /// Totals (tax included) in `min_total..=max_total`.
    pub min_total: Option<super::Yen>,
    pub max_total: Option<super::Yen>,
    /// Inside the frozen recipient's company name.
    pub recipient: Option<super::NameQuery>,
}

impl InvoiceFilter {
    pub fn matches(&self, i: &Invoice) -> bool {
        let total = i.totals.total;
        self.period.is_none_or(|p| i.period == p)
            && self.statuses.as_ref().is_none_or(|s| s.contains(&i.status))
            && self.issued_from.is_none_or(|d| i.issue_date >= d)
            && self.issued_to.is_none_or(|d| i.issue_date <= d)
            && self.min_total.is_none_or(|m| total >= m)
            && self.max_total.is_none_or(|m| total <= m)
            && self.recipient.as_ref().is_none_or(|q| q.found_in(&i.recipient.company_name))
    }

    /// Names the query for cursor binding. The search's conditions follow only when given (so
    /// cursors of a plain listing stay what they were); the recipient, free text, comes last.
    pub fn scope(&self) -> String {
        let statuses = self.statuses.as_ref().map(|s| s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(",")).unwrap_or_default();
        let mut scope = format!("invoices?period={}&status={statuses}", self.period.map(|p| p.to_string()).unwrap_or_default());
        let search = [
            ("issuedFrom", self.issued_from.map(|d| d.to_string())),
            ("issuedTo", self.issued_to.map(|d| d.to_string())),
            ("minTotal", self.min_total.map(|y| y.get().to_string())),
            ("maxTotal", self.max_total.map(|y| y.get().to_string())),
            ("recipient", self.recipient.as_ref().map(|q| q.as_str().to_owned())),
        ];
        for (name, value) in search {
            if let Some(v) = value {
                scope.push_str(&format!("&{name}={v}"));
            }
        }
        scope
    }
}

super::newtype::parsed_string!(InvoicePrefix, InvoiceNumber);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let p = InvoicePrefix::parse("INV").unwrap();
        let n = InvoiceNumber::new(&p, 2025, 42);
        assert_eq!(n.as_str(), "INV-2025-000042");
        assert_eq!(n.seq(), 42);
        assert_eq!(InvoiceNumber::parse(n.as_str()), Ok(n));
        assert_eq!(InvoiceNumber::new(&p, 2025, 1_234_567).as_str(), "INV-2025-1234567");
        for bad in ["", "INV-2025", "INV-25-000001", "inv-2025-000001", "INV-2025-00001", "INV-2025-000001-x", "INV_2025_000001"] {
            assert!(InvoiceNumber::parse(bad).is_err(), "{bad}");
        }
        assert!(InvoicePrefix::parse("ABCDEFGHIJK").is_err());
    }
}
