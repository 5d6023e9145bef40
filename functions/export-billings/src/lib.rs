//! `GET /v1/tenants/{tenantId}/billings.csv?from=&to=&status=&encoding=`: a CSV of billing
//! records, one row per line item, streamed page by page as it is read (any number of rows, flat
//! memory). `encoding`: `utf8bom` (default, for Excel), `utf8`, or `cp932` (see
//! `common::export::csv` for what cp932 cannot encode).

use std::sync::Arc;

use bytes::Bytes;
use common::caller::Caller;
use common::domain::{BillingFilter, Metered, TenantId};
use common::export::csv::{self, CsvEncoding};
use common::http::percent;
use common::runtime::{self, BoxFuture, StreamBody};
use common::service::{billings, usage};
use common::store::{Page, PageRequest};
use common::validation::Validator;
use common::{ApiError, App};
use futures_util::TryStreamExt;
use http::{HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, StreamBody as Frames};
use hyper::body::Frame;
use lambda_http::{Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/billings.csv";

/// Billing records read per storage query.
const PAGE: usize = 100;

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<StreamBody>> {
    Box::pin(runtime::dispatch_stream(ROUTE, app, req, handle))
}

fn header_value(v: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(v).map_err(|e| ApiError::Internal(format!("header value: {e}")))
}

/// Where the export is in its pages.
struct Cursor {
    app: Arc<App>,
    caller: Caller,
    tenant: TenantId,
    filter: BillingFilter,
    encoding: CsvEncoding,
    /// A page read but not yet written.
    pending: Option<Page<common::domain::BillingRecord>>,
    next: Option<String>,
    first: bool,
    rows: usize,
    replaced: usize,
}

impl Cursor {
    /// The next chunk of the file, or `None` at its end.
    async fn chunk(mut self) -> Result<Option<(Bytes, Self)>, std::io::Error> {
        let page = match self.pending.take() {
            Some(p) => p,
            None => {
                let Some(cursor) = self.next.take() else {
                    tracing::info!(rows = self.rows, replaced = self.replaced, "CSV export complete");
                    return Ok(None);
                };
                billings::list(&self.app, &self.caller, &self.tenant, self.filter.clone(), &PageRequest { limit: PAGE, cursor: Some(cursor) })
                    .await
                    .map_err(|e| std::io::Error::other(format!("reading billing records: {e}")))?
            }
        };
        self.next = page.next_cursor.clone();
        let mut text = String::new();
        if self.first {
            text.push_str(&csv::header_row());
        }
        for record in &page.items {
            self.rows += record.content().lines.len();
            text.push_str(&csv::rows(record));
        }
        let (encoded, replaced) = self.encoding.encode(&text);
        self.replaced += replaced;
        let chunk = if self.first { Bytes::from([self.encoding.preamble(), &encoded[..]].concat()) } else { encoded };
        self.first = false;
        Ok(Some((chunk, self)))
    }
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<StreamBody>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let query = common::http::Query::new(&req, &["from", "to", "status", "encoding"])?;
    let mut v = Validator::new();
    let filter = billings::filter_from_query(&query, &mut v);
    let encoding = v.check_opt("query.encoding", query.get("encoding"), CsvEncoding::parse).flatten().unwrap_or(CsvEncoding::Utf8Bom);
    v.finish()?;
    // The first page is read before the head is sent, so that a refused caller or a missing
    // tenant gets its 403/404 rather than a broken stream.
    let first = billings::list(&app, &caller, &tenant, filter.clone(), &PageRequest { limit: PAGE, cursor: None }).await?;
    let meter = (app.clone(), tenant.clone());
    let cursor = Cursor { app, caller, tenant: tenant.clone(), filter, encoding, pending: Some(first), next: None, first: true, rows: 0, replaced: 0 };
    let chunks =
        futures_util::stream::try_unfold(cursor, Cursor::chunk).inspect_err(|e| tracing::error!(error = %e, "CSV export failed mid-way")).map_ok(Frame::data);
    let body = usage::metered_stream(meter.0, meter.1, Frames::new(chunks).boxed_unsync(), Metered { exports: 1, ..Metered::default() });
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::OK;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(encoding.content_type()));
    let name = format!("請求データ_{tenant}.csv");
    h.insert(
        header::CONTENT_DISPOSITION,
        header_value(&format!("attachment; filename=\"billings-{tenant}.csv\"; filename*=UTF-8''{}", percent::encode(name.as_bytes(), false)))?,
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(r)
}
