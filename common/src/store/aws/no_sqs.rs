//! The run queue of a function built without SQS (feature `sqs`): only the routes that start runs
//! and the run worker send run messages, and they are built with it; anything else that tried
//! would be a packaging mistake, answered as an outage and logged.

use async_trait::async_trait;

use super::AwsStore;
use crate::store::{RunMessage, RunQueue, StoreError};

#[async_trait]
impl RunQueue for AwsStore {
    async fn send(&self, _messages: &[RunMessage]) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("this function was built without SQS (feature `sqs`), so it cannot queue run messages".into()))
    }
}
