//! Issuing invoices through the domain on every adapter: gapless numbers under concurrency,
//! recovery from failures between steps, void and paid.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use common::App;
use common::caller::Caller;
use common::clock::SequentialIds;
use common::domain::{BillingId, BillingStatus, InvoiceStatus};
use common::error::ApiError;
use common::service::invoices::{self, IssuerInput, VoidInput};
use common::store::{Owner, PrincipalArn, Stores};
use futures_util::TryStreamExt;
use seikyu_tests::faults::{FailingFinish, FailingPuts};
use seikyu_tests::fixtures::{FakePdf, StoreFixture, billing, tenant, tenant_id};
use sha2::{Digest, Sha256};

fn operator() -> Caller {
    Caller { principal: PrincipalArn::parse("arn:aws:iam::123456789012:role/SeikyuOperator").unwrap(), owner: Owner::Operator, api_key_id: None }
}

fn app_over(stores: Stores) -> App {
    App {
        stores,
        clock: Arc::new(common::clock::SystemClock),
        ids: Arc::new(SequentialIds::default()),
        renderer: Some(Arc::new(FakePdf)),
        keys: None,
        iam: None,
    }
}

/// An app with the issuer set and tenant A holding `n` draft billing records (issue date in 2025).
async fn ready(stores: Stores, n: u8) -> (App, Vec<BillingId>) {
    let app = app_over(stores);
    let issuer = IssuerInput {
        name: "株式会社セイキュウ".into(),
        address: "島根県松江市学園南1-2-3".into(),
        registration_number: "T8700110005901".into(),
        bank_details: "しまね銀行 松江支店 普通 1234567".into(),
        invoice_prefix: "INV".into(),
        rounding: None,
        invoice_dates: None,
    };
    invoices::put_issuer(&app, &operator(), issuer, None).await.unwrap();
    app.stores.tenants.create_tenant(&tenant(&tenant_id(1), "A")).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let b = billing(&tenant_id(1), "2025-04", i, BillingStatus::Draft);
        app.stores.billings.create_billing(&b).await.unwrap();
        ids.push(b.billing_id);
    }
    (app, ids)
}

async fn pdf_sha(app: &App, invoice: &common::domain::Invoice) -> String {
    let key = invoices::pdf_key(invoice).unwrap();
    let body = app.stores.objects.get_object(&key, None).await.unwrap().expect("pdf stored");
    let bytes: Vec<u8> = body
        .stream
        .try_fold(Vec::new(), |mut a, c| async move {
            a.extend_from_slice(&c);
            Ok(a)
        })
        .await
        .unwrap();
    hex::encode(Sha256::digest(&bytes))
}

pub async fn issue_once_and_again(f: StoreFixture) {
    let (app, ids) = ready(f.stores.clone(), 2).await;
    let (inv, fresh) = invoices::issue(&app, &operator(), &tenant_id(1), &ids[0]).await.unwrap();
    assert!(fresh);
    assert_eq!(inv.invoice_number.as_str(), "INV-2025-000001");
    assert_eq!(inv.status(), InvoiceStatus::Issued);
    assert_eq!(inv.issuer.registration_number.as_str(), "T8700110005901");
    assert_eq!(inv.recipient.company_name, "A株式会社");
    let pdf = inv.pdf().cloned().expect("pdf info");
    assert_eq!(pdf_sha(&app, &inv).await, pdf.sha256, "the recorded hash is the stored object's");
    let billing = app.stores.billings.get_billing(&tenant_id(1), &ids[0]).await.unwrap().unwrap();
    assert_eq!((billing.status(), billing.invoice_number().cloned()), (BillingStatus::Issued, Some(inv.invoice_number.clone())));
    let (again, fresh) = invoices::issue(&app, &operator(), &tenant_id(1), &ids[0]).await.unwrap();
    assert!(!fresh);
    assert_eq!(again, inv, "issuing twice returns the same invoice");
    let (second, _) = invoices::issue(&app, &operator(), &tenant_id(1), &ids[1]).await.unwrap();
    assert_eq!(second.invoice_number.as_str(), "INV-2025-000002");
}

pub async fn fifty_concurrent_issues_get_fifty_consecutive_numbers(f: StoreFixture) {
    let (app, ids) = ready(f.stores.clone(), 50).await;
    let app = Arc::new(app);
    let tasks: Vec<_> = ids
        .iter()
        .cloned()
        .map(|id| {
            let app = app.clone();
            tokio::spawn(async move { invoices::issue(&app, &operator(), &tenant_id(1), &id).await })
        })
        .collect();
    let mut seqs = Vec::new();
    for t in tasks {
        let (inv, _) = t.await.unwrap().unwrap();
        seqs.push(inv.invoice_number.seq());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=50).collect::<Vec<u64>>(), "{}: distinct and consecutive", f.adapter);
    assert_eq!(app.stores.invoices.next_invoice_seq(2025).await.unwrap(), 51, "no number was skipped");
}

