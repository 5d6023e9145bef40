//! `GET /v1/tenants/{tenantId}/billings/{billingId}`: Reads a billing record with its totals: a tenant its own issued ones, the operator any.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::{BillingId, TenantId};
use common::runtime::{self, BoxFuture};
use common::service::billings::{self, BillingView};
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/billings/{billingId}";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let id = common::http::path_param(&req, "billingId", BillingId::parse)?;
    let record = billings::get(&app, &caller, &tenant, &id).await?;
    let etag = record.etag();
    let rounding = billings::rounding(&app).await?;
    common::http::with_etag(common::http::json(StatusCode::OK, &BillingView::of(&record, rounding)?)?, &etag)
}
