//! The run's worker: what each queued message does. A batch's `Issue` messages are issued
//! together (their numbers bound in one transaction, their PDFs rendered in parallel) and settled
//! in one write; every step is idempotent, so a redelivered message changes nothing twice.

use std::collections::BTreeMap;

use super::{MAX_ATTEMPTS, drafts_of, finish_if_done, tenant_slice, update_run, worker};
use crate::app::App;
use crate::domain::{InvoiceRun, ItemState, RunId, RunItem, RunState, Settlement};
use crate::error::ApiError;
use crate::service::{generation, issue_batch};
use crate::store::RunMessage;

/// Handles one delivered message (`receives`: its deliveries so far, 1 for the first). `Err`:
/// leave it for a later delivery.
pub async fn process(app: &App, message: &RunMessage, receives: u32) -> Result<(), ApiError> {
    process_batch(app, &[(message.clone(), receives)]).await.pop().unwrap_or(Ok(()))
}

/// Handles a batch of delivered messages: for each, in order, what `process` would answer. Its
/// changes are audited as the worker's.
pub async fn process_batch(app: &App, batch: &[(RunMessage, u32)]) -> Vec<Result<(), ApiError>> {
    let actor = crate::audit::Actor::new("run-worker", String::new(), app.ids.token(4), app.clock.now());
    crate::audit::scope(actor, async {
        match worker() {
            Ok(w) => crate::audit::set_caller(w.principal.as_str(), w.role(), None),
            Err(e) => tracing::error!(error = %e, "the worker's principal does not parse; its changes go unaudited"),
        }
        batch_in_scope(app, batch).await
    })
    .await
}

async fn batch_in_scope(app: &App, batch: &[(RunMessage, u32)]) -> Vec<Result<(), ApiError>> {
    let mut out: Vec<Result<(), ApiError>> = batch.iter().map(|_| Ok(())).collect();
    let mut issues = Vec::new();
    for (i, (message, receives)) in batch.iter().enumerate() {
        match message {
            RunMessage::Plan { run_id, after } => {
                if let Some(slot) = out.get_mut(i) {
                    *slot = plan(app, run_id, after.as_deref()).await;
                }
            }
            RunMessage::Issue { run_id, tenant_id, billing_id } => {
                issues.push(Pending { at: i, item: RunItem::pending(run_id.clone(), tenant_id.clone(), billing_id.clone()), receives: *receives })
            }
        }
    }
    if issues.is_empty() {
        return out;
    }
    let settled = match issue(app, issues.clone()).await {
        Ok(settled) => settled,
        // Nothing of the batch was settled: each message comes back, and finds what was done.
        Err(e) => issues.iter().map(|p| (p.at, Err(ApiError::Unavailable(format!("the batch failed: {e}"))))).collect(),
    };
    for (i, outcome) in settled {
        if let Some(slot) = out.get_mut(i) {
            *slot = outcome;
        }
    }
    out
}

/// An `Issue` message of a batch: its position, its item, its deliveries so far.
#[derive(Clone)]
struct Pending {
    at: usize,
    item: RunItem,
    receives: u32,
}

