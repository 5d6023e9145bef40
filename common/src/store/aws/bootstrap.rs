//! Creates the table and bucket (versioned, with Object Lock) when they are absent: tests, local
//! runs against moto, and a first deploy's smoke test use it. Safe to run again.

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex, GlobalSecondaryIndexUpdate, IndexStatus, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};

use super::items::TENANTS_GSI;
use super::{AwsStore, sdk_unavailable};
use crate::store::StoreError;

/// Items with this attribute (epoch seconds) expire by DynamoDB's TTL, e.g. idempotency records.
pub const TTL_ATTRIBUTE: &str = "expiresAt";

pub async fn bootstrap(store: &AwsStore, region: &str) -> Result<(), StoreError> {
    ensure_table(&store.ddb, &store.table).await?;
    #[cfg(feature = "s3")]
    ensure_bucket(&store.s3, &store.bucket, region).await?;
    #[cfg(not(feature = "s3"))]
    let _ = region;
    Ok(())
}

async fn ensure_table(ddb: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), StoreError> {
    let exists = match ddb.describe_table().table_name(table).send().await {
        Ok(_) => true,
        Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_not_found_exception()) => false,
        Err(e) => return Err(sdk_unavailable("DescribeTable", e)),
    };
    let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build().map_err(|e| StoreError::Corrupt(e.to_string()));
    let attr = |name: &str| {
        AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build().map_err(|e| StoreError::Corrupt(e.to_string()))
    };
    let all = Projection::builder().projection_type(ProjectionType::All).build();
    if !exists {
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(TENANTS_GSI)
            .key_schema(key("GSI1PK", KeyType::Hash)?)
            .key_schema(key("GSI1SK", KeyType::Range)?)
            .projection(all.clone())
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let created = ddb
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("PK", KeyType::Hash)?)
            .key_schema(key("SK", KeyType::Range)?)
            .attribute_definitions(attr("PK")?)
            .attribute_definitions(attr("SK")?)
            .attribute_definitions(attr("GSI1PK")?)
            .attribute_definitions(attr("GSI1SK")?)
            .global_secondary_indexes(gsi)
            .send()
            .await;
        match created {
            Ok(_) => {}
            // Another process created it between our describe and create.
            Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_in_use_exception()) => {}
            Err(e) => return Err(sdk_unavailable("CreateTable", e)),
        }
    }
    wait_active(ddb, table).await?;
    // A table made before the tenant index existed gets it now.
    let described = ddb.describe_table().table_name(table).send().await.map_err(|e| sdk_unavailable("DescribeTable", e))?;
    let has_index = described.table.and_then(|t| t.global_secondary_indexes).unwrap_or_default().iter().any(|g| g.index_name() == Some(TENANTS_GSI));
    if !has_index {
        let create = CreateGlobalSecondaryIndexAction::builder()
            .index_name(TENANTS_GSI)
            .key_schema(key("GSI1PK", KeyType::Hash)?)
            .key_schema(key("GSI1SK", KeyType::Range)?)
            .projection(all)
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        ddb.update_table()
            .table_name(table)
            .attribute_definitions(attr("GSI1PK")?)
            .attribute_definitions(attr("GSI1SK")?)
            .global_secondary_index_updates(GlobalSecondaryIndexUpdate::builder().create(create).build())
            .send()
            .await
            .map_err(|e| sdk_unavailable("UpdateTable", e))?;
        wait_index(ddb, table).await?;
    }
    let ttl = ddb.describe_time_to_live().table_name(table).send().await.map_err(|e| sdk_unavailable("DescribeTimeToLive", e))?;
    let enabled = ttl.time_to_live_description.and_then(|d| d.attribute_name).is_some_and(|a| a == TTL_ATTRIBUTE);
    if !enabled {
        let spec = TimeToLiveSpecification::builder().enabled(true).attribute_name(TTL_ATTRIBUTE).build().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        ddb.update_time_to_live().table_name(table).time_to_live_specification(spec).send().await.map_err(|e| sdk_unavailable("UpdateTimeToLive", e))?;
    }
    Ok(())
}

async fn wait_active(ddb: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), StoreError> {
    for _ in 0..120 {
        let out = ddb.describe_table().table_name(table).send().await.map_err(|e| sdk_unavailable("DescribeTable", e))?;
        if out.table.and_then(|t| t.table_status) == Some(TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(StoreError::Unavailable(format!("table {table} did not become ACTIVE within a minute")))
}

async fn wait_index(ddb: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), StoreError> {
    for _ in 0..600 {
        let out = ddb.describe_table().table_name(table).send().await.map_err(|e| sdk_unavailable("DescribeTable", e))?;
        let status = out.table.and_then(|t| t.global_secondary_indexes).unwrap_or_default().into_iter().find(|g| g.index_name() == Some(TENANTS_GSI));
        if status.and_then(|g| g.index_status) == Some(IndexStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Err(StoreError::Unavailable(format!("index {TENANTS_GSI} of {table} did not become ACTIVE within 10 minutes")))
}

/// The bucket, versioned with Object Lock enabled (issued PDFs are written with a retention of
/// their own; no default retention is set on the bucket, so staging uploads are not locked). A
/// bucket made without Object Lock gets it now (S3 allows that once versioning is on).
#[cfg(feature = "s3")]
async fn ensure_bucket(s3: &aws_sdk_s3::Client, bucket: &str, region: &str) -> Result<(), StoreError> {
    use aws_sdk_s3::types::{BucketVersioningStatus, ObjectLockConfiguration, ObjectLockEnabled, VersioningConfiguration};
    if s3.head_bucket().bucket(bucket).send().await.is_ok() {
        let lock = s3.get_object_lock_configuration().bucket(bucket).send().await;
        let enabled = lock.ok().and_then(|o| o.object_lock_configuration).and_then(|c| c.object_lock_enabled) == Some(ObjectLockEnabled::Enabled);
        if !enabled {
            let versioning = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
            s3.put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(versioning)
                .send()
                .await
                .map_err(|e| sdk_unavailable("PutBucketVersioning", e))?;
            let config = ObjectLockConfiguration::builder().object_lock_enabled(ObjectLockEnabled::Enabled).build();
            s3.put_object_lock_configuration()
                .bucket(bucket)
                .object_lock_configuration(config)
                .send()
                .await
                .map_err(|e| sdk_unavailable("PutObjectLockConfiguration (issued PDFs are written with Object Lock)", e))?;
        }
        return Ok(());
    }
    let mut req = s3.create_bucket().bucket(bucket).object_lock_enabled_for_bucket(true);
    if region != "us-east-1" {
        let cfg =
            aws_sdk_s3::types::CreateBucketConfiguration::builder().location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region)).build();
        req = req.create_bucket_configuration(cfg);
    }
    match req.send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|se| se.is_bucket_already_owned_by_you()) => Ok(()),
        Err(e) => Err(sdk_unavailable("CreateBucket", e)),
    }
}
