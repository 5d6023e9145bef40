//! Issuing many records at once, as a run's worker does: their numbers are bound in one
//! transaction (one move of the hot invoice counter for the lot instead of one per record), their
//! PDFs rendered and stored in parallel, as many at once as there are cores, and the lot marked
//! issued in one more transaction. Whatever is off that path (a record already bound, a lost race,
//! a record that cannot be frozen, a write that failed) is issued one at a time by
//! `invoices::issue`, which handles every case; so the outcome per record is the same as issuing
//! each alone, numbers stay gapless, and nothing is issued twice.

use std::collections::BTreeMap;

use futures_util::future::join_all;

use super::invoices::{self, RENDERED, store_pdf};
use crate::app::App;
use crate::caller::Caller;
use crate::domain::{BillingId, BillingRecord, BillingStatus, CustomerProfile, Invoice, InvoiceNumber, IssuerSettings, PdfSource, TenantId, lifecycle};
use crate::error::ApiError;
use crate::store::{Allocation, MAX_ALLOCATIONS, Replacement, StoreError};

/// What `invoices::issue` answers for one record.
type Issued = Result<(Invoice, bool), ApiError>;

/// Issues each record's invoice (operator only); for each, what `invoices::issue` would answer.
pub async fn issue_many(app: &App, caller: &Caller, records: &[(TenantId, BillingId)]) -> Result<Vec<Issued>, ApiError> {
    caller.require_operator()?;
    let mut bound: Vec<Option<Allocation>> = vec![None; records.len()];
    if let Some(issuer) = app.stores.invoices.get_issuer().await? {
        for (year, drafts) in drafts_by_year(app, records).await? {
            for chunk in drafts.chunks(MAX_ALLOCATIONS) {
                for (i, allocation) in allocate(app, &issuer, year, chunk).await? {
                    if let Some(slot) = bound.get_mut(i) {
                        *slot = Some(allocation);
                    }
                }
            }
        }
    }
    // As many renders at once as there are cores: more would only hold more PDFs in memory.
    let turns = tokio::sync::Semaphore::new(parallelism());
    let turns = &turns;
    let stored = join_all(bound.into_iter().map(|allocation| async move {
        let a = allocation?;
        // Never closed, so acquiring cannot fail; were it to, the PDF is stored all the same.
        let _turn = turns.acquire().await.ok();
        tracing::info!(invoice_number = %a.invoice.invoice_number, billing_id = %a.billing.billing_id, "invoice number allocated");
        Some(store_pdf(app, &a.invoice).await.map(|pdf| (a, pdf)))
    }))
    .await;
    let mut out: Vec<Option<Issued>> = Vec::with_capacity(records.len());
    let mut batch: Vec<(usize, Replacement)> = Vec::new();
    for (i, s) in stored.into_iter().enumerate() {
        match s {
            Some(Ok((a, pdf))) => match lifecycle::issue(&a.invoice, &a.billing, pdf, app.clock.now()) {
                Ok((invoice, billing)) => {
                    batch.push((i, Replacement { invoice, invoice_version: a.invoice.version, billing, billing_version: a.billing.version }));
                    out.push(None);
                }
                Err(e) => out.push(Some(Err(ApiError::Conflict(e.0)))),
            },
            Some(Err(e)) => out.push(Some(Err(e))),
            None => out.push(None),
        }
    }
    mark_issued(app, batch, &mut out).await;
    let rest = join_all(out.into_iter().zip(records).map(|(done, (tenant, id))| async move {
        match done {
            Some(issued) => issued,
            None => {
                let _turn = turns.acquire().await.ok();
                invoices::issue(app, caller, tenant, id).await
            }
        }
    }))
    .await;
    Ok(rest)
}

/// Writes the batch's issued invoices and records in one transaction and meters them; those of a
/// batch that could not be written are left to the one-at-a-time path (`None` in `out`).
async fn mark_issued(app: &App, batch: Vec<(usize, Replacement)>, out: &mut [Option<Issued>]) {
    if batch.is_empty() {
        return;
    }
    let (at, replacements): (Vec<usize>, Vec<Replacement>) = batch.into_iter().unzip();
    match app.stores.invoices.update_invoices_and_billings(&replacements).await {
        Ok(()) => {
            let metered: Vec<(TenantId, crate::domain::Metered)> = replacements.iter().map(|r| (r.invoice.tenant_id.clone(), RENDERED)).collect();
            super::usage::record_many(app, &metered).await;
            for (i, r) in at.into_iter().zip(replacements) {
                tracing::info!(invoice_number = %r.invoice.invoice_number, size = r.invoice.pdf().map_or(0, |p| p.size), "invoice issued");
                if let Some(slot) = out.get_mut(i) {
                    *slot = Some(Ok((r.invoice, true)));
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, count = replacements.len(), "marking a batch issued failed; its records go one at a time"),
    }
}

fn parallelism() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// A draft to bind: its position in the batch, the record, and its recipient as of now.
type Draft = (usize, BillingRecord, CustomerProfile);

/// The records that are plain drafts, by the year their number belongs to.
async fn drafts_by_year(app: &App, records: &[(TenantId, BillingId)]) -> Result<BTreeMap<i32, Vec<Draft>>, ApiError> {
    let mut by_year: BTreeMap<i32, Vec<Draft>> = BTreeMap::new();
    for (i, (tenant, id)) in records.iter().enumerate() {
        let Some(billing) = app.stores.billings.get_billing(tenant, id).await? else { continue };
        if billing.status() != BillingStatus::Draft {
            continue;
        }
        let Some(recipient) = app.stores.tenants.get_tenant(tenant).await?.map(|t| t.customer_profile) else { continue };
        by_year.entry(Invoice::year_of(billing.content().issue_date)).or_default().push((i, billing, recipient));
    }
    Ok(by_year)
}

/// Binds consecutive numbers to the drafts in one transaction; which were bound (none when the
/// counter or a record moved meanwhile: they are left to the one-at-a-time path).
async fn allocate(app: &App, issuer: &IssuerSettings, year: i32, drafts: &[Draft]) -> Result<Vec<(usize, Allocation)>, ApiError> {
    let first = app.stores.invoices.next_invoice_seq(year).await?;
    let now = app.clock.now();
    let mut batch: Vec<(usize, Allocation)> = Vec::with_capacity(drafts.len());
    for (i, billing, recipient) in drafts {
        // Numbered in the order bound, so a draft left out leaves no gap.
        let number = InvoiceNumber::new(&issuer.invoice_prefix, year, first + batch.len() as u64);
        let Ok(frozen) = lifecycle::freeze(billing, issuer, recipient.clone(), number, PdfSource::Rendered) else { continue };
        let Ok((invoice, bound)) = lifecycle::bind(billing, frozen, now) else { continue };
        batch.push((*i, Allocation { invoice, billing: bound, billing_version: billing.version }));
    }
    let (at, allocations): (Vec<usize>, Vec<Allocation>) = batch.into_iter().unzip();
    match app.stores.invoices.allocate_invoices(year, first, &allocations).await {
        Ok(()) => Ok(at.into_iter().zip(allocations).collect()),
        Err(StoreError::VersionMismatch) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}
