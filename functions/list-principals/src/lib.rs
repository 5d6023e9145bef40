//! `GET /v1/principals`: Lists a tenant's principals (`?tenantId=`) or the operator's (`?role=operator`), operator only.

use std::sync::Arc;

use common::caller::Caller;
use common::runtime::{self, BoxFuture};
use common::service::principals;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/principals";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let query = common::http::Query::new(&req, &["tenantId", "role"])?;
    let owner = principals::owner_of_query(query.get("tenantId"), query.get("role"))?;
    let list = principals::list(&app, &caller, &owner).await?;
    common::http::json(StatusCode::OK, &list)
}
