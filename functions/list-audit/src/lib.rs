//! `GET /v1/audit`: the operator reads the whole audit trail (every tenant's changes and refused
//! attempts, and its own), in time order, a page at a time.

use std::sync::Arc;

use common::caller::Caller;
use common::runtime::{self, BoxFuture};
use common::service::audit;
use common::views::PageView;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/audit";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let query = common::http::Query::new(&req, &["from", "to", "limit", "cursor"])?;
    let page = audit::list_from_query(&app, &caller, None, &query).await?;
    common::http::json(StatusCode::OK, &PageView::from(page))
}
