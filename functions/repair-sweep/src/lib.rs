//! The repair sweep on a schedule (an EventBridge rule, hourly): `service::repair::sweep` over
//! every tenant, key and run, its report logged and returned. A repair that failed makes the
//! invocation an error, so the function's Errors alarm says so; the next run tries again.

use common::App;
use common::service::repair::{self, Options, Tally};

/// The sweep's options from the environment: `SEIKYU_REPAIR_DRY_RUN=1` reports only;
/// `SEIKYU_REPAIR_GRACE_MINUTES` (15) and `SEIKYU_REPAIR_STALE_RUN_MINUTES` (60).
pub fn options_from_env() -> Result<Options, String> {
    let minutes = |name: &str, default: i64| -> Result<chrono::TimeDelta, String> {
        match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => {
                v.trim().parse::<i64>().ok().filter(|m| *m >= 0).map(chrono::TimeDelta::minutes).ok_or_else(|| format!("{name} must be a number of minutes"))
            }
            _ => Ok(chrono::TimeDelta::minutes(default)),
        }
    };
    Ok(Options {
        dry_run: std::env::var("SEIKYU_REPAIR_DRY_RUN").is_ok_and(|v| v == "1" || v == "true"),
        grace: minutes("SEIKYU_REPAIR_GRACE_MINUTES", 15)?,
        stale_run: minutes("SEIKYU_REPAIR_STALE_RUN_MINUTES", 60)?,
    })
}

/// One scheduled run: the report as JSON, or an error when the sweep (or a repair) failed.
pub async fn handle(app: &App, options: &Options) -> Result<serde_json::Value, String> {
    let report = repair::sweep(app, options).await.map_err(|e| format!("the repair sweep failed: {e:?}"))?;
    let failed: u64 = report.counts.values().map(|t: &Tally| t.failed).sum();
    tracing::info!(report = %serde_json::to_string(&report).unwrap_or_default(), "repair sweep report");
    if failed > 0 {
        return Err(format!("{failed} repairs failed; the report is in the log"));
    }
    serde_json::to_value(&report).map_err(|e| e.to_string())
}
