//! Objects as files under `<data dir>/objects/<key>`, metadata in redb, and presigned URLs that
//! `serve_objects` honours.

use std::io::SeekFrom;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;

use super::{EmbeddedStore, OBJECTS, decode, encode, unavailable};
use crate::store::retention::retained;
use crate::store::{ByteRange, ListedObject, MAX_PRESIGN, ObjectBody, ObjectKey, ObjectMeta, ObjectStore, Page, PageRequest, PdfRetention, StoreError};

const CHUNK: usize = 64 * 1024;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredMeta {
    content_type: String,
    etag: String,
    last_modified: chrono::DateTime<chrono::Utc>,
    /// Issued invoices' PDFs: the object is neither replaced nor deleted before this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retain_until: Option<chrono::DateTime<chrono::Utc>>,
}

impl StoredMeta {
    fn object_meta(self, size: u64) -> ObjectMeta {
        ObjectMeta { size, content_type: self.content_type, etag: self.etag, last_modified: self.last_modified, retain_until: self.retain_until }
    }
}

fn io_unavailable(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("embedded objects: {e}"))
}

/// What a presigned URL allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    pub method: String,
    pub key: ObjectKey,
    pub expires: i64,
    pub content_type: String,
    /// The exact body length a PUT must have.
    pub content_length: Option<u64>,
}

impl EmbeddedStore {
    fn path_of(&self, key: &ObjectKey) -> PathBuf {
        // ObjectKey admits only safe segments, so joining cannot leave objects_dir.
        self.objects_dir.join(key.as_str())
    }

