//! Month-end invoice runs. Starting one writes the run and queues one `Plan` message; the worker
//! plans (generates drafts, adds an item per draft, queues an `Issue` per item) and issues, one
//! message at a time, from as many workers as the queue feeds. Every step is idempotent, so a
//! redelivered message, a worker that dies mid-way or a second start change nothing twice:
//! issuing a record twice returns its one invoice, and an item is settled (and counted) once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::caller::Caller;
use crate::domain::{
    BillingFilter, BillingPeriod, BillingStatus, InvoiceRun, ItemState, RunCounts, RunId, RunItem, RunRequest, RunState, TenantId, TenantStatus,
};
use crate::error::ApiError;
use crate::store::{Owner, Page, PageRequest, PrincipalArn, RunMessage, StoreError};
use crate::validation::Validator;

use super::generation::{self, Generated, Outcome};

mod worker;
pub use worker::{process, process_batch};

/// Deliveries of one `Issue` message before a retryable failure counts as the item's failure.
pub const MAX_ATTEMPTS: u32 = 3;
/// How many attempts a version race gets before giving up (another writer keeps winning).
const MAX_RACES: usize = 50;
/// Failures a run's view lists (the report lists them all).
const FAILURES_SHOWN: usize = 100;

/// `POST /v1/invoice-runs`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunInput {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::BillingPeriod))]
    pub period: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::domain::TenantId>>, min_items = 1))]
    pub tenants: Option<Vec<String>>,
    #[serde(default)]
    pub generate: Option<bool>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RunFailure))]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub tenant_id: TenantId,
    pub billing_id: crate::domain::BillingId,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CountsView {
    pub total: u64,
    pub issued: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub remaining: u64,
}

/// A run as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    pub run_id: RunId,
    pub period: BillingPeriod,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub tenants: Option<Vec<TenantId>>,
    pub generate: bool,
    pub state: RunState,
    pub cancel_requested: bool,
    pub counts: CountsView,
    /// Invoices issued per second since the run started.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub issued_per_second: Option<f64>,
    pub failures: Vec<Failure>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub finished_at: Option<DateTime<Utc>>,
}

impl RunView {
    pub fn of(run: InvoiceRun, counts: RunCounts, failures: Vec<Failure>, now: DateTime<Utc>) -> Self {
        let rate = run.started_at.map(|s| {
            let secs = (run.finished_at.unwrap_or(now) - s).num_milliseconds().max(1) as f64 / 1000.0;
            (counts.issued as f64 / secs * 10.0).round() / 10.0
        });
        Self {
            run_id: run.run_id,
            period: run.request.period,
            tenants: run.request.tenants,
            generate: run.request.generate,
            state: run.state,
            cancel_requested: run.cancel_requested,
            counts: CountsView {
                total: counts.total,
                issued: counts.issued,
                failed: counts.failed,
                cancelled: counts.cancelled,
                remaining: counts.remaining(),
            },
            issued_per_second: rate,
            failures,
            created_at: run.created_at,
            started_at: run.started_at,
            finished_at: run.finished_at,
        }
    }
}

/// What a dry run would do: per tenant, what generating gives (or the drafts already there).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DryRunReport))]
#[serde(rename_all = "camelCase")]
pub struct DryRun {
    pub period: BillingPeriod,
    pub dry_run: bool,
    pub tenants: Vec<Generated>,
    /// Drafts that would be issued (generated ones and those already there).
    pub to_issue: u64,
    /// Their total, tax included, with today's rounding.
    pub total: i64,
}

/// What a start answers: the run, or a dry run's report.
#[derive(Debug)]
pub enum Started {
    Run(Box<RunView>),
    DryRun(DryRun),
}

/// The caller the worker issues as: the operator, through the run.
fn worker() -> Result<Caller, ApiError> {
    let principal = PrincipalArn::parse("arn:aws:iam::000000000000:role/seikyu-run-worker").map_err(ApiError::Internal)?;
    Ok(Caller { principal, owner: Owner::Operator, api_key_id: None })
}

fn parse_request(input: RunInput) -> Result<(RunRequest, bool), ApiError> {
    let mut v = Validator::new();
    let period = v.check("period", BillingPeriod::parse(&input.period));
    let tenants = input.tenants.map(|list| {
        if list.is_empty() {
            v.add("tenants", "must name at least one tenant, or be left out for every active tenant");
        }
        list.iter().enumerate().filter_map(|(i, t)| v.check(&format!("tenants[{i}]"), TenantId::parse(t))).collect::<Vec<_>>()
    });
    let period = v.finish_with(period)?;
    let mut tenants = tenants;
    if let Some(t) = tenants.as_mut() {
        t.sort();
        t.dedup();
    }
    Ok((RunRequest { period, tenants, generate: input.generate.unwrap_or(true) }, input.dry_run.unwrap_or(false)))
}

/// Tenants one plan message takes: few enough that generating and listing their drafts stays well
/// inside a worker's timeout.
const PLAN_SLICE: usize = 50;

