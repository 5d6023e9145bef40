//! Objects in S3.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{ChecksumAlgorithm, ObjectLockMode};
use aws_smithy_types::byte_stream::ByteStream;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio_util::io::ReaderStream;

use super::{AwsStore, sdk_unavailable};
use crate::store::retention::retained;
use crate::store::{
    ByteRange, ListedObject, LockMode, MAX_PRESIGN, ObjectBody, ObjectKey, ObjectMeta, ObjectStore, Page, PageRequest, PdfRetention, StoreError,
};

/// The HTTP status of S3's answer, when there was one.
fn status_of<E>(e: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

/// S3's limit for one PUT.
const MAX_PUT: usize = 5 * 1024 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

fn to_chrono(t: Option<&aws_smithy_types::DateTime>) -> DateTime<Utc> {
    t.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos())).unwrap_or_default()
}

fn from_smithy(t: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
}

/// Content-MD5 of an empty body. S3 asks for an integrity header on any write that sets an
/// Object Lock retention; a CopyObject has no body, and this is its (correct) digest.
const EMPTY_BODY_MD5: &str = "1B2M2Y8AsgTpgAVh8ZygEA==";

impl AwsStore {
    /// The Object Lock an object at `key` is written with: issued invoices' PDFs only.
    fn lock_for(&self, key: &ObjectKey) -> Option<(ObjectLockMode, DateTime<Utc>)> {
        let mode = match self.pdf_retention.mode {
            LockMode::Governance => ObjectLockMode::Governance,
            LockMode::Compliance => ObjectLockMode::Compliance,
        };
        PdfRetention::applies_to(key).then(|| (mode, self.pdf_retention.retain_until(self.clock.now())))
    }
}

fn presign_config(expires: Duration) -> Result<PresigningConfig, StoreError> {
    if expires > MAX_PRESIGN || expires.is_zero() {
        return Err(StoreError::Unavailable(format!("presigned URL lifetime {expires:?} is outside 1 s..7 days")));
    }
    PresigningConfig::expires_in(expires).map_err(|e| StoreError::Unavailable(format!("presigning: {e}")))
}

