//! A property of the whole lifecycle, through the services that routes call: whatever records,
//! issuer changes and operations come in whatever order, a record bound to an invoice number shows
//! exactly its invoice's number, lines, notes, dates, totals and rounding, and their statuses move
//! together. Operations that the state refuses are refused as conflicts, never as server errors.

use common::caller::Caller;
use common::domain::{BillingId, BillingStatus, InvoiceStatus, lifecycle};
use common::error::ApiError;
use common::http::{IfMatch, Patch};
use common::service::billings::{self, BillingPatch, BillingView, LineInput, NewBilling};
use common::service::invoices::{self, IssuerInput, PaidInput, VoidInput};
use common::service::uploads::{self, UploadComplete, upload_key};
use common::store::{Owner, PageRequest, PrincipalArn};
use proptest::prelude::*;
use seikyu_tests::fixtures::{Seeded, seeded_app, tenant_id};
use sha2::{Digest, Sha256};

fn operator() -> Caller {
    Caller { principal: PrincipalArn::parse("arn:aws:iam::123456789012:role/SeikyuOperator").unwrap(), owner: Owner::Operator, api_key_id: None }
}

#[derive(Debug, Clone)]
enum Op {
    Rounding(&'static str),
    Patch(usize, Vec<(i64, i64, bool)>),
    Issue(usize),
    IssueExternal(usize),
    Upload(usize),
    Pay(usize),
    Void(usize),
}

fn lines() -> impl Strategy<Value = Vec<(i64, i64, bool)>> {
    prop::collection::vec((1i64..20, -5_000i64..200_000, any::<bool>()), 1..5)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        prop_oneof![Just("floor"), Just("ceil"), Just("halfUp")].prop_map(Op::Rounding),
        (0usize..3, lines()).prop_map(|(i, l)| Op::Patch(i, l)),
        (0usize..3).prop_map(Op::Issue),
        (0usize..3).prop_map(Op::IssueExternal),
        (0usize..3).prop_map(Op::Upload),
        (0usize..3).prop_map(Op::Pay),
        (0usize..3).prop_map(Op::Void),
    ]
}

fn input(l: &[(i64, i64, bool)]) -> Vec<LineInput> {
    l.iter()
        .enumerate()
        .map(|(i, (q, p, reduced))| LineInput {
            description: format!("品目 {i}"),
            quantity: *q,
            unit_price: *p,
            tax_category: if *reduced { "reduced" } else { "standard" }.into(),
        })
        .collect()
}

async fn set_rounding(s: &Seeded, mode: &str) {
    let current = s.app.stores.invoices.get_issuer().await.unwrap().expect("seeded issuer");
    let tag = IfMatch::Tags(vec![current.etag()]);
    let issuer = IssuerInput {
        name: current.name,
        address: current.address,
        registration_number: current.registration_number.to_string(),
        bank_details: current.bank_details,
        invoice_prefix: "PROP".into(),
        rounding: Some(mode.into()),
        invoice_dates: None,
    };
    invoices::put_issuer(&s.app, &operator(), issuer, Some(tag)).await.unwrap();
}

