//! `local-gateway`: the whole API on localhost, as API Gateway would serve it.
//!
//! ```text
//! local-gateway [--port 3000] [--host 127.0.0.1] [--data-dir .seikyu] [--region ap-northeast-1]
//!               [--endpoint URL --table NAME --bucket NAME] [--no-demo] [--no-throttle]
//! ```

use std::sync::Arc;

use common::clock::SystemClock;
use local_gateway::start::{AwsTarget, Options, start};

const USAGE: &str =
    "usage: local-gateway [--port N] [--host IP] [--data-dir DIR] [--region R] [--endpoint URL] [--table T --bucket B] [--no-demo] [--no-throttle]";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let (mut endpoint, mut table, mut bucket) = (None, None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value\n{USAGE}"));
        match a.as_str() {
            "--port" => o.port = value()?.parse().map_err(|_| format!("--port must be a number\n{USAGE}"))?,
            "--host" => o.host = value()?.parse().map_err(|_| format!("--host must be an IP address\n{USAGE}"))?,
            "--data-dir" => o.data_dir = value()?.into(),
            "--region" => o.region = value()?,
            "--endpoint" => endpoint = Some(value()?),
            "--table" => table = Some(value()?),
            "--bucket" => bucket = Some(value()?),
            "--no-demo" => o.demo = false,
            "--no-throttle" => o.throttle = false,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    o.aws = match (table, bucket) {
        (Some(table), Some(bucket)) => Some(AwsTarget { endpoint, table, bucket }),
        (None, None) if endpoint.is_none() => None,
        _ => return Err(format!("--table and --bucket go together (and --endpoint needs them)\n{USAGE}")),
    };
    Ok(o)
}

#[tokio::main]
async fn main() {
    // One JSON line per request, as the Lambda functions log in AWS.
    common::telemetry::init_json();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let started = match start(&options, Arc::new(SystemClock)).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("local-gateway: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("seikyu local gateway on {} (data in {})", started.endpoint, options.data_dir.display());
    eprintln!("the API's contract: {0}/openapi.json, as a page: {0}/docs", started.endpoint);
    if let Some(demo) = &started.demo {
        eprintln!("demo credentials: {}\n", options.data_dir.join(local_gateway::demo::FILE).display());
        eprintln!("{}", local_gateway::demo::commands(demo));
    }
    if let Err(e) = local_gateway::serve(started.gateway, started.listener).await {
        eprintln!("local-gateway: {e}");
        std::process::exit(1);
    }
}
