//! Month-end runs: one call, then poll.

// Each function only carries its operation's annotation; nothing calls it.
#![allow(dead_code)]

use utoipa::IntoParams;

use super::params::{IdempotencyKeyOptional, Paging, RunPath};
use crate::domain::BillingPeriod;
use crate::error::Problem;
use crate::export::csv;
use crate::service::contracts::PageView;
use crate::service::runs::{DryRun, RunInput, RunView};

/// A page of runs.
type RunPage = PageView<RunView>;

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct RunQuery {
    /// Only runs of this period.
    #[param(nullable = false)]
    period: Option<BillingPeriod>,
}

/// Starts a month-end run.
///
/// Generates the period's drafts from contracts (unless `generate` is false), then issues every
/// draft of the period, in the background: poll the run at `Location`. One active run per period.
/// A dry run (`dryRun: true`) answers what it would do and writes nothing.
#[utoipa::path(
    post,
    path = "/v1/invoice-runs",
    operation_id = "create-invoice-run",
    tag = "runs",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(IdempotencyKeyOptional),
    request_body(content = RunInput, description = "The period, and optionally which tenants, whether to generate, whether to only try."),
    responses(
        (status = 200, description = "A dry run: per tenant what generating gives, how many drafts would be issued, their total. Nothing is written.",
            body = DryRun),
        (status = 202, description = "Queued (or, with `Idempotent-Replayed: true`, the first answer to this key).", body = RunView, headers(
            ("Location" = String, description = "`/v1/invoice-runs/{runId}`: poll it."),
            ("Idempotent-Replayed" = String, description = "`true` on a replay of an earlier answer."),
        )),
        (status = 409, description = "A run for the period is queued or running already (the detail names it); the issuer is not \
            set yet; or a request with this `Idempotency-Key` is still being processed.",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "This `Idempotency-Key` was used for a different request.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn create_invoice_run() {}

/// Lists month-end runs.
///
/// In id order (so period order), a page at a time, each with its state and counts; `nextCursor`
/// is a string exactly when more match.
#[utoipa::path(
    get,
    path = "/v1/invoice-runs",
    operation_id = "list-invoice-runs",
    tag = "runs",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(RunQuery, Paging),
    responses(
        (status = 200, description = "A page of runs.", body = RunPage),
    )
)]
pub(super) fn list_invoice_runs() {}

/// Reads a month-end run.
///
/// Its state, counts (issued + failed + cancelled + remaining = total), up to 100 failures with
/// their reasons, times and rate.
#[utoipa::path(
    get,
    path = "/v1/invoice-runs/{runId}",
    operation_id = "get-invoice-run",
    tag = "runs",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(RunPath),
    responses(
        (status = 200, description = "The run.", body = RunView),
        (status = 404, description = "No such run.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn get_invoice_run() {}

/// Cancels a month-end run.
///
/// It takes no new item: records not yet issued stay drafts (`cancelled` in the counts); what was
/// issued stays issued. A run that has finished is answered as it is.
#[utoipa::path(
    post,
    path = "/v1/invoice-runs/{runId}/cancel",
    operation_id = "cancel-invoice-run",
    tag = "runs",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(RunPath),
    responses(
        (status = 200, description = "The run, cancelled (or finished before).", body = RunView),
        (status = 404, description = "No such run.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn cancel_invoice_run() {}

/// Downloads a run's report as CSV, streamed.
///
/// One row per billing record the run took: tenant, record, invoice number, total (tax included),
/// state (`pending`, `issued`, `failed`, `cancelled`), failure reason. UTF-8 with a BOM, RFC 4180,
/// formula-guarded reasons; read and sent page by page.
#[utoipa::path(
    get,
    path = "/v1/invoice-runs/{runId}/report.csv",
    operation_id = "run-report",
    tag = "runs",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(RunPath),
    responses(
        (status = 200, description = "The report, streamed.", content(
            (String = "text/csv; charset=utf-8; header=present", example = json!(csv::run_header_row())),
        ), headers(
            ("Content-Disposition" = String, description = "`attachment`, named `run-<runId>.csv`."),
            ("Cache-Control" = String, description = "`private, no-store`."),
        )),
        (status = 404, description = "No such run.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn run_report() {}
