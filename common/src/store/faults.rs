//! Storage that fails on purpose: every port of [`Stores`] (and [`ApiKeys`]) wrapped so that the
//! Nth call, counted across all of them, fails with `StoreError::Unavailable("injected fault at
//! call N: <port>::<method>")`. Either before the call reaches the adapter (nothing happened), or
//! after it returned (it happened, but the caller sees an error: what a timeout looks like).
//!
//! Tests arm it, run a flow, then retry it with faults off and check that nothing is left half
//! done; a clean run's [`Faults::trace`] names every step a flow takes. Behind the `faults`
//! feature: no Lambda links it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};

use super::{
    Allocation, ApiKeyId, ApiKeyRecord, AuditQuery, AuditStore, Begin, BillingStore, ByteRange, ContractStore, IdempotencyKey, IdempotencyScope,
    IdempotencyStore, InvoiceStore, ListedObject, MeteringStore, ObjectBody, ObjectKey, ObjectMeta, ObjectStore, Owner, Page, PageRequest, Principal,
    PrincipalArn, PrincipalStore, Removal, Replacement, RunMessage, RunQueue, RunStore, StoreError, StoredResponse, Stores, TenantArchive, TenantRecords,
    TenantStore,
};
use crate::apikeys::{ApiKeys, KeyState, NewKey, PlanUsage};
use crate::audit::AuditEntry;
use crate::domain::{
    BillingFilter, BillingId, BillingPeriod, BillingRecord, Contract, ContractFilter, ContractId, Invoice, InvoiceFilter, InvoiceNumber, InvoiceRun,
    IssuerSettings, Metered, PlanTier, RunCounts, RunId, RunItem, Settlement, Tenant, TenantId,
};

/// When the armed call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// Before the adapter sees the call: nothing is written.
    Before,
    /// After the adapter answered: whatever it wrote stays written, and the caller gets an error.
    After,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::Before, Mode::After];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Before => "before",
            Mode::After => "after",
        }
    }
}

#[derive(Default)]
struct State {
    armed: Option<(u64, Mode)>,
    trace: Vec<&'static str>,
    fired: Option<String>,
}

/// The shared counter and switch of every wrapped port.
#[derive(Default)]
pub struct Faults {
    calls: AtomicU64,
    state: Mutex<State>,
}

/// The call being made: the error to answer once it is forwarded, when it is the armed one.
struct Call {
    fail_after: Option<String>,
}

impl Faults {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts from zero again, forgets the trace, and fails call `at` (1 is the next call) in `mode`.
    pub fn arm(&self, at: u64, mode: Mode) {
        self.reset();
        self.state().armed = Some((at, mode));
    }

    /// Counts from zero again with nothing armed.
    pub fn reset(&self) {
        let mut s = self.state();
        self.calls.store(0, Ordering::SeqCst);
        *s = State::default();
    }

    /// No call fails from now on (the count and trace go on).
    pub fn disarm(&self) {
        self.state().armed = None;
    }

    /// Calls since the last `arm` or `reset`.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Each call since the last `arm` or `reset`, as `Port::method`, in the order they were made.
    pub fn trace(&self) -> Vec<&'static str> {
        self.state().trace.clone()
    }

    /// The error injected since the last `arm`, if the armed call was reached.
    pub fn fired(&self) -> Option<String> {
        self.state().fired.clone()
    }

    fn enter(&self, name: &'static str) -> Result<Call, StoreError> {
        let mut s = self.state();
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        s.trace.push(name);
        match s.armed {
            Some((at, mode)) if at == n => {
                let message = format!("injected fault at call {n}: {name}");
                s.fired = Some(message.clone());
                match mode {
                    Mode::Before => Err(StoreError::Unavailable(message)),
                    Mode::After => Ok(Call { fail_after: Some(message) }),
                }
            }
            _ => Ok(Call { fail_after: None }),
        }
    }

    fn leave<T>(call: Call, out: Result<T, StoreError>) -> Result<T, StoreError> {
        match (call.fail_after, out) {
            (Some(message), Ok(_)) => Err(StoreError::Unavailable(message)),
            (_, out) => out,
        }
    }

    /// Every port of `stores`, wrapped.
    pub fn stores(self: &Arc<Self>, stores: &Stores) -> Stores {
        Stores {
            tenants: self.wrap(stores.tenants.clone()),
            principals: self.wrap(stores.principals.clone()),
            contracts: self.wrap(stores.contracts.clone()),
            billings: self.wrap(stores.billings.clone()),
            idempotency: self.wrap(stores.idempotency.clone()),
            invoices: self.wrap(stores.invoices.clone()),
            objects: self.wrap(stores.objects.clone()),
            metering: self.wrap(stores.metering.clone()),
            runs: self.wrap(stores.runs.clone()),
            queue: self.wrap(stores.queue.clone()),
            audit: self.wrap(stores.audit.clone()),
            archive: self.wrap(stores.archive.clone()),
        }
    }

    /// The API key port, wrapped.
    pub fn keys(self: &Arc<Self>, keys: Arc<dyn ApiKeys>) -> Arc<dyn ApiKeys> {
        self.wrap(keys)
    }

    fn wrap<T: ?Sized>(self: &Arc<Self>, inner: Arc<T>) -> Arc<Faulty<T>> {
        Arc::new(Faulty { inner, faults: self.clone() })
    }
}

