//! `seikyu run …`: month-end invoice runs: one call to start, then watch it to its end.

use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;
use http::Method;
use serde_json::{Map, Value};

use super::{Ctx, new_idempotency_key, set};
use crate::download::{self, Target};
use crate::error::CliError;
use crate::http::{Call, seg};
use crate::output::Column;
use crate::watch::watch;

#[derive(Debug, Subcommand)]
pub enum RunCmd {
    /// Start the run for a month: drafts generated from contracts, then every draft issued
    Start {
        /// The billing period, YYYY-MM
        period: String,
        /// Only these tenants (repeat; default every active tenant)
        #[arg(long = "tenant", value_name = "TENANT")]
        tenants: Vec<String>,
        /// Issue the period's drafts without generating any from contracts
        #[arg(long)]
        no_generate: bool,
        /// Show what would happen (per tenant, drafts and totals) and write nothing
        #[arg(long, conflicts_with = "watch")]
        dry_run: bool,
        /// Then watch it to its end, as `seikyu run watch`
        #[arg(long)]
        watch: bool,
        /// Between two polls while watching
        #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
        interval: f64,
        /// The Idempotency-Key (default: a new UUID, reused on this command's retries)
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Follow a run to its end with a progress bar; exit status 4 if any invoice failed
    Watch {
        run_id: String,
        /// Between two polls
        #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
        interval: f64,
    },
    /// Runs, oldest first
    List {
        /// Only this month's, YYYY-MM
        #[arg(long)]
        period: Option<String>,
    },
    /// Stop a run: records not yet issued stay drafts, what was issued stays issued
    Cancel { run_id: String },
    /// The run's report as CSV, one row per billing record (to stdout unless -o)
    Report {
        run_id: String,
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

const LIST: &[Column] = &[
    ("RUN ID", "runId"),
    ("PERIOD", "period"),
    ("STATE", "state"),
    ("TOTAL", "counts.total"),
    ("ISSUED", "counts.issued"),
    ("FAILED", "counts.failed"),
    ("CANCELLED", "counts.cancelled"),
    ("REMAINING", "counts.remaining"),
    ("CREATED", "createdAt"),
];

fn seconds(s: f64) -> Result<Duration, CliError> {
    Duration::try_from_secs_f64(s).ok().filter(|d| !d.is_zero()).ok_or_else(|| CliError::usage(format!("--interval {s}: must be a positive number of seconds")))
}

pub async fn run(cmd: RunCmd, ctx: &Ctx) -> Result<(), CliError> {
    match cmd {
        RunCmd::Start { period, tenants, no_generate, dry_run, watch: then_watch, interval, idempotency_key } => {
            let interval = seconds(interval)?;
            let mut body = Map::new();
            body.insert("period".into(), period.into());
            if !tenants.is_empty() {
                body.insert("tenants".into(), tenants.into());
            }
            set(&mut body, "generate", no_generate.then_some(false));
            set(&mut body, "dryRun", dry_run.then_some(true));
            let mut call = Call::new(Method::POST, "/v1/invoice-runs").json(&Value::Object(body));
            if !dry_run {
                call = call.idempotency_key(idempotency_key.unwrap_or_else(new_idempotency_key));
            }
            let started = ctx.api.send(&call).await?.json()?;
            match started["runId"].as_str() {
                Some(id) if then_watch => watch(ctx, id, interval).await?,
                _ => ctx.out.show(&started),
            }
        }
        RunCmd::Watch { run_id, interval } => watch(ctx, &run_id, seconds(interval)?).await?,
        RunCmd::List { period } => ctx.out.list(&ctx.api.list_all(Call::get("/v1/invoice-runs").query("period", period)).await?, LIST),
        RunCmd::Cancel { run_id } => {
            let call = Call::new(Method::POST, format!("/v1/invoice-runs/{}/cancel", seg(&run_id))).repeatable();
            ctx.out.show(&ctx.api.send(&call).await?.json()?);
        }
        RunCmd::Report { run_id, output } => {
            let call = Call::get(format!("/v1/invoice-runs/{}/report.csv", seg(&run_id)));
            let target = output.map_or(Target::Stdout, |o| Target::from_arg(Some(o), String::new()));
            let got = download::fetch(ctx, &call, target, None, None, false).await?;
            if let Some(path) = got.path {
                ctx.out.note(&format!("{}: {} bytes", path.display(), got.bytes));
            }
        }
    }
    Ok(())
}
