//! Billing records and idempotency records in redb.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::ReadableTable;

use super::tables::{Cond, Span};
use super::{BILLINGS, EmbeddedStore, IDEMPOTENCY, decode, encode, unavailable};
use crate::domain::{BillingFilter, BillingId, BillingRecord, TenantId};
use crate::store::{Begin, BillingStore, IdempotencyKey, IdempotencyRecord, IdempotencyScope, IdempotencyStore, Page, PageRequest, StoreError, StoredResponse};

impl EmbeddedStore {
    /// Writes many new billing records in one transaction (bulk loads: restores, benchmarks);
    /// fails, writing none, if any already exists.
    pub async fn import_billings(&self, records: Vec<BillingRecord>) -> Result<usize, StoreError> {
        let encoded = records.iter().map(|b| Ok((b.tenant_id.to_string(), b.billing_id.to_string(), encode(b)?))).collect::<Result<Vec<_>, StoreError>>()?;
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            {
                let mut t = txn.open_table(BILLINGS).map_err(unavailable)?;
                for (tenant, id, value) in &encoded {
                    if t.insert((tenant.as_str(), id.as_str()), value.as_slice()).map_err(unavailable)?.is_some() {
                        return Err(StoreError::AlreadyExists);
                    }
                }
            }
            txn.commit().map_err(unavailable)?;
            Ok(encoded.len())
        })
        .await
    }
}

#[async_trait]
impl BillingStore for EmbeddedStore {
    async fn create_billing(&self, b: &BillingRecord) -> Result<(), StoreError> {
        self.put_item(BILLINGS, b.tenant_id.to_string(), b.billing_id.to_string(), encode(b)?, Cond::Absent).await
    }

    async fn replace_billing(&self, b: &BillingRecord, expected_version: u64) -> Result<(), StoreError> {
        self.put_item(BILLINGS, b.tenant_id.to_string(), b.billing_id.to_string(), encode(b)?, Cond::Version(expected_version)).await
    }

    async fn get_billing(&self, tenant: &TenantId, id: &BillingId) -> Result<Option<BillingRecord>, StoreError> {
        self.get_item(BILLINGS, tenant.as_str(), id.as_str())
    }

    async fn list_billings(&self, tenant: &TenantId, filter: &BillingFilter, page: &PageRequest) -> Result<Page<BillingRecord>, StoreError> {
        let scope = filter.scope();
        let after = page.cursor.as_deref().map(|c| self.codec.open(tenant, &scope, c)).transpose()?;
        // Ids lead with their period, so a period range is an id range.
        let span = Span { from: filter.from.map(|p| p.to_string()).unwrap_or_default(), to: filter.to.map(|p| format!("{p}-~")), after };
        let (items, more) = self.page_items(BILLINGS, tenant.as_str(), &span, page.limit.max(1), |b: &BillingRecord| filter.matches(b))?;
        let next_cursor = self.codec.next(tenant, &scope, more, items.last().map(|l| l.billing_id.as_str()));
        Ok(Page { items, next_cursor })
    }
}

#[async_trait]
impl IdempotencyStore for EmbeddedStore {
    async fn begin(&self, scope: &IdempotencyScope, key: &IdempotencyKey, request_hash: &str, now: DateTime<Utc>) -> Result<Begin, StoreError> {
        let record = IdempotencyRecord::in_progress(scope, key, request_hash, now);
        let (t, k, hash, value) = (scope.name(), key.as_str().to_owned(), request_hash.to_owned(), encode(&record)?);
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            let decision = {
                let mut table = txn.open_table(IDEMPOTENCY).map_err(unavailable)?;
                let existing: Option<IdempotencyRecord> = table.get((t.as_str(), k.as_str())).map_err(unavailable)?.map(|g| decode(g.value())).transpose()?;
                let decision = existing.map_or(Begin::Started, |e| e.admits(&hash, now));
                if decision == Begin::Started {
                    table.insert((t.as_str(), k.as_str()), value.as_slice()).map_err(unavailable)?;
                }
                decision
            };
            txn.commit().map_err(unavailable)?;
            Ok(decision)
        })
        .await
    }

    async fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        request_hash: &str,
        response: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let record = IdempotencyRecord::completed(scope, key, request_hash, response, now);
        self.put_item(IDEMPOTENCY, scope.name(), key.as_str().to_owned(), encode(&record)?, Cond::None).await
    }

    async fn abandon(&self, scope: &IdempotencyScope, key: &IdempotencyKey) -> Result<(), StoreError> {
        let (t, k) = (scope.name(), key.as_str().to_owned());
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            txn.open_table(IDEMPOTENCY).map_err(unavailable)?.remove((t.as_str(), k.as_str())).map_err(unavailable)?;
            txn.commit().map_err(unavailable)
        })
        .await
    }
}
