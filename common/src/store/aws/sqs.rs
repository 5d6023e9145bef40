//! Run messages on SQS, ten to a SendMessageBatch (SQS's limit); a batch entry SQS refuses is
//! sent again once before the whole call fails (the work it stands for is idempotent).

use async_trait::async_trait;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use super::{AwsStore, sdk_unavailable};
use crate::store::{RunMessage, RunQueue, StoreError};

/// SQS's limit on the entries of one SendMessageBatch.
const SQS_BATCH: usize = 10;

#[async_trait]
impl RunQueue for AwsStore {
    async fn send(&self, messages: &[RunMessage]) -> Result<(), StoreError> {
        let url = self.run_queue_url.as_deref().ok_or_else(|| StoreError::Unavailable("no run queue configured (SEIKYU_RUN_QUEUE_URL)".into()))?;
        for batch in messages.chunks(SQS_BATCH) {
            let mut entries = Vec::with_capacity(batch.len());
            for (i, m) in batch.iter().enumerate() {
                let body = serde_json::to_string(m).map_err(|e| StoreError::Corrupt(format!("run message: {e}")))?;
                entries.push(
                    SendMessageBatchRequestEntry::builder().id(i.to_string()).message_body(body).build().map_err(|e| StoreError::Corrupt(e.to_string()))?,
                );
            }
            for attempt in 0..2 {
                let out = self
                    .sqs
                    .send_message_batch()
                    .queue_url(url)
                    .set_entries(Some(entries.clone()))
                    .send()
                    .await
                    .map_err(|e| sdk_unavailable("SendMessageBatch", e))?;
                let failed: Vec<String> = out.failed.iter().map(|f| f.id.clone()).collect();
                if failed.is_empty() {
                    break;
                }
                if attempt == 1 {
                    return Err(StoreError::Unavailable(format!("SQS refused {} of {} run messages", failed.len(), batch.len())));
                }
                entries.retain(|e| failed.contains(&e.id));
            }
        }
        Ok(())
    }
}
