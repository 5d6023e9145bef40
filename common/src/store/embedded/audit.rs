//! The audit trail in redb: entries by (tenant or `operator`, entry id) for a tenant's listing,
//! and by entry id alone for the operator's. Adapters' writes add their entries inside their own
//! write transaction ([`write_entries`]), so a change and its entry commit together.

use std::ops::Bound;

use async_trait::async_trait;
use redb::{TableDefinition, WriteTransaction};

use super::tables::Cond;
use super::{EmbeddedStore, decode, encode, unavailable};
use crate::audit::{self, AuditEntry, Change};
use crate::domain::TenantId;
use crate::store::{AuditQuery, AuditStore, Page, PageRequest, StoreError};

/// (`tenant id` or [`OPERATOR`], entry id) → entry.
pub(crate) const AUDIT: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("audit");
/// Entry id → its partition in [`AUDIT`].
pub(crate) const AUDIT_ALL: TableDefinition<&str, &str> = TableDefinition::new("audit_all");
const OPERATOR: &str = "operator";
const ALL_SCOPE: &str = "audit";

/// An entry ready to insert: partition, id, bytes.
pub(crate) type Prepared = (String, String, Vec<u8>);

fn partition(tenant: Option<&TenantId>) -> String {
    tenant.map_or_else(|| OPERATOR.to_owned(), ToString::to_string)
}

/// The audit trail's view of a record written to `table` under (`tenant`, `id`) as `json`;
/// `None` where the table is not audited (counters, idempotency keys, metering, runs' counts).
pub(crate) fn change(table: &str, tenant: Option<&str>, id: &str, json: &[u8], cond: Cond) -> Option<Change> {
    // Outside a request nothing is audited: no parse, no hash.
    if !audit::active() {
        return None;
    }
    let named = || serde_json::from_slice::<serde_json::Value>(json).ok()?.get("tenantId")?.as_str().and_then(|t| TenantId::parse(t).ok());
    let own = || tenant.and_then(|t| TenantId::parse(t).ok());
    let (resource, whose) = match (table, tenant) {
        ("tenants", _) => ("tenant".to_owned(), TenantId::parse(id).ok()),
        ("principals", _) => (format!("principal {id}"), named()),
        ("api_keys", _) => (format!("apiKey {id}"), named()),
        ("settings", _) if id == "issuer" => ("issuer".to_owned(), None),
        ("contracts", _) => (format!("contract {id}"), own()),
        ("billings", _) => (format!("billing {id}"), own()),
        ("invoices", _) => (format!("invoice {id}"), own()),
        ("runs", Some("run")) => (format!("run {id}"), None),
        _ => return None,
    };
    let (kind, before) = match cond {
        Cond::Absent => (audit::ChangeKind::Create, None),
        Cond::Version(v) => (audit::ChangeKind::Replace, Some(v)),
        Cond::None => (audit::ChangeKind::Put, None),
    };
    Some(Change::written(resource, whose, kind, before, json))
}

/// Whether a deletion from `table` now is audited (so the record is read first).
pub(crate) fn active_for(table: &str) -> bool {
    matches!(table, "principals" | "api_keys") && audit::active()
}

/// A deletion from `table` of `id`, stored as `json`, where that table is audited: on the trail
/// of the tenant the record names.
pub(crate) fn deletion(table: &str, id: &str, json: &[u8]) -> Option<Change> {
    let named = serde_json::from_slice::<serde_json::Value>(json).ok().and_then(|v| v.get("tenantId")?.as_str().and_then(|t| TenantId::parse(t).ok()));
    match table {
        "principals" => Some(Change::deleted(format!("principal {id}"), named)),
        "api_keys" => Some(Change::deleted(format!("apiKey {id}"), named)),
        _ => None,
    }
}

/// The request in scope's entries for `changes`, encoded (none outside a request).
pub(crate) fn prepare(changes: Vec<Change>) -> Result<Vec<Prepared>, StoreError> {
    audit::entries(changes).iter().map(prepared).collect()
}

fn prepared(e: &AuditEntry) -> Result<Prepared, StoreError> {
    Ok((partition(e.tenant_id.as_ref()), e.entry_id.clone(), encode(e)?))
}

