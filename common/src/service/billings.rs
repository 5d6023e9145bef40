//! Billing records: drafts the operator writes, that tenants see once issued.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::contracts::parse_date;
use crate::app::App;
use crate::caller::Caller;
use crate::domain::{
    BillingContent, BillingFilter, BillingId, BillingLine, BillingPeriod, BillingRecord, BillingStatus, InvoiceNumber, Rounding, TaxCategory, TenantId, Totals,
    lifecycle, parse_quantity, parse_unit_price,
};
use crate::error::ApiError;
use crate::http::{IfMatch, Patch};
use crate::store::{Page, PageRequest, StoreError};
use crate::validation::{Validator, text};

pub const DESCRIPTION_MAX: usize = 200;
pub const NOTES_MAX: usize = 2000;
/// Notes print on the invoice PDF and show in Redmine: at most this many lines.
pub const NOTES_LINES: usize = 20;
pub const MAX_LINES: usize = 500;

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LineInput {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::LineDescription))]
    pub description: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000))]
    pub quantity: i64,
    #[cfg_attr(feature = "openapi", schema(minimum = -999_999_999, maximum = 999_999_999))]
    pub unit_price: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::TaxCategory))]
    pub tax_category: String,
}

/// `POST /v1/tenants/{tenantId}/billings`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewBilling {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::BillingPeriod))]
    pub period: String,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 500))]
    pub lines: Vec<LineInput>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Notes>))]
    pub notes: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::NaiveDate))]
    pub issue_date: String,
    /// On or after `issueDate`.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::NaiveDate))]
    pub due_date: String,
}

/// `PATCH .../billings/{billingId}`: a merge patch; `lines` replaces all lines.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BillingPatch {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<LineInput>, min_items = 1, max_items = 500))]
    pub lines: Patch<Vec<LineInput>>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Notes>))]
    pub notes: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::NaiveDate))]
    pub issue_date: Patch<String>,
    /// On or after `issueDate`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::NaiveDate))]
    pub due_date: Patch<String>,
}

fn lines(input: Vec<LineInput>, v: &mut Validator) -> Vec<BillingLine> {
    if input.is_empty() || input.len() > MAX_LINES {
        v.add("lines", format!("must hold 1 to {MAX_LINES} lines"));
    }
    let mut out = Vec::with_capacity(input.len());
    for (i, l) in input.into_iter().enumerate() {
        let f = |name: &str| format!("lines[{i}].{name}");
        let description = v.check(&f("description"), text(&l.description, DESCRIPTION_MAX, 1));
        let quantity = v.check(&f("quantity"), parse_quantity(l.quantity));
        let unit_price = v.check(&f("unitPrice"), parse_unit_price(l.unit_price));
        let tax_category = v.check(&f("taxCategory"), TaxCategory::parse(&l.tax_category));
        if let (Some(description), Some(quantity), Some(unit_price), Some(tax_category)) = (description, quantity, unit_price, tax_category) {
            out.push(BillingLine { description, quantity, unit_price, tax_category });
        }
    }
    out
}

fn check_dates(issue: Option<NaiveDate>, due: Option<NaiveDate>, v: &mut Validator) {
    if let (Some(i), Some(d)) = (issue, due)
        && d < i
    {
        v.add("dueDate", "must be on or after issueDate");
    }
}

fn check_totals(content: &BillingContent, v: &mut Validator) {
    if let Err(m) = content.totals(Rounding::default()) {
        v.add("lines", m);
    }
}

/// A billing record as the API shows it. Once an invoice number is bound, `lines`, `totals` and
/// `rounding` are the invoice's (frozen when the number was bound); a draft's totals use today's
/// rounding, and `rounding` says which.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BillingView {
    pub billing_id: BillingId,
    pub tenant_id: TenantId,
    pub period: BillingPeriod,
    pub status: BillingStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub invoice_number: Option<InvoiceNumber>,
    pub lines: Vec<BillingLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub notes: Option<String>,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub totals: Totals,
    pub rounding: Rounding,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The issuer's rounding today (floor until one is set): what a draft's totals use.
pub async fn rounding(app: &App) -> Result<Rounding, ApiError> {
    Ok(app.stores.invoices.get_issuer().await?.map(|i| i.rounding).unwrap_or_default())
}

impl BillingView {
    /// `current`: the issuer's rounding today, used only while the record is a draft.
    pub fn of(record: &BillingRecord, current: Rounding) -> Result<Self, ApiError> {
        let (totals, rounding) = record.totals(current).map_err(|e| ApiError::Internal(format!("stored billing totals: {e}")))?;
        let content = record.content();
        Ok(Self {
            billing_id: record.billing_id.clone(),
            tenant_id: record.tenant_id.clone(),
            period: record.period,
            status: record.status(),
            invoice_number: record.invoice_number().cloned(),
            lines: content.lines.clone(),
            notes: content.notes.clone(),
            issue_date: content.issue_date,
            due_date: content.due_date,
            totals,
            rounding,
            created_at: record.created_at,
            updated_at: record.updated_at,
        })
    }
}

