//! Tenants, principals, API keys and contracts in redb. Write transactions are exclusive, so a
//! version check and the write it guards cannot interleave with another writer.

use std::ops::Bound;

use async_trait::async_trait;
use redb::{ReadableTable, TableDefinition};

use super::{API_KEYS, CONTRACTS, EmbeddedStore, PRINCIPALS, TENANTS, decode, encode, unavailable};
use crate::domain::{Contract, ContractFilter, ContractId, Tenant, TenantId};
use crate::store::{ApiKeyId, ApiKeyRecord, ContractStore, Page, PageRequest, Principal, PrincipalArn, PrincipalStore, StoreError, TenantStore};

/// Which kind of conditional write to make.
#[derive(Clone, Copy)]
enum Cond {
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

fn check(cond: Cond, existing: Option<&[u8]>) -> Result<(), StoreError> {
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

impl EmbeddedStore {
    async fn write_str(&self, table: TableDefinition<'static, &'static str, &'static [u8]>, key: String, value: Vec<u8>, cond: Cond) -> Result<(), StoreError> {
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
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

    async fn read_str<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        table: TableDefinition<'static, &'static str, &'static [u8]>,
        key: String,
    ) -> Result<Option<T>, StoreError> {
        self.read_db(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let t = txn.open_table(table).map_err(unavailable)?;
            let got = t.get(key.as_str()).map_err(unavailable)?;
            got.map(|g| decode(g.value())).transpose()
        })
    }

    async fn delete_str(&self, table: TableDefinition<'static, &'static str, &'static [u8]>, key: String) -> Result<(), StoreError> {
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            {
                let mut t = txn.open_table(table).map_err(unavailable)?;
                t.remove(key.as_str()).map_err(unavailable)?;
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }

    async fn write_contract(&self, c: &Contract, cond: Cond) -> Result<(), StoreError> {
        let (tenant, id, value) = (c.tenant_id.to_string(), c.contract_id.to_string(), encode(c)?);
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            {
                let mut t = txn.open_table(CONTRACTS).map_err(unavailable)?;
                let existing = t.get((tenant.as_str(), id.as_str())).map_err(unavailable)?.map(|g| g.value().to_vec());
                check(cond, existing.as_deref())?;
                t.insert((tenant.as_str(), id.as_str()), value.as_slice()).map_err(unavailable)?;
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }
}

#[async_trait]
impl TenantStore for EmbeddedStore {
    async fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.write_str(TENANTS, tenant.tenant_id.to_string(), encode(tenant)?, Cond::Absent).await
    }

    async fn get_tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        self.read_str(TENANTS, id.to_string()).await
    }

    async fn replace_tenant(&self, tenant: &Tenant, expected_version: u64) -> Result<(), StoreError> {
        self.write_str(TENANTS, tenant.tenant_id.to_string(), encode(tenant)?, Cond::Version(expected_version)).await
    }

    async fn purge_tenant(&self, id: &TenantId) -> Result<usize, StoreError> {
        let id = id.to_string();
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            let mut removed = 0;
            {
                let mut t = txn.open_table(TENANTS).map_err(unavailable)?;
                removed += usize::from(t.remove(id.as_str()).map_err(unavailable)?.is_some());
                let mut c = txn.open_table(CONTRACTS).map_err(unavailable)?;
                let gone = c.extract_from_if((id.as_str(), "")..(id.as_str(), "\u{10FFFF}"), |_, _| true).map_err(unavailable)?;
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
        self.write_str(PRINCIPALS, p.arn.to_string(), encode(p)?, Cond::None).await
    }

    async fn get_principal(&self, arn: &PrincipalArn) -> Result<Option<Principal>, StoreError> {
        self.read_str(PRINCIPALS, arn.to_string()).await
    }

    async fn delete_principal(&self, arn: &PrincipalArn) -> Result<(), StoreError> {
        self.delete_str(PRINCIPALS, arn.to_string()).await
    }

    async fn put_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        self.write_str(API_KEYS, key.api_key_id.as_str().to_owned(), encode(key)?, Cond::None).await
    }

    async fn get_api_key(&self, id: &ApiKeyId) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.read_str(API_KEYS, id.as_str().to_owned()).await
    }

    async fn delete_api_key(&self, id: &ApiKeyId) -> Result<(), StoreError> {
        self.delete_str(API_KEYS, id.as_str().to_owned()).await
    }
}

#[async_trait]
impl ContractStore for EmbeddedStore {
    async fn create_contract(&self, contract: &Contract) -> Result<(), StoreError> {
        self.write_contract(contract, Cond::Absent).await
    }

    async fn replace_contract(&self, contract: &Contract, expected_version: u64) -> Result<(), StoreError> {
        self.write_contract(contract, Cond::Version(expected_version)).await
    }

    async fn get_contract(&self, tenant: &TenantId, id: &ContractId) -> Result<Option<Contract>, StoreError> {
        let (tenant, id) = (tenant.to_string(), id.to_string());
        self.read_db(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let t = txn.open_table(CONTRACTS).map_err(unavailable)?;
            let got = t.get((tenant.as_str(), id.as_str())).map_err(unavailable)?;
            got.map(|g| decode(g.value())).transpose()
        })
    }

    async fn list_contracts(&self, tenant: &TenantId, filter: &ContractFilter, page: &PageRequest) -> Result<Page<Contract>, StoreError> {
        let scope = filter.scope();
        let after = page.cursor.as_deref().map(|c| self.codec.open(tenant, &scope, c)).transpose()?;
        let (tenant_s, filter, limit) = (tenant.to_string(), *filter, page.limit.max(1));
        let (items, more) = self.read_db(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let t = txn.open_table(CONTRACTS).map_err(unavailable)?;
            let start = match &after {
                Some(pos) => Bound::Excluded((tenant_s.as_str(), pos.as_str())),
                None => Bound::Included((tenant_s.as_str(), "")),
            };
            let mut items = Vec::with_capacity(limit);
            for entry in t.range::<(&str, &str)>((start, Bound::Unbounded)).map_err(unavailable)? {
                let (k, v) = entry.map_err(unavailable)?;
                if k.value().0 != tenant_s {
                    break;
                }
                let c: Contract = decode(v.value())?;
                if filter.matches(&c) {
                    if items.len() == limit {
                        return Ok((items, true));
                    }
                    items.push(c);
                }
            }
            Ok((items, false))
        })?;
        let next_cursor = match (more, items.last()) {
            (true, Some(last)) => Some(self.codec.seal(tenant, &scope, last.contract_id.as_str())),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }
}
