//! Generic record access in redb: conditional writes, reads, and pages of a tenant's items in
//! key order. Write transactions are exclusive, so a condition and the write it guards cannot
//! interleave with another writer.

use std::ops::Bound;

use redb::{ReadableTable, TableDefinition, TableHandle};
use serde::de::DeserializeOwned;

use super::{EmbeddedStore, audit, decode, unavailable};
use crate::store::StoreError;

pub(crate) type KeyTable = TableDefinition<'static, &'static str, &'static [u8]>;
/// Items keyed by (tenant id, item id).
pub(crate) type TenantTable = TableDefinition<'static, (&'static str, &'static str), &'static [u8]>;

/// Which kind of conditional write to make.
#[derive(Clone, Copy)]
pub(crate) enum Cond {
    Absent,
    Version(u64),
    None,
}

fn stored_version(bytes: &[u8]) -> Result<u64, StoreError> {
    #[derive(serde::Deserialize)]
    struct V {
        version: u64,
    }
    decode::<V>(bytes).map(|v| v.version)
}

pub(crate) fn check(cond: Cond, existing: Option<&[u8]>) -> Result<(), StoreError> {
    match (cond, existing) {
        (Cond::None, _) | (Cond::Absent, None) => Ok(()),
        (Cond::Absent, Some(_)) => Err(StoreError::AlreadyExists),
        (Cond::Version(_), None) => Err(StoreError::VersionMismatch),
        (Cond::Version(v), Some(b)) => {
            if stored_version(b)? == v {
                Ok(())
            } else {
                Err(StoreError::VersionMismatch)
            }
        }
    }
}

/// Where a page starts and ends within one tenant's items (ids compared as strings).
pub(crate) struct Span {
    /// Lowest id to include.
    pub from: String,
    /// Highest id to include; `None` for the tenant's last item.
    pub to: Option<String>,
    /// Resume strictly after this id (a cursor's position).
    pub after: Option<String>,
}

impl EmbeddedStore {
    pub(crate) async fn put_key(&self, table: KeyTable, key: String, value: Vec<u8>, cond: Cond) -> Result<(), StoreError> {
        let entries = audit::prepare(audit::change(table.name(), None, &key, &value, cond).into_iter().collect())?;
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            audit::write_entries(&txn, &entries)?;
            {
                let mut t = txn.open_table(table).map_err(unavailable)?;
                let existing = t.get(key.as_str()).map_err(unavailable)?.map(|g| g.value().to_vec());
                check(cond, existing.as_deref())?;
                t.insert(key.as_str(), value.as_slice()).map_err(unavailable)?;
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }

    pub(crate) fn get_key<T: DeserializeOwned>(&self, table: KeyTable, key: &str) -> Result<Option<T>, StoreError> {
        self.read_db(|db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let t = txn.open_table(table).map_err(unavailable)?;
            let got = t.get(key).map_err(unavailable)?;
            got.map(|g| decode(g.value())).transpose()
        })
    }

    pub(crate) async fn delete_key(&self, table: KeyTable, key: String) -> Result<(), StoreError> {
        // Deleting what is not there changes nothing: not audited.
        let stored: Option<serde_json::Value> = if audit::active_for(table.name()) { self.get_key(table, &key)? } else { None };
        let json = stored.map(|v| serde_json::to_vec(&v)).transpose().map_err(|e| StoreError::Corrupt(format!("encoding record: {e}")))?;
        let entries = audit::prepare(json.and_then(|j| audit::deletion(table.name(), &key, &j)).into_iter().collect())?;
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            audit::write_entries(&txn, &entries)?;
            txn.open_table(table).map_err(unavailable)?.remove(key.as_str()).map_err(unavailable)?;
            txn.commit().map_err(unavailable)
        })
        .await
    }

    pub(crate) async fn put_item(&self, table: TenantTable, tenant: String, id: String, value: Vec<u8>, cond: Cond) -> Result<(), StoreError> {
        let entries = audit::prepare(audit::change(table.name(), Some(&tenant), &id, &value, cond).into_iter().collect())?;
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            audit::write_entries(&txn, &entries)?;
            {
                let mut t = txn.open_table(table).map_err(unavailable)?;
                let existing = t.get((tenant.as_str(), id.as_str())).map_err(unavailable)?.map(|g| g.value().to_vec());
                check(cond, existing.as_deref())?;
                t.insert((tenant.as_str(), id.as_str()), value.as_slice()).map_err(unavailable)?;
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }

    pub(crate) fn get_item<T: DeserializeOwned>(&self, table: TenantTable, tenant: &str, id: &str) -> Result<Option<T>, StoreError> {
        self.read_db(|db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let t = txn.open_table(table).map_err(unavailable)?;
            let got = t.get((tenant, id)).map_err(unavailable)?;
            got.map(|g| decode(g.value())).transpose()
        })
    }

    /// Up to `limit` of a tenant's items within `span` that `keep` accepts, in id order, and
    /// whether more such items follow.
    pub(crate) fn page_items<T: DeserializeOwned>(
        &self,
        table: TenantTable,
        tenant: &str,
        span: &Span,
        limit: usize,
        keep: impl Fn(&T) -> bool,
    ) -> Result<(Vec<T>, bool), StoreError> {
        self.read_db(|db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let t = txn.open_table(table).map_err(unavailable)?;
            let start = match &span.after {
                Some(pos) if *pos >= span.from => Bound::Excluded((tenant, pos.as_str())),
                _ => Bound::Included((tenant, span.from.as_str())),
            };
            let mut items = Vec::with_capacity(limit);
            for entry in t.range::<(&str, &str)>((start, Bound::Unbounded)).map_err(unavailable)? {
                let (k, v) = entry.map_err(unavailable)?;
                let (item_tenant, id) = k.value();
                if item_tenant != tenant || span.to.as_deref().is_some_and(|to| id > to) {
                    break;
                }
                let item: T = decode(v.value())?;
                if keep(&item) {
                    if items.len() == limit {
                        return Ok((items, true));
                    }
                    items.push(item);
                }
            }
            Ok((items, false))
        })
    }
}
