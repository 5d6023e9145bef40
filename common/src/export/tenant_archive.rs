//! A tenant's archive as a streamed ZIP (layout in `service::archive`): the record parts, then
//! each object read and hashed as it is copied, then the manifest. A task writes the pieces into
//! a small bounded channel, so the archive is never held whole, whatever the objects weigh.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use http_body_util::{BodyExt, StreamBody as Frames};
use hyper::body::Frame;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::zip::{ZipWriter, dos_date};
use crate::app::App;
use crate::domain::TenantId;
use crate::service::archive::{FORMAT_VERSION, MANIFEST, Manifest, Part, record_parts, sha256_hex};
use crate::store::{ListedObject, ObjectKey, TenantRecords};
use crate::stream::StreamBody;

type Chunk = Result<Bytes, std::io::Error>;

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Every entry's fixed modification time: 1980-01-01, the first a ZIP can say.
fn fixed_time() -> (u16, u16) {
    dos_date(chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap_or_default())
}

struct Writer {
    zip: ZipWriter,
    tx: mpsc::Sender<Chunk>,
    parts: Vec<Part>,
}

impl Writer {
    async fn send(&self, b: Bytes) -> Result<(), std::io::Error> {
        self.tx.send(Ok(b)).await.map_err(|_| io("the client went away"))
    }

    async fn whole(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), std::io::Error> {
        let head = self.zip.begin(name, fixed_time());
        self.send(head).await?;
        self.zip.data(&bytes);
        self.send(Bytes::from(bytes)).await?;
        let tail = self.zip.end();
        self.send(tail).await
    }

    async fn object(&mut self, app: &App, listed: &ListedObject, tenant: &TenantId) -> Result<(), std::io::Error> {
        let key = ObjectKey::parse_full(&listed.key).map_err(io)?;
        let prefix = format!("tenants/{tenant}/");
        let name = format!("objects/{}", listed.key.strip_prefix(&prefix).unwrap_or(&listed.key));
        let mut body = app.stores.objects.get_object(&key, None).await.map_err(io)?.ok_or_else(|| io(format!("{} vanished while exported", listed.key)))?;
        let head = self.zip.begin(&name, fixed_time());
        self.send(head).await?;
        let (mut hash, mut size) = (Sha256::new(), 0u64);
        while let Some(chunk) = body.stream.next().await {
            let chunk = chunk?;
            hash.update(&chunk);
            size += chunk.len() as u64;
            self.zip.data(&chunk);
            self.send(chunk).await?;
        }
        let tail = self.zip.end();
        self.send(tail).await?;
        self.parts.push(Part { name, count: 1, size, sha256: hex::encode(hash.finalize()), content_type: Some(body.meta.content_type) });
        Ok(())
    }
}

async fn write(app: Arc<App>, tenant: TenantId, records: TenantRecords, objects: Vec<ListedObject>, tx: mpsc::Sender<Chunk>) -> Result<(), std::io::Error> {
    let mut w = Writer { zip: ZipWriter::new(), tx, parts: Vec::new() };
    for (name, count, bytes) in record_parts(&records).map_err(io)? {
        w.parts.push(Part { name: name.clone(), count, size: bytes.len() as u64, sha256: sha256_hex(&bytes), content_type: None });
        w.whole(&name, bytes).await?;
    }
    for o in &objects {
        w.object(&app, o, &tenant).await?;
    }
    let manifest = Manifest { format_version: FORMAT_VERSION, tenant_id: tenant, exported_at: app.clock.now(), parts: std::mem::take(&mut w.parts) };
    let bytes = serde_json::to_vec_pretty(&manifest).map_err(io)?;
    w.whole(MANIFEST, bytes).await?;
    let end = std::mem::take(&mut w.zip).finish();
    w.send(end).await
}

/// The archive of `tenant` (its records read already, its objects listed), as a response body.
pub fn tenant_zip(app: Arc<App>, tenant: TenantId, records: TenantRecords, objects: Vec<ListedObject>) -> StreamBody {
    let (tx, rx) = mpsc::channel::<Chunk>(8);
    let failed = tx.clone();
    tokio::spawn(async move {
        if let Err(e) = write(app, tenant, records, objects, tx).await {
            tracing::error!(error = %e, "tenant archive failed mid-way");
            let _ = failed.send(Err(e)).await;
        }
    });
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    Frames::new(chunks.map_ok(Frame::data)).boxed_unsync()
}

/// The whole archive in memory (tests, and the local gateway's file-based tooling).
pub async fn collect(body: StreamBody) -> Result<Bytes, std::io::Error> {
    let out = body.collect().await.map_err(io)?;
    Ok(out.to_bytes())
}