    /// Writes an object from a stream of chunks: to a temporary file first, moved into place
    /// once complete, so a reader never sees half an object and a failed upload leaves nothing.
    /// Replaces what the key held (an upload's staging key); see `create_object` for keys that
    /// never change.
    pub async fn put_stream<S, E>(&self, key: &ObjectKey, body: S, content_type: &str, max_len: u64) -> Result<ObjectMeta, PutError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        self.write_stream(key, body, content_type, max_len, Placement::Replace, None).await
    }

    /// `expect_etag`: the bytes must be the ones with this ETag, else nothing is written.
    async fn write_stream<S, E>(
        &self,
        key: &ObjectKey,
        mut body: S,
        content_type: &str,
        max_len: u64,
        placement: Placement,
        expect_etag: Option<&str>,
    ) -> Result<ObjectMeta, PutError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        let path = self.path_of(key);
        let dir = path.parent().map(PathBuf::from).unwrap_or_else(|| self.objects_dir.clone());
        tokio::fs::create_dir_all(&dir).await.map_err(|e| PutError::Store(io_unavailable(e)))?;
        let tmp = dir.join(format!(".upload-{}", crate::clock::IdGenerator::token(&crate::clock::RandomIds, 8)));
        let result = async {
            let mut file = tokio::fs::File::create(&tmp).await.map_err(|e| PutError::Store(io_unavailable(e)))?;
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| PutError::Body(e.to_string()))?;
                size += chunk.len() as u64;
                if size > max_len {
                    return Err(PutError::TooLarge(max_len));
                }
                hasher.update(&chunk);
                file.write_all(&chunk).await.map_err(|e| PutError::Store(io_unavailable(e)))?;
            }
            file.flush().await.map_err(|e| PutError::Store(io_unavailable(e)))?;
            file.sync_all().await.map_err(|e| PutError::Store(io_unavailable(e)))?;
            Ok((hex::encode(&hasher.finalize()[..16]), size))
        }
        .await;
        let (digest, size) = match result {
            Ok(v) => v,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        let now = self.clock.now();
        let retain_until = PdfRetention::applies_to(key).then(|| self.pdf_retention.retain_until(now));
        let meta = StoredMeta { content_type: content_type.to_owned(), etag: format!("\"{digest}\""), last_modified: now, retain_until };
        if expect_etag.is_some_and(|e| e != meta.etag) {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(PutError::Store(StoreError::VersionMismatch));
        }
        self.place(key, &tmp, &meta, placement).await.map_err(PutError::Store)?;
        Ok(meta.object_meta(size))
    }

    /// Moves a complete temporary file to `key` and records its metadata. `CreateOnly` links it
    /// in (the link fails when the key exists, atomically), so a stored object is never replaced;
    /// a file left without metadata by a crash was never stored, and is replaced.
    async fn place(&self, key: &ObjectKey, tmp: &std::path::Path, meta: &StoredMeta, placement: Placement) -> Result<(), StoreError> {
        let path = self.path_of(key);
        if placement == Placement::Replace {
            // Nothing replaces an object under retention (a presigned PUT aimed at an issued PDF).
            if let Some(until) = self.retained_until(key).await? {
                let _ = tokio::fs::remove_file(tmp).await;
                return Err(retained(key, until));
            }
        }
        let placed = match placement {
            Placement::Replace => tokio::fs::rename(tmp, &path).await,
            Placement::CreateOnly => {
                let linked = tokio::fs::hard_link(tmp, &path).await;
                match linked {
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && self.stored_meta(key).await?.is_none() => tokio::fs::rename(tmp, &path).await,
                    other => {
                        let _ = tokio::fs::remove_file(tmp).await;
                        other
                    }
                }
            }
        };
        match placed {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(StoreError::AlreadyExists),
            Err(e) => {
                let _ = tokio::fs::remove_file(tmp).await;
                return Err(io_unavailable(e));
            }
        }
        let (k, v) = (key.as_str().to_owned(), encode(meta)?);
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            txn.open_table(OBJECTS).map_err(unavailable)?.insert(k.as_str(), v.as_slice()).map_err(unavailable)?;
            txn.commit().map_err(unavailable)
        })
        .await
    }

    /// The retain-until date of what `key` holds, when it is still in the future.
    async fn retained_until(&self, key: &ObjectKey) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        let Some(meta) = self.stored_meta(key).await? else { return Ok(None) };
        let until = self.pdf_retention.effective_until(key, meta.retain_until, meta.last_modified);
        Ok(until.filter(|u| *u > self.clock.now()))
    }

    async fn stored_meta(&self, key: &ObjectKey) -> Result<Option<StoredMeta>, StoreError> {
        let k = key.as_str().to_owned();
        self.read_db(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let t = txn.open_table(OBJECTS).map_err(unavailable)?;
            let got = t.get(k.as_str()).map_err(unavailable)?;
            got.map(|g| decode(g.value())).transpose()
        })
    }

    fn sign(&self, grant: &Grant) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.presign_key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        let length = grant.content_length.map(|l| l.to_string()).unwrap_or_default();
        mac.update(format!("{}\n{}\n{}\n{}\n{length}", grant.method, grant.key, grant.expires, grant.content_type).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Checks a presigned URL's signature and expiry (constant-time comparison).
    pub(crate) fn verify(&self, grant: &Grant, signature: &str) -> Result<(), &'static str> {
        let expected = self.sign(grant);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), signature.as_bytes())) {
            return Err("The request signature does not match.");
        }
        if self.clock.now().timestamp() > grant.expires {
            return Err("Request has expired.");
        }
        Ok(())
    }

    fn presign(&self, method: &str, key: &ObjectKey, content_type: &str, content_length: Option<u64>, expires: Duration) -> Result<String, StoreError> {
        if expires > MAX_PRESIGN || expires.is_zero() {
            return Err(StoreError::Unavailable(format!("presigned URL lifetime {expires:?} is outside 1 s..7 days")));
        }
        let grant = Grant {
            method: method.into(),
            key: key.clone(),
            expires: self.clock.now().timestamp() + expires.as_secs() as i64,
            content_type: content_type.into(),
            content_length,
        };
        let sig = self.sign(&grant);
        Ok(format!(
            "{}/_objects/{}?X-Seikyu-Method={}&X-Seikyu-Expires={}&X-Seikyu-Content-Type={}&X-Seikyu-Content-Length={}&X-Seikyu-Signature={}",
            self.base_url,
            key,
            method,
            grant.expires,
            crate::http::percent::encode(content_type.as_bytes(), false),
            content_length.map(|l| l.to_string()).unwrap_or_default(),
            sig
        ))
    }
}

/// Whether a write may replace what its key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    Replace,
    CreateOnly,
}

/// Why a streamed put did not complete.
#[derive(Debug)]
pub enum PutError {
    TooLarge(u64),
    Body(String),
    Store(StoreError),
}

impl PutError {
    fn into_store(self) -> StoreError {
        match self {
            PutError::Store(s) => s,
            PutError::TooLarge(n) => StoreError::TooLarge(format!("over {n} bytes")),
            PutError::Body(m) => StoreError::Unavailable(format!("reading the object: {m}")),
        }
    }
}

