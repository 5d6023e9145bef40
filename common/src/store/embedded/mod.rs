//! The embedded adapter for local runs: records in a redb database, objects as files, both under
//! one data directory that survives restarts.

mod archive;
mod audit;
mod billing;
mod invoices;
mod metering;
mod object_server;
mod objects;
mod queue;
mod records;
mod runs;
mod tables;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, TableDefinition};

pub use object_server::serve_objects;
pub use objects::PutError;
pub use queue::Delivery;

use super::{CursorCodec, PdfRetention, StoreError, Stores};
use crate::clock::Clock;

pub(crate) const TENANTS: TableDefinition<&str, &[u8]> = TableDefinition::new("tenants");
pub(crate) const PRINCIPALS: TableDefinition<&str, &[u8]> = TableDefinition::new("principals");
pub(crate) const API_KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("api_keys");
pub(crate) const CONTRACTS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("contracts");
pub(crate) const BILLINGS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("billings");
pub(crate) const IDEMPOTENCY: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("idempotency");
pub(crate) const OBJECTS: TableDefinition<&str, &[u8]> = TableDefinition::new("objects");
/// Issuer settings and invoice-number counters.
pub(crate) const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");
pub(crate) const INVOICES: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("invoices");
/// Metered counters by (tenant, `YYYY-MM-DD`).
pub(crate) const RUN_QUEUE: TableDefinition<&str, &[u8]> = TableDefinition::new("run_queue");
pub(crate) const RUNS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("runs");
pub(crate) const RUN_ITEMS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("run_items");
pub(crate) const METERING: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("metering");

/// redb's page cache.
const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Settings the embedded store needs beyond its directory.
#[derive(Clone)]
pub struct EmbeddedOptions {
    pub cursor_key: Vec<u8>,
    /// Signs presigned object URLs; kept with the data so URLs survive a restart.
    pub presign_key: Vec<u8>,
    /// Where `serve_objects` answers, e.g. `http://127.0.0.1:3000`; presigned URLs start with it.
    pub public_base_url: String,
}

pub struct EmbeddedStore {
    db: Arc<Database>,
    objects_dir: PathBuf,
    codec: CursorCodec,
    presign_key: Vec<u8>,
    base_url: String,
    clock: Arc<dyn Clock>,
    /// How long issued invoices' PDFs are kept unchanged (recorded with each one).
    pdf_retention: PdfRetention,
}

impl EmbeddedStore {
    /// Opens (creating when absent) the store in `dir`, keeping issued PDFs for the default
    /// retention (`PdfRetention::default()`, 7 years).
    pub fn open(dir: &Path, options: EmbeddedOptions, clock: Arc<dyn Clock>) -> Result<Arc<Self>, StoreError> {
        Self::open_with_retention(dir, options, PdfRetention::default(), clock)
    }

    /// `open`, keeping the issued PDFs it stores from now on for `pdf_retention`.
    pub fn open_with_retention(dir: &Path, options: EmbeddedOptions, pdf_retention: PdfRetention, clock: Arc<dyn Clock>) -> Result<Arc<Self>, StoreError> {
        let objects_dir = dir.join("objects");
        std::fs::create_dir_all(&objects_dir).map_err(|e| StoreError::Unavailable(format!("creating {}: {e}", objects_dir.display())))?;
        // redb caches pages up to its cache size (1 GiB by default); a small cache keeps the local
        // gateway's memory flat while it streams exports of any length.
        let db = Database::builder().set_cache_size(CACHE_BYTES).create(dir.join("seikyu.redb")).map_err(unavailable)?;
        let txn = db.begin_write().map_err(unavailable)?;
        {
            // Tables must exist before the first read transaction can open them.
            txn.open_table(TENANTS).map_err(unavailable)?;
            txn.open_table(PRINCIPALS).map_err(unavailable)?;
            txn.open_table(API_KEYS).map_err(unavailable)?;
            txn.open_table(CONTRACTS).map_err(unavailable)?;
            txn.open_table(BILLINGS).map_err(unavailable)?;
            txn.open_table(IDEMPOTENCY).map_err(unavailable)?;
            txn.open_table(SETTINGS).map_err(unavailable)?;
            txn.open_table(INVOICES).map_err(unavailable)?;
            txn.open_table(OBJECTS).map_err(unavailable)?;
            txn.open_table(METERING).map_err(unavailable)?;
            txn.open_table(RUNS).map_err(unavailable)?;
            txn.open_table(RUN_ITEMS).map_err(unavailable)?;
            txn.open_table(RUN_QUEUE).map_err(unavailable)?;
            audit::create_tables(&txn)?;
        }
        txn.commit().map_err(unavailable)?;
        Self::reveal_runs(&db)?;
        Ok(Arc::new(Self {
            db: Arc::new(db),
            objects_dir,
            codec: CursorCodec::new(&options.cursor_key).map_err(StoreError::Unavailable)?,
            presign_key: options.presign_key,
            base_url: options.public_base_url.trim_end_matches('/').to_owned(),
            clock,
            pdf_retention,
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

    /// Runs a read inline: redb reads are memory-mapped lookups of a few microseconds, cheaper
    /// than a hop to the blocking pool.
    fn read_db<T>(&self, f: impl FnOnce(&Database) -> Result<T, StoreError>) -> Result<T, StoreError> {
        f(&self.db)
    }

    /// Runs blocking database work (writes, which sync to disk) off the async threads.
    async fn with_db<T: Send + 'static>(&self, f: impl FnOnce(&Database) -> Result<T, StoreError> + Send + 'static) -> Result<T, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db)).await.map_err(|e| StoreError::Unavailable(format!("storage task failed: {e}")))?
    }
}

pub(crate) fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("embedded store: {e}"))
}

/// Encodes a record, refusing what DynamoDB would refuse (400 KB per item), so that both
/// adapters accept exactly the same records.
pub(crate) fn encode<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    let bytes = serde_json::to_vec(v).map_err(|e| StoreError::Corrupt(format!("encoding: {e}")))?;
    if bytes.len() > super::aws::MAX_ITEM_BYTES {
        return Err(StoreError::TooLarge(format!("{} bytes; items are at most {}", bytes.len(), super::aws::MAX_ITEM_BYTES)));
    }
    Ok(bytes)
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(b: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(b).map_err(|e| StoreError::Corrupt(format!("decoding: {e}")))
}
