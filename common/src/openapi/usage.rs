//! Usage: requests as the usage plans count them, what the handlers meter, quotas.

// Each function only carries its operation's annotation; nothing calls it.
#![allow(dead_code)]

use chrono::NaiveDate;
use utoipa::IntoParams;

use super::params::TenantPath;
use crate::domain::BillingPeriod;
use crate::error::Problem;
use crate::service::usage::{TenantUsage, UsagePage};

/// `get-tenant-usage`'s range (`usage::report_range`).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct UsageRange {
    /// The first day (UTC), not after `to`; `from`..=`to` covers at most 90 days (what API Gateway
    /// keeps). Default: the first of `to`'s month.
    #[param(nullable = false)]
    from: Option<NaiveDate>,
    /// The last day (UTC), not after today; default: today.
    #[param(nullable = false)]
    to: Option<NaiveDate>,
}

/// `list-usage`'s month and paging.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct UsageQuery {
    /// The month, not after this one; default: this month, up to today.
    #[param(nullable = false)]
    period: Option<BillingPeriod>,
    /// Tenants per page, 1 to 100.
    #[param(nullable = false, minimum = 1, maximum = 100, default = 50)]
    limit: Option<u32>,
    /// `nextCursor` of the previous page, for the same query.
    #[param(nullable = false, max_length = 2048)]
    cursor: Option<String>,
}

/// A tenant's usage per day.
///
/// Every day of `from`..=`to`: requests (counted by the usage plan, refused-by-the-handler ones
/// included, as API Gateway counts them), and what the handlers meter: bytes streamed in full,
/// invoices rendered, exports. Totals, the plan, and the quota's current period.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenantId}/usage",
    operation_id = "get-tenant-usage",
    tag = "usage",
    extensions(("x-seikyu-access" = json!("tenantOwn"))),
    params(TenantPath, UsageRange),
    responses(
        (status = 200, description = "The tenant's usage.", body = TenantUsage),
        (status = 404, description = "No such tenant (or another tenant's).", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn get_tenant_usage() {}

/// Every tenant's usage for a month.
///
/// A page of tenants at a time, each with its month's totals, for cost allocation; `nextCursor`
/// is left out on the last page.
#[utoipa::path(
    get,
    path = "/v1/usage",
    operation_id = "list-usage",
    tag = "usage",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(UsageQuery),
    responses(
        (status = 200, description = "A page of tenants' months.", body = UsagePage),
    )
)]
pub(super) fn list_usage() {}
