//! `seikyu billing …`: draft billing records (請求情報): create with an Idempotency-Key, change
//! with If-Match, list, show, and import from CSV.

use std::path::PathBuf;

use clap::Subcommand;
use http::Method;
use serde_json::{Map, Value, json};

use super::{Ctx, Write, new_idempotency_key, read_apply_write, set};
use crate::error::CliError;
use crate::http::{Call, seg};
use crate::import;
use crate::output::{Column, emit};
use crate::progress;

#[derive(Debug, Subcommand)]
pub enum BillingCmd {
    /// A draft billing record
    Create {
        tenant: String,
        /// The billing period, YYYY-MM
        #[arg(long)]
        period: String,
        /// A line: DESCRIPTION,QUANTITY,UNIT_PRICE[,standard|reduced] (repeat for more lines)
        #[arg(long = "line", required = true, value_parser = parse_line)]
        lines: Vec<Value>,
        /// YYYY-MM-DD
        #[arg(long)]
        issue_date: String,
        /// YYYY-MM-DD
        #[arg(long)]
        due_date: String,
        #[arg(long)]
        notes: Option<String>,
        /// The Idempotency-Key (default: a new UUID, reused on this command's retries)
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// A tenant's billing records
    List {
        tenant: String,
        /// From this period, YYYY-MM
        #[arg(long)]
        from: Option<String>,
        /// To this period, YYYY-MM
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_parser = ["draft", "issuing", "awaitingUpload", "issued", "paid", "void"])]
        status: Option<String>,
    },
    /// One billing record with its lines and totals
    Show { tenant: String, billing: String },
    /// Change a draft (read, apply, write with If-Match); --line replaces every line
    Update {
        tenant: String,
        billing: String,
        #[arg(long = "line", value_parser = parse_line)]
        lines: Vec<Value>,
        #[arg(long)]
        notes: Option<String>,
        #[arg(long)]
        issue_date: Option<String>,
        #[arg(long)]
        due_date: Option<String>,
    },
    /// Create the records of a CSV file; running it again creates nothing new
    Import {
        file: PathBuf,
        /// Sets this import's keys apart from earlier ones (to import the same records again on purpose)
        #[arg(long, default_value = "")]
        batch: String,
        /// Show the records and their keys without sending anything
        #[arg(long)]
        dry_run: bool,
    },
}

const LIST: &[Column] = &[
    ("BILLING ID", "billingId"),
    ("PERIOD", "period"),
    ("STATUS", "status"),
    ("INVOICE", "invoiceNumber"),
    ("TOTAL", "totals.total"),
    ("ISSUE DATE", "issueDate"),
    ("DUE DATE", "dueDate"),
];

/// `DESCRIPTION,QUANTITY,UNIT_PRICE[,TAX]`, read from the right so that the description may
/// hold commas.
fn parse_line(spec: &str) -> Result<Value, String> {
    let mut parts: Vec<&str> = spec.rsplitn(4, ',').collect();
    parts.reverse();
    let tax = match parts.last().map(|p| p.trim()) {
        Some(t @ ("standard" | "reduced")) if parts.len() >= 4 => {
            parts.pop();
            t.to_owned()
        }
        _ => {
            // No tax given: the three rightmost parts are description, quantity and price.
            parts = spec.rsplitn(3, ',').collect();
            parts.reverse();
            "standard".to_owned()
        }
    };
    let [description, quantity, price] = parts.as_slice() else {
        return Err("expected DESCRIPTION,QUANTITY,UNIT_PRICE[,standard|reduced]".into());
    };
    let int = |s: &str, what: &str| s.trim().parse::<i64>().map_err(|_| format!("{what} must be a whole number, not {s:?}"));
    Ok(json!({"description": description.trim(), "quantity": int(quantity, "QUANTITY")?, "unitPrice": int(price, "UNIT_PRICE")?, "taxCategory": tax}))
}

fn billings(tenant: &str) -> String {
    format!("/v1/tenants/{}/billings", seg(tenant))
}

pub async fn run(cmd: BillingCmd, ctx: &Ctx) -> Result<(), CliError> {
    match cmd {
        BillingCmd::Create { tenant, period, lines, issue_date, due_date, notes, idempotency_key } => {
            let mut body = Map::new();
            body.insert("period".into(), period.into());
            body.insert("lines".into(), lines.into());
            set(&mut body, "notes", notes);
            body.insert("issueDate".into(), issue_date.into());
            body.insert("dueDate".into(), due_date.into());
            let key = idempotency_key.unwrap_or_else(new_idempotency_key);
            let call = Call::new(Method::POST, billings(&tenant)).json(&body.into()).idempotency_key(key);
            let reply = ctx.api.send(&call).await?;
            if reply.header("idempotent-replayed") == Some("true") {
                eprintln!("seikyu: replayed: this Idempotency-Key already created the record below");
            }
            ctx.out.show(&reply.json()?);
        }
        BillingCmd::List { tenant, from, to, status } => {
            let call = Call::get(billings(&tenant)).query("from", from).query("to", to).query("status", status);
            ctx.out.list(&ctx.api.list_all(call).await?, LIST);
        }
        BillingCmd::Show { tenant, billing } => ctx.out.show(&ctx.api.get_json(Call::get(format!("{}/{}", billings(&tenant), seg(&billing)))).await?.0),
        BillingCmd::Update { tenant, billing, lines, notes, issue_date, due_date } => {
            let mut patch = Map::new();
            if !lines.is_empty() {
                patch.insert("lines".into(), lines.into());
            }
            set(&mut patch, "notes", notes);
            set(&mut patch, "issueDate", issue_date);
            set(&mut patch, "dueDate", due_date);
            if patch.is_empty() {
                return Err(CliError::usage("nothing to change: give --line, --notes, --issue-date or --due-date"));
            }
            let path = format!("{}/{}", billings(&tenant), seg(&billing));
            let updated = read_apply_write(ctx, &path, false, |_| Ok(Some(Write { method: Method::PATCH, body: patch.into() }))).await?;
            ctx.out.show(&updated);
        }
        BillingCmd::Import { file, batch, dry_run } => import_file(ctx, &file, &batch, dry_run).await?,
    }
    Ok(())
}

