use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{ApiKeyId, CustomerProfile, PlanTier, Tenant, TenantId, TenantStatus};
use crate::service::tenant_keys::KeyView;
use crate::service::tenants::Onboarded;

/// A tenant. `version` is what `If-Match` takes (the ETag's number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TenantView {
    pub tenant_id: TenantId,
    pub name: String,
    pub customer_profile: CustomerProfile,
    pub plan_tier: PlanTier,
    pub status: TenantStatus,
    /// The id of the tenant's API key (its value is shown once, when it is made).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub api_key_id: Option<ApiKeyId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl From<Tenant> for TenantView {
    fn from(t: Tenant) -> Self {
        Self {
            tenant_id: t.tenant_id,
            name: t.name,
            customer_profile: t.customer_profile,
            plan_tier: t.plan_tier,
            status: t.status,
            api_key_id: t.api_key_id,
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
        }
    }
}

/// A tenant just onboarded, with its API key's value: the one time it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OnboardedView {
    #[serde(flatten)]
    pub tenant: TenantView,
    pub api_key: KeyView,
}

impl From<Onboarded> for OnboardedView {
    fn from(o: Onboarded) -> Self {
        Self { tenant: o.tenant.into(), api_key: o.api_key }
    }
}
