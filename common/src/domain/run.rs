//! Month-end invoice runs: one request that issues a period's billing records in the background.
//! A run holds one item per billing record; each item is settled once (issued, failed or
//! cancelled), and the run's counts move with the item in the same write, so they always add up:
//! issued + failed + cancelled + remaining = total.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{BillingId, BillingPeriod, InvoiceNumber, TenantId, Yen};

/// `run-<YYYY-MM>-<8 of [0-9a-z]>`: the period leads, so a period's runs list together.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RunId(String);

impl RunId {
    const ALPHABET: &'static [u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

    pub fn new(period: BillingPeriod, random: [u8; 8]) -> Self {
        let suffix: String = random.iter().map(|b| Self::ALPHABET[(*b as usize) % Self::ALPHABET.len()] as char).collect();
        Self(format!("run-{period}-{suffix}"))
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        let err = || "must be a run id such as run-2025-04-k3j9x2m1".to_string();
        let rest = raw.strip_prefix("run-").ok_or_else(err)?;
        let (period, suffix) = (rest.get(..7).ok_or_else(err)?, rest.get(7..).ok_or_else(err)?);
        BillingPeriod::parse(period).map_err(|_| err())?;
        let ok = suffix.len() == 9 && suffix.starts_with('-') && suffix[1..].bytes().all(|b| Self::ALPHABET.contains(&b));
        if ok { Ok(Self(raw.to_owned())) } else { Err(err()) }
    }

    pub fn period(&self) -> BillingPeriod {
        BillingPeriod::parse(&self.0[4..11]).unwrap_or_else(|_| unreachable!("run ids hold their period"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum RunState {
    Queued,
    Running,
    Completed,
    CompletedWithErrors,
    Cancelled,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::CompletedWithErrors => "completedWithErrors",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether the run still holds its period (one active run per period).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }
}

/// What a run was asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRequest {
    pub period: BillingPeriod,
    /// `None`: every active tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenants: Option<Vec<TenantId>>,
    /// Generate drafts from contracts first.
    pub generate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceRun {
    pub run_id: RunId,
    #[serde(flatten)]
    pub request: RunRequest,
    pub state: RunState,
    /// Cancel was asked: no new item is taken.
    #[serde(default)]
    pub cancel_requested: bool,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    pub version: u64,
}

impl InvoiceRun {
    pub fn etag(&self) -> String {
        super::etag_of(self.version)
    }

    /// The state the run reaches once every item is settled.
    pub fn finished_state(&self, counts: &RunCounts) -> RunState {
        if self.cancel_requested {
            RunState::Cancelled
        } else if counts.failed > 0 {
            RunState::CompletedWithErrors
        } else {
            RunState::Completed
        }
    }
}

/// A run's counts. Every item is counted once in `total` and, once settled, once in exactly one
/// of `issued`, `failed`, `cancelled`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunCounts {
    pub total: u64,
    pub issued: u64,
    pub failed: u64,
    pub cancelled: u64,
}

impl RunCounts {
    pub fn remaining(&self) -> u64 {
        self.total.saturating_sub(self.issued + self.failed + self.cancelled)
    }
}

impl std::ops::Add for RunCounts {
    type Output = RunCounts;
    fn add(self, d: RunCounts) -> RunCounts {
        RunCounts { total: self.total + d.total, issued: self.issued + d.issued, failed: self.failed + d.failed, cancelled: self.cancelled + d.cancelled }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ItemState {
    Pending,
    Issued,
    Failed,
    Cancelled,
}

/// One billing record a run issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunItem {
    pub run_id: RunId,
    pub tenant_id: TenantId,
    pub billing_id: BillingId,
    pub state: ItemState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<InvoiceNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<Yen>,
    /// Why it failed, worded for the operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl RunItem {
    pub fn pending(run_id: RunId, tenant_id: TenantId, billing_id: BillingId) -> Self {
        Self { run_id, tenant_id, billing_id, state: ItemState::Pending, invoice_number: None, total: None, reason: None }
    }

    /// The item's key within its run: `<tenantId>#<billingId>`.
    pub fn key(&self) -> String {
        format!("{}#{}", self.tenant_id, self.billing_id)
    }
}

/// How an item was settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    Issued { invoice_number: InvoiceNumber, total: Yen },
    Failed { reason: String },
    Cancelled,
}

impl Settlement {
    /// The settled item.
    pub fn apply(&self, item: &RunItem) -> RunItem {
        let mut next = item.clone();
        match self {
            Settlement::Issued { invoice_number, total } => {
                next.state = ItemState::Issued;
                next.invoice_number = Some(invoice_number.clone());
                next.total = Some(*total);
            }
            Settlement::Failed { reason } => {
                next.state = ItemState::Failed;
                next.reason = Some(reason.clone());
            }
            Settlement::Cancelled => next.state = ItemState::Cancelled,
        }
        next
    }

    /// What settling adds to the run's counts.
    pub fn delta(&self) -> RunCounts {
        match self {
            Settlement::Issued { .. } => RunCounts { issued: 1, ..RunCounts::default() },
            Settlement::Failed { .. } => RunCounts { failed: 1, ..RunCounts::default() },
            Settlement::Cancelled => RunCounts { cancelled: 1, ..RunCounts::default() },
        }
    }
}

super::newtype::parsed_string!(RunId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_lead_with_their_period() {
        let id = RunId::new(BillingPeriod::parse("2025-04").unwrap(), [1, 2, 3, 4, 5, 6, 7, 40]);
        assert_eq!(id.as_str(), "run-2025-04-12345674");
        assert_eq!(RunId::parse(id.as_str()), Ok(id.clone()));
        assert_eq!(id.period().to_string(), "2025-04");
        for bad in ["", "run-2025-04", "run-2025-13-abcdefgh", "run-2025-04-ABCDEFGH", "2025-04-abcdefgh", "run-2025-04-abcdefghi"] {
            assert!(RunId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settling_counts_once_in_one_column() {
        let item = RunItem::pending(
            RunId::parse("run-2025-04-abcdefgh").unwrap(),
            TenantId::parse("tn_0000000000000001").unwrap(),
            BillingId::parse("2025-04-abcdefgh").unwrap(),
        );
        let issued = Settlement::Issued { invoice_number: InvoiceNumber::parse("INV-2025-000001").unwrap(), total: Yen::new(1100).unwrap() };
        assert_eq!(issued.apply(&item).state, ItemState::Issued);
        let mut counts = RunCounts { total: 3, ..RunCounts::default() };
        for s in [issued, Settlement::Failed { reason: "x".into() }, Settlement::Cancelled] {
            let d = s.delta();
            assert_eq!(d.issued + d.failed + d.cancelled, 1);
            counts = RunCounts { issued: counts.issued + d.issued, failed: counts.failed + d.failed, cancelled: counts.cancelled + d.cancelled, ..counts };
        }
        assert_eq!((counts.remaining(), counts.issued + counts.failed + counts.cancelled), (0, 3));
        assert_eq!(item.key(), "tn_0000000000000001#2025-04-abcdefgh");
    }
}
