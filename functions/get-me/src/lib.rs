//! `GET /v1/me`: Tells any caller who it is: role, principal, tenant, usage plan.

use std::sync::Arc;

use common::caller::Caller;
use common::runtime::{self, BoxFuture};
use common::service::principals;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/me";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    common::http::Query::new(&req, &[])?;
    let me = principals::me(&app, &caller).await?;
    common::http::json(StatusCode::OK, &me)
}
