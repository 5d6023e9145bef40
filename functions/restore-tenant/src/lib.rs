//! `POST /v1/tenants/{tenantId}/restore`: restores a tenant archive (the body, `application/zip`,
//! or `{"upload": …}` as `application/json` for one uploaded through `restore-url`; operator
//! only) where the tenant is absent, or where a purge left only what it keeps. The
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
    let content_type = common::http::header(&req, "content-type")?.map(|ct| ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    let report = match content_type.as_deref() {
        Some("application/json") => archive::upload::restore_upload(&app, &caller, &tenant, common::http::json_body(&req)?).await?,
        Some("application/zip") => {
            let zip = match req.body() {
                Body::Binary(b) => bytes::Bytes::copy_from_slice(b),
                Body::Text(s) => bytes::Bytes::copy_from_slice(s.as_bytes()),
                _ => return Err(ApiError::field("body", "is required: the archive an export made")),
            };
            archive::restore(&app, &caller, &tenant, &archive::Source::Body(zip)).await?
        }
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "Send the archive as application/zip, or {{\"upload\": …}} as application/json, not {}.",
                other.unwrap_or("nothing")
            )));
        }
    };
    common::http::json(StatusCode::OK, &report)
}
