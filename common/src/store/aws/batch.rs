//! Batch writes within DynamoDB's real limits: 25 requests per BatchWriteItem, and unprocessed
//! items retried with backoff (moto accepts larger batches and never returns unprocessed items,
//! so passing there proves nothing about either).

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::WriteRequest;

use super::sdk_unavailable;
use crate::store::StoreError;

pub(crate) const MAX_BATCH_WRITE: usize = 25;
const MAX_ATTEMPTS: u32 = 8;

/// Splits requests into batches DynamoDB accepts.
pub(crate) fn chunks(requests: Vec<WriteRequest>) -> Vec<Vec<WriteRequest>> {
    let mut out = Vec::with_capacity(requests.len().div_ceil(MAX_BATCH_WRITE));
    let mut it = requests.into_iter().peekable();
    while it.peek().is_some() {
        out.push(it.by_ref().take(MAX_BATCH_WRITE).collect());
    }
    out
}

/// Writes every request, in batches of at most 25, retrying what DynamoDB leaves unprocessed.
pub(crate) async fn write_all(client: &aws_sdk_dynamodb::Client, table: &str, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
    for batch in chunks(requests) {
        let mut pending = batch;
        let mut attempt = 0;
        while !pending.is_empty() {
            if attempt == MAX_ATTEMPTS {
                return Err(StoreError::Unavailable(format!("{} writes still unprocessed after {MAX_ATTEMPTS} attempts", pending.len())));
            }
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(25 << attempt.min(6))).await;
            }
            let out = client
                .batch_write_item()
                .set_request_items(Some(HashMap::from([(table.to_owned(), pending)])))
                .send()
                .await
                .map_err(|e| sdk_unavailable("BatchWriteItem", e))?;
            pending = out.unprocessed_items.and_then(|mut m| m.remove(table)).unwrap_or_default();
            attempt += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest};

    fn req(i: usize) -> WriteRequest {
        let key = HashMap::from([("PK".to_owned(), AttributeValue::S(i.to_string())), ("SK".to_owned(), AttributeValue::S("x".into()))]);
        WriteRequest::builder().delete_request(DeleteRequest::builder().set_key(Some(key)).build().unwrap()).build()
    }

    #[test]
    fn batches_never_exceed_25() {
        for n in [0, 1, 25, 26, 51, 100] {
            let c = chunks((0..n).map(req).collect());
            assert_eq!(c.iter().map(Vec::len).sum::<usize>(), n);
            assert!(c.iter().all(|b| !b.is_empty() && b.len() <= MAX_BATCH_WRITE));
            assert_eq!(c.len(), n.div_ceil(25));
        }
    }
}
