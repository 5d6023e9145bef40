//! Usage-plan enforcement per API key, as API Gateway does it: a token bucket (steady rate, burst)
//! answered with 429 Too Many Requests, and a quota per day, week or month answered with 429 Limit
//! Exceeded. Quota counters and requests per UTC day (what API Gateway's GetUsage reports) are
//! kept in `<data dir>/usage-counters.json`, written at most once a second, so they survive a
//! restart (a crash loses at most the last second of counts).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use common::domain::{MethodThrottle, QuotaPeriod, UsagePlan};
use serde::{Deserialize, Serialize};

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// The burst is spent; tokens come back at the plan's rate.
    Throttled,
    /// The quota for the period is used up.
    QuotaExceeded,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaCounter {
    /// Which period the count belongs to, e.g. `2025-04-01`, `2025-W14`, `2025-04`.
    pub period: String,
    pub used: u64,
    /// Requests let through per UTC day, for usage reports; kept for `HISTORY_DAYS`.
    #[serde(default)]
    pub days: BTreeMap<NaiveDate, u64>,
}

/// Days of per-day counts kept (API Gateway keeps 90).
pub const HISTORY_DAYS: i64 = 90;

/// A token bucket: what is left, and when it was last filled.
struct Bucket {
    tokens: f64,
    last_ms: i64,
}

impl Bucket {
    /// Refills at `rate` up to `burst`, then takes a token if there is a whole one.
    fn fill(&mut self, rate: f64, burst: u32, now_ms: i64) {
        let elapsed = (now_ms - self.last_ms).max(0) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * rate).min(f64::from(burst));
        self.last_ms = now_ms.max(self.last_ms);
    }
}

struct KeyState {
    plan: Bucket,
    /// Per-method buckets, by (method, path); a few at most.
    methods: Vec<((&'static str, &'static str), Bucket)>,
    quota: QuotaCounter,
}

pub struct Limiter {
    keys: Mutex<HashMap<String, KeyState>>,
    path: Option<PathBuf>,
    last_flush_ms: AtomicI64,
    /// Lets everything through (benchmarks of the gateway itself).
    off: bool,
}

