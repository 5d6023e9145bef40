//! Issuer settings, invoice-number counters and invoices in redb. Allocation happens in one
//! exclusive write transaction: the counter, the invoices and their billing records move together.

use async_trait::async_trait;
use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::tables::{Cond, Span, check};
use super::{BILLINGS, EmbeddedStore, INVOICES, SETTINGS, audit, decode, encode, unavailable};
use crate::domain::{Invoice, InvoiceFilter, InvoiceNumber, IssuerSettings, TenantId};
use crate::store::{Allocation, InvoiceStore, Page, PageRequest, Replacement, StoreError};

const ISSUER: &str = "issuer";

fn counter_key(year: i32) -> String {
    format!("counter#{year}")
}

#[derive(Serialize, Deserialize)]
struct Counter {
    next: u64,
}

#[async_trait]
impl InvoiceStore for EmbeddedStore {
    async fn get_issuer(&self) -> Result<Option<IssuerSettings>, StoreError> {
        self.get_key(SETTINGS, ISSUER)
    }

    async fn put_issuer(&self, settings: &IssuerSettings, expected_version: Option<u64>) -> Result<(), StoreError> {
        let cond = expected_version.map_or(Cond::Absent, Cond::Version);
        self.put_key(SETTINGS, ISSUER.to_owned(), encode(settings)?, cond).await
    }

    async fn next_invoice_seq(&self, year: i32) -> Result<u64, StoreError> {
        Ok(self.get_key::<Counter>(SETTINGS, &counter_key(year))?.map_or(1, |c| c.next))
    }

    async fn allocate_invoices(&self, year: i32, first: u64, batch: &[Allocation]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let count = u64::try_from(batch.len()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let next = encode(&Counter { next: first + count })?;
        let rows = batch
            .iter()
            .map(|a| {
                let keys = (a.invoice.tenant_id.to_string(), a.invoice.invoice_number.to_string(), a.billing.billing_id.to_string());
                Ok((keys, encode(&a.invoice)?, encode(&a.billing)?, a.billing_version))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let key = counter_key(year);
        let entries = audit::prepare(
            rows.iter()
                .flat_map(|((tenant, number, billing_id), inv, bill, billing_version)| {
                    [
                        audit::change("invoices", Some(tenant), number, inv, Cond::Absent),
                        audit::change("billings", Some(tenant), billing_id, bill, Cond::Version(*billing_version)),
                    ]
                })
                .flatten()
                .collect(),
        )?;
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            audit::write_entries(&txn, &entries)?;
            {
                let mut settings = txn.open_table(SETTINGS).map_err(unavailable)?;
                let current = settings.get(key.as_str()).map_err(unavailable)?.map(|g| decode::<Counter>(g.value())).transpose()?.map_or(1, |c| c.next);
                if current != first {
                    return Err(StoreError::VersionMismatch);
                }
                let mut invoices = txn.open_table(INVOICES).map_err(unavailable)?;
                let mut billings = txn.open_table(BILLINGS).map_err(unavailable)?;
                for ((tenant, number, billing_id), inv, bill, billing_version) in &rows {
                    if invoices.get((tenant.as_str(), number.as_str())).map_err(unavailable)?.is_some() {
                        return Err(StoreError::VersionMismatch);
                    }
                    let existing = billings.get((tenant.as_str(), billing_id.as_str())).map_err(unavailable)?.map(|g| g.value().to_vec());
                    check(Cond::Version(*billing_version), existing.as_deref())?;
                    invoices.insert((tenant.as_str(), number.as_str()), inv.as_slice()).map_err(unavailable)?;
                    billings.insert((tenant.as_str(), billing_id.as_str()), bill.as_slice()).map_err(unavailable)?;
                }
                settings.insert(key.as_str(), next.as_slice()).map_err(unavailable)?;
            }
            // Dropping an uncommitted transaction aborts it: the early returns above write nothing.
            txn.commit().map_err(unavailable)
        })
        .await
    }

    async fn get_invoice(&self, tenant: &TenantId, number: &InvoiceNumber) -> Result<Option<Invoice>, StoreError> {
        self.get_item(INVOICES, tenant.as_str(), number.as_str())
    }

    async fn update_invoices_and_billings(&self, batch: &[Replacement]) -> Result<(), StoreError> {
        let rows = batch
            .iter()
            .map(|r| {
                let keys = (r.invoice.tenant_id.to_string(), r.invoice.invoice_number.to_string(), r.billing.billing_id.to_string());
                Ok((keys, encode(&r.invoice)?, r.invoice_version, encode(&r.billing)?, r.billing_version))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let entries = audit::prepare(
            rows.iter()
                .flat_map(|((tenant, number, billing_id), inv, invoice_version, bill, billing_version)| {
                    [
                        audit::change("invoices", Some(tenant), number, inv, Cond::Version(*invoice_version)),
                        audit::change("billings", Some(tenant), billing_id, bill, Cond::Version(*billing_version)),
                    ]
                })
                .flatten()
                .collect(),
        )?;
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            audit::write_entries(&txn, &entries)?;
            {
                let mut invoices = txn.open_table(INVOICES).map_err(unavailable)?;
                let mut billings = txn.open_table(BILLINGS).map_err(unavailable)?;
                for ((tenant, number, billing_id), inv, invoice_version, bill, billing_version) in &rows {
                    let existing = invoices.get((tenant.as_str(), number.as_str())).map_err(unavailable)?.map(|g| g.value().to_vec());
                    check(Cond::Version(*invoice_version), existing.as_deref())?;
                    let existing = billings.get((tenant.as_str(), billing_id.as_str())).map_err(unavailable)?.map(|g| g.value().to_vec());
                    check(Cond::Version(*billing_version), existing.as_deref())?;
                    invoices.insert((tenant.as_str(), number.as_str()), inv.as_slice()).map_err(unavailable)?;
                    billings.insert((tenant.as_str(), billing_id.as_str()), bill.as_slice()).map_err(unavailable)?;
                }
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }

    async fn list_invoices(&self, tenant: &TenantId, filter: &InvoiceFilter, page: &PageRequest) -> Result<Page<Invoice>, StoreError> {
        let scope = filter.scope();
        let after = page.cursor.as_deref().map(|c| self.codec.open(tenant, &scope, c)).transpose()?;
        let span = Span { from: String::new(), to: None, after };
        let (items, more) = self.page_items(INVOICES, tenant.as_str(), &span, page.limit.max(1), |i: &Invoice| filter.matches(i))?;
        let next_cursor = self.codec.next(tenant, &scope, more, items.last().map(|l| l.invoice_number.as_str()));
        Ok(Page { items, next_cursor })
    }
}
