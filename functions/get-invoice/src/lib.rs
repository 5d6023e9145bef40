//! `GET /v1/tenants/{tenantId}/invoices/{invoiceNumber}`: Reads an invoice's metadata: a tenant its own, the operator any.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::{InvoiceNumber, TenantId};
use common::runtime::{self, BoxFuture};
use common::service::invoices;
use common::views::InvoiceView;
use common::{ApiError, App};
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/invoices/{invoiceNumber}";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let number = common::http::path_param(&req, "invoiceNumber", InvoiceNumber::parse)?;
    let invoice = invoices::get(&app, &caller, &tenant, &number).await?;
    common::http::tagged(&invoice.etag(), &InvoiceView::from(&invoice))
}
