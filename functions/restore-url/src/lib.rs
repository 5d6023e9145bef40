//! `POST /v1/tenants/{tenantId}/restore-url`: a presigned PUT for a tenant archive too large for
//! a request body (operator only): `application/zip`, length pinned (at most 5 GiB, one PUT),
//! 10 minutes, to a staging key of its own; then `POST …/restore` with `{"upload": …}`.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::TenantId;
use common::runtime::{self, BoxFuture};
use common::service::archive::upload::{self, RestoreUrlRequest};
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "POST /v1/tenants/{tenantId}/restore-url";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let input: RestoreUrlRequest = common::http::json_body(&req)?;
    let answer = upload::restore_url(&app, &caller, &tenant, input).await?;
    common::http::json(StatusCode::OK, &answer)
}
