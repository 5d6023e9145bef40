//! Usage plans: each tier's throttle (steady rate and burst, a token bucket) and quota (requests per
//! day, week or month), as API Gateway enforces them per API key. Defined here once; the local
//! gateway enforces them and the SAM template declares them.

use serde::{Deserialize, Serialize};

use super::PlanTier;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum QuotaPeriod {
    Day,
    Week,
    Month,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    pub limit: u64,
    pub period: QuotaPeriod,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsagePlan {
    pub tier: PlanTier,
    /// Steady requests per second.
    pub rate: f64,
    /// Requests allowed at once (the bucket's size).
    pub burst: u32,
    pub quota: Quota,
}

/// The tiers' plans.
pub fn usage_plan(tier: PlanTier) -> UsagePlan {
    match tier {
        PlanTier::Basic => UsagePlan { tier, rate: 5.0, burst: 10, quota: Quota { limit: 10_000, period: QuotaPeriod::Day } },
        PlanTier::Standard => UsagePlan { tier, rate: 20.0, burst: 40, quota: Quota { limit: 100_000, period: QuotaPeriod::Day } },
        PlanTier::Premium => UsagePlan { tier, rate: 100.0, burst: 200, quota: Quota { limit: 5_000_000, period: QuotaPeriod::Month } },
    }
}
