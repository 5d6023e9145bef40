//! `run watch`: polls a month-end run until it ends, with a progress bar (rate and time left) on
//! a terminal and a line per change in a log. The exit status says whether any invoice failed.

use std::io::IsTerminal;
use std::time::Duration;

use serde_json::Value;

use crate::commands::Ctx;
use crate::error::CliError;
use crate::http::{Call, seg};
use crate::progress;

/// The states a run ends in.
const FINISHED: &[&str] = &["completed", "completedWithErrors", "cancelled"];

struct Counts {
    total: u64,
    issued: u64,
    failed: u64,
    cancelled: u64,
}

impl Counts {
    fn of(run: &Value) -> Self {
        let n = |k: &str| run["counts"][k].as_u64().unwrap_or(0);
        Self { total: n("total"), issued: n("issued"), failed: n("failed"), cancelled: n("cancelled") }
    }

    fn settled(&self) -> u64 {
        self.issued + self.failed + self.cancelled
    }
}

/// Follows the run to its end; `Err(Failed)` (exit 4) when any of its invoices failed.
pub async fn watch(ctx: &Ctx, run_id: &str, interval: Duration) -> Result<(), CliError> {
    let call = Call::get(format!("/v1/invoice-runs/{}", seg(run_id)));
    let quiet = ctx.api.verbosity.quiet;
    let log_lines = !quiet && !std::io::stderr().is_terminal();
    // The total grows while the run is planned, so the bar's length follows it.
    let bar = progress::counter(0, "invoices", quiet);
    let mut last = String::new();
    let run = loop {
        let (run, _) = ctx.api.get_json(call.clone()).await?;
        let state = run["state"].as_str().unwrap_or("unknown").to_owned();
        let c = Counts::of(&run);
        bar.set_length(c.total);
        bar.set_position(c.settled());
        bar.set_message(format!("{state}, {} failed", c.failed));
        let line = format!("{run_id} {state}: {}/{} settled ({} issued, {} failed, {} cancelled)", c.settled(), c.total, c.issued, c.failed, c.cancelled);
        if log_lines && line != last {
            eprintln!("{line}");
        }
        last = line;
        if FINISHED.contains(&state.as_str()) {
            break run;
        }
        tokio::time::sleep(interval).await;
    };
    bar.finish_and_clear();
    ctx.out.show(&run);
    let c = Counts::of(&run);
    if c.failed > 0 {
        let state = run["state"].as_str().unwrap_or_default();
        return Err(CliError::Failed(format!(
            "run {run_id} ended {state}: {} of {} invoices failed (see the failures above, or `seikyu run report {run_id}`)",
            c.failed, c.total
        )));
    }
    Ok(())
}
