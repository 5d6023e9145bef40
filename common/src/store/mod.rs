//! Storage ports, one trait per capability, and the adapters behind them.
//!
//! Every adapter gives the same guarantees; `tests/` runs one conformance suite against each.

mod archive;
pub mod aws;
mod cursor;
#[cfg(feature = "embedded")]
pub mod embedded;
#[cfg(feature = "faults")]
pub mod faults;
mod idempotency;
mod object;
mod principal;
mod queue;
mod retention;
mod verified;

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

pub use archive::{Removal, TenantArchive, TenantRecords, UsageDay};
pub use cursor::CursorCodec;
pub use idempotency::{Begin, IdempotencyKey, IdempotencyRecord, IdempotencyScope, IdempotencyState, LEASE, RETENTION, StoredResponse};
pub use object::{ByteRange, ByteStream, ListedObject, ObjectBody, ObjectKey, ObjectMeta};
pub use principal::{ApiKeyId, ApiKeyRecord, MAX_PRINCIPALS_PER_OWNER, Owner, Principal, PrincipalArn, PrincipalId};
pub use queue::{RunMessage, RunQueue};
pub use retention::{LockMode, PdfRetention};
pub use verified::Verified;

use crate::domain::{
    BillingFilter, BillingId, BillingPeriod, BillingRecord, Contract, ContractFilter, ContractId, Invoice, InvoiceFilter, InvoiceNumber, InvoiceRun,
    IssuerSettings, Metered, RunCounts, RunId, RunItem, Settlement, Tenant, TenantId,
};
use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Create-if-absent found something already there.
    #[error("already exists")]
    AlreadyExists,
    /// Replace-if-version found another version (or nothing).
    #[error("version mismatch")]
    VersionMismatch,
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("range not satisfiable (object is {size} bytes)")]
    InvalidRange { size: u64 },
    #[error("item too large: {0}")]
    TooLarge(String),
    /// An account-wide limit of the backing service (API keys per Region); retrying will not help.
    #[error("limit reached: {0}")]
    LimitReached(String),
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The object is under retention (an issued invoice's PDF): it cannot be replaced or
    /// deleted before its retain-until date.
    #[error("retained: {0}")]
    Retained(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AlreadyExists => ApiError::Conflict("The resource already exists.".into()),
            StoreError::VersionMismatch => {
                ApiError::PreconditionFailed("The resource has changed since you read it; fetch it again and retry with its new ETag.".into())
            }
            StoreError::InvalidCursor => ApiError::field("query.cursor", "is not a cursor this listing issued; start again without a cursor"),
            StoreError::InvalidRange { size } => ApiError::RangeNotSatisfiable { size },
            StoreError::TooLarge(m) => ApiError::Internal(format!("item too large: {m}")),
            StoreError::LimitReached(m) => ApiError::LimitReached(m),
            StoreError::Unavailable(m) => ApiError::Unavailable(m),
            StoreError::Corrupt(m) => ApiError::Internal(format!("corrupt data: {m}")),
            StoreError::Retained(m) => ApiError::Conflict(format!("{m}; it cannot be replaced or deleted before then.")),
        }
    }
}

/// A page request: at most `limit` items after the position sealed in `cursor`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present exactly when more items match.
    pub next_cursor: Option<String>,
}

#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Fails with `AlreadyExists` when the id is taken.
    async fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
    async fn get_tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError>;
    /// Writes `tenant` only when the stored version is `expected_version`.
    async fn replace_tenant(&self, tenant: &Tenant, expected_version: u64) -> Result<(), StoreError>;
    /// Every tenant in id order (the operator's listings). Cursors are bound to no tenant.
    async fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError>;
    /// Deletes every record under the tenant (its partition), returning how many were removed.
    async fn purge_tenant(&self, id: &TenantId) -> Result<usize, StoreError>;
}

#[async_trait]
pub trait PrincipalStore: Send + Sync {
    /// Creates or replaces the mapping of an IAM principal to its role and tenant.
    async fn put_principal(&self, principal: &Principal) -> Result<(), StoreError>;
    /// Creates the mapping; `AlreadyExists` when the principal is registered (to anyone).
    async fn register_principal(&self, principal: &Principal) -> Result<(), StoreError>;
    /// The owner's principals in ARN order (at most `MAX_PRINCIPALS_PER_OWNER` by registration;
    /// on DynamoDB from an index, so one registered a moment ago may be missing).
    async fn list_principals(&self, owner: &Owner) -> Result<Vec<Principal>, StoreError>;
    async fn get_principal(&self, arn: &PrincipalArn) -> Result<Option<Principal>, StoreError>;
    async fn delete_principal(&self, arn: &PrincipalArn) -> Result<(), StoreError>;
    async fn put_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError>;
    async fn get_api_key(&self, id: &ApiKeyId) -> Result<Option<ApiKeyRecord>, StoreError>;
    async fn delete_api_key(&self, id: &ApiKeyId) -> Result<(), StoreError>;
}

