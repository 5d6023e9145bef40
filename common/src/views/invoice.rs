use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::domain::{
    BillingId, BillingLine, BillingPeriod, CustomerProfile, Invoice, InvoiceNumber, InvoiceStatus, IssuerSnapshot, PdfInfo, Rounding, TenantId, Totals,
};

/// An invoice: what its number is bound to (recipient, issuer, lines, rounding, totals: frozen
/// when the number was bound, never recomputed) and its state. Where its PDF came from (rendered
/// or uploaded) and the record's version are storage matters and are not shown; the ETag
/// revalidates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InvoiceView {
    pub invoice_number: InvoiceNumber,
    pub tenant_id: TenantId,
    pub billing_id: BillingId,
    pub period: BillingPeriod,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub recipient: CustomerProfile,
    pub issuer: IssuerSnapshot,
    pub lines: Vec<BillingLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub notes: Option<String>,
    pub rounding: Rounding,
    pub totals: Totals,
    pub status: InvoiceStatus,
    /// The stored PDF's SHA-256 (also its download's ETag) and size, once it is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub pdf: Option<PdfInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub paid_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub void_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Invoice> for InvoiceView {
    fn from(inv: &Invoice) -> Self {
        let f = inv.frozen();
        Self {
            invoice_number: f.invoice_number.clone(),
            tenant_id: f.tenant_id.clone(),
            billing_id: f.billing_id.clone(),
            period: f.period,
            issue_date: f.issue_date,
            due_date: f.due_date,
            recipient: f.recipient.clone(),
            issuer: f.issuer.clone(),
            lines: f.lines.clone(),
            notes: f.notes.clone(),
            rounding: f.rounding,
            totals: f.totals.clone(),
            status: inv.status(),
            pdf: inv.pdf().cloned(),
            paid_on: inv.paid_on(),
            void_reason: inv.void_reason().map(str::to_owned),
            created_at: inv.created_at,
            updated_at: inv.updated_at,
        }
    }
}
