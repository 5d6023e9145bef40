//! Metered counters in redb: one record per tenant and day, added to inside a write transaction
//! (redb's writers are exclusive, so concurrent additions cannot lose one another).

use async_trait::async_trait;
use chrono::NaiveDate;
use redb::ReadableTable;

use super::{EmbeddedStore, METERING, decode, encode, unavailable};
use crate::domain::{Metered, TenantId};
use crate::store::{MeteringStore, StoreError};

fn day_key(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

#[async_trait]
impl MeteringStore for EmbeddedStore {
    async fn add_metered(&self, tenant: &TenantId, day: NaiveDate, delta: &Metered) -> Result<(), StoreError> {
        self.add_metered_many(day, &[(tenant.clone(), *delta)]).await
    }

    async fn add_metered_many(&self, day: NaiveDate, deltas: &[(TenantId, Metered)]) -> Result<(), StoreError> {
        let (day, deltas) = (day_key(day), deltas.iter().map(|(t, d)| (t.to_string(), *d)).collect::<Vec<_>>());
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            {
                let mut t = txn.open_table(METERING).map_err(unavailable)?;
                for (tenant, delta) in &deltas {
                    let mut total: Metered = match t.get((tenant.as_str(), day.as_str())).map_err(unavailable)? {
                        Some(v) => decode(v.value())?,
                        None => Metered::default(),
                    };
                    total += *delta;
                    t.insert((tenant.as_str(), day.as_str()), encode(&total)?.as_slice()).map_err(unavailable)?;
                }
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }

    async fn metered(&self, tenant: &TenantId, from: NaiveDate, to: NaiveDate) -> Result<Vec<(NaiveDate, Metered)>, StoreError> {
        let (lo, hi) = (day_key(from), day_key(to));
        self.read_db(|db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let t = txn.open_table(METERING).map_err(unavailable)?;
            let mut out = Vec::new();
            for entry in t.range((tenant.as_str(), lo.as_str())..=(tenant.as_str(), hi.as_str())).map_err(unavailable)? {
                let (k, v) = entry.map_err(unavailable)?;
                let day = NaiveDate::parse_from_str(k.value().1, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(format!("metering day: {e}")))?;
                out.push((day, decode(v.value())?));
            }
            Ok(out)
        })
    }
}
