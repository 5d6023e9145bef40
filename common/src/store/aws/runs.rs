//! Month-end runs in DynamoDB. The run (`RUNS` / `RUN#<id>`, version-guarded) and its period claim
//! (`RUNS` / `ACTIVE#<period>`) share a partition; a run's counts (`RUN#<id>` / `COUNTS`, moved
//! only with `ADD`) and items (`RUN#<id>` / `ITEM#<tenant>#<billing>`) share another. Every write
//! that settles or adds an item moves the counts in the same transaction.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};

use super::AwsStore;
use super::dynamo::{Cond, change_of};
use super::invoices::put;
use super::items::{self, Item};
use crate::domain::{BillingId, BillingPeriod, InvoiceRun, RunCounts, RunId, RunItem, Settlement, TenantId};
use crate::store::{MAX_TRANSACTION_ITEMS, Page, PageRequest, RunStore, StoreError};

const RUNS_PK: &str = "RUNS";
const COUNTS_SK: &str = "COUNTS";
const ITEM_PREFIX: &str = "ITEM#";
/// Items one settling transaction takes: with a count update per run they hold, within DynamoDB's limit.
const SETTLE_CHUNK: usize = MAX_TRANSACTION_ITEMS / 2;

fn run_sk(id: &RunId) -> String {
    format!("RUN#{id}")
}

fn active_sk(period: BillingPeriod) -> String {
    format!("ACTIVE#{period}")
}

fn run_pk(id: &RunId) -> String {
    format!("RUN#{id}")
}

fn item_sk(item: &RunItem) -> String {
    format!("{ITEM_PREFIX}{}", item.key())
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Claim {
    run_id: RunId,
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn count(item: &Item, name: &str) -> Result<u64, StoreError> {
    match item.get(name) {
        None => Ok(0),
        Some(AttributeValue::N(v)) => v.parse().map_err(|_| StoreError::Corrupt(format!("{name} is not a count: {v}"))),
        Some(_) => Err(StoreError::Corrupt(format!("{name} is not a number"))),
    }
}

fn built<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Corrupt(format!("transaction item: {e}")))
}

impl AwsStore {
    /// Adds `delta` to a run's counts (the item exists from `create_run` on).
    fn add_counts(&self, run: &RunId, delta: RunCounts) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(items::key(run_pk(run), COUNTS_SK)))
            .update_expression("ADD #t :t, issued :i, failed :f, cancelled :c")
            .expression_attribute_names("#t", "total")
            .expression_attribute_values(":t", n(delta.total))
            .expression_attribute_values(":i", n(delta.issued))
            .expression_attribute_values(":f", n(delta.failed))
            .expression_attribute_values(":c", n(delta.cancelled));
        Ok(TransactWriteItem::builder().update(built(update.build())?).build())
    }

    /// Settles the items, each only if pending, and counts them per run, in one transaction.
    async fn settle_chunk(&self, chunk: &[(RunItem, Settlement)]) -> Result<(), StoreError> {
        let mut per_run: std::collections::BTreeMap<&RunId, RunCounts> = std::collections::BTreeMap::new();
        let mut writes = Vec::with_capacity(chunk.len() + 1);
        for (item, how) in chunk {
            let p = aws_sdk_dynamodb::types::Put::builder()
                .table_name(&self.table)
                .set_item(Some(items::to_item(run_pk(&item.run_id), item_sk(item), &how.apply(item))?))
                .condition_expression("#s = :pending")
                .expression_attribute_names("#s", "state")
                .expression_attribute_values(":pending", AttributeValue::S("pending".into()));
            writes.push(TransactWriteItem::builder().put(built(p.build())?).build());
            let sum = per_run.entry(&item.run_id).or_default();
            *sum = *sum + how.delta();
        }
        for (run, delta) in per_run {
            writes.push(self.add_counts(run, delta)?);
        }
        self.transact(writes).await
    }

    /// Settles one item: `false` when it was settled already.
    async fn settle_one(&self, one: &(RunItem, Settlement)) -> Result<bool, StoreError> {
        let item = &one.0;
        match self.settle_chunk(std::slice::from_ref(one)).await {
            Ok(()) => Ok(true),
            Err(StoreError::VersionMismatch) => match RunStore::get_item(self, &item.run_id, &item.tenant_id, &item.billing_id).await? {
                Some(stored) if stored.state != crate::domain::ItemState::Pending => Ok(false),
                _ => Err(StoreError::VersionMismatch),
            },
            Err(e) => Err(e),
        }
    }

    /// Puts items, each only if absent, and counts them, in one transaction.
    async fn add_batch(&self, batch: &[RunItem]) -> Result<(), StoreError> {
        let Some(first) = batch.first() else { return Ok(()) };
        let mut writes = Vec::with_capacity(batch.len() + 1);
        for i in batch {
            writes.push(put(&self.table, items::to_item(run_pk(&i.run_id), item_sk(i), i)?, Cond::Absent)?);
        }
        writes.push(self.add_counts(&first.run_id, RunCounts { total: batch.len() as u64, ..RunCounts::default() })?);
        self.transact(writes).await
    }
}

