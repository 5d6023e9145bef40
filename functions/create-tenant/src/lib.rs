//! `POST /v1/tenants`: Onboards a tenant (operator only): 201 with Location and ETag, the tenant
//! and its new API key (`apiKey.value` is shown this once). With an `Idempotency-Key`, a retry
//! answers as the first attempt did and never onboards a second tenant.

use std::sync::Arc;

use common::caller::Caller;
use common::http::idempotency;
use common::runtime::{self, BoxFuture};
use common::service::tenants::{self, NewTenant};
use common::store::IdempotencyScope;
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
    let key = idempotency::optional_idempotency_key(&req)?;
    let input: NewTenant = common::http::json_body(&req)?;
    let Some(key) = key else {
        return answer(tenants::create(&app, &caller, input).await?);
    };
    let (hash, id) = (idempotency::request_hash(&req), idempotency::derived_tenant_id(&key));
    idempotency::run_once(&app, &IdempotencyScope::Onboarding, &key, &hash, || async { answer(tenants::create_with_id(&app, &caller, input, id).await?) }).await
}

fn answer(onboarded: tenants::Onboarded) -> Result<Response<Body>, ApiError> {
    let (location, etag) = (format!("/v1/tenants/{}", onboarded.tenant.tenant_id), onboarded.tenant.etag());
    Ok(common::http::no_store(common::http::created(&location, &etag, &OnboardedView::from(onboarded))?))
}
