//! Month-end runs on the embedded store, driven message by message through the same worker code
//! the gateway and the Lambda run: injected render and storage failures, every message delivered
//! twice, cancel, a restart mid-run, two runs for one period. And once end to end over HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::App;
use common::caller::Caller;
use common::clock::{SequentialIds, SystemClock};
use common::domain::{BillingContent, BillingId, BillingLine, BillingPeriod, BillingStatus, Invoice, RunState, TaxCategory, Yen};
use common::error::ApiError;
use common::service::invoices::InvoiceRenderer;
use common::service::runs::{self, RunInput, RunView, Started};
use common::store::embedded::{EmbeddedOptions, EmbeddedStore};
use common::store::{Owner, PrincipalArn};
use seikyu_tests::faults::FailingPuts;
use seikyu_tests::fixtures::{FakePdf, draft_with, issuer, tenant, tenant_id};

fn operator() -> Caller {
    Caller { principal: PrincipalArn::parse("arn:aws:iam::123456789012:role/SeikyuOperator").unwrap(), owner: Owner::Operator, api_key_id: None }
}

/// Renders like `FakePdf`, but fails for lines named ALWAYS every time and for ONCE the first time.
struct FlakyPdf {
    once: AtomicUsize,
}

impl InvoiceRenderer for FlakyPdf {
    fn render(&self, invoice: &Invoice) -> Result<Vec<u8>, String> {
        let name = invoice.lines[0].description.as_str();
        if name == "ALWAYS" || (name == "ONCE" && self.once.fetch_add(1, Ordering::SeqCst) == 0) {
            return Err(format!("font glyph missing for {}", invoice.invoice_number));
        }
        FakePdf.render(invoice)
    }
}

fn open(dir: &std::path::Path) -> Arc<EmbeddedStore> {
    let options = EmbeddedOptions { cursor_key: vec![7; 32], presign_key: vec![8; 32], public_base_url: "http://127.0.0.1:1".into() };
    EmbeddedStore::open(dir, options, Arc::new(SystemClock)).unwrap()
}

fn app_over(store: &Arc<EmbeddedStore>, renderer: Arc<dyn InvoiceRenderer>) -> App {
    App { stores: store.stores(), clock: Arc::new(SystemClock), ids: Arc::new(SequentialIds::default()), renderer: Some(renderer), keys: None, iam: None }
}

/// Three tenants with `per` drafts each for 2025-10 (one named ALWAYS, one ONCE, when asked).
async fn drafts(app: &App, per: u16, flaky: bool) {
    app.stores.invoices.put_issuer(&issuer(), None).await.unwrap();
    for t in 1..=3u8 {
        app.stores.tenants.create_tenant(&tenant(&tenant_id(t), "T")).await.unwrap();
        for i in 0..per {
            let name = match (flaky, t, i) {
                (true, 1, 0) => "ALWAYS",
                (true, 2, 0) => "ONCE",
                _ => "保守サポート",
            };
            let line =
                BillingLine { description: name.into(), quantity: 1, unit_price: Yen::new(1000 + i64::from(i)).unwrap(), tax_category: TaxCategory::Standard };
            let content = BillingContent { lines: vec![line], notes: None, issue_date: "2025-10-31".parse().unwrap(), due_date: "2025-11-30".parse().unwrap() };
            let id = BillingId::parse(&format!("2025-10-{i:08}")).unwrap();
            app.stores.billings.create_billing(&draft_with(&tenant_id(t), id, content)).await.unwrap();
        }
    }
}

fn input(generate: bool) -> RunInput {
    RunInput { period: "2025-10".into(), tenants: None, generate: Some(generate), dry_run: None }
}

async fn start(app: &App) -> RunView {
    match runs::start(app, &operator(), input(false)).await.unwrap() {
        Started::Run(r) => *r,
        Started::DryRun(_) => panic!("not a dry run"),
    }
}

