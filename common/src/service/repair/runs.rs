//! Month-end runs: counts against items, and runs that stopped moving.

use chrono::TimeDelta;

use super::{Action, Kind, Options, Report, settled};
use crate::app::App;
use crate::domain::{InvoiceRun, ItemState, RunCounts, RunItem, RunState};
use crate::error::ApiError;
use crate::service::all_pages;
use crate::store::RunMessage;

/// Finished runs are looked at for this long after they finish (the sweep runs far more often):
/// their items do not change any more, and old runs' items need not be read again and again.
const RECENTLY_FINISHED: TimeDelta = TimeDelta::days(2);

pub(super) async fn sweep(app: &App, o: &Options, r: &mut Report) -> Result<(), ApiError> {
    let runs = all_pages(|page| async move { app.stores.runs.list_runs(None, &page).await }).await?;
    r.checked.runs = runs.len() as u64;
    let now = app.clock.now();
    for run in runs {
        if run.finished_at.is_some_and(|f| settled(f, now, RECENTLY_FINISHED)) {
            continue;
        }
        let id = &run.run_id;
        let Some((run, before)) = app.stores.runs.get_run(id).await? else { continue };
        let items = all_pages(|page| async move { app.stores.runs.list_items(id, &page).await }).await?;
        let Some((_, after)) = app.stores.runs.get_run(id).await? else { continue };
        // Counts that moved while the items were read are a run at work, not a fault.
        if before == after {
            let counted = count(&items);
            if counted != after {
                let detail = format!("the counts say {after:?}, its items {counted:?} (they are written together, so something wrote one without the other)");
                r.add(Kind::RunCounts, id.as_str(), Action::Reported, detail);
            }
        }
        stuck(app, o, &run, &after, &items, r).await;
    }
    Ok(())
}

/// What the items add up to.
fn count(items: &[RunItem]) -> RunCounts {
    let mut c = RunCounts { total: items.len() as u64, ..RunCounts::default() };
    for i in items {
        match i.state {
            ItemState::Issued => c.issued += 1,
            ItemState::Failed => c.failed += 1,
            ItemState::Cancelled => c.cancelled += 1,
            ItemState::Pending => {}
        }
    }
    c
}

/// A running run with nothing left is finished; one stuck with work left long after it began gets
/// its messages again (every step they trigger is idempotent).
async fn stuck(app: &App, o: &Options, run: &InvoiceRun, counts: &RunCounts, items: &[RunItem], r: &mut Report) {
    let id = &run.run_id;
    let now = app.clock.now();
    let since = run.started_at.unwrap_or(run.created_at);
    match run.state {
        RunState::Running if counts.remaining() == 0 => {
            let done = if o.dry_run { Ok(()) } else { crate::service::runs::finish_if_done(app, id).await };
            r.outcome(Kind::StuckRun, id.as_str(), Action::Repaired, "running with every item settled: finished", done);
        }
        RunState::Running if settled(since, now, o.stale_run) => {
            let pending: Vec<RunMessage> = items
                .iter()
                .filter(|i| i.state == ItemState::Pending)
                .map(|i| RunMessage::Issue { run_id: id.clone(), tenant_id: i.tenant_id.clone(), billing_id: i.billing_id.clone() })
                .collect();
            let detail = format!("running since {since} with {} items pending: their messages queued again", pending.len());
            let sent = if o.dry_run || pending.is_empty() { Ok(()) } else { app.stores.queue.send(&pending).await.map_err(ApiError::from) };
            r.outcome(Kind::StuckRun, id.as_str(), Action::Repaired, detail, sent);
        }
        RunState::Queued if settled(run.created_at, now, o.stale_run) => {
            let detail = format!("queued since {} and never planned: its plan queued again", run.created_at);
            let plan = [RunMessage::Plan { run_id: id.clone(), after: None }];
            let sent = if o.dry_run { Ok(()) } else { app.stores.queue.send(&plan).await.map_err(ApiError::from) };
            r.outcome(Kind::StuckRun, id.as_str(), Action::Repaired, detail, sent);
        }
        _ => {}
    }
}
