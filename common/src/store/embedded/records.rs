//! Tenants, principals, API keys and contracts in redb.

use std::ops::Bound;

use async_trait::async_trait;

use super::tables::{Cond, Span};
use super::{API_KEYS, BILLINGS, CONTRACTS, EmbeddedStore, IDEMPOTENCY, INVOICES, METERING, PRINCIPALS, TENANTS, decode, encode, unavailable};
use crate::domain::{Contract, ContractFilter, ContractId, Tenant, TenantId};
use crate::store::{ApiKeyId, ApiKeyRecord, ContractStore, Owner, Page, PageRequest, Principal, PrincipalArn, PrincipalStore, StoreError, TenantStore};

/// The scope tenant-listing cursors are sealed with.
const TENANTS_SCOPE: &str = "tenants";

#[async_trait]
impl TenantStore for EmbeddedStore {
    async fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.put_key(TENANTS, tenant.tenant_id.to_string(), encode(tenant)?, Cond::Absent).await
    }

    async fn get_tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        self.get_key(TENANTS, id.as_str())
    }

    async fn replace_tenant(&self, tenant: &Tenant, expected_version: u64) -> Result<(), StoreError> {
        self.put_key(TENANTS, tenant.tenant_id.to_string(), encode(tenant)?, Cond::Version(expected_version)).await
    }

    async fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        let after = page.cursor.as_deref().map(|c| self.codec.open_global(TENANTS_SCOPE, c)).transpose()?;
        let limit = page.limit.max(1);
        let (items, more) = self.read_db(|db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let t = txn.open_table(TENANTS).map_err(unavailable)?;
            let start = after.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
            let mut items: Vec<Tenant> = Vec::with_capacity(limit);
            for entry in t.range::<&str>((start, Bound::Unbounded)).map_err(unavailable)? {
                let (_, v) = entry.map_err(unavailable)?;
                if items.len() == limit {
                    return Ok((items, true));
                }
                items.push(decode(v.value())?);
            }
            Ok((items, false))
        })?;
        let next_cursor = self.codec.next_global(TENANTS_SCOPE, more, items.last().map(|t| t.tenant_id.as_str()));
        Ok(Page { items, next_cursor })
    }

    async fn purge_tenant(&self, id: &TenantId) -> Result<usize, StoreError> {
        let id = id.to_string();
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            let mut removed = 0;
            {
                let mut t = txn.open_table(TENANTS).map_err(unavailable)?;
                removed += usize::from(t.remove(id.as_str()).map_err(unavailable)?.is_some());
                for table in [CONTRACTS, BILLINGS, IDEMPOTENCY, INVOICES, METERING] {
                    let mut c = txn.open_table(table).map_err(unavailable)?;
                    let gone = c.extract_from_if((id.as_str(), "")..(id.as_str(), "\u{10FFFF}"), |_, _| true).map_err(unavailable)?;
                    for item in gone {
                        item.map_err(unavailable)?;
                        removed += 1;
                    }
                }
                // The tenant's principals go too (the audit trail stays).
                let mut principals = txn.open_table(PRINCIPALS).map_err(unavailable)?;
                let owner = Owner::Tenant { tenant_id: TenantId::parse(&id).map_err(StoreError::Corrupt)? };
                let gone = principals.extract_if(|_, v| decode::<Principal>(v).is_ok_and(|p| p.owner == owner)).map_err(unavailable)?;
                for item in gone {
                    item.map_err(unavailable)?;
                    removed += 1;
                }
            }
            txn.commit().map_err(unavailable)?;
            Ok(removed)
        })
        .await
    }
}

#[async_trait]
impl PrincipalStore for EmbeddedStore {
    async fn put_principal(&self, p: &Principal) -> Result<(), StoreError> {
        self.put_key(PRINCIPALS, p.arn.to_string(), encode(p)?, Cond::None).await
    }

    async fn register_principal(&self, p: &Principal) -> Result<(), StoreError> {
        self.put_key(PRINCIPALS, p.arn.to_string(), encode(p)?, Cond::Absent).await
    }

    async fn get_principal(&self, arn: &PrincipalArn) -> Result<Option<Principal>, StoreError> {
        self.get_key(PRINCIPALS, arn.as_str())
    }

    async fn list_principals(&self, owner: &Owner) -> Result<Vec<Principal>, StoreError> {
        // A scan: the table holds a handful of principals per tenant, and the local store serves
        // one deployment's worth at most.
        self.read_db(|db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let t = txn.open_table(PRINCIPALS).map_err(unavailable)?;
            let mut out = Vec::new();
            for entry in t.range::<&str>(..).map_err(unavailable)? {
                let (_, v) = entry.map_err(unavailable)?;
                let p: Principal = decode(v.value())?;
                if &p.owner == owner {
                    out.push(p);
                }
            }
            Ok(out)
        })
    }

    async fn delete_principal(&self, arn: &PrincipalArn) -> Result<(), StoreError> {
        self.delete_key(PRINCIPALS, arn.to_string()).await
    }

    async fn put_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        self.put_key(API_KEYS, key.api_key_id.as_str().to_owned(), encode(key)?, Cond::None).await
    }

    async fn get_api_key(&self, id: &ApiKeyId) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.get_key(API_KEYS, id.as_str())
    }

    async fn delete_api_key(&self, id: &ApiKeyId) -> Result<(), StoreError> {
        self.delete_key(API_KEYS, id.as_str().to_owned()).await
    }
}

#[async_trait]
impl ContractStore for EmbeddedStore {
    async fn create_contract(&self, c: &Contract) -> Result<(), StoreError> {
        self.put_item(CONTRACTS, c.tenant_id.to_string(), c.contract_id.to_string(), encode(c)?, Cond::Absent).await
    }

    async fn replace_contract(&self, c: &Contract, expected_version: u64) -> Result<(), StoreError> {
        self.put_item(CONTRACTS, c.tenant_id.to_string(), c.contract_id.to_string(), encode(c)?, Cond::Version(expected_version)).await
    }

    async fn get_contract(&self, tenant: &TenantId, id: &ContractId) -> Result<Option<Contract>, StoreError> {
        self.get_item(CONTRACTS, tenant.as_str(), id.as_str())
    }

    async fn list_contracts(&self, tenant: &TenantId, filter: &ContractFilter, page: &PageRequest) -> Result<Page<Contract>, StoreError> {
        let scope = filter.scope();
        let after = page.cursor.as_deref().map(|c| self.codec.open(tenant, &scope, c)).transpose()?;
        let span = Span { from: String::new(), to: None, after };
        let (items, more) = self.page_items(CONTRACTS, tenant.as_str(), &span, page.limit.max(1), |c: &Contract| filter.matches(c))?;
        let next_cursor = self.codec.next(tenant, &scope, more, items.last().map(|l| l.contract_id.as_str()));
        Ok(Page { items, next_cursor })
    }
}
