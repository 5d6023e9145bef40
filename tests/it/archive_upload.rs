//! Archives restored through an upload (`restore-url`, a presigned PUT over HTTP, then `restore`
//! with `{"upload": …}`), on the embedded store and on moto: the archive is read from storage in
//! ranges, verified whole before anything is written, and its staging object deleted once
//! restored or refused as tampered; kept after a 409 for a retry. An archive larger than the
//! request-body path allows (about 4.5 MB) goes through.

use std::time::Instant;

use bytes::Bytes;
use chrono::TimeDelta;
use common::ApiError;
use common::App;
use common::domain::TenantId;
use common::service::archive::upload::{self, RestoreFromUpload, RestoreUrlRequest};
use common::service::archive::{self, RestoreReport};
use common::store::ObjectKey;
use seikyu_tests::fixtures::{Seeded, seeded_app, seeded_dynamodb_app};
use seikyu_tests::http_client::send;

use crate::archive::{assert_same_archive, census, export, names, parts, prepared, rezip};
use crate::faults::operator;

/// Bytes that neither compress nor repeat (an uploaded PDF stands in for years of them).
fn noise(len: usize) -> Bytes {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len + 8);
    out.extend_from_slice(b"%PDF-1.7\n");
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    Bytes::from(out)
}

/// Uploads `zip` as restore-url says (a PUT over HTTP to the presigned URL); the upload's id.
async fn upload_archive(app: &App, t: &TenantId, zip: &Bytes) -> String {
    let u = upload::restore_url(app, &operator(), t, RestoreUrlRequest { content_length: zip.len() as i64 }).await.expect("restore-url");
    assert_eq!((u.method, u.headers.get("Content-Type").map(String::as_str)), ("PUT", Some("application/zip")));
    assert!(u.url.contains(&format!("restores/{t}/{}.zip", u.upload)), "a staging key of its own: {}", u.url);
    let put = send("PUT", &u.url, &[("content-type", "application/zip")], zip.clone()).await;
    assert_eq!(put.status, 200, "PUT: {}", String::from_utf8_lossy(&put.body));
    u.upload
}

async fn staged(app: &App, t: &TenantId, id: &str) -> bool {
    let key = upload::staging_key(t, id).expect("key");
    app.stores.objects.head_object(&key).await.expect("head").is_some()
}

async fn restore(app: &App, t: &TenantId, id: &str) -> Result<RestoreReport, ApiError> {
    upload::restore_upload(app, &operator(), t, RestoreFromUpload { upload: id.to_owned() }).await
}

async fn round_trip(s: Seeded) {
    let adapter = s.adapter();
    let a = prepared(&s).await;
    // Years of PDFs: an upload of 6 MiB takes the archive past what a request body carries.
    let big = ObjectKey::new(&a, "uploads/years-of-pdfs.pdf").unwrap();
    s.app.stores.objects.create_object(&big, noise(6 << 20), "application/pdf").await.unwrap();
    let first = export(&s.app, &a).await;
    assert!(first.len() > 6 << 20, "{adapter}: {} bytes", first.len());
    // Uploaded before the purge: the target holds the tenant, 409, and the upload is kept.
    let id = upload_archive(&s.app, &a, &first).await;
    assert!(matches!(restore(&s.app, &a, &id).await, Err(ApiError::Conflict(m)) if m.contains("already holds")), "{adapter}");
    assert!(staged(&s.app, &a, &id).await, "{adapter}: kept after a 409, for a retry");
    archive::purge(&s.app, &operator(), &a).await.expect("purge");
    let started = Instant::now();
    let report = restore(&s.app, &a, &id).await.expect("restore from the upload");
    let took = started.elapsed();
    assert_eq!(report.restored.objects as usize, names(&first).iter().filter(|n| n.starts_with("objects/")).count(), "{adapter}: {report:?}");
    assert!(!staged(&s.app, &a, &id).await, "{adapter}: deleted once restored");
    s.clock.advance(TimeDelta::seconds(1));
    let second = export(&s.app, &a).await;
    assert_same_archive(&first, &second, adapter);
    // Restored once: the same upload id is gone.
    assert!(matches!(restore(&s.app, &a, &id).await, Err(ApiError::Validation(_))), "{adapter}");
    eprintln!("{adapter}: archive of {} bytes restored from an upload in {took:?}", first.len());
}

#[tokio::test]
async fn round_trip_through_an_upload_embedded() {
    round_trip(seeded_app().await).await;
}

#[tokio::test]
async fn round_trip_through_an_upload_dynamodb() {
    round_trip(seeded_dynamodb_app().await).await;
}

async fn refusals(s: Seeded) {
    let adapter = s.adapter();
    let a = prepared(&s).await;
    let good = export(&s.app, &a).await;
    archive::purge(&s.app, &operator(), &a).await.unwrap();
    let before = census(&s.app, &a).await;
    // Tampered: one byte of the PDF. Refused, nothing written, the upload deleted.
    let mut p = parts(&good);
    let pdf = "objects/invoices/SEED-2025-000001.pdf".to_owned();
    let mut bytes = p[&pdf].to_vec();
    bytes[0] ^= 1;
    p.insert(pdf, Bytes::from(bytes));
    let id = upload_archive(&s.app, &a, &rezip(&p, &names(&good))).await;
    match restore(&s.app, &a, &id).await {
        Err(ApiError::Unprocessable(m)) => assert!(m.contains("SHA-256"), "{adapter}: {m}"),
        other => panic!("{adapter}: expected 422, got {other:?}"),
    }
    assert!(!staged(&s.app, &a, &id).await, "{adapter}: a refused archive is deleted");
    // Truncated upload: cannot be read.
    let id = upload_archive(&s.app, &a, &good.slice(..good.len() - 100)).await;
    assert!(matches!(restore(&s.app, &a, &id).await, Err(ApiError::Unprocessable(m)) if m.contains("cannot be read")), "{adapter}");
    assert_eq!(census(&s.app, &a).await, before, "{adapter}: nothing written");
    // Absent, or not an upload id: 400 saying so.
    match restore(&s.app, &a, "0123456789abcdef0123456789abcdef").await {
        Err(e @ ApiError::Validation(_)) => assert!(format!("{e:?}").contains("nothing was uploaded"), "{adapter}: {e:?}"),
        other => panic!("{adapter}: {other:?}"),
    }
    for bad in ["../../tenants/x", "tenants/tn_0000000000000001/invoices/SEED-2025-000001.pdf", ""] {
        assert!(matches!(restore(&s.app, &a, bad).await, Err(ApiError::Validation(_))), "{adapter}: {bad}");
    }
    // restore-url's bounds: 5 GiB, one PUT.
    for n in [0, 21, (5i64 << 30) + 1] {
        let r = upload::restore_url(&s.app, &operator(), &a, RestoreUrlRequest { content_length: n }).await;
        assert!(matches!(r, Err(ApiError::Validation(_))), "{adapter}: {n}");
    }
    assert_eq!(census(&s.app, &a).await, before, "{adapter}: nothing written");
    // The good archive still restores.
    let id = upload_archive(&s.app, &a, &good).await;
    restore(&s.app, &a, &id).await.expect("restore");
}

#[tokio::test]
async fn refusals_through_an_upload_embedded() {
    refusals(seeded_app().await).await;
}

#[tokio::test]
async fn refusals_through_an_upload_dynamodb() {
    refusals(seeded_dynamodb_app().await).await;
}
