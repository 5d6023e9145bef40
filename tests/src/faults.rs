//! Stores that fail on purpose, to prove that every step of a multi-step write can be retried.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use common::domain::{Invoice, InvoiceFilter, InvoiceNumber, IssuerSettings, TenantId};
use common::store::{
    Allocation, ByteRange, InvoiceStore, ListedObject, ObjectBody, ObjectKey, ObjectMeta, ObjectStore, Page, PageRequest, Replacement, StoreError,
};

/// Fails the next `n` object writes.
pub struct FailingPuts {
    pub inner: Arc<dyn ObjectStore>,
    pub failures_left: AtomicUsize,
}

fn injected() -> StoreError {
    StoreError::Unavailable("injected failure".into())
}

fn take(counter: &AtomicUsize) -> bool {
    counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
}

#[async_trait]
impl ObjectStore for FailingPuts {
    async fn create_object(&self, key: &ObjectKey, body: Bytes, content_type: &str) -> Result<ObjectMeta, StoreError> {
        if take(&self.failures_left) {
            return Err(injected());
        }
        self.inner.create_object(key, body, content_type).await
    }
    async fn copy_object(&self, from: &ObjectKey, to: &ObjectKey, from_etag: &str) -> Result<ObjectMeta, StoreError> {
        if take(&self.failures_left) {
            return Err(injected());
        }
        self.inner.copy_object(from, to, from_etag).await
    }
    async fn get_object(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Option<ObjectBody>, StoreError> {
        self.inner.get_object(key, range).await
    }
    async fn head_object(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>, StoreError> {
        self.inner.head_object(key).await
    }
    async fn delete_object(&self, key: &ObjectKey) -> Result<(), StoreError> {
        self.inner.delete_object(key).await
    }
    async fn presign_get(&self, key: &ObjectKey, expires: std::time::Duration) -> Result<String, StoreError> {
        self.inner.presign_get(key, expires).await
    }
    async fn presign_put(&self, key: &ObjectKey, content_type: &str, length: u64, expires: std::time::Duration) -> Result<String, StoreError> {
        self.inner.presign_put(key, content_type, length, expires).await
    }
    async fn list_objects(&self, prefix: &str, page: &PageRequest) -> Result<Page<ListedObject>, StoreError> {
        self.inner.list_objects(prefix, page).await
    }
}

/// Fails the next `n` final updates (after the PDF is stored, before the invoice reads as issued).
pub struct FailingFinish {
    pub inner: Arc<dyn InvoiceStore>,
    pub failures_left: AtomicUsize,
}

#[async_trait]
impl InvoiceStore for FailingFinish {
    async fn get_issuer(&self) -> Result<Option<IssuerSettings>, StoreError> {
        self.inner.get_issuer().await
    }
    async fn put_issuer(&self, s: &IssuerSettings, v: Option<u64>) -> Result<(), StoreError> {
        self.inner.put_issuer(s, v).await
    }
    async fn next_invoice_seq(&self, year: i32) -> Result<u64, StoreError> {
        self.inner.next_invoice_seq(year).await
    }
    async fn allocate_invoices(&self, year: i32, first: u64, batch: &[Allocation]) -> Result<(), StoreError> {
        self.inner.allocate_invoices(year, first, batch).await
    }
    async fn get_invoice(&self, tenant: &TenantId, number: &InvoiceNumber) -> Result<Option<Invoice>, StoreError> {
        self.inner.get_invoice(tenant, number).await
    }
    async fn update_invoices_and_billings(&self, batch: &[Replacement]) -> Result<(), StoreError> {
        if take(&self.failures_left) {
            return Err(injected());
        }
        self.inner.update_invoices_and_billings(batch).await
    }
    async fn list_invoices(&self, tenant: &TenantId, filter: &InvoiceFilter, page: &PageRequest) -> Result<Page<Invoice>, StoreError> {
        self.inner.list_invoices(tenant, filter, page).await
    }
}
