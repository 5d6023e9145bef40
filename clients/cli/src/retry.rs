//! When to send a request again and how long to wait first: the same rules as the Ruby client
//! (`clients/ruby/lib/seikyu/retry_policy.rb`), so every client of the API behaves alike.
//!
//! Retried, up to `max_retries` times after the first attempt:
//! - 429 "Too Many Requests" (the plan's rate and burst): the gateway refused before any handler
//!   ran, so it is safe for every request;
//! - 503 for requests that are safe to repeat (reads, PUT/PATCH/DELETE, POSTs with an
//!   Idempotency-Key or that the API documents as repeatable), except a 503 `limit-reached`
//!   without Retry-After (an account limit: waiting does not help);
//! - 409 "still being processed" of a POST with an Idempotency-Key whose earlier attempt was lost
//!   on the network: the first attempt still runs, and its replay answers as it did;
//! - network failures, for GETs and POSTs with an Idempotency-Key only (any other write may have
//!   been applied although its answer was lost).
//!
//! Never retried: 429 "Limit Exceeded" (the quota is spent until its period ends), other
//! statuses, and a Retry-After longer than `max_retry_after` (reported at once instead).

use std::time::Duration;

use crate::error::Problem;

/// What the policy needs to know about the request being retried.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attempted {
    pub is_get: bool,
    pub has_idempotency_key: bool,
    /// Repeating it cannot apply it twice.
    pub repeatable: bool,
    /// An earlier attempt of this request failed on the network.
    pub network_failure_before: bool,
}

/// Why the last attempt failed.
pub enum Failure<'a> {
    Answer(&'a Problem),
    Network,
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_retries: 3, base_delay: Duration::from_millis(500), max_delay: Duration::from_secs(8), max_retry_after: Duration::from_secs(30) }
    }
}

impl RetryPolicy {
    /// How long to wait before retry number `retry` (1-based), or `None` to give up. `jitter`
    /// is a number in [0, 1): randomness spreads the retries of many clients apart.
    pub fn delay(&self, failure: &Failure<'_>, retry: u32, request: Attempted, jitter: f64) -> Option<Duration> {
        if retry > self.max_retries {
            return None;
        }
        match failure {
            Failure::Answer(p) if p.status == 429 => (!p.quota_exceeded()).then(|| self.server_or_backoff(p, retry, jitter)).flatten(),
            Failure::Answer(p) if p.status == 503 => {
                if !request.repeatable || (p.retry_after.is_none() && p.limit_reached()) {
                    return None;
                }
                self.server_or_backoff(p, retry, jitter)
            }
            Failure::Answer(p) if p.status == 409 => (request.has_idempotency_key && request.network_failure_before).then(|| self.backoff(retry, jitter)),
            Failure::Answer(_) => None,
            Failure::Network => (request.is_get || request.has_idempotency_key).then(|| self.backoff(retry, jitter)),
        }
    }

    /// Exponential backoff: `base * 2^(retry-1)`, capped, drawn from its upper half.
    fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        let ceiling = self.base_delay.saturating_mul(1 << retry.saturating_sub(1).min(16)).min(self.max_delay);
        ceiling / 2 + ceiling.mul_f64(jitter / 2.0)
    }

    /// The server's Retry-After (plus up to 10%), or backoff when it sent none.
    fn server_or_backoff(&self, p: &Problem, retry: u32, jitter: f64) -> Option<Duration> {
        match p.retry_after {
            None | Some(0) => Some(self.backoff(retry, jitter)),
            Some(s) if Duration::from_secs(s) > self.max_retry_after => None,
            Some(s) => Some(Duration::from_secs(s).mul_f64(1.0 + jitter * 0.1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(status: u16, detail: &str, retry_after: Option<u64>) -> Problem {
        Problem { status, detail: Some(detail.into()), retry_after, ..Problem::default() }
    }

    const GET: Attempted = Attempted { is_get: true, has_idempotency_key: false, repeatable: true, network_failure_before: false };
    const POST: Attempted = Attempted { is_get: false, has_idempotency_key: false, repeatable: false, network_failure_before: false };

    #[test]
    fn throttling_is_retried_with_backoff_but_a_spent_quota_is_not() {
        let policy = RetryPolicy::default();
        let throttled = problem(429, "Too Many Requests", None);
        assert_eq!(policy.delay(&Failure::Answer(&throttled), 1, POST, 0.0), Some(Duration::from_millis(250)));
        assert_eq!(policy.delay(&Failure::Answer(&throttled), 3, POST, 0.999_999).map(|d| d.as_millis()), Some(1999));
        assert_eq!(policy.delay(&Failure::Answer(&throttled), 4, POST, 0.0), None, "retries are spent");
        assert_eq!(policy.delay(&Failure::Answer(&problem(429, "Limit Exceeded", None)), 1, GET, 0.0), None);
    }

    #[test]
    fn retry_after_is_honoured_up_to_its_limit() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(&Failure::Answer(&problem(503, "x", Some(2))), 1, GET, 0.0), Some(Duration::from_secs(2)));
        assert_eq!(policy.delay(&Failure::Answer(&problem(503, "x", Some(120))), 1, GET, 0.0), None);
        assert_eq!(policy.delay(&Failure::Answer(&problem(503, "x", Some(2))), 1, POST, 0.0), None, "a write that may repeat");
        let limit = Problem { kind: Some("urn:seikyu:problem:limit-reached".into()), ..problem(503, "10,000 API keys", None) };
        assert_eq!(policy.delay(&Failure::Answer(&limit), 1, GET, 0.0), None);
    }

    #[test]
    fn network_failures_are_retried_only_where_repeating_is_safe() {
        let policy = RetryPolicy::default();
        assert!(policy.delay(&Failure::Network, 1, GET, 0.5).is_some());
        assert!(policy.delay(&Failure::Network, 1, POST, 0.5).is_none());
        let keyed = Attempted { has_idempotency_key: true, repeatable: true, ..POST };
        assert!(policy.delay(&Failure::Network, 1, keyed, 0.5).is_some());
        let running = problem(409, "still being processed", None);
        assert!(policy.delay(&Failure::Answer(&running), 1, keyed, 0.5).is_none(), "no attempt was lost");
        assert!(policy.delay(&Failure::Answer(&running), 2, Attempted { network_failure_before: true, ..keyed }, 0.5).is_some());
    }
}
