//! The domain: types that parse, so that a value in hand is always valid.

mod billing;
mod charges;
mod contact;
mod contract;
mod ids;
mod invoice;
pub mod lifecycle;
mod money;
mod newtype;
mod period;
mod plan;
mod registration;
mod role;
mod run;
mod search;
mod tax;
mod tenant;
mod usage;

pub use billing::{BillingContent, BillingFilter, BillingId, BillingLine, BillingRecord, BillingStatus, Binding, parse_quantity, parse_unit_price};
pub use charges::{Charge, InvoiceDates, IssueOn, charge};
pub use contact::{Email, PostalCode};
pub use contract::{BillingCycle, Contract, ContractFilter, ContractStatus, ContractTerms};
pub use ids::{ApiKeyId, ContractId, TenantId};
pub use invoice::{FrozenInvoice, Invoice, InvoiceFilter, InvoiceNumber, InvoicePrefix, InvoiceStatus, IssuerSettings, IssuerSnapshot, PdfInfo, PdfSource};
pub use money::Yen;
pub use period::BillingPeriod;
pub use plan::{EXPORT_ROUTES, MethodThrottle, Quota, QuotaPeriod, UsagePlan, method_throttle, method_throttles, usage_plan};
pub use registration::RegistrationNumber;
pub use role::Role;
pub use run::{InvoiceRun, ItemState, RunCounts, RunId, RunItem, RunRequest, RunState, Settlement};
pub use search::{NameQuery, fold_name};
pub use tax::{RateTotal, Rounding, TaxCategory, Totals, totals};
pub use tenant::{BillingContact, CustomerProfile, PlanTier, Tenant, TenantStatus};
pub use usage::Metered;

/// A stored record that changes only by whole new versions (its ETag names the version).
pub(crate) trait Versioned: Clone {
    fn version(&self) -> u64;
    fn stamp(&mut self, now: chrono::DateTime<chrono::Utc>, version: u64);

    /// The next version, with `change` applied.
    fn next(&self, now: chrono::DateTime<chrono::Utc>, change: impl FnOnce(&mut Self)) -> Self {
        let mut next = self.clone();
        change(&mut next);
        next.stamp(now, self.version() + 1);
        next
    }
}

/// Strong ETag for a stored version: `"<version>"`.
pub fn etag_of(version: u64) -> String {
    format!("\"{version}\"")
}
pub(crate) use newtype::parsed_string;
