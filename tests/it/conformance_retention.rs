//! Issued invoices' PDFs are kept as the electronic bookkeeping act asks, on every adapter: stored
//! with a retain-until date (S3 Object Lock; the embedded store's metadata), never replaced, and
//! never deleted before that date; staging uploads are not locked. Then, on moto, that the lock is
//! S3's own (mode and date on the version, a versioned delete refused by S3 itself).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use common::ApiError;
use common::clock::ManualClock;
use common::store::aws::{AwsSettings, AwsStore, bootstrap};
use common::store::{LockMode, ObjectKey, PdfRetention, StoreError};
use futures_util::TryStreamExt;
use seikyu_tests::fixtures::{CURSOR_KEY, REGION, StoreFixture, moto_endpoint, t0, tenant_id};
use seikyu_tests::http_client;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn pdf(n: u8) -> Bytes {
    Bytes::from(format!("%PDF-1.7\ninvoice {n}\n%%EOF\n").into_bytes())
}

async fn read(body: common::store::ObjectBody) -> Vec<u8> {
    body.stream
        .try_fold(Vec::new(), |mut acc, c| async move {
            acc.extend_from_slice(&c);
            Ok(acc)
        })
        .await
        .unwrap()
}

async fn bytes_of(f: &StoreFixture, key: &ObjectKey) -> Vec<u8> {
    read(f.stores.objects.get_object(key, None).await.unwrap().expect("object")).await
}

/// A store at `t0()` (2025-04-01T09:00:00Z), with the clock that moves it.
type Fixture = (StoreFixture, Arc<ManualClock>);

async fn embedded() -> Fixture {
    let clock = Arc::new(ManualClock::new(t0()));
    (seikyu_tests::fixtures::embedded_store_with(clock.clone()).await, clock)
}

async fn dynamodb() -> Fixture {
    let clock = Arc::new(ManualClock::new(t0()));
    (seikyu_tests::fixtures::dynamodb_store_with(clock.clone()).await, clock)
}

/// 7 years (the default) from when it was stored: refused replacing and deleting (409 through
/// the API) until then, deleted once the retention is over.
pub async fn invoice_pdfs_are_kept_until_their_retention_ends((f, clock): Fixture) {
    let s = &f.stores;
    let key = ObjectKey::new(&tenant_id(1), "invoices/INV-2025-000001.pdf").unwrap();
    let until = at("2032-04-01T09:00:00Z");
    let stored = s.objects.create_object(&key, pdf(1), "application/pdf").await.unwrap();
    assert_eq!(stored.retain_until, Some(until), "{}", f.adapter);
    assert_eq!(s.objects.head_object(&key).await.unwrap().expect("stored").retain_until, Some(until), "{}", f.adapter);
    assert!(matches!(s.objects.create_object(&key, pdf(2), "application/pdf").await, Err(StoreError::AlreadyExists)), "{}", f.adapter);

    clock.advance(TimeDelta::days(365 * 5));
    let refused = s.objects.delete_object(&key).await;
    let Err(e @ StoreError::Retained(_)) = refused else { panic!("{}: {refused:?}", f.adapter) };
    assert!(e.to_string().contains("2032-04-01T09:00:00Z") && e.to_string().contains(key.as_str()), "{e}");
    assert!(matches!(ApiError::from(e), ApiError::Conflict(ref m) if m.contains("cannot be replaced or deleted")));
    assert_eq!(bytes_of(&f, &key).await, pdf(1).to_vec(), "{}: the first bytes stay", f.adapter);

    clock.advance((until - clock_now(&clock)) + TimeDelta::seconds(1));
    s.objects.delete_object(&key).await.unwrap();
    assert!(s.objects.head_object(&key).await.unwrap().is_none(), "{}: gone once its retention ended", f.adapter);
}

fn clock_now(clock: &ManualClock) -> DateTime<Utc> {
    common::clock::Clock::now(clock)
}