/// Delivers every message until the queue is empty (`twice`: each one handled two times over, as
/// a redelivery would); messages that fail come back at once.
async fn drain(app: &App, store: &EmbeddedStore, twice: bool) {
    for _ in 0..10_000 {
        let batch = store.receive_runs(10, Duration::ZERO).await.unwrap();
        if batch.is_empty() {
            return;
        }
        let messages: Vec<_> = batch.iter().map(|d| (d.message.clone(), d.receives)).collect();
        let first = runs::process_batch(app, &messages).await;
        if twice {
            let _ = runs::process_batch(app, &messages).await;
        }
        for (d, outcome) in batch.iter().zip(first) {
            if outcome.is_ok() {
                store.delete_run_message(&d.key).await.unwrap();
            }
        }
    }
    panic!("the queue never emptied");
}

/// Every invoice of the three tenants, and whether their numbers run without a gap from 1.
async fn invoices(app: &App) -> Vec<Invoice> {
    let mut all = Vec::new();
    for t in 1..=3u8 {
        let page =
            app.stores.invoices.list_invoices(&tenant_id(t), &Default::default(), &common::store::PageRequest { limit: 1000, cursor: None }).await.unwrap();
        all.extend(page.items);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_issues_every_draft_once_through_failures_and_redeliveries() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut app = app_over(&store, Arc::new(FlakyPdf { once: AtomicUsize::new(0) }));
    drafts(&app, 100, true).await;
    // A worker that dies between binding a number and storing the PDF: the first five stores fail.
    app.stores.objects = Arc::new(FailingPuts { inner: store.stores().objects, failures_left: AtomicUsize::new(5) });
    let run = start(&app).await;
    assert_eq!((run.state, run.counts.total), (RunState::Queued, 0));
    drain(&app, &store, true).await;

    let done = runs::get(&app, &operator(), &run.run_id).await.unwrap();
    let c = &done.counts;
    assert_eq!((c.total, c.issued, c.failed, c.cancelled, c.remaining), (300, 299, 1, 0, 0));
    assert_eq!(done.state, RunState::CompletedWithErrors);
    assert_eq!(done.failures.len(), 1);
    assert_eq!((done.failures[0].tenant_id.clone(), done.failures[0].billing_id.as_str()), (tenant_id(1), "2025-10-00000000"));
    assert!(done.failures[0].reason.contains("3 times"), "{}", done.failures[0].reason);

    let all = invoices(&app).await;
    assert_eq!(all.len(), 300, "one invoice per record, the failed one numbered and waiting");
    let mut seqs: Vec<u64> = all.iter().map(|i| i.invoice_number.seq()).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=300).collect::<Vec<_>>(), "gapless, no duplicates");
    assert_eq!(all.iter().filter(|i| i.status().is_delivered()).count(), 299);
    // The failed record can be issued by hand once its cause is fixed; nothing else is left.
    let stuck = app.stores.billings.get_billing(&tenant_id(1), &BillingId::parse("2025-10-00000000").unwrap()).await.unwrap().unwrap();
    assert_eq!(stuck.status(), BillingStatus::Issuing);

    // The worker's changes are on each tenant's audit trail: every invoice created exactly once,
    // through failures and redeliveries, each entry the worker's.
    let now = chrono::Utc::now();
    let query = common::store::AuditQuery { tenant: Some(tenant_id(2)), from: now - chrono::TimeDelta::hours(1), to: now + chrono::TimeDelta::hours(1) };
    let (mut entries, mut cursor) = (Vec::new(), None);
    loop {
        let page = app.stores.audit.list_audit(&query, &common::store::PageRequest { limit: 100, cursor }).await.unwrap();
        entries.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let created: Vec<&str> = entries
        .iter()
        .flat_map(|e| e.changes.iter())
        .filter(|c| c.resource.starts_with("invoice ") && c.kind == common::audit::ChangeKind::Create)
        .map(|c| c.resource.as_str())
        .collect();
    let unique: std::collections::BTreeSet<&str> = created.iter().copied().collect();
    assert_eq!((created.len(), unique.len()), (100, 100), "each of tenant 2's invoices created once");
    assert!(entries.iter().all(|e| e.route == "run-worker" && e.principal.ends_with(":role/seikyu-run-worker")), "{:?}", entries.first());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_active_run_per_period_and_a_rerun_issues_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let app = app_over(&store, Arc::new(FakePdf));
    drafts(&app, 5, false).await;
    let first = start(&app).await;
    let second = runs::start(&app, &operator(), input(false)).await;
    assert!(matches!(&second, Err(ApiError::Conflict(m)) if m.contains(first.run_id.as_str())), "{second:?}");
    drain(&app, &store, false).await;
    assert_eq!(runs::get(&app, &operator(), &first.run_id).await.unwrap().state, RunState::Completed);
    // The period is free again; a second run finds nothing left to issue.
    let again = start(&app).await;
    drain(&app, &store, false).await;
    let again = runs::get(&app, &operator(), &again.run_id).await.unwrap();
    assert_eq!((again.state, again.counts.total), (RunState::Completed, 0));
    assert_eq!(invoices(&app).await.len(), 15);
    let late = runs::cancel(&app, &operator(), &first.run_id).await.unwrap();
    assert_eq!((late.state, late.cancel_requested), (RunState::Completed, false), "cancelling a finished run changes nothing");
    let listed =
        runs::list(&app, &operator(), Some(BillingPeriod::parse("2025-10").unwrap()), &common::store::PageRequest { limit: 10, cursor: None }).await.unwrap();
    assert_eq!(listed.items.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_taking_items_and_leaves_drafts() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let app = app_over(&store, Arc::new(FakePdf));
    drafts(&app, 10, false).await;
    let run = start(&app).await;
    // The plan runs (items listed, issue messages queued), then the operator cancels.
    let plan = store.receive_runs(1, Duration::ZERO).await.unwrap();
    runs::process(&app, &plan[0].message, 1).await.unwrap();
    store.delete_run_message(&plan[0].key).await.unwrap();
    let cancelled = runs::cancel(&app, &operator(), &run.run_id).await.unwrap();
    assert!(cancelled.cancel_requested);
    drain(&app, &store, false).await;
    let done = runs::get(&app, &operator(), &run.run_id).await.unwrap();
    assert_eq!((done.state, done.counts.total, done.counts.cancelled, done.counts.issued), (RunState::Cancelled, 30, 30, 0));
    assert!(invoices(&app).await.is_empty());
    let draft = app.stores.billings.get_billing(&tenant_id(2), &BillingId::parse("2025-10-00000003").unwrap()).await.unwrap().unwrap();
    assert_eq!(draft.status(), BillingStatus::Draft, "what is not issued stays draft");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_run_finishes_with_exact_counts() {
    let dir = tempfile::tempdir().unwrap();
    let run = {
        let store = open(dir.path());
        let app = app_over(&store, Arc::new(FakePdf));
        drafts(&app, 20, false).await;
        let run = start(&app).await;
        // Plan, then a few items, some of them received but never deleted (in flight at the "kill").
        for _ in 0..3 {
            let batch = store.receive_runs(10, Duration::from_secs(600)).await.unwrap();
            for d in batch.iter().take(6) {
                runs::process(&app, &d.message, d.receives).await.unwrap();
                store.delete_run_message(&d.key).await.unwrap();
            }
        }
        run
    };
    let store = open(dir.path());
    let app = app_over(&store, Arc::new(FakePdf));
    drain(&app, &store, false).await;
    let done = runs::get(&app, &operator(), &run.run_id).await.unwrap();
    assert_eq!((done.state, done.counts.total, done.counts.issued, done.counts.remaining), (RunState::Completed, 60, 60, 0));
    assert_eq!(invoices(&app).await.len(), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planning_many_tenants_goes_in_slices_and_counts_each_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let app = app_over(&store, Arc::new(FakePdf));
    app.stores.invoices.put_issuer(&issuer(), None).await.unwrap();
    // 120 tenants with one contract each: three plan slices of at most 50.
    for n in 0..120u8 {
        let t = tenant_id(n + 1);
        app.stores.tenants.create_tenant(&tenant(&t, "T")).await.unwrap();
        app.stores.contracts.create_contract(&seikyu_tests::fixtures::contract(&t, "C-1", common::domain::ContractStatus::Active)).await.unwrap();
    }
    let Started::Run(run) = runs::start(&app, &operator(), input(true)).await.unwrap() else { panic!("not a dry run") };
    let mut plans = 0;
    for _ in 0..1000 {
        let batch = store.receive_runs(10, Duration::ZERO).await.unwrap();
        if batch.is_empty() {
            break;
        }
        for d in batch {
            plans += usize::from(matches!(d.message, common::store::RunMessage::Plan { .. }));
            runs::process(&app, &d.message, d.receives).await.unwrap();
            runs::process(&app, &d.message, d.receives).await.unwrap();
            store.delete_run_message(&d.key).await.unwrap();
        }
    }
    assert!(plans >= 3, "{plans} plan messages");
    let done = runs::get(&app, &operator(), &run.run_id).await.unwrap();
    assert_eq!((done.state, done.counts.total, done.counts.issued), (RunState::Completed, 120, 120));
    let mut n = 0;
    for t in 1..=120u8 {
        let page =
            app.stores.invoices.list_invoices(&tenant_id(t), &Default::default(), &common::store::PageRequest { limit: 10, cursor: None }).await.unwrap();
        n += page.items.len();
    }
    assert_eq!(n, 120, "one invoice per tenant, though every message came twice");
}

/// A batch mixing plain drafts with records already issued, already bound (a worker died before
/// the PDF), missing or failing to render: each answered as issuing it alone would be, the drafts
/// numbered in one move of the counter, no gap, nothing twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_issues_each_record_as_issuing_it_alone_would() {
    use common::service::{invoices, issue_batch};
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let app = app_over(&store, Arc::new(FlakyPdf { once: AtomicUsize::new(0) }));
    drafts(&app, 4, true).await;
    let id = |i: u16| BillingId::parse(&format!("2025-10-{i:08}")).unwrap();
    // Tenant 3's first record is issued before the batch; its second is bound but not rendered.
    let (before, _) = invoices::issue(&app, &operator(), &tenant_id(3), &id(0)).await.unwrap();
    let (bound, _) = invoices::issue_external(&app, &operator(), &tenant_id(3), &id(1)).await.unwrap();
    let mut records: Vec<_> = (1..=3u8).flat_map(|t| (0..4u16).map(move |i| (tenant_id(t), id(i)))).collect();
    records.push((tenant_id(2), id(99)));
    let out = issue_batch::issue_many(&app, &operator(), &records).await.unwrap();
    assert_eq!(out.len(), 13);
    // ALWAYS (tenant 1, record 0) and ONCE (tenant 2, record 0, first try) fail to render.
    assert!(matches!(out[0], Err(ApiError::Internal(_))), "{:?}", out[0]);
    assert!(matches!(out[4], Err(ApiError::Internal(_))), "{:?}", out[4]);
    assert_eq!(out[8].as_ref().map(|(i, fresh)| (i.invoice_number.clone(), *fresh)).unwrap(), (before.invoice_number.clone(), false));
    assert!(matches!(out[9], Err(ApiError::Conflict(_))), "issued with ?pdf=external: waits for its upload, {:?}", out[9]);
    assert!(matches!(out[12], Err(ApiError::NotFound)), "{:?}", out[12]);
    let fresh: Vec<_> = out.iter().filter_map(|r| r.as_ref().ok()).filter(|(_, fresh)| *fresh).map(|(i, _)| i.clone()).collect();
    assert_eq!(fresh.len(), 8, "the other drafts are issued");
    assert!(fresh.iter().all(|i| i.status() == common::domain::InvoiceStatus::Issued));
    // A second pass: the failed-once record issues now, the rest are answered as they are.
    let again = issue_batch::issue_many(&app, &operator(), &records).await.unwrap();
    assert!(again[4].as_ref().is_ok_and(|(_, fresh)| *fresh), "{:?}", again[4]);
    assert!(again.iter().enumerate().filter(|(i, _)| ![0, 4, 9, 12].contains(i)).all(|(_, r)| r.as_ref().is_ok_and(|(_, fresh)| !*fresh)));
    // Numbers 1..=12 used once each: ALWAYS holds its number, waiting to be issued again.
    let mut seqs: Vec<u64> = invoices(&app).await.iter().map(|i| i.invoice_number.as_str()[i.invoice_number.as_str().len() - 6..].parse().unwrap()).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=12).collect::<Vec<u64>>(), "{}", bound.invoice_number);
}
