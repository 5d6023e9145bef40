//! `POST /v1/tenants/{tenantId}/invoices/{invoiceNumber}/upload-complete`: Checks an uploaded PDF (a PDF, within the limit, the announced SHA-256) and issues its invoice; a refused upload is deleted (operator only).

use std::sync::Arc;

use common::caller::Caller;
use common::domain::{InvoiceNumber, TenantId};
use common::runtime::{self, BoxFuture};
use common::service::uploads::{self, UploadComplete};
use common::views::InvoiceView;
use common::{ApiError, App};
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "POST /v1/tenants/{tenantId}/invoices/{invoiceNumber}/upload-complete";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let number = common::http::path_param(&req, "invoiceNumber", InvoiceNumber::parse)?;
    let input: UploadComplete = common::http::json_body(&req)?;
    let invoice = uploads::complete(&app, &caller, &tenant, &number, input).await?;
    common::http::tagged(&invoice.etag(), &InvoiceView::from(&invoice))
}
