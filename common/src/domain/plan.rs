//! Usage plans: each tier's throttle (steady rate and burst, a token bucket) and quota (requests per
//! day, week or month), as API Gateway enforces them per API key. Defined here once; the local
//! gateway enforces them and the SAM template declares them.

use serde::{Deserialize, Serialize};

use super::PlanTier;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum QuotaPeriod {
    Day,
    Week,
    Month,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    pub limit: u64,
    pub period: QuotaPeriod,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// A method throttled below its plan (API Gateway's per-method throttling in a usage plan): each
/// key gets a bucket of its own for the method, used instead of the plan's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MethodThrottle {
    pub method: &'static str,
    /// API Gateway's resource path, as in the route table.
    pub path: &'static str,
    pub rate: f64,
    pub burst: u32,
}

/// Whole exports (a CSV of every billing record, a ZIP of a month's PDFs) read far more than
/// any other request, so every tier allows fewer of them.
pub const EXPORT_ROUTES: [(&str, &str); 2] = [("GET", "/v1/tenants/{tenantId}/billings.csv"), ("GET", "/v1/tenants/{tenantId}/invoices.zip")];

/// The tier's per-method throttles.
pub fn method_throttles(tier: PlanTier) -> [MethodThrottle; 2] {
    let (rate, burst) = match tier {
        PlanTier::Basic => (0.5, 2),
        PlanTier::Standard => (1.0, 5),
        PlanTier::Premium => (5.0, 10),
    };
    EXPORT_ROUTES.map(|(method, path)| MethodThrottle { method, path, rate, burst })
}

/// The throttle of `method` on `path` under `tier`, when it has one of its own.
pub fn method_throttle(tier: PlanTier, method: &str, path: &str) -> Option<MethodThrottle> {
    method_throttles(tier).into_iter().find(|m| m.method == method && m.path == path)
}
