//! Idempotent creation: the first request with an `Idempotency-Key` does the work; a replay of
//! the same request gets the first response; the same key with another request is refused; a
//! duplicate arriving while the first is still running is told to wait.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// How long a request may hold its key before another may take over (the Lambda timeout is 29 s).
pub const LEASE: TimeDelta = TimeDelta::seconds(30);
/// How long a completed response is kept for replay.
pub const RETENTION: TimeDelta = TimeDelta::hours(24);

/// An `Idempotency-Key`: 1 to 255 visible ASCII characters (a UUID, typically).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if !raw.is_empty() && raw.len() <= 255 && raw.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be 1 to 255 visible ASCII characters, e.g. a UUID".into())
        }
    }
}

/// Whose keys a key is one of: a tenant's (records created for it), the operator's month-end
/// runs, or the operator's onboardings. Keys of different scopes never meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyScope {
    Tenant(crate::domain::TenantId),
    Runs,
    Onboarding,
}

impl IdempotencyScope {
    /// The name its keys are kept under: the tenant's id, or a name no tenant id can take.
    pub fn name(&self) -> String {
        match self {
            Self::Tenant(t) => t.to_string(),
            Self::Runs => "operator:runs".into(),
            Self::Onboarding => "operator:onboarding".into(),
        }
    }
}

/// The response a replay gets back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IdempotencyState {
    InProgress,
    Completed,
}

/// What storage keeps per (scope, key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyRecord {
    /// The scope's name (`IdempotencyScope::name`).
    #[serde(alias = "tenantId")]
    pub scope: String,
    pub key: IdempotencyKey,
    /// SHA-256 of the request (method, path, body).
    pub request_hash: String,
    pub state: IdempotencyState,
    /// Epoch seconds until which an in-progress request holds the key.
    pub lease_until: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<StoredResponse>,
    /// Epoch seconds; DynamoDB's TTL removes the record some time after.
    pub expires_at: i64,
}

/// How a request with a key may proceed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// This request holds the key: do the work, then `complete` (or `abandon` on failure).
    Started,
    /// The same request completed before: answer with this.
    Replay(StoredResponse),
    /// The same request is running now.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

impl IdempotencyRecord {
    pub fn in_progress(scope: &IdempotencyScope, key: &IdempotencyKey, request_hash: &str, now: DateTime<Utc>) -> Self {
        Self {
            scope: scope.name(),
            key: key.clone(),
            request_hash: request_hash.to_owned(),
            state: IdempotencyState::InProgress,
            lease_until: (now + LEASE).timestamp(),
            response: None,
            expires_at: (now + RETENTION).timestamp(),
        }
    }

    /// The record of a completed request, kept for replays.
    pub fn completed(scope: &IdempotencyScope, key: &IdempotencyKey, request_hash: &str, response: &StoredResponse, now: DateTime<Utc>) -> Self {
        Self { state: IdempotencyState::Completed, response: Some(response.clone()), ..Self::in_progress(scope, key, request_hash, now) }
    }

    /// What a new request (with `request_hash`, at `now`) may do given this existing record.
    pub fn admits(&self, request_hash: &str, now: DateTime<Utc>) -> Begin {
        let now = now.timestamp();
        if self.expires_at <= now {
            return Begin::Started;
        }
        if self.request_hash != request_hash {
            return Begin::Mismatch;
        }
        match (&self.state, &self.response) {
            (IdempotencyState::Completed, Some(r)) => Begin::Replay(r.clone()),
            _ if self.lease_until > now => Begin::InProgress,
            // The first request died without finishing: this one takes over.
            _ => Begin::Started,
        }
    }
}

crate::domain::parsed_string!(IdempotencyKey);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TenantId;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000 + s, 0).unwrap()
    }

    #[test]
    fn decisions() {
        let key = IdempotencyKey::parse("k-1").unwrap();
        let tenant = IdempotencyScope::Tenant(TenantId::from_random([1; 16]));
        let rec = IdempotencyRecord::in_progress(&tenant, &key, "h1", t(0));
        assert_eq!(rec.admits("h1", t(1)), Begin::InProgress);
        assert_eq!(rec.admits("h2", t(1)), Begin::Mismatch);
        assert_eq!(rec.admits("h1", t(31)), Begin::Started, "an abandoned lease is taken over");
        let done =
            IdempotencyRecord { state: IdempotencyState::Completed, response: Some(StoredResponse { status: 201, headers: vec![], body: "{}".into() }), ..rec };
        assert!(matches!(done.admits("h1", t(100)), Begin::Replay(r) if r.status == 201));
        assert_eq!(done.admits("h2", t(100)), Begin::Mismatch);
        assert_eq!(done.admits("h2", t(24 * 3600 + 1)), Begin::Started, "expired records are forgotten");
    }

    #[test]
    fn keys() {
        assert!(IdempotencyKey::parse("3f1c9a2e-8d7b-4c1a-9e0f-2b6d5c4a3e21").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("キー").is_err());
    }
}
