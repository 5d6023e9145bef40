//! The flows the fault sweep runs, each as a client would drive it: the first attempt with the
//! fault armed, and on an error the same request again (same Idempotency-Key, same If-Match) with
//! faults off. A month-end run's worker is driven as its queue feeds it: a message that fails
//! comes back.

use std::future::Future;

use bytes::Bytes;
use chrono::TimeDelta;
use common::domain::{BillingPeriod, InvoiceNumber, InvoiceStatus, PdfSource, TenantId, TenantStatus};
use common::error::ApiError;
use common::http::IfMatch;
use common::service::runs;
use common::service::tenants::{self, NewTenant, TenantPatch};
use common::service::uploads::{self, UploadComplete, UploadRequest};
use common::service::{invoices, tenant_keys};
use common::store::faults::Mode;
use seikyu_tests::events::{Event, call};
use seikyu_tests::fixtures::{draft, tenant_id, who};
use seikyu_tests::http_client::send;
use sha2::{Digest, Sha256};

use super::faults::{Harness, Queue, operator};

/// A flow of the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// `POST …/billings/{id}/issue`: number, render, store the PDF, mark issued.
    Issue,
    /// upload-url, the presigned PUT, upload-complete.
    Upload,
    /// Onboard, change the tier, rotate the key, suspend.
    Keys,
    /// Offboard a tenant (its key deleted).
    Offboard,
    /// `POST /v1/invoice-runs` (with an Idempotency-Key), then the worker until the queue is empty.
    Run,
}

/// What the client saw, and every store call the attempt made.
pub(crate) struct Outcome {
    pub saw: Option<String>,
    pub trace: Vec<&'static str>,
}

/// A client's request: tried once (the fault armed), and on an error tried again with faults off,
/// after the idempotency lease when the first attempt still holds its key.
async fn request<T, F, Fut>(h: &Harness, saw: &mut Option<String>, what: &str, mut send: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut last = match send().await {
        Ok(v) => return v,
        Err(e) => e,
    };
    saw.get_or_insert_with(|| format!("{what}: {last:?}"));
    h.faults.disarm();
    for _ in 0..3 {
        if matches!(&last, ApiError::Conflict(m) if m.contains("still being processed")) {
            h.clock.advance(common::store::LEASE + TimeDelta::seconds(1));
        }
        last = match send().await {
            Ok(v) => return v,
            Err(e) => e,
        };
    }
    panic!("{what}: retried with faults off, still {last:?}");
}

pub(crate) async fn run(h: &Harness, flow: Flow, i: u8, fault: Option<(u64, Mode)>) -> Outcome {
    let mut saw = None;
    match flow {
        Flow::Issue => issue(h, i, fault, &mut saw).await,
        Flow::Upload => upload(h, i, fault, &mut saw).await,
        Flow::Keys => keys(h, i, fault, &mut saw).await,
        Flow::Offboard => offboard(h, i, fault, &mut saw).await,
        Flow::Run => month_end(h, i, fault, &mut saw).await,
    }
    Outcome { saw, trace: h.stop() }
}

async fn issue(h: &Harness, i: u8, fault: Option<(u64, Mode)>, saw: &mut Option<String>) {
    let (a, record) = (tenant_id(1), draft(&tenant_id(1), "2025-06", i));
    h.clean.stores.billings.create_billing(&record).await.expect("draft");
    let op = operator();
    h.arm(fault);
    let (invoice, _) = request(h, saw, "issue", || invoices::issue(&h.app, &op, &a, &record.billing_id)).await;
    assert_eq!(invoice.status(), InvoiceStatus::Issued);
}

async fn upload(h: &Harness, i: u8, fault: Option<(u64, Mode)>, saw: &mut Option<String>) {
    let (b, record) = (tenant_id(2), draft(&tenant_id(2), "2025-07", i));
    h.clean.stores.billings.create_billing(&record).await.expect("draft");
    let (invoice, _) = invoices::issue_external(&h.clean, &operator(), &b, &record.billing_id).await.expect("numbered");
    let number = &invoice.invoice_number;
    let pdf = Bytes::from(format!("%PDF-1.7\n% uploaded {number}\n%%EOF\n"));
    let sha256 = hex::encode(Sha256::digest(&pdf));
    let op = operator();
    h.arm(fault);
    let to_url = || uploads::upload_url(&h.app, &op, &b, number, UploadRequest { content_length: pdf.len() as i64 });
    let url = match to_url().await {
        Ok(u) => u,
        Err(e) => {
            saw.get_or_insert_with(|| format!("upload-url: {e:?}"));
            h.faults.disarm();
            to_url().await.expect("upload-url again")
        }
    };
    let put = send("PUT", &url.url, &[("content-type", "application/pdf")], pdf.clone()).await;
    assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
    let done = request(h, saw, "upload-complete", || uploads::complete(&h.app, &op, &b, number, UploadComplete { sha256: sha256.clone() })).await;
    assert_eq!((done.status(), done.pdf_source, done.pdf().map(|p| p.sha256.as_str())), (InvoiceStatus::Issued, PdfSource::External, Some(sha256.as_str())));
}

fn new_tenant(i: u8) -> NewTenant {
    serde_json::from_value(serde_json::json!({
        "name": format!("障害テスト{i}"),
        "customerProfile": {"companyName": "株式会社障害", "postalCode": "690-0887", "address": "島根県松江市殿町1番地",
            "billingContact": {"name": "経理 太郎", "email": "keiri@example.co.jp"}},
        "planTier": "standard"
    }))
    .expect("a new tenant")
}

