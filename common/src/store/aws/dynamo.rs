//! Tenants, principals, API keys and contracts in DynamoDB.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, DeleteRequest, TransactWriteItem, WriteRequest};
use serde::{Serialize, de::DeserializeOwned};

use super::items::{self, API_KEY_SK, CONTRACT_SK_PREFIX, Item, PRINCIPAL_SK, TENANT_SK};
use super::{AwsStore, batch, invoices, sdk_unavailable};
use crate::audit::{self, Change, ChangeKind};
use crate::domain::{Contract, ContractFilter, ContractId, Tenant, TenantId};
use crate::store::{ApiKeyId, ApiKeyRecord, ContractStore, Owner, Page, PageRequest, Principal, PrincipalArn, PrincipalStore, StoreError, TenantStore};

/// The scope tenant-listing cursors are sealed with.
const TENANTS_SCOPE: &str = "tenants";

#[derive(Clone, Copy)]
pub(crate) enum Cond {
    Absent,
    Version(u64),
    None,
}

impl Cond {
    /// The version a write replaces, for the audit trail.
    pub(crate) fn before(self) -> Option<u64> {
        match self {
            Cond::Version(v) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn kind(self) -> ChangeKind {
        match self {
            Cond::Absent => ChangeKind::Create,
            Cond::Version(_) => ChangeKind::Replace,
            Cond::None => ChangeKind::Put,
        }
    }
}

/// The audit trail's view of a record written under `pk`/`sk` (`None` when it is not audited).
pub(crate) fn change_of<T: Serialize>(pk: &str, sk: &str, data: &T, cond: Cond) -> Result<Option<Change>, StoreError> {
    // Outside a request nothing is audited: no second encoding, no hash.
    if !audit::active() {
        return Ok(None);
    }
    let json = serde_json::to_vec(data).map_err(|e| StoreError::Corrupt(format!("encoding record: {e}")))?;
    Ok(items::audited_resource(pk, sk, &json).map(|(resource, tenant)| Change::written(resource, tenant, cond.kind(), cond.before(), &json)))
}

impl AwsStore {
    /// The audit entries of `changes` as transaction puts (none outside a request).
    pub(crate) fn audit_writes(&self, changes: Vec<Change>) -> Result<Vec<TransactWriteItem>, StoreError> {
        audit::entries(changes).iter().map(|e| invoices::put(&self.table, items::audit_item(e)?, Cond::Absent)).collect()
    }

    pub(crate) async fn put<T: Serialize + Sync>(&self, pk: String, sk: String, data: &T, cond: Cond) -> Result<(), StoreError> {
        let change = change_of(&pk, &sk, data, cond)?;
        let item = items::to_item(pk, sk, data)?;
        let audit = self.audit_writes(change.into_iter().collect())?;
        if !audit.is_empty() {
            // The record and its entries in one transaction: a refusal of any is the record's.
            let mut writes = vec![invoices::put(&self.table, item, cond)?];
            writes.extend(audit);
            return match self.transact(writes).await {
                Err(StoreError::VersionMismatch) if matches!(cond, Cond::Absent) => Err(StoreError::AlreadyExists),
                other => other,
            };
        }
        let mut req = self.ddb.put_item().table_name(&self.table).set_item(Some(item));
        req = match cond {
            Cond::None => req,
            Cond::Absent => req.condition_expression("attribute_not_exists(PK)"),
            Cond::Version(v) => req
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
        };
        match req.send().await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se)) if matches!(se.err(), PutItemError::ConditionalCheckFailedException(_)) => match cond {
                Cond::Absent => Err(StoreError::AlreadyExists),
                _ => Err(StoreError::VersionMismatch),
            },
            Err(e) => Err(sdk_unavailable("PutItem", e)),
        }
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, pk: String, sk: &str) -> Result<Option<T>, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(items::key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_unavailable("GetItem", e))?;
        out.item.map(items::from_item).transpose()
    }

    pub(crate) async fn delete(&self, pk: String, sk: &str) -> Result<(), StoreError> {
        // An audited record is read first: the entry goes on the trail of the tenant it names (and
        // deleting what is not there changes nothing, so it is not audited).
        let stored = match items::audited_resource(&pk, sk, b"{}") {
            Some(_) if audit::active() => self.get::<serde_json::Value>(pk.clone(), sk).await?,
            _ => None,
        };
        let json = stored.map(|v| serde_json::to_vec(&v)).transpose().map_err(|e| StoreError::Corrupt(format!("encoding record: {e}")))?;
        if let Some((resource, tenant)) = json.and_then(|j| items::audited_resource(&pk, sk, &j)) {
            let audit = self.audit_writes(vec![Change::deleted(resource, tenant)])?;
            if !audit.is_empty() {
                let del = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(items::key(pk, sk)))
                    .build()
                    .map_err(|e| StoreError::Corrupt(format!("transaction delete: {e}")))?;
                let mut writes = vec![TransactWriteItem::builder().delete(del).build()];
                writes.extend(audit);
                return self.transact(writes).await;
            }
        }
        self.ddb.delete_item().table_name(&self.table).set_key(Some(items::key(pk, sk))).send().await.map_err(|e| sdk_unavailable("DeleteItem", e))?;
        Ok(())
    }

    /// One Query page of a partition (sort keys between `lo` and `hi` when given), strongly
    /// consistent.
    pub(crate) async fn query_page(
        &self,
        pk: &str,
        range: Option<(&str, &str)>,
        start: Option<Item>,
        limit: i32,
        projection: Option<&str>,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let mut q = self
            .ddb
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .limit(limit)
            .set_exclusive_start_key(start)
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()));
        q = match range {
            Some((lo, hi)) => q
                .key_condition_expression("PK = :pk AND SK BETWEEN :lo AND :hi")
                .expression_attribute_values(":lo", AttributeValue::S(lo.to_owned()))
                .expression_attribute_values(":hi", AttributeValue::S(hi.to_owned())),
            None => q.key_condition_expression("PK = :pk"),
        };
        if let Some(p) = projection {
            q = q.projection_expression(p);
        }
        let out = q.send().await.map_err(|e| sdk_unavailable("Query", e))?;
        Ok((out.items.unwrap_or_default(), out.last_evaluated_key))
    }

    /// Up to `limit` items of partition `pk` with sort keys in `lo..=hi`, after sort key `after`,
    /// that `keep` accepts; and whether more follow. DynamoDB's own page boundaries (Limit, 1 MB)
    /// are followed until the page is full, so a cursor can name the last item returned.
    pub(crate) async fn page<T: DeserializeOwned>(
        &self,
        pk: &str,
        lo: &str,
        hi: &str,
        after: Option<String>,
        limit: usize,
        keep: impl Fn(&T) -> bool,
    ) -> Result<(Vec<T>, bool), StoreError> {
        let mut start = after
            .filter(|a| a.as_str() >= lo)
            .map(|sk| HashMap::from([("PK".to_owned(), AttributeValue::S(pk.to_owned())), ("SK".to_owned(), AttributeValue::S(sk))]));
        let mut items = Vec::with_capacity(limit);
        loop {
            let (page_items, next) = self.query_page(pk, Some((lo, hi)), start, i32::try_from(limit + 1).unwrap_or(i32::MAX), None).await?;
            for item in page_items {
                let t: T = items::from_item(item)?;
                if keep(&t) {
                    if items.len() == limit {
                        return Ok((items, true));
                    }
                    items.push(t);
                }
            }
            match next {
                Some(k) => start = Some(k),
                None => return Ok((items, false)),
            }
        }
    }
}

