//! Time and identifiers are injected so that tests can be exact.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use rand::RngCore;

use crate::domain::TenantId;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time, to the millisecond (what we store and show).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        now.duration_trunc(TimeDelta::milliseconds(1)).unwrap_or(now)
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn advance(&self, by: TimeDelta) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub trait IdGenerator: Send + Sync {
    fn tenant_id(&self) -> TenantId;
    /// Opaque random token of `len` bytes, hex-encoded (secrets, key ids).
    fn token(&self, len: usize) -> String;
    /// Eight random bytes (the random part of a billing id).
    fn eight(&self) -> [u8; 8];
}

/// Ids from the operating system's random source.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn tenant_id(&self) -> TenantId {
        let mut b = [0u8; 16];
        rand::rng().fill_bytes(&mut b);
        TenantId::from_random(b)
    }

    fn token(&self, len: usize) -> String {
        let mut b = vec![0u8; len];
        rand::rng().fill_bytes(&mut b);
        hex::encode(b)
    }

    fn eight(&self) -> [u8; 8] {
        rand::random()
    }
}

/// Predictable ids for tests: the n-th call gives n in every position's place value.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGenerator for SequentialIds {
    fn tenant_id(&self) -> TenantId {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        let digits = format!("{n:016}");
        let mut b = [0u8; 16];
        for (slot, d) in b.iter_mut().zip(digits.bytes()) {
            *slot = d - b'0';
        }
        TenantId::from_random(b)
    }

    fn token(&self, len: usize) -> String {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{n:0width$x}", width = len * 2)
    }

    /// The n-th call's digits, one per byte: `…-00000001` as a billing id suffix.
    fn eight(&self) -> [u8; 8] {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        let mut b = [0u8; 8];
        for (slot, d) in b.iter_mut().zip(format!("{:08}", n % 100_000_000).bytes()) {
            *slot = d - b'0';
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_ids_are_predictable() {
        let ids = SequentialIds::default();
        assert_eq!(ids.tenant_id().as_str(), "tn_0000000000000001");
        assert_eq!(ids.tenant_id().as_str(), "tn_0000000000000002");
        assert_eq!(ids.token(4), "00000003");
    }

    #[test]
    fn manual_clock_moves_when_told() {
        let t0 = DateTime::parse_from_rfc3339("2025-04-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let c = ManualClock::new(t0);
        c.advance(TimeDelta::seconds(5));
        assert_eq!(c.now(), t0 + TimeDelta::seconds(5));
    }
}
