//! `PATCH /v1/tenants/{tenantId}/billings/{billingId}`: Changes a draft billing record with a JSON merge patch (operator only); If-Match required.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::{BillingId, TenantId};
use common::runtime::{self, BoxFuture};
use common::service::billings::{self, BillingPatch, BillingView};
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "PATCH /v1/tenants/{tenantId}/billings/{billingId}";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let id = common::http::path_param(&req, "billingId", BillingId::parse)?;
    let precondition = common::http::if_match(&req)?;
    let patch: BillingPatch = common::http::json_body(&req)?;
    let record = billings::update(&app, &caller, &tenant, &id, patch, precondition).await?;
    let etag = record.etag();
    let rounding = billings::rounding(&app).await?;
    common::http::with_etag(common::http::json(StatusCode::OK, &BillingView::of(&record, rounding)?)?, &etag)
}
