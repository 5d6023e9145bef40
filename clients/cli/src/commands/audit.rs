//! `seikyu audit …`: the audit trail, as the API recorded it with each change: a tenant's, or
//! (operator) everyone's.

use clap::Subcommand;
use serde_json::Value;

use super::Ctx;
use crate::error::CliError;
use crate::http::{Call, seg};
use crate::output::Column;

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Entries in time order: a tenant's trail, or without a tenant every tenant's and the
    /// operator's own
    List {
        tenant: Option<String>,
        /// From this time (RFC 3339) or date (midnight UTC), included; default: 30 days before --to
        #[arg(long)]
        from: Option<String>,
        /// Up to this time or date, excluded; default: no end
        #[arg(long)]
        to: Option<String>,
    },
}

const LIST: &[Column] = &[
    ("AT", "at"),
    ("ROLE", "role"),
    ("PRINCIPAL", "principal"),
    ("ROUTE", "route"),
    ("TENANT", "tenantId"),
    ("OUTCOME", "outcome"),
    ("STATUS", "status"),
    ("CHANGES", "summary"),
];

/// `contract C-1 1→2, billing … new`: each change's resource and versions, for the table.
fn summary(entry: &Value) -> String {
    let changes = entry["changes"].as_array().map(Vec::as_slice).unwrap_or_default();
    changes
        .iter()
        .map(|c| {
            let resource = c["resource"].as_str().unwrap_or_default();
            match (c["kind"].as_str(), c["versionBefore"].as_u64(), c["versionAfter"].as_u64()) {
                (Some("delete"), _, _) => format!("{resource} deleted"),
                (_, Some(before), Some(after)) => format!("{resource} {before}→{after}"),
                (_, None, Some(after)) => format!("{resource} new ({after})"),
                _ => resource.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn run(cmd: AuditCmd, ctx: &Ctx) -> Result<(), CliError> {
    match cmd {
        AuditCmd::List { tenant, from, to } => {
            let path = match &tenant {
                Some(t) => format!("/v1/tenants/{}/audit", seg(t)),
                None => "/v1/audit".to_owned(),
            };
            let mut items = ctx.api.list_all(Call::get(path).query("from", from).query("to", to)).await?;
            if !ctx.out.json {
                for item in &mut items {
                    let s = summary(item);
                    item["summary"] = Value::String(s);
                }
            }
            ctx.out.list(&items, LIST);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_read_as_resources_and_versions() {
        let entry = json!({"changes": [
            {"resource": "tenant", "kind": "replace", "versionBefore": 1, "versionAfter": 2},
            {"resource": "invoice INV-2026-000001", "kind": "create", "versionAfter": 1},
            {"resource": "apiKey k1", "kind": "delete"},
            {"resource": "apiKey k2", "kind": "put"}
        ]});
        assert_eq!(summary(&entry), "tenant 1→2, invoice INV-2026-000001 new (1), apiKey k1 deleted, apiKey k2");
        assert_eq!(summary(&json!({"changes": []})), "");
    }
}
