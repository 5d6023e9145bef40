//! Per-tenant export, restore and purge in DynamoDB: the tenant's partition read whole (strongly
//! consistent), its principals from the index, the API key record its tenant record names, and
//! batch writes without conditions or audit entries.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use serde::Serialize;

use super::dynamo::{indexed, listed};
use super::items::{self, API_KEY_SK, AUDIT_SK_PREFIX, BILLING_SK_PREFIX, CONTRACT_SK_PREFIX, Item, PRINCIPAL_SK, TENANT_SK};
use super::{AwsStore, batch, sdk_unavailable};
use crate::domain::{Metered, TenantId};
use crate::store::{Owner, Removal, StoreError, TenantArchive, TenantRecords, UsageDay};

const INVOICE_SK_PREFIX: &str = "INVOICE#";
const USAGE_SK_PREFIX: &str = "USAGE#";
const IDEMPOTENCY_SK_PREFIX: &str = "IDEMPOTENCY#";

/// A metered day as `metering.rs` keeps it (numbers added to with `ADD`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UsageItem<'a> {
    tenant_id: &'a TenantId,
    #[serde(flatten)]
    metered: Metered,
}

fn number(item: &Item, name: &str) -> Result<u64, StoreError> {
    match item.get(name) {
        None => Ok(0),
        Some(AttributeValue::N(n)) => n.parse().map_err(|_| StoreError::Corrupt(format!("{name} is not a count: {n}"))),
        Some(_) => Err(StoreError::Corrupt(format!("{name} is not a number"))),
    }
}

fn sk_of(item: &Item) -> Result<String, StoreError> {
    match item.get("SK") {
        Some(AttributeValue::S(s)) => Ok(s.clone()),
        _ => Err(StoreError::Corrupt("item without SK".into())),
    }
}

fn put_request(item: Item) -> Result<WriteRequest, StoreError> {
    let p = PutRequest::builder().set_item(Some(item)).build().map_err(|e| StoreError::Corrupt(format!("put request: {e}")))?;
    Ok(WriteRequest::builder().put_request(p).build())
}

fn delete_request(pk: String, sk: &str) -> Result<WriteRequest, StoreError> {
    let d = DeleteRequest::builder().set_key(Some(items::key(pk, sk))).build().map_err(|e| StoreError::Corrupt(format!("delete request: {e}")))?;
    Ok(WriteRequest::builder().delete_request(d).build())
}

impl AwsStore {
    /// Every item of a partition whose sort key is in `lo..=hi` (all of it without a range).
    async fn whole(&self, pk: &str, range: Option<(&str, &str)>, projection: Option<&str>) -> Result<Vec<Item>, StoreError> {
        let (mut out, mut start) = (Vec::new(), None);
        loop {
            let (page, next) = self.query_page(pk, range, start, 1000, projection).await?;
            out.extend(page);
            match next {
                Some(k) => start = Some(k),
                None => return Ok(out),
            }
        }
    }
}

