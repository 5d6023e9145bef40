//! The AWS adapter: records in one DynamoDB table, objects in one S3 bucket.
//!
//! Table layout (single table, string keys `PK` and `SK`):
//!
//! | item      | PK                    | SK                  |
//! |-----------|-----------------------|---------------------|
//! | tenant    | `TENANT#<tenantId>`   | `TENANT`            |
//! | contract  | `TENANT#<tenantId>`   | `CONTRACT#<id>`     |
//! | principal | `PRINCIPAL#<arn>`     | `PRINCIPAL`         |
//! | API key   | `APIKEY#<apiKeyId>`   | `APIKEY`            |
//! | billing   | `TENANT#<tenantId>`   | `BILLING#<billingId>` (ids lead with their period) |
//! | idempotency | `TENANT#<tenantId>` | `IDEMPOTENCY#<key>` (expires by TTL) |
//! | invoice   | `TENANT#<tenantId>`   | `INVOICE#<number>`  |
//! | issuer    | `ISSUER`              | `SETTINGS`          |
//! | counter   | `ISSUER`              | `COUNTER#<year>` (attribute `next`) |
//! | metering  | `TENANT#<tenantId>`   | `USAGE#<YYYY-MM-DD>` (numbers added to atomically) |
//!
//! Tenant items also carry `GSI1PK = TENANTS` and `GSI1SK = <tenantId>`: the sparse index
//! `GSI1` lists every tenant, in id order, without a scan. Principal items carry
//! `GSI1PK = PRINCIPALS#TENANT#<tenantId>` (or `PRINCIPALS#OPERATOR`) and `GSI1SK = <arn>`, so the
//! same index lists an owner's principals.
//! Every tenant item carries `tenantId`; every versioned item carries `version`, and writes are
//! guarded by condition expressions on it. Objects live under `tenants/<tenantId>/` in the bucket.

mod archive;
mod audit;
mod batch;
mod billing;
mod bootstrap;
mod dynamo;
mod invoices;
mod items;
mod metering;
#[cfg(not(feature = "s3"))]
mod no_s3;
#[cfg(not(feature = "sqs"))]
mod no_sqs;
mod runs;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "sqs")]
mod sqs;

use std::sync::Arc;

pub use bootstrap::bootstrap;
pub use items::{MAX_ITEM_BYTES, item_size};

use super::{CursorCodec, PdfRetention, StoreError, Stores};
use crate::clock::Clock;

/// Where the AWS adapter finds its table and bucket.
#[derive(Debug, Clone)]
pub struct AwsSettings {
    pub region: String,
    /// A DynamoDB/S3-protocol endpoint other than AWS (moto, for tests); path-style S3 then.
    pub endpoint: Option<String>,
    pub table: String,
    pub bucket: String,
    /// Fixed credentials (for a local endpoint); otherwise the default provider chain.
    pub static_credentials: Option<(String, String)>,
    /// The SQS queue month-end runs send their work to (`SEIKYU_RUN_QUEUE_URL`); only the routes
    /// that start runs, and the run worker, need it.
    pub run_queue_url: Option<String>,
    /// The Object Lock retention issued invoices' PDFs are written with (`SEIKYU_PDF_RETENTION_YEARS`,
    /// `SEIKYU_PDF_LOCK_MODE`); the bucket must have Object Lock enabled.
    pub pdf_retention: PdfRetention,
}

pub struct AwsStore {
    pub(crate) ddb: aws_sdk_dynamodb::Client,
    #[cfg(feature = "s3")]
    pub(crate) s3: aws_sdk_s3::Client,
    #[cfg(feature = "sqs")]
    pub(crate) sqs: aws_sdk_sqs::Client,
    #[cfg(feature = "sqs")]
    pub(crate) run_queue_url: Option<String>,
    pub(crate) table: String,
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    pub(crate) bucket: String,
    pub(crate) codec: CursorCodec,
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    pub(crate) clock: Arc<dyn Clock>,
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    pub(crate) pdf_retention: PdfRetention,
}

impl AwsStore {
    /// Builds the SDK clients once (call at init, not per request).
    pub async fn connect(settings: &AwsSettings, cursor_key: &[u8], clock: Arc<dyn Clock>) -> Result<Arc<Self>, StoreError> {
        let shared = crate::aws_http::sdk_config(Some(settings.region.clone()), settings.endpoint.clone(), settings.static_credentials.clone()).await;
        #[cfg(feature = "s3")]
        let s3_conf = aws_sdk_s3::config::Builder::from(&shared).force_path_style(settings.endpoint.is_some()).build();
        Ok(Arc::new(Self {
            ddb: aws_sdk_dynamodb::Client::new(&shared),
            #[cfg(feature = "s3")]
            s3: aws_sdk_s3::Client::from_conf(s3_conf),
            #[cfg(feature = "sqs")]
            sqs: aws_sdk_sqs::Client::new(&shared),
            #[cfg(feature = "sqs")]
            run_queue_url: settings.run_queue_url.clone(),
            table: settings.table.clone(),
            bucket: settings.bucket.clone(),
            codec: CursorCodec::new(cursor_key).map_err(StoreError::Unavailable)?,
            clock,
            pdf_retention: settings.pdf_retention,
        }))
    }

    pub fn stores(self: &Arc<Self>) -> Stores {
        Stores {
            tenants: self.clone(),
            principals: self.clone(),
            contracts: self.clone(),
            billings: self.clone(),
            idempotency: self.clone(),
            invoices: self.clone(),
            objects: self.clone(),
            metering: self.clone(),
            runs: self.clone(),
            queue: self.clone(),
            audit: self.clone(),
            archive: self.clone(),
        }
    }

    pub fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        &self.ddb
    }

    #[cfg(feature = "s3")]
    pub fn s3(&self) -> &aws_sdk_s3::Client {
        &self.s3
    }
}

/// SDK errors carry their whole context only through `DisplayErrorContext`; it goes to the log.
pub(crate) fn sdk_unavailable<E: std::error::Error + Send + Sync + 'static>(what: &str, e: E) -> StoreError {
    StoreError::Unavailable(format!("{what}: {}", aws_smithy_types::error::display::DisplayErrorContext(e)))
}
