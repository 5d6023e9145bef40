//! `GET /v1/tenants/{tenantId}/invoices`: Lists a tenant's invoices, searchable by period, status, issue date, total and
//! recipient (all together), with cursor pagination.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::TenantId;
use common::runtime::{self, BoxFuture};
use common::service::contracts::PageView;
use common::service::invoices;
use common::store::{MAX_PAGE, PageRequest};
use common::validation::Validator;
use common::views::InvoiceView;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/invoices";

/// Page size when the client gives no `limit`.
const DEFAULT_LIMIT: usize = 20;

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let query = common::http::Query::new(&req, &["period", "status", "issuedFrom", "issuedTo", "minTotal", "maxTotal", "recipient", "limit", "cursor"])?;
    let mut v = Validator::new();
    let filter = invoices::filter_from_query(&query, &mut v);
    let limit = query.limit(&mut v, DEFAULT_LIMIT, MAX_PAGE);
    let cursor = query.cursor(&mut v);
    v.finish()?;
    let page = invoices::list(&app, &caller, &tenant, filter, &PageRequest { limit, cursor }).await?;
    common::http::json(StatusCode::OK, &PageView::of(page, |i| InvoiceView::from(&i)))
}
