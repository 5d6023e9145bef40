//! `seikyu invoice …`: issuing a billing record, reading invoices, downloading their PDFs (or a
//! month's ZIP) checked against their SHA-256, voiding and marking paid.

use std::path::PathBuf;

use clap::Subcommand;
use http::Method;
use serde_json::json;

use super::Ctx;
use crate::download::{self, Target};
use crate::error::CliError;
use crate::http::{Call, seg};
use crate::output::{Column, emit};

#[derive(Debug, Subcommand)]
pub enum InvoiceCmd {
    /// Issue a draft billing record: the next invoice number and its PDF (again: the same invoice)
    Issue {
        tenant: String,
        billing: String,
        /// Number it for a PDF made elsewhere, uploaded afterwards
        #[arg(long)]
        external_pdf: bool,
    },
    /// One invoice: lines, totals, issuer and recipient, the PDF's hash and size
    Show { tenant: String, number: String },
    /// A tenant's invoices; the search options combine (電子帳簿保存法: date, amount, counterparty)
    List {
        tenant: String,
        /// YYYY-MM
        #[arg(long)]
        period: Option<String>,
        #[arg(long, value_parser = ["rendering", "awaitingUpload", "issued", "paid", "void"])]
        status: Option<String>,
        /// Issued on or after this date, YYYY-MM-DD
        #[arg(long)]
        issued_from: Option<String>,
        /// Issued on or before this date, YYYY-MM-DD
        #[arg(long)]
        issued_to: Option<String>,
        /// Total (tax included) at least this many yen
        #[arg(long)]
        min_total: Option<i64>,
        /// Total (tax included) at most this many yen
        #[arg(long)]
        max_total: Option<i64>,
        /// Part of the recipient's company name (width and case do not matter)
        #[arg(long)]
        recipient: Option<String>,
    },
    /// Download an invoice's PDF (SHA-256 checked), or with --period the month's ZIP
    Download {
        tenant: String,
        /// The invoice number; leave it out with --period
        #[arg(required_unless_present = "period", conflicts_with = "period")]
        number: Option<String>,
        /// Every issued invoice of this month (YYYY-MM) as one ZIP
        #[arg(long)]
        period: Option<String>,
        /// With --period: only what this month-end run issued
        #[arg(long, requires = "period")]
        run: Option<String>,
        /// The file to write (`-` for stdout; default: the name the API suggests)
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Void an issued, unpaid invoice (its number stays used)
    Void {
        tenant: String,
        number: String,
        /// Why (kept with the invoice; up to 10 lines)
        #[arg(long)]
        reason: String,
    },
    /// Mark an issued invoice paid
    Paid {
        tenant: String,
        number: String,
        /// The day it was paid, YYYY-MM-DD (default: today in Japan)
        #[arg(long)]
        on: Option<String>,
    },
}

const LIST: &[Column] = &[
    ("INVOICE", "invoiceNumber"),
    ("PERIOD", "period"),
    ("STATUS", "status"),
    ("TOTAL", "totals.total"),
    ("ISSUE DATE", "issueDate"),
    ("DUE DATE", "dueDate"),
    ("BILLING ID", "billingId"),
];

fn invoice_path(tenant: &str, number: &str) -> String {
    format!("/v1/tenants/{}/invoices/{}", seg(tenant), seg(number))
}

pub async fn run(cmd: InvoiceCmd, ctx: &Ctx) -> Result<(), CliError> {
    match cmd {
        InvoiceCmd::Issue { tenant, billing, external_pdf } => {
            let call = Call::new(Method::POST, format!("/v1/tenants/{}/billings/{}/issue", seg(&tenant), seg(&billing)))
                .query("pdf", external_pdf.then_some("external"))
                .repeatable();
            ctx.out.show(&ctx.api.send(&call).await?.json()?);
        }
        InvoiceCmd::Show { tenant, number } => ctx.out.show(&ctx.api.get_json(Call::get(invoice_path(&tenant, &number))).await?.0),
        InvoiceCmd::List { tenant, period, status, issued_from, issued_to, min_total, max_total, recipient } => {
            let call = Call::get(format!("/v1/tenants/{}/invoices", seg(&tenant)))
                .query("period", period)
                .query("status", status)
                .query("issuedFrom", issued_from)
                .query("issuedTo", issued_to)
                .query("minTotal", min_total.map(|n| n.to_string()))
                .query("maxTotal", max_total.map(|n| n.to_string()))
                .query("recipient", recipient);
            ctx.out.list(&ctx.api.list_all(call).await?, LIST);
        }
        InvoiceCmd::Download { tenant, number: Some(number), output, .. } => {
            // The invoice's record gives the size (for the bar) and the hash the PDF must have.
            let (invoice, _) = ctx.api.get_json(Call::get(invoice_path(&tenant, &number))).await?;
            let size = invoice["pdf"]["size"].as_u64();
            let sha256 = invoice["pdf"]["sha256"].as_str();
            let call = Call::get(format!("{}/pdf", invoice_path(&tenant, &number)));
            let got = download::fetch(ctx, &call, Target::from_arg(output, format!("{number}.pdf")), size, sha256, true).await?;
            report(ctx, &got, true);
        }
        InvoiceCmd::Download { tenant, number: None, period, run, output } => {
            let period = period.unwrap_or_default();
            let call = Call::get(format!("/v1/tenants/{}/invoices.zip", seg(&tenant))).query("period", Some(&period)).query("run", run);
            let got = download::fetch(ctx, &call, Target::from_arg(output, format!("invoices-{tenant}-{period}.zip")), None, None, false).await?;
            report(ctx, &got, false);
        }
        InvoiceCmd::Void { tenant, number, reason } => {
            let call = Call::new(Method::POST, format!("{}/void", invoice_path(&tenant, &number))).json(&json!({ "reason": reason }));
            ctx.out.show(&ctx.api.send(&call).await?.json()?);
        }
        InvoiceCmd::Paid { tenant, number, on } => {
            // The API marks the billing record paid (and its invoice with it): find the record.
            let (invoice, _) = ctx.api.get_json(Call::get(invoice_path(&tenant, &number))).await?;
            let billing = invoice["billingId"].as_str().ok_or_else(|| CliError::Network(format!("invoice {number} names no billingId")))?;
            let mut call = Call::new(Method::POST, format!("/v1/tenants/{}/billings/{}/paid", seg(&tenant), seg(billing))).repeatable();
            if let Some(day) = on {
                call = call.json(&json!({ "paidOn": day }));
            }
            ctx.out.show(&ctx.api.send(&call).await?.json()?);
        }
    }
    Ok(())
}

/// What was written where: on stdout (as JSON with `--json`), or on stderr when stdout holds
/// the file itself.
fn report(ctx: &Ctx, got: &download::Downloaded, verified: bool) {
    let check = if verified { ", SHA-256 matches the ETag" } else { "" };
    match &got.path {
        None if ctx.api.verbosity.quiet => {}
        None => eprintln!("{} bytes to stdout, SHA-256 {}{check}", got.bytes, got.sha256),
        Some(path) if ctx.out.json => emit(&json!({"path": path, "bytes": got.bytes, "sha256": got.sha256, "verified": verified}).to_string()),
        Some(path) => emit(&format!("{}: {} bytes, SHA-256 {}{check}", path.display(), got.bytes, got.sha256)),
    }
}