/// Uploads wait unlocked (they are checked, then deleted); the copy that issues one is locked.
pub async fn uploads_are_not_locked_but_their_copies_are((f, _clock): Fixture) {
    let s = &f.stores;
    let staged = ObjectKey::new(&tenant_id(1), "uploads/INV-2025-000002.pdf").unwrap();
    let put = s.objects.create_object(&staged, pdf(2), "application/pdf").await.unwrap();
    assert_eq!(put.retain_until, None, "{}", f.adapter);
    assert_eq!(s.objects.head_object(&staged).await.unwrap().unwrap().retain_until, None, "{}", f.adapter);
    let target = ObjectKey::new(&tenant_id(1), "invoices/INV-2025-000002.pdf").unwrap();
    let copied = s.objects.copy_object(&staged, &target, &put.etag).await.unwrap();
    assert_eq!(copied.retain_until, Some(at("2032-04-01T09:00:00Z")), "{}", f.adapter);
    assert_eq!(s.objects.head_object(&target).await.unwrap().unwrap().retain_until, Some(at("2032-04-01T09:00:00Z")), "{}", f.adapter);
    s.objects.delete_object(&staged).await.unwrap();
    assert!(s.objects.head_object(&staged).await.unwrap().is_none());
    assert!(matches!(s.objects.delete_object(&target).await, Err(StoreError::Retained(_))), "{}", f.adapter);
    assert_eq!(bytes_of(&f, &target).await, pdf(2).to_vec());
    // Deleting a PDF that is not there is still no error.
    s.objects.delete_object(&ObjectKey::new(&tenant_id(1), "invoices/INV-2025-000099.pdf").unwrap()).await.unwrap();
}

macro_rules! retention_suite {
    ($adapter:ident, $make:path) => {
        mod $adapter {
            retention_suite!(@tests $make; invoice_pdfs_are_kept_until_their_retention_ends, uploads_are_not_locked_but_their_copies_are);
        }
    };
    (@tests $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($make().await).await
            }
        )*
    };
}

retention_suite!(embedded, super::embedded);
retention_suite!(dynamodb, super::dynamodb);

/// The embedded store keeps each PDF's date with it: reopened with another retention, the PDFs it
/// holds keep theirs; a presigned PUT aimed at one is refused.
#[tokio::test]
async fn embedded_locks_survive_a_restart_and_presigned_puts() {
    use common::store::embedded::{EmbeddedOptions, EmbeddedStore, serve_objects};
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let options = || EmbeddedOptions { cursor_key: CURSOR_KEY.to_vec(), presign_key: vec![3; 32], public_base_url: base.clone() };
    let clock = Arc::new(ManualClock::new(t0()));
    let key = ObjectKey::new(&tenant_id(1), "invoices/INV-2025-000003.pdf").unwrap();
    {
        let store = EmbeddedStore::open(dir.path(), options(), clock.clone()).unwrap();
        store.stores().objects.create_object(&key, pdf(3), "application/pdf").await.unwrap();
    }
    let ten = PdfRetention { years: 10, mode: LockMode::Compliance };
    let store = EmbeddedStore::open_with_retention(dir.path(), options(), ten, clock.clone()).unwrap();
    let server = tokio::spawn(serve_objects(store.clone(), listener));
    let s = store.stores();
    assert_eq!(s.objects.head_object(&key).await.unwrap().unwrap().retain_until, Some(at("2032-04-01T09:00:00Z")), "the date it was stored with");
    let later = ObjectKey::new(&tenant_id(1), "invoices/INV-2025-000004.pdf").unwrap();
    assert_eq!(s.objects.create_object(&later, pdf(4), "application/pdf").await.unwrap().retain_until, Some(at("2035-04-01T09:00:00Z")));

    let url = s.objects.presign_put(&key, "application/pdf", pdf(9).len() as u64, Duration::from_secs(60)).await.unwrap();
    let put = http_client::send("PUT", &url, &[("content-type", "application/pdf")], pdf(9)).await;
    assert_eq!(put.status, 403, "{}", String::from_utf8_lossy(&put.body));
    assert_eq!(read(s.objects.get_object(&key, None).await.unwrap().unwrap()).await, pdf(3).to_vec());
    assert!(matches!(s.objects.delete_object(&key).await, Err(StoreError::Retained(_))));
    server.abort();
}

/// An AWS store of its own on moto, with `retention`; its bucket made by `bootstrap`.
async fn moto_store(retention: PdfRetention, bucket: &str) -> Arc<AwsStore> {
    let settings = AwsSettings {
        region: REGION.into(),
        endpoint: Some(moto_endpoint()),
        table: bucket.into(),
        bucket: bucket.into(),
        static_credentials: Some(("testing".into(), "testing".into())),
        run_queue_url: None,
        pdf_retention: retention,
    };
    let store = AwsStore::connect(&settings, &CURSOR_KEY, Arc::new(ManualClock::new(t0()))).await.unwrap();
    bootstrap(&store, REGION).await.unwrap();
    store
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", hex::encode(rand::random::<[u8; 6]>()))
}

