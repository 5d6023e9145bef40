use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{InvoiceDates, InvoicePrefix, IssuerSettings, RegistrationNumber, Rounding};

/// The issuer's settings (the operator as a qualified-invoice issuer). `version` is what
/// `If-Match` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IssuerView {
    pub name: String,
    pub address: String,
    pub registration_number: RegistrationNumber,
    pub bank_details: String,
    pub invoice_prefix: InvoicePrefix,
    pub rounding: Rounding,
    pub invoice_dates: InvoiceDates,
    pub version: u64,
    pub updated_at: DateTime<Utc>,
}

impl From<IssuerSettings> for IssuerView {
    fn from(s: IssuerSettings) -> Self {
        Self {
            name: s.name,
            address: s.address,
            registration_number: s.registration_number,
            bank_details: s.bank_details,
            invoice_prefix: s.invoice_prefix,
            rounding: s.rounding,
            invoice_dates: s.invoice_dates,
            version: s.version,
            updated_at: s.updated_at,
        }
    }
}
