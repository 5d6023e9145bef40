//! `seikyu`: the operator's command line for the seikyu billing API. Requests are signed with
//! SigV4 like the AWS CLI's and carry the caller's API key; throttled and unavailable calls are
//! retried; long work (month-end runs, downloads) shows its progress.

mod api;
mod auth;
mod cli;
mod commands;
mod config;
mod download;
mod error;
mod http;
mod import;
mod output;
mod progress;
mod retry;
mod upload;
mod watch;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::api::{Api, Verbosity};
use crate::cli::{Cli, Command};
use crate::commands::Ctx;
use crate::config::{Inputs, Layer};
use crate::error::CliError;
use crate::output::Output;
use crate::retry::RetryPolicy;

fn main() -> ExitCode {
    // clap prints help (exit 0) and usage errors (exit 2) itself.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    if let Command::Completions { shell } = cli.command {
        // Into a buffer first: clap_complete panics on a write error (a closed pipe).
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "seikyu", &mut script);
        output::emit_bytes(&script);
        return ExitCode::SUCCESS;
    }
    // One thread is plenty for a command line that waits on the network.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&CliError::Network(format!("cannot start: {e}"))),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let g = cli.global;
    let flags = Layer { endpoint: g.endpoint, region: g.region, api_key: g.api_key, demo: g.demo, aws_profile: g.aws_profile };
    let settings = config::resolve(&Inputs::from_process(flags, g.profile, g.as_tenant))?;
    let retry = RetryPolicy { max_retries: g.max_retries, ..RetryPolicy::default() };
    let api = Api::new(&settings, retry, Verbosity { verbose: g.verbose, quiet: g.quiet }).await?;
    let ctx = Ctx { api, out: Output { json: g.json } };
    commands::run(cli.command, &ctx).await
}

fn fail(e: &CliError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
}
