//! Reading the audit trail: the operator reads every entry, a tenant its own (the changes to its
//! records and its own refused attempts) without what is the operator's business.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

use crate::app::App;
use crate::audit::{Action, AuditEntry, Change};
use crate::caller::Caller;
use crate::domain::{Role, TenantId};
use crate::error::ApiError;
use crate::http::Query;
use crate::store::{AuditQuery, Page, PageRequest};
use crate::validation::Validator;

/// How far back a listing reaches when `from` is not given.
pub const DEFAULT_SPAN: TimeDelta = TimeDelta::days(30);

/// How far past now a listing without `to` reaches: entries are stamped by whichever Lambda wrote
/// them, and its clock may run a little ahead of this one's; none is a day ahead.
const OPEN_END: TimeDelta = TimeDelta::days(1);

/// `from` and `to` of a listing: an RFC 3339 time or a date (midnight UTC); `to` is excluded and
/// defaults to no end (now and a margin for clocks ahead), `from` to 30 days before `to` (or now).
pub fn range_from_query(query: &Query<'_>, now: DateTime<Utc>, v: &mut Validator) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let given_to = v.check_opt("query.to", query.get("to"), instant)?;
    let from = v.check_opt("query.from", query.get("from"), instant)?.unwrap_or(given_to.unwrap_or(now) - DEFAULT_SPAN);
    let to = given_to.unwrap_or(now + OPEN_END);
    if from > to {
        v.add("query.from", "must not be after to");
        return None;
    }
    Some((from, to))
}

fn instant(raw: &str) -> Result<DateTime<Utc>, String> {
    let err = || "must be a time such as 2026-12-01T09:00:00Z or a date such as 2026-12-01 (UTC)".to_string();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| err())?;
    if raw.len() != 10 {
        return Err(err());
    }
    d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).ok_or_else(err)
}

/// Page size when the client gives no `limit`.
pub const DEFAULT_LIMIT: usize = 50;

/// A listing as its query asks (`from`, `to`, `limit`, `cursor`; every problem reported at once).
pub async fn list_from_query(app: &App, caller: &Caller, tenant: Option<&TenantId>, query: &Query<'_>) -> Result<Page<AuditView>, ApiError> {
    let mut v = Validator::new();
    let range = range_from_query(query, app.clock.now(), &mut v);
    let limit = query.limit(&mut v, DEFAULT_LIMIT, crate::store::MAX_PAGE);
    let cursor = query.cursor(&mut v);
    let (from, to) = v.finish_with(range)?;
    list(app, caller, tenant, from, to, &PageRequest { limit, cursor }).await
}

/// The trail in `from..to`: the tenant's (`Some`) or everyone's (operator only).
pub async fn list(
    app: &App,
    caller: &Caller,
    tenant: Option<&TenantId>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    page: &PageRequest,
) -> Result<Page<AuditView>, ApiError> {
    match tenant {
        Some(t) => {
            caller.authorize_tenant(t)?;
            if app.stores.tenants.get_tenant(t).await?.is_none() {
                return Err(ApiError::NotFound);
            }
        }
        None => caller.require_operator()?,
    }
    let query = AuditQuery { tenant: tenant.cloned(), from, to };
    let found = app.stores.audit.list_audit(&query, page).await?;
    let for_operator = caller.role() == Role::Operator;
    Ok(Page { items: found.items.into_iter().map(|e| AuditView::of(e, for_operator)).collect(), next_cursor: found.next_cursor })
}

/// An entry as the API shows it. A tenant sees who acted as `operator` (not the operator's
/// principal or route), and the changes' hashes; the operator sees everything stored.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    pub entry_id: String,
    pub at: DateTime<Utc>,
    pub request_id: String,
    pub role: Role,
    /// The principal that acted; for a tenant reading its trail, only its own principals are named.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub principal: Option<String>,
    /// The route (`PATCH /v1/tenants/{tenantId}`, `run-worker`); shown to the operator only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub route: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub tenant_id: Option<TenantId>,
    /// `change` or `attempt` (a refused request: `status` and `title` say why; nothing changed).
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub title: Option<String>,
    pub changes: Vec<Change>,
    /// SHA-256 over the changes' resources and hashes.
    pub sha256: String,
}

impl AuditView {
    pub fn of(e: AuditEntry, for_operator: bool) -> Self {
        let (outcome, status, title) = match e.action {
            Action::Change => ("change", None, None),
            Action::Attempt { status, title } => ("attempt", Some(status), Some(title)),
        };
        let own = for_operator || e.role == Role::Tenant;
        Self {
            entry_id: e.entry_id,
            at: e.at,
            request_id: e.request_id,
            role: e.role,
            principal: own.then_some(e.principal),
            route: for_operator.then_some(e.route),
            tenant_id: e.tenant_id,
            outcome,
            status,
            title,
            changes: e.changes,
            sha256: e.sha256,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_dates() {
        assert_eq!(instant("2026-12-01").unwrap().to_rfc3339(), "2026-12-01T00:00:00+00:00");
        assert_eq!(instant("2026-12-01T09:00:00+09:00").unwrap().to_rfc3339(), "2026-12-01T00:00:00+00:00");
        for bad in ["2026-13-01", "yesterday", "2026-12-1", ""] {
            assert!(instant(bad).is_err(), "{bad}");
        }
    }
}
