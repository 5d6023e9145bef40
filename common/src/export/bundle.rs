//! A period's issued invoices as one ZIP, built while the PDFs are read one at a time (ZIP64 when
//! sizes or offsets need it), so a bundle of any size leaves with flat memory. Each entry is
//! checked against its invoice's SHA-256 as it is copied: altered bytes abort the bundle rather
//! than sit in it looking whole.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use http_body_util::{BodyExt, StreamBody as Frames};
use hyper::body::Frame;

use super::zip::{ZipWriter, dos_date};
use crate::app::App;
use crate::caller::Caller;
use crate::domain::{BillingPeriod, Invoice, InvoiceFilter, InvoiceNumber, InvoiceStatus, TenantId};
use crate::service::invoices;
use crate::store::{ByteStream, Page, PageRequest, Verified};
use crate::stream::StreamBody;

/// Invoices read per storage query.
pub const PAGE: usize = 100;

/// The period's issued invoices go in the bundle, paid ones too; voided ones do not.
pub fn in_bundle(period: BillingPeriod) -> InvoiceFilter {
    InvoiceFilter { period: Some(period), statuses: Some(vec![InvoiceStatus::Issued, InvoiceStatus::Paid]), ..InvoiceFilter::default() }
}

/// What goes in: invoices with a stored PDF, and with `only` (a run's), just those.
fn bundled(i: &Invoice, only: &Option<BTreeSet<InvoiceNumber>>) -> bool {
    i.pdf().is_some() && only.as_ref().is_none_or(|o| o.contains(&i.invoice_number))
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
    queue: VecDeque<Invoice>,
    next_page: Option<String>,
    only: Option<BTreeSet<InvoiceNumber>>,
    copying: Option<ByteStream>,
}

impl Bundle {
    /// The next piece of the archive, or `None` once the end records are out.
    async fn next(mut self) -> Result<Option<(Bytes, Self)>, std::io::Error> {
        loop {
            let Some(zip) = self.zip.as_mut() else { return Ok(None) };
            if let Some(body) = self.copying.as_mut() {
                return Ok(Some(match body.next().await {
                    Some(chunk) => {
                        let chunk = chunk?;
                        zip.data(&chunk);
                        (chunk, self)
                    }
                    None => {
                        self.copying = None;
                        let descriptor = zip.end();
                        (descriptor, self)
                    }
                }));
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

/// The ZIP of the tenant's invoices of `period`, `first` being the first page of
/// `invoices::list` with [`in_bundle`] (read by the route before the head); with `only`, just
/// those invoices (a run's).
pub fn invoices_zip(
    app: Arc<App>,
    caller: Caller,
    tenant: TenantId,
    period: BillingPeriod,
    only: Option<BTreeSet<InvoiceNumber>>,
    first: Page<Invoice>,
) -> StreamBody {
    let bundle = Bundle {
        app,
        caller,
        tenant,
        period,
        zip: Some(ZipWriter::new()),
        queue: first.items.into_iter().filter(|i| bundled(i, &only)).collect(),
        next_page: first.next_cursor,
        only,
        copying: None,
    };
    let chunks = futures_util::stream::try_unfold(bundle, Bundle::next).inspect_err(|e| tracing::error!(error = %e, "ZIP bundle failed mid-way"));
    Frames::new(chunks.map_ok(Frame::data)).boxed_unsync()
}
