//! The repair sweep against each half-done state, staged with the fault wrapper (a write that
//! failed and was never retried) or by hand (what only a bug or a person could leave).

use bytes::Bytes;
use chrono::TimeDelta;
use common::clock::Clock;
use common::domain::{BillingStatus, InvoiceStatus, PdfInfo, PdfSource, PlanTier, RunState, TenantStatus, lifecycle};
use common::service::repair::{self, Action, Kind, Report};
use common::service::runs::{self, RunInput, Started};
use common::service::uploads::{self, UploadComplete, UploadRequest};
use common::service::{invoices, tenants};
use common::store::faults::Mode;
use common::store::{ObjectKey, RunMessage};
use seikyu_tests::fixtures::{draft, issue_in, t0};
use seikyu_tests::http_client::send;
use sha2::{Digest, Sha256};

use super::faults::{Harness, Queue, operator, tenant};
use super::faults_checks::{invariants, invoice};

/// The position of the first call named `name` in a clean run of `f` (1 is the first call).
fn position(trace: &[&str], name: &str) -> u64 {
    trace.iter().position(|c| *c == name).map(|p| p as u64 + 1).unwrap_or_else(|| panic!("no {name} in {trace:?}"))
}

fn only(report: &Report, kind: Kind, action: Action) {
    assert!(!report.findings.is_empty() && report.findings.iter().all(|f| f.kind == kind && f.action == action), "want {kind:?} {action:?}:\n{report}");
}

/// A rendered invoice left `rendering`, without its PDF and with it: the sweep issues both, and a
/// sweep without a renderer finishes the one whose PDF is stored and reports the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_left_rendering_are_issued() {
    let h = Harness::embedded().await;
    let a = tenant(1);
    let record = |n| draft(&a, "2025-09", n);
    h.clean.stores.billings.create_billing(&record(1)).await.unwrap();
    h.arm(None);
    invoices::issue(&h.app, &operator(), &a, &record(1).billing_id).await.unwrap();
    let trace = h.stop();
    let (store, finish) = (position(&trace, "ObjectStore::create_object"), position(&trace, "InvoiceStore::update_invoice_and_billing"));
    let mut stuck = Vec::new();
    for (n, at) in [(2, store), (3, finish), (4, store), (5, finish)] {
        h.clean.stores.billings.create_billing(&record(n)).await.unwrap();
        h.arm(Some((at, Mode::Before)));
        assert!(invoices::issue(&h.app, &operator(), &a, &record(n).billing_id).await.is_err());
        h.stop();
        let bound = h.clean.stores.billings.get_billing(&a, &record(n).billing_id).await.unwrap().unwrap();
        assert_eq!(bound.status(), BillingStatus::Issuing);
        stuck.push(bound.invoice_number().cloned().unwrap());
    }
    // Without a renderer: the one whose PDF is stored is finished, the other reported.
    let mut bare = (*h.clean).clone();
    bare.renderer = None;
    let options = repair::Options { grace: TimeDelta::zero(), ..Default::default() };
    let report = repair::sweep(&bare, &options).await.unwrap();
    let found = report.of(Kind::InvoiceRendering);
    assert_eq!(found.iter().map(|f| f.action).collect::<Vec<_>>(), [Action::Reported, Action::Repaired, Action::Reported, Action::Repaired], "{report}");
    // With one: everything issued, each with the bytes it renders.
    let report = h.sweep().await;
    only(&report, Kind::InvoiceRendering, Action::Repaired);
    for number in &stuck {
        assert_eq!(invoice(&h.clean, &a, number).await.status(), InvoiceStatus::Issued);
    }
    assert!(h.sweep().await.is_clean());
    invariants(&h, "after the sweep").await;
}

/// A young half-done invoice is left alone (a request may be finishing it); a dry run changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn young_work_is_left_alone_and_a_dry_run_changes_nothing() {
    let h = Harness::embedded().await;
    let a = tenant(1);
    let record = |n| draft(&a, "2025-09", n);
    h.clean.stores.billings.create_billing(&record(6)).await.unwrap();
    h.arm(None);
    invoices::issue(&h.app, &operator(), &a, &record(6).billing_id).await.unwrap();
    let store = position(&h.stop(), "ObjectStore::create_object");
    h.clean.stores.billings.create_billing(&record(7)).await.unwrap();
    h.arm(Some((store, Mode::Before)));
    assert!(invoices::issue(&h.app, &operator(), &a, &record(7).billing_id).await.is_err());
    h.stop();
    let young = repair::sweep(&h.clean, &repair::Options::default()).await.unwrap();
    assert!(young.of(Kind::InvoiceRendering).is_empty(), "{young}");
    h.clock.advance(TimeDelta::hours(1));
    let dry = repair::sweep(&h.clean, &repair::Options { dry_run: true, ..Default::default() }).await.unwrap();
    only(&dry, Kind::InvoiceRendering, Action::WouldRepair);
    let still = h.clean.stores.billings.get_billing(&a, &record(7).billing_id).await.unwrap().unwrap();
    assert_eq!(still.status(), BillingStatus::Issuing, "a dry run writes nothing");
    only(&repair::sweep(&h.clean, &repair::Options::default()).await.unwrap(), Kind::InvoiceRendering, Action::Repaired);
}