#[async_trait]
pub trait ContractStore: Send + Sync {
    async fn create_contract(&self, contract: &Contract) -> Result<(), StoreError>;
    async fn replace_contract(&self, contract: &Contract, expected_version: u64) -> Result<(), StoreError>;
    async fn get_contract(&self, tenant: &TenantId, id: &ContractId) -> Result<Option<Contract>, StoreError>;
    /// Contracts in id order. Cursors are bound to the tenant and the filter.
    async fn list_contracts(&self, tenant: &TenantId, filter: &ContractFilter, page: &PageRequest) -> Result<Page<Contract>, StoreError>;
}

#[async_trait]
pub trait BillingStore: Send + Sync {
    async fn create_billing(&self, billing: &BillingRecord) -> Result<(), StoreError>;
    async fn replace_billing(&self, billing: &BillingRecord, expected_version: u64) -> Result<(), StoreError>;
    async fn get_billing(&self, tenant: &TenantId, id: &BillingId) -> Result<Option<BillingRecord>, StoreError>;
    /// Records in id order (so period order). Cursors are bound to the tenant and the filter.
    async fn list_billings(&self, tenant: &TenantId, filter: &BillingFilter, page: &PageRequest) -> Result<Page<BillingRecord>, StoreError>;
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request with `request_hash`, or says why it cannot proceed.
    async fn begin(&self, scope: &IdempotencyScope, key: &IdempotencyKey, request_hash: &str, now: chrono::DateTime<chrono::Utc>) -> Result<Begin, StoreError>;
    /// Records the response for replays.
    async fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        request_hash: &str,
        response: &StoredResponse,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError>;
    /// Releases the key after a failure, so that a retry can run.
    async fn abandon(&self, scope: &IdempotencyScope, key: &IdempotencyKey) -> Result<(), StoreError>;
}

#[async_trait]
pub trait InvoiceStore: Send + Sync {
    async fn get_issuer(&self) -> Result<Option<IssuerSettings>, StoreError>;
    /// Creates the settings (`expected_version` `None`) or replaces them at that version.
    async fn put_issuer(&self, settings: &IssuerSettings, expected_version: Option<u64>) -> Result<(), StoreError>;
    /// The sequence number `year`'s counter hands out next (1 when it has handed out none).
    async fn next_invoice_seq(&self, year: i32) -> Result<u64, StoreError>;
    /// In one transaction: move `year`'s counter from `first` to `first + batch.len()`, create each
    /// invoice (the caller numbers the i-th `first + i`), and replace each billing record where its
    /// stored version is the one given. `VersionMismatch` when the counter or any record moved
    /// meanwhile: nothing was written, and no number used. At most `MAX_ALLOCATIONS` at once.
    async fn allocate_invoices(&self, year: i32, first: u64, batch: &[Allocation]) -> Result<(), StoreError>;
    /// `allocate_invoices` for one record.
    async fn allocate_invoice(&self, year: i32, seq: u64, invoice: &Invoice, billing: &BillingRecord, billing_version: u64) -> Result<(), StoreError> {
        self.allocate_invoices(year, seq, &[Allocation { invoice: invoice.clone(), billing: billing.clone(), billing_version }]).await
    }
    async fn get_invoice(&self, tenant: &TenantId, number: &InvoiceNumber) -> Result<Option<Invoice>, StoreError>;
    /// In one transaction: replace each invoice and its billing record, each only at its expected
    /// version. `VersionMismatch` when any moved: nothing was written. At most `MAX_ALLOCATIONS`.
    async fn update_invoices_and_billings(&self, batch: &[Replacement]) -> Result<(), StoreError>;
    /// `update_invoices_and_billings` for one.
    async fn update_invoice_and_billing(
        &self,
        invoice: &Invoice,
        invoice_version: u64,
        billing: &BillingRecord,
        billing_version: u64,
    ) -> Result<(), StoreError> {
        self.update_invoices_and_billings(&[Replacement { invoice: invoice.clone(), invoice_version, billing: billing.clone(), billing_version }]).await
    }
    /// A tenant's invoices in number order that match `filter`. Cursors are bound to the tenant
    /// and the filter.
    async fn list_invoices(&self, tenant: &TenantId, filter: &InvoiceFilter, page: &PageRequest) -> Result<Page<Invoice>, StoreError>;
}

