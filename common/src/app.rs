//! Everything a handler needs, built once per process (Lambda init, or the local gateway).

#[cfg(feature = "embedded")]
use std::path::PathBuf;
use std::sync::Arc;

use crate::clock::{Clock, IdGenerator, RandomIds, SystemClock};
use crate::store::aws::{AwsSettings, AwsStore};
#[cfg(feature = "embedded")]
use crate::store::embedded::{EmbeddedOptions, EmbeddedStore};
use crate::store::{PdfRetention, Stores};

#[derive(Clone)]
pub struct App {
    pub stores: Stores,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    /// Renders invoice PDFs; only the routes that issue invoices need one.
    pub renderer: Option<crate::render::SharedRenderer>,
    /// Manages tenants' API keys on usage plans; only the tenant and usage routes need it.
    pub keys: Option<Arc<dyn crate::apikeys::ApiKeys>>,
    /// Mints access keys for registered users: the local gateway only (IAM itself on AWS).
    pub iam: Option<Arc<dyn crate::iam::AccessKeyIssuer>>,
}

/// Which storage a process uses, from its environment.
#[derive(Debug, Clone)]
pub enum StorageConfig {
    Aws(AwsSettings),
    /// Local runs and tests (feature `embedded`; Lambda packages leave it out).
    #[cfg(feature = "embedded")]
    Embedded {
        data_dir: PathBuf,
        pdf_retention: PdfRetention,
    },
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("environment variable {name} is not set"))
}

/// Decodes a hex key of at least 32 bytes.
pub fn decode_key(name: &str, hex_text: &str) -> Result<Vec<u8>, String> {
    let key = hex::decode(hex_text.trim()).map_err(|_| format!("{name} must be hex"))?;
    if key.len() < 32 {
        return Err(format!("{name} must be at least 32 bytes (64 hex digits)"));
    }
    Ok(key)
}

impl App {
    /// Reads `SEIKYU_STORAGE` (`dynamodb`, the default, or `embedded`), `SEIKYU_TABLE`,
    /// `SEIKYU_BUCKET`, `AWS_REGION`, optional `SEIKYU_ENDPOINT_URL`, `SEIKYU_DATA_DIR`, and the
    /// cursor key `SEIKYU_CURSOR_KEY` (hex, ≥ 32 bytes), and how issued PDFs are locked
    /// (`SEIKYU_PDF_RETENTION_YEARS`, `SEIKYU_PDF_LOCK_MODE`; see `PdfRetention`). Fails at
    /// start-up, never mid-request.
    pub async fn from_env() -> Result<Self, String> {
        let cursor_key = decode_key("SEIKYU_CURSOR_KEY", &env("SEIKYU_CURSOR_KEY")?)?;
        let pdf_retention = PdfRetention::from_env()?;
        let storage = match std::env::var("SEIKYU_STORAGE").as_deref().unwrap_or("dynamodb") {
            "dynamodb" => StorageConfig::Aws(AwsSettings {
                region: env("AWS_REGION")?,
                endpoint: std::env::var("SEIKYU_ENDPOINT_URL").ok().filter(|s| !s.is_empty()),
                table: env("SEIKYU_TABLE")?,
                bucket: env("SEIKYU_BUCKET")?,
                static_credentials: None,
                run_queue_url: std::env::var("SEIKYU_RUN_QUEUE_URL").ok().filter(|s| !s.is_empty()),
                pdf_retention,
            }),
            #[cfg(feature = "embedded")]
            "embedded" => StorageConfig::Embedded { data_dir: PathBuf::from(env("SEIKYU_DATA_DIR")?), pdf_retention },
            #[cfg(not(feature = "embedded"))]
            "embedded" => return Err("SEIKYU_STORAGE=embedded: this build has no embedded storage (feature `embedded`)".into()),
            other => return Err(format!("SEIKYU_STORAGE must be dynamodb or embedded, not {other}")),
        };
        Self::build(&storage, &cursor_key, Arc::new(SystemClock), Arc::new(RandomIds), None).await
    }

    /// Builds the app over the given storage. `presign` is the embedded store's presign key and
    /// public base URL (ignored for AWS).
    pub async fn build(
        storage: &StorageConfig,
        cursor_key: &[u8],
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        presign: Option<(Vec<u8>, String)>,
    ) -> Result<Self, String> {
        #[cfg(not(feature = "embedded"))]
        let _ = presign;
        let stores = match storage {
            StorageConfig::Aws(settings) => AwsStore::connect(settings, cursor_key, clock.clone()).await.map_err(|e| e.to_string())?.stores(),
            #[cfg(feature = "embedded")]
            StorageConfig::Embedded { data_dir, pdf_retention } => {
                let (presign_key, public_base_url) = presign.unwrap_or_else(|| (cursor_key.to_vec(), "http://127.0.0.1:3000".into()));
                let options = EmbeddedOptions { cursor_key: cursor_key.to_vec(), presign_key, public_base_url };
                EmbeddedStore::open_with_retention(data_dir, options, *pdf_retention, clock.clone()).map_err(|e| e.to_string())?.stores()
            }
        };
        Ok(Self { stores, clock, ids, renderer: None, keys: None, iam: None })
    }
}
