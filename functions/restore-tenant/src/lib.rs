//! `POST /v1/tenants/{tenantId}/restore`: restores a tenant archive (the body, `application/zip`;
//! operator only) where the tenant is absent, or where a purge left only what it keeps. The
//! archive is verified whole first (422: tampered, partial, another format version or tenant);
//! an occupied target is 409. Records are written as exported; invoice-number counters are
//! raised past the archive's numbers.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::TenantId;
use common::runtime::{self, BoxFuture};
use common::service::archive;
use common::{ApiError, App};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "POST /v1/tenants/{tenantId}/restore";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    caller.require_operator()?;
    match common::http::header(&req, "content-type")? {
        Some(ct) if ct.trim().eq_ignore_ascii_case("application/zip") => {}
        other => return Err(ApiError::UnsupportedMediaType(format!("Send the archive as application/zip, not {}.", other.unwrap_or("nothing")))),
    }
    let zip = match req.body() {
        Body::Binary(b) => bytes::Bytes::copy_from_slice(b),
        Body::Text(s) => bytes::Bytes::copy_from_slice(s.as_bytes()),
        _ => return Err(ApiError::field("body", "is required: the archive an export made")),
    };
    let report = archive::restore(&app, &caller, &tenant, &zip).await?;
    common::http::json(StatusCode::OK, &report)
}
