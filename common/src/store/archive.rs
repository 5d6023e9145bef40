//! The port behind per-tenant export, restore and purge: every record of one tenant read at once,
//! written back as it was (no condition, no audit entry, versions untouched), or removed.
//! Objects go through [`super::ObjectStore`] (`list_objects` under `tenants/<id>/`).

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ApiKeyId, ApiKeyRecord, Principal, PrincipalArn, StoreError};
use crate::audit::AuditEntry;
use crate::domain::{BillingId, BillingRecord, Contract, ContractId, Invoice, InvoiceNumber, Metered, Tenant, TenantId};

/// One day of a tenant's metered counters, as archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageDay {
    pub day: NaiveDate,
    #[serde(flatten)]
    pub metered: Metered,
}

/// Every record of one tenant, each kind in key order: its tenant record, contracts (id),
/// billing records (id), invoices (number), metered days (date), audit entries (id), and the
/// principals (ARN) and API key records (id) that name it. Idempotency keys (a day's replay
/// memory) and month-end runs' items (the operator's runs) are not a tenant's records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantRecords {
    pub tenant: Option<Tenant>,
    pub contracts: Vec<Contract>,
    pub billings: Vec<BillingRecord>,
    pub invoices: Vec<Invoice>,
    pub usage: Vec<UsageDay>,
    pub audit: Vec<AuditEntry>,
    pub principals: Vec<Principal>,
    pub api_keys: Vec<ApiKeyRecord>,
}

impl TenantRecords {
    /// Puts each kind in key order (what adapters return, and what archives hold).
    pub fn sort(&mut self) {
        self.contracts.sort_by(|a, b| a.contract_id.as_str().cmp(b.contract_id.as_str()));
        self.billings.sort_by(|a, b| a.billing_id.as_str().cmp(b.billing_id.as_str()));
        self.invoices.sort_by(|a, b| a.invoice_number.cmp(&b.invoice_number));
        self.usage.sort_by_key(|u| u.day);
        self.audit.sort_by(|a, b| a.entry_id.cmp(&b.entry_id));
        self.principals.sort_by(|a, b| a.arn.as_str().cmp(b.arn.as_str()));
        self.api_keys.sort_by(|a, b| a.api_key_id.as_str().cmp(b.api_key_id.as_str()));
    }

    /// How many records there are, every kind together.
    pub fn len(&self) -> usize {
        usize::from(self.tenant.is_some())
            + self.contracts.len()
            + self.billings.len()
            + self.invoices.len()
            + self.usage.len()
            + self.audit.len()
            + self.principals.len()
            + self.api_keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The records of one tenant a purge removes, by key. The tenant record and audit entries are
/// never among them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removal {
    pub contracts: Vec<ContractId>,
    pub billings: Vec<BillingId>,
    pub invoices: Vec<InvoiceNumber>,
    pub usage: Vec<NaiveDate>,
    pub principals: Vec<PrincipalArn>,
    pub api_keys: Vec<ApiKeyId>,
}

#[async_trait]
pub trait TenantArchive: Send + Sync {
    /// Every record of the tenant (see [`TenantRecords`]), sorted. Reads the whole tenant at once:
    /// a tenant's records are thousands, not millions (its objects are streamed separately).
    async fn tenant_records(&self, tenant: &TenantId) -> Result<TenantRecords, StoreError>;
    /// Writes each record exactly as given (versions, numbers and entries untouched), replacing
    /// whatever its key holds, without audit entries (the archive's own entries are restored).
    async fn write_records(&self, tenant: &TenantId, records: &TenantRecords) -> Result<(), StoreError>;
    /// Deletes the records named, and every idempotency key of the tenant; returns how many
    /// idempotency keys went. Absent records are no error.
    async fn remove_records(&self, tenant: &TenantId, removal: &Removal) -> Result<u64, StoreError>;
    /// Raises `year`'s invoice-number counter so that it hands out `next` or later (never lowers it).
    async fn raise_invoice_counter(&self, year: i32, next: u64) -> Result<(), StoreError>;
}