#[async_trait]
pub trait MeteringStore: Send + Sync {
    /// Adds `delta` to the tenant's counters for `day`; concurrent additions all count.
    async fn add_metered(&self, tenant: &TenantId, day: chrono::NaiveDate, delta: &Metered) -> Result<(), StoreError>;
    /// `add_metered` for several tenants (in one write where the adapter can).
    async fn add_metered_many(&self, day: chrono::NaiveDate, deltas: &[(TenantId, Metered)]) -> Result<(), StoreError> {
        for (tenant, delta) in deltas {
            self.add_metered(tenant, day, delta).await?;
        }
        Ok(())
    }
    /// The tenant's counters for the days in `from..=to` that have any, in date order.
    async fn metered(&self, tenant: &TenantId, from: chrono::NaiveDate, to: chrono::NaiveDate) -> Result<Vec<(chrono::NaiveDate, Metered)>, StoreError>;
}

/// Month-end runs, their items and counts (see `domain::run`).
#[async_trait]
pub trait RunStore: Send + Sync {
    /// Creates the run and claims its period for it. `AlreadyExists` when another run holds the
    /// period (`active_run` names it) or the id is taken: nothing is written.
    async fn create_run(&self, run: &InvoiceRun) -> Result<(), StoreError>;
    /// The run holding `period`, if any.
    async fn active_run(&self, period: BillingPeriod) -> Result<Option<RunId>, StoreError>;
    /// The run and its counts.
    async fn get_run(&self, id: &RunId) -> Result<Option<(InvoiceRun, RunCounts)>, StoreError>;
    /// Writes `run` where the stored version is `expected_version`; a run that is no longer
    /// active releases its period in the same write.
    async fn replace_run(&self, run: &InvoiceRun, expected_version: u64) -> Result<(), StoreError>;
    /// Runs in id order (so period order), optionally of one period.
    async fn list_runs(&self, period: Option<BillingPeriod>, page: &PageRequest) -> Result<Page<InvoiceRun>, StoreError>;
    /// Adds pending items; an item already in the run is left as it is and not counted again.
    /// Returns how many were new.
    async fn add_items(&self, items: &[RunItem]) -> Result<u64, StoreError>;
    /// Settles pending items and counts them, in one write: for each, `false` when it was settled
    /// already (a redelivery), and nothing changes for it. `VersionMismatch` (nothing written) when
    /// one is not an item of its run. Any number of items; the adapter splits what one write cannot hold.
    async fn settle_items(&self, settle: &[(RunItem, Settlement)]) -> Result<Vec<bool>, StoreError>;
    /// `settle_items` for one item.
    async fn settle_item(&self, item: &RunItem, settlement: &Settlement) -> Result<bool, StoreError> {
        Ok(self.settle_items(&[(item.clone(), settlement.clone())]).await?.first().copied().unwrap_or(false))
    }
    async fn get_item(&self, run: &RunId, tenant: &TenantId, billing: &BillingId) -> Result<Option<RunItem>, StoreError>;
    /// A run's items in key order (tenant, then billing record).
    async fn list_items(&self, run: &RunId, page: &PageRequest) -> Result<Page<RunItem>, StoreError>;
}

/// DynamoDB's limit on the items of one transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// One record's number, for `InvoiceStore::allocate_invoices`: the new invoice, and the billing
/// record bound to it, written where the stored record is at `billing_version`.
#[derive(Debug, Clone)]
pub struct Allocation {
    pub invoice: Invoice,
    pub billing: BillingRecord,
    pub billing_version: u64,
}

/// An invoice and its billing record replaced together (issued, paid, void), each where the stored
/// one is at the version given.
#[derive(Debug, Clone)]
pub struct Replacement {
    pub invoice: Invoice,
    pub invoice_version: u64,
    pub billing: BillingRecord,
    pub billing_version: u64,
}

/// Records one allocation binds at most: the counter, two items each and an audit entry for each
/// tenant among them (at worst one per record) fit one transaction.
pub const MAX_ALLOCATIONS: usize = (MAX_TRANSACTION_ITEMS - 1) / 3;

