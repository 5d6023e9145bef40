//! `POST /v1/invoice-runs/{runId}/cancel`: Stops a run taking new items (operator only); what is
//! not issued stays draft. Answers the run; a run that has finished already is answered as it is.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::RunId;
use common::runtime::{self, BoxFuture};
use common::service::runs;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "POST /v1/invoice-runs/{runId}/cancel";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let id = common::http::path_param(&req, "runId", RunId::parse)?;
    common::http::json(StatusCode::OK, &runs::cancel(&app, &caller, &id).await?)
}
