//! The audit trail: every change (and refused attempt) as the store recorded it with the change.

// Each function only carries its operation's annotation; nothing calls it.
#![allow(dead_code)]

use utoipa::IntoParams;

use super::params::TenantPath;
use crate::service::audit::AuditView;
use crate::service::contracts::PageView;

/// A page of the audit trail.
type AuditPage = PageView<AuditView>;

/// A listing's time range and paging (`service::audit::range_from_query`).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// The earliest entry's time, included: RFC 3339 (`2026-12-01T09:00:00+09:00`) or a date
    /// (midnight UTC). Default: 30 days before `to`.
    #[param(nullable = false, max_length = 40)]
    from: Option<String>,
    /// The end of the range, excluded; same forms. Default: no end (entries up to now, and any a writer with a clock ahead stamped a little later).
    #[param(nullable = false, max_length = 40)]
    to: Option<String>,
    /// Entries per page, 1 to 100.
    #[param(nullable = false, minimum = 1, maximum = 100, default = 50)]
    limit: Option<u32>,
    /// `nextCursor` of the previous page, for the same query.
    #[param(nullable = false, max_length = 2048)]
    cursor: Option<String>,
}

/// A tenant's audit trail.
///
/// Every change to the tenant's records (each with the resource, its version before and after and
/// the SHA-256 of what was written), written in the same transaction as the change, and the
/// tenant's own refused attempts, in time order. A tenant reads its own: the operator's actions
/// show as `role: operator` without the operator's principal or route.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenantId}/audit",
    operation_id = "list-tenant-audit",
    tag = "audit",
    extensions(("x-seikyu-access" = json!("tenantOwn"))),
    params(TenantPath, AuditQuery),
    responses(
        (status = 200, description = "A page of entries.", body = AuditPage),
        (status = 404, description = "No such tenant (or another tenant's).", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn list_tenant_audit() {}

/// The whole audit trail.
///
/// Every tenant's entries and the operator's own (issuer settings, runs, its principals), in time
/// order. On AWS this listing reads an index, so an entry written a moment ago may show a moment
/// later; a tenant's trail never lags.
#[utoipa::path(
    get,
    path = "/v1/audit",
    operation_id = "list-audit",
    tag = "audit",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries.", body = AuditPage),
    )
)]
pub(super) fn list_audit() {}
