//! `seikyu contract …`: a tenant's contracts. `put` creates, or changes the fields given of an
//! existing contract (read, apply, write with If-Match).

use clap::{Subcommand, ValueEnum};

use super::{Ctx, name_of, put_edited, set};
use crate::error::CliError;
use crate::http::{Call, seg};
use crate::output::Column;

#[derive(Debug, Subcommand)]
pub enum ContractCmd {
    /// Create a contract, or change the given fields of an existing one
    Put {
        tenant: String,
        contract: String,
        /// The plan's name, as invoices show it
        #[arg(long)]
        plan_name: Option<String>,
        /// Whole yen a month (tax excluded)
        #[arg(long)]
        monthly_fee: Option<i64>,
        /// YYYY-MM-DD
        #[arg(long)]
        start_date: Option<String>,
        /// YYYY-MM-DD, the last day served
        #[arg(long)]
        end_date: Option<String>,
        #[arg(long, value_enum)]
        cycle: Option<Cycle>,
        #[arg(long, value_enum)]
        status: Option<ContractStatus>,
        /// Up to 20 lines
        #[arg(long)]
        notes: Option<String>,
    },
    /// A tenant's contracts
    List {
        tenant: String,
        #[arg(long, value_enum)]
        status: Option<ContractStatus>,
    },
    /// One contract
    Show { tenant: String, contract: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Cycle {
    Monthly,
    Yearly,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ContractStatus {
    Active,
    Suspended,
    Cancelled,
}

/// What `PUT` takes of a contract (the API refuses any other field).
const FIELDS: &[&str] = &["planName", "monthlyFee", "startDate", "endDate", "billingCycle", "status", "notes"];

const LIST: &[Column] = &[
    ("CONTRACT ID", "contractId"),
    ("PLAN", "planName"),
    ("MONTHLY FEE", "monthlyFee"),
    ("CYCLE", "billingCycle"),
    ("STATUS", "status"),
    ("START", "startDate"),
    ("END", "endDate"),
];

pub async fn run(cmd: ContractCmd, ctx: &Ctx) -> Result<(), CliError> {
    match cmd {
        ContractCmd::Put { tenant, contract, plan_name, monthly_fee, start_date, end_date, cycle, status, notes } => {
            let path = format!("/v1/tenants/{}/contracts/{}", seg(&tenant), seg(&contract));
            let written = put_edited(ctx, &path, FIELDS, |body| {
                set(body, "planName", plan_name);
                set(body, "monthlyFee", monthly_fee);
                set(body, "startDate", start_date);
                set(body, "endDate", end_date);
                set(body, "billingCycle", cycle.and_then(name_of));
                set(body, "status", status.and_then(name_of));
                set(body, "notes", notes);
            })
            .await?;
            ctx.out.show(&written);
        }
        ContractCmd::List { tenant, status } => {
            let call = Call::get(format!("/v1/tenants/{}/contracts", seg(&tenant))).query("status", status.and_then(name_of));
            ctx.out.list(&ctx.api.list_all(call).await?, LIST);
        }
        ContractCmd::Show { tenant, contract } => {
            let (c, _) = ctx.api.get_json(Call::get(format!("/v1/tenants/{}/contracts/{}", seg(&tenant), seg(&contract)))).await?;
            ctx.out.show(&c);
        }
    }
    Ok(())
}
