//! `PATCH /v1/tenants/{tenantId}`: Updates a tenant with a JSON merge patch (operator only); If-Match required.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::TenantId;
use common::runtime::{self, BoxFuture};
use common::service::tenants::{self, TenantPatch};
use common::views::TenantView;
use common::{ApiError, App};
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "PATCH /v1/tenants/{tenantId}";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let id = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let precondition = common::http::if_match(&req)?;
    let patch: TenantPatch = common::http::json_body(&req)?;
    let tenant = tenants::update(&app, &caller, &id, patch, precondition).await?;
    common::http::tagged(&tenant.etag(), &TenantView::from(tenant))
}
