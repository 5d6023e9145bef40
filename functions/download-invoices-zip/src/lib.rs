//! `GET /v1/tenants/{tenantId}/invoices.zip?period=YYYY-MM[&run=<runId>]`: the period's issued
//! invoices as one ZIP, built while the PDFs are read one at a time (ZIP64 when sizes or offsets
//! need it), so a bundle of any size leaves with flat memory. With `run` (operator only): only
//! the invoices that month-end run issued for the tenant.

use std::sync::Arc;

use bytes::Bytes;
use common::caller::Caller;
use std::collections::BTreeSet;

use common::domain::{BillingPeriod, Invoice, InvoiceFilter, InvoiceNumber, InvoiceStatus, Metered, RunId, TenantId};
use common::export::zip::{ZipWriter, dos_date};
use common::http::percent;
use common::runtime::{self, BoxFuture, StreamBody};
use common::service::{invoices, runs, usage};
use common::store::{ByteStream, PageRequest, Verified};
use common::validation::Validator;
use common::{ApiError, App};
use futures_util::{StreamExt, TryStreamExt};
use http::{HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, StreamBody as Frames};
use hyper::body::Frame;
use lambda_http::{Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/invoices.zip";

const PAGE: usize = 100;

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<StreamBody>> {
    Box::pin(runtime::dispatch_stream(ROUTE, app, req, handle))
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Where the bundle is: which invoices are left, and the entry being copied.
struct Bundle {
    app: Arc<App>,
    caller: Caller,
    tenant: TenantId,
    period: BillingPeriod,
    zip: Option<ZipWriter>,
    queue: std::collections::VecDeque<Invoice>,
    next_page: Option<String>,
    /// With `?run=`: only the invoices that run issued.
    only: Option<BTreeSet<InvoiceNumber>>,
    copying: Option<ByteStream>,
}

impl Bundle {
    /// The next piece of the archive, or `None` once the end records are out.
    async fn next(mut self) -> Result<Option<(Bytes, Self)>, std::io::Error> {
        loop {
            let Some(zip) = self.zip.as_mut() else { return Ok(None) };
            if let Some(body) = self.copying.as_mut() {
                match body.next().await {
                    Some(chunk) => {
                        let chunk = chunk?;
                        zip.data(&chunk);
                        return Ok(Some((chunk, self)));
                    }
                    None => {
                        self.copying = None;
                        let descriptor = zip.end();
                        return Ok(Some((descriptor, self)));
                    }
                }
            }
            if let Some(invoice) = self.queue.pop_front() {
                let key = invoices::pdf_key(&invoice).map_err(io)?;
                let object = self
                    .app
                    .stores
                    .objects
                    .get_object(&key, None)
                    .await
                    .map_err(io)?
                    .ok_or_else(|| io(format!("the PDF of {} is missing", invoice.invoice_number)))?;
                let header = zip.begin(&format!("{}.pdf", invoice.invoice_number), dos_date(invoice.issue_date));
                let recorded = invoice.pdf().cloned().ok_or_else(|| io(format!("{} has no PDF", invoice.invoice_number)))?;
                // Each entry is checked against the invoice's SHA-256: altered bytes abort the
                // bundle rather than sit in it looking whole.
                self.copying = Some(Box::pin(Verified::new(object.stream, recorded)));
                return Ok(Some((header, self)));
            }
            if let Some(cursor) = self.next_page.take() {
                let page = invoices::list(&self.app, &self.caller, &self.tenant, in_bundle(self.period), &PageRequest { limit: PAGE, cursor: Some(cursor) })
                    .await
                    .map_err(io)?;
                self.next_page = page.next_cursor;
                let only = &self.only;
                self.queue.extend(page.items.into_iter().filter(|i| bundled(i, only)));
                continue;
            }
            let end = self.zip.take().map(ZipWriter::finish).unwrap_or_default();
            return Ok(Some((end, self)));
        }
    }
}

/// The period's issued invoices go in the bundle, paid ones too; voided ones do not.
fn in_bundle(period: BillingPeriod) -> InvoiceFilter {
    InvoiceFilter { period: Some(period), statuses: Some(vec![InvoiceStatus::Issued, InvoiceStatus::Paid]) }
}

fn bundled(i: &Invoice, only: &Option<BTreeSet<InvoiceNumber>>) -> bool {
    i.pdf().is_some() && only.as_ref().is_none_or(|o| o.contains(&i.invoice_number))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<StreamBody>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let query = common::http::Query::new(&req, &["period", "run"])?;
    let mut v = Validator::new();
    let period = v.check("query.period", query.get("period").ok_or_else(|| "is required (YYYY-MM)".to_owned()).and_then(BillingPeriod::parse));
    let run = v.check_opt("query.run", query.get("run"), RunId::parse).flatten();
    if let (Some(r), Some(p)) = (&run, period)
        && r.period() != p
    {
        v.add("query.run", format!("is a run for {}, not {p}", r.period()));
    }
    v.finish()?;
    let Some(period) = period else { return Err(ApiError::Internal("validation passed without a period".into())) };
    // A run's ZIP for one tenant: the invoices that run issued for it (operator only).
    let only = match &run {
        Some(r) => Some(runs::issued_for(&app, &caller, r, &tenant).await?),
        None => None,
    };
    // The first page is read before the head, so refusals are proper 4xx answers.
    let first = invoices::list(&app, &caller, &tenant, in_bundle(period), &PageRequest { limit: PAGE, cursor: None }).await?;
    let meter = (app.clone(), tenant.clone());
    let bundle = Bundle {
        app,
        caller,
        tenant: tenant.clone(),
        period,
        zip: Some(ZipWriter::new()),
        queue: first.items.into_iter().filter(|i| bundled(i, &only)).collect(),
        next_page: first.next_cursor,
        only,
        copying: None,
    };
    let chunks =
        futures_util::stream::try_unfold(bundle, Bundle::next).inspect_err(|e| tracing::error!(error = %e, "ZIP bundle failed mid-way")).map_ok(Frame::data);
    let body = usage::metered_stream(meter.0, meter.1, Frames::new(chunks).boxed_unsync(), Metered { exports: 1, ..Metered::default() });
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::OK;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    let name = format!("請求書_{period}.zip");
    let disposition = format!("attachment; filename=\"invoices-{period}.zip\"; filename*=UTF-8''{}", percent::encode(name.as_bytes(), false));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(|e| ApiError::Internal(e.to_string()))?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(r)
}