/// Validates a new billing record without side effects (so that nothing is claimed for a request
/// that cannot succeed).
pub fn validate_new(input: NewBilling) -> Result<(BillingPeriod, BillingContent), ApiError> {
    let mut v = Validator::new();
    let period = v.check("period", BillingPeriod::parse(&input.period));
    let lines = lines(input.lines, &mut v);
    let notes = v.check_opt("notes", input.notes.as_deref(), |n| text(n, NOTES_MAX, NOTES_LINES));
    let issue_date = v.check("issueDate", parse_date(&input.issue_date));
    let due_date = v.check("dueDate", parse_date(&input.due_date));
    check_dates(issue_date, due_date, &mut v);
    let content = match (notes, issue_date, due_date) {
        (Some(notes), Some(issue_date), Some(due_date)) => Some(BillingContent { lines, notes, issue_date, due_date }),
        _ => None,
    };
    if let Some(c) = &content {
        check_totals(c, &mut v);
    }
    v.finish_with((period, content))
}

/// Creates a draft (operator only). `suffix` makes the id; the handler derives it from the
/// idempotency key, so that running the same request twice can never make two records.
pub async fn create(
    app: &App,
    caller: &Caller,
    tenant: &TenantId,
    period: BillingPeriod,
    content: BillingContent,
    suffix: [u8; 8],
) -> Result<BillingRecord, ApiError> {
    caller.require_operator()?;
    if app.stores.tenants.get_tenant(tenant).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let record = BillingRecord::draft(BillingId::new(period, suffix), tenant.clone(), content, app.clock.now());
    match app.stores.billings.create_billing(&record).await {
        Ok(()) => Ok(record),
        Err(StoreError::AlreadyExists) => Err(ApiError::Conflict("This billing record was already created by an earlier attempt of the same request.".into())),
        Err(e) => Err(e.into()),
    }
}

/// What a caller may see: tenants only what was issued to them (never drafts, nor a record whose
/// invoice is still being made).
fn visible(caller: &Caller, b: &BillingRecord) -> bool {
    caller.tenant_id().is_none() || b.status().is_delivered()
}

pub async fn get(app: &App, caller: &Caller, tenant: &TenantId, id: &BillingId) -> Result<BillingRecord, ApiError> {
    caller.authorize_tenant(tenant)?;
    app.stores.billings.get_billing(tenant, id).await?.filter(|b| visible(caller, b)).ok_or(ApiError::NotFound)
}

/// Changes a draft (operator only) when `If-Match` names its current version.
pub async fn update(
    app: &App,
    caller: &Caller,
    tenant: &TenantId,
    id: &BillingId,
    patch: BillingPatch,
    precondition: Option<IfMatch>,
) -> Result<BillingRecord, ApiError> {
    caller.require_operator()?;
    let precondition = precondition.ok_or_else(|| ApiError::PreconditionRequired("Send If-Match with the billing record's ETag to change it.".into()))?;
    let current = app.stores.billings.get_billing(tenant, id).await?.ok_or(ApiError::NotFound)?;
    // A frozen record is refused first: neither a fresh ETag nor a valid patch would help.
    lifecycle::revise(&current, current.content().clone(), app.clock.now()).map_err(|e| ApiError::Conflict(e.0))?;
    if !precondition.matches(current.version) {
        return Err(ApiError::PreconditionFailed("The billing record has changed since you read it; fetch it again and retry with its new ETag.".into()));
    }
    let mut v = Validator::new();
    let mut content = current.content().clone();
    if let Some(l) = patch.lines.required("lines", &mut v) {
        content.lines = lines(l, &mut v);
    }
    match patch.notes {
        Patch::Absent => {}
        Patch::Null => content.notes = None,
        Patch::Value(n) => content.notes = v.check("notes", text(&n, NOTES_MAX, NOTES_LINES)).or(content.notes),
    }
    if let Some(d) = patch.issue_date.required("issueDate", &mut v) {
        content.issue_date = v.check("issueDate", parse_date(&d)).unwrap_or(content.issue_date);
    }
    if let Some(d) = patch.due_date.required("dueDate", &mut v) {
        content.due_date = v.check("dueDate", parse_date(&d)).unwrap_or(content.due_date);
    }
    check_dates(Some(content.issue_date), Some(content.due_date), &mut v);
    check_totals(&content, &mut v);
    v.finish()?;
    let next = lifecycle::revise(&current, content, app.clock.now()).map_err(|e| ApiError::Conflict(e.0))?;
    app.stores.billings.replace_billing(&next, current.version).await?;
    Ok(next)
}

/// The filter in a listing's or an export's query: `from` and `to` (YYYY-MM, in order) and one
/// `status`; problems go to `v`.
pub fn filter_from_query(query: &crate::http::Query<'_>, v: &mut Validator) -> BillingFilter {
    let from = v.check_opt("query.from", query.get("from"), BillingPeriod::parse).flatten();
    let to = v.check_opt("query.to", query.get("to"), BillingPeriod::parse).flatten();
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        v.add("query.to", "must not be before from");
    }
    let status = v.check_opt("query.status", query.get("status"), BillingStatus::parse).flatten();
    BillingFilter { from, to, statuses: status.map(|s| vec![s]) }
}

/// Lists a tenant's records; a tenant caller's listing never includes drafts.
pub async fn list(app: &App, caller: &Caller, tenant: &TenantId, mut filter: BillingFilter, page: &PageRequest) -> Result<Page<BillingRecord>, ApiError> {
    caller.authorize_tenant(tenant)?;
    if app.stores.tenants.get_tenant(tenant).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    if caller.tenant_id().is_some() {
        let shown: Vec<BillingStatus> = BillingStatus::ALL.into_iter().filter(|s| s.is_delivered()).collect();
        filter.statuses = Some(match filter.statuses {
            None => shown,
            Some(asked) => asked.into_iter().filter(|s| s.is_delivered()).collect(),
        });
        if filter.statuses.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
    }
    Ok(app.stores.billings.list_billings(tenant, &filter, page).await?)
}
