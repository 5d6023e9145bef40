//! Faults at every step (`common::store::faults`): each flow is run clean to count its store
//! calls, then once per call with that call failing, before the adapter sees it and after it
//! answered (a write that happened, reported as a failure: a timeout), then retried as a client
//! would. After each, the invariants hold (`faults_checks`) and the repair sweep finds nothing to
//! complete (it may only delete a staging upload or a key no one holds, which it must).
//! Exhaustive on the embedded store; on DynamoDB, S3 and SQS (moto) for issuing and uploads in
//! full, the others every few steps. The table of BENCHMARKS.md is this sweep's output
//! (`SEIKYU_BLESS=1` rewrites it; otherwise it must match).

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use common::App;
use common::apikeys::ApiKeys;
use common::apikeys::apigateway::{ApiGatewayKeys, PlanIds};
use common::caller::Caller;
use common::clock::{Clock, ManualClock};
use common::domain::{InvoiceNumber, TenantId};
use common::service::{repair, tenant_keys};
use common::store::embedded::EmbeddedStore;
use common::store::faults::{Faults, Mode};
use common::store::{Owner, PrincipalArn, RunMessage};
use seikyu_tests::fixtures::{
    FakePdf, REGION, Seeded, dynamodb_store_with_queue_at, embedded_store_and_handle, moto_endpoint, moto_sdk_config, seeded_app_over, t0, who,
};

use super::faults_flows::{Flow, run};
use super::faults_table::{Row, cell, check_or_bless};

pub(crate) fn operator() -> Caller {
    Caller { principal: PrincipalArn::parse(who::OPERATOR_ARN).expect("arn"), owner: Owner::Operator, api_key_id: None }
}

pub(crate) enum Queue {
    Embedded(Arc<EmbeddedStore>),
    Sqs(aws_sdk_sqs::Client, String),
}

/// A seeded app twice over the same storage: `app` with every port (and the key manager) behind
/// the fault wrapper, what the flows run on; `clean` without, what set-up and checks use.
pub(crate) struct Harness {
    pub faults: Arc<Faults>,
    pub app: Arc<App>,
    pub clean: Arc<App>,
    pub clock: Arc<ManualClock>,
    pub queue: Queue,
    pub adapter: &'static str,
    _seeded: Seeded,
}

impl Harness {
    pub async fn embedded() -> Self {
        let clock = Arc::new(ManualClock::new(t0()));
        let (fixture, store) = embedded_store_and_handle(clock.clone()).await;
        Self::over(seeded_app_over(fixture, clock).await, None, Queue::Embedded(store)).await
    }

    /// DynamoDB, S3 and SQS on moto, and API Gateway keys on three usage plans of their own.
    pub async fn moto() -> Self {
        let clock = Arc::new(ManualClock::new(t0()));
        let (fixture, url) = dynamodb_store_with_queue_at(clock.clone()).await;
        let conf = moto_sdk_config().await;
        let sqs = aws_sdk_sqs::Client::new(&conf);
        let keys: Arc<dyn ApiKeys> = Arc::new(moto_keys().await);
        let h = Self::over(seeded_app_over(fixture, clock).await, Some(keys), Queue::Sqs(sqs, url)).await;
        // The seeded tenants' keys are the local registry's: give them keys on these plans.
        for t in [1, 2] {
            tenant_keys::rotate(&h.clean, &operator(), &seikyu_tests::fixtures::tenant_id(t)).await.expect("a key on moto");
        }
        h
    }

    async fn over(seeded: Seeded, keys: Option<Arc<dyn ApiKeys>>, queue: Queue) -> Self {
        let faults = Faults::new();
        let mut clean = (*seeded.app).clone();
        if keys.is_some() {
            clean.keys = keys;
        }
        clean.renderer = Some(Arc::new(FakePdf));
        let mut app = clean.clone();
        app.stores = faults.stores(&clean.stores);
        app.keys = clean.keys.clone().map(|k| faults.keys(k));
        let h = Self { faults, app: Arc::new(app), clean: Arc::new(clean), clock: seeded.clock.clone(), queue, adapter: seeded.adapter(), _seeded: seeded };
        // Past the seeded tenants' ids, so that every onboarding takes the same steps.
        for _ in 0..2 {
            h.clean.ids.tenant_id();
        }
        // The seeded invoice waiting for an upload is finished, so that what remains is the flows'.
        let b = seikyu_tests::fixtures::tenant_id(2);
        let waiting = InvoiceNumber::parse("SEED-2025-000003").expect("number");
        let invoice = h.clean.stores.invoices.get_invoice(&b, &waiting).await.expect("read").expect("seeded");
        seikyu_tests::fixtures::finish_in(&h.clean.stores, &invoice, bytes::Bytes::from_static(b"%PDF-1.7\n% seeded upload\n%%EOF\n")).await;
        h
    }

    /// Arms `fault` (counting from the next call), or just counts.
    pub fn arm(&self, fault: Option<(u64, Mode)>) {
        match fault {
            Some((at, mode)) => self.faults.arm(at, mode),
            None => self.faults.reset(),
        }
    }

    /// Disarms; the calls made since `arm`.
    pub fn stop(&self) -> Vec<&'static str> {
        self.faults.disarm();
        self.faults.trace()
    }

    /// The clock at the wall clock's time at least (keys made on moto carry the real time).
    pub fn catch_up(&self) {
        let behind = Utc::now() - self.clock.now();
        if behind > TimeDelta::zero() {
            self.clock.advance(behind);
        }
    }

    /// The repair sweep over the clean app, nothing left alone for being young.
    pub async fn sweep(&self) -> repair::Report {
        self.catch_up();
        let options = repair::Options { dry_run: false, grace: TimeDelta::zero(), stale_run: TimeDelta::zero() };
        repair::sweep(&self.clean, &options).await.expect("the sweep runs")
    }
}

