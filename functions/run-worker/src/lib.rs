//! The month-end run worker: a batch of SQS messages in, each handled by
//! `service::runs::process`; those that must come back are reported as batch item failures
//! (`ReportBatchItemFailures`), so SQS redelivers only them, and after the queue's
//! `maxReceiveCount` moves them to the dead-letter queue.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use common::App;
use common::service::runs;
use common::store::RunMessage;

/// Handles one batch; the messages to deliver again.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let receives = record.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1);
        let message: Result<RunMessage, _> = serde_json::from_str(record.body.as_deref().unwrap_or_default());
        let outcome = match message {
            Ok(m) => runs::process(app, &m, receives).await.map_err(|e| format!("{e:?}")),
            Err(e) => Err(format!("not a run message: {e}")),
        };
        if let Err(e) = outcome {
            tracing::warn!(message_id = %id, receives, error = %e, "run message failed; SQS delivers it again");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failures.push(failure);
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}
