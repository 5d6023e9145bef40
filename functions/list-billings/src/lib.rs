//! `GET /v1/tenants/{tenantId}/billings`: Lists a tenant's billing records by period range and status, with cursor pagination.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::TenantId;
use common::runtime::{self, BoxFuture};
use common::service::billings::{self, BillingView};
use common::service::contracts::PageView;
use common::store::{MAX_PAGE, PageRequest};
use common::validation::Validator;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/billings";

/// Page size when the client gives no `limit`.
const DEFAULT_LIMIT: usize = 20;

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let query = common::http::Query::new(&req, &["from", "to", "status", "limit", "cursor"])?;
    let mut v = Validator::new();
    let filter = billings::filter_from_query(&query, &mut v);
    let limit = query.limit(&mut v, DEFAULT_LIMIT, MAX_PAGE);
    let cursor = query.cursor(&mut v);
    v.finish()?;
    let page = billings::list(&app, &caller, &tenant, filter, &PageRequest { limit, cursor }).await?;
    let rounding = billings::rounding(&app).await?;
    let items = page.items.into_iter().map(|b| BillingView::of(&b, rounding)).collect::<Result<Vec<_>, _>>()?;
    common::http::json(StatusCode::OK, &PageView { items, next_cursor: page.next_cursor })
}