/// An API Gateway key adapter on moto over three fresh plans, its keys named apart from every
/// other test's (the sweep deletes keys no tenant holds, among those named like its own).
async fn moto_keys() -> ApiGatewayKeys {
    let none = PlanIds::default();
    let probe = ApiGatewayKeys::connect(Some(REGION.into()), Some(moto_endpoint()), super::apikeys_aws::testing_credentials(), none, "x").await;
    let c = probe.client();
    let suffix = hex::encode(rand::random::<[u8; 4]>());
    c.create_rest_api().name(format!("seikyu-faults-{suffix}")).send().await.expect("rest api");
    for tier in ["basic", "standard", "premium"] {
        c.create_usage_plan().name(format!("seikyu-faults-{suffix}-{tier}")).send().await.expect("usage plan");
    }
    let plans = PlanIds::discover(c, &format!("seikyu-faults-{suffix}")).await.expect("plans");
    ApiGatewayKeys::new(c.clone(), plans, format!("seikyu-faults-{suffix}"))
}

pub(crate) async fn receive_sqs(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<(String, RunMessage, u32)> {
    use aws_sdk_sqs::types::MessageSystemAttributeName as A;
    let got = sqs.receive_message().queue_url(url).max_number_of_messages(10).message_system_attribute_names(A::ApproximateReceiveCount).visibility_timeout(0);
    let got = got.send().await.expect("receive");
    got.messages()
        .iter()
        .filter_map(|m| {
            let receives = m.attributes().and_then(|a| a.get(&A::ApproximateReceiveCount)).and_then(|n| n.parse().ok()).unwrap_or(1);
            let message = serde_json::from_str(m.body()?).ok()?;
            Some((m.receipt_handle()?.to_owned(), message, receives))
        })
        .collect()
}

pub(crate) async fn delete_sqs(sqs: &aws_sdk_sqs::Client, url: &str, handles: &[String]) {
    for h in handles {
        sqs.delete_message().queue_url(url).receipt_handle(h).send().await.expect("delete message");
    }
}

/// Runs `flow` clean, then with each call (every `every`-th) failing before and after; checks
/// after each run. The rows of the flow's table.
pub(crate) async fn exhaust(h: &Harness, flow: Flow, every: usize) -> Vec<Row> {
    let clean = run(h, flow, 0, None).await;
    assert!(clean.saw.is_none(), "{flow:?} clean: {:?}", clean.saw);
    assert!(!clean.trace.is_empty(), "{flow:?}: no store calls?");
    super::faults_checks::after_run(h, flow, "clean").await;
    let mut rows = Vec::new();
    let mut i = 0u8;
    for (at, call) in clean.trace.iter().enumerate().filter(|(at, _)| at % every == 0) {
        let k = at as u64 + 1;
        let mut cells = Vec::new();
        for mode in Mode::ALL {
            i += 1;
            let out = run(h, flow, i, Some((k, mode))).await;
            let label = format!("{flow:?} on {}, call {k} ({call}) failing {}", h.adapter, mode.as_str());
            assert_eq!(out.trace.get(..=at), clean.trace.get(..=at), "{label}: the steps up to the fault are the clean run's");
            assert!(h.faults.fired().is_some_and(|m| m.ends_with(call)), "{label}: fired {:?}", h.faults.fired());
            super::faults_checks::after_run(h, flow, &label).await;
            cells.push(cell(out.saw.as_deref()));
        }
        rows.push(Row { k, call, before: cells[0], after: cells[1] });
    }
    rows
}

async fn embedded(flow: Flow) {
    let started = std::time::Instant::now();
    let h = Harness::embedded().await;
    let rows = exhaust(&h, flow, 1).await;
    eprintln!("faults: {flow:?} on embedded, {} calls x 2 modes in {:.1?}", rows.len(), started.elapsed());
    check_or_bless(flow, &rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_at_every_step_of_issuing() {
    embedded(Flow::Issue).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_at_every_step_of_an_upload() {
    embedded(Flow::Upload).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_at_every_step_of_key_management() {
    embedded(Flow::Keys).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_at_every_step_of_offboarding() {
    embedded(Flow::Offboard).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_at_every_step_of_a_month_end_run() {
    embedded(Flow::Run).await;
}

/// On moto: issuing and uploads at every step (the conditional writes S3 must honour), held to the
/// embedded store's steps (the services call the same ports); keys every third step, offboarding
/// every second, runs every sixth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_on_dynamodb_s3_sqs_and_api_gateway() {
    let started = std::time::Instant::now();
    for (flow, every) in [(Flow::Issue, 1), (Flow::Upload, 1), (Flow::Keys, 3), (Flow::Offboard, 2), (Flow::Run, 6)] {
        let h = Harness::moto().await;
        let rows = exhaust(&h, flow, every).await;
        if every == 1 {
            super::faults_table::check_same_steps(flow, &rows);
        }
        eprintln!("faults: {flow:?} on moto, {} calls x 2 modes, {:.1?} so far", rows.len(), started.elapsed());
    }
}

pub(crate) fn tenant(n: u8) -> TenantId {
    seikyu_tests::fixtures::tenant_id(n)
}