pub async fn a_failure_after_numbering_is_completed_by_a_retry(f: StoreFixture) {
    let (mut app, ids) = ready(f.stores.clone(), 2).await;
    app.stores.objects = Arc::new(FailingPuts { inner: f.stores.objects.clone(), failures_left: AtomicUsize::new(1) });
    let err = invoices::issue(&app, &operator(), &tenant_id(1), &ids[0]).await.unwrap_err();
    assert!(matches!(err, ApiError::Unavailable(_)), "{err:?}");
    let billing = app.stores.billings.get_billing(&tenant_id(1), &ids[0]).await.unwrap().unwrap();
    assert_eq!(billing.status(), BillingStatus::Issuing, "not issued without its PDF");
    let number = billing.invoice_number().cloned().expect("the number is bound to the record");
    let pending = app.stores.invoices.get_invoice(&tenant_id(1), &number).await.unwrap().unwrap();
    assert_eq!(pending.status(), InvoiceStatus::Rendering);
    let (done, _) = invoices::issue(&app, &operator(), &tenant_id(1), &ids[0]).await.unwrap();
    assert_eq!(done.invoice_number, number, "the retry keeps the number");
    assert_eq!(done.status(), InvoiceStatus::Issued);
    let (next, _) = invoices::issue(&app, &operator(), &tenant_id(1), &ids[1]).await.unwrap();
    assert_eq!(next.invoice_number.seq(), number.seq() + 1, "no gap");
}

pub async fn a_failure_after_rendering_is_completed_by_a_retry(f: StoreFixture) {
    let (mut app, ids) = ready(f.stores.clone(), 2).await;
    app.stores.invoices = Arc::new(FailingFinish { inner: f.stores.invoices.clone(), failures_left: AtomicUsize::new(1) });
    assert!(invoices::issue(&app, &operator(), &tenant_id(1), &ids[0]).await.is_err());
    let number = app.stores.billings.get_billing(&tenant_id(1), &ids[0]).await.unwrap().unwrap().invoice_number().cloned().expect("numbered");
    let (done, _) = invoices::issue(&app, &operator(), &tenant_id(1), &ids[0]).await.unwrap();
    assert_eq!((done.invoice_number.clone(), done.status()), (number.clone(), InvoiceStatus::Issued));
    assert_eq!(pdf_sha(&app, &done).await, done.pdf().unwrap().sha256.clone(), "the re-rendered PDF is byte-identical");
    let (next, _) = invoices::issue(&app, &operator(), &tenant_id(1), &ids[1]).await.unwrap();
    assert_eq!(next.invoice_number.seq(), number.seq() + 1);
}

pub async fn void_and_paid(f: StoreFixture) {
    let (app, ids) = ready(f.stores.clone(), 3).await;
    let t = tenant_id(1);
    let (a, _) = invoices::issue(&app, &operator(), &t, &ids[0]).await.unwrap();
    let (b, _) = invoices::issue(&app, &operator(), &t, &ids[1]).await.unwrap();
    let voided = invoices::void(&app, &operator(), &t, &a.invoice_number, VoidInput { reason: "金額訂正のため".into() }).await.unwrap();
    assert_eq!((voided.status(), voided.void_reason()), (InvoiceStatus::Void, Some("金額訂正のため")));
    assert_eq!(app.stores.billings.get_billing(&t, &ids[0]).await.unwrap().unwrap().status(), BillingStatus::Void);
    assert!(matches!(invoices::void(&app, &operator(), &t, &a.invoice_number, VoidInput { reason: "again".into() }).await, Err(ApiError::Conflict(_))));
    assert!(matches!(invoices::void(&app, &operator(), &t, &b.invoice_number, VoidInput { reason: " ".into() }).await, Err(ApiError::Validation(_))));
    let paid = invoices::mark_paid(&app, &operator(), &t, &ids[1], Default::default()).await.unwrap();
    assert_eq!(paid.status(), BillingStatus::Paid);
    assert!(
        matches!(invoices::void(&app, &operator(), &t, &b.invoice_number, VoidInput { reason: "late".into() }).await, Err(ApiError::Conflict(_))),
        "paid invoices are not voided"
    );
    assert!(matches!(invoices::mark_paid(&app, &operator(), &t, &ids[2], Default::default()).await, Err(ApiError::Conflict(_))), "a draft cannot be paid");
    // The voided invoice keeps its number; the next one continues after the highest.
    let (c, _) = invoices::issue(&app, &operator(), &t, &ids[2]).await.unwrap();
    assert_eq!(c.invoice_number.seq(), 3);
}

macro_rules! issuing_suite {
    ($adapter:ident, $make:path) => {
        mod $adapter {
            issuing_suite!(@tests $make; issue_once_and_again, fifty_concurrent_issues_get_fifty_consecutive_numbers,
                a_failure_after_numbering_is_completed_by_a_retry, a_failure_after_rendering_is_completed_by_a_retry, void_and_paid);
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

issuing_suite!(embedded, seikyu_tests::fixtures::embedded_store);
issuing_suite!(dynamodb, seikyu_tests::fixtures::dynamodb_store);
