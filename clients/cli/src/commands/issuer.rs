//! `seikyu issuer …`: the qualified-invoice issuer every invoice names: its registration number,
//! bank details, invoice prefix, rounding and how month-end runs date invoices.

use clap::{Subcommand, ValueEnum};
use serde_json::{Map, Value};

use super::{Ctx, name_of, put_edited, set};
use crate::error::CliError;
use crate::http::Call;
use crate::output::pick;

#[derive(Debug, Subcommand)]
pub enum IssuerCmd {
    /// The issuer as invoices will show it
    Show,
    /// Set the issuer, or change the given fields (read, apply, write with If-Match)
    Set {
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        address: Option<String>,
        /// T + 13 digits (the check digit is verified)
        #[arg(long)]
        registration_number: Option<String>,
        /// Up to 4 lines
        #[arg(long)]
        bank_details: Option<String>,
        /// Invoice numbers are <prefix>-<year>-<6 digits>
        #[arg(long)]
        invoice_prefix: Option<String>,
        /// How tax is rounded, once per rate per invoice
        #[arg(long, value_enum)]
        rounding: Option<Rounding>,
        /// Month-end runs date invoices on the period's last day or the next month's first
        #[arg(long, value_enum)]
        issue_on: Option<IssueOn>,
        /// Due this many months after the period (0–3)
        #[arg(long)]
        due_months_after_period: Option<i64>,
        /// Due on this day of that month (31: its last day)
        #[arg(long)]
        due_day: Option<i64>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Rounding {
    Floor,
    Ceil,
    #[value(name = "halfUp")]
    HalfUp,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IssueOn {
    #[value(name = "periodEnd")]
    PeriodEnd,
    #[value(name = "nextMonthStart")]
    NextMonthStart,
}

/// What `PUT /v1/issuer` takes of what `GET` shows.
const FIELDS: &[&str] = &["name", "address", "registrationNumber", "bankDetails", "invoicePrefix", "rounding", "invoiceDates"];
const DATE_FIELDS: &[&str] = &["issueOn", "dueMonthsAfterPeriod", "dueDay"];

pub async fn run(cmd: IssuerCmd, ctx: &Ctx) -> Result<(), CliError> {
    match cmd {
        IssuerCmd::Show => ctx.out.show(&ctx.api.get_json(Call::get("/v1/issuer")).await?.0),
        IssuerCmd::Set { name, address, registration_number, bank_details, invoice_prefix, rounding, issue_on, due_months_after_period, due_day } => {
            let written = put_edited(ctx, "/v1/issuer", FIELDS, |body| {
                set(body, "name", name);
                set(body, "address", address);
                set(body, "registrationNumber", registration_number);
                set(body, "bankDetails", bank_details);
                set(body, "invoicePrefix", invoice_prefix);
                set(body, "rounding", rounding.and_then(name_of));
                if issue_on.is_some() || due_months_after_period.is_some() || due_day.is_some() {
                    let mut dates: Map<String, Value> = body.get("invoiceDates").map(|d| pick(d, DATE_FIELDS)).unwrap_or_default();
                    set(&mut dates, "issueOn", issue_on.and_then(name_of));
                    set(&mut dates, "dueMonthsAfterPeriod", due_months_after_period);
                    set(&mut dates, "dueDay", due_day);
                    body.insert("invoiceDates".into(), dates.into());
                }
            })
            .await?;
            ctx.out.show(&written);
        }
    }
    Ok(())
}