#[async_trait]
impl TenantArchive for AwsStore {
    async fn tenant_records(&self, tenant: &TenantId) -> Result<TenantRecords, StoreError> {
        let mut r = TenantRecords::default();
        for item in self.whole(&items::tenant_pk(tenant), None, None).await? {
            let sk = sk_of(&item)?;
            if sk == TENANT_SK {
                r.tenant = Some(items::from_item(item)?);
            } else if sk.starts_with(CONTRACT_SK_PREFIX) {
                r.contracts.push(items::from_item(item)?);
            } else if sk.starts_with(BILLING_SK_PREFIX) {
                r.billings.push(items::from_item(item)?);
            } else if sk.starts_with(INVOICE_SK_PREFIX) {
                r.invoices.push(items::from_item(item)?);
            } else if sk.starts_with(AUDIT_SK_PREFIX) {
                r.audit.push(items::from_item(item)?);
            } else if let Some(day) = sk.strip_prefix(USAGE_SK_PREFIX) {
                let day = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(format!("metering day {sk}: {e}")))?;
                let metered = Metered {
                    bytes_streamed: number(&item, "bytesStreamed")?,
                    invoices_rendered: number(&item, "invoicesRendered")?,
                    exports: number(&item, "exports")?,
                };
                r.usage.push(UsageDay { day, metered });
            }
        }
        // The index is eventually consistent; the principal items themselves are read strongly.
        let owner = Owner::Tenant { tenant_id: tenant.clone() };
        for p in crate::store::PrincipalStore::list_principals(self, &owner).await? {
            if let Some(p) = self.get(items::principal_pk(&p.arn), PRINCIPAL_SK).await? {
                r.principals.push(p);
            }
        }
        // The key the tenant record names (rotation and offboarding delete the ones before); no
        // Scan for others: the table has no index of keys by tenant.
        if let Some(id) = r.tenant.as_ref().and_then(|t| t.api_key_id.clone()) {
            let key: Option<crate::store::ApiKeyRecord> = self.get(items::api_key_pk(&id), API_KEY_SK).await?;
            r.api_keys.extend(key.filter(|k| k.owner.tenant_id() == Some(tenant)));
        }
        r.sort();
        Ok(r)
    }

    async fn write_records(&self, tenant: &TenantId, r: &TenantRecords) -> Result<(), StoreError> {
        let pk = items::tenant_pk(tenant);
        let mut puts = Vec::with_capacity(r.len());
        if let Some(t) = &r.tenant {
            puts.push(items::to_item(pk.clone(), TENANT_SK.into(), &listed(t))?);
        }
        for c in &r.contracts {
            puts.push(items::to_item(pk.clone(), items::contract_sk(&c.contract_id), c)?);
        }
        for b in &r.billings {
            puts.push(items::to_item(pk.clone(), items::billing_sk(&b.billing_id), b)?);
        }
        for i in &r.invoices {
            puts.push(items::to_item(pk.clone(), format!("{INVOICE_SK_PREFIX}{}", i.invoice_number), i)?);
        }
        for u in &r.usage {
            puts.push(items::to_item(pk.clone(), items::usage_sk(u.day), &UsageItem { tenant_id: tenant, metered: u.metered })?);
        }
        for e in &r.audit {
            puts.push(items::audit_item(e)?);
        }
        for p in &r.principals {
            puts.push(items::to_item(items::principal_pk(&p.arn), PRINCIPAL_SK.into(), &indexed(p))?);
        }
        for k in &r.api_keys {
            puts.push(items::to_item(items::api_key_pk(&k.api_key_id), API_KEY_SK.into(), k)?);
        }
        let requests = puts.into_iter().map(put_request).collect::<Result<Vec<_>, _>>()?;
        batch::write_all(&self.ddb, &self.table, requests).await
    }

    async fn remove_records(&self, tenant: &TenantId, r: &Removal) -> Result<u64, StoreError> {
        let pk = items::tenant_pk(tenant);
        let mut deletes = Vec::new();
        for c in &r.contracts {
            deletes.push(delete_request(pk.clone(), &items::contract_sk(c))?);
        }
        for b in &r.billings {
            deletes.push(delete_request(pk.clone(), &items::billing_sk(b))?);
        }
        for n in &r.invoices {
            deletes.push(delete_request(pk.clone(), &format!("{INVOICE_SK_PREFIX}{n}"))?);
        }
        for d in &r.usage {
            deletes.push(delete_request(pk.clone(), &items::usage_sk(*d))?);
        }
        for p in &r.principals {
            deletes.push(delete_request(items::principal_pk(p), PRINCIPAL_SK)?);
        }
        for k in &r.api_keys {
            deletes.push(delete_request(items::api_key_pk(k), API_KEY_SK)?);
        }
        let idempotency = self.whole(&pk, Some((IDEMPOTENCY_SK_PREFIX, &format!("{IDEMPOTENCY_SK_PREFIX}\u{10FFFF}"))), Some("PK, SK")).await?;
        let n = idempotency.len() as u64;
        for item in idempotency {
            deletes.push(delete_request(pk.clone(), &sk_of(&item)?)?);
        }
        batch::write_all(&self.ddb, &self.table, deletes).await?;
        Ok(n)
    }

    async fn raise_invoice_counter(&self, year: i32, next: u64) -> Result<(), StoreError> {
        let out = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .set_key(Some(items::key("ISSUER".into(), &format!("COUNTER#{year}"))))
            .update_expression("SET #n = :n")
            .condition_expression("attribute_not_exists(#n) OR #n < :n")
            .expression_attribute_names("#n", "next")
            .expression_attribute_values(":n", AttributeValue::N(next.to_string()))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se)) if matches!(se.err(), UpdateItemError::ConditionalCheckFailedException(_)) => Ok(()),
            Err(e) => Err(sdk_unavailable("UpdateItem", e)),
        }
    }
}