/// Applies one operation; refusals are fine, but only as the client errors the state explains.
async fn apply(s: &Seeded, ids: &[BillingId], op: &Op) {
    let t = tenant_id(1);
    let result: Result<(), ApiError> = match op {
        Op::Rounding(mode) => {
            set_rounding(s, mode).await;
            Ok(())
        }
        Op::Patch(i, l) => {
            let current = s.app.stores.billings.get_billing(&t, &ids[*i]).await.unwrap().unwrap();
            let patch = BillingPatch { lines: Patch::Value(input(l)), ..Default::default() };
            billings::update(&s.app, &operator(), &t, &ids[*i], patch, Some(IfMatch::Tags(vec![current.etag()]))).await.map(drop)
        }
        Op::Issue(i) => invoices::issue(&s.app, &operator(), &t, &ids[*i]).await.map(drop),
        Op::IssueExternal(i) => invoices::issue_external(&s.app, &operator(), &t, &ids[*i]).await.map(drop),
        Op::Upload(i) => {
            let record = s.app.stores.billings.get_billing(&t, &ids[*i]).await.unwrap().unwrap();
            match record.invoice_number() {
                None => Ok(()),
                Some(n) => {
                    let invoice = s.app.stores.invoices.get_invoice(&t, n).await.unwrap().unwrap();
                    let pdf = format!("%PDF-1.7 {n}").into_bytes();
                    let sha = hex::encode(Sha256::digest(&pdf));
                    let staged = upload_key(&invoice).unwrap();
                    let _ = s.app.stores.objects.delete_object(&staged).await;
                    s.app.stores.objects.create_object(&staged, pdf.into(), "application/pdf").await.unwrap();
                    uploads::complete(&s.app, &operator(), &t, n, UploadComplete { sha256: sha }).await.map(drop)
                }
            }
        }
        Op::Pay(i) => invoices::mark_paid(&s.app, &operator(), &t, &ids[*i], PaidInput::default()).await.map(drop),
        Op::Void(i) => {
            let record = s.app.stores.billings.get_billing(&t, &ids[*i]).await.unwrap().unwrap();
            match record.invoice_number() {
                None => Ok(()),
                Some(n) => invoices::void(&s.app, &operator(), &t, n, VoidInput { reason: "訂正".into() }).await.map(drop),
            }
        }
    };
    match result {
        Ok(()) | Err(ApiError::Conflict(_)) | Err(ApiError::Validation(_)) => {}
        Err(e) => panic!("{op:?} failed with {e:?}"),
    }
}

/// The invariant, checked over every record of the tenant.
async fn check(s: &Seeded, ids: &[BillingId]) {
    let t = tenant_id(1);
    let today = billings::rounding(&s.app).await.unwrap();
    for id in ids {
        let record = s.app.stores.billings.get_billing(&t, id).await.unwrap().unwrap();
        let view = BillingView::of(&record, today).unwrap();
        let Some(number) = record.invoice_number() else {
            assert_eq!((record.status(), view.rounding), (BillingStatus::Draft, today), "an unbound record is a draft shown with today's rounding");
            continue;
        };
        let invoice = s.app.stores.invoices.get_invoice(&t, number).await.unwrap().expect("the bound invoice exists");
        assert!(lifecycle::agrees(&record, &invoice), "{record:?}\n{invoice:?}");
        assert_eq!((&view.totals, view.rounding, &view.lines), (&invoice.totals, invoice.rounding, &invoice.lines));
        let pair = (record.status(), invoice.status());
        let expected = [
            (BillingStatus::Issuing, InvoiceStatus::Rendering),
            (BillingStatus::AwaitingUpload, InvoiceStatus::AwaitingUpload),
            (BillingStatus::Issued, InvoiceStatus::Issued),
            (BillingStatus::Paid, InvoiceStatus::Paid),
            (BillingStatus::Void, InvoiceStatus::Void),
        ];
        assert!(expected.contains(&pair), "statuses moved apart: {pair:?}");
        assert_eq!(invoice.pdf().is_some(), invoice.status().is_delivered());
        assert_eq!(invoice.paid_on().is_some(), invoice.status() == InvoiceStatus::Paid);
        assert_eq!(invoice.void_reason().is_some(), invoice.status() == InvoiceStatus::Void);
    }
    let page = s.app.stores.invoices.list_invoices(&t, &Default::default(), &PageRequest { limit: 100, cursor: None }).await.unwrap();
    let mut seqs: Vec<u64> = page.items.iter().filter(|i| i.invoice_number.as_str().starts_with("PROP-")).map(|i| i.invoice_number.seq()).collect();
    seqs.sort_unstable();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "numbers are gapless: {seqs:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_bound_record_always_equals_its_invoice(records in prop::collection::vec(lines(), 3), ops in prop::collection::vec(op(), 1..25)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let s = seeded_app().await;
            set_rounding(&s, "floor").await;
            let mut ids = Vec::new();
            for (i, l) in records.iter().enumerate() {
                let new = NewBilling { period: "2025-10".into(), lines: input(l), notes: Some("備考\r\n二行目".into()), issue_date: "2025-10-31".into(), due_date: "2025-11-30".into() };
                let (period, content) = billings::validate_new(new).unwrap();
                let created = billings::create(&s.app, &operator(), &tenant_id(1), period, content, [i as u8; 8]).await.unwrap();
                ids.push(created.billing_id);
            }
            for op in &ops {
                apply(&s, &ids, op).await;
                check(&s, &ids).await;
            }
        });
    }
}
