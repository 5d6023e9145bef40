//! `GET /v1/tenants/{tenantId}/invoices/{invoiceNumber}/pdf`: streams an invoice's PDF as it is
//! read from storage (any size, flat memory), with ETag / If-None-Match, a single Range, and
//! `?delivery=redirect` for a short-lived presigned URL instead.

use std::sync::Arc;
use std::time::Duration;

use common::caller::Caller;
use common::domain::{InvoiceNumber, Metered, TenantId};
use common::export::pdf::{Delivery, invoice_pdf};
use common::http::download::{attachment, file, header_value, not_modified, redirect, unchanged};
use common::runtime::{self, BoxFuture, StreamBody};
use common::service::{invoices, usage};
use common::validation::Validator;
use common::{ApiError, App};
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/invoices/{invoiceNumber}/pdf";

/// How long a redirect's presigned URL lives.
const REDIRECT_TTL: Duration = Duration::from_secs(300);

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<StreamBody>> {
    Box::pin(runtime::dispatch_stream(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<StreamBody>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let number = common::http::path_param(&req, "invoiceNumber", InvoiceNumber::parse)?;
    let query = common::http::Query::new(&req, &["delivery"])?;
    let mut v = Validator::new();
    let delivery = v.check_opt("query.delivery", query.get("delivery"), Delivery::parse);
    let delivery = v.finish_with(delivery)?.unwrap_or_default();
    let (_, key, info) = invoices::pdf_of(&app, &caller, &tenant, &number).await?;
    let etag = format!("\"{}\"", info.sha256);
    if delivery == Delivery::Redirect {
        return redirect(&app.stores.objects.presign_get(&key, REDIRECT_TTL).await?);
    }
    if not_modified(&req, &etag)? {
        return unchanged(&etag);
    }
    let range = common::http::parse_range(common::http::header(&req, "range")?);
    let pdf = invoice_pdf(&app, &number, &key, info, range).await?;
    let body = usage::metered_stream(app, tenant, pdf.body, Metered::default());
    let mut r = file(body, "application/pdf", attachment(&format!("{number}.pdf"), &format!("請求書_{number}.pdf"))?, "private, max-age=0");
    let h = r.headers_mut();
    h.insert(header::ETAG, header_value(&etag)?);
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some((start, end)) = pdf.span {
        *r.status_mut() = StatusCode::PARTIAL_CONTENT;
        r.headers_mut().insert(header::CONTENT_RANGE, header_value(&format!("bytes {start}-{end}/{}", pdf.size))?);
    }
    Ok(r)
}