#[async_trait]
impl ObjectStore for EmbeddedStore {
    async fn create_object(&self, key: &ObjectKey, body: Bytes, content_type: &str) -> Result<ObjectMeta, StoreError> {
        let stream = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(body)]);
        self.write_stream(key, stream, content_type, u64::MAX, Placement::CreateOnly, None).await.map_err(PutError::into_store)
    }

    async fn copy_object(&self, from: &ObjectKey, to: &ObjectKey, from_etag: &str) -> Result<ObjectMeta, StoreError> {
        let Some(source) = self.get_object(from, None).await? else { return Err(StoreError::VersionMismatch) };
        if source.meta.etag != from_etag {
            return Err(StoreError::VersionMismatch);
        }
        // The source may be replaced while it is read: the copy is placed only if it holds the
        // bytes the caller checked.
        self.write_stream(to, source.stream, &source.meta.content_type, u64::MAX, Placement::CreateOnly, Some(from_etag)).await.map_err(PutError::into_store)
    }

    async fn get_object(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Option<ObjectBody>, StoreError> {
        let Some(meta) = self.stored_meta(key).await? else { return Ok(None) };
        let mut file = match tokio::fs::File::open(self.path_of(key)).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_unavailable(e)),
        };
        let size = file.metadata().await.map_err(io_unavailable)?.len();
        let span = match range {
            None => None,
            Some(r) => Some(r.resolve(size).ok_or(StoreError::InvalidRange { size })?),
        };
        let (start, len) = span.map_or((0, size), |(s, e)| (s, e - s + 1));
        file.seek(SeekFrom::Start(start)).await.map_err(io_unavailable)?;
        let stream = ReaderStream::with_capacity(file.take(len), CHUNK);
        Ok(Some(ObjectBody { meta: meta.object_meta(size), span, stream: Box::pin(stream) }))
    }

    async fn head_object(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>, StoreError> {
        let Some(meta) = self.stored_meta(key).await? else { return Ok(None) };
        let size = match tokio::fs::metadata(self.path_of(key)).await {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_unavailable(e)),
        };
        Ok(Some(meta.object_meta(size)))
    }

    async fn delete_object(&self, key: &ObjectKey) -> Result<(), StoreError> {
        if let Some(until) = self.retained_until(key).await? {
            return Err(retained(key, until));
        }
        let k = key.as_str().to_owned();
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            txn.open_table(OBJECTS).map_err(unavailable)?.remove(k.as_str()).map_err(unavailable)?;
            txn.commit().map_err(unavailable)
        })
        .await?;
        match tokio::fs::remove_file(self.path_of(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_unavailable(e)),
        }
    }

    async fn presign_get(&self, key: &ObjectKey, expires: Duration) -> Result<String, StoreError> {
        self.presign("GET", key, "", None, expires)
    }

    async fn presign_put(&self, key: &ObjectKey, content_type: &str, content_length: u64, expires: Duration) -> Result<String, StoreError> {
        self.presign("PUT", key, content_type, Some(content_length), expires)
    }

    async fn list_objects(&self, prefix: &str, page: &PageRequest) -> Result<Page<ListedObject>, StoreError> {
        let (prefix, after, limit) = (prefix.to_owned(), page.cursor.clone().unwrap_or_default(), page.limit.clamp(1, 1000));
        let (found, more) = self.read_db(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let t = txn.open_table(OBJECTS).map_err(unavailable)?;
            let mut found = Vec::new();
            for entry in t.range(prefix.as_str().max(after.as_str())..).map_err(unavailable)? {
                let (k, v) = entry.map_err(unavailable)?;
                let key = k.value().to_owned();
                if !key.starts_with(&prefix) || found.len() == limit {
                    return Ok((found, key.starts_with(&prefix)));
                }
                if key != after {
                    found.push((key, decode::<StoredMeta>(v.value())?.last_modified));
                }
            }
            Ok((found, false))
        })?;
        let last = found.last().map(|(k, _)| k.clone());
        let mut items = Vec::with_capacity(found.len());
        for (key, last_modified) in found {
            // Metadata without its file was never stored (see `place`).
            match tokio::fs::metadata(self.objects_dir.join(&key)).await {
                Ok(m) => items.push(ListedObject { key, size: m.len(), last_modified }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_unavailable(e)),
            }
        }
        Ok(Page { items, next_cursor: last.filter(|_| more) })
    }
}