impl AwsStore {
    /// One page of the index `GSI1` under `pk` (at most `limit` items when given): the items and
    /// the key to start the next page from. The index is eventually consistent (GSIs cannot be
    /// read strongly): an item written a moment ago may be missing from it, never from a read.
    async fn index_page(&self, pk: String, limit: Option<usize>, start: Option<Item>) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let resp = self
            .ddb
            .query()
            .table_name(&self.table)
            .index_name(items::TENANTS_GSI)
            .key_condition_expression("GSI1PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .set_limit(limit.map(|l| i32::try_from(l).unwrap_or(i32::MAX)))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| sdk_unavailable("Query", e))?;
        Ok((resp.items.unwrap_or_default(), resp.last_evaluated_key))
    }
}

/// A tenant as stored: with the keys of the sparse index that lists tenants.
#[derive(Serialize)]
pub(super) struct ListedTenant<'a> {
    #[serde(rename = "GSI1PK")]
    gsi_pk: &'static str,
    #[serde(rename = "GSI1SK")]
    gsi_sk: &'a str,
    #[serde(flatten)]
    tenant: &'a Tenant,
}

/// A principal as stored: with the index keys that list its owner's principals.
#[derive(Serialize)]
pub(super) struct IndexedPrincipal<'a> {
    #[serde(rename = "GSI1PK")]
    gsi_pk: String,
    #[serde(rename = "GSI1SK")]
    gsi_sk: &'a str,
    #[serde(flatten)]
    principal: &'a Principal,
}

