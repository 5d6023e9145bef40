//! The CSV files the routes stream: a tenant's billing records and a month-end run's report.

use std::sync::Arc;

use bytes::Bytes;

use super::csv::{self, CsvEncoding};
use super::paged::paged;
use crate::app::App;
use crate::caller::Caller;
use crate::domain::{BillingFilter, BillingRecord, RunId, RunItem, TenantId};
use crate::service::{billings, runs};
use crate::store::{Page, PageRequest};
use crate::stream::StreamBody;

/// Records or run items read per storage query.
pub const PAGE: usize = 100;

/// Rows written, and characters the encoding could not hold (cp932), logged when the file ends.
struct Tally {
    rows: usize,
    replaced: usize,
}

impl Drop for Tally {
    fn drop(&mut self) {
        tracing::info!(rows = self.rows, replaced = self.replaced, "CSV export ended");
    }
}

/// The tenant's billing records as CSV, one row per line item, `first` being the first page of
/// `billings::list` with `filter` (read by the route before the head).
pub fn billings_csv(app: Arc<App>, caller: Caller, tenant: TenantId, filter: BillingFilter, encoding: CsvEncoding, first: Page<BillingRecord>) -> StreamBody {
    let mut tally = Tally { rows: 0, replaced: 0 };
    let fetch = move |cursor: String| {
        let (app, caller, tenant, filter) = (app.clone(), caller.clone(), tenant.clone(), filter.clone());
        async move { billings::list(&app, &caller, &tenant, filter, &PageRequest { limit: PAGE, cursor: Some(cursor) }).await }
    };
    let render = move |records: &[BillingRecord], first: bool| {
        // The whole tally moves in (not copies of its counters), so it logs when the file ends.
        let tally = &mut tally;
        let mut text = if first { csv::header_row() } else { String::new() };
        for record in records {
            tally.rows += record.content().lines.len();
            text.push_str(&csv::rows(record));
        }
        let (encoded, replaced) = encoding.encode(&text);
        tally.replaced += replaced;
        if first { Bytes::from([encoding.preamble(), &encoded[..]].concat()) } else { encoded }
    };
    paged("billings.csv", first, fetch, render)
}

/// A run's report as CSV (UTF-8 with BOM), one row per billing record the run took.
pub fn run_report_csv(app: Arc<App>, caller: Caller, run: RunId, first: Page<RunItem>) -> StreamBody {
    let fetch = move |cursor: String| {
        let (app, caller, run) = (app.clone(), caller.clone(), run.clone());
        async move { runs::items(&app, &caller, &run, &PageRequest { limit: PAGE, cursor: Some(cursor) }).await }
    };
    let render = |items: &[RunItem], first: bool| {
        let text = if first { csv::run_header_row() } else { String::new() } + &csv::run_rows(items);
        if first { Bytes::from([CsvEncoding::Utf8Bom.preamble(), text.as_bytes()].concat()) } else { Bytes::from(text) }
    };
    paged("report.csv", first, fetch, render)
}
