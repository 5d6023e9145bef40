//! `GET /v1/invoice-runs/{runId}/report.csv`: a run's report (operator only), one row per billing
//! record it took: tenant, record, invoice number, total, state, failure reason. UTF-8 with a BOM
//! for Excel, streamed page by page as it is read (a run of any size, flat memory).

use std::sync::Arc;

use bytes::Bytes;
use common::caller::Caller;
use common::domain::{RunId, RunItem};
use common::export::csv::{self, CsvEncoding};
use common::runtime::{self, BoxFuture, StreamBody};
use common::service::runs;
use common::store::{Page, PageRequest};
use common::{ApiError, App};
use futures_util::TryStreamExt;
use http::{HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, StreamBody as Frames};
use hyper::body::Frame;
use lambda_http::{Request, Response};

pub const ROUTE: &str = "GET /v1/invoice-runs/{runId}/report.csv";

/// Items read per storage query.
const PAGE: usize = 500;

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<StreamBody>> {
    Box::pin(runtime::dispatch_stream(ROUTE, app, req, handle))
}

/// Where the report is in its pages.
struct Cursor {
    app: Arc<App>,
    caller: Caller,
    run: RunId,
    pending: Option<Page<RunItem>>,
    next: Option<String>,
    first: bool,
}

impl Cursor {
    async fn chunk(mut self) -> Result<Option<(Bytes, Self)>, std::io::Error> {
        let page = match self.pending.take() {
            Some(p) => p,
            None => {
                let Some(cursor) = self.next.take() else { return Ok(None) };
                runs::items(&self.app, &self.caller, &self.run, &PageRequest { limit: PAGE, cursor: Some(cursor) })
                    .await
                    .map_err(|e| std::io::Error::other(format!("reading run items: {e}")))?
            }
        };
        self.next = page.next_cursor.clone();
        let mut text = if self.first { csv::run_header_row() } else { String::new() };
        text.push_str(&csv::run_rows(&page.items));
        let chunk = if self.first { Bytes::from([CsvEncoding::Utf8Bom.preamble(), text.as_bytes()].concat()) } else { Bytes::from(text) };
        self.first = false;
        Ok(Some((chunk, self)))
    }
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<StreamBody>, ApiError> {
    caller.require_operator()?;
    let run = common::http::path_param(&req, "runId", RunId::parse)?;
    // The first page is read before the head is sent, so that a missing run gets its 404.
    let first = runs::items(&app, &caller, &run, &PageRequest { limit: PAGE, cursor: None }).await?;
    let name = format!("run-{run}.csv");
    let cursor = Cursor { app, caller, run, pending: Some(first), next: None, first: true };
    let chunks =
        futures_util::stream::try_unfold(cursor, Cursor::chunk).inspect_err(|e| tracing::error!(error = %e, "run report failed mid-way")).map_ok(Frame::data);
    let mut r = Response::new(Frames::new(chunks).boxed_unsync());
    *r.status_mut() = StatusCode::OK;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CsvEncoding::Utf8Bom.content_type()));
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).map_err(|e| ApiError::Internal(e.to_string()))?;
    h.insert(header::CONTENT_DISPOSITION, disposition);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(r)
}
