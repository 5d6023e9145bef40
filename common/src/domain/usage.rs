//! What the handlers meter per tenant and UTC day, beside the requests the usage plan counts:
//! the basis of per-tenant usage and cost reports.

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metered {
    /// Bytes of streamed responses (PDFs, ZIP bundles, CSV exports) sent in full.
    pub bytes_streamed: u64,
    /// Invoice PDFs rendered (issuing; an uploaded PDF is not rendered by us).
    pub invoices_rendered: u64,
    /// Exports made: CSV exports and ZIP bundles.
    pub exports: u64,
}

impl Metered {
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}

impl AddAssign for Metered {
    fn add_assign(&mut self, o: Self) {
        self.bytes_streamed = self.bytes_streamed.saturating_add(o.bytes_streamed);
        self.invoices_rendered = self.invoices_rendered.saturating_add(o.invoices_rendered);
        self.exports = self.exports.saturating_add(o.exports);
    }
}
