//! Month-end runs in redb. A run's header, its counts and its period claim live in the `runs`
//! table (`("run", id)`, `("counts", id)`, `("active", period)`), its items in `run_items` keyed
//! by run and item; every change that moves a count happens in the same write transaction.

use async_trait::async_trait;
use redb::ReadableTable;

use super::tables::{Cond, Span, check};
use super::{EmbeddedStore, RUN_ITEMS, RUNS, audit, decode, encode, unavailable};
use crate::domain::{BillingId, BillingPeriod, InvoiceRun, ItemState, RunCounts, RunId, RunItem, Settlement, TenantId};
use crate::store::{Page, PageRequest, RunStore, StoreError};

const RUN: &str = "run";
const COUNTS: &str = "counts";
const ACTIVE: &str = "active";

fn runs_scope(period: Option<BillingPeriod>) -> String {
    format!("runs?period={}", period.map(|p| p.to_string()).unwrap_or_default())
}

#[async_trait]
impl RunStore for EmbeddedStore {
    async fn create_run(&self, run: &InvoiceRun) -> Result<(), StoreError> {
        let (id, period, value) = (run.run_id.to_string(), run.request.period.to_string(), encode(run)?);
        let counts = encode(&RunCounts::default())?;
        let entries = audit::prepare(audit::change("runs", Some(RUN), &id, &value, Cond::Absent).into_iter().collect())?;
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            audit::write_entries(&txn, &entries)?;
            {
                let mut t = txn.open_table(RUNS).map_err(unavailable)?;
                if t.get((ACTIVE, period.as_str())).map_err(unavailable)?.is_some() || t.get((RUN, id.as_str())).map_err(unavailable)?.is_some() {
                    return Err(StoreError::AlreadyExists);
                }
                t.insert((RUN, id.as_str()), value.as_slice()).map_err(unavailable)?;
                t.insert((COUNTS, id.as_str()), counts.as_slice()).map_err(unavailable)?;
                t.insert((ACTIVE, period.as_str()), id.as_bytes()).map_err(unavailable)?;
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }

    async fn active_run(&self, period: BillingPeriod) -> Result<Option<RunId>, StoreError> {
        let period = period.to_string();
        let raw: Option<Vec<u8>> = self.read_db(|db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let t = txn.open_table(RUNS).map_err(unavailable)?;
            Ok(t.get((ACTIVE, period.as_str())).map_err(unavailable)?.map(|g| g.value().to_vec()))
        })?;
        raw.map(|b| RunId::parse(&String::from_utf8_lossy(&b)).map_err(StoreError::Corrupt)).transpose()
    }

    async fn get_run(&self, id: &RunId) -> Result<Option<(InvoiceRun, RunCounts)>, StoreError> {
        let Some(run) = self.get_item::<InvoiceRun>(RUNS, RUN, id.as_str())? else { return Ok(None) };
        let counts = self.get_item::<RunCounts>(RUNS, COUNTS, id.as_str())?.unwrap_or_default();
        Ok(Some((run, counts)))
    }