/// The period `now` falls in, in UTC (API Gateway counts quotas in UTC by default).
pub fn period_of(period: QuotaPeriod, now: DateTime<Utc>) -> String {
    match period {
        QuotaPeriod::Day => now.format("%Y-%m-%d").to_string(),
        QuotaPeriod::Week => {
            let w = now.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        QuotaPeriod::Month => now.format("%Y-%m").to_string(),
    }
}

impl Limiter {
    pub const FILE: &'static str = "usage-counters.json";

    /// A limiter whose quota counters live in `path` (loaded now when the file exists).
    pub fn open(path: Option<PathBuf>) -> Result<Self, String> {
        let mut keys = HashMap::new();
        if let Some(p) = &path
            && let Ok(text) = std::fs::read_to_string(p)
        {
            let saved: HashMap<String, QuotaCounter> = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
            for (key, quota) in saved {
                // Buckets start full after a restart, as after API Gateway's own deployments.
                keys.insert(key, KeyState { plan: Bucket { tokens: f64::INFINITY, last_ms: 0 }, methods: Vec::new(), quota });
            }
        }
        Ok(Self { keys: Mutex::new(keys), path, last_flush_ms: AtomicI64::new(0), off: false })
    }

    /// A limiter that enforces nothing.
    pub fn unlimited() -> Self {
        Self { keys: Mutex::new(HashMap::new()), path: None, last_flush_ms: AtomicI64::new(0), off: true }
    }

    /// Takes one request from `key`'s allowance under `plan` at `now`.
    pub fn check(&self, key: &str, plan: &UsagePlan, now: DateTime<Utc>) -> Result<(), Limited> {
        self.check_method(key, plan, None, now)
    }

    /// `check` for a request to a method with its own throttle: its bucket is used instead of
    /// the plan's; the quota counts it all the same.
    pub fn check_method(&self, key: &str, plan: &UsagePlan, method: Option<&MethodThrottle>, now: DateTime<Utc>) -> Result<(), Limited> {
        if self.off {
            return Ok(());
        }
        let now_ms = now.timestamp_millis();
        let period = period_of(plan.quota.period, now);
        let result = {
            let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
            let state = keys.entry(key.to_owned()).or_insert_with(|| KeyState {
                plan: Bucket { tokens: f64::from(plan.burst), last_ms: now_ms },
                methods: Vec::new(),
                quota: QuotaCounter { period: period.clone(), used: 0, days: BTreeMap::new() },
            });
            let bucket = match method {
                None => {
                    state.plan.fill(plan.rate, plan.burst, now_ms);
                    &mut state.plan
                }
                Some(m) => {
                    let at = match state.methods.iter().position(|(id, _)| *id == (m.method, m.path)) {
                        Some(i) => i,
                        None => {
                            state.methods.push(((m.method, m.path), Bucket { tokens: f64::from(m.burst), last_ms: now_ms }));
                            state.methods.len() - 1
                        }
                    };
                    let b = &mut state.methods[at].1;
                    b.fill(m.rate, m.burst, now_ms);
                    b
                }
            };
            if state.quota.period != period {
                state.quota.period = period;
                state.quota.used = 0;
            }
            if state.quota.used >= plan.quota.limit {
                Err(Limited::QuotaExceeded)
            } else if bucket.tokens < 1.0 {
                Err(Limited::Throttled)
            } else {
                bucket.tokens -= 1.0;
                state.quota.used += 1;
                *state.quota.days.entry(now.date_naive()).or_insert(0) += 1;
                Ok(())
            }
        };
        self.maybe_flush(now_ms);
        result
    }

    /// The quota counters, by API key id.
    pub fn counters(&self) -> HashMap<String, QuotaCounter> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|(k, s)| (k.clone(), s.quota.clone())).collect()
    }

    /// Requests let through for `key` on each day of `from..=to` that had any.
    pub fn daily(&self, key: &str, from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, u64)> {
        let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.get(key).map(|s| s.quota.days.range(from..=to).map(|(d, n)| (*d, *n)).collect()).unwrap_or_default()
    }

    /// Forgets a deleted key's counts, as API Gateway does.
    pub fn forget(&self, key: &str) {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }

    fn maybe_flush(&self, now_ms: i64) {
        let last = self.last_flush_ms.load(Ordering::Relaxed);
        if now_ms - last >= 1000 && self.last_flush_ms.compare_exchange(last, now_ms, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            self.flush();
        }
    }

    /// Writes the counters now (atomically: a temporary file renamed over the old one).
    pub fn flush(&self) {
        let Some(path) = &self.path else { return };
        let mut counters = self.counters();
        if let Some(oldest) = counters.values().filter_map(|c| c.days.keys().next_back()).max().map(|d| *d - chrono::Duration::days(HISTORY_DAYS)) {
            for c in counters.values_mut() {
                c.days.retain(|d, _| *d > oldest);
            }
        }
        let Ok(text) = serde_json::to_string(&counters) else { return };
        let tmp = path.with_extension("json.tmp");
        if let Err(e) = std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, path)) {
            tracing::error!(error = %e, path = %path.display(), "could not save usage counters");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::domain::{PlanTier, Quota};

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_743_465_600_000 + ms).unwrap() // 2025-04-01T00:00:00Z
    }

    fn plan(rate: f64, burst: u32, limit: u64) -> UsagePlan {
        UsagePlan { tier: PlanTier::Basic, rate, burst, quota: Quota { limit, period: QuotaPeriod::Day } }
    }

    #[test]
    fn burst_then_the_steady_rate() {
        let l = Limiter::open(None).unwrap();
        let p = plan(10.0, 5, 1_000);
        for _ in 0..5 {
            assert_eq!(l.check("k", &p, at(0)), Ok(()));
        }
        assert_eq!(l.check("k", &p, at(0)), Err(Limited::Throttled));
        assert_eq!(l.check("k", &p, at(99)), Err(Limited::Throttled), "0.99 of a token is not a token");
        assert_eq!(l.check("k", &p, at(100)), Ok(()), "10/s: one token per 100 ms");
        assert_eq!(l.check("k", &p, at(100)), Err(Limited::Throttled));
        for i in 0..5 {
            assert_eq!(l.check("k", &p, at(10_000 + i)), Ok(()), "the bucket refills up to the burst");
        }
        assert_eq!(l.check("k", &p, at(10_005)), Err(Limited::Throttled), "and not beyond");
    }

    #[test]
    fn quota_last_request_then_limit_then_the_next_period() {
        let l = Limiter::open(None).unwrap();
        let p = plan(1000.0, 1000, 3);
        for _ in 0..3 {
            assert_eq!(l.check("k", &p, at(0)), Ok(()));
        }
        assert_eq!(l.check("k", &p, at(1)), Err(Limited::QuotaExceeded));
        assert_eq!(l.check("k", &p, at(86_399_999)), Err(Limited::QuotaExceeded), "until the day ends (UTC)");
        assert_eq!(l.check("k", &p, at(86_400_000)), Ok(()), "the next day restores it");
    }

    #[test]
    fn keys_on_the_same_plan_do_not_share_allowances() {
        let l = Limiter::open(None).unwrap();
        let p = plan(1.0, 2, 10);
        assert_eq!((l.check("a", &p, at(0)), l.check("a", &p, at(0)), l.check("a", &p, at(0))), (Ok(()), Ok(()), Err(Limited::Throttled)));
        assert_eq!((l.check("b", &p, at(0)), l.check("b", &p, at(0))), (Ok(()), Ok(())));
    }

    #[test]
    fn counters_survive_a_restart() {
        let dir = std::env::temp_dir().join(format!("limits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(Limiter::FILE);
        let p = plan(1000.0, 1000, 5);
        {
            let l = Limiter::open(Some(path.clone())).unwrap();
            for _ in 0..4 {
                l.check("k", &p, at(0)).unwrap();
            }
            l.flush();
        }
        let l = Limiter::open(Some(path)).unwrap();
        assert_eq!(l.check("k", &p, at(5)), Ok(()));
        assert_eq!(l.check("k", &p, at(5)), Err(Limited::QuotaExceeded));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_method_s_own_throttle_is_used_instead_of_the_plan_s_and_the_quota_counts_both() {
        let l = Limiter::open(None).unwrap();
        let p = plan(10.0, 5, 8);
        let export = MethodThrottle { method: "GET", path: "/export", rate: 1.0, burst: 2 };
        assert_eq!(l.check_method("k", &p, Some(&export), at(0)), Ok(()));
        assert_eq!(l.check_method("k", &p, Some(&export), at(0)), Ok(()));
        assert_eq!(l.check_method("k", &p, Some(&export), at(0)), Err(Limited::Throttled), "the method's burst is 2");
        for _ in 0..5 {
            assert_eq!(l.check("k", &p, at(0)), Ok(()), "the plan's bucket is untouched by the method's");
        }
        assert_eq!(l.check("k", &p, at(0)), Err(Limited::Throttled));
        assert_eq!(l.check_method("k", &p, Some(&export), at(999)), Err(Limited::Throttled));
        assert_eq!(l.check_method("k", &p, Some(&export), at(1000)), Ok(()), "1/s");
        assert_eq!(l.check_method("k", &p, Some(&export), at(5000)), Err(Limited::QuotaExceeded), "2 + 5 + 1 of 8, then the quota");
    }

    #[test]
    fn requests_are_counted_per_utc_day_for_usage_reports() {
        let l = Limiter::open(None).unwrap();
        let p = plan(1000.0, 1000, 1000);
        for ms in [0, 1, 86_399_999, 86_400_000, 3 * 86_400_000] {
            l.check("k", &p, at(ms)).unwrap();
        }
        let day = |d: u32| NaiveDate::from_ymd_opt(2025, 4, d).unwrap();
        assert_eq!(l.daily("k", day(1), day(30)), vec![(day(1), 3), (day(2), 1), (day(4), 1)]);
        assert_eq!(l.daily("k", day(2), day(3)), vec![(day(2), 1)]);
        assert!(l.daily("other", day(1), day(30)).is_empty());
        l.forget("k");
        assert!(l.daily("k", day(1), day(30)).is_empty());
    }

    #[test]
    fn periods() {
        assert_eq!(period_of(QuotaPeriod::Day, at(0)), "2025-04-01");
        assert_eq!(period_of(QuotaPeriod::Week, at(0)), "2025-W14");
        assert_eq!(period_of(QuotaPeriod::Month, at(0)), "2025-04");
    }
}