#[async_trait]
impl RunStore for AwsStore {
    async fn create_run(&self, run: &InvoiceRun) -> Result<(), StoreError> {
        let header = put(&self.table, items::to_item(RUNS_PK.to_owned(), run_sk(&run.run_id), run)?, Cond::Absent)?;
        let claim = put(&self.table, items::to_item(RUNS_PK.to_owned(), active_sk(run.request.period), &Claim { run_id: run.run_id.clone() })?, Cond::Absent)?;
        let counts = put(&self.table, items::to_item(run_pk(&run.run_id), COUNTS_SK.to_owned(), &RunCounts::default())?, Cond::Absent)?;
        let mut writes = vec![header, claim, counts];
        writes.extend(self.audit_writes(change_of(RUNS_PK, &run_sk(&run.run_id), run, Cond::Absent)?.into_iter().collect())?);
        match self.transact(writes).await {
            Err(StoreError::VersionMismatch) => Err(StoreError::AlreadyExists),
            other => other,
        }
    }

    async fn active_run(&self, period: BillingPeriod) -> Result<Option<RunId>, StoreError> {
        Ok(self.get::<Claim>(RUNS_PK.to_owned(), &active_sk(period)).await?.map(|c| c.run_id))
    }

    async fn get_run(&self, id: &RunId) -> Result<Option<(InvoiceRun, RunCounts)>, StoreError> {
        let Some(run) = self.get::<InvoiceRun>(RUNS_PK.to_owned(), &run_sk(id)).await? else { return Ok(None) };
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(items::key(run_pk(id), COUNTS_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| super::sdk_unavailable("GetItem", e))?;
        let counts = match out.item {
            None => RunCounts::default(),
            Some(i) => RunCounts { total: count(&i, "total")?, issued: count(&i, "issued")?, failed: count(&i, "failed")?, cancelled: count(&i, "cancelled")? },
        };
        Ok(Some((run, counts)))
    }

    async fn replace_run(&self, run: &InvoiceRun, expected_version: u64) -> Result<(), StoreError> {
        let header = put(&self.table, items::to_item(RUNS_PK.to_owned(), run_sk(&run.run_id), run)?, Cond::Version(expected_version))?;
        let audit = self.audit_writes(change_of(RUNS_PK, &run_sk(&run.run_id), run, Cond::Version(expected_version))?.into_iter().collect())?;
        if run.state.is_active() {
            let mut writes = vec![header];
            writes.extend(audit);
            return self.transact(writes).await;
        }
        // A finished run gives its period back: the claim goes if it is this run's.
        let release = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(items::key(RUNS_PK.to_owned(), &active_sk(run.request.period))))
            .condition_expression("attribute_not_exists(PK) OR runId = :r")
            .expression_attribute_values(":r", AttributeValue::S(run.run_id.to_string()));
        let mut writes = vec![header, TransactWriteItem::builder().delete(built(release.build())?).build()];
        writes.extend(audit);
        self.transact(writes).await
    }

    async fn list_runs(&self, period: Option<BillingPeriod>, page: &PageRequest) -> Result<Page<InvoiceRun>, StoreError> {
        let scope = format!("runs?period={}", period.map(|p| p.to_string()).unwrap_or_default());
        let after = page.cursor.as_deref().map(|c| self.codec.open_global(&scope, c)).transpose()?.map(|id| format!("RUN#{id}"));
        let (lo, hi) = match period {
            Some(p) => (format!("RUN#run-{p}-"), format!("RUN#run-{p}-~")),
            None => ("RUN#".to_owned(), "RUN#~".to_owned()),
        };
        let (items, more) = self.page(RUNS_PK, &lo, &hi, after, page.limit.max(1), |_: &InvoiceRun| true).await?;
        let next_cursor = self.codec.next_global(&scope, more, items.last().map(|r| r.run_id.as_str()));
        Ok(Page { items, next_cursor })
    }

    async fn add_items(&self, items: &[RunItem]) -> Result<u64, StoreError> {
        let mut added = 0;
        // One transaction per batch (its items and the count); when some were there already (a
        // retry), item by item, so that each new one is counted once.
        for batch in items.chunks(MAX_TRANSACTION_ITEMS - 1) {
            match self.add_batch(batch).await {
                Ok(()) => added += batch.len() as u64,
                Err(StoreError::VersionMismatch) => {
                    for one in batch {
                        match self.add_batch(std::slice::from_ref(one)).await {
                            Ok(()) => added += 1,
                            Err(StoreError::VersionMismatch) => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(added)
    }

    async fn settle_items(&self, settle: &[(RunItem, Settlement)]) -> Result<Vec<bool>, StoreError> {
        let mut out = Vec::with_capacity(settle.len());
        for chunk in settle.chunks(SETTLE_CHUNK) {
            match self.settle_chunk(chunk).await {
                Ok(()) => out.extend(std::iter::repeat_n(true, chunk.len())),
                // Some item was settled already (a redelivery): one at a time, to tell which.
                Err(StoreError::VersionMismatch) => {
                    for one in chunk {
                        out.push(self.settle_one(one).await?);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn get_item(&self, run: &RunId, tenant: &TenantId, billing: &BillingId) -> Result<Option<RunItem>, StoreError> {
        self.get(run_pk(run), &format!("{ITEM_PREFIX}{tenant}#{billing}")).await
    }

    async fn list_items(&self, run: &RunId, page: &PageRequest) -> Result<Page<RunItem>, StoreError> {
        let scope = format!("runs/{run}/items");
        let after = page.cursor.as_deref().map(|c| self.codec.open_global(&scope, c)).transpose()?.map(|k| format!("{ITEM_PREFIX}{k}"));
        let (items, more) = self.page(&run_pk(run), ITEM_PREFIX, &format!("{ITEM_PREFIX}~"), after, page.limit.max(1), |_: &RunItem| true).await?;
        let next_cursor = self.codec.next_global(&scope, more, items.last().map(|i| i.key()).as_deref());
        Ok(Page { items, next_cursor })
    }
}
