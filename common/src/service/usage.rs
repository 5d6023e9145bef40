//! Usage per tenant: requests from the usage plan (API Gateway's counts, or the local gateway's),
//! and what the handlers meter themselves (bytes streamed, invoices rendered, exports), for
//! reports and cost allocation.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate};
use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;

use super::contracts::parse_date;
use super::tenant_keys::keys;
use crate::apikeys::{DayUsage, MAX_USAGE_DAYS, PlanUsage};
use crate::app::App;
use crate::caller::Caller;
use crate::domain::{ApiKeyId, BillingPeriod, Metered, PlanTier, QuotaPeriod, Tenant, TenantId, TenantStatus, UsagePlan, usage_plan};
use crate::error::ApiError;
use crate::store::{Page, PageRequest};
use crate::stream::StreamBody;
use crate::validation::Validator;

/// Adds to the tenant's metering for today. Never fails the request it counts: a lost count is
/// logged, an unanswered request would be worse.
pub async fn record(app: &App, tenant: &TenantId, delta: Metered) {
    if delta.is_zero() {
        return;
    }
    let day = app.clock.now().date_naive();
    if let Err(e) = app.stores.metering.add_metered(tenant, day, &delta).await {
        tracing::error!(error = %e, tenant_id = %tenant, ?delta, "metering lost");
    }
}

/// Adds each tenant's delta for today, in one write where the store can; never fails the caller.
pub async fn record_many(app: &App, deltas: &[(TenantId, Metered)]) {
    let day = app.clock.now().date_naive();
    if let Err(e) = app.stores.metering.add_metered_many(day, deltas).await {
        tracing::error!(error = %e, count = deltas.len(), "metering lost");
    }
}

/// `body`, with the tenant's metering getting its bytes plus `base` (an export, say) once the
/// last byte is out. A stream that fails mid-way counts nothing.
pub fn metered_stream(app: Arc<App>, tenant: TenantId, body: StreamBody, base: Metered) -> StreamBody {
    crate::stream::at_completion(body, move |bytes| async move {
        tracing::info!(bytes, "stream completed");
        record(&app, &tenant, Metered { bytes_streamed: bytes, ..base }).await;
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = UsageCounts))]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub requests: u64,
    pub bytes_streamed: u64,
    pub invoices_rendered: u64,
    pub exports: u64,
}

impl Counts {
    fn add(&mut self, requests: u64, m: &Metered) {
        self.requests += requests;
        self.bytes_streamed += m.bytes_streamed;
        self.invoices_rendered += m.invoices_rendered;
        self.exports += m.exports;
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = UsageDay))]
#[serde(rename_all = "camelCase")]
pub struct Day {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub counts: Counts,
}

/// The quota's current period: what is used and what is left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct QuotaNow {
    pub period: QuotaPeriod,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub limit: u64,
    pub used: u64,
    pub remaining: u64,
}

/// `GET /v1/tenants/{tenantId}/usage`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TenantUsage {
    pub tenant_id: TenantId,
    pub plan_tier: PlanTier,
    pub plan: UsagePlan,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub api_key_id: Option<ApiKeyId>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Every day of the range, days without use included.
    pub days: Vec<Day>,
    pub totals: Counts,
    /// `null` when the tenant has no key (offboarded).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub quota: Option<QuotaNow>,
}

/// One tenant's line in `GET /v1/usage`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TenantMonth {
    pub tenant_id: TenantId,
    pub name: String,
    pub plan_tier: PlanTier,
    pub status: TenantStatus,
    #[serde(flatten)]
    pub totals: Counts,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UsagePage {
    pub period: BillingPeriod,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub items: Vec<TenantMonth>,
    /// Like every listing's: a string while more tenants follow, `null` on the last page.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_cursor: Option<String>,
}

/// `from` and `to` of a tenant report: dates, UTC, `from ≤ to ≤ today`, at most 90 days (what
/// API Gateway keeps); by default this month so far.
pub fn report_range(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let mut v = Validator::new();
    let to = v.check_opt("query.to", to, parse_date).flatten().unwrap_or(today);
    let from = v.check_opt("query.from", from, parse_date).flatten().unwrap_or_else(|| to.with_day(1).unwrap_or(to));
    v.finish()?;
    let mut v = Validator::new();
    if to > today {
        v.add("query.to", format!("must not be after today ({today}, UTC)"));
    }
    if from > to {
        v.add("query.from", "must not be after to");
    } else if (to - from).num_days() >= MAX_USAGE_DAYS {
        v.add("query.from", format!("must be at most {MAX_USAGE_DAYS} days before to (usage is kept for {MAX_USAGE_DAYS} days)"));
    }
    v.finish()?;
    Ok((from, to))
}