/// One slice of the tenants a run covers (those asked for, or every active tenant) after the
/// position `after`, and the position of the next slice, if any.
async fn tenant_slice(app: &App, request: &RunRequest, after: Option<&str>) -> Result<(Vec<TenantId>, Option<String>), ApiError> {
    if let Some(all) = &request.tenants {
        let start: usize = after.and_then(|a| a.parse().ok()).unwrap_or(0);
        let end = (start + PLAN_SLICE).min(all.len());
        let next = (end < all.len()).then(|| end.to_string());
        return Ok((all.get(start..end).unwrap_or_default().to_vec(), next));
    }
    let page = app.stores.tenants.list_tenants(&PageRequest { limit: PLAN_SLICE, cursor: after.map(str::to_owned) }).await?;
    Ok((page.items.into_iter().filter(|t| t.status == TenantStatus::Active).map(|t| t.tenant_id).collect(), page.next_cursor))
}

/// Every tenant a run covers (the dry run's report).
async fn tenants_of(app: &App, request: &RunRequest) -> Result<Vec<TenantId>, ApiError> {
    let (mut out, mut after) = (Vec::new(), None);
    loop {
        let (slice, next) = tenant_slice(app, request, after.as_deref()).await?;
        out.extend(slice);
        match next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// A tenant's drafts for the period, every page.
async fn drafts_of(app: &App, tenant: &TenantId, period: BillingPeriod) -> Result<Vec<crate::domain::BillingRecord>, ApiError> {
    let filter = BillingFilter { from: Some(period), to: Some(period), statuses: Some(vec![BillingStatus::Draft]) };
    let filter = &filter;
    Ok(super::all_pages(|page| async move { app.stores.billings.list_billings(tenant, filter, &page).await }).await?)
}

/// Starts a run (operator only): 202 with the queued run, or a dry run's report that writes
/// nothing. A second run for a period while one is active is refused, naming it.
pub async fn start(app: &App, caller: &Caller, input: RunInput) -> Result<Started, ApiError> {
    caller.require_operator()?;
    let (request, dry_run) = parse_request(input)?;
    let issuer = app.stores.invoices.get_issuer().await?.ok_or_else(|| ApiError::Conflict("Set the issuer (PUT /v1/issuer) before starting a run.".into()))?;
    if dry_run {
        return Ok(Started::DryRun(dry(app, &request, &issuer).await?));
    }
    let now = app.clock.now();
    let run = InvoiceRun {
        run_id: RunId::new(request.period, app.ids.eight()),
        request,
        state: RunState::Queued,
        cancel_requested: false,
        created_at: now,
        started_at: None,
        finished_at: None,
        version: 1,
    };
    match app.stores.runs.create_run(&run).await {
        Ok(()) => {}
        Err(StoreError::AlreadyExists) => {
            let holder = app.stores.runs.active_run(run.request.period).await?.map(|r| r.to_string()).unwrap_or_else(|| "another run".into());
            return Err(ApiError::Conflict(format!("A run for {} is already active: {holder}. Wait for it to finish, or cancel it.", run.request.period)));
        }
        // The write may have happened (a timeout): then the run holds the period, and only going
        // on queues its plan (a retry would meet it as "already active").
        Err(e) => {
            if !matches!(app.stores.runs.get_run(&run.run_id).await, Ok(Some(_))) {
                return Err(e.into());
            }
            tracing::warn!(run_id = %run.run_id, error = %e, "creating the run answered an error, but it is stored");
        }
    }
    if let Err(e) = app.stores.queue.send(&[RunMessage::Plan { run_id: run.run_id.clone(), after: None }]).await {
        // A run nobody will plan must not hold its period.
        let gave_up = InvoiceRun { state: RunState::Cancelled, finished_at: Some(app.clock.now()), version: 2, ..run.clone() };
        let _ = app.stores.runs.replace_run(&gave_up, 1).await;
        return Err(e.into());
    }
    tracing::info!(run_id = %run.run_id, period = %run.request.period, "invoice run queued");
    Ok(Started::Run(Box::new(RunView::of(run, RunCounts::default(), Vec::new(), now))))
}

async fn dry(app: &App, request: &RunRequest, issuer: &crate::domain::IssuerSettings) -> Result<DryRun, ApiError> {
    let (mut reports, mut to_issue, mut total) = (Vec::new(), 0u64, 0i64);
    for tenant in tenants_of(app, request).await? {
        let drafts = drafts_of(app, &tenant, request.period).await?;
        for d in &drafts {
            to_issue += 1;
            total += d.totals(issuer.rounding).map(|(t, _)| t.total.get()).unwrap_or(0);
        }
        if request.generate {
            let g = generation::draft_for(app, &tenant, request.period, issuer, true).await?;
            if g.outcome == Outcome::Created {
                to_issue += 1;
                total += g.totals.as_ref().map_or(0, |t| t.total.get());
            }
            reports.push(g);
        }
    }
    Ok(DryRun { period: request.period, dry_run: true, tenants: reports, to_issue, total })
}

/// The first failures of a run, in item order.
async fn failures(app: &App, run: &RunId, counts: &RunCounts) -> Result<Vec<Failure>, ApiError> {
    let (mut out, mut cursor) = (Vec::new(), None);
    if counts.failed == 0 {
        return Ok(out);
    }
    loop {
        let page = app.stores.runs.list_items(run, &PageRequest { limit: 1000, cursor }).await?;
        for i in page.items.into_iter().filter(|i| i.state == ItemState::Failed) {
            out.push(Failure { tenant_id: i.tenant_id, billing_id: i.billing_id, reason: i.reason.unwrap_or_default() });
            if out.len() == FAILURES_SHOWN || out.len() as u64 == counts.failed {
                return Ok(out);
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

pub async fn get(app: &App, caller: &Caller, id: &RunId) -> Result<RunView, ApiError> {
    caller.require_operator()?;
    let (run, counts) = app.stores.runs.get_run(id).await?.ok_or(ApiError::NotFound)?;
    let failed = failures(app, id, &counts).await?;
    Ok(RunView::of(run, counts, failed, app.clock.now()))
}

pub async fn list(app: &App, caller: &Caller, period: Option<BillingPeriod>, page: &PageRequest) -> Result<Page<RunView>, ApiError> {
    caller.require_operator()?;
    let runs = app.stores.runs.list_runs(period, page).await?;
    let mut items = Vec::with_capacity(runs.items.len());
    for run in runs.items {
        let counts = app.stores.runs.get_run(&run.run_id).await?.map(|(_, c)| c).unwrap_or_default();
        items.push(RunView::of(run, counts, Vec::new(), app.clock.now()));
    }
    Ok(Page { items, next_cursor: runs.next_cursor })
}

/// Applies `change` to the stored run until the write wins (or `change` says there is nothing to do).
async fn update_run(app: &App, id: &RunId, change: impl Fn(&InvoiceRun, &RunCounts) -> Option<InvoiceRun>) -> Result<Option<InvoiceRun>, ApiError> {
    for _ in 0..MAX_RACES {
        let Some((run, counts)) = app.stores.runs.get_run(id).await? else { return Ok(None) };
        let Some(next) = change(&run, &counts) else { return Ok(Some(run)) };
        match app.stores.runs.replace_run(&next, run.version).await {
            Ok(()) => return Ok(Some(next)),
            Err(StoreError::VersionMismatch) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Unavailable(format!("run {id} kept changing")))
}

/// Cancels a run (operator only): it takes no new item; what is not issued stays draft.
/// Cancelling a run that has finished changes nothing and answers it as it is (a retried cancel
/// must not fail).
pub async fn cancel(app: &App, caller: &Caller, id: &RunId) -> Result<RunView, ApiError> {
    caller.require_operator()?;
    app.stores.runs.get_run(id).await?.ok_or(ApiError::NotFound)?;
    let now = app.clock.now();
    update_run(app, id, |r, _| {
        (r.state.is_active() && !r.cancel_requested).then(|| InvoiceRun { cancel_requested: true, version: r.version + 1, ..r.clone() })
    })
    .await?;
    finish_if_done(app, id).await?;
    let (run, counts) = app.stores.runs.get_run(id).await?.ok_or(ApiError::NotFound)?;
    let failed = failures(app, id, &counts).await?;
    Ok(RunView::of(run, counts, failed, now))
}

/// Finishes a running run whose items are all settled.
pub(crate) async fn finish_if_done(app: &App, id: &RunId) -> Result<(), ApiError> {
    let now = app.clock.now();
    let finished = update_run(app, id, |r, c| {
        (r.state == RunState::Running && c.remaining() == 0).then(|| InvoiceRun {
            state: r.finished_state(c),
            finished_at: Some(now),
            version: r.version + 1,
            ..r.clone()
        })
    })
    .await?;
    if let Some(r) = finished.filter(|r| !r.state.is_active()) {
        tracing::info!(run_id = %id, state = r.state.as_str(), "invoice run finished");
    }
    Ok(())
}

/// A page of a run's items, for its report (operator only).
pub async fn items(app: &App, caller: &Caller, id: &RunId, page: &PageRequest) -> Result<Page<RunItem>, ApiError> {
    caller.require_operator()?;
    if page.cursor.is_none() && app.stores.runs.get_run(id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(app.stores.runs.list_items(id, page).await?)
}

/// The invoices `run` issued for `tenant` (operator only): what a run's ZIP for one tenant holds.
pub async fn issued_for(
    app: &App,
    caller: &Caller,
    id: &RunId,
    tenant: &TenantId,
) -> Result<std::collections::BTreeSet<crate::domain::InvoiceNumber>, ApiError> {
    caller.require_operator()?;
    app.stores.runs.get_run(id).await?.ok_or(ApiError::NotFound)?;
    let items = super::all_pages(|page| async move { app.stores.runs.list_items(id, &page).await }).await?;
    Ok(items.into_iter().filter(|i| i.tenant_id == *tenant && i.state == ItemState::Issued).filter_map(|i| i.invoice_number).collect())
}
