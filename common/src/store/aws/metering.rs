//! Metered counters in DynamoDB: one item per tenant and day, added to with `ADD` (atomic, so
//! concurrent Lambdas never lose a count).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;

use super::items::{self, tenant_pk, usage_sk};
use super::{AwsStore, sdk_unavailable};
use crate::domain::{Metered, TenantId};
use crate::store::{MeteringStore, StoreError};

fn number(item: &items::Item, name: &str) -> Result<u64, StoreError> {
    match item.get(name) {
        None => Ok(0),
        Some(AttributeValue::N(n)) => n.parse().map_err(|_| StoreError::Corrupt(format!("{name} is not a count: {n}"))),
        Some(_) => Err(StoreError::Corrupt(format!("{name} is not a number"))),
    }
}

#[async_trait]
impl MeteringStore for AwsStore {
    async fn add_metered(&self, tenant: &TenantId, day: NaiveDate, delta: &Metered) -> Result<(), StoreError> {
        let n = |v: u64| AttributeValue::N(v.to_string());
        self.ddb
            .update_item()
            .table_name(&self.table)
            .set_key(Some(items::key(tenant_pk(tenant), &usage_sk(day))))
            .update_expression("SET tenantId = :t ADD bytesStreamed :b, invoicesRendered :i, exports :e")
            .expression_attribute_values(":t", AttributeValue::S(tenant.to_string()))
            .expression_attribute_values(":b", n(delta.bytes_streamed))
            .expression_attribute_values(":i", n(delta.invoices_rendered))
            .expression_attribute_values(":e", n(delta.exports))
            .send()
            .await
            .map_err(|e| sdk_unavailable("UpdateItem", e))?;
        Ok(())
    }

    async fn metered(&self, tenant: &TenantId, from: NaiveDate, to: NaiveDate) -> Result<Vec<(NaiveDate, Metered)>, StoreError> {
        let pk = tenant_pk(tenant);
        let (lo, hi) = (usage_sk(from), usage_sk(to));
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let (page, next) = self.query_page(&pk, Some((&lo, &hi)), start, 400, None).await?;
            for item in page {
                let sk = match item.get("SK") {
                    Some(AttributeValue::S(s)) => s.clone(),
                    _ => return Err(StoreError::Corrupt("metering item without SK".into())),
                };
                let day = NaiveDate::parse_from_str(sk.trim_start_matches("USAGE#"), "%Y-%m-%d")
                    .map_err(|e| StoreError::Corrupt(format!("metering day {sk}: {e}")))?;
                let m = Metered {
                    bytes_streamed: number(&item, "bytesStreamed")?,
                    invoices_rendered: number(&item, "invoicesRendered")?,
                    exports: number(&item, "exports")?,
                };
                out.push((day, m));
            }
            match next {
                Some(k) => start = Some(k),
                None => return Ok(out),
            }
        }
    }
}
