//! What the API returns: one type per resource, built from the domain. Stored records keep their
//! own serde shape (what DynamoDB and the embedded store hold for years); these are the API's,
//! so that a storage change is never an API change, and the other way round. Golden files pin
//! every shape (`common/tests/views_golden.rs`).

mod contract;
mod invoice;
mod issuer;
mod tenant;

pub use contract::ContractView;
pub use invoice::InvoiceView;
pub use issuer::IssuerView;
pub use tenant::{OnboardedView, TenantView};

// The views that were written with their services from the start.
pub use crate::service::billings::BillingView;
pub use crate::service::contracts::PageView;
pub use crate::service::principals::{Me, PrincipalView};
pub use crate::service::runs::{CountsView, RunView};
pub use crate::service::tenant_keys::KeyView;
pub use crate::service::usage::{TenantUsage, UsagePage};