/// Uploads: one checked and copied but never marked issued (finished), one whose staging copy
/// was left after completion (deleted), one overdue (reported).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_done_uploads_are_finished_cleaned_or_reported() {
    let h = Harness::embedded().await;
    let b = tenant(2);
    let mut numbers = Vec::new();
    for n in 1..=4u8 {
        let record = draft(&b, "2025-09", n);
        h.clean.stores.billings.create_billing(&record).await.unwrap();
        numbers.push(invoices::issue_external(&h.clean, &operator(), &b, &record.billing_id).await.unwrap().0.invoice_number.clone());
    }
    let pdf = |n: usize| Bytes::from(format!("%PDF-1.7\n% upload {n}\n%%EOF\n"));
    let op = operator();
    let complete = |n: usize| uploads::complete(&h.app, &op, &b, &numbers[n], UploadComplete { sha256: hex::encode(Sha256::digest(pdf(n))) });
    for (n, number) in numbers.iter().enumerate().take(3) {
        let url = uploads::upload_url(&h.clean, &operator(), &b, number, UploadRequest { content_length: pdf(n).len() as i64 }).await.unwrap();
        assert_eq!(send("PUT", &url.url, &[("content-type", "application/pdf")], pdf(n)).await.status, 200);
    }
    h.arm(None);
    complete(0).await.unwrap();
    let trace = h.stop();
    // 1: the copy made, the invoice never marked issued. 2: issued, its staging copy left.
    h.arm(Some((position(&trace, "InvoiceStore::update_invoice_and_billing"), Mode::Before)));
    assert!(complete(1).await.is_err());
    h.arm(Some((position(&trace, "ObjectStore::delete_object"), Mode::Before)));
    assert!(complete(2).await.is_ok(), "a clean-up that fails is only logged");
    h.stop();
    // 3: numbered, nothing uploaded, and the URL long expired.
    h.clock.advance(TimeDelta::hours(2));
    let report = repair::sweep(&h.clean, &repair::Options::default()).await.unwrap();
    let kinds: Vec<(Kind, Action)> = report.findings.iter().map(|f| (f.kind, f.action)).collect();
    assert_eq!(
        kinds,
        [(Kind::UploadNotFinished, Action::Repaired), (Kind::UploadOverdue, Action::Reported), (Kind::StagedUpload, Action::Deleted)],
        "{report}"
    );
    let finished = invoice(&h.clean, &b, &numbers[1]).await;
    assert_eq!((finished.status(), finished.pdf().map(|p| p.sha256.clone())), (InvoiceStatus::Issued, Some(hex::encode(Sha256::digest(pdf(1))))));
    for n in [1, 2] {
        assert!(h.clean.stores.objects.head_object(&uploads::upload_key(&invoice(&h.clean, &b, &numbers[n]).await).unwrap()).await.unwrap().is_none());
    }
    // The client's retry of the interrupted completion answers the invoice the sweep issued.
    assert_eq!(complete(1).await.unwrap().status(), InvoiceStatus::Issued);
}

/// Objects no invoice accounts for, and an issued invoice whose PDF went missing, are reported;
/// nothing under invoices/ is deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphans_and_missing_pdfs_are_reported_never_deleted() {
    let h = Harness::embedded().await;
    let a = tenant(1);
    let orphan = ObjectKey::new(&a, "invoices/INV-2025-009999.pdf").unwrap();
    let foreign = ObjectKey::new(&a, "notes/readme.txt").unwrap();
    let stray = ObjectKey::new(&a, "uploads/INV-2025-009998.pdf").unwrap();
    for k in [&orphan, &foreign, &stray] {
        h.clean.stores.objects.create_object(k, Bytes::from_static(b"%PDF-1.7\n"), "application/pdf").await.unwrap();
    }
    // An invoice recorded issued whose PDF was never stored (the store refuses to delete one).
    let record = draft(&a, "2025-09", 9);
    let numbered = issue_in(&h.clean.stores, &record, "INV-2025-000004".parse().unwrap(), PdfSource::Rendered).await;
    let bound = h.clean.stores.billings.get_billing(&a, &record.billing_id).await.unwrap().unwrap();
    let pdf = PdfInfo { sha256: "0".repeat(64), size: 10 };
    let (issued, issued_record) = lifecycle::issue(&numbered, &bound, pdf, t0()).unwrap();
    h.clean.stores.invoices.update_invoice_and_billing(&issued, numbered.version, &issued_record, bound.version).await.unwrap();
    let report = h.sweep().await;
    let kinds: Vec<(Kind, Action, &str)> = report.findings.iter().map(|f| (f.kind, f.action, f.subject.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (Kind::MissingPdf, Action::Reported, "INV-2025-000004"),
            (Kind::OrphanObject, Action::Reported, orphan.as_str()),
            (Kind::OrphanObject, Action::Reported, foreign.as_str()),
            (Kind::StagedUpload, Action::Deleted, stray.as_str()),
        ],
        "{report}"
    );
    assert!(h.clean.stores.objects.head_object(&orphan).await.unwrap().is_some(), "never deleted");
    assert!(h.clean.stores.objects.head_object(&stray).await.unwrap().is_none());
}

