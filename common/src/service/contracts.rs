//! Creating, replacing, reading and listing a tenant's contracts.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::caller::Caller;
use crate::domain::{BillingCycle, Contract, ContractFilter, ContractId, ContractStatus, ContractTerms, TenantId, Yen};
use crate::error::ApiError;
use crate::http::IfMatch;
use crate::store::{Page, PageRequest, StoreError};
use crate::validation::{Validator, text};

const PLAN_NAME_MAX: usize = 100;
const NOTES_MAX: usize = 2000;
const NOTES_LINES: usize = 20;

/// `PUT /v1/tenants/{tenantId}/contracts/{contractId}`: the whole contract.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContractInput {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub plan_name: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 999_999_999_999_i64))]
    pub monthly_fee: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::NaiveDate))]
    pub start_date: String,
    /// On or after `startDate`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<chrono::NaiveDate>))]
    pub end_date: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::BillingCycle))]
    pub billing_cycle: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::domain::ContractStatus>))]
    pub status: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Notes>))]
    pub notes: Option<String>,
}

/// `YYYY-MM-DD`, a real calendar date.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let err = || "must be a date written YYYY-MM-DD".to_string();
    if raw.len() != 10 {
        return Err(err());
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| err())
}

impl ContractInput {
    pub fn validate(self) -> Result<ContractTerms, ApiError> {
        let mut v = Validator::new();
        let plan_name = v.check("planName", text(&self.plan_name, PLAN_NAME_MAX, 1));
        let monthly_fee = v.check("monthlyFee", Yen::non_negative(self.monthly_fee));
        let start_date = v.check("startDate", parse_date(&self.start_date));
        let end_date = v.check_opt("endDate", self.end_date.as_deref(), parse_date);
        let billing_cycle = v.check("billingCycle", BillingCycle::parse(&self.billing_cycle));
        let status = v.check_opt("status", self.status.as_deref(), ContractStatus::parse);
        let notes = v.check_opt("notes", self.notes.as_deref(), |n| text(n, NOTES_MAX, NOTES_LINES));
        if let (Some(start), Some(Some(end))) = (start_date, end_date)
            && end < start
        {
            v.add("endDate", "must be on or after startDate");
        }
        let (plan_name, monthly_fee, start_date, end_date, billing_cycle, status, notes) =
            v.finish_with((plan_name, monthly_fee, start_date, end_date, billing_cycle, status, notes))?;
        Ok(ContractTerms { plan_name, monthly_fee, start_date, end_date, billing_cycle, status: status.unwrap_or(ContractStatus::Active), notes })
    }
}

/// How a PUT ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    Replaced,
    /// A create retried with the same terms: nothing changed.
    Unchanged,
}

/// The preconditions a PUT may carry.
#[derive(Debug, Clone, Default)]
pub struct PutConditions {
    pub if_match: Option<IfMatch>,
    pub create_only: bool,
}

/// Creates the contract, or replaces it when `If-Match` names its current version (operator only).
pub async fn put(
    app: &App,
    caller: &Caller,
    tenant: &TenantId,
    id: &ContractId,
    terms: ContractTerms,
    cond: PutConditions,
) -> Result<(Contract, PutOutcome), ApiError> {
    caller.require_operator()?;
    if app.stores.tenants.get_tenant(tenant).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let now = app.clock.now();
    match cond.if_match {
        None => {
            let contract = Contract { contract_id: id.clone(), tenant_id: tenant.clone(), terms, created_at: now, updated_at: now, version: 1 };
            match app.stores.contracts.create_contract(&contract).await {
                Ok(()) => Ok((contract, PutOutcome::Created)),
                Err(StoreError::AlreadyExists) => {
                    let existing =
                        app.stores.contracts.get_contract(tenant, id).await?.ok_or_else(|| ApiError::Unavailable("contract vanished during create".into()))?;
                    if cond.create_only {
                        Err(ApiError::PreconditionFailed("The contract already exists (If-None-Match: *).".into()))
                    } else if existing.terms == contract.terms {
                        Ok((existing, PutOutcome::Unchanged))
                    } else {
                        Err(ApiError::PreconditionRequired("The contract exists; send If-Match with its ETag to replace it.".into()))
                    }
                }
                Err(e) => Err(e.into()),
            }
        }
        Some(m) => {
            let stale = || {
                ApiError::PreconditionFailed(
                    "The contract has changed since you read it (or does not exist); fetch it again and retry with its new ETag.".into(),
                )
            };
            let existing = app.stores.contracts.get_contract(tenant, id).await?.ok_or_else(stale)?;
            if !m.matches(existing.version) {
                return Err(stale());
            }
            let next = Contract { terms, updated_at: now, version: existing.version + 1, ..existing.clone() };
            app.stores.contracts.replace_contract(&next, existing.version).await?;
            Ok((next, PutOutcome::Replaced))
        }
    }
}

pub async fn get(app: &App, caller: &Caller, tenant: &TenantId, id: &ContractId) -> Result<Contract, ApiError> {
    caller.authorize_tenant(tenant)?;
    app.stores.contracts.get_contract(tenant, id).await?.ok_or(ApiError::NotFound)
}

/// One page of a listing, as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageView<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> From<Page<T>> for PageView<T> {
    fn from(p: Page<T>) -> Self {
        Self { items: p.items, next_cursor: p.next_cursor }
    }
}

impl<T> PageView<T> {
    /// A page of records shown as views.
    pub fn of<R>(p: Page<R>, view: impl FnMut(R) -> T) -> Self {
        Self { items: p.items.into_iter().map(view).collect(), next_cursor: p.next_cursor }
    }
}

pub async fn list(app: &App, caller: &Caller, tenant: &TenantId, filter: &ContractFilter, page: &PageRequest) -> Result<Page<Contract>, ApiError> {
    caller.authorize_tenant(tenant)?;
    if app.stores.tenants.get_tenant(tenant).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(app.stores.contracts.list_contracts(tenant, filter, page).await?)
}
