//! Opaque pagination cursors, sealed with an HMAC and bound to a tenant and a query.
//!
//! A cursor names the last item a page returned. It is refused when it was issued for another
//! tenant or another query, or when a byte of it changed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::StoreError;
use crate::domain::TenantId;

const TAG_LEN: usize = 16;
/// The owner of cursors over every tenant.
const GLOBAL: &str = "*";

#[derive(Clone)]
pub struct CursorCodec {
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec(..)")
    }
}

#[derive(Serialize, Deserialize)]
struct Sealed<'a> {
    t: &'a str,
    s: &'a str,
    p: &'a str,
}

impl CursorCodec {
    /// `key` must be secret and at least 32 bytes; every instance of the service shares it.
    pub fn new(key: &[u8]) -> Result<Self, String> {
        if key.len() < 32 {
            return Err("the cursor key must be at least 32 bytes".into());
        }
        Ok(Self { key: key.to_vec() })
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length; `new` has checked ours is long enough.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
    }

    pub fn seal(&self, tenant: &TenantId, scope: &str, position: &str) -> String {
        self.seal_for(tenant.as_str(), scope, position)
    }

    fn seal_for(&self, owner: &str, scope: &str, position: &str) -> String {
        let payload = serde_json::to_vec(&Sealed { t: owner, s: scope, p: position }).unwrap_or_default();
        let mut mac = self.mac();
        mac.update(&payload);
        let tag = mac.finalize().into_bytes();
        let mut out = payload;
        out.extend_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The cursor for the page after one whose last item is `last`: present exactly when `more`
    /// items match.
    pub fn next(&self, tenant: &TenantId, scope: &str, more: bool, last: Option<&str>) -> Option<String> {
        self.next_for(tenant.as_str(), scope, more, last)
    }

    /// As `next`, for listings across tenants (the operator's): such a cursor never opens as a
    /// tenant's, since `*` is no tenant id.
    pub fn next_global(&self, scope: &str, more: bool, last: Option<&str>) -> Option<String> {
        self.next_for(GLOBAL, scope, more, last)
    }

    fn next_for(&self, owner: &str, scope: &str, more: bool, last: Option<&str>) -> Option<String> {
        match (more, last) {
            (true, Some(last)) => Some(self.seal_for(owner, scope, last)),
            _ => None,
        }
    }

    /// The position sealed in `cursor`, when it was sealed by us for this tenant and scope.
    pub fn open(&self, tenant: &TenantId, scope: &str, cursor: &str) -> Result<String, StoreError> {
        self.open_for(tenant.as_str(), scope, cursor)
    }

    /// The position sealed in a cursor from `next_global`.
    pub fn open_global(&self, scope: &str, cursor: &str) -> Result<String, StoreError> {
        self.open_for(GLOBAL, scope, cursor)
    }

    fn open_for(&self, owner: &str, scope: &str, cursor: &str) -> Result<String, StoreError> {
        let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| StoreError::InvalidCursor)?;
        if raw.len() <= TAG_LEN {
            return Err(StoreError::InvalidCursor);
        }
        let (payload, tag) = raw.split_at(raw.len() - TAG_LEN);
        let mut mac = self.mac();
        mac.update(payload);
        mac.verify_truncated_left(tag).map_err(|_| StoreError::InvalidCursor)?;
        let sealed: Sealed = serde_json::from_slice(payload).map_err(|_| StoreError::InvalidCursor)?;
        if sealed.t != owner || sealed.s != scope {
            return Err(StoreError::InvalidCursor);
        }
        Ok(sealed.p.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> CursorCodec {
        CursorCodec::new(&[42u8; 32]).unwrap()
    }

    fn tid(n: u8) -> TenantId {
        TenantId::from_random([n; 16])
    }

    #[test]
    fn round_trips_for_the_same_tenant_and_scope() {
        let c = codec().seal(&tid(1), "contracts?status=", "C-9");
        assert_eq!(codec().open(&tid(1), "contracts?status=", &c).unwrap(), "C-9");
    }

    #[test]
    fn refuses_another_tenant_scope_key_or_any_edit() {
        let c = codec().seal(&tid(1), "contracts?status=", "C-9");
        assert!(codec().open(&tid(2), "contracts?status=", &c).is_err());
        assert!(codec().open(&tid(1), "contracts?status=active", &c).is_err());
        assert!(CursorCodec::new(&[7u8; 32]).unwrap().open(&tid(1), "contracts?status=", &c).is_err());
        for i in 0..c.len() {
            let mut b = c.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let edited = String::from_utf8(b).unwrap();
            assert!(codec().open(&tid(1), "contracts?status=", &edited).is_err(), "edit at {i}");
        }
        assert!(codec().open(&tid(1), "contracts?status=", "").is_err());
        assert!(codec().open(&tid(1), "contracts?status=", "!!!").is_err());
    }

    #[test]
    fn global_cursors_and_tenant_cursors_do_not_mix() {
        let g = codec().next_global("tenants", true, Some("tn_1")).unwrap();
        assert_eq!(codec().open_global("tenants", &g).unwrap(), "tn_1");
        assert!(codec().open(&tid(1), "tenants", &g).is_err());
        let t = codec().seal(&tid(1), "tenants", "tn_1");
        assert!(codec().open_global("tenants", &t).is_err());
        assert_eq!(codec().next_global("tenants", false, Some("tn_1")), None);
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(CursorCodec::new(b"short").is_err());
    }
}