/// On S3 the lock is S3's: the bucket has Object Lock and versioning, the PDF's version carries
/// the configured mode and date, and S3 itself refuses to delete that version (a delete without a
/// version id would only add a delete marker, which the adapter refuses to send).
#[tokio::test]
async fn s3_locks_each_issued_pdf_version_itself() {
    let bucket = unique("seikyu-lock");
    let store = moto_store(PdfRetention { years: 10, mode: LockMode::Compliance }, &bucket).await;
    let s3 = store.s3();
    let lock = s3.get_object_lock_configuration().bucket(&bucket).send().await.unwrap();
    assert_eq!(lock.object_lock_configuration.and_then(|c| c.object_lock_enabled).map(|e| e.as_str().to_owned()).as_deref(), Some("Enabled"));
    assert!(lock_rule_absent(s3, &bucket).await, "no bucket-wide default retention");
    // (moto's GetBucketVersioning answer has a root element the SDK refuses; the version id of
    // the stored PDF below shows the bucket versioned instead.)

    let objects = store.stores().objects;
    let key = ObjectKey::new(&tenant_id(1), "invoices/INV-2025-000005.pdf").unwrap();
    objects.create_object(&key, pdf(5), "application/pdf").await.unwrap();
    let head = s3.head_object().bucket(&bucket).key(key.as_str()).send().await.unwrap();
    assert_eq!(head.object_lock_mode.map(|m| m.as_str().to_owned()).as_deref(), Some("COMPLIANCE"));
    assert_eq!(head.object_lock_retain_until_date.map(|d| d.secs()), Some(at("2035-04-01T09:00:00Z").timestamp()));
    let version = head.version_id.filter(|v| v != "null").expect("a versioned bucket names the version");
    let refused = s3.delete_object().bucket(&bucket).key(key.as_str()).version_id(&version).send().await;
    assert!(refused.is_err(), "S3 refuses deleting a locked version: {refused:?}");
    assert!(matches!(objects.delete_object(&key).await, Err(StoreError::Retained(_))));
    assert!(matches!(objects.create_object(&key, pdf(6), "application/pdf").await, Err(StoreError::AlreadyExists)));
    let still = s3.head_object().bucket(&bucket).key(key.as_str()).send().await.unwrap();
    assert_eq!(still.version_id.as_deref(), Some(version.as_str()), "no delete marker, no new version");

    let staged = ObjectKey::new(&tenant_id(1), "uploads/INV-2025-000006.pdf").unwrap();
    objects.create_object(&staged, pdf(6), "application/pdf").await.unwrap();
    let head = s3.head_object().bucket(&bucket).key(staged.as_str()).send().await.unwrap();
    assert_eq!((head.object_lock_mode, head.object_lock_retain_until_date), (None, None), "uploads are not locked");
}

async fn lock_rule_absent(s3: &aws_sdk_s3::Client, bucket: &str) -> bool {
    let out = s3.get_object_lock_configuration().bucket(bucket).send().await.unwrap();
    out.object_lock_configuration.and_then(|c| c.rule).and_then(|r| r.default_retention).and_then(|d| d.mode).is_none()
}

/// A bucket made before Object Lock (a local moto bucket, an older deployment's) gets it from
/// `bootstrap`, so the adapter's locked writes work there.
#[tokio::test]
async fn bootstrap_turns_object_lock_on_for_an_older_bucket() {
    let bucket = unique("seikyu-old");
    let plain = moto_store(PdfRetention::default(), &unique("seikyu-other")).await;
    let config = aws_sdk_s3::types::CreateBucketConfiguration::builder().location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION)).build();
    plain.s3().create_bucket().bucket(&bucket).create_bucket_configuration(config).send().await.unwrap();
    let store = moto_store(PdfRetention::default(), &bucket).await;
    let key = ObjectKey::new(&tenant_id(2), "invoices/INV-2025-000007.pdf").unwrap();
    let stored = store.stores().objects.create_object(&key, pdf(7), "application/pdf").await.unwrap();
    assert_eq!(stored.retain_until, Some(at("2032-04-01T09:00:00Z")));
    let head = store.s3().head_object().bucket(&bucket).key(key.as_str()).send().await.unwrap();
    assert_eq!(head.object_lock_mode.map(|m| m.as_str().to_owned()).as_deref(), Some("GOVERNANCE"));
}