/// Reads the tenant (as the CLI does before a change), then sends the merge patch with its ETag;
/// a retry sends the same patch with the same ETag.
async fn patch(h: &Harness, saw: &mut Option<String>, id: &TenantId, body: serde_json::Value) {
    let op = operator();
    let current = request(h, saw, "get tenant", || tenants::get(&h.app, &op, id)).await;
    let etag = current.etag();
    let after = request(h, saw, "patch tenant", || {
        let patch: TenantPatch = serde_json::from_value(body.clone()).expect("a patch");
        tenants::update(&h.app, &op, id, patch, Some(IfMatch::Tags(vec![etag.clone()])))
    })
    .await;
    for (field, value) in body.as_object().into_iter().flatten() {
        let now = serde_json::to_value(&after).expect("tenant as JSON");
        assert_eq!(&now[field], value, "{field} after the patch");
    }
}

async fn keys(h: &Harness, i: u8, fault: Option<(u64, Mode)>, saw: &mut Option<String>) {
    let op = operator();
    h.arm(fault);
    let onboarded = request(h, saw, "onboard", || tenants::create(&h.app, &op, new_tenant(i))).await;
    let id = onboarded.tenant.tenant_id;
    patch(h, saw, &id, serde_json::json!({"planTier": "premium"})).await;
    let rotated = request(h, saw, "rotate", || tenant_keys::rotate(&h.app, &op, &id)).await;
    assert_ne!(Some(&rotated.api_key.id), onboarded.tenant.api_key_id.as_ref());
    patch(h, saw, &id, serde_json::json!({"status": "suspended"})).await;
}

async fn offboard(h: &Harness, i: u8, fault: Option<(u64, Mode)>, saw: &mut Option<String>) {
    let id = tenants::create(&h.clean, &operator(), new_tenant(i)).await.expect("onboarded").tenant.tenant_id;
    h.arm(fault);
    patch(h, saw, &id, serde_json::json!({"status": "offboarded"})).await;
    let t = h.clean.stores.tenants.get_tenant(&id).await.expect("read").expect("tenant");
    assert_eq!(t.status, TenantStatus::Offboarded);
}

/// The period of run `i`: one each, from 2026-01 (a run holds its period while active).
pub(crate) fn run_period(i: u8) -> BillingPeriod {
    let m = 2026 * 12 + u32::from(i);
    BillingPeriod::parse(&format!("{:04}-{:02}", m / 12, m % 12 + 1)).expect("period")
}

async fn month_end(h: &Harness, i: u8, fault: Option<(u64, Mode)>, saw: &mut Option<String>) {
    let period = run_period(i);
    let start = || async {
        let e = Event::new("POST", "/v1/invoice-runs", "/v1/invoice-runs")
            .caller(who::OPERATOR_ARN, Some(who::OPERATOR_KEY))
            .header("Idempotency-Key", &format!("fault-run-{i}"))
            .json_body(&serde_json::json!({"period": period.to_string()}));
        let answer = call(super::handlers::handler("create-invoice-run"), &h.app, e.request()).await;
        match answer.status {
            202 => Ok(answer.body["runId"].as_str().map(str::to_owned).unwrap_or_default()),
            409 if answer.body["detail"].as_str().is_some_and(|d| d.contains("still being processed")) => {
                Err(ApiError::Conflict("still being processed".into()))
            }
            s => Err(ApiError::Unavailable(format!("{s}: {}", answer.body))),
        }
    };
    h.arm(fault);
    let run_id = request(h, saw, "start run", start).await;
    drain(h, saw).await;
    let id = common::domain::RunId::parse(&run_id).expect("run id");
    let view = runs::get(&h.clean, &operator(), &id).await.expect("run");
    assert_eq!((view.counts.total, view.counts.issued, view.counts.remaining), (2, 2, 0), "{view:?}");
    for t in [tenant_id(1), tenant_id(2)] {
        let billing = common::service::generation::generated_id(&t, period);
        let record = h.clean.stores.billings.get_billing(&t, &billing).await.expect("read").expect("generated");
        assert!(record.invoice_number().is_some_and(|n: &InvoiceNumber| n.seq() > 0), "{record:?}");
    }
}

/// Feeds the worker until its queue is empty; a message whose handling failed comes back.
async fn drain(h: &Harness, saw: &mut Option<String>) {
    for _ in 0..200 {
        let batch: Vec<(String, common::store::RunMessage, u32)> = match &h.queue {
            Queue::Embedded(store) => {
                store.receive_runs(10, std::time::Duration::ZERO).await.expect("receive").into_iter().map(|d| (d.key, d.message, d.receives)).collect()
            }
            Queue::Sqs(sqs, url) => super::faults::receive_sqs(sqs, url).await,
        };
        if batch.is_empty() {
            return;
        }
        let messages: Vec<_> = batch.iter().map(|(_, m, n)| (m.clone(), *n)).collect();
        let outcomes = runs::process_batch(&h.app, &messages).await;
        let mut done = Vec::new();
        for ((key, _, _), outcome) in batch.into_iter().zip(outcomes) {
            match outcome {
                Ok(()) => done.push(key),
                Err(e) => {
                    saw.get_or_insert_with(|| format!("worker: {e:?} (redelivered)"));
                }
            }
        }
        match &h.queue {
            Queue::Embedded(store) => store.delete_run_messages(&done).await.expect("delete"),
            Queue::Sqs(sqs, url) => super::faults::delete_sqs(sqs, url, &done).await,
        }
    }
    panic!("the run queue never emptied");
}
