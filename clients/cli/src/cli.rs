//! The command line: global options (where to call and as whom, output) and the commands, each
//! topic's subcommands defined beside their code in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands::{audit, billing, contract, invoice, issuer, principal, run, tenant, usage};
use crate::error::EXIT_CODES_HELP;

const CONFIG_HELP: &str = "\
Configuration (the first place that has a setting wins):
  1. flags: --endpoint, --region, --api-key, --demo, --aws-profile
  2. environment: SEIKYU_ENDPOINT, SEIKYU_REGION, SEIKYU_API_KEY, SEIKYU_DEMO, SEIKYU_PROFILE
  3. the profile (--profile, else `default`) in ~/.config/seikyu/config:
       [profile prod]
       endpoint = https://abc123.execute-api.ap-northeast-1.amazonaws.com/v1
       region = ap-northeast-1
       api_key = ...
       aws_profile = seikyu-operator
A demo file (the local gateway's .seikyu/demo-credentials.json) gives the endpoint, Region, API
key and access keys; otherwise requests are signed with the AWS CLI's credentials (AWS_PROFILE,
SSO, assumed roles).";

#[derive(Debug, Parser)]
#[command(
    name = "seikyu",
    version,
    about = "The seikyu billing API from the shell: tenants, contracts, billing records, invoices, month-end runs, usage",
    after_help = format!("{CONFIG_HELP}\n\n{EXIT_CODES_HELP}")
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The API's URL (with the stage on API Gateway)
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The AWS Region to sign for
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// The caller's API key (x-api-key)
    #[arg(long, global = true, value_name = "KEY")]
    pub api_key: Option<String>,
    /// A profile of ~/.config/seikyu/config
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// The local gateway's demo-credentials.json: its endpoint, Region and the operator's keys
    #[arg(long, global = true, value_name = "PATH")]
    pub demo: Option<PathBuf>,
    /// With a demo file: act as its tenant with this id or name instead of the operator
    #[arg(long, global = true, value_name = "TENANT")]
    pub as_tenant: Option<String>,
    /// The AWS profile to sign with (default: AWS_PROFILE, as for the AWS CLI)
    #[arg(long, global = true, value_name = "NAME")]
    pub aws_profile: Option<String>,
    /// Print the API's JSON instead of tables
    #[arg(long, global = true)]
    pub json: bool,
    /// Retries of throttled (429) and unavailable (503) requests, and of lost connections
    #[arg(long, global = true, value_name = "N", default_value_t = 3)]
    pub max_retries: u32,
    /// Print each request and its status on stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Print no progress and no retry notices
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Who the credentials are: role, tenant, plan (GET /v1/me)
    Me,
    /// Onboard, read, change, suspend and offboard tenants; rotate their API keys
    #[command(subcommand)]
    Tenant(tenant::TenantCmd),
    /// The IAM principals (users, roles) that act for a tenant or the operator
    #[command(subcommand)]
    Principal(principal::PrincipalCmd),
    /// A tenant's contracts
    #[command(subcommand)]
    Contract(contract::ContractCmd),
    /// Billing records (請求情報): create, change, list, import from CSV
    #[command(subcommand)]
    Billing(billing::BillingCmd),
    /// Invoices (請求書): issue, read, download, void, mark paid
    #[command(subcommand)]
    Invoice(invoice::InvoiceCmd),
    /// Month-end invoice runs: start, watch to the end, list, cancel, report
    #[command(subcommand)]
    Run(run::RunCmd),
    /// Requests, bytes streamed and invoices rendered, per tenant
    #[command(subcommand)]
    Usage(usage::UsageCmd),
    /// The qualified-invoice issuer (適格請求書発行事業者)
    #[command(subcommand)]
    Issuer(issuer::IssuerCmd),
    /// The audit trail: every change as recorded with it, and refused attempts
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Print a shell completion script: `seikyu completions bash > /etc/bash_completion.d/seikyu`
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn usage_errors_exit_with_two() {
        let err = Cli::try_parse_from(["seikyu", "tenant", "frobnicate"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
