//! Billing records and idempotency records in DynamoDB.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::dynamo::Cond;
use super::items::{self, BILLING_SK_PREFIX};
use super::{AwsStore, sdk_unavailable};
use crate::domain::{BillingFilter, BillingId, BillingRecord, TenantId};
use crate::store::{Begin, BillingStore, IdempotencyKey, IdempotencyRecord, IdempotencyScope, IdempotencyStore, Page, PageRequest, StoreError, StoredResponse};

#[async_trait]
impl BillingStore for AwsStore {
    async fn create_billing(&self, b: &BillingRecord) -> Result<(), StoreError> {
        self.put(items::tenant_pk(&b.tenant_id), items::billing_sk(&b.billing_id), b, Cond::Absent).await
    }

    async fn replace_billing(&self, b: &BillingRecord, expected_version: u64) -> Result<(), StoreError> {
        self.put(items::tenant_pk(&b.tenant_id), items::billing_sk(&b.billing_id), b, Cond::Version(expected_version)).await
    }

    async fn get_billing(&self, tenant: &TenantId, id: &BillingId) -> Result<Option<BillingRecord>, StoreError> {
        self.get(items::tenant_pk(tenant), &items::billing_sk(id)).await
    }

    async fn list_billings(&self, tenant: &TenantId, filter: &BillingFilter, page: &PageRequest) -> Result<Page<BillingRecord>, StoreError> {
        let scope = filter.scope();
        let after = page.cursor.as_deref().map(|c| self.codec.open(tenant, &scope, c)).transpose()?.map(|id| format!("{BILLING_SK_PREFIX}{id}"));
        // Ids lead with their period, so a period range is one sort-key range.
        let lo = format!("{BILLING_SK_PREFIX}{}", filter.from.map(|p| p.to_string()).unwrap_or_default());
        let hi = format!("{BILLING_SK_PREFIX}{}-~", filter.to.map_or_else(|| "9999-99".to_owned(), |p| p.to_string()));
        let (items, more) = self.page(&items::tenant_pk(tenant), &lo, &hi, after, page.limit.max(1), |b: &BillingRecord| filter.matches(b)).await?;
        let next_cursor = self.codec.next(tenant, &scope, more, items.last().map(|l| l.billing_id.as_str()));
        Ok(Page { items, next_cursor })
    }
}

/// The partition a scope's keys live in: the tenant's own, the runs' (whose sort keys never
/// start with the idempotency prefix), or one of the onboardings' own.
fn scope_pk(scope: &IdempotencyScope) -> String {
    match scope {
        IdempotencyScope::Tenant(t) => items::tenant_pk(t),
        IdempotencyScope::Runs => "RUNS".to_owned(),
        IdempotencyScope::Onboarding => "ONBOARDING".to_owned(),
    }
}

#[async_trait]
impl IdempotencyStore for AwsStore {
    async fn begin(&self, scope: &IdempotencyScope, key: &IdempotencyKey, request_hash: &str, now: DateTime<Utc>) -> Result<Begin, StoreError> {
        let (pk, sk) = (scope_pk(scope), items::idempotency_sk(key));
        let record = IdempotencyRecord::in_progress(scope, key, request_hash, now);
        let item = items::to_item(pk.clone(), sk.clone(), &record)?;
        // Claim the key when it is free, expired, or held by a dead attempt at the same request.
        let claimed = self
            .ddb
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK) OR expiresAt <= :now OR (#state = :running AND leaseUntil <= :now AND requestHash = :hash)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .expression_attribute_values(":running", AttributeValue::S("inProgress".into()))
            .expression_attribute_values(":hash", AttributeValue::S(request_hash.to_owned()))
            .send()
            .await;
        match claimed {
            Ok(_) => Ok(Begin::Started),
            Err(SdkError::ServiceError(se)) if matches!(se.err(), PutItemError::ConditionalCheckFailedException(_)) => {
                let existing: Option<IdempotencyRecord> = self.get(pk, &sk).await?;
                Ok(match existing.map(|e| e.admits(request_hash, now)) {
                    Some(Begin::Started) | None => Begin::InProgress,
                    Some(other) => other,
                })
            }
            Err(e) => Err(sdk_unavailable("PutItem", e)),
        }
    }

    async fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        request_hash: &str,
        response: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let record = IdempotencyRecord::completed(scope, key, request_hash, response, now);
        self.put(scope_pk(scope), items::idempotency_sk(key), &record, Cond::None).await
    }

    async fn abandon(&self, scope: &IdempotencyScope, key: &IdempotencyKey) -> Result<(), StoreError> {
        self.delete(scope_pk(scope), &items::idempotency_sk(key)).await
    }
}
