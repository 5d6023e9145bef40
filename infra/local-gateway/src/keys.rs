//! The local adapter of `common::apikeys::ApiKeys`: tenants' API keys in the gateway's own
//! registry (`gateway-credentials.json`), usage from its limiter's counters. A key created,
//! moved, disabled or deleted here takes effect on the gateway's next request, as on API Gateway.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Duration, NaiveDate};
use common::apikeys::{ApiKeys, DayUsage, KeyState, NewKey, PlanUsage};
use common::domain::{ApiKeyId, PlanTier, TenantId, usage_plan};
use common::service::usage::quota_period;
use common::store::StoreError;

use crate::credentials::{ApiKey, Credentials};
use crate::limits::Limiter;

fn random_from(alphabet: &[u8], len: usize) -> String {
    (0..len).map(|_| alphabet[rand::random_range(0..alphabet.len())] as char).collect()
}

/// Ten lowercase letters and digits, like API Gateway's key ids.
pub fn api_key_id() -> String {
    random_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 10)
}

/// Forty letters and digits, like API Gateway's generated key values.
pub fn api_key_value() -> String {
    random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40)
}

pub struct GatewayKeys {
    credentials: Arc<Credentials>,
    limiter: Arc<Limiter>,
}

impl GatewayKeys {
    pub fn new(credentials: Arc<Credentials>, limiter: Arc<Limiter>) -> Self {
        Self { credentials, limiter }
    }

    /// Per-day usage of one key: counts from the limiter, and what was left of the quota's
    /// period at the end of each day, as GetUsage reports it.
    fn key_usage(&self, key: &str, tier: PlanTier, from: NaiveDate, to: NaiveDate) -> Vec<DayUsage> {
        let plan = usage_plan(tier);
        // Counting from the start of `from`'s quota period gives each day's remainder.
        let (start, _) = quota_period(plan.quota.period, from);
        let counts = self.limiter.daily(key, start, to);
        let mut out = Vec::new();
        let mut used_in_period = 0u64;
        let mut period_start = start;
        let mut day = start;
        while day <= to {
            let (p, _) = quota_period(plan.quota.period, day);
            if p != period_start {
                period_start = p;
                used_in_period = 0;
            }
            let used = counts.iter().find(|(d, _)| *d == day).map_or(0, |(_, n)| *n);
            used_in_period += used;
            if day >= from {
                out.push(DayUsage { date: day, used, remaining: plan.quota.limit.saturating_sub(used_in_period) });
            }
            day += Duration::days(1);
        }
        out
    }
}

fn unavailable(e: String) -> StoreError {
    StoreError::Unavailable(format!("gateway key registry: {e}"))
}

#[async_trait]
impl ApiKeys for GatewayKeys {
    async fn create_key(&self, tenant: &TenantId, tier: PlanTier, enabled: bool) -> Result<NewKey, StoreError> {
        let key = ApiKey { id: api_key_id(), value: api_key_value(), tenant_id: Some(tenant.clone()), enabled, plan: tier };
        let id = ApiKeyId::parse(&key.id).map_err(StoreError::Corrupt)?;
        let value = key.value.clone();
        self.credentials.modify(|f| f.api_keys.push(key)).map_err(unavailable)?;
        Ok(NewKey { id, value })
    }

    async fn set_key(&self, key: &ApiKeyId, tier: PlanTier, enabled: bool) -> Result<(), StoreError> {
        let found = self
            .credentials
            .modify(|f| {
                f.api_keys.iter_mut().find(|k| k.id == key.as_str()).map(|k| {
                    k.plan = tier;
                    k.enabled = enabled;
                })
            })
            .map_err(unavailable)?;
        found.ok_or_else(|| StoreError::Corrupt(format!("API key {} is not in the gateway's registry", key.as_str())))
    }

    async fn delete_key(&self, key: &ApiKeyId) -> Result<(), StoreError> {
        self.credentials.modify(|f| f.api_keys.retain(|k| k.id != key.as_str())).map_err(unavailable)?;
        self.limiter.forget(key.as_str());
        Ok(())
    }

    /// The registry keeps no creation time: `created` is `None`.
    async fn list_keys(&self) -> Result<Vec<KeyState>, StoreError> {
        let keys = self.credentials.snapshot().api_keys.into_iter();
        Ok(keys
            .filter_map(|k| {
                let id = ApiKeyId::parse(&k.id).ok()?;
                Some(KeyState { id, tenant: k.tenant_id?, tiers: vec![k.plan], enabled: k.enabled, created: None })
            })
            .collect())
    }

    async fn usage(&self, tier: PlanTier, key: Option<&ApiKeyId>, from: NaiveDate, to: NaiveDate) -> Result<PlanUsage, StoreError> {
        let on_plan = self.credentials.snapshot().api_keys.into_iter().filter(|k| k.plan == tier && key.is_none_or(|want| want.as_str() == k.id));
        let mut out = HashMap::new();
        for k in on_plan {
            if let Ok(id) = ApiKeyId::parse(&k.id) {
                out.insert(id, self.key_usage(&k.id, tier, from, to));
            }
        }
        Ok(out)
    }
}
