//! Per-tenant export, restore and purge in redb: a tenant's rows of every table read in one
//! read transaction, written or removed in one write transaction (no audit entries: restored
//! entries are the archive's own, and a purge never touches the trail).

use async_trait::async_trait;
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::audit::{AUDIT, AUDIT_ALL};
use super::{API_KEYS, BILLINGS, CONTRACTS, EmbeddedStore, IDEMPOTENCY, INVOICES, METERING, PRINCIPALS, SETTINGS, TENANTS, decode, encode, unavailable};
use crate::domain::TenantId;
use crate::store::{ApiKeyRecord, Owner, Principal, Removal, StoreError, TenantArchive, TenantRecords, UsageDay};

type Pairs = TableDefinition<'static, (&'static str, &'static str), &'static [u8]>;

/// The invoice-number counter as `invoices.rs` keeps it.
#[derive(Serialize, Deserialize)]
struct Counter {
    next: u64,
}

fn counter_key(year: i32) -> String {
    format!("counter#{year}")
}

fn rows<T: serde::de::DeserializeOwned>(txn: &redb::ReadTransaction, table: Pairs, tenant: &str) -> Result<Vec<(String, T)>, StoreError> {
    let t = txn.open_table(table).map_err(unavailable)?;
    let mut out = Vec::new();
    for row in t.range((tenant, "")..(tenant, "\u{10FFFF}")).map_err(unavailable)? {
        let (k, v) = row.map_err(unavailable)?;
        out.push((k.value().1.to_owned(), decode(v.value())?));
    }
    Ok(out)
}

fn owned_by(owner: &Owner, tenant: &TenantId) -> bool {
    owner.tenant_id() == Some(tenant)
}

#[async_trait]
impl TenantArchive for EmbeddedStore {
    async fn tenant_records(&self, tenant: &TenantId) -> Result<TenantRecords, StoreError> {
        let id = tenant.as_str();
        let mut records = self.read_db(|db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let tenants = txn.open_table(TENANTS).map_err(unavailable)?;
            let record = tenants.get(id).map_err(unavailable)?.map(|g| decode(g.value())).transpose()?;
            let usage = rows::<crate::domain::Metered>(&txn, METERING, id)?
                .into_iter()
                .map(|(day, metered)| {
                    let day = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(format!("metering day {day}: {e}")))?;
                    Ok(UsageDay { day, metered })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let mut principals = Vec::new();
            for row in txn.open_table(PRINCIPALS).map_err(unavailable)?.range::<&str>(..).map_err(unavailable)? {
                let p: Principal = decode(row.map_err(unavailable)?.1.value())?;
                if owned_by(&p.owner, tenant) {
                    principals.push(p);
                }
            }
            // The key the tenant record names, as the DynamoDB adapter (which has no index of keys
            // by tenant) reads it: rotation and offboarding delete the ones before.
            let mut api_keys = Vec::new();
            if let Some(key_id) = record.as_ref().and_then(|t: &crate::domain::Tenant| t.api_key_id.clone()) {
                let keys = txn.open_table(API_KEYS).map_err(unavailable)?;
                let key = keys.get(key_id.as_str()).map_err(unavailable)?.map(|g| decode::<ApiKeyRecord>(g.value())).transpose()?;
                api_keys.extend(key.filter(|k| owned_by(&k.owner, tenant)));
            }
            Ok(TenantRecords {
                tenant: record,
                contracts: rows(&txn, CONTRACTS, id)?.into_iter().map(|(_, v)| v).collect(),
                billings: rows(&txn, BILLINGS, id)?.into_iter().map(|(_, v)| v).collect(),
                invoices: rows(&txn, INVOICES, id)?.into_iter().map(|(_, v)| v).collect(),
                usage,
                audit: rows(&txn, AUDIT, id)?.into_iter().map(|(_, v)| v).collect(),
                principals,
                api_keys,
            })
        })?;
        records.sort();
        Ok(records)
    }

