use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::domain::{BillingCycle, Contract, ContractId, ContractStatus, TenantId, Yen};

/// A contract. `version` is what `If-Match` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ContractView {
    pub contract_id: ContractId,
    pub tenant_id: TenantId,
    pub plan_name: String,
    pub monthly_fee: Yen,
    pub start_date: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub end_date: Option<NaiveDate>,
    pub billing_cycle: BillingCycle,
    pub status: ContractStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl From<Contract> for ContractView {
    fn from(c: Contract) -> Self {
        let terms = c.terms;
        Self {
            contract_id: c.contract_id,
            tenant_id: c.tenant_id,
            plan_name: terms.plan_name,
            monthly_fee: terms.monthly_fee,
            start_date: terms.start_date,
            end_date: terms.end_date,
            billing_cycle: terms.billing_cycle,
            status: terms.status,
            notes: terms.notes,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}
