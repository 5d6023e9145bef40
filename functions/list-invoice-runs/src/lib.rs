//! `GET /v1/invoice-runs?period=&limit=&cursor=`: Runs in id order (so period order), optionally of
//! one period, each with its state and counts (operator only).

use std::sync::Arc;

use common::caller::Caller;
use common::domain::BillingPeriod;
use common::runtime::{self, BoxFuture};
use common::service::contracts::PageView;
use common::service::runs;
use common::store::{MAX_PAGE, PageRequest};
use common::validation::Validator;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/invoice-runs";

/// Page size when the client gives no `limit`.
const DEFAULT_LIMIT: usize = 20;

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let query = common::http::Query::new(&req, &["period", "limit", "cursor"])?;
    let mut v = Validator::new();
    let period = v.check_opt("query.period", query.get("period"), BillingPeriod::parse).flatten();
    let limit = query.limit(&mut v, DEFAULT_LIMIT, MAX_PAGE);
    let cursor = query.cursor(&mut v);
    v.finish()?;
    let page = runs::list(&app, &caller, period, &PageRequest { limit, cursor }).await?;
    common::http::json(StatusCode::OK, &PageView::from(page))
}
