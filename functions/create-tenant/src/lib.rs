//! `POST /v1/tenants`: Onboards a tenant (operator only): 201 with Location and ETag, the tenant
//! and its new API key (`apiKey.value` is shown this once).

use std::sync::Arc;

use common::caller::Caller;
use common::runtime::{self, BoxFuture};
use common::service::tenants::{self, NewTenant};
use common::views::OnboardedView;
use common::{ApiError, App};
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "POST /v1/tenants";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let input: NewTenant = common::http::json_body(&req)?;
    let onboarded = tenants::create(&app, &caller, input).await?;
    let (location, etag) = (format!("/v1/tenants/{}", onboarded.tenant.tenant_id), onboarded.tenant.etag());
    Ok(common::http::no_store(common::http::created(&location, &etag, &OnboardedView::from(onboarded))?))
}
