//! API keys on usage plans, one per tenant: created at onboarding on the tier's plan, moved when
//! the tier changes, disabled while the tenant is suspended, deleted when it is offboarded or its
//! key is rotated, and the plan's own request counts for usage reports.
//!
//! Two adapters: API Gateway (`apigateway`, through `aws-sdk-apigateway`) and the local gateway's
//! key registry (in `infra/local-gateway`). The registry of which key belongs to whom, that the
//! backend checks on every request, stays in `PrincipalStore`.

#[cfg(feature = "apigateway")]
pub mod apigateway;

use std::collections::HashMap;
use std::fmt;

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::domain::{PlanTier, TenantId};
use crate::store::{ApiKeyId, StoreError};

/// A key just made: its id, and its value, which is shown once and never stored by us.
#[derive(Clone, PartialEq, Eq)]
pub struct NewKey {
    pub id: ApiKeyId,
    pub value: String,
}

impl fmt::Debug for NewKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewKey").field("id", &self.id).field("value", &"(redacted)").finish()
    }
}

/// One UTC day of a key's plan usage, as API Gateway's GetUsage reports it: requests counted,
/// and what was left of the quota's period at the end of that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayUsage {
    pub date: NaiveDate,
    pub used: u64,
    pub remaining: u64,
}

/// A tenant's key as the gateway holds it, for the repair sweep to hold against the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    pub id: ApiKeyId,
    /// Whose key it was made for (from its name on API Gateway).
    pub tenant: TenantId,
    /// The tiers whose usage plans the key is on (one, when all is well).
    pub tiers: Vec<PlanTier>,
    pub enabled: bool,
    /// When it was made, where the gateway says.
    pub created: Option<chrono::DateTime<chrono::Utc>>,
}

/// Per-key usage; days without requests may be absent.
pub type PlanUsage = HashMap<ApiKeyId, Vec<DayUsage>>;

/// API Gateway keeps usage for this many days; reports ask for at most this span.
pub const MAX_USAGE_DAYS: i64 = 90;

#[async_trait]
pub trait ApiKeys: Send + Sync {
    /// Creates a key for `tenant` on `tier`'s plan, enabled or not.
    async fn create_key(&self, tenant: &TenantId, tier: PlanTier, enabled: bool) -> Result<NewKey, StoreError>;
    /// Puts `key` on `tier`'s plan (and off every other) and enables or disables it. Idempotent,
    /// so a failed call is repaired by calling it again.
    async fn set_key(&self, key: &ApiKeyId, tier: PlanTier, enabled: bool) -> Result<(), StoreError>;
    /// Deletes `key`; it stops working at once. Deleting an absent key succeeds.
    async fn delete_key(&self, key: &ApiKeyId) -> Result<(), StoreError>;
    /// Every tenant key this deployment made (not the operator's), with its plans and state.
    async fn list_keys(&self) -> Result<Vec<KeyState>, StoreError>;
    /// Requests per day in `from..=to` (UTC) on `tier`'s plan: of `key` only, or of every key.
    async fn usage(&self, tier: PlanTier, key: Option<&ApiKeyId>, from: NaiveDate, to: NaiveDate) -> Result<PlanUsage, StoreError>;
}
