//! The audit trail in DynamoDB. An entry lives in its tenant's partition (`TENANT#<id>` /
//! `AUDIT#<entry id>`; the operator's own under `OPERATOR`), so a tenant's trail is one Query and
//! is exported with the tenant; every entry is also in the index `GSI1` under `AUDIT#<YYYY-MM>`,
//! for the operator's all-tenants listing month by month without a scan.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Datelike, NaiveDate};

use super::dynamo::Cond;
use super::items::{self, AUDIT_SK_PREFIX, Item, TENANTS_GSI};
use super::{AwsStore, invoices, sdk_unavailable};
use crate::audit::AuditEntry;
use crate::store::{AuditQuery, AuditStore, Page, PageRequest, StoreError};

const ALL_SCOPE: &str = "audit";

/// The months `from..to` touches, as the index partitions name them.
fn months(query: &AuditQuery) -> Vec<String> {
    let mut out = Vec::new();
    let (from, to) = (query.from.date_naive(), query.to.date_naive());
    let mut m = NaiveDate::from_ymd_opt(from.year(), from.month(), 1);
    while let Some(d) = m {
        if d > to {
            break;
        }
        out.push(d.format("%Y-%m").to_string());
        m = d.checked_add_months(chrono::Months::new(1));
    }
    out
}

impl AwsStore {
    /// One index page of month `month`'s entries with ids in `lo..=hi`, after `start`.
    async fn audit_index_page(&self, month: &str, lo: &str, hi: &str, start: Option<Item>, limit: i32) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let out = self
            .ddb
            .query()
            .table_name(&self.table)
            .index_name(TENANTS_GSI)
            .key_condition_expression("GSI1PK = :pk AND GSI1SK BETWEEN :lo AND :hi")
            .expression_attribute_values(":pk", AttributeValue::S(items::audit_gsi_pk(month)))
            .expression_attribute_values(":lo", AttributeValue::S(lo.to_owned()))
            .expression_attribute_values(":hi", AttributeValue::S(hi.to_owned()))
            .set_exclusive_start_key(start)
            .limit(limit)
            .send()
            .await
            .map_err(|e| sdk_unavailable("Query", e))?;
        Ok((out.items.unwrap_or_default(), out.last_evaluated_key))
    }

    async fn list_all_audit(&self, query: &AuditQuery, page: &PageRequest) -> Result<Page<AuditEntry>, StoreError> {
        let limit = page.limit.max(1);
        let scope = format!("{ALL_SCOPE}?{}", query.scope());
        // The position is the last entry's id and partition: an index's start key needs both.
        let after = page.cursor.as_deref().map(|c| self.codec.open_global(&scope, c)).transpose()?;
        let after = match after.as_deref().map(|a| a.split_once(' ')) {
            None => None,
            Some(Some((id, pk))) => Some((id.to_owned(), pk.to_owned())),
            Some(None) => return Err(StoreError::InvalidCursor),
        };
        let (lo, hi) = query.id_range();
        let mut out: Vec<AuditEntry> = Vec::with_capacity(limit);
        let position = |e: &AuditEntry| format!("{} {}", e.entry_id, items::audit_pk(e.tenant_id.as_ref()));
        for month in months(query) {
            let mut start = None;
            if let Some((id, pk)) = &after {
                match id.get(..7) {
                    // Months before the cursor's are done.
                    Some(m) if m > month.as_str() => continue,
                    Some(m) if m == month.as_str() => {
                        start = Some(HashMap::from([
                            ("GSI1PK".to_owned(), AttributeValue::S(items::audit_gsi_pk(&month))),
                            ("GSI1SK".to_owned(), AttributeValue::S(id.clone())),
                            ("PK".to_owned(), AttributeValue::S(pk.clone())),
                            ("SK".to_owned(), AttributeValue::S(format!("{AUDIT_SK_PREFIX}{id}"))),
                        ]));
                    }
                    _ => {}
                }
            }
            loop {
                let (found, next) = self.audit_index_page(&month, &lo, &hi, start, i32::try_from(limit + 1).unwrap_or(i32::MAX)).await?;
                for item in found {
                    if out.len() == limit {
                        let next_cursor = self.codec.next_global(&scope, true, out.last().map(position).as_deref());
                        return Ok(Page { items: out, next_cursor });
                    }
                    out.push(items::from_item(item)?);
                }
                match next {
                    Some(k) => start = Some(k),
                    None => break,
                }
            }
        }
        Ok(Page { items: out, next_cursor: None })
    }
}

#[async_trait]
impl AuditStore for AwsStore {
    async fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let writes = entries.iter().map(|e| invoices::put(&self.table, items::audit_item(e)?, Cond::Absent)).collect::<Result<Vec<_>, _>>()?;
        match writes.len() {
            0 => Ok(()),
            _ => match self.transact(writes).await {
                Err(StoreError::VersionMismatch) => Err(StoreError::AlreadyExists),
                other => other,
            },
        }
    }

    async fn list_audit(&self, query: &AuditQuery, page: &PageRequest) -> Result<Page<AuditEntry>, StoreError> {
        let Some(tenant) = &query.tenant else { return self.list_all_audit(query, page).await };
        let scope = query.scope();
        let after = page.cursor.as_deref().map(|c| self.codec.open(tenant, &scope, c)).transpose()?.map(|id| format!("{AUDIT_SK_PREFIX}{id}"));
        let (lo, hi) = query.id_range();
        let (lo, hi) = (format!("{AUDIT_SK_PREFIX}{lo}"), format!("{AUDIT_SK_PREFIX}{hi}"));
        let (items, more) = self.page(&items::tenant_pk(tenant), &lo, &hi, after, page.limit.max(1), |_: &AuditEntry| true).await?;
        let next_cursor = self.codec.next(tenant, &scope, more, items.last().map(|e| e.entry_id.as_str()));
        Ok(Page { items, next_cursor })
    }
}
