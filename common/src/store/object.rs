//! Object keys, ranges and metadata shared by every object store.

use std::fmt;
use std::pin::Pin;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::Stream;

use crate::domain::TenantId;

/// The prefix of archives uploaded for a restore (`restores/<tenantId>/<name>`).
pub const RESTORES: &str = "restores/";

/// A key under one tenant's prefix: `tenants/<tenantId>/<path>`. The path's segments are
/// `[A-Za-z0-9._-]+` and never `.` or `..`, so a key maps safely to a file and cannot climb out of
/// its tenant's prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    tenant: TenantId,
    key: String,
}

impl ObjectKey {
    pub const MAX_LEN: usize = 1024;

    pub fn new(tenant: &TenantId, path: &str) -> Result<Self, String> {
        let seg_ok = |s: &str| !s.is_empty() && s != "." && s != ".." && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if path.is_empty() || !path.split('/').all(seg_ok) {
            return Err("object path segments must be letters, digits, '.', '_' or '-', and not '.' or '..'".into());
        }
        let key = format!("tenants/{tenant}/{path}");
        if key.len() > Self::MAX_LEN {
            return Err(format!("object key must be at most {} bytes", Self::MAX_LEN));
        }
        Ok(Self { tenant: tenant.clone(), key })
    }

    /// Where an archive waits to be restored into `tenant`: `restores/<tenantId>/<name>`, outside
    /// every tenant's prefix (never exported, purged or Object-Locked).
    pub fn restore_staging(tenant: &TenantId, name: &str) -> Result<Self, String> {
        let key = Self::new(tenant, name)?;
        Ok(Self { key: format!("{RESTORES}{tenant}/{name}"), ..key })
    }

    /// Parses a full key (`tenants/<id>/<path>`, or `restores/<id>/<name>`), as found in a
    /// presigned URL.
    pub fn parse_full(full: &str) -> Result<Self, String> {
        if let Some(rest) = full.strip_prefix(RESTORES) {
            let (tenant, name) = rest.split_once('/').ok_or("object key has no path")?;
            return Self::restore_staging(&TenantId::parse(tenant)?, name);
        }
        let rest = full.strip_prefix("tenants/").ok_or("object key must start with tenants/")?;
        let (tenant, path) = rest.split_once('/').ok_or("object key has no path")?;
        Self::new(&TenantId::parse(tenant)?, path)
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    pub fn as_str(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

/// One byte range, as in `Range: bytes=start-end` (inclusive end), `bytes=start-` or `bytes=-suffix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    From { start: u64, end: Option<u64> },
    Suffix(u64),
}

impl ByteRange {
    /// The inclusive span this range selects in an object of `size` bytes, or `None` when it
    /// selects nothing (which HTTP answers with 416).
    pub fn resolve(self, size: u64) -> Option<(u64, u64)> {
        match self {
            ByteRange::From { start, end } => {
                if start >= size {
                    return None;
                }
                let last = end.map_or(size - 1, |e| e.min(size - 1));
                (last >= start).then_some((start, last))
            }
            ByteRange::Suffix(n) => (n > 0 && size > 0).then(|| (size.saturating_sub(n), size - 1)),
        }
    }

    /// The header value S3 takes.
    pub fn header_value(self) -> String {
        match self {
            ByteRange::From { start, end: Some(e) } => format!("bytes={start}-{e}"),
            ByteRange::From { start, end: None } => format!("bytes={start}-"),
            ByteRange::Suffix(n) => format!("bytes=-{n}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub size: u64,
    pub content_type: String,
    /// Opaque, quoted; changes whenever the content does.
    pub etag: String,
    pub last_modified: DateTime<Utc>,
    /// Until when the object cannot be replaced or deleted (issued invoices' PDFs; see
    /// `PdfRetention`); `None` for objects that are not locked. On S3 the Object Lock date,
    /// which HeadObject shows only to callers allowed `s3:GetObjectRetention`.
    pub retain_until: Option<DateTime<Utc>>,
}

/// One object of a listing: its full key (which may not be an [`ObjectKey`] when something other
/// than seikyu wrote it), size and when it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
    pub last_modified: DateTime<Utc>,
}

pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// An object being read: its metadata, the inclusive span being sent, and the bytes.
pub struct ObjectBody {
    pub meta: ObjectMeta,
    pub span: Option<(u64, u64)>,
    pub stream: ByteStream,
}

impl fmt::Debug for ObjectBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectBody").field("meta", &self.meta).field("span", &self.span).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> TenantId {
        TenantId::parse("tn_0000000000000001").unwrap()
    }

    #[test]
    fn keys_stay_under_their_tenant() {
        assert_eq!(ObjectKey::new(&t(), "invoices/INV-1.pdf").unwrap().as_str(), "tenants/tn_0000000000000001/invoices/INV-1.pdf");
        for bad in ["", "../x", "a/../../b", "/abs", "a//b", "a/./b", "a b", "請求書.pdf", "a\\b"] {
            assert!(ObjectKey::new(&t(), bad).is_err(), "{bad:?}");
        }
        let k = ObjectKey::new(&t(), "a/b.pdf").unwrap();
        assert_eq!(ObjectKey::parse_full(k.as_str()), Ok(k));
        assert!(ObjectKey::parse_full("tenants/tn_x/a").is_err());
        let r = ObjectKey::restore_staging(&t(), "0123abcd.zip").unwrap();
        assert_eq!(r.as_str(), "restores/tn_0000000000000001/0123abcd.zip");
        assert_eq!(ObjectKey::parse_full(r.as_str()), Ok(r));
        assert!(ObjectKey::parse_full("restores/tn_0000000000000001/../x").is_err());
    }

    #[test]
    fn ranges_resolve_like_http() {
        let r = |s, e| ByteRange::From { start: s, end: e };
        assert_eq!(r(0, Some(9)).resolve(100), Some((0, 9)));
        assert_eq!(r(90, Some(200)).resolve(100), Some((90, 99)));
        assert_eq!(r(10, None).resolve(100), Some((10, 99)));
        assert_eq!(r(100, None).resolve(100), None);
        assert_eq!(r(5, Some(4)).resolve(100), None);
        assert_eq!(ByteRange::Suffix(10).resolve(100), Some((90, 99)));
        assert_eq!(ByteRange::Suffix(1000).resolve(100), Some((0, 99)));
        assert_eq!(ByteRange::Suffix(0).resolve(100), None);
        assert_eq!(r(0, None).resolve(0), None);
    }
}
