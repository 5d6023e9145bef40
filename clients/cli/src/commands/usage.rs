//! `seikyu usage …`: requests (as the usage plan counts them), bytes streamed, invoices rendered
//! and exports, per tenant: for cost allocation.

use clap::Subcommand;

use super::Ctx;
use crate::error::CliError;
use crate::http::{Call, seg};
use crate::output::Column;

#[derive(Debug, Subcommand)]
pub enum UsageCmd {
    /// One tenant, day by day, with its quota left (default: the caller's own tenant)
    Show {
        tenant: Option<String>,
        /// The first day, YYYY-MM-DD (default: the first of this month)
        #[arg(long)]
        from: Option<String>,
        /// The last day, YYYY-MM-DD (default: today)
        #[arg(long)]
        to: Option<String>,
    },
    /// Every tenant's totals for a month
    List {
        /// YYYY-MM (default: this month so far)
        #[arg(long)]
        period: Option<String>,
    },
}

const LIST: &[Column] = &[
    ("TENANT ID", "tenantId"),
    ("NAME", "name"),
    ("PLAN", "planTier"),
    ("STATUS", "status"),
    ("REQUESTS", "requests"),
    ("BYTES STREAMED", "bytesStreamed"),
    ("INVOICES RENDERED", "invoicesRendered"),
    ("EXPORTS", "exports"),
];

pub async fn run(cmd: UsageCmd, ctx: &Ctx) -> Result<(), CliError> {
    match cmd {
        UsageCmd::Show { tenant, from, to } => {
            let tenant = match tenant {
                Some(t) => t,
                // A tenant's own credentials know their tenant: no id to configure.
                None => {
                    let (me, _) = ctx.api.get_json(Call::get("/v1/me")).await?;
                    me["tenantId"].as_str().map(str::to_owned).ok_or_else(|| CliError::usage("name the tenant: the operator has no usage of its own"))?
                }
            };
            let call = Call::get(format!("/v1/tenants/{}/usage", seg(&tenant))).query("from", from).query("to", to);
            ctx.out.show(&ctx.api.get_json(call).await?.0);
        }
        UsageCmd::List { period } => ctx.out.list(&ctx.api.list_all(Call::get("/v1/usage").query("period", period)).await?, LIST),
    }
    Ok(())
}
