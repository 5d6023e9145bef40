//! Starting the gateway: storage, keys, credentials and the demo, the same for the binary and for
//! tests that run it in-process.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::App;
use common::clock::{Clock, IdGenerator, RandomIds};
use common::store::aws::{AwsSettings, AwsStore, bootstrap};
use common::store::embedded::{EmbeddedOptions, EmbeddedStore};
use serde::{Deserialize, Serialize};

use crate::credentials::{CredentialFile, Credentials};
use crate::demo::{self, DemoCredentials};
use crate::iam::GatewayIam;
use crate::keys::GatewayKeys;
use crate::limits::Limiter;
use crate::server::Gateway;

#[derive(Debug, Clone)]
pub struct Options {
    pub host: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    pub data_dir: PathBuf,
    pub region: String,
    /// DynamoDB/S3 instead of the embedded store.
    pub aws: Option<AwsTarget>,
    /// Seed the demo when the data directory has no credentials yet.
    pub demo: bool,
    /// Enforce usage plans (throttles and quotas); off only to measure the gateway itself.
    pub throttle: bool,
}

#[derive(Debug, Clone)]
pub struct AwsTarget {
    /// Another endpoint than AWS (moto); `None` means AWS itself, with the default credentials.
    pub endpoint: Option<String>,
    pub table: String,
    pub bucket: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 3000,
            data_dir: PathBuf::from(".seikyu"),
            region: "ap-northeast-1".into(),
            aws: None,
            demo: true,
            throttle: true,
        }
    }
}

/// Secrets the gateway keeps with its data so that cursors and presigned URLs survive restarts.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Keys {
    cursor_key: String,
    presign_key: String,
}

/// The cursor and presign keys kept in `dir` (made on first use).
pub fn keys(dir: &Path) -> Result<(Vec<u8>, Vec<u8>), String> {
    let path = dir.join("keys.json");
    let keys: Keys = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?,
        Err(_) => {
            let k = Keys { cursor_key: RandomIds.token(32), presign_key: RandomIds.token(32) };
            std::fs::write(&path, serde_json::to_string_pretty(&k).map_err(|e| e.to_string())?).map_err(|e| format!("writing {}: {e}", path.display()))?;
            k
        }
    };
    Ok((common::app::decode_key("cursorKey", &keys.cursor_key)?, common::app::decode_key("presignKey", &keys.presign_key)?))
}

pub struct Started {
    pub gateway: Arc<Gateway>,
    pub listener: tokio::net::TcpListener,
    pub endpoint: String,
    pub demo: Option<DemoCredentials>,
}

pub async fn start(options: &Options, clock: Arc<dyn Clock>) -> Result<Started, String> {
    std::fs::create_dir_all(&options.data_dir).map_err(|e| format!("creating {}: {e}", options.data_dir.display()))?;
    let listener = tokio::net::TcpListener::bind((options.host, options.port)).await.map_err(|e| format!("binding {}:{}: {e}", options.host, options.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let endpoint = format!("http://{addr}");
    let (cursor_key, presign_key) = keys(&options.data_dir)?;
    // Issued PDFs are locked as on AWS (SEIKYU_PDF_RETENTION_YEARS, SEIKYU_PDF_LOCK_MODE).
    let pdf_retention = common::store::PdfRetention::from_env()?;
    let (stores, objects) = match &options.aws {
        None => {
            let opts = EmbeddedOptions { cursor_key, presign_key, public_base_url: endpoint.clone() };
            let store = EmbeddedStore::open_with_retention(&options.data_dir, opts, pdf_retention, clock.clone()).map_err(|e| e.to_string())?;
            (store.stores(), Some(store))
        }
        Some(target) => {
            let static_credentials = target.endpoint.as_ref().map(|_| ("testing".to_owned(), "testing".to_owned()));
            let settings = AwsSettings {
                region: options.region.clone(),
                endpoint: target.endpoint.clone(),
                table: target.table.clone(),
                bucket: target.bucket.clone(),
                static_credentials,
                run_queue_url: None,
                pdf_retention,
            };
            let store = AwsStore::connect(&settings, &cursor_key, clock.clone()).await.map_err(|e| e.to_string())?;
            bootstrap(&store, &options.region).await.map_err(|e| e.to_string())?;
            (store.stores(), None)
        }
    };
    // The font is loaded once, here: a missing font stops start-up with a message naming the path.
    let renderer = issue_invoice::PdfRenderer::from_env()?;
    let (credentials, fresh) = match Credentials::load(&options.data_dir)? {
        Some(c) => (c, false),
        None => (Credentials::create(&options.data_dir, CredentialFile::default())?, true),
    };
    let credentials = Arc::new(credentials);
    let limiter = Arc::new(if options.throttle { Limiter::open(Some(options.data_dir.join(Limiter::FILE)))? } else { Limiter::unlimited() });
    // Tenants' API keys live in the gateway's own registry, as they live in API Gateway on AWS.
    let keys = Arc::new(GatewayKeys::new(credentials.clone(), limiter.clone()));
    // Access keys minted for registered users go to the same registry, as IAM's would.
    let iam = Arc::new(GatewayIam::new(credentials.clone(), &options.region));
    let app = Arc::new(App { stores, clock: clock.clone(), ids: Arc::new(RandomIds), renderer: Some(Arc::new(renderer)), keys: Some(keys), iam: Some(iam) });
    let demo = if fresh && options.demo {
        let demo = demo::seed(&app, &credentials, &endpoint, &options.region).await?;
        demo::write(&options.data_dir, &demo)?;
        Some(demo)
    } else {
        demo::read(&options.data_dir)
    };
    // The port may differ from the one the demo file was written with.
    let demo = demo.map(|d| DemoCredentials { endpoint: endpoint.clone(), ..d });
    let gateway = Arc::new(Gateway::new(app, credentials, &options.region, objects, limiter));
    Ok(Started { gateway, listener, endpoint, demo })
}
