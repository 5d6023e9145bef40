//! `GET /v1/tenants/{tenantId}/invoices/{invoiceNumber}/pdf`: streams an invoice's PDF as it is
//! read from storage (any size, flat memory), with ETag / If-None-Match, a single Range, and
//! `?delivery=redirect` for a short-lived presigned URL instead.

use std::sync::Arc;
use std::time::Duration;

use common::caller::Caller;
use common::domain::{InvoiceNumber, Metered, TenantId};
use common::http::percent;
use common::runtime::{self, BoxFuture, StreamBody};
use common::service::{invoices, usage};
use common::store::Verified;
use common::validation::Validator;
use common::{ApiError, App};
use futures_util::TryStreamExt;
use http::{HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, Empty, StreamBody as Frames};
use hyper::body::Frame;
use lambda_http::{Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/invoices/{invoiceNumber}/pdf";

/// How long a redirect's presigned URL lives.
const REDIRECT_TTL: Duration = Duration::from_secs(300);

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<StreamBody>> {
    Box::pin(runtime::dispatch_stream(ROUTE, app, req, handle))
}

fn empty(status: StatusCode) -> Response<StreamBody> {
    let mut r = Response::new(Empty::new().map_err(|never| match never {}).boxed_unsync());
    *r.status_mut() = status;
    r
}

fn header_value(v: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(v).map_err(|e| ApiError::Internal(format!("header value: {e}")))
}

/// RFC 6266: an ASCII fallback and the UTF-8 name, 請求書_<number>.pdf.
fn disposition(number: &InvoiceNumber) -> String {
    let utf8 = format!("請求書_{number}.pdf");
    format!("attachment; filename=\"{number}.pdf\"; filename*=UTF-8''{}", percent::encode(utf8.as_bytes(), false))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<StreamBody>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let number = common::http::path_param(&req, "invoiceNumber", InvoiceNumber::parse)?;
    let query = common::http::Query::new(&req, &["delivery"])?;
    let mut v = Validator::new();
    let redirect = match query.get("delivery") {
        None | Some("stream") => false,
        Some("redirect") => true,
        Some(_) => {
            v.add("query.delivery", "must be stream (the default) or redirect");
            false
        }
    };
    v.finish()?;
    let (_, key, info) = invoices::pdf_of(&app, &caller, &tenant, &number).await?;
    let etag = format!("\"{}\"", info.sha256);

    if redirect {
        let url = app.stores.objects.presign_get(&key, REDIRECT_TTL).await?;
        let mut r = empty(StatusCode::SEE_OTHER);
        r.headers_mut().insert(header::LOCATION, header_value(&url)?);
        r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(r);
    }
    let not_modified =
        common::http::header(&req, "if-none-match")?.is_some_and(|v| v.trim() == "*" || v.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    if not_modified {
        let mut r = empty(StatusCode::NOT_MODIFIED);
        r.headers_mut().insert(header::ETAG, header_value(&etag)?);
        return Ok(r);
    }
    let range = common::http::parse_range(common::http::header(&req, "range")?);
    let object = app.stores.objects.get_object(&key, range).await?.ok_or_else(|| ApiError::Internal(format!("the PDF of {number} is missing from storage")))?;
    let size = object.meta.size;
    let span = object.span;
    if size != info.size {
        return Err(ApiError::Internal(format!("the stored PDF of {number} is {size} bytes; the invoice recorded {}", info.size)));
    }
    // A whole PDF is checked against the invoice's SHA-256 as it streams (a part cannot be).
    let stream = if span.is_none() { Box::pin(Verified::new(object.stream, info)) } else { object.stream };
    let log_number = number.to_string();
    // A storage error mid-way (or bytes that are not the invoice's) ends the response without its
    // final chunk, so the client sees it incomplete; the reason goes to the log.
    let frames = stream.inspect_err(move |e| tracing::error!(error = %e, invoice = %log_number, "PDF stream failed mid-way")).map_ok(Frame::data);
    let body = usage::metered_stream(app.clone(), tenant.clone(), Frames::new(frames).boxed_unsync(), Metered::default());
    let mut r = Response::new(body);
    *r.status_mut() = if span.is_some() { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK };
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    h.insert(header::CONTENT_DISPOSITION, header_value(&disposition(&number))?);
    h.insert(header::ETAG, header_value(&etag)?);
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=0"));
    if let Some((start, end)) = span {
        h.insert(header::CONTENT_RANGE, header_value(&format!("bytes {start}-{end}/{size}"))?);
    }
    Ok(r)
}
