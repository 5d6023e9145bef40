//! Tenants: the hosted customer accounts, with their customer profile and plan.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ApiKeyId, Email, PostalCode, TenantId};

/// Usage-plan tier; each has its own throttle and quota (see the usage-plan work).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PlanTier {
    Basic,
    Standard,
    Premium,
}

impl PlanTier {
    pub const ALL: [PlanTier; 3] = [PlanTier::Basic, PlanTier::Standard, PlanTier::Premium];

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "basic" => Ok(Self::Basic),
            "standard" => Ok(Self::Standard),
            "premium" => Ok(Self::Premium),
            _ => Err("must be one of basic, standard, premium".into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TenantStatus {
    Active,
    /// Its API key is disabled; its records stay and it can be reactivated.
    Suspended,
    /// Its API key is deleted; its records stay (invoices are kept for years), and it cannot
    /// come back: a returning customer is onboarded again.
    Offboarded,
}

impl TenantStatus {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "active" => Ok(Self::Active),
            "suspended" => Ok(Self::Suspended),
            "offboarded" => Ok(Self::Offboarded),
            _ => Err("must be one of active, suspended, offboarded".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BillingContact {
    pub name: String,
    pub email: Email,
}

/// Who the invoices are addressed to (company name + 御中) and where they go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerProfile {
    pub company_name: String,
    pub postal_code: PostalCode,
    pub address: String,
    pub billing_contact: BillingContact,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub tenant_id: TenantId,
    pub name: String,
    pub customer_profile: CustomerProfile,
    pub plan_tier: PlanTier,
    pub status: TenantStatus,
    /// The tenant's API key on its tier's usage plan (the id; the value is shown once, when made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_id: Option<ApiKeyId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl Tenant {
    pub fn etag(&self) -> String {
        super::etag_of(self.version)
    }
}
