//! `GET /v1/tenants/{tenantId}/contracts`: Lists a tenant's contracts, filtered by status, with cursor pagination.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::{ContractFilter, ContractStatus, TenantId};
use common::runtime::{self, BoxFuture};
use common::service::contracts::{self, PageView};
use common::store::{MAX_PAGE, PageRequest};
use common::validation::Validator;
use common::views::ContractView;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/contracts";

/// Page size when the client gives no `limit`.
const DEFAULT_LIMIT: usize = 20;

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let query = common::http::Query::new(&req, &["status", "limit", "cursor"])?;
    let mut v = Validator::new();
    let status = v.check_opt("query.status", query.get("status"), ContractStatus::parse).flatten();
    let limit = query.limit(&mut v, DEFAULT_LIMIT, MAX_PAGE);
    let cursor = query.cursor(&mut v);
    v.finish()?;
    let page = contracts::list(&app, &caller, &tenant, &ContractFilter { status }, &PageRequest { limit, cursor }).await?;
    common::http::json(StatusCode::OK, &PageView::of(page, ContractView::from))
}
