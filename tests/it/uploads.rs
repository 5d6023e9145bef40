//! PDFs made elsewhere: number first, upload through a presigned PUT (type and length pinned),
//! then a completion that checks what arrived; refused uploads leave nothing behind. On every
//! adapter, so the presigned PUT is S3's own (moto) as well as the embedded store's.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::App;
use common::caller::Caller;
use common::domain::{BillingStatus, InvoiceStatus, PdfSource};
use common::error::ApiError;
use common::service::invoices;
use common::service::uploads::{self, UploadComplete, UploadRequest};
use common::store::{Owner, PrincipalArn};
use seikyu_tests::fixtures::{FakePdf, StoreFixture, billing, tenant, tenant_id};
use seikyu_tests::http_client::send;
use sha2::{Digest, Sha256};

fn operator() -> Caller {
    Caller { principal: PrincipalArn::parse("arn:aws:iam::123456789012:role/SeikyuOperator").unwrap(), owner: Owner::Operator, api_key_id: None }
}

fn tenant_a() -> Caller {
    Caller { principal: PrincipalArn::parse("arn:aws:iam::123456789012:user/a").unwrap(), owner: Owner::Tenant { tenant_id: tenant_id(1) }, api_key_id: None }
}

async fn put(app: &App, number: &common::domain::InvoiceNumber, body: &[u8]) -> u16 {
    let upload = uploads::upload_url(app, &operator(), &tenant_id(1), number, UploadRequest { content_length: body.len() as i64 }).await.unwrap();
    assert_eq!(upload.headers.get("Content-Length").map(String::as_str), Some(body.len().to_string().as_str()));
    send("PUT", &upload.url, &[("content-type", "application/pdf")], Bytes::copy_from_slice(body)).await.status
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

pub async fn upload_check_and_issue(f: StoreFixture) {
    let app = App {
        stores: f.stores.clone(),
        clock: Arc::new(common::clock::SystemClock),
        ids: Arc::new(common::clock::SequentialIds::default()),
        renderer: Some(Arc::new(FakePdf)),
        keys: None,
        iam: None,
    };
    app.stores.invoices.put_issuer(&seikyu_tests::fixtures::issuer(), None).await.unwrap();
    app.stores.tenants.create_tenant(&tenant(&tenant_id(1), "A")).await.unwrap();
    let draft = billing(&tenant_id(1), "2025-09", 1, BillingStatus::Draft);
    app.stores.billings.create_billing(&draft).await.unwrap();
    let (inv, fresh) = invoices::issue_external(&app, &operator(), &tenant_id(1), &draft.billing_id).await.unwrap();
    assert!(fresh);
    assert_eq!((inv.status(), inv.pdf_source), (InvoiceStatus::AwaitingUpload, PdfSource::External));
    let again = invoices::issue(&app, &operator(), &tenant_id(1), &draft.billing_id).await;
    assert!(matches!(&again, Err(ApiError::Conflict(m)) if m.contains("upload")), "issuing again does not render over an external PDF: {again:?}");
    let (same, fresh) = invoices::issue_external(&app, &operator(), &tenant_id(1), &draft.billing_id).await.unwrap();
    assert_eq!((same.invoice_number.clone(), fresh), (inv.invoice_number.clone(), false), "numbering again keeps the number");
    assert!(matches!(invoices::get(&app, &tenant_a(), &tenant_id(1), &inv.invoice_number).await, Err(ApiError::NotFound)), "tenants do not see it yet");
    let key = uploads::upload_key(&inv).unwrap();
    let final_key = invoices::pdf_key(&inv).unwrap();

    // Not a PDF: refused field by field, and deleted.
    assert_eq!(put(&app, &inv.invoice_number, b"<html>not a pdf</html>").await, 200);
    let refused = uploads::complete(&app, &operator(), &tenant_id(1), &inv.invoice_number, UploadComplete { sha256: sha(b"<html>not a pdf</html>") }).await;
    assert!(matches!(&refused, Err(ApiError::UnprocessableFields(e)) if e.iter().any(|x| x.field == "upload")), "{refused:?}");
    assert!(app.stores.objects.head_object(&key).await.unwrap().is_none(), "{}: nothing left behind", f.adapter);

    // The wrong hash: refused, deleted.
    let pdf = b"%PDF-1.7\n% made by the CMS\n%%EOF\n".to_vec();
    assert_eq!(put(&app, &inv.invoice_number, &pdf).await, 200);
    let refused = uploads::complete(&app, &operator(), &tenant_id(1), &inv.invoice_number, UploadComplete { sha256: "0".repeat(64) }).await;
    assert!(matches!(&refused, Err(ApiError::UnprocessableFields(e)) if e.iter().any(|x| x.field == "sha256")));
    assert!(app.stores.objects.head_object(&key).await.unwrap().is_none());

    // Sizes out of range are refused before any URL is made.
    let too_big =
        uploads::upload_url(&app, &operator(), &tenant_id(1), &inv.invoice_number, UploadRequest { content_length: (uploads::MAX_UPLOAD + 1) as i64 }).await;
    assert!(matches!(too_big, Err(ApiError::Validation(_))));

    // The real thing.
    assert_eq!(put(&app, &inv.invoice_number, &pdf).await, 200);
    let issued = uploads::complete(&app, &operator(), &tenant_id(1), &inv.invoice_number, UploadComplete { sha256: sha(&pdf) }).await.unwrap();
    assert_eq!(issued.status(), InvoiceStatus::Issued);
    assert_eq!(issued.pdf().as_ref().map(|p| (p.sha256.clone(), p.size)), Some((sha(&pdf), pdf.len() as u64)));
    let (seen, _, _) = invoices::pdf_of(&app, &tenant_a(), &tenant_id(1), &inv.invoice_number).await.unwrap();
    assert_eq!(seen.invoice_number, inv.invoice_number);
    assert!(app.stores.objects.head_object(&key).await.unwrap().is_none(), "{}: the checked upload is moved, not left", f.adapter);
    let url = app.stores.objects.presign_get(&final_key, Duration::from_secs(60)).await.unwrap();
    assert_eq!(send("GET", &url, &[], Bytes::new()).await.body, pdf);
    assert_eq!(app.stores.billings.get_billing(&tenant_id(1), &draft.billing_id).await.unwrap().unwrap().status(), BillingStatus::Issued);
    // Issued: no more uploads.
    assert!(matches!(
        uploads::upload_url(&app, &operator(), &tenant_id(1), &inv.invoice_number, UploadRequest { content_length: 10 }).await,
        Err(ApiError::Conflict(_))
    ));
}

macro_rules! uploads_suite {
    ($adapter:ident, $make:path) => {
        mod $adapter {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn upload_check_and_issue() {
                super::upload_check_and_issue($make().await).await
            }
        }
    };
}

uploads_suite!(embedded, seikyu_tests::fixtures::embedded_store);
uploads_suite!(dynamodb, seikyu_tests::fixtures::dynamodb_store);
