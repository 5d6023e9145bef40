//! `POST /v1/tenants/{tenantId}/billings/{billingId}/paid`: Records that an issued invoice was paid, on the invoice and its
//! billing record alike (operator only); optional body `{"paidOn": "YYYY-MM-DD"}`, default today in Japan.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::{BillingId, TenantId};
use common::runtime::{self, BoxFuture};
use common::service::billings::BillingView;
use common::service::invoices;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "POST /v1/tenants/{tenantId}/billings/{billingId}/paid";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let id = common::http::path_param(&req, "billingId", BillingId::parse)?;
    let input = common::http::optional_json_body(&req)?;
    let record = invoices::mark_paid(&app, &caller, &tenant, &id, input).await?;
    let etag = record.etag();
    let rounding = common::service::billings::rounding(&app).await?;
    common::http::with_etag(common::http::json(StatusCode::OK, &BillingView::of(&record, rounding)?)?, &etag)
}
