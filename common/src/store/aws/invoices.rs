//! Issuer settings, invoice-number counters and invoices in DynamoDB. Allocation is one
//! TransactWriteItems: the year's counter, the new invoices and their billing records, each under
//! a condition, so a number is used exactly when its invoice and billing record are written.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

use super::dynamo::{Cond, change_of};
use super::items::{self, Item};
use super::{AwsStore, sdk_unavailable};
use crate::domain::{Invoice, InvoiceFilter, InvoiceNumber, IssuerSettings, TenantId};
use crate::store::{Allocation, InvoiceStore, MAX_TRANSACTION_ITEMS, Page, PageRequest, Replacement, StoreError};

const ISSUER_PK: &str = "ISSUER";
const SETTINGS_SK: &str = "SETTINGS";
const INVOICE_SK_PREFIX: &str = "INVOICE#";

fn counter_sk(year: i32) -> String {
    format!("COUNTER#{year}")
}

fn invoice_sk(n: &InvoiceNumber) -> String {
    format!("{INVOICE_SK_PREFIX}{n}")
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Counter {
    next: u64,
}

/// A conditional Put for a transaction.
pub(super) fn put(table: &str, item: Item, cond: Cond) -> Result<TransactWriteItem, StoreError> {
    let mut p = Put::builder().table_name(table).set_item(Some(item));
    p = match cond {
        Cond::None => p,
        Cond::Absent => p.condition_expression("attribute_not_exists(PK)"),
        Cond::Version(v) => {
            p.condition_expression("#v = :v").expression_attribute_names("#v", "version").expression_attribute_values(":v", AttributeValue::N(v.to_string()))
        }
    };
    Ok(TransactWriteItem::builder().put(p.build().map_err(|e| StoreError::Corrupt(format!("transaction put: {e}")))?).build())
}

impl AwsStore {
    /// Runs a transaction within DynamoDB's item limit; a cancelled one (a condition failed, or a
    /// concurrent transaction touched an item) is `VersionMismatch`.
    pub(super) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        if items.len() > MAX_TRANSACTION_ITEMS {
            return Err(StoreError::TooLarge(format!("{} items in one transaction; DynamoDB allows {MAX_TRANSACTION_ITEMS}", items.len())));
        }
        match self.ddb.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se)) if matches!(se.err(), TransactWriteItemsError::TransactionCanceledException(_)) => Err(StoreError::VersionMismatch),
            Err(e) => Err(sdk_unavailable("TransactWriteItems", e)),
        }
    }
}

#[async_trait]
impl InvoiceStore for AwsStore {
    async fn get_issuer(&self) -> Result<Option<IssuerSettings>, StoreError> {
        self.get(ISSUER_PK.to_owned(), SETTINGS_SK).await
    }

    async fn put_issuer(&self, settings: &IssuerSettings, expected_version: Option<u64>) -> Result<(), StoreError> {
        self.put(ISSUER_PK.to_owned(), SETTINGS_SK.to_owned(), settings, expected_version.map_or(Cond::Absent, Cond::Version)).await
    }

    async fn next_invoice_seq(&self, year: i32) -> Result<u64, StoreError> {
        Ok(self.get::<Counter>(ISSUER_PK.to_owned(), &counter_sk(year)).await?.map_or(1, |c| c.next))
    }

    async fn allocate_invoices(&self, year: i32, first: u64, batch: &[Allocation]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let count = u64::try_from(batch.len()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let counter_item = items::to_item(ISSUER_PK.to_owned(), counter_sk(year), &Counter { next: first + count })?;
        let counter = if first == 1 {
            put(&self.table, counter_item, Cond::Absent)?
        } else {
            let p = Put::builder()
                .table_name(&self.table)
                .set_item(Some(counter_item))
                .condition_expression("#n = :seq")
                .expression_attribute_names("#n", "next")
                .expression_attribute_values(":seq", AttributeValue::N(first.to_string()))
                .build()
                .map_err(|e| StoreError::Corrupt(format!("transaction put: {e}")))?;
            TransactWriteItem::builder().put(p).build()
        };
        let mut writes = vec![counter];
        let mut changes = Vec::with_capacity(batch.len() * 2);
        for a in batch {
            let (invoice_pk, invoice_sk) = (items::tenant_pk(&a.invoice.tenant_id), invoice_sk(&a.invoice.invoice_number));
            let (billing_pk, billing_sk) = (items::tenant_pk(&a.billing.tenant_id), items::billing_sk(&a.billing.billing_id));
            changes.extend(change_of(&invoice_pk, &invoice_sk, &a.invoice, Cond::Absent)?);
            changes.extend(change_of(&billing_pk, &billing_sk, &a.billing, Cond::Version(a.billing_version))?);
            writes.push(put(&self.table, items::to_item(invoice_pk, invoice_sk, &a.invoice)?, Cond::Absent)?);
            writes.push(put(&self.table, items::to_item(billing_pk, billing_sk, &a.billing)?, Cond::Version(a.billing_version))?);
        }
        writes.extend(self.audit_writes(changes)?);
        self.transact(writes).await
    }

    async fn get_invoice(&self, tenant: &TenantId, number: &InvoiceNumber) -> Result<Option<Invoice>, StoreError> {
        self.get(items::tenant_pk(tenant), &invoice_sk(number)).await
    }

    async fn update_invoices_and_billings(&self, batch: &[Replacement]) -> Result<(), StoreError> {
        let mut writes = Vec::with_capacity(batch.len() * 2);
        let mut changes = Vec::with_capacity(batch.len() * 2);
        for r in batch {
            let (invoice_pk, invoice_sk) = (items::tenant_pk(&r.invoice.tenant_id), invoice_sk(&r.invoice.invoice_number));
            let (billing_pk, billing_sk) = (items::tenant_pk(&r.billing.tenant_id), items::billing_sk(&r.billing.billing_id));
            changes.extend(change_of(&invoice_pk, &invoice_sk, &r.invoice, Cond::Version(r.invoice_version))?);
            changes.extend(change_of(&billing_pk, &billing_sk, &r.billing, Cond::Version(r.billing_version))?);
            writes.push(put(&self.table, items::to_item(invoice_pk, invoice_sk, &r.invoice)?, Cond::Version(r.invoice_version))?);
            writes.push(put(&self.table, items::to_item(billing_pk, billing_sk, &r.billing)?, Cond::Version(r.billing_version))?);
        }
        if writes.is_empty() {
            return Ok(());
        }
        writes.extend(self.audit_writes(changes)?);
        self.transact(writes).await
    }

    async fn list_invoices(&self, tenant: &TenantId, filter: &InvoiceFilter, page: &PageRequest) -> Result<Page<Invoice>, StoreError> {
        let scope = filter.scope();
        let after = page.cursor.as_deref().map(|c| self.codec.open(tenant, &scope, c)).transpose()?.map(|n| format!("{INVOICE_SK_PREFIX}{n}"));
        let (items, more) = self
            .page(&items::tenant_pk(tenant), INVOICE_SK_PREFIX, &format!("{INVOICE_SK_PREFIX}~"), after, page.limit.max(1), |i: &Invoice| filter.matches(i))
            .await?;
        let next_cursor = self.codec.next(tenant, &scope, more, items.last().map(|l| l.invoice_number.as_str()));
        Ok(Page { items, next_cursor })
    }
}