    async fn write_records(&self, tenant: &TenantId, records: &TenantRecords) -> Result<(), StoreError> {
        let (id, r) = (tenant.to_string(), records.clone());
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            {
                if let Some(t) = &r.tenant {
                    txn.open_table(TENANTS).map_err(unavailable)?.insert(t.tenant_id.as_str(), encode(t)?.as_slice()).map_err(unavailable)?;
                }
                let put = |table: Pairs, tenant: &str, id: &str, bytes: Vec<u8>| -> Result<(), StoreError> {
                    txn.open_table(table).map_err(unavailable)?.insert((tenant, id), bytes.as_slice()).map_err(unavailable)?;
                    Ok(())
                };
                for c in &r.contracts {
                    put(CONTRACTS, c.tenant_id.as_str(), c.contract_id.as_str(), encode(c)?)?;
                }
                for b in &r.billings {
                    put(BILLINGS, b.tenant_id.as_str(), b.billing_id.as_str(), encode(b)?)?;
                }
                for i in &r.invoices {
                    put(INVOICES, i.tenant_id.as_str(), i.invoice_number.as_str(), encode(i)?)?;
                }
                for e in &r.audit {
                    let part = e.tenant_id.as_ref().map_or("operator", TenantId::as_str);
                    put(AUDIT, part, &e.entry_id, encode(e)?)?;
                }
                let mut all = txn.open_table(AUDIT_ALL).map_err(unavailable)?;
                for e in &r.audit {
                    let part = e.tenant_id.as_ref().map_or("operator", TenantId::as_str);
                    all.insert(e.entry_id.as_str(), part).map_err(unavailable)?;
                }
            }
            {
                let mut metering = txn.open_table(METERING).map_err(unavailable)?;
                for u in &r.usage {
                    let day = u.day.format("%Y-%m-%d").to_string();
                    metering.insert((id.as_str(), day.as_str()), encode(&u.metered)?.as_slice()).map_err(unavailable)?;
                }
            }
            {
                let mut principals = txn.open_table(PRINCIPALS).map_err(unavailable)?;
                for p in &r.principals {
                    principals.insert(p.arn.as_str(), encode(p)?.as_slice()).map_err(unavailable)?;
                }
                let mut keys = txn.open_table(API_KEYS).map_err(unavailable)?;
                for k in &r.api_keys {
                    keys.insert(k.api_key_id.as_str(), encode(k)?.as_slice()).map_err(unavailable)?;
                }
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }

    async fn remove_records(&self, tenant: &TenantId, removal: &Removal) -> Result<u64, StoreError> {
        let (id, r) = (tenant.to_string(), removal.clone());
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            let mut idempotency = 0;
            {
                let remove = |table: Pairs, keys: Vec<String>| -> Result<(), StoreError> {
                    let mut t = txn.open_table(table).map_err(unavailable)?;
                    for k in keys {
                        t.remove((id.as_str(), k.as_str())).map_err(unavailable)?;
                    }
                    Ok(())
                };
                remove(CONTRACTS, r.contracts.iter().map(ToString::to_string).collect())?;
                remove(BILLINGS, r.billings.iter().map(ToString::to_string).collect())?;
                remove(INVOICES, r.invoices.iter().map(ToString::to_string).collect())?;
                remove(METERING, r.usage.iter().map(|d| d.format("%Y-%m-%d").to_string()).collect())?;
                let mut principals = txn.open_table(PRINCIPALS).map_err(unavailable)?;
                for p in &r.principals {
                    principals.remove(p.as_str()).map_err(unavailable)?;
                }
                let mut keys = txn.open_table(API_KEYS).map_err(unavailable)?;
                for k in &r.api_keys {
                    keys.remove(k.as_str()).map_err(unavailable)?;
                }
                let mut idem = txn.open_table(IDEMPOTENCY).map_err(unavailable)?;
                for gone in idem.extract_from_if((id.as_str(), "")..(id.as_str(), "\u{10FFFF}"), |_, _| true).map_err(unavailable)? {
                    gone.map_err(unavailable)?;
                    idempotency += 1;
                }
            }
            txn.commit().map_err(unavailable)?;
            Ok(idempotency)
        })
        .await
    }

    async fn raise_invoice_counter(&self, year: i32, next: u64) -> Result<(), StoreError> {
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            {
                let mut t = txn.open_table(SETTINGS).map_err(unavailable)?;
                let key = counter_key(year);
                let current = t.get(key.as_str()).map_err(unavailable)?.map(|g| decode::<Counter>(g.value())).transpose()?.map_or(1, |c| c.next);
                if current < next {
                    t.insert(key.as_str(), encode(&Counter { next })?.as_slice()).map_err(unavailable)?;
                }
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }
}
