//! `POST /v1/tenants/{tenantId}/billings`: Creates a draft billing record (operator only); `Idempotency-Key` required.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::TenantId;
use common::http::idempotency;
use common::runtime::{self, BoxFuture};
use common::service::billings::{self, BillingView, NewBilling};
use common::store::IdempotencyScope;
use common::{ApiError, App};
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "POST /v1/tenants/{tenantId}/billings";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let key = idempotency::idempotency_key(&req)?;
    let (period, content) = billings::validate_new(common::http::json_body::<NewBilling>(&req)?)?;
    let hash = idempotency::request_hash(&req);
    let suffix = idempotency::derived_id_bytes(&tenant, &key);
    idempotency::run_once(&app, &IdempotencyScope::Tenant(tenant.clone()), &key, &hash, || async {
        let record = billings::create(&app, &caller, &tenant, period, content, suffix).await?;
        let rounding = billings::rounding(&app).await?;
        let location = format!("/v1/tenants/{tenant}/billings/{}", record.billing_id);
        let etag = record.etag();
        common::http::created(&location, &etag, &BillingView::of(&record, rounding)?)
    })
    .await
}