/// The first and last day of the quota period `today` is in (UTC; weeks start on Monday).
pub fn quota_period(period: QuotaPeriod, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    match period {
        QuotaPeriod::Day => (today, today),
        QuotaPeriod::Week => {
            let start = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
            (start, start + Duration::days(6))
        }
        QuotaPeriod::Month => {
            let start = today.with_day(1).unwrap_or(today);
            let next = BillingPeriod::of_date(today).next().and_then(BillingPeriod::first_day).unwrap_or(today + Duration::days(1));
            (start, next - Duration::days(1))
        }
    }
}

/// Requests per day of one key, from the plan's usage.
fn requests_by_day(usage: &PlanUsage, key: &ApiKeyId) -> BTreeMap<NaiveDate, DayUsage> {
    usage.get(key).map(|days| days.iter().map(|d| (d.date, *d)).collect()).unwrap_or_default()
}

/// A tenant's usage report: the tenant its own, the operator any.
pub async fn tenant_report(app: &App, caller: &Caller, tenant_id: &TenantId, from: NaiveDate, to: NaiveDate) -> Result<TenantUsage, ApiError> {
    caller.authorize_tenant(tenant_id)?;
    let tenant = app.stores.tenants.get_tenant(tenant_id).await?.ok_or(ApiError::NotFound)?;
    let plan = usage_plan(tenant.plan_tier);
    let key = tenant.api_key_id.clone().filter(|_| tenant.status != TenantStatus::Offboarded);
    let (requests, quota) = match &key {
        None => (BTreeMap::new(), None),
        Some(key) => {
            let keys = keys(app)?;
            // API Gateway counts per plan: a key moved between tiers in the range has days on both.
            let mut requests: BTreeMap<NaiveDate, u64> = BTreeMap::new();
            for tier in PlanTier::ALL {
                for (day, d) in requests_by_day(&keys.usage(tier, Some(key), from, to).await?, key) {
                    *requests.entry(day).or_default() += d.used;
                }
            }
            let today = app.clock.now().date_naive();
            let (start, end) = quota_period(plan.quota.period, today);
            let current = requests_by_day(&keys.usage(tenant.plan_tier, Some(key), start, today).await?, key);
            let used: u64 = current.values().map(|d| d.used).sum();
            // API Gateway reports what is left as of each day; the latest day says it now.
            let remaining = current.values().next_back().map_or(plan.quota.limit.saturating_sub(used), |d| d.remaining);
            (requests, Some(QuotaNow { period: plan.quota.period, period_start: start, period_end: end, limit: plan.quota.limit, used, remaining }))
        }
    };
    let metered: BTreeMap<NaiveDate, Metered> = app.stores.metering.metered(tenant_id, from, to).await?.into_iter().collect();
    let mut days = Vec::new();
    let mut totals = Counts::default();
    let mut day = from;
    while day <= to {
        let mut counts = Counts::default();
        counts.add(requests.get(&day).copied().unwrap_or(0), &metered.get(&day).copied().unwrap_or_default());
        totals.add(counts.requests, &Metered { bytes_streamed: counts.bytes_streamed, invoices_rendered: counts.invoices_rendered, exports: counts.exports });
        days.push(Day { date: day, counts });
        day += Duration::days(1);
    }
    Ok(TenantUsage { tenant_id: tenant.tenant_id, plan_tier: tenant.plan_tier, plan, api_key_id: key, from, to, days, totals, quota })
}

/// The month a listing covers: `period` (default this month), up to today; never a future month.
/// Problems go to `v`, with the other parameters'.
pub fn month_range(period: Option<&str>, today: NaiveDate, v: &mut Validator) -> Option<(BillingPeriod, NaiveDate, NaiveDate)> {
    let period = v.check_opt("query.period", period, BillingPeriod::parse)?.unwrap_or_else(|| BillingPeriod::of_date(today));
    let Some(from) = period.first_day().filter(|d| *d <= today) else {
        v.add("query.period", format!("must not be after this month ({})", BillingPeriod::of_date(today)));
        return None;
    };
    let last = period.next().and_then(BillingPeriod::first_day).map_or(today, |d| d - Duration::days(1));
    Some((period, from, last.min(today)))
}