async fn plan(app: &App, id: &RunId, after: Option<&str>) -> Result<(), ApiError> {
    let Some((run, _)) = app.stores.runs.get_run(id).await? else { return Ok(()) };
    if run.state == RunState::Running {
        // The last slice made it running and then failed (or this is a redelivery): finishing
        // may be all that is left, were every item settled meanwhile.
        return finish_if_done(app, id).await;
    }
    if run.state != RunState::Queued {
        return Ok(());
    }
    if run.cancel_requested {
        let now = app.clock.now();
        update_run(app, id, |r, _| {
            (r.state == RunState::Queued).then(|| InvoiceRun { state: RunState::Cancelled, finished_at: Some(now), version: r.version + 1, ..r.clone() })
        })
        .await?;
        return Ok(());
    }
    if run.started_at.is_none() {
        let now = app.clock.now();
        update_run(app, id, |r, _| (r.started_at.is_none()).then(|| InvoiceRun { started_at: Some(now), version: r.version + 1, ..r.clone() })).await?;
    }
    let issuer = app.stores.invoices.get_issuer().await?.ok_or_else(|| ApiError::Conflict("no issuer".into()))?;
    let period = run.request.period;
    let (tenants, next) = tenant_slice(app, &run.request, after).await?;
    let mut items = Vec::new();
    for tenant in tenants {
        if run.request.generate {
            match generation::draft_for(app, &tenant, period, &issuer, false).await {
                Ok(_) => {}
                // A tenant that cannot be generated for is the run's failure, not the run's end.
                Err(e @ (ApiError::NotFound | ApiError::Conflict(_))) => {
                    let item = RunItem::pending(id.clone(), tenant.clone(), generation::generated_id(&tenant, period));
                    app.stores.runs.add_items(std::slice::from_ref(&item)).await?;
                    let reason = if matches!(e, ApiError::NotFound) { "No such tenant.".to_owned() } else { e.problem("").detail };
                    app.stores.runs.settle_item(&item, &Settlement::Failed { reason }).await?;
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        items.extend(drafts_of(app, &tenant, period).await?.into_iter().map(|d| RunItem::pending(id.clone(), tenant.clone(), d.billing_id)));
    }
    app.stores.runs.add_items(&items).await?;
    // One Issue per item; on a redelivered slice, an item settled meanwhile skips its message
    // (`issue_one` reads it first). Workers may settle items while the run is queued: only a
    // running run finishes.
    let messages: Vec<RunMessage> =
        items.into_iter().map(|i| RunMessage::Issue { run_id: i.run_id, tenant_id: i.tenant_id, billing_id: i.billing_id }).collect();
    // The slice's Issue messages go out before the next Plan: were a send to fail part-way, this
    // slice is delivered again and sends them again, and no later slice can have moved on.
    app.stores.queue.send(&messages).await?;
    match next {
        Some(n) => {
            app.stores.queue.send(&[RunMessage::Plan { run_id: id.clone(), after: Some(n) }]).await?;
            Ok(())
        }
        None => {
            // Every item is in: the run is running, and finishes once they are all settled
            // (checked here too, for when the workers were quicker than this).
            let now = app.clock.now();
            update_run(app, id, |r, _| {
                (r.state == RunState::Queued).then(|| InvoiceRun {
                    state: RunState::Running,
                    started_at: r.started_at.or(Some(now)),
                    version: r.version + 1,
                    ..r.clone()
                })
            })
            .await?;
            tracing::info!(run_id = %id, "invoice run planned");
            finish_if_done(app, id).await
        }
    }
}

/// Whether an error is worth another delivery: storage that did not answer, or a render that broke.
fn retryable(e: &ApiError) -> bool {
    matches!(e, ApiError::Unavailable(_) | ApiError::Internal(_))
}

/// Issues the items still pending (cancelled runs' items are settled cancelled), then settles
/// them all in one write; for each message, `Err` when it should come back.
async fn issue(app: &App, batch: Vec<Pending>) -> Result<Vec<(usize, Result<(), ApiError>)>, ApiError> {
    let mut runs: BTreeMap<RunId, InvoiceRun> = BTreeMap::new();
    let (mut outcomes, mut settle, mut to_issue) = (Vec::new(), Vec::new(), Vec::new());
    for p in batch {
        let id = &p.item.run_id;
        if !runs.contains_key(id) {
            match app.stores.runs.get_run(id).await? {
                Some((run, _)) => runs.insert(id.clone(), run),
                None => {
                    outcomes.push((p.at, Ok(())));
                    continue;
                }
            };
        }
        let Some(item) = app.stores.runs.get_item(id, &p.item.tenant_id, &p.item.billing_id).await? else {
            outcomes.push((p.at, Ok(())));
            continue;
        };
        if item.state != ItemState::Pending {
            outcomes.push((p.at, Ok(())));
        } else if runs.get(id).is_some_and(|r| r.cancel_requested) {
            outcomes.push((p.at, Ok(())));
            settle.push((item, Settlement::Cancelled));
        } else {
            to_issue.push(Pending { item, ..p });
        }
    }
    let records: Vec<_> = to_issue.iter().map(|p| (p.item.tenant_id.clone(), p.item.billing_id.clone())).collect();
    let issued = issue_batch::issue_many(app, &worker()?, &records).await?;
    for (p, result) in to_issue.into_iter().zip(issued) {
        match settlement(&p, result) {
            Ok(s) => {
                outcomes.push((p.at, Ok(())));
                settle.push((p.item, s));
            }
            Err(e) => outcomes.push((p.at, Err(e))),
        }
    }
    app.stores.runs.settle_items(&settle).await?;
    for id in runs.keys() {
        finish_if_done(app, id).await?;
    }
    Ok(outcomes)
}

/// How issuing an item settles it; `Err` when it is worth another delivery.
fn settlement(p: &Pending, result: Result<(crate::domain::Invoice, bool), ApiError>) -> Result<Settlement, ApiError> {
    let (item, receives) = (&p.item, p.receives);
    match result {
        Ok((invoice, _)) => Ok(Settlement::Issued { invoice_number: invoice.invoice_number.clone(), total: invoice.totals.total }),
        Err(e) if retryable(&e) && receives < MAX_ATTEMPTS => {
            tracing::warn!(run_id = %item.run_id, tenant_id = %item.tenant_id, billing_id = %item.billing_id, receives, error = ?e, "issuing failed; it will be retried");
            Err(e)
        }
        Err(e) => {
            tracing::error!(run_id = %item.run_id, tenant_id = %item.tenant_id, billing_id = %item.billing_id, receives, error = ?e, "issuing failed for good");
            let reason = match &e {
                ApiError::NotFound => "The billing record no longer exists.".to_owned(),
                e if retryable(e) => format!("Issuing failed {receives} times; see the logs for this run and record, then issue the record again."),
                e => e.problem("").detail,
            };
            Ok(Settlement::Failed { reason })
        }
    }
}
