//! `GET /v1/usage`: Every tenant's usage for a month (operator only):
//! `period=YYYY-MM` (default this month, up to today), a page of tenants at a time (`limit`,
//! `cursor`), each with its requests, bytes streamed, invoices rendered and exports.

use std::sync::Arc;

use common::caller::Caller;
use common::runtime::{self, BoxFuture};
use common::service::usage;
use common::store::{MAX_PAGE, PageRequest};
use common::validation::Validator;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/usage";

/// Tenants per page when the client gives no `limit`.
const DEFAULT_LIMIT: usize = 50;

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let query = common::http::Query::new(&req, &["period", "limit", "cursor"])?;
    let mut v = Validator::new();
    let limit = query.limit(&mut v, DEFAULT_LIMIT, MAX_PAGE);
    let cursor = query.cursor(&mut v);
    let month = usage::month_range(query.get("period"), app.clock.now().date_naive(), &mut v);
    let (period, from, to) = v.finish_with(month)?;
    let page = usage::all_tenants(&app, &caller, period, from, to, &PageRequest { limit, cursor }).await?;
    common::http::json(StatusCode::OK, &page)
}
