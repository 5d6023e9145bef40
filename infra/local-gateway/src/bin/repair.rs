//! `repair`: the repair sweep (`common::service::repair`) over the local gateway's data, as the
//! `repair-sweep` function runs it hourly on AWS. Stop the gateway first: its database is opened
//! by one process at a time. Run messages it queues again are worked when the gateway starts.
//!
//! ```text
//! cargo run -p local-gateway --bin repair -- [--data-dir .seikyu] [--dry-run] [--json]
//!     [--grace-minutes 15] [--stale-run-minutes 60] [--region R] [--endpoint URL --table T --bucket B]
//! ```
//!
//! Exit status: 0 when nothing failed (findings reported or repaired), 1 when a repair failed,
//! 2 for bad arguments, 3 when the sweep could not run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use common::App;
use common::clock::{RandomIds, SystemClock};
use common::service::repair::{self, Options};
use common::store::aws::{AwsSettings, AwsStore};
use common::store::embedded::{EmbeddedOptions, EmbeddedStore};
use local_gateway::credentials::Credentials;
use local_gateway::keys::GatewayKeys;
use local_gateway::limits::Limiter;

const USAGE: &str =
    "usage: repair [--data-dir DIR] [--dry-run] [--json] [--grace-minutes N] [--stale-run-minutes N] [--region R] [--endpoint URL --table T --bucket B]";

struct Args {
    data_dir: PathBuf,
    json: bool,
    options: Options,
    region: String,
    aws: Option<(Option<String>, String, String)>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut a = Args { data_dir: PathBuf::from(".seikyu"), json: false, options: Options::default(), region: "ap-northeast-1".into(), aws: None };
    let (mut endpoint, mut table, mut bucket) = (None, None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value\n{USAGE}"));
        let minutes = |v: String| v.parse::<i64>().ok().filter(|m| *m >= 0).map(chrono::TimeDelta::minutes).ok_or(format!("{arg} takes minutes\n{USAGE}"));
        match arg.as_str() {
            "--data-dir" => a.data_dir = value()?.into(),
            "--dry-run" => a.options.dry_run = true,
            "--json" => a.json = true,
            "--grace-minutes" => a.options.grace = minutes(value()?)?,
            "--stale-run-minutes" => a.options.stale_run = minutes(value()?)?,
            "--region" => a.region = value()?,
            "--endpoint" => endpoint = Some(value()?),
            "--table" => table = Some(value()?),
            "--bucket" => bucket = Some(value()?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    a.aws = match (table, bucket) {
        (Some(t), Some(b)) => Some((endpoint, t, b)),
        (None, None) if endpoint.is_none() => None,
        _ => return Err(format!("--table and --bucket go together (and --endpoint needs them)\n{USAGE}")),
    };
    Ok(a)
}

/// The app the gateway would build over the same data: storage, its key registry, the renderer.
async fn open(a: &Args) -> Result<App, String> {
    let (cursor_key, presign_key) = local_gateway::start::keys(&a.data_dir)?;
    let clock = Arc::new(SystemClock);
    let stores = match &a.aws {
        None => {
            let options = EmbeddedOptions { cursor_key, presign_key, public_base_url: "http://127.0.0.1:3000".into() };
            let store = EmbeddedStore::open(&a.data_dir, options, clock.clone())
                .map_err(|e| format!("{e} (is the gateway running on {}? stop it first)", a.data_dir.display()))?;
            store.stores()
        }
        Some((endpoint, table, bucket)) => {
            let static_credentials = endpoint.as_ref().map(|_| ("testing".to_owned(), "testing".to_owned()));
            let settings = AwsSettings {
                region: a.region.clone(),
                endpoint: endpoint.clone(),
                table: table.clone(),
                bucket: bucket.clone(),
                static_credentials,
                run_queue_url: None,
                pdf_retention: common::store::PdfRetention::from_env()?,
            };
            AwsStore::connect(&settings, &cursor_key, clock.clone()).await.map_err(|e| e.to_string())?.stores()
        }
    };
    let credentials = Credentials::load(&a.data_dir)?.ok_or_else(|| format!("{} holds no gateway credentials: nothing to repair", a.data_dir.display()))?;
    let keys = GatewayKeys::new(Arc::new(credentials), Arc::new(Limiter::unlimited()));
    let renderer = issue_invoice::PdfRenderer::from_env()?;
    Ok(App { stores, clock, ids: Arc::new(RandomIds), renderer: Some(Arc::new(renderer)), keys: Some(Arc::new(keys)), iam: None })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a = match parse(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let report = match open(&a).await {
        Ok(app) => repair::sweep(&app, &a.options).await.map_err(|e| format!("{e:?}")),
        Err(e) => Err(e),
    };
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("repair: {e}");
            return ExitCode::from(3);
        }
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        print!("{report}");
    }
    if report.counts.values().any(|t| t.failed > 0) { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
