//! `GET /v1/tenants/{tenantId}/audit`: a tenant's audit trail (the changes to its records and its
//! refused attempts), in time order, a page at a time. A tenant reads its own without the
//! operator's internals; the operator reads any tenant's in full.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::TenantId;
use common::runtime::{self, BoxFuture};
use common::service::audit;
use common::views::PageView;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/audit";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let query = common::http::Query::new(&req, &["from", "to", "limit", "cursor"])?;
    let page = audit::list_from_query(&app, &caller, Some(&tenant), &query).await?;
    common::http::json(StatusCode::OK, &PageView::from(page))
}
