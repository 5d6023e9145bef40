//! `GET /v1/tenants/{tenantId}/usage`: A tenant's usage per day, `from`..=`to` (UTC dates,
//! default this month so far, at most 90 days): requests counted by its usage plan, bytes streamed,
//! invoices rendered and exports made; totals, and its quota's current period. A tenant reads its
//! own, the operator any.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::TenantId;
use common::runtime::{self, BoxFuture};
use common::service::usage;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/usage";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let id = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let query = common::http::Query::new(&req, &["from", "to"])?;
    let (from, to) = usage::report_range(query.get("from"), query.get("to"), app.clock.now().date_naive())?;
    let report = usage::tenant_report(&app, &caller, &id, from, to).await?;
    common::http::json(StatusCode::OK, &report)
}
