//! `GET /v1/tenants/{tenantId}/iam-policy`: The IAM policy to attach to a tenant's principals (operator only): `execute-api:Invoke`
//! on `GET` of its own paths and `/v1/me` of this API and stage, nothing else.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::TenantId;
use common::runtime::{self, BoxFuture};
use common::service::principals;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/iam-policy";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let api = common::http::api_arn(&req, caller.principal.partition());
    let policy = principals::tenant_policy(&app, &caller, &tenant, api).await?;
    common::http::json(StatusCode::OK, &policy)
}
