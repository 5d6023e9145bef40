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
    /// Plan one slice of the run's tenants (from `after`, the previous slice's position): generate
    /// their drafts (when asked), add an item per draft, queue an `Issue` for each, and queue the
    /// next slice, so that no one message outlives a worker's timeout however many tenants there are.
    #[serde(rename_all = "camelCase")]
    Plan {
        run_id: RunId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
    },
    /// Issue one billing record.
    #[serde(rename_all = "camelCase")]
    Issue { run_id: RunId, tenant_id: TenantId, billing_id: BillingId },
}

#[async_trait]
pub trait RunQueue: Send + Sync {
    async fn send(&self, messages: &[RunMessage]) -> Result<(), StoreError>;
}
