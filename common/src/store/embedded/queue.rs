//! The local run queue: messages in redb, so a run survives a restart of the gateway. A received
//! message is hidden for a visibility timeout, as on SQS, and comes back if it is not deleted by
//! then; on start-up every message is visible again (this process is the only consumer).

use std::time::Duration;

use async_trait::async_trait;
use redb::{ReadableTable, ReadableTableMetadata};
use serde::{Deserialize, Serialize};

use super::{EmbeddedStore, RUN_QUEUE, decode, encode, unavailable};
use crate::store::{RunMessage, RunQueue, StoreError};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Queued {
    message: RunMessage,
    /// Unix milliseconds before which the message is hidden.
    visible_at: i64,
    receives: u32,
}

/// A received message: delete it with its key once handled.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub key: String,
    pub message: RunMessage,
    /// 1 on the first delivery, as SQS's ApproximateReceiveCount.
    pub receives: u32,
}

impl EmbeddedStore {
    /// Up to `max` visible messages, plans first, then oldest first, each hidden for `visibility`.
    pub async fn receive_runs(&self, max: usize, visibility: Duration) -> Result<Vec<Delivery>, StoreError> {
        let now = self.clock.now().timestamp_millis();
        let hide = i64::try_from(visibility.as_millis()).unwrap_or(i64::MAX);
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            let mut out = Vec::new();
            {
                let mut t = txn.open_table(RUN_QUEUE).map_err(unavailable)?;
                let mut due = Vec::new();
                for entry in t.iter().map_err(unavailable)? {
                    let (k, v) = entry.map_err(unavailable)?;
                    let q: Queued = decode(v.value())?;
                    if q.visible_at <= now {
                        due.push((k.value().to_owned(), q));
                        if due.len() == max {
                            break;
                        }
                    }
                }
                for (key, mut q) in due {
                    q.visible_at = now.saturating_add(hide);
                    q.receives += 1;
                    t.insert(key.as_str(), encode(&q)?.as_slice()).map_err(unavailable)?;
                    out.push(Delivery { key, message: q.message, receives: q.receives });
                }
            }
            txn.commit().map_err(unavailable)?;
            Ok(out)
        })
        .await
    }

    /// Deletes a handled message.
    pub async fn delete_run_message(&self, key: &str) -> Result<(), StoreError> {
        self.delete_run_messages(&[key.to_owned()]).await
    }

    /// Deletes handled messages, in one write.
    pub async fn delete_run_messages(&self, keys: &[String]) -> Result<(), StoreError> {
        let keys = keys.to_vec();
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            {
                let mut t = txn.open_table(RUN_QUEUE).map_err(unavailable)?;
                for key in &keys {
                    t.remove(key.as_str()).map_err(unavailable)?;
                }
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }

    /// How many messages wait or are in flight.
    pub fn queued_runs(&self) -> Result<u64, StoreError> {
        self.read_db(|db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let t = txn.open_table(RUN_QUEUE).map_err(unavailable)?;
            t.len().map_err(unavailable)
        })
    }

    /// Makes every message visible: called when the store opens, since no consumer survives a
    /// restart.
    pub(crate) fn reveal_runs(db: &redb::Database) -> Result<(), StoreError> {
        let txn = db.begin_write().map_err(unavailable)?;
        {
            let mut t = txn.open_table(RUN_QUEUE).map_err(unavailable)?;
            let mut hidden = Vec::new();
            for entry in t.iter().map_err(unavailable)? {
                let (k, v) = entry.map_err(unavailable)?;
                let mut q: Queued = decode(v.value())?;
                if q.visible_at != 0 {
                    q.visible_at = 0;
                    hidden.push((k.value().to_owned(), encode(&q)?));
                }
            }
            for (k, v) in hidden {
                t.insert(k.as_str(), v.as_slice()).map_err(unavailable)?;
            }
        }
        txn.commit().map_err(unavailable)
    }
}

#[async_trait]
impl RunQueue for EmbeddedStore {
    async fn send(&self, messages: &[RunMessage]) -> Result<(), StoreError> {
        let stamp = self.clock.now().timestamp_micros();
        let entries = messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                // Plans first: a worker that takes the next slice's plan while the others issue
                // this slice keeps every worker busy (SQS keeps no order; this queue may).
                let class = if matches!(m, RunMessage::Plan { .. }) { 0 } else { 1 };
                let key = format!("{class}-{stamp:020}-{}-{i:06}", crate::clock::IdGenerator::token(&crate::clock::RandomIds, 8));
                Ok((key, encode(&Queued { message: m.clone(), visible_at: 0, receives: 0 })?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            {
                let mut t = txn.open_table(RUN_QUEUE).map_err(unavailable)?;
                for (k, v) in &entries {
                    t.insert(k.as_str(), v.as_slice()).map_err(unavailable)?;
                }
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }
}
