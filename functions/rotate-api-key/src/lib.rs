//! `POST /v1/tenants/{tenantId}/api-key/rotate`: Replaces a tenant's API key (operator only): the new key
//! on the tenant's plan (its value shown this once), the old one deleted, so it gets 403 from then on.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::TenantId;
use common::runtime::{self, BoxFuture};
use common::service::tenant_keys;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "POST /v1/tenants/{tenantId}/api-key/rotate";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let id = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    common::http::Query::new(&req, &[])?;
    let rotated = tenant_keys::rotate(&app, &caller, &id).await?;
    Ok(common::http::no_store(common::http::json(StatusCode::OK, &rotated)?))
}
