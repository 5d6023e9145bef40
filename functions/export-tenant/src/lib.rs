//! `POST /v1/tenants/{tenantId}/exports`: the tenant's archive (operator only), streamed as a ZIP
//! while its objects are read one at a time: every record as NDJSON, every object under the
//! tenant's prefix, and `manifest.json` with each part's count and SHA-256 (see
//! `common::service::archive`). No Content-Length: its size is known only at its end.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::TenantId;
use common::export::tenant_archive::tenant_zip;
use common::http::download::{attachment, file};
use common::runtime::{self, BoxFuture, StreamBody};
use common::service::archive;
use common::{ApiError, App};
use lambda_http::{Request, Response};

pub const ROUTE: &str = "POST /v1/tenants/{tenantId}/exports";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<StreamBody>> {
    Box::pin(runtime::dispatch_stream(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<StreamBody>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    // Records read and objects listed before the head, so refusals are proper 4xx answers.
    let records = archive::records_for_export(&app, &caller, &tenant).await?;
    let objects = archive::tenant_objects(&app, &tenant).await?;
    let name = format!("{tenant}-{}.zip", app.clock.now().format("%Y%m%dT%H%M%SZ"));
    let body = tenant_zip(app, tenant, records, objects);
    Ok(file(body, "application/zip", attachment(&name, &name)?, "private, no-store"))
}