/// One port, wrapped.
pub struct Faulty<T: ?Sized> {
    inner: Arc<T>,
    faults: Arc<Faults>,
}

/// Implements `$port` for `Faulty<dyn $port>`: each method counted, maybe failed, and forwarded.
macro_rules! faulty {
    ($port:ident { $(fn $method:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)* }) => {
        #[async_trait]
        impl $port for Faulty<dyn $port> {
            $(
                async fn $method(&self $(, $arg: $ty)*) -> $ret {
                    let call = self.faults.enter(concat!(stringify!($port), "::", stringify!($method)))?;
                    Faults::leave(call, self.inner.$method($($arg),*).await)
                }
            )*
        }
    };
}

faulty!(TenantStore {
    fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
    fn get_tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError>;
    fn replace_tenant(&self, tenant: &Tenant, expected_version: u64) -> Result<(), StoreError>;
    fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError>;
    fn purge_tenant(&self, id: &TenantId) -> Result<usize, StoreError>;
});

faulty!(PrincipalStore {
    fn put_principal(&self, principal: &Principal) -> Result<(), StoreError>;
    fn register_principal(&self, principal: &Principal) -> Result<(), StoreError>;
    fn list_principals(&self, owner: &Owner) -> Result<Vec<Principal>, StoreError>;
    fn get_principal(&self, arn: &PrincipalArn) -> Result<Option<Principal>, StoreError>;
    fn delete_principal(&self, arn: &PrincipalArn) -> Result<(), StoreError>;
    fn put_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError>;
    fn get_api_key(&self, id: &ApiKeyId) -> Result<Option<ApiKeyRecord>, StoreError>;
    fn delete_api_key(&self, id: &ApiKeyId) -> Result<(), StoreError>;
});

faulty!(ContractStore {
    fn create_contract(&self, contract: &Contract) -> Result<(), StoreError>;
    fn replace_contract(&self, contract: &Contract, expected_version: u64) -> Result<(), StoreError>;
    fn get_contract(&self, tenant: &TenantId, id: &ContractId) -> Result<Option<Contract>, StoreError>;
    fn list_contracts(&self, tenant: &TenantId, filter: &ContractFilter, page: &PageRequest) -> Result<Page<Contract>, StoreError>;
});

faulty!(BillingStore {
    fn create_billing(&self, billing: &BillingRecord) -> Result<(), StoreError>;
    fn replace_billing(&self, billing: &BillingRecord, expected_version: u64) -> Result<(), StoreError>;
    fn get_billing(&self, tenant: &TenantId, id: &BillingId) -> Result<Option<BillingRecord>, StoreError>;
    fn list_billings(&self, tenant: &TenantId, filter: &BillingFilter, page: &PageRequest) -> Result<Page<BillingRecord>, StoreError>;
});

faulty!(IdempotencyStore {
    fn begin(&self, scope: &IdempotencyScope, key: &IdempotencyKey, request_hash: &str, now: DateTime<Utc>) -> Result<Begin, StoreError>;
    fn complete(&self, scope: &IdempotencyScope, key: &IdempotencyKey, request_hash: &str, response: &StoredResponse, now: DateTime<Utc>) -> Result<(), StoreError>;
    fn abandon(&self, scope: &IdempotencyScope, key: &IdempotencyKey) -> Result<(), StoreError>;
});

faulty!(InvoiceStore {
    fn get_issuer(&self) -> Result<Option<IssuerSettings>, StoreError>;
    fn put_issuer(&self, settings: &IssuerSettings, expected_version: Option<u64>) -> Result<(), StoreError>;
    fn next_invoice_seq(&self, year: i32) -> Result<u64, StoreError>;
    fn allocate_invoices(&self, year: i32, first: u64, batch: &[Allocation]) -> Result<(), StoreError>;
    fn allocate_invoice(&self, year: i32, seq: u64, invoice: &Invoice, billing: &BillingRecord, billing_version: u64) -> Result<(), StoreError>;
    fn get_invoice(&self, tenant: &TenantId, number: &InvoiceNumber) -> Result<Option<Invoice>, StoreError>;
    fn update_invoices_and_billings(&self, batch: &[Replacement]) -> Result<(), StoreError>;
    fn update_invoice_and_billing(&self, invoice: &Invoice, invoice_version: u64, billing: &BillingRecord, billing_version: u64) -> Result<(), StoreError>;
    fn list_invoices(&self, tenant: &TenantId, filter: &InvoiceFilter, page: &PageRequest) -> Result<Page<Invoice>, StoreError>;
});

faulty!(MeteringStore {
    fn add_metered(&self, tenant: &TenantId, day: NaiveDate, delta: &Metered) -> Result<(), StoreError>;
    fn add_metered_many(&self, day: NaiveDate, deltas: &[(TenantId, Metered)]) -> Result<(), StoreError>;
    fn metered(&self, tenant: &TenantId, from: NaiveDate, to: NaiveDate) -> Result<Vec<(NaiveDate, Metered)>, StoreError>;
});