/// Keys: drifted ones brought in line, one no tenant holds deleted, a missing one reported.
async fn keys_are_brought_in_line(h: Harness) {
    let keys = h.clean.keys.clone().unwrap();
    let op = operator();
    let onboard = |tier: &str| {
        let input = serde_json::json!({"name": "鍵", "customerProfile": {"companyName": "鍵", "postalCode": "690-0887", "address": "松江",
            "billingContact": {"name": "鍵", "email": "k@example.jp"}}, "planTier": tier});
        tenants::create(&h.clean, &op, serde_json::from_value(input).unwrap())
    };
    let (on_wrong_plan, suspended, missing) =
        (onboard("basic").await.unwrap().tenant, onboard("standard").await.unwrap().tenant, onboard("premium").await.unwrap().tenant);
    keys.set_key(on_wrong_plan.api_key_id.as_ref().unwrap(), PlanTier::Premium, true).await.unwrap();
    let mut s = suspended.clone();
    s.status = TenantStatus::Suspended;
    s.version += 1;
    h.clean.stores.tenants.replace_tenant(&s, suspended.version).await.unwrap();
    keys.delete_key(missing.api_key_id.as_ref().unwrap()).await.unwrap();
    let leaked = keys.create_key(&on_wrong_plan.tenant_id, PlanTier::Basic, true).await.unwrap();
    let report = h.sweep().await;
    let mut kinds: Vec<(Kind, Action, String)> = report.findings.iter().map(|f| (f.kind, f.action, f.subject.clone())).collect();
    kinds.sort_by(|x, y| (x.0, &x.2).cmp(&(y.0, &y.2)));
    let mut want = vec![
        (Kind::KeyDrift, Action::Repaired, on_wrong_plan.tenant_id.to_string()),
        (Kind::KeyDrift, Action::Repaired, suspended.tenant_id.to_string()),
        (Kind::MissingKey, Action::Reported, missing.tenant_id.to_string()),
        (Kind::OrphanKey, Action::Deleted, leaked.id.as_str().to_owned()),
    ];
    want.sort_by(|x, y| (x.0, &x.2).cmp(&(y.0, &y.2)));
    assert_eq!(kinds, want, "{report}");
    let again = h.sweep().await;
    assert_eq!(again.findings.len(), 1, "only the missing key is left, for a person:\n{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_brought_in_line_on_the_local_registry() {
    keys_are_brought_in_line(Harness::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_brought_in_line_on_api_gateway() {
    let h = Harness::moto().await;
    // A key made a moment ago is not deleted: an onboarding may be about to record it.
    let young = h.clean.keys.as_ref().unwrap().create_key(&tenant(1), PlanTier::Basic, false).await.unwrap();
    h.catch_up();
    let options = repair::Options { grace: TimeDelta::hours(1), ..Default::default() };
    assert!(repair::sweep(&h.clean, &options).await.unwrap().is_clean());
    h.clean.keys.as_ref().unwrap().delete_key(&young.id).await.unwrap();
    keys_are_brought_in_line(h).await;
}

async fn start(h: &Harness, period: &str) -> common::domain::RunId {
    match runs::start(&h.clean, &operator(), RunInput { period: period.into(), tenants: None, generate: Some(true), dry_run: None }).await.unwrap() {
        Started::Run(r) => r.run_id,
        Started::DryRun(_) => unreachable!(),
    }
}

/// Delivers the queue's messages once each, handling those `keep` accepts and dropping the rest
/// (a consumer that died, a message gone to the dead-letter queue).
async fn deliver(h: &Harness, keep: impl Fn(&RunMessage) -> bool) {
    let Queue::Embedded(store) = &h.queue else { unreachable!() };
    loop {
        let batch = store.receive_runs(10, std::time::Duration::from_secs(3600)).await.unwrap();
        if batch.is_empty() {
            return;
        }
        let handled: Vec<_> = batch.iter().filter(|d| keep(&d.message)).map(|d| (d.message.clone(), d.receives)).collect();
        let _ = runs::process_batch(&h.clean, &handled).await;
        store.delete_run_messages(&batch.iter().map(|d| d.key.clone()).collect::<Vec<_>>()).await.unwrap();
    }
}

/// Runs that stopped: one never planned, one whose Issue messages were lost, one running with
/// every item settled but never finished. The sweep finishes the last and queues the others'
/// messages again; the worker then completes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stuck_runs_are_finished_or_queued_again() {
    let h = Harness::embedded().await;
    let never_planned = start(&h, "2027-01").await;
    deliver(&h, |_| false).await;
    let lost_issues = start(&h, "2027-02").await;
    deliver(&h, |m| matches!(m, RunMessage::Plan { .. })).await;
    let unfinished = start(&h, "2027-03").await;
    deliver(&h, |m| matches!(m, RunMessage::Plan { .. })).await;
    // Its items issued and settled by hand, as a worker would, without finishing the run.
    let page = common::store::PageRequest { limit: 100, cursor: None };
    let items = h.clean.stores.runs.list_items(&unfinished, &page).await.unwrap().items;
    let records: Vec<_> = items.iter().map(|i| (i.tenant_id.clone(), i.billing_id.clone())).collect();
    let issued = common::service::issue_batch::issue_many(&h.clean, &operator(), &records).await.unwrap();
    let settle: Vec<_> = items
        .into_iter()
        .zip(issued)
        .map(|(i, r)| {
            let inv = r.unwrap().0;
            (i, common::domain::Settlement::Issued { invoice_number: inv.invoice_number.clone(), total: inv.totals.total })
        })
        .collect();
    h.clean.stores.runs.settle_items(&settle).await.unwrap();
    let report = h.sweep().await;
    let stuck: Vec<&str> = report.of(Kind::StuckRun).iter().map(|f| f.subject.as_str()).collect();
    assert_eq!(stuck, [never_planned.as_str(), lost_issues.as_str(), unfinished.as_str()], "{report}");
    only(&report, Kind::StuckRun, Action::Repaired);
    assert_eq!(h.clean.stores.runs.get_run(&unfinished).await.unwrap().unwrap().0.state, RunState::Completed);
    deliver(&h, |_| true).await;
    for id in [&never_planned, &lost_issues] {
        let (run, counts) = h.clean.stores.runs.get_run(id).await.unwrap().unwrap();
        assert_eq!((run.state, counts.total, counts.issued), (RunState::Completed, 2, 2), "{id}");
    }
    assert!(h.sweep().await.is_clean());
    invariants(&h, "after the sweep and the worker").await;
}

/// The scheduled function: the sweep's report as JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduled_function_answers_the_report() {
    let h = Harness::embedded().await;
    let a = tenant(1);
    let record = |n| draft(&a, "2025-09", n);
    h.clean.stores.billings.create_billing(&record(11)).await.unwrap();
    h.arm(None);
    invoices::issue(&h.app, &operator(), &a, &record(11).billing_id).await.unwrap();
    let store = position(&h.stop(), "ObjectStore::create_object");
    h.clean.stores.billings.create_billing(&record(12)).await.unwrap();
    h.arm(Some((store, Mode::After)));
    assert!(invoices::issue(&h.app, &operator(), &a, &record(12).billing_id).await.is_err());
    h.stop();
    h.clock.advance(TimeDelta::hours(1));
    let report = repair_sweep::handle(&h.clean, &repair::Options::default()).await.unwrap();
    assert_eq!(report["counts"]["invoiceRendering"], serde_json::json!({"found": 1, "repaired": 1, "reported": 0, "failed": 0}), "{report}");
    assert_eq!(report["findings"][0]["detail"].as_str().map(|d| d.starts_with("its PDF was stored")), Some(true), "{report}");
    assert!(repair_sweep::handle(&h.clean, &repair::Options::default()).await.unwrap()["findings"].as_array().is_some_and(Vec::is_empty));
    // The repair is on the tenant's audit trail, as the sweep's.
    let query = common::store::AuditQuery { tenant: Some(a.clone()), from: h.clock.now() - TimeDelta::days(1), to: h.clock.now() + TimeDelta::days(1) };
    let trail = h.clean.stores.audit.list_audit(&query, &common::store::PageRequest { limit: 100, cursor: None }).await.unwrap().items;
    assert!(trail.iter().any(|e| e.route == "repair-sweep" && e.principal.ends_with("role/seikyu-repair-sweep")), "{trail:?}");
}