#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Stores a new object. `AlreadyExists` when the key holds one: a stored object is never
    /// replaced (an issued invoice's bytes must not change). Under `tenants/<id>/invoices/` the
    /// object is locked until the adapter's [`PdfRetention`] says (`ObjectMeta::retain_until`);
    /// `copy_object` locks the same way.
    async fn create_object(&self, key: &ObjectKey, body: Bytes, content_type: &str) -> Result<ObjectMeta, StoreError>;
    /// Copies `from` to the new key `to`, only while `from` still has the ETag `from_etag` (the
    /// bytes the caller checked): `VersionMismatch` when it changed, `AlreadyExists` when `to`
    /// holds an object.
    async fn copy_object(&self, from: &ObjectKey, to: &ObjectKey, from_etag: &str) -> Result<ObjectMeta, StoreError>;
    /// The object as a byte stream, or the part of it in `range`; `None` when absent.
    async fn get_object(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Option<ObjectBody>, StoreError>;
    async fn head_object(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>, StoreError>;
    /// Idempotent: deleting an absent object succeeds. `Retained` for an issued invoice's PDF
    /// (see [`PdfRetention`]) before its retain-until date: nothing is deleted.
    async fn delete_object(&self, key: &ObjectKey) -> Result<(), StoreError>;
    /// A URL anyone can GET for `expires`, at most 7 days (S3's own limit).
    async fn presign_get(&self, key: &ObjectKey, expires: std::time::Duration) -> Result<String, StoreError>;
    /// A URL that accepts one PUT of `content_type`, exactly `content_length` bytes long.
    async fn presign_put(&self, key: &ObjectKey, content_type: &str, content_length: u64, expires: std::time::Duration) -> Result<String, StoreError>;
    /// The objects whose keys start with `prefix` (`tenants/`, `tenants/<id>/uploads/`), in key
    /// order, at most `page.limit` at a time; the cursor is the last key of the page before (the
    /// repair sweep's inventory: nothing a tenant can call lists the bucket).
    async fn list_objects(&self, prefix: &str, page: &PageRequest) -> Result<Page<ListedObject>, StoreError>;
}

/// Which entries of the audit trail to list: one tenant's (`None`: every tenant's and the
/// operator's own), made in `from..to` (UTC, `to` excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub tenant: Option<TenantId>,
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
}

impl AuditQuery {
    /// Entry ids start with their time, so a time range is an id range: `lo..=hi`.
    pub fn id_range(&self) -> (String, String) {
        let f = |t: &chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        (f(&self.from), f(&self.to))
    }

    /// What cursors are sealed to: the same range only.
    pub fn scope(&self) -> String {
        let (lo, hi) = self.id_range();
        format!("audit?from={lo}&to={hi}")
    }
}

/// The audit trail. Entries of changes are written by the adapters with the changes themselves;
/// this port appends the others (refused attempts) and reads. Nothing edits or deletes an entry.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends entries on their own; an id already there is refused (`AlreadyExists`).
    async fn append_audit(&self, entries: &[crate::audit::AuditEntry]) -> Result<(), StoreError>;
    /// Entries in time order. On DynamoDB the all-tenants listing reads an index, so an entry
    /// written a moment ago may be missing from it (never from a tenant's).
    async fn list_audit(&self, query: &AuditQuery, page: &PageRequest) -> Result<Page<crate::audit::AuditEntry>, StoreError>;
}

/// S3's limit on presigned URL lifetime.
pub const MAX_PRESIGN: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Every port, from one adapter.
#[derive(Clone)]
pub struct Stores {
    pub tenants: Arc<dyn TenantStore>,
    pub principals: Arc<dyn PrincipalStore>,
    pub contracts: Arc<dyn ContractStore>,
    pub billings: Arc<dyn BillingStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub invoices: Arc<dyn InvoiceStore>,
    pub objects: Arc<dyn ObjectStore>,
    pub metering: Arc<dyn MeteringStore>,
    pub runs: Arc<dyn RunStore>,
    pub queue: Arc<dyn RunQueue>,
    pub audit: Arc<dyn AuditStore>,
    /// Per-tenant export, restore and purge.
    pub archive: Arc<dyn TenantArchive>,
}

/// Clamps a requested page size the way every listing does.
pub const MAX_PAGE: usize = 100;
