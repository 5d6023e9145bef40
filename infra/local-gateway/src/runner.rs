//! The run worker locally: the same `service::runs::process_batch` the Lambda runs, fed from the
//! embedded store's queue by a few tasks (bounded concurrency), as SQS feeds the worker function
//! on AWS. A message is deleted once handled; one that fails comes back after the visibility
//! timeout, and the queue survives a restart.

use std::sync::Arc;
use std::time::Duration;

use common::App;
use common::service::runs;
use common::store::embedded::EmbeddedStore;

/// How long a received message stays hidden: longer than any render.
pub const VISIBILITY: Duration = Duration::from_secs(30);
/// How many messages one worker takes at a time (as the template's event source batch).
const BATCH: usize = 25;

/// Handles up to one batch of visible messages; how many there were.
pub async fn work_once(app: &App, store: &EmbeddedStore, visibility: Duration) -> Result<usize, String> {
    let batch = store.receive_runs(BATCH, visibility).await.map_err(|e| e.to_string())?;
    let messages: Vec<_> = batch.iter().map(|d| (d.message.clone(), d.receives)).collect();
    let mut handled = Vec::with_capacity(batch.len());
    for (delivery, outcome) in batch.iter().zip(runs::process_batch(app, &messages).await) {
        match outcome {
            Ok(()) => handled.push(delivery.key.clone()),
            Err(e) => tracing::warn!(error = ?e, receives = delivery.receives, "run message failed; it comes back after the visibility timeout"),
        }
    }
    store.delete_run_messages(&handled).await.map_err(|e| e.to_string())?;
    Ok(batch.len())
}

/// Starts `workers` tasks that poll the queue until the process ends.
pub fn spawn(app: Arc<App>, store: Arc<EmbeddedStore>, workers: usize) -> Vec<tokio::task::JoinHandle<()>> {
    (0..workers)
        .map(|_| {
            let (app, store) = (app.clone(), store.clone());
            tokio::spawn(async move {
                loop {
                    match work_once(&app, &store, VISIBILITY).await {
                        Ok(0) => tokio::time::sleep(Duration::from_millis(100)).await,
                        Ok(_) => {}
                        Err(e) => {
                            tracing::error!(error = %e, "run queue unavailable");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            })
        })
        .collect()
}
