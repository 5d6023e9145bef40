//! Contracts between the operator and a tenant.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{ContractId, TenantId, Yen};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum BillingCycle {
    Monthly,
    Yearly,
}

impl BillingCycle {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "monthly" => Ok(Self::Monthly),
            "yearly" => Ok(Self::Yearly),
            _ => Err("must be one of monthly, yearly".into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ContractStatus {
    Active,
    Suspended,
    Cancelled,
}

impl ContractStatus {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "active" => Ok(Self::Active),
            "suspended" => Ok(Self::Suspended),
            "cancelled" => Ok(Self::Cancelled),
            _ => Err("must be one of active, suspended, cancelled".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Cancelled => "cancelled",
        }
    }
}

/// The fields a contract's owner sets; the rest (ids, version, timestamps) the service sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractTerms {
    pub plan_name: String,
    pub monthly_fee: Yen,
    pub start_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    pub billing_cycle: BillingCycle,
    pub status: ContractStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contract {
    pub contract_id: ContractId,
    pub tenant_id: TenantId,
    #[serde(flatten)]
    pub terms: ContractTerms,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl Contract {
    pub fn etag(&self) -> String {
        super::etag_of(self.version)
    }
}

/// Which contracts a listing returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContractFilter {
    pub status: Option<ContractStatus>,
}

impl ContractFilter {
    pub fn matches(&self, c: &Contract) -> bool {
        self.status.is_none_or(|s| s == c.terms.status)
    }

    /// Names the query, so a pagination cursor made for one filter is refused for another.
    pub fn scope(&self) -> String {
        format!("contracts?status={}", self.status.map_or("", ContractStatus::as_str))
    }
}