/// Tenants read at once while building a page of the operator's report.
const CONCURRENCY: usize = 8;

/// Every tenant's totals for a month (operator only), a page of tenants at a time.
pub async fn all_tenants(app: &App, caller: &Caller, period: BillingPeriod, from: NaiveDate, to: NaiveDate, page: &PageRequest) -> Result<UsagePage, ApiError> {
    caller.require_operator()?;
    let Page { items: tenants, next_cursor } = app.stores.tenants.list_tenants(page).await?;
    let keys = keys(app)?;
    // One call per plan covers every key on it; every plan, since a key moved between tiers
    // this month has counts on both.
    let mut by_tier = Vec::new();
    if tenants.iter().any(|t| t.api_key_id.is_some()) {
        for tier in PlanTier::ALL {
            by_tier.push((tier, keys.usage(tier, None, from, to).await?));
        }
    }
    let by_tier = &by_tier;
    let items = futures_util::stream::iter(tenants)
        .map(|tenant: Tenant| async move {
            let mut totals = Counts::default();
            for (_, m) in app.stores.metering.metered(&tenant.tenant_id, from, to).await? {
                totals.add(0, &m);
            }
            if let Some(key) = &tenant.api_key_id {
                // A key moved between tiers this month has counts on both plans.
                for (_, usage) in by_tier {
                    totals.requests += usage.get(key).map_or(0, |days| days.iter().map(|d| d.used).sum());
                }
            }
            Ok::<_, ApiError>(TenantMonth { tenant_id: tenant.tenant_id, name: tenant.name, plan_tier: tenant.plan_tier, status: tenant.status, totals })
        })
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    Ok(UsagePage { period, from, to, items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn quota_periods() {
        assert_eq!(quota_period(QuotaPeriod::Day, d("2025-04-09")), (d("2025-04-09"), d("2025-04-09")));
        assert_eq!(quota_period(QuotaPeriod::Week, d("2025-04-09")), (d("2025-04-07"), d("2025-04-13")));
        assert_eq!(quota_period(QuotaPeriod::Month, d("2025-02-09")), (d("2025-02-01"), d("2025-02-28")));
        assert_eq!(quota_period(QuotaPeriod::Month, d("2025-12-31")), (d("2025-12-01"), d("2025-12-31")));
    }

    #[test]
    fn report_ranges() {
        let today = d("2025-04-20");
        assert_eq!(report_range(None, None, today).unwrap(), (d("2025-04-01"), today));
        assert_eq!(report_range(Some("2025-03-01"), Some("2025-03-31"), today).unwrap(), (d("2025-03-01"), d("2025-03-31")));
        let fields = |r: Result<_, ApiError>| match r {
            Err(ApiError::Validation(e)) => e.into_iter().map(|f| f.field).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(fields(report_range(Some("2025-04-10"), Some("2025-04-01"), today)), ["query.from"]);
        assert_eq!(fields(report_range(None, Some("2025-04-21"), today)), ["query.to"]);
        assert_eq!(fields(report_range(Some("2025-01-01"), None, today)), ["query.from"]);
        assert_eq!(fields(report_range(Some("2025-4-1"), Some("x"), today)), ["query.to", "query.from"]);
        assert!(report_range(Some("2025-01-21"), None, today).is_ok(), "90 days exactly");
    }

    #[test]
    fn months() {
        let today = d("2025-04-20");
        let month = |p: Option<&str>| {
            let mut v = Validator::new();
            let m = month_range(p, today, &mut v);
            (m, v.finish().is_ok())
        };
        assert_eq!(month(None), (Some((BillingPeriod::of_date(today), d("2025-04-01"), today)), true));
        assert_eq!(month(Some("2025-02")).0.unwrap().2, d("2025-02-28"));
        assert_eq!(month(Some("2024-12")).0.unwrap().2, d("2024-12-31"));
        assert_eq!(month(Some("2025-05")), (None, false));
        assert_eq!(month(Some("2025-13")), (None, false));
    }
}
