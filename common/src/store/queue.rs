//! The work of a month-end run, as messages on a queue: SQS on AWS (a worker Lambda consumes it
//! through its event source), a table of the embedded store locally (the gateway's workers poll
//! it). Delivery is at least once: a message can arrive twice, so every step it triggers is
//! idempotent.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::{BillingId, RunId, TenantId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RunMessage {
    /// Generate the run's drafts (when asked), list its items, and queue one `Issue` for each.
    #[serde(rename_all = "camelCase")]
    Plan { run_id: RunId },
    /// Issue one billing record.
    #[serde(rename_all = "camelCase")]
    Issue { run_id: RunId, tenant_id: TenantId, billing_id: BillingId },
}

#[async_trait]
pub trait RunQueue: Send + Sync {
    async fn send(&self, messages: &[RunMessage]) -> Result<(), StoreError>;
}
