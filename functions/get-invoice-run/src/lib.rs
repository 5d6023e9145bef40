//! `GET /v1/invoice-runs/{runId}`: A run's state, counts (total, issued, failed, cancelled,
//! remaining), failures with reasons, times and rate (operator only).

use std::sync::Arc;

use common::caller::Caller;
use common::domain::RunId;
use common::runtime::{self, BoxFuture};
use common::service::runs;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/invoice-runs/{runId}";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let id = common::http::path_param(&req, "runId", RunId::parse)?;
    common::http::json(StatusCode::OK, &runs::get(&app, &caller, &id).await?)
}
