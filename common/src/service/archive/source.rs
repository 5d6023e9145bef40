//! Where a restore reads its archive from: the request's body (held in memory, at most what the
//! gateway lets through), or an object uploaded through a presigned PUT, read in ranges: the end
//! records and central directory first, then one entry at a time, never the whole archive at once.

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::error::ApiError;
use crate::export::unzip;
use crate::store::{ByteRange, ByteStream, ObjectKey};

/// An archive to restore.
pub enum Source {
    /// The request's body.
    Body(Bytes),
    /// An uploaded object: its key, and the size and ETag it had when the restore began (a range
    /// read of another ETag means it was replaced meanwhile).
    Upload { key: ObjectKey, size: u64, etag: String },
}

/// One entry of the archive, read and hashed: where its bytes are, their SHA-256, and the bytes
/// themselves when asked to keep them (records; the manifest).
pub struct Read {
    pub data: std::ops::Range<u64>,
    pub sha256: String,
    pub kept: Option<Bytes>,
}

fn refused(why: impl Into<String>) -> ApiError {
    ApiError::Unprocessable(why.into())
}

fn unreadable(e: String) -> ApiError {
    refused(format!("The archive cannot be read: {e}."))
}

/// A central directory larger than this is refused (a damaged or hostile archive): 64 MiB is
/// several hundred thousand entries.
const MAX_DIRECTORY: u64 = 64 * 1024 * 1024;

impl Source {
    pub fn size(&self) -> u64 {
        match self {
            Source::Body(b) => b.len() as u64,
            Source::Upload { size, .. } => *size,
        }
    }

    /// The bytes `start..end` as a stream.
    pub async fn stream(&self, app: &App, start: u64, end: u64) -> Result<ByteStream, ApiError> {
        let end = end.min(self.size());
        if start >= end {
            return Ok(Box::pin(futures_util::stream::empty()));
        }
        match self {
            Source::Body(b) => {
                let (s, e) = (usize::try_from(start), usize::try_from(end));
                let (Ok(s), Ok(e)) = (s, e) else { return Err(refused("The archive is too large.")) };
                Ok(Box::pin(futures_util::stream::iter([Ok(b.slice(s..e))])))
            }
            Source::Upload { key, etag, .. } => {
                let range = ByteRange::From { start, end: Some(end - 1) };
                let body = app.stores.objects.get_object(key, Some(range)).await?.ok_or_else(|| changed(key))?;
                if &body.meta.etag != etag {
                    return Err(changed(key));
                }
                Ok(body.stream)
            }
        }
    }

    /// The bytes `start..end`, in memory.
    pub async fn read(&self, app: &App, start: u64, end: u64) -> Result<Bytes, ApiError> {
        if let Source::Body(b) = self {
            let (s, e) = (usize::try_from(start).unwrap_or(usize::MAX), usize::try_from(end).unwrap_or(usize::MAX));
            return Ok(b.slice(s.min(b.len())..e.min(b.len())));
        }
        let mut stream = self.stream(app, start, end).await?;
        let mut buf = BytesMut::new();
        while let Some(chunk) = stream.next().await {
            buf.extend_from_slice(&chunk.map_err(|e| ApiError::Unavailable(format!("reading the archive: {e}")))?);
        }
        Ok(buf.freeze())
    }

    /// The archive's central directory: its entries, and where the directory begins (where the
    /// last entry's bytes must end).
    pub async fn directory(&self, app: &App) -> Result<(Vec<unzip::Central>, u64), ApiError> {
        let size = self.size();
        let tail_start = size.saturating_sub(unzip::TAIL);
        let tail = self.read(app, tail_start, size).await?;
        let (count, start, end) = match unzip::tail(&tail, tail_start).map_err(unreadable)? {
            unzip::Tail::Directory { count, start, end } => (count, start, end),
            unzip::Tail::Zip64 { at } => {
                let record = self.read(app, at, at.saturating_add(unzip::ZIP64_END_LEN)).await?;
                let (count, start) = unzip::zip64_end(&record).map_err(unreadable)?;
                (count, start, at)
            }
        };
        if start > end || end > size || end - start > MAX_DIRECTORY {
            return Err(unreadable("the central directory is damaged".into()));
        }
        let directory = self.read(app, start, end).await?;
        Ok((unzip::central(&directory, count).map_err(unreadable)?, start))
    }

    /// Reads the entry `c`, whose local header, bytes and data descriptor end by `stop`: hashes
    /// its bytes as they stream, keeping them only if `keep`.
    pub async fn entry(&self, app: &App, c: &unzip::Central, stop: u64, keep: bool) -> Result<Read, ApiError> {
        let truncated = || refused(format!("The archive is partial: {} is truncated.", c.name));
        let mut stream = self.stream(app, c.offset, stop).await?;
        let (mut head, mut header) = (BytesMut::new(), None);
        let (mut hasher, mut kept, mut left) = (Sha256::new(), BytesMut::new(), c.size);
        while let Some(chunk) = stream.next().await {
            let mut chunk = chunk.map_err(|e| ApiError::Unavailable(format!("reading the archive: {e}")))?;
            if header.is_none() {
                head.extend_from_slice(&chunk);
                if head.len() < 30 {
                    continue;
                }
                let len = unzip::local_header_len(&head, &c.name).map_err(unreadable)?;
                if head.len() < len {
                    continue;
                }
                header = Some(len as u64);
                chunk = head.split().freeze().slice(len..);
            }
            let take = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            hasher.update(&chunk[..take]);
            if keep {
                kept.extend_from_slice(&chunk[..take]);
            }
            left -= take as u64;
            if left == 0 {
                break;
            }
        }
        let header = header.ok_or_else(truncated)?;
        if left > 0 {
            return Err(truncated());
        }
        let start = c.offset + header;
        Ok(Read { data: start..start + c.size, sha256: hex::encode(hasher.finalize()), kept: keep.then(|| kept.freeze()) })
    }
}

fn changed(key: &ObjectKey) -> ApiError {
    ApiError::Conflict(format!("The uploaded archive {key} was replaced or removed while it was being restored; upload it again and restore once."))
}
