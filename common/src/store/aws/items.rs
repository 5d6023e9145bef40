//! Items as DynamoDB stores them: keys, the domain record, and DynamoDB's size accounting.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::domain::{ContractId, TenantId};
use crate::store::{ApiKeyId, PrincipalArn, StoreError};

/// DynamoDB's hard limit on one item, names and values included.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

pub(crate) fn tenant_pk(t: &TenantId) -> String {
    format!("TENANT#{t}")
}
pub(crate) const TENANT_SK: &str = "TENANT";
/// The sparse index listing tenants, and its one partition.
pub(crate) const TENANTS_GSI: &str = "GSI1";
pub(crate) const TENANTS_GSI_PK: &str = "TENANTS";
pub(crate) fn usage_sk(day: chrono::NaiveDate) -> String {
    format!("USAGE#{}", day.format("%Y-%m-%d"))
}
pub(crate) const CONTRACT_SK_PREFIX: &str = "CONTRACT#";
pub(crate) fn contract_sk(c: &ContractId) -> String {
    format!("{CONTRACT_SK_PREFIX}{c}")
}
pub(crate) const BILLING_SK_PREFIX: &str = "BILLING#";
pub(crate) fn billing_sk(b: &crate::domain::BillingId) -> String {
    format!("{BILLING_SK_PREFIX}{b}")
}
pub(crate) fn idempotency_sk(k: &crate::store::IdempotencyKey) -> String {
    format!("IDEMPOTENCY#{}", k.as_str())
}
pub(crate) fn principal_pk(a: &PrincipalArn) -> String {
    format!("PRINCIPAL#{a}")
}
pub(crate) const PRINCIPAL_SK: &str = "PRINCIPAL";
/// Principals share the tenant index (`GSI1`) under a partition per owner.
pub(crate) fn principals_gsi_pk(owner: &crate::store::Owner) -> String {
    match owner.tenant_id() {
        Some(t) => format!("PRINCIPALS#TENANT#{t}"),
        None => "PRINCIPALS#OPERATOR".into(),
    }
}
pub(crate) fn api_key_pk(k: &ApiKeyId) -> String {
    format!("APIKEY#{}", k.as_str())
}
pub(crate) const API_KEY_SK: &str = "APIKEY";

#[derive(Serialize, Deserialize)]
struct Keyed<T> {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(flatten)]
    data: T,
}

pub(crate) type Item = HashMap<String, AttributeValue>;

/// The DynamoDB item for `data` under the given keys, refused when over DynamoDB's size limit.
pub(crate) fn to_item<T: Serialize>(pk: String, sk: String, data: &T) -> Result<Item, StoreError> {
    let item: Item = serde_dynamo::to_item(Keyed { pk, sk, data }).map_err(|e| StoreError::Corrupt(format!("encoding item: {e}")))?;
    let size = item_size(&item);
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::TooLarge(format!("{size} bytes; DynamoDB allows {MAX_ITEM_BYTES}")));
    }
    Ok(item)
}

pub(crate) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item::<_, Keyed<T>>(item).map(|k| k.data).map_err(|e| StoreError::Corrupt(format!("decoding item: {e}")))
}

/// The resource a record's keys name, for the audit trail, and whose it is (the tenant of its
/// partition, or the one the record names); `None` for what is not audited (counters, idempotency
/// keys, metering, runs' items and claims).
pub(crate) fn audited_resource(pk: &str, sk: &str, json: &[u8]) -> Option<(String, Option<TenantId>)> {
    let named = || serde_json::from_slice::<serde_json::Value>(json).ok()?.get("tenantId")?.as_str().and_then(|t| TenantId::parse(t).ok());
    let (kind, rest) = pk.split_once('#').unwrap_or((pk, ""));
    match (kind, sk.split_once('#')) {
        ("TENANT", None) if sk == TENANT_SK => Some(("tenant".into(), TenantId::parse(rest).ok())),
        ("TENANT", Some((k @ ("CONTRACT" | "BILLING" | "INVOICE"), id))) => Some((format!("{} {id}", k.to_lowercase()), TenantId::parse(rest).ok())),
        ("PRINCIPAL", None) => Some((format!("principal {rest}"), named())),
        ("APIKEY", None) => Some((format!("apiKey {rest}"), named())),
        ("ISSUER", None) if sk == "SETTINGS" => Some(("issuer".into(), None)),
        ("RUNS", Some(("RUN", id))) => Some((format!("run {id}"), None)),
        _ => None,
    }
}

/// The partition of a tenant's audit entries; the operator's own go under `OPERATOR`.
pub(crate) fn audit_pk(tenant: Option<&TenantId>) -> String {
    tenant.map_or_else(|| "OPERATOR".to_owned(), tenant_pk)
}
pub(crate) const AUDIT_SK_PREFIX: &str = "AUDIT#";
/// Every entry is in the index too, by month, for the operator's all-tenants listing.
pub(crate) fn audit_gsi_pk(month: &str) -> String {
    format!("AUDIT#{month}")
}

#[derive(Serialize)]
struct IndexedEntry<'a> {
    #[serde(rename = "GSI1PK")]
    gsi_pk: String,
    #[serde(rename = "GSI1SK")]
    gsi_sk: &'a str,
    #[serde(flatten)]
    entry: &'a crate::audit::AuditEntry,
}

pub(crate) fn audit_item(entry: &crate::audit::AuditEntry) -> Result<Item, StoreError> {
    let indexed = IndexedEntry { gsi_pk: audit_gsi_pk(&entry.month()), gsi_sk: &entry.entry_id, entry };
    to_item(audit_pk(entry.tenant_id.as_ref()), format!("{AUDIT_SK_PREFIX}{}", entry.entry_id), &indexed)
}

pub(crate) fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("PK".to_owned(), AttributeValue::S(pk)), ("SK".to_owned(), AttributeValue::S(sk.to_owned()))])
}

/// An item's size as DynamoDB counts it: attribute names plus values (strings and binary by
/// length, numbers about one byte per two digits plus one, containers 3 bytes plus contents).
pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn number_size(n: &str) -> usize {
    let digits = n.bytes().filter(u8::is_ascii_digit).count();
    digits.div_ceil(2) + 1
}

fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(l) => 3 + l.iter().map(|x| 1 + value_size(x)).sum::<usize>(),
        AttributeValue::M(m) => 3 + m.iter().map(|(k, x)| 1 + k.len() + value_size(x)).sum::<usize>(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_count_names_and_values() {
        let item = HashMap::from([
            ("PK".to_owned(), AttributeValue::S("TENANT#x".into())),
            ("version".to_owned(), AttributeValue::N("12345".into())),
            ("notes".to_owned(), AttributeValue::S("請求".into())),
        ]);
        assert_eq!(item_size(&item), 2 + 8 + 7 + 4 + 5 + 6);
    }

    #[test]
    fn oversized_items_are_refused_before_any_call() {
        #[derive(Serialize)]
        struct Big {
            notes: String,
        }
        assert!(to_item("P".into(), "S".into(), &Big { notes: "x".repeat(MAX_ITEM_BYTES - 100) }).is_ok());
        let err = to_item("P".into(), "S".into(), &Big { notes: "x".repeat(MAX_ITEM_BYTES) }).unwrap_err();
        assert!(matches!(err, StoreError::TooLarge(_)));
    }
}