    async fn replace_run(&self, run: &InvoiceRun, expected_version: u64) -> Result<(), StoreError> {
        let (id, period, value, active) = (run.run_id.to_string(), run.request.period.to_string(), encode(run)?, run.state.is_active());
        let entries = audit::prepare(audit::change("runs", Some(RUN), &id, &value, Cond::Version(expected_version)).into_iter().collect())?;
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            audit::write_entries(&txn, &entries)?;
            {
                let mut t = txn.open_table(RUNS).map_err(unavailable)?;
                let existing = t.get((RUN, id.as_str())).map_err(unavailable)?.map(|g| g.value().to_vec());
                check(Cond::Version(expected_version), existing.as_deref())?;
                t.insert((RUN, id.as_str()), value.as_slice()).map_err(unavailable)?;
                let holder = t.get((ACTIVE, period.as_str())).map_err(unavailable)?.map(|g| g.value().to_vec());
                if !active && holder.as_deref() == Some(id.as_bytes()) {
                    t.remove((ACTIVE, period.as_str())).map_err(unavailable)?;
                }
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }

    async fn list_runs(&self, period: Option<BillingPeriod>, page: &PageRequest) -> Result<Page<InvoiceRun>, StoreError> {
        let scope = runs_scope(period);
        let after = page.cursor.as_deref().map(|c| self.codec.open_global(&scope, c)).transpose()?;
        let (from, to) = match period {
            Some(p) => (format!("run-{p}-"), Some(format!("run-{p}-~"))),
            None => (String::new(), None),
        };
        let (items, more) = self.page_items(RUNS, RUN, &Span { from, to, after }, page.limit.max(1), |_: &InvoiceRun| true)?;
        let next_cursor = self.codec.next_global(&scope, more, items.last().map(|r| r.run_id.as_str()));
        Ok(Page { items, next_cursor })
    }

    async fn add_items(&self, items: &[RunItem]) -> Result<u64, StoreError> {
        let encoded = items.iter().map(|i| Ok((i.run_id.to_string(), i.key(), encode(i)?))).collect::<Result<Vec<_>, StoreError>>()?;
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            let mut added = 0u64;
            {
                let mut t = txn.open_table(RUN_ITEMS).map_err(unavailable)?;
                let mut per_run: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
                for (run, key, value) in &encoded {
                    if t.get((run.as_str(), key.as_str())).map_err(unavailable)?.is_none() {
                        t.insert((run.as_str(), key.as_str()), value.as_slice()).map_err(unavailable)?;
                        *per_run.entry(run.clone()).or_default() += 1;
                        added += 1;
                    }
                }
                let mut runs = txn.open_table(RUNS).map_err(unavailable)?;
                for (run, n) in per_run {
                    let current = runs.get((COUNTS, run.as_str())).map_err(unavailable)?.map(|g| decode::<RunCounts>(g.value())).transpose()?;
                    let next = encode(&(current.unwrap_or_default() + RunCounts { total: n, ..RunCounts::default() }))?;
                    runs.insert((COUNTS, run.as_str()), next.as_slice()).map_err(unavailable)?;
                }
            }
            txn.commit().map_err(unavailable)?;
            Ok(added)
        })
        .await
    }

    async fn settle_items(&self, settle: &[(RunItem, Settlement)]) -> Result<Vec<bool>, StoreError> {
        let rows = settle
            .iter()
            .map(|(item, how)| Ok((item.run_id.to_string(), item.key(), encode(&how.apply(item))?, how.delta())))
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            let mut out = Vec::with_capacity(rows.len());
            {
                let mut t = txn.open_table(RUN_ITEMS).map_err(unavailable)?;
                let mut per_run: std::collections::BTreeMap<&str, RunCounts> = std::collections::BTreeMap::new();
                for (run, key, settled, delta) in &rows {
                    let stored = t.get((run.as_str(), key.as_str())).map_err(unavailable)?.map(|g| decode::<RunItem>(g.value())).transpose()?;
                    match stored {
                        None => return Err(StoreError::VersionMismatch),
                        Some(s) if s.state != ItemState::Pending => {
                            out.push(false);
                            continue;
                        }
                        Some(_) => {}
                    }
                    t.insert((run.as_str(), key.as_str()), settled.as_slice()).map_err(unavailable)?;
                    let sum = per_run.entry(run.as_str()).or_default();
                    *sum = *sum + *delta;
                    out.push(true);
                }
                let mut runs = txn.open_table(RUNS).map_err(unavailable)?;
                for (run, delta) in per_run {
                    let current = runs.get((COUNTS, run)).map_err(unavailable)?.map(|g| decode::<RunCounts>(g.value())).transpose()?;
                    let next = encode(&(current.unwrap_or_default() + delta))?;
                    runs.insert((COUNTS, run), next.as_slice()).map_err(unavailable)?;
                }
            }
            txn.commit().map_err(unavailable)?;
            Ok(out)
        })
        .await
    }

    async fn get_item(&self, run: &RunId, tenant: &TenantId, billing: &BillingId) -> Result<Option<RunItem>, StoreError> {
        self.get_item(RUN_ITEMS, run.as_str(), &format!("{tenant}#{billing}"))
    }

    async fn list_items(&self, run: &RunId, page: &PageRequest) -> Result<Page<RunItem>, StoreError> {
        let scope = format!("runs/{run}/items");
        let after = page.cursor.as_deref().map(|c| self.codec.open_global(&scope, c)).transpose()?;
        let (items, more) = self.page_items(RUN_ITEMS, run.as_str(), &Span { from: String::new(), to: None, after }, page.limit.max(1), |_: &RunItem| true)?;
        let next_cursor = self.codec.next_global(&scope, more, items.last().map(|i| i.key()).as_deref());
        Ok(Page { items, next_cursor })
    }
}