#[async_trait]
impl ObjectStore for AwsStore {
    async fn create_object(&self, key: &ObjectKey, body: Bytes, content_type: &str) -> Result<ObjectMeta, StoreError> {
        if body.len() > MAX_PUT {
            return Err(StoreError::TooLarge(format!("{} bytes; one S3 PUT takes at most {MAX_PUT}", body.len())));
        }
        let size = body.len() as u64;
        let lock = self.lock_for(key);
        // S3's conditional write: 412 when the key holds an object, so nothing is ever replaced.
        let mut put = self.s3.put_object().bucket(&self.bucket).key(key.as_str()).content_type(content_type).if_none_match("*");
        if let Some((mode, until)) = &lock {
            // Object Lock: this version cannot be deleted or overwritten until `until`.
            put = put
                .object_lock_mode(mode.clone())
                .object_lock_retain_until_date(aws_smithy_types::DateTime::from_secs(until.timestamp()))
                .checksum_algorithm(ChecksumAlgorithm::Crc32);
        }
        let out = put
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| if status_of(&e) == Some(412) { StoreError::AlreadyExists } else { sdk_unavailable("PutObject", e) })?;
        Ok(ObjectMeta {
            size,
            content_type: content_type.to_owned(),
            etag: out.e_tag.unwrap_or_default(),
            last_modified: self.clock.now(),
            retain_until: lock.map(|(_, until)| until),
        })
    }

    async fn copy_object(&self, from: &ObjectKey, to: &ObjectKey, from_etag: &str) -> Result<ObjectMeta, StoreError> {
        // S3 checks both conditions itself (x-amz-copy-source-if-match, If-None-Match: 412 for
        // either, told apart by looking again); the checks around the copy hold the same
        // guarantees on servers that ignore them (moto does).
        if self.head_object(to).await?.is_some() {
            return Err(StoreError::AlreadyExists);
        }
        match self.head_object(from).await? {
            Some(m) if m.etag.trim_matches('"') == from_etag.trim_matches('"') => {}
            _ => return Err(StoreError::VersionMismatch),
        }
        let lock = self.lock_for(to);
        let mut copy = self
            .s3
            .copy_object()
            .bucket(&self.bucket)
            .key(to.as_str())
            .copy_source(format!("{}/{}", self.bucket, from.as_str()))
            .copy_source_if_match(from_etag)
            .if_none_match("*");
        if let Some((mode, until)) = &lock {
            copy = copy.object_lock_mode(mode.clone()).object_lock_retain_until_date(aws_smithy_types::DateTime::from_secs(until.timestamp()));
        }
        let locked = lock.is_some();
        let copied = copy
            .customize()
            .mutate_request(move |req| {
                if locked {
                    req.headers_mut().insert("content-md5", EMPTY_BODY_MD5);
                }
            })
            .send()
            .await
            .map_err(|e| if status_of(&e) == Some(412) { StoreError::VersionMismatch } else { sdk_unavailable("CopyObject", e) });
        if let Err(StoreError::VersionMismatch) = copied {
            return Err(if self.head_object(to).await?.is_some() { StoreError::AlreadyExists } else { StoreError::VersionMismatch });
        }
        copied?;
        let mut meta = self.head_object(to).await?.ok_or_else(|| StoreError::Unavailable(format!("{to} is missing right after copying it")))?;
        // HeadObject shows the lock only to callers allowed s3:GetObjectRetention.
        meta.retain_until = meta.retain_until.or(lock.map(|(_, until)| until));
        if meta.etag.trim_matches('"') != from_etag.trim_matches('"') {
            return Err(StoreError::Corrupt(format!("{to} was copied from {from} but holds other bytes (ETag {} ≠ {from_etag})", meta.etag)));
        }
        Ok(meta)
    }

    async fn get_object(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Option<ObjectBody>, StoreError> {
        // A range is resolved against the object's real size first, so that the span and the 416
        // answer are exactly the embedded store's.
        let span = match range {
            None => None,
            Some(r) => {
                let Some(meta) = self.head_object(key).await? else { return Ok(None) };
                Some(r.resolve(meta.size).ok_or(StoreError::InvalidRange { size: meta.size })?)
            }
        };
        let mut req = self.s3.get_object().bucket(&self.bucket).key(key.as_str());
        if let Some((s, e)) = span {
            req = req.range(ByteRange::From { start: s, end: Some(e) }.header_value());
        }
        let out = match req.send().await {
            Ok(o) => o,
            Err(SdkError::ServiceError(se)) if matches!(se.err(), GetObjectError::NoSuchKey(_)) => return Ok(None),
            Err(e) => return Err(sdk_unavailable("GetObject", e)),
        };
        let total = match (&out.content_range, span) {
            // "bytes 0-9/100": the object's size is after the slash.
            (Some(cr), Some(_)) => cr.rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or_default(),
            _ => out.content_length.unwrap_or_default().max(0) as u64,
        };
        let meta = ObjectMeta {
            size: total,
            content_type: out.content_type.clone().unwrap_or_else(|| "application/octet-stream".into()),
            etag: out.e_tag.clone().unwrap_or_default(),
            last_modified: to_chrono(out.last_modified.as_ref()),
            retain_until: from_smithy(out.object_lock_retain_until_date.as_ref()),
        };
        let stream = ReaderStream::with_capacity(out.body.into_async_read(), CHUNK);
        Ok(Some(ObjectBody { meta, span, stream: Box::pin(stream) }))
    }

    async fn head_object(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>, StoreError> {
        match self.s3.head_object().bucket(&self.bucket).key(key.as_str()).send().await {
            Ok(out) => Ok(Some(ObjectMeta {
                size: out.content_length.unwrap_or_default().max(0) as u64,
                content_type: out.content_type.unwrap_or_else(|| "application/octet-stream".into()),
                etag: out.e_tag.unwrap_or_default(),
                last_modified: to_chrono(out.last_modified.as_ref()),
                retain_until: from_smithy(out.object_lock_retain_until_date.as_ref()),
            })),
            Err(SdkError::ServiceError(se)) if matches!(se.err(), HeadObjectError::NotFound(_)) => Ok(None),
            Err(e) => Err(sdk_unavailable("HeadObject", e)),
        }
    }

    async fn delete_object(&self, key: &ObjectKey) -> Result<(), StoreError> {
        // In a versioned bucket a DELETE without a version id succeeds even on a locked object:
        // it adds a delete marker, and the PDF would vanish from downloads while its locked
        // version stays. So an invoice PDF is refused here until its retention ends.
        if PdfRetention::applies_to(key) {
            let Some(meta) = self.head_object(key).await? else { return Ok(()) };
            let until = self.pdf_retention.effective_until(key, meta.retain_until, meta.last_modified);
            if let Some(until) = until.filter(|u| *u > self.clock.now()) {
                return Err(retained(key, until));
            }
        }
        self.s3.delete_object().bucket(&self.bucket).key(key.as_str()).send().await.map_err(|e| sdk_unavailable("DeleteObject", e))?;
        Ok(())
    }

    async fn presign_get(&self, key: &ObjectKey, expires: Duration) -> Result<String, StoreError> {
        let req = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .presigned(presign_config(expires)?)
            .await
            .map_err(|e| sdk_unavailable("presign GetObject", e))?;
        Ok(req.uri().to_owned())
    }

    async fn presign_put(&self, key: &ObjectKey, content_type: &str, content_length: u64, expires: Duration) -> Result<String, StoreError> {
        let req = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            // Signed: S3 refuses a PUT of any other length.
            .content_length(i64::try_from(content_length).map_err(|_| StoreError::TooLarge(format!("{content_length} bytes")))?)
            .presigned(presign_config(expires)?)
            .await
            .map_err(|e| sdk_unavailable("presign PutObject", e))?;
        Ok(req.uri().to_owned())
    }

    async fn list_objects(&self, prefix: &str, page: &PageRequest) -> Result<Page<ListedObject>, StoreError> {
        let limit = i32::try_from(page.limit.clamp(1, 1000)).unwrap_or(1000);
        let list = self.s3.list_objects_v2().bucket(&self.bucket).prefix(prefix).max_keys(limit).set_start_after(page.cursor.clone());
        let out = list.send().await.map_err(|e| sdk_unavailable("ListObjectsV2", e))?;
        let items: Vec<ListedObject> = out
            .contents()
            .iter()
            .filter_map(|o| {
                let size = o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0);
                Some(ListedObject { key: o.key()?.to_owned(), size, last_modified: to_chrono(o.last_modified()) })
            })
            .collect();
        let next_cursor = if out.is_truncated() == Some(true) { items.last().map(|o| o.key.clone()) } else { None };
        Ok(Page { items, next_cursor })
    }
}