/// What became of one record of an import.
enum Outcome {
    Created(String),
    Replayed(String),
    /// Created by an earlier import whose replay the API no longer keeps.
    Existed,
    Failed(String),
}

async fn import_file(ctx: &Ctx, file: &std::path::Path, batch: &str, dry_run: bool) -> Result<(), CliError> {
    let reader = std::fs::File::open(file).map_err(|e| CliError::usage(format!("cannot open {}: {e}", file.display())))?;
    let records = import::parse(std::io::BufReader::new(reader), batch).map_err(|e| CliError::usage(format!("{}: {e}", file.display())))?;
    if dry_run {
        let plan: Vec<Value> = records
            .iter()
            .map(|r| {
                json!({"record": r.label, "tenantId": r.tenant_id, "period": r.period, "lines": r.lines.len(), "idempotencyKey": r.idempotency_key,
                "problem": r.body.as_ref().err()})
            })
            .collect();
        let columns: &[Column] = &[
            ("RECORD", "record"),
            ("TENANT", "tenantId"),
            ("PERIOD", "period"),
            ("LINES", "lines"),
            ("IDEMPOTENCY KEY", "idempotencyKey"),
            ("PROBLEM", "problem"),
        ];
        ctx.out.list(&plan, columns);
        return Ok(());
    }
    let bar = progress::counter(records.len() as u64, "records", ctx.api.verbosity.quiet);
    let mut rows = Vec::new();
    let (mut created, mut replayed, mut existed, mut failed) = (0, 0, 0, 0);
    for record in &records {
        let outcome = import_one(ctx, record).await?;
        let (result, detail) = match &outcome {
            Outcome::Created(id) => ("created", id.clone()),
            Outcome::Replayed(id) => ("replayed", id.clone()),
            Outcome::Existed => ("already imported", String::new()),
            Outcome::Failed(why) => ("failed", why.clone()),
        };
        match outcome {
            Outcome::Created(_) => created += 1,
            Outcome::Replayed(_) => replayed += 1,
            Outcome::Existed => existed += 1,
            Outcome::Failed(_) => failed += 1,
        }
        rows.push(json!({"record": record.label, "tenantId": record.tenant_id, "period": record.period, "result": result, "detail": detail}));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let summary = format!("{created} created, {replayed} replayed, {existed} already imported, {failed} failed");
    if ctx.out.json {
        emit(&crate::output::pretty(&json!({"created": created, "replayed": replayed, "alreadyImported": existed, "failed": failed, "records": rows})));
    } else {
        let columns: &[Column] = &[("RECORD", "record"), ("TENANT", "tenantId"), ("PERIOD", "period"), ("RESULT", "result"), ("BILLING ID / WHY", "detail")];
        ctx.out.list(&rows, columns);
        emit(&summary);
    }
    if failed > 0 {
        return Err(CliError::Failed(format!("{}: {summary}", file.display())));
    }
    Ok(())
}

/// Creates one record. Refusals are the record's outcome (the import goes on); a network
/// failure or an unavailable API after retries stops the import, which can simply be run again.
async fn import_one(ctx: &Ctx, record: &import::Record) -> Result<Outcome, CliError> {
    let body = match &record.body {
        Ok(b) => b,
        Err(why) => return Ok(Outcome::Failed(why.clone())),
    };
    let call = Call::new(Method::POST, billings(&record.tenant_id)).json(body).idempotency_key(record.idempotency_key.clone());
    match ctx.api.send(&call).await {
        Ok(reply) => {
            let id = reply.json()?["billingId"].as_str().unwrap_or_default().to_owned();
            Ok(if reply.header("idempotent-replayed") == Some("true") { Outcome::Replayed(id) } else { Outcome::Created(id) })
        }
        // The record's id follows from tenant and key: after the API's replay window an import
        // of the same record meets the one it made.
        Err(CliError::Api(p)) if p.status == 409 && p.detail.as_deref().is_some_and(|d| d.contains("already created")) => Ok(Outcome::Existed),
        Err(CliError::Api(p)) if p.status == 422 => {
            Ok(Outcome::Failed(format!("imported before with other content (edit it with `seikyu billing update`): {}", p.detail.unwrap_or_default())))
        }
        Err(CliError::Api(p)) if p.status < 500 && p.status != 429 => {
            let why: Vec<String> = p.errors.iter().map(|(field, message)| format!("{}: {message}", import::locate(record, field))).collect();
            Ok(Outcome::Failed(if why.is_empty() { p.to_string() } else { why.join("; ") }))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_from_the_right() {
        assert_eq!(
            parse_line("保守, 11月分,2,1100,reduced").unwrap(),
            json!({"description": "保守, 11月分", "quantity": 2, "unitPrice": 1100, "taxCategory": "reduced"})
        );
        assert_eq!(parse_line("Hosting,1,55000").unwrap()["taxCategory"], "standard");
        assert_eq!(parse_line("a, b,1,55000").unwrap()["description"], "a, b");
        assert!(parse_line("Hosting,1.5,55000").unwrap_err().contains("QUANTITY"));
        assert!(parse_line("Hosting").is_err());
    }
}