pub(super) fn indexed(p: &Principal) -> IndexedPrincipal<'_> {
    IndexedPrincipal { gsi_pk: items::principals_gsi_pk(&p.owner), gsi_sk: p.arn.as_str(), principal: p }
}

pub(super) fn listed(tenant: &Tenant) -> ListedTenant<'_> {
    ListedTenant { gsi_pk: items::TENANTS_GSI_PK, gsi_sk: tenant.tenant_id.as_str(), tenant }
}

#[async_trait]
impl TenantStore for AwsStore {
    async fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.put(items::tenant_pk(&tenant.tenant_id), TENANT_SK.into(), &listed(tenant), Cond::Absent).await
    }

    async fn get_tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        self.get(items::tenant_pk(id), TENANT_SK).await
    }

    async fn replace_tenant(&self, tenant: &Tenant, expected_version: u64) -> Result<(), StoreError> {
        self.put(items::tenant_pk(&tenant.tenant_id), TENANT_SK.into(), &listed(tenant), Cond::Version(expected_version)).await
    }

    async fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        let limit = page.limit.max(1);
        let after = page.cursor.as_deref().map(|c| self.codec.open_global(TENANTS_SCOPE, c)).transpose()?;
        let mut start = after.map(|id| {
            HashMap::from([
                ("PK".to_owned(), AttributeValue::S(format!("TENANT#{id}"))),
                ("SK".to_owned(), AttributeValue::S(TENANT_SK.to_owned())),
                ("GSI1PK".to_owned(), AttributeValue::S(items::TENANTS_GSI_PK.to_owned())),
                ("GSI1SK".to_owned(), AttributeValue::S(id)),
            ])
        });
        let mut out: Vec<Tenant> = Vec::with_capacity(limit);
        loop {
            let (found, last) = self.index_page(items::TENANTS_GSI_PK.to_owned(), Some(limit + 1), start).await?;
            for item in found {
                if out.len() == limit {
                    let next_cursor = self.codec.next_global(TENANTS_SCOPE, true, out.last().map(|t| t.tenant_id.as_str()));
                    return Ok(Page { items: out, next_cursor });
                }
                out.push(items::from_item(item)?);
            }
            match last {
                Some(k) => start = Some(k),
                None => return Ok(Page { items: out, next_cursor: None }),
            }
        }
    }

    async fn purge_tenant(&self, id: &TenantId) -> Result<usize, StoreError> {
        let pk = items::tenant_pk(id);
        let mut keys = Vec::new();
        let mut start = None;
        loop {
            let (page, next) = self.query_page(&pk, None, start, 1000, Some("PK, SK")).await?;
            keys.extend(page);
            match next {
                Some(k) => start = Some(k),
                None => break,
            }
        }
        // The audit trail stays (the API never deletes it); the tenant's principals go too.
        keys.retain(|k| !matches!(k.get("SK"), Some(AttributeValue::S(sk)) if sk.starts_with(items::AUDIT_SK_PREFIX)));
        for p in self.list_principals(&Owner::Tenant { tenant_id: id.clone() }).await? {
            keys.push(items::key(items::principal_pk(&p.arn), PRINCIPAL_SK));
        }
        let n = keys.len();
        let requests = keys
            .into_iter()
            .map(|k| DeleteRequest::builder().set_key(Some(k)).build().map(|d| WriteRequest::builder().delete_request(d).build()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Corrupt(format!("delete request: {e}")))?;
        batch::write_all(&self.ddb, &self.table, requests).await?;
        Ok(n)
    }
}

