//! Streaming invoice PDFs: through the handler and through the local gateway, large objects
//! byte-identical, ranges, 304, 416, redirects, isolation, and a failure mid-stream that the client
//! sees as an incomplete response.

use std::sync::Arc;

use bytes::Bytes;
use common::domain::{InvoiceNumber, PdfSource};
use common::store::{ByteRange, ObjectBody, ObjectKey, ObjectMeta, ObjectStore, StoreError};
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use seikyu_tests::events::Event;
use seikyu_tests::fixtures::{draft, finish_in, issue_in, seeded_app, tenant_id};
use seikyu_tests::gateway::{Signer, start_gateway};
use sha2::{Digest, Sha256};

use crate::handlers::{as_operator, as_tenant_a, run};

const PDF: &str = "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/pdf";

fn bytes_of(len: usize) -> Bytes {
    Bytes::from((0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect::<Vec<u8>>())
}

/// Stores `content` as invoice `number`'s PDF for tenant 1 and records it on the invoice.
async fn invoice_with_pdf(app: &common::App, number: &str, content: Bytes) -> String {
    let draft = draft(&tenant_id(1), "2025-05", 77);
    let invoice = issue_in(&app.stores, &draft, InvoiceNumber::parse(number).unwrap(), PdfSource::Rendered).await;
    finish_in(&app.stores, &invoice, content).await
}

#[tokio::test]
async fn handler_streams_with_etag_range_304_416_and_redirect() {
    let s = seeded_app().await;
    let content = bytes_of(300_000);
    let sha = invoice_with_pdf(&s.app, "DL-2025-000001", content.clone()).await;
    let path = format!("/v1/tenants/{}/invoices/DL-2025-000001/pdf", tenant_id(1));
    let get = || as_tenant_a(Event::new("GET", PDF, &path));

    let whole = run(&s, "download-invoice", get()).await;
    assert_eq!(whole.status, 200);
    assert_eq!(whole.raw, content);
    assert_eq!(whole.header("content-type"), Some("application/pdf"));
    assert_eq!(whole.header("etag"), Some(format!("\"{sha}\"").as_str()));
    assert!(whole.headers.get("content-length").is_none(), "never a Content-Length on a stream");
    assert_eq!(
        whole.header("content-disposition"),
        Some("attachment; filename=\"DL-2025-000001.pdf\"; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8_DL-2025-000001.pdf")
    );

    let part = run(&s, "download-invoice", get().header("Range", "bytes=1000-1999")).await;
    assert_eq!((part.status, part.header("content-range")), (206, Some("bytes 1000-1999/300000")));
    assert_eq!(part.raw, content.slice(1000..2000));
    let tail = run(&s, "download-invoice", get().header("Range", "bytes=-100")).await;
    assert_eq!((tail.status, tail.raw.clone()), (206, content.slice(299_900..)));
    let beyond = run(&s, "download-invoice", get().header("Range", "bytes=300000-")).await;
    assert_eq!((beyond.status, beyond.header("content-range")), (416, Some("bytes */300000")));
    let many = run(&s, "download-invoice", get().header("Range", "bytes=0-1,5-9")).await;
    assert_eq!((many.status, many.raw.len()), (200, 300_000), "several ranges: the whole PDF");

    let cached = run(&s, "download-invoice", get().header("If-None-Match", &format!("\"{sha}\""))).await;
    assert_eq!((cached.status, cached.raw.len()), (304, 0));
    let stale = run(&s, "download-invoice", get().header("If-None-Match", "\"other\"")).await;
    assert_eq!(stale.status, 200);

    let redirect = run(&s, "download-invoice", get().query("delivery", "redirect")).await;
    assert_eq!(redirect.status, 303);
    let location = redirect.header("location").unwrap().to_owned();
    let fetched = seikyu_tests::http_client::send("GET", &location, &[], Bytes::new()).await;
    assert_eq!((fetched.status, fetched.body.clone()), (200, content.clone()), "the presigned URL serves the same bytes");
    let bad = run(&s, "download-invoice", get().query("delivery", "email")).await;
    assert_eq!((bad.status, bad.error_fields()), (400, vec!["query.delivery".to_owned()]));

    let cross = run(&s, "download-invoice", as_tenant_a(Event::new("GET", PDF, &format!("/v1/tenants/{}/invoices/SEED-2025-000002/pdf", tenant_id(2))))).await;
    let missing = run(&s, "download-invoice", as_tenant_a(Event::new("GET", PDF, &format!("/v1/tenants/{}/invoices/DL-2025-000999/pdf", tenant_id(1))))).await;
    assert_eq!((cross.status, missing.status), (404, 404));
    assert_eq!(cross.body, missing.body, "another tenant's PDF is as absent as a missing one");
    assert_eq!(run(&s, "download-invoice", as_operator(Event::new("GET", PDF, &path))).await.raw, content);
}

/// Fails every read after `after` bytes.
struct BreaksMidway {
    inner: Arc<dyn ObjectStore>,
    after: usize,
}

#[async_trait::async_trait]
impl ObjectStore for BreaksMidway {
    async fn create_object(&self, key: &ObjectKey, body: Bytes, ct: &str) -> Result<ObjectMeta, StoreError> {
        self.inner.create_object(key, body, ct).await
    }
    async fn copy_object(&self, from: &ObjectKey, to: &ObjectKey, etag: &str) -> Result<ObjectMeta, StoreError> {
        self.inner.copy_object(from, to, etag).await
    }
    async fn get_object(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Option<ObjectBody>, StoreError> {
        let Some(mut obj) = self.inner.get_object(key, range).await? else { return Ok(None) };
        let limit = self.after;
        let mut sent = 0usize;
        obj.stream = Box::pin(obj.stream.map(move |chunk| {
            let chunk = chunk?;
            sent += chunk.len();
            if sent > limit { Err(std::io::Error::other("storage connection reset")) } else { Ok(chunk) }
        }));
        Ok(Some(obj))
    }
    async fn head_object(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>, StoreError> {
        self.inner.head_object(key).await
    }
    async fn delete_object(&self, key: &ObjectKey) -> Result<(), StoreError> {
        self.inner.delete_object(key).await
    }
    async fn presign_get(&self, key: &ObjectKey, e: std::time::Duration) -> Result<String, StoreError> {
        self.inner.presign_get(key, e).await
    }
    async fn presign_put(&self, key: &ObjectKey, ct: &str, len: u64, e: std::time::Duration) -> Result<String, StoreError> {
        self.inner.presign_put(key, ct, len, e).await
    }
    async fn list_objects(&self, prefix: &str, page: &common::store::PageRequest) -> Result<common::store::Page<common::store::ListedObject>, StoreError> {
        self.inner.list_objects(prefix, page).await
    }
}

/// Sends a signed GET and reads the body to its end: the SHA-256 of what arrived, or the error.
async fn download(signer: &Signer, url: &str, api_key: &str) -> (u16, Result<(String, usize), String>) {
    let signed = signer.sign("GET", url, &[("x-api-key", api_key)], b"");
    let mut req = http::Request::builder().method("GET").uri(url).header("x-api-key", api_key);
    for (k, v) in &signed {
        req = req.header(k.as_str(), v.as_str());
    }
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let resp = client.request(req.body(Full::new(Bytes::new())).unwrap()).await.expect("response head");
    let status = resp.status().as_u16();
    assert!(resp.headers().get("content-length").is_none() || status != 200, "a streamed 200 has no Content-Length");
    let mut body = resp.into_body();
    let mut hasher = Sha256::new();
    let mut len = 0;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(f) => {
                if let Ok(d) = f.into_data() {
                    len += d.len();
                    hasher.update(&d);
                }
            }
            Err(e) => return (status, Err(e.to_string())),
        }
    }
    (status, Ok((hex::encode(hasher.finalize()), len)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_streams_large_pdfs_byte_identical_and_aborts_visibly() {
    let now = chrono::Utc::now();
    let gw = start_gateway(now).await;
    let app = gw.gateway.app().clone();
    let a = &gw.demo.tenants[0];
    // The demo tenants are not tenant_id(1): store the test PDFs under the demo tenant A.
    let tenant = a.tenant_id.clone();
    let signer = Signer::new(&a.access_key_id, &a.secret_access_key, now);
    for (i, mb) in [7usize, 12, 100].iter().enumerate() {
        let content = bytes_of(mb * 1024 * 1024);
        let number = format!("BIG-2025-{:06}", i + 1);
        let numbered = issue_in(&app.stores, &draft(&tenant, "2025-06", i as u8), InvoiceNumber::parse(&number).unwrap(), PdfSource::Rendered).await;
        finish_in(&app.stores, &numbered, content.clone()).await;
        let url = format!("{}/v1/tenants/{tenant}/invoices/{number}/pdf", gw.endpoint);
        let (status, got) = download(&signer, &url, &a.api_key).await;
        let (sha, len) = got.expect("complete body");
        assert_eq!((status, len), (200, content.len()), "{mb} MB");
        assert_eq!(sha, hex::encode(Sha256::digest(&content)), "{mb} MB byte-identical");
    }

    // The same gateway, its object store failing after 1 MiB of a 12 MB PDF.
    let broken = common::App {
        stores: common::store::Stores { objects: Arc::new(BreaksMidway { inner: app.stores.objects.clone(), after: 1 << 20 }), ..app.stores.clone() },
        ..(*app).clone()
    };
    let gateway =
        Arc::new(local_gateway::Gateway::new(Arc::new(broken), gw.gateway.credentials().clone(), "ap-northeast-1", None, gw.gateway.limiter().clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(local_gateway::serve(gateway, listener));
    let url = format!("{endpoint}/v1/tenants/{tenant}/invoices/BIG-2025-000002/pdf");
    let (status, got) = download(&signer, &url, &a.api_key).await;
    assert_eq!(status, 200, "the head was sent before the failure");
    assert!(got.is_err(), "the client must see the body incomplete, not a short body that looks whole: {got:?}");
    server.abort();
}

#[tokio::test]
async fn a_period_of_invoices_as_one_zip() {
    let s = seeded_app().await;
    let op = common::caller::Caller {
        principal: common::store::PrincipalArn::parse("arn:aws:iam::123456789012:role/SeikyuOperator").unwrap(),
        owner: common::store::Owner::Operator,
        api_key_id: None,
    };
    let mut numbers = Vec::new();
    for n in 0..5u8 {
        let draft = draft(&tenant_id(1), "2025-08", 100 + n);
        s.app.stores.billings.create_billing(&draft).await.unwrap();
        let (invoice, _) = common::service::invoices::issue(&s.app, &op, &tenant_id(1), &draft.billing_id).await.unwrap();
        numbers.push(invoice.invoice_number.clone());
    }
    let voided = numbers.pop().unwrap();
    common::service::invoices::void(&s.app, &op, &tenant_id(1), &voided, common::service::invoices::VoidInput { reason: "訂正".into() }).await.unwrap();
    let zip = run(
        &s,
        "download-invoices-zip",
        as_tenant_a(Event::new("GET", "/v1/tenants/{tenantId}/invoices.zip", &format!("/v1/tenants/{}/invoices.zip", tenant_id(1))).query("period", "2025-08")),
    )
    .await;
    assert_eq!((zip.status, zip.header("content-type")), (200, Some("application/zip")));
    assert!(zip.headers.get("content-length").is_none());
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &zip.raw).unwrap();
    let python = std::env::var("SEIKYU_TEST_PYTHON").expect("SEIKYU_TEST_PYTHON: run ./scripts/test");
    let script = "import hashlib, json, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))";
    let out = std::process::Command::new(python).arg("-c").arg(script).arg(file.path()).output().unwrap();
    assert!(out.status.success(), "Python's zipfile reads the archive: {}", String::from_utf8_lossy(&out.stderr));
    let listed: std::collections::BTreeMap<String, String> = serde_json::from_slice(&out.stdout).unwrap();
    let mut expected = std::collections::BTreeMap::new();
    for n in &numbers {
        let inv = s.app.stores.invoices.get_invoice(&tenant_id(1), n).await.unwrap().unwrap();
        expected.insert(format!("{n}.pdf"), inv.pdf().unwrap().sha256.clone());
    }
    assert_eq!(listed, expected, "every issued invoice of the period, byte-identical; the void one left out");
    let missing = run(
        &s,
        "download-invoices-zip",
        as_tenant_a(Event::new("GET", "/v1/tenants/{tenantId}/invoices.zip", &format!("/v1/tenants/{}/invoices.zip", tenant_id(1)))),
    )
    .await;
    assert_eq!((missing.status, missing.error_fields()), (400, vec!["query.period".to_owned()]));
    let cross = run(
        &s,
        "download-invoices-zip",
        as_tenant_a(Event::new("GET", "/v1/tenants/{tenantId}/invoices.zip", &format!("/v1/tenants/{}/invoices.zip", tenant_id(2))).query("period", "2025-03")),
    )
    .await;
    assert_eq!(cross.status, 404);
}

/// The redirect's presigned URL, from S3's own presigner, served by moto's S3.
#[tokio::test]
async fn redirect_to_a_presigned_s3_url() {
    let f = seikyu_tests::fixtures::dynamodb_store().await;
    seikyu_tests::fixtures::seed(&f.stores).await;
    let app = Arc::new(common::App {
        stores: f.stores.clone(),
        clock: Arc::new(common::clock::SystemClock),
        ids: Arc::new(common::clock::SequentialIds::default()),
        renderer: Some(Arc::new(seikyu_tests::fixtures::FakePdf)),
        keys: None,
        iam: None,
    });
    let content = bytes_of(2 * 1024 * 1024 + 17);
    invoice_with_pdf(&app, "S3-2025-000001", content.clone()).await;
    let entry = crate::handlers::handler("download-invoice");
    let req = as_tenant_a(Event::new("GET", PDF, &format!("/v1/tenants/{}/invoices/S3-2025-000001/pdf", tenant_id(1))).query("delivery", "redirect")).request();
    let answer = seikyu_tests::events::call(entry, &app, req).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let url = answer.header("location").unwrap().to_owned();
    assert!(url.contains("X-Amz-Signature="), "an S3 presigned URL: {url}");
    let got = seikyu_tests::http_client::send("GET", &url, &[], Bytes::new()).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, content);
    // And the stream itself, from S3.
    let req =
        as_tenant_a(Event::new("GET", PDF, &format!("/v1/tenants/{}/invoices/S3-2025-000001/pdf", tenant_id(1))).header("Range", "bytes=100-199")).request();
    let part = seikyu_tests::events::call(entry, &app, req).await;
    assert_eq!((part.status, part.raw.clone()), (206, content.slice(100..200)));
}
