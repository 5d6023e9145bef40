//! The month-end run worker: a batch of SQS messages in, handled together by
//! `service::runs::process_batch`; those that must come back are reported as batch item failures
//! (`ReportBatchItemFailures`), so SQS redelivers only them, and after the queue's
//! `maxReceiveCount` moves them to the dead-letter queue.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use common::App;
use common::service::runs;
use common::store::RunMessage;

/// Handles one batch; the messages to deliver again.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    let (mut ids, mut messages) = (Vec::new(), Vec::new());
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let receives = record.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1);
        match serde_json::from_str::<RunMessage>(record.body.as_deref().unwrap_or_default()) {
            Ok(m) => {
                ids.push((id, receives));
                messages.push((m, receives));
            }
            // Not ours to read: it goes back, and after `maxReceiveCount` to the dead-letter queue.
            Err(e) => failures.push(failed(id, receives, &format!("not a run message: {e}"))),
        }
    }
    for ((id, receives), outcome) in ids.into_iter().zip(runs::process_batch(app, &messages).await) {
        if let Err(e) = outcome {
            failures.push(failed(id, receives, &format!("{e:?}")));
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}

fn failed(id: String, receives: u32, error: &str) -> BatchItemFailure {
    tracing::warn!(message_id = %id, receives, error, "run message failed; SQS delivers it again");
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = id;
    failure
}
