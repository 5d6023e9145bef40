//! `POST /v1/tenants/{tenantId}/purge`: removes an offboarded tenant's data (operator only; 409
//! before offboarding) except what retention holds: delivered invoices, their billing records and
//! PDFs until their retention ends, the tenant record and the audit trail. Answers what it
//! removed and kept, by kind, and why; a second purge removes nothing more.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::TenantId;
use common::runtime::{self, BoxFuture};
use common::service::archive;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "POST /v1/tenants/{tenantId}/purge";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let report = archive::purge(&app, &caller, &tenant).await?;
    common::http::json(StatusCode::OK, &report)
}
