//! The audit trail: who changed what, appended by the store adapters in the same write as the
//! change (a DynamoDB transaction, a redb write transaction), so no change is stored without its
//! entry and no entry without its change. The API only ever appends and reads entries.
//!
//! The runner (and the run worker) put the acting request in scope ([`scope`]); an adapter asks
//! for it ([`current`]) when it writes a record, and writes nothing extra outside a request
//! (seeding, tests, restores: they are not mutations anyone made through the API).

use std::cell::RefCell;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::{Role, TenantId};

/// The request a change is made by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub route: String,
    pub request_id: String,
    /// Distinguishes this request's entries from any other's written in the same millisecond
    /// (request ids can be empty outside API Gateway).
    pub nonce: String,
    pub at: DateTime<Utc>,
    /// Set once the caller is resolved; a request refused before that is not audited.
    pub principal: Option<String>,
    pub role: Option<Role>,
    pub caller_tenant: Option<TenantId>,
}

impl Actor {
    /// A request (or a background task: the run worker, the repair sweep) starting `at`, its
    /// caller not yet known.
    pub fn new(route: impl Into<String>, request_id: impl Into<String>, nonce: String, at: DateTime<Utc>) -> Self {
        Self { route: route.into(), request_id: request_id.into(), nonce, at, principal: None, role: None, caller_tenant: None }
    }
}

struct Slot {
    actor: Actor,
    /// Entries written so far by this request (their sequence numbers).
    written: u32,
}

tokio::task_local! {
    static ACTOR: RefCell<Slot>;
}

/// Runs `fut` as `actor`: the changes it stores are audited as made by it.
pub async fn scope<F: std::future::Future>(actor: Actor, fut: F) -> F::Output {
    ACTOR.scope(RefCell::new(Slot { actor, written: 0 }), fut).await
}

/// Names the resolved caller of the request in scope.
pub fn set_caller(principal: &str, role: Role, tenant: Option<&TenantId>) {
    let _ = ACTOR.try_with(|s| {
        let mut s = s.borrow_mut();
        s.actor.principal = Some(principal.to_owned());
        s.actor.role = Some(role);
        s.actor.caller_tenant = tenant.cloned();
    });
}

/// Whether changes made now are audited: inside a request whose caller is known.
pub fn active() -> bool {
    ACTOR.try_with(|s| s.borrow().actor.principal.is_some()).unwrap_or(false)
}

/// How many entries the request in scope has written (0 outside a request).
pub fn written() -> u32 {
    ACTOR.try_with(|s| s.borrow().written).unwrap_or(0)
}

/// Entries for `changes`, one per tenant whose records changed (and one for the records of no
/// tenant), as made by the request in scope; empty outside a request or before its caller is known.
pub fn entries(changes: Vec<Change>) -> Vec<AuditEntry> {
    if changes.is_empty() {
        return Vec::new();
    }
    let mut groups: Vec<(Option<TenantId>, Vec<Change>)> = Vec::new();
    for c in changes {
        let tenant = c.tenant_id.clone();
        match groups.iter_mut().find(|(t, _)| *t == tenant) {
            Some((_, list)) => list.push(c),
            None => groups.push((tenant, vec![c])),
        }
    }
    ACTOR
        .try_with(|s| {
            let mut s = s.borrow_mut();
            let Some(principal) = s.actor.principal.clone() else { return Vec::new() };
            let mut out = Vec::with_capacity(groups.len());
            for (tenant, list) in groups {
                let seq = s.written;
                s.written += 1;
                out.push(AuditEntry::new(&s.actor, principal.clone(), seq, tenant, Action::Change, list));
            }
            out
        })
        .unwrap_or_default()
}

/// The entry for a refused request that reached its handler (nothing was changed).
pub fn attempt(status: u16, title: &str, tenant: Option<TenantId>) -> Option<AuditEntry> {
    ACTOR
        .try_with(|s| {
            let mut s = s.borrow_mut();
            let principal = s.actor.principal.clone()?;
            let seq = s.written;
            s.written += 1;
            // A tenant's refused attempt is on its own trail, never on the tenant it aimed at.
            let tenant = s.actor.caller_tenant.clone().or(tenant);
            Some(AuditEntry::new(&s.actor, principal, seq, tenant, Action::Attempt { status, title: title.to_owned() }, Vec::new()))
        })
        .ok()
        .flatten()
}

/// What happened to one stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AuditChange))]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// `tenant`, `contract C-1`, `billing 2025-04-k3j9x2m1`, `invoice INV-2025-000001`, `issuer`,
    /// `principal arn:…`, `apiKey a1b2`, `run run-2025-04-…`.
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tenant_id: Option<TenantId>,
    pub kind: ChangeKind,
    /// The version replaced (`None` for a creation, or where the write does not check one).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version_before: Option<u64>,
    /// The version written (`None` for a deletion, or a record without versions).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version_after: Option<u64>,
    /// SHA-256 of the record as written (of the resource's name for a deletion).
    pub sha256: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AuditChangeKind))]
#[serde(rename_all = "camelCase")]
pub enum ChangeKind {
    Create,
    Replace,
    Put,
    Delete,
}

