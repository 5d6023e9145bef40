use serde::{Deserialize, Serialize};

/// What a caller may do: the operator (the customer-management system and its staff) manages every
/// tenant; a tenant (its Redmine plugin) reads its own data only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Operator,
    Tenant,
}
