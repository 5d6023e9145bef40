//! Month-end generation: a tenant's draft billing record for a period, made from its contracts by
//! the rules in `domain::charges`. Generating twice never makes a second record: the record's id
//! follows from the tenant and the period, and it is created only if absent. A record the
//! operator wrote by hand for the period is left alone, and the tenant is not generated for (two
//! bills for one month would be worse than none).

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::caller::Caller;
use crate::domain::{
    BillingContent, BillingFilter, BillingId, BillingPeriod, BillingRecord, ContractFilter, ContractStatus, IssuerSettings, TenantId, Totals, charge,
};
use crate::error::ApiError;
use crate::store::{PageRequest, StoreError};

use super::billings::MAX_LINES;

/// What generating did (or, in a dry run, would do) for one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = GenerationOutcome))]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Created,
    /// The record was generated before (by an earlier attempt or run): nothing new.
    AlreadyGenerated,
    /// The operator wrote a record for the period by hand: left alone, nothing generated.
    HandWritten,
    /// No active contract bills in the period.
    NothingToBill,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = GeneratedDraft))]
#[serde(rename_all = "camelCase")]
pub struct Generated {
    pub tenant_id: TenantId,
    pub billing_id: BillingId,
    pub outcome: Outcome,
    /// The lines and totals generated (with today's rounding), when there are any.
    pub lines: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub totals: Option<Totals>,
}

/// The id of the record generated for `tenant` and `period`: the same on every attempt.
pub fn generated_id(tenant: &TenantId, period: BillingPeriod) -> BillingId {
    let digest = Sha256::digest(format!("seikyu-generated|{tenant}|{period}").as_bytes());
    let mut suffix = [0u8; 8];
    suffix.copy_from_slice(&digest[..8]);
    BillingId::new(period, suffix)
}

/// Every active contract of the tenant, page by page.
async fn active_contracts(app: &App, tenant: &TenantId) -> Result<Vec<crate::domain::Contract>, ApiError> {
    let filter = ContractFilter { status: Some(ContractStatus::Active) };
    Ok(super::all_pages(|page| async move { app.stores.contracts.list_contracts(tenant, &filter, &page).await }).await?)
}

/// Whether the period already has the generated record, or one written by hand.
async fn existing(app: &App, tenant: &TenantId, period: BillingPeriod, id: &BillingId) -> Result<Option<Outcome>, ApiError> {
    let filter = BillingFilter { from: Some(period), to: Some(period), statuses: None };
    let (mut cursor, mut found) = (None, None);
    loop {
        let page = app.stores.billings.list_billings(tenant, &filter, &PageRequest { limit: crate::store::MAX_PAGE, cursor }).await?;
        for b in &page.items {
            if b.billing_id == *id {
                found = found.or(Some(Outcome::AlreadyGenerated));
            } else {
                return Ok(Some(Outcome::HandWritten));
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(found),
        }
    }
}

/// Generates (or with `dry_run`, only computes) `tenant`'s draft for `period` (operator only).
pub async fn generate(app: &App, caller: &Caller, tenant: &TenantId, period: BillingPeriod, dry_run: bool) -> Result<Generated, ApiError> {
    caller.require_operator()?;
    let issuer =
        app.stores.invoices.get_issuer().await?.ok_or_else(|| ApiError::Conflict("Set the issuer (PUT /v1/issuer) before generating invoices.".into()))?;
    draft_for(app, tenant, period, &issuer, dry_run).await
}

/// [`generate`] for a caller already known to be the operator, with the issuer read once.
pub async fn draft_for(app: &App, tenant: &TenantId, period: BillingPeriod, issuer: &IssuerSettings, dry_run: bool) -> Result<Generated, ApiError> {
    if app.stores.tenants.get_tenant(tenant).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let id = generated_id(tenant, period);
    let report = |outcome, lines, totals| Generated { tenant_id: tenant.clone(), billing_id: id.clone(), outcome, lines, totals };
    if let Some(outcome) = existing(app, tenant, period, &id).await? {
        return Ok(report(outcome, 0, None));
    }
    let mut contracts = active_contracts(app, tenant).await?;
    contracts.sort_by(|a, b| a.contract_id.cmp(&b.contract_id));
    let lines: Vec<_> = contracts.iter().filter_map(|c| charge(c, period)).map(|c| c.line).collect();
    if lines.is_empty() {
        return Ok(report(Outcome::NothingToBill, 0, None));
    }
    if lines.len() > MAX_LINES {
        return Err(ApiError::Conflict(format!(
            "Tenant {tenant} has {} contracts billing in {period}; a record holds at most {MAX_LINES} lines.",
            lines.len()
        )));
    }
    let (issue_date, due_date) = issuer.invoice_dates.for_period(period).ok_or_else(|| ApiError::Internal(format!("no invoice dates for {period}")))?;
    let content = BillingContent { lines, notes: None, issue_date, due_date };
    let totals = content.totals(issuer.rounding).map_err(|e| ApiError::Conflict(format!("Tenant {tenant}'s charges for {period} cannot be totalled: {e}")))?;
    let count = content.lines.len();
    if dry_run {
        return Ok(report(Outcome::Created, count, Some(totals)));
    }
    let record = BillingRecord::draft(id.clone(), tenant.clone(), content, app.clock.now());
    match app.stores.billings.create_billing(&record).await {
        Ok(()) => Ok(report(Outcome::Created, count, Some(totals))),
        // Another attempt made it meanwhile: the same record.
        Err(StoreError::AlreadyExists) => Ok(report(Outcome::AlreadyGenerated, 0, None)),
        Err(e) => Err(e.into()),
    }
}
