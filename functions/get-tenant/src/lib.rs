//! `GET /v1/tenants/{tenantId}`: Reads a tenant: a tenant itself, the operator any.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::TenantId;
use common::runtime::{self, BoxFuture};
use common::service::tenants;
use common::views::TenantView;
use common::{ApiError, App};
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let id = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let tenant = tenants::get(&app, &caller, &id).await?;
    common::http::tagged(&tenant.etag(), &TenantView::from(tenant))
}
