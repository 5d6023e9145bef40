//! Tenants, principals, API keys and contracts in DynamoDB.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use serde::{Serialize, de::DeserializeOwned};

use super::items::{self, API_KEY_SK, CONTRACT_SK_PREFIX, Item, PRINCIPAL_SK, TENANT_SK};
use super::{AwsStore, batch, sdk_unavailable};
use crate::domain::{Contract, ContractFilter, ContractId, Tenant, TenantId};
use crate::store::{ApiKeyId, ApiKeyRecord, ContractStore, Page, PageRequest, Principal, PrincipalArn, PrincipalStore, StoreError, TenantStore};

#[derive(Clone, Copy)]
enum Cond {
    Absent,
    Version(u64),
    None,
}

impl AwsStore {
    async fn put<T: Serialize + Sync>(&self, pk: String, sk: String, data: &T, cond: Cond) -> Result<(), StoreError> {
        let item = items::to_item(pk, sk, data)?;
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

    async fn get<T: DeserializeOwned>(&self, pk: String, sk: &str) -> Result<Option<T>, StoreError> {
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

    async fn delete(&self, pk: String, sk: &str) -> Result<(), StoreError> {
        self.ddb.delete_item().table_name(&self.table).set_key(Some(items::key(pk, sk))).send().await.map_err(|e| sdk_unavailable("DeleteItem", e))?;
        Ok(())
    }

    /// One Query page of a tenant's partition, strongly consistent.
    async fn query_page(
        &self,
        pk: &str,
        sk_prefix: Option<&str>,
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
        q = match sk_prefix {
            Some(p) => q.key_condition_expression("PK = :pk AND begins_with(SK, :sk)").expression_attribute_values(":sk", AttributeValue::S(p.to_owned())),
            None => q.key_condition_expression("PK = :pk"),
        };
        if let Some(p) = projection {
            q = q.projection_expression(p);
        }
        let out = q.send().await.map_err(|e| sdk_unavailable("Query", e))?;
        Ok((out.items.unwrap_or_default(), out.last_evaluated_key))
    }
}

#[async_trait]
impl TenantStore for AwsStore {
    async fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.put(items::tenant_pk(&tenant.tenant_id), TENANT_SK.into(), tenant, Cond::Absent).await
    }

    async fn get_tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        self.get(items::tenant_pk(id), TENANT_SK).await
    }

    async fn replace_tenant(&self, tenant: &Tenant, expected_version: u64) -> Result<(), StoreError> {
        self.put(items::tenant_pk(&tenant.tenant_id), TENANT_SK.into(), tenant, Cond::Version(expected_version)).await
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
        self.put(items::principal_pk(&p.arn), PRINCIPAL_SK.into(), p, Cond::None).await
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
        let after = page.cursor.as_deref().map(|c| self.codec.open(tenant, &scope, c)).transpose()?;
        let limit = page.limit.max(1);
        let pk = items::tenant_pk(tenant);
        // The cursor names the last contract returned, so the next page starts right after it
        // whatever DynamoDB's own page boundaries (Limit, 1 MB) were.
        let mut start = after.map(|id| {
            HashMap::from([("PK".to_owned(), AttributeValue::S(pk.clone())), ("SK".to_owned(), AttributeValue::S(format!("{CONTRACT_SK_PREFIX}{id}")))])
        });
        let mut items: Vec<Contract> = Vec::with_capacity(limit);
        let mut more = false;
        'pages: loop {
            let (page_items, next) = self.query_page(&pk, Some(CONTRACT_SK_PREFIX), start, i32::try_from(limit + 1).unwrap_or(i32::MAX), None).await?;
            for item in page_items {
                let c: Contract = items::from_item(item)?;
                if filter.matches(&c) {
                    if items.len() == limit {
                        more = true;
                        break 'pages;
                    }
                    items.push(c);
                }
            }
            match next {
                Some(k) => start = Some(k),
                None => break,
            }
        }
        let next_cursor = match (more, items.last()) {
            (true, Some(last)) => Some(self.codec.seal(tenant, &scope, last.contract_id.as_str())),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }
}
