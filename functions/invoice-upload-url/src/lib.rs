//! `POST /v1/tenants/{tenantId}/invoices/{invoiceNumber}/upload-url`: A presigned PUT for the PDF of an invoice issued with `?pdf=external` (operator only): type and length pinned, 10 minutes.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::{InvoiceNumber, TenantId};
use common::runtime::{self, BoxFuture};
use common::service::uploads::{self, UploadRequest};
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "POST /v1/tenants/{tenantId}/invoices/{invoiceNumber}/upload-url";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let number = common::http::path_param(&req, "invoiceNumber", InvoiceNumber::parse)?;
    let input: UploadRequest = common::http::json_body(&req)?;
    let upload = uploads::upload_url(&app, &caller, &tenant, &number, input).await?;
    common::http::json(StatusCode::OK, &upload)
}