faulty!(RunStore {
    fn create_run(&self, run: &InvoiceRun) -> Result<(), StoreError>;
    fn active_run(&self, period: BillingPeriod) -> Result<Option<RunId>, StoreError>;
    fn get_run(&self, id: &RunId) -> Result<Option<(InvoiceRun, RunCounts)>, StoreError>;
    fn replace_run(&self, run: &InvoiceRun, expected_version: u64) -> Result<(), StoreError>;
    fn list_runs(&self, period: Option<BillingPeriod>, page: &PageRequest) -> Result<Page<InvoiceRun>, StoreError>;
    fn add_items(&self, items: &[RunItem]) -> Result<u64, StoreError>;
    fn settle_items(&self, settle: &[(RunItem, Settlement)]) -> Result<Vec<bool>, StoreError>;
    fn settle_item(&self, item: &RunItem, settlement: &Settlement) -> Result<bool, StoreError>;
    fn get_item(&self, run: &RunId, tenant: &TenantId, billing: &BillingId) -> Result<Option<RunItem>, StoreError>;
    fn list_items(&self, run: &RunId, page: &PageRequest) -> Result<Page<RunItem>, StoreError>;
});

faulty!(ObjectStore {
    fn create_object(&self, key: &ObjectKey, body: Bytes, content_type: &str) -> Result<ObjectMeta, StoreError>;
    fn copy_object(&self, from: &ObjectKey, to: &ObjectKey, from_etag: &str) -> Result<ObjectMeta, StoreError>;
    fn get_object(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Option<ObjectBody>, StoreError>;
    fn head_object(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>, StoreError>;
    fn delete_object(&self, key: &ObjectKey) -> Result<(), StoreError>;
    fn presign_get(&self, key: &ObjectKey, expires: Duration) -> Result<String, StoreError>;
    fn presign_put(&self, key: &ObjectKey, content_type: &str, content_length: u64, expires: Duration) -> Result<String, StoreError>;
    fn list_objects(&self, prefix: &str, page: &PageRequest) -> Result<Page<ListedObject>, StoreError>;
});

faulty!(RunQueue {
    fn send(&self, messages: &[RunMessage]) -> Result<(), StoreError>;
});

faulty!(AuditStore {
    fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError>;
    fn list_audit(&self, query: &AuditQuery, page: &PageRequest) -> Result<Page<AuditEntry>, StoreError>;
});

faulty!(TenantArchive {
    fn tenant_records(&self, tenant: &TenantId) -> Result<TenantRecords, StoreError>;
    fn write_records(&self, tenant: &TenantId, records: &TenantRecords) -> Result<(), StoreError>;
    fn remove_records(&self, tenant: &TenantId, removal: &Removal) -> Result<u64, StoreError>;
    fn raise_invoice_counter(&self, year: i32, next: u64) -> Result<(), StoreError>;
});

faulty!(ApiKeys {
    fn create_key(&self, tenant: &TenantId, tier: PlanTier, enabled: bool) -> Result<NewKey, StoreError>;
    fn set_key(&self, key: &ApiKeyId, tier: PlanTier, enabled: bool) -> Result<(), StoreError>;
    fn delete_key(&self, key: &ApiKeyId) -> Result<(), StoreError>;
    fn list_keys(&self) -> Result<Vec<KeyState>, StoreError>;
    fn usage(&self, tier: PlanTier, key: Option<&ApiKeyId>, from: NaiveDate, to: NaiveDate) -> Result<PlanUsage, StoreError>;
});

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(Mutex<u32>);

    #[async_trait]
    impl RunQueue for Counter {
        async fn send(&self, _: &[RunMessage]) -> Result<(), StoreError> {
            *self.0.lock().unwrap() += 1;
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_armed_call_fails_before_or_after_forwarding() {
        let faults = Faults::new();
        let inner = Arc::new(Counter(Mutex::new(0)));
        let queue: Arc<dyn RunQueue> = faults.wrap(inner.clone() as Arc<dyn RunQueue>);
        faults.arm(2, Mode::Before);
        assert!(queue.send(&[]).await.is_ok());
        let e = queue.send(&[]).await.unwrap_err();
        assert_eq!(e.to_string(), "storage unavailable: injected fault at call 2: RunQueue::send");
        assert_eq!(*inner.0.lock().unwrap(), 1, "not forwarded");
        assert!(queue.send(&[]).await.is_ok());
        assert_eq!((faults.calls(), faults.trace().len()), (3, 3));

        faults.arm(1, Mode::After);
        assert!(queue.send(&[]).await.is_err());
        assert_eq!(*inner.0.lock().unwrap(), 3, "forwarded, then failed");
        assert!(faults.fired().is_some_and(|m| m.contains("call 1: RunQueue::send")));
        faults.reset();
        assert_eq!((faults.calls(), faults.fired()), (0, None));
    }
}
