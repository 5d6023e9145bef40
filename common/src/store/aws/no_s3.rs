//! The object store of a function built without S3 (feature `s3`): only the routes that store or
//! read documents are built with it (and only they may reach the bucket under the template's
//! policies); anything else that tried would be a packaging mistake, answered as an outage.

use async_trait::async_trait;
use bytes::Bytes;

use super::AwsStore;
use crate::store::{ByteRange, ListedObject, ObjectBody, ObjectKey, ObjectMeta, ObjectStore, Page, PageRequest, StoreError};

fn absent() -> StoreError {
    StoreError::Unavailable("this function was built without S3 (feature `s3`), so it cannot reach documents".into())
}

#[async_trait]
impl ObjectStore for AwsStore {
    async fn create_object(&self, _: &ObjectKey, _: Bytes, _: &str) -> Result<ObjectMeta, StoreError> {
        Err(absent())
    }
    async fn copy_object(&self, _: &ObjectKey, _: &ObjectKey, _: &str) -> Result<ObjectMeta, StoreError> {
        Err(absent())
    }
    async fn get_object(&self, _: &ObjectKey, _: Option<ByteRange>) -> Result<Option<ObjectBody>, StoreError> {
        Err(absent())
    }
    async fn head_object(&self, _: &ObjectKey) -> Result<Option<ObjectMeta>, StoreError> {
        Err(absent())
    }
    async fn delete_object(&self, _: &ObjectKey) -> Result<(), StoreError> {
        Err(absent())
    }
    async fn presign_get(&self, _: &ObjectKey, _: std::time::Duration) -> Result<String, StoreError> {
        Err(absent())
    }
    async fn presign_put(&self, _: &ObjectKey, _: &str, _: u64, _: std::time::Duration) -> Result<String, StoreError> {
        Err(absent())
    }
    async fn list_objects(&self, _: &str, _: &PageRequest) -> Result<Page<ListedObject>, StoreError> {
        Err(absent())
    }
}