#[async_trait]
impl PrincipalStore for AwsStore {
    async fn put_principal(&self, p: &Principal) -> Result<(), StoreError> {
        self.put(items::principal_pk(&p.arn), PRINCIPAL_SK.into(), &indexed(p), Cond::None).await
    }

    async fn register_principal(&self, p: &Principal) -> Result<(), StoreError> {
        self.put(items::principal_pk(&p.arn), PRINCIPAL_SK.into(), &indexed(p), Cond::Absent).await
    }

    async fn list_principals(&self, owner: &Owner) -> Result<Vec<Principal>, StoreError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let (found, last) = self.index_page(items::principals_gsi_pk(owner), None, start).await?;
            for item in found {
                out.push(items::from_item(item)?);
            }
            match last {
                Some(k) => start = Some(k),
                None => return Ok(out),
            }
        }
    }

    async fn get_principal(&self, arn: &PrincipalArn) -> Result<Option<Principal>, StoreError> {
        self.get(items::principal_pk(arn), PRINCIPAL_SK).await
    }

    async fn delete_principal(&self, arn: &PrincipalArn) -> Result<(), StoreError> {
        self.delete(items::principal_pk(arn), PRINCIPAL_SK).await
    }

    async fn put_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        self.put(items::api_key_pk(&key.api_key_id), API_KEY_SK.into(), key, Cond::None).await
    }

    async fn get_api_key(&self, id: &ApiKeyId) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.get(items::api_key_pk(id), API_KEY_SK).await
    }

    async fn delete_api_key(&self, id: &ApiKeyId) -> Result<(), StoreError> {
        self.delete(items::api_key_pk(id), API_KEY_SK).await
    }
}

#[async_trait]
impl ContractStore for AwsStore {
    async fn create_contract(&self, c: &Contract) -> Result<(), StoreError> {
        self.put(items::tenant_pk(&c.tenant_id), items::contract_sk(&c.contract_id), c, Cond::Absent).await
    }

    async fn replace_contract(&self, c: &Contract, expected_version: u64) -> Result<(), StoreError> {
        self.put(items::tenant_pk(&c.tenant_id), items::contract_sk(&c.contract_id), c, Cond::Version(expected_version)).await
    }

    async fn get_contract(&self, tenant: &TenantId, id: &ContractId) -> Result<Option<Contract>, StoreError> {
        self.get(items::tenant_pk(tenant), &items::contract_sk(id)).await
    }

    async fn list_contracts(&self, tenant: &TenantId, filter: &ContractFilter, page: &PageRequest) -> Result<Page<Contract>, StoreError> {
        let scope = filter.scope();
        let after = page.cursor.as_deref().map(|c| self.codec.open(tenant, &scope, c)).transpose()?.map(|id| format!("{CONTRACT_SK_PREFIX}{id}"));
        // '~' sorts after every character an id may hold.
        let (items, more) = self
            .page(&items::tenant_pk(tenant), CONTRACT_SK_PREFIX, &format!("{CONTRACT_SK_PREFIX}~"), after, page.limit.max(1), |c: &Contract| filter.matches(c))
            .await?;
        let next_cursor = self.codec.next(tenant, &scope, more, items.last().map(|l| l.contract_id.as_str()));
        Ok(Page { items, next_cursor })
    }
}