impl Change {
    /// A record written as `json` (what the store holds), replacing `before` where known.
    pub fn written(resource: String, tenant_id: Option<TenantId>, kind: ChangeKind, before: Option<u64>, json: &[u8]) -> Self {
        let after = serde_json::from_slice::<serde_json::Value>(json).ok().and_then(|v| v.get("version").and_then(serde_json::Value::as_u64));
        Self { resource, tenant_id, kind, version_before: before, version_after: after, sha256: hex(json) }
    }

    pub fn deleted(resource: String, tenant_id: Option<TenantId>) -> Self {
        let sha256 = hex(format!("delete {resource}").as_bytes());
        Self { resource, tenant_id, kind: ChangeKind::Delete, version_before: None, version_after: None, sha256 }
    }
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Action {
    /// Records were changed.
    Change,
    /// The request was refused (after its caller was known); nothing changed.
    Attempt { status: u16, title: String },
}

/// One entry of the trail, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// `<at>#<nonce>#<seq>`: in time order, unique.
    pub entry_id: String,
    pub at: DateTime<Utc>,
    pub route: String,
    pub request_id: String,
    pub principal: String,
    pub role: Role,
    /// The tenant whose records changed; `None` for the operator's own (issuer, runs, its principals).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tenant_id: Option<TenantId>,
    pub action: Action,
    pub changes: Vec<Change>,
    /// SHA-256 over the entry's changes (each record's hash, in order): what this entry vouches for.
    pub sha256: String,
}

impl AuditEntry {
    fn new(actor: &Actor, principal: String, seq: u32, tenant_id: Option<TenantId>, action: Action, changes: Vec<Change>) -> Self {
        let at = actor.at;
        let entry_id = format!("{}#{}#{seq:04}", at.format("%Y-%m-%dT%H:%M:%S%.3fZ"), actor.nonce);
        let mut h = Sha256::new();
        for c in &changes {
            h.update(c.resource.as_bytes());
            h.update(b"\n");
            h.update(c.sha256.as_bytes());
            h.update(b"\n");
        }
        let sha256 = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Self {
            entry_id,
            at,
            route: actor.route.clone(),
            request_id: actor.request_id.clone(),
            principal,
            role: actor.role.unwrap_or(Role::Operator),
            tenant_id,
            action,
            changes,
            sha256,
        }
    }

    /// The month the entry belongs to (`YYYY-MM`), the all-tenants listing's partition.
    pub fn month(&self) -> String {
        self.at.format("%Y-%m").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor() -> Actor {
        Actor::new("PATCH /v1/tenants/{tenantId}", "req-1", "n0nce".into(), "2026-12-05T01:02:03.456Z".parse().unwrap())
    }

    fn tenant(n: u8) -> TenantId {
        TenantId::parse(&format!("tn_000000000000000{n}")).unwrap()
    }

    #[tokio::test]
    async fn nothing_is_audited_outside_a_request_or_before_its_caller_is_known() {
        let c = Change::written("tenant".into(), Some(tenant(1)), ChangeKind::Create, None, br#"{"version":1}"#);
        assert!(entries(vec![c.clone()]).is_empty());
        let got = scope(actor(), async { entries(vec![c]) }).await;
        assert!(got.is_empty());
    }

    #[tokio::test]
    async fn one_entry_per_tenant_numbered_in_order() {
        let c = |t: u8, r: &str| Change::written(r.into(), Some(tenant(t)), ChangeKind::Replace, Some(1), br#"{"version":2,"x":1}"#);
        let got = scope(actor(), async {
            set_caller("arn:aws:iam::123456789012:role/Cms", Role::Operator, None);
            let first = entries(vec![c(1, "invoice INV-1"), c(2, "invoice INV-2"), c(1, "billing b")]);
            let later = attempt(409, "Conflict", None);
            (first, later, written())
        })
        .await;
        let (first, later, n) = got;
        assert_eq!(first.len(), 2);
        assert_eq!(first[0].entry_id, "2026-12-05T01:02:03.456Z#n0nce#0000");
        assert_eq!(first[0].tenant_id, Some(tenant(1)));
        assert_eq!(first[0].changes.iter().map(|c| c.resource.as_str()).collect::<Vec<_>>(), ["invoice INV-1", "billing b"]);
        assert_eq!((first[0].changes[0].version_before, first[0].changes[0].version_after), (Some(1), Some(2)));
        assert_eq!(first[1].entry_id, "2026-12-05T01:02:03.456Z#n0nce#0001");
        let later = later.unwrap();
        assert_eq!(later.entry_id, "2026-12-05T01:02:03.456Z#n0nce#0002");
        assert_eq!(later.action, Action::Attempt { status: 409, title: "Conflict".into() });
        assert_eq!(n, 3);
        assert_eq!(first[0].month(), "2026-12");
    }

    #[test]
    fn the_hash_changes_with_any_record() {
        let a = Change::written("contract C-1".into(), None, ChangeKind::Create, None, br#"{"version":1,"fee":100}"#);
        let b = Change::written("contract C-1".into(), None, ChangeKind::Create, None, br#"{"version":1,"fee":101}"#);
        assert_ne!(a.sha256, b.sha256);
        assert_eq!(a.sha256.len(), 64);
        assert_ne!(Change::deleted("apiKey x".into(), None).sha256, Change::deleted("apiKey y".into(), None).sha256);
    }
}