/// Inserts entries within `txn`; an id already there is a bug (ids are unique), refused.
pub(crate) fn write_entries(txn: &WriteTransaction, entries: &[Prepared]) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut by_tenant = txn.open_table(AUDIT).map_err(unavailable)?;
    let mut all = txn.open_table(AUDIT_ALL).map_err(unavailable)?;
    for (part, id, bytes) in entries {
        if all.insert(id.as_str(), part.as_str()).map_err(unavailable)?.is_some() {
            return Err(StoreError::AlreadyExists);
        }
        by_tenant.insert((part.as_str(), id.as_str()), bytes.as_slice()).map_err(unavailable)?;
    }
    Ok(())
}

/// Opens the audit tables so that reads find them.
pub(crate) fn create_tables(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(AUDIT).map_err(unavailable)?;
    txn.open_table(AUDIT_ALL).map_err(unavailable)?;
    Ok(())
}

#[async_trait]
impl AuditStore for EmbeddedStore {
    async fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let rows = entries.iter().map(prepared).collect::<Result<Vec<_>, _>>()?;
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            write_entries(&txn, &rows)?;
            txn.commit().map_err(unavailable)
        })
        .await
    }

    async fn list_audit(&self, query: &AuditQuery, page: &PageRequest) -> Result<Page<AuditEntry>, StoreError> {
        let limit = page.limit.max(1);
        let (lo, hi) = query.id_range();
        match &query.tenant {
            Some(tenant) => {
                let scope = query.scope();
                let after = page.cursor.as_deref().map(|c| self.codec.open(tenant, &scope, c)).transpose()?;
                let part = tenant.to_string();
                let (items, more) = self.read_db(|db| {
                    let txn = db.begin_read().map_err(unavailable)?;
                    let t = txn.open_table(AUDIT).map_err(unavailable)?;
                    let start = match &after {
                        Some(a) if *a >= lo => Bound::Excluded((part.as_str(), a.as_str())),
                        _ => Bound::Included((part.as_str(), lo.as_str())),
                    };
                    let mut out = Vec::with_capacity(limit);
                    for row in t.range::<(&str, &str)>((start, Bound::Included((part.as_str(), hi.as_str())))).map_err(unavailable)? {
                        let (_, v) = row.map_err(unavailable)?;
                        if out.len() == limit {
                            return Ok((out, true));
                        }
                        out.push(decode::<AuditEntry>(v.value())?);
                    }
                    Ok((out, false))
                })?;
                let next_cursor = self.codec.next(tenant, &scope, more, items.last().map(|e| e.entry_id.as_str()));
                Ok(Page { items, next_cursor })
            }
            None => {
                let scope = format!("{ALL_SCOPE}?{}", query.scope());
                let after = page.cursor.as_deref().map(|c| self.codec.open_global(&scope, c)).transpose()?;
                let (items, more) = self.read_db(|db| {
                    let txn = db.begin_read().map_err(unavailable)?;
                    let all = txn.open_table(AUDIT_ALL).map_err(unavailable)?;
                    let by_tenant = txn.open_table(AUDIT).map_err(unavailable)?;
                    let start = match &after {
                        Some(a) if *a >= lo => Bound::Excluded(a.as_str()),
                        _ => Bound::Included(lo.as_str()),
                    };
                    let mut out = Vec::with_capacity(limit);
                    for row in all.range::<&str>((start, Bound::Included(hi.as_str()))).map_err(unavailable)? {
                        let (id, part) = row.map_err(unavailable)?;
                        if out.len() == limit {
                            return Ok((out, true));
                        }
                        let entry = by_tenant.get((part.value(), id.value())).map_err(unavailable)?;
                        let entry = entry.ok_or_else(|| StoreError::Corrupt(format!("audit entry {} is indexed but missing", id.value())))?;
                        out.push(decode::<AuditEntry>(entry.value())?);
                    }
                    Ok((out, false))
                })?;
                let next_cursor = self.codec.next_global(&scope, more, items.last().map(|e| e.entry_id.as_str()));
                Ok(Page { items, next_cursor })
            }
        }
    }
}
